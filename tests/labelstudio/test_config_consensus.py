"""Label configs and consensus labels (no server needed), plus server-side config validation."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from dataqa.errors import (
    InvalidSettingError,
    LabelStudioProjectError,
    MissingColumnError,
    UnknownNameError,
)
from dataqa.labelstudio import config_classes, consensus_labels, label_config


@pytest.mark.parametrize("kind,tag", [("text", "Text"), ("image", "Image"), ("table", "Table")])
def test_label_config_round_trips_class_names(kind, tag):
    names = ["ham", "spam & eggs", 'say "hi"']
    cfg = label_config(names, data_kind=kind)
    assert f'<{tag} name="{kind}" value="${kind}"/>' in cfg
    assert config_classes(cfg) == names


def test_label_config_rejects_bad_input():
    with pytest.raises(InvalidSettingError, match="at least 2 classes"):
        label_config(["only"])
    with pytest.raises(InvalidSettingError, match="repeat"):
        label_config(["a", "b", "a"])
    with pytest.raises(InvalidSettingError, match="single string"):
        label_config("ab")
    with pytest.raises(UnknownNameError, match="known data kinds are: image, table, text"):
        label_config(["a", "b"], data_kind="audio")
    with pytest.raises(InvalidSettingError, match="letters, digits"):
        label_config(["a", "b"], column="bad column!")
    # Label Studio shows the task's field for '$text' and 'undefined' for '$5' in a choice
    with pytest.raises(InvalidSettingError, match=r"class names '\$text', 'price in \$USD' "
                                                  r"hold '\$' before a letter.*'\$text' would "
                                                  r"be shown as '<field>'"):
        label_config(["$text", "price in $USD", "US$", "cost $ 5"])
    assert config_classes(label_config(["US$", "cost $ 5", "$"])) == ["US$", "cost $ 5", "$"]


def test_config_classes_errors():
    with pytest.raises(LabelStudioProjectError, match="no <Choices> tag"):
        config_classes('<View><Text name="t" value="$t"/></View>')
    with pytest.raises(LabelStudioProjectError, match="not valid XML"):
        config_classes("<View>")


def test_a_project_showing_task_fields_the_tasks_lack_is_refused_as_label_studio_reads_it():
    from dataqa.errors import LabelStudioProjectError
    from dataqa.labelstudio.project_setup import check_data_fields

    fields = ["context", "dataqa_id", "text"]

    def check(config):
        check_data_fields({"label_config": config, "title": "p", "id": 7}, fields)

    check(label_config(["BUY", "SELL"]).replace('"BUY"', '"$BUY"').replace(
        '"SELL"', '"$SELL"'))  # (a project made otherwise) class names are no task fields
    check('<View><Header value="$source"/><Text name="text" value="$text.body"/>'
          '<!-- <Text name="old" value="$body"/> --><Labels name="l" toName="text">'
          '<Label value="$money"/></Labels></View>')  # as Label Studio reads it: accepted
    with pytest.raises(LabelStudioProjectError, match=re.escape(
            "project 'p' (id 7) shows the task field(s) $table, which this push's tasks lack "
            "(they carry context, dataqa_id, text): it was made for other items")):
        check(label_config(["a", "b"], data_kind="table"))
    with pytest.raises(LabelStudioProjectError, match=r"\$body"):
        check("<View><Text name='t2' value='$body'/><Text name='text' value='$text'/></View>")


def test_server_accepts_generated_configs_and_rejects_broken_ones(ls_client):
    for kind in ("text", "image", "table"):
        ls_client.validate_config(label_config(["neg", "pos", "neutral"], data_kind=kind))
    broken = '<View><Choices name="x" toName="nope"><Choice value="a"/></Choices></View>'
    with pytest.raises(LabelStudioProjectError, match="toName"):
        ls_client.validate_config(broken)


def _annotations():
    return pd.DataFrame({
        "id": ["a", "a", "a", "b", "b", "c", "d", "d"],
        "label": [0, 0, 1, 1, 1, 0, 1, 0],
        "annotator": ["x", "y", "z", "x", "y", "x", "y", "z"],
    })


def test_consensus_by_agreement():
    res = consensus_labels(_annotations(), class_names=["ham", "spam"])
    items = res.items.set_index("id")
    assert res.method == "agreement"
    # d is a 1-1 tie of classes chosen equally often overall: the lower index shows
    assert items["label"].to_dict() == {"a": 0, "b": 1, "c": 0, "d": 0}
    assert items["tied"].to_dict() == {"a": False, "b": False, "c": False, "d": True}
    assert items.loc["a", "agreement"] == pytest.approx(2 / 3)
    assert items.loc["b", "issue_score"] == pytest.approx(0.0)
    assert items.loc["d", "agreement"] == pytest.approx(0.5)
    assert res.needs_review == ["d"]
    ann = res.annotators.set_index("annotator")
    # the tie d counts for neither y nor z: z is rated on a alone, where z said 1
    assert ann.loc["z", "agreement"] == pytest.approx(0.0)
    assert ann.loc["y", "agreement"] == pytest.approx(1.0)
    assert ann.loc["x", "n_labeled"] == 3
    assert list(items["label_name"]) == [["ham", "spam"][k] for k in items["label"]]


def test_consensus_with_pred_probs_uses_crowdlab():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
    res = consensus_labels(_annotations(), n_classes=2, ids=list("abcd"), pred_probs=probs,
                           min_annotations=2)
    items = res.items.set_index("id")
    assert res.method == "crowdlab"
    assert items.loc["a", "label"] == 0 and items.loc["b", "label"] == 1
    assert items.loc["a", "issue_score"] < items.loc["d", "issue_score"]
    assert "c" in res.needs_review  # one annotation only
    assert set(res.annotators["annotator"]) == {"x", "y", "z"}


def test_consensus_validates_input():
    with pytest.raises(MissingColumnError, match="annotator"):
        consensus_labels(pd.DataFrame({"id": ["a"], "label": [0]}))
    with pytest.raises(InvalidSettingError, match="needs ids"):
        consensus_labels(_annotations(), pred_probs=np.ones((4, 2)) / 2)
    with pytest.raises(InvalidSettingError, match=r"shape \(n_items, 2\)"):
        consensus_labels(_annotations(), ids=list("abcd"), pred_probs=np.ones((4, 3)) / 3)
    with pytest.raises(InvalidSettingError, match="in 0..1"):
        consensus_labels(_annotations().assign(label=5), n_classes=2)


def test_consensus_reads_names_and_refuses_what_it_cannot_use():
    names = _annotations().assign(label=lambda d: d["label"].map({0: "ham", 1: "spam"}))
    by_name = consensus_labels(names, class_names=["ham", "spam"])
    by_index = consensus_labels(_annotations(), class_names=["ham", "spam"])
    pd.testing.assert_frame_equal(by_name.items, by_index.items)
    with pytest.raises(InvalidSettingError, match=r"annotation labels \['ham', 'spam'\] are "
                                                  r"names; pass class_names"):
        consensus_labels(names)
    with pytest.raises(InvalidSettingError, match=r"\['eggs'\] are not among class_names"):
        consensus_labels(names.assign(label="eggs"), class_names=["ham", "spam"])
    # names and indices mixed, and class names that are numbers: names only
    mixed = names.assign(label=["0"] + names["label"].tolist()[1:])
    with pytest.raises(InvalidSettingError, match=r"\['0'\] are not among class_names"):
        consensus_labels(mixed, class_names=["ham", "spam"])
    digits = _annotations().assign(label=lambda d: (d["label"] + 1).astype(str))
    got = consensus_labels(digits, class_names=["1", "2"]).items["label_name"].tolist()
    assert got == [["1", "2"][k] for k in consensus_labels(_annotations(), n_classes=2)
                   .items["label"]]
    with pytest.raises(InvalidSettingError, match=r"\['0'\] are not among class_names "
                                                  r"\['1', '2', '3'\]; give every label as "
                                                  r"a class name\."):
        consensus_labels(digits.assign(label=["0"] + digits["label"].tolist()[1:]),
                         class_names=["1", "2", "3"])
    # numbers as labels are class indices (as pulled labels are), whatever the names
    assert consensus_labels(_annotations(), class_names=["1", "2"]).items[
        "label_name"].tolist() == got
    # indices with class names given still read as indices
    assert consensus_labels(_annotations().assign(label=lambda d: d["label"].astype(str)),
                            class_names=["ham", "spam"]).items["label"].tolist() == \
        by_index.items["label"].tolist()
    with pytest.raises(InvalidSettingError, match=r"ids repeats 1 item\(s\) \(\['a'\]\)"):
        consensus_labels(_annotations(), ids=list("abcda"),
                         pred_probs=np.full((5, 2), 0.5))
    with pytest.raises(InvalidSettingError, match=r"pred_probs row\(s\) \[0, 1, 2, 3\] are "
                                                  r"not probabilities"):
        consensus_labels(_annotations(), ids=list("abcd"), pred_probs=np.full((4, 2), 5.0))
    # annotations without an annotator each count as their own annotator: none is lost
    ann = _annotations()
    ann["annotator"] = ann["annotator"].astype(object)
    ann.loc[ann["id"] == "a", "annotator"] = None
    with pytest.warns(UserWarning, match="have no annotator; each counts"):
        res = consensus_labels(ann, n_classes=2)
    a = res.items.set_index("id").loc["a"]
    assert a["n_annotations"] == (_annotations()["id"] == "a").sum()
    # ... and share one row of the annotators table, with their count
    none = res.annotators[res.annotators["annotator"] == "<no annotator>"]
    assert len(none) == 1 and none["n_labeled"].item() == a["n_annotations"]
    assert not res.annotators["annotator"].str.startswith("<no annotator>-").any()
    assert res.annotators["n_labeled"].sum() == len(ann)


def test_consensus_gives_ids_back_as_given_and_names_the_worst_class():
    ann = pd.DataFrame({"id": [7, 7, 7, 8, 8, 8, 9, 9, 9],
                        "label": ["spam", "spam", "ham", "ham", "ham", "ham", "spam", "spam",
                                  "ham"],
                        "annotator": ["x", "y", "z"] * 3})
    res = consensus_labels(ann, class_names=["ham", "spam"])
    assert res.items["id"].tolist() == [7, 8, 9]
    assert all(isinstance(i, (int, np.integer)) for i in res.needs_review + [7])
    z = res.annotators.set_index("annotator").loc["z"]
    assert z["worst_class"] == 1 and z["worst_class_name"] == "spam"
    probs = np.array([[0.2, 0.8], [0.9, 0.1], [0.3, 0.7]])
    res = consensus_labels(ann, class_names=["ham", "spam"], ids=[7, 8, 9], pred_probs=probs)
    assert res.method == "crowdlab" and res.items["id"].tolist() == [7, 8, 9]
    assert set(res.annotators["worst_class_name"].dropna()) <= {"ham", "spam"}
    # an annotator who always agrees with the consensus has no worst class
    votes = consensus_labels(ann, class_names=["ham", "spam"]).annotators.set_index("annotator")
    assert votes.loc["x", "agreement"] == 1.0 and pd.isna(votes.loc["x", "worst_class"])
    assert pd.isna(votes.loc["x", "worst_class_name"])
    assert str(votes["worst_class"].dtype) == "Int64"


def test_consensus_edge_cases_of_real_pulls():
    rows = [(101, "ham", "alice"), (101, "ham", "bob"), (101, "spam", "carol"),
            (102, "spam", "alice"), (102, "ham", "bob"),
            (103, "spam", "alice"), (103, "spam", None), (103, "spam", None),
            (104, "ham", None),
            (105, "ham", "alice"), (105, "spam", "bob"), (105, "spam", "carol"),
            (105, "ham", None), (106, "spam", "carol"), (106, "spam", "carol")]
    ann = pd.DataFrame(rows, columns=["id", "label", "annotator"])
    probs = [[.1, .9], [.4, .6], [.8, .2], [.3, .7], [.45, .55], [.9, .1], [.5, .5]]
    with pytest.warns(UserWarning, match="have no annotator"):
        res = consensus_labels(ann, class_names=["ham", "spam"],
                               ids=[106, 105, 104, 103, 102, 101, 107], pred_probs=probs)
    none = res.annotators.set_index("annotator").loc["<no annotator>"]
    assert none["n_labeled"] == 4 and np.isfinite(none["quality"])  # unrated ones left out
    with pytest.raises(InvalidSettingError, match=r"1 annotation\(s\) have no item id \(first "
                                                  r"at row 16\); drop those rows first"):
        consensus_labels(pd.concat([ann, pd.DataFrame([(None, "ham", "alice")],
                                                      columns=ann.columns)]),
                         class_names=["ham", "spam"])
    numbered = pd.DataFrame({"id": ["a", "a", "b", "b", "c"], "label": [0, 1, 1, 1, 0],
                             "annotator": [7, 8, 7, 8, np.nan]})
    with pytest.warns(UserWarning, match="have no annotator"):
        names = set(consensus_labels(numbered, n_classes=2).annotators["annotator"])
    assert names == {"7", "8", "<no annotator>"}


def test_consensus_says_when_it_falls_back_to_votes():
    one = pd.DataFrame({"id": ["x", "y", "z"], "label": [0, 1, 1], "annotator": ["a"] * 3})
    with pytest.warns(UserWarning, match="CROWDLAB could not weigh pred_probs"):
        res = consensus_labels(one, ids=["x", "y", "z"],
                               pred_probs=np.array([[.9, .1], [.2, .8], [.9, .1]]))
    assert res.method == "agreement"


def test_consensus_keeps_the_global_random_state_and_repeats_itself():
    tie = pd.DataFrame({"id": ["a", "a", "b", "b"], "label": [0, 1, 1, 0],
                        "annotator": ["x", "y", "x", "y"]})
    np.random.seed(123)
    state = np.random.get_state()
    first = consensus_labels(tie, n_classes=2).items
    after = np.random.get_state()
    assert state[0] == after[0] and (state[1] == after[1]).all() and state[2] == after[2]
    np.random.seed(999)  # another global state: the same consensus
    pd.testing.assert_frame_equal(consensus_labels(tie, n_classes=2).items, first)
    assert first["label"].tolist() == [0, 0]  # a 1-1 tie of equal classes: the lower one


def test_an_annotator_answering_two_tasks_of_an_item_counts_once_newest_first(tmp_path):
    # one annotator answered two tasks of item "a" (pushed to two queues): the newer
    # answer counts, by its time, not by its row (task) order, as in the ledger
    from dataqa.ledger import Ledger

    rows = pd.DataFrame({
        "id": ["a", "a", "a", "b", "b"],
        "label": [1, 0, 0, 1, 1],
        "annotator": ["x", "x", "y", "x", "y"],
        "task_id": [10, 20, 10, 11, 11],
        "created_at": ["2024-01-01T09:00:00Z"] * 5,
        "updated_at": ["2024-01-03T09:00:00Z", "2024-01-02T09:00:00Z", "2024-01-01T09:00:00Z",
                       None, "2024-01-01T09:00:00Z"],
    })
    cons = consensus_labels(rows, class_names=["ham", "spam"]).items.set_index("id")
    assert cons.loc["a", "n_annotations"] == 2 and cons.loc["a", "agreement"] == 0.5
    assert cons.loc["b", "label"] == 1
    with Ledger(tmp_path / "l.db") as led:
        led.add_items(["a", "b"])
        led.upsert_external_labels([
            {"item_id": r.id, "label": int(r.label), "source": "human", "annotator": r.annotator,
             "external_id": f"e{k}", "created_at": r.created_at, "updated_at": r.updated_at}
            for k, r in enumerate(rows.itertuples())])
        latest = led.latest_labels().set_index("id")["label"]
    # the ledger counts x's newer answer too: x says 1, y says 0, the tie goes to the
    # newest, 1 (had x's older 0 counted, both would say 0)
    assert latest.to_dict() == {"a": 1, "b": 1}
    # without times, the last row counts, as before
    plain = consensus_labels(rows[["id", "label", "annotator"]], class_names=["ham", "spam"])
    assert plain.items.set_index("id").loc["a", "agreement"] == 1.0


def test_an_answer_without_a_time_is_the_annotators_newest():
    rows = pd.DataFrame({"id": ["a", "a", "a"], "label": [1, 0, 0],
                         "annotator": ["x", "x", "y"],
                         "updated_at": ["2024-01-02T00:00:00Z", None, "2024-01-01T00:00:00Z"]})
    items = consensus_labels(rows, class_names=["ham", "spam"]).items
    assert items["agreement"].tolist() == [1.0]  # x's untimed 0 is newer than x's 1
    bad = rows.assign(updated_at=["2024-01-02T00:00:00Z", "yesterday", None])
    with pytest.warns(UserWarning, match=r"1 annotation\(s\) have a time that cannot be read "
                                         r"\(first at row 2\); each counts as its"):
        items = consensus_labels(bad, class_names=["ham", "spam"]).items
    assert items["agreement"].tolist() == [1.0]


def test_instructions_speak_of_priority_only_for_queues_that_have_one():
    from dataqa.labelstudio.project_setup import instructions

    verify = instructions([("verify", "verify", "none", 24)], ["ham", "spam"])
    assert "in the order they were pushed" in verify and "priority" not in verify
    review = instructions([("review", "review", "none", 5)], ["ham", "spam"])
    assert "Items come highest priority first within each push" in review
    assert "serves them in the order they were sent" in review
