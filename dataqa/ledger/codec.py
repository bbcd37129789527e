"""How values enter and leave the ledger: ids, times, JSON and numpy scalars.

Every time the ledger stores is an ISO-8601 string in UTC with microseconds
(``2025-01-31T12:00:00.000000+00:00``); every dict it stores is JSON text with sorted keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from dataqa.errors import InvalidSettingError

__all__ = [
    "utc_now",
    "to_utc_iso",
    "as_ids",
    "python_scalar",
    "encode_json",
    "decode_json",
    "is_missing",
]


def utc_now() -> str:
    """The current time as an ISO-8601 UTC string (microseconds)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def is_missing(value: Any) -> bool:
    """``None`` or a float NaN (how pandas marks a missing cell)."""
    return value is None or (isinstance(value, float) and np.isnan(value))


def to_utc_iso(value: Any) -> str | None:
    """Normalise a time (``datetime``, ``pd.Timestamp`` or ISO string) to ISO-8601 UTC.

    Naive times are taken as UTC. ``None`` stays ``None``.
    """
    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise InvalidSettingError(
                f"time {value!r} is not an ISO-8601 date-time; use e.g. '2025-01-31T12:00:00Z'."
            ) from exc
    if not isinstance(value, datetime):
        raise InvalidSettingError(
            f"time {value!r} must be a datetime or an ISO-8601 string, not {type(value).__name__}."
        )
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def as_ids(ids: Iterable[Any], what: str = "ids") -> list[str]:
    """Item ids as a list of ``str``; a single string or a missing id is refused."""
    if isinstance(ids, str):
        raise InvalidSettingError(f"{what} must be a list of ids, not the single string {ids!r}.")
    out = []
    for i in ids:
        if is_missing(i):
            raise InvalidSettingError(f"{what} contain a missing id; every item needs an id.")
        out.append(str(i))
    return out


def python_scalar(value: Any) -> Any:
    """A numpy scalar as the Python scalar sqlite3 and json take; anything else as is."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (datetime, pd.Timestamp)):
        return to_utc_iso(o)
    if isinstance(o, (set, tuple)):
        return list(o)
    raise TypeError(f"{type(o).__name__} {o!r}")


def encode_json(obj: Any) -> str:
    """JSON text with sorted keys; numpy values, arrays, times and sets are converted."""
    try:
        return json.dumps(obj, sort_keys=True, default=_json_default)
    except TypeError as exc:
        raise InvalidSettingError(f"value is not JSON-serialisable: {exc}") from exc


def decode_json(text: str | None) -> Any:
    """The value of JSON text; ``None`` (SQL NULL) stays ``None``."""
    return None if text is None else json.loads(text)
