"""Text helpers shared by the rooms that compare texts as people see them."""

from __future__ import annotations

#: Characters a reader does not see (zero-width space, non-joiner and joiner, left-to-right
#: and right-to-left marks, word joiner, byte-order mark, soft hyphen): texts that differ
#: only by them look the same. A regular-expression character class.
INVISIBLE = "[\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad]"


def join_values(values) -> str:
    """Values as one ``;``-separated cell (the audit's lists of ids and labels), a ``;`` or
    ``\\`` inside a value written with a ``\\`` before it, so that :func:`split_values`
    gives the values back whatever they hold (ids ``nd;0`` and ``nd;1``: ``nd\\;0;nd\\;1``).
    Values without either character are written as they are."""
    return ";".join(str(v).replace("\\", "\\\\").replace(";", "\\;") for v in values)


def split_values(cell) -> list[str]:
    """The values of a cell :func:`join_values` wrote (an empty cell: none). A ``\\``
    escapes only a ``;`` or a ``\\`` after it, so a cell written before values were
    escaped (``C:\\data\\x.png``) reads as it was written."""
    text = "" if cell is None or (isinstance(cell, float) and cell != cell) else str(cell)
    if not text:
        return []
    out, part, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in ";\\":
            part.append(text[i + 1])
            i += 2
            continue
        if ch == ";":
            out.append("".join(part))
            part = []
        else:
            part.append(ch)
        i += 1
    out.append("".join(part))
    return out
