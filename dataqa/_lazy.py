"""Names a package exports but imports on first use (PEP 562), so imports stay light."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports", "keep_warning_filters"]


def keep_warning_filters():
    """A context in which to import a library that changes Python's warning filters for
    the whole process when imported (cleanlab 2.9's Datalab runs
    ``warnings.filterwarnings("ignore")``, which would hide every later warning of
    dataqa's): the filters are put back as they were on leaving it."""
    import warnings

    return warnings.catch_warnings()


def lazy_exports(
    package: str, table: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return a package's ``__getattr__`` and ``__dir__`` for lazily imported names.

    Parameters
    ----------
    package : str
        The package's ``__name__`` (for the error message).
    table : mapping of str to str
        Public name -> module that defines it.
    namespace : dict
        The package's ``globals()``: a name, once imported, is stored there, so later
        look-ups skip ``__getattr__``.
    """

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__
