"""ODIN against a hand computation on a linear model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.special import softmax
from torch import nn

from dataqa.errors import InvalidSettingError
from dataqa.ood import odin_score


def _linear(seed=0):
    g = torch.Generator().manual_seed(seed)
    m = nn.Linear(4, 3).double()
    with torch.no_grad():
        m.weight.copy_(torch.randn(3, 4, generator=g, dtype=torch.float64))
        m.bias.copy_(torch.randn(3, generator=g, dtype=torch.float64))
    return m


def test_odin_hand_linear():
    m = _linear()
    W, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    X = np.random.default_rng(0).normal(size=(6, 4))
    T, eps = 10.0, 0.05
    z = X @ W.T + b
    y = z.argmax(1)
    p = softmax(z / T, axis=1)
    e = p.copy()
    e[np.arange(6), y] -= 1
    grad_x = e @ W / T  # gradient of CE(z/T, y) with respect to x
    Xp = X - eps * np.sign(grad_x)
    expected = -softmax((Xp @ W.T + b) / T, axis=1).max(1)
    got = odin_score(m, X, temperature=T, epsilon=eps, batch_size=4)
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    # the perturbation raises the top softmax probability, lowering the score
    np.testing.assert_array_less(got, odin_score(m, X, temperature=T, epsilon=0.0) + 1e-15)


def test_odin_restores_training_flag_and_errors():
    m = _linear().train()
    odin_score(m, np.zeros((2, 4)))
    assert m.training
    with pytest.raises(InvalidSettingError, match="odin needs a torch.nn.Module"):
        odin_score(object(), np.zeros((2, 4)))
    with pytest.raises(InvalidSettingError, match="epsilon=-1"):
        odin_score(m, np.zeros((2, 4)), epsilon=-1)
