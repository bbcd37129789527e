"""Drift over time: the current data split into windows (by time or in chunks of rows),
each compared with the reference, beside reference chunks that show the no-drift spread."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dataqa._validation import check_int
from dataqa.data import load_table
from dataqa.drift.detect import MIN_ROWS, detect_drift
from dataqa.drift.multivariate import MULTIVARIATE_TESTS
from dataqa.drift.result import DriftResult
from dataqa.errors import InvalidSettingError, MissingColumnError

__all__ = ["drift_windows", "split_windows", "MAX_REFERENCE_CHUNKS"]

#: At most this many reference chunks are compared leave-one-chunk-out.
MAX_REFERENCE_CHUNKS = 10


def split_windows(current: pd.DataFrame, *, time_column: str | None = None,
                  window: str | None = None, chunk_size: int | None = None
                  ) -> list[tuple[str, np.ndarray]]:
    """Row positions of each window: ``[(label, rows), ...]`` in time / row order.

    ``time_column`` + ``window`` (a pandas frequency such as ``"1D"``, ``"7D"``,
    ``"12h"``): consecutive windows of that length from midnight of the earliest
    time (empty windows left out); ``chunk_size``: consecutive chunks of that many rows (the last may be shorter).
    """
    if (window is None) == (chunk_size is None):
        raise InvalidSettingError("give either a time window (time_column with window, e.g. "
                                  "--time-column ts --window 7D) or chunk_size, not both or "
                                  "neither.")
    if chunk_size is not None:
        size = check_int(chunk_size, "chunk_size", minimum=MIN_ROWS,
                         message=f"chunk_size={chunk_size!r} must be an integer >= {MIN_ROWS} "
                                 f"(each window is compared as a table of its own).")
        return [(f"rows {s}-{min(s + size, len(current)) - 1}",
                 np.arange(s, min(s + size, len(current))))
                for s in range(0, len(current), size)]
    if time_column is None:
        raise InvalidSettingError("window needs time_column (--time-column) naming the column "
                                  "that holds each row's time.")
    if time_column not in current.columns:
        raise MissingColumnError(time_column, [str(c) for c in current.columns],
                                 role="time column", table="the current table")
    try:
        offset = pd.tseries.frequencies.to_offset(window)
        pd.Timedelta(offset)
    except (ValueError, TypeError):
        raise InvalidSettingError(f"window {window!r} is not a fixed time span; use e.g. 1D, "
                                  f"7D, 12h or 30min.") from None
    times = pd.to_datetime(current[time_column], errors="coerce", utc=True)
    bad = np.flatnonzero(times.isna().to_numpy())
    if len(bad):
        raise InvalidSettingError(
            f"time column {time_column!r} has {len(bad)} values that are missing or not "
            f"times (rows {bad[:5].tolist()}, e.g. {current[time_column].iloc[bad[0]]!r}); "
            f"fix or drop them.")
    start = times.min().floor("D")
    span = pd.Timedelta(offset)
    keys = start + ((times - start) // span) * span
    out = []
    for key in sorted(keys.unique()):
        rows = np.flatnonzero((keys == key).to_numpy())
        out.append((str(key.tz_convert(None) if key.tzinfo else key), rows))
    return out


def _summary(res: DriftResult) -> dict:
    cols = res.columns
    row = {"n": res.n_current, "drifted": res.drifted,
           "n_drifted_columns": int(cols["drifted"].sum()),
           "max_effect": float(cols["effect"].max()),
           "min_p_adjusted": float(cols["p_adjusted"].min())}
    if "mmd" in res.multivariate:
        row["mmd_statistic"] = res.multivariate["mmd"]["statistic"]
        row["mmd_p_value"] = res.multivariate["mmd"]["p_value"]
    return row


def _model_row(ref_probs, labels, cur_probs, random_state) -> dict:
    from dataqa.drift.model_checks import _bbse, estimate_accuracy, ood_fraction
    from dataqa.ood import logits_from_probs, msp_score

    acc = estimate_accuracy(ref_probs, labels, cur_probs, n_bootstrap=50,
                            random_state=random_state)
    k = ref_probs.shape[1]
    prior = _bbse(ref_probs.argmax(1), labels, cur_probs.argmax(1), k)
    ref_prior = np.bincount(labels, minlength=k) / len(labels)
    ood = ood_fraction(msp_score(logits_from_probs(ref_probs)),
                       msp_score(logits_from_probs(cur_probs)))
    return {"estimated_accuracy": acc["estimate"], "accuracy_low": acc["low"],
            "accuracy_high": acc["high"], "label_shift_l1": float(np.abs(prior - ref_prior).sum()),
            "ood_fraction": ood["fraction"]}


def drift_windows(reference, current, *, time_column: str | None = None,
                  window: str | None = None, chunk_size: int | None = None,
                  feature_columns: Sequence[str] | None = None, text_column: str | None = None,
                  label_column: str | None = None, id_column: str | None = None,
                  random_state=0, **options) -> DriftResult:
    """:func:`~dataqa.drift.detect_drift` on the whole current data, then on each window.

    Every window (``time_column`` + ``window``, or ``chunk_size`` rows) is compared with
    the whole reference: per-column tests, MMD, and with labels the estimated accuracy,
    label shift (L1 distance of the estimated class shares from the reference's) and OOD
    share. The reference is cut into chunks of the median window size (at most
    :data:`MAX_REFERENCE_CHUNKS`, in row order) and each chunk is compared with the rest
    of the reference (leave-one-chunk-out): the spread of those rows is what windows
    without drift look like. Windows with fewer than 10 rows are listed without
    statistics.

    ``options`` go to :func:`detect_drift` (``alpha``, ``correction``, ``min_effect``,
    ...). The returned result is the whole current data's, with ``.windows`` and
    ``.reference_chunks`` filled; ``.drifted`` is the whole-data decision and each
    window has its own ``drifted``.
    """
    ref = load_table(reference) if not isinstance(reference, pd.DataFrame) else reference.reset_index(drop=True)
    cur = load_table(current) if not isinstance(current, pd.DataFrame) else current.reset_index(drop=True)
    windows = split_windows(cur, time_column=time_column, window=window, chunk_size=chunk_size)
    if feature_columns is None:
        reserved = {c for c in (label_column, id_column, text_column, time_column) if c}
        feature_columns = [c for c in ref.columns if c in set(cur.columns) and c not in reserved]
        if text_column is not None:
            feature_columns.append(text_column)
    multi = tuple(options.pop("multivariate", MULTIVARIATE_TESTS))
    common = dict(feature_columns=feature_columns, text_column=text_column, **options)
    result = detect_drift(ref, cur, label_column=label_column, id_column=id_column,
                          random_state=random_state, multivariate=multi, **common)
    state = None
    if result.reference_probs is not None:
        state = {"ref_probs": result.reference_probs, "labels": result.reference_labels}
    win_opts = {**common, "multivariate": tuple(t for t in multi if t == "mmd")}
    rows = []
    for i, (label, idx) in enumerate(windows):
        row = {"window": label, "start_row": int(idx[0]), "end_row": int(idx[-1])}
        if len(idx) < MIN_ROWS:
            rows.append({**row, "n": len(idx), "drifted": False, "note": "fewer than 10 rows"})
            continue
        res = detect_drift(ref, cur.iloc[idx], random_state=random_state + i + 1, **win_opts)
        row.update(_summary(res))
        if state is not None:
            row.update(_model_row(state["ref_probs"], state["labels"],
                                  result.current_probs[idx], random_state))
        rows.append(row)
    result.windows = pd.DataFrame(rows)
    sizes = [len(idx) for _, idx in windows if len(idx) >= MIN_ROWS]
    size = int(np.median(sizes)) if sizes else len(cur)
    n_chunks = min(MAX_REFERENCE_CHUNKS, len(ref) // max(size, MIN_ROWS))
    chunks = []
    if n_chunks >= 2 and len(ref) - size >= MIN_ROWS:
        for c in range(n_chunks):
            idx = np.arange(c * size, (c + 1) * size)
            rest = np.setdiff1d(np.arange(len(ref)), idx)
            res = detect_drift(ref.iloc[rest], ref.iloc[idx], random_state=random_state + 1000 + c,
                               **win_opts)
            row = {"window": f"reference rows {idx[0]}-{idx[-1]}", **_summary(res)}
            if state is not None:
                pr, y = state["ref_probs"], state["labels"]
                row.update(_model_row(pr[rest], y[rest], pr[idx], random_state))
            chunks.append(row)
    result.reference_chunks = pd.DataFrame(chunks) if chunks else None
    result.settings.update({"time_column": time_column, "window": window,
                            "chunk_size": chunk_size})
    return result
