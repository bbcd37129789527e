import numpy as np
import pytest
from scipy import stats

from dataqa.errors import InvalidSettingError, LengthMismatchError
from dataqa.stats import error_rate_interval, required_test_size, subgroup_metrics


@pytest.mark.parametrize("k,n", [(0, 10), (1, 95), (3, 100), (50, 100), (100, 100), (7, 1797),
                                 (5, 5574), (1, 2)])
@pytest.mark.parametrize("confidence", [0.9, 0.95])
def test_interval_is_the_highest_density_interval(k, n, confidence):
    er = error_rate_interval(k, n, confidence=confidence)
    post = stats.beta(k + 1, n - k + 1)
    assert er.estimate == k / n  # the posterior mode
    assert er.low <= er.estimate <= er.high
    assert post.cdf(er.high) - post.cdf(er.low) == pytest.approx(confidence, abs=1e-9)
    if k == 0:
        assert er.low == 0.0 and er.high == pytest.approx(post.ppf(confidence), rel=1e-12)
    elif k == n:
        assert er.high == 1.0 and er.low == pytest.approx(post.ppf(1 - confidence), rel=1e-12)
    else:
        # equal density at both ends, and no interval of that mass is shorter
        assert post.pdf(er.low) == pytest.approx(post.pdf(er.high), rel=1e-6)
        starts = np.linspace(0, 1 - confidence, 2001)
        widths = post.ppf(starts + confidence) - post.ppf(starts)
        assert er.high - er.low <= widths.min() + 1e-12
        tail = (1 - confidence) / 2
        lo, hi = post.ppf([tail, 1 - tail])
        assert er.high - er.low <= hi - lo + 1e-12


def test_interval_hand_value_zero_errors():
    # Beta(1, n+1) falls from 0: the interval is [0, q] with 1 - (1 - q)^(n+1) = 0.95
    er = error_rate_interval(0, 9, confidence=0.95)
    assert er.low == 0.0
    assert er.high == pytest.approx(1 - 0.05 ** (1 / 10), rel=1e-10)
    assert str(er) == "0.00% (0/9; 95% interval 0.00% - 25.89%)"


def test_identical_rows_zero_flags_interval_contains_estimate():
    # 0 flags on 95 items once printed "0.00% (95% interval 0.06%-8.60%)"
    er = error_rate_interval(0, 95)
    assert er.low == 0.0 <= er.estimate
    assert str(er).startswith("0.00% (0/95; 95% interval 0.00% - ")


def test_interval_coverage_under_the_prior():
    # With the rate drawn from the uniform prior, a 95% credible interval holds it with
    # probability 0.95 exactly; 200,000 seeded draws put the fraction within +-0.0005
    # (1 sd), so a tolerance of 0.005 is 10 sd.
    rng = np.random.default_rng(12345)
    n = 30
    bounds = np.array([[error_rate_interval(k, n).low, error_rate_interval(k, n).high]
                       for k in range(n + 1)])
    p = rng.uniform(size=200_000)
    k = rng.binomial(n, p)
    inside = (bounds[k, 0] <= p) & (p <= bounds[k, 1])
    assert inside.mean() == pytest.approx(0.95, abs=0.005)


def test_beta_hdi_bad_parameters():
    from dataqa.stats import beta_hdi

    with pytest.raises(InvalidSettingError, match="a >= 1 and b >= 1"):
        beta_hdi(0.5, 2)
    assert beta_hdi(1, 1, confidence=0.9) == (0.0, 0.9)


@pytest.mark.parametrize("kwargs,msg", [
    ({"n_errors": 1, "n_total": 0}, "n_total=0 must be positive"),
    ({"n_errors": 5, "n_total": 3}, "n_errors=5 must be between 0 and n_total=3"),
    ({"n_errors": 1, "n_total": 3, "confidence": 1.5}, "confidence=1.5"),
    # a count is a whole number: 1.5 was read as 1 (and 10.7 as 10) without a word
    ({"n_errors": 1.5, "n_total": 10}, r"n_errors=1.5 must be a whole number \(a count"),
    ({"n_errors": 1, "n_total": 10.7}, "n_total=10.7 must be a whole number"),
    ({"n_errors": True, "n_total": 10}, "n_errors=True must be a whole number"),
])
def test_interval_bad_input(kwargs, msg):
    with pytest.raises(InvalidSettingError, match=msg):
        error_rate_interval(**kwargs)


def test_interval_takes_whole_counts_of_any_numeric_type():
    assert error_rate_interval(np.int64(1), 10.0) == error_rate_interval(1, 10)


def test_required_test_size_is_smallest():
    n = required_test_size(0.1, width=0.05)
    def width(m):  # shortest 95% interval of the posterior, by brute force
        post = stats.beta(0.1 * m + 1, 0.9 * m + 1)
        starts = np.linspace(0, 0.05, 20001)
        return (post.ppf(starts + 0.95) - post.ppf(starts)).min()
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
    er = error_rate_interval(1, 3)
    lo, hi = er.low, er.high
    assert stats.beta.cdf(hi, 2, 3) - stats.beta.cdf(lo, 2, 3) == pytest.approx(0.95)
    assert df.loc[0, "error_rate_low"] == pytest.approx(lo)
    assert df.loc[0, "error_rate_high"] == pytest.approx(hi)


def test_subgroup_metrics_length_mismatch():
    with pytest.raises(LengthMismatchError, match="y_true has 2, y_pred 3 and groups 2"):
        subgroup_metrics([0, 1], [0, 1, 1], ["a", "b"])
