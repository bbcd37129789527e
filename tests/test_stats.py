import numpy as np
import pytest
from scipy import stats

from dataqa.errors import InvalidSettingError, LengthMismatchError
from dataqa.stats import error_rate_interval, required_test_size, subgroup_metrics


@pytest.mark.parametrize("k,n", [(0, 10), (1, 95), (3, 100), (50, 100), (100, 100), (7, 1797),
                                 (5, 5574), (1, 2)])
@pytest.mark.parametrize("confidence", [0.9, 0.95])
def test_interval_is_clopper_pearson(k, n, confidence):
    er = error_rate_interval(k, n, confidence=confidence)
    tail = (1 - confidence) / 2
    assert er.estimate == k / n
    assert er.low <= er.estimate <= er.high
    # each end is where the binomial tail beyond the count reaches (1 - confidence) / 2
    if k == 0:
        assert er.low == 0.0
    else:
        assert stats.binom.sf(k - 1, n, er.low) == pytest.approx(tail, rel=1e-6)
    if k == n:
        assert er.high == 1.0
    else:
        assert stats.binom.cdf(k, n, er.high) == pytest.approx(tail, rel=1e-6)


def test_interval_hand_value_zero_errors():
    # no error in 9: the upper end q has (1 - q)^9 = 0.025
    er = error_rate_interval(0, 9, confidence=0.95)
    assert er.low == 0.0
    assert er.high == pytest.approx(1 - 0.025 ** (1 / 9), rel=1e-10)
    assert str(er) == "0.00% (0/9; 95% interval 0.00% - 33.63%)"


def test_identical_rows_zero_flags_interval_contains_estimate():
    # 0 flags on 95 items once printed "0.00% (95% interval 0.06%-8.60%)"
    er = error_rate_interval(0, 95)
    assert er.low == 0.0 <= er.estimate
    assert str(er).startswith("0.00% (0/95; 95% interval 0.00% - ")


@pytest.mark.parametrize("n", [1, 5, 20, 100])
def test_interval_covers_every_fixed_rate_at_least_at_its_level(n):
    # exact coverage (a sum over the binomial, no Monte Carlo error) on a grid of true
    # rates, including the ones where the uniform prior's credible interval fell short
    # (n=5, rate 0.40: 0.835; n=100, rate 0.03: 0.921)
    bounds = np.array([[error_rate_interval(k, n).low, error_rate_interval(k, n).high]
                       for k in range(n + 1)])
    rates = np.unique(np.r_[np.linspace(0.001, 0.999, 999), 0.03, 0.40])
    pmf = stats.binom.pmf(np.arange(n + 1)[:, None], n, rates[None, :])
    inside = (bounds[:, :1] <= rates[None, :]) & (rates[None, :] <= bounds[:, 1:])
    coverage = (pmf * inside).sum(axis=0)
    assert coverage.min() >= 0.95 - 1e-9, rates[coverage.argmin()]


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

    def width(m):  # the Clopper-Pearson interval at 0.1 * m errors, from the beta quantiles
        k = 0.1 * m
        return stats.beta.ppf(0.975, k + 1, m - k) - stats.beta.ppf(0.025, k, m - k + 1)

    assert width(n) <= 0.05 < width(n - 1)
    assert 553 < n < 650  # normal approximation: (2 * 1.96)^2 * 0.09 / 0.05^2 = 553


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
    assert df.loc[0, "error_rate_low"] == pytest.approx(er.low)
    assert df.loc[0, "error_rate_high"] == pytest.approx(er.high)
    assert df.loc[0, "accuracy_low"] == pytest.approx(1 - er.high)
    assert df.loc[0, "accuracy_high"] == pytest.approx(1 - er.low)
    assert stats.binom.sf(0, 3, er.low) == pytest.approx(0.025)


def test_subgroup_metrics_length_mismatch():
    with pytest.raises(LengthMismatchError, match="y_true has 2, y_pred 3 and groups 2"):
        subgroup_metrics([0, 1], [0, 1, 1], ["a", "b"])


def test_small_rates_do_not_read_as_zero():
    # a verified rate of 0.004% was printed as 0.00%, which a reader takes for none
    from dataqa.stats import percent

    assert [percent(x) for x in (0.0, 0.00004, 0.000049, 0.00005, 0.0123, 1.0, 1.234e-7)] \
        == ["0.00%", "0.004%", "0.0049%", "0.01%", "1.23%", "100.00%", "0.000012%"]
    r = error_rate_interval(0, 100)
    assert str(r).startswith("0.00% (0/100; 95% interval 0.00% - ")
