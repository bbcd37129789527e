"""``detect_drift``: compare a current table with a reference table, column by column, as
a whole and through a model."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from dataqa._caller import caller_stacklevel
from dataqa._progress import progress_stage, progress_task
from dataqa._validation import check_int
from dataqa.data import (
    _DECIMAL_COMMA,
    _SOURCE_ATTR,
    _align_leading_zeros,
    _align_missing_words,
    _counted,
    _missing_words_back,
    _warn_missing_words_kept,
    encode_labels,
    load_tables,
    make_ids,
)
from dataqa.drift.multivariate import (
    DRIFT_TEXT_FEATURES,
    MULTIVARIATE_TESTS,
    build_features,
    multivariate_tests,
)
from dataqa.drift.result import DriftResult
from dataqa.drift.univariate import (
    CORRECTIONS,
    NUMERIC_TESTS,
    adjust_p_values,
    column_kind,
    column_test,
    missing_share_test,
)
from dataqa.errors import (
    DataqaError,
    EmptyDataError,
    FeatureTypeError,
    InvalidSettingError,
    MissingColumnError,
    UnknownNameError,
)

__all__ = ["detect_drift", "DEFAULT_MIN_EFFECT", "MIN_ROWS"]

#: Default smallest effect for a column to count as drifted (normalised Wasserstein for
#: numbers, Jensen-Shannon distance for categories, the largest normalised Wasserstein
#: over the SVD components for text). See ``docs/drift.md``:
#: no-shift samples of up to 5,000 rows per side reach it when their test is significant
#: (so the false-alarm rate stays at alpha), while a shift of a fiftieth of a standard
#: deviation or less, significant only with tens of thousands of rows, does not alarm.
DEFAULT_MIN_EFFECT = 0.02

#: Fewest rows a reference or current table may have.
MIN_ROWS = 10


def _as_frame(data, name: str, text_columns: list | None = None,
              keep: Sequence = (), read_out: list | None = None) -> pd.DataFrame:
    """A table (or the files a path names, ``text_columns`` read as text: a label ``NA``
    is a class, as the command line reads it), checked, its durations and decimals as
    numbers (:func:`_as_numbers`) but in the columns ``keep`` (ids, labels, times).
    ``read_out``: a list that gets the table as read, before those conversions (content
    ids are hashes of it, as other commands compute them)."""
    if isinstance(data, pd.DataFrame):
        df = data.reset_index(drop=True)
    else:
        names = [t for t in (text_columns or ()) if t is not None]
        df = load_tables(data, text_columns=names or None, keep_missing_words=True)
        df = _missing_words_back(df, [c for c in keep if c not in names])  # (times, ids)
    _check_unique_columns(df, name)
    if read_out is not None:
        read_out.append(df)
    df = _as_numbers(df, keep=[c for c in keep if c is not None])
    if len(df) < MIN_ROWS:
        raise EmptyDataError(f"{_which(df, name)} has {len(df)} rows; drift detection needs at "
                             f"least {MIN_ROWS} rows in each table.")
    return df


def _as_numbers(df: pd.DataFrame, keep: Sequence = ()) -> pd.DataFrame:
    """Durations (``timedelta``, numpy's or Arrow's) as seconds and exact decimals
    (Parquet's decimal type, read as Python ``Decimal`` values) as floats, so that they
    are compared as numbers: as they were, every duration or price was a category of its
    own (a mean duration half as long again read p = 1). Empty and blank text cells are
    missing, as a CSV file's empty fields are read (a Parquet file keeps ``""``: the same
    data read as drifted from one format and not from the other). Columns in ``keep``
    (ids, labels, times) stay as they are: a decimal id of 20 digits is no float."""
    import decimal

    def as_float(v) -> float:
        try:
            return float(v)
        except (decimal.InvalidOperation, ValueError):  # (a signalling NaN)
            return np.nan

    changed = {}
    for col in df.columns:
        if col in keep:
            continue
        s = df[col]
        arrow = getattr(s.dtype, "pyarrow_dtype", None)
        if pd.api.types.is_timedelta64_dtype(s) or (
                arrow is not None and str(arrow).startswith("duration")):
            changed[col] = s.astype("timedelta64[ns]").dt.total_seconds()
        elif pd.api.types.is_object_dtype(s) and s.notna().any() and all(
                isinstance(v, decimal.Decimal) for v in s.dropna()):
            changed[col] = s.map(lambda v: np.nan if pd.isna(v) else as_float(v)).astype(np.float64)
        elif (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)) \
                and s.notna().any():
            blank = _blank_cells(s)
            if blank.any():  # missing, as a CSV reads an empty field
                s = changed[col] = s.where(~blank, None)
            seconds = _durations_as_text(s)
            if seconds is not None:
                changed[col] = seconds
    if not changed:
        return df
    out = df.copy()
    for col, values in changed.items():
        out[col] = values
    return out


def _blank_cells(s: pd.Series) -> np.ndarray:
    """Which cells of a text column are empty or blank (``""``, ``"  "``)."""
    if pd.api.types.is_string_dtype(s) and not pd.api.types.is_object_dtype(s):
        return s.str.strip().eq("").fillna(False).to_numpy(dtype=bool)
    return np.fromiter((isinstance(v, str) and not v.strip() for v in s), dtype=bool,
                       count=len(s))


#: A duration as pandas writes one to a CSV file: ``0 days 00:00:30.250000``.
_DURATION_TEXT = re.compile(r"\s*-?\d+ days? [+-]?\d{1,2}:\d{2}:\d{2}(\.\d+)?\s*")


def _durations_as_text(s: pd.Series) -> pd.Series | None:
    """A column of durations written as pandas writes them (``0 days 00:00:30``), in
    seconds; None when some value is not one (blank cells are missing)."""
    first = _filled_text(s.iloc[:50])  # (most columns fail here, cheaply)
    if not len(first) or not first.str.fullmatch(_DURATION_TEXT).all() \
            or not _filled_text(s).str.fullmatch(_DURATION_TEXT).all():
        return None
    # (blank cells read as missing)
    return pd.to_timedelta(s.astype(object), errors="coerce").dt.total_seconds()


def _filled_text(s: pd.Series) -> pd.Series:
    """A column's values as text, missing values and cells of spaces only left out (as
    the time column's reader takes them: blanks)."""
    text = s.dropna().astype(str)
    return text[text.str.strip().ne("")]


def _check_one_column(**options) -> None:
    """Each of ``options`` (API name -> value) names one column (any name a table can
    have: a string, or a number for a table read without a header), or is ``None``."""
    for option, value in options.items():
        if isinstance(value, (list, tuple, set, frozenset, dict, np.ndarray, pd.Index)):
            cli = "--" + option.replace("_", "-")
            raise InvalidSettingError(
                f"{option}={value!r} is a collection of columns; {option} (the command line's "
                f"{cli}) takes one column name"
                + (": compare other text columns as features (feature_columns)."
                   if option == "text_column" else "."))


def _check_unique_columns(df: pd.DataFrame, name: str) -> None:
    dup = df.columns[df.columns.duplicated()].unique().tolist()
    if dup:
        raise InvalidSettingError(
            f"{_which(df, name)} has more than one column named "
            f"{', '.join(repr(str(c)) for c in dup)}; rename or drop the copies so each "
            f"column name is used once.")


def _json_seed(random_state):
    """``random_state`` as the settings (and drift.json) keep it: an int, None, or the
    name of its type (a Generator or RandomState is not written out)."""
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return None if random_state is None else int(random_state)
    return f"<{type(random_state).__name__}>"


def _which(df: pd.DataFrame, name: str) -> str:
    """``the current table``, with its file when it was read from one."""
    source = df.attrs.get(_SOURCE_ATTR)
    return f"the {name} table ({str(source)!r})" if source else f"the {name} table"


def _renamed_hint(col, ref: pd.DataFrame, cur: pd.DataFrame) -> str:
    """When one table has the column and the other not: a name is spelt differently in
    the two files, and renaming the current file's columns fixes it."""
    if (col in ref.columns) == (col in cur.columns):
        return ""
    if col in ref.columns:
        return (f" The reference table has {str(col)!r}: if the current file names it "
                f"otherwise, rename the current file's columns with --current-columns "
                f"(all of them, in order; API: load_table(..., columns=[...])).")
    return (f" The current table has {str(col)!r}: if the reference file names it otherwise, "
            f"rename the reference file's columns with --columns and give the current file "
            f"its own names with --current-columns (API: load_table(..., columns=[...])).")


def _names_alike(columns, ref: pd.DataFrame, cur: pd.DataFrame) -> str:
    """For ``columns`` of one table only: the pairs of names that differ only in case or
    spaces (``'Age'`` for ``'age'``), with how to fix them, or ``""``."""
    def norm(c) -> str:
        return " ".join(str(c).split()).casefold()

    alike = [(a, b) for a in columns if a in ref.columns and a not in cur.columns
             for b in columns if b in cur.columns and b not in ref.columns
             and norm(a) == norm(b)]
    if not alike:
        return ""
    return (", ".join(f"{str(b)!r} (current) is {str(a)!r} (reference)" for a, b in alike[:5])
            + " but for case or spaces: give the current file the reference's names with "
              "--current-columns a,b,... (API: current.rename(columns={...}))")


def _one_side_reason(df: pd.DataFrame, col, side: str) -> str:
    """Why a column of one table only is not compared: a saved row index (``Unnamed: 0``
    counting 0, 1, 2 ..., as ``to_csv`` writes without ``index=False``) is said as such;
    any other is "only in the <side> table"."""
    if re.fullmatch(r"Unnamed: \d+", str(col)) and pd.api.types.is_integer_dtype(df[col]):
        v = df[col].to_numpy()
        if len(v) and np.array_equal(v, np.arange(v[0], v[0] + len(v))):
            return f"a saved row index (only in the {side} table)"
    return f"only in the {side} table"


def _number_share(s: pd.Series) -> float:
    """The share of a column's filled values that are numbers (written as text or not)."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return 1.0
    text = _filled_text(s)
    if not len(text):
        return 0.0
    return float(pd.to_numeric(text.str.strip(), errors="coerce").notna().mean())


def _refuse_numbers_for_text(ref: pd.DataFrame, cur: pd.DataFrame, col) -> None:
    """Refuse a text column that holds only numbers in one table and text in the other
    (an export that put row numbers or scores where the messages were): compared as
    text, it reads as drift, and the model checks would estimate an accuracy on them."""
    shares = [_number_share(df[col]) for df in (ref, cur)]
    for k, (df, name) in enumerate(((ref, "reference"), (cur, "current"))):
        other_df, other = (cur, "current") if k == 0 else (ref, "reference")
        filled = _filled_text(df[col])
        if shares[k] == 1.0 and shares[1 - k] < 0.5 and len(filled) >= MIN_ROWS:
            first = int(df.index.get_indexer([filled.index[0]])[0])  # (not a blank cell)
            value = df[col].iloc[first]
            if isinstance(value, np.generic):
                value = value.item()
            raise FeatureTypeError(
                f"text column {col!r} holds only numbers in {_which(df, name)} (e.g. "
                f"{value!r} in row {first + 1}, {_counted(df)}) but text in "
                f"{_which(other_df, other)} ({_pct(1 - shares[1 - k])} of its values are not "
                f"numbers): the {name} file's column {col!r} does not hold the text; check which "
                f"column holds the text there (rename it, or read the file with the right "
                f"--{'current-' if name == 'current' else ''}columns).")


def _columns(ref: pd.DataFrame, cur: pd.DataFrame, feature_columns, text_column, reserved,
             part: bool = False, positions=frozenset(), warn_marked: bool = True):
    """(column -> kind, skipped column -> reason). ``part``: the tables are a window or a
    chunk of tables already checked whole, so a column with no value on one side is
    compared by its missing share (:func:`_column_rows`) instead of refused. So is a list
    position (``positions``, see :func:`_expand_lists`): a slot that stopped being filled
    is drift to report; a position with no value in either table is left out."""
    text_cols = [] if text_column is None else [text_column]
    for col in text_cols:
        for df, name in ((ref, "the reference table"), (cur, "the current table")):
            if col not in df.columns:
                raise MissingColumnError(col, [str(c) for c in df.columns], role="text column",
                                         table=name, hint=_renamed_hint(col, ref, cur))
        if all(pd.api.types.is_numeric_dtype(df[col]) for df in (ref, cur)):
            raise FeatureTypeError(
                f"text column {col!r} holds numbers in both tables, not text; leave it out of "
                f"--text-column (API: text_column) and it is compared as a number.")
        if not part:
            _refuse_numbers_for_text(ref, cur, col)
    only = {}
    if feature_columns is None:
        shared = set(ref.columns) & set(cur.columns)
        only = {**{c: _one_side_reason(ref, c, "reference") for c in ref.columns
                   if c not in shared and c not in reserved},
                **{c: _one_side_reason(cur, c, "current") for c in cur.columns
                   if c not in shared and c not in reserved}}
    if feature_columns is not None:
        cols = list(feature_columns)
        for col in cols:
            for df, name in ((ref, "the reference table"), (cur, "the current table")):
                if col not in df.columns:
                    raise MissingColumnError(col, [str(c) for c in df.columns],
                                             role="feature column", table=name,
                                             hint=_renamed_hint(col, ref, cur))
        cols += [c for c in text_cols if c not in cols]
    else:
        cols = [c for c in ref.columns if c in set(cur.columns) and c not in reserved]
        cols += [c for c in text_cols if c not in cols]
        if not cols:
            raise InvalidSettingError(
                f"{_which(ref, 'reference')} and {_which(cur, 'current')} share no column to "
                f"compare (reference: {', '.join(map(str, list(ref.columns)[:20]))}; current: "
                f"{', '.join(map(str, list(cur.columns)[:20]))}); give tables with the same "
                f"feature columns" + (f"; {alike}." if (alike := _names_alike(
                    [*ref.columns, *cur.columns], ref, cur)) else "."))
    if only:
        import warnings

        sides = {}
        for c, why in only.items():
            sides.setdefault(why, []).append(repr(str(c)))
        lost = ("; a column that production data lost breaks a model that reads it"
                if "only in the reference table" in sides else "")
        alike = _names_alike(only, ref, cur)
        if alike:  # 'Age' for 'age', 'country ' for 'country'
            lost += "; " + alike
        elif len(sides) == 2:  # a column on each side: perhaps one column renamed
            lost += ("; if production renamed a column, give the current file the "
                     "reference's names with --current-columns a,b,... (API: "
                     "current.rename(columns={...}))")
        warnings.warn("not compared, " + "; ".join(
            f"{why}: {', '.join(cs[:10])}" + (f" and {len(cs) - 10} more" if len(cs) > 10 else "")
            for why, cs in sides.items()) + f" (to silence this, leave them out with "
            f"--exclude-column COL (API: drop them from the table), or name the columns to "
            f"compare with --feature-column (API: feature_columns){lost}).", UserWarning,
            stacklevel=caller_stacklevel())
    kinds, skipped = {}, dict(only)
    explicit = set(feature_columns or ())
    _refuse_decimal_commas(ref, cur, [c for c in cols if c not in text_cols])
    for col in cols:
        reason = (None if col in explicit or col in text_cols
                  else _skip_reason(ref[col], cur[col], name=col))
        if reason:
            skipped[col] = reason
            continue
        both_empty = ref[col].isna().all() and cur[col].isna().all()
        if both_empty and col in positions:
            skipped[col] = "a list position with no value in either table"
            continue
        for df, name, other in ((ref, "reference", cur), (cur, "current", ref)):
            if df[col].isna().all() and (both_empty or not (part or col in positions)):
                filled = int(other[col].notna().sum())
                lost = ("" if both_empty or name != "current" else
                        f", but filled in {filled:,} of the {len(other):,} reference rows: "
                        f"production data lost it (a model that reads it is fed nothing)")
                where = (f"both tables ({_which(ref, 'reference')}, "
                         f"{_which(cur, 'current')}): there is nothing to compare"
                         if both_empty else _which(df, name))
                raise EmptyDataError(f"column {col!r} is empty (all values missing) in "
                                     f"{where}{lost}; leave it out (--exclude-column "
                                     f"{col}), or name the columns to compare with "
                                     f"--feature-column (API: feature_columns).")
        kind = "text" if col in text_cols else column_kind(ref[col], cur[col])
        if kind == "numeric":
            for df, name in ((ref, "reference"), (cur, "current")):
                v = df[col].to_numpy(dtype=np.float64, na_value=np.nan)
                if np.isinf(v).any():
                    row = int(np.flatnonzero(np.isinf(v))[0]) + 1
                    raise FeatureTypeError(
                        f"column {col!r} holds an infinite value in {_which(df, name)} (row "
                        f"{row}, {_counted(df)}); clip or drop such values.")
        if kind == "mixed":
            num = "reference" if _is_number_column(ref[col]) else "current"
            other = "current" if num == "reference" else "reference"
            text_df = ref if other == "reference" else cur
            value, row = _non_numeric(text_df[col])
            if isinstance(value, np.generic):
                value = value.item()
            if (pd.api.types.is_bool_dtype(text_df[col])  # or true/false with gaps
                    or pd.api.types.infer_dtype(text_df[col], skipna=True) == "boolean"):
                raise FeatureTypeError(
                    f"column {col!r} holds numbers in the {num} table but true/false values "
                    f"in {_which(text_df, other)} (e.g. {value!r} in row {row}, "
                    f"{_counted(text_df)}); write it the same way in both files (e.g. 0/1 or "
                    f"true/false) or leave the column out.")
            hint = ""
            from dataqa.data import _SEP_ATTR

            if (re.fullmatch(_DECIMAL_COMMA, str(value)) and "," in str(value)
                    and text_df.attrs.get(_SEP_ATTR) == ","):
                # a quoted "5,5" in a comma-separated file: --decimal ',' is refused there
                flag = "--current-" if other == "current" else "--"
                both = ("" if other == "current" else
                        " (they apply to the current file too: add --current-sep ',' "
                        "--current-decimal '.' if it keeps its commas and decimal points)")
                hint = (f" The value has a decimal comma in a file whose fields are "
                        f"separated by commas too, which {flag}decimal ',' cannot read: "
                        f"save that file with ';' between fields and read it with "
                        f"{flag}sep ';' {flag}decimal ','{both}, or convert its values to "
                        f"decimal points (API: load_table(..., sep=';', decimal=',')).")
            elif re.fullmatch(_DECIMAL_COMMA, str(value)) and "," in str(value):
                hint = (" The value has a decimal comma: read the current file with "
                        "--current-decimal ',' (API: load_table(..., decimal=','))."
                        if other == "current" else
                        " The value has a decimal comma: read the reference file with "
                        "--decimal ',' (it applies to the current file too: add "
                        "--current-decimal '.' if that one writes a decimal point; API: "
                        "load_table(..., decimal=',')).")
            from dataqa.data import _DECIMAL_ATTR

            read_with = text_df.attrs.get(_DECIMAL_ATTR)
            if not hint and read_with not in (None, ".") and re.fullmatch(
                    r"\s*[-+]?\d*\.\d+\s*", str(value)):
                hint = (f" The value has a decimal point, but the file was read with the "
                        f"decimal mark {read_with!r}: "
                        + ("read the current file with --current-decimal '.' (API: "
                           "load_table(..., decimal='.'))." if other == "current" else
                           f"--decimal applies to both files; read the reference with "
                           f"--decimal '.' and the current file with --current-decimal "
                           f"{read_with!r}."))
            if not hint and (re.fullmatch(r"\s*[-+]?\d{1,3}([.'\u00a0 ])\d{3}(\1\d{3})*(,\d+)?\s*",
                                          str(value)) or
                             re.fullmatch(r"\s*[-+]?\d{1,3}(,\d{3})+(\.\d+)?\s*", str(value))):
                grouped = re.search(r"[0-9]([,.'\u00a0 ])[0-9]{3}", str(value)).group(1)
                flag = "--current-" if other == "current" else "--"
                how = (f"{flag}thousands {grouped!r}"
                       + (f" {flag}decimal ','" if grouped != "," and "," in str(value)
                          else ""))
                hint = (f" The value groups its thousands, which files are read without "
                        f"unless told: read the {other} file with {how} (API: "
                        f"load_table(..., thousands={grouped!r})), or save the numbers "
                        f"without the separator.")
            present = text_df[col].dropna()
            if not hint and isinstance(text_df[col].dtype, pd.CategoricalDtype) and \
                    pd.api.types.is_numeric_dtype(text_df[col].dtype.categories.dtype):
                hint = (" It is a pandas Categorical of numbers: convert it with "
                        ".astype(float) first, or make the column a Categorical in both "
                        "tables to compare it as categories.")
            elif not hint and len(present) and pd.to_numeric(
                    present.astype(str), errors="coerce").notna().all():
                hint = (" Every value of it is a number stored as text (a DataFrame column "
                        "of strings): convert it with pd.to_numeric(...) first.")
            raise FeatureTypeError(
                f"column {col!r} is numeric in the {num} table but text in "
                f"{_which(text_df, other)} (e.g. {value!r} in row {row}, counted from 1 after "
                f"the header); fix the values or leave the column out (--exclude-column "
                f"{col}).{hint}")
        kinds[col] = kind
    if warn_marked and not part:  # (said once, of the whole tables, not of every window)
        _warn_marked_numbers(ref, cur, [c for c, k in kinds.items() if k == "categorical"])
        _warn_respelled_values(ref, cur, [c for c, k in kinds.items() if k == "categorical"])
        _warn_boolean_spellings(ref, cur, [c for c, k in kinds.items() if k == "categorical"])
    if not kinds:
        raise InvalidSettingError(
            f"no column is left to compare: {', '.join(f'{c!r} ({r})' for c, r in skipped.items())}; "
            f"name the columns to compare with --feature-column (API: feature_columns)"
            + (f"; {alike}." if (alike := _names_alike(skipped, ref, cur)) else "."))
    return kinds, skipped


#: Units and currency codes a number written as text may carry (case aside).
_UNITS = ("%|ms|s|sec|secs|seconds|min|mins|minutes|h|hr|hrs|hours|us|\u00b5s|ns|days|"
          "bytes|kb|mb|gb|tb|kib|mib|gib|kg|g|mg|lb|lbs|oz|km|m|cm|mm|mi|ft|in|px|pt|"
          "kbps|mbps|gbps|km/h|m/s|mph|usd|eur|gbp|jpy|inr|chf|cad|aud")
#: A number with a currency sign (or code) before or after it, thousands separators or
#: a unit ($12.50, 12.50 \u20ac, USD 12.50, 1,632, 14 ms, 12%), as text.
#: Matched against the stripped text, with at most two spaces between the parts (so a
#: long run of blanks fails at once instead of being tried every way).
#: A negative amount may be written in parentheses, as accountants do: ``(12.50)``,
#: ``($1,234.00)``, ``$(12.50)``.
_MARKED_NUMBER = re.compile(
    r"(?P<lead>\()?"
    r"(?P<pre>[$\u20ac\u00a3\u00a5\u20b9]|(?i:usd|eur|gbp|jpy|inr|chf|cad|aud)(?= ))?[ \t]{0,2}"
    r"(?P<open>(?(lead)|\())?"
    r"(?P<num>[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?(open)\))[ \t]{0,2}"
    rf"(?P<post>[$\u20ac\u00a3\u00a5\u20b9]|(?i:{_UNITS}))?(?(lead)\))")


def _number_mark(s: pd.Series, sample: int = 500) -> tuple[str, str] | None:
    """``(example, mark)`` for a column whose values (blank cells aside) are all numbers
    written with one and the same currency sign or unit, or with thousands separators
    (``"$12.50"``, ``"14 ms"``, ``"1,632"``); ``mark`` says which, for the message. None
    otherwise: mixed units (``900 ms``, ``1.2 s``), codes such as ``34D`` or ``1080p``."""
    v = s.dropna()
    if not len(v) or not (pd.api.types.is_object_dtype(v) or pd.api.types.is_string_dtype(v)):
        return None
    v = _filled_text(v.iloc[np.unique(np.linspace(0, len(v) - 1, min(sample, len(v)))
                                      .astype(int))])
    found = [_MARKED_NUMBER.fullmatch(x.strip()) for x in v]
    if not found or any(m is None for m in found):
        return None
    marks = {((m["pre"] or "").lower(), (m["post"] or "").lower()) for m in found}
    if len(marks) != 1:
        return None
    pre, post = marks.pop()
    example = str(v.iloc[0])
    negative = [x for x, m in zip(v, found, strict=True) if m["lead"] or m["open"]]
    if negative and len(negative) == len(v):
        return None  # every value in parentheses: enumerations "(1)", years "(1950)"
    # (that a negative in parentheses needs its sign back, for the recipe)
    paren = ", negatives in parentheses" if negative else ""
    if pre or post:
        sign = found[0]["pre"] or found[0]["post"]  # (as written)
        what = (f"the currency sign {sign!r}" if sign in "$\u20ac\u00a3\u00a5\u20b9" or
                sign.upper() in ("USD", "EUR", "GBP", "JPY", "INR", "CHF", "CAD", "AUD")
                else f"the unit {sign!r}")
        return example, what + paren
    grouped = [x for x, m in zip(v, found, strict=True) if "," in m["num"]]
    if grouped:
        return grouped[0], "thousands separators" + paren
    return (negative[0], "negatives in parentheses") if negative else None


def _warn_respelled_values(ref: pd.DataFrame, cur: pd.DataFrame, cols) -> None:
    """Warn of categorical columns whose current values the reference lacks but holds in
    another case or with other white space around them (``'north '`` for ``'north'``):
    compared as new values, they read as drift that may be only a change of spelling."""
    found = []
    for col in cols:
        seen = set(_filled_text(ref[col]).unique().tolist())
        new = set(_filled_text(cur[col]).unique().tolist()) - seen
        if not new:
            continue
        keys = {}
        for v in seen:
            keys.setdefault(" ".join(v.split()).casefold(), v)
        pairs = [(v, keys[k]) for v in sorted(new)
                 if (k := " ".join(v.split()).casefold()) in keys]
        if pairs:
            rows = float(_filled_text(cur[col]).isin([p[0] for p in pairs]).sum() / len(cur))
            found.append((col, pairs, rows))
    if found:
        said = "; ".join(f"{str(c)!r}: {len(p)} value{'s' if len(p) > 1 else ''}, "
                         f"{_pct(share)} of current rows (e.g. {p[0][0]!r} for {p[0][1]!r})"
                         for c, p, share in found[:10])
        warnings.warn(
            f"current values differ from reference values only in case or white space "
            f"({said}): they are compared as new values. If they are the same values, make "
            f"them one spelling in both tables before (pandas: s.str.strip(), s.str.lower()).",
            UserWarning, stacklevel=caller_stacklevel())


#: Spellings of yes and no (any case) that :func:`_warn_boolean_spellings` knows: each
#: word's pair (true/false, yes/no, y/n, t/f, on/off).
_BOOLEAN_WORDS = {"true": 0, "false": 0, "yes": 1, "no": 1, "y": 2, "n": 2, "t": 3, "f": 3,
                  "on": 4, "off": 4}


def _warn_boolean_spellings(ref: pd.DataFrame, cur: pd.DataFrame, cols) -> None:
    """Warn of categorical columns that hold yes/no values in both tables, written with
    one pair of words in the reference and another in the current table
    (``True``/``False`` against ``yes``/``no``): compared as categories, every value reads
    as new, a drift of the spelling only (effect 1). Tables that share a pair (all "no"
    against all "yes": a real change) are not; nor case alone, which
    :func:`_warn_respelled_values` says."""
    found = []
    for col in cols:
        a = set(_filled_text(ref[col]).str.strip().unique().tolist())
        b = set(_filled_text(cur[col]).str.strip().unique().tolist())
        if not a or not b or not {v.casefold() for v in a | b} <= set(_BOOLEAN_WORDS):
            continue
        if {_BOOLEAN_WORDS[v.casefold()] for v in a} & {_BOOLEAN_WORDS[v.casefold()] for v in b}:
            continue
        found.append(f"{str(col)!r} ({'/'.join(sorted(a, reverse=True))} in the reference, "
                     f"{'/'.join(sorted(b, reverse=True))} in the current table)")
    if found:
        warnings.warn(
            f"yes/no columns spelled one way in each table: {'; '.join(found[:10])}: they are "
            f"compared as different values, so every current value reads as new. If they "
            f"mean the same, write them one way in both tables before (pandas: "
            f"s.map({{'yes': True, 'no': False}})).", UserWarning,
            stacklevel=caller_stacklevel())


def _warn_marked_numbers(ref: pd.DataFrame, cur: pd.DataFrame, cols) -> None:
    """Warn of categorical columns of many values that are numbers with a currency sign,
    a unit or thousands separators (:func:`_number_mark`): compared as categories (every
    amount its own), a change of their size shows only as values moving (prices 3%
    higher read p = 0.15)."""
    from dataqa.drift.univariate import CATEGORICAL_TOP

    found = {}
    for col in cols:
        mark = _number_mark(ref[col])
        if mark is None or _number_mark(cur[col]) is None \
                or ref[col].dropna().astype(str).nunique() <= CATEGORICAL_TOP + 1:
            continue  # (a few labels such as "5 stars" are categories)
        found[col] = mark
    if found:
        said = ", ".join(f"{str(c)!r} (e.g. {ex!r}: {what})"
                         for c, (ex, what) in list(found.items())[:10])
        warnings.warn(
            f"{'column' if len(found) == 1 else 'columns'} {said} "
            f"{'holds' if len(found) == 1 else 'hold'} numbers written as text, so they are "
            f"compared as categories (each amount its own value), where a change of their "
            f"size shows only as values moving; to compare them as numbers, strip the sign, "
            f"unit or separators before (pandas: pd.to_numeric(s.str.replace(r'[^0-9.+-]', "
            f"'', regex=True)), for a column of one unit; thousands separators alone are "
            f"read with --thousands ','"
            + ("; give negatives in parentheses their sign first: s = s.str.replace("
               "r'^(.*?)\\((.*)\\)(.*)$', r'-\\1\\2\\3', regex=True)"
               if any("parentheses" in what for _, what in found.values()) else "")
            + ").", UserWarning, stacklevel=caller_stacklevel())


def _refuse_decimal_commas(ref: pd.DataFrame, cur: pd.DataFrame, cols) -> None:
    """Refuse columns that hold numbers written with a decimal comma in both tables: read
    as text, they would be compared as categories (nearly every value its own category),
    and a shift of the numbers would go unseen."""
    from dataqa.data import _decimal_commas_read_as_text

    in_cur = _decimal_commas_read_as_text(cur, cols)
    found = {c: ex for c, ex in _decimal_commas_read_as_text(ref, cols).items() if c in in_cur}
    if found:
        first, example = next(iter(found.items()))
        if len(found) == 1:
            what = (f"column {str(first)!r} holds numbers written with a decimal comma "
                    f"(e.g. {example!r})")
        else:
            names = ", ".join(repr(str(c)) for c in list(found)[:10])
            if len(found) > 10:
                names += f" and {len(found) - 10} more"
            what = (f"columns {names} hold numbers written with a decimal comma (e.g. "
                    f"{example!r} in {str(first)!r})")
        raise FeatureTypeError(
            f"{what} in both {_which(ref, 'reference')} and "
            f"{_which(cur, 'current')}, so they were read as text and would be compared as "
            f"categories, not as numbers; read the files with --decimal ',' (it applies to "
            f"both files; API: load_table(..., decimal=',')).")


def _pct(share: float) -> str:
    """A share as a whole percentage, with one decimal where rounding would say 100% or
    0% of a share that is not (369 distinct of 370 is 99.7%, not 100%)."""
    text = f"{share:.0%}"
    if text in ("100%", "0%") and 0 < share < 1:
        text = f"{share:.1%}"
        if text in ("100.0%", "0.0%"):
            text = ">99.9%" if share > 0.5 else "<0.1%"
    return text


def _as_text_reason(mark: tuple[str, str], counts: str) -> str:
    """Why a column of amounts written as text, nearly each its own, is left out."""
    how = ("read the files with --thousands ',' (API: thousands=',')"
           if mark[1] == "thousands separators" else "strip the sign, unit or separators")
    return (f"numbers written as text (e.g. {mark[0]!r}: {mark[1]}), {counts}; make them "
            f"numbers to compare them ({how})")


def _skip_reason(ref: pd.Series, cur: pd.Series, name=None) -> str | None:
    """Why a shared column is left out unless named: times, identifiers (strings
    distinct in each table, which would all be 'unseen') and row numbers (see
    :func:`_row_number_reason`)."""
    if pd.api.types.is_datetime64_any_dtype(ref) or pd.api.types.is_datetime64_any_dtype(cur):
        return "a time column"
    empty = [bool(s.isna().all()) for s in (ref, cur)]
    if empty[0] != empty[1]:
        # filled in one table only (a date or id that stopped being filled reads back as
        # an empty float column): judged on the filled one, then compared by missing share
        filled, side = (cur, "current") if empty[0] else (ref, "reference")
        why = _skip_reason(filled, filled, name)
        counts = (f"{_pct(filled.dropna().astype(str).nunique() / filled.notna().sum())} of "
                  f"{side} values distinct, none in the other table")
        if why and why.startswith("an identifier"):
            return f"an identifier: {counts}"
        if why and why.startswith("numbers written as text"):
            return _as_text_reason(_number_mark(_filled_text(filled)), counts)
        return why
    row_number = _row_number_reason(ref, cur, name)
    if row_number:
        return row_number
    unix = _unix_time_unit(ref, cur, name)
    if unix:
        return f"a time column (Unix times in {unix})"
    if all((pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s))
           for s in (ref, cur)):
        r, c = _filled_text(ref), _filled_text(cur)
        # (loose dates are judged on both tables together: a current window of 3 months)
        if len(r) and len(c):
            loose = _loose_allowed(pd.concat([r, c], ignore_index=True), name)
            if _dates_as_text(r, name=name, loose=loose) and _dates_as_text(c, name=name,
                                                                             loose=loose):
                return "a time column (dates written as text)"
        if len(r) >= MIN_ROWS and len(c) >= MIN_ROWS and (
                r.str.len().mean() < ID_MAX_MEAN_LENGTH
                or r.str.fullmatch(r"[\x21-\x7e]+").mean() >= 1 - ID_SPACED_SHARE):
            distinct_r, distinct_c = r.nunique() / len(r), c.nunique() / len(c)
            shared = len(set(r) & set(c))
            if (min(distinct_r, distinct_c) >= ID_DISTINCT_SHARE
                    and (shared <= ID_SHARED_SHARE * c.nunique() or ref is cur)):
                counts = (f"{_pct(distinct_r)} of reference and {_pct(distinct_c)} of "
                          f"current values distinct, {shared} shared")
                mark = _number_mark(r)
                if mark is not None and _number_mark(c) is not None:
                    # (amounts as text, each its own: left out as ids are, but said so)
                    return _as_text_reason(mark, counts)
                dates = [_date_like(x, False) for x in (r, c)]
                side, x, d = min(zip(("reference", "current"), (r, c), dates, strict=True),
                                 key=lambda t: t[2].mean())
                if 0.5 <= d.mean() < 1 and min(e.mean() for e in dates) >= 0.5:
                    # times with placeholders ("unknown") among them
                    return (f"a time column (dates written as text; {_pct(1 - d.mean())} of "
                            f"{side} values are no date, e.g. {x[~d].iloc[0]!r})")
                return f"an identifier: {counts}"
    return None


#: Column names of times: the last word (after ``_``, `` ``, ``.``, ``-`` or a camelCase
#: capital) is ``time``, ``timestamp``, ``date``, ``datetime``, ``epoch``, ``ts`` or
#: ``at`` (``event_time``, ``created_at``, ``createdAt``), or one of them followed by a
#: unit (``epoch_ms``: the values must then be in that unit) ...
_TIME_NAMES = re.compile(
    r"(?:.*(?:[_ .-]|(?-i:(?<=[a-z])(?=[A-Z]))))?"
    r"(?P<word>time|timestamp|date|datetime|epoch|ts|at)"
    r"(?:[_ .-]?(?P<unit>s|sec|secs|seconds|ms|millis|milliseconds|us|micros|microseconds|"
    r"ns|nanos|nanoseconds))?", re.IGNORECASE)
#: ... and no word of a duration (``response_time``, ``wait_time_ms``, ``uptime``).
_DURATION_WORDS = re.compile(
    r"(?i).*(duration|elapsed|latency|response|runtime|run_time|exec|wait|spent|timeout|"
    r"uptime|lifetime|cpu|wall|total|mean|avg|average|load|process|took|delay|ttl|length|"
    r"to_).*")
#: Unix times from 2000-01-01 to 2100-01-01, in seconds; the same in the finer units.
_UNIX_SECONDS = (946_684_800, 4_102_444_800)
_UNIX_UNITS = {"seconds": 1, "milliseconds": 10 ** 3, "microseconds": 10 ** 6,
               "nanoseconds": 10 ** 9}
_UNIT_WORDS = {"s": "seconds", "sec": "seconds", "secs": "seconds", "ms": "milliseconds",
               "millis": "milliseconds", "us": "microseconds", "micros": "microseconds",
               "ns": "nanoseconds", "nanos": "nanoseconds"}


def _unix_time_unit(ref: pd.Series, cur: pd.Series, name) -> str | None:
    """The unit of a numeric column named as a time (:data:`_TIME_NAMES`, not as a
    duration) whose values all lie in 2000-2100 as Unix times in that unit (the unit its
    name gives, when it gives one), in both tables; else None. Such a column moves with
    the calendar (the current rows come later), so it would always read as drifted; it
    is left out as a time column is. Zeros (a missing time written as 0) are passed over
    here; its share of them is compared as its missing share (:func:`_skipped_missing_rows`)."""
    if name is None:
        return None
    named = _TIME_NAMES.fullmatch(str(name))
    if named is None or _DURATION_WORDS.fullmatch(str(name)):
        return None
    unit = named.group("unit")
    said = None if unit is None else _UNIT_WORDS.get(unit.lower(), unit.lower())
    vals = []
    for s in (ref, cur):
        if not _is_number_column(s) or s.isna().all():
            return None
        v = s.dropna().to_numpy(dtype=np.float64)
        vals.append(v[v != 0] if (v != 0).any() else v)  # (a missing time written as 0)
    for unit, scale in _UNIX_UNITS.items():
        lo, hi = _UNIX_SECONDS[0] * scale, _UNIX_SECONDS[1] * scale
        if (said is None or said == unit) and all(v.min() >= lo and v.max() <= hi
                                                  for v in vals):
            return unit
    return None


#: The names of a saved row index or row key: an unnamed header field read back
#: (``Unnamed: 0``, from ``to_csv`` with its default ``index=True``), the column
#: ``reset_index`` makes, and ids and keys (``id``, ``user_id``, ``key``).
_INDEX_NAMES = re.compile(r"Unnamed: \d+|index|level_\d+|key|(.*[_ .-])?id", re.IGNORECASE)


def _whole_numbers(s: pd.Series) -> np.ndarray | None:
    """The column as float64 when every value is a whole number (or digits as text)."""
    if pd.api.types.is_bool_dtype(s):
        return None
    if not pd.api.types.is_numeric_dtype(s):
        text = s.astype("string")
        if text.isna().any() or not text.str.fullmatch(r"\d{1,15}").all():
            return None
        return text.astype("int64").to_numpy(dtype=np.float64)
    v = s.to_numpy(dtype=np.float64, na_value=np.nan)
    return None if np.isnan(v).any() or (v != np.round(v)).any() else v


def _row_number_reason(ref: pd.Series, cur: pd.Series, name) -> str | None:
    """A column of distinct whole numbers (or digits as text) in each table that counts
    the rows (each value one more than the row before) or is named as a saved row index
    or a key is (in any order: the rows may have been shuffled or sampled). Its values say
    where a row sat in its file, not what it holds, and two files' row numbers differ by
    design."""
    vals = []
    for s in (ref, cur):
        v = _whole_numbers(s) if len(s) >= MIN_ROWS else None
        if v is None:
            return None
        vals.append(v)
    if any(len(np.unique(v)) < len(v) for v in vals):
        return None
    if all((np.diff(v) == 1).all() for v in vals):
        return "a row number: each value one more than the row before, in each table"
    if name is not None and _INDEX_NAMES.fullmatch(str(name)):
        return (f"a row index or key: distinct whole numbers in each table, in a column "
                f"named {str(name)!r}")
    return None


#: A string column is an identifier (left out unless named) when at least this share of
#: its values is distinct in each table ...
ID_DISTINCT_SHARE = 0.95
#: ... and at most this share of the current table's distinct values is in the reference ...
ID_SHARED_SHARE = 0.01
#: ... and its reference values are short (mean length under this) or, when longer, all
#: but ``ID_SPACED_SHARE`` of them are printable ASCII without spaces: keys, hashes and
#: URLs are, free text (whose messages are as distinct as ids) is not, in languages
#: written with spaces or without (Chinese, Japanese, Thai).
ID_MAX_MEAN_LENGTH = 30
ID_SPACED_SHARE = 0.05

_TIME_OF_DAY = r"([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?"
#: A date with a four-digit year first or last (2026-01-31, 31/01/2026, 1.31.2026), an
#: optional time of day and zone, and nothing else.
_DATE_TEXT = (rf"\s*(\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}|\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{4}})"
              rf"{_TIME_OF_DAY}\s*")
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_WEEKDAY = r"((mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_DAY = r"\d{1,2}(st|nd|rd|th)?"
_CLOCK = (r"(,?\s*(at\s+)?\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([ap]\.?m\.?)?"
          r"\s*(z|utc|gmt|[a-z]{3}|[+-]\d{2}:?\d{2})?)?")
#: Dates written with a month's name (Mar 28, 2023; 28-Jan-2023; Friday, April 21,
#: 2023; March 2023), with an optional time of day; any case.
_DATE_TEXT_NAMED = re.compile(
    rf"\s*({_WEEKDAY}{_MONTH}\s+{_DAY},?\s+\d{{4}}{_CLOCK}"
    rf"|{_WEEKDAY}{_DAY}[\s-]+{_MONTH}[\s-]+(\d{{4}}|\d{{2}}){_CLOCK}"
    rf"|{_MONTH}\s+\d{{4}})\s*", re.IGNORECASE)
#: Dates written more loosely, which sizes (10/20/30) and seasons (2005-06) share: a
#: two-digit year after slashes (03/18/23; not with dots or dashes, as versions such as
#: 3.12.10 and codes such as 12-5-14 are written) or a year and month (2023-06). Taken
#: for dates only in a column named as a date or time, or of at least
#: :data:`LOOSE_DATE_VALUES` values that are not seasons.
_DATE_TEXT_LOOSE = re.compile(
    rf"\s*(\d{{1,2}}/\d{{1,2}}/\d{{2}}{_CLOCK}|(?P<year>(19|20)\d{{2}})[-/](?P<month>\d{{1,2}}))\s*",
    re.IGNORECASE)
LOOSE_DATE_VALUES = 20
#: Share of a column's values that must be dates for it to be a date column (the rest:
#: placeholders such as "unknown" or "n/a").
DATE_SHARE = 0.98


def _date_like(values: pd.Series, loose: bool) -> pd.Series:
    """Which strings are written as dates (:data:`_DATE_TEXT`, :data:`_DATE_TEXT_NAMED`,
    and with ``loose`` :data:`_DATE_TEXT_LOOSE`)."""
    like = values.str.fullmatch(_DATE_TEXT) | values.str.fullmatch(_DATE_TEXT_NAMED)
    return (like | values.str.fullmatch(_DATE_TEXT_LOOSE)) if loose else like


def _loose_dates_allowed(values: pd.Series, name) -> bool:
    """Whether a column's loosely written dates (:data:`_DATE_TEXT_LOOSE`) are dates: its
    name is a date's or a time's (``signup_date``, ``created``, ``day``), or it holds at
    least :data:`LOOSE_DATE_VALUES` values and they are not seasons (2005-06, 2006-07:
    the second part the next year's last two digits)."""
    if name is not None and (_TIME_NAMES.fullmatch(str(name)) or re.search(
            r"(?i)date|time|day|month|created|updated|signup|joined|period|when",
            str(name))):
        return True
    if values.nunique() < LOOSE_DATE_VALUES:
        return False
    parts = values.str.extract(_DATE_TEXT_LOOSE)[["year", "month"]].dropna()
    seasons = len(parts) and ((parts["year"].astype(int) + 1) % 100
                              == parts["month"].astype(int)).all()
    return not seasons


def _loose_allowed(values: pd.Series, name) -> bool | None:
    """:func:`_loose_dates_allowed` of both tables' values when some are written loosely
    (None otherwise: nothing to decide, so nothing computed)."""
    v = values.iloc[np.unique(np.linspace(0, len(values) - 1, min(200, len(values))).astype(int))]
    if not v.str.fullmatch(_DATE_TEXT_LOOSE).any():
        return None
    return _loose_dates_allowed(values, name)


def _dates_as_text(values: pd.Series, sample: int = 200, name=None,
                   loose: bool | None = None) -> bool:
    """Whether the strings are dates such as 2026-01-31, 31/01/2026, 2026-01-31 08:00:00
    or Mar 28, 2023 (or, see :func:`_loose_dates_allowed`, 03/18/23 or 2023-06): at least
    :data:`DATE_SHARE` of them written so (a few placeholders such as "unknown" aside),
    and the dates among up to ``sample`` of them, spread over the column, parse."""
    import warnings

    v = values.iloc[np.unique(np.linspace(0, len(values) - 1, min(sample, len(values))).astype(int))]
    allowed = loose
    loose = False
    like = _date_like(v, loose)
    if like.mean() < DATE_SHARE:  # (the loose forms' checks only where they may decide)
        loose = _date_like(v, True).mean() >= DATE_SHARE and (
            allowed if allowed is not None else _loose_dates_allowed(values, name))
        if not loose:
            return False
        like = _date_like(v, loose)
    if _date_like(values, loose).mean() < DATE_SHARE:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return bool(pd.to_datetime(v[like], errors="coerce", format="mixed", utc=True)
                    .notna().all())


def _is_number_column(s: pd.Series) -> bool:
    """Numbers, as :func:`dataqa.drift.univariate.column_kind` counts them (booleans are not)."""
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _non_numeric(s: pd.Series) -> tuple[object, int]:
    """The first value that is not a number, and its row (from 1)."""
    vals = s.reset_index(drop=True).dropna()
    bad = vals[pd.to_numeric(vals, errors="coerce").isna()]
    pick = bad if len(bad) else vals
    return pick.iloc[0], int(pick.index[0]) + 1


def _column_rows(ref: pd.DataFrame, cur: pd.DataFrame, kinds: dict, feats, numeric_test: str,
                 n_permutations: int, seed: int, advance, part: bool = False,
                 positions=frozenset()) -> list[dict]:
    """One test per compared column (text columns: MMD on their SVD components). ``part``:
    see :func:`_columns`; a column with fewer than 2 values on one side is compared by its
    missing share."""
    from dataqa.drift.twosample import mmd_test
    from dataqa.drift.univariate import normalized_wasserstein

    rows = []
    for col, kind in kinds.items():
        if (part or col in positions) and any(int(df[col].notna().sum()) < 2
                                              for df in (ref, cur)):
            # a window or chunk with (almost) no value of the column: too few values to
            # compare, so compare the missing shares
            row = missing_share_test(ref[col], cur[col], random_state=seed)
        elif kind == "text":
            block = feats.text_blocks[col]
            s, p = mmd_test(feats.reference[:, block], feats.current[:, block],
                            n_permutations=n_permutations, random_state=seed)
            effect = max(normalized_wasserstein(feats.reference[:, j], feats.current[:, j])
                         for j in range(block.start, block.stop))
            row = {"test": "mmd", "statistic": s, "p_value": p, "effect": float(effect),
                   "effect_name": "max wasserstein/sd of svd components", "psi": np.nan}
        else:
            try:
                row = column_test(ref[col], cur[col], kind, numeric_test=numeric_test,
                                  random_state=seed)
            except DataqaError as exc:  # name the column the test's message cannot
                msg = f"column {col!r}: {exc}"
                try:
                    named = type(exc)(msg)
                except TypeError:  # an error class whose constructor takes other fields
                    named = InvalidSettingError(msg)
                raise named from None
        share = _missing_share if kind == "text" else (lambda v: float(v.isna().mean()))
        rows.append({"column": col, "kind": kind, **row,
                     "missing_reference": share(ref[col]), "missing_current": share(cur[col])})
        advance()
    return rows


def _missing_share(values: pd.Series) -> float:
    """The share of missing cells of a text column, a blank text (empty, white space,
    characters a reader does not see) counted as missing as an empty CSV field is: the
    same texts read from CSV, Parquet or JSON have the same share. (Other columns count
    missing values only, as their tests do.)"""
    missing = values.isna()
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        from dataqa._text import INVISIBLE

        text = values[~missing]
        blank = text.map(lambda v: isinstance(v, str)) & text.astype(str).str.replace(
            INVISIBLE, "", regex=True).str.strip().eq("")
        return float((missing.sum() + blank.sum()) / max(len(values), 1))
    return float(missing.mean())


#: The most random splits :func:`_refine_at_floor` draws for one column test: p-values
#: down to 1/20,001, below Bonferroni's level over 1,000 columns at alpha 0.05. (A column
#: that drifted runs them all: 200,000 took 6 minutes on 50,000 rows of 20,000 names.)
MAX_COLUMN_SPLITS = 20_000
#: The most permutations it draws for a text column's MMD test.
MAX_TEXT_PERMUTATIONS = 10_000


def _refine_at_floor(columns: pd.DataFrame, ref: pd.DataFrame, cur: pd.DataFrame,
                     kinds: dict, feats, numeric_test: str, n_permutations: int, seed: int,
                     alpha: float, min_effect: float, correction: str, progress) -> bool:
    """Test again, with more random splits, the columns whose permutation p-value stopped
    at its floor (no split reached the observed statistic: 1/2001 for a column test,
    ``1 / (n_permutations + 1)`` for a text column's MMD) and that a smaller p-value
    could make drifted: their effect reaches ``min_effect`` but the correction over the
    columns left them out. A very large shift in a column of rare values (authors,
    product codes) or in a text column otherwise stopped at a p-value too large for a
    correction over a hundred columns (25 for a text column with 500 permutations). The
    splits go up to ``2 x columns / alpha``, where Bonferroni's level lies above the
    floor (at most :data:`MAX_COLUMN_SPLITS`, :data:`MAX_TEXT_PERMUTATIONS` for text).
    Only columns at the floor are tested again, so each p-value is still a valid one
    (below the floor it is the longer run's, valid on its own). Rewrites ``p_value`` in
    place (nothing else: the effect does not change); True when some column was."""
    from dataqa.drift.twosample import mmd_test
    from dataqa.drift.univariate import COLUMN_SPLITS

    if correction == "none":
        return False
    wanted = int(np.ceil(2 * len(columns) / alpha))
    floors = {"numeric": COLUMN_SPLITS, "categorical": COLUMN_SPLITS, "text": n_permutations}
    caps = {"numeric": MAX_COLUMN_SPLITS, "categorical": MAX_COLUMN_SPLITS,
            "text": MAX_TEXT_PERMUTATIONS}
    # (twice the floor: a numeric column's missing-share test doubles its p-value)
    floor = columns["kind"].map(lambda k: 2.0 / (floors.get(k, 0) + 1) * (1 + 1e-9))
    more = columns["kind"].map(lambda k: min(caps.get(k, 0), wanted) > floors.get(k, 0))
    again = columns.index[(columns["p_value"] <= floor) & more
                          & (columns["effect"] >= min_effect) & ~columns["drifted"]
                          & columns["kind"].isin(list(floors))
                          & (columns["test"] != "fisher (missing share)")
                          & columns["column"].isin(list(kinds))]
    if not len(again):
        return False
    with progress_task("column tests at their floor, with more splits", len(again),
                       enabled=progress) as advance:
        for i in again:
            col, kind = columns.at[i, "column"], columns.at[i, "kind"]
            splits = min(caps[kind], wanted)
            if kind == "text":
                block = feats.text_blocks[col]
                p = mmd_test(feats.reference[:, block], feats.current[:, block],
                             n_permutations=splits, random_state=seed)[1]
            else:
                p = column_test(ref[col], cur[col], kind, numeric_test=numeric_test,
                                random_state=seed, n_permutations=splits,
                                excess=False)["p_value"]
            columns.at[i, "p_value"] = p
            advance()
    return True


#: A column of lists longer than this is compared as whole lists, not position by position.
MAX_LIST_POSITIONS = 1024


def _is_list(v) -> bool:
    return isinstance(v, (list, tuple, np.ndarray))


_NO_LIST = -1  # a column with no value at all: takes the other table's list length


def _list_length(s: pd.Series) -> int | None:
    """The common length of a column whose values (missing ones aside) are all flat lists,
    tuples or arrays of one length; :data:`_NO_LIST` when every value is missing (a
    window or file where the field was never filled); None otherwise (a value that is not
    a list, lists of several lengths, or lists holding lists)."""
    if not pd.api.types.is_object_dtype(s) and not s.isna().all():
        return None
    is_list = s.map(_is_list).to_numpy(dtype=bool)
    if not is_list.any():
        return _NO_LIST if s.isna().all() else None
    if (s.notna().to_numpy(dtype=bool) & ~is_list).any():
        return None  # a value that is neither a list nor missing
    vals = s[is_list]
    lengths = set(vals.map(len))
    if len(lengths) != 1:
        return None
    if any(_is_list(x) or isinstance(x, dict) for v in vals
           if not (isinstance(v, np.ndarray) and v.dtype != object) for x in v):
        return None  # nested lists (Parquet's lists of lists) stay whole values
    return lengths.pop()


def _number_rows(s: pd.Series, k: int) -> np.ndarray | None:
    """The lists of ``s`` as a float matrix (n, k), a missing list as NaN, when every
    list holds numbers only (not booleans); None otherwise."""
    rows = []
    for v in s:
        if not _is_list(v):
            rows.append(np.full(k, np.nan))
            continue
        a = np.asarray(v)
        if a.dtype.kind not in "iuf":
            return None
        rows.append(a.astype(np.float64))
    return np.vstack(rows) if rows else np.empty((0, k))


def _number_position(v: np.ndarray) -> np.ndarray:
    """One position of numbers (float, NaN = missing) as a test column: whole numbers with
    at most 20 distinct values as categories, written as text ("-1"), others as they are."""
    present = v[~np.isnan(v)]
    if (present.size and np.isfinite(present).all() and (present == np.round(present)).all()
            and len(np.unique(present)) <= 20):
        return np.array([None if x != x else str(int(x)) for x in v], dtype=object)
    return v


def _position_values(values: np.ndarray) -> np.ndarray:
    """One position's pooled values (objects) as a test column: numbers as
    :func:`_number_position` says, text and booleans as categories (text)."""
    missing = [x is None or (isinstance(x, float) and x != x) for x in values]
    present = [x for x, gone in zip(values, missing, strict=True) if not gone]
    if present and all(isinstance(x, (int, float, np.number))
                       and not isinstance(x, (bool, np.bool_)) for x in present):
        return _number_position(np.array([np.nan if gone else x for x, gone
                                          in zip(values, missing, strict=True)],
                                         dtype=np.float64))
    # categories, as text ("-1", "true"); a whole float reads as its integer
    return np.array([None if gone else str(int(x)) if isinstance(x, float) and np.isfinite(x)
                     and x == int(x) else str(x) for x, gone in zip(values, missing, strict=True)],
                    dtype=object)


def _expand_lists(ref: pd.DataFrame, cur: pd.DataFrame, feature_columns, reserved):
    """Split each compared column of flat lists of one length (as JSON and Parquet keep
    weak labels, tags per position or vectors) into one column per position, named
    ``col[0]``, ``col[1]``, ...: which position moved is what a user needs to know (which
    labeling function fires more often), and a whole list compared as one category says
    only that some list changed. See :func:`_position_values` for each position's kind.
    ``feature_columns`` may name a list column (all its positions) or positions
    (``col[3]``; as :func:`~dataqa.drift.drift_windows` passes the whole run's). Returns
    the tables, the feature columns with each list column replaced by its positions,
    and {list column: its positions}."""
    named_positions: dict[str, list[str]] = {}
    if feature_columns is not None:
        candidates = []
        for c in feature_columns:
            m = re.fullmatch(r"(.*)\[(\d+)\]", str(c))
            if c in ref.columns and c in cur.columns:
                candidates.append(c)
            elif m and m.group(1) in ref.columns and m.group(1) in cur.columns:
                named_positions.setdefault(m.group(1), []).append(c)
        candidates += [c for c in named_positions if c not in candidates]
    else:
        candidates = [c for c in ref.columns if c in set(cur.columns) and c not in reserved]
    expanded = {}
    for col in candidates:
        lengths = {_list_length(df[col]) for df in (ref, cur)}
        lengths.discard(_NO_LIST)
        if len(lengths) != 1 or None in lengths:
            continue
        k = lengths.pop()
        if not 1 <= k <= MAX_LIST_POSITIONS:
            continue
        names = [f"{col}[{i}]" for i in range(k)]
        if any(n in ref.columns or n in cur.columns for n in names):
            continue  # the tables already hold columns of those names
        numbers = [_number_rows(df[col], k) for df in (ref, cur)]
        numeric = all(m is not None for m in numbers)
        if numeric:  # numbers only (vectors, votes): one float matrix, no per-value loop
            matrix = np.concatenate(numbers)
        else:
            pooled = np.concatenate([
                np.array([list(v) if _is_list(v) else [None] * k for v in df[col]],
                         dtype=object).reshape(len(df), k) for df in (ref, cur)])
        frames = [{}, {}]
        for i, name in enumerate(names):
            column = (_number_position(matrix[:, i]) if numeric
                      else _position_values(pooled[:, i]))
            frames[0][name], frames[1][name] = column[:len(ref)], column[len(ref):]
        ref = pd.concat([ref.drop(columns=col), pd.DataFrame(frames[0], index=ref.index)],
                        axis=1)
        cur = pd.concat([cur.drop(columns=col), pd.DataFrame(frames[1], index=cur.index)],
                        axis=1)
        expanded[col] = names
    if feature_columns is not None:  # a list by its positions; a named position if made
        made = {n for names in expanded.values() for n in names}
        named = {n for names in named_positions.values() for n in names}
        feature_columns = list(dict.fromkeys(
            n for c in feature_columns
            for n in (expanded.get(c) or ([c] if c not in named or c in made else []))))
    return ref, cur, feature_columns, expanded


def _skipped_missing_rows(ref: pd.DataFrame, cur: pd.DataFrame, skipped: dict) -> list[dict]:
    """The missing-share rows of the shared time and identifier columns left out of the
    value tests, for those with a missing value in either table (a column full in both has
    no missing share to compare). In a time column a blank or a missing-value text
    (``NaT``, ``null``) counts as missing, as the windows count it, and so does a 0 among
    Unix times."""
    from dataqa.drift.windows import _blank_times

    rows = []
    for col, why in skipped.items():
        if col not in ref.columns or col not in cur.columns or "only in the" in why:
            continue  # a column of one table: nothing to compare
        kind = "time" if why.startswith("a time column") else "identifier"
        r, c = ref[col], cur[col]
        if kind == "time":
            r, c = (s.mask(_blank_times(s)) for s in (r, c))
            if "Unix times" in why:  # a 0 there is a missing time written as 0
                r, c = (s.mask(s == 0) for s in (r, c))
        if not (r.isna().any() or c.isna().any()):
            continue
        rows.append({"column": col, "kind": kind, **missing_share_test(r, c),
                     "missing_reference": float(r.isna().mean()),
                     "missing_current": float(c.isna().mean())})
    return rows


def _warn_padded_labels(cur: pd.DataFrame, label_column: str, table: str) -> None:
    """Warn when current labels have white space around them (``'spam '``): they are read
    without it, as the reference's are (where the same warning is given)."""
    if label_column not in cur.columns:
        return
    from dataqa.data import _padded_labels

    padded = _padded_labels(cur[label_column])
    if padded:
        import warnings

        warnings.warn(
            f"label column {label_column!r} of {table}: {len(padded):,} label "
            f"{'cells have' if len(padded) > 1 else 'cell has'} white space around the text "
            f"(e.g. {padded[0]!r}); read without it.", UserWarning,
            stacklevel=caller_stacklevel())


def _refuse_case_variants(cur: pd.DataFrame, label_column: str, names, table: str) -> None:
    """Refuse current labels that spell a reference class in another case (``HAM`` for
    ``ham``), as a reference that spells one class two ways is refused: counted as
    another class they would read as the model's errors."""
    if label_column not in cur.columns:
        return
    from dataqa.errors import LabelError, _case_variants

    values = cur[label_column]
    is_text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    if not is_text.any():
        return
    text = values[is_text].astype(object).str.strip()
    meant = _case_variants(pd.unique(text), names)
    if not meant:
        return
    odd = text[text.isin(list(meant))]
    counts = odd.value_counts()
    shown = "; ".join(f"{v!r} ({int(c):,} row{'s' if c != 1 else ''}) for {meant[v]!r}"
                      for v, c in list(counts.items())[:5])
    more = f"; ... (+{len(counts) - 5} more)" if len(counts) > 5 else ""
    rows = [int(r) + 1 for r in np.flatnonzero(values.index.isin(odd.index))]
    listed = ", ".join(map(str, rows[:5])) + (f", ... (+{len(rows) - 5} more)"
                                               if len(rows) > 5 else "")
    raise LabelError(
        f"label column {label_column!r} of {table} spells reference classes in another "
        f"case: {shown}{more} (rows {listed}, {_counted(values)}). Case may be "
        f"meaningful, so they are not merged: write each class as the reference does and "
        f"run again.")


def _warn_other_class_names(cur: pd.DataFrame, label_column: str, names) -> None:
    """Warn when the current table has labels in the label column and they name none of
    the reference's classes (``0``/``1`` against ``ham``/``spam``): the rows that hold
    them count as labeled and are left out of the labeling queue, which is wrong if the
    column holds something else; if they are labels, they disagree with the model's
    predictions throughout."""
    if label_column not in cur.columns:
        return
    raw = cur[label_column].dropna()
    if pd.api.types.is_float_dtype(raw):  # 1.0 for 1 in a column with empty cells
        raw = pd.Series([str(int(v)) if float(v).is_integer() else str(v) for v in raw],
                        dtype=object)
    seen = pd.unique(raw.astype(str).str.strip())
    seen = [v for v in seen if v]
    known = {str(n) for n in names}
    if seen and not known & set(seen):
        import warnings

        from dataqa.drift.result import _carries_label

        shown = ", ".join(map(repr, seen[:5])) + (", ..." if len(seen) > 5 else "")
        n = int(_carries_label(cur[label_column]).sum())
        warnings.warn(
            f"the current table's label column {label_column!r} holds {shown}, none of the "
            f"reference's classes ({', '.join(map(repr, sorted(known)[:5]))}"
            f"{', ...' if len(known) > 5 else ''}): the two tables name their classes "
            f"differently. Rows with a value there ({n} of the {len(cur)} current rows) count "
            f"as labeled: they are left out of the labeling queue (queue.csv) and count as "
            f"wrong in the accuracy on labeled rows. Write the labels "
            f"alike in both files, or drop the column from the current table if it holds no "
            f"labels.",
            UserWarning, stacklevel=caller_stacklevel())


def detect_drift(reference, current, *, feature_columns: Sequence[str] | None = None,
                 text_column: str | None = None, label_column: str | None = None,
                 id_column: str | None = None, model=None, alpha: float = 0.05,
                 correction: str = "fdr", min_effect: float = DEFAULT_MIN_EFFECT,
                 numeric_test: str = "auto", multivariate: Sequence[str] = MULTIVARIATE_TESTS,
                 n_permutations: int = 500, random_state=0, text_features: str = "tfidf",
                 ood_score: str = "msp", progress: bool | None = None, _part: bool = False,
                 _embed=None, _features=None, _kinds: dict | None = None,
                 _keep_features: bool = False, _skipped: dict | None = None,
                 _as_read: pd.DataFrame | None = None) -> DriftResult:
    """Compare ``current`` with ``reference``: per column, as a whole and through a model.

    Parameters
    ----------
    reference, current : DataFrame or path (any format :func:`dataqa.data.load_table`
        reads; a folder of such files or a glob pattern is read as one table, the files
        in name order: :func:`dataqa.data.load_tables`), at least 10 rows each.
    feature_columns : list of str, optional
        Columns to compare (default: every column the two tables share except the
        label, id and text columns, with the text column added back; shared time
        columns, dates written as text and identifier-like string columns (at least
        :data:`ID_DISTINCT_SHARE` of values distinct in each table, at most
        :data:`ID_SHARED_SHARE` of the current ones seen in the reference) and row
        numbers (distinct whole numbers that count the rows, or in a column named as
        pandas names a saved index, ``Unnamed: 0``) are left out
        and listed in ``settings["skipped_columns"]``, beside the columns only one table
        has). A left-out time or identifier column with missing values is still compared
        by its missing share (a row of ``.columns`` of kind ``"time"`` or
        ``"identifier"``, test ``"fisher (missing share)"``): a date that stopped being
        filled in production is reported).
    text_column : str, optional
        A free-text column: compared through TF-IDF (or, with ``text_features``,
        sentence-embedding) + SVD features (an MMD test on them; effect: the largest
        normalised Wasserstein distance over the components). Object columns of long,
        mostly distinct strings are treated as text too.
    label_column : str, optional
        Reference labels: turns on the model checks (prediction shift, label shift,
        estimated accuracy, OOD share). When the current table has the column too, it is
        not compared, and its rows that already carry a label (a value neither missing
        nor blank) are left out of ``result.label_queue()``: they need no annotator.
    id_column : str, optional
        Item ids of the current table (default: content hashes).
    model : scikit-learn classifier, optional
        With ``label_column``: the estimator used instead of logistic regression
        (cloned, fitted on dataqa's features of the reference). Without it: a fitted
        model whose ``predict_proba`` takes the compared columns as a DataFrame (e.g. a
        pipeline); it gives the prediction shift, the OOD share (reference scores are
        in-sample then) and the uncertainty of the labeling queue, but no label shift or
        accuracy (those need reference labels).
    alpha : float
        Significance level, after ``correction`` over the columns.
    correction : {"fdr", "bonferroni", "none"}
        Benjamini-Hochberg (false discovery rate) or Bonferroni over the columns.
    min_effect : float
        A column is ``drifted`` when its adjusted p-value is <= alpha **and** its effect
        is >= ``min_effect`` (default :data:`DEFAULT_MIN_EFFECT`), so very large samples
        do not alarm on trivial shifts.
    numeric_test : {"auto", "ks", "cvm", "binned_chi2"}
        ``"auto"``: :func:`~dataqa.drift.twosample.binned_chi2_test` for numeric columns
        with at most 20 distinct values (it sees any change in the values' shares, where KS
        sees only changes of the cumulative distribution), KS otherwise.
    multivariate : sequence of {"mmd", "classifier"}
        Whole-table tests to run (``()`` for none).
    n_permutations : int
        Permutations of every MMD test.
    random_state : int
    text_features : {"tfidf", "embedding"}
        How text columns become features: TF-IDF (default) or sentence embeddings
        (all-MiniLM-L6-v2 from the ``text`` extra, read from the installed package),
        each reduced by truncated SVD to 32 components for the tests. The model checks
        use the full embeddings, or TF-IDF fitted per fold.
    ood_score : str
        The OOD score of the model checks' OOD share (``result.ood``; higher = more
        unfamiliar): ``"msp"`` (default) or ``"entropy"`` (from the model's
        probabilities), ``"knn"`` (distance to the 50th nearest reference row in the
        drift features, fewer in small references) or ``"mahalanobis"`` (to the nearest
        class mean; needs ``label_column``). Used with ``label_column`` or ``model``. Reference rows are scored out-of-fold, each current
        row as the fold it is dealt to (see :func:`dataqa.drift.model_checks.deal_rows`).
    progress : bool, optional
        Show each stage (features, column tests, whole-table tests, model checks) on
        stderr; default: when stderr is a terminal.

    Returns
    -------
    DriftResult
        ``.drifted`` is True when any column is drifted; the multivariate tests are
        reported beside it, each with its p-value, in ``.multivariate``.
    """
    if correction not in CORRECTIONS:
        raise UnknownNameError("correction", str(correction), CORRECTIONS)
    if numeric_test not in NUMERIC_TESTS:
        raise UnknownNameError("numeric test", str(numeric_test), NUMERIC_TESTS)
    for name in multivariate:
        if name not in MULTIVARIATE_TESTS:
            raise UnknownNameError("multivariate test", str(name), MULTIVARIATE_TESTS)
    if text_features not in DRIFT_TEXT_FEATURES:
        raise InvalidSettingError(f"text_features={text_features!r} is not known; use "
                                  f"{' or '.join(DRIFT_TEXT_FEATURES)} (--text-features).")
    from dataqa.drift.model_checks import check_ood_score

    check_ood_score(ood_score, has_labels=label_column is not None)
    a = float(alpha)
    if not 0 < a < 1:
        raise InvalidSettingError(f"alpha={alpha!r} must lie strictly between 0 and 1.")
    eff = float(min_effect)
    if not np.isfinite(eff) or eff < 0:
        raise InvalidSettingError(f"min_effect={min_effect!r} must be a number >= 0.")
    check_int(n_permutations, "n_permutations")
    if (1.0 / (int(n_permutations) + 1) > a and _features is None  # (not per window)
            and ("mmd" in multivariate or text_column is not None)):
        warnings.warn(
            f"with {int(n_permutations)} permutations (--permutations; API: n_permutations) "
            f"an MMD p-value is at least 1/{int(n_permutations) + 1} = "
            f"{1.0 / (int(n_permutations) + 1):.3g}, above alpha {a:g}: the MMD tests (of the "
            f"whole table and of text columns) can never alarm. Use at least "
            f"{int(np.ceil(1.0 / a)) - 1} (the default is 500).", UserWarning,
            stacklevel=caller_stacklevel())
    if isinstance(random_state, (int, np.integer)) and random_state < 0:
        raise InvalidSettingError(f"random_state={random_state!r} must be an integer >= 0 "
                                  f"(--seed).")
    if isinstance(feature_columns, str):  # one name, not its letters
        feature_columns = [feature_columns]
    _check_one_column(text_column=text_column, label_column=label_column, id_column=id_column)
    if label_column is not None and label_column == id_column:
        raise InvalidSettingError(
            f"{label_column!r} is named both the label column and the id column "
            f"(--label-column, --id-column; API: label_column, id_column); name the column "
            f"of ids as the id column and the class labels as the label column.")
    keep = (label_column, text_column, id_column)
    ref = _as_frame(reference, "reference", [label_column, text_column], keep)
    read: list = []
    cur = _as_frame(current, "current", [label_column, text_column], keep, read_out=read)
    cur_read = _as_read if _as_read is not None else read[0]
    ref, cur = _align_leading_zeros(ref, cur)  # zip codes: text in both, or in neither
    ref, cur = _align_missing_words(ref, cur)  # 'NA' kept as text where the other has numbers
    if not isinstance(reference, pd.DataFrame):  # (read here: said here)
        _warn_missing_words_kept(ref)
    if not isinstance(current, pd.DataFrame):
        _warn_missing_words_kept(cur)
    if id_column is not None and id_column in set(feature_columns or ()):
        warnings.warn(f"id column {id_column!r} is also named in --feature-column "
                      f"(API: feature_columns): its values are compared as a feature; ids "
                      f"differ between any two tables, so it will likely drift.",
                      UserWarning, stacklevel=caller_stacklevel())
    if label_column is not None and label_column not in ref.columns:
        raise MissingColumnError(label_column, [str(c) for c in ref.columns],
                                 role="label column", table="the reference table")
    if id_column is not None and id_column not in cur.columns:
        raise MissingColumnError(id_column, [str(c) for c in cur.columns], role="id column",
                                 table="the current table")
    if label_column is not None:
        text_cols = [] if text_column is None else [text_column]
        if label_column in set(feature_columns or ()) | set(text_cols):
            role = "--text-column (API: text_column)" if label_column in text_cols else \
                "--feature-column (API: feature_columns)"
            raise InvalidSettingError(
                f"label column {label_column!r} is also named in {role}: the model checks would "
                f"learn the labels from themselves (an estimated accuracy of 1). Leave it out of "
                f"{role.split(' ')[0]}; to compare the labels' shares, run without --label-column "
                f"(API: label_column).")
    reserved = {c for c in (label_column, id_column, text_column) if c is not None}
    ref_given, cur_given = ref, cur
    ref, cur, feature_columns, lists = _expand_lists(ref, cur, feature_columns, reserved)
    positions = frozenset(n for names in lists.values() for n in names)
    kinds, skipped = _columns(ref, cur, feature_columns, text_column, reserved, part=_part,
                              positions=positions)
    if _kinds is not None:  # a window or chunk: the whole run's kinds, as its features
        kinds = {c: _kinds.get(c, k) for c, k in kinds.items()}
    # a window's or chunk's result is only summarised: its rows need no content ids
    if _part:
        ids = np.arange(len(cur)).astype(str).astype(object)
    else:
        # a copy of a row is a copy whether or not a late label reached it
        late = (label_column is not None and id_column is not None
                and label_column in cur_given.columns and label_column != id_column)
        # (of the table as read: its durations, blanks and kept words as other commands
        # read them, so that the ids are theirs)
        ids = make_ids(cur_read.drop(columns=[label_column]) if late else cur_read,
                       id_column, source=_which(cur_given, "current"), copies_ok=True)
        from dataqa.data import check_cell_lengths

        # a cell of millions of characters: an unclosed quote swallowed the file's rest
        # (the tables as compared: a list column's items are columns of their own there)
        for col in [c for c, k in kinds.items() if k == "text"]:
            check_cell_lengths(ref, col, source=_which(ref_given, "reference"))
            check_cell_lengths(cur, col, ids, source=_which(cur_given, "current"))
    if label_column is not None:  # checked before the long work
        from dataqa.data import _clean_text_labels, effective_folds

        # 'spam ' is 'spam' (with a warning); 'spam' and 'Spam' are refused
        labels = _clean_text_labels(ref[label_column], label_column,
                                    _which(ref_given, "reference"))
        y, names = encode_labels(labels, column=label_column,
                                 purpose="estimating label shift and accuracy",
                                 table=_which(ref_given, "reference"),
                                 hint=" Or leave --label-column (API: label_column) out: "
                                      "the tables are then compared without the model "
                                      "checks.")
        # a class of one row (a typo, say) cannot be predicted out of fold: named here
        effective_folds(y, names, 2, where=f" of label column {label_column!r} of "
                                           f"{_which(ref_given, 'reference')}",
                        counted=_counted(ref_given))
        if not _part:
            _warn_padded_labels(cur_given, label_column, _which(cur_given, "current"))
            _refuse_case_variants(cur_given, label_column, names,
                                  _which(cur_given, "current"))
            _warn_other_class_names(cur_given, label_column, names)
    seeds = np.random.default_rng(random_state).integers(2**31 - 1, size=4)

    # text column -> its texts' n-gram counts, read once, for the model checks' per-fold
    # TF-IDF (kept only for them: held, they cost about 8 bytes per n-gram of each text)
    counted: dict | None = ({} if label_column is not None and text_features == "tfidf"
                            else None)
    if _features is not None:  # a window's or chunk's rows of the whole run's features
        feats = _features
    else:
        if text_features == "embedding" and any(k == "text" for k in kinds.values()):
            from dataqa.drift.multivariate import CachedEmbedder, pooled_texts

            # embedded first, under a counted bar of their own (the longest step by far)
            _embed = _embed if _embed is not None else CachedEmbedder()
            _embed([t for c, k in kinds.items() if k == "text"
                    for t in pooled_texts(ref, cur, c)], progress=progress)
        with progress_stage("features", enabled=progress):
            feats = build_features(ref, cur, kinds, random_state=int(seeds[0]),
                                   text_features=text_features, embed=_embed,
                                   counted=counted)
    # the left-out columns compared by their missing share count as column tests too
    missing = _skipped_missing_rows(ref, cur, skipped if _skipped is None else _skipped)
    with progress_task("column tests", len(kinds) + len(missing), enabled=progress) as advance:
        rows = _column_rows(ref, cur, kinds, feats, numeric_test, n_permutations,
                            int(seeds[1]), advance, part=_part, positions=positions)
        if missing:
            advance(len(missing))
    rows += missing
    columns = pd.DataFrame(rows)
    columns["p_adjusted"] = adjust_p_values(columns["p_value"], correction)
    columns["drifted"] = (columns["p_adjusted"] <= a) & (columns["effect"] >= eff)
    if _refine_at_floor(columns, ref, cur, kinds, feats, numeric_test, int(n_permutations),
                        int(seeds[1]), a, eff, correction, progress):
        columns["p_adjusted"] = adjust_p_values(columns["p_value"], correction)
        columns["drifted"] = (columns["p_adjusted"] <= a) & (columns["effect"] >= eff)
    columns = columns.reindex(columns=["column", "test", "statistic", "p_value", "p_adjusted",
                                       "effect", "drifted", "kind", "effect_name", "psi",
                                       "missing_reference", "missing_current",
                                       "unseen_current", "largest_change"])

    with progress_stage(f"whole-table tests ({', '.join(multivariate) or 'none'})",
                        enabled=progress if multivariate else False):
        # a table of one text column: the whole-table MMD is that column's, on the same
        # rows with the same permutations, so that one test has one p-value
        blocks = list(feats.text_blocks.values())
        alone = (len(blocks) == 1 and blocks[0].start == 0
                 and blocks[0].stop == feats.reference.shape[1])
        multi, extra = multivariate_tests(feats, tests=tuple(multivariate),
                                          n_permutations=n_permutations,
                                          random_state=int(seeds[1] if alone else seeds[2]))
    for v in multi.values():
        v["drifted"] = bool(v["p_value"] <= a)

    result = DriftResult(
        drifted=bool(columns["drifted"].any()), columns=columns, multivariate=multi,
        ids=np.asarray(ids, dtype=object), current=cur_given, text_column=text_column,
        id_column=id_column, label_column=label_column,
        unlike_scores=extra.get("current_scores"), driving_features=extra.get("driving"),
        settings={"alpha": a, "correction": correction, "min_effect": eff,
                  "numeric_test": numeric_test, "n_permutations": int(n_permutations),
                  "text_features": text_features, "ood_score": ood_score,
                  "random_state": _json_seed(random_state), "skipped_columns": skipped,
                  "list_columns": {c: len(n) for c, n in lists.items()},
                  # the files read (with each file's rows, for a folder or pattern)
                  **{f"{name}_source": str(t.attrs[_SOURCE_ATTR])
                     for name, t in (("reference", ref_given), ("current", cur_given))
                     if t.attrs.get(_SOURCE_ATTR) and not _part}},
        n_reference=len(ref), n_current=len(cur))
    if _keep_features:  # drift_windows reuses them for every window and chunk
        result._features = (feats, kinds)
    if label_column is not None:
        from dataqa.drift.model_checks import _run_model_checks

        with progress_stage("model checks (out-of-fold fits on the reference)",
                            enabled=progress):
            if text_features == "embedding":
                n = len(ref)
                texts = {c: (E[:n], E[n:]) for c, E in feats.embeddings.items()}
            else:
                texts = {c: tuple(t[c].fillna("").astype(str).to_numpy(object)
                                  for t in (ref, cur))
                         for c, kind in kinds.items() if kind == "text"}
            _run_model_checks(result, feats, y, [str(n) for n in names], model=model,
                              correction=correction, alpha=a, random_state=int(seeds[3]),
                              texts=texts, text_features=text_features, ood_score=ood_score,
                              counted=counted)
        counted = None  # (freed)
        if label_column in cur_given.columns and not _part:  # labels some rows already have
            from dataqa.drift.observed import observed_accuracy

            result.observed_accuracy = o = observed_accuracy(
                result.current_probs, cur_given[label_column].to_numpy(dtype=object), names)
            if o is not None and 0 < o["n_other_class"] < o["n"]:  # (none known: said)
                shown = ", ".join(map(repr, o["other_classes"][:5]))
                warnings.warn(
                    f"{o['n_other_class']} of the {o['n']} current rows that carry a label in "
                    f"{label_column!r} hold a value that is no class of the reference "
                    f"({shown}{', ...' if len(o['other_classes']) > 5 else ''}): they count "
                    f"as wrong in the accuracy on labeled rows and are left out of the "
                    f"labeling queue. Write the classes alike in both files (or empty those "
                    f"cells if they mean no label).", UserWarning, stacklevel=caller_stacklevel())
    elif model is not None:
        from dataqa.drift.model_checks import _run_fitted_model_checks

        parent = {n: c for c, names in lists.items() for n in names}
        given = list(dict.fromkeys(parent.get(c, c) for c in kinds))  # as the model reads them
        _run_fitted_model_checks(result, model, ref_given[given], cur_given[given],
                                 correction=correction, alpha=a, ood_score=ood_score,
                                 feats=feats, random_state=int(seeds[3]))
    return result
