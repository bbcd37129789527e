"""The audit's HTML report: counts, error rate, per-class issues, confusion, scores, suspects."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from dataqa.report import HtmlReport, subplots

__all__ = ["audit_report"]

_TOP = 50


def _issues_per_class(result):
    s = result.summary
    names = s["class_names"]
    flagged = [s["issues_per_class"].get(n, 0) for n in names]
    counts = [s["class_counts"][n] for n in names]
    fig, ax = subplots(figsize=(max(5, 0.5 * len(names) + 2), 3.2))
    x = np.arange(len(names))
    ax.bar(x, flagged, color="#d9534f")
    for xi, f, c in zip(x, flagged, counts, strict=True):
        ax.text(xi, f, f"{f / c:.0%}" if c else "", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, names, rotation=45 if len(names) > 8 else 0, ha="right" if len(names) > 8 else "center")
    ax.set_ylabel("flagged items")
    ax.set_title("Label issues per given class (share of the class on top)")
    return fig


def _confusion(result):
    flagged = result.issues[result.issues["is_label_issue"]]
    names = result.summary["class_names"]
    m = pd.crosstab(flagged["given_label"].astype(str), flagged["suggested_label"].astype(str))
    m = m.reindex(index=names, columns=names, fill_value=0)
    size = max(4, 0.45 * len(names) + 2)
    fig, ax = subplots(figsize=(size, size * 0.85))
    im = ax.imshow(m.to_numpy(), cmap="Reds")
    ax.set_xticks(range(len(names)), names, rotation=45 if len(names) > 8 else 0)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("suggested label")
    ax.set_ylabel("given label")
    ax.set_title("Flagged items: given vs suggested label")
    if len(names) <= 15:
        for i in range(len(names)):
            for j in range(len(names)):
                v = m.iat[i, j]
                if v:
                    ax.text(j, i, str(v), ha="center", va="center", fontsize=8)
    fig.colorbar(im, ax=ax, fraction=0.046)
    return fig


def _score_hist(result):
    iss = result.issues
    fig, ax = subplots(figsize=(6, 3.2))
    bins = np.linspace(0, 1, 41)
    ax.hist(iss.loc[~iss["is_label_issue"], "label_issue_score"], bins=bins, alpha=0.7,
            label="not flagged", color="#5b8def")
    ax.hist(iss.loc[iss["is_label_issue"], "label_issue_score"], bins=bins, alpha=0.7,
            label="flagged", color="#d9534f")
    ax.set_yscale("log")
    ax.set_xlabel("label issue score (higher = more likely mislabeled)")
    ax.set_ylabel("items")
    ax.legend()
    return fig


def _suspects(result) -> pd.DataFrame:
    t = result.table
    top = result.issues.head(_TOP).copy()
    frame = t.frame.assign(_id=t.ids).set_index("_id")
    if t.text_column:
        top.insert(1, t.text_column, frame.loc[top["id"], t.text_column].astype(str).str.slice(0, 300).to_numpy())
    elif t.feature_columns:
        cols = t.feature_columns
        vals = frame.loc[top["id"], cols].to_numpy()
        shown = cols[:8]
        text = [", ".join(f"{c}={v:.3g}" for c, v in zip(shown, row[:8], strict=True))
                + (f", ... (+{len(cols) - 8})" if len(cols) > 8 else "") for row in vals]
        top.insert(1, "features", text)
    keep = [c for c in top.columns if c not in ("near_duplicate_set",)]
    return top[keep]


def audit_report(result) -> HtmlReport:
    """Build the HTML report of an :class:`~dataqa.audit.AuditResult`."""
    s, er = result.summary, result.error_rate
    r = HtmlReport("dataqa audit report")
    r.heading("Summary")
    r.key_values({
        "items": s["n"],
        "classes": s["n_classes"],
        "flagged as label issues": s["n_issues"],
        "estimated error rate": str(er),
        "out-of-sample accuracy of the model": f"{s['out_of_sample_accuracy']:.2%}",
        "cross-validation folds": s["cv_folds"],
        "features": ", ".join(s["features"]),
    })
    r.paragraph(
        "The error rate is the fraction of items flagged by confident learning (cleanlab), "
        "with an equal-tailed interval from the Beta(k+1, n-k+1) posterior (uniform prior). "
        "It estimates how many given labels are wrong; it is only as good as the model's "
        "out-of-sample probabilities.", css_class="note")
    r.heading("Class counts")
    r.table(pd.DataFrame({"class": s["class_names"],
                          "items": [s["class_counts"][c] for c in s["class_names"]],
                          "flagged": [s["issues_per_class"].get(c, 0) for c in s["class_names"]]}))
    r.heading("Issues per class")
    r.figure(_issues_per_class(result), alt="issues per class")
    r.heading("Given vs suggested label")
    r.figure(_confusion(result), alt="confusion of flagged items")
    r.heading("Score distribution")
    r.figure(_score_hist(result), alt="score histogram")
    r.heading(f"Top {_TOP} suspects")
    r.table(_suspects(result))
    r.heading("Datalab findings")
    if not result.datalab:
        r.paragraph("Datalab was not run (datalab=False).", css_class="note")
    else:
        dl = result.datalab
        r.key_values({
            "outliers": dl.get("n_outliers", "n/a"),
            "items in near-duplicate sets": dl.get("n_near_duplicates", "n/a"),
            "classes flagged as imbalanced": ", ".join(dl.get("imbalanced_classes", [])) or "none",
            "rarest class": f"{dl.get('rarest_class', 'n/a')} "
                            f"({dl.get('rarest_class_fraction', float('nan')):.1%} of items)",
        })
        iss = result.issues
        if "is_outlier" in iss:
            out = iss[iss["is_outlier"].fillna(False)].sort_values("outlier_score", ascending=False)
            r.heading("Outliers (higher score = more unusual)", level=3)
            r.table(out[["id", "given_label", "outlier_score", "label_issue_score"]], max_rows=30)
        if "is_near_duplicate" in iss:
            dup = iss[iss["is_near_duplicate"].fillna(False)]
            r.heading("Near duplicates", level=3)
            r.table(dup[["id", "given_label", "near_duplicate_set"]], max_rows=30)
    models = s.get("models", {})
    if models:
        r.heading("Models")
        r.raw("<ul>" + "".join(
            f"<li>{html.escape(k)}: {html.escape(str(v.get('model')))}"
            + (f", C={v['C']}" if "C" in v else "") + "</li>" for k, v in models.items()) + "</ul>")
    return r
