"""Consensus rules: CROWDLAB never overrules agreeing annotators, and ties are explicit."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from dataqa.labelstudio import consensus_labels


def _pairs(seed: int, n: int = 120, confidence: float = 0.9):
    """Seeded items, each labeled by two of four annotators (85% right), and a model
    right on 85% of them with ``confidence`` on its class."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n)
    rows = []
    for i in range(n):
        for who in rng.choice(["w", "x", "y", "z"], size=2, replace=False):
            rows.append((f"i{i}", int(truth[i] if rng.random() < 0.85 else 1 - truth[i]), who))
    ann = pd.DataFrame(rows, columns=["id", "label", "annotator"])
    pred = np.where(rng.random(n) < 0.85, truth, 1 - truth)
    probs = np.where(pred[:, None] == np.arange(2), confidence, 1 - confidence)
    return ann, [f"i{i}" for i in range(n)], probs


def _quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return consensus_labels(*args, **kwargs)


def test_crowdlab_keeps_the_label_two_agreeing_annotators_chose_and_flags_the_doubt():
    ann = pd.DataFrame({"id": list("abcde") * 2,
                        "label": ["ham", "spam", "spam", "ham", "spam",
                                  "ham", "ham", "spam", "ham", "ham"],
                        "annotator": ["alice"] * 5 + ["bob"] * 5})
    probs = np.array([[.99, .01], [.98, .02], [.965, .035], [.96, .04], [.948, .052]])
    with pytest.warns(UserWarning, match=r"CROWDLAB weighs every annotator at its floor "
                                         r"\(1e-06\): on the 5 item\(s\) with several "
                                         r"annotations .* and neither does the model"):
        res = consensus_labels(ann, class_names=["ham", "spam"], ids=list("abcde"),
                               pred_probs=probs)
    c = res.items.set_index("id").loc["c"]
    # both said spam, the model ham: the consensus stays spam, rated as doubtful
    assert (c["label_name"], c["agreement"], c["tied"]) == ("spam", 1.0, False)
    assert c["issue_score"] == pytest.approx(0.5169, abs=1e-3)
    assert bool(c["needs_review"])
    # b and e are 1-1 ties the model breaks: shown as ham, flagged as ties
    items = res.items.set_index("id")
    assert items["label_name"].to_dict() == {"a": "ham", "b": "ham", "c": "spam", "d": "ham",
                                             "e": "ham"}
    assert res.needs_review == ["b", "c", "e"]


def test_crowdlab_never_shows_a_class_no_annotator_chose():
    # a confident model wrong on 15% of 120 items: it never outvotes the annotators
    ann, ids, probs = _pairs(seed=1, confidence=0.99)
    res = _quiet(ann, n_classes=2, ids=ids, pred_probs=probs)
    assert res.method == "crowdlab"
    assert (res.items["agreement"] > 0).all()
    wide = ann.pivot(index="id", columns="annotator", values="label").reindex(ids)
    votes = np.stack([(wide.to_numpy() == k).sum(axis=1) for k in (0, 1)], axis=1)
    shown = votes[np.arange(len(ids)), res.items["label"].to_numpy()]
    assert (shown == votes.max(axis=1)).all()  # always one of the most voted classes


def test_crowdlab_weights_at_cleanlabs_floor_warn_and_sound_ones_do_not():
    ann, ids, probs = _pairs(seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        consensus_labels(ann, n_classes=2, ids=ids, pred_probs=probs)
    assert not [w for w in caught if "floor" in str(w.message)]
    # 3 items, z against x and y on two: none agrees with the others more than
    # always answering spam (the most common consensus) would
    few = pd.DataFrame({"id": list("aaabbbccc"), "label": [1, 1, 0, 0, 0, 0, 1, 1, 0],
                        "annotator": list("xyz") * 3})
    with pytest.warns(UserWarning, match=r"on the 3 item\(s\) with several annotations none "
                                         r"agrees .*: the quality scores follow the model's "
                                         r"pred_probs alone\. With few items"):
        consensus_labels(few, n_classes=2, ids=list("abc"),
                         pred_probs=np.array([[.2, .8], [.9, .1], [.3, .7]]))


def test_a_tie_of_votes_needs_review_and_credits_no_annotator():
    ann = pd.DataFrame({"id": list("aabb"), "label": ["spam", "ham", "ham", "spam"],
                        "annotator": list("xyxy")})
    res = consensus_labels(ann, class_names=["ham", "spam"], min_quality=0.0)
    items = res.items.set_index("id")
    # both classes chosen twice overall: the lower index shows; needs review at any quality
    assert items["label_name"].tolist() == ["ham", "ham"]
    assert items["issue_score"].tolist() == [0.5, 0.5]
    assert res.needs_review == ["a", "b"]
    who = res.annotators.set_index("annotator")
    assert who["n_labeled"].tolist() == [2, 2]
    assert who["agreement"].isna().all() and who["quality"].isna().all()
    assert items["tied"].tolist() == [True, True]


def test_a_tie_shows_the_class_chosen_more_often_and_untied_items_rate_annotators():
    ann = pd.DataFrame({"id": ["a", "a", "b", "b", "c", "c", "c"],
                        "label": [1, 0, 1, 1, 1, 1, 0],
                        "annotator": ["x", "y", "x", "y", "x", "y", "z"]})
    res = consensus_labels(ann, n_classes=2, min_quality=0.0)
    items = res.items.set_index("id")
    assert items.loc["a", "label"] == 1  # 1 is chosen 5 times overall, 0 twice
    assert items["tied"].to_dict() == {"a": True, "b": False, "c": False}
    assert res.needs_review == ["a"]
    who = res.annotators.set_index("annotator")
    # on b and c: x and y agree both times, z (on c only) never; a counts for no one
    assert who["agreement"].to_dict() == {"z": 0.0, "x": 1.0, "y": 1.0}
    assert who["quality"].to_dict() == who["agreement"].to_dict()
    assert who.loc["z", "worst_class"] == 1 and pd.isna(who.loc["x", "worst_class"])
    # with pred_probs, the class the model rates higher is shown on the tie, either way
    for k in (0, 1):
        probs = np.full((3, 2), 0.5)
        probs[0] = [0.9, 0.1] if k == 0 else [0.1, 0.9]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (few items: the floor warning)
            by_model = consensus_labels(ann, n_classes=2, ids=list("abc"), pred_probs=probs)
        shown = by_model.items.set_index("id")
        assert shown.loc["a", "label"] == k and shown.loc["a", "tied"]
        assert "a" in by_model.needs_review
    # pred_probs that CROWDLAB cannot use (one answer per item): nothing to tie
    one = ann[ann["annotator"] == "x"]
    with pytest.warns(UserWarning, match="CROWDLAB could not weigh"):
        alone = consensus_labels(one, n_classes=2, ids=list("abc"),
                                 pred_probs=np.full((3, 2), 0.5))
    assert not alone.items["tied"].any()  # one answer each: nothing to tie


def test_a_tie_crowdlab_rates_well_still_needs_review_and_credits_no_annotator():
    ann, ids, probs = _pairs(seed=0)
    res = consensus_labels(ann, n_classes=2, ids=ids, pred_probs=probs, min_quality=0.5)
    items = res.items
    tied = items[items["tied"]]
    assert len(tied) == 31
    # CROWDLAB rates these ties fine (the model sides with one class) ...
    assert (tied["issue_score"] < 0.5).all()
    # ... they need review all the same, and are the only ones with a score that passes
    assert tied["needs_review"].all()
    assert not items.loc[~items["tied"] & (items["issue_score"] < 0.5), "needs_review"].any()
    # two annotators an item: off the ties, both agree, so every annotator agrees fully
    # (what tells them apart is CROWDLAB's quality)
    who = res.annotators
    assert (who["agreement"] == 1.0).all()
    assert who["quality"].between(0.7, 0.9).all() and who["quality"].nunique() == 4


def test_worst_class_means_the_consensus_class_with_and_without_pred_probs():
    """x and y agree everywhere; z calls 3 of 10 ham items spam and gets every spam item
    right: z's worst class is ham by votes and with CROWDLAB (cleanlab's own column
    groups by the class the annotator gave, and said spam)."""
    ids = [f"i{i}" for i in range(20)]
    truth = [0] * 10 + [1] * 10
    rows = []
    for i, t in zip(ids, truth, strict=True):
        rows += [(i, t, "x"), (i, t, "y")]
        rows.append((i, 1 if (t == 0 and int(i[1:]) < 3) else t, "z"))
    ann = pd.DataFrame(rows, columns=["id", "label", "annotator"])
    probs = np.where(np.array(truth)[:, None] == np.arange(2), 0.8, 0.2)
    votes = _quiet(ann, ids=ids, class_names=["ham", "spam"])
    crowd = _quiet(ann, ids=ids, class_names=["ham", "spam"], pred_probs=probs)
    assert crowd.method == "crowdlab"
    for res in (votes, crowd):
        who = res.annotators.set_index("annotator")
        assert who.loc["z", "worst_class"] == 0 and who.loc["z", "worst_class_name"] == "ham"
        assert pd.isna(who.loc["x", "worst_class"]) and pd.isna(who.loc["y", "worst_class"])
