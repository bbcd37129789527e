"""``dataqa ls push`` and ``dataqa ls pull``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dataqa._cli_utils import (
    COLUMNS_OPT,
    DECIMAL_OPT,
    ENCODING_OPT,
    FORMAT_OPT,
    NO_HEADER_OPT,
    SEP_OPT,
    THOUSANDS_OPT,
    check_out_file,
    console,
    err_console,
    handle_errors,
    read_options,
    write_csv_atomic,
)
from dataqa.errors import InvalidSettingError, LedgerError, MissingColumnError
from dataqa.labelstudio.printing import (
    print_pull_problems,
    print_pull_report,
    print_push_report,
)

if TYPE_CHECKING:  # pandas loads on first use, so `dataqa ls --help` is quick
    import pandas as pd

__all__ = ["register", "ls_app", "print_push_report"]

ls_app = typer.Typer(name="ls", help="Label Studio: push queues, pull annotations.",
                     no_args_is_help=True)

_URL_HELP = "Label Studio address (default $LABEL_STUDIO_URL, else http://127.0.0.1:8089)."
_TIMEOUT_HELP = "Seconds to wait for each answer of the server (imports and exports: 10x)."


def _class_list(classes: str | None) -> list[str] | None:
    if classes is None:
        return None
    names = [c.strip() for c in classes.split(",") if c.strip()]
    if len(names) < 2:
        raise InvalidSettingError(f"--classes needs at least two comma-separated names, got {classes!r}.")
    return names


def _check_timeout(timeout: float) -> float:
    if not (timeout > 0) or timeout == float("inf"):
        raise InvalidSettingError(f"--timeout must be a number of seconds > 0, not {timeout!r}.")
    return float(timeout)


def _items_from_ledger(ledger_db, project: str, queue: str) -> pd.DataFrame:
    import pandas as pd

    from dataqa.labelstudio.ledger_state import queue_name

    names = set(ledger_db.queues()["name"])
    qname = queue_name(project, queue) if queue_name(project, queue) in names else queue
    if qname not in names:
        raise InvalidSettingError(
            f"the ledger has no queue {queue_name(project, queue)!r} or {queue!r}; pass the "
            f"items with --from FILE.")
    from dataqa.labelstudio.ledger_state import queue_columns_key

    ids = ledger_db.queue_items(qname)
    data = ledger_db.item_data(ids)
    # the given label, prediction, probability and score the last push with them used
    used = ledger_db.get_state(queue_columns_key(qname)) or {}
    return pd.DataFrame([{"id": i, **data[i], **used.get(i, {})} for i in ids])


#: The files that make a folder an audit's (``dataqa audit --out DIR``).
_AUDIT_FILES = ("issues.csv", "items.parquet", "summary.json", "pred_probs.npy")


def _is_audit_dir(source: Path) -> bool:
    return source.is_dir() and all((source / n).is_file() for n in _AUDIT_FILES)


def _items_from(source: Path, opts: dict, id_column: str | None, only: bool,
                text_column: str | None = None) -> pd.DataFrame:
    """The ``--from`` items: a table file, or an audit's folder read as its review queue
    (each item's text or features, given and suggested label, probability and issue
    score: ``AuditResult.review_queue``), whose class names are in
    ``items.attrs["dataqa_classes"]``."""
    from dataqa.outdir import check_complete

    # (a drift queue.csv, a weak_labels.csv: their folder may hold a stopped run)
    if Path(source).is_dir():
        check_complete(source, "--from", allow=("review",))
    else:
        check_complete(Path(source).parent, f"the folder of --from {str(source)!r},",
                       allow=("review",))
    if not _is_audit_dir(source):
        return _flagged(_read_items(source, opts, id_column, text_column), source, only)
    if opts or id_column is not None:
        raise InvalidSettingError(
            f"--from {str(source)!r} is an audit's folder, read as `dataqa audit` wrote it; "
            f"--id-column and the reading options (--format, --sep, ...) are for a table file.")
    from dataqa.audit import AuditResult

    audit = AuditResult.load(source)
    items = audit.review_queue(only_issues=only)
    n_flag = int(audit.issues["is_label_issue"].sum())
    if not only and n_flag < len(items):  # said once the push went through
        items.attrs["dataqa_note"] = (
            f"note: --from {str(source)!r} is an audit: all {len(items):,} items were pushed, "
            f"{n_flag:,} of them flagged; --only-flagged pushes those alone (`dataqa review "
            f"plan {source} --push` sends a blind sample that estimates the error rate).")
    items.attrs["dataqa_classes"] = [str(c) for c in audit.table.class_names]
    return items


#: Columns of a ``--from`` table that a push reads as class names or indices.
_LABEL_COLUMNS = ("label", "prediction", "given_label", "suggested_label")


def _read_items(source: Path, opts: dict, id_column: str | None,
               text_column: str | None = None) -> pd.DataFrame:
    """The ``--from`` table, its id column named ``id``; a missing id column says which
    reading option is likely wrong. Ids are read as written (``0042`` in a JSON Lines
    file stays ``0042``; ``NA`` is an id), and so is the text column (``--column``, by
    default ``text``): only an empty field is missing there. The label columns are read
    as written (see ``load_table``'s ``label_columns``): a CSV cell ``1`` is the class
    named ``1`` where one is (``--classes 1,0``), else the class index 1; a JSON number
    is an index."""
    from dataqa.data import load_table

    id_name, text_name = id_column or "id", text_column or "text"
    items = load_table(source, **opts, string_columns=[id_name], text_columns=[text_name],
                       label_columns=[c for c in _LABEL_COLUMNS if c != text_name])
    cols = [str(c) for c in items.columns]
    if id_column is not None:
        if id_column not in cols:
            raise MissingColumnError(id_column, cols, role="--id-column",
                                     table=f"--from {str(source)!r}")
        if id_column != "id":
            items = items.drop(columns=[c for c in ("id",) if c in cols]).rename(
                columns={id_column: "id"})
    elif "id" not in cols:
        hint = "; pass the column holding the item ids with --id-column NAME"
        if len(cols) == 1:
            for sep, name in (("\t", "tab"), (";", "';'"), ("|", "'|'")):
                if sep in cols[0]:
                    hint = (f"; its header {cols[0]!r} holds a {name}: the file is likely "
                            f"{name}-separated, so pass --sep {'tab' if sep == chr(9) else name}"
                            f"{' (or --format tsv)' if sep == chr(9) else ''}")
                    break
        raise InvalidSettingError(
            f"--from {str(source)!r} has no 'id' column (its columns: "
            f"{', '.join(map(repr, cols[:20]))}){hint}.")
    return items


def _flagged(items: pd.DataFrame, source: Path, only: bool) -> pd.DataFrame:
    """With ``only``, the rows of an issue table whose ``is_label_issue`` is true; without
    it, the table, with a note when it is an issue table pushed whole (every audited item,
    most of them not flagged)."""
    import pandas as pd

    if "is_label_issue" not in items.columns:
        if only:
            raise InvalidSettingError(
                f"--only-flagged needs an is_label_issue column (the issues.csv of `dataqa "
                f"audit`); --from {str(source)!r} has none.")
        return items
    flag = items["is_label_issue"]
    if not pd.api.types.is_bool_dtype(flag):
        flag = flag.astype(str).str.strip().str.lower().isin(("true", "1", "yes"))
    if only:
        return items[flag.to_numpy(dtype=bool)]
    n_flag = int(flag.sum())
    if n_flag < len(items):  # said once the push went through
        items.attrs["dataqa_note"] = (
            f"note: --from {str(source)!r} is an audit's issue table: all {len(items):,} "
            f"items were pushed, {n_flag:,} of them flagged; --only-flagged pushes those "
            f"alone (`dataqa review plan AUDIT_DIR --push` sends a blind sample that "
            f"estimates the error rate).")
    return items


def _known_projects(ledger_db) -> str:
    """`` (this ledger pushed to 'A' (id 3) at http://...)``, or ``""``."""
    from dataqa.labelstudio.ledger_state import project_state_key

    prefix = project_state_key("")
    known = [(key[len(prefix):], state) for key in ledger_db.state_keys(prefix)
             if "class_names" in (state := ledger_db.get_state(key) or {})]
    if not known:
        return " (this ledger has pushed to no project yet)"
    shown = ", ".join(f"{title!r} (id {st.get('project_id')} at {st.get('url')})"
                      for title, st in known[:5])
    return f" (this ledger pushed to {shown}{', ...' if len(known) > 5 else ''})"


@ls_app.command("push")
@handle_errors
def push_command(
    ledger: Path = typer.Option(
        ..., "--ledger", help="Ledger file (created by the first push that reaches the server)."),
    project: str = typer.Option(..., "--project", help="Label Studio project title or id."),
    queue: str = typer.Option(
        ..., "--queue", help="Queue kind: review, active, spot_check or verify."),
    source: Path | None = typer.Option(
        None, "--from", help="Table of items (id, text/image/columns, prediction, score, label), "
                             "or the folder `dataqa audit --out` wrote (its items with their "
                             "text, labels and issue scores; its classes by default); default: "
                             "the queue's items stored in the ledger."),
    classes: str | None = typer.Option(
        None, "--classes", help="Comma-separated class names in class order "
                                "(default: those recorded for the project)."),
    url: str | None = typer.Option(None, "--url", help=_URL_HELP),
    chunk_size: int = typer.Option(500, "--chunk-size", help="Tasks per import request."),
    data_kind: str | None = typer.Option(None, "--data-kind", help="text, image or table (default: text with a text column, else image with an image column, else table)."),
    column: str | None = typer.Option(None, "--column", help="The text or image column (default text / image)."),
    timeout: float = typer.Option(60.0, "--timeout", help=_TIMEOUT_HELP),
    pretick: str | None = typer.Option(
        None, "--pretick", help="What is pre-selected: none, given (the label column) or "
                                "suggested (the prediction column). Default: suggested for "
                                "active and spot_check, none for review and verify."),
    id_column: str | None = typer.Option(
        None, "--id-column", help="The --from column holding the item ids (default: id)."),
    only_flagged: bool = typer.Option(
        False, "--only-flagged", help="Push only the rows whose is_label_issue is true (the "
                                      "flagged items of an audit's issues.csv)."),
    format: str | None = FORMAT_OPT,
    sep: str | None = SEP_OPT,
    no_header: bool = NO_HEADER_OPT,
    columns: str | None = COLUMNS_OPT,
    encoding: str | None = ENCODING_OPT,
    decimal: str | None = DECIMAL_OPT,
    thousands: str | None = THOUSANDS_OPT,
) -> None:
    """Send a queue of items to Label Studio, highest score first; ids already there are skipped.

    Items with a missing text or image are reported by id and not sent (exit code 1);
    the others go through. The API key is read from $LABEL_STUDIO_API_KEY (never from
    the command line). A --from table may use the audit's own column names
    (given_label, suggested_label, label_issue_score: the issues.csv of `dataqa audit`);
    --from the audit's folder itself (`dataqa audit --out DIR`) pushes its items with their
    text. A note says what the tasks lack when the table has no prediction or score column.
    """
    from dataqa.errors import UnknownNameError
    from dataqa.labelstudio.client import server_url
    from dataqa.labelstudio.ledger_state import (
        check_ledger_path,
        project_state,
        recorded_title,
    )
    from dataqa.labelstudio.push import push_queue
    from dataqa.ledger import Ledger
    from dataqa.types import QUEUE_KINDS

    if queue not in QUEUE_KINDS:  # before looking for a queue of that kind
        raise UnknownNameError("queue kind", queue, QUEUE_KINDS)
    timeout = _check_timeout(timeout)
    names = _class_list(classes)
    opts = read_options(format, sep, no_header, columns, encoding, decimal, thousands)
    if source is None and (opts or id_column is not None or only_flagged):
        raise InvalidSettingError(
            "--id-column, --only-flagged, --format, --sep, --no-header, --columns and "
            "--encoding describe the --from file; pass --from FILE with them.")
    check_ledger_path(ledger, must_exist=False)
    audit_dir = source is not None and _is_audit_dir(source)
    if not ledger.exists():  # a new ledger: everything must come from the command line
        if names is None and not audit_dir:
            raise InvalidSettingError(
                f"no class names recorded for project {project!r} (ledger {str(ledger)!r} "
                f"does not exist yet); pass --classes a,b,...")
        if source is None:
            raise LedgerError(
                f"ledger {str(ledger)!r} does not exist, so it has no queue to push; pass the "
                f"items with --from FILE (or give the path of an existing ledger).")
        items = _items_from(source, opts, id_column, only_flagged, column)
        names = names if names is not None else items.attrs["dataqa_classes"]
        report = push_queue(items, project=project, class_names=names, ledger=ledger,
                            queue=queue, url=url, chunk_size=chunk_size, data_kind=data_kind,
                            column=column, progress=None, timeout=timeout, pretick=pretick)
    else:
        with Ledger(ledger) as ledger_db:
            # the title of an id the ledger pushed to, on this server
            title = recorded_title(ledger_db, project, server_url(url))
            items = (_items_from(source, opts, id_column, only_flagged, column)
                     if source is not None else None)
            if names is None:
                names = project_state(ledger_db, title).get("class_names")
                if names is None and items is not None:
                    names = items.attrs.get("dataqa_classes")
                if names is None:
                    raise InvalidSettingError(
                        f"no class names recorded for project {project!r}"
                        f"{_known_projects(ledger_db)}; pass --classes a,b,... (and --from "
                        f"FILE for a new project).")
            if items is None:
                items = _items_from_ledger(ledger_db, title, queue)
            report = push_queue(items, project=project, class_names=names, ledger=ledger_db,
                                queue=queue, url=url, chunk_size=chunk_size,
                                data_kind=data_kind, column=column, progress=None,
                                timeout=timeout, pretick=pretick)
    if items is not None and items.attrs.get("dataqa_note"):  # (before a partial push exits)
        err_console.print(items.attrs["dataqa_note"], highlight=False)
    print_push_report(report)


@ls_app.command("pull")
@handle_errors
def pull_command(
    ledger: Path = typer.Option(..., "--ledger", help="Ledger file (the one pushed with)."),
    project: str = typer.Option(..., "--project", help="Label Studio project title or id."),
    url: str | None = typer.Option(None, "--url", help=_URL_HELP),
    out: Path | None = typer.Option(
        None, "--out", help="Also write the annotations to this CSV file (replaced if it exists)."),
    timeout: float = typer.Option(60.0, "--timeout", help=_TIMEOUT_HELP),
    full: bool = typer.Option(
        False, "--full", help="Read every annotated task again, not only those changed since "
        "the last pull: also finds tasks deleted in Label Studio (their answers withdrawn, "
        "the tasks forgotten so that a push makes them again)."),
) -> None:
    """Fetch completed annotations into the ledger (source 'human'); safe to repeat.

    An answer an earlier pull stored that was skipped, emptied or deleted since is
    withdrawn: kept in the ledger's history, no longer counted (a warning names the
    items). One changed to a class outside the project is refused (below) and keeps
    counting as it was stored.

    Annotations whose class is not one of the project's are refused: one "refused:" line
    each, not stored, exit code 1 (as `dataqa review estimate`); the others are stored.
    A project whose annotated tasks all came from another ledger stores nothing and
    exits with code 1 too.
    "Skipped" in the summary counts what annotators skipped in Label Studio. The API key is read from $LABEL_STUDIO_API_KEY
    (never from the command line).
    """
    from dataqa.labelstudio.ledger_state import check_ledger_path
    from dataqa.labelstudio.pull import pull_project

    timeout = _check_timeout(timeout)
    check_ledger_path(ledger, must_exist=True)
    if out is not None:
        check_out_file(out)
    result = pull_project(project=project, ledger=ledger, url=url, timeout=timeout, full=full)
    foreign_only = print_pull_report(result.report)
    if out is not None:
        write_csv_atomic(result.annotations, out)
        console.print(f"annotations: {out}", highlight=False)
    print_pull_problems(result.report)
    if foreign_only:  # the wrong ledger or project: a script should not go on
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Attach ``dataqa ls`` to the main command."""
    app.add_typer(ls_app, name="ls")
