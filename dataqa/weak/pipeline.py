"""``weak_label``: apply labeling functions to a table, fit a label model, report."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dataqa._caller import caller_stacklevel
from dataqa.errors import (
    DataqaError,
    FeatureTypeError,
    InvalidSettingError,
    LabelError,
    MissingColumnError,
    MissingInputError,
    UnknownNameError,
    _case_variants,
)

__all__ = ["WeakResult", "weak_label", "default_method", "resolve_method"]


def default_method(n_lfs: int) -> str:
    """The label model fitted when none is named: ``"snorkel"`` with 3 or more LFs, else
    ``"majority"`` (Snorkel's LabelModel needs at least 3)."""
    from dataqa.weak.label_models import SnorkelLabelModel

    return "snorkel" if n_lfs >= SnorkelLabelModel.min_lfs else "majority"


@dataclass
class WeakResult:
    """What :func:`weak_label` produced.

    Attributes
    ----------
    labels : DataFrame
        One row per item, in the table's order: ``id``, ``label`` (the hard label, -1
        where every LF abstains), with ``class_names`` ``label_name`` (the class's name;
        empty where every LF abstains), ``prob_0 .. prob_{K-1}`` (the label model's
        class probabilities; rows without a vote get the fitted class prior) and ``row``
        (the row's place in the table read, from 1: its data row after the header, through
        the files of a folder in order).
    summary : DataFrame
        :func:`dataqa.weak.lf_summary` of ``L``, one row per LF; with a dev set also
        ``Dev Correct``, ``Dev Incorrect`` (its votes on the dev rows) and ``Dev Emp. Acc.``,
        and the dev flags merged into ``Flags``.
    L : int array (n, m)
        The LF votes, -1 = abstain.
    proba : float array (n, K)
        The label model's probabilities (the ``prob_*`` columns of ``labels``).
    model : fitted label model
        See :func:`dataqa.weak.fit_label_model`.
    method : str
        The method that was fitted (``"auto"`` when the model was chosen on the dev set).
    note : str or None
        Which method was chosen for the caller and why, when ``method`` was not given
        (Snorkel's LabelModel with 3 or more LFs, majority vote with fewer).
    L_dev : int array (n_dev, m) or None
        The LF votes on the dev set, when one was given.
    dev_score : dict or None
        With a dev set: the fitted model's score on the dev rows with a vote, as
        ``method="auto"`` scores its candidates: ``metric``, ``value``, ``n_scored`` (rows
        scored) and ``n_dev`` (dev rows); all dev rows when none has a vote.
    class_names : list of str or None
        The names of classes 0..K-1 when given (``class_names``, ``--classes``); the
        report shows them.
    """

    labels: pd.DataFrame
    summary: pd.DataFrame
    L: np.ndarray
    proba: np.ndarray
    model: Any
    method: str
    note: str | None = None
    L_dev: np.ndarray | None = None
    dev_score: dict | None = None
    class_names: list[str] | None = None

    @property
    def pred(self) -> np.ndarray:
        """Hard labels, int (n,); -1 where every LF abstains."""
        return self.labels["label"].to_numpy()

    @property
    def coverage(self) -> float:
        """Fraction of rows where at least one LF voted."""
        return float((self.L >= 0).any(axis=1).mean()) if len(self.L) else 0.0

    @property
    def label_model(self) -> str:
        """Name of the fitted label model (the kept candidate for ``"auto"``)."""
        return getattr(self.model, "chosen_", self.method)

    @property
    def reason(self) -> str | None:
        """Why this label model: the ``"auto"`` selection's reason, else :attr:`note`."""
        return getattr(self.model, "reason_", None) or self.note

    def facts(self) -> dict[str, object]:
        """The run's key facts shown at the top of the report."""
        facts: dict[str, object] = {"label model": self.label_model}
        if self.reason is not None:
            facts["why"] = self.reason
        return facts

    def to_html(self, path: str | os.PathLike) -> Path:
        """Write the self-contained HTML report (plots embedded) and return its path."""
        from dataqa.weak.report import weak_report

        return weak_report(path, summary=self.summary, L=self.L, proba=self.proba,
                           pred=self.pred, facts=self.facts(), class_names=self.class_names)

    def save(self, out_dir: str | os.PathLike) -> dict[str, Path]:
        """Write ``weak_labels.csv``, ``lf_summary.csv`` and ``report.html`` into ``out_dir``.

        Returns
        -------
        dict
            ``{"labels": ..., "summary": ..., "report": ...}``: the paths written.

        While it writes, the folder holds ``INCOMPLETE.json`` (:mod:`dataqa.outdir`),
        which a run stopped before the last file leaves behind.
        """
        from dataqa._cli_utils import write_csv_atomic
        from dataqa.outdir import writing_folder

        out = Path(out_dir)
        paths = {"labels": out / "weak_labels.csv", "summary": out / "lf_summary.csv",
                 "report": out / "report.html"}
        with writing_folder(out, "WeakResult.save"):
            write_csv_atomic(self.labels, paths["labels"])
            write_csv_atomic(self.summary.rename_axis("lf").reset_index(), paths["summary"])
            self.to_html(paths["report"])
        return paths


_NUMBER_TEXT = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")


def _isin_values(lf: Any) -> tuple:
    """The values an ``isin_lf`` matches (empty for any other LF)."""
    return tuple(getattr(getattr(lf, "_batch_predicate", None), "values", None) or ())


def _lf_columns(lf: Any) -> tuple:
    """The columns ``lf`` reads (empty where it does not say)."""
    return tuple(getattr(lf, "columns", None) or ())


def _literal_columns(lfs: Sequence[Any]) -> list:
    """The columns the LFs read as text, or match against strings a CSV reader would take
    for a missing value (``isin_lf(..., {"NA", "n/a"}, ...)``) or for a number
    (``isin_lf(..., {"007"}, ...)``, which would never match the number 7 a reader makes
    of the cell ``007``): read with those strings as written, so the LFs see them."""
    from pandas._libs.parsers import STR_NA_VALUES

    out: list = []
    for lf in lfs:
        values = _isin_values(lf)
        if getattr(lf, "reads_text", False) or any(
                isinstance(v, str) and (v in STR_NA_VALUES or _NUMBER_TEXT.fullmatch(v))
                for v in values):
            out += [c for c in _lf_columns(lf) if c not in out]
    return out


def _listed_as_text(lfs: Sequence[Any], *, warn: bool = False) -> list:
    """The columns an ``isin_lf`` matches against a string a CSV reader would take for a
    number (``{"007"}``, which never matches the number 7 a reader makes of ``007``),
    but for those a threshold or model LF reads as numbers (with ``warn``, said)."""
    numeric = {c for lf in lfs if not getattr(lf, "reads_text", False)
               and not _isin_values(lf)
               for c in _lf_columns(lf)}
    out: list = []
    for lf in lfs:
        values = _isin_values(lf)
        listed = sorted(v for v in values if isinstance(v, str) and _NUMBER_TEXT.fullmatch(v))
        if getattr(lf, "reads_text", False) or not listed:
            continue
        for c in _lf_columns(lf):
            if c in numeric and warn:
                import warnings

                warnings.warn(
                    f"labeling function {lf.name!r} lists {', '.join(map(repr, listed))} for "
                    f"column {c!r}, which another LF reads as numbers: the column is read as "
                    f"numbers, so {listed[0]!r} matches no cell of a CSV or TSV file; list "
                    f"the number ({listed[0].strip().lstrip('+')!r} as a number) instead.",
                    UserWarning, stacklevel=caller_stacklevel())
            elif c not in numeric and c not in out:
                out.append(c)
    return out


def lf_string_columns(source: Any, lfs: Sequence[Any], id_column: str | None, text: str,
                      format: str | None = None, *, warn: bool = True) -> list:
    """The columns read as strings for ``lfs`` from ``source``: the id and text columns
    (``007`` stays ``007``, a text ``123`` stays text) and, when every file of ``source``
    is a CSV or TSV file, those of :func:`_listed_as_text` (see :func:`_numbers_back` for
    their numbers). Parquet and JSON files keep the types they store."""
    out = [c for c in (id_column, text) if c is not None]
    listed = [c for c in _listed_as_text(lfs, warn=warn) if c not in out]
    if not listed or isinstance(source, pd.DataFrame):
        return out
    from dataqa.data import file_format, table_files

    try:
        files = table_files(source, format)
    except DataqaError:
        return out  # (the reading says what is wrong)
    if all(file_format(f, format) in (None, "csv", "tsv") for f in files):
        out += listed
    return out


def _na_word_columns(lfs: Sequence[Any], text: str | None) -> dict[Any, set]:
    """The columns of :func:`_literal_columns` that no LF reads as text (nor are the text
    column) and that an ``isin_lf`` matches against numbers as well as NA words
    (``isin_lf("code", {1, 2, "NA"}, ...)``), or that a threshold or model LF reads, each
    with the strings the LFs match there:
    read as written only so that the LF sees its NA words, their numbers must be numbers
    again (see :func:`_numbers_back`)."""
    from pandas._libs.parsers import STR_NA_VALUES

    as_text = {c for lf in lfs if getattr(lf, "reads_text", False)
               for c in _lf_columns(lf)}
    literal = set(_literal_columns(lfs)) - as_text - {text}
    out: dict[Any, set] = {}
    numbers: set = set()
    for lf in lfs:
        values = _isin_values(lf)
        for col in _lf_columns(lf):
            if col in literal:
                out.setdefault(col, set()).update(v for v in values if isinstance(v, str))
                if any(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                       and v not in STR_NA_VALUES for v in values):
                    numbers.add(col)
                elif not values:  # a threshold or model LF: it reads numbers there
                    numbers.add(col)
    return {c: words for c, words in out.items() if c in numbers}


def _numbers_back(df: pd.DataFrame, columns: dict[Any, set]) -> pd.DataFrame:
    """``df`` with the cells of ``columns`` (from :func:`_na_word_columns`) that a CSV
    reader would take for numbers turned back into numbers: a column of codes read as
    written for ``isin_lf("code", {1, 2, "NA"}, ...)`` matches 1 and 2 as it would
    without the NA word. Only for a table read from a delimited text file (a Parquet or
    JSON file keeps the types it stores); a cell equal to a string the LFs match there
    (``"007"``) stays as written, and a column holding any other word stays text."""
    from pandas._libs.parsers import STR_NA_VALUES

    from dataqa.data import _SEP_ATTR

    if _SEP_ATTR not in df.attrs:
        return df
    out = df
    for col, words in columns.items():
        if col not in df.columns or pd.api.types.is_numeric_dtype(df[col].dtype):
            continue
        values = df[col]
        kept = values.isna() | values.isin(STR_NA_VALUES) | values.isin(words)
        rest = values[~kept]
        if rest.empty or not rest.map(lambda v: isinstance(v, str)).all():
            continue
        numbers = pd.to_numeric(rest.str.strip(), errors="coerce")
        if numbers.isna().any():
            continue
        cells = values.to_numpy(dtype=object, copy=True)
        cells[~kept.to_numpy()] = numbers.to_numpy(dtype=object)
        if out is df:
            out = df.copy()
        out[col] = pd.Series(cells, index=df.index, dtype=object)
    return out


def _text_reading(text_column: str | None, lfs: Sequence[Any]) -> tuple[list, str]:
    """How a data or dev file is read for the LFs: the columns whose NA words stay as
    written (the text column, ``'text'`` when not named, as the LFs read that column, and
    :func:`_literal_columns`), and the text column, read as strings ("123" stays text)."""
    text = text_column if text_column is not None else "text"
    return [text, *(c for c in _literal_columns(lfs) if c != text)], text


def read_for_lfs(data: Any, lfs: Sequence[Any], *, text_column: str | None = None,
                 id_column: str | None = None, read_options: dict | None = None) -> pd.DataFrame:
    """``data`` (a path, folder, glob or DataFrame) read as :func:`weak_label` reads it for
    ``lfs``: in the text column (``text_column``, else ``'text'``) and the columns of
    :func:`_literal_columns`, words such as ``NA`` or ``null`` stay as written (only an
    empty cell is missing); the id and text columns are read as strings (``007`` stays
    ``007``, a text ``123`` stays text); numbers kept as text for an ``isin_lf`` that lists
    numbers too are numbers again (:func:`_numbers_back`). A DataFrame is used as it is."""
    from dataqa.data import load_with_options

    opts = dict(read_options or {})
    literal, text = _text_reading(text_column, lfs)
    opts.setdefault("text_columns", literal)
    opts["string_columns"] = [*opts.get("string_columns", ()), *lf_string_columns(
        data, lfs, id_column, text, opts.get("format"))]
    frame = load_with_options(data, opts)
    if not isinstance(data, pd.DataFrame):  # read here: numbers that were kept as text
        frame = _numbers_back(frame, _na_word_columns(lfs, text))
    return frame


def _text_as_column(df: pd.DataFrame, text_column: str | None, *,
                    dev: bool = False) -> pd.DataFrame:
    """``df`` with the column ``text_column`` copied to ``text`` (the column the LFs
    read; a ``text`` column of the file is replaced), kept under its own name too, so a
    row-wise LF may read either."""
    from dataqa.data import table_name

    if text_column is not None and text_column in df.columns and len(df):
        values = df[text_column]
        blank = values.isna() | values.astype("string").str.strip().eq("").fillna(True)
        if blank.all():  # every LF would abstain on every row: the wrong column
            raise FeatureTypeError(
                f"text column {text_column!r} of {table_name(df)} is empty in every one of "
                f"its {len(df)} rows; name the column that holds the text.")
    if text_column is None or text_column == "text":
        return df
    if text_column not in df.columns:
        hint = (" The dev table needs the text column under the same name: rename it there, "
                "or name the dev table's columns in order with --dev-columns (API: "
                "dev_read_options={'columns': [...]})." if dev else "")
        raise MissingColumnError(text_column, [str(c) for c in df.columns], role="text column",
                                 table=table_name(df), hint=hint)
    if "text" in df.columns and not dev:
        import warnings

        warnings.warn(f"{table_name(df)} has a column 'text' of its own; with --text-column "
                      f"(API: text_column=) {text_column!r} the LFs read {text_column!r} as 'text', "
                      f"and the file's 'text' column is not visible to them (rename it to "
                      f"read it).", UserWarning, stacklevel=3)
    out = df.copy()
    out["text"] = df[text_column]
    return out


def _check_lf_columns(df: pd.DataFrame, lfs: Sequence[Any]) -> None:
    """Refuse, before any LF runs, a column an LF declares (``columns``, as the
    :mod:`labeling_functions` factories do) that the table lacks, naming the LF."""
    from dataqa.data import table_name

    missing = [(lf.name, col) for lf in lfs for col in _lf_columns(lf)
               if col not in df.columns]
    if missing:
        name, col = missing[0]
        others = [(n, c) for n, c in missing[1:] if c != col]
        hint = f" Labeling function {name!r} reads it" + (
            "; --text-column (API: text_column=) names the column the LFs read as 'text'."
            if col == "text" else "; give the LF one of these columns.") + (
            " Missing too: " + ", ".join(f"{c!r} (LF {n!r})" for n, c in others[:5])
            + (f" and {len(others) - 5} more" if len(others) > 5 else "") + "."
            if others else "")
        raise MissingColumnError(col, [str(c) for c in df.columns], table=table_name(df),
                                 hint=hint)


def resolve_method(method: str | None, n_lfs: int, *, cli: bool = False) -> tuple[str, str | None]:
    """The label model to fit and, when it was chosen for the caller, why.

    ``None`` means Snorkel's LabelModel with 3 or more LFs and majority vote with fewer
    (Snorkel needs 3). An explicit method is checked: ``snorkel`` with fewer than 3 LFs is
    an error. ``cli`` words the note and the errors in the ``dataqa weak`` command's flags.
    """
    from dataqa.weak.label_models import LABEL_MODELS, SnorkelLabelModel, check_enough_lfs

    if method is None:
        chosen = default_method(n_lfs)
        if chosen == "snorkel":
            how = ("pass --method majority, dawid_skene, or auto with --dev" if cli
                   else "pass method='majority', 'dawid_skene', or 'auto' with a dev set")
            return chosen, (
                f"label model: Snorkel's LabelModel, the default with {SnorkelLabelModel.min_lfs} "
                f"or more labeling functions (there are {n_lfs}); {how}, to choose otherwise.")
        how = ("pass --method dawid_skene, or --method auto with --dev" if cli
               else "pass method='dawid_skene', or method='auto' with a dev set")
        return chosen, (
            f"label model: majority vote, as Snorkel's LabelModel (the default) needs at least "
            f"{SnorkelLabelModel.min_lfs} labeling functions and there "
            f"{'is' if n_lfs == 1 else 'are'} {n_lfs}; {how}, to choose otherwise."
        )
    from dataqa.weak.label_models import DEV_PRIOR

    if method not in (*LABEL_MODELS, DEV_PRIOR, "auto"):
        raise UnknownNameError("label model", method, [*LABEL_MODELS, DEV_PRIOR, "auto"])
    if method != "auto":
        check_enough_lfs(method, n_lfs, cli=cli)
    return method, None


def _dev_labels(frame: pd.DataFrame, label_column: str, cardinality: int,
                id_column: str | None, class_names: Sequence[str] | None = None) -> np.ndarray:
    """The dev table's gold labels as class indices 0..K-1, naming the first bad row.
    With ``class_names`` (the names of classes 0..K-1), labels may be those names.

    Also checks the dev ids when the dev table has the id column.
    """
    from dataqa.data import _counted, _padded_labels, make_ids, table_name

    name = table_name(frame)
    if label_column not in frame.columns:
        raise MissingColumnError(label_column, [str(c) for c in frame.columns],
                                 role="label column", table=name)
    if id_column is not None and id_column in frame.columns:
        make_ids(frame, id_column)  # repeated or missing dev ids, naming the file
    values = frame[label_column]
    if class_names is not None:
        index = {str(n): k for k, n in enumerate(class_names)}
        # a name in another case ('ham' for --classes Ham,Spam) is that class, with a word
        written = [v.strip() for v in values if isinstance(v, str)]
        recased = _case_variants(written, index)
        index.update({a: index[b] for a, b in recased.items()})
        # labels read as numbers that are class names (--classes 1,0): the names win, as
        # for text labels; said when a name is not its own index. Only the cells that are
        # numbers as given (a text cell is mapped once, below)
        whole = [v for v in values.dropna().unique() if isinstance(v, (int, np.integer, float))
                 and not isinstance(v, (bool, np.bool_)) and float(v).is_integer()]
        named = {v: index[str(int(v))] for v in whole if str(int(v)) in index}
        if not named or len(named) < len(whole):
            named = {}
        values = values.map(lambda v: index.get(v.strip(), v) if isinstance(v, str) else
                            named.get(v, v) if isinstance(v, (int, np.integer, float)) else v)
        moved = {v: k for v, k in named.items() if int(v) != k}
        if moved:
            import warnings

            said = ", ".join(f"{int(v)} as class {k} ({str(int(v))!r})"
                             for v, k in list(moved.items())[:5])
            warnings.warn(f"dev label column {label_column!r} of {name} holds numbers that "
                          f"--classes (class_names) names in another order; read as those "
                          f"names: {said}.", UserWarning, stacklevel=3)
        if recased:
            import warnings

            pairs = ", ".join(f"{a!r} as {b!r}" for a, b in list(recased.items())[:5])
            warnings.warn(f"dev label column {label_column!r} of {name} writes classes in "
                          f"another case than --classes (class_names); read {pairs}.",
                          UserWarning, stacklevel=3)
    padded = _padded_labels(frame[label_column])
    if padded:  # (said as the audit says it of a label column)
        import warnings

        warnings.warn(f"dev label column {label_column!r} of {name}: {len(padded):,} label "
                      f"{'cells have' if len(padded) > 1 else 'cell has'} white space around "
                      f"the text (e.g. {padded[0]!r}); read without it.", UserWarning,
                      stacklevel=3)
    blank = (frame[label_column].isna() | frame[label_column].astype(str).str.strip().eq(""))
    missing = np.flatnonzero(blank.to_numpy(dtype=bool))
    if len(missing):
        rows = ", ".join(str(r + 1) for r in missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise LabelError(
            f"dev label column {label_column!r} of {name} has no label in {len(missing)} "
            f"row(s) (rows {rows}, {_counted(frame)}); a dev set is scored "
            f"against its labels: drop the unlabeled rows or label them.")
    y = pd.to_numeric(values, errors="coerce")
    bad = np.flatnonzero((y.isna() | (y % 1 != 0) | (y < 0) | (y >= cardinality)).to_numpy())
    abstain = np.flatnonzero((y == -1).to_numpy())
    if len(abstain):
        rows = ", ".join(str(r + 1) for r in abstain[:5]) + (", ..." if len(abstain) > 5 else "")
        raise LabelError(
            f"dev label column {label_column!r} of {name} holds -1 in {len(abstain)} row(s) "
            f"(rows {rows}, {_counted(frame)}): -1 is an LF's abstain, and a "
            f"gold label cannot abstain; drop those rows from the dev set or give them their "
            f"class.")
    if len(bad):
        value = frame[label_column].iloc[bad[0]]
        value = value.item() if isinstance(value, np.generic) else value
        names = (f" or the class names {', '.join(map(repr, map(str, class_names)))}"
                 if class_names is not None else
                 "; labels written as names are read with class_names (--classes a,b,...), "
                 "the names of classes 0, 1, ... in order")
        looks_like_index = isinstance(value, (int, float)) or str(value).strip().lstrip("-").isdigit()
        if looks_like_index and class_names is None:  # a number out of range, not a name
            names = f" (cardinality {cardinality}, --cardinality)"
        raise LabelError(
            f"dev label column {label_column!r} of {name} must hold class indices "
            f"0..{cardinality - 1}{names}; row {int(bad[0]) + 1} ({_counted(frame)}) "
            f"holds {value!r} ({len(bad)} such row{'s' if len(bad) != 1 else ''})."
        )
    return y.to_numpy(dtype=np.int64)


def _summary(L: np.ndarray, lfs: Sequence[Any], cardinality: int, L_dev: np.ndarray | None,
             Y_dev: np.ndarray | None) -> pd.DataFrame:
    """:func:`lf_summary` of ``L``, with the dev accuracy and flags when there is a dev set."""
    from dataqa.weak.analysis import lf_summary

    summary = lf_summary(L, lfs, cardinality=cardinality)
    if L_dev is not None:
        dev_summary = lf_summary(L_dev, lfs, Y_dev, cardinality=cardinality)
        summary["Dev Correct"] = dev_summary["Correct"]
        summary["Dev Incorrect"] = dev_summary["Incorrect"]
        summary["Dev Emp. Acc."] = dev_summary["Emp. Acc."]
        dev_flags = dev_summary["Flags"].str.replace("low coverage", "").str.strip(", ")
        summary["Flags"] = [", ".join(x for x in (a, b) if x)
                            for a, b in zip(summary["Flags"], dev_flags, strict=True)]
    return summary


#: Fewer dev rows with a vote than this: ``method="auto"`` warns that its choice is mostly chance.
MIN_DEV_ROWS = 30


def weak_label(data: Any, lfs: Sequence[Any], *, cardinality: int, method: str | None = None,
               id_column: str | None = None, text_column: str | None = None, dev: Any = None,
               label_column: str | None = None, n_jobs: int = 1, random_state: Any = 0,
               progress: bool | None = None, read_options: dict | None = None,
               dev_read_options: dict | None = None, class_names: Sequence[str] | None = None,
               metric: str = "accuracy", fault_tolerant: bool = False) -> WeakResult:
    """Label a table with labeling functions and a label model.

    Applies the LFs to ``data`` (and to ``dev``), fits the label model, and summarises
    the LFs. Every input is read and checked (the LFs, the method, the dev labels, the
    ids) before the LFs run.

    Parameters
    ----------
    data : path (CSV, TSV, Parquet, JSONL, JSON) or DataFrame
        The rows to label.
    lfs : list of labeling functions
        dataqa factories (:mod:`labeling_functions`) or Snorkel ``@labeling_function`` s;
        names must be unique.
    cardinality : int
        Number of classes K (>= 2).
    method : {"snorkel", "majority", "dawid_skene", "auto"}, optional
        The label model (see :func:`dataqa.weak.fit_label_model`). Default: ``"snorkel"``
        with 3 or more LFs, ``"majority"`` with fewer (Snorkel needs 3); the result's
        ``note`` says so. ``"auto"`` needs ``dev`` and ``label_column``.
    id_column : str, optional
        Column of unique item ids; default a content hash per row.
    text_column : str, optional
        Column the LFs read as ``text`` (renamed; default: the column ``text``).
    dev : path or DataFrame, optional
        A labeled dev table: ``"auto"`` chooses the model on it, and the LF summary gains
        the dev accuracy of each LF.
    label_column : str, optional
        The dev table's gold label column (class indices 0..K-1); needed with ``dev``.
    n_jobs : int, default 1
        Processes for row-wise LFs (see :func:`dataqa.weak.apply_lfs`).
    random_state : int, None or numpy.random.Generator, default 0
        Seed of Snorkel's LabelModel, an int in 0..2**32 - 1 (``None``: a fresh seed per
        fit; see :func:`dataqa.weak.fit_label_model`); checked before the LFs run. The
        caller's global random state is left unchanged.
    progress : bool, optional
        Show progress bars (default: when attached to a terminal).
    read_options, dev_read_options : dict, optional
        How to read a file ``data`` / ``dev``: keyword arguments of
        :func:`dataqa.data.load_table`. ``dev_read_options`` defaults to ``read_options``.
    class_names : sequence of str, optional
        The names of classes 0..K-1, in order (``["ham", "spam"]``): dev labels written as
        these names are read as their indices.
    fault_tolerant : bool, default False
        An LF that raises on a row abstains there (an ``LFFaultWarning`` counts the faults
        per LF) instead of stopping the run (see :func:`dataqa.weak.apply_lfs`); the
        summary (``lf_summary.csv``, the report) then has a ``Faults`` column: the rows of
        the data each LF raised on.
    metric : {"accuracy", "f1", "f1_macro"}
        How ``"auto"`` scores the candidates on the dev set (``"f1"``: of class 1, for a
        rare positive class such as spam).

    Returns
    -------
    WeakResult
        ``.labels`` (id, label, prob_*), ``.summary``, ``.save(dir)``, ``.to_html(path)``.

    Raises
    ------
    InvalidSettingError, UnknownNameError, MissingInputError
        A bad setting (cardinality, method, too few LFs for Snorkel, ``"auto"`` without a
        dev set).
    MissingColumnError, LabelError, DataLoadError
        The tables lack a named column, the dev labels are not class indices, or a file
        cannot be read.
    LabelingFunctionError
        An LF fails.
    """
    from dataqa.data import make_ids
    from dataqa.weak.apply import apply_lfs, check_lfs
    from dataqa.weak.label_models import (
        METRICS,
        _check_cardinality,
        check_random_state,
        fit_label_model,
    )

    lfs = check_lfs(lfs)
    cardinality = _check_cardinality(cardinality)
    check_random_state(random_state)
    if metric not in METRICS:
        raise UnknownNameError("metric", str(metric), METRICS)
    if class_names is not None and len(class_names) != cardinality:
        raise InvalidSettingError(
            f"--classes (API: class_names) names {len(class_names)} classes but cardinality is "
            f"{cardinality}; give one name per class, in the order of indices 0..{cardinality - 1}.")
    if class_names is not None:
        seen = [str(n).strip() for n in class_names]
        twice = sorted({n for n in seen if seen.count(n) > 1})
        if twice:
            raise InvalidSettingError(
                f"--classes (API: class_names) names {', '.join(map(repr, twice))} more than "
                f"once; give each class its own name, in the order of indices "
                f"0..{cardinality - 1}.")
    method, note = resolve_method(method, len(lfs))
    if method in ("auto", "snorkel_dev_prior") and dev is None:
        raise MissingInputError(
            "method='auto' picks the label model on a labeled dev set; pass dev and label_column."
            if method == "auto" else "method='snorkel_dev_prior' takes the class balance of "
            "the dev labels; pass dev and label_column.")
    if dev is not None and label_column is None:
        raise MissingInputError("dev needs label_column naming the gold label column.")
    read_options = dict(read_options or {})
    dev_read_options = read_options if dev_read_options is None else dict(dev_read_options)
    literal, text = _text_reading(text_column, lfs)
    dev_read_options = {**dev_read_options, "text_columns": [
        c for c in (*literal, label_column) if c is not None]}
    frame = read_for_lfs(data, lfs, text_column=text_column, id_column=id_column,
                         read_options=read_options)
    ids = make_ids(frame, id_column)
    df = _text_as_column(frame, text_column)
    dev_df = Y_dev = None
    if dev is not None:
        dev_frame = read_for_lfs(dev, lfs, text_column=text_column, id_column=id_column,
                                 read_options=dev_read_options)
        Y_dev = _dev_labels(dev_frame, label_column, cardinality, id_column, class_names)
        dev_df = _text_as_column(dev_frame, text_column, dev=True)
    _check_lf_columns(df, lfs)
    if dev_df is not None:
        _check_lf_columns(dev_df, lfs)
    L, faults = apply_lfs(df, lfs, n_jobs=n_jobs, progress=progress, id_column=id_column,
                          cardinality=cardinality, fault_tolerant=fault_tolerant,
                          return_faults=True)
    L_dev = None
    if dev_df is not None:
        L_dev = apply_lfs(dev_df, lfs, n_jobs=n_jobs, progress=progress,
                          id_column=id_column if id_column in dev_df.columns else None,
                          progress_label="labeling functions (dev rows)",
                          cardinality=cardinality, fault_tolerant=fault_tolerant)
    from dataqa._progress import progress_stage

    with progress_stage(f"label model ({method}: {L.shape[0]:,} rows, {L.shape[1]} LFs)",
                        enabled=progress):
        model = fit_label_model(L, cardinality=cardinality, method=method, L_dev=L_dev,
                                Y_dev=Y_dev, random_state=random_state, metric=metric,
                                lf_names=[str(getattr(lf, "name", lf)) for lf in lfs])
        proba = model.predict_proba(L)
    labels = pd.DataFrame({"id": ids, "label": model.predict(L)})
    if class_names is not None:  # the class's name beside its number; none where abstained
        names = np.array([str(n) for n in class_names] + [""], dtype=object)
        labels["label_name"] = names[labels["label"].to_numpy()]  # (-1: the last, "")
    for k in range(cardinality):
        labels[f"prob_{k}"] = proba[:, k]
    # where each row is in the table read (content-hash ids say nothing of it), as audit
    labels["row"] = np.arange(1, len(labels) + 1)
    dev_score = None
    if L_dev is not None:
        from dataqa.weak.label_models import METRICS

        covered = (L_dev >= 0).any(axis=1)
        rows = covered if covered.any() else np.ones_like(covered)
        value = METRICS[metric](Y_dev[rows], model.predict(L_dev[rows], abstain_uncovered=False))
        dev_score = {"metric": metric, "value": float(value), "n_scored": int(rows.sum()),
                     "n_dev": int(len(Y_dev))}
        if method == "auto" and dev_score["n_scored"] < MIN_DEV_ROWS:
            import warnings

            which = (f"{dev_score['n_scored']} dev rows with a vote (of {len(Y_dev)})"
                     if covered.any() else f"{len(Y_dev)} dev rows, none of which has a vote")
            warnings.warn(
                f"method='auto' chose the label model on {which}: below {MIN_DEV_ROWS}, a row "
                f"or two decide between models, so the choice is mostly chance; label more "
                f"dev rows, or pick the model yourself (--method / method=).", UserWarning,
                stacklevel=caller_stacklevel())
    with progress_stage("LF summary", enabled=progress):
        summary = _summary(L, lfs, cardinality, L_dev, Y_dev)
    if fault_tolerant:  # the rows each LF raised on (and abstained on, as told), kept in sight
        summary["Faults"] = [int(faults.get(name, 0)) for name in summary.index]
    return WeakResult(labels=labels, summary=summary, L=L,
                      proba=proba, model=model, method=method, note=note, L_dev=L_dev,
                      dev_score=dev_score,
                      class_names=None if class_names is None else [str(n) for n in class_names])
