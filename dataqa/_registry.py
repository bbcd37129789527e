"""The checks every plug-in registry makes before it accepts an entry."""

from __future__ import annotations

from collections.abc import Container, Iterable

from dataqa.errors import InvalidSettingError

__all__ = ["check_new_entry", "check_needs"]


def check_new_entry(kind: str, name: object, func: object, table: Container[str], *,
                    replace: bool, article: str = "a") -> None:
    """Refuse an entry whose name is empty or taken (unless ``replace``) or whose ``func``
    cannot be called; ``kind`` names the registry in the message (``"selector"``)."""
    if not isinstance(name, str) or not name:
        raise InvalidSettingError(f"{article} {kind} name must be a non-empty string; got {name!r}.")
    if name in table and not replace:
        raise InvalidSettingError(
            f"{kind} {name!r} is already registered; pass replace=True to replace it.")
    if not callable(func):
        raise InvalidSettingError(f"func for {kind} {name!r} must be callable.")


def check_needs(kind: str, needs: Iterable[str], known: Iterable[str]) -> tuple[str, ...]:
    """Return ``needs`` as a tuple; refuse any need not in ``known``."""
    needs, known = tuple(needs), tuple(known)
    unknown = [n for n in needs if n not in known]
    if unknown:
        raise InvalidSettingError(
            f"unknown {kind} need(s) {', '.join(map(repr, unknown))}; declare some of "
            f"{', '.join(known)}.")
    return needs


