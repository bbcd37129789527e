"""Errors raised by dataqa.

Every error is a :class:`DataqaError`. Each message says what was wrong (naming the
column, rows, labeling function or setting) and what to do about it. The CLI turns a
``DataqaError`` into exit code 2 with the message and no traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = [
    "DataqaError",
    "DataLoadError",
    "IncompleteFolderError",
    "MissingColumnError",
    "EmptyDataError",
    "LabelError",
    "TooFewClassesError",
    "SmallClassError",
    "DuplicateIdError",
    "FeatureTypeError",
    "ColumnValueError",
    "LengthMismatchError",
    "InvalidSettingError",
    "UnknownNameError",
    "NotFittedError",
    "MissingInputError",
    "OODInputError",
    "LabelingFunctionError",
    "LFFaultWarning",
    "LedgerError",
    "LabelStudioError",
    "LabelStudioConnectionError",
    "LabelStudioAuthError",
    "LabelStudioProjectError",
    "PushInterrupted",
    "OptionalDependencyError",
    "format_ids",
    "format_rows",
]


def format_ids(ids: Iterable[object], limit: int = 5) -> str:
    """Render the first ``limit`` ids for an error message (``'a', 'b', ... (+3 more)``)."""
    ids = list(ids)
    shown = ", ".join(repr(str(i)) for i in ids[:limit])
    if len(ids) > limit:
        shown += f", ... (+{len(ids) - limit} more)"
    return shown


def format_rows(positions: Iterable[int], limit: int = 5) -> str:
    """Row numbers counted from 1 for 0-based ``positions``, the first ``limit`` and how
    many more (``3, 7, ... (+2 more)``)."""
    rows = [int(p) + 1 for p in positions]
    shown = ", ".join(str(r) for r in rows[:limit])
    if len(rows) > limit:
        shown += f", ... (+{len(rows) - limit} more)"
    return shown


def _case_variants(values: Iterable[str], names: Iterable[object]) -> dict[str, str]:
    """Each of ``values`` that is not one of ``names`` but differs from exactly one of them
    only in case (``'Spam'`` for ``'spam'``), mapped to that name, in the order given: what
    a person typing a class meant. Names that differ only in case from each other match
    nothing."""
    names = [str(n) for n in names]
    folded: dict[str, list[str]] = {}
    for n in names:
        folded.setdefault(n.casefold(), []).append(n)
    known = set(names)
    return {v: folded[v.casefold()][0] for v in dict.fromkeys(values)
            if v not in known and len(folded.get(v.casefold(), [])) == 1}


def _lost_zeros_hint(unknown: list[str], known: Iterable[str], *, whose: str,
                     read_as: str) -> str:
    """When ids of ``unknown`` are ones of ``known`` without their leading zeros (``291``
    for ``00291``, as a spreadsheet saves ids it reads as numbers), a parenthesis saying so
    (``whose``: "the plan's"; ``read_as``: how to read the file with the ids as text),
    naming how many when only some are; else ``""``."""
    known = list(known)
    stripped = {i.lstrip("0"): i for i in known if i[:1] == "0" and i.isdigit()}
    # (fewer zeros than the plan's id: "001607" for "01607" lost none)
    lost = [i for i in unknown if i.isdigit() and i.lstrip("0") in stripped
            and len(i) < len(stripped[i.lstrip("0")])]
    whole = set(known)
    floated = [i for i in unknown if re.fullmatch(r"\d+\.0+", i) and i.split(".")[0] in whole]
    if floated and not lost:
        which = "they are" if len(floated) == len(unknown) else (
            f"{len(floated)} of them {'is' if len(floated) == 1 else 'are'}")
        return (f" ({which} {whose} ids written as decimal numbers, e.g. {floated[0]!r} for "
                f"{floated[0].split('.')[0]!r}, as pandas writes a column of whole numbers "
                f"that has a blank cell: write the ids as the plan does, e.g. with "
                f"df['id'].astype('Int64') before saving)")
    if lost:
        which = "they are" if len(lost) == len(unknown) else (
            f"{len(lost)} of them {'is' if len(lost) == 1 else 'are'}")
        return (f" ({which} {whose} ids without their leading zeros, e.g. {lost[0]!r} for "
                f"{stripped[lost[0].lstrip('0')]!r}, as a spreadsheet saves ids it reads as "
                f"numbers: format the id column as text, or {read_as})")
    return _rounded_ids_hint(unknown, known, whose=whose)


#: A number as a spreadsheet shows a long one: ``1.05051E+15``.
_SCIENTIFIC = re.compile(r"[0-9](?:[.,][0-9]+)?[eE]\+?[0-9]{1,3}")


def _rounded_ids_hint(unknown: list[str], known: list[str], *, whose: str) -> str:
    """When ids of ``unknown`` are written as a spreadsheet shows long numbers
    (``1.05051E+15``) and some of ``known`` are all digits, a parenthesis saying that
    the spreadsheet rounded those ids (their digits are lost, so they cannot be matched);
    else ``""``."""
    shown = [i for i in unknown if _SCIENTIFIC.fullmatch(i.strip())]
    digits = [i for i in known if i.isdigit() and len(i) > 11]
    if not shown or not digits:
        return ""
    text = shown[0].strip().replace(",", ".")
    value = float(text)
    mantissa, exponent = re.split("[eE]", text)
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    half_step = 0.5 * 10.0 ** (int(exponent) - decimals)  # what the shown digits leave open
    near = [i for i in digits if abs(float(i) - value) <= half_step]
    like = f" (perhaps {near[0]!r}, the one id it can be)" if len(near) == 1 else ""
    one = len(shown) == 1
    which = ("it is" if len(unknown) == 1 else "they are" if len(shown) == len(unknown) else
             f"{len(shown)} of them {'is' if one else 'are'}")
    return (f" ({which} {whose} all-digit id{'' if one else 's'} rounded by a spreadsheet, "
            f"e.g. {shown[0]!r}{like}: the digits are lost. Copy the id column of the file "
            f"dataqa wrote over the saved one (its rows are in the same order unless they "
            f"were sorted), and before saving from a spreadsheet format the id column as "
            f"text)")


class DataqaError(Exception):
    """Base class of every error dataqa raises on purpose.

    Every one pickles (a worker process sends it back as it was raised), whatever its
    ``__init__`` takes: it is rebuilt from its message and attributes."""

    def __reduce__(self):
        return _rebuild_error, (type(self), self.args, self.__dict__)


def _rebuild_error(cls, args, state):
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class DataLoadError(DataqaError):
    """A table could not be read (unknown format, unreadable file)."""


class IncompleteFolderError(DataLoadError):
    """An output folder whose writing did not finish (it holds ``INCOMPLETE.json``, see
    :mod:`dataqa.outdir`): its files may be of two runs."""


def _data_like(name: object, *, loose: bool = False) -> bool:
    """Whether a column name looks like a data value: a number (not a year), a long
    text with spaces, or with ``loose`` five words or more (a short message: "Ok lar...
    Joking wif u oni...", but also a survey's question: only for a hint that says "if")."""
    import re

    text = str(name).strip()
    return bool(re.fullmatch(r"[-+]?\d+([.,]\d+)+|[-+]?\d+[.,]?", text)
                and not re.fullmatch(r"(1[89]|20)\d\d", text)  # years name columns
                ) or (len(text) > 40 and text.count(" ") >= 3) or (loose and len(text.split()) >= 5)


def _header_hint(names: Sequence[object]) -> str:
    """A hint when a file's column names look like its first data row (a file without a
    header read with one): a name that is a number, or a long text with spaces."""
    # names a table built in memory gets (0, 1, 2) are no header line
    if not names or all(isinstance(n, (int, np.integer)) for n in names) or not any(
            _data_like(n, loose=True) for n in names if isinstance(n, str)):
        return ""
    return (" The names look like a first data row: if the file has no header line, read it "
            "with --no-header --columns a,b,... (API: load_table(..., header=False, "
            "columns=[...])).")


def _near_hint(column: object, available: Sequence[object], role: str = "column") -> str:
    """A sentence naming a column that differs from ``column`` only in case or in white
    space around it, saying that ``column`` lists several columns, or naming a column
    whose name is close to it (a typo); else ``""``."""
    name = str(column)
    near = [c for c in available if str(c) != name
            and str(c).strip().casefold() == name.strip().casefold()]
    if near:
        same_case = str(near[0]).strip() == name.strip()
        same_space = str(near[0]).strip() != str(near[0]) or name.strip() != name
        how = ("white space around it" if same_case else
               "its case and white space around it" if same_space else "its case")
        return f" {near[0]!r} differs from {name!r} only in {how}: is that the one?"
    parts = [p.strip() for p in name.split(",")]
    if len(parts) > 1 and all(p in {str(c) for c in available} for p in parts):
        example = (f" (e.g. --feature-column {parts[0]} --feature-column {parts[1]}; API: a "
                   f"list)" if "feature" in role else "")
        return (f" {name!r} names {len(parts)} columns: name one per option, repeating the "
                f"option{example}.")
    import difflib

    # a typo (CONTNET for CONTENT): names of 4 characters or more, not numbers, one best
    key = name.strip().casefold()
    if not isinstance(column, str) or len(key) < 4 or key.isdigit():
        return ""
    by_fold = {str(c).strip().casefold(): c for c in available
               if isinstance(c, str) and not c.strip().isdigit()}
    scores = sorted(((difflib.SequenceMatcher(None, key, k).ratio(), k) for k in by_fold),
                    reverse=True)
    if scores and scores[0][0] >= 0.75 and (len(scores) == 1 or scores[1][0] < scores[0][0]):
        return f" Did you mean {by_fold[scores[0][1]]!r}?"
    return ""


class MissingColumnError(DataqaError, KeyError):
    """A named column is not in the table."""

    def __init__(self, column: str, available: Sequence[str], *, role: str = "column",
                 table: str = "the table", hint: str = "", fix: str | None = None) -> None:
        self.column = column
        self.available = list(available)
        # a name with white space around it is quoted, so that the space shows
        cols = ", ".join(repr(c) if isinstance(c, str) and c != c.strip() else str(c)
                         for c in self.available[:20])
        more = f" (+{len(self.available) - 20} more)" if len(self.available) > 20 else ""
        # a fix that already says how to read a file without a header is not repeated
        header = "" if fix and "--no-header" in fix else _header_hint(self.available)
        super().__init__(
            f"{role} {column!r} is not in {table}; "
            f"{'the table has' if table == 'the table' else 'its columns are'}: {cols}{more}."
            f"{_near_hint(column, self.available, role)} "
            f"{fix or 'Pass one of these names.'}{header}{hint}"
        )

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]


class EmptyDataError(DataqaError, ValueError):
    """Too little data for the work: a table with no rows (or none left after
    filtering), fewer rows than a method needs (drift detection: 10 per table), or a
    column with no value. The message says how many there are and how many are needed."""


class LabelError(DataqaError, ValueError):
    """Labels are missing, empty or not usable."""


class TooFewClassesError(LabelError):
    """Fewer than two classes are present."""


class SmallClassError(LabelError):
    """A class has too few members for the requested cross-validation."""


class DuplicateIdError(DataqaError, ValueError):
    """Item ids are not unique."""


class FeatureTypeError(DataqaError, TypeError):
    """A feature column is not numeric or a feature matrix is not usable."""


class ColumnValueError(FeatureTypeError):
    """A column LF cannot test a cell of its column: ``column``, the frame position ``pos``
    of the first such cell, its ``value``, the LF's ``test`` (e.g. ``n_caps > 3``) and
    ``advice``. :func:`dataqa.weak.apply_lfs` names the row by its id."""

    def __init__(self, column: str, pos: int, value: object, test: str,
                 advice: str = "") -> None:
        self.column, self.pos, self.value, self.test, self.advice = column, pos, value, test, advice
        super().__init__(f"{test} cannot be tested: column {column!r} is not numeric: position "
                         f"{pos} holds {value!r}{advice}")


class LengthMismatchError(DataqaError, ValueError):
    """Two inputs that must have one entry per item have different lengths."""


class InvalidSettingError(DataqaError, ValueError):
    """A setting (keyword argument, CLI option) has an invalid value."""


def _did_you_mean(name: object, known: list[str]) -> str:
    """" (did you mean 'x'?)" for a name written another way (case, - for _) or close to
    one known name, else ""."""
    import difflib

    if not isinstance(name, str):
        return ""
    plain = {str(k).lower().replace("-", "_").replace(" ", "_"): str(k) for k in known}
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    close = difflib.get_close_matches(key, list(plain), n=1, cutoff=0.8)
    match = plain.get(key) or (plain[close[0]] if close else None)
    return f" (did you mean {match!r}?)" if match is not None and match != name else ""


class UnknownNameError(DataqaError, KeyError):
    """A name looked up in a registry (method, strategy, label model) is unknown."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        self.known = sorted(known)
        super().__init__(
            f"unknown {kind} {name!r}; known {kind}s are: {', '.join(self.known)}"
            f"{_did_you_mean(name, self.known)}"
        )

    def __str__(self) -> str:
        return self.args[0]


class NotFittedError(DataqaError, AttributeError):
    """An estimator was used before ``fit``."""


class MissingInputError(DataqaError, ValueError):
    """A method was called without an input it needs."""


class OODInputError(DataqaError, ValueError):
    """An input array of an OOD score has the wrong shape, is empty or holds NaN/inf."""


class LabelingFunctionError(DataqaError, RuntimeError):
    """A labeling function raised or is malformed (duplicate name, wrong output)."""


class LFFaultWarning(DataqaError, UserWarning):
    """Some LFs raised on some rows and abstained there (``fault_tolerant=True``); the
    message gives the count per LF. A warning, not raised (unless warnings are errors)."""


class LedgerError(DataqaError):
    """The ledger file is missing, not a ledger, from a newer version, or inconsistent."""


class LabelStudioError(DataqaError):
    """Talking to Label Studio failed."""


class LabelStudioConnectionError(LabelStudioError, ConnectionError):
    """The Label Studio server cannot be reached."""


class LabelStudioAuthError(LabelStudioError, PermissionError):
    """The Label Studio server refused the API key."""


class LabelStudioProjectError(LabelStudioError, LookupError):
    """The Label Studio project does not exist or does not fit the queue."""


class PushInterrupted(LabelStudioConnectionError):
    """A push lost the Label Studio server part way; ``report`` is what it did until then.

    Every task created before the loss is recorded in the ledger: run the same push
    again to create the rest (tasks already there are skipped).
    """

    def __init__(self, message: str, report: object) -> None:
        super().__init__(message)
        #: The partial :class:`~dataqa.labelstudio.PushReport`.
        self.report = report


class OptionalDependencyError(DataqaError, ImportError):
    """An optional extra is needed for this feature."""

    def __init__(self, package: str, extra: str, feature: str) -> None:
        super().__init__(
            f"{feature} needs the optional package {package!r}; "
            f"install it with: pip install 'dataqa[{extra}]'"
        )
