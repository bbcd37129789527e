"""``audit``: the whole label-error audit of one labeled table."""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from dataqa.audit.issues import find_label_issues
from dataqa.audit.pred_probs import cross_val_pred_probs
from dataqa.data import LabeledTable, effective_folds, prepare_labeled
from dataqa.features import table_features
from dataqa.stats import ErrorRate, error_rate_interval

__all__ = ["AuditResult", "audit", "datalab_findings"]


@dataclass
class AuditResult:
    """What :func:`audit` found.

    Attributes
    ----------
    issues : DataFrame
        One row per item, ranked by ``label_issue_score`` (higher = more likely
        mislabeled): ``id, given_label, suggested_label, label_issue_score, is_label_issue``
        and, where Datalab ran, ``outlier_score`` (higher = more outlying), ``is_outlier``,
        ``is_near_duplicate``, ``near_duplicate_set`` (ids of the item's near duplicates,
        ``;``-separated).
    error_rate : ErrorRate
        Fraction of items flagged as label issues, with its Beta-posterior interval.
    summary : dict
        Counts and settings (JSON-serialisable).
    pred_probs : ndarray (n, K)
        Out-of-sample predicted probabilities, rows in the table's order.
    table : LabeledTable
        The validated input.
    """

    issues: pd.DataFrame
    error_rate: ErrorRate
    summary: dict
    pred_probs: np.ndarray
    table: LabeledTable
    datalab: dict = field(default_factory=dict)

    def to_html(self, path: str | os.PathLike, *, image_shape=None) -> Path:
        """Write the self-contained HTML report (plots embedded) and return its path.

        ``image_shape`` ("HxW" or (H, W)) shows each suspect's features as a thumbnail;
        see :func:`dataqa.audit.report.audit_report`.
        """
        from dataqa.audit.report import audit_report

        return audit_report(self, image_shape=image_shape).write(path)

    def summary_json(self) -> dict:
        """The short machine-readable summary written as ``summary.json`` by the CLI."""
        return {"n": self.summary["n"], "n_issues": self.summary["n_issues"],
                "error_rate": self.error_rate.estimate, "error_rate_low": self.error_rate.low,
                "error_rate_high": self.error_rate.high}

    def save(self, out_dir: str | os.PathLike, *, image_shape=None) -> dict[str, Path]:
        """Write ``issues.csv``, ``report.html`` and ``summary.json`` into ``out_dir``."""
        from dataqa.audit.report import check_image_shape

        image_shape = check_image_shape(self, image_shape)  # before anything is written
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"issues": out / "issues.csv", "report": out / "report.html",
                 "summary": out / "summary.json"}
        self.issues.to_csv(paths["issues"], index=False)
        self.to_html(paths["report"], image_shape=image_shape)
        paths["summary"].write_text(json.dumps(self.summary_json(), indent=2))
        return paths

    def review_queue(self, *, top: int | None = None, only_issues: bool = True) -> pd.DataFrame:
        """Items to review, ready for ``dataqa.labelstudio.push_queue(..., queue="review")``.

        Columns: ``id``, the data (the text column renamed ``text``, or the feature
        columns), ``label`` (the given label: the pre-annotation reviewers confirm or
        change), ``prediction`` (the suggested label), ``score`` (label-issue score,
        higher = look first). Ranked by score.
        """
        q = self.issues[self.issues["is_label_issue"]] if only_issues else self.issues
        if top is not None:
            q = q.head(top)
        t = self.table
        frame = t.frame.assign(_dataqa_id=t.ids).set_index("_dataqa_id")
        if t.text_column:
            data = frame[[t.text_column]].rename(columns={t.text_column: "text"})
        else:
            data = frame[list(t.feature_columns)]
        out = data.loc[q["id"].to_numpy()].reset_index(drop=True)
        out.insert(0, "id", q["id"].astype(str).to_numpy())
        out["label"] = q["given_label"].astype(str).to_numpy()
        out["prediction"] = q["suggested_label"].astype(str).to_numpy()
        out["score"] = q["label_issue_score"].to_numpy()
        return out


def _datalab_features(feats: dict, random_state: int) -> np.ndarray:
    """A dense, modest-dimensional matrix for Datalab's nearest-neighbour checks."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import StandardScaler, normalize

    blocks = []
    for kind, X in feats.items():
        if kind == "tfidf" or sp.issparse(X):
            n_comp = int(min(100, X.shape[1] - 1, X.shape[0] - 1))
            Z = TruncatedSVD(n_components=max(n_comp, 1), random_state=random_state).fit_transform(X)
            blocks.append(normalize(Z))
        elif kind == "embedding":
            blocks.append(np.asarray(X, dtype=np.float64))
        else:
            blocks.append(StandardScaler().fit_transform(X))
    return np.hstack(blocks)


def datalab_findings(labels: np.ndarray, features: np.ndarray, pred_probs: np.ndarray,
                     ids: np.ndarray, class_names: list) -> tuple[pd.DataFrame, dict]:
    """Run cleanlab Datalab's outlier, near-duplicate and class-imbalance checks.

    Returns a per-item frame (``id, outlier_score, is_outlier, is_near_duplicate,
    near_duplicate_set``; ``outlier_score`` = 1 - Datalab's outlier quality, so higher =
    more outlying) and a summary dict.
    """
    from cleanlab import Datalab

    lab = Datalab(data={"label": labels}, label_name="label", verbosity=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lab.find_issues(features=features, pred_probs=pred_probs,
                        issue_types={"outlier": {}, "near_duplicate": {}, "class_imbalance": {}})
    out = pd.DataFrame({"id": ids})
    summary: dict = {}
    found = set(lab.issue_summary["issue_type"]) if len(lab.issue_summary) else set()
    if "outlier" in found:
        o = lab.get_issues("outlier")
        out["outlier_score"] = 1.0 - o["outlier_score"].to_numpy()
        out["is_outlier"] = o["is_outlier_issue"].to_numpy(dtype=bool)
        summary["n_outliers"] = int(out["is_outlier"].sum())
    if "near_duplicate" in found:
        d = lab.get_issues("near_duplicate")
        out["is_near_duplicate"] = d["is_near_duplicate_issue"].to_numpy(dtype=bool)
        out["near_duplicate_set"] = [
            ";".join(str(ids[j]) for j in s) if flag else ""
            for s, flag in zip(d["near_duplicate_sets"], out["is_near_duplicate"], strict=True)
        ]
        summary["n_near_duplicates"] = int(out["is_near_duplicate"].sum())
    if "class_imbalance" in found:
        c = lab.get_issues("class_imbalance")
        flagged = np.unique(np.asarray(labels)[c["is_class_imbalance_issue"].to_numpy(dtype=bool)])
        summary["imbalanced_classes"] = [str(class_names[k]) for k in flagged]
        counts = np.bincount(labels, minlength=len(class_names))
        summary["rarest_class"] = str(class_names[int(np.argmin(counts))])
        summary["rarest_class_fraction"] = float(counts.min() / counts.sum())
    return out, summary


def audit(data, *, label_column: str, text_column: str | None = None,
          feature_columns=None, id_column: str | None = None, model=None, cv: int = 5,
          datalab: bool = True, random_state: int = 0, text_features: str = "tfidf",
          n_jobs: int | None = None, progress: bool | None = None,
          read_options: dict | None = None) -> AuditResult:
    """Audit a labeled table for label errors, outliers, near duplicates and imbalance.

    Parameters
    ----------
    data : path (CSV, TSV, Parquet, JSONL, JSON) or DataFrame
    label_column : str
        Column of given labels (strings or ints; class names kept, sorted).
    text_column : str, optional
        Text to featurise (TF-IDF by default, see ``text_features``).
    feature_columns : list of str, optional
        Numeric feature columns; default every numeric column but id and label (when no
        text column is given).
    id_column : str, optional
        Unique item ids; default a content hash per row.
    model : scikit-learn classifier, optional
        Cloned per fold; default: logistic regression with its regularisation chosen on
        the out-of-sample log-loss (see :func:`out_of_sample_pred_probs`). With several
        feature kinds (e.g. ``text_features="both"``) one model is fitted per kind.
    cv : int
        Cross-validation folds (fewer, with a warning, when a class is smaller).
    datalab : bool
        Also run Datalab's outlier, near-duplicate and class-imbalance checks.
    random_state : int
    text_features : {"tfidf", "embedding", "both"}
        "both": a TF-IDF model and a sentence-embedding model, their out-of-sample
        probabilities averaged.
    read_options : dict, optional
        How to read a file ``data``: keyword arguments of :func:`dataqa.data.load_table`
        (``format``, ``sep``, ``header``, ``columns``, ``encoding``).

    Returns
    -------
    AuditResult
    """
    table = prepare_labeled(data, label_column=label_column, id_column=id_column,
                            text_column=text_column, feature_columns=feature_columns,
                            read_options=read_options)
    folds = effective_folds(table.labels, table.class_names, cv)
    feats = table_features(table, text_features=text_features)
    probs, fits = [], {}
    for kind, X in feats.items():
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*fewer members than.*")
            p, info = cross_val_pred_probs(
                X, table.labels, model=model, cv=folds, random_state=random_state,
                n_jobs=n_jobs, class_names=table.class_names, progress=progress)
        probs.append(p)
        fits[kind] = info
    pred_probs = np.mean(probs, axis=0)
    issues = find_label_issues(table.labels, pred_probs, ids=table.ids,
                               class_names=table.class_names)
    dl_summary: dict = {}
    if datalab:
        per_item, dl_summary = datalab_findings(
            table.labels, _datalab_features(feats, random_state), pred_probs, table.ids,
            table.class_names)
        issues = issues.merge(per_item, on="id", how="left", sort=False)
    n_issues = int(issues["is_label_issue"].sum())
    er = error_rate_interval(n_issues, table.n)
    per_class = (issues[issues["is_label_issue"]]["given_label"].astype(str)
                 .value_counts().reindex([str(c) for c in table.class_names], fill_value=0))
    summary = {
        "n": table.n,
        "n_classes": table.n_classes,
        "class_names": [str(c) for c in table.class_names],
        "class_counts": {str(c): int(v) for c, v in zip(
            table.class_names, np.bincount(table.labels, minlength=table.n_classes), strict=True)},
        "n_issues": n_issues,
        "issues_per_class": {k: int(v) for k, v in per_class.items()},
        "error_rate": er.estimate,
        "error_rate_low": er.low,
        "error_rate_high": er.high,
        "confidence": er.confidence,
        "cv_folds": folds,
        "features": list(feats),
        "models": fits,
        "out_of_sample_accuracy": float((pred_probs.argmax(axis=1) == table.labels).mean()),
        **dl_summary,
    }
    return AuditResult(issues=issues, error_rate=er, summary=summary, pred_probs=pred_probs,
                       table=table, datalab=dl_summary)
