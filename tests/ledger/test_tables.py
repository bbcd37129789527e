"""The ledger's tables through Ledger: items, labels and precedence, rounds, queues, tasks, state."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataqa.errors import InvalidSettingError, LedgerError, LengthMismatchError
from dataqa.ledger import Ledger


def test_add_items_is_idempotent_and_validated(ledger: Ledger) -> None:
    assert ledger.add_items(["a", "b"], content_hashes=["h1", "h2"]) == 2
    assert ledger.add_items(["b", "c"], content_hashes=["zz", "h3"]) == 1
    items = ledger.items()
    assert items["id"].tolist() == ["a", "b", "c"]
    assert items.loc[items["id"] == "b", "content_hash"].item() == "h2"  # re-add is a no-op
    with pytest.raises(InvalidSettingError, match="repeat within the call: 'x'"):
        ledger.add_items(["x", "x"])
    with pytest.raises(InvalidSettingError, match="single string"):
        ledger.add_items("abc")
    with pytest.raises(InvalidSettingError, match="must be a dict"):
        ledger.add_items(["q"], data=["not a dict"])
    with pytest.raises(LedgerError, match="not in the ledger: 'nope'"):
        ledger.item_data(["a", "nope"])
    assert len(ledger) == 3


def test_labels_history_and_precedence(ledger: Ledger) -> None:
    ledger.add_items(["a", "b", "c", "d"])
    ledger.add_labels(["a", "b", "c"], np.array([0, 1, 1]), source="given",
                      created_at="2024-01-01T00:00:00Z")
    ledger.add_labels(["a", "b"], [1, 0], source="model", created_at="2024-06-01T00:00:00Z")
    ledger.add_labels(["b"], [1], source="human", annotator="ann1",
                      created_at="2024-02-01T00:00:00Z")
    ledger.add_labels(["c"], ["spam"], source="weak")
    ledger.add_labels(["d"], [0], source="weak", created_at="2024-01-01T00:00:00Z")
    ledger.add_labels(["d"], [1], source="model", created_at="2024-03-01T00:00:00Z")
    assert len(ledger.labels()) == 9  # history kept
    latest = ledger.latest_labels().set_index("id")
    # a: given beats a newer model label; b: human beats given and model
    assert latest.loc["a", "label"] == 0 and latest.loc["a", "source"] == "given"
    assert latest.loc["b", "label"] == 1 and latest.loc["b", "annotator"] == "ann1"
    # c: given int 1 beats weak "spam"; d: weak and model tie in tier -> newest
    assert latest.loc["c", "label"] == 1
    assert latest.loc["d", "label"] == 1 and latest.loc["d", "source"] == "model"
    assert list(latest.index) == ["a", "b", "c", "d"]
    weak = ledger.latest_labels(source="weak").set_index("id")
    assert weak.loc["c", "label"] == "spam" and isinstance(weak.loc["c", "label"], str)
    assert latest.loc["a", "created_at"] == "2024-01-01T00:00:00.000000+00:00"


def test_label_validation(ledger: Ledger) -> None:
    ledger.add_items(["a"])
    with pytest.raises(InvalidSettingError, match="label source 'oracle' is not one of given"):
        ledger.add_labels(["a"], [1], source="oracle")
    with pytest.raises(LedgerError, match="not in the ledger: 'zz'"):
        ledger.add_labels(["a", "zz"], [1, 1], source="human")
    with pytest.raises(LedgerError, match="round 7 is not in the ledger"):
        ledger.add_labels(["a"], [1], source="human", round=7)
    with pytest.raises(LengthMismatchError, match="one entry per item"):
        ledger.add_labels(["a"], [1, 2], source="human")
    with pytest.raises(InvalidSettingError, match="not an ISO-8601"):
        ledger.add_labels(["a"], [1], source="human", created_at="yesterday")
    assert ledger.labels().empty


def test_upsert_external_labels(ledger: Ledger) -> None:
    ledger.add_items(["a", "b"])
    rows = [
        {"item_id": "a", "label": "spam", "source": "human", "annotator": "x@y",
         "external_id": 11, "created_at": "2024-05-01T10:00:00Z",
         "updated_at": "2024-05-01T10:00:00Z", "lead_time": 3.5},
        {"item_id": "b", "label": "ham", "source": "human", "annotator": "x@y",
         "external_id": 12, "created_at": "2024-05-01T10:01:00Z",
         "updated_at": "2024-05-01T10:01:00Z", "lead_time": 2.0},
    ]
    assert ledger.upsert_external_labels(rows) == (2, 0)
    assert ledger.upsert_external_labels(rows) == (0, 0)  # pulled again: nothing new
    changed = dict(rows[0], label="ham", updated_at="2024-05-02T09:00:00Z")
    assert ledger.upsert_external_labels(pd.DataFrame([changed, rows[1]])) == (0, 1)
    df = ledger.labels()
    assert len(df) == 2
    a = df.set_index("id").loc["a"]
    assert a["label"] == "ham" and a["external_id"] == "11" and a["lead_time"] == 3.5
    assert a["created_at"] == "2024-05-01T10:00:00.000000+00:00"
    assert a["updated_at"] == "2024-05-02T09:00:00.000000+00:00"
    with pytest.raises(InvalidSettingError, match="row 0 lacks external_id"):
        ledger.upsert_external_labels([{"item_id": "a", "label": 1, "source": "human"}])
    with pytest.raises(InvalidSettingError, match="external ids repeat"):
        ledger.upsert_external_labels([rows[0], rows[0]])


def test_withdrawn_external_labels_stop_counting_and_come_back(ledger: Ledger) -> None:
    ledger.add_items(["a", "b"])
    ledger.add_labels(["a"], ["ham"], source="given")
    rows = [{"item_id": "a", "label": "spam", "source": "human", "annotator": "x@y",
             "external_id": "e1", "updated_at": "2024-05-01T10:00:00Z"},
            {"item_id": "b", "label": "ham", "source": "human", "annotator": "x@y",
             "external_id": "e2", "updated_at": "2024-05-01T10:00:00Z"}]
    ledger.upsert_external_labels(rows)
    assert ledger.latest_labels()[["id", "label"]].values.tolist() == [["a", "spam"],
                                                                       ["b", "ham"]]
    # unknown and repeated ids are passed over; the count is of labels withdrawn now
    assert ledger.withdraw_external_labels(["e1", "nope"]) == 1
    assert ledger.withdraw_external_labels(["e1"]) == 0
    assert ledger.withdraw_external_labels([]) == 0
    latest = ledger.latest_labels().set_index("id")
    assert latest.loc["a", "label"] == "ham" and latest.loc["a", "source"] == "given"
    assert ledger.labels(source="human")["external_id"].tolist() == ["e2"]
    history = ledger.labels(withdrawn=True)
    assert len(history) == 3
    assert history.set_index("external_id").loc["e1", "withdrawn_at"].endswith("+00:00")
    assert ledger.labels()["withdrawn_at"].isna().all()
    summary = ledger.summary()  # (the given label of "a" and the human one of "b")
    assert summary["labels"] == 2 and summary["labeled_items"] == 2
    # pulled again unchanged, the answer is back: it counts again, as a new label
    assert ledger.upsert_external_labels([rows[0]]) == (1, 0)
    assert ledger.latest_labels().set_index("id").loc["a", "label"] == "spam"
    assert ledger.labels(withdrawn=True)["withdrawn_at"].isna().all()
    many = [f"x{k}" for k in range(1200)]  # more ids than one statement may bind
    assert ledger.withdraw_external_labels([*many, "e2"]) == 1


def test_external_ids_can_be_renamed_keeping_the_rows(ledger: Ledger) -> None:
    from dataqa.errors import LedgerError

    ledger.add_items(["a", "b"])
    ledger.upsert_external_labels([
        {"item_id": "a", "label": "spam", "source": "human", "external_id": "ls:3:1:1"},
        {"item_id": "b", "label": "ham", "source": "human", "external_id": "ls:3:2:2"}])
    ledger.withdraw_external_labels(["ls:3:2:2"])
    before = ledger.labels(withdrawn=True).set_index("row_id")
    assert ledger.rename_external_labels({"ls:3:1:1": "ls:3~t:1:1", "ls:3:2:2": "ls:3~t:2:2",
                                          "nope": "ls:3~t:9:9"}) == 2
    after = ledger.labels(withdrawn=True).set_index("row_id")
    assert after["external_id"].tolist() == ["ls:3~t:1:1", "ls:3~t:2:2"]
    kept = [c for c in before.columns if c != "external_id"]
    pd.testing.assert_frame_equal(after[kept], before[kept])  # withdrawn stays withdrawn
    assert ledger.rename_external_labels({}) == 0
    # pulled again under the new id: the same row, not a second one
    assert ledger.upsert_external_labels([{"item_id": "a", "label": "spam", "source": "human",
                                           "external_id": "ls:3~t:1:1"}]) == (0, 0)
    with pytest.raises(LedgerError, match="to 'ls:3~t:2:2': another label holds it"):
        ledger.rename_external_labels({"ls:3~t:1:1": "ls:3~t:2:2"})
    assert ledger.labels(withdrawn=True)["external_id"].tolist() == ["ls:3~t:1:1",
                                                                     "ls:3~t:2:2"]


def test_rounds(ledger: Ledger) -> None:
    ledger.add_items(list("abcdef"))
    assert ledger.current_round() is None
    r1 = ledger.start_round("uncertainty", {"batch_size": 2, "seed": np.int64(3)}, ["c", "a"],
                         scores=np.array([0.9, 0.5]))
    ledger.add_labels(["c", "a"], [1, 0], source="human", round=r1)
    ledger.finish_round(r1, {"accuracy": 0.8})
    r2 = ledger.start_round("random", {}, ["b"])
    assert (r1, r2) == (1, 2) and ledger.current_round() == 2
    df = ledger.rounds()
    assert df["batch_ids"].tolist() == [["c", "a"], ["b"]]
    assert df.loc[0, "settings"] == {"batch_size": 2, "seed": 3}
    assert df.loc[0, "scores"] == [0.9, 0.5] and df.loc[1, "scores"] == [None]
    assert df.loc[0, "metrics"] == {"accuracy": 0.8} and pd.isna(df.loc[1, "finished_at"])
    assert ledger.labels()["round"].tolist() == [1, 1]
    assert ledger.round_info(2)["n_batch"] == 1
    with pytest.raises(LedgerError, match="round 9 is not in the ledger"):
        ledger.finish_round(9, {})
    with pytest.raises(InvalidSettingError, match="batch_ids repeat"):
        ledger.start_round("x", {}, ["a", "a"])
    with pytest.raises(InvalidSettingError, match="batch_ids is empty; a round records"):
        ledger.start_round("x", {}, [])
    with pytest.raises(InvalidSettingError, match=r"scores holds 1 NaN/inf value\(s\) \(first "
                                                  r"for item 'b', position 1\)"):
        ledger.start_round("x", {}, ["a", "b"], scores=[0.5, float("nan")])
    with pytest.raises(InvalidSettingError, match="not JSON-serialisable"):
        ledger.start_round("x", {"model": object()}, ["a"])
    assert ledger.current_round() == 2
    # no round given: the message names only what was given
    with pytest.raises(LengthMismatchError, match=r"but ids has 2, labels has 1; pass"):
        ledger.add_labels(["a", "b"], [1], source="human")


def test_queues_tasks_and_state(ledger: Ledger) -> None:
    ledger.add_items([f"i{k}" for k in range(5)])
    q = ledger.create_queue("al-round-1", kind="active", settings={"batch": 3})
    assert ledger.create_queue("al-round-1", kind="active", project="proj") == q
    assert ledger.add_queue_items("al-round-1", ["i3", "i1", "i4"]) == 3
    assert ledger.add_queue_items("al-round-1", ["i1", "i0"]) == 1
    assert ledger.queue_items("al-round-1") == ["i3", "i1", "i4", "i0"]
    assert ledger.pending_items("al-round-1") == ["i3", "i1", "i4", "i0"]
    assert ledger.record_tasks("al-round-1", {"i3": 101, "i1": 102}, project="proj") == 2
    assert ledger.record_tasks("al-round-1", {"i3": 101}, project="proj") == 0
    assert ledger.pending_items("al-round-1") == ["i4", "i0"]
    assert ledger.task_ids(project="proj") == {"i3": 101, "i1": 102}
    assert ledger.task_ids(queue="al-round-1") == {"i3": 101, "i1": 102}
    assert ledger.task_ids(project="other") == {}
    assert ledger.forget_tasks("proj", ["i1"]) == 1
    assert ledger.pending_items("al-round-1") == ["i1", "i4", "i0"]
    qs = ledger.queues()
    assert qs.loc[0, "project"] == "proj" and qs.loc[0, "n_items"] == 4
    assert qs.loc[0, "settings"] == {"batch": 3}
    with pytest.raises(LedgerError, match="exists with kind 'active', not 'review'"):
        ledger.create_queue("al-round-1", kind="review")
    with pytest.raises(InvalidSettingError, match="queue kind 'other' is not one of"):
        ledger.create_queue("q2", kind="other")
    with pytest.raises(LedgerError, match="queue 'nope' is not in the ledger"):
        ledger.queue_items("nope")
    with pytest.raises(LedgerError, match="not in queue 'al-round-1': 'i2'"):
        ledger.record_tasks("al-round-1", {"i2": 5}, project="proj")
    assert ledger.get_state("ls:last_pull:proj") is None
    ledger.set_state("ls:last_pull:proj", {"at": "2024-01-01T00:00:00+00:00"})
    assert ledger.get_state("ls:last_pull:proj") == {"at": "2024-01-01T00:00:00+00:00"}
    assert ledger.get_state("missing", default=5) == 5
    assert ledger.summary() == {"items": 5, "labels": 0, "labeled_items": 0, "rounds": 0,
                                "queues": 1, "tasks": 1}


def test_replace_data_and_rounds_per_label(ledger: Ledger) -> None:
    ledger.add_items(["a", "b"], split="train", data=[{"text": "x"}, {"text": "y"}])
    assert ledger.add_items(["b", "c"], data=[{"f": [1.0]}, {"f": [2.0]}], replace_data=True) == 1
    assert ledger.item_data(["a", "b", "c"]) == {"a": {"text": "x"}, "b": {"f": [1.0]},
                                                 "c": {"f": [2.0]}}
    assert ledger.items().set_index("id").loc["b", "split"] == "train"  # only data is replaced
    r = ledger.start_round("margin", {}, ["a", "b"])
    ledger.add_labels(["a", "c"], [1, 0], source="human", round=[r, None])
    rounds = ledger.labels()["round"]
    assert rounds.iloc[0] == r and rounds.isna().tolist() == [False, True]
    with pytest.raises(LedgerError, match="round 9 is not in the ledger"):
        ledger.add_labels(["a"], [1], source="human", round=[9])


def test_annotators_who_disagree_are_put_to_a_vote(ledger: Ledger) -> None:
    ledger.add_items(["a", "b", "c", "d"])
    t = "2024-01-0{}T00:00:00Z".format
    # a: two of three annotators say 1; the one who says 0 submitted last
    ledger.add_labels(["a"], [1], source="human", annotator="x", created_at=t(1))
    ledger.add_labels(["a"], [1], source="human", annotator="y", created_at=t(2))
    ledger.add_labels(["a"], [0], source="human", annotator="z", created_at=t(3))
    # b: x changes their mind (their newest counts once): 0 against y's 1, a tie -> newest
    ledger.add_labels(["b"], [1], source="human", annotator="x", created_at=t(1))
    ledger.add_labels(["b"], [1], source="human", annotator="y", created_at=t(2))
    ledger.add_labels(["b"], [0], source="human", annotator="x", created_at=t(3))
    # c: a label without an annotator (a correction from a file) newer than the vote wins
    ledger.add_labels(["c"], [1], source="human", annotator="x", created_at=t(1))
    ledger.add_labels(["c"], [1], source="human", annotator="y", created_at=t(1))
    ledger.add_labels(["c"], [0], source="human", created_at=t(2))
    # d: a reviewed label still beats the human majority
    ledger.add_labels(["d"], [1], source="human", annotator="x", created_at=t(1))
    ledger.add_labels(["d"], [1], source="human", annotator="y", created_at=t(1))
    ledger.add_labels(["d"], [0], source="reviewed", created_at=t(1))
    latest = ledger.latest_labels().set_index("id")
    assert latest.loc["a", "label"] == 1 and latest.loc["a", "annotator"] == "y"
    assert latest.loc["b", "label"] == 0 and latest.loc["b", "annotator"] == "x"
    assert latest.loc["c", "label"] == 0 and pd.isna(latest.loc["c", "annotator"])
    # ... and an older one loses to the annotators' newer vote
    ledger.add_labels(["c"], [1], source="human", annotator="z", created_at=t(3))
    assert ledger.latest_labels().set_index("id").loc["c", "label"] == 1
    assert latest.loc["d", "label"] == 0 and latest.loc["d", "source"] == "reviewed"
    assert list(latest.index) == ["a", "b", "c", "d"]


def test_vote_counts_a_class_number_and_its_text_as_one_label(ledger: Ledger) -> None:
    ledger.add_items(["a"])
    t = "2024-01-0{}T00:00:00Z".format
    # x and y give class 1 (one as a number, one as text); z, the last, gives 0
    ledger.add_labels(["a"], [1], source="human", annotator="x", created_at=t(1))
    ledger.add_labels(["a"], ["1"], source="human", annotator="y", created_at=t(2))
    ledger.add_labels(["a"], [0], source="human", annotator="z", created_at=t(3))
    latest = ledger.latest_labels().set_index("id")
    assert str(latest.loc["a", "label"]) == "1" and latest.loc["a", "annotator"] == "y"
