"""HTML report of a weak-labeling run: LF table, coverage/conflict plot, label distribution."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from dataqa.report.html import HtmlReport

__all__ = ["weak_report"]


def weak_report(path: str | os.PathLike, *, summary: pd.DataFrame, L: np.ndarray,
                proba: np.ndarray, pred: np.ndarray, class_names: Sequence[str] | None = None,
                facts: Mapping[str, object] | None = None) -> Path:
    """Write ``report.html`` for a weak-labeling run and return its path.

    Parameters
    ----------
    summary : DataFrame from :func:`dataqa.weak.lf_summary`
    L : int (n, m) LF votes
    proba : float (n, K) label-model probabilities
    pred : int (n,) hard labels, -1 where every LF abstains
    """
    from dataqa.report import subplots

    K = proba.shape[1]
    names = list(class_names) if class_names is not None else [str(k) for k in range(K)]
    rep = HtmlReport("Weak labels")
    covered = (L >= 0).any(axis=1)
    kv = {"rows": len(L), "labeling functions": L.shape[1],
          "rows with at least one vote": f"{covered.mean():.1%}"}
    kv.update(facts or {})
    rep.heading("Run").key_values(kv)

    rep.heading("Labeling functions")
    flagged = summary[summary["Flags"] != ""] if "Flags" in summary else summary.iloc[:0]
    if len(flagged):
        rep.paragraph(f"{len(flagged)} LF(s) flagged: "
                      + "; ".join(f"{i} ({f})" for i, f in flagged["Flags"].items()),
                      css_class="note")
    table = summary.reset_index().rename(columns={"index": "lf"})
    table = table.drop(columns=[c for c in ("j",) if c in table.columns])  # (the LF's index)
    table["Polarity"] = [", ".join(names[int(k)] if 0 <= int(k) < K else str(k) for k in v)
                         if isinstance(v, (list, tuple, np.ndarray)) else str(v)
                         for v in table["Polarity"]]
    for c in ("Coverage", "Overlaps", "Conflicts", "Emp. Acc.", "Dev Emp. Acc."):  # shares
        if c in table.columns:
            table[c] = [f"{v:.1%}" if pd.notna(v) else "" for v in table[c]]
    rep.table(table)

    fig, ax = subplots(figsize=(8, max(2.5, 0.28 * len(summary))))
    y = np.arange(len(summary))
    ax.barh(y - 0.2, summary["Coverage"], height=0.4, label="coverage")
    ax.barh(y + 0.2, summary["Conflicts"], height=0.4, label="conflicts")
    ax.set_yticks(y, [str(i) for i in summary.index])
    ax.invert_yaxis()
    ax.set_xlabel("fraction of rows")
    # beside the bars, where it hides none of them
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    rep.figure(fig, alt="coverage and conflicts per LF")

    rep.heading("Label distribution")
    counts = {names[k]: int(np.sum(pred == k)) for k in range(K)}
    counts["abstain (no LF voted)"] = int(np.sum(pred < 0))
    rep.key_values(counts)
    fig, axes = subplots(1, 2, figsize=(9, 3))
    axes[0].bar(list(counts), list(counts.values()))
    axes[0].set_title("hard labels")
    axes[0].tick_params(axis="x", rotation=20)
    axes[0].set_ylabel("rows")
    # rows no LF voted on hold the label model's prior, not a confidence: left out
    axes[1].hist(proba[covered].max(axis=1), bins=20, range=(1.0 / K, 1.0))
    axes[1].set_title("confidence (max probability)")
    axes[1].set_xlabel("largest class probability")
    axes[1].set_ylabel("rows with a vote")
    rep.figure(fig, alt="label distribution")
    if not covered.all():
        rep.paragraph(f"The confidence chart counts the {int(covered.sum()):,} rows at least "
                      f"one LF voted on; the {int((~covered).sum()):,} rows without a vote "
                      f"hold the label model's class prior, not a confidence, and are left "
                      f"out.", css_class="note")
    return rep.write(path)
