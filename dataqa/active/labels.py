"""The classes of a labeling session, and checking new labels against them.

A ledger's classes are the ones declared when it was set up (``dataqa al init``
records them, with whether they are integers or names) together with every in-scope
label a person or the dataset gave. A new label must be one of them, of the same type,
or an out-of-scope marker; a new class is only added on purpose (``new_classes``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from dataqa.errors import InvalidSettingError, LabelError, format_ids
from dataqa.ledger import Ledger
from dataqa.types import OUT_OF_SCOPE

__all__ = ["OUT_OF_SCOPE_LABELS", "TRAIN_SOURCES", "RECORD_SOURCES", "SKIP_LABEL", "CONFIG_KEY",
           "SKIPPED_KEY", "LS_SKIPPED_KEY", "is_out_of_scope", "ledger_classes",
           "normalize_new_labels", "describe_classes", "split_class_names", "unused_classes"]

#: Label values that mean "this item is out of scope for the task": the contract's
#: :data:`dataqa.types.OUT_OF_SCOPE` as a number or text, or the word ``out_of_scope``.
OUT_OF_SCOPE_LABELS: tuple[Any, ...] = (OUT_OF_SCOPE, str(OUT_OF_SCOPE), "out_of_scope")

#: Label sources the model is trained on (weak and model labels are not ground truth).
TRAIN_SOURCES: tuple[str, ...] = ("given", "human", "reviewed")

#: Sources :meth:`LabelingSession.record_labels` (``dataqa al label``) accepts.
RECORD_SOURCES: tuple[str, ...] = ("human", "reviewed")

#: Label value that skips an item of the open round (it is not labeled).
SKIP_LABEL = "skip"

#: Ledger state key where ``dataqa al init`` keeps how features are built and the classes.
CONFIG_KEY = "active:config"

#: Ledger state key of the items skipped in each round (``{round: [ids]}``).
SKIPPED_KEY = "active:skipped"

#: Ledger state key of the items of a round's batch skipped in Label Studio, by project
#: (``{project title: {round: [ids]}}``): ``dataqa ls pull`` sets the open round's from the
#: answers it holds, so a Skip withdrawn there is no skip here either.
LS_SKIPPED_KEY = "active:skipped/labelstudio"

_INT_RE = re.compile(r"^[+-]?\d+$")
_ZERO_LED = re.compile(r"^\s*[+-]?0\d+\s*$")
#: A whole number written as a decimal (``7.0``, ``-1.0``), as pandas writes a column of
#: class numbers with a gap: in a ledger of class numbers, that number.
_WHOLE_DECIMAL = re.compile(r"^\s*[+-]?\d+\.0+\s*$")


def is_out_of_scope(labels: Any) -> np.ndarray:
    """Boolean mask (n,) of labels that mark an item out of scope."""
    import pandas as pd

    vals = pd.Series(list(labels), dtype=object)
    return vals.map(lambda v: v in OUT_OF_SCOPE_LABELS).to_numpy(dtype=bool)


def _canonical(v: Any) -> Any:
    """A label as given, stripped; ``out_of_scope`` in any case as ``"out_of_scope"`` (as
    ``skip`` is matched in any case)."""
    if not isinstance(v, str):
        return v
    v = v.strip()
    return "out_of_scope" if v.lower() == "out_of_scope" else v


def _int_like(v: Any) -> int | None:
    """``v`` as an int when it is one (``3``, ``3.0``, ``"3"``), else ``None``."""
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return int(v) if np.isfinite(v) and float(v).is_integer() else None
    if isinstance(v, str) and _INT_RE.match(v.strip()):
        return int(v.strip())
    return None


def _zero_led(v: Any) -> bool:
    """Whether ``v`` is an integer written with a leading zero (``"02"``, ``"007"``)."""
    return isinstance(v, str) and _ZERO_LED.match(v) is not None


def _kind_of(values: Sequence[Any]) -> str | None:
    """``"int"`` when every value is an integer, ``"str"`` when none is, else ``"mixed"``.

    Integers written with a leading zero (``"02"``) are codes, not numbers: read as
    numbers they would lose the zero (and ``"02"`` would be ``"2"``), so with them every
    value is a name."""
    if not values:
        return None
    zero = [_zero_led(v) for v in values]
    ints = [_int_like(v) is not None and not z for v, z in zip(values, zero, strict=True)]
    if all(ints):
        return "int"
    if not any(ints) or all(i or z for i, z in zip(ints, zero, strict=True)):
        return "str"
    return "mixed"


def describe_classes(classes: Sequence[Any], limit: int = 20) -> str:
    """The classes for a message: ``0, 1, 2`` or ``'ham', 'spam'`` (first ``limit``)."""
    shown = ", ".join(repr(c) if isinstance(c, str) else str(c) for c in classes[:limit])
    if len(classes) > limit:
        shown += f", ... (+{len(classes) - limit} more)"
    return shown or "none yet"


def ledger_classes(ledger: Ledger, *, pulled: bool = True) -> tuple[list[Any], str | None]:
    """The classes of a ledger and their type.

    ``pulled=False`` leaves out the answers pulled from Label Studio (labels with an
    external id): a pull stores them by a rule of its own, which must not decide it.

    Returns
    -------
    classes : sorted list of int or str
        Declared classes (``dataqa al init``) plus every in-scope label from the sources
        in :data:`TRAIN_SOURCES`.
    kind : ``"int"``, ``"str"`` or ``None`` (no class known yet)
    """
    config = ledger.get_state(CONFIG_KEY) or {}
    declared = list(config.get("classes") or [])
    if pulled:
        lab = ledger.latest_labels()
    else:
        lab = ledger.labels()
        lab = lab[lab["external_id"].isna()]
    lab = lab[lab["source"].isin(TRAIN_SOURCES)]
    seen = [v for v in lab["label"].tolist() if v not in OUT_OF_SCOPE_LABELS]
    values = declared + seen
    kind = config.get("label_kind") or _kind_of(values)
    if kind == "int":
        classes = sorted({int(_int_like(v)) for v in values if _int_like(v) is not None})
    else:
        classes = sorted({str(v) for v in values})
        kind = "str" if classes else None
    return classes, kind


def normalize_new_labels(ledger: Ledger, ids: Sequence[str], labels: Sequence[Any], *,
                         new_classes: Sequence[Any] = (), where: str = "the labels",
                         allow_skip: bool = True) -> tuple[list[Any], list[Any], str | None]:
    """Check labels against the ledger's classes; return them in the classes' type.

    Parameters
    ----------
    ledger : Ledger
    ids, labels : sequences (n,)
        Item ids and their labels; ``-1``/``"out_of_scope"`` mark an item out of scope and
        :data:`SKIP_LABEL` skips it (kept as ``"skip"`` in the result).
    new_classes : sequence
        Classes to add on purpose (of the classes' type).
    where : str
        Where the labels come from, for messages (a file name).
    allow_skip : bool
        Whether :data:`SKIP_LABEL` skips an item (else it is an ordinary class name).

    Returns
    -------
    labels : list (n,) of int or str (out of scope as ``-1`` / ``"out_of_scope"``)
    added : list of the new classes actually used or declared
    kind : the classes' type after adding

    Raises
    ------
    LabelError
        A label outside the classes (listing them), of the other type, or numbers mixed
        with names when no class is known yet.
    """
    classes, kind = ledger_classes(ledger)
    raw = [_canonical(v) for v in labels]
    written = list(raw)  # as given, for messages
    new = [_canonical(c) for c in new_classes]
    if kind == "int":  # class numbers: "7.0" and "-1.0" are 7 and -1 (names stay as written)
        raw, new = ([v.split(".")[0] if isinstance(v, str) and _WHOLE_DECIMAL.match(v) else v
                     for v in vals] for vals in (raw, new))
    # -1 / out_of_scope mark an item out of scope in any ledger; they are no class (given
    # labels come here as new classes too)
    new = [c for c in new if c not in OUT_OF_SCOPE_LABELS]
    def skip(v: Any) -> bool:
        return allow_skip and isinstance(v, str) and v.lower() == SKIP_LABEL

    real = [v for v in raw if v not in OUT_OF_SCOPE_LABELS and not skip(v)]
    if kind is None:
        kind = _kind_of(real + new)
        if kind == "mixed":
            from collections import Counter

            # (given labels come as new classes too: counted once, as labels)
            counts = Counter(real)
            values = [*counts, *dict.fromkeys(c for c in new if c not in counts)]
            nums = [v for v in values if _int_like(v) is not None and not _zero_led(v)]
            names = [v for v in values if v not in nums]

            def shown(values: list) -> str:
                return ", ".join(f"{v!r} ({counts[v]} label{'s' if counts[v] > 1 else ''})"
                                 if counts[v] else f"{v!r} (a new class)"
                                 for v in values[:5]) + (
                    f", ... (+{len(values) - 5} more)" if len(values) > 5 else "")

            n_names = sum(counts[v] for v in names)
            n_nums = sum(counts[v] for v in nums)
            fewer = ("" if n_names == n_nums or not (n_names and n_nums) else
                     f" (the class {'names' if n_names < n_nums else 'numbers'} are the "
                     f"fewer: look for them first)")
            raise LabelError(
                f"class numbers ({shown(nums)}) and class names ({shown(names)}) are mixed "
                f"in {where}; use one kind for every label{fewer}.")
        if kind is None:
            return list(raw), [], None
        known: set[Any] = set()
        # no class known yet: the first labels define the classes
        new = new + real
    elif kind == "int":
        known = set(classes)
    else:
        known = set(classes)
    if kind != "int":  # one number written two ways ("02" and "2"): refused, not merged
        ways: dict[int, list[str]] = {}
        for c in dict.fromkeys(str(c).strip() for c in [*classes, *new]):
            if _int_like(c) is not None:
                ways.setdefault(int(_int_like(c)), []).append(c)
        held = {str(c).strip() for c in classes}  # (a ledger holding both already: as it is)
        two = next((w for w in ways.values() if len(w) > 1 and not set(w) <= held), None)
        if two is not None:
            raise LabelError(
                f"classes {two[0]!r} and {two[1]!r} (of this ledger, {where} or --new-class) "
                f"are one number written two ways; leading zeros may be meaningful, so they "
                f"are not merged: write each class one way (codes with their zeros).")
    # in a ledger of codes written with leading zeros ("02", "10": names), a number is a
    # code too; in a ledger of other names it is refused
    codes = kind != "int" and any(_zero_led(c) for c in (classes or new))
    bad_new = [c for c in new if ((_int_like(c) is None) if kind == "int" else (
        _int_like(c) is not None and not _zero_led(c) and not codes))]
    if bad_new:
        what = "integers" if kind == "int" else "names"
        raise LabelError(
            f"class {bad_new[0]!r} (of {where}, or --new-class) does not fit: the classes of "
            f"this ledger are {what} ({describe_classes(classes)}); give classes of that "
            f"kind (a column of class names rather than class numbers, or the reverse).")
    conv = (lambda v: _int_like(v)) if kind == "int" else (lambda v: str(v))
    allowed = known | {conv(c) for c in new}
    out: list[Any] = []
    bad: dict[Any, list[str]] = {}
    as_given: dict[Any, Any] = {}  # "7.0" is refused as class 7 but named as written
    for i, v, w in zip(ids, raw, written, strict=True):
        if skip(v):
            out.append(SKIP_LABEL)
            continue
        if v in OUT_OF_SCOPE_LABELS:
            out.append(-1 if kind == "int" else "out_of_scope")
            continue
        c = conv(v) if v is not None else None
        if c is None or c not in allowed:
            bad.setdefault(v, []).append(str(i))
            as_given.setdefault(v, w)
            continue
        out.append(c)
    if bad:
        value, bad_ids = next(iter(bad.items()))
        others = [v for v in bad if v != value]
        more = (f" (and {len(others)} other unknown label(s): "
                f"{', '.join(repr(as_given[v]) for v in others[:5])}"
                f"{', ...' if len(others) > 5 else ''})" if others else "")
        at = f"label {as_given[value]!r} in {where} (id {format_ids(bad_ids, 3)}){more}"
        if kind == "int" and _int_like(value) is None:
            try:
                float(str(value))
                what = "is not a whole number"
            except ValueError:
                what = "is a name"
            raise LabelError(
                f"{at} {what}, but the classes of this ledger are numbers: "
                f"{describe_classes(sorted(known))}; give a class number (-1 or out_of_scope "
                f"marks an item out of scope).")
        lost = [(v, k) for v in bad for k in sorted(known, key=str) if _zero_led(k)
                and _int_like(v) is not None and not _zero_led(v)
                and str(k).lstrip("0") == str(v).strip().lstrip("0")]
        if kind != "int" and lost:
            raise LabelError(
                f"{at} is not a class of this ledger, whose classes are codes written with "
                f"leading zeros ({describe_classes(sorted(known))}): {lost[0][0]!r} is "
                f"{lost[0][1]!r} without its zeros, as a spreadsheet saves codes it reads as "
                f"numbers; format the label column as text, or write the codes with their "
                f"zeros.")
        if kind != "int" and not codes and all(_int_like(v) is not None
                                               and not _zero_led(v) for v in bad):
            raise LabelError(
                f"{at} is a number, but the classes of this ledger are names: "
                f"{describe_classes(sorted(known))}. A file of class numbers (the `label` "
                f"column of `dataqa ls pull --out`, or of consensus_labels) has the names "
                f"beside them: pass that column instead (e.g. --label-column label_name); in "
                f"a file written by hand, write the class names.")
        lower = {str(k).lower(): k for k in known}
        cased = [(v, lower[str(v).lower()]) for v in bad if str(v).lower() in lower]
        hint = ("; " + ", ".join(f"{v!r} differs from the class {k!r} only in case"
                                 for v, k in cased[:3])) if cased else ""
        if cased and len(cased) == len(bad):  # a class that differs only in case is refused
            raise LabelError(
                f"{at} is not a class of this ledger; the classes are: "
                f"{describe_classes(sorted(known))}{hint}. Write the class as the ledger does "
                f"(case may be meaningful, so it is not read as that class).")
        # (a whole number written 7.0, as pandas writes a column with a gap, is class 7)
        shown = _int_like(value) if kind == "int" and _int_like(value) is not None else value
        raise LabelError(
            f"{at} is not a class of this ledger; the classes are: "
            f"{describe_classes(sorted(known))}{hint}. Fix the label, or pass --new-class "
            f"{shown} to add it on purpose (-1 or out_of_scope marks an item out of scope).")
    added = sorted({conv(c) for c in new} - known, key=str)
    return out, added, kind


def split_class_names(values: Sequence[Any]) -> list[Any]:
    """``--new-class`` values as classes: each split on commas (``ham,spam`` is two
    classes, as ``--classes ham,spam`` is), stripped, empty parts dropped."""
    out: list[Any] = []
    for v in values:
        parts = str(v).split(",") if isinstance(v, str) else [v]
        out += [p.strip() if isinstance(p, str) else p for p in parts
                if not isinstance(p, str) or p.strip()]
    return list(dict.fromkeys(out))


def unused_classes(new_classes: Sequence[Any], values: Sequence[Any],
                   kind: str | None) -> list[Any]:
    """The classes of ``new_classes`` that none of ``values`` (labels as
    :func:`normalize_new_labels` returns them, of type ``kind``) uses."""
    used = {str(v) for v in values}
    out = []
    for c in new_classes:
        c = _canonical(c)
        key = _int_like(c) if kind == "int" else c
        if c not in OUT_OF_SCOPE_LABELS and str(key) not in used:
            out.append(c)
    return out


def check_record_source(source: str) -> str:
    """``source`` if people can record labels with it, else an error naming the choices."""
    if source not in RECORD_SOURCES:
        raise InvalidSettingError(
            f"label source {source!r} cannot be recorded in a labeling round; use one of "
            f"{', '.join(RECORD_SOURCES)} (weak and model labels are not ground truth, "
            f"given labels come from `dataqa al init`).")
    return source
