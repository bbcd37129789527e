"""``dataqa review plan`` and ``dataqa review estimate``: the verified error rate from the CLI."""

from __future__ import annotations

from pathlib import Path

import typer

from dataqa._cli_utils import (
    COLUMNS_OPT,
    DECIMAL_OPT,
    ENCODING_OPT,
    FORMAT_OPT,
    NO_HEADER_OPT,
    SEP_OPT,
    check_out_dir,
    console,
    err_console,
    formulas_as_text,
    handle_errors,
    read_options,
    set_aside_earlier,
    write_csv_atomic,
)
from dataqa.errors import EmptyDataError, InvalidSettingError, MissingColumnError, format_ids
from dataqa.outdir import stopped_run, write_text_atomic, writing_folder

__all__ = ["review_app"]

review_app = typer.Typer(
    name="review", no_args_is_help=True,
    help="Verify the error rate: plan a small stratified review, then estimate from it.")

_URL_HELP = "Label Studio address (default $LABEL_STUDIO_URL, else http://127.0.0.1:8089)."


def _load(audit_dir: Path):
    from dataqa.audit.core import AuditResult

    if not audit_dir.is_dir():
        raise InvalidSettingError(
            f"AUDIT_DIR {str(audit_dir)!r} is not a folder; give the --out folder of "
            f"`dataqa audit`.")
    result = AuditResult.load(audit_dir)
    check_out_dir(audit_dir, "AUDIT_DIR")  # (the plan, sheet and estimate go there)
    return result


#: Classes named at most in the line that says what a verified_label may be.
_SHOW_CLASSES = 12


def _alike(paths) -> list[str]:
    """``paths`` written alike in one command (a recorded sheet is kept by its whole path,
    a new one as typed): each relative to the working folder when all lie under it, else
    each whole."""
    here = Path.cwd().resolve()
    whole = [Path(p).resolve() for p in paths]
    try:
        return [str(p.relative_to(here)) for p in whole]
    except ValueError:
        return [str(p) for p in whole]


def _answers_line(classes: list[str]) -> str:
    """What a reviewer may write in ``verified_label``: the classes, spelled as in the
    label column (the first few when there are many), or an empty cell."""
    shown = ", ".join(repr(c) for c in classes[:_SHOW_CLASSES])
    if len(classes) > _SHOW_CLASSES:
        shown += f", ... ({len(classes)} classes in all, as spelled in the label column)"
    return (f"verified_label: the item's true class, one of {shown}; leave it empty for an "
            f"item not reviewed")


def _items_to_push(result, ids):
    """``id`` and the data columns of the planned items, in plan order; no label at all."""
    import numpy as np

    frame = result.table.frame.set_index(np.asarray(result.table.ids).astype(str))
    t = result.table
    if t.text_column:
        data = frame.loc[list(ids), [t.text_column]].rename(columns={t.text_column: "text"})
    else:
        data = frame.loc[list(ids), list(t.feature_columns)]
    data = data.reset_index(drop=True)
    data.insert(0, "id", list(ids))
    return data


@review_app.command("plan")
@handle_errors
def plan_command(
    audit_dir: Path = typer.Argument(..., help="The --out folder of `dataqa audit`."),
    budget: int | None = typer.Option(None, "--budget", help="Items people will verify (a new "
                                                             "plan)."),
    add: int | None = typer.Option(
        None, "--add", help="Items to add to the folder's plan, keeping its items and their "
                            "answers (`review estimate` says how many the interval needs)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the draws within strata."),
    push: bool = typer.Option(False, "--push", help="Send the plan to Label Studio as a blind "
                                                    "'verify' queue."),
    project: str | None = typer.Option(None, "--project", help="Label Studio project (with --push)."),
    ledger: Path | None = typer.Option(None, "--ledger", help="Ledger file (with --push)."),
    url: str | None = typer.Option(None, "--url", help=_URL_HELP),
    force: bool = typer.Option(
        False, "--force", help="With --push: push even when the project holds items of "
                               "another plan (`review estimate` then uses this plan's only)."),
    sheet_sep: str | None = typer.Option(
        None, "--sheet-sep",
        help="Field delimiter of the review sheet: ',' (default) or ';' for a spreadsheet "
             "set to a language that writes decimal commas (German, French, ...), which opens "
             "a ',' file as one column (its numbers are then written with decimal commas "
             "too); also tab or '|'. With --add, default: the first sheet's."),
) -> None:
    """Choose the items to verify: strata by label-issue score, Neyman allocation.

    Writes AUDIT_DIR/review_plan.csv (id, stratum, weight) and AUDIT_DIR/review_sheet.csv
    (id, the item, an empty verified_label column to fill in; no label is shown, so the
    reviewer labels from the item alone).

    With --add N the folder's plan grows by N items drawn at random among each stratum's
    unplanned items (where the reviews so far, in verified.json, found errors, more go):
    review_plan.csv gets them after its rows, and they go to a new sheet,
    review_sheet_2.csv (then _3 ...); the earlier sheet and its answers stay as they are.

    With --push, the server is checked before anything is written, and a project that
    already holds items not in this plan (an earlier plan) is refused unless --force:
    push each plan to its own project. With --add, --push sends the added items to the
    plan's project.
    """
    import shlex

    from dataqa.audit.core import _review_pages, _review_sheets
    from dataqa.audit.review import extend_plan, plan_review

    if (budget is None) == (add is None):
        raise InvalidSettingError(
            "give either --budget N (a new plan) or --add N (more items for the folder's "
            "plan).")
    if budget is not None and budget < 1:
        raise InvalidSettingError(f"--budget {budget} must be at least 1 item.")
    if add is not None and add < 1:
        raise InvalidSettingError(f"--add {add} must be at least 1 item.")
    if seed < 0:
        raise InvalidSettingError(f"--seed {seed} must be a whole number >= 0.")
    if push and (not project or ledger is None):
        raise InvalidSettingError("--push needs --project NAME and --ledger FILE.")
    if not push and force and add is None:
        raise InvalidSettingError("--force only applies with --push or --add.")
    if sheet_sep is not None:
        sheet_sep = {"\\t": "\t", "tab": "\t"}.get(sheet_sep, sheet_sep)
        if sheet_sep not in _SHEET_SEPS:
            raise InvalidSettingError(
                f"--sheet-sep {sheet_sep!r} is not one of ',', ';', tab or '|'.")
    elif add is not None:
        sheet_sep = _sheet_sep(audit_dir / "review_sheet.csv")
    result = _load(audit_dir)
    seen = _verified_record(audit_dir)  # the last estimate of this plan's reviews
    if add is not None:
        if result.review_plan is None:
            raise InvalidSettingError(
                f"{str(audit_dir)!r} has no review_plan.csv to add to; make a plan with "
                f"`dataqa review plan {audit_dir} --budget N` first.")
        redo = _stopped_addition(audit_dir, result)
        dropped = result.review_plan.attrs.get("dropped") if redo else None
        before = len(result.review_plan)
        estimated = int(seen.get("n_planned", 0)) if seen else 0
        unanswered = [n for n in _review_sheets(audit_dir)[1:] if (audit_dir / n).is_file()
                      and n != redo]
        if unanswered and estimated < before and not force:
            raise InvalidSettingError(
                f"the plan grew to {before} items ({unanswered[-1]}) and has no estimate of "
                f"its reviews since (verified.json "
                f"{'counts ' + str(estimated) + ' planned items' if seen else 'is missing'}): "
                f"fill that sheet and run `dataqa review estimate` first, so that the next "
                f"addition follows what the reviews found; or pass --force to add {add} more "
                f"now. Nothing was written.")
        plan = extend_plan(result, add=add, verified=_verified_strata(seen),
                           random_state=seed)
        new_ids = plan.attrs["added"]
        if not new_ids:
            raise InvalidSettingError(
                f"the plan already holds all {before} items of the audit; there is nothing "
                f"to add. Nothing was written.")
        sheet_path = audit_dir / redo if redo else _next_sheet(audit_dir)
        details = {"adding": {"plan_rows": before, "sheet": sheet_path.name}}
    else:
        details = None
        plan = plan_review(result, budget=budget, random_state=seed)
        if budget > len(plan):
            err_console.print(f"note: --budget {budget} is more than the {len(plan)} items of "
                              f"the audit; the plan reviews every item.", highlight=False)
        m = getattr(result, "model_error_rate", None)
        if m is not None and m.review_size and budget < min(m.review_size, len(plan) + 1):
            err_console.print(
                f"note: the audit recommends about {m.review_size} items for an interval at "
                f"most {m.review_width * 100:g} points wide; with {budget} it is likely wider "
                f"(`dataqa review estimate` then says how many more to add with --add).",
                highlight=False)
        new_ids = plan["id"].tolist()
        sheet_path = audit_dir / "review_sheet.csv"
    sheet = _items_to_push(result, new_ids)
    sheet["verified_label"] = ""
    client = _check_project(project, url, set(plan["id"].astype(str)), force) if push else None
    with writing_folder(audit_dir, "dataqa review plan", stage="review", details=details):
        if add is None:
            # an earlier plan's sheets may hold a person's answers, and its estimate is not
            # this plan's: all go aside, and the summary and report stop showing that
            # estimate
            set_aside_earlier(audit_dir, ["review_plan.csv", *_review_sheets(audit_dir),
                                          *_review_pages(audit_dir),
                                          "verified.json"],
                              "an earlier review plan", replaced=True)
        write_csv_atomic(plan, audit_dir / "review_plan.csv")
        write_csv_atomic(formulas_as_text(sheet, keep=("id", "verified_label")), sheet_path,
                         for_people=True, sep=sheet_sep or ",",
                         decimal="," if sheet_sep == ";" else ".")  # (as such locales write)
        images = _sheet_images(result, sheet, sheet_path)
        if add is None:
            _drop_verified(result, audit_dir)
        else:
            _report_grown_plan(result, seen, audit_dir)
    if add is not None and dropped:  # (said once the run has written its files)
        err_console.print(
            f"note: the last `dataqa review plan --add` stopped before it finished; the "
            f"{dropped} items it had added to the plan were dropped and this run added its "
            f"own ({redo}).", highlight=False)
    strata = plan.attrs["strata"]
    if add is None:
        console.print(f"review plan: [bold]{len(plan)}[/] of {int(strata['n_items'].sum())} "
                      f"items")
    else:
        console.print(f"review plan: [bold]{len(new_ids)}[/] items added, {len(plan)} of "
                      f"{int(strata['n_items'].sum())} items planned in all")
        if len(new_ids) < add:
            err_console.print(f"note: --add {add} is more than the {len(new_ids)} items not "
                              f"planned yet; all of them were added.", highlight=False)
    for row in strata.itertuples(index=False):
        if add is None:
            console.print(f"  {row.stratum:8s} {row.n_planned:6d} of {row.n_items:7d} items "
                          f"(model's expected error {row.expected_error:.1%})", highlight=False)
        else:
            # (the rate the allocation used: the reviews' posterior mean, kept within
            # EXPECTED_ERROR_CLIP, so 5 errors in 5 reviews plan at 90%)
            used = (f"{int(row.n_errors)} of {row.n_reviewed} reviewed wrong, planned at an "
                    f"error rate of {row.allocation_rate:.1%}"
                    if row.n_reviewed else
                    f"model's expected error {row.expected_error:.1%}, no reviews yet")
            console.print(f"  {row.stratum:8s} {row.n_planned:6d} of {row.n_items:7d} items, "
                          f"{row.n_added} added ({used})", highlight=False)
    console.print(f"  plan: {audit_dir / 'review_plan.csv'}", highlight=False)
    what = "sheet to fill in" if add is None else "sheet of the added items to fill in"
    console.print(f"  {what} (verified_label): {sheet_path}", highlight=False)
    console.print(f"    {_answers_line([str(c) for c in result.table.class_names])}",
                  highlight=False, markup=False)
    if images is not None:
        console.print(f"  the items as images (the sheet's {len(result.table.feature_columns)} "
                      f"feature columns are their pixels): {images}", highlight=False)
    if not push:
        # the sheets the last estimate read (a filled copy, say), then this one
        earlier = [] if add is None else (_recorded_files(seen, audit_dir)
                                          or [str(audit_dir / n) for n in
                                              _review_sheets(audit_dir)
                                              if (audit_dir / n).is_file()
                                              and audit_dir / n != sheet_path])
        folder, *files = _alike([audit_dir, *earlier, sheet_path])
        sheets = " ".join(f"--reviews {shlex.quote(f)}" for f in files)
        console.print(f"  then, with the {'sheets' if earlier else 'sheet'} filled in: dataqa "
                      f"review estimate {shlex.quote(folder)} {sheets}",
                      highlight=False)
    if push:
        from dataqa.errors import LabelStudioConnectionError
        from dataqa.labelstudio import push_queue
        from dataqa.labelstudio.printing import print_push_report

        at = f" --url {shlex.quote(url)}" if url else ""
        resume = _plan_push_resume(ledger, project, at, sheet_path, new_ids,
                                   first=add is None)
        try:
            with client:
                report = push_queue(sheet.drop(columns=["verified_label"]), project=project,
                                    class_names=[str(c) for c in result.table.class_names],
                                    ledger=ledger, queue="verify", client=client)
        except LabelStudioConnectionError as exc:
            how = resume()
            if exc.args and isinstance(exc.args[0], str):
                text = exc.args[0].replace(
                    "; run the same push again to create the rest: tasks already on the "
                    "server are found and recorded, not created twice.", ".")
                exc.args = (f"{text} The plan is written; {how}.", *exc.args[1:])
            raise
        except KeyboardInterrupt as exc:  # Ctrl-C: "run the same command again" would
            exc.dataqa_note = (  # plan anew or add more
                f"the push of the review plan to {project!r} was interrupted; the plan is "
                f"written; {resume()}")
            raise
        print_push_report(report)
        if report.failed:
            console.print(f"  the {len(report.failed)} that failed: {resume()}",
                          highlight=False)
        console.print(f"  then, once the reviewers have answered in Label Studio: dataqa review "
                      f"estimate {shlex.quote(str(audit_dir))} --ledger "
                      f"{shlex.quote(str(ledger))} --project {shlex.quote(str(project))}{at}",
                      highlight=False)


def _plan_push_resume(ledger: Path, project: str, at: str, sheet_path: Path, new_ids: list,
                      *, first: bool):
    """A function saying how to finish an unfinished push of a review plan: from the
    ledger once it records the plan's items (the push records them before sending any
    task); before that, a first plan by running the same command again (the same --seed
    draws the same plan), and added items from their sheet. Running `review plan --add`
    again would add more items instead."""
    import shlex

    def say() -> str:
        from dataqa.labelstudio.ledger_state import queue_name
        from dataqa.ledger import Ledger

        held: set = set()
        if ledger.exists():
            try:
                with Ledger(ledger, create=False) as led:
                    for name in led.queues()["name"]:
                        if str(name).endswith("/verify") and (
                                str(name) == queue_name(str(project), "verify")
                                or str(project).isdigit()):
                            held |= set(map(str, led.queue_items(str(name))))
            except Exception:  # noqa: BLE001 - only choosing which advice to give
                held = set()
        if set(map(str, new_ids)) <= held:
            return (f"finish its push with: dataqa ls push --ledger "
                    f"{shlex.quote(str(ledger))} --project {shlex.quote(str(project))} "
                    f"--queue verify{at} (tasks already on the server are found, not created "
                    f"twice)")
        if first:
            return ("nothing of it was recorded or sent: run the same command again (the "
                    "same --seed draws the same plan; this one is set aside)")
        return (f"its {len(new_ids)} added items were not recorded or sent: push them with "
                f"dataqa ls push --ledger {shlex.quote(str(ledger))} --project "
                f"{shlex.quote(str(project))} --queue verify --from "
                f"{shlex.quote(str(sheet_path))}{at} (running `dataqa review plan --add` "
                f"again would add more items)")
    return say


#: Field delimiters a review sheet may be written with (``--sheet-sep``).
_SHEET_SEPS = (",", ";", "\t", "|")


def _sheet_sep(path: Path) -> str | None:
    """The delimiter of a review sheet: the one that splits its header line into fields
    that include ``id`` and ``verified_label`` (a sheet written with ``--sheet-sep``, or
    saved by a spreadsheet set to a language that writes ';'), or None when none does (or
    the file cannot be read as text)."""
    try:
        with open(path, "rb") as fh:
            head = fh.readline(1 << 16)
    except OSError:
        return None
    line = head.decode("utf-8-sig", errors="replace").strip("\r\n")
    for sep in _SHEET_SEPS:
        if {"id", "verified_label"} <= {f.strip().strip('"') for f in line.split(sep)}:
            return sep
    return None


def _sheet_images(result, sheet, sheet_path: Path) -> Path | None:
    """For feature rows that are images (64, 256, 784 or 1,024 features, as the report
    reads them), an HTML page beside the sheet (``review_sheet.html`` for
    ``review_sheet.csv``) showing each item's picture by its row and id, in the sheet's
    order: a reviewer cannot label 64 pixel values. None for other tables (nothing
    written)."""
    import html

    import numpy as np
    import pandas as pd

    from dataqa.report.html import HtmlReport
    from dataqa.report.images import image_shape_for, thumbnails

    t = result.table
    if t.text_column or not t.feature_columns:
        return None
    shape = image_shape_for(len(t.feature_columns))
    if shape is None:
        return None
    cols = list(t.feature_columns)
    uris = thumbnails(sheet[cols].to_numpy(dtype=np.float64), shape, size=112)
    page = pd.DataFrame({
        # the row a spreadsheet shows it on: the header is row 1
        "spreadsheet row": np.arange(2, len(sheet) + 2), "id": sheet["id"].astype(str),
        "image": [f'<img alt="{html.escape(i)}" src="{u}"/>'
                  for i, u in zip(sheet["id"].astype(str), uris, strict=True)]})
    report = HtmlReport(f"Items to review: {sheet_path.name}")
    report.paragraph(
        f"The {len(sheet)} items of {sheet_path.name}, in its order, as {shape[0]}x{shape[1]} "
        f"images (darker = higher value). Write each item's true class in the "
        f"verified_label column of {sheet_path.name}, on the row with its id (the spreadsheet "
        f"row: the header is row 1); no given label is shown, so that the review is blind.")
    report.table(page, max_rows=len(page), html_columns=["image"])
    out = sheet_path.with_suffix(".html")
    report.write(out)
    return out


def _stopped_addition(audit_dir: Path, result) -> str | None:
    """After a ``review plan --add`` that stopped while writing: the plan as it was before
    it (``result.review_plan`` cut back to its rows then, when the stopped run had written
    the longer plan) and the name of the sheet it was making, which this run makes
    instead; ``None`` when no such run stopped here."""
    adding = (stopped_run(audit_dir) or {}).get("adding")
    if not isinstance(adding, dict):
        return None
    import re

    rows, sheet = adding.get("plan_rows"), adding.get("sheet")
    if not isinstance(rows, int) or not isinstance(sheet, str) \
            or not re.fullmatch(r"review_sheet_\d+\.csv", sheet):
        return None
    plan = result.review_plan
    if 0 < rows < len(plan):
        result.review_plan = plan.iloc[:rows].reset_index(drop=True)
        result.review_plan.attrs["dropped"] = len(plan) - rows
    return sheet


def _next_sheet(audit_dir: Path) -> Path:
    """The first free ``review_sheet_<k>.csv``, k >= 2."""
    k = 2
    while (audit_dir / f"review_sheet_{k}.csv").exists():
        k += 1
    return audit_dir / f"review_sheet_{k}.csv"


def _verified_record(audit_dir: Path) -> dict | None:
    """``verified.json`` as written by the last estimate, or None."""
    import json

    path = audit_dir / "verified.json"
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _verified_strata(record: dict | None):
    """The per-stratum reviews and errors of a ``verified.json`` record (the estimate of
    this plan's reviews so far), or None without a usable one."""
    import pandas as pd

    try:
        strata = pd.DataFrame((record or {})["strata"])
    except (ValueError, KeyError, TypeError):
        return None
    return strata if {"stratum", "n_reviewed", "n_errors"} <= set(strata.columns) else None


def _report_grown_plan(result, record: dict | None, audit_dir: Path) -> None:
    """After ``--add``: ``report.html`` shows the last estimate with the grown plan's count
    of planned items ("60 of 150 planned"), estimated again from the reviews that
    ``verified.json`` keeps (the same posterior: only the planned count changes).
    ``verified.json`` stays as the estimate wrote it. A record without its reviews (a
    folder from an older version) leaves the report as it was."""
    import warnings

    import pandas as pd

    from dataqa.audit.review import estimate_error_rate
    from dataqa.errors import DataqaError

    reviews = (record or {}).get("reviews")
    if not isinstance(reviews, dict) or not reviews:
        return
    options = {"confidence": record.get("confidence", 0.95),
               "interval": record.get("interval"), "prior": record.get("prior")}
    if any(record.get("reviewer_error") or ()):
        options["reviewer_error"] = tuple(record["reviewer_error"])
    frame = pd.DataFrame({"id": list(reviews), "verified_label": list(reviews.values())})
    try:
        with warnings.catch_warnings():  # said when the estimate read them
            warnings.simplefilter("ignore")
            result.verified = estimate_error_rate(result, frame, **options)
    except DataqaError:  # a record edited by hand: the report stays as it was
        return
    result.to_html(audit_dir / "report.html")


def _drop_verified(result, audit_dir: Path) -> None:
    """Take an earlier verified estimate out of ``summary.json`` and ``report.html`` (the
    result, read back from the folder, holds none)."""
    import json

    from dataqa.audit.core import _json_default

    path = audit_dir / "summary.json"
    summary = json.loads(path.read_text())
    keys = [k for k in summary if k.startswith("verified_")]
    if not keys:
        return
    for k in keys:
        del summary[k]
    write_text_atomic(path, json.dumps(summary, indent=2, default=_json_default))
    result.verified = None
    result.to_html(audit_dir / "report.html")


def _check_project(project: str, url: str | None, planned: set[str], force: bool):
    """An open client to the server (checked to answer before the plan is written); the
    project, when it exists, must hold no task of an item outside the plan (unless
    ``force``)."""
    from dataqa.errors import LabelStudioProjectError
    from dataqa.labelstudio import LabelStudioClient
    from dataqa.labelstudio.importing import server_map

    client = LabelStudioClient(url)
    try:
        info = client.find_project(project)  # raises when the server does not answer
        if info is not None and not force:
            on_server, _, _ = server_map(client, int(info["id"]))
            other = sorted(set(on_server) - planned)
            if other:
                raise LabelStudioProjectError(
                    f"project {info['title']!r} (id {info['id']}) already holds "
                    f"{len(other)} item(s) that are not in this plan ({format_ids(other, 5)}), "
                    f"e.g. from an earlier plan; their reviews would not belong to this "
                    f"plan's estimate. Push this plan to a new project (--project "
                    f"'{info['title']} 2'), or pass --force to add it to this one "
                    f"(`dataqa review estimate` then uses the reviews of this plan's items "
                    f"only). Nothing was written.")
    except BaseException:
        client.close()
        raise
    return client


def _reviews_from_ledger(result, ledger: Path, project: str, url: str | None):
    """``(reviews, pull report, ids left out)``: the consensus label of each reviewed item
    of the plan; annotations of items outside the plan (another plan pushed to the same
    project) are left out and their ids returned."""
    import numpy as np
    import pandas as pd

    from dataqa.labelstudio import consensus_labels, pull_project
    from dataqa.labelstudio.consensus import _answer_times

    pulled = pull_project(project=project, ledger=ledger, url=url)
    ann = pulled.annotations
    planned = set(result.review_plan["id"].astype(str))
    ids = ann["id"].astype(str)
    left_out = sorted(set(ids[~ids.isin(planned)]))
    ann = ann[ids.isin(planned).to_numpy()]
    if ann.empty:
        return pd.DataFrame({"id": [], "verified_label": []}), pulled.report, left_out, []
    # a pulled label is the class's place among the project's choices as they are now
    # (reordered in Label Studio, 0 may be "spam"): each answer counts by its class name
    names = [str(c) for c in result.table.class_names]
    place = {n: k for k, n in enumerate(names)}
    answered = ann["label_name"].astype(str)
    unknown = sorted(set(answered) - set(place))
    if unknown:
        raise InvalidSettingError(
            f"project {project!r} holds answers of class(es) {', '.join(map(repr, unknown))}, "
            f"which this audit does not have ({', '.join(map(repr, names))}): give the "
            f"project the audit's classes in Label Studio (a renamed choice), or review "
            f"with a sheet (--reviews).")
    ann = ann.assign(label=answered.map(place).astype(np.int64).to_numpy())
    # an item whose reviewers split evenly (one says 0, another 1) has no verified label:
    # a vote broken by class frequency would be counted as a verification
    # each annotator's newest answer; answers without an annotator count one each, as
    # consensus_labels counts them
    who = ann["annotator"].astype("string")
    anonymous = pd.Series([f"<no annotator>-{k}" for k in range(len(ann))], index=ann.index,
                          dtype="string")
    last = ann.assign(_who=who.fillna(anonymous))
    when = _answer_times(last)  # each reviewer's newest answer, as consensus counts it
    if when is not None:
        last = last.assign(_when=when).sort_values("_when", kind="stable")
    last = last.drop_duplicates(["id", "_who"], keep="last")
    votes = last.groupby([last["id"].astype(str), last["label"]]).size()
    top = votes.groupby(level=0).transform("max")
    tied = sorted(set((votes[votes == top]).groupby(level=0).size().loc[lambda c: c > 1].index))
    ann = ann[~ann["id"].astype(str).isin(set(tied)).to_numpy()]
    if ann.empty:
        return pd.DataFrame({"id": [], "verified_label": []}), pulled.report, left_out, tied
    cons = consensus_labels(ann, class_names=names)
    return (pd.DataFrame({"id": cons.items["id"].astype(str),
                          "verified_label": cons.items["label_name"].astype(str)}),
            pulled.report, left_out, tied)


def _no_review_pulled(report, left_out: list, ledger: Path, n_planned: int) -> str:
    """Why a pull gave no review of the plan: the tasks came from another ledger, the
    answers are of other items, or nobody has answered yet."""
    if report.unmatched_tasks and not report.n_annotations:
        why = (f"none of the {len(report.unmatched_tasks)} annotated tasks of project "
               f"{report.project!r} came from ledger {str(ledger)!r}: pass the ledger that "
               f"pushed the plan (--ledger)")
    elif left_out:
        why = (f"the {report.n_annotations} answers pulled from project {report.project!r} "
               f"are of {len(left_out)} item(s) outside this plan ({format_ids(left_out)}): "
               f"is it the project this audit's plan was pushed to?")
    else:
        why = (f"no reviewer has answered the plan's items in project {report.project!r} "
               f"yet: annotate the pushed queue")
    return (f"no item of the review plan has a verified label yet ({n_planned} planned): "
            f"{why}, then run `dataqa review estimate` again. The pull's answers (if any) are "
            f"stored in the ledger; no estimate was written.")


@review_app.command("estimate")
@handle_errors
def estimate_command(
    audit_dir: Path = typer.Argument(..., help="The --out folder of `dataqa audit` (with its "
                                               "review_plan.csv)."),
    reviews: list[Path] | None = typer.Option(
        None, "--reviews", help="CSV with id and verified_label (e.g. the filled "
                                "review_sheet.csv); repeat it for several sheets."),
    ledger: Path | None = typer.Option(None, "--ledger", help="Ledger the verify queue was pushed with."),
    project: str | None = typer.Option(None, "--project", help="Label Studio project (with --ledger)."),
    confidence: float = typer.Option(0.95, "--confidence", help="Posterior mass of the interval."),
    reviewer_error: str | None = typer.Option(
        None, "--reviewer-error",
        help="Known error rate of the reviewers: EPS (a correct label flagged, and a wrong "
             "one confirmed, each with probability EPS) or E0,E1 (each apart); in [0, 0.5)."),
    prior: str | None = typer.Option(
        None, "--prior", help="Each stratum's prior on its error rate: uniform or jeffreys "
                              "(default: estimate_error_rate's)."),
    url: str | None = typer.Option(None, "--url", help=_URL_HELP),
    format: str | None = FORMAT_OPT,
    sep: str | None = SEP_OPT,
    no_header: bool = NO_HEADER_OPT,
    columns: str | None = COLUMNS_OPT,
    encoding: str | None = ENCODING_OPT,
    decimal: str | None = DECIMAL_OPT,
) -> None:
    """Estimate the dataset's label-error rate from the reviewed plan.

    Reads the verified labels from --reviews, or pulls them from Label Studio with
    --ledger and --project (several reviewers of one item go through consensus; only
    the annotations of this plan's items count, and the others are counted aloud).
    Writes AUDIT_DIR/verified.json and adds the verified estimate to AUDIT_DIR/report.html.
    Exit code 1 when some annotations were refused (a class that is not the project's:
    fix them in Label Studio and run again), as `dataqa ls pull`.

    With --reviewer-error the reviewers are taken to err at that known rate and the
    interval accounts for it (some flags are then the reviewers' mistakes); without it
    they are taken to be right.

    The --reviews file is read as `dataqa audit` reads its data: --format, --sep,
    --no-header with --columns, --encoding and --decimal say how (a sheet saved by Excel
    may need --encoding cp1252). Without --sep, --format or --no-header, a sheet whose
    header line holds id and verified_label between ';', tabs or '|' (a sheet written with
    --sheet-sep, or saved by a spreadsheet that writes ';') is read with that delimiter.
    """
    import json

    import pandas as pd

    from dataqa.audit.core import _json_default
    from dataqa.audit.review import _WHERE, estimate_error_rate

    reviews = list(reviews or []) or None
    if (reviews is None) == (ledger is None):
        raise InvalidSettingError("give either --reviews FILE or --ledger FILE --project NAME.")
    if ledger is not None and not project:
        raise InvalidSettingError("--ledger needs --project NAME (the project of the verify queue).")
    for path in reviews or []:
        if path.is_dir():
            raise InvalidSettingError(
                f"--reviews {str(path)!r} is a folder; give the filled sheet itself, and "
                f"--reviews once per sheet for several (--reviews a.csv --reviews b.csv).")
        if not path.is_file():
            raise InvalidSettingError(
                f"--reviews {str(path)!r} does not exist" + (
                    "; --reviews takes files, not patterns: give --reviews once per sheet."
                    if any(c in str(path) for c in "*?[") else "."))
    read = read_options(format, sep, no_header, columns, encoding, decimal)
    if read and reviews is None:
        raise InvalidSettingError(
            "--format, --sep, --no-header, --columns, --encoding and --decimal say how to "
            "read the --reviews file; they do not apply with --ledger.")
    options = {}
    if reviewer_error is not None:
        options["reviewer_error"] = _reviewer_error_option(reviewer_error)
    if prior is not None:
        options["prior"] = prior
    result = _load(audit_dir)
    if result.review_plan is None:
        raise InvalidSettingError(
            f"{str(audit_dir)!r} has no review_plan.csv; run `dataqa review plan "
            f"{audit_dir} --budget N` first and review its items.")
    pull_report, left_out, tied = None, [], []
    if reviews is not None:
        import warnings

        from dataqa.data import load_table
        from dataqa.errors import DataqaError

        frames = []
        for path in reviews:
            # a sheet written with --sheet-sep, or saved with ';' by a spreadsheet, is read
            # with its delimiter unless the reading options say how
            found = _sheet_sep(path) if not ({"sep", "format", "header"} & set(read)) else None
            own = {**read, "sep": found} if found not in (None, ",") else read
            try:
                with warnings.catch_warnings():
                    # the sheet's other columns (the item's numbers, say) are not read: their
                    # decimal commas need no --decimal
                    warnings.filterwarnings("ignore", message=r".*the values are read as "
                                            r"text\.", category=UserWarning)
                    one = load_table(path, string_columns=["id", "verified_label"], **own)
            except DataqaError as exc:
                if len(reviews) < 2:
                    raise
                raise type(exc)(f"{exc} (The reading options apply to every --reviews file: "
                                f"save the sheets alike, e.g. each as CSV UTF-8.)") from None
            lacking = [c for c in ("id", "verified_label") if c not in one.columns]
            if lacking:
                raise MissingColumnError(
                    lacking[0], [str(c) for c in one.columns], role="review sheet column",
                    table=repr(str(path)),
                    fix=f"Rename it in the sheet, or name all the sheet's columns in order "
                        f"with --columns (e.g. --columns {_columns_example(one.columns)}).")
            one = one[["id", "verified_label"]].copy()
            one[_WHERE] = [f"{str(path)!r} data row {i + 1}" for i in range(len(one))]
            frames.append(one)
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    else:
        frame, pull_report, left_out, tied = _reviews_from_ledger(result, ledger, project, url)
        if tied:
            import warnings

            warnings.warn(
                f"{len(tied)} reviewed item(s) have their reviewers split evenly "
                f"({format_ids(tied)}): left out of the estimate, as neither answer is "
                f"verified. Have one more reviewer answer them in Label Studio (open each "
                f"from the Data Manager, filtered by dataqa_id: 'Label All Tasks' serves a "
                f"task only while it has fewer answers than the project's annotations per "
                f"task, one unless raised), then run `dataqa review estimate` again.",
                UserWarning, stacklevel=2)
    answered = frame["verified_label"].notna() & frame["verified_label"].astype(str).str.strip().ne("")
    ids_now = set(frame.loc[answered, "id"].astype(str).str.strip())
    if reviews is not None:
        _refuse_earlier_plan(audit_dir, result, ids_now)
    v = estimate_error_rate(result, frame, confidence=confidence, **options)
    if v.n_reviewed == 0:  # the prior alone would be written as a verified rate
        if pull_report is None:
            sheet_ids = list(dict.fromkeys(i for i in frame["id"].astype(str).str.strip()
                                           if i and i.lower() != "nan"))
            plan = getattr(result, "review_plan", None)
            if sheet_ids and plan is not None and not set(sheet_ids) & set(
                    plan["id"].astype(str)):
                from dataqa.errors import _lost_zeros_hint

                hint = _lost_zeros_hint(sheet_ids, plan["id"].astype(str), whose="the plan's",
                                        read_as="copy the id column of the sheet dataqa wrote")
                raise EmptyDataError(
                    f"none of the {len(sheet_ids)} ids of "
                    f"{', '.join(repr(str(p)) for p in reviews)} ({format_ids(sheet_ids)}) is "
                    f"an item of this audit's review plan{hint}, and no row has a verified "
                    f"label{'.' if hint else ': is it the sheet of another audit?'} Fill in "
                    f"the sheet `dataqa review plan` wrote for this one "
                    f"({str(audit_dir / 'review_sheet.csv')!r}) and pass it. Nothing was "
                    f"written.")
            raise EmptyDataError(
                f"no item of the review plan has a verified label yet ({v.n_planned} "
                f"planned): fill in the verified_label column of the review sheet (or "
                f"annotate the pushed queue), then run `dataqa review estimate` again. "
                f"Nothing was written.")
        raise EmptyDataError(_no_review_pulled(pull_report, left_out, ledger, v.n_planned))
    result.verified = v
    import shlex

    _warn_lost_reviews(audit_dir, ids_now | set(tied),  # a tie is said on its own
                       set(frame["id"].astype(str).str.strip()),
                       resend=None if reviews is not None else (
                           f"dataqa ls push --ledger {shlex.quote(str(ledger))} --project "
                           f"{shlex.quote(str(project))} --queue verify"
                           + (f" --url {shlex.quote(url)}" if url else "")))
    record = v.to_dict()
    # absolute: `review plan --add` names them in a command run from anywhere
    record["review_files"] = ([str(Path(f).resolve()) for f in reviews] if reviews is not None
                              else [])
    record["audit_folder"] = str(Path(audit_dir).resolve())  # (a copied folder maps them)
    record["reviewed_ids"] = sorted(ids_now & set(result.review_plan["id"].astype(str)))
    # the answers themselves, so the report can be redrawn when the plan grows (--add)
    kept = frame.loc[answered, ["id", "verified_label"]].astype(str)
    kept["id"] = kept["id"].str.strip()
    kept = kept[kept["id"].isin(set(record["reviewed_ids"]))].drop_duplicates()
    record["reviews"] = dict(zip(kept["id"], kept["verified_label"].str.strip(), strict=True))
    with writing_folder(audit_dir, "dataqa review estimate", stage="review"):
        write_text_atomic(audit_dir / "verified.json",
                          json.dumps(record, indent=2, default=_json_default))
        result.to_html(audit_dir / "report.html")
        write_text_atomic(audit_dir / "summary.json",
                          json.dumps(result.summary_json(), indent=2, default=_json_default))
    pd.options.display.width = 120
    console.print(f"verified label-error rate: [bold]{v}[/]", highlight=False)
    console.print(f"  the interval: {v.describe().split(':', 1)[0].removeprefix('The interval is ')}"
                  f" (report.html says under which assumptions)", highlight=False)
    if any(v.reviewer_error):
        e0, e1 = v.reviewer_error
        console.print(f"  reviewers taken to err: a correct label flagged with probability "
                      f"{e0:g}, a wrong one confirmed with probability {e1:g}",
                      highlight=False)
    else:  # (reviewers who err push the estimate up and the interval off: say so here)
        console.print("  reviewers taken to be right: if they err (say 5% of the time), "
                      "give --reviewer-error 0.05", highlight=False)
    if v.flag_precision is not None:
        console.print(f"  precision of the flags (the share of flagged items whose label is "
                      f"wrong): {v.flag_precision}", highlight=False)
    if v.missed_errors is not None:
        from dataqa.audit.review import missed_errors_line

        console.print(f"  {missed_errors_line(v)}", highlight=False)
    if v.n_reviewed < v.n_planned:
        split = (f" ({len(tied)} of them answered, with the reviewers split evenly)"
                 if tied else "")
        console.print(f"  {v.n_planned - v.n_reviewed} planned items not reviewed yet{split}: "
                      f"the interval is wider than the full plan's", highlight=False)
    planned = getattr(result, "model_error_rate", None)
    if (planned is not None and getattr(planned, "review_width", None)
            and abs(v.confidence - 0.95) < 1e-9):  # (the aim is for the 95% interval)
        width = v.high - v.low
        aim = planned.review_width
        console.print(
            f"  the interval is {width * 100:.1f} points wide"
            + (f", wider than the {aim * 100:g} the audit's recommended budget "
               f"({planned.review_size} items) aims at" if width > aim + 1e-12 else
               f", within the {aim * 100:g} the audit aimed at"), highlight=False)
        if width > aim + 1e-12:
            console.print(f"  {_more_line(v, aim, audit_dir)}", highlight=False)
    if left_out:
        console.print(f"  {len(left_out)} annotated item(s) of project {project!r} are not in "
                      f"this plan and were left out ({format_ids(left_out, 5)})",
                      highlight=False)
    console.print(f"  written: {audit_dir / 'verified.json'}, {audit_dir / 'report.html'}",
                  highlight=False)
    if pull_report is not None:
        from dataqa.labelstudio.printing import print_pull_problems

        print_pull_problems(pull_report)  # refused annotations: one line each, exit 1


def _refuse_earlier_plan(audit_dir: Path, result, ids: set[str]) -> None:
    """Refuse reviews (of the answered ``ids``) that answer a plan set aside by a later
    ``review plan`` (in an ``earlier-*`` folder of the audit), saying so: the generic
    message says only that the items are not in the plan."""
    outside = ids - set(result.review_plan["id"].astype(str))
    if not outside:
        return
    import pandas as pd

    for folder in sorted(audit_dir.glob("earlier-*"), reverse=True):  # the latest first
        try:
            old = set(pd.read_csv(folder / "review_plan.csv", dtype={"id": str})["id"])
        except (OSError, ValueError, KeyError, pd.errors.ParserError):
            continue
        if outside <= old:
            raise InvalidSettingError(
                f"{len(outside)} reviewed item(s) are not in the review plan of "
                f"{str(audit_dir)!r} but in the earlier plan set aside in {str(folder)!r} "
                f"(a later `dataqa review plan` replaced it; {len(ids - outside)} of the "
                f"reviews are in the current plan). Each plan's reviews estimate the rate "
                f"only with that plan: fill in the current plan's sheet ("
                f"{str(audit_dir / 'review_sheet.csv')!r}), or swap the plans back: move "
                f"the current review_plan.csv and review_sheet*.csv into a folder of their "
                f"own, then those in {str(folder)!r} into {str(audit_dir)!r}.")


def _columns_example(columns) -> str:
    """The sheet's column names with those that differ from ``id`` or ``verified_label``
    only in case or white space spelled as needed: a ``--columns`` value that fits."""
    out = []
    for c in map(str, columns):
        key = c.strip().casefold()
        out.append("id" if key == "id" else "verified_label" if key == "verified_label" else c)
    if "id" not in out or "verified_label" not in out:
        return "id,text,verified_label"
    return ",".join(out)


def _warn_lost_reviews(audit_dir: Path, ids_now: set, ids_read: set,
                       resend: str | None = None) -> None:
    """Warn when items the last estimate had reviews of have none now: a filled sheet
    left out of --reviews (their ids are in none of the files read, ``ids_read``), or
    answers erased (their rows are there, with an empty verified_label); with reviews
    from the ledger (``resend``: the command that sends deleted tasks again), answers or
    tasks deleted in Label Studio. The new estimate would drop them in silence."""
    import warnings

    seen = _verified_record(audit_dir)
    before = set((seen or {}).get("reviewed_ids") or [])
    lost = sorted(before - ids_now)
    if not lost:
        return
    files = (seen or {}).get("review_files") or []
    read = f" (it read {', '.join(files)})" if files else ""
    blank = [i for i in lost if i in ids_read]
    absent = [i for i in lost if i not in ids_read]
    parts = []
    if absent and resend:
        parts.append(f"{len(absent)} have no answer in Label Studio now "
                     f"({format_ids(absent, 5)}): their answers or tasks were deleted there; "
                     f"`{resend}` sends a deleted task again, to be answered anew")
    elif absent:
        parts.append(f"{len(absent)} are in none of these files ({format_ids(absent, 5)}): "
                     f"give every filled sheet with --reviews, once each")
    if blank:
        parts.append(f"{len(blank)} have an empty verified_label now "
                     f"({format_ids(blank, 5)}): an answer erased, or a sheet of "
                     f"unanswered rows given beside the filled one")
    warnings.warn(
        f"{len(lost)} item(s) reviewed in the last estimate{read} have no verified label in "
        f"these reviews: {'; '.join(parts)}. This estimate leaves them out.", UserWarning,
        stacklevel=2)


def _recorded_files(seen: dict | None, audit_dir: Path) -> list[str]:
    """The sheets the last estimate read (``verified.json``), those inside the audit
    folder it was made in taken in ``audit_dir`` instead when the folder was copied or
    moved (the copy's answers, not the original's). A record without its folder (written
    before it was kept) maps the sheets named as dataqa names them
    (``review_sheet*.csv``) that ``audit_dir`` holds and that are gone where recorded (a
    filled sheet kept elsewhere under that name is the one to read)."""
    files = list((seen or {}).get("review_files") or [])
    here = Path(audit_dir).resolve()
    was = (seen or {}).get("audit_folder")
    out = []
    for f in files:
        p = Path(f)
        if was and Path(was) != here and p.is_relative_to(was):
            out.append(str(here / p.relative_to(was)))
        elif (not was and not p.is_file() and p.parent != here
              and p.name.startswith("review_sheet") and (here / p.name).is_file()):
            out.append(str(here / p.name))
        else:
            out.append(f)
    return out


def _more_line(v, aim: float, audit_dir: Path) -> str:
    """What would bring the interval within ``aim``: the planned items still to review,
    and how many to add (:func:`dataqa.audit.review.reviews_to_add`)."""
    import shlex

    from dataqa.audit.review import ADD_QUANTILE, _reviews_to_add

    left = v.n_planned - v.n_reviewed
    folder = shlex.quote(str(audit_dir))
    if any(v.reviewer_error):
        return (f"more reviews narrow it (`dataqa review plan {folder} --add N` adds items "
                f"to this plan; their number is planned for exact reviewers only)")
    more, enough, median = _reviews_to_add(v, width=aim)
    room = v.n_items - v.n_planned
    finish = f"the {left} planned items not reviewed yet" if left else ""
    if enough and more == 0:
        return f"reviewing {finish} is planned to bring it within {aim * 100:g} points"
    if left and room:
        # how many to add is simulated from the answers so far: parts of the plan with
        # few or none of them read as anything from 0 to 100% wrong, and asked for
        # several times what the plan needs (a 5% audit a tenth reviewed: 190-261 more)
        return (f"review {finish} first ({v.n_reviewed} of {v.n_planned} are): whether more "
                f"are needed, and how many, is estimated once they are")
    then = f"{finish} and " if finish else ""
    if not enough:
        if room == 0:
            return (f"every item is in the plan: reviewing {finish or 'them'} is all that "
                    f"is left")
        return (f"even reviewing {then}every one of the {room} items not planned yet may not "
                f"bring it within {aim * 100:g} points: `dataqa review plan {folder} --add "
                f"{room}` adds them all")
    return (f"to bring it within {aim * 100:g} points, review {then}about {more} more "
            f"item{'s' if more != 1 else ''} (enough in {ADD_QUANTILE:.0%} of simulated "
            f"outcomes; about {median * 100:.1f} points wide in half of them): `dataqa review "
            f"plan {folder} --add {more}`")


def _reviewer_error_option(text: str):
    """``EPS`` or ``E0,E1`` of ``--reviewer-error`` as a float or a pair, checked."""
    from dataqa.audit.posterior import reviewer_error_pair

    parts = [t.strip() for t in text.split(",")]
    try:
        vals = [float(t) for t in parts]
    except ValueError:
        vals = None
    if vals is None or len(vals) not in (1, 2):
        raise InvalidSettingError(
            f"--reviewer-error {text!r}: give one rate EPS (e.g. 0.05) or two, E0,E1 (e.g. "
            f"0.05,0.01: a correct label flagged, a wrong one confirmed), each in [0, 0.5).")
    value = vals[0] if len(vals) == 1 else tuple(vals)
    try:
        reviewer_error_pair(value)
    except InvalidSettingError as e:
        raise InvalidSettingError(f"--reviewer-error {text!r}: {e}") from None
    return value
