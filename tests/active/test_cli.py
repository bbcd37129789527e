"""`dataqa al`: classes on purpose, setup replacement, kNN's k, reading options, skips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from dataqa.active.labels import CONFIG_KEY
from dataqa.cli import app
from dataqa.ledger import Ledger

runner = CliRunner()


def _run(*args) -> str:
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return " ".join(res.output.split())


def _texts(path: Path, n: int = 40) -> Path:
    words = ["win cash now", "free prize today", "see you at lunch", "thanks for notes"]
    pd.DataFrame({"id": [f"t{k}" for k in range(n)],
                  "text": [f"{words[k % 4]} {k}" for k in range(n)],
                  "label": [("spam" if k % 4 < 2 else "ham") if k < 12 else ""
                            for k in range(n)]}).to_csv(path, index=False)
    return path


def test_new_class_on_purpose_and_skip(tmp_path: Path) -> None:
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    out = _run("al", "next", "--ledger", led, "--batch", "4", "--strategy", "margin",
               "--out", tmp_path / "b.csv")
    assert "round 1: 4 items (margin)" in out
    assert (tmp_path / "b.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # for Excel
    assert " score " in out and "random draw" not in out
    ids = pd.read_csv(tmp_path / "b.csv")["id"].tolist()
    # skip and out_of_scope in any case, as a spreadsheet may capitalise them
    ans = pd.DataFrame({"id": ids, "label": ["maybe", "ham", "Skip", " Out_of_Scope"]})
    ans.to_csv(tmp_path / "a.csv", index=False)
    out = _run("al", "label", tmp_path / "a.csv", "--ledger", led, "--new-class", "maybe")
    # (" Out_of_Scope" is read without its space, with a note)
    assert out.startswith(f"note: 1 label in {str(tmp_path / 'a.csv')!r} had white space")
    assert "3 labels recorded; 15 labeled items (1 out of scope)" in out
    assert "stays open" not in out  # labeled or skipped: the round is complete
    assert out.endswith("round 1 is complete: `dataqa al next` picks the next batch")
    with Ledger(led, create=False) as check:
        assert check.get_state(CONFIG_KEY)["classes"] == ["ham", "maybe", "spam"]
        assert check.rounds().loc[0, "finished_at"] is not None
        latest = check.latest_labels().set_index("id")
        assert latest.loc[ids[0], "label"] == "maybe" and latest.loc[ids[0], "round"] == 1
        assert latest.loc[ids[3], "label"] == "out_of_scope" and ids[2] not in latest.index
    # the answers given again once the round is closed: the skip is a repeat, not an error
    out = _run("al", "label", tmp_path / "a.csv", "--ledger", led, "--new-class", "maybe")
    assert (f"note: 1 item(s) marked skip in '{tmp_path / 'a.csv'}' were already skipped in an "
            f"earlier round ({ids[2]!r}); they are not recorded again.") in out, out
    assert "0 labels recorded" in out
    out = _run("al", "next", "--ledger", led, "--batch", "30", "--strategy", "margin")
    assert "round 2: 24 items" in out  # 40 - 12 given - 3 labeled - 1 skipped (not asked again)
    # a random round's scores are uniform draws, not a confidence: named as such
    led2 = tmp_path / "l2.db"
    _run("al", "init", tmp_path / "d.csv", "--ledger", led2, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    out = _run("al", "next", "--ledger", led2, "--batch", "2", "--strategy", "random")
    assert "random draw" in out and " score " not in out


def test_a_class_named_none_and_a_text_null_are_read_as_written(tmp_path: Path) -> None:
    led = tmp_path / "l.db"
    data = tmp_path / "d.csv"
    df = pd.read_csv(_texts(tmp_path / "t.csv"), keep_default_na=False)
    df.loc[df["label"] == "ham", "label"] = "None"
    df.loc[0, "text"] = "null"
    df.to_csv(data, index=False)
    with pytest.warns(UserWarning, match=r"label column 'label' of .* holds 'None' \(6 rows\), "
                                         r"read as a class name"):
        _run("al", "init", data, "--ledger", led, "--text-column", "text", "--label-column",
             "label", "--id-column", "id")
    with Ledger(led, create=False) as check:
        assert check.get_state(CONFIG_KEY)["classes"] == ["None", "spam"]
        labels = check.latest_labels().set_index("id")["label"]
        assert labels["t2"] == "None" and labels["t0"] == "spam"
        assert check.item_data(["t0"])["t0"]["text"] == "null"


def test_second_init_same_setup_adds_and_force_replaces(tmp_path: Path) -> None:
    led = tmp_path / "l.db"
    data = _texts(tmp_path / "d.csv", n=20)
    _run("al", "init", data, "--ledger", led, "--text-column", "text", "--id-column", "id")
    out = _run("al", "init", _texts(tmp_path / "d2.csv", n=30), "--ledger", led,
               "--text-column", "text", "--id-column", "id")
    assert "30 rows read: 10 new items" in out
    df = pd.read_csv(tmp_path / "d2.csv")
    df["f1"], df["f2"] = np.arange(30.0), np.arange(30.0) % 7
    df.to_csv(tmp_path / "num.csv", index=False)
    out = _run("al", "init", tmp_path / "num.csv", "--ledger", led, "--id-column", "id",
               "--feature-column", "f1", "--feature-column", "f2", "--label-column", "label",
               "--force")
    assert "--force: replaced the ledger's setup (--text-column text, --id-column id)" in out
    with Ledger(led, create=False) as check:
        assert check.item_data(["t3"])["t3"] == {"features": [3.0, 3.0]}
    assert "round 1: 5 items" in _run("al", "next", "--ledger", led, "--batch", "5")


def test_knn_k_automatic_and_explicit(tmp_path: Path) -> None:
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--strategy", "ood:knn",
                              "--k", "13"])
    assert res.exit_code == 2
    assert "k=13 is larger than the 12 labeled in-scope items" in " ".join(res.output.split())
    res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--strategy", "ood:knn",
                              "--batch", "3"])
    assert res.exit_code == 0, res.output
    # the note goes to stderr with the warnings, the batch to stdout
    assert ("note: ood:knn uses k=1, one neighbour per 1,000 of the 12 labeled in-scope items "
            "(at most 50); set k with --k.") in " ".join(res.stderr.split())
    assert "note:" not in res.stdout and "round 1" in res.stdout
    with Ledger(led, create=False) as check:
        assert check.rounds().loc[0, "settings"]["effective_settings"] == {"k": 1}
    res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--strategy", "margin",
                              "--k", "3"])
    assert res.exit_code == 2 and "--k applies to the kNN acquisitions" in res.output


def test_knn_explicit_k_is_used(tmp_path: Path) -> None:
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    out = _run("al", "next", "--ledger", led, "--strategy", "ood:knn", "--k", "3",
               "--batch", "3")
    assert "note:" not in out and "round 1: 3 items (ood:knn)" in out


def test_init_reads_headerless_tsv(tmp_path: Path) -> None:
    rows = [f"{'spam' if k % 2 else 'ham'}\tmessage \"{k}\" with words {k % 3}"
            for k in range(12)]
    (tmp_path / "SMS").write_text("\n".join(rows) + "\n")
    led = tmp_path / "l.db"
    out = _run("al", "init", tmp_path / "SMS", "--ledger", led, "--format", "tsv",
               "--no-header", "--columns", "label,text", "--text-column", "text",
               "--label-column", "label")
    assert "12 rows read: 12 new items, 12 given labels added" in out
    with Ledger(led, create=False) as check:
        texts = [d["text"] for d in check.item_data(check.items()["id"]).values()]
        assert texts[1] == 'message "1" with words 1'  # quotes kept: TSV is read unquoted
        assert check.get_state(CONFIG_KEY)["classes"] == ["ham", "spam"]


def test_open_round_shown_under_its_own_strategy(tmp_path: Path) -> None:
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    first = _run("al", "next", "--ledger", led, "--batch", "3", "--strategy", "entropy")
    again = _run("al", "next", "--ledger", led, "--batch", "3", "--strategy", "entropy")
    assert "round 1: 3 items (entropy, still open: 3 to label or skip)" in again
    assert "round 1 is still open: 3 of 3 items" in again and "round 1: 3 items (entropy)" in first
    # a misspelt selector is named as such, open round or not
    res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--selector", "topkk"])
    assert res.exit_code == 2 and "still open" not in res.output
    assert "selector 'topkk'" in " ".join(res.output.split())


def test_status_shows_the_queues_and_their_tasks(tmp_path):
    path = tmp_path / "drift.ledger"
    with Ledger(path) as led:  # what a drift push leaves: a queue, no round
        led.add_items(["a", "b", "c"])
        led.create_queue("prod/active", kind="active", project="prod")
        led.add_queue_items("prod/active", ["a", "b", "c"])
        led.record_tasks("prod/active", {"a": 11, "b": 12}, project="prod")
        led.create_queue("later", kind="review")
        led.add_queue_items("later", ["c"])
    res = runner.invoke(app, ["al", "status", "--ledger", str(path)])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert " ".join(res.output.split()).startswith(
        f"{path}: 3 items, 0 labeled; no active-learning round yet: `dataqa al next --ledger "
        f"{path}` picks the first batch")
    assert ("queue 'prod/active' (active): 3 items; project 'prod': 2 with a task in Label "
            "Studio, 1 not pushed yet") in lines
    assert "queue 'later' (review): 1 item; not pushed" in lines
    assert "strategy" not in res.output  # no table of rounds
    # no queue and no round: the line too, not an empty table of rounds
    fresh = tmp_path / "fresh.ledger"
    with Ledger(fresh) as led:
        led.add_items(["a", "b"])
    res = runner.invoke(app, ["al", "status", "--ledger", str(fresh)])
    assert res.exit_code == 0, res.output
    assert "no active-learning round yet" in res.output and "strategy" not in res.output


def test_label_files_as_annotators_save_them(tmp_path: Path) -> None:
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    _run("al", "next", "--ledger", led, "--batch", "4", "--strategy", "margin", "--out",
         tmp_path / "b.csv")
    ids = pd.read_csv(tmp_path / "b.csv")["id"].tolist()
    # semicolons and other column names, as a spreadsheet saves them
    pd.DataFrame({"ID": ids[:2], "Label": ["ham", "spam"]}).to_csv(tmp_path / "s.csv", sep=";",
                                                                   index=False)
    res = runner.invoke(app, ["al", "label", str(tmp_path / "s.csv"), "--ledger", str(led)])
    assert res.exit_code == 2 and "pass --sep ';'" in " ".join(res.output.split())
    res = runner.invoke(app, ["al", "label", str(tmp_path / "s.csv"), "--ledger", str(led),
                              "--sep", ";"])
    assert res.exit_code == 2
    assert (f"id column 'id' is not in {str(tmp_path / 's.csv')!r}; its columns are: ID, "
            f"Label. 'ID' differs from "
            "'id' only in its case: is that the one? Pass one of these names. Name the file's "
            "id column with --id-column.") in " ".join(res.output.split())
    out = _run("al", "label", tmp_path / "s.csv", "--ledger", led, "--sep", ";",
               "--id-column", "ID", "--label-column", "Label")
    assert out.startswith("2 labels recorded")
    with Ledger(led, create=False) as check:
        latest = check.latest_labels().set_index("id")
        assert latest.loc[ids[0], "label"] == "ham" and latest.loc[ids[1], "label"] == "spam"
    # a file that also holds columns named id and label: the named ones are read
    pd.DataFrame({"item": ids[2:4], "id": [1, 2], "label": ["x", "y"], "gold": ["spam", "ham"]}
                 ).to_csv(tmp_path / "g.csv", index=False)
    out = _run("al", "label", tmp_path / "g.csv", "--ledger", led, "--id-column", "item",
               "--label-column", "gold")
    assert out.startswith("2 labels recorded")
    # without a header, a missing label is named by its line in the file
    (tmp_path / "nh.csv").write_text(f"{ids[0]},spam\n{ids[1]},\n")
    res = runner.invoke(app, ["al", "label", str(tmp_path / "nh.csv"), "--ledger", str(led),
                              "--no-header", "--columns", "id,label"])
    assert res.exit_code == 2 and "(first at line 2)" in res.output


def test_the_first_labels_of_a_ledger_without_classes_are_declared_on_purpose(tmp_path):
    led = tmp_path / "l.db"
    data = tmp_path / "plain.csv"
    pd.read_csv(_texts(tmp_path / "d.csv")).drop(columns="label").to_csv(data, index=False)
    _run("al", "init", data, "--ledger", led, "--text-column", "text", "--id-column", "id")
    pd.DataFrame({"id": ["t0", "t1", "t2", "t3"], "label": ["Ham", "sapm", "skip", "-1"]}).to_csv(
        tmp_path / "a.csv", index=False)
    res = runner.invoke(app, ["al", "label", str(tmp_path / "a.csv"), "--ledger", str(led)])
    assert res.exit_code == 2
    assert ("the ledger has no classes yet, so the labels of '" in res.output
            and "' would define them: 'Ham', 'sapm'. Check them for typos, then add them on "
                "purpose: --new-class Ham --new-class sapm (or declare them with `dataqa al "
                "init ... --classes`); nothing was recorded." in " ".join(res.output.split()))
    with Ledger(led, create=False) as check:
        assert check.latest_labels().empty
    pd.DataFrame({"id": ["t0", "t1"], "label": ["ham", "spam"]}).to_csv(tmp_path / "a.csv",
                                                                       index=False)
    out = _run("al", "label", tmp_path / "a.csv", "--ledger", led, "--new-class", "ham",
               "--new-class", "spam")
    assert out.startswith("2 labels recorded")
    # class numbers, however a spreadsheet writes them (1.0), match --new-class 1
    led2 = tmp_path / "n.db"
    _run("al", "init", data, "--ledger", led2, "--text-column", "text", "--id-column", "id")
    (tmp_path / "n.csv").write_text("id,label\nt0,1.0\nt1,0.0\n")
    out = _run("al", "label", tmp_path / "n.csv", "--ledger", led2, "--new-class", "0",
               "--new-class", "1")
    assert out.startswith("2 labels recorded")


def test_next_push_without_a_key_picks_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--batch", "4", "--push",
                              "--project", "p"])
    assert res.exit_code == 2
    assert "no Label Studio API key" in res.output and "round 1" not in res.output
    with Ledger(led, create=False) as check:
        assert check.rounds().empty  # no round was opened


def test_status_says_how_many_labeled_items_are_dev_items(tmp_path):
    led = tmp_path / "l.db"
    frame = pd.read_csv(_texts(tmp_path / "d.csv"))
    frame["split"] = ["dev" if k < 4 else "train" for k in range(len(frame))]
    frame.to_csv(tmp_path / "s.csv", index=False)
    _run("al", "init", tmp_path / "s.csv", "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id", "--split-column", "split")
    res = runner.invoke(app, ["al", "status", "--ledger", str(led)])
    assert res.exit_code == 0, res.output
    assert f"{led}: 40 items, 12 labeled (4 of them dev items)" in " ".join(res.output.split())
    _run("al", "next", "--ledger", led, "--batch", "2", "--out", tmp_path / "b.csv")
    ids = pd.read_csv(tmp_path / "b.csv")["id"].tolist()
    pd.DataFrame({"id": ids, "label": ["ham", "out_of_scope"]}).to_csv(tmp_path / "a.csv",
                                                                       index=False)
    _run("al", "label", tmp_path / "a.csv", "--ledger", led)  # the round is complete
    res = runner.invoke(app, ["al", "status", "--ledger", str(led)], terminal_width=200)
    assert res.exit_code == 0, res.output
    header = next(line for line in res.output.splitlines() if "strategy" in line)
    assert "labeled (pool)" in header and "of them out of scope" in header
    row = next(line for line in res.output.splitlines() if line.strip("│ ").startswith("1 "))
    # 12 labeled, 4 of them dev items, and the 2 of the round, one out of scope
    assert [c.strip() for c in row.strip("│").split("│")][3:5] == ["10", "1"]


def test_a_dev_split_in_another_case_or_with_spaces_is_the_dev_split(tmp_path):
    led = tmp_path / "l.db"
    frame = pd.read_csv(_texts(tmp_path / "d.csv"))
    frame["split"] = ["Dev" if k < 3 else "dev " if k == 3 else "train"
                      for k in range(len(frame))]
    frame.to_csv(tmp_path / "s.csv", index=False)
    with pytest.warns(UserWarning, match=r"split column 'split' of '.*s.csv' writes 'Dev' "
                                         r"\(3 rows\): read as 'dev', the split whose labels "
                                         r"measure the model's accuracy"):
        _run("al", "init", tmp_path / "s.csv", "--ledger", led, "--text-column", "text",
             "--label-column", "label", "--id-column", "id", "--split-column", "split")
    with Ledger(led, create=False) as check:
        assert sorted(check.items(split="dev")["id"]) == ["t0", "t1", "t2", "t3"]
    res = runner.invoke(app, ["al", "status", "--ledger", str(led)])
    assert "12 labeled (4 of them dev items)" in " ".join(res.output.split())
    # a ledger that stored 'Dev' before: the same table again sets the split right
    with Ledger(led, create=False) as check:
        assert check.set_item_splits({"t0": "Dev", "t1": "Dev", "nope": "dev"}) == 2
        assert check.set_item_splits({"t0": "Dev"}) == 0  # (unchanged)
    with pytest.warns(UserWarning, match=r"2 item\(s\) already in the ledger take the split "
                                         r"column 'split''s split now"):
        _run("al", "init", tmp_path / "s.csv", "--ledger", led, "--text-column", "text",
             "--label-column", "label", "--id-column", "id", "--split-column", "split")
    with Ledger(led, create=False) as check:
        assert sorted(check.items(split="dev")["id"]) == ["t0", "t1", "t2", "t3"]
    # the API's dev split may be named otherwise: that name is the one read
    from dataqa.active.store import store_table

    frame["split"] = ["Validation"] * 4 + ["train"] * (len(frame) - 4)
    with Ledger(tmp_path / "v.db") as other:
        with pytest.warns(UserWarning, match="writes 'Validation' \\(4 rows\\): read as "
                                             "'validation'"):
            store_table(other, frame, label_column="label", text_column="text",
                        id_column="id", split_column="split", dev_split="validation")
        assert len(other.items(split="validation")) == 4
    # a split column without a dev split says what it holds
    frame["split"] = ["test" if k < 4 else "train" for k in range(len(frame))]
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.warns(UserWarning, match=r"split column 'split' of '.*t.csv' holds no 'dev' "
                                         r"split \(values: 'test', 'train'\)"):
        _run("al", "init", tmp_path / "t.csv", "--ledger", tmp_path / "m.db", "--text-column",
             "text", "--label-column", "label", "--id-column", "id", "--split-column", "split")


def test_next_names_a_bad_strategy_or_batch_even_with_a_round_open(tmp_path):
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    _run("al", "next", "--ledger", led, "--batch", "4")  # round 1 stays open
    res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--strategy", "foo"])
    assert res.exit_code == 2 and "unknown acquisition 'foo'" in res.output
    res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--batch", "0"])
    assert res.exit_code == 2 and "--batch 0 must be at least 1." in res.output
    # labels for items the open round is not waiting for (a file meant for another
    # ledger) are recorded with a note
    from dataqa.active.session import open_round_in

    with Ledger(led, create=False) as check:
        waiting = open_round_in(check)["missing"]
    others = [f"t{k}" for k in range(12, 40) if f"t{k}" not in waiting][:2]
    pd.DataFrame({"id": others, "label": ["ham", "ham"]}).to_csv(tmp_path / "o.csv", index=False)
    out = _run("al", "label", tmp_path / "o.csv", "--ledger", led)
    assert (f"note: none of the 2 items of {str(tmp_path / 'o.csv')!r} was waiting in the open "
            f"round 1 (its 4 waiting items: ") in out
    assert "round 1 stays open: 4 item(s) still need a label or skip" in out
    # two of the round's items labeled, then the same file again: recorded already,
    # and no word of another ledger
    pd.DataFrame({"id": waiting[:2], "label": ["ham", "spam"]}).to_csv(tmp_path / "r.csv",
                                                                       index=False)
    _run("al", "label", tmp_path / "r.csv", "--ledger", led)
    out = _run("al", "label", tmp_path / "r.csv", "--ledger", led)
    assert "was waiting in the open round" not in out and "0 labels recorded" in out


def test_a_label_without_annotator_that_corrects_a_newer_vote_is_recorded(tmp_path):
    # spam (no annotator), then ham by ann (in force), then the first file again: it
    # corrects ann's label back to spam, so it is recorded, not dropped as a repeat
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    _run("al", "next", "--ledger", led, "--batch", "1", "--out", tmp_path / "b.csv")
    item = str(pd.read_csv(tmp_path / "b.csv", dtype={"id": str})["id"].iloc[0])
    pd.DataFrame({"id": [item], "label": ["spam"]}).to_csv(tmp_path / "a1.csv", index=False)
    pd.DataFrame({"id": [item], "label": ["ham"], "annotator": ["ann"]}).to_csv(
        tmp_path / "a2.csv", index=False)
    _run("al", "label", tmp_path / "a1.csv", "--ledger", led)
    _run("al", "label", tmp_path / "a2.csv", "--ledger", led)
    with Ledger(led, create=False) as check:
        assert check.latest_labels().set_index("id").loc[item, "label"] == "ham"
    out = _run("al", "label", tmp_path / "a1.csv", "--ledger", led)
    assert out.startswith("1 label recorded") and "already recorded" not in out, out
    with Ledger(led, create=False) as check:
        assert check.latest_labels().set_index("id").loc[item, "label"] == "spam"
    # given once more, it is a repeat of the label in force
    out = _run("al", "label", tmp_path / "a1.csv", "--ledger", led)
    assert "were already recorded with the same value" in out and "0 labels recorded" in out


def test_a_label_file_given_twice_is_recorded_once_and_dev_changes_are_noted(tmp_path):
    led = tmp_path / "l.db"
    frame = pd.read_csv(_texts(tmp_path / "d.csv"))
    frame["split"] = ["dev" if k < 4 else "train" for k in range(len(frame))]
    frame.to_csv(tmp_path / "s.csv", index=False)
    _run("al", "init", tmp_path / "s.csv", "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id", "--split-column", "split")
    _run("al", "next", "--ledger", led, "--batch", "3", "--out", tmp_path / "b.csv")
    ids = pd.read_csv(tmp_path / "b.csv")["id"].tolist()
    pd.DataFrame({"id": ids, "label": ["ham", "spam", "ham"]}).to_csv(tmp_path / "a.csv",
                                                                      index=False)
    assert _run("al", "label", tmp_path / "a.csv", "--ledger", led).startswith(
        "3 labels recorded")
    out = _run("al", "label", tmp_path / "a.csv", "--ledger", led)
    assert out.startswith("note: 3 label(s) in '") and (
        "were already recorded with the same value" in out and "0 labels recorded" in out)
    # one changed answer is recorded; the two repeats are not
    pd.DataFrame({"id": ids, "label": ["spam", "spam", "ham"]}).to_csv(tmp_path / "a.csv",
                                                                       index=False)
    out = _run("al", "label", tmp_path / "a.csv", "--ledger", led)
    assert "note: 2 label(s) in '" in out and "1 label recorded;" in out
    assert (f"note: 1 label(s) in '{tmp_path / 'a.csv'}' replace a different human label "
            f"recorded earlier ({ids[0]!r}: ham -> spam); the new ones are in force.") in out
    with Ledger(led, create=False) as check:
        assert len(check.labels("human")) == 4
        assert check.latest_labels().set_index("id").loc[ids[0], "label"] == "spam"
    # t0 and t1 are dev items given spam; a human ham on t0 replaces its gold label
    pd.DataFrame({"id": ["t0", "t1"], "label": ["ham", "spam"]}).to_csv(tmp_path / "d2.csv",
                                                                       index=False)
    out = _run("al", "label", tmp_path / "d2.csv", "--ledger", led)
    assert ("note: 1 dev item(s) get a human label other than their given one ('t0'); the "
            "human label now counts in the dev accuracy.") in out
    assert "2 labels recorded" in out


def test_an_open_round_shown_again_says_what_is_done(tmp_path):
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    _run("al", "next", "--ledger", led, "--batch", "4", "--out", tmp_path / "b.csv")
    ids = pd.read_csv(tmp_path / "b.csv")["id"].tolist()
    pd.DataFrame({"id": ids[:3], "label": ["ham", "skip", "out_of_scope"]}).to_csv(
        tmp_path / "a.csv", index=False)
    _run("al", "label", tmp_path / "a.csv", "--ledger", led)
    out = _run("al", "next", "--ledger", led, "--out", tmp_path / "again.csv")
    assert ("round 1 is still open: 1 of 4 items to label or skip; showing it again (scores "
            "as when it was picked, predictions of the model as it is now).") in out
    again = pd.read_csv(tmp_path / "again.csv")
    assert again["id"].tolist() == ids
    assert again["status"].tolist() == ["labeled", "skipped", "out of scope", "to label"]


def test_second_init_records_a_fixed_given_label_and_names_changed_content(tmp_path: Path) -> None:
    led = tmp_path / "l.db"
    data = _texts(tmp_path / "d.csv", n=20)
    args = ["--ledger", led, "--text-column", "text", "--label-column", "label", "--id-column",
            "id"]
    _run("al", "init", data, *args)
    df = pd.read_csv(data, keep_default_na=False)
    assert df.loc[0, "label"] == "spam"
    df.loc[0, "label"] = "ham"  # a label fixed in the table
    df.loc[5, "text"] = "an edited text"  # an item's content edited under its old id
    df.to_csv(tmp_path / "d2.csv", index=False)
    out = _run("al", "init", tmp_path / "d2.csv", *args)
    assert "20 rows read: 0 new items, 1 given labels added" in out
    assert "note: 1 item(s) already in the ledger have another given label in this table " \
           "('t0'); the new label is recorded" in out
    assert "note: 1 item(s) already in the ledger have other content in this table ('t5'); " \
           "their stored content is kept" in out
    with Ledger(led, create=False) as check:
        assert check.latest_labels().set_index("id").loc["t0", "label"] == "ham"
        assert len(check.labels(source="given")) == 13  # the history keeps the old label
        assert check.item_data(["t5"])["t5"] == {"text": "free prize today 5"}
    # the same table again: no label to record; the content still differs from the stored
    out = _run("al", "init", tmp_path / "d2.csv", *args)
    assert "0 new items, 0 given labels added" in out and "another given label" not in out
    assert "other content in this table ('t5')" in out
    assert "note:" not in _run("al", "init", data, "--ledger", led, "--text-column", "text",
                               "--id-column", "id")  # the first table, without its labels
    # a label cell emptied in the table: the given label stays, and a note says so
    df.loc[[1, 2], "label"] = ""
    df.loc[5, "text"] = "free prize today 5"
    df.to_csv(tmp_path / "d3.csv", index=False)
    out = _run("al", "init", tmp_path / "d3.csv", *args)
    assert "0 given labels added" in out
    assert (f"note: 2 item(s) have a given label in the ledger but a blank cell in this table "
            f"('t1', 't2'); their given label is kept (a blank cell takes no label away). To "
            f"correct one, record the right label with `dataqa al label FILE --ledger {led} "
            f"--source reviewed`") in out
    with Ledger(led, create=False) as check:
        assert check.latest_labels().set_index("id").loc[["t1", "t2"], "label"].tolist() == [
            "spam", "ham"]


def test_al_label_names_every_unknown_label_and_hints_numbers_and_case(tmp_path: Path) -> None:
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")

    def refused(frame: pd.DataFrame) -> str:
        frame.to_csv(tmp_path / "a.csv", index=False)
        res = runner.invoke(app, ["al", "label", str(tmp_path / "a.csv"), "--ledger", str(led)])
        assert res.exit_code == 2, res.output
        return " ".join(res.output.split())

    out = refused(pd.DataFrame({"id": ["t20", "t21", "t22"], "label": ["Spam", "sapm", "ham"]}))
    assert "label 'Spam' in" in out and "(and 1 other unknown label(s): 'sapm')" in out
    assert "'Spam' differs from the class 'spam' only in case" in out
    # only a case variant: --new-class (itself refused for it) is not offered
    out = refused(pd.DataFrame({"id": ["t20", "t21"], "label": ["Spam", "ham"]}))
    assert out.endswith("'Spam' differs from the class 'spam' only in case. Write the class as "
                        "the ledger does (case may be meaningful, so it is not read as that "
                        "class).") and "--new-class" not in out
    # class numbers where the ledger has names: the file's names column is the fix
    out = refused(pd.DataFrame({"id": ["t20", "t21"], "label": [0, 1],
                                "label_name": ["ham", "spam"]}))
    assert "is a number, but the classes of this ledger are names" in out
    assert "--label-column label_name" in out and "--new-class" not in out
    assert out.endswith("in a file written by hand, write the class names.")
    assert "2 labels recorded" in _run("al", "label", tmp_path / "a.csv", "--ledger", led,
                                       "--label-column", "label_name")


def test_status_says_a_fully_labeled_round_closes_at_the_next_round(tmp_path: Path) -> None:
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    _run("al", "next", "--ledger", led, "--batch", "2", "--strategy", "margin",
         "--out", tmp_path / "b.csv")
    ids = pd.read_csv(tmp_path / "b.csv")["id"].tolist()
    assert "open: 2 missing" in _run("al", "status", "--ledger", led)
    with Ledger(led, create=False) as check:  # labels pulled from Label Studio, say
        check.add_labels(ids, ["ham", "spam"], source="human", annotator="a@b")
    out = _run("al", "status", "--ledger", led)
    assert "labeled; the next `al next` closes it" in out and "is open" not in out


def test_first_init_into_a_ledger_that_holds_items_says_they_join_the_pool(tmp_path: Path) -> None:
    led = tmp_path / "l.db"
    with Ledger(led) as pushed:  # items pushed earlier with `ls push --from`, say
        pushed.add_items(["p1", "p2"], data=[{"text": "win cash"}, {"text": "see you"}])
    out = _run("al", "init", _texts(tmp_path / "d.csv", n=20), "--ledger", led, "--text-column",
               "text", "--label-column", "label", "--id-column", "id")
    assert "note: the ledger already held 2 item(s) that are not in this table ('p1', 'p2')" in out
    assert "the ledger holds 22 items" in out
    # a second init of the same setup: nothing to say
    out = _run("al", "init", _texts(tmp_path / "d.csv", n=20), "--ledger", led, "--text-column",
               "text", "--label-column", "label", "--id-column", "id")
    assert "already held" not in out


def test_next_refuses_odin_and_a_push_without_classes_before_picking(tmp_path, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    led = tmp_path / "l.db"
    plain = tmp_path / "plain.csv"
    pd.read_csv(_texts(tmp_path / "d.csv")).drop(columns="label").to_csv(plain, index=False)
    _run("al", "init", plain, "--ledger", led, "--text-column", "text", "--id-column", "id")
    # a cold start would pick at random and record a round the next one cannot follow
    res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--strategy", "ood:odin"])
    out = " ".join(res.output.split())
    assert res.exit_code == 2
    assert ("--strategy ood:odin needs a torch model (odin perturbs the model's inputs), but "
            "a labeling session trains a scikit-learn model; use one of ood:msp,") in out
    assert "ood:knn" in out and "ood:odin," not in out
    # no class anywhere: refused before the key is looked for and before a round is picked
    res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--push", "--project", "p"])
    assert res.exit_code == 2
    assert ("cannot tell the classes for project 'p' (the ledger has 0 classes and the "
            "project none recorded); pass --classes a,b,... (at least two); no round was "
            "picked.") in " ".join(res.output.split())
    res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--push", "--project", "p",
                              "--classes", "cat"])
    assert res.exit_code == 2
    assert ("--classes 'cat' names 1 class; give at least two, comma-separated (--classes "
            "a,b,...); no round was picked.") in " ".join(res.output.split())
    with Ledger(led, create=False) as check:
        assert check.rounds().empty


def test_hybrid_with_odin_is_refused_through_the_api(tmp_path):
    from dataqa.active.session import LabelingSession
    from dataqa.errors import InvalidSettingError

    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    with Ledger(led, create=False) as db:
        try:
            LabelingSession.open(db, strategy="hybrid", strategy_settings={"ood": "odin"})
        except InvalidSettingError as exc:
            assert str(exc).startswith("hybrid with ood='odin' needs a torch model")
            assert "use one of ood='msp', 'max_logit'," in str(exc)
        else:
            raise AssertionError("hybrid with ood='odin' was accepted")
        assert LabelingSession.open(db, strategy="ood:gradient").strategy == "ood:gradient"


def test_label_file_rows_with_a_blank_annotator_are_recorded(tmp_path: Path) -> None:
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    (tmp_path / "a.csv").write_text("id,label,annotator\nt20,spam,ann\nt21,ham,\nt22,spam, \n")
    out = _run("al", "label", tmp_path / "a.csv", "--ledger", led)
    assert out.startswith("3 labels recorded")
    with Ledger(led, create=False) as check:
        human = check.labels(source="human").set_index("id")
    assert human.loc["t20", "annotator"] == "ann"
    assert human.loc[["t21", "t22"], "annotator"].isna().all()
    assert human["label"].to_dict() == {"t20": "spam", "t21": "ham", "t22": "spam"}


def test_annotators_who_disagree_in_one_file_are_recorded_for_the_vote(tmp_path: Path) -> None:
    # as two files would be; one annotator giving one item two labels is still refused
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    (tmp_path / "a.csv").write_text("id,label,annotator\nt20,spam,alice\nt20,ham,bob\n"
                                    "t21,ham,alice\nt21,ham,bob\n")
    out = _run("al", "label", tmp_path / "a.csv", "--ledger", led)
    assert out.startswith("4 labels recorded")
    with Ledger(led, create=False) as check:
        human = check.labels(source="human")
    assert sorted(zip(human["id"], human["annotator"], human["label"], strict=True)) == [
        ("t20", "alice", "spam"), ("t20", "bob", "ham"), ("t21", "alice", "ham"),
        ("t21", "bob", "ham")]
    (tmp_path / "b.csv").write_text("id,label,annotator\nt22,spam,alice\nt22,ham,alice\n")
    res = runner.invoke(app, ["al", "label", str(tmp_path / "b.csv"), "--ledger", str(led)])
    assert res.exit_code == 2
    assert ("1 id(s) have different labels from one annotator in" in " ".join(res.output.split())
            and "'t22'" in res.output)


def test_out_of_scope_marks_among_given_labels_and_new_classes(tmp_path: Path) -> None:
    from dataqa.active.labels import ledger_classes

    rows = "".join(f"t{k},{k}.5,{lab}\n" for k, lab in
                   enumerate(["0", "1", "0", "1", "out_of_scope", "-1"] + [""] * 10))
    (tmp_path / "n.csv").write_text("id,x,label\n" + rows)
    (tmp_path / "s.csv").write_text("id,x,label\n" + rows.replace(",0\n", ",ham\n")
                                    .replace(",1\n", ",spam\n"))
    for name, classes, mark in (("n", [0, 1], -1), ("s", ["ham", "spam"], "out_of_scope")):
        led = tmp_path / f"{name}.db"
        out = _run("al", "init", tmp_path / f"{name}.csv", "--ledger", led, "--id-column", "id",
                   "--label-column", "label", "--feature-column", "x")
        assert "6 given labels added" in out
        (tmp_path / "a.csv").write_text("id,label\nt10,-1\nt11,out_of_scope\n")
        out = _run("al", "label", tmp_path / "a.csv", "--ledger", led, "--new-class", "-1",
                   "--new-class", "out_of_scope")
        assert out.startswith("2 labels recorded; 8 labeled items (4 out of scope)")
        with Ledger(led, create=False) as check:
            assert ledger_classes(check) == (classes, "int" if name == "n" else "str")
            latest = check.latest_labels().set_index("id")["label"]
            assert latest[["t4", "t5", "t10", "t11"]].tolist() == [mark] * 4


def test_init_adds_the_text_of_items_pushed_before_it_under_another_column(tmp_path: Path) -> None:
    # `ls push --column comment` before the first `al init --text-column comment` stores
    # {"comment": ...}; the setup's text is added beside it, so `al next` can read it
    led = tmp_path / "l.db"
    data = pd.read_csv(_texts(tmp_path / "d.csv", n=20)).rename(columns={"text": "comment"})
    data.to_csv(tmp_path / "c.csv", index=False)
    with Ledger(led) as db:
        db.add_items(["t15", "t16"], data=[{"comment": data.loc[15, "comment"], "score": 0.5},
                                           {"comment": data.loc[16, "comment"]}])
        # not in the table: one pushed with the same column, one with another
        db.add_items(["x1", "x2"], data=[{"comment": "win a free phone"}, {"body": "hello"}])
    out = _run("al", "init", tmp_path / "c.csv", "--ledger", led, "--text-column", "comment",
               "--label-column", "label", "--id-column", "id")
    assert ("warning: 1 of them ('x2') have no stored value of column 'comment', so `dataqa "
            "al next` cannot score them: add their rows to the table") in out
    with Ledger(led) as db:  # x2 given its text by hand, as a row of the table would
        assert db.item_data(["x1"])["x1"] == {"comment": "win a free phone",
                                              "text": "win a free phone"}
        db.add_items(["x2"], data=[{"body": "hello", "text": "hello"}], replace_data=True)
    out = _run("al", "next", "--ledger", led, "--batch", "8", "--strategy", "random")
    assert "round 1: 8 items (random)" in out
    with Ledger(led, create=False) as check:
        stored = check.item_data(["t15", "t16"])
    assert stored["t15"] == {"comment": "thanks for notes 15", "score": 0.5,
                             "text": "thanks for notes 15"}
    assert stored["t16"] == {"comment": "win cash now 16", "text": "win cash now 16"}


def test_knn_default_k_grows_with_the_labeled_items() -> None:
    from types import SimpleNamespace

    from dataqa.active.session import LabelingSession

    def k_for(n_fit: int) -> int:
        fake = SimpleNamespace(strategy_settings={}, notes_=[])
        return LabelingSession._knn_settings(fake, "ood:knn", n_fit)["k"]

    assert [k_for(n) for n in (1, 20, 999, 5_000, 50_000, 1_000_000)] == [1, 1, 1, 5, 50, 50]


def test_al_init_says_which_empty_columns_it_leaves_out(tmp_path: Path) -> None:
    data = tmp_path / "n.csv"
    pd.DataFrame({"id": [f"r{i}" for i in range(12)], "x": range(12), "y": [1.5] * 12,
                  "label": [0, 1] * 6, "Unnamed: 4": [None] * 12}).to_csv(data, index=False)
    res = runner.invoke(app, ["al", "init", str(data), "--ledger", str(tmp_path / "l.db"),
                              "--label-column", "label", "--id-column", "id"])
    assert res.exit_code == 0, res.output
    assert ("note: column(s) 'Unnamed: 4' hold no value and are left out of the features."
            in " ".join(res.stderr.split()))
    with Ledger(tmp_path / "l.db", create=False) as check:
        assert check.item_data(["r3"])["r3"] == {"features": [3.0, 1.5]}


def test_labels_with_white_space_around_them_are_read_without_it_with_a_note(tmp_path):
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    pd.DataFrame({"id": ["t20", "t21", "t22"], "label": [" spam", "ham ", "ham"]}).to_csv(
        tmp_path / "a.csv", index=False)
    res = runner.invoke(app, ["al", "label", str(tmp_path / "a.csv"), "--ledger", str(led)])
    assert res.exit_code == 0, res.output
    assert ("note: 2 labels in" in res.output and "had white space around the text (e.g. "
            "' spam'); read without it." in " ".join(res.output.split()))
    with Ledger(led, create=False) as check:
        got = check.latest_labels().set_index("id").loc[["t20", "t21", "t22"], "label"]
    assert got.tolist() == ["spam", "ham", "ham"]


def test_answers_that_lost_their_leading_zeros_are_told_so(tmp_path):
    led = tmp_path / "l.db"
    frame = pd.read_csv(_texts(tmp_path / "d.csv"))
    frame["id"] = [f"{k:05d}" for k in range(len(frame))]
    frame.to_csv(tmp_path / "z.csv", index=False)
    _run("al", "init", tmp_path / "z.csv", "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    _run("al", "next", "--ledger", led, "--batch", "3", "--out", tmp_path / "b.csv")
    batch = pd.read_csv(tmp_path / "b.csv")  # as a spreadsheet reads it: 00291 -> 291
    pd.DataFrame({"id": batch["id"], "label": "ham"}).to_csv(tmp_path / "a.csv", index=False)
    res = runner.invoke(app, ["al", "label", str(tmp_path / "a.csv"), "--ledger", str(led)])
    assert res.exit_code == 2
    first = str(batch["id"].iloc[0])
    assert (f"are not items of this ledger: {first!r}") in " ".join(res.output.split())
    assert (f"check the ids (they are the ledger's ids without their leading zeros, e.g. "
            f"{first!r} for {first.zfill(5)!r}, as a spreadsheet saves ids it reads as numbers: "
            f"format the id column as text") in " ".join(res.output.split())
    # some ids unknown for another reason: the ones that lost their zeros are still named
    pd.DataFrame({"id": [*batch["id"], 99999], "label": "ham"}).to_csv(tmp_path / "a.csv",
                                                                      index=False)
    res = runner.invoke(app, ["al", "label", str(tmp_path / "a.csv"), "--ledger", str(led)])
    assert res.exit_code == 2
    assert (f"(3 of them are the ledger's ids without their leading zeros, e.g. {first!r} for "
            f"{first.zfill(5)!r}") in " ".join(res.output.split())
    with Ledger(led, create=False) as check:
        assert len(check.labels("human")) == 0


def test_class_codes_with_leading_zeros_stay_names(tmp_path):
    # classes "02" and "10" (codes, as the file writes them) are names: read back as
    # written, answered by name; "2" is no spelling of "02"
    from dataqa.active.labels import ledger_classes, normalize_new_labels
    from dataqa.errors import LabelError

    led = tmp_path / "l.db"
    (tmp_path / "c.csv").write_text("id,text,label\na,red apple,02\nb,green apple,10\n"
                                    "c,blue car,02\nd,fast car,10\ne,yellow banana,\n")
    _run("al", "init", tmp_path / "c.csv", "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    with Ledger(led, create=False) as check:
        assert check.latest_labels()["label"].tolist() == ["02", "10", "02", "10"]
        assert ledger_classes(check) == (["02", "10"], "str")
        assert normalize_new_labels(check, ["e"], ["10"])[0] == ["10"]
        with pytest.raises(LabelError, match=r"label '2' in the labels \(id 'e'\) is not a "
                                             r"class of this ledger, whose classes are codes "
                                             r"written with leading zeros \('02', '10'\): '2' "
                                             r"is '02' without its zeros"):
            normalize_new_labels(check, ["e"], ["2"])
        with pytest.raises(LabelError, match=r"label '002' in the labels \(id 'e'\) is not "
                                             r"a class of this ledger; the classes are"):
            normalize_new_labels(check, ["e"], ["002"])  # (not "02 without its zeros")
        # --new-class 2 beside the class 02: one number written two ways, refused
        with pytest.raises(LabelError, match=r"classes '02' and '2' \(of this ledger, the "
                                             r"labels or --new-class\) are one number written "
                                             r"two ways"):
            normalize_new_labels(check, ["e"], ["2"], new_classes=["2"])
    # a ledger with no class yet given 02 and 2: refused the same way
    empty = Ledger(tmp_path / "e.db")
    empty.add_items(["a", "b"])
    with pytest.raises(LabelError, match="are one number written two ways"):
        normalize_new_labels(empty, ["a", "b"], ["02", "2"])
    # a ledger that holds both already (an earlier dataqa let them in) still takes labels
    both = Ledger(tmp_path / "b.db")
    both.add_items(["a", "b", "c"])
    both.add_labels(["a", "b"], ["02", "2"], source="given")
    assert normalize_new_labels(both, ["c"], ["02"])[0] == ["02"]
    # in a ledger of other names a code is a name, a bare number is refused
    names = Ledger(tmp_path / "n.db")
    names.add_items(["a", "b", "c"])
    names.add_labels(["a"], ["ham"], source="given")
    assert normalize_new_labels(names, ["b"], ["02"], new_classes=["02"])[:2] == (["02"], ["02"])
    with pytest.raises(LabelError, match=r"class '3' \(of the labels, or --new-class\) does "
                                         r"not fit: the classes of this ledger are names"):
        normalize_new_labels(names, ["b", "c"], ["02", "3"], new_classes=["02", "3"])
    # a class given as 2 in --classes and as 02 in the file: refused, not merged
    res = runner.invoke(app, ["al", "init", str(tmp_path / "c.csv"), "--ledger",
                              str(tmp_path / "m.db"), "--text-column", "text", "--label-column",
                              "label", "--id-column", "id", "--classes", "2,10"])
    assert res.exit_code == 2
    assert ("1 class is spelled in several ways: '2' (--classes) and '02' (label column "
            "'label' of") in " ".join(res.output.split())


def test_empty_rows_below_the_answers_are_left_out(tmp_path):
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    _run("al", "next", "--ledger", led, "--batch", "2", "--out", tmp_path / "b.csv")
    ids = pd.read_csv(tmp_path / "b.csv")["id"].tolist()
    # as a spreadsheet that writes ';' saves it, with two empty rows below the data
    (tmp_path / "a.csv").write_text(f"id;label\n{ids[0]};ham\n{ids[1]};spam\n;\n;\n")
    with pytest.warns(UserWarning, match=r"^2 rows of .*a\.csv' hold no value in any "
                                         r"field \(data rows 3, 4, counted from 1"):
        out = _run("al", "label", tmp_path / "a.csv", "--ledger", led, "--sep", ";")
    assert out.startswith("2 labels recorded")
    # a row with an id and no label is still refused, by its line
    (tmp_path / "a2.csv").write_text(f"id;label\n{ids[0]};\n")
    res = runner.invoke(app, ["al", "label", str(tmp_path / "a2.csv"), "--ledger", str(led),
                              "--sep", ";"])
    assert res.exit_code == 2 and "1 row of" in res.output and "no label (first at line 2)" \
        in " ".join(res.output.split())
    # a label of spaces is no label either (it was "pass --new-class  to add it"); a row
    # with a label and no id is named by its line (it was the id 'nan')
    for name, text, want in (
            ("a3.csv", f"id;label\n{ids[0]};ham\n{ids[1]};   \n", "1 row of"),
            ("a4.csv", f"id;label\n{ids[0]};ham\n;spam\n", "1 row of")):
        (tmp_path / name).write_text(text)
        res = runner.invoke(app, ["al", "label", str(tmp_path / name), "--ledger", str(led),
                                  "--sep", ";"])
        said = " ".join(res.output.split())
        assert res.exit_code == 2 and want in said, said
        assert ("no label (first at line 3)" if name == "a3.csv"
                else "no id (first at line 3); give each row the id of its item") in said
        assert "--new-class" not in said and "'nan'" not in said


def test_init_names_the_file_of_a_missing_column(tmp_path):
    data = _texts(tmp_path / "d.csv")
    res = runner.invoke(app, ["al", "init", str(data), "--ledger", str(tmp_path / "l.db"),
                              "--text-column", "TEXT", "--label-column", "label"])
    assert res.exit_code == 2
    assert (f"text column 'TEXT' is not in {str(data)!r}; its columns are: id, text, label. "
            f"'text' differs from 'TEXT' only in its case") in " ".join(res.output.split())
    assert not (tmp_path / "l.db").exists()


def test_al_init_refuses_the_label_or_id_column_as_a_feature(tmp_path):
    data = tmp_path / "t.csv"
    data.write_text("id,label,a,b\n1,0,1.0,2.0\n2,1,1.5,3.0\n3,,2.0,1.0\n")
    for col, why in (("label", "a feature equal to the label leaks it into the model"),
                     ("id", "ids are not features")):
        res = runner.invoke(app, ["al", "init", str(data), "--ledger", str(tmp_path / "l.db"),
                                  "--label-column", "label", "--id-column", "id",
                                  "--feature-column", col, "--feature-column", "a"])
        assert res.exit_code == 2
        assert (f"the {col} column {col!r} is also given as a feature column (--feature-column); "
                f"{why}. Drop it from the feature columns.") in " ".join(res.output.split())
        assert not (tmp_path / "l.db").exists()


def _fail(*args) -> str:
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code != 0, res.output
    return " ".join(res.output.split())


def test_al_init_refuses_a_class_in_two_cases_and_names_na_as_audit_does(tmp_path: Path):
    data = tmp_path / "case.csv"
    data.write_text("id,text,label\na,hello there,spam\nb,win cash now,Spam\nc,see you,ham\n"
                    "e,free prize,NA\n")
    led = tmp_path / "c.ledger"
    with pytest.warns(UserWarning, match=r"holds 'NA' \(1 rows\), read as a class name"):
        out = _fail("al", "init", data, "--ledger", led, "--text-column", "text",
                    "--label-column", "label", "--id-column", "id")
    out = out.replace(str(tmp_path) + "/", "")
    assert ("label column 'label' of 'case.csv' spells 1 class in several cases: 'spam' (1), "
            "'Spam' (1: row 2) (rows counted from 1 after the header). Case may be "
            "meaningful, so they are not merged" in " ".join(out.split()))
    assert not led.exists() or Ledger(led, create=False).latest_labels().empty
    # the file fixed, a --classes in another case than the file's is refused too
    data.write_text("id,text,label\na,hello there,spam\nb,win cash now,spam\nc,see you,ham\n")
    out = _fail("al", "init", data, "--ledger", led, "--text-column", "text", "--label-column",
                "label", "--id-column", "id", "--classes", "Ham,eggs")
    out = out.replace(str(tmp_path) + "/", "")
    assert ("1 class is spelled in several cases: 'Ham' (--classes) and 'ham' (label column "
            "'label' of 'case.csv')" in out)
    _run("al", "init", data, "--ledger", led, "--text-column", "text", "--label-column",
         "label", "--id-column", "id")
    with Ledger(led, create=False) as check:
        assert check.get_state(CONFIG_KEY)["classes"] == ["ham", "spam"]


def test_al_label_new_class_splits_on_commas_and_adds_only_used_classes(tmp_path: Path):
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv", n=12), "--ledger", led, "--text-column",
         "text", "--label-column", "label", "--id-column", "id")
    ans = tmp_path / "a.csv"
    ans.write_text("id,label\nt1,eggs\nt1,eggs\nt3,ham\n")
    out = _run("al", "label", ans, "--ledger", led, "--new-class", "eggs,bacon",
               "--new-class", "toast")
    assert ("note: new class(es) 'bacon', 'toast' are used by no label in" in out
            and "not added (a class is added with the first label that uses it)" in out)
    assert ("note: 1 row(s) of '" in out and "repeat another row's id and label ('t1'); each "
            "such label is recorded once." in out)
    assert "2 labels recorded;" in out
    with Ledger(led, create=False) as check:
        assert check.get_state(CONFIG_KEY)["classes"] == ["eggs", "ham", "spam"]
        assert "eggs,bacon" not in str(check.get_state(CONFIG_KEY))
    ans.write_text("id,label\nt5,ham\n")
    assert "1 label recorded;" in _run("al", "label", ans, "--ledger", led)
    # with an annotator column the unused class is said once for the file
    ans.write_text("id,label,annotator\nt6,toast,ann\nt7,ham,bob\n")
    out = _run("al", "label", ans, "--ledger", led, "--new-class", "toast,jam")
    assert out.count("new class(es) 'jam' are used by no label") == 1
    with Ledger(led, create=False) as check:
        assert check.get_state(CONFIG_KEY)["classes"] == ["eggs", "ham", "spam", "toast"]


def test_a_new_class_in_another_case_is_refused_and_init_runs_again(tmp_path: Path):
    from dataqa.active.session import LabelingSession

    led = tmp_path / "l.db"
    init = ("al", "init", _texts(tmp_path / "d.csv", n=12), "--ledger", led, "--text-column",
            "text", "--label-column", "label", "--id-column", "id")
    _run(*init)
    ans = tmp_path / "a.csv"
    ans.write_text("id,label\nt1,Spam\n")
    out = _fail("al", "label", ans, "--ledger", led, "--new-class", "Spam")
    assert ("new class 'Spam' differs from the ledger's class 'spam' only in case; label with "
            "'spam' (nothing was recorded).") in out
    # a ledger that holds both spellings (written before the check) can still be set up again
    with Ledger(led, create=False) as raw:
        raw.add_labels(["t2"], ["Spam"], source="human")
    _run(*init)
    # the API splits a comma string as the option does
    ans_led = tmp_path / "api.db"
    _run("al", "init", _texts(tmp_path / "e.csv", n=12), "--ledger", ans_led, "--text-column",
         "text", "--label-column", "label", "--id-column", "id")
    with Ledger(ans_led, create=False) as raw:
        s = LabelingSession.open(raw)
        s.record_labels(["t1", "t3"], ["eggs", "eggs"], new_classes="eggs,bacon")
        assert any("'bacon' are used by no label" in n for n in s.notes_)
    with Ledger(ans_led, create=False) as check:
        assert check.get_state(CONFIG_KEY)["classes"] == ["eggs", "ham", "spam"]


def test_al_label_without_header_points_to_no_header_columns(tmp_path: Path):
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv", n=12), "--ledger", led, "--text-column",
         "text", "--label-column", "label", "--id-column", "id")
    ans = tmp_path / "a.csv"
    ans.write_text("t1,ham\nt3,spam\n")
    out = _fail("al", "label", ans, "--ledger", led)
    assert ("id column 'id' is not in 'a.csv'; its columns are: t1, ham. They look like a "
            "first answer ('t1' is an item of the ledger): if the file has no header line, "
            "read it with --no-header --columns id,label." in out.replace(str(tmp_path) + "/", ""))
    assert "2 labels recorded" in _run("al", "label", ans, "--ledger", led, "--no-header",
                                       "--columns", "id,label")
    # a number among the names (a class given as a number) gets the hint once, not twice
    ans.write_text("t1,1,ann\nt3,0,ann\n")
    out = " ".join(_fail("al", "label", ans, "--ledger", led).split())
    assert out.count("--no-header") == 1 and "--columns id,label,annotator." in out


def test_al_next_k_help_states_the_adaptive_default():
    res = runner.invoke(app, ["al", "next", "--help"], terminal_width=200)
    text = " ".join(res.output.replace("│", " ").split())
    assert "default: one per 1,000 labeled in-scope items for ood:knn" in text
    assert "50 for ood:knn" not in text


def test_ctrl_c_during_al_init_says_whether_the_ledger_was_written(tmp_path: Path,
                                                                   monkeypatch) -> None:
    import dataqa.active.store as store
    from dataqa.ledger import Ledger as _Ledger

    data = _texts(tmp_path / "d.csv", n=20)
    led = tmp_path / "l.db"
    args = ["al", "init", str(data), "--ledger", str(led), "--text-column", "text",
            "--label-column", "label", "--id-column", "id"]

    def stop(*a, **k):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:  # before anything is written
        m.setattr(store, "store_table", stop)
        res = runner.invoke(app, args)
    assert res.exit_code == 130
    assert ("interrupted: nothing was written: no ledger" in " ".join(res.output.split())
            and not led.exists())
    import dataqa.ledger as ledger_module

    def half_made(path, *a, **k):  # Ctrl-C while the new ledger file is being made
        Path(path).write_bytes(b"")
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(ledger_module, "Ledger", half_made)
        res = runner.invoke(app, args)
    assert res.exit_code == 130 and not led.exists()
    assert "interrupted: nothing was written: no ledger" in " ".join(res.output.split())
    with monkeypatch.context() as m:  # after the table's transaction
        m.setattr(_Ledger, "summary", stop)
        res = runner.invoke(app, args)
    assert res.exit_code == 130
    said = " ".join(res.output.split()).replace(str(tmp_path) + "/", "")
    assert ("interrupted: the table had been written to l.db (20 new items, 12 given labels "
            "added); running the same command again is safe: it adds nothing twice." in said)
    with _Ledger(led, create=False) as check:
        assert len(check.items()) == 20
    out = _run(*args)  # the rerun adds nothing
    assert "20 rows read: 0 new items, 0 given labels added" in out
    with monkeypatch.context() as m:  # an existing ledger, interrupted before the commit
        m.setattr(store, "store_table", stop)
        res = runner.invoke(app, args)
    assert res.exit_code == 130 and "so the ledger holds all of it or none of it" in " ".join(
        res.output.split())


def test_al_next_says_when_the_batch_is_capped_at_the_pool(tmp_path: Path) -> None:
    import re

    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv", n=20), "--ledger", led, "--text-column",
         "text", "--label-column", "label", "--id-column", "id")
    out = _run("al", "next", "--ledger", led, "--batch", "100000", "--strategy", "random",
               "--out", tmp_path / "b.csv")
    m = re.search(r"note: the batch of 100,000 is capped at the (\d+) (distinct )?unlabeled "
                  r"items left: this round takes them all\.", out)
    assert m is not None, out
    assert len(pd.read_csv(tmp_path / "b.csv")) == int(m.group(1)) <= 8
    out = _run("al", "status", "--ledger", led)
    assert "capped" not in out


def _two_word_sets(path: Path) -> Path:
    spam = ["win cash now", "free prize today", "claim your reward", "urgent offer call"]
    ham = ["see you at lunch", "thanks for the notes", "running late sorry", "call me later"]
    rows = [{"id": f"t{k}", "text": f"{(spam if k % 2 == 0 else ham)[(k // 2) % 4]} {k}",
             "label": ("spam" if k % 2 == 0 else "ham") if k < 40 else "",
             "split": "dev" if k < 40 else "train"} for k in range(120)]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_a_model_that_predicts_one_class_for_the_dev_items_is_warned_about(tmp_path: Path):
    from sklearn.linear_model import LogisticRegression

    from dataqa.active import LabelingSession

    led = tmp_path / "l.db"
    _run("al", "init", _two_word_sets(tmp_path / "d.csv"), "--ledger", led, "--text-column",
         "text", "--label-column", "label", "--id-column", "id", "--split-column", "split")
    spam = [f"t{k}" for k in range(40, 120, 2)][:30]
    ham = [f"t{k}" for k in range(41, 120, 2)][:3]
    with Ledger(led) as db:
        # an unweighted model on labels mostly of one class (as uncertainty rounds can leave)
        s = LabelingSession.open(db, model=LogisticRegression(C=1.0, max_iter=1000),
                                 batch_size=5, strategy="random")
        batch = s.next_batch()["id"].tolist()
        rest = [i for i in spam if i not in batch]
        s.record_labels(batch + rest + [i for i in ham if i not in batch],
                        ["spam"] * (len(batch) + len(rest))
                        + ["ham"] * len([i for i in ham if i not in batch]))
        m = s.retrain()
        assert m["dev_one_class"] == {"class": "spam", "n": 40, "of": 40, "true": 20}
        assert m["dev_accuracy"] == pytest.approx(0.5, abs=1e-12)
        # the default model (balanced classes) on the same labels does not collapse
        d = LabelingSession.open(db, batch_size=5).retrain()
        assert "dev_one_class" not in d and d["dev_accuracy"] > 0.6
    out = _run("al", "status", "--ledger", led)
    assert ("warning: in round 1, the model predicts 'spam' for 40 of 40 dev items, of which "
            "20 are 'spam': it has collapsed onto one class" in out)
    assert "class_weight='balanced'" in out


def test_status_of_a_pushed_open_round_says_answers_count_once_pulled(tmp_path: Path):
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv", n=30), "--ledger", led, "--text-column",
         "text", "--label-column", "label", "--id-column", "id")
    _run("al", "next", "--ledger", led, "--batch", "3", "--strategy", "entropy")
    assert "Skips given in Label Studio" not in _run("al", "status", "--ledger", led)
    with Ledger(led, create=False) as raw:  # an earlier push, of other items
        batch = list(raw.rounds()["batch_ids"].iloc[0])
        other = [i for i in raw.items()["id"] if i not in batch][:2]
        raw.create_queue("old/active", kind="active", project="old")
        raw.add_queue_items("old/active", other)
        raw.record_tasks("old/active", {i: 100 + k for k, i in enumerate(other)},
                         project="old")
    assert "Skips given in Label Studio" not in _run("al", "status", "--ledger", led)
    with Ledger(led, create=False) as raw:  # what `al next --push` records
        raw.create_queue("p/active", kind="active", project="p")
        raw.add_queue_items("p/active", batch)
        raw.record_tasks("p/active", {i: k for k, i in enumerate(batch)}, project="p")
    out = _run("al", "status", "--ledger", led)
    assert "round 1 is open: 3 of 3 items still need a label or skip" in out
    assert ("(answers and Skips given in Label Studio count once pulled: `dataqa ls pull "
            "--ledger ... --project 'p'`)") in out


def test_al_init_notes_items_without_text(tmp_path: Path):
    data = tmp_path / "d.csv"
    _texts(data, n=20)
    df = pd.read_csv(data, keep_default_na=False)
    df.loc[[3, 7], "text"] = ["", "   "]
    df.to_csv(data, index=False)
    out = _run("al", "init", data, "--ledger", tmp_path / "l.db", "--text-column", "text",
               "--label-column", "label", "--id-column", "id")
    assert ("note: 2 item(s) have no text in column 'text' ('t3', 't7'); they stay in the "
            "pool" in out)
    assert "20 new items" in out
    out = _run("al", "init", _texts(tmp_path / "full.csv", n=20), "--ledger",
               tmp_path / "m.db", "--text-column", "text", "--label-column", "label",
               "--id-column", "id")
    assert "no text in column" not in out


@pytest.mark.parametrize(("n_ham_pred", "truth_spam", "warned"), [
    (0, 28, True),    # 86% ham dev labels (as SMS), every item called ham
    (7, 28, True),    # a quarter of the spam count called spam, at most: collapsed
    (8, 28, False),   # more than a quarter
    (0, 4, False),    # too few other labels to tell
    (0, 100, True),   # half and half, one class predicted
    (11, 28, False),  # ham for fewer than 95% of the items
])
def test_a_collapsed_model_is_told_apart_whatever_the_majority_share(n_ham_pred, truth_spam,
                                                                     warned):
    from dataqa.active.session import _collapsed_onto

    n = 200
    truth = ["spam"] * truth_spam + ["ham"] * (n - truth_spam)
    pred = ["spam"] * n_ham_pred + ["ham"] * (n - n_ham_pred)
    got = _collapsed_onto(pred, truth)
    if warned:
        assert got == {"class": "ham", "n": n - n_ham_pred, "of": n, "true": n - truth_spam}
    else:
        assert got is None
    assert _collapsed_onto(pred[:19], truth[:19]) is None  # below 20 dev items


def test_an_interrupted_al_next_says_whether_its_round_was_recorded(tmp_path: Path,
                                                                   monkeypatch):
    import dataqa.active.cli as al_cli
    from dataqa.active.session import LabelingSession

    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:  # before the round is picked
        m.setattr(LabelingSession, "next_batch", stop)
        res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--batch", "3"])
    assert res.exit_code == 130
    assert ("interrupted: run the same command again: a round recorded before the interrupt "
            "is shown again, not picked twice.") in " ".join(res.output.split())
    with monkeypatch.context() as m:  # picked and recorded, interrupted while shown
        m.setattr(al_cli, "print_table", stop)
        res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--batch", "3"])
    assert res.exit_code == 130
    assert ("interrupted: round 1 was recorded (its items picked); the same command run "
            "again shows it again: nothing is picked twice.") in " ".join(res.output.split())
    out = _run("al", "next", "--ledger", led, "--batch", "3")
    assert "round 1 is still open: 3 of 3 items to label or skip" in out


def test_answers_with_padded_ids_are_not_taken_for_another_ledgers(tmp_path):
    # a spreadsheet left spaces around the ids: they are recorded as the batch's ids, so
    # the note about a file meant for another ledger must not come
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    _run("al", "next", "--ledger", led, "--batch", "3", "--out", tmp_path / "b.csv")
    batch = pd.read_csv(tmp_path / "b.csv")
    pd.DataFrame({"id": [f" {i} " for i in batch["id"]], "label": "ham"}).to_csv(
        tmp_path / "a.csv", index=False)
    res = runner.invoke(app, ["al", "label", str(tmp_path / "a.csv"), "--ledger", str(led)])
    assert res.exit_code == 0, res.output
    assert "meant for another ledger" not in res.output
    with Ledger(led, create=False) as check:
        got = check.latest_labels().set_index("id")["label"]
    assert all(got.get(i) == "ham" for i in batch["id"])
    # ids that are not the waiting items' still get the note
    pd.DataFrame({"id": ["t30"], "label": "ham"}).to_csv(tmp_path / "c.csv", index=False)
    _run("al", "next", "--ledger", led, "--batch", "3", "--out", tmp_path / "b2.csv")
    taken = set(pd.read_csv(tmp_path / "b2.csv")["id"])
    other = next(f"t{k}" for k in range(12, 40) if f"t{k}" not in taken | set(batch["id"]))
    pd.DataFrame({"id": [other], "label": "ham"}).to_csv(tmp_path / "c.csv", index=False)
    res = runner.invoke(app, ["al", "label", str(tmp_path / "c.csv"), "--ledger", str(led)])
    assert "was the file meant for another ledger?" in " ".join(res.output.split())


def test_labels_that_mix_numbers_and_names_are_counted_once_each(tmp_path):
    df = pd.DataFrame({"id": [f"r{i}" for i in range(40)],
                       "text": [f"text {i} words" for i in range(40)],
                       "label": [str(i % 2) for i in range(40)]})
    df.loc[[10, 30], "label"] = "spam"
    df.loc[20, "label"] = "ham"
    df.to_csv(tmp_path / "mix.csv", index=False)
    res = runner.invoke(app, ["al", "init", str(tmp_path / "mix.csv"), "--ledger",
                              str(tmp_path / "l.db"), "--text-column", "text", "--label-column",
                              "label", "--id-column", "id"])
    assert res.exit_code == 2
    assert (f"class numbers ('0' (17 labels), '1' (20 labels)) and class names ('spam' (2 "
            f"labels), 'ham' (1 label)) are mixed in label column 'label' of "
            f"{str(tmp_path / 'mix.csv')!r}; use one kind for every label (the class names "
            f"are the fewer: look for them first).") in " ".join(res.output.split())


def test_al_label_interrupted_says_whether_the_file_was_recorded(tmp_path: Path, monkeypatch):
    from dataqa.active.session import LabelingSession

    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    _run("al", "next", "--ledger", led, "--batch", "4", "--out", tmp_path / "b.csv")
    ids = pd.read_csv(tmp_path / "b.csv")["id"].tolist()
    pd.DataFrame({"id": ids, "label": ["ham"] * 4}).to_csv(tmp_path / "a.csv", index=False)
    with Ledger(led, create=False) as check:
        before = len(check.labels())

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(LabelingSession, "retrain", interrupted)
    res = runner.invoke(app, ["al", "label", str(tmp_path / "a.csv"), "--ledger", str(led)])
    assert res.exit_code == 130
    assert (f"interrupted: nothing of {str(tmp_path / 'a.csv')!r} was recorded (its labels are "
            f"written all at once, with the retrain); run the same command again."
            in " ".join(res.output.split()))
    with Ledger(led, create=False) as check:
        assert len(check.labels()) == before


def test_al_status_of_a_ledger_no_init_finished_on_says_to_run_init(tmp_path: Path) -> None:
    Ledger(tmp_path / "e.db").close()  # as a first `al init` killed before it wrote
    out = _run("al", "status", "--ledger", tmp_path / "e.db")
    assert "not set up for active learning (no `al init` has finished on it" in out
    assert "picks the first batch" not in out


def test_a_refused_push_with_a_round_open_says_the_round_stays_open(tmp_path, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    led = tmp_path / "l.db"
    _run("al", "init", _texts(tmp_path / "d.csv"), "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id")
    _run("al", "next", "--ledger", led, "--batch", "3")  # round 1, open
    res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--push", "--project", "p",
                              "--classes", "cat"])
    assert res.exit_code == 2
    out = " ".join(res.output.split())
    assert ("--classes 'cat' names 1 class; give at least two, comma-separated (--classes "
            "a,b,...); round 1 stays open and nothing was pushed.") in out
    assert "no round was picked" not in out
    res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--push", "--project", "p",
                              "--classes", "no,yes"])
    assert res.exit_code == 2
    assert ("are not all among the classes of the push ['no', 'yes'], so the model's "
            "predictions could not be shown; give --classes ham,spam (a project with these "
            "classes); round 1 stays open and nothing was pushed.") in " ".join(
        res.output.split())
    with Ledger(led, create=False) as check:
        assert check.rounds()["round"].tolist() == [1]


def test_whole_numbers_written_as_decimals_are_class_numbers(tmp_path):
    # answers of a column with a gap, as pandas writes it: in a ledger of class numbers 1.0
    # is class 1, -1.0 out of scope, and a new 7.0 is told to be added as --new-class 7
    # (not 7.0, which is then refused); in a ledger of names they stay names
    from dataqa.active.labels import normalize_new_labels
    from dataqa.errors import LabelError
    from dataqa.ledger import Ledger

    led = Ledger(tmp_path / "l.db")
    led.add_items(["a", "b"])
    led.add_labels(["a", "b"], [0, 1], source="given")
    assert normalize_new_labels(led, ["a", "b"], ["1.0", " -1.0 "])[0] == [1, -1]
    with pytest.raises(LabelError, match=r"label '7\.0' in the labels \(id 'a'\) is not a class "
                                         r"of this ledger; the classes are: 0, 1\. Fix the "
                                         r"label, or pass --new-class 7 to add it"):
        normalize_new_labels(led, ["a"], ["7.0"])
    with pytest.raises(LabelError, match="is not a whole number"):
        normalize_new_labels(led, ["a"], ["1.5"])
    assert normalize_new_labels(led, ["a"], ["7.0"], new_classes=["7.0"])[:2] == ([7], [7])
    names = Ledger(tmp_path / "n.db")
    names.add_items(["a", "b", "c"])
    names.add_labels(["a", "b", "c"], ["neg", "-1.0", "0.5"], source="given")
    assert normalize_new_labels(names, ["a", "b"], ["-1.0", "0.5"])[0] == ["-1.0", "0.5"]


def test_batch_text_that_a_spreadsheet_would_run_is_written_as_text(tmp_path: Path) -> None:
    # al next --out writes a sheet for annotators: a text that opens as a formula starts
    # with ', and the answers are read back by id as before
    data = _texts(tmp_path / "d.csv")
    frame = pd.read_csv(data, dtype=str, keep_default_na=False)
    frame.loc[frame.index[12:], "text"] = [f"=HYPERLINK(\"x\",\"{k}\")" for k in range(28)]
    frame.to_csv(data, index=False)
    led = tmp_path / "l.db"
    _run("al", "init", data, "--ledger", led, "--text-column", "text", "--label-column",
         "label", "--id-column", "id")
    _run("al", "next", "--ledger", led, "--batch", "3", "--strategy", "random",
         "--out", tmp_path / "b.csv")
    batch = pd.read_csv(tmp_path / "b.csv", dtype=str, keep_default_na=False)
    truth = frame.set_index("id")["text"]
    assert batch["text"].tolist() == ["'" + truth[i] for i in batch["id"]]
    pd.DataFrame({"id": batch["id"], "label": "ham"}).to_csv(tmp_path / "a.csv", index=False)
    assert "3 labels recorded" in _run("al", "label", tmp_path / "a.csv", "--ledger", led)


def test_al_init_finds_features_as_audit_does_no_stray_cell_no_row_number(tmp_path: Path):
    """Found rather than named, the features leave out a column of row numbers (with a
    warning) and refuse a column of numbers with one stray cell, naming it; before, the
    number column became a feature and the column with a '?' was dropped without a word."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": range(1, 41), "a": rng.normal(size=40),
                          "b": rng.normal(size=40).astype(object),
                          "label": ["1", "0"] * 5 + [""] * 30})
    frame.to_csv(tmp_path / "ok.csv", index=False)
    with pytest.warns(UserWarning, match="'id' is left out of the features"):
        res = runner.invoke(app, ["al", "init", str(tmp_path / "ok.csv"), "--ledger",
                                  str(tmp_path / "l.db"), "--label-column", "label"])
    assert res.exit_code == 0, res.output
    with Ledger(tmp_path / "l.db", create=False) as check:
        assert check.get_state(CONFIG_KEY)["feature_columns"] == ["a", "b"]
    res = runner.invoke(app, ["al", "next", "--ledger", str(tmp_path / "l.db"), "--batch", "2"],
                        terminal_width=200)
    header = next(line for line in res.output.splitlines() if "score" in line)
    assert "prediction" in header and "text" not in header  # no text, no empty column
    frame.loc[10, "b"] = "?"
    frame.to_csv(tmp_path / "bad.csv", index=False)
    res = runner.invoke(app, ["al", "init", str(tmp_path / "bad.csv"), "--ledger",
                              str(tmp_path / "m.db"), "--label-column", "label",
                              "--id-column", "id"])
    assert res.exit_code == 2
    assert ("bad.csv' is numeric except for 1 cell (row 11: '?'); fix those "
            "cells, or name the feature columns to use (--feature-column") in " ".join(
        res.output.split())


def test_al_next_says_when_only_dev_items_are_left(tmp_path: Path):
    frame = pd.read_csv(_texts(tmp_path / "d.csv"))
    frame["split"] = "dev"
    frame.loc[frame["label"].notna(), "split"] = "train"
    frame.to_csv(tmp_path / "s.csv", index=False)
    led = tmp_path / "l.db"
    _run("al", "init", tmp_path / "s.csv", "--ledger", led, "--text-column", "text",
         "--label-column", "label", "--id-column", "id", "--split-column", "split")
    res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--batch", "2"])
    assert res.exit_code == 2
    assert ("no pool item is left to query: every item outside the dev split is labeled or "
            "skipped, and the 28 dev items (28 of them unlabeled) are held out to measure "
            "the model, never queried.") in " ".join(res.output.split())
