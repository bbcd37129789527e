import numpy as np
import pytest
from scipy import stats

from dataqa.errors import InvalidSettingError, LengthMismatchError
from dataqa.stats import error_rate_interval, required_test_size, subgroup_metrics


@pytest.mark.parametrize("k,n", [(0, 10), (3, 100), (50, 100), (100, 100), (7, 1797)])
def test_interval_matches_scipy_beta(k, n):
    er = error_rate_interval(k, n, confidence=0.9)
    lo, hi = stats.beta.ppf([0.05, 0.95], k + 1, n - k + 1)
    assert er.estimate == pytest.approx(k / n)
    assert er.low == pytest.approx(lo, rel=1e-12)
    assert er.high == pytest.approx(hi, rel=1e-12)
    assert er.low <= er.estimate <= er.high or k in (0, n)


def test_interval_hand_value_zero_errors():
    # Beta(1, n+1): the upper quantile q solves 1 - (1 - q)^(n+1) = 0.975
    er = error_rate_interval(0, 9, confidence=0.95)
    assert er.high == pytest.approx(1 - 0.025 ** (1 / 10), rel=1e-10)
    assert er.low == pytest.approx(1 - 0.975 ** (1 / 10), rel=1e-10)


@pytest.mark.parametrize("kwargs,msg", [
    ({"n_errors": 1, "n_total": 0}, "n_total=0 must be positive"),
    ({"n_errors": 5, "n_total": 3}, "n_errors=5 must be between 0 and n_total=3"),
    ({"n_errors": 1, "n_total": 3, "confidence": 1.5}, "confidence=1.5"),
])
def test_interval_bad_input(kwargs, msg):
    with pytest.raises(InvalidSettingError, match=msg):
        error_rate_interval(**kwargs)


def test_required_test_size_is_smallest():
    n = required_test_size(0.1, width=0.05)
    def width(m):
        lo, hi = stats.beta.ppf([0.025, 0.975], 0.1 * m + 1, 0.9 * m + 1)
        return hi - lo
    assert width(n) <= 0.05 < width(n - 1)
    assert 500 < n < 600  # normal approximation: (2 * 1.96)^2 * 0.09 / 0.05^2 = 553


def test_required_test_size_bad_width():
    with pytest.raises(InvalidSettingError, match="width=0"):
        required_test_size(0.1, width=0)


def test_subgroup_metrics_values():
    y = np.array([0, 0, 1, 1, 1, 0])
    p = np.array([0, 1, 1, 1, 0, 0])
    g = np.array(["a", "a", "a", "b", "b", "b"])
    df = subgroup_metrics(y, p, g)
    assert df["group"].tolist() == ["a", "b"]
    assert df["n_errors"].tolist() == [1, 1]
    assert df["accuracy"].tolist() == pytest.approx([2 / 3, 2 / 3])
    lo, hi = stats.beta.ppf([0.025, 0.975], 2, 3)
    assert df.loc[0, "error_rate_low"] == pytest.approx(lo)
    assert df.loc[0, "error_rate_high"] == pytest.approx(hi)


def test_subgroup_metrics_length_mismatch():
    with pytest.raises(LengthMismatchError, match="y_true has 2, y_pred 3 and groups 2"):
        subgroup_metrics([0, 1], [0, 1, 1], ["a", "b"])
