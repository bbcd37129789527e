"""``DriftResult``: what :func:`dataqa.drift.detect_drift` found, saved and reported."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dataqa._text import INVISIBLE
from dataqa._validation import check_int
from dataqa.errors import InvalidSettingError

__all__ = ["DriftResult", "RANK_BY"]




def _shown_text(text: pd.Series) -> pd.Series:
    """Texts as an annotator sees them: runs of white space as one space, none at either
    end, invisible characters dropped."""
    return text.astype(str).str.replace(INVISIBLE, "", regex=True).str.split().str.join(" ")


def _content_keys(data: pd.DataFrame, text_column, id_column,
                  label_column=None) -> np.ndarray | None:
    """One hash per row of what an annotator would see: the text, its runs of white space
    read as one space and none at either end, invisible characters (zero-width spaces and
    joiners, byte-order marks, soft hyphens) dropped (rows without text are each their
    own), else
    every column but the id and the label, each value with its type (``1`` and ``"1"``
    differ). None
    when there is no content to compare."""
    if text_column is not None:
        text = data[text_column]
        shown = _shown_text(text)
        keys = pd.util.hash_pandas_object(shown, index=False).to_numpy()
        missing = text.isna().to_numpy() | shown.eq("").to_numpy()
        keys = keys.astype(object)
        for i in np.flatnonzero(missing):
            keys[i] = f"missing text, row {i}"
        return keys
    content = data.drop(columns=[c for c in (id_column, label_column)
                                 if c is not None and c in data.columns])
    if content.shape[1] == 0:
        return None
    content = content.apply(lambda c: c.map(repr) if c.dtype == object else c)
    return pd.util.hash_pandas_object(content, index=False).to_numpy()


def _jsonable(v: Any) -> Any:
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return [_jsonable(x) for x in v.tolist()]
    if isinstance(v, np.bool_ | bool):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        f = float(v)
        return f if np.isfinite(f) else None
    if isinstance(v, pd.DataFrame):
        return [_jsonable(r) for r in v.to_dict(orient="records")]
    return v


#: Names a push reads as its own (known labels, pre-annotations, scores; see
#: :func:`dataqa.labelstudio.push_queue` and its audit aliases), which the labeling queue
#: therefore never takes from the current table as they are (see ``label_queue``).
QUEUE_RENAMED = ("id", "score", "label", "prediction", "probability", "given_label",
                 "suggested_label", "label_issue_score", "text")
#: Columns of the labeling queue besides those (a current column so named is renamed too).
_QUEUE_OWN = ("unlike_score", "uncertainty", "copies")


def _carries_label(values: pd.Series) -> np.ndarray:
    """Per row, whether the label column holds a label: a value that is not missing and,
    for text, not blank (an empty or all-space cell is no label)."""
    present = values.notna().to_numpy(dtype=bool, copy=True)
    if not pd.api.types.is_numeric_dtype(values):  # text, categories, mixed objects
        present &= ~np.fromiter((isinstance(v, str) and not v.strip()
                                 for v in values.astype(object)), dtype=bool, count=len(values))
    return present


#: How :meth:`DriftResult.label_queue` combines its two ranks (see there).
RANK_BY = ("mean", "max", "unlike", "uncertainty")


def _rank01(x: np.ndarray) -> np.ndarray:
    """Average ranks scaled to (0, 1]: the largest value gets 1. Values are compared at
    10 significant digits (of the largest), so that values equal but for floating-point
    rounding (which varies with the number of threads) tie whatever the machine. NaN
    values stay NaN; the others are ranked among themselves."""
    from scipy.stats import rankdata

    x = np.asarray(x, dtype=np.float64)
    finite = np.abs(x[np.isfinite(x)])
    top = float(finite.max()) if finite.size else 0.0
    known = ~np.isnan(x)
    out = np.full(len(x), np.nan)
    if known.any():
        v = x[known]
        out[known] = rankdata(np.round(v / top, 10) if top > 0 else v) / known.sum()
    return out


def _nanmean(parts: list) -> np.ndarray:
    """Mean over the parts per row, leaving out NaN; NaN where every part is NaN."""
    a = np.vstack(parts)
    n = (~np.isnan(a)).sum(axis=0)
    total = np.where(np.isnan(a), 0.0, a).sum(axis=0)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def _nanmax(parts: list) -> np.ndarray:
    """Largest part per row, leaving out NaN; NaN where every part is NaN."""
    a = np.vstack(parts)
    return np.where(np.isnan(a).all(axis=0), np.nan,
                    np.where(np.isnan(a), -np.inf, a).max(axis=0))


@dataclass
class DriftResult:
    """The outcome of :func:`dataqa.drift.detect_drift`.

    Attributes
    ----------
    drifted : bool
        Some column is drifted (significant after correction **and** effect >= min_effect).
    columns : DataFrame
        One row per column: ``column, test, statistic, p_value, p_adjusted, effect,
        drifted`` then ``kind, effect_name, psi, missing_reference, missing_current``
        and, for categorical columns (else missing), ``unseen_current`` (share of current
        rows whose value the reference lacks) and ``largest_change`` (the value whose
        share moved most: ``"name: 0.1% -> 1.9%"``, or the values one table lacks,
        together, when their share is larger: ``"17,715 values not in the reference: 0%
        -> 93.4%"``).
    multivariate : dict
        Test name -> ``{"statistic", "p_value", "drifted"}`` (``mmd``: unbiased MMD^2 of
        the whole-table features, with ``reference_rows`` and ``current_rows``, the rows
        it compared (:func:`~dataqa.drift.twosample.mmd_rows`); ``classifier``:
        out-of-fold AUROC).
    label_shift : dict or None
        With labels: class -> ``{"prior", "low", "high", "reference_prior", "moved"}``:
        the estimated share of the class in the current data, its 95% bootstrap interval,
        the reference's share, and whether the share moved beyond chance (the difference
        from the reference's share, whose own noise is counted, corrected over the
        classes: without a change of the class mix, some class is marked in at most
        about 5% of runs; see ``docs/drift.md``).
        A share pinned at 0 or 1, interval included, is no estimate: see
        :meth:`model_notes`.
    estimated_accuracy : dict or None
        With labels: ``{"estimate", "low", "high", "reference_accuracy", "method"}``; the
        interval is one for the model's accuracy on the current items.
    observed_accuracy : dict or None
        With labels, when some current rows carry one in the label column: the model's
        accuracy on those rows, ``{"accuracy", "low", "high", "n", "n_correct",
        "n_other_class"}``, with the exact 95% interval of the accuracy on the population
        those rows are a random sample of (see
        :func:`~dataqa.drift.observed.observed_accuracy`).
    prediction_drift : DataFrame or None
        With labels: KS test per class of the predicted probabilities.
    ood : dict or None
        With labels or a model: ``{"fraction", "threshold", "tie_weight", "expected",
        "score"}``, the share of current items above the reference's 95% threshold of
        the OOD score ``score`` (``ood_score``; items on it counted with ``tie_weight``;
        see :func:`~dataqa.drift.model_checks.ood_fraction`).
    unlike_scores : ndarray (m,) or None
        Per current item, the reference-vs-current classifier's out-of-fold score
        (higher = more unlike the reference): the built-in least-squares models' score,
        which can fall outside [0, 1], or a scikit-learn model's probability.
    driving_features : DataFrame or None
        ``column, importance`` of the classifier test, largest first.
    class_names : list or None
        With labels: the class names in class order.
    current_probs : ndarray (m, K) or None
        With labels: the reference model's probabilities on the current rows.
    reference_probs : ndarray (n, K) or None
        With labels: out-of-fold probabilities on the reference rows.
    reference_labels : int ndarray (n,) or None
        With labels: the reference labels, encoded in class order.
    reference_ood_scores, current_ood_scores : ndarray or None
        With a model or labels: each row's OOD score (``settings["ood_score"]``, higher =
        more unfamiliar); ``ood`` is their comparison. The reference rows' scores are
        out-of-fold with labels, and with kNN; with a fitted model and a
        probability-based score they come from that model, in-sample.
    windows : DataFrame or None
        Per-window statistics when the current data was split (:func:`drift_windows`).
    reference_chunks : DataFrame or None
        The same statistics for reference chunks, each against the rest of the
        reference (the no-drift spread).
    window_label_shift : DataFrame or None
        With windows and labels: each tested window's estimated share of each class, one
        row per window and class (``window, class, reference_prior, prior, low, high,
        moved``);
        ``low``-``high`` is a 95% interval of the class's share in the population the
        window was drawn from (:func:`~dataqa.drift.label_shift`).
    text_column, id_column : str or None
        The current table's text and id columns, as given to ``detect_drift``.
    label_column : str or None
        The label column, as given to ``detect_drift``: where the current table has it
        too, its rows that hold a label are left out of :meth:`label_queue`.
    """

    drifted: bool
    columns: pd.DataFrame
    multivariate: dict
    ids: np.ndarray
    current: pd.DataFrame
    text_column: str | None = None
    id_column: str | None = None
    label_column: str | None = None
    unlike_scores: np.ndarray | None = None
    driving_features: pd.DataFrame | None = None
    settings: dict = field(default_factory=dict)
    n_reference: int = 0
    n_current: int = 0
    label_shift: dict | None = None
    estimated_accuracy: dict | None = None
    observed_accuracy: dict | None = None
    prediction_drift: pd.DataFrame | None = None
    ood: dict | None = None
    class_names: list | None = None
    current_probs: np.ndarray | None = None
    windows: pd.DataFrame | None = None
    reference_chunks: pd.DataFrame | None = None
    window_label_shift: pd.DataFrame | None = None
    reference_probs: np.ndarray | None = None
    reference_labels: np.ndarray | None = None
    reference_ood_scores: np.ndarray | None = None
    current_ood_scores: np.ndarray | None = None

    def __repr__(self) -> str:
        n = int(self.columns["drifted"].sum())
        return (f"DriftResult(drifted={self.drifted}, {n} of {len(self.columns)} columns drifted, "
                f"n_reference={self.n_reference}, n_current={self.n_current})")

    # ------------------------------------------------------------------ act
    def label_queue(self, top: int | None = 50, *, distinct: bool = True,
                    rank_by: str = "mean") -> pd.DataFrame:
        """The current items to label first, ready for
        :func:`dataqa.labelstudio.push_queue` (``queue="active"``).

        ``score`` (higher = label first) combines two percentile ranks: how unlike the
        reference the item is (classifier test's out-of-fold score) and, when a model was
        fitted, how uncertain it is (1 - largest probability). ``rank_by`` (CLI
        ``--rank-by``, :data:`RANK_BY`): ``"mean"`` (default) their mean, which puts first
        the items high on both; ``"max"`` the larger of the two (ties by the mean), the
        top of either list, so shifted items the model is sure of are not buried under
        familiar ones it doubts; ``"unlike"`` or ``"uncertainty"`` one alone. Either
        alone when only one is there; with neither, every item scores 0. How the four
        compare (the accuracy a model gains from the items labeled, on six kinds of
        shift): docs/drift.md, *Act: what to label*.

        ``distinct`` (default True): items with the same content (the text, with a text
        column, white space aside; else every column but the id) are listed once, at the
        best-scoring copy's place and scores, under the id (and other columns) of the copy
        whose id sorts first, so that the same content is the same item in every queue
        whatever the rows' order; ``copies`` says how many current rows hold it, so
        annotators do not label one message four times. ``distinct=False`` lists every row
        (``copies`` is 1).

        Rows that already carry a label need no annotator: when the current table has the
        label column (``label_column`` of ``detect_drift``, ``--label-column``), its rows
        with a label there (a value that is neither missing nor blank) are left out, and
        rows with a missing label stay candidates. When every current row carries one, the
        queue is empty (no error). A value counts whatever it is, a class of the reference
        or not (``detect_drift`` warns when none of the current labels is one).

        Parameters
        ----------
        top : int or None
            How many items to return (``None``: all of them).
        distinct : bool
            List each content once (see above).

        Returns
        -------
        DataFrame with ``top`` rows (fewer when the current data is smaller; every item
        with ``top=None``), largest
        score first: ``id, score, unlike_score, uncertainty`` (NaN when unknown),
        ``prediction`` (class name) and ``probability`` (the model's probability of it)
        with a model, ``text`` with a text column, ``copies``, then the
        current table's other columns. Rows whose text is missing or blank are left out
        (an annotator would see an empty task); ``attrs["rows_without_text"]`` counts
        them, and ``attrs["rows_with_label"]`` the current rows left out because they
        carry a label (0 without a label column in the current table); ``copies``
        counts every current row of the content, labeled or not; the label column itself
        stays in the queue, empty in every row. A current column whose name the queue
        uses, or that :func:`~dataqa.labelstudio.push_queue` would read as known labels,
        pre-annotations or scores (:data:`QUEUE_RENAMED`), is kept as ``current_<name>``
        (``current_current_<name>`` if that is taken too): e.g. the table's own ``id``
        column when the ids are content hashes, or a label column of the current table.
        """
        m = len(self.ids)
        k = m if top is None else check_int(top, "top")
        parts = []
        unlike = (np.asarray(self.unlike_scores, dtype=float) if self.unlike_scores is not None
                  else np.full(m, np.nan))
        unc = (1.0 - self.current_probs.max(axis=1) if self.current_probs is not None
               else np.full(m, np.nan))
        if rank_by not in RANK_BY:
            raise InvalidSettingError(f"rank_by={rank_by!r} is not known; use one of "
                                      f"{', '.join(map(repr, RANK_BY))} (--rank-by).")
        for v in (unlike, unc):
            parts.append(None if np.isnan(v).all() else _rank01(v))
        alone = {"unlike": 0, "uncertainty": 1}.get(rank_by)
        if alone is not None and parts[alone] is not None:
            parts = [parts[alone]]
        elif alone is not None and any(r is not None for r in parts):
            import warnings

            from dataqa._caller import caller_stacklevel

            lacking = ("a score of how unlike the reference it is" if alone == 0 else
                       "the model's probabilities (give --label-column, API label_column, or "
                       "a model)")
            warnings.warn(f"--rank-by {rank_by} (API rank_by={rank_by!r}): no item has "
                          f"{lacking}; the queue is ranked by the other score.", UserWarning,
                          stacklevel=caller_stacklevel())
        parts = [r for r in parts if r is not None]
        # a row lacking one score (NaN) is ranked by the other; lacking both, it goes last
        score = np.nan_to_num(_nanmean(parts), nan=0.0) if parts else np.zeros(m)
        tie = score
        if rank_by == "max" and parts:
            score = np.nan_to_num(_nanmax(parts), nan=0.0)
        q = pd.DataFrame({"id": self.ids.astype(str), "score": score, "unlike_score": unlike,
                          "uncertainty": unc})
        if self.current_probs is not None and self.class_names is not None:
            q["prediction"] = [self.class_names[j] for j in self.current_probs.argmax(axis=1)]
            q["probability"] = self.current_probs.max(axis=1)
        data = self.current.reset_index(drop=True)
        if self.text_column is not None:
            q["text"] = data[self.text_column].astype(str).to_numpy()
        q["copies"] = 1
        key = (_content_keys(data, self.text_column, self.id_column, self.label_column)
               if distinct else None)
        if key is not None:
            q["copies"] = pd.Series(key).map(pd.Series(key).value_counts()).to_numpy()
        taken = set(q.columns) | {str(c) for c in data.columns}
        extra = {}  # joined at once: a column-by-column insert fragments a wide frame
        for c in data.columns:
            if c not in (self.text_column, self.id_column):
                name = str(c)
                if name in q.columns or name in QUEUE_RENAMED:
                    name = f"current_{name}"
                    while name in taken:
                        name = f"current_{name}"
                    taken.add(name)
                col = data[c]
                if (pd.api.types.is_float_dtype(col) and col.notna().any()
                        and bool((col.dropna() % 1 == 0).all())):
                    col = col.astype("Int64")  # whole numbers with gaps: 1, not 1.0
                extra[name] = col.array
        if extra:
            q = pd.concat([q, pd.DataFrame(extra, index=q.index)], axis=1)
        order = np.lexsort((-tie, -score))  # (stable: rows in order among equal scores)
        no_text = 0
        if self.text_column is not None:  # nothing to show an annotator
            raw = data[self.text_column]
            from dataqa._text import INVISIBLE

            # (characters a reader does not see, such as zero-width spaces, show nothing)
            empty = (raw.isna() | (raw.astype(str).str.replace(INVISIBLE, "", regex=True)
                                   .str.strip() == "")).to_numpy()
            no_text = int(empty.sum())
            order = order[~empty[order]]
        with_label = 0
        if self.label_column is not None and self.label_column in data.columns:
            labeled = _carries_label(data[self.label_column])
            with_label = int(labeled.sum())
            order = order[~labeled[order]]  # before the copies: an unlabeled copy stays
        if key is not None:
            order = self._one_per_content(q, order, key)
        out = q.iloc[order[:k]].reset_index(drop=True)
        out.attrs["rows_without_text"] = no_text
        out.attrs["rows_with_label"] = with_label
        return out

    @staticmethod
    def _one_per_content(q: pd.DataFrame, order: np.ndarray, key: np.ndarray) -> np.ndarray:
        """``order`` (queue rows, best score first) with one row per content ``key``, in
        the order of each content's best copy. The row kept shows the copy whose id sorts
        first, with the best copy's scores and prediction: which copy scores best can
        change with the rows' order (the fold model each row is dealt to), and a queue
        pushed again must name the same item for the same content."""
        keys = pd.Series(key[order])
        best = order[~keys.duplicated().to_numpy()]
        ids = q["id"].to_numpy()[order]
        first_id = (pd.DataFrame({"key": keys.to_numpy(), "id": ids, "row": order})
                    .sort_values(["key", "id"], kind="stable").drop_duplicates("key")
                    .set_index("key")["row"])
        shown = first_id.loc[key[best]].to_numpy()
        swap = best != shown
        if swap.any():  # the best copy's scores moved onto the row shown
            for c in ("score", "unlike_score", "uncertainty", "prediction", "probability"):
                if c in q.columns:
                    values = q[c].to_numpy().copy()
                    values[shown[swap]] = values[best[swap]]
                    q[c] = values
        return shown

    def queue_notes(self, queue: pd.DataFrame) -> list[str]:
        """What a user of ``queue`` (from :meth:`label_queue`) should know about the rows
        it leaves out: current rows without text, and rows that already carry a label
        (e.g. ``"12 current rows that already carry a label (column 'label') are left out
        of the queue"``). The CLI prints them as notes, the report shows them.

        Parameters
        ----------
        queue : DataFrame
            A result of :meth:`label_queue`.

        Returns
        -------
        list of str
            One sentence per kind of left-out row (none when nothing was left out).
        """
        notes = []
        no_text = int(queue.attrs.get("rows_without_text", 0))
        if no_text:
            rows = "1 current row has" if no_text == 1 else f"{no_text} current rows have"
            notes.append(f"{rows} no text in column {str(self.text_column)!r}; "
                         f"{'it is' if no_text == 1 else 'they are'} not in the queue")
        labeled = int(queue.attrs.get("rows_with_label", 0))
        column = repr(str(self.label_column))
        if labeled and labeled == self.n_current:
            notes.append(f"every current row ({labeled}) already carries a label in column "
                         f"{column}, so none is in the queue")
        elif labeled:
            rows = ("1 current row that already carries" if labeled == 1 else
                    f"{labeled} current rows that already carry")
            notes.append(f"{rows} a label (column {column}) "
                         f"{'is' if labeled == 1 else 'are'} left out of the queue")
        return notes

    def model_notes(self) -> list[str]:
        """The caveats of the estimated accuracy and class mix that ``dataqa drift`` prints
        and the report shows under them: the whole-table tests saw the inputs change (the
        estimates assume the model errs as on the reference), a class share pinned at its
        edge (the current predictions fit no mix of the reference's classes), a model no
        better than its most common class. Empty when there is nothing to say."""
        from dataqa.drift.report import model_check_notes

        return model_check_notes(self)

    # ------------------------------------------------------------------ output
    def to_dict(self) -> dict:
        """Everything in ``drift.json`` (``drifted`` first)."""
        out = {
            "drifted": self.drifted,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "n_columns": len(self.columns),
            "n_drifted_columns": int(self.columns["drifted"].sum()),
            "drifted_columns": self.columns.loc[self.columns["drifted"], "column"].tolist(),
            "settings": self.settings,
            "columns": self.columns,
            "multivariate": self.multivariate,
            "label_shift": self.label_shift,
            "estimated_accuracy": self.estimated_accuracy,
            "observed_accuracy": self.observed_accuracy,
            "prediction_drift": self.prediction_drift,
            "ood": self.ood,
            "driving_features": (self.driving_features.head(20)
                                 if self.driving_features is not None else None),
        }
        if self.windows is not None:
            out["windows"] = self.windows
            out["reference_chunks"] = self.reference_chunks
            out["n_drifted_windows"] = int(self.windows["drifted"].sum())
            # windows with fewer than 10 rows are not tested: drifted is missing there
            out["n_tested_windows"] = int(self.windows["drifted"].notna().sum())
            if self.window_label_shift is not None:
                out["window_label_shift"] = self.window_label_shift
        return _jsonable(out)

    def save(self, out_dir: str | os.PathLike) -> dict[str, Path]:
        """Write ``drift.json``, ``columns.csv``, ``report.html`` (and ``windows.csv`` when
        the current data was split, with ``window_label_shift.csv`` when it had labels) to
        ``out_dir``; return their paths. While it writes, the folder holds
        ``INCOMPLETE.json`` (:mod:`dataqa.outdir`), which a run stopped before the last
        file leaves behind."""
        from dataqa.outdir import writing_folder

        with writing_folder(out_dir, "DriftResult.save"):
            return self._save(Path(out_dir))

    def _save(self, out: Path) -> dict[str, Path]:
        from dataqa._cli_utils import write_csv_atomic
        from dataqa.outdir import write_text_atomic

        paths = {"json": out / "drift.json", "columns": out / "columns.csv",
                 "report": out / "report.html"}
        write_text_atomic(paths["json"], json.dumps(self.to_dict(), indent=2))
        write_csv_atomic(self.columns, paths["columns"])
        from dataqa._cli_utils import set_aside_earlier

        if self.windows is not None:
            paths["windows"] = out / "windows.csv"
            write_csv_atomic(self.windows, paths["windows"])
        if self.windows is not None and self.window_label_shift is not None:
            paths["window_label_shift"] = out / "window_label_shift.csv"
            write_csv_atomic(self.window_label_shift, paths["window_label_shift"])
        stale = [f"{name}.csv" for name in ("windows", "window_label_shift")
                 if name not in paths]
        set_aside_earlier(out, stale, "an earlier run split into windows"
                          if self.windows is None else
                          "an earlier run split into windows with labels (--label-column)")
        self.to_html(paths["report"])
        return paths

    def to_html(self, path: str | os.PathLike) -> Path:
        """Write a self-contained HTML report; return its path."""
        from dataqa.drift.report import drift_report

        return drift_report(self).write(path)
