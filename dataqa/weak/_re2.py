"""Run a Python regular expression through RE2 (pyarrow) only where the answer is the same.

Snorkel's row path uses Python's ``re``. RE2 (pyarrow's ``match_substring_regex``) is far
faster over a whole column but differs from ``re`` in places: ``\\d \\w \\s \\b`` are ASCII
in RE2 and Unicode in ``re``; ``$`` also matches before a final newline in ``re``; case
folding differs outside ASCII; look-arounds and back-references do not exist in RE2.

So the pattern is never handed to RE2 as written. :func:`translate` parses it with
Python's own parser and writes an RE2 pattern with the same match/no-match answer:

- every one-character matcher (``[...]`` sets, ``\\d \\s \\w`` and their negations, and
  every literal under ``re.IGNORECASE``) becomes an explicit set of code-point ranges,
  found by running ``re`` itself, with the pattern's flags, over a string of every code
  point: Unicode classes and case folding are Python's by construction;
- ``$`` (not multi-line) becomes "optional newline, then end of text", allowed only as the
  pattern's last item, where consuming the newline cannot change the answer;
- a negative look-behind of one character as the pattern's first item (``(?<!\\w)``), or
  look-ahead as its last, becomes "start (end) of text or a character outside the set",
  which changes where a match starts or ends but not whether there is one;
- anything outside a known-equal subset (other look-arounds, back-references, conditionals,
  possessive repeats, inline flag changes, repeat counts over 1000, locale, bytes) gives
  ``None``: the caller uses Python's ``re``.

One construct is equal only on some rows, reported as the translation's ``domain``:
``\\b`` (Unicode mode) agrees on rows with no non-ASCII word character, since RE2
sees every non-ASCII character as a non-word character. Rows outside the domain are
searched with Python's ``re``. ``\\B`` is left to ``re`` (RE2's matches between the bytes
of one non-ASCII character, and in an empty text, where ``re``'s does only from Python 3.14).

:func:`required_literal` finds a substring every match contains, so the engine can skip
the rows without it (found in its shared byte scan) before any regex runs.
"""

from __future__ import annotations

import bisect
import functools
import re
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]
from typing import NamedTuple

_MAX_CP = 0x10FFFF
_SURROGATES = (0xD800, 0xDFFF)

#: rows on which a translation is exact
ALL, NO_UNICODE_WORD = "all", "no_unicode_word"


class Translation(NamedTuple):
    pattern: str
    domain: str  # ALL or NO_UNICODE_WORD


class _Unsupported(Exception):
    pass


# --------------------------------------------------------------------------- code-point sets
@functools.cache
def _every_code_point() -> str:
    """Every code point, surrogates included, in order (decoded from UTF-32 in one call:
    about 8x faster than joining ``chr`` of each)."""
    import numpy as np

    codes = np.arange(_MAX_CP + 1, dtype="<u4").tobytes()
    return codes.decode("utf-32-le", errors="surrogatepass")


@functools.lru_cache(maxsize=1024)
def class_ranges(py_class: str, flags: int) -> tuple[tuple[int, int], ...]:
    """Code points matched by the one-character Python pattern ``py_class`` with ``flags``.

    Found by running ``re`` itself over a string of every code point (the string is built
    once per process, about 0.02 s), so the answer is Python's own, case folding and
    Unicode classes included. Surrogates are left out.
    """
    ranges = []
    for m in re.finditer(f"(?:{py_class})+", _every_code_point(), flags):
        lo, hi = m.start(), m.end() - 1
        for a, b in ((lo, min(hi, _SURROGATES[0] - 1)), (max(lo, _SURROGATES[1] + 1), hi)):
            if a <= b:
                ranges.append((a, b))
    return tuple(ranges)


def category_ranges(name: str) -> tuple[tuple[int, int], ...]:
    """Code points ``re`` matches with ``\\d`` (digit), ``\\s`` (space) or ``\\w`` (word)."""
    return class_ranges({"digit": r"\d", "space": r"\s", "word": r"\w"}[name], 0)


def _complement(ranges) -> tuple[tuple[int, int], ...]:
    """The code points outside ``ranges`` (sorted, disjoint), surrogates left out."""
    out, lo = [], 0
    for a, b in list(ranges) + [(_MAX_CP + 1, _MAX_CP + 1)]:
        for x, y in ((lo, min(a - 1, _SURROGATES[0] - 1)), (max(lo, _SURROGATES[1] + 1), a - 1)):
            if x <= y:
                out.append((x, y))
        lo = max(lo, b + 1)
    return tuple(out)


def _cp(c: int) -> str:
    return f"\\x{{{c:X}}}"


def _py_cp(c: int) -> str:
    return f"\\U{c:08x}"


def _class_items(ranges) -> str:
    parts = []
    for lo, hi in ranges:
        parts.append(_cp(lo) if lo == hi else f"{_cp(lo)}-{_cp(hi)}")
    return "".join(parts)


def _re2_class(ranges) -> str:
    return f"[{_class_items(ranges)}]" if ranges else "[^\\x{0}-\\x{10FFFF}]"


_PY_CATEGORY = {C.CATEGORY_DIGIT: r"\d", C.CATEGORY_NOT_DIGIT: r"\D",
                C.CATEGORY_SPACE: r"\s", C.CATEGORY_NOT_SPACE: r"\S",
                C.CATEGORY_WORD: r"\w", C.CATEGORY_NOT_WORD: r"\W"}


# --------------------------------------------------------------------------- translation
class _Writer:
    def __init__(self, flags: int) -> None:
        self.class_flags = flags & (re.IGNORECASE | re.ASCII)
        self.ascii = bool(flags & re.ASCII)
        self.ignorecase = bool(flags & re.IGNORECASE)
        self.dotall = bool(flags & re.DOTALL)
        self.multiline = bool(flags & re.MULTILINE)
        self.uses_boundary = False

    def one_char(self, py_class: str) -> str:
        """RE2 class of exactly the code points Python matches with ``py_class``."""
        return _re2_class(class_ranges(py_class, self.class_flags))

    def charset(self, items) -> str:
        return self.one_char(self.py_charset(items))

    def py_charset(self, items) -> str:
        parts, negate = [], False
        for op, av in items:
            if op is C.NEGATE:
                negate = True
            elif op is C.LITERAL:
                parts.append(_py_cp(av))
            elif op is C.RANGE:
                parts.append(f"{_py_cp(av[0])}-{_py_cp(av[1])}")
            elif op is C.CATEGORY and av in _PY_CATEGORY:
                parts.append(_PY_CATEGORY[av])
            else:
                raise _Unsupported(op)
        return f"[{'^' if negate else ''}{''.join(parts)}]"

    def seq(self, items, *, top: bool = False) -> str:
        items = list(items)
        out = []
        for k, (op, av) in enumerate(items):
            last = top and k == len(items) - 1
            if top and op is C.AT and av is C.AT_BOUNDARY and len(items) > 1:
                # a \b at an end of the whole pattern, next to an item that always
                # consumes a word character, only asks about the one character outside:
                # written with Python's own \W set, it is exact on every row
                if k == 0 and self.word_edge(*items[1], first=True):
                    out.append("(?:\\A|" + self.non_word() + ")")
                    continue
                if last and self.word_edge(*items[k - 1], first=False):
                    out.append("(?:" + self.non_word() + "|\\z)")
                    continue
            if top and op is C.ASSERT_NOT and ((k == 0 and av[0] == -1) or (last and av[0] == 1)):
                out.append(self.edge_lookaround(av[1], behind=av[0] == -1))
                continue
            out.append(self.item(op, av, last))
        return "".join(out)

    def edge_lookaround(self, sub, *, behind: bool) -> str:
        """A negative look-behind at the start of the whole pattern, or look-ahead at its
        end, of one character (``(?<!\\w)``, ``(?!\\w)``): for whether a match exists, it
        is "start (end) of text, or one character outside the set" next to the match."""
        sub = list(sub)
        if len(sub) != 1:
            raise _Unsupported("look-around of more than one character")
        op, av = sub[0]
        if op is C.LITERAL:
            py_class = _py_cp(av)
        elif op is C.NOT_LITERAL:
            py_class = f"[^{_py_cp(av)}]"
        elif op is C.IN:
            py_class = self.py_charset(av)
        else:
            raise _Unsupported(op)
        outside = _re2_class(_complement(class_ranges(py_class, self.class_flags)))
        return f"(?:\\A|{outside})" if behind else f"(?:{outside}|\\z)"

    def word_edge(self, op, av, *, first: bool) -> bool:
        """True when the item always consumes a character and its first (``first``) or
        last character is always a Python word character (under the pattern's flags)."""
        try:
            if op is C.LITERAL:
                return self.all_word(_py_cp(av))
            if op is C.IN:
                return self.all_word(self.py_charset(av))
            if op is C.SUBPATTERN:
                _g, add_flags, del_flags, sub = av
                sub = list(sub)
                return (not add_flags and not del_flags and bool(sub)
                        and self.word_edge(*sub[0 if first else -1], first=first))
            if op is C.BRANCH:
                branches = [list(b) for b in av[1]]
                return all(b and self.word_edge(*b[0 if first else -1], first=first)
                           for b in branches)
            if op in (C.MAX_REPEAT, C.MIN_REPEAT):
                lo, _hi, sub = av
                sub = list(sub)
                return lo >= 1 and bool(sub) and self.word_edge(*sub[0 if first else -1],
                                                                 first=first)
        except _Unsupported:
            return False
        return False

    def non_word(self) -> str:
        """RE2 class of the characters Python's ``\\b`` counts as non-word."""
        return _re2_class(class_ranges(r"\W", self.class_flags & re.ASCII))

    def all_word(self, py_class: str) -> bool:
        """Every code point ``py_class`` matches (with the flags) is a word character."""
        chars = class_ranges(py_class, self.class_flags)
        word = class_ranges(r"\w", self.class_flags & re.ASCII)
        starts = [lo for lo, _ in word]
        for lo, hi in chars:
            i = bisect.bisect_right(starts, lo) - 1
            if i < 0 or word[i][1] < hi:
                return False
        return bool(chars)

    def item(self, op, av, last: bool) -> str:
        if op is C.LITERAL:
            return self.one_char(_py_cp(av)) if self.ignorecase else _cp(av)
        if op is C.NOT_LITERAL:
            return self.one_char(f"[^{_py_cp(av)}]")
        if op is C.ANY:
            return "(?s:.)" if self.dotall else "[^\\n]"
        if op is C.IN:
            return self.charset(av)
        if op is C.BRANCH:
            return "(?:" + "|".join(self.seq(b) for b in av[1]) + ")"
        if op is C.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            if add_flags or del_flags:
                raise _Unsupported("inline flag group")
            return "(?:" + self.seq(sub) + ")"
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, sub = av
            if lo > 1000 or (hi is not C.MAXREPEAT and hi > 1000):
                raise _Unsupported("repeat count over 1000")
            body = "(?:" + self.seq(sub) + ")"
            return f"{body}{{{lo},}}" if hi is C.MAXREPEAT else f"{body}{{{lo},{hi}}}"
        if op is C.AT:
            return self.at(av, last)
        raise _Unsupported(op)

    def at(self, av, last: bool) -> str:
        if av is C.AT_BEGINNING_STRING or (av is C.AT_BEGINNING and not self.multiline):
            return "\\A"
        if av is C.AT_BEGINNING:
            return "(?m:^)"
        if av is C.AT_END_STRING:
            return "\\z"
        if av is C.AT_END:
            if self.multiline:
                return "(?m:$)"
            if not last:
                raise _Unsupported("$ before more pattern")
            return "(?:\\n?\\z)"
        if av is C.AT_BOUNDARY:
            self.uses_boundary = True
            return "\\b"
        # RE2's \B matches between the bytes of one non-ASCII character that is no
        # letter ('→', a no-break space), where re's does not, and in an empty text, where
        # re's does not before Python 3.14: re decides, on every version
        raise _Unsupported(av)


@functools.lru_cache(maxsize=512)
def _translate(pattern: str, flags: int) -> Translation | None:
    if flags & (re.LOCALE | re.DEBUG):
        return None
    try:
        parsed = P.parse(pattern, flags)
        flags = parsed.state.flags
        w = _Writer(flags)
        body = w.seq(parsed, top=True)
    except (_Unsupported, re.error, RecursionError, AttributeError):
        return None
    if w.uses_boundary and not w.ascii:
        return Translation(body, NO_UNICODE_WORD)
    return Translation(body, ALL)


def translate(pattern: re.Pattern) -> Translation | None:
    """An RE2 pattern with the same match/no-match answer as ``pattern.search``, or None.

    Returns
    -------
    Translation(pattern, domain) or None
        ``domain`` names the rows where the answers are equal: ``"all"`` or
        ``"no_unicode_word"`` (rows without a non-ASCII word character).
        None when the pattern uses something outside the supported subset.
    """
    if not isinstance(pattern.pattern, str):
        return None
    return _translate(pattern.pattern, pattern.flags)


@functools.cache
def unicode_word_class() -> str:
    """RE2 class of the non-ASCII code points that ``re`` counts as word characters."""
    ranges = [(max(lo, 0x80), hi) for lo, hi in category_ranges("word") if hi >= 0x80]
    return _re2_class(ranges)


def required_literal(pattern: re.Pattern) -> str | None:
    """A literal substring that every match of ``pattern`` contains, or None.

    The longest run of consecutive literal characters at the top level of the pattern
    (``https?://`` -> ``"http"``). With ``re.IGNORECASE`` the run is lower-cased and
    holds only ASCII characters other than i, k and s, the letters that Python's
    case-insensitive matching also pairs with non-ASCII ones (U+0130, U+0131, U+212A,
    U+017F): a match then contains the run in ``text.lower()``. Used only to skip rows
    that cannot match.
    """
    items = _parse(pattern)
    return None if items is None else _longest_run(items, bool(pattern.flags & re.IGNORECASE))


def required_literals(pattern: re.Pattern) -> tuple[str, ...]:
    """Literal substrings of which every match of ``pattern`` contains at least one
    (in ``text.lower()`` under ``re.IGNORECASE``); empty when none is known.

    :func:`required_literal` when the pattern has one; else, for a top-level alternation
    (``https?://|www\\.``), one such literal per branch (``("http", "www.")``) when every
    branch has one. Used only to skip rows that cannot match.
    """
    items = _parse(pattern)
    return () if items is None else _any_of(items, bool(pattern.flags & re.IGNORECASE))


def plain_literal(pattern: re.Pattern) -> str | None:
    """The text ``pattern`` matches when it is nothing but literal characters and does
    not ignore case (``"🔥"``, ``"a.b"`` escaped): then ``pattern.search(text)`` finds a
    match exactly where ``text`` contains it. None otherwise."""
    if pattern.flags & re.IGNORECASE:
        return None
    items = _parse(pattern)
    if not items or any(op is not C.LITERAL for op, _ in items):
        return None
    return "".join(chr(arg) for _, arg in items)


def _parse(pattern: re.Pattern) -> list | None:
    if not isinstance(pattern.pattern, str):
        return None
    try:
        return list(P.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - no prefilter then
        return None


def _longest_run(items: list, nocase: bool) -> str | None:
    best, run = "", []
    for op, arg in items + [(None, None)]:
        if op is C.LITERAL and not (nocase and (arg >= 128 or chr(arg) in "iksIKS")):
            run.append(chr(arg).lower() if nocase else chr(arg))
            continue
        if len(run) > len(best):
            best = "".join(run)
        run = []
    return best if len(best) >= 2 else None


def _any_of(items: list, nocase: bool) -> tuple[str, ...]:
    run = _longest_run(items, nocase)
    if run is not None:
        return (run,)
    # every top-level item is part of every match: a group (without inline flags) or an
    # alternation whose branches all hold literals will do
    for op, arg in items:
        if op is C.SUBPATTERN and not arg[1] and not arg[2]:
            found = _any_of(list(arg[3]), nocase)
        elif op is C.BRANCH:
            branches = [_any_of(list(branch), nocase) for branch in arg[1]]
            found = tuple(dict.fromkeys(k for f in branches for k in f)) if all(branches) else ()
        else:
            continue
        if found:
            return found
    return ()
