"""The verified error rate: plan a small stratified review, then put a posterior on it.

The share of wrong labels cannot be read off the model (see
:mod:`dataqa.audit.error_rate`); people have to look. This module makes that look cheap
and its answer honest, as in the statistics of test sets:

1. :func:`plan_review` splits the items into **strata** by the audit's label-issue score
   (see :data:`STRATA`), sizes the sample of each by Neyman allocation from the model's
   expected error in it, and draws the items at random within each stratum;
2. a person gives each planned item its correct label, **blind** (the ``verify`` queue
   of Label Studio shows neither the given nor the suggested label);
3. :func:`estimate_error_rate` puts a Beta(k + 1/2, n - k + 1/2) posterior on the error
   rate of each stratum (Jeffreys prior; ``k`` errors seen among its ``n`` reviewed
   items), draws the errors of the stratum's unreviewed items from it, and adds the
   strata up: a posterior of the **number of items of the dataset whose given label
   differs from the correct one**, hence of the dataset's label-error rate (computed
   exactly, see :mod:`dataqa.audit.posterior`); the interval's lower end comes from the
   prior Beta(0, 1/2), under which a stratum whose review found no error adds none;
4. :func:`required_review_size` says how many items to plan for a target width.

A stratum whose planned items were only partly reviewed has a wider posterior; a
stratum with no review at all keeps its prior: its items may be all right or all wrong,
and the answer says so by being wide.

Defaults (``benchmarks/error_rate_estimation.py --candidates``, 1,000 simulated reviews
per cell, tuning rows only: digits, wine and breast cancer with 0.5% to 20% uniform or
class-dependent noise): with exact reviewers, the Jeffreys prior with the
``"exact-lower"`` interval, the narrowest of the candidates whose coverage was consistent
with 95% in every cell (lowest 0.953, mean 0.989). The uniform prior with the equal-tailed
interval, the default before, fell to 0.372 on nearly clean data (digits with 0.5% noise,
100 reviews): each nearly clean stratum's prior adds errors, and the lower end rises above
the truth. With ``reviewer_error`` the interval is ``"clopper-pearson"``, its brackets'
priors on each stratum's flag rate (:func:`dataqa.audit.posterior.flag_rate_grid`), with
the Jeffreys prior for the estimate: ``benchmarks/error_rate_estimation.py
--noisy-candidates`` (the same tuning rows, reviewers wrong 5% of the time answering a
random other class, corrected with those rates, 500 simulated reviews per cell, cells
that review every item included) found it the only candidate consistent with 95% in
every cell (lowest 0.976, mean 0.991, mean width 0.059); the highest-density interval,
the default before, fell to 0.906 (wine, every item reviewed) and 0.918 (digits with
0.5% of labels wrong).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from dataqa.audit.posterior import (
    PosteriorInterval,
    equal_tailed_ends,
    noisy_total_errors_pmf,
    pmf_summary,
    reviewer_error_pair,
    total_errors_pmf,
)
from dataqa.errors import (
    EmptyDataError,
    InvalidSettingError,
    LabelError,
    MissingColumnError,
    UnknownNameError,
    _case_variants,
    _lost_zeros_hint,
    format_ids,
    format_rows,
)

__all__ = ["STRATA", "PosteriorInterval", "VerifiedErrorRate", "estimate_error_rate",
           "extend_plan", "neyman_allocation", "plan_review", "required_review_size",
           "review_strata", "reviews_to_add", "stratified_interval"]

#: Strata of a review plan, from the most to the least suspicious: ``flagged`` (cleanlab
#: flags the item), ``high`` (the :data:`HIGH_FRACTION` of unflagged items with the
#: highest label-issue scores) and ``rest``.
STRATA = ("flagged", "high", "rest")

#: Share of the unflagged items, by label-issue score, that make the ``high`` stratum.
#: Chosen on digits, wine and breast cancer (``benchmarks/error_rate_estimation.py``):
#: more strata put more weight on the uniform priors of large, nearly clean strata, which
#: pushes the interval up and lowers its coverage.
HIGH_FRACTION = 0.10
#: Fewest planned items per stratum (all of them when the stratum is smaller), so that
#: no stratum is left unobserved however small its Neyman share.
MIN_PER_STRATUM = 5
#: The model's expected error of a stratum (the mean label-issue score, ``1 - p(given
#: label)``) is clipped to this range before allocating: the score overstates the error
#: of clean strata and can understate that of the flagged one, and a stratum the model
#: finds spotless must still get its share. Chosen on digits, wine and breast cancer.
EXPECTED_ERROR_CLIP = (0.02, 0.9)
#: Interval kinds of :func:`estimate_error_rate`: the posterior's equal-tailed or
#: highest-density interval under the prior; ``"exact-lower"``: the upper end as
#: equal-tailed, the lower end from the posterior under the prior with ``a = 0``
#: (Beta(0, b): a stratum whose review found no error adds none to the lower end, as the
#: Clopper-Pearson lower limit of a proportion does); ``"clopper-pearson"``: the lower end
#: under Beta(0, 1) and the upper end under Beta(1, 0) whatever the prior, the
#: Clopper-Pearson interval for one stratum (of the beta-binomial count). With
#: ``reviewer_error``, ``"clopper-pearson"`` takes its brackets' priors on each stratum's
#: flag rate (:func:`dataqa.audit.posterior.flag_rate_grid`); ``"exact-lower"`` is for
#: exact reviewers only.
INTERVALS = ("equal-tailed", "hdi", "exact-lower", "clopper-pearson")
#: The interval kinds that take their ends from other priors than the estimate's.
_BRACKETED = ("exact-lower", "clopper-pearson")
#: Named per-stratum priors on the error rate: Beta(a, b).
PRIORS = {"uniform": (1.0, 1.0), "jeffreys": (0.5, 0.5)}
#: Default prior and interval of :func:`estimate_error_rate` (see the module docstring):
#: with exact reviewers, and with ``reviewer_error``.
DEFAULT_PRIOR = "jeffreys"
DEFAULT_INTERVAL = "exact-lower"
NOISY_DEFAULT_PRIOR = "jeffreys"
NOISY_DEFAULT_INTERVAL = "clopper-pearson"
#: The interval of one stratum's rate (a row of ``strata``, ``flag_precision``) when the
#: overall one is the default ``"exact-lower"``: exact at both ends.
ROW_INTERVAL = "clopper-pearson"


# ------------------------------------------------------------------------------ strata

def review_strata(issues: pd.DataFrame) -> np.ndarray:
    """The stratum of each row of an audit's ``issues`` table (see :data:`STRATA`).

    Flagged items are ``flagged``; of the others, the ``ceil(HIGH_FRACTION * n_unflagged)``
    with the highest label-issue scores are ``high`` (ties in the table's row order, which
    is deterministic) and the rest ``rest``.

    Parameters
    ----------
    issues : DataFrame with ``label_issue_score`` and ``is_label_issue``

    Returns
    -------
    object ndarray (n,) of stratum names, in the rows' order.
    """
    score = issues["label_issue_score"].to_numpy(dtype=np.float64)
    flagged = issues["is_label_issue"].to_numpy(dtype=bool)
    out = np.where(flagged, "flagged", "rest").astype(object)
    unflagged = np.flatnonzero(~flagged)
    m = int(math.ceil(HIGH_FRACTION * len(unflagged)))
    top = unflagged[np.argsort(-score[unflagged], kind="stable")[:m]]
    out[top] = "high"
    return out


def _strata_table(issues: pd.DataFrame) -> pd.DataFrame:
    """``stratum, n_items, expected_error`` of the non-empty strata, in :data:`STRATA` order."""
    s = review_strata(issues)
    score = issues["label_issue_score"].to_numpy(dtype=np.float64)
    rows = [{"stratum": h, "n_items": int((s == h).sum()),
             "expected_error": float(score[s == h].mean())} for h in STRATA if (s == h).any()]
    return pd.DataFrame(rows, columns=["stratum", "n_items", "expected_error"])


def neyman_allocation(n_items, expected_error, budget: int, *,
                      min_per_stratum: int = MIN_PER_STRATUM,
                      warn_thin: bool = True) -> np.ndarray:
    """Items to review per stratum: Neyman allocation with a floor.

    The share of stratum ``h`` is proportional to ``N_h * sqrt(p_h (1 - p_h))``
    (``p_h``: the expected error, clipped to :data:`EXPECTED_ERROR_CLIP`), the allocation
    that minimises the variance of the stratified estimate of the overall rate. Each
    stratum gets at least ``min(min_per_stratum, N_h)`` and at most ``N_h``: the
    proportional shares are scaled (water-filling) until the bounded shares add up to the
    budget, then rounded by largest remainders.

    Parameters
    ----------
    n_items : int array (H,)
        Items per stratum, ``N_h``.
    expected_error : float array (H,)
    budget : int
        Total items to review; all of them when ``budget >= sum(N_h)``.
    min_per_stratum : int
    warn_thin : bool
        Warn when the budget cannot give every stratum its ``min_per_stratum`` (off for
        budgets tried while searching for a review size, which no one asked for).

    Returns
    -------
    int ndarray (H,) summing to ``min(budget, sum(N_h))``.
    """
    N = np.asarray(n_items, dtype=np.int64)
    p = np.clip(np.asarray(expected_error, dtype=np.float64), *EXPECTED_ERROR_CLIP)
    budget = int(budget)
    if budget < 1:
        raise InvalidSettingError(f"budget={budget} must be at least 1 item.")
    if int(min_per_stratum) < 0:
        raise InvalidSettingError(f"min_per_stratum={min_per_stratum} must be >= 0.")
    if budget >= N.sum():
        return N.copy()
    floor = np.minimum(N, int(min_per_stratum)).astype(np.float64)
    if floor.sum() >= budget:  # the floors alone are over budget: share the budget evenly
        share = _spread(np.minimum(N, budget).astype(np.float64), budget)
        if floor.sum() > budget and warn_thin:
            import warnings

            warnings.warn(
                f"a budget of {budget} items leaves some of the {len(N)} strata fewer than "
                f"{int(min_per_stratum)} items (spread evenly: {share.tolist()}); a stratum "
                f"reviewed so thinly makes the interval wide. A budget of at least "
                f"{int(floor.sum())} gives each its {int(min_per_stratum)}.", UserWarning,
                stacklevel=3)
        return share
    w = N * np.sqrt(p * (1.0 - p))

    lam = _water_level(lambda lam: float(np.clip(lam * w, floor, N).sum()), budget)
    return _round_bounded(np.clip(lam * w, floor, N), budget, N)


def _water_level(total, target: float) -> float:
    """The smallest ``lam`` (to bisection precision) with ``total(lam) >= target``, for
    ``total`` non-decreasing in ``lam`` (bounded shares scaled until they fill a budget)."""
    lo, hi = 0.0, 1.0
    while total(hi) < target:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if total(mid) < target:
            lo = mid
        else:
            hi = mid
    return hi


def _spread(cap: np.ndarray, budget: int) -> np.ndarray:
    """``budget`` items spread as evenly as possible over strata of sizes ``cap``."""
    out = np.zeros(len(cap), dtype=np.int64)
    left = budget
    order = np.argsort(-cap, kind="stable")
    while left > 0:
        for h in order:
            if left and out[h] < cap[h]:
                out[h] += 1
                left -= 1
    return out


def _round_bounded(x: np.ndarray, budget: int, N: np.ndarray) -> np.ndarray:
    """Integers summing to ``budget``: floors of ``x``, remainders given to the largest fractions."""
    out = np.floor(x + 1e-9).astype(np.int64)
    frac = x - out
    for h in np.argsort(-frac, kind="stable"):
        if out.sum() >= budget:
            break
        if out[h] < N[h]:
            out[h] += 1
    while out.sum() > budget:  # rounding overshoot: take from the largest allocations
        h = int(np.argmax(out - np.minimum(N, MIN_PER_STRATUM)))
        out[h] -= 1
    return out


def _issues_of(result) -> pd.DataFrame:
    issues = getattr(result, "issues", None)
    if not isinstance(issues, pd.DataFrame):
        raise InvalidSettingError(
            f"result must be an AuditResult (from dataqa.audit.audit or AuditResult.load), "
            f"not {type(result).__name__}.")
    return issues


def plan_review(result, *, budget: int, random_state: int = 0,
                min_per_stratum: int = MIN_PER_STRATUM) -> pd.DataFrame:
    """Choose the items people should verify to estimate the dataset's label-error rate.

    The items are split into :data:`STRATA` by the audit's flags and label-issue
    scores; the budget is shared by :func:`neyman_allocation` using the mean
    label-issue score of each stratum (the model's expected error there) and drawn at
    random (without replacement) within each stratum.

    The rows come in a random order that interleaves the strata, so that reviewing the
    plan from the top and stopping early still leaves a random sample of each stratum.
    The plan is also kept as ``result.review_plan``, where :func:`estimate_error_rate`
    finds it; a ``result.verified`` estimate of another plan is dropped with it.

    Parameters
    ----------
    result : AuditResult
    budget : int
        Items to review (all items when it is at least their number).
    random_state : int
        Seed of the draws; the same seed gives the same plan.
    min_per_stratum : int
        Fewest items planned per stratum (:data:`MIN_PER_STRATUM`).

    Returns
    -------
    DataFrame, one row per item to review: ``id``, ``stratum`` and ``weight`` (items of
    the stratum per planned item, ``N_h / n_h``: how many items each review stands for).
    ``attrs["strata"]`` holds the per-stratum table (``stratum, n_items,
    expected_error, n_planned``).
    """
    issues = _issues_of(result)
    if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)):
        raise InvalidSettingError(f"budget must be a whole number of items, not {budget!r}.")
    table = _strata_table(issues)
    alloc = neyman_allocation(table["n_items"], table["expected_error"], int(budget),
                              min_per_stratum=min_per_stratum)
    table["n_planned"] = alloc
    rng = np.random.default_rng(random_state)
    strata = review_strata(issues)
    ids = issues["id"].astype(str).to_numpy()
    parts = []
    for h, n_h, N_h in zip(table["stratum"], alloc, table["n_items"], strict=True):
        members = np.sort(ids[strata == h])  # sorted first: the draw depends on the ids only
        chosen = rng.choice(members, size=int(n_h), replace=False)
        parts.append(pd.DataFrame({"id": chosen, "stratum": h,
                                   "weight": float(N_h) / n_h if n_h else np.nan}))
    plan = pd.concat(parts, ignore_index=True)
    plan = plan.iloc[rng.permutation(len(plan))].reset_index(drop=True)
    plan.attrs["strata"] = table
    try:
        before = getattr(result, "review_plan", None)
        result.review_plan = plan
        if getattr(result, "verified", None) is not None and (
                before is None or before["id"].astype(str).tolist()
                != plan["id"].astype(str).tolist()):
            result.verified = None  # an estimate of another plan's reviews
    except AttributeError:  # a frozen or foreign object: the plan is still returned
        pass
    return plan


def _observed_table(issues: pd.DataFrame, plan: pd.DataFrame, verified=None) -> pd.DataFrame:
    """:func:`_strata_table` with ``n_planned`` (from ``plan``) and ``n_reviewed,
    n_errors`` (from ``verified``, a :class:`VerifiedErrorRate` of this plan or its
    ``strata`` table; zero without it)."""
    table = _strata_table(issues)
    counts = plan["stratum"].astype(str).value_counts()
    table["n_planned"] = [int(counts.get(h, 0)) for h in table["stratum"]]
    table["n_reviewed"] = 0
    table["n_errors"] = 0
    if verified is not None:
        seen = getattr(verified, "strata", verified)
        missing = [c for c in ("stratum", "n_reviewed", "n_errors") if c not in seen]
        if not isinstance(seen, pd.DataFrame) or missing:
            raise InvalidSettingError(
                "verified must be the estimate of this plan's reviews (estimate_error_rate) "
                "or its strata table (stratum, n_reviewed, n_errors).")
        seen = seen.set_index(seen["stratum"].astype(str))
        for i, h in enumerate(table["stratum"]):
            if h in seen.index:
                n_h, k_h = int(seen.at[h, "n_reviewed"]), int(seen.at[h, "n_errors"])
                if not 0 <= k_h <= n_h <= table.at[i, "n_planned"]:
                    raise InvalidSettingError(
                        f"verified holds {n_h} reviews ({k_h} errors) in stratum {h!r}, which "
                        f"has {table.at[i, 'n_planned']} planned items: it is not an estimate "
                        f"of this plan's reviews.")
                table.loc[i, ["n_reviewed", "n_errors"]] = [n_h, k_h]
    return table


def _rates_so_far(table: pd.DataFrame) -> np.ndarray:
    """Each stratum's error rate for allocating more reviews: the posterior mean of its
    reviews (Jeffreys) where it has some, else the model's expected error; clipped to
    :data:`EXPECTED_ERROR_CLIP` as in :func:`neyman_allocation`."""
    n = table["n_reviewed"].to_numpy(dtype=np.float64)
    k = table["n_errors"].to_numpy(dtype=np.float64)
    p = np.where(n > 0, (k + 0.5) / np.maximum(n + 1.0, 1.0),
                 table["expected_error"].to_numpy(dtype=np.float64))
    return np.clip(p, *EXPECTED_ERROR_CLIP)


def _extension_allocation(table: pd.DataFrame, add: int) -> np.ndarray:
    """Items to add per stratum: the Neyman shares of the whole enlarged plan
    (``n_planned.sum() + add`` items, rates from :func:`_rates_so_far`), less what each
    stratum already has (never negative, at most its unplanned items), found by
    water-filling so that they add up to ``add``."""
    N = table["n_items"].to_numpy(dtype=np.int64)
    have = table["n_planned"].to_numpy(dtype=np.int64)
    cap = (N - have).astype(np.float64)
    if add >= cap.sum():
        return cap.astype(np.int64)
    p = _rates_so_far(table)
    w = N * np.sqrt(p * (1.0 - p))

    lam = _water_level(lambda lam: float(np.clip(lam * w - have, 0.0, cap).sum()), add)
    x = np.clip(lam * w - have, 0.0, cap)
    out = np.floor(x + 1e-9).astype(np.int64)
    for h in np.argsort(-(x - out), kind="stable"):  # largest remainders first
        if out.sum() >= add:
            break
        if out[h] < cap[h]:
            out[h] += 1
    while out.sum() > add:
        out[int(np.argmax(out))] -= 1
    return out


def extend_plan(result, *, add: int, verified=None, random_state: int = 0) -> pd.DataFrame:
    """Add ``add`` items to the review plan, keeping the items (and reviews) it has.

    When the interval of :func:`estimate_error_rate` comes out wider than wanted, more
    reviews narrow it: the added items are drawn at random (without replacement) among
    each stratum's items that are not yet planned, so each stratum's planned items stay a
    simple random sample of it and the reviews already done keep counting. The ``add``
    items go where Neyman allocation of the whole enlarged plan wants more than the
    stratum has, with each stratum's error rate taken from its reviews so far
    (``verified``: the posterior mean) or, without them, from the model (as
    :func:`plan_review`). :func:`reviews_to_add` says how many to add for a width.

    Deciding to add after seeing a first estimate makes the review size depend on what
    the reviews found; the posterior is the same whatever the stopping rule, and the
    interval's coverage with one such extension is checked by simulation in
    ``tests/audit/test_review.py``.

    Parameters
    ----------
    result : AuditResult
        With ``review_plan`` (made by :func:`plan_review`).
    add : int
        Items to add (all the unplanned items when they are fewer).
    verified : VerifiedErrorRate or DataFrame, optional
        The estimate of this plan's reviews so far, or its ``strata`` table (``stratum,
        n_reviewed, n_errors``): where the errors were found guides the allocation.
        Default ``result.verified`` when it is an estimate of this plan's reviews.
    random_state : int
        Seed; combined with the plan's size, so a second extension draws afresh.

    Returns
    -------
    DataFrame: the plan's rows in their order, then the added rows in a random order that
    interleaves the strata (``id, stratum, weight``, the weights recomputed for the
    enlarged plan). ``attrs["strata"]`` has ``n_added`` and ``allocation_rate`` (the
    error rate the allocation used) per stratum, ``attrs["added"]``
    the added ids. Kept as ``result.review_plan`` (``result.save`` writes it and keeps the
    earlier sheets; a sheet of the added items is for the caller to make, as
    ``dataqa review plan --add`` makes ``review_sheet_2.csv``).
    """
    issues = _issues_of(result)
    plan = getattr(result, "review_plan", None)
    if plan is None:
        raise InvalidSettingError(
            "there is no review plan to extend: make one with plan_review(result, "
            "budget=...) (or `dataqa review plan AUDIT_DIR --budget N`).")
    if isinstance(add, bool) or not isinstance(add, (int, np.integer)) or add < 1:
        raise InvalidSettingError(f"add must be a whole number of items, at least 1, not {add!r}.")
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)) \
            or random_state < 0:
        raise InvalidSettingError(f"random_state must be a whole number >= 0, not {random_state!r}.")
    _check_plan_strata(plan, issues)
    table = None
    if verified is None and getattr(result, "verified", None) is not None:
        try:  # the result's own estimate, when it is one of this plan's reviews
            table = _observed_table(issues, plan, result.verified)
        except InvalidSettingError:
            pass
    if table is None:
        table = _observed_table(issues, plan, verified)
    alloc = _extension_allocation(table, int(add))
    rng = np.random.default_rng([int(random_state), len(plan)])
    strata = review_strata(issues)
    ids = issues["id"].astype(str).to_numpy()
    planned = set(plan["id"].astype(str))
    parts = []
    for h, a_h in zip(table["stratum"], alloc, strict=True):
        members = np.sort([i for i in ids[strata == h] if i not in planned])
        parts.append(pd.DataFrame({"id": rng.choice(members, size=int(a_h), replace=False),
                                   "stratum": h}))
    added = pd.concat(parts, ignore_index=True)
    added = added.iloc[rng.permutation(len(added))]
    base = pd.DataFrame({"id": plan["id"].astype(str).to_numpy(),  # without plan.attrs
                         "stratum": plan["stratum"].astype(str).to_numpy()})
    out = pd.concat([base, added], ignore_index=True)
    table["allocation_rate"] = _rates_so_far(table)
    table["n_added"] = alloc
    table["n_planned"] = table["n_planned"] + alloc
    per = dict(zip(table["stratum"], table["n_items"] / table["n_planned"].clip(lower=1),
                   strict=True))
    out["weight"] = out["stratum"].map(per).astype(float)
    out.attrs["strata"] = table
    out.attrs["added"] = added["id"].tolist()
    try:
        result.review_plan = out
    except AttributeError:
        pass
    return out


#: :func:`reviews_to_add` asks this share of the simulated reviews to reach the width.
#: Chosen on the tuning rows of ``benchmarks/review_size.py`` (a first plan of 60 items,
#: or of the recommended budget, extended once when too wide; 16 plans per row) by a rule
#: fixed before the run: the smallest of 0.5, 0.75, 0.9 and 0.95 whose extended plans
#: reached the width in at least 75% of the extended plans of every tuning row. 0.75
#: reached it in 83-100% (0.5 in 62% of the 20%-noise plans); 0.9 asked for 20-60% more.
ADD_QUANTILE = 0.75


def reviews_to_add(verified, *, width: float, quantile: float | None = None, n_sim: int = 100,
                   n_draws: int = 2_000, random_state: int = 0) -> int:
    """How many items :func:`extend_plan` should add for the interval to be at most ``width``.

    How: the planned items not yet reviewed and ``a`` added ones (allocated as
    :func:`extend_plan` allocates) are reviewed in ``n_sim`` simulations, each stratum's
    errors drawn with its rate from the posterior of its reviews so far (the prior alone
    for a stratum without reviews); each simulated review gets its interval from
    ``n_draws`` draws of its posterior (the unreviewed items' errors beta-binomial, as
    :func:`estimate_error_rate` has them). The answer is the smallest ``a`` for which
    75% of the widths (``quantile``, default :data:`ADD_QUANTILE`) are at most
    ``width``, found by doubling and then bisection (to within 1%). 0 when the interval
    is narrow enough, or finishing the plan is planned to make it so; the number of
    unplanned items when even all of them are not.

    Parameters
    ----------
    verified : VerifiedErrorRate
        From :func:`estimate_error_rate`, with exact reviewers.
    width : float
        Wanted width of the interval (e.g. 0.05).
    quantile : float, optional
        Share of the simulated reviews that must reach ``width`` (:data:`ADD_QUANTILE`).

    Returns
    -------
    int
    """
    return _reviews_to_add(verified, width=width, quantile=quantile, n_sim=n_sim,
                           n_draws=n_draws, random_state=random_state)[0]


def _reviews_to_add(verified, *, width: float, quantile: float | None = None, n_sim: int = 100,
                    n_draws: int = 2_000, random_state: int = 0) -> tuple[int, bool, float]:
    """:func:`reviews_to_add`'s answer, whether it is planned to be enough (False: even
    every unplanned item is not) and the median of the simulated widths with it (NaN when
    nothing was simulated)."""
    from scipy import stats

    if not 0.0 < float(width) < 1.0:
        raise InvalidSettingError(f"width={width!r} must be strictly between 0 and 1 "
                                  f"(e.g. 0.05 for +-2.5 points).")
    if any(getattr(verified, "reviewer_error", (0.0, 0.0))):
        raise InvalidSettingError(
            "reviews_to_add plans for exact reviewers; this estimate takes the reviewers to "
            "err (reviewer_error), which makes intervals wider than planned here.")
    q = ADD_QUANTILE if quantile is None else float(quantile)
    if not 0.0 < q < 1.0:
        raise InvalidSettingError(f"quantile={quantile!r} must be strictly between 0 and 1.")
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)) \
            or random_state < 0:
        raise InvalidSettingError(f"random_state must be a whole number >= 0, not {random_state!r}.")
    t = verified.strata
    N = t["n_items"].to_numpy(dtype=np.int64)
    have = t["n_planned"].to_numpy(dtype=np.int64)
    n0 = t["n_reviewed"].to_numpy(dtype=np.int64)
    k0 = t["n_errors"].to_numpy(dtype=np.int64)
    ab = PRIORS.get(verified.prior, PRIORS[DEFAULT_PRIOR])
    rng = np.random.default_rng(random_state)
    rate = rng.beta(k0[:, None] + ab[0], n0[:, None] - k0[:, None] + ab[1], size=(len(N), n_sim))
    # common random numbers for every size tried: Binomial(extra, rate) by inverting its
    # cdf at the same uniforms
    u = np.clip(rng.random((len(N), n_sim)), 1e-12, 1.0 - 1e-12)

    medians: dict[int, float] = {}

    def ok(a: int) -> bool:
        extra = (have - n0) + _extension_allocation(t, a)
        n = n0 + extra
        k = k0[:, None] + stats.binom.ppf(u, extra[:, None], rate).astype(np.int64)
        w = _simulated_widths(N, n, k, ab=ab, interval=verified.interval,
                              confidence=verified.confidence, n_draws=n_draws,
                              seed=random_state, binomial=True)
        medians[a] = float(np.median(w))
        return float(np.quantile(w, q)) <= width

    room = int((N - have).sum())
    finishing = bool((have > n0).any())  # planned items not reviewed yet
    if not finishing and verified.high - verified.low <= width:
        return 0, True, float("nan")  # every planned item reviewed, narrow enough already
    if finishing and ok(0):
        return 0, True, medians[0]
    if room == 0:
        return 0, False, medians.get(0, float("nan"))
    if not ok(room):
        return room, False, medians[room]
    lo, hi = 0, min(room, max(10, int(have.sum()) // 4))
    while not ok(hi):
        lo, hi = hi, min(room, hi * 2)
    while hi - lo > max(1, hi // 100):
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    hi = int(max(hi, 1))
    if hi not in medians:
        ok(hi)
    return hi, True, medians[hi]


def _check_plan_strata(plan: pd.DataFrame, issues: pd.DataFrame) -> None:
    """Refuse a plan whose items are not in the strata this audit puts them in."""
    for c in ("id", "stratum"):
        if c not in plan.columns:
            raise MissingColumnError(c, list(plan.columns), role="review plan column")
    all_ids = issues["id"].astype(str)
    stratum_of = pd.Series(review_strata(issues), index=all_ids.to_numpy())
    mismatch = [i for i, h in zip(plan["id"].astype(str), plan["stratum"].astype(str),
                                  strict=True) if stratum_of.get(i) != h]
    if mismatch:
        raise InvalidSettingError(
            f"the plan's strata do not match this audit for {len(mismatch)} item(s) "
            f"({format_ids(mismatch)}): the plan was made from another audit; plan again.")


# ------------------------------------------------------------------------- posterior

@dataclass
class VerifiedErrorRate:
    """The dataset's label-error rate estimated from a stratified review.

    ``estimate`` is the stratified sample's unbiased estimate (when reviewers may err,
    each stratum's share of flags corrected for their errors and cut at 0 and 1, which
    leaves it a little above the truth on nearly clean data; see
    :func:`estimate_error_rate`) and ``[low, high]`` a credible
    interval (holding ``confidence`` of the posterior) of the **fraction of the
    dataset's items whose given label differs from the correct one**, under a Beta prior on the error rate of
    each stratum (``prior``: Jeffreys Beta(1/2, 1/2) by default; ``interval`` says how
    the ends are taken, see :data:`INTERVALS`) and reviewers who err at
    the known rates ``reviewer_error`` (``(0, 0)``: taken to be right); see
    :func:`estimate_error_rate`.

    Attributes
    ----------
    estimate, low, high, confidence : float
    interval : {"equal-tailed", "hdi", "exact-lower", "clopper-pearson"}
    n_items, n_planned, n_reviewed, n_errors : int
        Items in the dataset, in the plan, reviewed, and reviewed with a wrong given label
        (by the reviewers' word: flags, when the reviewers may err).
    strata : DataFrame
        Per stratum: ``stratum, n_items, expected_error`` (the model's), ``n_planned,
        n_reviewed, n_errors, error_rate, error_rate_low, error_rate_high`` (the
        estimate of the share of the stratum's items whose given label is wrong, its
        reviewed share ``n_errors / n_reviewed`` when reviewers are taken as right,
        and an interval of that share: with the default interval, Clopper-Pearson's
        (:data:`ROW_INTERVAL`), which holds it in at least ``confidence`` of reviews).
    flag_precision : PosteriorInterval or None
        Share of the flagged items whose given label is wrong (None without flags), with
        the flagged stratum's interval.
    missed_errors : PosteriorInterval or None
        Number of label errors among the items that were not flagged.
    n_errors_total : PosteriorInterval
        Number of label errors in the dataset.
    per_class : DataFrame
        Per given class: ``class, n_items, n_reviewed, n_errors, error_rate,
        error_rate_low, error_rate_high`` (each class-within-stratum cell has its own
        prior, so a class with few reviews in a large stratum is wide).
    pmf : ndarray (n_items + 1,)
        Posterior probability of each number of wrong labels (see :meth:`density`).
    """

    estimate: float
    low: float
    high: float
    confidence: float
    interval: str
    n_items: int
    n_planned: int
    n_reviewed: int
    n_errors: int
    strata: pd.DataFrame
    flag_precision: PosteriorInterval | None
    missed_errors: PosteriorInterval | None
    n_errors_total: PosteriorInterval
    per_class: pd.DataFrame
    pmf: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    prior: str = DEFAULT_PRIOR
    reviewer_error: tuple[float, float] = (0.0, 0.0)

    def describe(self) -> str:
        """What the interval is an interval of, and under which assumptions (one paragraph)."""
        a, b = PRIORS.get(self.prior, (float("nan"), float("nan")))
        kind = {"hdi": "highest-density credible interval",
                "exact-lower": "credible interval with a conservative lower end",
                "clopper-pearson": "credible interval with conservative ends"
                }.get(self.interval, "equal-tailed credible interval")
        e0, e1 = self.reviewer_error
        rate = ("error rate" if not (e0 or e1) else
                "flag rate (the share of its reviewed items the reviewers flag, whose "
                "error rate follows from it through their known error rates)")
        ends = {"exact-lower": f" Its upper end is the posterior's upper quantile; its lower "
                               f"end is the lower quantile of the posterior under Beta(0, "
                               f"{b:g}) on each stratum's {rate} instead, so a stratum whose "
                               f"reviews found no wrong label adds none to it.",
                "clopper-pearson": f" Its lower end comes from the posterior under Beta(0, 1) "
                                   f"and its upper end from that under Beta(1, 0) on each "
                                   f"stratum's {rate}, as the Clopper-Pearson interval of "
                                   f"a proportion."
                                   + ("" if not (e0 or e1) else
                                      " A stratum with no more flags than its correct labels "
                                      "alone would likely give adds no error to the lower "
                                      "end.")
                }.get(self.interval, "")
        who = ("It assumes the reviewers are right." if not (e0 or e1) else
               f"The reviewers are taken to err at known rates: a correct label flagged with "
               f"probability {e0:g}, a wrong one confirmed with probability {e1:g}, "
               f"independently of everything else; the posterior integrates over which "
               f"reviewed items are truly wrong.")
        return (f"The interval is a {round(self.confidence * 100)}% {kind} "
                f"of the share of the dataset's items whose given label differs from the "
                f"correct one: each stratum of the review plan has a Beta({a:g}, {b:g}) "
                f"({self.prior}) prior on its error rate, updated by its reviews; its "
                f"unreviewed items' errors follow from it, and the strata add up (computed "
                f"exactly).{ends} A stratum with few or no reviews keeps most of its prior "
                f"and widens the interval. {who}")

    def density(self) -> tuple[np.ndarray, np.ndarray]:
        """``(rates, probabilities)`` of the posterior: rate ``x / n_items`` for ``x`` errors."""
        return np.arange(len(self.pmf)) / max(self.n_items, 1), self.pmf

    @property
    def width(self) -> float:
        return self.high - self.low

    def to_dict(self) -> dict:
        """JSON-ready (the ``verified.json`` of ``dataqa review estimate``)."""
        def opt(x):
            return x.to_dict() if x is not None else None

        return {
            "estimate": self.estimate, "low": self.low, "high": self.high,
            "confidence": self.confidence, "interval": self.interval,
            "what": "credible interval of the fraction of items whose given label differs "
                    f"from the correct one ({self.interval}; stratified Beta posteriors, "
                    f"{self.prior} priors"
                    + (", reviewers assumed exact)" if not any(self.reviewer_error) else
                       f", reviewers who flag a correct label with probability "
                       f"{self.reviewer_error[0]:g} and confirm a wrong one with probability "
                       f"{self.reviewer_error[1]:g})"),
            "prior": self.prior, "reviewer_error": list(self.reviewer_error),
            "n_items": self.n_items, "n_planned": self.n_planned,
            "n_reviewed": self.n_reviewed, "n_errors": self.n_errors,
            "flag_precision": opt(self.flag_precision),
            "missed_errors": opt(self.missed_errors),
            "n_errors_total": self.n_errors_total.to_dict(),
            "strata": self.strata.to_dict(orient="records"),
            "per_class": self.per_class.to_dict(orient="records"),
        }

    def __str__(self) -> str:
        pct = round(self.confidence * 100)
        # strata reviewed at different rates: the raw share of wrong reviews is not the rate
        sampled = self.strata[self.strata["n_reviewed"] > 0]
        weighted = len(sampled) > 1 and len(
            set((sampled["n_reviewed"] / sampled["n_items"]).round(12))) > 1
        # with reviewers who err, a "wrong" answer is the reviewer's flag, not a fact
        wrong = "flagged wrong" if any(getattr(self, "reviewer_error", (0, 0))) else "wrong"
        from dataqa.stats import percent

        return (f"{percent(self.estimate)} ({pct}% interval {percent(self.low)} - "
                f"{percent(self.high)}; "
                f"{self.n_errors} {wrong} of {self.n_reviewed} reviewed"
                f"{', each stratum weighted by its size' if weighted else ''})")


def missed_errors_line(v) -> str:
    """The estimate of the label errors among the unflagged items, with what the reviews
    of unflagged items found: the estimate is the strata's posteriors, not a count."""
    unflagged = v.strata[v.strata["stratum"] != "flagged"]
    found = int(unflagged["n_errors"].sum())
    seen = int(unflagged["n_reviewed"].sum())
    return (f"label errors among the {int(unflagged['n_items'].sum())} unflagged items, "
            f"estimated: {v.missed_errors.format('{:.0f}')}; {found} found among the {seen} "
            f"reviewed")


def _check_confidence(confidence: float) -> float:
    if not 0.0 < float(confidence) < 1.0:
        raise InvalidSettingError(
            f"confidence={confidence!r} (--confidence) must be strictly between 0 and 1 "
            f"(e.g. 0.95 for 95%).")
    return float(confidence)


def _check_prior(prior: str) -> tuple[float, float]:
    if prior not in PRIORS:
        raise UnknownNameError("prior", prior, tuple(PRIORS))
    return PRIORS[prior]


def _check_reviewer_error(reviewer_error) -> tuple[float, float] | None:
    """``None`` for exact reviewers (``None`` or 0), else the pair ``(e0, e1)``."""
    if reviewer_error is None:
        return None
    pair = reviewer_error_pair(reviewer_error)
    return pair if any(pair) else None


def _resolve(prior, interval, reviewer_error):
    """Checked ``(prior name, (a, b), interval, (e0, e1) or None)``; defaults by path."""
    eps = _check_reviewer_error(reviewer_error)
    # (names in any case: --prior Jeffreys, as the docs write it in a sentence)
    prior = prior.strip().lower() if isinstance(prior, str) else prior
    interval = interval.strip().lower() if isinstance(interval, str) else interval
    if prior is None:
        prior = DEFAULT_PRIOR if eps is None else NOISY_DEFAULT_PRIOR
    if interval is None:
        interval = DEFAULT_INTERVAL if eps is None else NOISY_DEFAULT_INTERVAL
    if interval not in INTERVALS:
        raise UnknownNameError("interval", interval, INTERVALS)
    if interval == "exact-lower" and eps is not None:
        raise InvalidSettingError(
            "interval='exact-lower' is for exact reviewers: with reviewer_error its upper end "
            "held one stratum's rate in as few as 94% of samples; use 'clopper-pearson' (the "
            "default with reviewer_error), 'equal-tailed' or 'hdi'.")
    return prior, _check_prior(prior), interval, eps


def _errors_pmf(N, n, k, ab, eps) -> np.ndarray:
    """The posterior pmf of the number of wrong labels: exact reviewers or erring ones."""
    if eps is None:
        return total_errors_pmf(N, n, k, prior=ab)
    return noisy_total_errors_pmf(N, n, k, eps, prior=ab)


def _one_uncertain(interval: str, N, n) -> str:
    """``"clopper-pearson"`` for ``"exact-lower"`` when at most one stratum has items left
    unreviewed (one stratum, or one beside strata reviewed whole, which add no spread): a
    simple random sample, where the Jeffreys upper end held the rate in as few as 91% of
    reviews (5,000 items, 125 wrong, 100 reviewed); else ``interval``."""
    if interval == "exact-lower" and int(np.sum(np.asarray(n) < np.asarray(N))) <= 1:
        return "clopper-pearson"
    return interval


def _summary(N, n, k, ab, eps, confidence: float, interval: str,
             scale: float = 1.0, design: bool = True,
             fallback=None, exact_single: bool = True) -> tuple[PosteriorInterval, np.ndarray]:
    """The estimate and interval of the number of wrong labels in strata ``N, n, k``
    (divided by ``scale``), and the posterior pmf under the prior ``ab``. The estimate is
    the posterior mean or, with ``design``, the design estimate (:func:`_design_estimate`,
    corrected for the reviewers' errors ``eps``; the interval is widened to hold it, which
    it nearly always does already). ``exact_single``: ``"exact-lower"`` with at most one
    stratum not reviewed whole is Clopper-Pearson at both ends (:func:`_one_uncertain`;
    False: as on several strata)."""
    pmf = _errors_pmf(N, n, k, ab, eps)
    design = _design_estimate(N, n, k, ab, fallback, eps) if design else None
    if interval not in _BRACKETED:
        s = pmf_summary(pmf, confidence, interval, scale=scale)
        if design is None:
            return s, pmf
        e = design / scale
        return PosteriorInterval(e, min(s.low, e), max(s.high, e), confidence), pmf
    if exact_single:
        interval = _one_uncertain(interval, N, n)
    low_ab, high_ab = ((0.0, ab[1]), ab) if interval == "exact-lower" else ((0.0, 1.0),
                                                                          (1.0, 0.0))
    if eps is None:
        lo = equal_tailed_ends(total_errors_pmf(N, n, k, prior=low_ab), confidence)[0]
        hi = equal_tailed_ends(total_errors_pmf(N, n, k, prior=high_ab), confidence)[1]
    else:  # the brackets' priors are on the flag rate (flag_rate_grid, with its gate,
        # shared out among the strata: each clean stratum passes it but rarely)
        gate = 1.0 - (1.0 - confidence) / (2.0 * max(len(N), 1))
        lo, hi = (equal_tailed_ends(noisy_total_errors_pmf(N, n, k, eps, prior=pr,
                                                           on_flags=True, gate=gate),
                                    confidence)[i]
                  for i, pr in ((0, low_ab), (1, high_ab)))
    mean = (float(np.dot(np.arange(len(pmf), dtype=np.float64), pmf) / pmf.sum())
            if design is None else design)
    return PosteriorInterval(mean / scale, min(lo, mean) / scale, max(hi, mean) / scale,
                             confidence), pmf


def _design_estimate(N, n, k, ab, fallback=None, eps=None) -> float:
    """The number of wrong labels estimated from the reviews alone: ``sum N_h k_h / n_h``
    over the strata with reviews (each stratum's reviewed items are a simple random
    sample of it, so this is unbiased), a stratum without reviews adding ``N_h`` times
    its ``fallback`` rate, or its prior mean ``a / (a + b)`` (the posterior mean's share
    of it too) without one.

    With reviewers who err (``eps = (e0, e1)``) ``k_h`` counts flags, whose expected
    share is ``e0 + (1 - e0 - e1) r_h`` for a stratum wrong at the rate ``r_h``: each
    reviewed stratum adds ``N_h (k_h / n_h - e0) / (1 - e0 - e1)``, cut at 0 and 1 (a
    stratum flagged less often than ``e0`` adds no wrong label). Unbiased but for the
    cut, which pushes it up on nearly clean strata, less than the posterior mean's prior
    does (see :func:`estimate_error_rate`).

    The posterior mean adds about ``a / n_h`` of a wrong label per reviewed item to every
    stratum (Jeffreys: 1/2 an error's worth of prior): on a large, nearly clean stratum
    reviewed lightly that is most of the estimate (SMS with 3% of its labels flipped and
    the audit's recommended review: +0.4 to +0.7 points; with no wrong label at all,
    1.06% where this reads 0)."""
    N, n, k = (np.asarray(v, dtype=np.float64) for v in (N, n, k))
    a, b = ab
    seen = n > 0
    unseen = (np.full(len(N), a / (a + b)) if fallback is None else
              np.where(np.isnan(np.asarray(fallback, dtype=np.float64)), a / (a + b),
                       np.asarray(fallback, dtype=np.float64)))
    rate = np.where(seen, k / np.where(seen, n, 1.0), unseen)
    if eps is not None:
        e0, e1 = eps
        rate = np.where(seen, np.clip((rate - e0) / (1.0 - e0 - e1), 0.0, 1.0), rate)
    return float(np.dot(N, rate))


def _counts(values, name: str) -> np.ndarray:
    """``values`` (one count per stratum) as int64; fractions and booleans are refused
    rather than truncated."""
    arr = np.atleast_1d(np.asarray(values))
    if arr.dtype.kind == "O" and all(  # (a column of numbers held as objects)
            isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
                v, (bool, np.bool_)) for v in arr):
        arr = arr.astype(np.float64)
    if arr.dtype.kind not in "iuf" or (arr.dtype.kind == "f" and not (
            np.isfinite(arr).all() and (arr == np.round(arr)).all())):
        raise InvalidSettingError(f"{name}={np.asarray(values).tolist()!r} must hold whole "
                                  f"numbers (counts of items), one per stratum.")
    return arr.astype(np.int64)


def stratified_interval(n_items, n_reviewed, n_errors, *, confidence: float = 0.95,
                        interval: str | None = None, prior: str | None = None,
                        reviewer_error=None, point: str = "design",
                        _exact_single: bool = True) -> PosteriorInterval:
    """Estimate and credible interval of the overall error rate of several strata.

    Stratum ``h`` has ``N_h`` items, ``n_h`` reviewed, ``k_h`` judged wrong; the posterior
    is the exact one of :func:`dataqa.audit.posterior.total_errors_pmf` (a Beta prior per
    stratum, see :data:`PRIORS`), divided by ``sum N_h``. One stratum is a simple random
    sample; there, and where the other strata are reviewed whole, the default
    ``"exact-lower"`` interval is Clopper-Pearson's at both ends (the Jeffreys upper end
    covered 91% at a few expected errors: 100 reviewed of 5,000 items 2.5% wrong; on
    several strata with unreviewed items the others' spread makes up for it). With
    ``reviewer_error`` (``eps`` or ``(e0, e1)``, see :func:`estimate_error_rate`) ``k_h`` counts the reviewers' flags and the posterior is
    that of :func:`dataqa.audit.posterior.noisy_total_errors_pmf`. ``prior`` and
    ``interval`` default as in :func:`estimate_error_rate`.

    ``point``: ``"design"`` (default) estimates the rate by ``sum N_h k_h / n_h / sum
    N_h`` (unbiased; a stratum without reviews adds its prior mean; with
    ``reviewer_error`` each stratum's share of flags corrected for the reviewers' errors
    and cut at 0 and 1), ``"mean"`` by the posterior mean, which the prior pulls up on
    large, nearly clean strata (see :func:`estimate_error_rate`). The interval is the
    same for both (widened to hold the estimate in the rare case it does not).
    """
    if point not in ("design", "mean"):
        raise InvalidSettingError(f"point {point!r} is not known; use 'design' or 'mean'.")
    confidence = _check_confidence(confidence)
    prior, ab, interval, eps = _resolve(prior, interval, reviewer_error)
    N, n, k = (_counts(v, name) for v, name in ((n_items, "n_items"),
                                                 (n_reviewed, "n_reviewed"),
                                                 (n_errors, "n_errors")))
    if not (len(N) == len(n) == len(k)) or len(N) == 0:
        raise InvalidSettingError("n_items, n_reviewed and n_errors need one entry per stratum.")
    if np.any(N < 1) or np.any(n < 0) or np.any(n > N) or np.any(k < 0) or np.any(k > n):
        raise InvalidSettingError(
            "each stratum needs n_items >= 1 and 0 <= n_errors <= n_reviewed <= n_items; got "
            f"n_items={N.tolist()}, n_reviewed={n.tolist()}, n_errors={k.tolist()}.")
    return _summary(N, n, k, ab, eps, confidence, interval, scale=float(N.sum()),
                    design=point == "design", exact_single=_exact_single)[0]


def _refuse_foreign_sheet(reviews, plan: pd.DataFrame, issues: pd.DataFrame) -> None:
    """Refuse reviews none of whose (two or more) ids is an item of the audit (the sheet
    of another audit), before their labels are checked against this audit's classes: a
    sheet of another dataset would otherwise be refused for its labels, and its ids only
    after they were rewritten."""
    if not isinstance(reviews, pd.DataFrame) or not len(plan) or not {
            "id", "verified_label"} <= set(reviews.columns):
        return
    label = reviews["verified_label"]
    if not (label.notna() & label.astype(str).str.strip().ne("")).any():
        return  # (nothing reviewed: said as such)
    ids = [i for i in dict.fromkeys(reviews["id"].dropna().astype(str).str.strip()) if i]
    plan_ids = plan["id"].astype(str)
    known = set(plan_ids.str.strip().str.casefold()) | set(
        issues["id"].astype(str).str.strip().str.casefold())
    if len(ids) < 2 or {i.casefold() for i in ids} & known:
        return  # (ids of the audit, in any case, or one id: said with the ids outside it)
    from dataqa.data import table_name

    hint = _lost_zeros_hint(ids, plan_ids, whose="the plan's",
                            read_as="copy the id column of the sheet dataqa wrote")
    name = table_name(reviews)
    raise InvalidSettingError(
        f"none of the {len(ids)} ids of {'the reviews' if name == 'the table' else name} "
        f"({format_ids(ids)}) is an item of this audit's review plan ({len(plan_ids)} "
        f"items, e.g. "
        f"{format_ids(list(plan_ids[:3]))}){hint}"
        f"{'.' if hint else ': is it the sheet of another audit?'} Review the sheet "
        f"`dataqa review plan` wrote for this audit.")


def _reviews_frame(reviews, classes: list[str]) -> pd.DataFrame:
    from dataqa.data import table_name

    name = table_name(reviews) if isinstance(reviews, pd.DataFrame) else "the table"
    where = "" if name == "the table" else f" of {name}"
    if not isinstance(reviews, pd.DataFrame):
        raise InvalidSettingError(
            f"reviews must be a DataFrame with columns id and verified_label, not "
            f"{type(reviews).__name__}.")
    for c in ("id", "verified_label"):
        if c not in reviews.columns:
            raise MissingColumnError(c, list(reviews.columns), role="reviews column")
    # _WHERE (set by `dataqa review estimate`): the file and data row of each review
    r = reviews[["id", "verified_label", *([_WHERE] if _WHERE in reviews.columns else [])]].copy()
    label = r["verified_label"]
    missing = label.isna() | (label.astype(str).str.strip() == "")
    no_id = r["id"].isna() | (r["id"].astype(str).str.strip() == "")
    answered = (no_id & ~missing).to_numpy()
    if answered.any():
        bad = r[answered]
        rows = np.flatnonzero(answered)
        at = (", ".join(str(w) for w in bad[_WHERE].head(5)) if _WHERE in bad.columns else
              f"{'row' if len(rows) == 1 else 'rows'} {format_rows(rows)}, counted from 1")
        first = bad["verified_label"].iloc[0]
        first = str(int(first)) if isinstance(first, float) and first.is_integer() else str(first)
        raise InvalidSettingError(
            f"reviews{where} has {len(bad)} answered row(s) without an id ({at}; answer "
            f"{first!r}): every review needs the item's id. Copy the id back from the review "
            f"sheet (review_sheet.csv in the audit folder) or delete the row.")
    r["id"] = r["id"].astype(str)
    r = r[~missing].copy()  # an empty verified_label: not reviewed (yet); id or none
    r["verified_label"] = r["verified_label"].map(
        lambda v: str(int(v)) if isinstance(v, float) and float(v).is_integer() else str(v)
    ).astype(str).str.strip()
    # a class number written as a spreadsheet or pandas writes a float column ("1.0")
    known = set(classes)
    r["verified_label"] = [
        v.split(".")[0] if v not in known and re.fullmatch(r"-?\d+\.0+", v)
        and v.split(".")[0] in known else v for v in r["verified_label"]]
    bad = sorted(set(r["verified_label"]) - set(classes))
    recased = _case_variants(bad, classes)  # 'Spam' for 'spam' is that class
    if recased:
        import warnings

        n = int(r["verified_label"].isin(recased).sum())
        pairs = ", ".join(f"{b!r} as {c!r}" for b, c in list(recased.items())[:5])
        warnings.warn(f"{n} review(s){where} write a class in another case; read {pairs}.",
                      UserWarning, stacklevel=3)
        r["verified_label"] = r["verified_label"].replace(recased)
        bad = [b for b in bad if b not in recased]
    r = _drop_repeated_reviews(r)
    if bad:
        rows = r.loc[r["verified_label"].isin(bad), "id"].tolist()
        raise LabelError(
            f"{len(rows)} review(s){where} give a verified_label that is not a class of the "
            f"audit ({', '.join(map(repr, bad[:5]))}; {_ids_where(r, rows)}); the "
            f"classes are {classes!r}: write one of them, spelled as in the label column, or "
            f"leave the cell empty for an item not reviewed (yet).")
    return r


#: Column of a reviews frame saying where each review was read (``'sheet.csv' data row
#: 5``); `dataqa review estimate` sets it, so messages can name the file and row.
_WHERE = "_dataqa_where"


def _ids_where(r: pd.DataFrame, ids) -> str:
    """``ids 'a', 'b'`` or, when ``r`` says where its reviews were read, ``ids 'a'
    ('sheet.csv' data row 3), 'b' (...)``."""
    if _WHERE not in r.columns:
        return f"ids {format_ids(ids)}"
    at = dict(zip(r["id"], r[_WHERE], strict=True))
    shown = [f"{i!r} ({at[i]})" for i in list(ids)[:5]]
    more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
    return f"ids {', '.join(shown)}{more}"


def _refuse_conflicts(r: pd.DataFrame, note: str) -> None:
    """Refuse items with two different verified labels, naming both (and where each was
    read, when ``r`` says)."""
    dup = r["id"][r["id"].duplicated()].unique()
    if not len(dup):
        return
    shown = []
    for i in dup[:3]:
        rows = r[r["id"] == i]
        labels = [f"{v!r}" for v in rows["verified_label"]]
        if _WHERE in r.columns:
            labels = [f"{v} ({w})" for v, w in zip(labels, rows[_WHERE], strict=True)]
        shown.append(f"{i!r}: {' and '.join(labels)}")
    more = f"; and {len(dup) - 3} more" if len(dup) > 3 else ""
    raise InvalidSettingError(
        f"reviews give {len(dup)} item(s) more than one verified label{note}: "
        f"{'; '.join(shown)}{more}. Give one per item: keep the right one (combine "
        f"several reviewers first, e.g. with dataqa.labelstudio.consensus_labels).")


def _drop_repeated_reviews(r: pd.DataFrame) -> pd.DataFrame:
    """``r`` with an item's repeated, identical review (the same id and label twice, as a
    sheet pasted twice holds) kept once, with a warning; different labels stay, refused."""
    same = r.duplicated(["id", "verified_label"])
    if same.any():
        import warnings

        ids = r.loc[same, "id"].unique()
        warnings.warn(f"the reviews give {len(ids)} item(s) the same verified label more "
                      f"than once ({format_ids(ids)}); each is counted once.", UserWarning,
                      stacklevel=3)
        r = r[~same]
    return r


def estimate_error_rate(result, reviews, *, plan: pd.DataFrame | None = None,
                        confidence: float = 0.95, interval: str | None = None,
                        prior: str | None = None, reviewer_error=None) -> VerifiedErrorRate:
    """The dataset's label-error rate from a reviewed plan (:func:`plan_review`).

    For each stratum ``h`` with ``N_h`` items of which ``n_h`` planned items were
    reviewed and ``k_h`` had a given label differing from the verified one, the error
    rate has the posterior Beta(k_h + a, n_h - k_h + b) under the prior Beta(a, b)
    (default Jeffreys, a = b = 1/2; ``prior="uniform"`` for a = b = 1). The number of
    wrong labels among the ``N_h - n_h`` items nobody reviewed is Binomial(N_h - n_h,
    rate) under it (a beta-binomial); adding the ``k_h`` seen and summing over the
    strata gives the posterior of the number of wrong labels in the dataset. Summing
    strata weights each by its population ``N_h``. The sum's distribution is computed
    exactly, by convolving the strata's beta-binomial distributions
    (:mod:`dataqa.audit.posterior`): the limit of Monte Carlo combination, with no
    Monte Carlo error (``tests/audit/test_review.py`` checks it against 400,000 seeded
    draws).

    The **estimate** (``estimate``) is the stratified sample's own: ``sum N_h k_h / n_h``
    wrong labels over ``sum N_h`` items, unbiased since each stratum's reviewed items are
    a simple random sample of it (a stratum without reviews adds its prior mean). The
    posterior mean is not: its prior adds about ``a / n_h`` of an error per reviewed item
    to every stratum, most of the estimate on a large, nearly clean stratum reviewed
    lightly (SMS with 3% of its labels flipped and the audit's recommended review: +0.4
    to +0.7 points; no wrong label at all: 1.06% where this reads 0);
    ``stratified_interval(..., point="mean")`` gives it. With ``reviewer_error`` each
    stratum's share of flags is corrected for the reviewers' errors first, ``(k_h / n_h -
    e0) / (1 - e0 - e1)``, and cut at 0 and 1 (:func:`_design_estimate`): the cut leaves
    it above the truth on nearly clean data, by less than the posterior mean
    (``benchmarks/error_rate_estimation.py --noisy-points``, reviewers wrong 5% of the
    time; mean absolute error 0.0111 against the posterior mean's 0.0132 on the tuning
    rows where it was chosen, 0.0120 against 0.0136 on the held-out rows, and at 0.5-2%
    of labels wrong 0.0098 against 0.0145 with biases +0.8 and +1.4 points).

    The interval is a **credible interval of the dataset's true label-error rate** (the
    fraction of items whose given label differs from the correct one). By default
    (``interval="exact-lower"``) its upper end is the posterior's upper quantile and its
    lower end the lower quantile of the posterior under the prior Beta(0, b), under which a
    stratum whose reviews found no error adds none (as the Clopper-Pearson lower limit);
    ``"equal-tailed"`` takes both ends from the posterior, ``"hdi"`` the most probable
    counts of wrong labels, added until they hold ``confidence``, and
    ``"clopper-pearson"`` the ends under Beta(0, 1) and Beta(1, 0). It always holds the
    estimate. Its
    frequentist coverage is checked by simulation in ``tests/audit/test_review.py`` and
    ``benchmarks/error_rate_estimation.py``. By default it assumes the reviewers are
    right: reviewers who err bias it (wrong flags on the many correct labels push it up).

    **Reviewers who err** (``reviewer_error``). Model: each review is right or wrong
    independently of everything else; a reviewer flags a correct given label with
    probability ``e0`` and confirms a wrong one with probability ``e1``; ``reviewer_error=
    eps`` sets both to ``eps``, ``reviewer_error=(e0, e1)`` each (a reviewer who errs by
    picking another class at random among ``K`` has ``e0 = eps`` and ``e1 = eps / (K - 1)``).
    Each rate must be known and in [0, 0.5). A stratum's reviewed items are then flagged
    with probability ``r = p (1 - e1) + (1 - p) e0``; the posterior of ``p`` is the prior
    times ``r^k (1 - r)^(n - k)``, and the number of wrong labels (among reviewed items,
    whose truth is now uncertain, and the others) is integrated over it on a grid
    (:func:`dataqa.audit.posterior.noisy_total_errors_pmf`). The reviews say less, but
    the interval is not always wider than with exact reviewers: some flags are taken for
    the reviewers' mistakes, which moves it down. Its default kind is
    ``"clopper-pearson"`` with the brackets' priors on each stratum's *flag rate* (a
    stratum with no more flags than correct labels alone give at the interval's level adds
    no error to its lower end, as a stratum whose exact review found none); the estimate
    keeps the Jeffreys prior on ``p``.

    A plan reviewed only in part gives a wider answer; a stratum with no review keeps
    its prior (wide). Reviews of items outside the plan are refused.

    Parameters
    ----------
    result : AuditResult
    reviews : DataFrame
        ``id`` and ``verified_label`` (the correct class, a class name as in the label
        column). Rows with an empty ``verified_label`` count as not reviewed.
    plan : DataFrame, optional
        The plan the reviews answer (``id, stratum``); default ``result.review_plan``,
        set by :func:`plan_review`.
    confidence : float
    interval : {"exact-lower", "equal-tailed", "hdi", "clopper-pearson"}, optional
        Default ``"exact-lower"``; ``"clopper-pearson"`` with ``reviewer_error`` (see
        :data:`INTERVALS`).
    prior : {"jeffreys", "uniform"}, optional
        Each stratum's prior on its error rate: Beta(1/2, 1/2) or Beta(1, 1). Default
        ``"jeffreys"`` (see the module docstring).
    reviewer_error : float or (float, float), optional
        Known error rates of the reviewers (see above); default exact reviewers.

    Returns
    -------
    VerifiedErrorRate
    """
    confidence = _check_confidence(confidence)
    prior, ab, interval, eps = _resolve(prior, interval, reviewer_error)
    issues = _issues_of(result)
    if plan is None:
        plan = getattr(result, "review_plan", None)
    if plan is None:
        raise InvalidSettingError(
            "there is no review plan: make one with plan_review(result, budget=...) (or "
            "`dataqa review plan`) and review its items, or pass plan=.")
    _check_plan_strata(plan, issues)
    classes = [str(c) for c in _class_names(result, issues)]
    _refuse_foreign_sheet(reviews, plan, issues)  # (before its labels are read as ours)
    r = _reviews_frame(reviews, classes)
    plan_ids = plan["id"].astype(str)
    all_ids = issues["id"].astype(str)
    # an id with stray spaces (a sheet edited by hand) is the plan's id without them
    plan_set = set(plan_ids)
    # (an item given two labels under one spelling of its id is said plainly)
    as_written = r.drop_duplicates(["id", "verified_label"])["id"].duplicated().any()
    r["id"] = [i.strip() if i not in plan_set and i.strip() in plan_set else i for i in r["id"]]
    # ids outside the plan first: ids a spreadsheet rounded to one number would otherwise
    # be refused as one item with several labels, without a word about the rounding
    outside = list(dict.fromkeys(r.loc[~r["id"].isin(plan_set), "id"]))
    if outside:
        unknown = [i for i in outside if i not in set(all_ids)]
        what = ("" if not unknown else "; it is not an item of this audit at all"
                if len(outside) == 1 else f"; {len(unknown)} of them "
                f"{'is not an item' if len(unknown) == 1 else 'are not items'} of this audit "
                f"at all")
        what += _lost_zeros_hint(unknown, plan_ids, whose="the plan's",
                                 read_as="copy the id column of the sheet dataqa wrote over "
                                         "the saved one (the ids are read as text, but the "
                                         "saved file has lost the zeros)")
        folded = {i.casefold(): i for i in plan_ids}
        cased = [i for i in unknown if i.casefold() in folded]
        if cased:
            what += (f" ({len(cased)} differ{'s' if len(cased) == 1 else ''} from the plan's "
                     f"ids only in case, e.g. {cased[0]!r} for {folded[cased[0].casefold()]!r}: "
                     f"ids are matched as written; copy them from the sheet dataqa wrote)")
        named = (format_ids(outside) if _WHERE not in r.columns else
                 _ids_where(r.drop_duplicates("id"), outside).removeprefix("ids "))
        # rows as given (identical repeats were dropped from r with a warning)
        given = pd.DataFrame(reviews)
        answered = given["verified_label"].notna() & given["verified_label"].astype(
            str).str.strip().ne("")
        n_rows = int((given["id"].astype(str).str.strip().isin(
            {i.strip() for i in outside}) & answered).sum())
        rows = f" (in {n_rows} rows)" if n_rows > len(outside) else ""
        raise InvalidSettingError(
            f"{len(outside)} reviewed item(s){rows} are not in the review plan: "
            f"{named}{what}. Only items drawn by the plan give an unbiased "
            f"estimate; drop those reviews (or review with the plan of this audit).")
    r = _drop_repeated_reviews(r)
    _refuse_conflicts(r, "" if as_written else " (white space around the ids aside)")

    strata = review_strata(issues)
    table = _strata_table(issues)
    stratum_of = pd.Series(strata, index=all_ids.to_numpy())
    given_of = pd.Series(issues["given_label"].astype(str).to_numpy(), index=all_ids.to_numpy())
    r["stratum"] = stratum_of.loc[r["id"]].to_numpy()
    r["given"] = given_of.loc[r["id"]].to_numpy()
    r["wrong"] = r["given"] != r["verified_label"]
    counts = plan["stratum"].astype(str).value_counts()
    table["n_planned"] = [int(counts.get(h, 0)) for h in table["stratum"]]
    table["n_reviewed"] = [int((r["stratum"] == h).sum()) for h in table["stratum"]]
    table["n_errors"] = [int(r.loc[r["stratum"] == h, "wrong"].sum()) for h in table["stratum"]]

    N, n, k = (table[c].to_numpy(dtype=np.int64) for c in ("n_items", "n_reviewed", "n_errors"))
    if eps is not None:
        _warn_too_few_flags(table["stratum"].tolist(), n, k, eps[0])
    N_total = int(N.sum())
    overall, pmf = _summary(N, n, k, ab, eps, confidence, interval, scale=N_total,
                            design=True)
    # one stratum alone (its row, the precision of the flags): "exact-lower"'s upper end
    # held a stratum's rate in as few as 88-91% of reviews at high rates; Clopper-
    # Pearson's ends hold it in at least 95% at every rate (tests/audit/test_review.py)
    one = ROW_INTERVAL if interval == "exact-lower" else interval
    posts = [_summary(N[h:h + 1], n[h:h + 1], k[h:h + 1], ab, eps, confidence, one,
                      scale=float(N[h]), design=True)[0] for h in range(len(table))]
    table["error_rate"] = [p.estimate for p in posts]
    table["error_rate_low"] = [p.low for p in posts]
    table["error_rate_high"] = [p.high for p in posts]

    is_flag = (table["stratum"] == "flagged").to_numpy()
    precision = missed = None
    if is_flag.any():
        precision = posts[int(np.flatnonzero(is_flag)[0])]
    if (~is_flag).any():
        missed = replace(_summary(N[~is_flag], n[~is_flag], k[~is_flag], ab, eps,
                                  confidence, interval, design=True)[0], count=True)

    per_class = _per_class(issues, strata, r, classes, confidence, interval, ab, eps)
    return VerifiedErrorRate(
        estimate=overall.estimate, low=overall.low, high=overall.high, confidence=confidence,
        interval=interval, n_items=N_total, n_planned=int(len(plan)),
        n_reviewed=int(len(r)), n_errors=int(r["wrong"].sum()), strata=table,
        flag_precision=precision, missed_errors=missed,
        n_errors_total=replace(_summary(N, n, k, ab, eps, confidence, interval,
                                        design=True)[0], count=True),
        per_class=per_class,
        pmf=pmf, prior=prior, reviewer_error=eps or (0.0, 0.0))


#: :func:`_warn_too_few_flags` warns when this few flags (or fewer) had at most this
#: chance under the stated false-flag rate alone.
FEW_FLAGS_CHANCE = 0.01


def _warn_too_few_flags(strata: list, n: np.ndarray, k: np.ndarray, e0: float) -> None:
    """Warn of strata whose reviews flag fewer items than reviewers who flag a correct
    label with probability ``e0`` would flag among correct labels alone (a stratum's
    flag rate is at least ``e0``, as wrong labels are flagged more often): a rate set
    higher than the reviewers err takes more flags away as theirs, and narrows the
    interval (exact reviewers, 1% of labels wrong, told 0.05: [0.13%, 2.8%] for
    [0.16%, 5.2%])."""
    from scipy.stats import binom

    few = [(h, int(nh), int(kh)) for h, nh, kh in zip(strata, n, k, strict=True)
           if nh and binom.cdf(kh, nh, e0) <= FEW_FLAGS_CHANCE]
    if not few:
        return
    import warnings

    said = "; ".join(f"{h!r}: {kh} of {nh} flagged, where {e0:g} alone flags about "
                     f"{e0 * nh:.1f}" for h, nh, kh in few)
    warnings.warn(
        f"the reviews flag fewer items than the reviewers' stated rate of flagging a "
        f"correct label would alone ({said}; so few at most {FEW_FLAGS_CHANCE:.0%} of the "
        f"time): --reviewer-error (API: reviewer_error) is likely higher than these "
        f"reviewers err, which narrows the interval; give the rate measured on items whose "
        f"label is known.", UserWarning, stacklevel=3)


def _class_names(result, issues: pd.DataFrame) -> list:
    table = getattr(result, "table", None)
    if table is not None and getattr(table, "class_names", None) is not None:
        return list(table.class_names)
    summary = getattr(result, "summary", None) or {}
    if "class_names" in summary:
        return list(summary["class_names"])
    return sorted(issues["given_label"].astype(str).unique())


def _per_class(issues, strata, r, classes, confidence, interval, ab, eps) -> pd.DataFrame:
    given = issues["given_label"].astype(str).to_numpy()
    # a class's cell of a stratum that got no review: estimated at the stratum's
    # reviewed share, all classes together (its prior mean, 1/2, would read half of
    # the cell wrong); none where the stratum has no review either
    share = {h: (float(r.loc[r["stratum"] == h, "wrong"].mean())
                 if (r["stratum"] == h).any() else np.nan) for h in STRATA}
    if eps is not None:  # a share of flags: the reviewers' errors taken out, as above
        share = {h: float(np.clip((v - eps[0]) / (1.0 - eps[0] - eps[1]), 0.0, 1.0))
                 for h, v in share.items()}
    rows = []
    for c in classes:
        in_c = given == c
        N, n, k, fallback = [], [], [], []
        for h in STRATA:
            N_hc = int((in_c & (strata == h)).sum())
            if not N_hc:
                continue
            sel = (r["stratum"] == h) & (r["given"] == c)
            N.append(N_hc)
            n.append(int(sel.sum()))
            k.append(int(r.loc[sel, "wrong"].sum()))
            fallback.append(share[h])
        row = {"class": c, "n_items": sum(N), "n_reviewed": sum(n), "n_errors": sum(k),
               "error_rate": np.nan, "error_rate_low": np.nan, "error_rate_high": np.nan}
        if N:
            s = _summary(N, n, k, ab, eps, confidence, interval, scale=sum(N),
                         fallback=fallback)[0]
            row.update(error_rate=s.estimate, error_rate_low=s.low, error_rate_high=s.high)
        rows.append(row)
    return pd.DataFrame(rows)


# -------------------------------------------------------------------------- planning

def _simulated_widths(N: np.ndarray, n: np.ndarray, k: np.ndarray, *, ab: tuple[float, float],
                      interval: str, confidence: float, n_draws: int, seed,
                      binomial: bool = False) -> np.ndarray:
    """Interval widths of simulated reviews, one per column of ``k``.

    ``N`` (H,) items per stratum, ``n`` (H,) reviewed items, ``k`` (H, n_sim) errors
    among them. Each interval comes from ``n_draws`` Monte Carlo draws of the strata's
    Beta posteriors under the prior ``ab`` and the ends of ``interval`` (as
    :func:`estimate_error_rate` takes them for exact reviewers). The unreviewed items'
    errors given the rate are Binomial draws with ``binomial`` (the posterior's own
    beta-binomial, so the width is the estimate's), else their expected number, which
    leaves out their spread and makes the width narrower the larger the reviewed share
    (:func:`required_review_size`, whose quantile was chosen with it)."""
    n_sim = k.shape[1]

    def totals(prior: tuple[float, float]) -> np.ndarray:
        """(n_draws, n_sim) draws of the share of wrong labels under ``prior``."""
        rng = np.random.default_rng([seed, 1])  # the same draws for either end's prior
        total = np.zeros((n_draws, n_sim))
        for h in range(len(N)):
            total += k[h]
            rest = int(N[h] - n[h])
            if rest:
                a, b = k[h] + prior[0], n[h] - k[h] + prior[1]
                draw = rng.beta(np.maximum(a, 1e-9), np.maximum(b, 1e-9), size=(n_draws, n_sim))
                draw = np.where(a <= 0, 0.0, np.where(b <= 0, 1.0, draw))
                total += rng.binomial(rest, draw) if binomial else rest * draw
        return total / N.sum()

    if interval == "hdi":  # the shortest window holding `confidence` of the draws
        x = np.sort(totals(ab), axis=0)
        m = int(math.ceil(confidence * n_draws))
        return np.min(x[m - 1:] - x[:n_draws - m + 1], axis=0)
    tail = (1.0 - confidence) / 2.0
    interval = _one_uncertain(interval, N, n)  # (as estimate_error_rate reports it)
    low_ab, high_ab = {"exact-lower": ((0.0, ab[1]), ab),
                       "clopper-pearson": ((0.0, 1.0), (1.0, 0.0))}.get(interval, (ab, ab))
    lo = np.quantile(totals(low_ab), tail, axis=0)
    hi = np.quantile(totals(high_ab), 1.0 - tail, axis=0)
    return hi - lo


def _expected_width(table: pd.DataFrame, budget: int, *, confidence: float, n_sim: int,
                    n_draws: int, min_per_stratum: int, seed: int,
                    quantile: float | None = None) -> float:
    """The mean (or the ``quantile``) of the simulated reviews' interval widths. The plan's
    allocation comes from ``expected_error`` (as :func:`plan_review` allocates); the
    simulated errors from ``planned_error`` when the table has it."""
    N = table["n_items"].to_numpy(dtype=np.int64)
    p = np.clip(table["expected_error"].to_numpy(dtype=np.float64), *EXPECTED_ERROR_CLIP)
    n = neyman_allocation(N, p, budget, min_per_stratum=min_per_stratum, warn_thin=False)
    if "planned_error" in table:
        p = np.clip(table["planned_error"].to_numpy(dtype=np.float64), 0.0, 1.0)
    # the same seed for every budget (common random numbers)
    k = np.random.default_rng(seed).binomial(n[:, None], p[:, None], size=(len(N), n_sim))
    w = _simulated_widths(N, n, k, ab=PRIORS[DEFAULT_PRIOR], interval=DEFAULT_INTERVAL,
                          confidence=confidence, n_draws=n_draws, seed=seed)
    return float(np.mean(w) if quantile is None else np.quantile(w, quantile))


#: :func:`required_review_size` asks this share of the simulated reviews to reach the
#: width (chosen with :func:`_sizing_table` on the tuning rows of
#: ``benchmarks/review_size.py``).
SIZING_QUANTILE = 0.95


def _sizing_table(issues: pd.DataFrame, n_classes: int) -> pd.DataFrame:
    """:func:`_strata_table` with ``planned_error``, the error rates
    :func:`required_review_size` simulates reviews with (``expected_error`` stays the
    model's, with which :func:`plan_review` allocates).

    The flagged stratum keeps the model's expected error (its mean label-issue score). For
    the unflagged strata that score, ``1 - p(given label)``, measures the model's doubt,
    not label errors: on digits with 8% of the labels flipped the 1,486 items of ``rest``
    averaged 0.167 and held none, and the budget came out about three times what the width
    needed (465 items for a mean width of 0.018 against 0.05 asked). Each unflagged item
    counts instead at its posterior probability of a wrong label when labels are flipped
    uniformly at the flagged share ``e`` and the model's probabilities stand for the true
    class: ``s e / (K - 1)`` over ``(1 - s)(1 - e) + s e / (K - 1)``, ``s`` its
    label-issue score. Those rates are optimistic, so the budget is the one where 95% of
    the simulated widths reach the target (:data:`SIZING_QUANTILE`). Chosen on the tuning
    rows of ``benchmarks/review_size.py`` (digits with 3, 8, 20% uniform flips, 10%
    class-dependent, 8% with a model of six pixels; breast cancer 5%): budgets 93-386
    instead of 204-566, mean widths 0.036-0.0505 for 0.05 asked."""
    table = _strata_table(issues).copy()
    table["planned_error"] = table["expected_error"]
    score = issues["label_issue_score"].to_numpy(dtype=np.float64)
    flagged = issues["is_label_issue"].to_numpy(dtype=bool)
    e = float(np.clip(flagged.mean() if len(flagged) else 0.0, 1e-3, 0.5))
    odds = score * e / max(n_classes - 1, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        post = np.where(odds > 0, odds / ((1.0 - score) * (1.0 - e) + odds), 0.0)
    strata = review_strata(issues)
    for i, h in enumerate(table["stratum"]):
        if h != "flagged" and (strata == h).any():
            table.loc[table.index[i], "planned_error"] = float(post[strata == h].mean())
    return table


def required_review_size(result, *, width: float, confidence: float = 0.95,
                         min_per_stratum: int = MIN_PER_STRATUM, n_sim: int = 20,
                         n_draws: int = 2_000, random_state: int = 0) -> int:
    """The smallest review budget whose verified interval is planned to be at most ``width``.

    How: for a budget ``B`` the plan's allocation is computed as :func:`plan_review`
    would; ``n_sim`` reviews are simulated in which the ``n_h`` reviewed items of each
    stratum hold Binomial(n_h, p_h) errors, ``p_h`` being the expected error in the
    stratum (for the flagged stratum the model's, its mean label-issue score; for the
    others the mean posterior probability of a wrong label, see :func:`_sizing_table`;
    clipped as in :func:`neyman_allocation`);
    each gets an interval from ``n_draws`` Monte Carlo draws of the strata's Beta
    posteriors (the default prior and interval of :func:`estimate_error_rate` for exact
    reviewers; the unreviewed items counted at their expected number of errors, a
    close approximation while the review is a small part of each stratum). The smallest
    ``B`` for which 95% of the simulated widths (:data:`SIZING_QUANTILE`) are at most
    ``width`` is found by doubling, then bisection (the same seeded draws for every
    ``B``). The answer is as good as those expected errors: when the true error rate
    is higher than they say (a weak model that flags few of many errors), the interval
    comes out wider; `dataqa review estimate` then says how wide.

    Returns
    -------
    int
        At most the number of items (reviewing every item leaves no uncertainty).
    """
    confidence = _check_confidence(confidence)
    if not 0.0 < float(width) < 1.0:
        raise InvalidSettingError(f"width={width!r} must be strictly between 0 and 1 "
                                  f"(e.g. 0.05 for +-2.5 points).")
    issues = _issues_of(result)
    table = _sizing_table(issues, len(getattr(result.table, "class_names", None) or [0, 1]))
    if table.empty:
        raise EmptyDataError("the audit has no items to review.")
    N = int(table["n_items"].sum())

    def ok(b: int) -> bool:
        return _expected_width(table, b, confidence=confidence, n_sim=n_sim, n_draws=n_draws,
                               min_per_stratum=min_per_stratum, seed=random_state,
                               quantile=SIZING_QUANTILE) <= width

    lo = 0
    hi = min(N, max(10, min_per_stratum * len(table)))
    while not ok(hi):
        if hi >= N:
            return N
        lo, hi = hi, min(N, hi * 2)
    while hi - lo > max(1, hi // 100):  # to within 1% of the answer
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return int(hi)
