"""Load a table and validate ids, labels and feature columns.

Validation happens here, once, at the public boundary; everything downstream trusts
a :class:`LabeledTable`.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dataqa._caller import caller_stacklevel
from dataqa.errors import (
    DataLoadError,
    DataqaError,
    DuplicateIdError,
    EmptyDataError,
    FeatureTypeError,
    LabelError,
    LengthMismatchError,
    MissingColumnError,
    SmallClassError,
    TooFewClassesError,
    format_ids,
    format_rows,
)

__all__ = [
    "FORMATS",
    "MAX_CELL_CHARS",
    "LabeledTable",
    "load_table",
    "load_tables",
    "table_files",
    "load_with_options",
    "file_format",
    "table_name",
    "check_cell_lengths",
    "check_feature_columns",
    "check_text_column",
    "make_ids",
    "encode_labels",
    "numeric_feature_columns",
    "refuse_nearly_numeric",
    "prepare_labeled",
    "check_lengths",
    "effective_folds",
]

#: Formats :func:`load_table` reads, and the file suffixes that imply them.
FORMATS = ("csv", "tsv", "parquet", "jsonl", "json")

_READERS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}

#: Largest text cell (in characters) accepted in a text column. A longer cell is almost
#: always a broken file (an unclosed quote swallowing the rest of the file) and would
#: make the character n-gram features take gigabytes of memory.
MAX_CELL_CHARS = 1_000_000

_SOURCE_ATTR = "dataqa_source"
#: How many rows were read from the source (a table numbered afresh after rows were left
#: out no longer lines up with its file).
_ROWS_READ_ATTR = "dataqa_rows_read"
#: Set on a table read from a CSV/TSV file without a header line.
_NO_HEADER_ATTR = "dataqa_no_header"


def _counted(df: pd.DataFrame | pd.Series) -> str:
    """How a message counts a table's rows: from 1 after the header, or, for a file read
    without one, from its first line; for a Parquet or JSON file, from its first record;
    for a DataFrame not read from a file (no source recorded), from 1 at its first row."""
    if not df.attrs.get(_SOURCE_ATTR):
        return "counted from 1 at the table's first row"
    if not df.attrs.get(_SEP_ATTR):  # Parquet, JSON: records, no header line
        return "counted from 1 at the file's first record"
    return _counting(header=not df.attrs.get(_NO_HEADER_ATTR))


def _counting(*, header: bool) -> str:
    return "counted from 1 after the header" if header else "counted from line 1"


def file_format(path: str | PathLike, format: str | None = None) -> str | None:
    """The format :func:`load_table` reads ``path`` as: ``format`` when given, else the
    one its suffix names (the suffix before a compression suffix: ``data.csv.gz`` is
    csv); None when neither tells."""
    if format is not None:
        return format.strip().lower()
    path = Path(path)
    if path.suffix.lower() == ".zip" and Path(path.stem).suffix.lower() not in _READERS:
        member = _zip_member(path)  # data.zip holding data.csv: the member's suffix tells
        inner = _READERS.get(Path(member).suffix.lower()) if member is not None else None
        if inner != "parquet":  # (a Parquet file is read from a file, not through zip)
            return inner
    if path.suffix.lower() in _COMPRESSIONS or path.suffix.lower() in _UNREAD_COMPRESSIONS:
        path = Path(path.stem)
    return _READERS.get(path.suffix.lower())


def _zip_member(path: Path) -> str | None:
    """The name of the one file a zip archive holds; None when it holds another number,
    or is not a readable zip archive."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            members = _zip_files(archive)
    except (OSError, zipfile.BadZipFile):
        return None
    return members[0] if len(members) == 1 else None


def _zip_files(archive) -> list[str]:
    """The files a zip archive holds: its folder entries left out, and the ones macOS adds
    when it compresses a file (``__MACOSX/``, ``._name``, ``.DS_Store``)."""
    return [m for m in archive.namelist() if not m.endswith("/")
            and not m.startswith("__MACOSX/")
            and not m.rsplit("/", 1)[-1].startswith("._")
            and m.rsplit("/", 1)[-1] != ".DS_Store"]


#: Names of tar archives (read by none of the readers).
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


#: Compressions a text table is read through, by suffix (pandas' names).
_COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zip": "zip"}
#: The first bytes of the same compressions (a zip archive is read only when named .zip:
#: an Excel workbook is one too).
_COMPRESSION_MAGIC = ((b"\x1f\x8b\x08", "gzip"), (b"\xfd7zXZ\x00", "xz"))
#: Compressions not read: what to do.
_UNREAD_COMPRESSIONS = {".zst": "a zstd-compressed file; decompress it first (unzstd)"}


def _compression(path: Path) -> str | None:
    """How a text table's bytes are compressed (``"gzip"``, ``"bz2"``, ``"xz"``, ``"zip"``),
    from its first bytes or its ``.zip`` suffix; None when they are not."""
    suffix = path.suffix.lower()
    if suffix in _UNREAD_COMPRESSIONS:
        raise DataLoadError(f"{str(path)!r} is {_UNREAD_COMPRESSIONS[suffix]}.")
    with open(path, "rb") as fh:
        head = fh.read(10)
    for magic, name in _COMPRESSION_MAGIC:
        if head.startswith(magic):
            return name
    if _is_bz2(head):
        return "bz2"
    if suffix == ".zip" and head.startswith(b"PK"):  # an empty archive starts PK\x05\x06
        return "zip"
    return None


def _is_bz2(head: bytes) -> bool:
    """bzip2's first bytes: "BZh", the block size, then a block's or the stream end's
    magic (a text table may well start with "BZh")."""
    return (head[:3] == b"BZh" and head[3:4] in (b"1", b"2", b"3", b"4", b"5", b"6", b"7",
                                                 b"8", b"9")
            and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90"))


def _read_csv(path: Path, compression: str | None, **kwargs) -> pd.DataFrame:
    """``pd.read_csv`` through the compression (a zip archive's one table is opened here:
    pandas counts folder entries as files)."""
    if compression == "zip":
        with _open_bytes(path, "zip") as fh:
            return pd.read_csv(fh, **kwargs)
    return pd.read_csv(path, compression=compression, **kwargs)


def _open_bytes(path: Path, compression: str | None):
    """The file's bytes, decompressed as they are read."""
    if compression is None:
        return open(path, "rb")
    if compression == "gzip":
        import gzip
        return gzip.open(path, "rb")
    if compression == "bz2":
        import bz2
        return bz2.open(path, "rb")
    if compression == "xz":
        import lzma
        return lzma.open(path, "rb")
    import zipfile

    archive = zipfile.ZipFile(path)
    members = _zip_files(archive)
    if len(members) != 1:
        archive.close()
        shown = ", ".join(repr(m) for m in members[:5]) + (", ..." if len(members) > 5 else "")
        raise DataLoadError(
            f"{str(path)!r} is a zip archive of {len(members)} files ({shown or 'none'}); "
            f"a zip archive is read when it holds one table: unzip it and give the table's "
            f"file.")
    try:
        return archive.open(members[0])  # (the member keeps the archive's file open)
    except (RuntimeError, NotImplementedError) as exc:  # encrypted; Deflate64 and the like
        archive.close()
        raise DataLoadError(
            f"{str(path)!r} is a zip archive whose file {members[0]!r} cannot be read here "
            f"({exc}): unzip it with your archive tool and give the table's file.") from None


def _text_format_hint(path: Path) -> str:
    """For a file whose name does not tell its format (``data.txt``, ``data.txt.gz``),
    what its first line looks like: JSON, UTF-16 (Excel's "Unicode text"), tabs, ';' or
    ','; else ``""``."""
    try:
        with _open_bytes(path, _compression(path)) as fh:
            head = fh.read(4096)
    except Exception:  # noqa: BLE001 - only a hint (a damaged or unreadable file)
        return ""
    encoding, option = "utf-8-sig", ""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding, option = "utf-16", " --encoding utf-16"
    text = head.decode(encoding, errors="replace")
    first = text.lstrip().split("\n", 1)[0] if text.strip() else ""
    if first.startswith("{") or _json_array_start(first):
        how = "--format jsonl" if first.startswith("{") and first.rstrip().endswith("}") else \
            "--format json"
        return f" Its first line looks like JSON: pass {how}{option}."
    for mark, how in (("\t", "--format tsv"), (";", "--format csv --sep ';'"),
                      (",", "--format csv")):
        if mark in first:
            what = "UTF-16 text (as Excel saves 'Unicode text')" if option else "text"
            return (f" Its first line is {what} with {'tabs' if mark == chr(9) else repr(mark)} "
                    f"between fields: pass {how}{option}.")
    return ""


def _json_array_start(line: str) -> bool:
    """Whether ``line`` opens a JSON array (``[{"a": 1}``, ``[1, 2]``, ``[``), not a
    delimited header whose first name is bracketed (``[a],[b]``)."""
    rest = line[1:].lstrip() if line.startswith("[") else None
    if rest is None:
        return False
    if not rest or rest[0] in '{["-]' or rest[0].isdigit():
        return True
    return re.match(r"(true|false|null)\s*[,\]]", rest) is not None


def _decompress_errors() -> tuple[type[BaseException], ...]:
    import lzma
    import zipfile
    import zlib

    return (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)


def _decompress_error(path: Path, compression: str | None, exc: BaseException) -> DataLoadError:
    msg = " ".join(str(exc).split()) or type(exc).__name__
    return DataLoadError(f"{str(path)!r} could not be decompressed as {compression}: {msg}; "
                         f"check that the file is whole (a download or copy may have been cut "
                         f"off).")


def _open_text(path: Path, compression: str | None, encoding: str, **kwargs):
    return io.TextIOWrapper(_open_bytes(path, compression), encoding=encoding, **kwargs)


def table_name(df: pd.DataFrame, source: str | None = None) -> str:
    """How messages name a table: ``source`` if given, else the file it was read from."""
    if source is not None:
        return str(source)
    name = df.attrs.get(_SOURCE_ATTR)
    return repr(str(name)) if name else "the table"


#: Suffixes of spreadsheet files, refused with a hint to save the sheet as CSV.
_SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")


#: Bytes read at a time by the UTF-8 check, so a large file is never held whole.
_UTF8_CHUNK = 1 << 24


#: Files read as text that are not: their first bytes, what they are, what to do.
_BINARY_FORMATS = (
    (b"PAR1", "a Parquet file", "pass --format parquet (API: format='parquet')"),
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook is one)",
     "unzip it, or save the sheet as CSV"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or other Office file", "save the sheet as CSV"),
    (b"\x1f\x8b\x08", "a gzip-compressed file", "decompress it first (gunzip)"),
    (b"\xfd7zXZ\x00", "an xz-compressed file", "decompress it first (unxz)"),
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file", "decompress it first (unzstd)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "give the table itself"),
    (b"\xff\xd8\xff", "a JPEG image", "give the table itself"),
    (b"GIF8", "a GIF image", "give the table itself"),
    (b"%PDF-", "a PDF document", "export the table from it as CSV"),
    (b"SQLite format 3\x00", "an SQLite database (a dataqa ledger is one)",
     "export the table from it as CSV"),
)


def _utf16_like(head: bytes) -> str | None:
    """The byte order (``"utf-16-le"`` or ``"utf-16-be"``) in which ``head`` (a file's
    first bytes, no byte-order mark) reads as UTF-16 text of mostly Latin letters, as
    tables are: NUL bytes at most odd (or even) positions and almost none at the others;
    else None (a stray NUL in UTF-8 text, a binary file)."""
    part = head[:4096]
    part = part[:len(part) - len(part) % 2]
    if len(part) < 4:
        return None
    even = part[0::2].count(0) / (len(part) // 2)
    odd = part[1::2].count(0) / (len(part) // 2)
    if odd >= 0.3 and even <= 0.02:
        return "utf-16-le"
    if even >= 0.3 and odd <= 0.02:
        return "utf-16-be"
    return None


def _html_page(head: bytes) -> bool:
    """Whether a file's first bytes are those of a web page (``<!DOCTYPE html>``,
    ``<html>``), as a download link that led to a login page saves."""
    start = head[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(b"<!doctype html"):
        return True
    # a table whose first field is HTML (<html>...</html>,spam) has a delimiter after it
    return (start.startswith((b"<html", b"<head"))
            and re.search(rb"</(html|head|body)>[ \t]*[,;\t|]", head[:65536].lower()) is None)


#: Bytes that cp1252 leaves undefined (a DOS file's 0x81 is cp850's u-umlaut).
_CP1252_UNDEFINED = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})

#: A byte 0x80-0x9f that is no part of a UTF-8 character and is a symbol in cp1252, as
#: ``decode("utf-8", errors="surrogateescape")`` leaves it (U+DC80-U+DC9F).
_CP1252_SYMBOL = re.compile("[" + "".join(chr(0xDC00 + b) for b in range(0x80, 0xA0)
                                          if b not in _CP1252_UNDEFINED) + "]")


def _cp1252_byte(data: bytes) -> tuple[int, int] | None:
    """The first byte of ``data`` that only cp1252 reads as a character (a quote, dash or
    the euro sign; latin-1 makes it a control character), with its offset in ``data``;
    or None. Bytes 0x80-0x9f inside well-formed UTF-8 characters (an em dash, Cyrillic)
    do not count."""
    text = data.decode("utf-8", errors="surrogateescape")
    found = _CP1252_SYMBOL.search(text)
    if found is None:
        return None
    return ord(found.group()) - 0xDC00, len(text[:found.start()].encode("utf-8",
                                                                       "surrogateescape"))


def _whole_utf8_characters(head: bytes) -> bytes:
    """``head`` without a UTF-8 character cut at its end (the first bytes of a file
    stop where they stop): up to three trailing bytes of a sequence that would need
    more."""
    for back in range(1, min(4, len(head)) + 1):
        b = head[-back]
        if b & 0xC0 == 0x80:  # a continuation byte: look further back for the lead
            continue
        need = 2 if b & 0xE0 == 0xC0 else 3 if b & 0xF0 == 0xE0 else 4 if b & 0xF8 == 0xF0 else 1
        return head[:-back] if need > back else head
    return head


#: Bytes of a file read with another encoding that are checked for UTF-8 text.
_MOJIBAKE_SCAN = 1 << 22


def _utf8_sample(path: Path, compression: str | None) -> str | None:
    """A non-ASCII character of the file's first :data:`_MOJIBAKE_SCAN` bytes when they
    are valid UTF-8 and hold one; else None (ASCII only, or not UTF-8)."""
    import codecs

    with _open_bytes(path, compression) as fh:
        head = fh.read(_MOJIBAKE_SCAN)
    if head.isascii():
        return None
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    return next((c for c in text if ord(c) > 127 and c != "\ufeff"), None)


def _warn_mojibake(path: Path, compression: str | None, encoding: str) -> None:
    """Warn when a file read with a one-byte encoding (cp1252, latin-1) is UTF-8 text with
    characters beyond ASCII: each such character would be read as two or three wrong ones
    ('ï' as 'Ã¯'), without an error."""
    import codecs
    import warnings

    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return
    if name.startswith("utf") or name in ("ascii",):
        return
    if name == "iso8859-1":  # latin-1: the bytes cp1252 reads as quotes and dashes
        try:
            with _open_bytes(path, compression) as fh:
                found = _cp1252_byte(_whole_utf8_characters(fh.read(_MOJIBAKE_SCAN)))
        except Exception:  # noqa: BLE001 - only a hint
            found = None
        if found is not None:
            byte, offset = found
            warnings.warn(
                f"{str(path)!r} is read as {encoding}, in which byte 0x{byte:02x} (at offset "
                f"{offset:,}) is an invisible control character; in cp1252, as Windows and "
                f"Excel save text, it is {bytes([byte]).decode('cp1252')!r}. If the file "
                f"comes from Windows or Excel, pass --encoding cp1252 (API: "
                f"encoding='cp1252').", UserWarning, stacklevel=caller_stacklevel())
            return
    try:
        c = _utf8_sample(path, compression)
    except Exception:  # noqa: BLE001 - only a hint
        return
    if c is None:
        return
    try:
        seen = c.encode("utf-8").decode(encoding)
    except UnicodeDecodeError:
        return
    warnings.warn(
        f"{str(path)!r} is read as {encoding}, but it is valid UTF-8 text with characters "
        f"beyond ASCII: {c!r} is read as {seen!r}. If the file is UTF-8, pass --encoding "
        f"utf-8 (API: encoding='utf-8').", UserWarning, stacklevel=caller_stacklevel())


def _utf8_error(path: Path, compression: str | None = None) -> DataLoadError | None:
    """The error for a file that is not valid UTF-8, or None when it is (read in chunks;
    offsets count the decompressed bytes)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with _open_bytes(path, compression) as fh:
        head = fh.read(_UTF8_CHUNK)
        found = next(((kind, fix) for magic, kind, fix in _BINARY_FORMATS
                      if head.startswith(magic)), None)
        if found is None and _is_bz2(head):
            found = ("a bzip2-compressed file", "decompress it first (bunzip2)")
        if found is None and head[257:262] == b"ustar":
            found = ("a tar archive", "extract the table from it first")
        if found is None and _html_page(head):
            found = ("a web page (HTML), as a download link that led to a login or error "
                     "page saves", "download the table itself")
        if found is not None:
            where = f"once {compression}-decompressed " if compression else ""
            return DataLoadError(
                f"{str(path)!r} is not a text table: its first bytes {where}are those of "
                f"{found[0]}; {found[1]}.")
        nul = head.find(b"\x00", 0, 4096)
        order = _utf16_like(head) if nul >= 0 else None
        if nul >= 0 and head[:2] not in (b"\xff\xfe", b"\xfe\xff") and order is None:
            where = f"once {compression}-decompressed " if compression else ""
            cat = {"gzip": "zcat", "bz2": "bzcat", "xz": "xzcat", "zstd": "zstdcat",
                   "zip": "unzip -p"}.get(compression or "", "cat")
            strip = ("tr -d '\\000' < FILE > FIXED" if compression is None else
                     f"{cat} FILE | tr -d '\\000' > FIXED")
            raw = head[:4096].replace(b"\x00", b"")
            text = raw.decode("utf-8", errors="replace")
            if text.count("\ufffd") <= 0.01 * max(len(text), 1):  # text with a stray NUL
                return DataLoadError(
                    f"{str(path)!r} {where}holds a NUL byte at byte offset {nul} in what is "
                    f"otherwise UTF-8 text: remove it (e.g. {strip}).")
            controls = sum(raw.count(bytes([b])) for b in range(1, 32) if b not in (9, 10, 13))
            if (controls <= 0.01 * max(len(raw), 1)  # one-byte text (Latin-1, cp1252)
                    and head[:4096].count(0) <= 0.01 * len(head[:4096])):
                return DataLoadError(
                    f"{str(path)!r} {where}holds a NUL byte at byte offset {nul} in what is "
                    f"otherwise text, though not UTF-8 (bytes above 127 that UTF-8 does not "
                    f"use, as in Latin-1 or cp1252 files): remove it (e.g. {strip}) and pass "
                    f"the file's encoding (--encoding cp1252; API: encoding='cp1252').")
            return DataLoadError(
                f"{str(path)!r} is not a text table: {where}it holds a NUL byte at byte "
                f"offset {nul} and does not read as UTF-16 text either, as binary files "
                f"(images, databases, programs) do; give the table itself, saved as CSV.")
        if order is not None and head[:2] not in (b"\xff\xfe", b"\xfe\xff"):
            return DataLoadError(
                f"{str(path)!r} is not UTF-8 text: it holds a NUL byte at byte offset {nul}"
                f"{' once ' + compression + '-decompressed' if compression else ''}, "
                f"as UTF-16 files without a byte-order mark do; pass --encoding {order} "
                f"(API: encoding='{order}') or save the file as UTF-8.")
        if head[:2] in (b"\xff\xfe", b"\xfe\xff") or nul >= 0:
            why = ("starts with a UTF-16 byte-order mark"
                   if nul < 0 or head[:2] in (b"\xff\xfe", b"\xfe\xff")
                   else f"holds a NUL byte at byte offset {nul}")
            return DataLoadError(
                f"{str(path)!r} is not UTF-8 text: it {why}, as UTF-16 files do; pass --encoding "
                f"utf-16 (API: encoding='utf-16') or save the file as UTF-8."
            )
        chunk = head
        utf8_seen = None  # (offset, character): the first non-ASCII character UTF-8 read
        newlines = 0  # in the bytes before ``offset``: a line number for the messages
        while True:
            final = len(chunk) < _UTF8_CHUNK
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                # exc.start counts from the bytes the decoder still held from the last chunk
                held = len(exc.object) - len(chunk)
                at = offset - held + exc.start
                byte = exc.object[exc.start]
                # (held bytes begin a character: never a line break)
                line = newlines + chunk[:max(0, at - offset)].count(b"\n") + 1
                if final and exc.reason == "unexpected end of data":
                    return DataLoadError(
                        f"{str(path)!r} ends inside a UTF-8 character (byte 0x{byte:02x} at "
                        f"byte offset {at} starts one that the file's end cuts short): the "
                        f"file was likely cut off while written or copied; get it whole "
                        f"again, or remove its last, partial line.")
                if utf8_seen is None:
                    utf8_seen = _first_non_ascii(exc.object[:exc.start], offset - held)
                odd = exc.object[exc.start:].decode("utf-8", errors="replace").count("\ufffd")
                if utf8_seen is not None and odd >= 2:  # UTF-8 text, then another encoding
                    seen_at, char = utf8_seen
                    wrong = char.encode("utf-8").decode("cp1252", errors="replace")
                    return DataLoadError(
                        f"{str(path)!r} mixes two encodings: byte 0x{byte:02x} at byte offset "
                        f"{at} (line {line}) is not UTF-8, but the bytes before it are, with non-ASCII "
                        f"characters (e.g. {char!r} at byte offset {seen_at}), as in a file put "
                        f"together from a UTF-8 file and a Windows (cp1252) or latin-1 one. "
                        f"Any single --encoding misreads one of the parts (cp1252 reads "
                        f"{char!r} as {wrong!r}): convert the other part to UTF-8 (e.g. "
                        f"iconv -f cp1252 -t utf-8 on the file it came from) and join them "
                        f"again.")
                # 0x80-0x9f: curly quotes, dashes, the euro sign in Windows' cp1252 (as
                # Excel saves), control characters in latin-1
                # such a byte anywhere in the chunk (the euro sign after an accented
                # letter) makes cp1252 the likelier reading: latin-1 would turn it into a
                # control character without a word
                if 0x80 <= byte <= 0x9f and byte not in _CP1252_UNDEFINED:
                    c1, c1_at = byte, None
                else:
                    later = _cp1252_byte(exc.object[exc.start:])
                    c1, c1_at = later if later is not None else (None, None)
                    if c1_at is not None:
                        c1_at += at
                where_c1 = f" at byte offset {c1_at}" if c1_at is not None else ""
                # without such a byte cp1252 and latin-1 read the bytes seen alike: cp1252,
                # as Windows and Excel save, unless a byte it leaves undefined shows up
                undefined = any(b in _CP1252_UNDEFINED for b in exc.object[exc.start:])
                enc, why = (("latin-1", "") if undefined else
                            ("cp1252", " (as Windows and Excel save text: byte 0x"
                             f"{c1:02x}{where_c1} is a quote, dash or symbol there, a control "
                             "character in latin-1)") if c1 is not None else
                            ("cp1252", " (as Windows and Excel save text; latin-1 reads these "
                                       "bytes alike)"))
                return DataLoadError(
                    f"{str(path)!r} is not valid UTF-8: byte 0x{byte:02x} at byte offset {at} "
                    f"(line {line}) cannot be decoded; pass its encoding, e.g. --encoding {enc}{why} "
                    f"(API: encoding='{enc}'), or save the file as UTF-8."
                )
            if final:
                return None
            if utf8_seen is None:
                utf8_seen = _first_non_ascii(chunk, offset)
            newlines += chunk.count(b"\n")
            offset += len(chunk)
            chunk = fh.read(_UTF8_CHUNK)


def _first_non_ascii(data: bytes, offset: int) -> tuple[int, str] | None:
    """``(offset, character)`` of the first whole UTF-8 character above ASCII in
    ``data`` (which starts at byte ``offset``), or None."""
    if data.isascii():  # (most chunks: at C speed)
        return None
    for m in _UTF8_LEAD.finditer(data):  # a lead byte: the character is read whole
        i, b = m.start(), data[m.start()]
        width = 2 if b < 0xE0 else 3 if b < 0xF0 else 4
        try:
            char = data[i:i + width].decode("utf-8")
        except UnicodeDecodeError:
            continue
        if char != "\ufeff":  # (a byte-order mark is no text)
            return offset + i, char
    return None


_UTF8_LEAD = re.compile(rb"[\xc2-\xf4]")


def _na_values() -> list[str]:
    try:
        from pandas._libs.parsers import STR_NA_VALUES
    except ImportError:  # pragma: no cover - the list pandas documents for na_values
        STR_NA_VALUES = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                         "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None",
                         "n/a", "nan", "null"}
    return sorted(STR_NA_VALUES)


def _na_options(keys: list, string_keys) -> dict:
    """read_csv options under which only an empty field is missing in ``string_keys``
    (ids such as "NA", "null" or "None" stay text) and other columns keep pandas' rules."""
    if not string_keys:
        return {}
    default = _na_values()
    return {"keep_default_na": False,
            "na_values": {k: ([""] if k in string_keys else default) for k in keys}}


def _delimited_options(path: Path, fmt: str, sep: str | None, encoding: str,
                       decimal: str | None, compression: str | None) -> dict:
    """The ``read_csv`` options every read of a CSV/TSV file shares (a thousands
    separator is read by :func:`_grouped_numbers`, not by pandas, which deletes the mark
    wherever it stands: ``15.01.2024`` read as 15012024)."""
    delim = sep if sep is not None else ("\t" if fmt == "tsv" else ",")
    common: dict = {"sep": delim, "encoding": encoding}
    if decimal is not None:
        common["decimal"] = decimal
    if fmt == "tsv":
        common["quoting"] = csv.QUOTE_NONE
    if len(delim) > 1:  # a regular expression: only the python engine reads it
        common["engine"] = "python"
        if delim != r"\s+" and _first_line_holds(path, compression, encoding, delim):
            # '||' written in the file is meant as it is written, not as a pattern (whose
            # empty alternatives would split between every character)
            common["sep"] = re.escape(delim)
    return common


def _read_delimited(path: Path, fmt: str, *, sep: str | None, header: bool,
                    columns: list[str] | None, encoding: str,
                    string_columns: Sequence[str], decimal: str | None = None,
                    compression: str | None = None,
                    text_columns: Sequence[str] = (), nrows: int | None = None,
                    quiet: bool = False, keep_missing_words: bool = False) -> pd.DataFrame:
    """Read a CSV/TSV file (see :func:`load_table`); ``nrows``: its first data rows only;
    ``quiet``: the file was read before, so its warnings are not given again."""
    delim = sep if sep is not None else ("\t" if fmt == "tsv" else ",")
    common = _delimited_options(path, fmt, sep, encoding, decimal, compression)
    if header:
        file_cols = [str(c) for c in _read_csv(path, compression, nrows=0, **common).columns]
        if columns is None:
            _check_header_names(path, common, compression)
        if columns is not None and len(columns) != len(file_cols):
            raise DataLoadError(
                f"{str(path)!r} has {len(file_cols)} columns in its header but --columns "
                f"(API: columns=) names {len(columns)}; give one name per column."
            )
        names = columns if columns is not None else file_cols
        dtype = {file_cols[names.index(c)]: str for c in string_columns if c in names}
        literal = set(dtype) | {file_cols[names.index(c)] for c in text_columns if c in names}
        # index_col=False: a first row with more fields than the header would otherwise
        # turn its first fields into the index and shift every column's values one left
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            try:
                df = _read_csv(path, compression, header=0, dtype=dtype or None, **common,
                               index_col=False, nrows=nrows, **_na_options(file_cols, literal))
            except pd.errors.ParserError:
                _check_extra_fields(path, fmt, delim, encoding, compression, len(file_cols),
                                    empty_too=True)
                raise
        if any(issubclass(w.category, pd.errors.ParserWarning)
               and "Length of header" in str(w.message) for w in caught):
            _check_extra_fields(path, fmt, delim, encoding, compression, len(file_cols))
        for w in caught:  # the others (a column of mixed types, say) reach the user
            if "Length of header" not in str(w.message) and not quiet:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        df, marked = _without_inner_boms(df, literal, decimal)
        _check_repeated_header(path, df, file_cols)
        _warn_inner_boms(path, marked, quiet, header=True)
        if columns is None and not quiet:
            _warn_header_like_data(path, df, file_cols)
        if columns is not None:
            if not quiet:
                _warn_replaced_header(path, df, file_cols)
            df.columns = columns
        # (after the renaming: what they record names the columns as the caller does)
        df = _keep_leading_zeros(path, compression, common, df, header=True, nrows=nrows,
                                 quiet=quiet, labels=set(text_columns))
        if keep_missing_words:
            df = _missing_words_as_text(path, compression, common, df, header=True,
                                        nrows=nrows,
                                        skip={df.columns[file_cols.index(c)] for c in literal})
        if fmt == "tsv":
            _check_short_rows(path, df, delim, encoding, header_lines=1, compression=compression)
            if not quiet:
                _warn_csv_quoted(path, df)
        else:
            _check_merged_rows(path, df, delim, quiet=quiet)
        return df
    first = _read_csv(path, compression, header=None, nrows=1, **common)
    usecols = None
    if first.shape[1] > len(columns) and _trailing_fields_empty(
            path, compression, common, first.shape[1], len(columns)):
        # a delimiter at the end of every line (as spreadsheets export): the empty field
        # after the last column is no column of the data
        usecols = list(range(len(columns)))
        if not quiet:
            warnings.warn(f"{str(path)!r}: every line ends with "
                          f"{first.shape[1] - len(columns)} empty field(s) after the "
                          f"{len(columns)} that --columns names (a delimiter at the end of each "
                          f"line); left out.", UserWarning, stacklevel=caller_stacklevel())
    elif first.shape[1] != len(columns):
        hint = _lines_delimiter_hint(path, delim, encoding, compression)
        raise DataLoadError(
            f"{str(path)!r} has {first.shape[1]} fields per row but --columns (API: columns=) "
            f"names {len(columns)}; give one name per field{hint or ''}."
        )
    dtype = {columns.index(c): str for c in string_columns if c in columns}
    literal = set(dtype) | {columns.index(c) for c in text_columns if c in columns}
    df = _read_csv(path, compression, header=None, dtype=dtype or None, **common,
                   usecols=usecols, nrows=nrows,
                   **_na_options(list(range(len(columns))), literal))
    df, marked = _without_inner_boms(df, literal, decimal)
    df.columns = columns
    df = _keep_leading_zeros(path, compression, common, df, header=False, nrows=nrows,
                             quiet=quiet, labels=set(text_columns))
    if keep_missing_words:
        df = _missing_words_as_text(path, compression, common, df, header=False, nrows=nrows,
                                    skip={columns[i] for i in literal})
    _check_header_as_data(path, df, columns)
    _warn_inner_boms(path, marked, quiet, header=False)
    if fmt == "tsv":
        _check_short_rows(path, df, delim, encoding, header_lines=0, compression=compression)
        if not quiet:
            _warn_csv_quoted(path, df)
    else:
        _check_merged_rows(path, df, delim, quiet=quiet)
    return df


#: A whole number of three digits or more written with a leading zero ("02134", "007"),
#: as codes are (a zero-padded hour, day or month, "07", is a number).
_ZERO_LED = re.compile(r"0\d{2,}")
#: Share of a column's filled values written so (and at least :data:`ZERO_LED_MIN` of
#: them), from which the column is read as text whatever its widths; below it, only a
#: column of one width is (a stray "007" among amounts keeps them numbers).
ZERO_LED_SHARE = 0.01
ZERO_LED_MIN = 3


def _may_hold_zero_led(path: Path, compression: str | None, common: dict,
                       digits: int = 2) -> bool:
    """Whether a field of the file may start with a zero and ``digits`` digits (one pass
    over its bytes; True when that cannot be told so: a pattern delimiter, a text encoding
    that is not ASCII's superset)."""
    import codecs

    try:
        enc = codecs.lookup(str(common.get("encoding") or "utf-8")).name
    except LookupError:
        return True
    if enc == "utf-8-sig":  # (its mark starts the file only: the text is UTF-8)
        enc = "utf-8"
    if common.get("engine") == "python" or "\n,0123".encode(enc, errors="replace") != b"\n,0123":
        return True  # (a pattern delimiter; UTF-16 and other encodings not ASCII's superset)
    # a zero and two digits at a field's start: after a line end, a delimiter (any
    # usual one, or the given one), a quote, a space or a byte-order mark; each pattern
    # starts with literal bytes, which re finds at C speed
    before = {b"\n", b"\r", b",", b"\t", b";", b"|", b" ", b'"', b"\xbf",
              str(common.get("sep", ",")).encode(enc, errors="replace")}
    patterns = [re.compile(re.escape(p + b"0") + rb"[0-9]{%d}" % digits)
                for p in before if len(p) == 1]
    tail = b"\n"  # (the first line starts as if after a line end)
    with _open_bytes(path, compression) as fh:
        while True:
            chunk = fh.read(1 << 24)
            if not chunk:
                return False
            text = tail + chunk
            if any(p.search(text) for p in patterns):
                return True
            tail = chunk[-8:]


#: ``df.attrs`` key: the columns :func:`_keep_leading_zeros` read back as text.
_ZERO_LED_ATTR = "dataqa_leading_zeros"


def _whole_number_column(s: pd.Series) -> bool:
    """Whether ``s`` holds numbers, all whole (missing values aside)."""
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        return False
    v = s.dropna().to_numpy(dtype=np.float64)
    return bool(np.all(np.isfinite(v)) and np.all(v == np.round(v)))


def _whole_numbers_as_text(s: pd.Series) -> pd.Series:
    """A column of whole numbers as the text they are written with (no ``.0``)."""
    out = pd.Series([None if pd.isna(x) else str(int(x)) for x in s], index=s.index,
                    dtype=object, name=s.name)
    return out


def _align_leading_zeros(*frames: pd.DataFrame) -> list[pd.DataFrame]:
    """Tables read from several files, where a column of codes with leading zeros was read
    as text in some (:func:`_keep_leading_zeros`) and as whole numbers in others (a file
    whose codes happen to have none): the numbers are turned into their text too, so the
    column is of one kind in all. Frames are returned as given otherwise."""
    marked = {c for f in frames for c in f.attrs.get(_ZERO_LED_ATTR, ())}
    if not marked:
        return list(frames)
    widths: dict = {}  # column -> the widths of its codes where they are text
    for f in frames:
        for c in f.columns:
            if str(c) in marked and not pd.api.types.is_numeric_dtype(f[c]):
                text = f[c].dropna().astype(str)
                widths.setdefault(str(c), set()).update(text.str.len().unique().tolist())
    out, padded = [], []
    for f in frames:
        turn = [c for c in f.columns if str(c) in marked and _whole_number_column(f[c])]
        if turn:
            attrs = dict(f.attrs)
            f = f.copy()
            for c in turn:
                text = _whole_numbers_as_text(f[c])
                width = widths.get(str(c), set())
                if len(width) == 1:  # codes of one width elsewhere: zeros restored
                    w = width.pop()
                    width.add(w)
                    short = text.notna() & (text.str.len() < w) & ~text.str.startswith("-")
                    if short.any() and (text.dropna().str.len() <= w).all():
                        padded.append((table_name(f), str(c), w, text[short].iloc[0]))
                        text = text.where(~short, text.str.zfill(w))
                f[c] = text.values
            f.attrs = attrs
            f.attrs[_ZERO_LED_ATTR] = sorted({*attrs.get(_ZERO_LED_ATTR, ()), *map(str, turn)})
        out.append(f)
    for table, c, w, example in padded:
        warnings.warn(
            f"{table}: column {c!r} holds whole numbers where the other table(s) write codes "
            f"of {w} digits with leading zeros; read as those codes, zeros restored "
            f"({example!r} -> {example.zfill(w)!r}), as a spreadsheet or a numeric read drops "
            f"them.", UserWarning, stacklevel=caller_stacklevel())
    return out


#: ``df.attrs`` key: ``{column: {word: rows}}``, the missing-value words
#: :func:`_missing_words_as_text` kept as text.
_WORDS_KEPT_ATTR = "dataqa_missing_words_kept"


def _missing_words_back(df: pd.DataFrame, columns) -> pd.DataFrame:
    """``df`` with the missing-value words kept as text in ``columns`` (a time column, say,
    where ``NA`` is no time) read as missing again."""
    kept = df.attrs.get(_WORDS_KEPT_ATTR, {})
    back = [c for c in columns if c is not None and str(c) in kept and c in df.columns]
    if not back:
        return df
    attrs = dict(df.attrs)
    df = df.copy()
    for c in back:
        df[c] = df[c].where(~df[c].isin(list(kept[str(c)])), None)
    attrs[_WORDS_KEPT_ATTR] = {c: w for c, w in kept.items() if c not in map(str, back)}
    df.attrs = attrs
    return df


def _align_missing_words(*frames: pd.DataFrame) -> list[pd.DataFrame]:
    """Tables compared column by column, read with ``keep_missing_words``: a column whose
    values in one table are nothing but missing-value words kept as text (``NA``) while
    another table holds numbers there is read as missing in the first again (a column of
    numbers exported with ``NA`` for every value, not a column of text)."""
    out = list(frames)
    for k, f in enumerate(frames):
        kept = f.attrs.get(_WORDS_KEPT_ATTR, {})
        back = []
        for c, words in kept.items():
            if c not in f.columns:
                continue
            filled = f[c].dropna()
            if len(filled) and filled.isin(list(words)).all() and any(
                    c in g.columns and pd.api.types.is_numeric_dtype(g[c])
                    and not pd.api.types.is_bool_dtype(g[c])
                    for g in frames if g is not f):
                back.append(c)
        if back:
            out[k] = _missing_words_back(f, back)
            out[k][back] = out[k][back].astype(np.float64)
    return out


def _warn_missing_words_kept(df: pd.DataFrame, columns=None) -> None:
    """Say which missing-value words :func:`load_table` kept as text
    (``keep_missing_words=True``) in ``columns`` (default all)."""
    kept = {c: w for c, w in df.attrs.get(_WORDS_KEPT_ATTR, {}).items()
            if columns is None or c in columns}
    if not kept:
        return
    said = "; ".join(f"{c!r}: " + ", ".join(f"{w!r} ({n:,} rows)" for w, n in found.items())
                     for c, found in list(kept.items())[:5])
    more = f" and {len(kept) - 5} more columns" if len(kept) > 5 else ""
    warnings.warn(
        f"{table_name(df)} holds words that pandas reads as missing ({said}{more}); they are "
        f"read as values, as a Parquet or JSON file keeps them ('NA' is Namibia's code): "
        f"only an empty cell is missing. If such cells mean missing there, empty them.",
        UserWarning, stacklevel=caller_stacklevel())


def _missing_words_as_text(path: Path, compression: str | None, common: dict,
                           df: pd.DataFrame, *, header: bool, nrows: int | None,
                           skip) -> pd.DataFrame:
    """The text columns of a CSV/TSV file (but ``skip``, read so already) with pandas'
    missing-value words (``NA``, ``None``, ``null``, ``N/A`` ...) read back as the text
    they are: ``NA`` is Namibia in a column of country codes, and a Parquet or JSON file
    of the same data keeps it. Only an empty field stays missing. What was kept is noted
    in ``df.attrs`` (:data:`_WORDS_KEPT_ATTR`) for the caller to say."""
    at = [i for i, c in enumerate(df.columns) if c not in skip and df[c].isna().any()
          and (df[c].dtype == object or pd.api.types.is_string_dtype(df[c])
               or df[c].isna().all())]  # (a column of words alone reads as empty floats)
    if not at:
        return df
    raw = _read_csv(path, compression, header=0 if header else None, usecols=at, dtype=str,
                    keep_default_na=False, na_values=[""], nrows=nrows,
                    **({"index_col": False} if header else {}), **common)
    if raw.shape != (len(df), len(at)):  # pragma: no cover - read as the table was
        return df
    kept, out = {}, None
    for j, i in enumerate(at):
        col = df.columns[i]
        words = raw.iloc[:, j].where(df[col].isna().to_numpy() & raw.iloc[:, j].notna())
        if words.notna().any():
            out = df.copy() if out is None else out
            out[col] = df[col].astype(object).where(words.isna(), words).values
            kept[str(col)] = {str(w): int(n) for w, n in words.value_counts().items()}
    if out is None:
        return df
    out.attrs = dict(df.attrs)
    out.attrs[_WORDS_KEPT_ATTR] = kept
    return out


def _keep_leading_zeros(path: Path, compression: str | None, common: dict,
                        df: pd.DataFrame, *, header: bool, nrows: int | None,
                        quiet: bool, labels=frozenset()) -> pd.DataFrame:
    """Read back as written (text) the whole-number columns of a CSV/TSV file whose values
    are codes with leading zeros (zip codes "02134", FIPS "06037", "007"): as numbers they
    lose their zeros ("02134" and "2134" become one value) and are compared or used as
    quantities. A column is a code when at least :data:`ZERO_LED_SHARE` of its filled
    values have a leading zero, or when all its values have one width and any has one.
    A column of ``labels`` (the label and text columns: names, not quantities) is kept as
    written when any value has a leading zero, two digits too (classes ``01``, ``02``),
    unless that would split a class (``01`` and ``1`` both)."""
    whole = [i for i, col in enumerate(df.columns)
             if _whole_number_column(df[col]) and df[col].notna().any()]
    if not whole:
        return df
    named = any(df.columns[i] in labels for i in whole)
    if not _may_hold_zero_led(path, compression, common, digits=1 if named else 2):
        return df  # (one pass over the bytes spares a second read of the columns)
    raw = _read_csv(path, compression, header=0 if header else None, usecols=whole,
                    dtype=str, nrows=nrows, **({"index_col": False} if header else {}),
                    **common)
    if raw.shape != (len(df), len(whole)):  # pragma: no cover - read as the table was
        return df
    return _restore_zero_led(path, df, whole, [raw.iloc[:, j] for j in range(len(whole))],
                             quiet=quiet, labels=labels)


def _restore_zero_led(path: Path, df: pd.DataFrame, whole: list[int], raw: list[pd.Series],
                      *, quiet: bool, labels) -> pd.DataFrame:
    """:func:`_keep_leading_zeros` given the text of the whole-number columns ``whole``
    (``raw``, one Series of strings per column, in ``df``'s row order)."""
    kept = {}
    for j, i in enumerate(whole):
        text = raw[j].dropna().str.strip()
        text = text[text != ""]
        if not len(text):
            continue
        name = df.columns[i] in labels
        led = text.str.fullmatch(r"0\d+" if name else _ZERO_LED.pattern)
        if not led.any():
            continue
        if name and text.nunique() != text.str.lstrip("0").nunique():
            # ("01" and "1" both: one class spelled two ways, read as a number)
            if not quiet:
                both = text.groupby(text.str.lstrip("0")).unique()
                pair = next(sorted(v, key=len, reverse=True) for v in both if len(v) > 1)
                warnings.warn(
                    f"{str(path)!r}: column {str(df.columns[i])!r} writes a class both with "
                    f"and without leading zeros (e.g. {pair[0]!r} and {pair[1]!r}): read as "
                    f"numbers, so they are one class ({int(pair[0])}). If they are different "
                    f"classes, name them so that they differ otherwise (e.g. 'c{pair[0]}').",
                    UserWarning, stacklevel=caller_stacklevel())
            continue
        if name or (led.mean() >= ZERO_LED_SHARE and led.sum() >= ZERO_LED_MIN) \
                or text.str.len().nunique() == 1:
            kept[df.columns[i]] = (raw[j].str.strip(), str(text[led].iloc[0]))
    if not kept:
        return df
    df = df.copy()
    for col, (values, _) in kept.items():
        df[col] = values.astype(object).where(values.notna() & (values != ""), None).values
    df.attrs[_ZERO_LED_ATTR] = [str(c) for c in kept]
    told = {c: v for c, v in kept.items() if c not in labels}  # (a class is a name anyway)
    if not quiet and told:
        said = ", ".join(f"{str(c)!r} (e.g. {ex!r})" for c, (_, ex) in list(told.items())[:10])
        warnings.warn(
            f"{str(path)!r}: {'column' if len(told) == 1 else 'columns'} {said} "
            f"{'holds' if len(told) == 1 else 'hold'} numbers written with leading zeros, "
            f"as codes are (zip codes, FIPS codes, ids); read as text so that they keep "
            f"their zeros and are taken for categories, not quantities.", UserWarning,
            stacklevel=caller_stacklevel())
    return df


def _without_inner_boms(df: pd.DataFrame, literal,
                        decimal: str | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """``df`` without the byte-order marks that start lines inside the file (files saved
    as "CSV UTF-8" and joined with ``cat`` keep each file's mark, read as the first
    field's first character), and the positions of the rows that had one. The first
    column is re-typed as numbers when the marks were all that kept it text (not for the
    columns in ``literal``, read as text on purpose)."""
    if df.empty:
        return df, np.array([], dtype=np.int64)
    first = df.columns[0]
    col = df[first]
    if not (col.dtype == object or pd.api.types.is_string_dtype(col)):
        return df, np.array([], dtype=np.int64)
    text = col.astype("string")
    marked = text.str.startswith("\ufeff").fillna(False).to_numpy(dtype=bool)
    if not marked.any():
        return df, np.array([], dtype=np.int64)
    bare = text.str.lstrip("\ufeff")
    # a quoted first field behind the mark ('\ufeff"id"') was read with its quotes
    quoted = bare.str.fullmatch(r'"(?:[^"]|"")*"', na=False)
    bare = bare.where(~quoted, bare.str.slice(1, -1).str.replace('""', '"', regex=False))
    fixed = col.where(~marked, bare)
    if first not in literal:
        as_text = fixed.astype("string")
        if decimal not in (None, "."):
            # ('1.500' with a decimal comma is no number: it stays text, as unmarked)
            as_text = as_text.where(~as_text.str.contains(".", regex=False).fillna(False))
            as_text = as_text.str.replace(decimal, ".", regex=False)
        # (as objects: numpy's int64 / float64, as the reading gives the other columns)
        numbers = pd.to_numeric(as_text.astype(object).where(as_text.notna(), np.nan),
                                errors="coerce")
        if numbers.notna().sum() == fixed.notna().sum():
            fixed = numbers
    df = df.copy()
    df[first] = fixed
    return df, np.flatnonzero(marked)


def _warn_inner_boms(path: Path, marked: np.ndarray, quiet: bool, *, header: bool) -> None:
    if len(marked) and not quiet:
        warnings.warn(
            f"{str(path)!r}: {'rows' if len(marked) > 1 else 'row'} {format_rows(marked)} "
            f"({_counting(header=header)}) start{'' if len(marked) > 1 else 's'} with a "
            f"byte-order mark, as files joined with "
            f"cat keep each file's; removed.", UserWarning, stacklevel=caller_stacklevel())


def _trailing_fields_empty(path: Path, compression: str | None, common: dict, n_fields: int,
                           n_named: int) -> bool:
    """Whether the fields after the first ``n_named`` of a headerless file are empty on
    every line (a delimiter at the end of each line), read as text."""
    try:
        rest = _read_csv(path, compression, header=None, dtype=str, keep_default_na=False,
                         usecols=list(range(n_named, n_fields)), **common)
    except (ValueError, pd.errors.ParserError):
        return False
    return bool(len(rest)) and bool(rest.apply(lambda c: c.str.strip().eq("")).all().all())


def _first_line_holds(path: Path, compression: str | None, encoding: str, text: str) -> bool:
    """Whether the file's first line holds ``text`` as written."""
    try:
        with _open_text(path, compression, encoding) as fh:
            return text in fh.readline()
    except (OSError, UnicodeError, *_decompress_errors()):
        return False


def _kind(v) -> str | None:
    """A JSON value's kind: number, text, true/false, list, object; None when null."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "bool"
    return "number" if isinstance(v, (int, float)) else type(v).__name__


def _mixed(obj: dict, inner: set, *, by_row: bool) -> int:
    """How many columns would hold values of several kinds if the outer keys of an
    object of objects were rows (``by_row``) or columns. A table's columns each hold one
    kind, its rows often several (a text and a number): the reading with fewer mixed
    columns is the table."""
    if by_row:
        columns = [[rec.get(k) for rec in obj.values()] for k in inner]
    else:
        columns = [list(rec.values()) for rec in obj.values()]
    return sum(len({_kind(v) for v in col} - {None}) > 1 for col in columns)


def _json_error(path: Path, text: str, fmt: str, exc: Exception) -> DataLoadError:
    """The error for JSON text pandas could not read, naming the line (and column) where
    Python's JSON reader stops (pandas names a character offset); pandas' own words when
    the text is valid JSON after all."""
    import json

    if fmt == "jsonl":
        # (split at line feeds only: U+2028 and the like may sit inside a JSON string)
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                json.loads(line)
            except ValueError as bad:
                return DataLoadError(
                    f"could not read {str(path)!r} as jsonl: line {number} is not valid "
                    f"JSON ({getattr(bad, 'msg', bad)}, at character {getattr(bad, 'colno', '?')} "
                    f"of the line: {line[:80]!r}); fix or drop that line.")
    else:
        try:
            json.loads(text)
        except ValueError as bad:
            return DataLoadError(
                f"could not read {str(path)!r} as json: it is not valid JSON at line "
                f"{getattr(bad, 'lineno', '?')}, column {getattr(bad, 'colno', '?')} "
                f"({getattr(bad, 'msg', bad)}).")
    return DataLoadError(f"could not read {str(path)!r} as {fmt}: {' '.join(str(exc).split())}")


#: A JSON string of digits that starts with a zero ("02134", "007").
_JSON_ZERO_LED = re.compile(r'"\s*0\d+\s*"')


def _json_leading_zeros(path: Path, text: str, df: pd.DataFrame, *, lines: bool,
                        labels) -> pd.DataFrame:
    """The whole-number columns of a JSON table that pandas read from strings of digits
    with leading zeros ("02134", "007": codes, as :func:`_keep_leading_zeros` judges
    them), read back as those strings."""
    whole = [i for i, col in enumerate(df.columns)
             if _whole_number_column(df[col]) and df[col].notna().any()]
    if not whole or not _JSON_ZERO_LED.search(text):
        return df
    try:
        raw = pd.read_json(io.StringIO(text), lines=lines, dtype=False)
    except ValueError:  # pragma: no cover - read once already
        return df
    if raw.shape != df.shape or list(raw.columns) != list(df.columns):
        return df  # (a layout read otherwise: records keyed by id)
    cols = [raw.iloc[:, i].map(lambda v: None if v is None or (isinstance(v, float) and v != v)
                               else str(v)) for i in whole]
    return _restore_zero_led(path, df, whole, cols, quiet=False, labels=labels)


def _read_json_table(text: str, dtype: dict | None, path: Path) -> pd.DataFrame:
    """A JSON file's table. Besides the layouts pandas reads (a list of records, an
    object of columns), two more: an object of records keyed by id (``{"0": {"data":
    {"text": ...}, "label": 1}, ...}``, as WRENCH writes, and ``to_json(orient="index")``
    of a table numbered from 0; the keys become the column ``id``, or the first of
    ``key``, ``_key``, ``__key`` ... the records do not hold) and an object in which one
    key holds a list of records (``{"meta": {...}, "data": [{...}, ...]}``, as APIs
    return; the other keys are left out with a warning). Nested objects in such records
    become columns named by their path (``data.text``). An object of objects is read as
    records keyed by id when its inner keys are not row numbers and its outer keys are
    (``to_json(orient="index")`` of any index included), the records hold objects, or
    read as records fewer of its columns mix kinds of values (text and numbers) than read
    as columns (see :func:`_mixed`); otherwise as pandas reads it (an object of columns,
    ``{"text": {"0": "hi", "1": "yo"}}``, or keyed by a text index)."""
    import json

    head = text.lstrip()[:1]
    obj = None
    if head and head not in "{[":  # a bare value ("hello", 42, null): no table at all
        try:
            value = json.loads(text)
        except ValueError:
            value = None  # (not JSON at all: pandas names what is wrong)
        else:
            raise DataLoadError(
                f"{str(path)!r} holds a single JSON value ({type(value).__name__}: "
                f"{str(value)[:40]!r}), not a table: give a list of records "
                f"([{{\"text\": ..., \"label\": ...}}, ...]) or an object of columns.")
    if head == "{":  # a list of records goes to pandas as it is (no second parse)
        try:
            obj = json.loads(text)
        except ValueError:
            obj = None  # pandas names what is wrong
    records = keys = None
    if isinstance(obj, dict) and obj:
        lists = [k for k, v in obj.items()
                 if isinstance(v, list) and v and all(isinstance(r, dict) for r in v)]
        if all(isinstance(v, dict) for v in obj.values()):
            inner = set().union(*(v.keys() for v in obj.values()))
            digits = lambda ks: all(str(k).isdigit() for k in ks)  # noqa: E731
            nested = any(isinstance(x, dict) for v in obj.values() for x in v.values())
            rows = digits(obj.keys()) or nested or _mixed(obj, inner, by_row=True) < _mixed(
                obj, inner, by_row=False)
            if not digits(inner) and rows:
                records, keys = list(obj.values()), list(obj.keys())
        elif len(lists) == 1:
            records = obj[lists[0]]
            others = [k for k in obj if k != lists[0]]
            if others:
                warnings.warn(f"{str(path)!r}: read the {len(records)} records under "
                              f"{lists[0]!r}; left out: {', '.join(map(repr, others[:10]))}.",
                              UserWarning, stacklevel=caller_stacklevel())
    if records is None:
        return pd.read_json(io.StringIO(text), dtype=dtype)
    df = pd.json_normalize(records, sep=".")
    if keys is not None:
        name = next(n for n in ("id", *(("_" * i) + "key" for i in range(len(df.columns) + 1)))
                    if n not in df.columns)
        df.insert(0, name, pd.Series(keys, dtype=object))
    for c in dtype or {}:
        if c in df.columns:
            df[c] = df[c].map(lambda v: v if v is None or (isinstance(v, float) and v != v)
                              else str(v))
    return df


def _check_header_as_data(path: Path, df: pd.DataFrame, names: list[str]) -> None:
    """Refuse a file read without a header whose first line is the ``--columns`` names
    (case and surrounding spaces aside): it has a header, which would be read as a row
    of data (a label 'CLASS', a text 'CONTENT')."""
    if df.empty or len(names) < 2:
        return
    first = df.iloc[0]
    if all(isinstance(v, str) and v.strip().casefold() == str(n).strip().casefold()
           for v, n in zip(first.tolist(), names, strict=True)):
        exc = DataLoadError(
            f"{str(path)!r} is read without a header (--no-header, API: header=False), but "
            f"its first line holds the names given with --columns ({_shown_names(names)}): "
            f"it has a header. Read it with its header (leave out --no-header; --columns "
            f"then renames the header's columns).")
        exc.header_names = list(names)  # a second file's reader words its own advice
        raise exc


def _warn_header_like_data(path: Path, df: pd.DataFrame, names: list[str]) -> None:
    """Warn when header names look like a row of the data under them: a number inside the
    range of its numeric column, or a long text (over 40 characters, three spaces) over a
    column of texts (20 characters or more on average). A file without a header line,
    read with one, loses its first row and names its columns after it, and a comparison
    of two such files compares nothing meaningful. Integer names that count up (0, 1,
    2 ..., as a saved array's columns) are names; so are a survey's long questions over
    short answers and numbers outside their column's values (wavelengths over
    absorbances)."""
    from dataqa.errors import _data_like

    ints = sorted(int(n) for n in names if re.fullmatch(r"\d+", str(n).strip()) and _data_like(n))
    counting = len(ints) >= 2 and ints == list(range(ints[0], ints[0] + len(ints)))
    found = []
    for col, name in zip(df.columns, names, strict=True):
        text = str(name).strip()
        if not _data_like(text) or (counting and re.fullmatch(r"\d+", text)):
            continue
        values = df[col].dropna().iloc[:1000]
        if not len(values):
            continue
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            try:
                x = float(text.replace(",", "."))
            except ValueError:
                continue
            if float(values.min()) <= x <= float(values.max()):
                found.append(name)
        elif len(text) > 40 and not pd.api.types.is_numeric_dtype(values) \
                and values.astype(str).str.len().mean() >= 20:
            found.append(name)
    if not found:
        return
    shown = ", ".join(repr(n if len(n) <= 40 else n[:40] + "...") for n in found[:3])
    warnings.warn(
        f"{str(path)!r}: the names in its header line look like data ({shown}: like the "
        f"values under them). If the file has no header line, its first row is read as the "
        f"names: read it with --no-header --columns a,b,... (API: header=False, "
        f"columns=[...]).", UserWarning, stacklevel=caller_stacklevel())


def _shown_names(names) -> str:
    """The first five names, quoted: ``'a', 'b', ...``."""
    return ", ".join(map(repr, names[:5])) + (", ..." if len(names) > 5 else "")


def _check_repeated_header(path: Path, df: pd.DataFrame, names: list[str]) -> None:
    """Refuse data rows that repeat the header line, as files joined with ``cat`` hold:
    read as data they turn every column into text (a time column into an identifier)."""
    # the columns with a name and a value (an unnamed, empty field, as a delimiter at the
    # end of the header line makes, repeats as nothing)
    pairs = [(c, n) for c, n in zip(df.columns, names, strict=True)
             if not re.fullmatch(r"Unnamed: \d+", str(n)) and not df[c].isna().all()]
    if df.empty or len(pairs) < 2 or any(pd.api.types.is_numeric_dtype(df[c])
                                         or pd.api.types.is_bool_dtype(df[c]) for c, _ in pairs):
        return  # a column holding its own name is text; one column may hold it by chance
    same = np.ones(len(df), dtype=bool)
    for col, name in pairs:
        same &= (df[col].astype("string").str.strip() == name.strip()).fillna(False).to_numpy(
            dtype=bool)
        if not same.any():
            return
    rows = np.flatnonzero(same) + 1
    shown = ", ".join(map(str, rows[:_SHOW_ROWS])) + (", ..." if len(rows) > _SHOW_ROWS else "")
    from dataqa.errors import _data_like

    like = [str(n).strip() for _, n in pairs if _data_like(n, loose=True)]
    if like:  # a row of data taken for the header, repeated further down (a duplicate SMS)
        first = like[0] if len(like[0]) <= 40 else like[0][:40] + "..."
        raise DataLoadError(
            f"{str(path)!r}: its header line looks like data ({first!r}) and "
            f"{'rows' if len(rows) > 1 else 'row'} {shown} (counted from 1 after it) "
            f"{'repeat' if len(rows) > 1 else 'repeats'} it: the file likely has no header "
            f"line, and its first row, which occurs again, was read as the names. Read it "
            f"with --no-header --columns a,b,... (API: header=False, columns=[...]). If it "
            f"does have a header, files joined with cat repeat it: keep the first only.")
    raise DataLoadError(
        f"{str(path)!r} repeats its header line as data: {'rows' if len(rows) > 1 else 'row'} "
        f"{shown}, counted from 1 after the header, as files joined with cat keep each file's "
        f"header. Keep the first header only, e.g. (cat a.csv; tail -n +2 b.csv) > all.csv, "
        f"or drop those rows.")


def _warn_replaced_header(path: Path, df: pd.DataFrame, names: list[str]) -> None:
    """Warn when the header line that ``columns`` renames looks like a row of data (a
    name that is a number or a long text, or a text column's name that is also one of its
    values, as a label is): a file without a header line, read with one, loses its first
    row."""
    from dataqa.errors import _data_like

    found = []
    for col, name in zip(df.columns, names, strict=True):
        if re.fullmatch(r"Unnamed: \d+", str(name)):
            continue
        values = df[col].iloc[:1000]
        if _data_like(name) or (
                (values.dtype == object or pd.api.types.is_string_dtype(values.dtype))
                and values.astype("string").str.strip().eq(str(name).strip()).any()):
            found.append(name)
    if not found:
        return
    shown = ", ".join(repr(n if len(n) <= 40 else n[:40] + "...") for n in names[:5])
    shown += ", ..." if len(names) > 5 else ""
    warnings.warn(
        f"{str(path)!r}: --columns (API: columns=) replaces the names in its header line ({shown}), "
        f"which look like data (a number, a long text, or a value of the column itself). If "
        f"the file has no header line, its first row is lost this way: pass --no-header "
        f"with --columns (API: header=False, columns=[...]).", UserWarning, stacklevel=caller_stacklevel())


def _rows_longer_than_first(reader, n_columns: int) -> tuple[int, list[tuple[int, int]]]:
    """The field count a reader of the header and data rows expects (the header's or the
    first data row's, the larger) and the first data rows with more fields (number from
    1 after the header, field count)."""
    expected, rows, row = n_columns, [], 0
    for i, fields in enumerate(reader):
        if i == 0 or not fields:
            continue
        row += 1
        if row == 1:
            expected = max(expected, len(fields))
        elif len(fields) > expected:
            rows.append((row, len(fields)))
            if len(rows) > _SHOW_ROWS:
                break
    return expected, rows


def _rows_with_extra_fields(reader, n_columns: int) -> list[tuple[int, int]]:
    """The first data rows (number from 1 after the header, field count) of ``reader``'s
    rows that hold a non-empty field past ``n_columns``."""
    rows: list[tuple[int, int]] = []
    row = 0
    for i, fields in enumerate(reader):
        if i == 0 or not fields:
            continue  # the header; pandas skips empty lines
        row += 1
        if len(fields) > n_columns and any(f.strip() for f in fields[n_columns:]):
            rows.append((row, len(fields)))
            if len(rows) > _SHOW_ROWS:
                break
    return rows


def _check_extra_fields(path: Path, fmt: str, delim: str, encoding: str,
                        compression: str | None, n_columns: int,
                        empty_too: bool = False) -> None:
    """Refuse a delimited file whose data rows hold more non-empty fields than its header
    names columns, naming the first such rows (counted from 1 after the header). Trailing
    empty fields (a delimiter at the end of every line) are read as they are; with
    ``empty_too`` (pandas stopped at a row longer than the first ones) rows with more
    empty fields at their end than the first row are named too."""
    rows: list[tuple[int, int]] = []
    ends: list[tuple[int, int]] = []
    expected = n_columns
    quoting = csv.QUOTE_NONE if fmt == "tsv" else csv.QUOTE_MINIMAL
    pattern = re.compile(delim) if len(delim) > 1 else None

    def rows_of(fh):
        if pattern is None:
            return csv.reader(fh, delimiter=delim, quoting=quoting)
        # pandas reads a longer separator as a regular expression, unquoted
        return (pattern.split(line.rstrip("\r\n")) if line.strip("\r\n") else []
                for line in fh)

    limit = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)  # a long text must not stop the check itself
    try:
        with _open_text(path, compression, encoding, errors="replace", newline="") as fh:
            rows = _rows_with_extra_fields(rows_of(fh), n_columns)
        if not rows and empty_too:
            with _open_text(path, compression, encoding, errors="replace", newline="") as fh:
                expected, ends = _rows_longer_than_first(rows_of(fh), n_columns)
    finally:
        csv.field_size_limit(limit)
    if not rows and empty_too and ends:
        shown = ", ".join(str(r) for r, _ in ends[:_SHOW_ROWS])
        shown += ", ..." if len(ends) > _SHOW_ROWS else ""
        raise DataLoadError(
            f"{str(path)!r} has more delimiters ({delim!r}) at the end of some data rows than "
            f"of the first: {'rows' if len(ends) > 1 else 'row'} {shown}, counted from 1 after "
            f"the header, {'end' if len(ends) > 1 else 'ends'} with empty fields beyond the "
            f"{expected} fields of the header and the first row, and rows of different lengths "
            f"cannot be read; remove the extra delimiters at the end of those lines (the same "
            f"number at the end of every data line is read as it is).")
    if not rows:
        return
    shown = ", ".join(f"{r} ({n} fields)" for r, n in rows[:_SHOW_ROWS])
    shown += ", ..." if len(rows) > _SHOW_ROWS else ""
    hint = ("; TSV is read with quoting off, so a quoted field that holds the delimiter is "
            "split too: if the file quotes its fields (a CSV file does), read it with --format "
            "csv (API: format='csv')" if fmt == "tsv" else
            "; a field that holds the delimiter must be in quotes, or pass the delimiter the "
            "file uses with --sep (API: sep=)")
    other = _delimiter_hint(path, delim, encoding, compression)  # a ';' file read as CSV
    raise DataLoadError(
        f"{str(path)!r} has data rows with more fields than the {n_columns} columns its header "
        f"names: rows {shown}, counted from 1 after the header{other or hint}.")


def _warn_csv_quoted(path: Path, df: pd.DataFrame) -> None:
    """Warn when a TSV file (read with quoting off) holds fields written the CSV way: in
    quotes, with the quotes inside doubled, as ``DataFrame.to_csv(sep="\t")`` writes a
    text that holds a quote. Read as TSV, the quotes stay in the text."""
    import warnings

    for col in df.columns:
        if not (pd.api.types.is_object_dtype(df[col]) or pd.api.types.is_string_dtype(df[col])):
            continue
        text = df[col].dropna().astype(str)
        inner = text.str[1:-1]
        quoted = text[(text.str.len() >= 4) & text.str.startswith('"') & text.str.endswith('"')
                      & inner.str.contains('""', regex=False)
                      & ~inner.str.replace('""', "", regex=False).str.contains('"', regex=False)]
        if len(quoted):
            warnings.warn(
                f"{str(path)!r}: {len(quoted)} value(s) of column {str(col)!r} are written the "
                f"CSV way, in quotes with inner quotes doubled (e.g. {quoted.iloc[0][:60]!r}); "
                f"TSV is read with quoting off, so the quotes stay in the text. If the file "
                f"was written with quoting (pandas' to_csv(sep='\\t') does), read it with "
                f"--format csv --sep tab (API: format='csv', sep='\\t').", UserWarning,
                stacklevel=caller_stacklevel())
            return


def _check_header_names(path: Path, common: dict, compression: str | None = None) -> None:
    """Refuse a header that names two columns alike (pandas would rename the second
    ``name.1`` silently, and it would then match nothing)."""
    raw = _read_csv(path, compression, header=None, nrows=1, dtype=str, keep_default_na=False,
                    **common)
    names = [str(v) for v in raw.iloc[0].tolist()] if len(raw) else []
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name and name in seen:
            raise DataLoadError(
                f"{str(path)!r} names the column {name!r} twice in its header (field "
                f"{names.index(name) + 1} and field {i + 1}); rename one in the file, or give "
                f"every column its own name with --columns a,b,... (API: columns=[...]).")
        seen.add(name)


#: Rows named at most in the message about rows with too few fields.
_SHOW_ROWS = 5


def _check_short_rows(path: Path, df: pd.DataFrame, delim: str, encoding: str,
                      header_lines: int, compression: str | None = None) -> None:
    """Refuse a TSV file (read with quoting off: one line, one row) split by quoted line
    breaks: rows with fewer fields than the header next to an unclosed ``"``, as
    ``DataFrame.to_csv(sep="\t")`` writes a text that holds a line break. pandas would
    fill such rows with missing values and read the text's pieces as rows. Short rows
    without a stray quote (a writer that leaves out trailing empty fields) are read as
    they are. Only files with a one-character delimiter and a missing value in the last
    column are scanned."""
    if df.shape[1] < 2 or len(delim) != 1 or not df.iloc[:, -1].isna().any():
        return
    want = df.shape[1] - 1
    short, row, previous = [], 0, ""
    with _open_text(path, compression, encoding, newline="") as fh:
        for i, line in enumerate(fh):
            line = line.rstrip("\r\n")
            if i < header_lines or not line:
                continue  # the header; pandas skips empty lines
            row += 1
            if line.count(delim) < want and (line.count('"') % 2 or previous.count('"') % 2):
                short.append(row)
                if len(short) > _SHOW_ROWS:
                    break
            previous = line
    if short:
        rows = ", ".join(map(str, short[:_SHOW_ROWS])) + (", ..." if len(short) > _SHOW_ROWS else "")
        raise DataLoadError(
            f"{str(path)!r} has rows with fewer fields than its {df.shape[1]} columns beside an "
            f"unclosed quote (data rows {rows}, counted from 1 after any header). TSV is read "
            f"with quoting off, one line per row, so a text field that holds a line break "
            f"splits its row; if the file puts quotes around such fields (as pandas' to_csv "
            f"does), read it as CSV with --format csv --sep tab (API: format='csv', "
            f"sep='\\t'), or write it without line breaks in the text.")


def load_table(source: str | PathLike | pd.DataFrame, *, format: str | None = None,
               sep: str | None = None, header: bool = True,
               columns: Sequence[str] | None = None, encoding: str | None = None,
               string_columns: Sequence[str] | None = None,
               decimal: str | None = None,
               text_columns: Sequence[str] | None = None,
               thousands: str | None = None,
               keep_missing_words: bool = False,
               label_columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a table from CSV, TSV, Parquet, JSON Lines or JSON, or pass a DataFrame through.

    Parameters
    ----------
    source : path or DataFrame
        A file path, or a DataFrame (returned as is, index reset).
    format : {"csv", "tsv", "parquet", "jsonl", "json"}, optional
        The file's format; by default inferred from the suffix (``.csv``; ``.tsv``,
        ``.tab``; ``.parquet``, ``.pq``; ``.jsonl``, ``.ndjson``; ``.json``). A file
        without one of these suffixes needs it, or is read as CSV when ``sep`` is given
        (``data.txt`` with ``sep="\t"``). TSV is read with quoting off (a ``"``
        is an ordinary character), as TSV is written. Text formats may be compressed:
        gzip, bzip2 and xz files are read as they are (``data.csv.gz``, or a ``.csv``
        whose bytes are gzip's), and a ``.zip`` archive that holds one table
        (``data.csv.zip``).
    sep : str, optional
        Field delimiter of CSV/TSV files (default ``,`` and tab).
    header : bool
        Whether the first row of a CSV/TSV file holds the column names. ``False`` needs
        ``columns``.
    columns : list of str, optional
        Column names. With ``header=False`` they name the file's fields (one per field).
        With a header they replace the header's names, in order (one per column).
    encoding : str, optional
        Text encoding; default UTF-8 with or without a byte-order mark. A file that is not
        valid UTF-8 raises :class:`DataLoadError` naming the offset of the first bad byte.
    string_columns : list of str, optional
        Columns read as strings, never as numbers (ids: ``007`` stays ``007``).
    text_columns : list of str, optional
        Columns of a CSV/TSV file in which only an empty field is missing: ``NA``,
        ``None``, ``null`` and pandas' other missing-value words stay text (labels, free
        text); their type is inferred as usual. String columns are read so too.
    decimal : str, optional
        Decimal mark of numbers in CSV/TSV files (default ``.``; ``,`` for ``3,14``, with
        ``sep=";"`` as such files are written). A CSV/TSV column whose values are all
        numbers once the minus sign ``\u2212`` (U+2212, or U+FE63, U+FF0D) is read as
        ``-`` is read as numbers, with a warning naming it (see
        :func:`_read_minus_signs`).
    thousands : str, optional
        Thousands separator of numbers in CSV/TSV files (default none: ``1,234.5`` is
        text); ``","`` reads ``"1,234.5"`` (quoted in a comma-separated file) as 1234.5,
        ``"."`` with ``decimal=","`` reads ``1.234,5``, ``" "`` takes no-break spaces
        too. A text column is read as numbers only when every value is a number grouped
        by threes (see :func:`_grouped_numbers`): dates, times, codes and decimal commas
        stay text, with a warning. Columns read as strings (ids) and text columns keep it
        as written.
    keep_missing_words : bool
        Read every text column of a CSV/TSV file as ``text_columns`` are read (``NA`` stays
        ``NA``: Namibia's code, as Parquet and JSON keep it); columns of numbers keep
        pandas' rules. What was kept is in ``df.attrs["dataqa_missing_words_kept"]``.
    label_columns : list of str, optional
        Columns of class names or class indices, read as written: a CSV/TSV cell as text
        (``1`` stays ``"1"``, a class that may be named so), its missing-value words
        (``NA``, an empty field) still missing; a JSON value with its JSON type (the
        string ``"1"`` stays a string, the number 1 a number).

    Returns
    -------
    DataFrame with a fresh ``RangeIndex``; ``df.attrs["dataqa_source"]`` holds the path
    (see :func:`table_name`).

    Raises
    ------
    DataLoadError
        Missing file, unknown format, bad options for the format, undecodable text, a
        field count that does not match ``columns``, or a file the reader rejects.
    EmptyDataError
        The table has no rows.
    """
    string_columns = [str(c) for c in (string_columns or ())]
    label_columns = [str(c) for c in (label_columns or ()) if str(c) not in string_columns]
    if columns is not None:
        columns = [str(c) for c in columns]
        if not columns or any(not c for c in columns):
            raise DataLoadError(f"columns={columns!r} must be non-empty names.")
        if len(set(columns)) != len(columns):
            raise DataLoadError(f"columns={columns!r} repeats a name; give each column its own.")
    if isinstance(source, pd.Series):
        raise DataLoadError(f"got a pandas Series{f' ({source.name!r})' if source.name is not None else ''}"
                            f" where a table is needed; pass a DataFrame (e.g. "
                            f"series.to_frame()) or a file path.")
    if not isinstance(source, (str, PathLike, pd.DataFrame)):
        raise DataLoadError(f"got {type(source).__name__} where a table is needed; pass a "
                            f"pandas DataFrame or the path of a data file.")
    if isinstance(source, pd.DataFrame):
        df = source.reset_index(drop=True)
        if columns is not None:
            if len(columns) != df.shape[1]:
                raise DataLoadError(f"the DataFrame has {df.shape[1]} columns but columns= "
                                    f"names {len(columns)}; give one name per column.")
            df.columns = columns
    else:
        path = Path(source)
        if not path.exists():
            raise DataLoadError(f"data file {str(path)!r} does not exist; check the path.")
        if path.is_dir():
            raise DataLoadError(f"{str(path)!r} is a folder; give the data file inside it.")
        if format is not None and format not in FORMATS:
            raise DataLoadError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}.")
        if path.name.lower().endswith(_TAR_SUFFIXES):
            raise DataLoadError(f"{str(path)!r} is a tar archive; extract the table from it "
                                f"first (tar -xf) and give the table's file.")
        fmt = file_format(path, format)
        if fmt is None and path.suffix.lower() in _SPREADSHEET_SUFFIXES:
            raise DataLoadError(
                f"{str(path)!r} is a spreadsheet ({path.suffix}), which dataqa does not read; "
                f"save the sheet as CSV (in Excel: File > Save As > CSV UTF-8) and give that "
                f"file.")
        if fmt is None and sep is not None:  # data.txt --sep '\t': a delimited file
            fmt = "csv"
        if fmt is None and path.suffix.lower() == ".zip" and path.is_file():
            try:  # an archive of several files, or a damaged one, is named as such
                _open_bytes(path, "zip").close()
            except _decompress_errors() as exc:
                raise _decompress_error(path, "zip", exc) from exc
        if fmt is None:
            what = f"its suffix {path.suffix!r}" if path.suffix else "its name (it has no suffix)"
            raise DataLoadError(
                f"cannot tell the format of {str(path)!r} from {what}; pass --format "
                f"(API: format=) with one of {', '.join(FORMATS)}.{_text_format_hint(path)}"
            )
        if fmt not in ("csv", "tsv") and (sep is not None or not header or decimal is not None
                                          or thousands is not None):
            raise DataLoadError(f"--sep, --no-header, --decimal and --thousands (API: sep=, "
                                f"header=, decimal=, thousands=) "
                                f"apply to csv and tsv files, but {str(path)!r} is read as "
                                f"{fmt}.")
        if decimal is not None and (len(decimal) != 1 or decimal == (sep or ("\t" if fmt == "tsv" else ","))):
            raise DataLoadError(f"decimal mark {decimal!r} must be one character other than "
                                f"the field delimiter; e.g. --decimal ',' with --sep ';'.")
        if thousands is not None and (len(thousands) != 1 or thousands == (decimal or ".")):
            raise DataLoadError(f"thousands separator {thousands!r} must be one character "
                                f"other than the decimal mark; e.g. --thousands ',' for "
                                f"1,234.5, --thousands '.' --decimal ',' for 1.234,5.")
        if not header and columns is None:
            raise DataLoadError(f"{str(path)!r} is read without a header, so its columns need "
                                f"names: pass --columns a,b,... (API: columns=[...]).")
        enc = encoding or "utf-8-sig"
        comp = None if fmt == "parquet" else _compression(path)
        if fmt in ("csv", "tsv"):
            _check_sep_line(path, comp, enc)
        if encoding is None and fmt != "parquet":
            try:
                bad = _utf8_error(path, comp)
            except _decompress_errors() as exc:
                raise _decompress_error(path, comp, exc) from exc
            if bad is not None:
                raise bad
        elif fmt != "parquet":
            _warn_mojibake(path, comp, encoding)
        try:
            if fmt in ("csv", "tsv"):
                read = functools.partial(
                    _read_delimited, path, fmt, sep=sep, header=header, columns=columns,
                    decimal=decimal, compression=comp, encoding=enc,
                    string_columns=[*string_columns, *label_columns],
                    text_columns=[str(c) for c in (text_columns or ())],
                    keep_missing_words=keep_missing_words)
                df = _without_empty_rows(path, read(), read, fmt=fmt, sep=sep, header=header,
                                         encoding=enc, decimal=decimal, compression=comp)
            elif fmt == "parquet":
                df = pd.read_parquet(path)
            else:
                dtype = ({c: str for c in string_columns}
                         | {c: object for c in label_columns}) or None  # (JSON's own types)
                with _open_text(path, comp, enc) as fh:
                    text = fh.read()
                    if not text.strip():  # as an empty CSV: "has no rows" downstream
                        df = pd.DataFrame()
                    elif fmt == "jsonl":
                        try:
                            df = pd.read_json(io.StringIO(text), lines=True, dtype=dtype)
                        except ValueError as exc:  # pandas names a character offset
                            raise _json_error(path, text, "jsonl", exc) from exc
                    else:
                        try:
                            df = _read_json_table(text, dtype, path)
                        except DataLoadError:
                            raise
                        except ValueError as exc:
                            raise _json_error(path, text, "json", exc) from exc
                    if not df.empty:  # (pandas reads "007" as 7)
                        df = _json_leading_zeros(path, text, df, lines=fmt == "jsonl",
                                                 labels={str(c) for c in text_columns or ()})
        except DataLoadError:
            raise
        except LookupError as exc:
            raise DataLoadError(f"unknown encoding {encoding!r}; give a Python codec name "
                                f"such as utf-8, cp1252 or utf-16.") from exc
        except UnicodeError as exc:
            try:
                reads_as_utf8 = _utf8_error(path, comp) is None
            except Exception:  # noqa: BLE001 - only a hint
                reads_as_utf8 = False
            which = ("it reads as UTF-8: pass --encoding utf-8 (API: encoding='utf-8')"
                     if reads_as_utf8 else
                     "pass the file's encoding with --encoding (API: encoding=)")
            raise DataLoadError(f"{str(path)!r} cannot be decoded as {enc}: {exc}; "
                                f"{which}.") from exc
        except pd.errors.EmptyDataError:
            df = pd.DataFrame()
        except Exception as exc:  # noqa: BLE001 - re-raised with the file named
            if comp is not None and isinstance(exc, _decompress_errors()):
                raise _decompress_error(path, comp, exc) from exc
            msg = " ".join(str(exc).split())
            hint = ""
            if fmt in ("csv", "tsv") and isinstance(exc, pd.errors.ParserError):
                used = sep or ("\t" if fmt == "tsv" else ",")
                hint = (_delimiter_hint(path, used, enc, comp) if header
                        else _lines_delimiter_hint(path, used, enc, comp))
            if fmt == "csv" and "EOF inside string" in msg:
                opened = _unclosed_quote(path, comp, enc, sep or ",")
                if opened is not None:
                    line, text = opened
                    raise DataLoadError(
                        f"could not read {str(path)!r} as csv: the quoted field that opens on "
                        f"line {line} ({text!r}) is never closed, so every line after it "
                        f"would be read into that one field. Close the quote, remove it, or "
                        f"write a '\"' that is part of the text as '\"\"'.") from exc
            if not hint and fmt == "tsv" and isinstance(exc, pd.errors.ParserError):
                hint = (". TSV is read with quoting off, so a quoted field that holds the "
                        "delimiter is split; if the file quotes its fields (a CSV file does), "
                        "read it with --format csv (API: format='csv')")
            raise DataLoadError(f"could not read {str(path)!r} as {fmt}: {msg}{hint}") from exc
        if fmt in ("csv", "tsv") and header and df.shape[1] == 1:
            _check_single_column(path, sep or ("\t" if fmt == "tsv" else ","), df)
        if fmt in ("csv", "tsv") and thousands is not None:
            df = _grouped_numbers(path, df, thousands, decimal or ".",
                                  skip={str(c) for c in [*string_columns, *label_columns,
                                                         *(text_columns or ())]})
        if fmt not in ("csv", "tsv") and columns is not None:
            if len(columns) != df.shape[1]:
                raise DataLoadError(f"{str(path)!r} has {df.shape[1]} columns but --columns "
                                    f"(API: columns=) names {len(columns)}; give one name per column.")
            df.columns = columns
        if fmt in ("csv", "tsv"):  # read as text: the missing-value words are missing
            words = set(_na_values())
            for c in label_columns:
                if c in df.columns and c not in (text_columns or ()):
                    df[c] = df[c].astype(object).where(~df[c].isin(words), None)
        for c in string_columns:
            if c in df.columns and fmt == "parquet":
                df[c] = df[c].map(lambda v: v if pd.isna(v) else str(v))
        df.attrs[_SOURCE_ATTR] = str(path)
        df.attrs[_ROWS_READ_ATTR] = len(df)
        if fmt in ("csv", "tsv"):  # for hints: a decimal comma needs another delimiter
            df.attrs[_SEP_ATTR] = sep or ("\t" if fmt == "tsv" else ",")
            if not header:  # so that messages count its rows from its first line
                df.attrs[_NO_HEADER_ATTR] = True
            if thousands is None:  # (a grouped number is --thousands' to read)
                _read_minus_signs(path, df, {*string_columns, *label_columns,
                                             *(text_columns or ())}, decimal or ".")
            if decimal in (None, ".") and thousands != ",":
                _warn_decimal_comma(path, df, [*string_columns, *label_columns,
                                               *(text_columns or ())])
            warned: list = []
            if decimal in (None, ".") and thousands is None:
                warned = _warn_thousands_points(
                    path, df, fmt=fmt, header=header, compression=comp,
                    options=_delimited_options(path, fmt, sep, enc, decimal, comp))
            if thousands is None:
                _warn_grouped_thousands(path, df, {*string_columns, *label_columns,
                                                   *(text_columns or ()),
                                                   *warned}, decimal or ".")
            if decimal not in (None, "."):
                df.attrs[_DECIMAL_ATTR] = decimal
        if len(df) == 0:
            raise EmptyDataError(f"{str(path)!r} has no rows; give a table with at least one row.")
    if len(df) == 0:
        raise EmptyDataError("the table has no rows; give a table with at least one row.")
    return df


def _without_empty_rows(path: Path, df: pd.DataFrame, read: Any, *, fmt: str,
                        sep: str | None, header: bool, encoding: str, decimal: str | None,
                        compression: str | None) -> pd.DataFrame:
    """``df`` without the rows that hold no value in any field (the ``,,,,`` or ``;;;;``
    lines a spreadsheet leaves below its data), with a warning that names them; blank
    lines are no rows either.

    A row counts as empty when every field is empty as written (a field ``NA`` is a
    value). Empty rows at the end are left out by reading the file again without them,
    so that each column's type is what it is without them (an id column of whole numbers
    stays whole, however long). Empty rows between rows of data are dropped from ``df``
    as read: the rows after them are numbered without them.
    """
    if df.shape[1] < 2 or len(df) == 0:
        return df
    candidates = None  # rows missing in every column so far (column by column: no copy of
    for c in range(df.shape[1]):  # the table, and most files stop at the first column)
        miss = df.iloc[:, c].isna().to_numpy()
        candidates = miss if candidates is None else candidates & miss
        if not candidates.any():
            return df
    delim = sep if sep is not None else ("\t" if fmt == "tsv" else ",")
    n_tail = _n_trailing(candidates)
    raw = None
    if n_tail == int(candidates.sum()) and _last_lines_empty(path, compression, encoding,
                                                               delim, n_tail):
        empty = candidates  # all at the end, and written empty (the file's last lines)
    else:
        try:  # the fields as written: only an empty one is empty (a field NA is a value)
            with warnings.catch_warnings():  # (the first read said what there was to say)
                warnings.simplefilter("ignore", pd.errors.ParserWarning)
                raw = _read_csv(path, compression, header=0 if header else None, dtype=str,
                                keep_default_na=False, na_filter=False, index_col=False,
                                **_delimited_options(path, fmt, sep, encoding, decimal,
                                                     compression))
        except (ValueError, pd.errors.ParserError):
            return df
        if len(raw) != len(df):
            return df
        empty = raw.apply(lambda c: c.str.strip().eq("")).all(axis=1).to_numpy()
        if not empty.any():
            return df
    rows = np.flatnonzero(empty) + 1
    n_end = _n_trailing(empty)
    shown = ", ".join(map(str, rows[:5])) + (f" ... (+{len(rows) - 5:,} more)" if len(rows) > 5
                                             else "")
    between = len(rows) > n_end
    delim = "," if delim == r"\s+" else delim
    looks = "tabs alone" if delim == "\t" else f"{delim * 4!r}"
    many = len(rows) != 1
    warnings.warn(f"{len(rows):,} row{'s' if many else ''} of {str(path)!r} "
                  f"{'hold' if many else 'holds'} no value in any field (data "
                  f"row{'s' if many else ''} {shown}, {_counting(header=header)}: lines such as {looks} that "
                  f"a spreadsheet leaves below its data); {'they are' if many else 'it is'} "
                  f"left out, as blank lines are{_renumbered(between, many)}.",
                  UserWarning, stacklevel=caller_stacklevel())
    if n_end == len(df):
        return df.iloc[:0]
    if n_end:  # read again without them: the columns' types as the data alone gives them
        df = read(nrows=len(df) - n_end, quiet=True)
        empty = empty[:len(df)]
    if not empty.any():
        return df
    out = df.loc[~empty].reset_index(drop=True)
    if raw is not None:  # (always read when rows between data are empty)
        _retype_without(out, df, raw.iloc[:len(empty)].loc[~empty])
    out.attrs = dict(df.attrs)
    return out


def _n_trailing(mask: np.ndarray) -> int:
    """How many of ``mask``'s last values are True in a row."""
    ends = np.flatnonzero(~mask)
    return len(mask) - int(ends[-1]) - 1 if len(ends) else len(mask)


def _renumbered(between: bool, many: bool) -> str:
    if not between:
        return ""
    return f"; the rows after {'them' if many else 'it'} are numbered without {'them' if many else 'it'}"


#: A whole number as written in a file (ids and counts keep every digit).
_WHOLE = re.compile(r"\s*[+-]?\d+\s*")


def _retype_without(out: pd.DataFrame, read: pd.DataFrame, raw: pd.DataFrame) -> None:
    """Give ``out`` (``read`` without its empty rows between data) the column types the
    data alone gives: whole numbers (kept exact from the text ``raw`` of the same rows,
    however long) and true/false, which the empty rows had made floats and objects."""
    for j in range(out.shape[1]):
        col = out.iloc[:, j]
        if col.isna().any() or not read.iloc[:, j].isna().any():
            continue  # missing values of its own, or none the empty rows added
        text = raw.iloc[:, j].astype(str)
        if col.dtype.kind == "f" and text.str.fullmatch(_WHOLE).all():
            try:
                out.isetitem(j, text.str.strip().astype(np.int64).to_numpy())
            except (OverflowError, ValueError):  # beyond int64: left as read
                pass
        elif col.dtype == object and text.str.strip().str.lower().isin(("true", "false")).all():
            out.isetitem(j, text.str.strip().str.lower().eq("true").to_numpy())


def _last_lines_empty(path: Path, compression: str | None, encoding: str, delim: str,
                      k: int) -> bool:
    """Whether the last ``k`` lines of an uncompressed file that are not blank hold only
    the delimiter (and white space or quotes), read from its end: the cheap check of
    empty rows at the end (False when it cannot tell)."""
    if compression is not None or len(delim) != 1 or not 0 < k <= 100_000:
        return False
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            want = min(size, 4096 + 256 * k)
            fh.seek(size - want)
            tail = fh.read(want).decode(encoding, errors="replace")
    except (OSError, LookupError):
        return False
    lines = [line for line in tail.splitlines() if line != ""]
    if len(lines) <= k:  # the chunk may start inside a line: one more line is needed
        return False
    allowed = re.compile(rf"[\s\"{re.escape(delim)}]*")
    return all(allowed.fullmatch(line) for line in lines[-k:])


def _check_sep_line(path: Path, compression: str | None, encoding: str) -> None:
    """Refuse a file whose first line is Excel's delimiter hint (``sep=;``): read as a
    header, it names one column and every row seems to have too many fields."""
    try:
        with _open_text(path, compression, encoding, errors="replace", newline="") as fh:
            first = fh.readline(64)
    except (LookupError, DataLoadError, ValueError, *_decompress_errors()):
        return  # (said when the file is read)
    line = first.rstrip("\r\n").lstrip("\ufeff")
    found = re.fullmatch(r"sep=(.)\s*", line)
    if found is None:
        return
    mark = found.group(1)
    option = "--sep tab" if mark == "\t" else f"--sep {mark!r}"
    raise DataLoadError(
        f"the first line of {str(path)!r} is {line!r}, the delimiter hint a "
        f"spreadsheet writes, not a header or a row; delete that line (e.g. sed -i 1d FILE) "
        f"and read the file with {option} (API: sep=).")


def _check_single_column(path: Path, used: str, df: pd.DataFrame) -> None:
    """A delimited file read as one column whose name and first values all hold another
    delimiter was almost surely read with the wrong one (a ``;`` CSV, a tab file named
    ``.csv``)."""
    name = str(df.columns[0])
    head = df.iloc[:20, 0].dropna().astype(str)
    for d, what, option in _DELIMITERS:
        if d != used and d in name and len(head) and head.str.contains(d, regex=False).all():
            raise DataLoadError(
                f"{str(path)!r} was read as one column named {name[:60]!r}, which looks like "
                f"fields separated by {what}: pass {_delimiter_option(d, option, used)}.")


def _unclosed_quote(path: Path, compression: str | None, encoding: str,
                    sep: str) -> tuple[int, str] | None:
    """``(line, its first 60 characters)`` of the line (counted from 1) on which the
    file's last record opens: the record whose quoted field runs to the end of the file
    when the reader met the end inside a quote. None when the file cannot be read so."""
    try:
        with _open_text(path, compression, encoding, errors="replace", newline="") as fh:
            reader = csv.reader(fh, delimiter=sep)
            before = ended = 0
            for _ in reader:
                before, ended = ended, reader.line_num
        if not ended:
            return None
        with _open_text(path, compression, encoding, errors="replace", newline="") as fh:
            for number, text in enumerate(fh, start=1):
                if number == before + 1:
                    return number, text.rstrip("\r\n")[:60]
    except (OSError, EOFError, DataLoadError, ValueError, csv.Error):
        return None
    return None


def _delimiter_hint(path: Path, used: str, encoding: str, compression: str | None = None) -> str:
    """A sentence for a file that could not be parsed whose header line holds no ``used``
    delimiter but another one (a ``;`` CSV whose texts hold commas), else ``""``."""
    try:
        with _open_text(path, compression, encoding, errors="replace", newline="") as fh:
            first = fh.readline()
    except (OSError, EOFError, DataLoadError):
        return ""
    if used in first:
        return ""
    for d, what, option in _DELIMITERS:
        if d != used and first.count(d) >= 1:
            n = first.count(d)
            counted = "a tab" if (n, d) == (1, "\t") else f"{n} {what}"
            return (f". Its header line holds no {used!r} but {counted}: pass "
                    f"{_delimiter_option(d, option, used)}")
    return ""


#: Lines :func:`_lines_delimiter_hint` looks at.
_HINT_LINES = 200


def _lines_delimiter_hint(path: Path, used: str, encoding: str,
                          compression: str | None = None) -> str:
    """A sentence for a file without a header line that could not be parsed with ``used``
    when every one of its first lines holds another delimiter (a tab file read as CSV,
    whose texts hold commas), else ``""``."""
    lines: list[str] = []
    try:
        with _open_text(path, compression, encoding, errors="replace", newline="") as fh:
            for line in fh:
                if line.strip("\r\n"):
                    lines.append(line)
                    if len(lines) >= _HINT_LINES:
                        break
    except (OSError, EOFError, DataLoadError):
        return ""
    if len(lines) < 2:
        return ""
    for d, what, option in _DELIMITERS:
        if d != used and all(d in line for line in lines):
            counts = {line.count(d) for line in lines}
            how = f"{what} ({counts.pop()} per line)" if len(counts) == 1 else what
            return (f". Each of its first {len(lines)} lines holds {how}: if they separate "
                    f"the fields, pass {_delimiter_option(d, option, used)}")
    return ""


_DELIMITERS = ((";", "';'", "--sep ';'"), ("\t", "tabs", "--sep tab (or --format tsv)"),
               ("|", "'|'", "--sep '|'"), (",", "','", "--sep ','"))


def _delimiter_option(found: str, option: str, used: str) -> str:
    """How to read with the delimiter ``found`` a file read with ``used``: commas in a
    file read as TSV (a ``.tsv`` name) need CSV's quoting too, so ``--format csv``."""
    if found == "," and used == "\t":
        return ("--format csv (and no --sep tab: CSV reads quoted fields, TSV does not; "
                "API: format='csv')")
    return f"{option} (API: sep=)"

_DECIMAL_COMMA = r"\s*[-+]?\d+(,\d+)?\s*"

#: ``df.attrs`` key of the field delimiter a CSV or TSV file was read with.
_SEP_ATTR = "dataqa_sep"
#: ``df.attrs`` key of the decimal mark a CSV or TSV file was read with (when given).
_DECIMAL_ATTR = "dataqa_decimal"
#: ``df.attrs`` key of the columns the reading warned hold numbers with decimal commas.
_DECIMAL_WARNED_ATTR = "dataqa_decimal_comma_warned"


#: Signs a spreadsheet or typesetting tool writes for a minus: the minus sign U+2212
#: (Swedish, Norwegian and Finnish spreadsheets, tables copied from the web) and the
#: small and full-width hyphen-minus.
_MINUS_SIGNS = "\u2212\ufe63\uff0d"
_NUMBER = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")


def _read_minus_signs(path: Path, df: pd.DataFrame, skip, decimal: str) -> None:
    """Read as numbers, in place, the text columns of a CSV/TSV file whose values are all
    numbers once a minus sign written as U+2212 ``−`` (or U+FE63, U+FF0D) is read as
    ``-``: ``−3.5`` is -3.5, as a spreadsheet means it, where pandas reads the column as
    text (and a drift check would compare it as categories, nearly every value new).
    Each column so read is named in a warning. Columns in ``skip`` (ids, labels, text
    columns) keep what is written; a column with one value that is not a number after
    the change (``−`` in a word, digits other than 0-9, a thousands separator, a ``.``
    where the decimal mark is ``,``) stays text. Not called with a thousands separator
    given."""
    changed = []
    for c in df.columns:
        s = df[c]
        if c in skip or pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        vals = s.dropna()
        if not len(vals) or not all(isinstance(v, str) for v in vals.iloc[:50]):
            continue
        text = vals.astype(str).str.strip()
        signed = text.str.contains(f"[{_MINUS_SIGNS}]", regex=True)
        if not signed.any():
            continue
        plain = text.str.replace(f"[{_MINUS_SIGNS}]", "-", regex=True)
        if decimal != ".":
            if plain.str.contains(".", regex=False).any():
                continue  # ('1.500' beside a decimal comma: a grouped thousand)
            plain = plain.str.replace(decimal, ".", regex=False)
        if not plain.str.fullmatch(_NUMBER.pattern).all():
            continue
        try:
            df[c] = pd.to_numeric(plain.reindex(s.index), errors="raise")
        except (ValueError, TypeError):
            continue
        changed.append((c, int(signed.sum()), str(text[signed].iloc[0])))
    if changed:
        said = "; ".join(f"{str(c)!r} ({n} such as {first!r})" for c, n, first in changed)
        warnings.warn(f"{str(path)!r}: values written with the minus sign '\u2212' (U+2212) "
                      f"or a hyphen-minus look-alike are read as negative numbers in "
                      f"{'column' if len(changed) == 1 else 'columns'} {said}.",
                      UserWarning, stacklevel=caller_stacklevel())


def _decimal_comma_columns(df: pd.DataFrame, columns) -> list:
    """The columns among ``columns`` read as text whose values (the first 200 given) are
    all numbers, some written with a decimal comma (``14,23``)."""
    found = []
    for c in columns:
        if c not in df.columns or pd.api.types.is_numeric_dtype(df[c]) \
                or pd.api.types.is_bool_dtype(df[c]):
            continue
        vals = df[c].dropna().astype(str).iloc[:200]
        if len(vals) and vals.str.fullmatch(_DECIMAL_COMMA).all() and vals.str.contains(",").any():
            found.append(c)
    return found


def _decimal_commas_read_as_text(df: pd.DataFrame, columns) -> dict:
    """``{column: its first value with a comma}`` for the columns among ``columns`` that
    hold numbers written with a decimal comma, read as text (see
    :func:`_warn_decimal_comma` for when that is said)."""
    if df.attrs.get(_SEP_ATTR) == ",":
        return {}
    found = {}
    for c in _decimal_comma_columns(df, columns):
        vals = df[c].dropna().astype(str).str.strip().iloc[:200]
        with_comma = vals[vals.str.contains(",")]
        if not (with_comma.str.split(",").str[-1].str.len() == 3).all():
            found[c] = str(with_comma.iloc[0])
    return found


def _warn_decimal_comma(path: Path, df: pd.DataFrame, skip) -> None:
    """Warn when columns of a file whose fields are not separated by commas (``;`` or tabs,
    as files with decimal commas are written), read without ``decimal=","``, hold numbers
    written with a decimal comma: they are read as text (a drift check then compares them
    as categories, in which nearly every value is new). Not when every comma is followed
    by three digits (``1,299``: a thousands separator as likely), nor in a comma-separated
    file, where a quoted ``"1,2"`` is as likely a list."""
    found = list(_decimal_commas_read_as_text(df, [c for c in df.columns
                                                   if c not in set(skip)]))
    if found:
        warnings.warn(f"{str(path)!r}: the values are read as text.{_decimal_comma_hint(df, found)}",
                      UserWarning, stacklevel=caller_stacklevel())
        df.attrs[_DECIMAL_WARNED_ATTR] = [str(c) for c in found]


#: A number whose '.' could separate thousands: ``473.715``, ``12.500.000``.
_THOUSANDS_POINTS = re.compile(r"\s*-?[1-9][0-9]{0,2}(\.[0-9]{3})+\s*")


#: Spaces a spreadsheet groups thousands with: ``--thousands ' '`` takes all three.
_SPACES = " \u00a0\u202f"


def _grouped_numbers(path: Path, df: pd.DataFrame, mark: str, decimal: str, *,
                     skip) -> pd.DataFrame:
    """``df`` with each text column whose every value is a number written with ``mark``
    between groups of three digits (``1,234,567.5``; Indian ``12,34,567``; numbers below a
    thousand without it) and ``decimal`` as its decimal mark read as numbers. A column
    is read whole or not at all: one value that is no such number (``63,42`` with
    ``mark=","``, a date ``15.01.2024`` or a time ``12.30`` with ``mark="."``, a post
    code ``114 55``, a code with a leading zero such as ``030 123 456``) keeps it text, with
    a warning when the mark appears in it. ``mark=" "`` takes a no-break space (U+00A0)
    and a narrow one (U+202F) too. Columns in ``skip`` (ids, text) are left as written."""
    marks = _SPACES if mark in _SPACES else mark
    m = f"[{re.escape(marks)}]"
    d = re.escape(decimal)
    indian = rf"|(?:[1-9][0-9]?(?:{m}[0-9]{{2}})+{m}[0-9]{{3}})" if mark == "," else ""
    number = re.compile(
        rf"[-+]?(?:(?:[1-9][0-9]{{0,2}}(?:{m}[0-9]{{3}})+)"      # 1,234,567
        rf"{indian}"                                               # 12,34,567 (',' only)
        rf"|(?:0|[1-9][0-9]*))(?:{d}[0-9]+)?|[-+]?{d}[0-9]+")     # 0, 123, 12.5, .5
    missing = set(_na_values()) - {""}  # (kept as text by keep_missing_words: missing here)
    out = None
    refused = []
    for c in df.columns:
        col = df[c]
        if str(c) in skip or not (col.dtype == object or pd.api.types.is_string_dtype(col)):
            continue
        vals = col.dropna().astype(str).str.strip()
        vals = vals[(vals != "") & ~vals.isin(missing)]
        if not len(vals) or not vals.str.contains(m, regex=True).any():
            continue
        fits = vals.str.fullmatch(number.pattern)
        if not fits.all():
            looks = vals.str.fullmatch(rf"[-+0-9{re.escape(marks)}{d}]+")
            if looks.mean() > 0.5:
                refused.append((c, vals[~fits].iloc[0]))
            continue
        clean = col.astype("string").str.strip()
        clean = clean.where(~clean.isin(missing), None).str.replace(m, "", regex=True)
        if decimal != ".":
            clean = clean.str.replace(decimal, ".", regex=False)
        clean = clean.where(clean.ne(""), None)
        if out is None:
            out = df.copy()
        out[c] = pd.to_numeric(clean.astype(object).where(clean.notna(), np.nan))
    if refused:
        said = ", ".join(f"{str(c)!r} (e.g. {v!r})" for c, v in refused[:5])
        warnings.warn(
            f"{str(path)!r}: --thousands {mark!r} (API: thousands={mark!r}) left column(s) {said} as "
            f"text: not every value there is a number with {mark!r} between groups of three "
            f"digits and {decimal!r} as its decimal mark (dates, times, codes and lists "
            f"are kept as written)."
            + (f" If {mark!r} is the column's decimal mark, read it with --decimal {mark!r} "
               f"instead." if mark in ",." else ""), UserWarning, stacklevel=caller_stacklevel())
    return df if out is None else out


def _warn_thousands_points(path: Path, df: pd.DataFrame, *, fmt: str, header: bool,
                           compression: str | None, options: dict) -> list:
    """Warn when a column of a file whose fields are separated by ``;`` (as files written
    where ',' is the decimal mark are) holds numbers that all have exactly three digits
    after each '.' (``473.715``): if that '.' separates thousands, they are read a
    thousand times too small, without another word (or as text, ``1.200.000``). The
    file's first 2,000 rows of its float columns are read again as text to see how they
    are written. Not for tab- or comma-separated files, where a '.' is a decimal point
    far more often. Returns the columns it warned about."""
    if options.get("sep") != ";" or df.empty:
        return []
    floats = [i for i, c in enumerate(df.columns) if pd.api.types.is_float_dtype(df[c])]
    texts = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c])]
    columns: list[tuple[object, pd.Series]] = []
    if floats:
        try:
            # (header=0, not skiprows=1: a blank line above the header is no line of it)
            raw = _read_csv(path, compression, header=0 if header else None,
                            usecols=floats, nrows=2000, dtype=str, keep_default_na=False,
                            **options)
            columns += [(df.columns[pos], raw[col]) for pos, col in
                        zip(floats, raw.columns, strict=True)]
        except (ValueError, pd.errors.ParserError):
            pass
    columns += [(c, df[c].dropna().astype(str).iloc[:2000]) for c in texts]
    found, mixed = [], False
    for name, values in columns:
        vals = values.str.strip()
        vals = vals[vals.ne("")]
        grouped = vals.str.fullmatch(_THOUSANDS_POINTS)
        # numbers below 1,000 have no group to separate (1.065 beside 735 and 980)
        small = vals.str.fullmatch(r"-?[0-9]{1,3}")
        if len(vals) >= 5 and grouped.sum() >= min(5, len(vals)) \
                and (grouped | small).all() and not _ip_addresses(vals[grouped]):
            found.append((name, vals[grouped].iloc[0]))
            mixed = mixed or bool(small.any())
    if not found:
        return []
    names = ", ".join(repr(str(c)) for c, _ in found[:5])
    first = df[found[0][0]]
    read = (f"read as decimals ({float(found[0][1]):g}). If '.' separates thousands there, "
            f"as in files written with ';' between fields, they are read a thousand times "
            f"too small" if pd.api.types.is_float_dtype(first) else
            "read as text (a number has one '.' at most). '.' separates thousands there, "
            "as in files written with ';' between fields")
    others = " (and whole numbers below 1,000, which have no group to separate)" \
        if mixed else ""
    warnings.warn(
        f"{str(path)!r}: column(s) {names} hold numbers with exactly three digits after "
        f"every '.' (e.g. {found[0][1]!r}){others}, {read}: read the file with --thousands '.' "
        f"--decimal ',' (API: thousands='.', decimal=','), or save them without the "
        f"thousands separator.", UserWarning, stacklevel=caller_stacklevel())
    return [name for name, _ in found]


def _ip_addresses(values: pd.Series) -> bool:
    """Whether every value is an IPv4 address (four parts of at most 255): a column of
    ``192.168.100.101`` reads like thousands grouped with '.', but amounts of four groups
    (billions) with every group at most 255 are rare."""
    parts = values.str.strip().str.split(".", regex=False)
    return bool(parts.map(lambda p: len(p) == 4 and all(int(x) <= 255 for x in p)).all())


#: A number that groups its thousands: ``1,455,668``, ``1.455.668,5``, ``1 455 668``.
_GROUPED = re.compile(r"\s*[-+]?[0-9]{1,3}([,.' \u00a0])[0-9]{3}(\1[0-9]{3})*([.,][0-9]+)?\s*")


def _grouped_thousands(values: pd.Series) -> tuple[str, str, bool] | None:
    """``(an example, its thousands mark, whether its decimal mark is ',')`` when the
    values (the first 200 given) are all numbers, some grouping their thousands
    (``1,455,668``, ``1.455.668,5``, ``1 455 668``), which are read as text; else None."""
    vals = values.dropna().astype(str).iloc[:200]
    # one ',' or '.' with three digits after it (1,299) may as well be a decimal mark
    # (said by the decimal-comma hint): two of them, or a space or apostrophe, group
    # thousands
    # (numbers below a thousand have no separator: 12,50 beside 3.184,81)
    if not (len(vals) and (vals.str.fullmatch(_GROUPED)
                           | vals.str.fullmatch(r"\s*[-+]?[0-9]{1,3}([.,][0-9]+)?\s*")).all() and (
            vals.str.contains(r"[0-9][,.' \u00a0][0-9]{3}[,.' \u00a0][0-9]").any()
            or vals.str.contains(r"[0-9][' \u00a0][0-9]{3}").any())):
        return None
    grouped = vals[vals.str.contains(r"[0-9][,.' \u00a0][0-9]{3}")]
    example = grouped.iloc[0]
    mark = re.search(r"[0-9]([,.' \u00a0])[0-9]{3}", example).group(1)
    # a decimal comma beside '.' groups (1.455.668,5), or beside a space (1 234,5) in any
    # value (12 500 beside 45 600,5)
    comma = mark == "." or (mark != "," and bool(vals.str.contains(r",[0-9]+\s*$").any()))
    return example, (" " if mark in _SPACES else mark), comma


def _codes_not_amounts(values: pd.Series, mark: str) -> bool:
    """Whether grouped values look like codes written in groups (phone numbers ``612 345
    678``, ``+34 ...``, ``046 454 286``; versions ``1.100.200``; addresses
    ``192.168.100.101``) rather than amounts: a leading ``+`` or a first group with a
    leading zero, or one layout of three groups or more throughout with no decimal part.
    (Amounts of one such size, ``1,234,567`` beside ``2,345,678``, are left unsaid too;
    ``89 542`` beside ``74 586`` are amounts.)"""
    vals = values.dropna().astype(str).str.strip().iloc[:200]
    if vals.str.match(r"\+").any() or vals.str.match(r"-?0[0-9]").any():
        return True
    marks = re.escape(mark if mark != " " else _SPACES)
    decimal = vals.str.contains(r"[.,][0-9]+$") & ~vals.str.contains(
        rf"[{marks}][0-9]{{3}}$")
    if decimal.any():
        return False
    layouts = vals.str.replace(r"[0-9]", "d", regex=True)
    return layouts.nunique() == 1 and bool(
        re.search(rf"d[{marks}]d{{3}}[{marks}]d{{3}}", layouts.iloc[0]))


def _grouped_thousands_hint(df: pd.DataFrame, columns) -> str:
    """A sentence for an error about non-numeric columns when one of them holds numbers
    that group their thousands (``1,455,668``), which are read as text; else ``""``."""
    for c in columns:
        found = _grouped_thousands(df[c])
        if found is not None:
            example, mark, comma = found
            how = f"--thousands {mark!r}" + (" --decimal ','" if comma else "")
            return (f" Column {str(c)!r} holds numbers that group their thousands (e.g. "
                    f"{example!r}), which are read as text: read the file with {how} "
                    f"(API: thousands={mark!r}), or save them without the separator.")
    return ""


def _warn_grouped_thousands(path: Path, df: pd.DataFrame, skip, decimal: str) -> None:
    """Warn when text columns of a file read without a thousands separator hold numbers
    that group their thousands with two marks or more (``5.100,58``, ``1,455,668``) or
    with spaces or apostrophes (``12 500``): they stay text, so a drift check does not
    compare them by value (an identifier, nearly every value distinct) and an audit
    leaves them out of its features. A single ',' or '.' before three digits
    (``1,299``) is said by the decimal warnings, as either reading."""
    said = set(df.attrs.get(_DECIMAL_WARNED_ATTR, ()))
    found = []
    for c in df.columns:
        if (str(c) in said or c in skip or pd.api.types.is_numeric_dtype(df[c])
                or pd.api.types.is_bool_dtype(df[c])):
            continue
        got = _grouped_thousands(df[c])
        if got is not None and len(df[c].dropna()) >= 5 and not _codes_not_amounts(
                df[c], got[1]):
            found.append((c, *got))
    if not found:
        return
    c, example, mark, comma = found[0]
    how = f"--thousands {mark!r}" + (" --decimal ','" if comma and decimal != "," else "")
    api = f"thousands={mark!r}" + (", decimal=','" if comma and decimal != "," else "")
    names = ", ".join(repr(str(f[0])) for f in found[:5])
    warnings.warn(
        f"{str(path)!r}: column(s) {names} look like numbers that group their thousands "
        f"(e.g. {example!r}) and are read as text, so they are not compared or used as "
        f"numbers: read the file with {how} (API: {api}), or save them without the "
        f"separator.", UserWarning, stacklevel=caller_stacklevel())


def _decimal_comma_hint(df: pd.DataFrame, columns, *, again: bool = True) -> str:
    """A sentence for an error about non-numeric columns when some of them hold numbers
    written with a decimal comma (``14,23``), else ``""``. With ``again=False`` (for a
    warning) not about the columns the reading already warned about."""
    if not again:
        said = set(df.attrs.get(_DECIMAL_WARNED_ATTR, ()))
        columns = [c for c in columns if str(c) not in said]
    found = _decimal_comma_columns(df, columns)
    if not found:
        return ""
    example = df[found[0]].dropna().astype(str)
    example = example[example.str.contains(",")].iloc[0]
    with_comma = df[found[0]].dropna().astype(str).str.strip()
    with_comma = with_comma[with_comma.str.contains(",")]
    if (with_comma.str.fullmatch(r"[-+]?[1-9][0-9]{0,2},[0-9]{3}")).all():
        # 1,299: a decimal comma, or a thousands separator; the reading cannot tell
        decimal = ("read the file with --decimal ',' (API: decimal=',')"
                   if df.attrs.get(_SEP_ATTR) != "," else
                   "save the file with ';' between fields and read it with --sep ';' "
                   "--decimal ','")
        return (f" Column(s) {', '.join(map(repr, found[:5]))} hold numbers written with a "
                f"comma followed by three digits (e.g. {example!r}): if the comma separates "
                f"thousands, read the file with --thousands ',' (API: thousands=','); if it "
                f"is the decimal mark, {decimal}.")
    if df.attrs.get(_SEP_ATTR) == ",":  # quoted "5,5" in a comma-separated file
        return (f" Column(s) {', '.join(map(repr, found[:5]))} hold numbers with a decimal "
                f"comma (e.g. {example!r}) in a file whose fields are separated by commas "
                f"too, so --decimal ',' cannot read them: save the file with ';' between "
                f"fields and read it with --sep ';' --decimal ',', or convert those values "
                f"to decimal points.")
    return (f" Column(s) {', '.join(map(repr, found[:5]))} hold numbers with a decimal comma "
            f"(e.g. {example!r}): read the file with --decimal ',' (API: decimal=',').")


def check_feature_columns(df: pd.DataFrame, feature_columns, table: str) -> None:
    """Refuse feature columns (named by the user) that are missing or not numeric, naming
    the column, its cells that are not numbers, or the decimal comma or thousands
    separators that kept its numbers text."""
    for c in feature_columns:
        _require_column(df, c, "feature column", table)
    non_numeric = [c for c in feature_columns if not pd.api.types.is_numeric_dtype(df[c])
                   and not pd.api.types.is_bool_dtype(df[c])]
    for c in non_numeric:
        rows = _numeric_like(df[c], df.attrs.get(_DECIMAL_ATTR))
        if rows is not None:
            raise FeatureTypeError(
                f"feature column {c!r} of {table} holds {len(rows)} cells that are not "
                f"numbers (rows {format_rows(rows)}: "
                f"{format_ids(df[c].to_numpy()[rows][:3], limit=3)}); fix those cells or "
                f"drop those rows."
            )
    if non_numeric:
        # numbers kept text by their decimal mark or thousands separators: said alone
        hint = (_decimal_comma_hint(df, non_numeric)
                + _grouped_thousands_hint(df, non_numeric))
        rest = [c for c in non_numeric if repr(str(c)) not in hint]
        advice = ("encode them as numbers, or name a text column with --text-column (API: "
                  "text_column=...).")
        if hint and rest:
            advice = f"encode {', '.join(map(repr, rest))} as numbers.{hint}"
        raise FeatureTypeError(
            f"feature column(s) {', '.join(map(repr, non_numeric))} of {table} are not "
            f"numeric" + (f"; {advice}" if not hint or rest else f".{hint}"))


def _require_column(df: pd.DataFrame, column: str, role: str, table: str = "the table") -> None:
    if column not in df.columns:
        from dataqa.errors import _header_hint

        names = [str(c) for c in df.columns]
        hint = "" if _header_hint(names) else _name_among_values_hint(df)
        raise MissingColumnError(column, names, role=role, table=table, hint=hint)


def _name_among_values_hint(df: pd.DataFrame) -> str:
    """A hint when a column's name is also one of its text values (a label, ``ham``, in
    the header line): the file likely has no header line and its first row became the
    names."""
    for i, col in enumerate(df.columns):
        values = df.iloc[:1000, i]  # (by position: a repeated name would give a frame)
        if re.fullmatch(r"Unnamed: \d+", str(col)) or not (
                values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
            continue
        if values.astype("string").str.strip().eq(str(col).strip()).any():
            return (f" The name {str(col)!r} is also a value of its column: if the file has "
                    f"no header line, read it with --no-header --columns a,b,... (API: "
                    f"header=False, columns=[...]).")
    return ""


def _row_hash(values: Sequence[object]) -> str:
    h = hashlib.sha1()
    for v in values:
        h.update(repr(v).encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:16]


def make_ids(df: pd.DataFrame, id_column: str | None = None, *, source: str | None = None,
             copies_ok: bool = False) -> np.ndarray:
    """Return one stable string id per row.

    With ``id_column`` the ids are that column as strings (missing or repeated values are
    errors; with ``copies_ok``, a row that repeats an earlier row whole, id included, is
    kept as a copy, its id suffixed as content hashes are, with a warning). Without it,
    each id is a hash of the row's content (all columns, in order), so the same row gets
    the same id in every run; rows with identical content get ``-1``, ``-2`` ... suffixes
    in order of appearance. The content is the table as read: an empty column left by a
    delimiter at the end of each line (``Unnamed: <k>``, warned about) and a JSON column
    pandas reads as dates are part of it, so the same rows written otherwise get other
    ids; an id column gives ids that do not depend on how the file is written.

    ``source`` names the table in messages (default: the file :func:`load_table` read
    it from, else "the table"). Read files with ``load_table(...,
    string_columns=[id_column])`` so that ids such as ``007`` stay strings.
    """
    table = table_name(df, source)
    if id_column is not None:
        _require_column(df, id_column, "id column", table)
        col = df[id_column]
        missing = col.isna().to_numpy()
        if missing.any():
            rows = np.flatnonzero(missing)
            shown = ", ".join(str(r + 1) for r in rows[:10])
            more = f" (+{len(rows) - 10} more)" if len(rows) > 10 else ""
            raise DuplicateIdError(
                f"id column {id_column!r} of {table} has {len(rows)} missing values (rows "
                f"{shown}{more}, {_counted(df)}); fill them or leave the id "
                f"column out to use content hashes."
            )
        ids = col.astype(str).to_numpy(dtype=object)
        dup = pd.Series(ids).duplicated(keep=False).to_numpy()
        if dup.any():
            dups = pd.unique(ids[dup])
            where = "; ".join(
                f"{str(v)!r} in rows "
                f"{', '.join(_row_in_file(df, r) for r in np.flatnonzero(ids == v)[:5])}"
                for v in dups[:3])
            # rows repeated whole (an export that holds some rows twice) are dropped
            # by drop_duplicates; ids shared by different rows need another id column
            whole = df.astype(str).duplicated().to_numpy()
            copies = int(whole.sum())
            left = pd.unique(ids[~whole][pd.Series(ids[~whole]).duplicated().to_numpy()])
            if copies_ok and not len(left):
                suffixed = _suffix_repeats(ids.copy())
                if not pd.Series(suffixed).duplicated().any():
                    import warnings

                    warnings.warn(
                        f"{table}: {copies} {'rows repeat' if copies > 1 else 'row repeats'} an "
                        f"earlier row whole, id included ({where}, counted from 1 after the "
                        f"header); kept as copies (ids {format_ids(dups)} with -1, -2 ... "
                        f"added), as exported data that holds some rows twice is.",
                        UserWarning, stacklevel=caller_stacklevel())
                    return suffixed
                # a suffixed id is another row's own id ('7-1'): refused as before
            fix = (f" {copies} {'rows are exact copies' if copies > 1 else 'row is an exact copy'}"
                   f" of an earlier row: drop them (pandas: df.drop_duplicates())"
                   + ("" if len(left) else ", or leave out the id column (--id-column) to "
                                           "give each row an id from its content")
                   if copies else "")
            fix += (f"{'; then ' if copies else ' '}{format_ids(left)} "
                    f"{'are' if len(left) > 1 else 'is'}{' still' if copies else ''} held by "
                    f"different rows: choose "
                    f"another id column or make those ids unique." if len(left) else ".")
            raise DuplicateIdError(
                f"id column {id_column!r} of {table} has {len(dups)} repeated value{'s' if len(dups) != 1 else ''}: "
                f"{format_ids(dups)} ({where}, {_counted(df)}); ids must be "
                f"unique.{fix}"
            )
        return ids
    cols = list(df.columns)
    empty = [str(c) for c in cols if re.fullmatch(r"Unnamed: \d+", str(c))
             and df[c].isna().all()]
    if empty:  # hashed as ever (ids are stored in ledgers), but said
        import warnings

        warnings.warn(
            f"{table}: the ids are hashes of each row's content, which includes the empty "
            f"column {empty[0]!r} (a delimiter at the end of each line): the same rows "
            f"written without it get other ids. Pass an id column (--id-column) for ids "
            f"that do not depend on how the file is written.", UserWarning, stacklevel=caller_stacklevel())
    hashed = df[cols]
    zero_led = [c for c in cols if str(c) in df.attrs.get(_ZERO_LED_ATTR, ())]
    words = {c: w for c, w in df.attrs.get(_WORDS_KEPT_ATTR, {}).items() if c in cols}
    if zero_led or words:
        hashed = hashed.copy()
        for c in zero_led:  # hashed as the numbers they were read as before
            hashed[c] = pd.to_numeric(hashed[c], errors="coerce").values
        for c, kept in words.items():  # hashed as missing, as other commands read them
            col = hashed[c].astype(object)
            hashed[c] = col.where(~col.isin(list(kept)), np.nan).values
    rows = hashed.itertuples(index=False, name=None)
    return _suffix_repeats(np.array([_row_hash(r) for r in rows], dtype=object))


def _suffix_repeats(ids: np.ndarray) -> np.ndarray:
    """``ids`` with the second, third ... occurrence of a value suffixed ``-1``, ``-2`` ..."""
    seen: dict[str, int] = {}
    for i, h in enumerate(ids):
        k = seen.get(h, 0)
        if k:
            ids[i] = f"{h}-{k}"
        seen[h] = k + 1
    return ids


#: Labels with more distinct values than this, and than half their rows, whose classes
#: are too small to cross-validate are named as not being classes at all.
MAX_CLASS_SHARE_CHECK = 50


def _not_classes(n_values: int, n_rows: int, where: str,
                 class_names: Sequence | None = None) -> SmallClassError | None:
    """The error for labels that look like free text or ids (more than
    :data:`MAX_CLASS_SHARE_CHECK` distinct values and more than half of the rows), or
    like a continuous target (``class_names`` given: numbers, some with a fraction, in
    more than half of the rows), else None."""
    fractions = class_names is not None and n_values > n_rows / 2 and all(
        isinstance(c, (float, np.floating)) for c in class_names) and any(
        np.isfinite(c) and c != round(c) for c in class_names)
    if fractions or (n_values > MAX_CLASS_SHARE_CHECK and n_values > n_rows / 2):
        return SmallClassError(
            f"the labels{where} hold {n_values} distinct values in {n_rows} rows: they look "
            f"like free text, ids or a continuous target, not class labels; pass the column "
            f"that holds the classes.")
    return None


def encode_labels(values: pd.Series | Sequence | np.ndarray, *, ids: np.ndarray | None = None,
                  column: str = "label",
                  purpose: str = "finding label errors",
                  table: str | None = None, hint: str = "") -> tuple[np.ndarray, list]:
    """Encode labels as ints ``0 .. K-1`` in sorted class-name order (``purpose`` names
    what needs two classes in the error for a single class, ``hint`` is added to it;
    ``table``, when given, names the table in messages).

    Returns
    -------
    labels : int ndarray (n,)
    class_names : list, sorted; ``class_names[k]`` is the original value of class ``k``.
    """
    if not isinstance(values, pd.Series) and not (hasattr(values, "shape")
                                                  and hasattr(values, "ndim")):
        values = list(values)  # (a generator, dict values, a list)
        if values and all(isinstance(v, (list, np.ndarray)) for v in values):
            lengths = {len(v) for v in values}
            if lengths != {1}:  # (rows of several values: no column of labels)
                raise LabelError(
                    f"label column {column!r}{f' of {table}' if table else ''} must hold "
                    f"one label per item; its entries are lists of {sorted(lengths)[-1]} "
                    f"values: give one column.")
            values = [v[0] for v in values]  # (one-element rows: a column)
    if not isinstance(values, pd.Series) and hasattr(values, "shape") \
            and hasattr(values, "ndim"):  # (arrays and frames)
        shape = tuple(values.shape)
        if len(shape) == 2 and shape[1] == 1:  # (one column: a (n, 1) array or frame)
            values = (values.iloc[:, 0] if isinstance(values, pd.DataFrame)
                      else np.asarray(values).ravel())
        elif len(shape) != 1:
            raise LabelError(
                f"label column {column!r}{f' of {table}' if table else ''} must hold one "
                f"label per item (shape (n,)), got shape {tuple(shape)}; give one column.")
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    bad = s.isna().to_numpy().copy()
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        bad |= s.astype(str).str.strip().eq("").to_numpy() & ~bad
    if bad.any():
        where = np.flatnonzero(bad)
        what = (f"row{'s' if len(where) > 1 else ''} {format_rows(where)}, {_counted(s)}"
                + (f"; id{'s' if len(where) > 1 else ''} {format_ids(ids[where])}"
                   if ids is not None else ""))
        raise LabelError(
            f"label column {column!r}{f' of {table}' if table else ''} has {len(where)} "
            f"missing or empty label{'s' if len(where) > 1 else ''} "
            f"({what}); drop or label those rows first."
        )
    if pd.api.types.is_float_dtype(s) and np.all(np.mod(s.to_numpy(), 1) == 0):
        s = s.astype(np.int64)
    try:
        class_names = sorted(pd.unique(s).tolist())
    except TypeError:
        s = s.astype(str)
        class_names = sorted(pd.unique(s).tolist())
    if len(class_names) < 2:
        raise TooFewClassesError(
            f"label column {column!r}{f' of {table}' if table else ''} has only one class "
            f"({class_names[0]!r}); {purpose} needs at least two classes: give rows of "
            f"another class too.{hint}"
        )
    index = {c: k for k, c in enumerate(class_names)}
    labels = s.map(index).to_numpy(dtype=np.int64)
    return labels, class_names


def _padded_labels(values: Any) -> list[str]:
    """The text labels among ``values`` that have white space around them (``'spam '``),
    which are read without it."""
    return [v for v in values if isinstance(v, str) and v.strip() and v != v.strip()]


def _clean_text_labels(values: pd.Series, column: str, table: str) -> pd.Series:
    """Text labels with the white space around them stripped (``'spam '`` and ``'spam'``
    are one class), with a warning that counts the cells stripped; labels that differ
    only by case (``'spam'``, ``'SPAM'``) are refused, as case may be meaningful.

    Raises
    ------
    LabelError
        Naming the column and each set of case variants with their counts.
    """
    is_text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    if not is_text.any():
        return values
    text = values[is_text]
    stripped = text.str.strip()
    moved = (stripped != text) & (stripped != "")  # a blank cell is a missing label
    changed = int(moved.sum())
    counts = stripped[stripped != ""].value_counts()
    groups: dict[str, list[tuple[str, int]]] = {}
    for name, count in counts.items():
        groups.setdefault(str(name).casefold(), []).append((str(name), int(count)))
    variants = [g for g in groups.values() if len(g) > 1]
    if variants and (error := _not_classes(len(counts), int(counts.sum()),
                                           f" of label column {column!r} of {table}")):
        raise error  # (free text in several cases: the column is not the labels)
    if variants:
        every = pd.Series(values.astype(object)).map(
            lambda v: v.strip() if isinstance(v, str) else v).to_numpy(dtype=object)

        def spelled(name: str, count: int, most: bool) -> str:
            if most:  # the usual spelling: counted; the others' rows are named
                return f"{name!r} ({count:,})"
            rows = np.flatnonzero(every == name)
            return (f"{name!r} ({count:,}: row{'s' if len(rows) > 1 else ''} "
                    f"{format_rows(rows, limit=3)})")

        shown = "; ".join(", ".join(spelled(name, count, k == 0)
                                    for k, (name, count) in enumerate(g))
                          for g in variants[:5])
        more = f"; ... (+{len(variants) - 5} more sets)" if len(variants) > 5 else ""
        raise LabelError(
            f"label column {column!r} of {table} spells {len(variants)} "
            f"{'classes' if len(variants) > 1 else 'class'} in several cases: {shown}{more} "
            f"(rows {_counted(values)}). "
            f"Case may be meaningful, so they are not merged: make each class one spelling in "
            f"the file (e.g. all lower case) and run again.")
    same_number = _number_spellings(counts)
    if not changed and not same_number:
        return values
    out = values.astype(object)  # a categorical column takes no new category in place
    if changed:
        out[is_text] = stripped
        example = text[moved].iloc[0]
        warnings.warn(
            f"label column {column!r} of {table}: {changed:,} label "
            f"{'cells have' if changed > 1 else 'cell has'} white space around the text (e.g. "
            f"{example!r}); stripped, so that labels that differ only by it are one class.",
            UserWarning, stacklevel=caller_stacklevel())
    if same_number:
        spelled = {}
        for one, group in same_number.items():
            for name, _ in group:
                spelled[name] = one
        out[is_text] = stripped.map(lambda v: spelled.get(v, v))
        shown = "; ".join(", ".join(f"{name!r} ({count:,})" for name, count in g)
                          + f" -> {one!r}" for one, g in list(same_number.items())[:5])
        warnings.warn(
            f"label column {column!r} of {table} writes {len(same_number)} "
            f"{'numbers' if len(same_number) > 1 else 'number'} in several ways ({shown}); "
            f"read as one class each, as a numeric column is read.", UserWarning,
            stacklevel=caller_stacklevel())
    return out


#: A number written as text, as a label may be (``1``, ``1.0``, ``-1``, ``2.5``, ``1e3``).
_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
#: A whole number, perhaps written with a zero fraction (``1``, ``-1``, ``1.0``; not
#: ``01``, which a code may be).
_WHOLE_TEXT = re.compile(r"(?P<int>-?(0|[1-9]\d*))(\.0+)?")


def _number_spellings(counts: pd.Series) -> dict[str, list[tuple[str, int]]]:
    """The text labels (``counts``: label -> rows) that write one whole number both bare
    and with a zero fraction (``'1'`` and ``'1.0'``, as a Parquet or text column of labels
    may): the bare spelling -> ``[(spelling, rows), ...]``; empty when each number is
    written one way. Other numbers are left as written (``'1.1'`` and ``'1.10'`` may be
    section codes, ``'01'`` and ``'1'`` two codes)."""
    groups: dict[str, list[tuple[str, int]]] = {}
    for name, count in counts.items():
        m = _WHOLE_TEXT.fullmatch(str(name))
        if m:
            groups.setdefault(m["int"], []).append((str(name), int(count)))
    # named by the bare spelling when a row writes it, else by the most frequent one
    return {(bare if any(n == bare for n, _ in group) else max(group, key=lambda g: g[1])[0]):
            group for bare, group in groups.items() if len(group) > 1}


def _empty_columns(df: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """The columns of ``df`` (but those in ``exclude``) without a single value."""
    skip = set(exclude)
    return [str(c) for c in df.columns if c not in skip and df[c].isna().all()]


def numeric_feature_columns(df: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """Every numeric (or boolean) column of ``df`` except those in ``exclude`` and those
    without a single value (the empty columns a trailing delimiter makes, ``Unnamed: 2``)."""
    skip = set(exclude)
    return [
        c for c in df.columns
        if c not in skip and (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]))
        and not df[c].isna().all()
    ]


def refuse_nearly_numeric(df: pd.DataFrame, exclude: Sequence, table: str) -> None:
    """With the features found rather than named: refuse a column of numbers holding a
    few other cells (``"n/a"``, ``?``, a stray word), naming it and those rows, which
    would otherwise be left out of the features without a word."""
    decimal = df.attrs.get(_DECIMAL_ATTR)
    for c in df.columns:
        if c in exclude or pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            continue
        rows = _numeric_like(df[c], decimal)
        if rows is not None:
            marks = (f" (read with --decimal {decimal!r}, a '.' is no decimal mark)"
                     if decimal not in (None, ".") and any(
                         isinstance(v, str) and "." in v for v in df[c].to_numpy()[rows])
                     else "")
            raise FeatureTypeError(
                f"column {c!r} of {table} is numeric except for {len(rows)} "
                f"cell{'s' if len(rows) > 1 else ''} (row{'s' if len(rows) > 1 else ''} "
                f"{format_rows(rows)}: {format_ids(df[c].to_numpy()[rows][:3], limit=3)})"
                f"{marks}; fix those cells, or name the feature columns to use "
                f"(--feature-column / feature_columns=).{_thousands_cells_hint(df[c], rows, decimal)}"
            )


def _warn_empty_columns(df: pd.DataFrame, exclude, table: str) -> list[str]:
    """Say which columns hold no value at all and are left out; return them."""
    import warnings

    empty = _empty_columns(df, exclude)
    if empty and len(df):
        warnings.warn(f"{table}: column(s) {_names(empty)} hold no value and are left out.",
                      UserWarning, stacklevel=caller_stacklevel())
    return empty


def check_lengths(**arrays: object) -> int:
    """Check that every named array has the same first dimension; return it."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}  # type: ignore[arg-type]
    if len(set(lengths.values())) > 1:
        desc = ", ".join(f"{k} has {v}" for k, v in lengths.items())
        raise LengthMismatchError(
            f"inputs must have one entry per item but {desc}; pass arrays of the same length."
        )
    return next(iter(lengths.values()), 0)


def effective_folds(labels: np.ndarray, class_names: Sequence, cv: int, *,
                    where: str = "", counted: str | None = None) -> int:
    """Number of folds usable for stratified cross-validation: ``cv``, or the size of
    the largest class when every class is smaller.

    A class with fewer members than ``cv`` (but at least 2) keeps ``cv`` folds, with a
    warning naming it: stratified folds put its members in different held-out parts, so
    each of them is predicted by a model that saw the others, as with fewer folds, while
    every other item keeps the larger training parts (fewer folds for all, as this did
    before, moved the audit's flags: 4 flagged at 5 folds, 7 at 3 on YouTube comments).
    Raises :class:`SmallClassError` when a class has one member (no fold split can
    keep an item of it on both sides), naming its row (``counted`` says how rows are
    counted, e.g. :func:`_counted` of the table; without it rows are not named).
    ``where`` (e.g. " of label column 'label' of 'x.csv'") names the labels in messages.
    """
    labels = np.asarray(labels)
    counts = np.bincount(labels, minlength=len(class_names))
    if cv < 2:
        from dataqa.errors import InvalidSettingError

        raise InvalidSettingError(f"cv={cv} is not allowed; use at least 2 folds.")
    small = [(k, class_names[k], int(c)) for k, c in enumerate(counts) if c < cv]
    if not small:
        return cv
    least = min(c for _, _, c in small)
    if least < 2 and (error := _not_classes(len(class_names), len(labels), where,
                                            class_names)):
        raise error
    if least < 2:
        single = [(k, name, c) for k, name, c in small if c < 2]
        parts = []
        for k, name, c in single[:5]:  # (a class may have no member at all: no row)
            row = int(np.flatnonzero(labels == k)[0]) + 1 if c else None
            parts.append(f"{name!r} ({c}{f', row {row}' if counted and row else ''})")
        desc = ", ".join(parts) + (f", ... (+{len(single) - 5} more)" if len(single) > 5 else "")
        rows = f" (rows {counted})" if counted else ""
        advice = []
        if any(c == 1 for _, _, c in single):
            advice.append("a one-row class is often a typo of another: correct it, label more "
                          "examples of those classes, or drop them")
        if any(c == 0 for _, _, c in single):
            advice.append("a class with no member is among the class names given (API: "
                          "class_names; --classes where a command has it) but in no label: "
                          "leave it out of them, or label examples of it")
        raise SmallClassError(
            f"class(es) {desc}{where} have fewer than 2 members{rows}, so no out-of-sample "
            f"prediction is possible for them; " + "; ".join(advice) + "."
        )
    desc = ", ".join(f"{name!r} ({c})" for _, name, c in small[:5])
    if len(small) > 5:
        desc += f", ... (+{len(small) - 5} more)"
    # stratified folds need one class at least as large as their number
    folds = min(cv, int(counts.max()))
    kept = (f"the {cv} folds are kept for the other classes" if folds == cv else
            f"as no class has {cv} members, {folds} folds are used")
    warnings.warn(
        f"class(es) {desc}{where} have fewer members than cv={cv}: each of their items is "
        f"predicted by a model that saw only the other(s) of its class, so their "
        f"probabilities say little; {kept}.",
        UserWarning,
        stacklevel=caller_stacklevel(),
    )
    return folds


@dataclass
class LabeledTable:
    """A validated labeled table: ids, encoded labels, and where the features come from."""

    frame: pd.DataFrame
    ids: np.ndarray
    labels: np.ndarray
    class_names: list
    label_column: str
    id_column: str | None = None
    text_column: str | None = None
    feature_columns: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


#: Columns of at most this many distinct values are categories whose values a line
#: swallowed into another cell is checked against (:func:`_check_merged_rows`).
_ROW_SHAPE_VALUES = 50


def _in_values(value: str, values: set) -> bool:
    """Whether a field's text is one of a column's values (numbers compared as numbers)."""
    if value in values:
        return True
    try:
        return float(value) in values
    except ValueError:
        return False


def _row_like(line: str, delim: str, j: int, shapes: list) -> bool:
    """Whether ``line`` (found inside a cell of column ``j``) parses into a row of the
    file: as many fields as it has columns, each category field one of its column's
    values and each number field a number (``shapes``: per column ``set`` of values,
    ``"number"`` or None for free text), with a category among them or two numbers."""
    try:
        fields = next(csv.reader([line], delimiter=delim))
    except (csv.Error, StopIteration):
        return False
    if len(fields) != len(shapes):
        return False
    numbers = categories = 0
    for k, (value, shape) in enumerate(zip(fields, shapes, strict=True)):
        if k == j or shape is None or value == "":
            continue
        if shape == "number":
            try:
                float(value)
            except ValueError:
                return False
            numbers += 1
        elif not _in_values(value, shape):
            return False
        else:
            categories += 1
    # (a lone number is no evidence: "Springfield, 62701" in an address)
    return categories > 0 or numbers > 1


def _check_merged_rows(path: Path, df: pd.DataFrame, delim: str, *,
                       quiet: bool = False) -> None:
    """Refuse a tab-delimited file read with quoting on (``--format csv --sep tab``) in
    which a quote swallowed whole rows: a cell holding a line break followed by a line
    that looks like a row of the file (as many tabs as a row has, and a first field that
    the first column holds elsewhere, such as a label). Unquoted files whose texts start
    with ``"`` (the raw SMS Spam Collection) read this way lose rows silently. With
    another delimiter (a comma inside a quoted multi-line text is ordinary) a cell whose
    inner lines parse into rows of the file (as many fields, each category one of its
    column's values, each number a number: :func:`_row_like`) is warned of: a stray
    quote that opens a field and closes rows later (``quiet``: not warned of)."""
    if df.shape[1] < 2:
        return
    want = df.shape[1] - 1
    firsts: set | None = None
    shapes: list | None = None
    found: list = []
    for j, column in enumerate(df.columns):
        values = df[column]
        if values.dtype != object and not pd.api.types.is_string_dtype(values.dtype):
            continue
        if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
            has_break = values.str.contains("\n", regex=False).fillna(False).to_numpy(dtype=bool)
        else:
            has_break = values.map(lambda v: isinstance(v, str) and "\n" in v).to_numpy(dtype=bool)
        if has_break.any() and firsts is None:
            firsts = {str(v) for v in df.iloc[:, 0].dropna().unique().tolist()}
        for i in np.flatnonzero(has_break):
            v = values.iloc[i]
            lines = v.replace("\r\n", "\n").split("\n")[1:]
            if delim == "\t":
                inner = [line for line in lines
                         if line.count(delim) >= want and line.split(delim, 1)[0] in firsts]
                if inner:
                    raise DataLoadError(
                        f"{str(path)!r}: field {j + 1} ({str(column)!r}) of data row {i + 1} "
                        f"(counted from 1 after any header) runs over {v.count(chr(10)) + 1} "
                        f"lines, and a line inside it looks like a row of the file "
                        f"({inner[0][:60]!r}): a quote that opens a field and never closes on "
                        f"its line swallowed the rows after it. If the file does not quote its "
                        f"fields, read it as TSV (--format tsv, quoting off; API: "
                        f"format='tsv'); else close the quote in the file.")
                continue
            if shapes is None:
                shapes = []
                for c in df.columns:
                    col = df[c]
                    if pd.api.types.is_bool_dtype(col):
                        shapes.append(None)
                    elif pd.api.types.is_numeric_dtype(col):
                        # a label or score of few values is a category of numbers
                        seen = col.dropna().unique()
                        shapes.append({float(v) for v in seen} if len(seen) <= _ROW_SHAPE_VALUES
                                      and len(seen) < len(col) / 2 else "number")
                    else:
                        seen = col.dropna().astype(str).unique()
                        shapes.append(set(seen.tolist()) if len(seen) <= _ROW_SHAPE_VALUES
                                      and len(seen) < len(col) / 2 else None)
            inner = [line for line in lines if _row_like(line, delim, j, shapes)]
            if inner:
                found.append((j, column, i, v, inner))
    if found and not quiet:
        j, column, i, v, inner = found[0]
        others = (f"; {len(found) - 1} more {'cells hold' if len(found) > 2 else 'cell holds'}"
                  f" such lines (data rows {', '.join(str(f[2] + 1) for f in found[1:6])}"
                  f"{', ...' if len(found) > 6 else ''})" if len(found) > 1 else "")
        warnings.warn(
            f"{str(path)!r}: field {j + 1} ({str(column)!r}) of data row {i + 1} "
            f"(counted from 1 after any header) runs over {v.count(chr(10)) + 1} lines, "
            f"and {len(inner)} {'lines' if len(inner) > 1 else 'line'} inside it "
            f"{'look' if len(inner) > 1 else 'looks'} like a row of the file "
            f"({inner[0][:60]!r}){others}: a quote that opens a field and closes only rows "
            f"later swallows the rows between into it. If so, close the quote in the file (a "
            f"quote inside a quoted field is written doubled: \"\").", UserWarning,
            stacklevel=caller_stacklevel())


def check_cell_lengths(df: pd.DataFrame, column: str, ids=None, *,
                       source: str | None = None) -> None:
    """Refuse a text cell of more than :data:`MAX_CELL_CHARS` characters, naming its row
    (and id, when ``ids`` are given): an unclosed quote often swallows the rest of a file
    into one cell."""
    texts = df[column]
    lengths = texts.map(lambda v: 0 if v is None or (isinstance(v, float) and np.isnan(v))
                        else len(str(v))).to_numpy()
    long = np.flatnonzero(lengths > MAX_CELL_CHARS)
    if len(long):
        i = int(long[0])
        raise FeatureTypeError(
            f"text column {column!r} of {table_name(df, source)} has a cell of "
            f"{int(lengths[i]):,} characters in row {_row_in_file(df, i)}"
            f"{f' (id {str(ids[i])!r})' if ids is not None else ''}; cells are capped at "
            f"{MAX_CELL_CHARS:,} characters (an "
            f"unclosed quote often swallows the rest of a file): fix or drop that row.")


def check_text_column(df: pd.DataFrame, column: str, ids: np.ndarray, *,
                      source: str | None = None) -> None:
    """Check a text column: present, not empty, no cell over :data:`MAX_CELL_CHARS`.

    An empty cell of a CSV file reads as missing, so missing and empty (or blank) cells
    are the same here: every one of them is an error naming the rows.
    """
    table = table_name(df, source)
    _require_column(df, column, "text column", table)
    texts = df[column]
    check_cell_lengths(df, column, ids, source=source)
    blank = texts.isna().to_numpy() | texts.map(
        lambda v: isinstance(v, str) and not _shows_anything(v)).to_numpy()
    if blank.all():
        raise FeatureTypeError(
            f"text column {column!r} of {table} is empty in every one of its {len(texts)} "
            f"rows; name the column that holds the text."
        )
    if blank.any():
        where = np.flatnonzero(blank)
        raise FeatureTypeError(
            f"text column {column!r} of {table} is empty in {len(where)} rows (rows "
            f"{format_rows(where)}; ids {format_ids(ids[where])}; blank, or only characters "
            f"a reader does not see such as zero-width spaces); write text into those cells "
            f"or drop those rows."
        )


def _shows_anything(text: str) -> bool:
    """Whether ``text`` holds a character a reader sees: not white space, and not a format
    character (zero-width space, byte-order mark, soft hyphen, direction marks)."""
    import unicodedata

    return any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in text)


def _thousands_cells_hint(col: pd.Series, rows: np.ndarray, decimal: str | None) -> str:
    """A sentence for the error about a column numeric except for ``rows`` when every one
    of those cells groups its thousands with the mark that is not the file's decimal mark
    (``1,065`` read with the decimal point, ``1.065`` with ``--decimal ','``); else ""."""
    comma = decimal not in (None, ".")
    mark = "." if comma else ","
    pattern = (rf"\s*[-+]?[1-9][0-9]{{0,2}}(\{mark}[0-9]{{3}})+"
               rf"(\{decimal if comma else '.'}[0-9]+)?\s*")
    cells = pd.Series(col.to_numpy()[rows], dtype=object).astype(str)
    if not len(cells) or not cells.str.fullmatch(pattern).all():
        return ""
    if comma:  # read with --decimal ',': a '.' there can only group thousands
        return (f" Those cells group their thousands with '.' (e.g. {cells.iloc[0]!r}): "
                f"read the file with --thousands '.' --decimal ',' (API: thousands='.', "
                f"decimal=',').")
    # a ',' before three digits: thousands, or a decimal comma (1,250 kg)
    return (f" Those cells hold a ',' before three digits (e.g. {cells.iloc[0]!r}): if it "
            f"separates thousands, read the file with --thousands ',' (API: thousands=','); "
            f"if it is the decimal mark, with --decimal ',' (API: decimal=',').")


def _numeric_like(col: pd.Series, decimal: str | None = None) -> np.ndarray | None:
    """Rows whose cells are not numbers, when most of an object column is numeric.
    ``decimal``: the decimal mark the file was read with (``,``: ``3,14`` is a number
    there and ``3.14`` is not, as reading took it)."""
    present = col.notna().to_numpy()
    if present.sum() == 0:
        return None
    if decimal not in (None, "."):
        # (cells read as numbers already stay numbers: pandas reads a large file in
        # chunks, some of them as floats)
        text = col.astype(object).where(col.notna(), None).map(
            lambda v: v if not isinstance(v, str) else
            None if "." in v else v.replace(decimal, "."))
        as_num = pd.to_numeric(text, errors="coerce").notna().to_numpy()
    else:
        as_num = pd.to_numeric(col, errors="coerce").notna().to_numpy()
    bad = present & ~as_num
    if bad.any() and as_num.sum() > bad.sum():
        return np.flatnonzero(bad)
    return None


_API_HINT = re.compile(r"(\(|; )API: ((?:\w+=(?:'[^']*'|\[\.\.\.\]|\.\.\.|)(?:, )?)+)\)")


def _read_options_hint(message: str) -> str:
    """``message`` with its API hints, ``(API: sep=)`` or ``(API: format='csv', sep='\\t')``,
    written for a function that takes ``read_options`` (``(API: read_options={'sep':
    ...})``) rather than :func:`load_table`'s keywords."""
    def one(m: re.Match) -> str:
        pairs = re.findall(r"(\w+)=('[^']*'|\[\.\.\.\]|\.\.\.|)", m.group(2))
        inner = ", ".join(f"'{k}': {v or '...'}" for k, v in pairs)
        return f"{m.group(1)}API: read_options={{{inner}}})"
    return _API_HINT.sub(one, message)


def table_files(source: str | PathLike, format: str | None = None) -> list[Path]:
    """The files a source names, in name order: the file itself; a folder's files that
    :func:`load_table` can read (their suffix names a format, or any file not hidden
    when ``format`` is given); or the files a glob pattern matches (``data/day_*.csv``).

    Raises
    ------
    DataLoadError
        A folder or pattern with no such file.
    """
    import glob

    path = Path(source)
    if path.is_dir():
        files = sorted(f for f in path.iterdir()
                       if f.is_file() and not f.name.startswith(".")
                       and (format is not None or file_format(f) is not None))
        if not files:
            raise DataLoadError(
                f"folder {str(path)!r} holds no table file ({', '.join(sorted(_READERS))}, "
                f"or any file with --format); give a file, the folder of the tables, or a "
                f"pattern such as {str(path / '*.csv')!r}.")
        return files
    if path.exists() or not any(ch in str(source) for ch in "*?["):
        return [path]  # a file, or a missing one that load_table names
    files = sorted(Path(f) for f in glob.glob(str(source)) if Path(f).is_file())
    if not files:
        raise DataLoadError(f"the pattern {str(source)!r} matches no file; check it (quote it "
                            f"so that the shell passes it as it is).")
    return files


def _read_noting(f: Path, options: dict, said: dict) -> pd.DataFrame | None:
    """One file of a folder (None when it has no rows), its reading warnings kept in
    ``said`` (see :func:`_say_once`) instead of given."""
    caught: list = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            return load_table(f, **options)
    except EmptyDataError:
        return None
    finally:
        for w in caught:
            if not issubclass(w.category, UserWarning):  # another library's: as it came
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
                continue
            key = (w.category, str(w.message).replace(repr(str(f)), "\0"))
            said.setdefault(key, []).append(f)


def _say_once(said: dict, source) -> None:
    """The reading warnings of a folder's files, each once: a warning that several files
    gave (the same text but for the file's name) names the first and counts the others."""
    for (category, text), where in said.items():
        msg = text.replace("\0", repr(str(where[0])))
        if len(where) > 1:
            names = ", ".join(f.name for f in where[1:4]) + (", ..." if len(where) > 4 else ".")
            msg += f" (The same for {len(where) - 1} more file(s) of {str(source)!r}: {names})"
        if "If the file is UTF-8, pass --encoding utf-8" in msg:
            # one --encoding reads every file: the UTF-8 one may sit among cp1252 ones
            msg += (f" --encoding applies to every file of {str(source)!r}: if some of them "
                    f"are in another encoding, save them all in one (UTF-8) first.")
        warnings.warn(msg, category, stacklevel=caller_stacklevel())


def load_tables(source: str | PathLike | pd.DataFrame, **options: Any) -> pd.DataFrame:
    """:func:`load_table` over every file a source names (see :func:`table_files`), one
    after the other in name order, as one table; ``options`` apply to each file.

    The files must have the same columns (in any order; the first file's order is kept);
    rows are numbered through the files in that order, and the table's name in messages
    says which rows each file holds. A DataFrame or a single file is
    read as :func:`load_table` reads it.

    A file without rows adds none, with a warning.

    Raises
    ------
    DataLoadError
        No file, or a file whose columns differ from the first's (both named).
    EmptyDataError
        Every file is without rows.
    """
    if isinstance(source, pd.DataFrame) or not isinstance(source, (str, PathLike)):
        return load_table(source, **options)
    files = table_files(source, options.get("format"))
    if len(files) == 1 and files[0] == Path(source):
        return load_table(source, **options)
    frames, empty, names, kept = [], [], [], []
    said: dict = {}  # the files' reading warnings: (category, text with the file left out) -> files
    for f in files:
        try:
            frame = _read_noting(f, options, said)
        except BaseException:
            _say_once(said, source)  # what the files up to it gave, then the error
            raise
        if frame is None:  # a day without rows in a folder of daily files
            empty.append(f)
            continue
        if frames:
            first, cols = list(frames[0].columns), list(frame.columns)
            if set(cols) != set(first) or len(cols) != len(first):
                missing = [c for c in first if c not in cols]
                extra = [c for c in cols if c not in first]
                raise DataLoadError(
                    f"{str(f)!r} does not have the columns of {str(files[0])!r}, the first "
                    f"file of {str(source)!r}" + (f"; it lacks {', '.join(map(str, missing))}"
                                                  if missing else "")
                    + (f"; it adds {', '.join(map(str, extra))}" if extra else "")
                    + "; the files read as one table must share their columns.")
            frame = frame[first]
        frames.append(frame)
        names.append(f.name)
        kept.append(f)
    if len({f.name for f in kept + empty}) < len(kept) + len(empty):
        import os  # days/*/data.csv: each named by its path from the folders' common root

        root = Path(os.path.commonpath([str(f.parent) for f in kept + empty]))
        names = [f.relative_to(root).as_posix() for f in kept]
        empty_names = [f.relative_to(root).as_posix() for f in empty]
    else:
        empty_names = [f.name for f in empty]
    _say_once(said, source)
    if not frames:
        raise EmptyDataError(f"every file of {str(source)!r} ({len(files)}) has no rows.")
    if empty:
        warnings.warn(f"{len(empty)} file(s) of {str(source)!r} have no rows and add none: "
                      f"{', '.join(empty_names[:5])}{' ...' if len(empty) > 5 else ''}.",
                      UserWarning, stacklevel=caller_stacklevel())
    frames = _align_leading_zeros(*frames)
    df = pd.concat(frames, ignore_index=True)
    # what the files were read with, when they agree (concat keeps no attrs that differ)
    for key in (_SEP_ATTR, _NO_HEADER_ATTR, _DECIMAL_ATTR):
        values = {repr(f.attrs.get(key)) for f in frames}
        if len(values) == 1 and frames[0].attrs.get(key) is not None:
            df.attrs[key] = frames[0].attrs[key]
    warned = sorted({c for f in frames for c in f.attrs.get(_DECIMAL_WARNED_ATTR, ())})
    if warned:
        df.attrs[_DECIMAL_WARNED_ATTR] = warned
    zero_led = sorted({c for f in frames for c in f.attrs.get(_ZERO_LED_ATTR, ())})
    if zero_led:
        df.attrs[_ZERO_LED_ATTR] = zero_led
    words: dict = {}
    for f in frames:
        for c, found in f.attrs.get(_WORDS_KEPT_ATTR, {}).items():
            for w, n in found.items():
                words.setdefault(c, {})[w] = words.get(c, {}).get(w, 0) + n
    if words:
        df.attrs[_WORDS_KEPT_ATTR] = words
    df.attrs[_SOURCE_ATTR] = f"{source} ({len(files)} files{_file_rows(names, frames)})"
    df.attrs[_FILES_ATTR] = [(n, len(f)) for n, f in zip(names, frames, strict=True)]
    df.attrs[_ROWS_READ_ATTR] = len(df)
    return df


def _file_rows(names: list[str], frames: list[pd.DataFrame], shown: int = 4) -> str:
    """Which rows of a table read from several files came from which file, so a row
    number in a message can be found in its file: ``; rows 1-350 a.csv, 351-700 b.csv``."""
    parts, start = [], 1
    for name, frame in zip(names, frames, strict=True):
        end = start + len(frame) - 1
        parts.append(f"{start}{'' if end == start else f'-{end}'} {name}")
        start += len(frame)
    if len(parts) > shown + 1:  # (eliding one file would save nothing)
        parts = parts[:shown - 1] + [f"... ({len(parts) - shown} more) ...", parts[-1]]
    return "; rows " + ", ".join(parts)


#: ``df.attrs`` key of a table read from several files: ``[(file name, rows), ...]``.
_FILES_ATTR = "dataqa_files"


def _files_as_read(df: pd.DataFrame) -> list | None:
    """``[(file name, rows), ...]`` of a table read from several files, or None when it
    was not, or no longer lines up with its files: pandas keeps ``attrs`` through
    filtering and sorting, which leave the index out of order (a table sorted and then
    given a fresh index cannot be told from the one read)."""
    files = df.attrs.get(_FILES_ATTR)
    if not files or sum(n for _, n in files) != len(df):
        return None
    index = df.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        return None
    return files


def _row_in_file(df: pd.DataFrame, row: int) -> str:
    """Row ``row`` (0-based, of the joined table) as ``"1421 (Youtube04-Eminem.csv row
    71)"`` for a table read from several files, else its number from 1."""
    files = _files_as_read(df)
    if not files:
        return str(row + 1)
    start = 0
    for name, n in files:
        if row < start + n:
            return f"{row + 1} ({name} row {row - start + 1})"
        start += n
    return str(row + 1)


def load_with_options(data, read_options: dict | None):
    """:func:`load_tables` with ``read_options`` (a file, a folder of files or a glob
    pattern, or a DataFrame), for functions that take them so: an error's API hint names
    ``read_options`` instead of keywords they do not have."""
    try:
        return load_tables(data, **(read_options or {}))
    except DataqaError as exc:
        msg = _read_options_hint(str(exc))
        if msg == str(exc):
            raise
        try:
            renamed = type(exc)(msg)
        except TypeError:  # an error class whose constructor takes other fields
            raise exc from None
        raise renamed from None


def _names(columns: list[str], shown: int = 8) -> str:
    more = f" and {len(columns) - shown} more" if len(columns) > shown else ""
    return ", ".join(map(repr, columns[:shown])) + more


def _warn_abstain_class(labels: np.ndarray, class_names: list, column: str,
                        table: str) -> None:
    """Warn when the classes are whole numbers from -1 up (``-1, 0, 1``): -1 is the
    abstain code of weak labels (``dataqa weak`` writes it where no labeling function
    voted), which audited as a class would be learned and flagged as one."""
    try:
        values = [float(str(c).strip()) for c in class_names]
    except ValueError:
        return
    if -1.0 not in values or len(values) < 3 or any(
            v != int(v) or v < -1 for v in values):
        return
    k = values.index(-1.0)
    n = int((labels == k).sum())
    warnings.warn(
        f"label column {column!r} of {table} holds the class -1 ({n:,} rows) beside "
        f"{_names([str(c) for c in class_names if c is not class_names[k]], 4)}: -1 is the "
        f"abstain code of weak labels (no labeling function voted), audited here as a class "
        f"of its own; if these are weak labels, drop the rows labelled -1 first (pandas: "
        f"df[df[{column!r}] != -1]); if -1 is a class (negative sentiment), nothing is "
        f"wrong.", UserWarning, stacklevel=caller_stacklevel())


def _warn_mixed_spellings(class_names: list, column: str, table: str) -> None:
    """Warn when the classes mix numbers and names (``0``, ``1``, ``ham``, ``spam``): two
    spellings of the same classes would be audited as different classes."""
    names = [str(c).strip() for c in class_names]
    numbers = [n for n in names if _NUMBER_TEXT.fullmatch(n)]
    words = [n for n in names if n not in numbers]
    if numbers and words:
        warnings.warn(
            f"label column {column!r} of {table} mixes class numbers ({_names(numbers, 4)}) "
            f"and class names ({_names(words, 4)}), {len(names)} classes in all; if numbers "
            f"and names spell the same classes, write every label one way.", UserWarning,
            stacklevel=caller_stacklevel())


#: Column names taken for an id column when ``--id-column`` is not given: id, key, uuid...,
#: a name ending in ``_id``, `` id`` or ``-id`` (any case), or a camelCase ``commentId``.
_ID_NAMES = re.compile(r"(?i:^(id|key|uid|uuid|guid)$|.[_\- ]id$)|^[a-z][a-zA-Z0-9]*[a-z0-9](Id|ID)$")


def _id_named(df: pd.DataFrame, skip: list) -> list:
    """Columns (but those in ``skip``) with an id-like name and a value in every row."""
    return [c for c in df.columns
            if c not in skip and _ID_NAMES.search(str(c)) and df[c].notna().all()]


def _id_like_columns(df: pd.DataFrame, skip: list) -> list:
    """Columns (but those in ``skip``) that look like ids: an id-like name, no float
    values, a distinct value in every row."""
    return [c for c in _id_named(df, skip)
            if not pd.api.types.is_float_dtype(df[c]) and df[c].is_unique]


def _other_id_columns(df: pd.DataFrame, skip: list, table: str) -> list:
    """With the id column named and the features not: the other numeric columns that look
    like ids (``order_id`` beside ``--id-column uid``), left out of the features with a
    warning."""
    found = [c for c in _id_like_columns(df, skip) if pd.api.types.is_numeric_dtype(df[c])
             and not pd.api.types.is_bool_dtype(df[c])]
    if found:
        warnings.warn(
            f"{table}: {_names([str(c) for c in found])} "
            f"{'looks' if len(found) == 1 else 'look'} like another id (an id-like name, a "
            f"distinct whole number in every row) and {'is' if len(found) == 1 else 'are'} "
            f"left out of the features; name the feature columns with --feature-column "
            f"(API: feature_columns=[...]) to use {'it' if len(found) == 1 else 'them'}.",
            UserWarning, stacklevel=caller_stacklevel())
    return found


def _warn_id_like_columns(df: pd.DataFrame, skip: list, table: str, *,
                          features_chosen: bool = False) -> list[str]:
    """Warn when no id column is named but the table has a column that looks like one (an
    id-like name, a distinct value in every row): the items get content hashes as ids,
    and the results would not join back to the table by its own ids. Returns those
    columns: unless the feature columns were named (``features_chosen``), they are left
    out of the features, as an id is no feature."""
    found = _id_like_columns(df, skip)
    if found:
        name = str(found[0])
        numeric = [str(c) for c in found if pd.api.types.is_numeric_dtype(df[c])
                   and not pd.api.types.is_bool_dtype(df[c])]
        left_out = "" if features_chosen or not numeric else (
            f" {_names(numeric)} {'is' if len(numeric) == 1 else 'are'} left out of the "
            f"features (numbers that name rows say nothing of their class).")
        warnings.warn(
            f"{table}: no id column named, so the items get content hashes as ids; column "
            f"{name!r} holds a distinct value in every row: pass --id-column {name} "
            f"(API: id_column={name!r}) to keep the table's own ids in the results."
            f"{left_out}", UserWarning, stacklevel=caller_stacklevel())
    else:
        _warn_repeated_ids(df, skip, table)
    return found


def _warn_repeated_ids(df: pd.DataFrame, skip: list, table: str) -> None:
    """Warn when a string column with an id-like name repeats a few values (at most 1% of
    the rows): likely the table's ids with some rows held twice (YouTube's spam files
    repeat 3 comments whole), which the items' content hashes then silently replace."""
    for c in _id_named(df, skip):
        if pd.api.types.is_numeric_dtype(df[c]):  # (a numeric column of repeated codes
            continue  # is data, not ids)
        again = df[c].duplicated().to_numpy()
        repeated = int(again.sum())
        if 0 < repeated <= 0.01 * len(df):
            whole = int((again & df.astype(str).duplicated().to_numpy()).sum())
            why = ("in rows that repeat an earlier row whole" if whole == repeated else
                   f"{whole} in rows that repeat an earlier row whole" if whole else
                   "in rows that differ otherwise")
            warnings.warn(
                f"{table}: no id column named, so the items get content hashes as ids; column "
                f"{str(c)!r} looks like the table's ids but repeats {repeated} "
                f"value{'s' if repeated > 1 else ''} ({why}). To keep its ids in the "
                f"results, drop the repeated rows (pandas: df.drop_duplicates()) or make "
                f"them unique, and pass --id-column {c} (API: id_column={str(c)!r}).",
                UserWarning, stacklevel=caller_stacklevel())
            return


def _warn_missing_words(df: pd.DataFrame, column: str, table: str) -> None:
    """Warn when a label column read from a file holds words that pandas reads as missing
    (``NA``, ``None``, ``null``...): they are kept as class names."""
    if column not in df.columns or pd.api.types.is_numeric_dtype(df[column].dtype):
        return
    words = set(_na_values()) - {""}
    found = df[column].map(lambda v: isinstance(v, str) and v.strip() in words)
    if not found.any():
        return
    counts = df.loc[found, column].map(str.strip).value_counts()
    said = ", ".join(f"{w!r} ({n} rows)" for w, n in counts.items())
    warnings.warn(f"label column {column!r} of {table} holds {said}, read as a class name "
                  f"(in the label and text columns only an empty cell is missing); if such "
                  f"cells mean no label, empty them.", UserWarning, stacklevel=caller_stacklevel())


def prepare_labeled(
    data: str | PathLike | pd.DataFrame,
    *,
    label_column: str,
    id_column: str | None = None,
    text_column: str | None = None,
    feature_columns: Sequence[str] | None = None,
    read_options: dict | None = None,
    source: str | None = None,
) -> LabeledTable:
    """Load and validate a labeled table.

    Without ``text_column`` and ``feature_columns``, the features are every numeric
    column except the id and label columns and columns that look like ids (an id-like
    name, a distinct whole number in every row: left out with a warning); a column that is mostly numbers but holds a
    few other cells (``"n/a"``, a stray word) is an error naming it and those rows, never
    silently dropped, and a warning names the other columns left unused. With
    ``text_column`` alone, the text is the only feature; a warning names the numeric
    columns left out (``feature_columns`` adds them).

    Parameters
    ----------
    data : path or DataFrame
    label_column, id_column, text_column : str
    feature_columns : list of str, optional
        Numeric feature columns. The label column is refused (a feature equal to the
        label leaks it into the model, so nothing would be flagged).
    read_options : dict, optional
        Keyword arguments of :func:`load_table` (``format``, ``sep``, ``header``,
        ``columns``, ``encoding``); the id column is always read as strings.
    source : str, optional
        Name of the table in messages (default: the file's path).
    """
    opts = dict(read_options or {})
    if id_column is not None:
        opts["string_columns"] = [*opts.get("string_columns", ()), id_column]
    # a class "None" or "NA", a message "null": only an empty cell is missing there
    opts["text_columns"] = [*opts.get("text_columns", ()),
                            *(c for c in (label_column, text_column) if c is not None)]
    df = load_with_options(data, opts)
    table = table_name(df, source)
    _require_column(df, label_column, "label column", table)
    if text_column is not None:  # (before any warning about the other columns)
        _require_column(df, text_column, "text column", table)
    _warn_missing_words(df, label_column, table)
    if feature_columns is not None:
        feature_columns = list(feature_columns)
        if label_column in feature_columns:
            raise FeatureTypeError(
                f"the label column {label_column!r} is also given as a feature column; a "
                f"feature equal to the label leaks it into the model. Drop it from the "
                f"feature columns."
            )
        if id_column is not None and id_column in feature_columns:
            raise FeatureTypeError(
                f"the id column {id_column!r} is also given as a feature column; ids are not "
                f"features. Drop it from the feature columns."
            )
    if text_column is not None and text_column == id_column:
        raise FeatureTypeError(
            f"the id column {id_column!r} is also the text column; ids are not features. Name "
            f"the column that holds the text, or leave --id-column out to use content hashes.")
    if text_column is not None and text_column == label_column:
        raise FeatureTypeError(
            f"the label column {label_column!r} is also the text column; that leaks the label "
            f"into the features. Name the column that holds the text."
        )
    ids = make_ids(df, id_column, source=source)  # of the rows as read, as other commands
    df[label_column] = _clean_text_labels(df[label_column], label_column, table)
    labels, class_names = encode_labels(df[label_column], ids=ids, column=label_column,
                                        table=table)
    _warn_mixed_spellings(class_names, label_column, table)
    _warn_abstain_class(labels, class_names, label_column, table)
    id_like: list = []  # columns that look like ids, left out of the features found here
    if id_column is None:
        id_like = _warn_id_like_columns(df, [c for c in (label_column, text_column) if c],
                                        table, features_chosen=feature_columns is not None)
    elif feature_columns is None:
        id_like = _other_id_columns(df, [label_column, text_column, id_column], table)
    if text_column is not None:
        check_text_column(df, text_column, ids, source=source)
    if feature_columns is not None:
        check_feature_columns(df, feature_columns, table)
    elif text_column is None:
        exclude = [label_column] + ([id_column] if id_column else []) + id_like
        refuse_nearly_numeric(df, exclude, table)
        feature_columns = numeric_feature_columns(df, exclude)
        empty = _warn_empty_columns(df, exclude, table)
        unused = [str(c) for c in df.columns if c not in exclude and c not in feature_columns
                  and str(c) not in empty]
        if feature_columns and unused:
            hint = _decimal_comma_hint(df, [c for c in df.columns if str(c) in unused],
                                       again=False)
            warnings.warn(
                f"{table}: not used, as they are not numeric: {_names(unused)}; the features "
                f"are the numeric columns ({_names(feature_columns)}). A free-text column is "
                f"used with --text-column (API: text_column=), beside numeric columns named "
                f"with --feature-column.{hint}",
                UserWarning,
                stacklevel=caller_stacklevel())
        if not feature_columns:
            raise FeatureTypeError(
                f"{table} has no numeric feature columns besides the id and label; "
                "name a text column with --text-column (API: text_column=...) or numeric "
                "feature columns with --feature-column (API: feature_columns=[...])."
                f"{_decimal_comma_hint(df, [c for c in df.columns if c not in exclude])}"
            )
    else:
        feature_columns = []
        exclude = {label_column, text_column, id_column, *id_like}
        numeric = [str(c) for c in numeric_feature_columns(df, [c for c in exclude if c])]
        _warn_empty_columns(df, [c for c in exclude if c], table)
        if numeric:
            warnings.warn(
                f"{table}: the numeric column(s) {_names(numeric)} are not used beside the text "
                f"column {text_column!r}; add them with --feature-column (API: "
                f"feature_columns=[...]) to use both.", UserWarning, stacklevel=caller_stacklevel())
    if feature_columns:
        block = df[feature_columns]
        nan_mask = block.isna().to_numpy().any(axis=1)
        if nan_mask.any():
            where = np.flatnonzero(nan_mask)
            cols = [c for c in feature_columns if df[c].isna().any()]
            raise FeatureTypeError(
                f"feature column(s) {', '.join(map(repr, cols))} of {table} have missing values in "
                f"{len(where)} row{'s' if len(where) > 1 else ''} (row{'s' if len(where) > 1 else ''} "
                f"{format_rows(where)}, {_counted(df)}; id{'s' if len(where) > 1 else ''} "
                f"{format_ids(ids[where])}); impute or drop them."
            )
    return LabeledTable(
        frame=df,
        ids=ids,
        labels=labels,
        class_names=class_names,
        label_column=label_column,
        id_column=id_column,
        text_column=text_column,
        feature_columns=list(feature_columns),
    )
