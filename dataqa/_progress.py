"""Progress reporting shared by long-running functions (rich progress bars on stderr)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["progress_task", "resolve_progress"]


def resolve_progress(progress: bool | None) -> bool:
    """``None`` means: show a bar when stderr is a terminal."""
    if progress is None:
        return sys.stderr.isatty()
    return bool(progress)


class _Advance:
    def __init__(self, prog: Progress | None, task: int | None) -> None:
        self._prog, self._task = prog, task

    def __call__(self, n: float = 1) -> None:
        if self._prog is not None:
            self._prog.advance(self._task, n)


@contextmanager
def progress_task(description: str, total: float | None, *, enabled: bool | None = None) -> Iterator[_Advance]:
    """Context manager yielding ``advance(n=1)``; a rich bar on stderr when enabled."""
    if not resolve_progress(enabled):
        yield _Advance(None, None)
        return
    prog = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    with prog:
        task = prog.add_task(description, total=total)
        yield _Advance(prog, task)
