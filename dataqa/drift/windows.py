"""Drift over time: the current data split into windows (by time or in chunks of rows),
each compared with the reference, beside reference chunks that show the no-drift spread."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from dataqa._caller import caller_stacklevel
from dataqa._progress import progress_task
from dataqa._validation import check_int
from dataqa.data import (
    _align_leading_zeros,
    _align_missing_words,
    _counted,
    _warn_missing_words_kept,
)
from dataqa.drift.detect import (
    MIN_ROWS,
    _as_frame,
    _check_one_column,
    _columns,
    _expand_lists,
    _which,
    detect_drift,
)
from dataqa.drift.multivariate import MULTIVARIATE_TESTS
from dataqa.drift.result import DriftResult, _carries_label
from dataqa.errors import InvalidSettingError, MissingColumnError, format_rows

__all__ = ["drift_windows", "split_windows", "parse_times", "MAX_REFERENCE_CHUNKS"]

#: At most this many reference chunks are compared leave-one-chunk-out.
MAX_REFERENCE_CHUNKS = 10


#: Unix time units by the size of their values for times between 1973 and 2286 (earlier
#: times, and negative ones, are not taken for Unix times).
_EPOCH_UNITS = ((1e8, 1e10, "s"), (1e11, 1e13, "ms"), (1e14, 1e16, "us"), (1e17, 1e19, "ns"))


def parse_times(values: pd.Series, name: str, *, dayfirst: bool | None = None,
                missing: str = "error", table: str | None = None) -> pd.Series:
    """The times of a time column, in UTC.

    Text is parsed as dates in one format for the whole column. Year-first dates
    (2026-01-31, with or without a time) are read as such. Others are read month first,
    as pandas does, and dotted dates (``06.03.2026``) day first, unless ``dayfirst``:
    with ``dayfirst=None``, the other order when the first leaves values unread and the
    other reads them all (``13/01/2024``), and a warning when both read every value
    differently (``01/03/2024``: 3 January or 1 March; pass ``dayfirst=True`` or
    ``False`` to decide). Numbers are Unix times whose unit (s,
    ms, us or ns) follows from their size, one unit for the whole column; numbers that fit
    no unit (a day index, a year) are an error rather than nanoseconds after 1970.
    ``missing="error"`` (default) refuses missing values as it does unreadable ones;
    ``missing="keep"`` returns them as NaT (unreadable values are still refused).
    ``table`` names the table in messages that name rows (with the rows of each file, for
    a table read from several).
    """
    if missing not in ("error", "keep"):
        raise InvalidSettingError(f"missing={missing!r} is not known; use 'error' or 'keep'.")
    if pd.api.types.is_bool_dtype(values):
        raise InvalidSettingError(f"time column {name!r} holds true/false values, not times.")
    blank = _blank_times(values)
    if blank.all():
        where = f" in {table}" if table else ""
        raise InvalidSettingError(f"time column {name!r} is empty{where} (every value "
                                  f"missing); fill it, or split by rows with --chunk-size "
                                  f"(API: chunk_size=).")
    read_as = ""  # the format the column was read in, for the message on unread values
    if pd.api.types.is_numeric_dtype(values):
        num = pd.to_numeric(values, errors="coerce").astype(np.float64)
        mag = num.dropna().to_numpy()

        def fit(v):
            return next((u for lo, hi, u in _EPOCH_UNITS if v.min() >= lo and v.max() < hi),
                        None)

        unit = fit(mag)
        if unit is None and (mag == 0).any() and (mag != 0).any():
            # a missing time written as 0: the unit is the other times' (the zeros are
            # then Unix time 0, told apart below as placeholders)
            unit = fit(mag[mag != 0])
        if unit is None:
            # the value that fits the unit of most values least (the first value may fit)
            mid = fit(np.median(mag[mag != 0] if (mag != 0).any() else mag, keepdims=True))
            lo, hi = next(((a, b) for a, b, u in _EPOCH_UNITS if u == mid), (1e8, 1e19))
            odd = np.flatnonzero((num.to_numpy() < lo) | (num.to_numpy() >= hi))
            example = str(values.iloc[odd[0]] if len(odd) else values.dropna().iloc[0])
            excel = bool(mag.min() >= 20_000 and mag.max() < 80_000)  # 1954 to 2119
            raise InvalidSettingError(
                f"time column {name!r} holds numbers (e.g. {example}) that are not Unix "
                f"times in one unit (seconds, ms, us or ns since 1970)"
                + ("; they look like spreadsheet day numbers (days since 1899-12-30, what "
                   "Excel shows as dates): format the column as dates before saving, or "
                   "convert it (pandas: pd.to_datetime(x, unit='D', origin='1899-12-30'))"
                   if excel else "")
                + "; write the times as dates (2026-01-31 or 2026-01-31T08:00), or split by "
                  "rows with --chunk-size (API: chunk_size=).")
        times = pd.to_datetime(num, unit=unit, utc=True)
    else:
        # blanks and missing-value texts read as missing in every format
        times, read_as = _parse_text_times(values.astype("string").mask(blank), name, dayfirst)
    unread = times.isna().to_numpy()
    if missing == "keep":  # missing or blank values are missing, not unreadable
        unread = unread & ~blank
    bad = np.flatnonzero(unread)
    zone_hint, zoned = _zone_name_hint(values.iloc[bad[:1000]]) if len(bad) else ("", None)
    if len(bad) and unread[~blank].all() and zone_hint:
        raise InvalidSettingError(
            f"time column {name!r}{f' of {table}' if table else ''} holds times whose zone "
            f"is written as a name (e.g. {zoned!r}).{zone_hint}")
    if len(bad) and unread[~blank].all():  # not one time: another column
        raise InvalidSettingError(
            f"time column {name!r}{f' of {table}' if table else ''} holds no times (e.g. "
            f"{str(values[~blank].iloc[0])!r}): name the column that holds each row's "
            f"time, written as dates such as 2026-01-31 08:00, or split by rows with "
            f"--chunk-size (API: chunk_size=).")
    if len(bad):
        first = values.iloc[bad[0]]
        rows = _row_list(bad)
        what = "missing or not times" if missing == "error" else "not times"
        raise InvalidSettingError(
            f"time column {name!r}{f' of {table}' if table else ''} has {len(bad)} value(s) "
            f"that are {what} in the column's "
            f"format ({read_as}rows {rows}, {_counted(values)}; "
            f"e.g. {'a missing value' if pd.isna(first) else repr(str(first))}); fix or drop "
            f"them, writing every time in one format such as 2026-01-31 08:00.{zone_hint}")
    if not pd.api.types.is_numeric_dtype(values):  # (missing-value texts have no zone)
        _warn_if_zones_mixed(values.astype("string").mask(blank), name)
    return times


#: Texts that mean "no time" in a time column, as files write a missing value.
_NO_TIME = {"", "nat", "nan", "none", "null", "na", "n/a"}


def _blank_times(values: pd.Series) -> np.ndarray:
    """Where a time column has no time: missing, blank, or a missing-value text (NaT)."""
    blank = values.isna().to_numpy(dtype=bool)
    if not pd.api.types.is_numeric_dtype(values):
        text = values.astype("string").str.strip().str.lower()
        blank = blank | text.isin(_NO_TIME).fillna(True).to_numpy(dtype=bool)
    return blank


def _row_list(positions: np.ndarray) -> str:
    """Row numbers counted from 1, the first five and how many more."""
    return format_rows(positions)


def _zone_name_hint(values: pd.Series) -> tuple[str, str | None]:
    """A sentence when unread times end in a zone's letters other than UTC or GMT (``EST``,
    ``CET``): such names are ambiguous (``IST`` is India's, Ireland's or Israel's) and
    not read; an offset is. With the first such value; ``("", None)`` when none is."""
    text = values.dropna().astype(str).str.strip()
    # a date, a clock time, then capitals alone ("10:00 Uhr", "at 9:30 today" are no zones)
    named = text.str.extract(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}[ T]\d{1,2}:\d{2}"
                             r"(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp][Mm]\s*)?([A-Z]{2,5})$")[0]
    named = named.dropna()
    named = named[~named.isin(["UTC", "GMT", "Z", "AM", "PM"])]
    if named.empty:
        return "", None
    return (f" A zone's name such as {named.iloc[0]!r} is not read (names are ambiguous: "
            f"IST is India's, Ireland's or Israel's); write the offset instead "
            f"(2024-01-01 10:00:00-05:00 for 10:00 EST), or the times in UTC.",
            str(text[named.index[0]]))


def _zoned(given: pd.Series) -> pd.Series:
    """Which texts end in a clock time with a zone: ``Z``, an offset or a zone's letters
    (a date alone has no zone)."""
    return given.str.contains(r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?"
                              r"|[A-Z]{3,4})$", regex=True)


def _warn_if_local_days(raw: pd.Series, name: str) -> None:
    """Warn when times carry an offset other than UTC's (``+02:00``): day windows are
    cut at midnight UTC, so each holds parts of two local days."""
    import warnings

    text = raw.dropna().astype(str).str.strip()
    off = text.str.extract(r"([+-])(\d{2}):?(\d{2})$")
    local = off[0].notna() & ((off[1] != "00") | (off[2] != "00"))
    if local.any():
        warnings.warn(
            f"time column {name!r} holds times with an offset from UTC (e.g. "
            f"{text[local].iloc[0]!r}): windows are cut at midnight UTC, so a day's window "
            f"holds parts of two local days. To cut them by local days, write the times as "
            f"local clock times without the offset.", UserWarning,
            stacklevel=caller_stacklevel())


def _warn_if_zones_mixed(text: pd.Series, name: str) -> None:
    """Warn when some times carry a time zone (``Z``, ``+01:00``) and others none (read as
    UTC): windows then mix clocks without saying so."""
    import warnings

    given = text.dropna().str.strip()
    zoned = _zoned(given)
    if zoned.any() and not zoned.all():
        warnings.warn(
            f"time column {name!r} mixes times with a time zone (e.g. "
            f"{given[zoned].iloc[0]!r}) and without (e.g. {given[~zoned].iloc[0]!r}); those "
            f"without are read as UTC. Write every time with its zone, or none.",
            UserWarning, stacklevel=caller_stacklevel())


def _parse_text_times(text: pd.Series, name: str,
                      dayfirst: bool | None) -> tuple[pd.Series, str]:
    """The column read in one format (see :func:`parse_times`); the reading with the
    fewest unread values when none reads them all (they are then reported, never guessed
    one by one, which could read 02/03 one way in one row and another way in the next),
    and that reading's format in words, for that report (``"%m/%d/%Y, as its first value
    '01/13/2026' is written; "``)."""
    import warnings

    given = int(text.notna().sum())
    # year first when most values are (a few broken ones must not change how the rest
    # are read); ISO 8601 is also tried, which reads its variants (with and without
    # fractions of a second) mixed, where pandas' inferred format follows the first value
    year_first = bool(text.dropna().str.match(r"\s*\d{4}[-/.]").mean() >= 0.5)
    if year_first:  # pandas would apply dayfirst even to 2026-01-02
        orders = ({}, {"format": "ISO8601"})
    elif dayfirst is None and _dotted_dates(text):
        # 06.03.2026 is written day first wherever dates are dotted (German, Russian,
        # Scandinavian exports): day first, unless only month first reads every value
        orders = ({"dayfirst": True}, {}, {"format": "ISO8601"})
    elif dayfirst is None:
        orders = ({}, {"dayfirst": True}, {"format": "ISO8601"})
    else:
        orders = ({"dayfirst": bool(dayfirst)}, {"format": "ISO8601"})
    best = None

    def read(options: dict) -> pd.Series | None:
        short = _explicit_format(text, bool(options.get("dayfirst", False)))
        given = text
        if short is not None and "format" not in options:
            # pandas would read these one value at a time; the format is the first
            # value's, white space aside
            options, given = {"format": short}, text.str.strip()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "could not infer format"
            try:
                return pd.to_datetime(given, errors="coerce", utc=True, **options)
            except (ValueError, TypeError):
                return None

    best_options: dict = {}
    for options in orders:
        t = read(options)
        if t is None:
            continue
        if int(t.notna().sum()) == given:
            if dayfirst is None and not year_first and not options:
                _warn_if_ambiguous(text, t, read({"dayfirst": True}), name)
            elif dayfirst is None and not year_first and options.get("dayfirst"):
                _warn_if_ambiguous(text, t, read({}), name, day_first_read=True)
            return t, ""
        if best is None or int(t.notna().sum()) > int(best.notna().sum()):
            best, best_options = t, options
    return best, _format_read(text, best_options, best)


_TWO_DIGIT_YEAR = re.compile(r"\s*\d{1,2}([./-])\d{1,2}\1(\d{2})(?!\d)")
_AM_PM = re.compile(r"\s*[AaPp][Mm]$")


def _explicit_format(text: pd.Series, dayfirst: bool) -> str | None:
    """The format of the column's dates, month or day first as asked, when its first
    value is a date pandas infers no format for: a two-digit year (``01.02.26``) or a
    12-hour time (``2/13/2026 3:04 PM``); else None. pandas reads such a column value by
    value, each date month first when it can and day first when it must (12.02.26 and
    13.02.26 became 2 December and 13 February)."""
    import warnings

    from pandas.tseries.api import guess_datetime_format

    given = text.dropna().str.strip()
    if not len(given):
        return None
    first = str(given.iloc[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "parsing dates in %d.%m.%Y format"
        if guess_datetime_format(first, dayfirst=dayfirst) is not None:
            return None
        ampm = _AM_PM.search(first)
        core = first[:ampm.start()] if ampm else first
        hit = _TWO_DIGIT_YEAR.match(core)
        if hit is None and ampm is None:
            return None
        # with the century written and the hour read as 24-hour: the format pandas
        # infers, then %y and %I %p put back
        fmt = guess_datetime_format(core if hit is None else
                                    core[:hit.start(2)] + "20" + core[hit.start(2):])
    if fmt is None or "%m" not in fmt or "%d" not in fmt:
        return None
    if hit is not None:
        if "%Y" not in fmt:
            return None
        fmt = fmt.replace("%Y", "%y", 1)
    if ampm is not None:
        if "%H" not in fmt:
            return None
        fmt = fmt.replace("%H", "%I") + first[ampm.start():-2] + "%p"
    if (fmt.index("%d") < fmt.index("%m")) != dayfirst:  # the order asked for
        fmt = fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    return fmt


def _format_read(text: pd.Series, options: dict, times: pd.Series | None = None) -> str:
    """The format a reading of ``pd.to_datetime`` with ``options`` used, in words: pandas
    takes it from the column's first value unless told (ISO 8601). With ``times`` (that
    reading), from the first value it read as a time, and the column's first value named
    as not one when it is not."""
    from pandas.tseries.api import guess_datetime_format

    if options.get("format") == "ISO8601":
        return "ISO 8601, such as 2026-01-31T08:00; "
    given = text.dropna().str.strip()
    if not len(given):
        return ""
    first, what, note = str(given.iloc[0]), "first value", ""
    if times is not None:
        read = text[times.notna().to_numpy() & text.notna().to_numpy()].str.strip()
        if not len(read):
            return f"none of its values reads as a time, the first being {first!r}; "
        if np.flatnonzero(times.notna().to_numpy())[0] != np.flatnonzero(
                text.notna().to_numpy())[0]:
            note = f"; its first value, {first!r}, is not a time"
            first, what, given = str(read.iloc[0]), "first time", read
    fmt = (guess_datetime_format(first, dayfirst=bool(options.get("dayfirst", False)))
           or _explicit_format(given, bool(options.get("dayfirst", False))))
    order = " (day first)" if options.get("dayfirst") else ""
    if fmt is None:
        return f"as its {what} {first!r} reads{order}{note}; "
    return f"{fmt}, as its {what} {first!r} is written{order}{note}; "


def _dotted_dates(text: pd.Series) -> bool:
    """Whether most dates of ``text`` are written with dots (``06.03.2026``)."""
    return bool(text.dropna().str.match(r"\s*\d{1,2}\.\d{1,2}\.\d{2,4}\b").mean() >= 0.5)


def _warn_if_ambiguous(text: pd.Series, read_as: pd.Series, other: pd.Series | None,
                       name: str, *, day_first_read: bool = False) -> None:
    """Warn when every date also reads in the other order, differently (``read_as`` is
    the reading kept: month first, or day first for dotted dates)."""
    import warnings

    if other is None or int(other.notna().sum()) != int(text.notna().sum()):
        return
    month_first, day_first = (other, read_as) if day_first_read else (read_as, other)
    differ = np.flatnonzero((month_first != day_first).to_numpy() & month_first.notna().to_numpy())
    if len(differ):
        k = differ[0]
        kept = ("read day first, as dotted dates are written. Pass --monthfirst (API: "
                "dayfirst=False) if the month comes first, or --dayfirst to confirm."
                if day_first_read else
                "read month first. Pass --dayfirst (API: dayfirst=True) if the day comes "
                "first, or --monthfirst to confirm.")
        warnings.warn(
            f"time column {name!r}: every date reads both month first and day first (e.g. "
            f"{str(text.iloc[k])!r}: {month_first.iloc[k]:%d %b %Y} or "
            f"{day_first.iloc[k]:%d %b %Y}); {kept}",
            UserWarning, stacklevel=caller_stacklevel())


#: Units that name months or years (not fixed spans), or a month and a minute alike.
_CALENDAR_UNITS = {"M", "MS", "ME", "m", "Y", "YS", "YE", "y", "A", "AS"}


def window_span(window) -> pd.Timedelta:
    """The length of a window: a string of a number and a unit (``"7D"``, ``"2W"``,
    ``"12h"``, ``"30min"``, ``"W"`` for one week), a ``Timedelta`` / ``timedelta`` or a
    fixed pandas offset (``pd.offsets.Day(7)``).

    Raises
    ------
    InvalidSettingError
        No unit (``"7"``), a month or year (they vary in length: use 30D or 365D; ``m``
        is refused too, write ``min`` for minutes), or not a positive fixed span.
    """
    import datetime
    import re

    span = None
    if isinstance(window, (pd.Timedelta, datetime.timedelta, pd.offsets.BaseOffset)):
        try:
            span = pd.Timedelta(window)
        except (ValueError, TypeError):
            span = None
    else:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)?\s*([A-Za-z]+)\s*", str(window))
        if m and m.group(2) in _CALENDAR_UNITS:
            raise InvalidSettingError(
                f"window {window!r} is not a fixed time span: months and years vary in "
                f"length, so use days (30D, 365D); write minutes as min (30min).")
        def offset(t: str) -> pd.Timedelta:
            return pd.Timedelta(pd.tseries.frequencies.to_offset(t))

        text = str(window).strip()
        if m:  # a number and a unit
            text, readers = f"{m.group(1) or 1}{m.group(2)}", (pd.Timedelta, offset)
        elif re.fullmatch(r"(\d+[A-Za-z]+)+", text):  # a compound span such as 1h30min
            readers = (offset,)
        else:  # never a bare number, which pandas would read as nanoseconds
            readers = ()
        for read in readers:
            try:
                span = read(text)
                break
            except (ValueError, TypeError):
                continue
    text = str(window).strip()
    if span is None and text.startswith("-"):  # -7D: a span, but not a positive one
        try:
            window_span(text[1:])
            negative = True
        except InvalidSettingError as exc:
            negative = "must be a positive time span" in str(exc)
        if negative:
            span = pd.Timedelta(0)
    if span is None or pd.isna(span):
        raise InvalidSettingError(f"window {window!r} is not a fixed time span; use a number "
                                  f"and a unit, e.g. 1D, 7D, 2W, 12h or 30min.")
    if span <= pd.Timedelta(0):
        raise InvalidSettingError(f"window {window!r} must be a positive time span, e.g. 1D "
                                  f"or 7D.")
    return span


def split_windows(current: pd.DataFrame, *, time_column: str | None = None,
                  window: str | None = None, chunk_size: int | None = None,
                  dayfirst: bool | None = None) -> list[tuple[str, np.ndarray]]:
    """Row positions of each window: ``[(label, rows), ...]`` in time / row order.

    ``time_column`` + ``window`` (a pandas frequency such as ``"1D"``, ``"7D"``,
    ``"12h"``): consecutive windows of that length from midnight of the earliest
    time (empty windows left out), each labelled by its start time; ``chunk_size``:
    consecutive chunks of that many rows (the last may be shorter), labelled by their
    rows counted from 1 after the header (``"rows 1-500"``). Rows whose time is missing
    are in no time window (a warning says how many); a time that cannot be read is an
    error.
    """
    if (window is None) == (chunk_size is None):
        raise InvalidSettingError("give either a time window (time_column with window, e.g. "
                                  "--time-column ts --window 7D) or chunk_size, not both or "
                                  "neither.")
    if chunk_size is not None:
        size = check_int(chunk_size, "chunk_size", minimum=MIN_ROWS,
                         message=f"chunk_size={chunk_size!r} must be an integer >= {MIN_ROWS} "
                                 f"(each window is compared as a table of its own).")
        return [(f"rows {s + 1}-{min(s + size, len(current))}",
                 np.arange(s, min(s + size, len(current))))
                for s in range(0, len(current), size)]
    if time_column is None:
        raise InvalidSettingError("window needs --time-column (API: time_column) naming the column "
                                  "that holds each row's time.")
    if time_column not in current.columns:
        raise MissingColumnError(time_column, [str(c) for c in current.columns],
                                 role="time column", table="the current table")
    span = window_span(window)
    from dataqa.data import _SOURCE_ATTR

    # a table read from files: messages that name rows name it (and each file's rows)
    table = _which(current, "current") if current.attrs.get(_SOURCE_ATTR) else None
    times = parse_times(current[time_column], time_column, dayfirst=dayfirst, missing="keep",
                        table=table)
    gaps = np.flatnonzero(times.isna().to_numpy())
    if len(gaps):
        import warnings

        warnings.warn(
            f"time column {time_column!r} is missing in {len(gaps)} of {len(times)} current "
            f"rows{f' of {table}' if table else ''} (rows {_row_list(gaps)}, "
            f"{_counted(current)}): they are in no "
            f"window, but in the comparison of the whole current data.", UserWarning,
            stacklevel=caller_stacklevel())
    raw = current[time_column]
    zoned = bool(not pd.api.types.is_numeric_dtype(raw)
                 and _zoned(raw.dropna().astype(str).str.strip()).any())
    if zoned and span >= pd.Timedelta(days=1):
        _warn_if_local_days(raw, time_column)
    stray = _placeholder_times(times)
    if stray.any():
        import warnings

        rows = np.flatnonzero(stray)
        first = times[stray].iloc[0]
        warnings.warn(
            f"time column {time_column!r} holds {len(rows)} placeholder "
            f"time{'s' if len(rows) > 1 else ''} in the current rows"
            f"{f' of {table}' if table else ''} ({first}, decades before the others: a "
            f"missing time written as 0; rows {_row_list(rows)}, {_counted(current)}): "
            f"{'they are' if len(rows) > 1 else 'it is'} in the comparison of the whole "
            f"current data and in a window of {'their' if len(rows) > 1 else 'its'} own, and "
            f"the windows start at the other times; drop those rows or fill their times.",
            UserWarning, stacklevel=caller_stacklevel())
    start = times[~stray].min().floor("D") if (~stray & times.notna()).any() \
        else times.min().floor("D")
    keys = start + ((times - start) // span) * span
    if stray.any():  # named by their own day (1970-01-01), not a step of the others' grid
        keys[stray] = times[stray].dt.floor("D")
    out = []
    for key in sorted(keys.dropna().unique()):
        rows = np.flatnonzero((keys == key).to_numpy())
        # times given with a zone are compared in UTC, and their labels say so (+00:00)
        out.append((str(key) if zoned else str(key.tz_convert(None)), rows))
    return out


def _placeholder_times(times: pd.Series) -> np.ndarray:
    """Which times are placeholders for a missing one: Unix time 0 (1970-01-01 00:00, a
    missing time written as 0; with a zone, anywhere within 14 hours of it, as the
    offsets reach: ``1969-12-31T19:00:00-05:00`` is Unix 0 shown in New York, and
    ``1970-01-01T00:00:00+02:00`` a zero filled in before the zone was added) or a year
    before 1902 (1900-01-01, 0001-01-01 as some systems fill), among times whose median
    is after 1990: Unix 0 however often (a column that writes every missing time as 0
    has many), a year before 1902 in at most 1% of them (or one: more may be real)."""
    t = times.dropna()
    if not len(t) or t.median().year < 1990:
        return np.zeros(len(times), dtype=bool)
    if times.dt.tz is not None:
        zero = (times.dt.tz_convert("UTC").dt.tz_localize(None)
                - pd.Timestamp("1970-01-01")).abs() <= pd.Timedelta(hours=14)
        naive = times.dt.tz_convert(None)
    else:
        naive = times
        zero = naive == pd.Timestamp("1970-01-01")
    zero = zero.fillna(False).to_numpy(dtype=bool)
    early = (naive.dt.year < 1902).fillna(False).to_numpy(dtype=bool) & ~zero
    if early.sum() > max(1.0, 0.01 * len(t)):
        early[:] = False
    return zero | early


#: The columns of a window's (or reference chunk's) row, in order: the same for every
#: window, tested or not (a value that does not apply is left empty), so ``windows.csv``
#: has one layout whatever the data.
_SUMMARY_COLUMNS = ("n", "drifted", "n_drifted_columns", "drifted_columns", "max_effect",
                    "min_p_adjusted", "mmd_statistic", "mmd_p_value", "mmd_reference_rows",
                    "mmd_current_rows")
#: With a model (a label column): its checks, and its accuracy on labeled current rows.
_MODEL_COLUMNS = ("estimated_accuracy", "accuracy_low", "accuracy_high", "label_shift_l1",
                  "ood_fraction", "observed_accuracy", "observed_low", "observed_high",
                  "observed_n")


def _fixed_columns(rows: list[dict], first: Sequence[str], model: bool,
                   last: Sequence[str] = ()) -> pd.DataFrame:
    """``rows`` as a table with the fixed columns (missing values where a row has none)."""
    cols = [*first, *_SUMMARY_COLUMNS, *(_MODEL_COLUMNS if model else ()), *last]
    more = [k for row in rows for k in row if k not in cols]
    return pd.DataFrame(rows).reindex(columns=cols + list(dict.fromkeys(more)))


def _summary(res: DriftResult) -> dict:
    cols = res.columns
    row = {"n": res.n_current, "drifted": res.drifted,
           "n_drifted_columns": int(cols["drifted"].sum()),
           "drifted_columns": ", ".join(map(str, cols.loc[cols["drifted"], "column"])),
           "max_effect": float(cols["effect"].max()),
           "min_p_adjusted": float(cols["p_adjusted"].min())}
    if "mmd" in res.multivariate:
        row["mmd_statistic"] = res.multivariate["mmd"]["statistic"]
        row["mmd_p_value"] = res.multivariate["mmd"]["p_value"]
        row["mmd_reference_rows"] = res.multivariate["mmd"]["reference_rows"]
        row["mmd_current_rows"] = res.multivariate["mmd"]["current_rows"]
    return row


#: Bootstrap draws of each window's class-share intervals (:func:`label_shift`).
WINDOW_LABEL_SHIFT_BOOTSTRAP = 200


def _model_row(ref_probs, labels, cur_probs, random_state, ref_ood, cur_ood,
               shares: dict | None = None) -> dict:
    """A window's model checks from the whole run's probabilities and OOD scores; with
    ``shares`` (the reference's bootstrap, shared by every window), also each class's
    estimated share and its interval (``"_shares"``)."""
    from dataqa.drift.model_checks import _bbse, _label_shift_with, estimate_accuracy, ood_fraction

    acc = estimate_accuracy(ref_probs, labels, cur_probs, n_bootstrap=50,
                            random_state=random_state)
    k = ref_probs.shape[1]
    ood = ood_fraction(ref_ood, cur_ood)
    if shares is not None:
        ls = _label_shift_with(shares, np.asarray(cur_probs).argmax(1), 0.95)
        prior, ref_prior = ls["prior"], ls["reference_prior"]
    else:
        prior = _bbse(ref_probs.argmax(1), labels, cur_probs.argmax(1), k)
        ref_prior = np.bincount(labels, minlength=k) / len(labels)
    row = {"estimated_accuracy": acc["estimate"], "accuracy_low": acc["low"],
           "accuracy_high": acc["high"], "label_shift_l1": float(np.abs(prior - ref_prior).sum()),
           "ood_fraction": ood["fraction"]}
    if shares is not None:
        row["_shares"] = ls
    return row


def _observed_row(probs: np.ndarray, labels, class_names: list) -> dict:
    """The accuracy of a window (or a reference chunk) on its rows that carry a label,
    with its exact interval, and how many they are."""
    from dataqa.drift.observed import observed_accuracy

    o = observed_accuracy(probs, labels, class_names)
    if o is None:
        return {"observed_accuracy": np.nan, "observed_n": 0}
    return {"observed_accuracy": o["accuracy"], "observed_low": o["low"],
            "observed_high": o["high"], "observed_n": o["n"]}


def _share_rows(window: str, ls: dict, class_names: list) -> list[dict]:
    """The rows of ``window_label_shift`` for one window."""
    return [{"window": window, "class": name, "reference_prior": float(ls["reference_prior"][j]),
             "prior": float(ls["prior"][j]), "low": float(ls["low"][j]),
             "high": float(ls["high"][j]), "moved": bool(ls["moved"][j])}
            for j, name in enumerate(class_names)]


def drift_windows(reference, current, *, time_column: str | None = None,
                  window: str | None = None, chunk_size: int | None = None,
                  feature_columns: Sequence[str] | None = None, text_column: str | None = None,
                  label_column: str | None = None, id_column: str | None = None,
                  random_state=0, progress: bool | None = None, dayfirst: bool | None = None,
                  _as_read: pd.DataFrame | None = None, **options) -> DriftResult:
    """:func:`~dataqa.drift.detect_drift` on the whole current data, then on each window.

    Every window (``time_column`` + ``window``, or ``chunk_size`` rows) is compared with
    the whole reference: per-column tests, MMD (with part of a much larger reference, as
    :func:`~dataqa.drift.twosample.mmd_rows` says: ``mmd_reference_rows``,
    ``mmd_current_rows``), and with labels the estimated accuracy,
    label shift (L1 distance of the estimated class shares from the reference's) and OOD
    share; with labels, ``.window_label_shift`` also holds each window's estimated share
    of each class with its 95% interval (one row per window and class: ``window, class,
    reference_prior, prior, low, high, moved``, ``moved`` as :func:`~dataqa.drift.label_shift`
    says; the interval is one of the class's share in the
    population the window was drawn from, as :func:`~dataqa.drift.label_shift` says). The reference is cut into chunks of the median window size (at most
    :data:`MAX_REFERENCE_CHUNKS`, in row order) and each chunk is compared with the rest
    of the reference (leave-one-chunk-out): the spread of those rows is what windows
    without drift look like. Windows with fewer than 10 rows are listed without
    statistics. A column with fewer than two values in a window (or chunk) is compared by
    its share of missing values (:func:`~dataqa.drift.univariate.missing_share_test`),
    where a whole table with an empty column is refused. With ``label_column``, the
    model (``model=`` or the default) is fitted on the whole data only; the windows reuse
    its probabilities. A fitted ``model`` without ``label_column`` gives the whole data's
    prediction shift and OOD share, not per window. When the current table's label
    column holds labels for some rows, each window also gets the model's accuracy on its
    rows that carry one (``observed_accuracy`` with its exact 95% interval
    ``observed_low``/``observed_high``, and ``observed_n``, the rows it counts; see
    :func:`~dataqa.drift.observed.observed_accuracy`), and each reference chunk its
    out-of-fold accuracy on its own rows (the no-drift spread).

    ``options`` go to :func:`detect_drift` (``alpha``, ``correction``, ``min_effect``,
    ...). ``progress``: the whole data's stages, then one bar over the windows and
    reference chunks (default: when stderr is a terminal). ``dayfirst``: how dates such as
    01/03/2024 in the time column are read (see :func:`parse_times`). Without
    ``feature_columns`` the columns are those :func:`detect_drift` compares by default
    (times, identifiers and columns of one table left out; the time column too). When the reference is too
    small for two chunks, ``.reference_chunks`` is None and
    ``settings["reference_chunks_note"]`` says why. The returned result is the whole current data's, with ``.windows`` and
    ``.reference_chunks`` filled; ``.drifted`` is the whole-data decision and each
    window has its own ``drifted``.
    """
    _check_one_column(text_column=text_column, label_column=label_column,
                      id_column=id_column, time_column=time_column)
    roles = {"label": label_column, "text": text_column, "id": id_column}
    for role, name in roles.items():
        if time_column is not None and name == time_column:
            raise InvalidSettingError(
                f"{time_column!r} is named both the time column and the {role} column "
                f"(--time-column, --{role}-column; API: time_column, {role}_column); name the "
                f"column of each row's time as the time column.")
    keep = (label_column, text_column, id_column, time_column)
    ref = _as_frame(reference, "reference", [label_column, text_column], keep)  # read, checked
    read: list = []
    cur = _as_frame(current, "current", [label_column, text_column], keep, read_out=read)
    ref, cur = _align_leading_zeros(ref, cur)  # zip codes: text in both, or in neither
    ref, cur = _align_missing_words(ref, cur)  # 'NA' kept as text where the other has numbers
    for table, given in ((ref, reference), (cur, current)):
        if not isinstance(given, pd.DataFrame):  # (read here: said here)
            _warn_missing_words_kept(table)
    windows = split_windows(cur, time_column=time_column, window=window, chunk_size=chunk_size,
                            dayfirst=dayfirst)
    skipped = {}
    default_columns = feature_columns is None
    if default_columns:
        # the columns detect_drift would compare by default (times, identifiers and
        # columns of one table left out), the time column too; every window then
        # compares the same ones
        reserved = {c for c in (label_column, id_column, text_column, time_column)
                    if c is not None}
        # a list column's positions by their own names (col[0], ...): detect_drift splits
        # the list again in every window, and a position left out (an identifier) stays out
        ref_x, cur_x, _, _ = _expand_lists(ref, cur, None, reserved)
        # (the whole run's detect_drift warns of these columns: not twice)
        kinds, skipped = _columns(ref_x, cur_x, None, text_column, reserved, warn_marked=False)
        feature_columns = list(kinds)
    multi = tuple(options.pop("multivariate", MULTIVARIATE_TESTS))
    common = dict(feature_columns=feature_columns, text_column=text_column, **options)
    # left-out columns are compared by their missing share, in the whole run and in each
    # window and chunk; the time column too in the whole run (a window holds only rows
    # with a time)
    by_share = dict(skipped)
    if time_column is not None and time_column in ref.columns and default_columns:
        by_share[time_column] = "a time column: the windows' time"
    result = detect_drift(ref, cur, label_column=label_column, id_column=id_column,
                          random_state=random_state, multivariate=multi, progress=progress,
                          _keep_features=True, _skipped=by_share,
                          _as_read=read[0] if _as_read is None else _as_read, **common)
    # every window and chunk is compared in the whole run's features: the text features
    # (TF-IDF or embeddings, and their SVD) are fitted once, on the reference and all
    # current rows, a map that treats the reference's and a window's rows alike, so each
    # window's permutation tests stay exact (numbers and categories are scaled by the
    # reference, as in each window's own)
    feats, kinds = result.__dict__.pop("_features")
    state = None
    if result.reference_probs is not None:
        from dataqa.drift.model_checks import _reference_bootstrap

        state = {"ref_probs": result.reference_probs, "labels": result.reference_labels,
                 "ref_ood": result.reference_ood_scores, "cur_ood": result.current_ood_scores,
                 # the reference's part of each window's class-share intervals, once
                 "shares": _reference_bootstrap(
                     result.reference_probs.argmax(1), np.asarray(result.reference_labels),
                     result.reference_probs.shape[1], WINDOW_LABEL_SHIFT_BOOTSTRAP,
                     random_state)}
    # windows reuse the whole run's model probabilities: no model is fitted or asked again
    win_opts = {**{k: v for k, v in common.items() if k not in ("model", "ood_score")},
                "multivariate": tuple(t for t in multi if t == "mmd"), "progress": False,
                "_part": True, "_kinds": kinds,
                # the left-out columns both tables have (a chunk's two sides are reference
                # rows, which hold the reference's own columns)
                "_skipped": {c: why for c, why in skipped.items()
                             if "only in the" not in why}}
    base = (int(random_state) if isinstance(random_state, (int, np.integer))
            else int(np.random.default_rng(random_state).integers(2**31 - 1)))
    sizes = [len(idx) for _, idx in windows if len(idx) >= MIN_ROWS]
    size = int(np.median(sizes)) if sizes else len(cur)
    n_chunks = min(MAX_REFERENCE_CHUNKS, len(ref) // max(size, MIN_ROWS))
    if n_chunks < 2 or len(ref) - size < MIN_ROWS or not sizes:  # (no window tested)
        n_chunks = 0
    # chunks spread over the whole reference, in row order (consecutive when all fit)
    starts = ((np.arange(n_chunks) * (len(ref) - size)) // max(n_chunks - 1, 1)
              if n_chunks else np.zeros(0, dtype=int))
    rows, chunks, chunk_tests = [], [], len(kinds)
    observed = (state is not None and label_column is not None
                and label_column in cur.columns
                and bool(_carries_label(cur[label_column]).any()))
    share_rows: list[dict] = []  # each window's class shares, with intervals
    class_names = list(getattr(result, "class_names", None) or ())
    with progress_task("windows and reference chunks", len(windows) + n_chunks,
                       enabled=progress) as advance:
        for i, (label, idx) in enumerate(windows):
            row = {"window": label}
            if window is not None:  # the window's span; its rows need not be contiguous
                row["end"] = str(pd.Timestamp(label) + window_span(window))
            if len(idx) < MIN_ROWS:  # not tested; its labeled rows still measured
                rows.append({**row, "n": len(idx), "drifted": pd.NA,
                             "note": f"not tested: fewer than {MIN_ROWS} rows",
                             **(_observed_row(result.current_probs[idx],
                                              cur[label_column].iloc[idx], class_names)
                                if observed and len(idx) else {})})
                advance()
                continue
            res = detect_drift(ref, cur.iloc[idx], random_state=base + i + 1,
                               _features=replace(feats, current=feats.current[idx]),
                               **win_opts)
            row.update(_summary(res))
            if state is not None:
                row.update(_model_row(state["ref_probs"], state["labels"],
                                      result.current_probs[idx], random_state,
                                      state["ref_ood"], state["cur_ood"][idx],
                                      shares=state["shares"]))
                share_rows += _share_rows(label, row.pop("_shares"), class_names)
                if observed:  # the rows of the window that carry a label
                    row.update(_observed_row(result.current_probs[idx],
                                             cur[label_column].iloc[idx], class_names))
            rows.append(row)
            advance()
        for c in range(n_chunks):
            idx = np.arange(starts[c], starts[c] + size)
            rest = np.setdiff1d(np.arange(len(ref)), idx)
            res = detect_drift(ref.iloc[rest], ref.iloc[idx], random_state=base + 1000 + c,
                               _features=replace(feats, reference=feats.reference[rest],
                                                 current=feats.reference[idx]),
                               **win_opts)
            chunk_tests = max(chunk_tests, len(res.columns))
            row = {"window": f"reference rows {idx[0] + 1}-{idx[-1] + 1}", **_summary(res)}
            if state is not None:
                pr, y = state["ref_probs"], state["labels"]
                ro = state["ref_ood"]
                row.update(_model_row(pr[rest], y[rest], pr[idx], random_state, ro[rest],
                                      ro[idx]))
                if observed:  # the chunk's own labels, all of them: the no-drift spread
                    # (a window with fewer labeled rows has a wider interval)
                    row.update(_observed_row(pr[idx], [str(v) for v in y[idx]],
                                             [str(k) for k in range(pr.shape[1])]))
            chunks.append(row)
            advance()
    result.windows = _int_columns(_fixed_columns(
        rows, ["window", "end"] if window is not None else ["window"], state is not None,
        ["note"]))
    if state is not None:
        result.window_label_shift = pd.DataFrame(
            share_rows,
            columns=["window", "class", "reference_prior", "prior", "low", "high", "moved"])
    result.reference_chunks = (_int_columns(_fixed_columns(chunks, ["window"], state is not None))
                               if chunks else None)
    result.settings.update({"time_column": time_column, "window": window,
                            "chunk_size": chunk_size,
                            # rows whose time is missing: in the whole run, in no window
                            "rows_without_time": len(cur) - sum(len(i) for _, i in windows)})
    result.settings["skipped_columns"] = {**by_share,
                                          **result.settings.get("skipped_columns", {})}
    if chunks:
        # as many tests per chunk as the chunks ran (the compared columns, and the
        # left-out ones with missing values)
        note = _chunk_alarm_note(result.reference_chunks["drifted"], result.settings["alpha"],
                                 result.settings["correction"], chunk_tests)
        if note:
            result.settings["reference_chunks_note"] = note
    if not sizes:
        result.settings["reference_chunks_note"] = (
            f"no reference spread: no window has {MIN_ROWS} rows or more, so none was tested; "
            f"use longer windows or --chunk-size.")
    elif not chunks:
        result.settings["reference_chunks_note"] = (
            f"no reference spread: the reference's {len(ref)} rows hold fewer than two "
            f"chunks of {size} rows ({'the median window' if sizes else 'the current table'}) "
            f"with at least {MIN_ROWS} rows left beside each; use smaller windows or a larger "
            f"reference.")
    return result


def _chunk_alarm_note(drifted: pd.Series, alpha: float, correction: str,
                      n_columns: int) -> str | None:
    """A note when more reference chunks alarm than chance explains: fewer than 1% of
    sets of as many independent no-drift chunk tests would hold that many alarms, each
    alarming with chance ``alpha`` (columns corrected for, ``fdr`` or ``bonferroni``) or
    ``1 - (1 - alpha)^columns`` (``correction="none"``). The chunks share most of their
    reference rows, so their alarms are not independent: a sign, not a test."""
    from scipy.stats import binom

    rate = float(alpha) if correction != "none" else 1 - (1 - float(alpha)) ** max(n_columns, 1)
    tested = drifted.dropna().astype(bool)
    k, c = int(tested.sum()), len(tested)
    if k == 0 or binom.sf(k - 1, c, rate) >= 0.01:
        return None
    return (f"{k} of {c} reference chunks alarm against the rest of the reference (about "
            f"{rate * c:.1f} of the {c} would by chance): the reference itself changes along its rows "
            f"(over time, or between the sources it was put together from), so the chunks "
            f"show that variation, not what windows without drift look like, and windows "
            f"may alarm for the same reason. Use a reference from one period, or shuffle "
            f"its rows if their order means nothing.")


def _int_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Counts as integers (nullable where a small window has none); ``drifted`` as a
    nullable boolean (missing for a window too small to test)."""
    if "drifted" in df.columns:
        df["drifted"] = df["drifted"].astype("boolean")
    for c in ("n", "n_drifted_columns", "mmd_reference_rows", "mmd_current_rows",
              "observed_n"):
        if c in df.columns:
            df[c] = df[c].astype("Int64")
    return df
