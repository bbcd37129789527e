"""What ``dataqa ls`` and ``dataqa al next --push`` print about a push or a pull.

Kept apart from the commands so that every command group can print a report the same
way without importing another group's commands; it imports no pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from dataqa._cli_utils import console, err_console

if TYPE_CHECKING:
    from dataqa.labelstudio.reports import PullReport, PushReport

__all__ = ["print_push_report", "print_pull_report", "print_pull_problems", "print_refused"]


def print_push_report(report: PushReport) -> None:
    """Print a :class:`PushReport`; exit with code 1 when some ids failed."""
    console.print(str(report), highlight=False, soft_wrap=True)
    # what the created tasks lack (nothing to say when none was created)
    for note in getattr(report, "notes", ()) if report.n_created else ():
        err_console.print(f"note: {note}", highlight=False, soft_wrap=True, markup=False)
    foreign = getattr(report, "foreign", ())
    if foreign:
        from dataqa.errors import format_ids

        err_console.print(
            f"warning: project {report.project!r} already holds {len(foreign)} task(s) of "
            f"items this ledger does not hold ({format_ids(list(foreign), 3)}), pushed from "
            f"another ledger; a pull with this ledger leaves their labels out. Push each "
            f"ledger to its own project, or pull those tasks with the ledger that pushed them.",
            highlight=False, soft_wrap=True, markup=False, style="yellow")
    for err in report.errors:
        console.print(f"failed: {err}", highlight=False, soft_wrap=True, markup=False, style="red")
    if report.n_failed:
        raise typer.Exit(code=1)


def print_pull_report(report: PullReport) -> bool:
    """Print a :class:`PullReport`'s summary line, and an error when no annotated task of
    the project came from this ledger (another ledger pushed them); True in that case
    (the command then exits with code 1)."""
    console.print(str(report), highlight=False, soft_wrap=True)
    if not getattr(report, "pushed_by_this_ledger", True) and (report.n_new or report.n_updated):
        err_console.print(
            f"warning: this ledger never pushed to project {report.project!r} (id "
            f"{report.project_id}): another ledger or a person made its tasks. The "
            f"{report.n_new + report.n_updated} new or changed answer(s) on items this ledger "
            f"holds were stored as its labels; if the project belongs to another ledger, pull "
            f"it with that one (--ledger).", highlight=False, soft_wrap=True, markup=False,
            style="yellow")
    if report.unmatched_tasks and not (report.n_annotations or report.n_skipped
                                       or report.n_empty or report.n_invalid):
        err_console.print(
            f"error: none of the {len(report.unmatched_tasks)} annotated tasks of project "
            f"{report.project!r} came from this ledger, so nothing was stored; pull with the "
            f"ledger that pushed them (--ledger).", highlight=False, soft_wrap=True,
            markup=False, style="red")
        return True
    return False


def print_refused(report: PullReport) -> None:
    """Print one ``refused:`` line per annotation left out (a class not in the project).

    "Skipped" is kept for what Label Studio calls skipped (the annotator pressed *Skip*).
    """
    for line in report.invalid_messages():
        err_console.print(f"refused: {line}", highlight=False, soft_wrap=True, markup=False,
                          style="red")


def print_pull_problems(report: PullReport) -> None:
    """Print the annotations left out (a class not in the project); exit with code 1 when
    there are any (``dataqa ls pull`` and ``dataqa review estimate`` alike: the work is
    done, but some annotations need fixing in Label Studio)."""
    print_refused(report)
    if report.n_invalid:
        raise typer.Exit(code=1)
