"""Progress reporting shared by long-running functions (rich progress bars on stderr).

- :func:`progress_task`: a bar with a known number of steps (folds, chunks, tasks).
- :func:`progress_stage`: one named stage of unknown length (features, Datalab, the
  report), shown as a pulsing bar with its name and the time spent.

Both take ``enabled`` (``None``: when stderr is a terminal; ``False``: nothing is shown,
the CLI's ``--quiet``) and ``console`` (a :class:`rich.console.Console`; default stderr),
the seam tests use to read what was shown.

When enabled on a console that is not a terminal (stderr sent to a log file or a pipe),
no bar is drawn: each stage or task writes one plain line when it ends, with its time,
e.g. ``features: done in 0.4 s`` or ``cross-validating (5 folds): 10/10 in 3.2 s``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["progress_stage", "progress_task", "resolve_progress"]


def resolve_progress(progress: bool | None) -> bool:
    """``None`` means: show a bar when stderr is a terminal."""
    if progress is None:
        return sys.stderr.isatty()
    return bool(progress)


def _plain(console: Console) -> bool:
    """True when ``console`` is not a terminal: plain end-of-stage lines, no bars."""
    return not console.is_terminal


def _seconds(t0: float) -> str:
    took = time.perf_counter() - t0
    return f"{took:.1f} s" if took < 120 else f"{took / 60:.1f} min"


class _Count:
    """``advance`` for the plain mode: counts the steps done."""

    def __init__(self) -> None:
        self.done = 0.0

    def __call__(self, n: float = 1) -> None:
        self.done += n


class _Advance:
    def __init__(self, prog: Progress | None, task: int | None) -> None:
        self._prog, self._task = prog, task

    def __call__(self, n: float = 1) -> None:
        if self._prog is not None:
            self._prog.advance(self._task, n)


@contextmanager
def progress_task(description: str, total: float | None, *, enabled: bool | None = None,
                  console: Console | None = None) -> Iterator[_Advance]:
    """Context manager yielding ``advance(n=1)``; a rich bar on stderr when enabled."""
    if not resolve_progress(enabled):
        yield _Advance(None, None)
        return
    console = console or Console(stderr=True)
    if _plain(console):
        count, t0 = _Count(), time.perf_counter()
        yield count
        steps = (f"{count.done:g}/{total:g}" if total is not None else
                 f"{count.done:g} steps" if count.done else "done")
        console.print(f"{description}: {steps} in {_seconds(t0)}", markup=False,
                      highlight=False, soft_wrap=True)
        return
    prog = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    with prog:
        task = prog.add_task(description, total=total)
        yield _Advance(prog, task)


@contextmanager
def progress_stage(name: str, *, enabled: bool | None = None,
                   console: Console | None = None, plain_after: float = 0.0) -> Iterator[None]:
    """Show one named stage of unknown length while the block runs.

    A spinner, the stage's ``name``, a pulsing bar and the elapsed time; when the block
    ends the line stays, completed, with the time the stage took. Nothing is shown when
    ``enabled`` resolves to False (:func:`resolve_progress`). Where stderr is no terminal,
    one line when the stage ends, if it took at least ``plain_after`` seconds (a command
    whose stages are quick on small data keeps its log to its results).
    """
    if not resolve_progress(enabled):
        yield
        return
    console = console or Console(stderr=True)
    if _plain(console):
        t0 = time.perf_counter()
        yield
        if time.perf_counter() - t0 >= plain_after:
            console.print(f"{name}: done in {_seconds(t0)}", markup=False, highlight=False,
                          soft_wrap=True)
        return
    prog = Progress(
        SpinnerColumn(finished_text="[green]done"),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    with prog:
        task = prog.add_task(name, total=None)
        yield
        prog.update(task, total=1, completed=1)
