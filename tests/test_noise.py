"""benchmarks/_noise.py: exact flip counts, seeded, instance-dependent flips land on hard items."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from dataqa.errors import InvalidSettingError, LabelError, LengthMismatchError

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def noise():
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("_noise")
    finally:
        sys.path.remove(str(BENCH))


def _blobs(n=600, k=3, seed=0):
    """Three Gaussian classes; items near the other classes are hard."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    centres = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 1.7]])[:k]
    X = centres[y] + rng.normal(scale=0.9, size=(n, 2))
    return X, y


@pytest.mark.parametrize("kind", ["uniform", "class_dependent", "instance_dependent"])
@pytest.mark.parametrize("rate", [0.0, 0.05, 0.1, 0.2, 0.333])
def test_exact_count_and_only_flips_change(noise, kind, rate):
    X, y = _blobs()
    noisy, flipped = noise.inject_noise(y, rate, kind=kind, X=X, random_state=3)
    assert flipped.dtype == bool and flipped.shape == y.shape
    assert flipped.sum() == round(rate * len(y))
    np.testing.assert_array_equal(noisy[~flipped], y[~flipped])
    assert np.all(noisy[flipped] != y[flipped])
    assert noisy.min() >= 0 and noisy.max() <= 2
    again = noise.inject_noise(y, rate, kind=kind, X=X, random_state=3)
    np.testing.assert_array_equal(again[0], noisy)
    if rate:
        other = noise.inject_noise(y, rate, kind=kind, X=X, random_state=4)[1]
        assert not np.array_equal(other, flipped)


def test_transition_matrix(noise):
    T = noise.transition_matrix(5, random_state=1)
    assert T.shape == (5, 5)
    np.testing.assert_allclose(np.diag(T), 0.0)
    np.testing.assert_allclose(T.sum(axis=1), 1.0)
    np.testing.assert_array_equal(T, noise.transition_matrix(5, random_state=1))
    np.testing.assert_array_equal(noise.transition_matrix(2), [[0, 1], [1, 0]])


def test_class_dependent_follows_the_matrix(noise):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 20_000)
    noisy, flipped = noise.inject_noise(y, 0.3, kind="class_dependent", random_state=2)
    T = noise.transition_matrix(4, random_state=2)
    for j in range(4):
        sel = flipped & (y == j)
        freq = np.bincount(noisy[sel], minlength=4) / sel.sum()
        # binomial standard error of a frequency from ~1,500 items is <= 0.013
        np.testing.assert_allclose(freq, T[j], atol=0.05)


def test_uniform_targets_every_other_class(noise):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 20_000)
    noisy, flipped = noise.inject_noise(y, 0.3, kind="uniform", random_state=2)
    sel = flipped & (y == 0)
    freq = np.bincount(noisy[sel], minlength=4) / sel.sum()
    np.testing.assert_allclose(freq, [0, 1 / 3, 1 / 3, 1 / 3], atol=0.05)


def test_cross_fit_never_scores_a_seen_item(noise):
    """A 1-nearest-neighbour model would give every seen item its own label with p=1."""
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = rng.integers(0, 2, 200)  # labels unrelated to X: in-sample 1-NN is 100% right
    p = noise.cross_fit_pred_probs(X, y, model=KNeighborsClassifier(n_neighbors=1))
    acc = (p.argmax(axis=1) == y).mean()
    assert 0.35 < acc < 0.65  # out-of-sample on random labels: near chance
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_instance_dependent_targets_hard_items_and_the_confusable_class(noise):
    X, y = _blobs(n=1500)
    noisy, flipped = noise.inject_noise(y, 0.1, kind="instance_dependent", X=X, random_state=0)
    p = noise.cross_fit_pred_probs(X, y, random_state=0)
    u = 1.0 - p[np.arange(len(y)), y]
    # flipped items are much more uncertain than the rest and than a uniform choice
    uni = noise.inject_noise(y, 0.1, kind="uniform", random_state=0)[1]
    assert u[flipped].mean() > 2.0 * u[~flipped].mean()
    assert u[flipped].mean() > 1.8 * u[uni].mean()
    # each flip goes to the class the independent model ranks highest other than the truth
    q = p.copy()
    q[np.arange(len(y)), y] = -1
    np.testing.assert_array_equal(noisy[flipped], q[flipped].argmax(axis=1))


def test_instance_dependent_on_sparse_features(noise):
    X, y = _blobs(n=300)
    Xs = sp.csr_matrix(np.abs(X))
    noisy, flipped = noise.inject_noise(y, 0.2, kind="instance_dependent", X=Xs, random_state=1)
    assert flipped.sum() == 60 and np.all(noisy[flipped] != y[flipped])


def test_bad_inputs(noise):
    X, y = _blobs(n=50)
    with pytest.raises(InvalidSettingError, match=r"rate=1.0 must be in \[0, 1\)"):
        noise.inject_noise(y, 1.0)
    with pytest.raises(InvalidSettingError, match="kind='pairs' is not known; use one of uniform"):
        noise.inject_noise(y, 0.1, kind="pairs")
    with pytest.raises(InvalidSettingError, match="needs the features X"):
        noise.inject_noise(y, 0.1, kind="instance_dependent")
    with pytest.raises(LengthMismatchError, match="X has 49 rows but labels has 50"):
        noise.inject_noise(y, 0.1, kind="instance_dependent", X=X[:49])
    with pytest.raises(LabelError, match="found -1 at row 0"):
        noise.inject_noise(np.r_[-1, y], 0.1)
    with pytest.raises(LabelError, match="one-dimensional int array"):
        noise.inject_noise(y.astype(float), 0.1)
    with pytest.raises(LabelError, match="labels hold class 2 but n_classes=2"):
        noise.inject_noise(y, 0.1, n_classes=2)
