"""A small builder for self-contained HTML reports (plots embedded as base64 PNG)."""

from __future__ import annotations

import base64
import html
import io
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["HtmlReport", "figure_to_data_uri", "shorten", "subplots"]

#: A table cell whose words are all at most this long wraps between words only; one with
#: a longer word (a URL, a hash, a run of characters) may break anywhere. Breaking
#: anywhere lets a wide table squeeze every such cell to a letter per line.
_LONGEST_WORD = 24


def _id_class(text: str) -> str:
    """A short id stays on one line; a long one wraps within a narrow column."""
    return "nowrap" if len(text) <= _LONGEST_WORD else "id"


def _width(word: str) -> int:
    """A word's width in Latin letters, roughly: wide (CJK) characters and symbols
    (``▬``, emoji) count twice, so a run of 23 symbols is not taken for a short word."""
    import unicodedata

    if word.isascii():
        return len(word)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" or unicodedata.category(c) == "So"
               else 1 for c in word)


def _wrap_class(text: str) -> str:
    longest = max((_width(w) for w in text.split()), default=0)
    return "cell words" if longest <= _LONGEST_WORD else "cell"

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222}
h1{border-bottom:2px solid #444;padding-bottom:.3rem}h2{margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}tr:nth-child(even) td{background:#fafafa}.kv td:first-child{font-weight:600;overflow-wrap:normal}.kv td{overflow-wrap:anywhere}
.note{color:#555;font-size:.9rem}img{max-width:100%;border:1px solid #eee;margin:.5rem 0}
.cell{max-width:480px;overflow-wrap:anywhere}td.nowrap,th.nowrap{white-space:nowrap}.cell.words{overflow-wrap:normal}
td.id{min-width:9em;max-width:14em;word-break:break-all;font-size:.8rem}td.wide,th.wide{min-width:16em}
code{font-size:.85em;background:#f3f3f3;padding:0 .2em}
.tablewrap{max-width:100%;overflow-x:auto}img.thumb{border:1px solid #ccc;margin:0;display:block}
"""


def subplots(nrows: int = 1, ncols: int = 1, **kwargs):
    """``(figure, axes)`` like ``pyplot.subplots``, without pyplot.

    The figure is a plain :class:`matplotlib.figure.Figure`: no global figure registry,
    no backend switch, so reports do not disturb the caller's plotting (notebooks keep
    their inline backend).
    """
    from matplotlib.figure import Figure

    figsize = kwargs.pop("figsize", None)
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def figure_to_data_uri(fig) -> str:
    """Render a matplotlib figure to a ``data:image/png;base64,...`` URI.

    Text is drawn as written: labels from the data (``under $5``, ``$5-$10``) are not
    read as math, which would change them or fail."""
    import matplotlib
    from matplotlib.text import Text
    from matplotlib.ticker import FuncFormatter, NullFormatter

    buf = io.BytesIO()
    for text in fig.findobj(Text):
        text.set_parse_math(False)
    plain = FuncFormatter(lambda v, _pos: f"{v:,.0f}" if v >= 1 else f"{v:g}")
    for ax in fig.axes:  # a log axis labels its ticks in math (10^1): plain numbers instead
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "log":
                axis.set_major_formatter(plain)
                lo, hi = sorted(axis.get_view_interval())
                # within one decade no major tick shows: the minor ticks carry the labels
                within = lo > 0 and int(np.floor(np.log10(lo))) == int(np.floor(np.log10(hi)))
                axis.set_minor_formatter(plain if within else NullFormatter())
    with matplotlib.rc_context({"text.parse_math": False}):  # tick labels made while drawing
        fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class HtmlReport:
    """Collects sections and writes one HTML file with nothing external to load.

    Examples
    --------
    >>> r = HtmlReport("Audit")
    >>> r.heading("Counts"); r.key_values({"n": 10})
    >>> r.write("report.html")  # doctest: +SKIP
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self._parts: list[str] = []

    def heading(self, text: str, level: int = 2) -> HtmlReport:
        self._parts.append(f"<h{level}>{html.escape(text)}</h{level}>")
        return self

    def paragraph(self, text: str, *, css_class: str | None = None,
                  code: bool = False) -> HtmlReport:
        """Append ``text`` as a paragraph, escaped. With ``code=True`` a span between
        backticks (a command, an option) is shown as code: only for text the report
        writes itself, as a backtick in data (a class or column name) would turn the rest
        of the sentence into code."""
        cls = f' class="{css_class}"' if css_class else ""
        body = html.escape(text)
        if code:
            body = re.sub(r"`([^`]+)`", r"<code>\1</code>", body)
        self._parts.append(f"<p{cls}>{body}</p>")
        return self

    def key_values(self, items: Mapping[str, object]) -> HtmlReport:
        rows = "".join(
            f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(_fmt(v))}</td></tr>"
            for k, v in items.items()
        )
        self._parts.append(f'<table class="kv">{rows}</table>')
        return self

    def table(self, df: pd.DataFrame, *, max_rows: int = 200, float_format: str = "{:.4g}",
              nowrap: Sequence[str] = ("id",), html_columns: Sequence[str] = (),
              one_line: Sequence[str] = (), wide: Sequence[str] = ()) -> HtmlReport:
        """Append ``df`` as a table (the first ``max_rows`` rows).

        Parameters
        ----------
        df : DataFrame
        max_rows : int
            Rows shown; a note says how many there are in all.
        float_format : str
            Format of float cells.
        nowrap : sequence of str
            Id columns (``id`` by default): a short id stays on one line, a long one wraps
            within a narrow column rather than pushing the rest of the table out of view.
        html_columns : sequence of str
            Columns holding HTML fragments built by the caller (e.g. ``<img>`` thumbnails),
            inserted as they are; every other cell is escaped.
        one_line : sequence of str
            Columns whose cells never wrap, whatever their length (times, window labels).
        wide : sequence of str
            Columns of sentences, kept at least 16em wide (in a wide table they were
            squeezed to a word a line; the table scrolls sideways instead).
        """
        shown = df.head(max_rows)
        cols = [str(c) for c in shown.columns]
        keep_line = {str(c) for c in nowrap}
        raw = {str(c) for c in html_columns}
        whole = {str(c) for c in one_line}
        broad = {str(c) for c in wide}
        head = "".join(f'<th class="{"nowrap" if c in keep_line | whole else _wrap_class(c)}'
                       f'{" wide" if c in broad else ""}">{html.escape(c)}</th>' for c in cols)
        body = []
        for row in shown.itertuples(index=False, name=None):
            cells = []
            for c, v in zip(cols, row, strict=True):
                text = v if c in raw else html.escape(_fmt(v, float_format))
                kind = ("nowrap" if c in whole else _id_class(text) if c in keep_line
                        else "cell" if c in raw else _wrap_class(text))
                if c in broad:
                    kind += " wide"
                cells.append(f'<td class="{kind}">{text}</td>')
            body.append(f"<tr>{''.join(cells)}</tr>")
        note = ""
        if len(df) > max_rows:
            note = f'<p class="note">Showing {max_rows} of {len(df)} rows.</p>'
        self._parts.append(f'<div class="tablewrap"><table><thead><tr>{head}</tr></thead>'
                           f"<tbody>{''.join(body)}</tbody></table></div>{note}")
        return self

    def figure(self, fig, *, alt: str = "plot") -> HtmlReport:
        self._parts.append(f'<img alt="{html.escape(alt)}" src="{figure_to_data_uri(fig)}"/>')
        return self

    def raw(self, fragment: str) -> HtmlReport:
        """Append an HTML fragment as is (the caller escapes it)."""
        self._parts.append(fragment)
        return self

    def render(self) -> str:
        """The page. Control characters of the data (``\\x01``, ``\\x1b``, invalid in
        HTML) are shown as their Unicode pictures (``␁``, ``␛``), and the C1 controls
        (U+0080-U+009F, which have none; mojibake of cp1252 text read as Latin-1) as their
        code (``[U+0085]``); tabs and line breaks stay."""
        page = (
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(self.title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{html.escape(self.title)}</h1>{''.join(self._parts)}</body></html>"
        )
        return _CONTROL.sub(_control_picture, page)

    def write(self, path: str | os.PathLike) -> Path:
        """Write the report atomically (temporary file, then rename) and return its path."""
        from dataqa.outdir import write_text_atomic

        return write_text_atomic(path, self.render())


#: C0 control characters but tab, line feed, form feed and carriage return, DEL and the
#: C1 controls: invalid in HTML, shown as nothing (or as line breaks); the page shows the
#: C0 ones and DEL as their Unicode pictures (U+2400 ...), the C1 ones as their code.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _control_picture(m: re.Match) -> str:
    c = ord(m.group())
    if c < 0x20:
        return chr(0x2400 + c)
    return "\u2421" if c == 0x7F else f"[U+{c:04X}]"


def shorten(text: object, limit: int = 300) -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``…`` when it was cut."""
    text = "" if text is None or (isinstance(text, float) and text != text) else str(text)
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _fmt(v: object, float_format: str = "{:.4g}") -> str:
    """A cell's text; missing values (None, NaN, NA, NaT) are blank."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, (float, np.floating)):
        return "" if np.isnan(v) else float_format.format(float(v))
    return str(v)
