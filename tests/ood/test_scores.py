"""Output scores against hand computations; input validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dataqa.ood import (
    OODInputError,
    energy_score,
    entropy_score,
    logits_from_probs,
    max_logit_score,
    msp_score,
)

LOGITS = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.5]])


def _softmax(row, t=1.0):
    e = [math.exp(v / t) for v in row]
    return [v / sum(e) for v in e]


def test_msp_hand():
    expected = [-max(_softmax(r)) for r in LOGITS]
    np.testing.assert_allclose(msp_score(LOGITS), expected, rtol=1e-12)
    assert msp_score(LOGITS)[1] == pytest.approx(-1 / 3)
    expected_t = [-max(_softmax(r, 2.0)) for r in LOGITS]
    np.testing.assert_allclose(msp_score(LOGITS, temperature=2.0), expected_t, rtol=1e-12)


def test_max_logit_hand():
    np.testing.assert_allclose(max_logit_score(LOGITS), [-2.0, -0.5])


def test_energy_hand():
    for t in (1.0, 3.0):
        expected = [-t * math.log(sum(math.exp(v / t) for v in r)) for r in LOGITS]
        np.testing.assert_allclose(energy_score(LOGITS, temperature=t), expected, rtol=1e-12)
    # large logits do not overflow
    assert np.isfinite(energy_score(np.array([[1000.0, 999.0]]))).all()


def test_entropy_hand():
    expected = [-sum(p * math.log(p) for p in _softmax(r)) for r in LOGITS]
    np.testing.assert_allclose(entropy_score(LOGITS), expected, rtol=1e-12)
    assert entropy_score(LOGITS)[1] == pytest.approx(math.log(3))


def test_direction_flat_prediction_scores_higher():
    z = np.array([[8.0, 0.0, 0.0], [0.1, 0.0, 0.05]])
    for fn in (msp_score, max_logit_score, energy_score, entropy_score):
        s = fn(z)
        assert s.shape == (2,) and s.dtype == np.float64
        assert s[1] > s[0], fn.__name__


def test_torch_tensor_input():
    np.testing.assert_allclose(msp_score(torch.tensor(LOGITS)), msp_score(LOGITS))


def test_logits_from_probs_keeps_msp_and_entropy():
    p = np.array([[0.7, 0.2, 0.1], [1.0, 0.0, 0.0]])
    z = logits_from_probs(p)
    assert np.isfinite(z).all()
    np.testing.assert_allclose(msp_score(z), -p.max(axis=1), rtol=1e-12)
    np.testing.assert_allclose(entropy_score(z)[0], -(p[0] * np.log(p[0])).sum(), rtol=1e-12)
    with pytest.raises(OODInputError, match="did you pass logits"):
        logits_from_probs(np.array([[3.0, -1.0]]))


@pytest.mark.parametrize("fn", [msp_score, max_logit_score, energy_score, entropy_score])
def test_bad_inputs(fn):
    with pytest.raises(OODInputError, match=r"2-D of shape \(n_items, n_columns\); got shape \(3,\)"):
        fn(np.zeros(3))
    with pytest.raises(OODInputError, match="NaN or infinite values in 1 row"):
        fn(np.array([[0.0, 1.0], [np.nan, 0.0]]))
    with pytest.raises(OODInputError, match="no rows"):
        fn(np.zeros((0, 3)))
    with pytest.raises(OODInputError, match="at least 2 columns"):
        fn(np.zeros((4, 1)))


def test_bad_temperature():
    from dataqa.errors import InvalidSettingError

    with pytest.raises(InvalidSettingError, match="temperature=0 must be a positive"):
        energy_score(LOGITS, temperature=0)
    with pytest.raises(InvalidSettingError, match="temperature='a'"):
        msp_score(LOGITS, temperature="a")
    # a number written as a string, or a bool, is refused rather than read as a number
    with pytest.raises(InvalidSettingError, match="temperature='2' must be a positive number, "
                                                  "not str"):
        energy_score(LOGITS, temperature="2")
    with pytest.raises(InvalidSettingError, match="temperature=True must be a positive number, "
                                                  "not bool"):
        entropy_score(LOGITS, temperature=True)
