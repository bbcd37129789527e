"""``audit``: the whole label-error audit of one labeled table."""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from dataqa._caller import caller_stacklevel
from dataqa._progress import progress_stage
from dataqa._text import join_values, split_values
from dataqa.audit.duplicates import add_conflicting_duplicates, conflicting_duplicates
from dataqa.audit.error_rate import ModelErrorRate, model_error_rate
from dataqa.audit.issues import find_label_issues
from dataqa.audit.pred_probs import cross_val_pred_probs
from dataqa.data import LabeledTable, _counted, effective_folds, prepare_labeled
from dataqa.features import table_features
from dataqa.stats import ErrorRate, error_rate_interval

__all__ = ["AuditResult", "audit", "datalab_findings"]

if TYPE_CHECKING:
    from dataqa.audit.review import VerifiedErrorRate


def _json_default(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and v != v:
        return None
    return str(v)


#: Target width of the verified interval behind "review N items to know" (+-2.5 points).
REVIEW_WIDTH = 0.05


def _unreadable(path: Path, exc: Exception, rerun: str, what: str = ""):
    """The error for a file of an audit folder that cannot be read (cut short, edited)."""
    from dataqa.errors import DataLoadError

    return DataLoadError(
        f"{str(path)!r} cannot be read{what} ({type(exc).__name__}: "
        f"{' '.join(str(exc).split())[:200]}); it was cut short or edited: run `{rerun}` "
        f"again.")


@dataclass
class AuditResult:
    """What :func:`audit` found.

    Attributes
    ----------
    issues : DataFrame
        One row per item, ranked by ``label_issue_score`` (higher = more likely
        mislabeled): ``id, given_label, suggested_label, label_issue_score, is_label_issue``
        and ``is_conflicting_duplicate``, ``conflicting_duplicate_set`` (ids of the item's
        conflicting set, ``;``-separated; their score weighed with the set's votes) and,
        where Datalab ran,
        ``outlier_score`` (higher = more outlying), ``is_outlier``, ``is_near_duplicate``,
        ``near_duplicate_set`` (ids of the item's near duplicates, ``;``-separated); last,
        ``row``: the item's data row in the table read, counted from 1 after the header
        (through a folder's files in name order; blank lines are not rows), so that items
        with content-hash ids can be found in the file.
    summary : dict
        Counts and settings (JSON-serialisable).
    pred_probs : ndarray (n, K)
        Out-of-sample predicted probabilities, rows in the table's order.
    table : LabeledTable
        The validated input.
    datalab : dict
        Datalab's summary (empty when it did not run).
    model_error_rate : ModelErrorRate or None
        The model-based range of the label-error rate (not verified; see
        :mod:`dataqa.audit.error_rate`), with the review size that would verify it.
    review_plan : DataFrame or None
        The last plan of :func:`dataqa.audit.review.plan_review` (``id, stratum, weight``).
    verified : VerifiedErrorRate or None
        The error rate verified by a review (:func:`dataqa.audit.review.estimate_error_rate`);
        shown in the report when set.
    conflicting_duplicates : DataFrame or None
        Exact or near copies of one item given different labels, one row per set
        (``set_id, kind, size, rows, ids, labels``; see
        :func:`dataqa.audit.duplicates.conflicting_duplicates`). Their members are marked
        ``is_conflicting_duplicate`` in ``issues``, and their ``label_issue_score`` is
        weighed with the set's pooled evidence (raised for a member its set outvotes,
        lowered for those that agree with the set's likely class; see
        :func:`dataqa.audit.duplicates.duplicate_label_issue_score`).

    ``n_flagged`` and ``flagged_fraction`` count the worklist: items flagged for review,
    not an estimate of the error rate.
    """

    issues: pd.DataFrame
    summary: dict
    pred_probs: np.ndarray
    table: LabeledTable
    datalab: dict = field(default_factory=dict)
    model_error_rate: ModelErrorRate | None = None
    review_plan: pd.DataFrame | None = None
    verified: VerifiedErrorRate | None = None
    conflicting_duplicates: pd.DataFrame | None = None

    @property
    def n_flagged(self) -> int:
        """Items flagged as likely label errors (the review worklist)."""
        return int(self.issues["is_label_issue"].sum())

    @property
    def flagged_fraction(self) -> float:
        """Share of items flagged: the size of the worklist, **not** an error rate."""
        return self.n_flagged / max(len(self.issues), 1)

    @property
    def error_rate(self) -> ErrorRate:
        """Deprecated: the *flagged fraction* with an interval over the flag count.

        It is not an estimate of the label-error rate (wrong and missed flags are not
        accounted for), and its interval is of nothing: the flagged fraction is known
        exactly, not sampled. Use :attr:`flagged_fraction`, :attr:`model_error_rate`, or a
        verified estimate (:func:`dataqa.audit.review.estimate_error_rate`).
        """
        warnings.warn("AuditResult.error_rate is the flagged fraction, not an error rate; use "
                      "flagged_fraction, model_error_rate, or plan_review + "
                      "estimate_error_rate for a verified error rate.",
                      DeprecationWarning, stacklevel=2)
        return error_rate_interval(self.n_flagged, len(self.issues))

    def to_html(self, path: str | os.PathLike, *, image_shape=None) -> Path:
        """Write the self-contained HTML report (plots embedded) and return its path.

        ``image_shape`` ("HxW" or (H, W)) shows each suspect's features as a thumbnail;
        see :func:`dataqa.audit.report.audit_report`.
        """
        from dataqa.audit.report import audit_report

        return audit_report(self, image_shape=image_shape).write(path)

    def summary_json(self) -> dict:
        """The machine-readable summary written as ``summary.json``.

        Keys: ``n`` (items), ``n_flagged`` (items flagged as likely label errors: the
        worklist), ``flagged_fraction`` (``n_flagged / n``, not an error rate),
        ``class_names``, ``model_error_rate_low`` / ``model_error_rate_high`` (the
        model-based range, not verified) with ``model_error_rate_methods`` (estimator ->
        value), ``review_size`` (items to review for a verified interval at most
        ``review_width`` wide), ``columns`` (how the table was read), ``audit`` (the
        full :attr:`summary`: counts, folds, models), ``datalab``, and, once a
        review was estimated, ``verified_error_rate`` / ``verified_low`` /
        ``verified_high`` / ``verified_confidence``.
        """
        m = self.model_error_rate
        t = self.table
        out = {"n": int(len(self.issues)), "n_flagged": self.n_flagged,
               "flagged_fraction": self.flagged_fraction,
               "class_names": [str(c) for c in t.class_names],
               "model_error_rate_low": m.low if m else None,
               "model_error_rate_high": m.high if m else None,
               "model_error_rate_methods": dict(m.methods) if m else {},
               "review_size": m.review_size if m else None,
               "review_width": m.review_width if m else None,
               "columns": {"label": t.label_column, "id": t.id_column, "text": t.text_column,
                           "features": list(t.feature_columns)},
               "audit": self.summary, "datalab": self.datalab}
        if self.verified is not None:
            v = self.verified
            out.update({"verified_error_rate": v.estimate, "verified_low": v.low,
                        "verified_high": v.high, "verified_confidence": v.confidence})
        return out

    def save(self, out_dir: str | os.PathLike, *, image_shape=None) -> dict[str, Path]:
        """Write the audit into ``out_dir``.

        Files: ``issues.csv`` (ranked), ``report.html``, ``summary.json`` (keys in
        :meth:`summary_json`), ``pred_probs.npy`` (rows in the table's order, the order of
        ``items.parquet``) and ``items.parquet`` (``id``, the given label and the text
        or feature columns: what ``dataqa review`` needs to plan and push a review;
        :meth:`load` reads the folder back), ``conflicting_duplicates.csv`` (one row per
        set: ``set_id, kind, size, ids, labels``, lists ``;``-joined), plus
        ``review_plan.csv`` and
        ``verified.json`` when a plan or a verified estimate is attached.

        While it writes, the folder holds ``INCOMPLETE.json`` (:mod:`dataqa.outdir`): a
        run stopped before the last file leaves it, and :meth:`load` then refuses the
        folder instead of reading files of two runs as one.
        """
        from dataqa.audit.report import check_image_shape
        from dataqa.outdir import writing_folder

        image_shape = check_image_shape(self, image_shape)  # before anything is written
        with writing_folder(out_dir, "AuditResult.save"):
            return self._save(Path(out_dir), image_shape)

    def _save(self, out: Path, image_shape) -> dict[str, Path]:
        from dataqa.outdir import write_text_atomic

        paths = {"issues": out / "issues.csv", "report": out / "report.html",
                 "summary": out / "summary.json", "pred_probs": out / "pred_probs.npy",
                 "items": out / "items.parquet"}
        self.issues.to_csv(paths["issues"], index=False)
        np.save(paths["pred_probs"], np.asarray(self.pred_probs, dtype=np.float64))
        self._items_frame().to_parquet(paths["items"], index=False)
        if self.conflicting_duplicates is not None:
            paths["conflicting_duplicates"] = out / "conflicting_duplicates.csv"
            sets = self.conflicting_duplicates.drop(columns=["rows"], errors="ignore").copy()
            for c in ("ids", "labels"):
                sets[c] = [join_values(v) for v in sets[c]]
            sets.to_csv(paths["conflicting_duplicates"], index=False)
        if self.review_plan is not None:
            paths["review_plan"] = out / "review_plan.csv"
            if paths["review_plan"].is_file():  # another plan: its sheet answers it, not this
                try:
                    old = pd.read_csv(paths["review_plan"], dtype={"id": str})["id"].tolist()
                except (ValueError, KeyError, pd.errors.ParserError):
                    old = None
                new = self.review_plan["id"].astype(str).tolist()
                if old is None or old != new[:len(old)]:  # not this plan, nor its start
                    from dataqa._cli_utils import set_aside_earlier

                    set_aside_earlier(out, ["review_plan.csv", *_review_sheets(out),
                                            *_review_pages(out),
                                            "verified.json"], "an earlier review plan",
                                      replaced=True)
            self.review_plan.to_csv(paths["review_plan"], index=False)
        if self.verified is not None:
            paths["verified"] = out / "verified.json"
            write_text_atomic(paths["verified"], json.dumps(self.verified.to_dict(), indent=2,
                                                            default=_json_default))
        from dataqa._cli_utils import set_aside_earlier

        # the sheet goes with its plan: it stays beside a plan this result writes again
        earlier = {"conflicting_duplicates.csv": "conflicting_duplicates",
                   "review_plan.csv": "review_plan",
                   **dict.fromkeys(_review_sheets(out), "review_plan"),
                   **dict.fromkeys(_review_pages(out), "review_plan"),
                   "verified.json": "verified"}
        set_aside_earlier(out, [n for n, key in earlier.items() if key not in paths],
                          "an earlier audit or its review")
        self.to_html(paths["report"], image_shape=image_shape)
        write_text_atomic(paths["summary"], json.dumps(self.summary_json(), indent=2,
                                                       default=_json_default))
        return paths

    def _items_frame(self) -> pd.DataFrame:
        t = self.table
        names = np.asarray([str(c) for c in t.class_names], dtype=object)
        cols = [t.text_column] if t.text_column else list(t.feature_columns)
        # all columns at once: one at a time, 500 feature columns gave pandas'
        # "highly fragmented" PerformanceWarning 200 times
        data = {"id": np.asarray(t.ids).astype(str),
                "given_label": names[np.asarray(t.labels)]}
        data.update((c, t.frame[c].to_numpy()) for c in cols)
        return pd.DataFrame(data)

    @classmethod
    def load(cls, out_dir: str | os.PathLike) -> AuditResult:
        """Read back an audit folder written by :meth:`save` (or ``dataqa audit``), with
        its ``review_plan.csv``; ``verified.json`` is not read (``verified`` is None: the
        estimate comes from the reviews, through
        :func:`~dataqa.audit.review.estimate_error_rate`).

        Raises
        ------
        DataLoadError
            When a file is missing (the folder is not an audit's, or was written by an
            older dataqa without ``pred_probs.npy`` / ``items.parquet``: audit again), a
            file cannot be read, or the files do not agree on the number of items.
        dataqa.errors.IncompleteFolderError
            When a run writing the folder stopped before its last file (it left
            ``INCOMPLETE.json``): the files may be of two runs.
        """
        from dataqa.data import LabeledTable
        from dataqa.errors import DataLoadError
        from dataqa.outdir import check_complete

        out = Path(out_dir)
        review = check_complete(out, "audit folder", allow=("review",))
        if review is not None:
            import warnings

            warnings.warn(
                f"`{review.get('command')}` did not finish writing into {str(out)!r} "
                f"(started {review.get('started_at')}): the audit's data files are whole, "
                f"but its review plan, sheets or estimate may not be; run that again "
                f"(after `review plan --add`, look at review_plan.csv first: the items may "
                f"have been added).", UserWarning, stacklevel=caller_stacklevel())
        need = ["issues.csv", "summary.json", "pred_probs.npy", "items.parquet"]
        missing = [f for f in need if not (out / f).is_file()]
        if missing:
            raise DataLoadError(
                f"{str(out)!r} is not a complete audit folder: {', '.join(missing)} "
                f"missing; run `dataqa audit ... --out {out}` (this version) first.")
        reading = "summary.json"
        try:
            summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
            reading = "issues.csv"
            issues = pd.read_csv(out / "issues.csv",
                                 dtype={"id": str, "given_label": str,
                                        "suggested_label": str, "file": str},
                                 keep_default_na=False,
                                 na_values={"label_issue_score": ["", "nan"]})
            reading = "items.parquet"
            items = pd.read_parquet(out / "items.parquet")
            reading = "pred_probs.npy"
            pred_probs = np.load(out / "pred_probs.npy")
            names = [str(c) for c in summary["class_names"]]
            n = int(summary["n"])
        except (OSError, EOFError, ValueError, KeyError, TypeError, pd.errors.ParserError,
                pd.errors.EmptyDataError) as exc:
            raise _unreadable(out / reading, exc, f"dataqa audit ... --out {out}",
                              " as part of an audit folder") from None
        counts = {"summary.json": n, "issues.csv": len(issues), "items.parquet": len(items),
                  "pred_probs.npy": len(pred_probs)}
        if len(set(counts.values())) > 1 or pred_probs.ndim != 2 \
                or pred_probs.shape[1] != len(names):
            said = ", ".join(f"{f} {k}" for f, k in counts.items())
            if len(set(counts.values())) == 1:
                said = (f"pred_probs.npy of shape {pred_probs.shape} for "
                        f"{len(names)} classes")
            raise DataLoadError(
                f"the files of audit folder {str(out)!r} do not agree on the items "
                f"({said}): they are of two audits, or were cut short or edited; run "
                f"`dataqa audit ... --out {out}` again.")
        index = {c: k for k, c in enumerate(names)}
        cols = summary.get("columns", {})
        labels = items["given_label"].astype(str).map(index).to_numpy(dtype=np.int64)
        table = LabeledTable(frame=items, ids=items["id"].astype(str).to_numpy(),
                             labels=labels, class_names=names, label_column="given_label",
                             id_column="id", text_column=cols.get("text"),
                             feature_columns=list(cols.get("features") or []))
        for c in ("is_label_issue", "is_outlier", "is_near_duplicate", "is_conflicting_duplicate"):
            if c in issues:
                issues[c] = issues[c].astype(str).str.lower().eq("true")
        m = None
        if summary.get("model_error_rate_low") is not None:
            m = ModelErrorRate(summary["model_error_rate_low"], summary["model_error_rate_high"],
                               dict(summary.get("model_error_rate_methods", {})),
                               summary.get("review_size"), summary.get("review_width"))
        plan = None
        if (out / "review_plan.csv").is_file():
            try:
                plan = pd.read_csv(out / "review_plan.csv", dtype={"id": str, "stratum": str})
            except (OSError, ValueError, pd.errors.ParserError,
                    pd.errors.EmptyDataError) as exc:
                raise _unreadable(out / "review_plan.csv", exc,
                                  f"dataqa review plan {out} --budget N") from None
        full = dict(summary.get("audit") or {})
        full.setdefault("n", summary["n"])
        full.setdefault("class_names", names)
        sets = None
        if (out / "conflicting_duplicates.csv").is_file():
            try:
                sets = pd.read_csv(out / "conflicting_duplicates.csv", dtype=str,
                                   keep_default_na=False)
                sets[["set_id", "size", "ids", "labels"]]  # (KeyError: not this file)
            except (OSError, ValueError, KeyError, pd.errors.ParserError,
                    pd.errors.EmptyDataError) as exc:
                raise _unreadable(out / "conflicting_duplicates.csv", exc,
                                  f"dataqa audit ... --out {out}") from None
            position = {i: k for k, i in enumerate(table.ids)}
            sets["ids"] = [split_values(v) for v in sets["ids"]]
            sets["labels"] = [split_values(v) for v in sets["labels"]]
            unknown = [i for v in sets["ids"] for i in v if i not in position]
            if unknown:
                raise DataLoadError(
                    f"{str(out / 'conflicting_duplicates.csv')!r} names id {unknown[0]!r}, "
                    f"which items.parquet does not hold (the files are of two audits, or "
                    f"were edited); audit again into this folder.")
            sets["rows"] = [[position[i] for i in v] for v in sets["ids"]]
            sets["set_id"] = sets["set_id"].astype(np.int64)
            sets["size"] = sets["size"].astype(np.int64)
        return cls(issues=issues, summary=full, pred_probs=pred_probs, table=table,
                   datalab=dict(summary.get("datalab") or {}), model_error_rate=m,
                   review_plan=plan, conflicting_duplicates=sets)

    def review_queue(self, *, top: int | None = None, only_issues: bool = True) -> pd.DataFrame:
        """Items to review, ready for ``dataqa.labelstudio.push_queue(..., queue="review")``.

        Columns: ``id``, the data (the text column renamed ``text``, or the feature
        columns), ``label`` (the given label), ``prediction`` (the suggested label),
        ``probability`` (the model's out-of-sample probability of the suggested label),
        ``score`` (label-issue score, higher = look first). Ranked by score; the flagged
        items only (``only_issues=True``, the default) or every item, at most ``top``. The
        flags are cleanlab's (per class, by the estimated noise rates), not a cut of the
        score, so an unflagged item can outscore a flagged one (wine with 5% of its labels
        flipped: ranks 5 and 8, both flips, unflagged; ranks 9 and 10, both right, flagged):
        to review a fixed number of items, ``only_issues=False, top=N`` takes the N highest
        scores, which found more flips in the same budget there (digits: 79 against 74 among
        the 81 flagged; SMS: 251 against 245 among 266). The members of a set of
        conflicting copies are flagged, and suggested, by their set instead: the set's
        likely class (half its labels, half the model), so a copy's ``probability`` (its own
        model probability of that class) can be under 0.5. Reviewers
        see both labels and the score above the choices, with nothing pre-selected
        unless ``push_queue(..., pretick=...)`` asks for it.
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
        rows = pd.Series(np.arange(t.n), index=pd.Index(np.asarray(t.ids).astype(str)))
        at = rows.loc[out["id"]].to_numpy()
        names = {str(c): k for k, c in enumerate(t.class_names)}
        cls = np.asarray([names[c] for c in out["prediction"]], dtype=np.int64)
        out["probability"] = np.asarray(self.pred_probs)[at, cls] if len(at) else []
        out["score"] = q["label_issue_score"].to_numpy()
        return out


def _warn_if_linear_only(fits: dict, feats: dict, model, n: int, folds: int,
                         pred_probs: np.ndarray, labels: np.ndarray) -> None:
    """Say so when dense features got logistic regression alone because the folds are too
    large for the nearest-neighbour member: a linear model can flag far more correct
    items on data whose classes it cannot separate, and the jump at the size limit is
    otherwise unexplained."""
    from dataqa.audit.pred_probs import KNN_MAX_TRAIN

    n_train = n - n // max(folds, 1)
    linear = [k for k, info in fits.items()
              if not k.startswith("tfidf") and "+" not in str(info.get("model", ""))]
    if model is not None or not linear or n_train <= KNN_MAX_TRAIN:
        return
    acc = float(np.mean(np.argmax(pred_probs, axis=1) == labels))
    warnings.warn(
        f"with {n_train:,} training items per fold (more than {KNN_MAX_TRAIN:,}) the "
        f"audit's model for the {', '.join(linear)} features is logistic regression alone "
        f"(the nearest-neighbour member is left out for time), which sees only linear "
        f"class boundaries; its out-of-sample accuracy is {acc:.2f}. Where that is low, "
        f"flags include many correct items: pass a model that fits the data (API: "
        f"audit(..., model=...)) or audit a sample of at most "
        f"{KNN_MAX_TRAIN * folds // max(folds - 1, 1):,} rows.", UserWarning, stacklevel=3)


def _model_inputs(feats: dict) -> dict:
    """What the audit's models are fitted on, keyed by kind: the feature matrices as they
    are, except that numeric feature columns beside a text column join each of the text's
    matrices (standardised, in one matrix per text representation: ``tfidf+numeric``).
    Fitted apart and averaged, a model of a few weak numeric columns dragged the text
    model's probabilities: SMS with its length as a second column gave a model-based
    range of 0.1-10.0% (0.1-2.4% in one model, 0.1-2.5% without the column)."""
    if "numeric" not in feats or len(feats) == 1:
        return feats
    from sklearn.preprocessing import StandardScaler

    num = StandardScaler().fit_transform(feats["numeric"])
    out = {}
    for kind, X in feats.items():
        if kind != "numeric":
            out[f"{kind}+numeric"] = (sp.hstack([X, sp.csr_matrix(num)], format="csr")
                                      if sp.issparse(X) else np.hstack([X, num]))
    return out


def _datalab_features(feats: dict, random_state: int) -> np.ndarray:
    """A dense, modest-dimensional matrix for Datalab's nearest-neighbour checks."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import StandardScaler, normalize

    blocks = []
    for kind, X in feats.items():
        if kind == "tfidf" or sp.issparse(X):
            n_comp = int(min(100, X.shape[1] - 1, X.shape[0] - 1))
            if n_comp < 1:  # a single word seen in the texts: nothing to reduce
                Z = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
            else:
                Z = TruncatedSVD(n_components=n_comp, random_state=random_state).fit_transform(X)
            blocks.append(normalize(Z))
        elif kind == "embedding":
            blocks.append(np.asarray(X, dtype=np.float64))
        else:
            blocks.append(StandardScaler().fit_transform(X))
    return np.hstack(blocks)


#: Neighbours Datalab's outlier and near-duplicate checks use (its default).
DATALAB_NEIGHBOURS = 10


def datalab_findings(labels: np.ndarray, features: np.ndarray, pred_probs: np.ndarray,
                     ids: np.ndarray, class_names: list, *,
                     random_state: int = 0) -> tuple[pd.DataFrame, dict]:
    """Run cleanlab Datalab's outlier, near-duplicate and class-imbalance checks.

    From :data:`dataqa.audit.neighbors.APPROX_MIN_ROWS` rows on, Datalab gets a
    precomputed approximate neighbour graph (:func:`dataqa.audit.neighbors.knn_graph`:
    features reduced once, HNSW search, nothing of size n x n) instead of its exact search.

    Returns a per-item frame (``id, outlier_score, is_outlier, is_near_duplicate,
    near_duplicate_set``; ``outlier_score`` = 1 - Datalab's outlier quality, so higher =
    more outlying) and a summary dict.
    """
    per_item, summary, _ = _run_datalab(labels, features, pred_probs, ids, class_names,
                                        random_state=random_state)
    return per_item, summary


def _run_datalab(labels, features, pred_probs, ids, class_names, *, random_state: int,
                 metric: str | None = None, texts=None):
    """:func:`datalab_findings` plus each item's near-duplicate rows (positions), or None.
    ``metric``: the neighbours' distance (None: Datalab's choice, cosine above 3 columns).
    With ``texts``, a near-duplicate link stands only between texts that share
    :data:`~dataqa.audit.duplicates.NEAR_TEXT_MIN_JACCARD` of their character 3-grams, as
    for conflicting duplicates (texts of words seen nowhere else all lie at one point)."""
    from dataqa._lazy import keep_warning_filters

    with keep_warning_filters():
        from cleanlab import Datalab

    from dataqa.audit.neighbors import APPROX_MIN_ROWS, knn_graph

    lab = Datalab(data={"label": labels}, label_name="label", verbosity=0)
    extra: dict = {}
    if len(labels) >= APPROX_MIN_ROWS:
        extra["knn_graph"] = knn_graph(features, k=10, method="approximate", metric=metric,
                                       random_state=random_state)
    near = {} if metric is None else {"metric": metric}
    issue_types: dict = {"outlier": dict(near), "near_duplicate": dict(near),
                         "class_imbalance": {}}
    if len(labels) <= DATALAB_NEIGHBOURS:  # (Datalab prints its own error and goes on)
        del issue_types["outlier"], issue_types["near_duplicate"]
        warnings.warn(
            f"the outlier and near-duplicate checks compare each item with its "
            f"{DATALAB_NEIGHBOURS} nearest neighbours, so they need more than "
            f"{DATALAB_NEIGHBOURS} items; skipped for these {len(labels)}.", UserWarning,
            stacklevel=caller_stacklevel())
    from sklearn import config_context

    from dataqa.audit.neighbors import EXACT_WORKING_MEMORY

    # (Datalab's own exact search below APPROX_MIN_ROWS: distances in chunks of that size)
    with warnings.catch_warnings(), config_context(working_memory=EXACT_WORKING_MEMORY):
        warnings.simplefilter("ignore")
        lab.find_issues(features=features, pred_probs=pred_probs, issue_types=issue_types,
                        **extra)
    out = pd.DataFrame({"id": ids})
    summary: dict = {}
    near_rows = None
    found = set(lab.issue_summary["issue_type"]) if len(lab.issue_summary) else set()
    if "outlier" in found:
        o = lab.get_issues("outlier")
        out["outlier_score"] = 1.0 - o["outlier_score"].to_numpy()
        out["is_outlier"] = o["is_outlier_issue"].to_numpy(dtype=bool)
        summary["n_outliers"] = int(out["is_outlier"].sum())
    if "near_duplicate" in found:
        d = lab.get_issues("near_duplicate")
        flags = d["is_near_duplicate_issue"].to_numpy(dtype=bool)
        near_rows = [list(map(int, r)) if flag else []
                     for r, flag in zip(d["near_duplicate_sets"], flags, strict=True)]
        if texts is not None:
            from dataqa.audit.duplicates import _similar_text_edges

            src = np.array([i for i, r in enumerate(near_rows) for _ in r], dtype=np.int64)
            dst = np.array([j for r in near_rows for j in r], dtype=np.int64)
            keep = iter(_similar_text_edges(src, dst, texts).tolist())
            near_rows = [[j for j in r if next(keep)] for r in near_rows]
        out["is_near_duplicate"] = np.array([bool(r) for r in near_rows], dtype=bool)
        out["near_duplicate_set"] = [join_values(ids[j] for j in r) for r in near_rows]
        summary["n_near_duplicates"] = int(out["is_near_duplicate"].sum())
    if "class_imbalance" in found:
        c = lab.get_issues("class_imbalance")
        flagged = np.unique(np.asarray(labels)[c["is_class_imbalance_issue"].to_numpy(dtype=bool)])
        summary["imbalanced_classes"] = [str(class_names[k]) for k in flagged]
        counts = np.bincount(labels, minlength=len(class_names))
        summary["rarest_class"] = str(class_names[int(np.argmin(counts))])
        summary["rarest_class_fraction"] = float(counts.min() / counts.sum())
    return out, summary, near_rows


def _with_files(issues: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """``issues`` with ``file`` and ``file_row`` (the row in that file, from 1) after
    ``row`` when the table was read from several files (a folder or a glob pattern): a
    row of the joined table says nothing of where to find it."""
    from dataqa.data import _files_as_read

    files = _files_as_read(frame)
    if not files:
        return issues
    sizes = np.array([n for _, n in files], dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    which = np.searchsorted(np.cumsum(sizes), issues["row"].to_numpy() - 1, side="right")
    at = issues.columns.get_loc("row") + 1
    issues.insert(at, "file", np.array([name for name, _ in files], dtype=object)[which])
    issues.insert(at + 1, "file_row", issues["row"].to_numpy() - starts[which])
    return issues


def _with_text_near_copies(near, labels, texts, random_state: int, numeric=None) -> list:
    """``near`` (each row's near duplicates, Datalab's ``near_duplicate_sets``, or None)
    with the near copies of each text that may be labeled otherwise
    (:func:`dataqa.audit.pred_probs._near_copy_edges`) added: distinct texts only (equal
    ones are the exact rule's, which with numeric features also asks for equal numbers),
    and with ``numeric`` features (n, d) only rows whose numbers are equal too ("red
    widget" at 5 and at 500 are two items, not copies). A pair of texts joins every row
    of the one to every row of the other with the same numbers, whatever the rows'
    order."""
    from dataqa.audit.pred_probs import _key_groups, _near_copy_edges, _text_keys

    y = np.asarray(labels)
    out = [set() for _ in range(len(y))] if near is None else [set(r) for r in near]
    a, b = _near_copy_edges(y, texts, random_state)
    key = _text_keys(texts)
    distinct = key[a] != key[b]
    a, b = a[distinct], b[distinct]
    if numeric is None:
        pairs = zip(a.tolist(), b.tolist(), strict=True)
    else:
        from dataqa.features import feature_row_keys

        rows_of = {int(key[g[0]]): g for g in _key_groups(key)}
        nums = feature_row_keys(numeric)
        pairs = []
        for i, j in zip(a.tolist(), b.tolist(), strict=True):
            for ri in rows_of.get(int(key[i]), np.array([i])).tolist():
                for rj in rows_of.get(int(key[j]), np.array([j])).tolist():
                    if nums[ri] == nums[rj]:
                        pairs.append((ri, rj))
    for i, j in pairs:
        out[i].add(j)
        out[j].add(i)
    return [sorted(r) for r in out]


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
        Numeric feature columns; default every numeric column but the id, the label and
        columns that look like ids (an id-like name such as ``order_id``, a distinct whole
        number in every row; warned about), when no text column is given.
    id_column : str, optional
        Unique item ids; default a content hash per row.
    model : scikit-learn classifier, optional
        Cloned per fold; default: logistic regression with its regularisation chosen on
        the out-of-sample log-loss (see :func:`out_of_sample_pred_probs`). With several
        feature kinds (e.g. ``text_features="both"``) one model is fitted per kind.
    cv : int
        Cross-validation folds, kept when a class is smaller (with a warning; fewer only
        when every class is, see :func:`dataqa.data.effective_folds`).
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
    from dataqa.data import table_name

    folds = effective_folds(table.labels, table.class_names, cv,
                            where=f" of label column {label_column!r} of "
                                  f"{table_name(table.frame)}", counted=_counted(table.frame))
    with progress_stage("features", enabled=progress):
        feats = table_features(table, text_features=text_features)
    texts = (table.frame[table.text_column].astype(str).tolist() if table.text_column
             else None)
    probs, fits = [], {}
    for kind, X in _model_inputs(feats).items():
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*fewer members than.*")
            p, info = cross_val_pred_probs(
                X, table.labels, model=model, cv=folds, random_state=random_state,
                n_jobs=n_jobs, class_names=table.class_names, progress=progress,
                texts=texts)
        probs.append(p)
        fits[kind] = info
    pred_probs = np.mean(probs, axis=0)
    _warn_if_linear_only(fits, feats, model, table.n, folds, pred_probs, table.labels)
    issues = find_label_issues(table.labels, pred_probs, ids=table.ids,
                               class_names=table.class_names)
    dl_summary: dict = {}
    near = None
    if datalab:
        with progress_stage("Datalab: outliers, near duplicates, class imbalance",
                            enabled=progress):
            # numbers alone: how far out a row is counts (the cosine of standardised rows
            # reads a row 40 sd out as a near copy of one 1 sd out in the same direction);
            # text: the cosine of its unit-length components
            per_item, dl_summary, near = _run_datalab(
                table.labels, _datalab_features(feats, random_state), pred_probs, table.ids,
                table.class_names, random_state=random_state,
                metric="euclidean" if set(feats) == {"numeric"} else None, texts=texts)
        issues = issues.merge(per_item, on="id", how="left", sort=False)
    if texts is not None:
        # near copies of a text labeled otherwise, as the folds found them (held out
        # together there): reported as conflicting sets with Datalab off too, or where
        # Datalab's features (numbers beside the text) did not put them together
        near = _with_text_near_copies(near, table.labels, texts, random_state,
                                      feats.get("numeric"))
    sets = conflicting_duplicates(table.labels, ids=table.ids, texts=texts,
                                  features=feats.get("numeric"), near_duplicate_sets=near,
                                  class_names=table.class_names)
    issues, dup_summary = add_conflicting_duplicates(issues, sets, table.labels, pred_probs,
                                                     table.ids, class_names=table.class_names)
    # where each item is in the table read (content-hash ids say nothing of it)
    position = pd.Series(np.arange(1, table.n + 1), index=pd.Index(table.ids))
    issues["row"] = position.loc[issues["id"]].to_numpy()
    if not isinstance(data, pd.DataFrame):  # (a table reordered after reading keeps attrs)
        issues = _with_files(issues, table.frame)
    n_issues = int(issues["is_label_issue"].sum())
    per_class = (issues[issues["is_label_issue"]]["given_label"].astype(str)
                 .value_counts().reindex([str(c) for c in table.class_names], fill_value=0))
    summary = {
        "n": table.n,
        "n_classes": table.n_classes,
        "class_names": [str(c) for c in table.class_names],
        "class_counts": {str(c): int(v) for c, v in zip(
            table.class_names, np.bincount(table.labels, minlength=table.n_classes), strict=True)},
        "n_issues": n_issues,
        "n_flagged": n_issues,
        "flagged_fraction": n_issues / table.n,
        "issues_per_class": {k: int(v) for k, v in per_class.items()},
        "cv_folds": folds,
        "features": list(feats),
        "models": fits,
        "out_of_sample_accuracy": float((pred_probs.argmax(axis=1) == table.labels).mean()),
        **dup_summary,
        **dl_summary,
    }
    _warn_weak_model(summary)
    result = AuditResult(issues=issues, summary=summary, pred_probs=pred_probs, table=table,
                         datalab=dl_summary, conflicting_duplicates=sets)
    result.model_error_rate = _model_range(result, random_state)
    return result


#: The audit warns when the model's out-of-sample error is more than this share of the
#: error of always predicting the most common class.
WEAK_MODEL_ERROR_SHARE = 0.8


def _warn_weak_model(summary: dict) -> None:
    """Warn when the model is barely better than predicting the most common class and
    flags items: its flags are then mostly its own mistakes, not label errors."""
    import warnings

    majority = max(summary["class_counts"].values()) / summary["n"]
    acc = summary["out_of_sample_accuracy"]
    if summary["n_flagged"] and 1.0 - acc > WEAK_MODEL_ERROR_SHARE * (1.0 - majority):
        texts = [f for f in summary.get("features", ()) if f in ("tfidf", "embedding")]
        hint = ("give it features that predict the label (--text-column, --feature-column)."
                if not texts else
                "the texts do not predict the labels well: with few labelled rows, label more"
                + ("" if "embedding" in texts else
                   " (or try --text-features embedding, if installed)")
                + "; if the labels are not about the texts, name the columns that predict "
                "them (--feature-column).")
        warnings.warn(
            f"the model is barely better than always predicting the most common class "
            f"(out-of-sample accuracy {acc:.3f} against {majority:.3f}), so most of the "
            f"{summary['n_flagged']} flags ({summary['flagged_fraction']:.0%} of the items) are "
            f"likely its own mistakes rather than label errors; {hint}", UserWarning,
            stacklevel=3)


def _model_range(result: AuditResult, random_state: int) -> ModelErrorRate:
    """The model-based range, with the review size that would verify it (:data:`REVIEW_WIDTH`)."""
    from dataqa.audit.review import required_review_size

    m = model_error_rate(result.table.labels, result.pred_probs)
    size = required_review_size(result, width=REVIEW_WIDTH, random_state=random_state)
    return ModelErrorRate(m.low, m.high, m.methods, review_size=size, review_width=REVIEW_WIDTH)


def _review_sheets(out: Path) -> list[str]:
    """The review sheets of a plan in folder ``out``: ``review_sheet.csv`` and those of
    items added to it (``review_sheet_2.csv`` ...)."""
    import re

    added = sorted((int(m.group(1)), p.name) for p in out.glob("review_sheet_*.csv")
                   if (m := re.fullmatch(r"review_sheet_(\d+)\.csv", p.name)))
    return ["review_sheet.csv", *(name for _, name in added)]


def _review_pages(out: Path) -> list[str]:
    """The image pages beside the review sheets (``review_sheet.html`` ...), which go where
    their sheets go."""
    return [name[:-len(".csv")] + ".html" for name in _review_sheets(out)]
