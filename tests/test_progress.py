"""dataqa._progress: named stages and step bars are shown when enabled, never when quiet."""

from __future__ import annotations

import io

from rich.console import Console

from dataqa._progress import progress_stage, progress_task, resolve_progress


def _console():
    buf = io.StringIO()
    return buf, Console(file=buf, force_terminal=True, width=120, color_system=None)


def test_stage_shows_its_name_and_completes():
    buf, console = _console()
    with progress_stage("features (TF-IDF)", enabled=True, console=console):
        pass
    out = buf.getvalue()
    assert "features (TF-IDF)" in out and "done" in out


def test_task_counts_steps():
    buf, console = _console()
    with progress_task("cross-validating (5 folds)", 5, enabled=True, console=console) as advance:
        for _ in range(5):
            advance()
    out = buf.getvalue()
    assert "cross-validating (5 folds)" in out and "5/5" in out


def test_quiet_shows_nothing(capsys):
    buf, console = _console()
    with progress_stage("Datalab", enabled=False, console=console):
        pass
    with progress_task("folds", 3, enabled=False, console=console) as advance:
        advance(3)
    assert buf.getvalue() == ""
    with progress_stage("report", enabled=False):
        pass
    assert capsys.readouterr().err == ""


def test_resolve_progress():
    assert resolve_progress(True) is True and resolve_progress(False) is False
    assert resolve_progress(None) in (True, False)  # stderr is a terminal or not


def test_not_a_terminal_writes_one_plain_line_per_stage():
    """stderr sent to a log: no bar characters, one line per stage with its time."""
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False, width=80, color_system=None)
    with progress_stage("Datalab: outliers, near duplicates", enabled=True, console=console):
        pass
    with progress_task("cross-validating (5 folds)", 10, enabled=True, console=console) as advance:
        for _ in range(10):
            advance()
    with progress_task("pushing", None, enabled=True, console=console) as advance:
        advance(3)
    lines = buf.getvalue().splitlines()
    assert len(lines) == 3, lines
    assert lines[0].startswith("Datalab: outliers, near duplicates: done in ")
    assert lines[0].endswith(" s")
    assert lines[1].startswith("cross-validating (5 folds): 10/10 in ")
    assert lines[2].startswith("pushing: 3 steps in ")
    with progress_task("applying LFs (dask)", None, enabled=True, console=console):
        pass  # a task that counts no step says it is done
    assert buf.getvalue().splitlines()[3].startswith("applying LFs (dask): done in ")
    assert "━" not in buf.getvalue()


def test_not_a_terminal_writes_nothing_for_a_stage_that_fails():
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False, width=80, color_system=None)
    try:
        with progress_stage("features", enabled=True, console=console):
            raise ValueError("bad")
    except ValueError:
        pass
    assert buf.getvalue() == ""


def test_a_quick_stage_writes_no_plain_line_below_plain_after(monkeypatch):
    import dataqa._progress as progress

    clock = iter([100.0, 100.5, 200.0, 204.0, 204.0])
    monkeypatch.setattr(progress.time, "perf_counter", lambda: next(clock))
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False, width=80, color_system=None)
    with progress_stage("retraining the model", enabled=True, console=console,
                        plain_after=3.0):
        pass  # 0.5 s
    assert buf.getvalue() == ""
    with progress_stage("fitting the model and scoring the pool", enabled=True,
                        console=console, plain_after=3.0):
        pass  # 4 s
    assert buf.getvalue() == "fitting the model and scoring the pool: done in 4.0 s\n"
