"""Label models: random_state checks, Dawid-Skene on one-sided LFs, the tie rule, and
classes no LF votes for."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone

from dataqa.errors import InvalidSettingError
from dataqa.weak import DawidSkene, MajorityVote, SnorkelLabelModel, fit_label_model


def binary(n=600, seed=0):
    """Votes of 4 two-sided LFs on a 60/40 binary task, plus gold labels."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(int)
    L = np.full((n, 4), -1)
    for j, (acc, cov) in enumerate([(0.9, 0.6), (0.85, 0.5), (0.8, 0.7), (0.75, 0.4)]):
        votes = rng.random(n) < cov
        right = rng.random(n) < acc
        L[votes, j] = np.where(right[votes], y[votes], 1 - y[votes])
    return L, y


# --------------------------------------------------------------------------- random_state

@pytest.mark.parametrize("bad", [-5, 2**32, 1.5, True, "3", np.float64(2.0)])
@pytest.mark.parametrize("method", ["snorkel", "majority", "dawid_skene"])
def test_random_state_refused_with_a_clear_error(bad, method):
    L, _ = binary()
    with pytest.raises(InvalidSettingError,
                       match=r"random_state=.* must be an integer in 0\.\.4294967295 \(2\*\*32 - 1\) "
                             r"\(the seed of Snorkel's LabelModel\), None for a fresh seed"):
        fit_label_model(L, cardinality=2, method=method, random_state=bad)


def test_random_state_refused_by_auto_before_fitting():
    L, y = binary()
    with pytest.raises(InvalidSettingError, match=r"random_state=-1 must be an integer"):
        fit_label_model(L, cardinality=2, method="auto", L_dev=L[:50], Y_dev=y[:50],
                        random_state=-1)


def test_random_state_edges_none_and_generator():
    L, _ = binary()
    top = fit_label_model(L, cardinality=2, random_state=2**32 - 1)
    assert top.seed_ == 2**32 - 1
    a = fit_label_model(L, cardinality=2, random_state=np.random.default_rng(7))
    b = fit_label_model(L, cardinality=2, random_state=np.random.default_rng(7))
    assert a.seed_ == b.seed_
    np.testing.assert_array_equal(a.predict_proba(L), b.predict_proba(L))
    fresh = fit_label_model(L, cardinality=2, random_state=None)
    assert 0 <= fresh.seed_ <= 2**32 - 1
    # a clone keeps None: each fit draws its own seed
    assert clone(fresh).get_params()["random_state"] is None
    with pytest.raises(InvalidSettingError, match=r"random_state=-3 must be an integer"):
        SnorkelLabelModel(cardinality=2, random_state=-3).fit(L)


# --------------------------------------------------------------------------- Dawid-Skene

def one_sided(seed=0, n=700):
    """A 50/50 task like the YouTube spam LFs: five spam-only LFs (one of them, 'link', very
    accurate and often the only vote), two weak ham-only LFs, and many uncovered rows
    (mostly ham)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(int)
    L = np.full((n, 7), -1)
    spam = y == 1
    # (label, P(vote | spam), P(vote | ham))
    lfs = [(1, 0.20, 0.00), (1, 0.25, 0.01), (1, 0.42, 0.03), (1, 0.38, 0.02),
           (0, 0.04, 0.12), (0, 0.05, 0.09), (1, 0.12, 0.07)]
    for j, (label, p_spam, p_ham) in enumerate(lfs):
        fire = np.where(spam, rng.random(n) < p_spam, rng.random(n) < p_ham)
        L[fire, j] = label
    # check/subscribe-like LFs (0, 1) fire together on a cluster of spam rows
    cluster = spam & (rng.random(n) < 0.15)
    L[cluster, 0] = L[cluster, 1] = 1
    return L, y


#: Vote patterns of 7 one-sided LFs on 350 YouTube comments (175 spam), with their gold
#: class and count ("." = abstain): LF 2 is a link regex, often the only vote, 93% right.
PSY_PATTERNS = [
    (".......", 0, 124), (".......", 1, 13), ("......1", 0, 9), ("......1", 1, 4),
    (".....0.", 0, 13), (".....01", 0, 1), ("....0..", 0, 16), ("....0..", 1, 2),
    ("....0.1", 0, 2), ("....00.", 0, 2), ("...1...", 0, 3), ("...1...", 1, 17),
    ("...1..1", 1, 1), ("...1.0.", 1, 1), ("...10..", 1, 1), ("..1....", 0, 4),
    ("..1....", 1, 55), ("..1...1", 1, 2), ("..1..0.", 1, 1), ("..1.0..", 1, 2),
    ("..11...", 1, 8), ("..11..1", 1, 1), (".1.....", 0, 1), (".1.....", 1, 18),
    (".1....1", 1, 4), (".1...0.", 1, 3), (".1.1...", 1, 8), (".1.1..1", 1, 1),
    (".1.1.0.", 1, 1), ("1......", 1, 4), ("1..1...", 1, 14), ("1..1..1", 1, 3),
    ("1..1.0.", 1, 2), ("1..10..", 1, 1), ("1..10.1", 1, 1), ("1.11...", 1, 1),
    ("11.....", 1, 2), ("11.1...", 1, 2), ("11.1..1", 1, 2)]


def psy_votes(seed=0):
    rows = [([-1 if c == "." else int(c) for c in p], y) for p, y, n in PSY_PATTERNS
            for _ in range(n)]
    order = np.random.default_rng(seed).permutation(len(rows))
    L = np.array([rows[i][0] for i in order])
    y = np.array([rows[i][1] for i in order])
    return L, y


def test_dawid_skene_agrees_with_a_single_accurate_vote():
    L, y = psy_votes()
    covered = (L >= 0).any(axis=1)
    ds = fit_label_model(L, cardinality=2, method="dawid_skene")
    acc = np.mean(ds.predict(L)[covered] == y[covered])
    assert acc > 0.8, acc  # was 0.44, below chance, with EM on all rows only
    # rows whose only vote is the link LF (59 of them, 55 spam) are spam
    only_link = (L[:, 2] == 1) & ((L >= 0).sum(axis=1) == 1)
    assert only_link.sum() == 59
    assert (ds.predict_proba(L[only_link])[:, 1] > 0.9).all()
    # the all-rows fit made the LFs agree with its posterior at chance; the kept one does not
    assert ds.fit_rows_ == "covered"
    assert ds.vote_agreement_["all"] < 0.65 < 0.85 < ds.vote_agreement_["covered"]
    # the prior is the covered rows' (76% spam there), and they are mostly spam
    assert ds.class_prior_[1] > 0.7


@pytest.mark.parametrize("seed", range(5))
def test_dawid_skene_beats_chance_on_one_sided_lfs(seed):
    L, y = one_sided(seed)
    covered = (L >= 0).any(axis=1)
    ds = DawidSkene(cardinality=2).fit(L)
    assert np.mean(ds.predict(L)[covered] == y[covered]) > 0.7
    assert ds.fit_rows_ in ("all", "covered")
    assert set(ds.vote_agreement_) == {"all", "covered"}


def test_dawid_skene_two_sided_lfs_keep_the_all_rows_fit():
    L, y = binary()
    ds = DawidSkene(cardinality=2).fit(L)
    assert ds.fit_rows_ == "all"
    covered = (L >= 0).any(axis=1)
    assert np.mean(ds.predict(L)[covered] == y[covered]) > 0.85


def test_dawid_skene_falls_back_to_majority_when_every_fit_is_below_chance(monkeypatch):
    L, y = binary()

    em = DawidSkene._em

    def swapped(self, L, k, max_iter):  # an EM that lands on the label-swapped solution
        prior, conf, n = em(self, L, k, max_iter)
        return prior[::-1].copy(), conf[:, ::-1, :].copy(), n

    monkeypatch.setattr(DawidSkene, "_em", swapped)
    ds = DawidSkene(cardinality=2).fit(L)
    assert ds.vote_agreement_["all"] < 0.5
    assert ds.fit_rows_ == "majority"
    covered = (L >= 0).any(axis=1)
    assert np.mean(ds.predict(L)[covered] == y[covered]) > 0.85


# --------------------------------------------------------------------------- ties

def test_ties_go_to_the_class_with_more_votes_not_the_last_class():
    # uniform prior (Snorkel's default); class 0 gets most of the LF votes
    L, _ = binary()
    L = np.vstack([L, np.full((30, 4), -1)])
    model = SnorkelLabelModel(cardinality=2, n_epochs=50).fit(L)
    np.testing.assert_allclose(model.class_prior_, [0.5, 0.5])
    assert model.vote_share_[0] > model.vote_share_[1]
    uncovered = ~(L >= 0).any(axis=1)
    pred = model.predict(L, abstain_uncovered=False)
    assert (pred[uncovered] == 0).all()
    assert model.class_preference().tolist() == [0, 1]


def test_ties_then_go_to_the_lowest_index():
    L = np.array([[0, 1, -1], [1, 0, -1], [-1, -1, -1], [2, -1, 2], [-1, 2, 2]])
    mv = MajorityVote(cardinality=3).fit(L)
    # votes: 0 x2, 1 x2, 2 x4 -> prior favours 2; rows 0 and 1 tie between 0 and 1
    assert mv.class_preference().tolist() == [2, 0, 1]
    assert mv.predict(L, abstain_uncovered=False).tolist() == [0, 0, 2, 2, 2]
    even = MajorityVote(cardinality=2).fit(np.array([[0, 1], [-1, -1]]))
    assert even.predict(np.array([[0, 1], [-1, -1]]), abstain_uncovered=False).tolist() == [0, 0]


# --------------------------------------------------------------------------- silent classes

SILENT = np.array([[1, -1, 0], [0, 0, -1], [-1, 1, 1], [-1, -1, -1]] * 50)


@pytest.mark.parametrize("method", ["snorkel", "majority", "dawid_skene"])
def test_classes_no_lf_votes_for_get_no_mass_and_a_warning(method):
    with pytest.warns(UserWarning, match=r"no labeling function voted for classes 2, 3 on any row "
                                         r"\(cardinality 4\): no label model can tell such a "
                                         r"class apart, so it gets probability 0\. Check "
                                         r"cardinality \(--cardinality\)"):
        model = fit_label_model(SILENT, cardinality=4, method=method)
    P = model.predict_proba(SILENT[:4])
    assert P.shape == (4, 4)
    np.testing.assert_allclose(P[:, 2:], 0.0)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert set(model.predict(SILENT, abstain_uncovered=False)) <= {0, 1}
    assert model.silent_classes_ == [2, 3]
    np.testing.assert_allclose(model.class_prior_[2:], 0.0)
    # a vote for such a class in other rows (a dev set, a new batch) is read as an abstain
    with pytest.warns(UserWarning, match=r"2 vote\(s\) for class\(es\) \[3\] \(first at row 0, "
                                         r"LF column 0\) that no LF voted for .* read as abstains"):
        P = model.predict_proba(np.array([[3, -1, -1], [3, 1, -1]]))
    np.testing.assert_allclose(P[0], model.class_prior_)
    np.testing.assert_allclose(P[1], model.predict_proba(np.array([[-1, 1, -1]]))[0])


def test_auto_with_a_class_voted_only_on_the_dev_rows():
    L = np.array([[0, -1, -1], [-1, 1, -1], [1, 1, -1], [0, 0, -1]] * 20)
    L_dev = np.array([[0, -1, -1], [-1, 1, -1], [-1, -1, 2], [1, -1, -1]] * 5)
    Y_dev = np.array([0, 1, 2, 1] * 5)
    with pytest.warns(UserWarning, match="read as abstains"):
        model = fit_label_model(L, cardinality=3, method="auto", L_dev=L_dev, Y_dev=Y_dev)
    assert model.chosen_ in ("majority", "dawid_skene", "snorkel", "snorkel_dev_prior")


def test_a_class_below_the_largest_vote_is_modelled_without_warning():
    L = np.array([[1, -1, 1], [-1, 1, -1], [-1, -1, -1], [1, 1, -1]] * 30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = fit_label_model(L, cardinality=2, method="dawid_skene")
    assert model.silent_classes_ == []


# --------------------------------------------------------------------------- out-of-range votes and gold labels

def test_an_lf_voting_above_the_cardinality_is_named_with_its_row():
    import pandas as pd
    from snorkel.labeling import labeling_function

    from dataqa.errors import LabelingFunctionError
    from dataqa.weak import apply_lfs, lf_summary

    @labeling_function()
    def five(x):
        return 5 if "b" in x.text else -1

    df = pd.DataFrame({"key": ["r1", "r2", "r3"], "text": ["a", "b", "bb"]})
    assert apply_lfs(df, [five])[:, 0].tolist() == [-1, 5, 5]  # no cardinality: kept
    with pytest.raises(LabelingFunctionError,
                       match=r"labeling function 'five' voted 5 on row key='r2' \(2 such rows\), "
                             r"but with cardinality 2 \(--cardinality\) votes must be 0\.\.1 or -1"):
        apply_lfs(df, [five], cardinality=2, id_column="key")
    # on Dask the row is placed in its partition, as the partitions' own errors place it
    dd = pytest.importorskip("dask.dataframe")
    late = pd.DataFrame({"key": [f"r{i}" for i in range(6)],
                         "text": ["a", "a", "a", "a", "b", "a"]})
    with pytest.raises(LabelingFunctionError, match=r"voted 5 on row position 1 of Dask "
                                                    r"partition 1 \(1 such rows\)"):
        apply_lfs(dd.from_pandas(late, npartitions=2), [five], cardinality=2,
                  scheduler="sync")
    L = np.array([[0, 1], [1, -1], [-1, 0]])
    with pytest.raises(InvalidSettingError, match=r"Y must hold class indices in 0\.\.1 \(the LFs "
                                                  r"vote for classes up to 1\); row 1 holds -1 "
                                                  r"\(1 such rows\): gold labels have no abstain"):
        lf_summary(L, Y=np.array([0, -1, 1]))
    with pytest.raises(InvalidSettingError, match=r"row 2 holds 7 \(1 such rows\): pass cardinality="):
        lf_summary(L, Y=np.array([0, 1, 7]))
    with pytest.raises(InvalidSettingError, match=r"Y must hold class indices in 0\.\.1; row 0 holds 2"):
        lf_summary(L, Y=np.array([2, 1, 0]), cardinality=2)
    assert lf_summary(L, Y=np.array([2, 1, 0]), cardinality=3)["Correct"].tolist() == [1, 1]


def test_cli_refuses_a_bad_random_state_before_the_lfs_run(tmp_path):
    import pandas as pd
    from typer.testing import CliRunner

    from dataqa.cli import app

    pd.DataFrame({"text": ["subscribe", "song"]}).to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "lfs.py").write_text(
        "from snorkel.labeling import labeling_function\n"
        "@labeling_function()\ndef boom(x):\n    raise SystemExit('the LFs ran')\nlfs = [boom]\n")
    for bad in ("-5", str(2**32)):
        res = CliRunner().invoke(app, ["weak", str(tmp_path / "d.csv"), "--lfs",
                                       str(tmp_path / "lfs.py"), "--cardinality", "2",
                                       "--random-state", bad, "--out", str(tmp_path / "o")])
        assert res.exit_code == 2, res.output
        text = " ".join(res.output.split())
        assert (f"--random-state {bad} must be an integer in 0..4294967295 (2**32 - 1), the seed "
                f"of Snorkel's LabelModel") in text
        assert "the LFs ran" not in text and "Traceback" not in text


def test_the_monotone_step_keeps_rows_summing_to_one_and_votes_for_their_class():
    from dataqa.weak.label_models import _monotone

    rng = np.random.default_rng(0)
    conf = rng.dirichlet(np.ones(4), size=(5, 3))  # 5 LFs, 3 classes, 3 votes + abstain
    out = _monotone(conf)
    np.testing.assert_allclose(out.sum(axis=2), 1.0, rtol=0, atol=1e-12)
    for c in range(3):
        for v in range(3):
            assert (out[:, c, v] <= out[:, v, v] + 1e-15).all()
    assert (out[:, :, 3] >= conf[:, :, 3] - 1e-15).all()  # the excess went to abstaining
    ok = np.array([[[0.8, 0.1, 0.1], [0.1, 0.7, 0.2]]])  # already monotone: unchanged
    np.testing.assert_array_equal(_monotone(ok), ok)


@pytest.mark.parametrize("bad", [0, 0.0, -0.1, float("nan"), float("inf"), "0.01", True])
def test_dawid_skene_refuses_a_smoothing_that_is_not_a_positive_number(bad):
    # smoothing=0 gave NaN posteriors for rows whose votes every class ruled out
    L = np.array([[0, 0, -1], [1, 1, 1], [0, 1, -1], [1, -1, 0]] * 5)
    with pytest.raises(InvalidSettingError, match=r"smoothing=.* must be a positive number"):
        DawidSkene(cardinality=2, smoothing=bad).fit(L)
    P = DawidSkene(cardinality=2, smoothing=1e-9).fit(L).predict_proba(L)
    assert np.isfinite(P).all() and np.allclose(P.sum(axis=1), 1.0)
