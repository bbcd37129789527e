"""Shared pieces of the ``dataqa`` command: consoles, error handling, file-reading options.

Commands that read a table take the same five options and turn them into keyword
arguments of :func:`dataqa.data.load_table` with :func:`read_options`::

    def command(data: Path, format: str | None = FORMAT_OPT, sep: str | None = SEP_OPT,
                no_header: bool = NO_HEADER_OPT, columns: str | None = COLUMNS_OPT,
                encoding: str | None = ENCODING_OPT):
        opts = read_options(format, sep, no_header, columns, encoding)
        df = load_table(data, **opts)
"""

from __future__ import annotations

import errno
import functools
import os
import re
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console

from dataqa.errors import DataqaError, InvalidSettingError

__all__ = [
    "console", "err_console", "handle_errors",
    "FORMAT_OPT", "SEP_OPT", "NO_HEADER_OPT", "COLUMNS_OPT", "ENCODING_OPT", "DECIMAL_OPT",
    "read_options",
    "check_out_dir", "check_out_file", "write_csv_atomic", "set_aside_earlier", "PipeSafeStream", "print_table",
]

# summary lines are never wrapped: a file or pipe gets 80 columns, and grep looks for a
# verdict or a command to copy on one line
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def print_table(table) -> None:
    """Print a rich ``Table`` whole: to a terminal at its width, to a file or pipe (which
    rich gives 80 columns) at the table's natural width, so no cell is cut to "…"."""
    if console.is_terminal:
        console.print(table)
        return
    natural = console.measure(table, options=console.options.update_width(10_000)).maximum
    Console(file=console.file, width=max(console.width, natural), soft_wrap=True,
            no_color=console.no_color).print(table)


class PipeSafeStream:
    """Standard output that outlives its reader: ``dataqa ... | head -1`` closes the pipe
    after one line, and a command would otherwise stop at its next print, before the
    work after it (a push to Label Studio, say). After the first broken-pipe error every
    write goes to the null device; the command finishes and exits with its own code."""

    def __init__(self, stream):
        self._stream = stream
        self.broken = False

    def _divert(self) -> None:
        self.broken = True
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._stream.fileno())  # the final flush at exit lands here too
            os.close(null)
        except (OSError, ValueError):  # no file descriptor (a test's captured stream)
            pass

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._divert()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._divert()

    def __getattr__(self, name):
        return getattr(self._stream, name)

F = TypeVar("F", bound=Callable)

#: Formats accepted by ``--format`` (the same as :data:`dataqa.data.FORMATS`, kept here so
#: ``--help`` does not import pandas).
_FORMATS = ("csv", "tsv", "parquet", "jsonl", "json")

FORMAT_OPT = typer.Option(
    None, "--format",
    help="File format: csv, tsv, parquet, jsonl or json (default: from the file suffix).")
SEP_OPT = typer.Option(None, "--sep", help="Field delimiter of a csv/tsv file (default , and tab).")
NO_HEADER_OPT = typer.Option(
    False, "--no-header", help="The csv/tsv file has no header row; name its fields with --columns.")
COLUMNS_OPT = typer.Option(
    None, "--columns",
    help="Comma-separated column names, e.g. label,text: the fields of a --no-header file, "
         "or new names replacing the header's, in order.")
ENCODING_OPT = typer.Option(
    None, "--encoding", help="Text encoding, e.g. cp1252 (default: UTF-8, with or without BOM).")


DECIMAL_OPT = typer.Option(
    None, "--decimal", help="Decimal mark of numbers in CSV/TSV files, e.g. ',' for 3,14 "
                            "(with --sep ';'); default '.'.")


THOUSANDS_OPT = typer.Option(
    None, "--thousands", help="Thousands separator of numbers in CSV/TSV files, e.g. ',' for "
                              "1,234.5 or '.' for 1.234,5 (with --decimal ','); default none.")


def read_options(format: str | None, sep: str | None, no_header: bool, columns: str | None,
                 encoding: str | None, decimal: str | None = None,
                 thousands: str | None = None) -> dict:
    """Keyword arguments of :func:`dataqa.data.load_table` from the five reading options.

    ``--columns`` without ``--no-header`` renames the header's columns (one name per
    column); ``--no-header`` without ``--columns`` is an error. ``--sep '\\t'`` is read
    as a tab.

    Raises
    ------
    InvalidSettingError
        An unknown format, an empty or repeated column name, ``--no-header`` without
        ``--columns``, or an empty ``--sep``.
    """
    opts: dict = {}
    if format is not None:
        fmt = format.strip().lower()
        if fmt not in _FORMATS:
            raise InvalidSettingError(
                f"--format {format!r} is not known; use one of {', '.join(_FORMATS)}.")
        opts["format"] = fmt
    if sep is not None:
        if sep == "":
            raise InvalidSettingError("--sep is empty; give the delimiter, e.g. --sep ';'.")
        opts["sep"] = {"\\t": "\t", "tab": "\t"}.get(sep, sep)
    if columns is not None:
        names = [c.strip() for c in columns.split(",")]
        if any(not n for n in names):
            raise InvalidSettingError(
                f"--columns {columns!r} has an empty name; give comma-separated names, e.g. "
                f"--columns label,text.")
        if len(set(names)) != len(names):
            raise InvalidSettingError(f"--columns {columns!r} repeats a name; name each column once.")
        opts["columns"] = names
    if no_header:
        if columns is None:
            raise InvalidSettingError(
                "--no-header needs --columns naming the file's fields, e.g. --no-header "
                "--columns label,text.")
        opts["header"] = False
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InvalidSettingError(
                f"--encoding {encoding!r} is not a known encoding; use e.g. utf-8, cp1252 "
                f"or utf-16.") from None
        opts["encoding"] = encoding
    if decimal is not None:
        if len(decimal) != 1 or decimal.isalnum() or decimal.isspace():
            raise InvalidSettingError(f"--decimal {decimal!r} must be one mark such as ',' "
                                      f"or '.'.")
        # without --sep the file's format sets the delimiter (a tab for TSV, known by its
        # suffix only when the file is read): checked then
        if "sep" in opts and decimal == opts["sep"]:
            raise InvalidSettingError(f"--decimal {decimal!r} is also the field delimiter; "
                                      f"give the delimiter too, e.g. --sep ';' --decimal ','.")
        opts["decimal"] = decimal
    if thousands is not None:
        mark = decimal or "."
        if len(thousands) != 1 or thousands.isalnum() or thousands in "\r\n\"":
            raise InvalidSettingError(f"--thousands {thousands!r} must be one mark such as "
                                      f"',', '.' or ' '.")
        if thousands == mark:
            raise InvalidSettingError(
                f"--thousands {thousands!r} is also the decimal mark; a number then reads two "
                f"ways. Give the other: --thousands '.' --decimal ',' (1.234,5) or "
                f"--thousands ',' (1,234.5).")
        if "sep" in opts and thousands == opts["sep"] and thousands != ",":
            raise InvalidSettingError(f"--thousands {thousands!r} is also the field "
                                      f"delimiter; give another --sep.")
        opts["thousands"] = thousands
    return opts


#: The reading options a second file's ``--<prefix>-*`` forms override.
_READING_FLAGS = re.compile(r"--(format|sep|no-header|columns|encoding|decimal|thousands)\b")


def for_second_file(message: str, prefix: str, what: str) -> str:
    """An error about a command's second file (the current table of ``drift``, the dev
    set of ``weak``), naming the ``--<prefix>-*`` options that set its reading alone:
    ``--encoding latin-1`` would also re-read the first file with that encoding."""
    flags = ", ".join(f"--{prefix}-{n}" for n in ("format", "sep", "no-header", "columns",
                                                   "encoding", "decimal")) + \
        f" and --{prefix}-thousands"
    return (f"{_READING_FLAGS.sub(lambda m: f'--{prefix}-' + m.group(1), message)} (This is "
            f"the {what} file: {flags} set its reading options alone.)")


def second_file_options(path, prefix: str, what: str, *, format, sep, no_header, columns,
                        encoding, decimal, own_format, own_sep, own_no_header, own_columns,
                        own_encoding, own_decimal, thousands=None,
                        own_thousands=None) -> dict:
    """:func:`read_options` of a command's second file: the first file's options, each
    overridden by the file's own ``--<prefix>-*`` one when given. The first file's
    ``--sep`` is not taken by a second file with its own ``--<prefix>-format``, or read
    as TSV: that format sets its delimiter.

    A second file in another format than CSV/TSV (Parquet, JSON) does not take the first
    file's delimited-text options (``--sep``, ``--no-header``, ``--decimal``); the first
    file's ``--columns`` then renames its header only when they rename a header there too.
    A second file with its own header (``--<prefix>-header``) keeps its names."""
    from dataqa.data import file_format

    fmt = format if own_format is None else own_format
    kind = file_format(path, fmt)
    if kind in ("csv", "tsv", None):
        # the first file's --sep is not taken by a second file whose own --<prefix>-format
        # is given, or that is a TSV: its format then says its delimiter
        inherit_sep = own_format is None and kind != "tsv"
        f_sep = own_sep if own_sep is not None else sep if inherit_sep else None
        f_no_header = no_header if own_no_header is None else own_no_header
        f_decimal = decimal if own_decimal is None else own_decimal
        f_thousands = thousands if own_thousands is None else own_thousands
        f_columns = (columns if own_columns is None and own_no_header is not False
                     else own_columns)
        f_encoding = encoding if own_encoding is None else own_encoding
        if own_decimal is None and decimal is not None and f_sep == decimal:
            took = "given" if own_sep is not None else "taken from --sep"
            raise InvalidSettingError(
                f"--decimal {decimal!r} is taken by the {what} file too, as no "
                f"--{prefix}-decimal was given, but {decimal!r} is that file's field "
                f"delimiter (--{prefix}-sep {f_sep!r}, {took}); give its own decimal mark, "
                f"e.g. --{prefix}-decimal '.'.")
    else:
        f_sep, f_no_header, f_decimal = own_sep, bool(own_no_header), own_decimal
        f_thousands = own_thousands
        f_columns = own_columns if own_columns is not None or no_header else columns
        # a Parquet file's text is UTF-8: the first file's encoding is not its
        f_encoding = own_encoding if kind == "parquet" else (
            encoding if own_encoding is None else own_encoding)
    try:
        return read_options(fmt, f_sep, f_no_header, f_columns, f_encoding, f_decimal,
                            f_thousands)
    except InvalidSettingError as exc:
        raise InvalidSettingError(for_second_file(str(exc), prefix, what)) from None


def read_second_file(source, opts: dict, prefix: str, what: str, *,
                     took_columns: bool = False, **kwargs):
    """:func:`dataqa.data.load_tables` of a command's second file, its reading errors and
    warnings naming its own ``--<prefix>-*`` options (see :func:`for_second_file`).
    ``took_columns``: its column names are the first file's ``--columns`` (no
    ``--<prefix>-columns`` was given), which a count mismatch then says."""
    import warnings

    from dataqa.data import load_tables

    taken = f"the first file's --columns (taken, as no --{prefix}-columns was given) names"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = load_tables(source, **opts, **kwargs)
    except DataqaError as exc:
        names = getattr(exc, "header_names", None)
        if names is not None:  # often --no-header given for the first file only
            from dataqa.data import _shown_names

            raise type(exc)(
                f"the {what} file {str(source)!r} is read without a header (the first "
                f"file's --no-header, which it takes unless given --{prefix}-header, or its "
                f"own --{prefix}-no-header), but its first line holds the column "
                f"names ({_shown_names(names)}): it has a header. Pass --{prefix}-header (and "
                f"--{prefix}-columns to rename its columns, if needed).") from None
        if _READING_FLAGS.search(str(exc)):
            text = for_second_file(str(exc), prefix, what)
            if took_columns and f"--{prefix}-columns (API: columns=) names" in text:
                text = text.replace(f"--{prefix}-columns (API: columns=) names", taken) + (
                    f" If the {what} file has a header line, pass --{prefix}-header; else "
                    f"name its fields with --{prefix}-columns.")
            raise type(exc)(text) from None
        if str(exc).startswith("data file "):  # the first file is the data file
            raise type(exc)(f"{what} file {str(exc)[len('data file '):]}") from None
        raise
    for w in caught:
        text = str(w.message)
        if _READING_FLAGS.search(text):
            text = for_second_file(text, prefix, what)
            if took_columns:  # the names it took, not options it was given
                text = text.replace(f"that --{prefix}-columns names", f"that {taken}")
        warnings.warn(text, w.category, stacklevel=3)
    return frame


def check_out_dir(path: str | os.PathLike, option: str = "--out") -> Path:
    """Check, before any work, that ``path`` can be an output folder; create nothing.

    It may exist as a folder or not exist yet; the nearest existing folder above it must
    accept new files (tried with a temporary file that is removed at once).

    Raises
    ------
    InvalidSettingError
        ``path`` is an existing file, lies under a file, or cannot be written.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InvalidSettingError(
            f"{option} {str(out)!r} is an existing file, not a folder; give a folder path.")
    parent = _nearest_existing(out)
    if not parent.is_dir():
        raise InvalidSettingError(
            f"{option} {str(out)!r} lies under {str(parent)!r}, which is a file; give a folder path.")
    _try_writing(parent, option, out, "a folder")
    if out.is_dir():  # (before any work: another run writing into it now)
        from dataqa.outdir import refuse_if_being_written

        refuse_if_being_written(out)
    return out


def check_out_file(path: str | os.PathLike, option: str = "--out") -> Path:
    """Check, before any work, that a table can be written at file ``path``; create nothing.

    An existing file is replaced (a command can be repeated to the same file); a folder,
    a path under a file, or a place this user cannot write to is refused.

    Raises
    ------
    InvalidSettingError
        Naming ``option``, the path and what to do.
    """
    out = Path(path)
    if out.is_dir():
        raise InvalidSettingError(
            f"{option} {str(out)!r} is a folder; give a file path such as "
            f"{str(out / 'out.csv')!r}.")
    if out.exists():
        if not out.is_file():
            raise InvalidSettingError(f"{option} {str(out)!r} is not a regular file; give a file path.")
        if not os.access(out, os.W_OK):
            raise InvalidSettingError(
                f"{option} {str(out)!r} is not writable by you; give another path or change "
                f"its permissions.")
    parent = _nearest_existing(out.parent)
    if not parent.is_dir():
        raise InvalidSettingError(
            f"{option} {str(out)!r} lies under {str(parent)!r}, which is a file, not a folder; "
            f"give another path.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InvalidSettingError(
            f"{option} {str(out)!r}: folder {str(parent)!r} is not writable by you; give "
            f"another path.")
    _try_writing(parent, option, out, "a path")
    return out


def _nearest_existing(path: Path) -> Path:
    """``path`` itself or its nearest existing ancestor."""
    while not path.exists():
        path = path.parent
    return path


def _try_writing(folder: Path, option: str, out: Path, what: str) -> None:
    """Refuse ``out`` when ``folder`` takes no new file (tried with a temporary file that is
    removed at once)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise InvalidSettingError(
            f"{option} {str(out)!r} cannot be written: a new file could not be made in "
            f"{str(folder)!r} (the system says: {exc.strerror or exc}); give {what} you can "
            f"write to.") from None


#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formulas_as_text(frame, *, keep: tuple = ("id",)):
    """``frame`` with each text cell that a spreadsheet would run as a formula
    (``=HYPERLINK(...)``, ``+44 79...``, ``- great``) preceded by ``'``, so that it shows
    as text: such a cell shows ``#NAME?``, a live link or runs a command, and is saved
    altered. Numbers (``-0.5``) are left as they are, and so are the columns in ``keep``
    (read back by dataqa: ids, verified labels), whatever they hold. For files only
    people read: a program reading the file gets the ``'`` too."""
    import pandas as pd

    out = frame.copy()
    for c in out.columns:
        if c in keep or not (out[c].dtype == object or pd.api.types.is_string_dtype(out[c])):
            continue
        text = out[c].astype("string")
        risky = text.str.startswith(FORMULA_STARTS).fillna(False)
        risky &= pd.to_numeric(text.where(risky), errors="coerce").isna()
        if risky.any():  # (as object: a Categorical takes no value outside its categories)
            out[c] = out[c].astype(object).where(~risky, "'" + text)
    return out


def write_csv_atomic(frame, out: str | os.PathLike, *, for_people: bool = False,
                     sep: str = ",", decimal: str = ".") -> None:
    """Write DataFrame ``frame`` to ``out`` whole or not at all (a temporary file renamed
    into place), creating missing folders. The file gets the usual permissions (0666 less
    the umask), like any file the user writes. UTF-8; with ``for_people`` (a sheet or queue
    a person opens in a spreadsheet) with a byte-order mark, without which Excel reads
    UTF-8 text as its local code page ('é' as 'Ã©'). Readers of dataqa, pandas and Python's
    ``utf-8-sig`` skip the mark. ``sep``: the field delimiter; ``decimal``: the decimal
    mark of its numbers."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8-sig" if for_people else "utf-8") as fh:
            frame.to_csv(fh, index=False, sep=sep, decimal=decimal)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def set_aside_earlier(out: str | os.PathLike, names: list[str], what: str, *,
                      replaced: bool = False) -> Path | None:
    """Move the files among ``names`` that an earlier run left in folder ``out`` (and this
    run does not write, or, with ``replaced``, writes anew) into
    ``out/earlier-<UTC time>/``, with a warning, so that they are neither read as this
    run's nor lost (a review sheet may hold a person's answers).

    Returns
    -------
    Path of the folder they went to, or None when there were none.
    """
    import datetime
    import warnings

    out = Path(out)
    found = [n for n in names if (out / n).is_file()]
    if not found:
        return None
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = out / f"earlier-{stamp}"
    k = 1
    while aside.exists():
        k += 1
        aside = out / f"earlier-{stamp}-{k}"
    aside.mkdir(parents=True)
    for n in found:
        os.replace(out / n, aside / n)
    how = "replaces or leaves out" if replaced else "does not write"
    warnings.warn(f"{str(out)!r} held {', '.join(found)} from {what}, which this run {how}; "
                  f"moved to {str(aside)!r} so that they are not read as this run's.",
                  UserWarning, stacklevel=3)
    return aside


def without_api_hints(text: str) -> str:
    """``text`` without its hints for Python callers, as the command line shows it:
    ``" (API: format='csv')"`` goes, and so does ``"; API: ..."`` or ``", API: ..."``
    before a closing parenthesis (messages are shared by the API and the commands). A
    hint whose parentheses do not close is kept."""
    out, i = [], 0
    while True:
        j = text.find("API: ", i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        if j >= 1 and text[j - 1] == "(":
            start, keep_close = j - 1 - (j >= 2 and text[j - 2] == " "), False
        elif j >= 2 and text[j - 2:j] in ("; ", ", "):
            start, keep_close = j - 2, True
        else:
            out.append(text[i:j + 5])
            i = j + 5
            continue
        depth, k = 0, j + 5
        while k < len(text) and not (text[k] == ")" and depth == 0):
            depth += {"(": 1, ")": -1}.get(text[k], 0)
            k += 1
        if k >= len(text):  # no closing parenthesis: keep it as it is
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:start])
        i = k if keep_close else k + 1


#: Errors of the place written to (full disk, quota, read-only, forbidden): said in one
#: line, not as a traceback.
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})

#: Where the command line is, for a Ctrl-C that reaches the console script
#: (:mod:`dataqa._entry`): ``"starting"`` until a command wrapped by :func:`handle_errors`
#: (every command is) begins, ``"running"``, then ``"finished"`` once it has returned.
RUN_PHASE = {"phase": "starting"}


def handle_errors(func: F) -> F:
    """Turn a :class:`DataqaError` into its message on stderr and exit code 2 (no
    traceback), a full disk or a forbidden or read-only place (``OSError``) into one line
    and exit code 2 too, and Ctrl-C into exit code 130 with what was interrupted, when the
    code that was running said (a push: how many tasks are recorded, and how to resume).
    The command line is recorded for the marks of folders it writes (:mod:`dataqa.outdir`).
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from dataqa.outdir import set_command_line

        RUN_PHASE["phase"] = "running"
        set_command_line(_command_line())
        try:
            out = func(*args, **kwargs)
        except DataqaError as exc:
            err_console.print(f"error: {without_api_hints(str(exc))}", markup=False,
                              highlight=False, style="red", soft_wrap=True)
            raise typer.Exit(code=2) from None
        except KeyboardInterrupt as exc:  # Ctrl-C: what was interrupted, when the code said
            note = getattr(exc, "dataqa_note", None)
            err_console.print(f"interrupted: {note}" if note else "interrupted", markup=False,
                              highlight=False, style="red")
            raise typer.Exit(code=130) from None
        except OSError as exc:
            space = exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS)
            # (a permission error that names no file is no place the user chose: a bug's
            # traceback stays)
            if exc.errno not in _DISK_ERRNOS or not (space or exc.filename):
                raise
            # a full disk, a quota, a read-only or forbidden place
            where = f" ({str(exc.filename)!r})" if exc.filename else ""
            fix = ("free some space" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else
                   "give a place you may write to (or a file you may read), or change its "
                   "permissions")
            marked = getattr(exc, "dataqa_marked", None)
            left = (f" ({marked!r} keeps INCOMPLETE.json until then)" if marked else "")
            err_console.print(
                f"error: {exc.strerror or exc}{where}: {fix}, then run the command again"
                f"{left}.", markup=False, highlight=False, style="red", soft_wrap=True)
            raise typer.Exit(code=2) from None
        finally:
            set_command_line(None)
        RUN_PHASE["phase"] = "finished"
        return out

    return wrapper  # type: ignore[return-value]


def _command_line() -> str | None:
    """The command line as typed (``dataqa audit data.csv --out a``), for messages that
    say what to run again; ``None`` when dataqa runs inside another program."""
    import shlex
    import sys

    prog = Path(sys.argv[0]).name if sys.argv else ""
    if prog in ("dataqa", "dataqa.exe"):
        return shlex.join(["dataqa", *sys.argv[1:]])
    return None
