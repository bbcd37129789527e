"""Shared pieces of the ``dataqa`` command: consoles and error handling."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console

from dataqa.errors import DataqaError

__all__ = ["console", "err_console", "handle_errors"]

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable)


def handle_errors(func: F) -> F:
    """Turn a :class:`DataqaError` into its message on stderr and exit code 2 (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DataqaError as exc:
            err_console.print(f"error: {exc}", markup=False, highlight=False, style="red", soft_wrap=True)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]
