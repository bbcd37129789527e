"""Label models: values on synthetic votes, auto selection, global random state, errors."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from dataqa.errors import (
    InvalidSettingError,
    MissingInputError,
    NotFittedError,
    UnknownNameError,
)
from dataqa.weak import DawidSkene, MajorityVote, fit_label_model, lf_summary


def synthetic(n=2000, seed=0):
    """Votes of 6 LFs with known accuracies on a 70/30 binary task, plus gold labels."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    acc = [0.95, 0.9, 0.85, 0.8, 0.7, 0.6]
    cov = [0.3, 0.5, 0.6, 0.4, 0.7, 0.8]
    L = np.full((n, len(acc)), -1)
    for j, (a, c) in enumerate(zip(acc, cov, strict=True)):
        votes = rng.random(n) < c
        right = rng.random(n) < a
        L[votes, j] = np.where(right[votes], y[votes], 1 - y[votes])
    return L, y


@pytest.fixture(scope="module")
def data():
    L, y = synthetic()
    return L[:1500], y[:1500], L[1500:], y[1500:]


def test_majority_values():
    L = np.array([[1, 1, 0], [0, -1, -1], [-1, -1, -1], [1, 0, -1]])
    m = MajorityVote(cardinality=2).fit(L)
    # votes: five 1s... prior from vote shares with add-one smoothing: 0s=3, 1s=3 -> 0.5
    np.testing.assert_allclose(m.class_prior_, [0.5, 0.5])
    P = m.predict_proba(L)
    np.testing.assert_allclose(P, [[1 / 3, 2 / 3], [1, 0], [0.5, 0.5], [0.5, 0.5]])
    assert m.predict(L)[:3].tolist() == [1, 0, -1]
    assert m.predict(L, abstain_uncovered=False)[2] in (0, 1)


@pytest.mark.parametrize("method", ["majority", "dawid_skene", "snorkel"])
def test_methods_beat_chance_and_shapes(data, method):
    L, y, L_dev, y_dev = data
    m = fit_label_model(L, cardinality=2, method=method)
    P = m.predict_proba(L_dev)
    assert P.shape == (len(L_dev), 2)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    pred = m.predict(L_dev)
    covered = (L_dev >= 0).any(axis=1)
    assert (pred[~covered] == -1).all() and (pred[covered] >= 0).all()
    acc = np.mean(pred[covered] == y_dev[covered])
    assert acc > 0.85, (method, acc)


def test_dawid_skene_recovers_accuracies(data):
    L, y, *_ = data
    ds = DawidSkene(cardinality=2).fit(L)
    assert ds.n_iter_ >= 2
    # P(vote correct | voted) per LF from the fitted confusion matrices, vs. the truth
    conf = ds.confusion_[:, :, :2]
    est = (ds.class_prior_[0] * conf[:, 0, 0] + ds.class_prior_[1] * conf[:, 1, 1]) / (
        ds.class_prior_[0] * conf[:, 0, :].sum(1) + ds.class_prior_[1] * conf[:, 1, :].sum(1))
    np.testing.assert_allclose(est, [0.95, 0.9, 0.85, 0.8, 0.7, 0.6], atol=0.05)
    assert abs(ds.class_prior_[1] - 0.3) < 0.05


def test_auto_picks_best_on_dev_and_says_why(data):
    L, y, L_dev, y_dev = data
    auto = fit_label_model(L, cardinality=2, method="auto", L_dev=L_dev, Y_dev=y_dev)
    assert set(auto.scores_) == {"majority", "dawid_skene", "snorkel", "snorkel_dev_prior"}
    assert set(auto.log_losses_) == set(auto.scores_)
    assert auto.scores_[auto.chosen_] == max(auto.scores_.values())
    # exact ties on the metric go to the lowest dev log-loss
    tied = [k for k, v in auto.scores_.items() if v == auto.scores_[auto.chosen_]]
    assert auto.log_losses_[auto.chosen_] == min(auto.log_losses_[k] for k in tied)
    assert auto.reason_.startswith(f"kept {auto.chosen_!r}: dev accuracy")
    np.testing.assert_allclose(auto.predict_proba(L_dev),
                               auto.candidates_[auto.chosen_].predict_proba(L_dev))
    f1 = fit_label_model(L, cardinality=2, method="auto", L_dev=L_dev, Y_dev=y_dev, metric="f1")
    assert "dev f1" in f1.reason_
    assert "below chance" not in auto.reason_
    # dev labels numbered the other way round (--classes spam,ham for LFs voting ham = 0)
    flipped = fit_label_model(L, cardinality=2, method="auto", L_dev=L_dev, Y_dev=1 - y_dev)
    assert max(flipped.scores_.values()) < 0.5
    assert flipped.reason_.endswith(
        "Every model is below chance (0.50) on the dev rows: do the dev labels (or --classes) "
        "number the classes in the order the LFs vote for them? With --classes, the first "
        "name is class 0, the second class 1, and so on.")


def test_auto_scores_the_dev_rows_it_will_label(data):
    # predict() gives -1 where every LF abstains, so "auto" scores the rows with a vote by
    # default; dev_rows="all" scores every row as predict(abstain_uncovered=False) labels it
    L, y, L_dev, y_dev = data
    covered = (L_dev >= 0).any(axis=1)
    assert 0 < covered.sum() < len(y_dev)
    for dev_rows, rows in (("covered", covered), ("all", np.ones_like(covered))):
        auto = fit_label_model(L, cardinality=2, method="auto", L_dev=L_dev, Y_dev=y_dev,
                               dev_rows=dev_rows)
        for name, model in auto.candidates_.items():
            pred = model.predict(L_dev, abstain_uncovered=False)
            assert auto.scores_[name] == pytest.approx(np.mean(pred[rows] == y_dev[rows]))
            p_true = np.clip(model.predict_proba(L_dev)[rows, y_dev[rows]], 1e-6, 1.0)
            assert auto.log_losses_[name] == pytest.approx(-np.mean(np.log(p_true)))
        where = (f"on the {covered.sum()} of {len(y_dev)} rows with a vote (the rest get no "
                 f"label; API: dev_rows='all' scores them too)" if dev_rows == "covered"
                 else f"on {len(y_dev)} rows")
        assert f"dev accuracy {auto.scores_[auto.chosen_]:.4f} {where}, " in auto.reason_
    # no dev row with a vote: every row is scored, and the reason says why
    none = fit_label_model(L, cardinality=2, method="auto", L_dev=np.full_like(L_dev, -1),
                           Y_dev=y_dev)
    assert f"on {len(y_dev)} rows, none of which has a vote" in none.reason_
    with pytest.raises(UnknownNameError, match="dev_rows"):
        fit_label_model(L, cardinality=2, method="auto", L_dev=L_dev, Y_dev=y_dev,
                        dev_rows="some")


def test_auto_dev_prior_candidate_uses_dev_class_balance(data):
    L, y, L_dev, y_dev = data
    auto = fit_label_model(L, cardinality=2, method="auto", L_dev=L_dev, Y_dev=y_dev)
    dev_prior = auto.candidates_["snorkel_dev_prior"]
    expected = (np.bincount(y_dev, minlength=2) + 1.0) / (len(y_dev) + 2)
    np.testing.assert_allclose(dev_prior.class_prior_, expected, atol=1e-6)
    # Snorkel without a class balance assumes uniform classes
    np.testing.assert_allclose(auto.candidates_["snorkel"].class_prior_, [0.5, 0.5], atol=1e-6)
    # the candidate as a method of its own: the same model, fitted again
    alone = fit_label_model(L, cardinality=2, method="snorkel_dev_prior", Y_dev=y_dev)
    np.testing.assert_allclose(alone.class_prior_, expected, atol=1e-6)
    np.testing.assert_allclose(alone.predict_proba(L), dev_prior.predict_proba(L), atol=1e-6)
    with pytest.raises(MissingInputError, match="'snorkel_dev_prior' takes the class balance "
                                                "of the dev labels; pass Y_dev"):
        fit_label_model(L, cardinality=2, method="snorkel_dev_prior")


def test_auto_tie_broken_by_log_loss():
    # three identical LFs: every candidate predicts the same labels, so the metric ties and
    # the reason must say the log-loss decided
    L = np.array([[0, 0, 0], [1, 1, 1], [0, 0, 0], [1, 1, 1], [1, 1, 1], [0, 0, 0]] * 20)
    y = np.array([0, 1, 0, 1, 0, 0] * 20)
    auto = fit_label_model(L, cardinality=2, method="auto", L_dev=L, Y_dev=y)
    assert len(set(auto.scores_.values())) == 1
    assert auto.log_losses_[auto.chosen_] == min(auto.log_losses_.values())
    assert "kept for its lower dev log-loss" in auto.reason_
    # the others' figures are their dev accuracies, said as such (they read as log-losses)
    others = auto.reason_.split("; the others' dev accuracy: ")[1].rstrip(".").split("; ")[0]
    for part in others.split(", "):
        name, value = part.rsplit(" ", 1)
        assert float(value) == pytest.approx(auto.scores_[name], abs=5e-5)


def test_auto_rejects_out_of_range_dev_labels(data):
    L, y, L_dev, y_dev = data
    with pytest.raises(InvalidSettingError, match=r"Y_dev must hold class indices in 0\.\.1; row 0 holds 2"):
        fit_label_model(L, cardinality=2, method="auto", L_dev=L_dev, Y_dev=np.full(len(y_dev), 2))


def test_global_random_state_untouched(data):
    L, y, L_dev, y_dev = data
    np.random.seed(1234)
    random.seed(99)
    torch.manual_seed(7)
    before = (np.random.get_state(), random.getstate(), torch.get_rng_state().clone())
    for method in ("snorkel", "majority", "dawid_skene", "auto"):
        m = fit_label_model(L, cardinality=2, method=method, L_dev=L_dev, Y_dev=y_dev,
                            random_state=5)
        m.predict_proba(L_dev)
    after = (np.random.get_state(), random.getstate(), torch.get_rng_state())
    assert after[0][0] == before[0][0]
    np.testing.assert_array_equal(after[0][1], before[0][1])
    assert after[0][2:] == before[0][2:]
    assert after[1] == before[1]
    assert torch.equal(after[2], before[2])
    # the next draws are what they would have been
    expected = np.random.RandomState(1234).random_sample(3)
    np.testing.assert_array_equal(np.random.random_sample(3), expected)


def test_snorkel_seeded_and_reproducible(data):
    L, *_ = data
    a = fit_label_model(L, cardinality=2, random_state=3).predict_proba(L)
    b = fit_label_model(L, cardinality=2, random_state=3).predict_proba(L)
    np.testing.assert_array_equal(a, b)


def test_errors(data):
    L, y, *_ = data
    with pytest.raises(UnknownNameError, match="unknown label model 'mv'; known label models are: "
                                               "auto, dawid_skene, majority, snorkel, "
                                               "snorkel_dev_prior"):
        fit_label_model(L, cardinality=2, method="mv")
    for given, meant in (("dawid-skene", "dawid_skene"), ("Snorkel", "snorkel"),
                         ("snorkle", "snorkel")):
        with pytest.raises(UnknownNameError) as e:
            fit_label_model(L, cardinality=2, method=given)
        assert str(e.value) == (f"unknown label model {given!r}; known label models are: auto, "
                                f"dawid_skene, majority, snorkel, snorkel_dev_prior (did you "
                                f"mean {meant!r}?)")
    with pytest.raises(MissingInputError, match="pass L_dev and Y_dev"):
        fit_label_model(L, cardinality=2, method="auto")
    with pytest.raises(InvalidSettingError, match="cardinality=2"):
        fit_label_model(np.array([[0, 2]]), cardinality=2)
    with pytest.raises(InvalidSettingError, match="cardinality=1 must be an int >= 2"):
        fit_label_model(L, cardinality=1)
    with pytest.raises(InvalidSettingError, match="2-D array"):
        fit_label_model(np.array([0, 1]), cardinality=2)
    with pytest.raises(InvalidSettingError, match="votes below -1"):
        fit_label_model(np.array([[-2, 1]]), cardinality=2)
    with pytest.raises(NotFittedError, match="call fit"):
        MajorityVote(cardinality=2).predict(L)
    m = fit_label_model(L, cardinality=2, method="majority")
    with pytest.raises(InvalidSettingError, match="fitted on 6"):
        m.predict(L[:, :3])
    with pytest.raises(UnknownNameError, match="unknown metric 'auc'"):
        fit_label_model(L, cardinality=2, method="auto", L_dev=L, Y_dev=y, metric="auc")


def test_degenerate_label_matrices_are_refused_saying_what_is_wrong(data):
    L, *_ = data
    # no vote at all: every method gave a "fitted" model predicting -1 everywhere
    for method in ("majority", "dawid_skene", "snorkel"):
        with pytest.raises(InvalidSettingError,
                           match=r"no labeling function voted on any of the 50 rows \(every "
                                 r"vote is -1, abstain\): there is nothing to fit"):
            fit_label_model(np.full((50, 4), -1), cardinality=2, method=method)
    # no LF column: the message no longer suggests the method that failed
    with pytest.raises(InvalidSettingError, match=r"L has no LF columns: a label model needs "
                                                  r"the votes of at least one labeling function"):
        fit_label_model(np.empty((10, 0), int), cardinality=2, method="majority")
    with pytest.raises(InvalidSettingError, match=r"L has no LF columns"):  # (auto: ValueError)
        fit_label_model(np.empty((10, 0), int), cardinality=2, method="auto",
                        L_dev=np.empty((4, 0), int), Y_dev=[0, 1, 0, 1])
    for bad, what in ((np.inf, "inf"), (0.5, "0.5")):
        votes = L[:5].astype(float)
        votes[2, 1] = bad
        with pytest.raises(InvalidSettingError, match=rf"holds 1 vote\(s\) that are no whole "
                                                      rf"class index \(first at row 2, LF "
                                                      rf"column 1: .*{what}"):
            fit_label_model(votes, cardinality=2)
    # NaN and out-of-range votes are located
    bad = L[:5].astype(float)
    bad[3, 2] = np.nan
    with pytest.raises(InvalidSettingError, match=r"holds 1 missing value\(s\) \(NaN; first at "
                                                  r"row 3, LF column 2\); an LF that abstains "
                                                  r"votes -1"):
        fit_label_model(bad, cardinality=2)
    two = L[:5].copy()
    two[1, 4] = two[2, 4] = 2
    with pytest.raises(InvalidSettingError, match=r"has a vote 2 but cardinality=2: 2 vote\(s\) "
                                                  r"of 2 or more, in LF column\(s\) 4;"):
        fit_label_model(two, cardinality=2)
    # binary F1 among three classes picks the model by class 1 alone: said
    L3 = np.where(L[:300] == 1, 2, L[:300])
    L3[::7, 0] = 1
    y3 = np.arange(300) % 3
    with pytest.warns(UserWarning, match=r"metric 'f1' scores class 1 alone \(binary F1\), "
                                         r"but there are 3 classes"):
        fit_label_model(L3, cardinality=3, method="auto", L_dev=L3, Y_dev=y3, metric="f1")
    # lf_summary checks the votes against a given cardinality, as the label models do
    with pytest.raises(InvalidSettingError, match="cardinality=2"):
        lf_summary(two, cardinality=2)


def test_lf_summary_equals_snorkel(data):
    from snorkel.labeling import LFAnalysis

    L, y, *_ = data
    L = L.copy()
    L[:, 5] = np.where(L[:, 5] >= 0, 1 - y, -1)  # an LF that is always wrong
    L[:, 0] = -1
    L[3, 0] = 1  # coverage 1 / 1500
    ours = lf_summary(L, Y=y)
    theirs = LFAnalysis(L).lf_summary(y)
    for col in ("Coverage", "Overlaps", "Conflicts", "Emp. Acc."):
        np.testing.assert_allclose(ours[col].to_numpy(float), theirs[col].to_numpy(float))
    for col in ("Correct", "Incorrect"):
        np.testing.assert_array_equal(ours[col].to_numpy(), theirs[col].to_numpy())
    assert list(ours["Polarity"]) == list(theirs["Polarity"])
    assert ours["Flags"].iloc[0] == "low coverage"
    assert ours["Flags"].iloc[5] == "below chance"
    assert ours["Flags"].iloc[2] == ""


def test_below_chance_needs_evidence():
    # two classes; LF 0 is right on 2 of 5 votes (p = 0.5), LF 1 on 2 of 20 (p = 0.0002)
    y = np.zeros(20, dtype=np.int64)
    L = np.full((20, 2), -1, dtype=np.int64)
    L[:5, 0] = [0, 0, 1, 1, 1]
    L[:, 1] = 1
    L[:2, 1] = 0
    flags = lf_summary(L, Y=y, cardinality=2)["Flags"].tolist()
    assert flags == ["", "below chance"]


def test_lf_summary_with_names():
    from labeling_functions import keyword_lf

    L = np.array([[0, -1], [0, 1], [-1, -1]])
    lfs = [keyword_lf("a", "a", 0), keyword_lf("b", "b", 1)]
    s = lf_summary(L, lfs)
    assert list(s.index) == ["a", "b"] and list(s["j"]) == [0, 1]
    np.testing.assert_allclose(s["Coverage"], [2 / 3, 1 / 3])
    np.testing.assert_allclose(s["Conflicts"], [1 / 3, 1 / 3])
    assert "Emp. Acc." not in s


def test_snorkel_needs_three_lfs_and_auto_skips_it(data):
    L, y, L_dev, y_dev = data
    with pytest.raises(InvalidSettingError, match="method='snorkel' .Snorkel's LabelModel. needs at least 3 "
                                                  "labeling functions; got 2"):
        fit_label_model(L[:, :2], cardinality=2)
    from dataqa.weak import SnorkelLabelModel

    with pytest.raises(InvalidSettingError, match="needs at least 3 labeling functions; got 1"):
        SnorkelLabelModel(cardinality=2).fit(L[:, :1])
    auto = fit_label_model(L[:, :2], cardinality=2, method="auto", L_dev=L_dev[:, :2], Y_dev=y_dev)
    assert set(auto.scores_) == {"majority", "dawid_skene"}
    assert auto.skipped_ == {"snorkel": "needs at least 3 LFs", "snorkel_dev_prior": "needs at least 3 LFs"}
    assert auto.reason_.endswith("skipped snorkel, snorkel_dev_prior: Snorkel's LabelModel needs at least "
                                 "3 LFs and there are 2.")


@pytest.mark.parametrize(
    ("Y", "message"),
    [
        (["spam", "ham"], r"Y_dev must hold integer class indices 0\.\.1; row 0 holds 'spam' \(str\)"),
        ([0, 0.5], r"row 1 holds 0\.5 \(float\)"),
        ([0, None], r"row 1 holds None \(NoneType\)\. Drop the rows without a gold label"),
        ([0, float("nan")], r"row 1 holds nan \(float\)\. Drop the rows without a gold label"),
        (["spam", 1], r"row 0 holds 'spam' \(str\)\. Map class names to indices first"),
        ([0, 3], r"Y_dev must hold class indices in 0\.\.1; row 1 holds 3"),
    ],
)
def test_gold_labels_must_be_class_indices(Y, message):
    L = np.array([[0, 1, -1], [1, 1, 0]])
    with pytest.raises(InvalidSettingError, match=message):
        fit_label_model(L, cardinality=2, method="auto", L_dev=L, Y_dev=Y)
    # integral floats are fine
    assert fit_label_model(L, cardinality=2, method="auto", L_dev=L, Y_dev=[0.0, 1.0]).chosen_


def test_lf_summary_gold_labels_checked():
    with pytest.raises(InvalidSettingError, match=r"Y must hold integer class indices 0\.\.K-1; row 0 holds 'a'"):
        lf_summary(np.array([[0, 1]]), Y=["a"])


ESTIMATORS = ["MajorityVote", "DawidSkene", "SnorkelLabelModel", "AutoLabelModel"]


@pytest.mark.parametrize("name", ESTIMATORS)
def test_label_models_are_sklearn_estimators(data, name):
    from sklearn.base import BaseEstimator, clone
    from sklearn.utils import estimator_checks
    from sklearn.utils.validation import check_is_fitted

    import dataqa.weak as weak

    L, y, L_dev, y_dev = data
    cls = getattr(weak, name)
    model = cls(cardinality=2)
    assert isinstance(model, BaseEstimator) and isinstance(model, weak.BaseLabelModel)
    assert vars(model) == model.get_params()  # __init__ stores its settings only
    for check in ("check_no_attributes_set_in_init", "check_get_params_invariance",
                  "check_set_params"):
        getattr(estimator_checks, check)(name, model)
    with pytest.raises(NotFittedError, match=f"this {name} is not fitted yet; call fit"):
        model.predict_proba(L_dev)
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    with pytest.raises(SklearnNotFittedError):
        check_is_fitted(model)
    fitted = model.fit(L, L_dev=L_dev, Y_dev=y_dev)
    assert fitted is model
    check_is_fitted(model)
    assert {k for k in vars(model) if k not in model.get_params()} \
        and all(k.endswith("_") for k in vars(model) if k not in model.get_params())
    twin = clone(model)
    assert twin.get_params() == model.get_params() and not hasattr(twin, "class_prior_")
    np.testing.assert_allclose(twin.fit(L, L_dev=L_dev, Y_dev=y_dev).predict_proba(L_dev),
                               model.predict_proba(L_dev))


def test_settings_are_checked_in_fit(data):
    L, *_ = data
    model = MajorityVote(cardinality=1)  # stored as given
    assert model.cardinality == 1
    with pytest.raises(InvalidSettingError, match="cardinality=1 must be an int >= 2"):
        model.fit(L)
    assert MajorityVote(cardinality=2).set_params(cardinality=3).fit(L).class_prior_.shape == (3,)


def test_snorkel_estimator_leaves_global_random_state_untouched(data):
    from dataqa.weak import SnorkelLabelModel

    L, _, L_dev, _ = data
    np.random.seed(4321)
    random.seed(11)
    torch.manual_seed(13)
    model = SnorkelLabelModel(cardinality=2, n_epochs=50, random_state=5).fit(L)
    model.predict_proba(L_dev)
    assert random.random() == random.Random(11).random()
    np.testing.assert_array_equal(np.random.random_sample(3),
                                  np.random.RandomState(4321).random_sample(3))
    assert torch.equal(torch.rand(3), torch.rand(3, generator=torch.Generator().manual_seed(13)))


def test_register_label_model_is_dispatched(data, monkeypatch):
    from dataqa.weak import LABEL_MODELS, register_label_model

    L, y, *_ = data

    class FirstVote(MajorityVote):
        """The first LF that votes decides."""

        min_lfs = 2

        def __init__(self, *, cardinality: int, random_state: int = 0) -> None:
            super().__init__(cardinality=cardinality)
            self.random_state = random_state

        def _proba_covered(self, L):
            first = L[np.arange(len(L)), np.argmax(L >= 0, axis=1)]
            return np.eye(self.cardinality)[first]

    monkeypatch.setitem(LABEL_MODELS, "first_vote", None)  # removed again after the test
    del LABEL_MODELS["first_vote"]
    register_label_model("first_vote", FirstVote)
    model = fit_label_model(L, cardinality=2, method="first_vote", random_state=9)
    assert isinstance(model, FirstVote) and model.random_state == 9
    first = L[np.arange(len(L)), np.argmax(L >= 0, axis=1)]
    covered = (L >= 0).any(axis=1)
    np.testing.assert_array_equal(model.predict(L)[covered], first[covered])
    with pytest.raises(InvalidSettingError, match=r"method='first_vote' \(FirstVote\) needs at least 2"):
        fit_label_model(L[:, :1], cardinality=2, method="first_vote")
    with pytest.raises(InvalidSettingError, match="'majority' is taken"):
        register_label_model("majority", FirstVote)
    with pytest.raises(InvalidSettingError, match="needs a subclass of dataqa.weak.BaseLabelModel"):
        register_label_model("other", object)


def test_identical_lfs_are_warned_about_by_name():
    # a copy of one LF of four took Dawid-Skene from 0.93 to 0.60 accurate, silently;
    # Dawid-Skene now reads one LF of each group of copies
    import warnings

    from dataqa.weak.analysis import duplicate_lfs

    rng = np.random.default_rng(5)
    n = 20_000
    y = (rng.random(n) < 0.1).astype(int)

    def lf(acc, cov):
        return np.where(rng.random(n) < cov, np.where(rng.random(n) < acc, y, 1 - y), -1)

    L = np.column_stack([lf(0.9, 0.6), lf(0.8, 0.5), lf(0.7, 0.7), lf(0.85, 0.3)])
    never = np.full(n, -1)
    copied = np.column_stack([L, L[:, 0], never, never, L[:, 2], L[:, 2]])
    assert duplicate_lfs(copied) == [[0, 4], [2, 7, 8]]
    assert duplicate_lfs(L) == []
    with pytest.warns(UserWarning, match=r"these groups of LFs vote identically on every row: "
                                         r"columns 0, 4 of L; columns 2, 7, 8 of L\. Snorkel's "
                                         r"label model takes them for independent LFs"):
        fit_label_model(copied, cardinality=2, method="majority")
    with pytest.warns(UserWarning, match="identically"):
        ds = fit_label_model(copied, cardinality=2, method="dawid_skene")
    once = copied[:, [0, 1, 2, 3, 5, 6]]
    alone = fit_label_model(once, cardinality=2, method="dawid_skene")
    assert ds.kept_lfs_.tolist() == [0, 1, 2, 3, 5, 6]
    # the same fit as on the table without the copies
    np.testing.assert_allclose(ds.predict_proba(copied), alone.predict_proba(once), atol=1e-9)
    np.testing.assert_array_equal(ds.confusion_[4], ds.confusion_[0])
    np.testing.assert_array_equal(ds.confusion_[8], ds.confusion_[2])
    covered = (L >= 0).any(axis=1)
    assert (ds.predict(copied)[covered] == y[covered]).mean() > 0.9
    # on other rows a copy that differs from its LF is a witness of its own: read there
    alone_votes = np.full((2, copied.shape[1]), -1)
    alone_votes[:, 4] = [1, 0]  # the copy of column 0 votes, column 0 abstains
    assert ds.predict(alone_votes).tolist() == [1, 0]
    names = ["a", "b", "c", "d", "a2"]
    with pytest.warns(UserWarning, match=r"these LFs vote identically on every row: 'a', 'a2'\. "
                                         r".*keep one LF of each group"):
        fit_label_model(copied[:, :5], cardinality=2, method="dawid_skene", lf_names=names)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_label_model(L, cardinality=2, method="dawid_skene")


def test_a_ragged_label_matrix_names_the_odd_row():
    from dataqa.weak import lf_summary

    with pytest.raises(InvalidSettingError, match=r"L must be a 2-D array \(n, m\) with one vote "
                                                  r"per LF in every row; row 2 has 1 votes where "
                                                  r"most rows have 2"):
        lf_summary([[0, 1], [1, 0], [1]])
    with pytest.raises(InvalidSettingError, match="row 2 has 1 votes"):
        fit_label_model([[0, 1], [1, 0], [1], [0, 0]], cardinality=2, method="majority")


def test_snorkel_weights_of_an_lf_that_never_voted_are_nan():
    # Snorkel reports accuracy 1.0 for it, from no evidence
    rng = np.random.default_rng(0)
    n = 2_000
    y = rng.integers(0, 2, n)

    def lf(acc, cov):
        return np.where(rng.random(n) < cov, np.where(rng.random(n) < acc, y, 1 - y), -1)

    L = np.column_stack([lf(0.9, 0.5), lf(0.8, 0.6), lf(0.75, 0.7), np.full(n, -1)])
    w = fit_label_model(L, cardinality=2, method="snorkel").get_weights()
    assert w.shape == (4,) and np.isnan(w[3]) and np.isfinite(w[:3]).all()
    assert (w[:3] > 0.5).all()
