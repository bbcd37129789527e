"""``dataqa review plan`` and ``dataqa review estimate``: the verified error rate from the CLI."""

from __future__ import annotations

from pathlib import Path

import typer

from dataqa._cli_utils import console, handle_errors, write_csv_atomic
from dataqa.errors import InvalidSettingError

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
    return AuditResult.load(audit_dir)


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
    budget: int = typer.Option(..., "--budget", help="Items people will verify."),
    seed: int = typer.Option(0, "--seed", help="Seed of the draws within strata."),
    push: bool = typer.Option(False, "--push", help="Send the plan to Label Studio as a blind "
                                                    "'verify' queue."),
    project: str | None = typer.Option(None, "--project", help="Label Studio project (with --push)."),
    ledger: Path | None = typer.Option(None, "--ledger", help="Ledger file (with --push)."),
    url: str | None = typer.Option(None, "--url", help=_URL_HELP),
) -> None:
    """Choose the items to verify: strata by label-issue score, Neyman allocation.

    Writes AUDIT_DIR/review_plan.csv (id, stratum, weight) and AUDIT_DIR/review_sheet.csv
    (id, the item, an empty verified_label column to fill in; no label is shown, so the
    reviewer labels from the item alone).
    """
    from dataqa.audit.review import plan_review

    if budget < 1:
        raise InvalidSettingError(f"--budget {budget} must be at least 1 item.")
    if push and (not project or ledger is None):
        raise InvalidSettingError("--push needs --project NAME and --ledger FILE.")
    result = _load(audit_dir)
    plan = plan_review(result, budget=budget, random_state=seed)
    sheet = _items_to_push(result, plan["id"])
    sheet["verified_label"] = ""
    write_csv_atomic(plan, audit_dir / "review_plan.csv")
    write_csv_atomic(sheet, audit_dir / "review_sheet.csv")
    strata = plan.attrs["strata"]
    console.print(f"review plan: [bold]{len(plan)}[/] of {int(strata['n_items'].sum())} items")
    for row in strata.itertuples(index=False):
        console.print(f"  {row.stratum:8s} {row.n_planned:6d} of {row.n_items:7d} items "
                      f"(model's expected error {row.expected_error:.1%})", highlight=False)
    console.print(f"  plan: {audit_dir / 'review_plan.csv'}", highlight=False)
    console.print(f"  sheet to fill in (verified_label): {audit_dir / 'review_sheet.csv'}",
                  highlight=False)
    if push:
        from dataqa.labelstudio import push_queue
        from dataqa.labelstudio.printing import print_push_report

        report = push_queue(sheet.drop(columns=["verified_label"]), project=project,
                            class_names=[str(c) for c in result.table.class_names],
                            ledger=ledger, queue="verify", url=url)
        print_push_report(report)


def _reviews_from_ledger(result, ledger: Path, project: str, url: str | None):
    import pandas as pd

    from dataqa.labelstudio import consensus_labels, pull_annotations

    ann = pull_annotations(project=project, ledger=ledger, url=url)
    if ann.empty:
        return pd.DataFrame({"id": [], "verified_label": []})
    names = [str(c) for c in result.table.class_names]
    cons = consensus_labels(ann, class_names=names)
    return pd.DataFrame({"id": cons.items["id"].astype(str),
                         "verified_label": cons.items["label_name"].astype(str)})


@review_app.command("estimate")
@handle_errors
def estimate_command(
    audit_dir: Path = typer.Argument(..., help="The --out folder of `dataqa audit` (with its "
                                               "review_plan.csv)."),
    reviews: Path | None = typer.Option(None, "--reviews", help="CSV with id and verified_label "
                                                                "(e.g. the filled review_sheet.csv)."),
    ledger: Path | None = typer.Option(None, "--ledger", help="Ledger the verify queue was pushed with."),
    project: str | None = typer.Option(None, "--project", help="Label Studio project (with --ledger)."),
    confidence: float = typer.Option(0.95, "--confidence", help="Posterior mass of the interval."),
    url: str | None = typer.Option(None, "--url", help=_URL_HELP),
) -> None:
    """Estimate the dataset's label-error rate from the reviewed plan.

    Reads the verified labels from --reviews, or pulls them from Label Studio with
    --ledger and --project (several reviewers of one item go through consensus). Writes
    AUDIT_DIR/verified.json and adds the verified estimate to AUDIT_DIR/report.html.
    """
    import json

    import pandas as pd

    from dataqa.audit.core import _json_default
    from dataqa.audit.review import estimate_error_rate

    if (reviews is None) == (ledger is None):
        raise InvalidSettingError("give either --reviews FILE or --ledger FILE --project NAME.")
    if ledger is not None and not project:
        raise InvalidSettingError("--ledger needs --project NAME (the project of the verify queue).")
    if reviews is not None and not reviews.is_file():
        raise InvalidSettingError(f"--reviews {str(reviews)!r} does not exist.")
    result = _load(audit_dir)
    if result.review_plan is None:
        raise InvalidSettingError(
            f"{str(audit_dir)!r} has no review_plan.csv; run `dataqa review plan "
            f"{audit_dir} --budget N` first and review its items.")
    if reviews is not None:
        from dataqa.data import load_table

        frame = load_table(reviews, string_columns=["id", "verified_label"])
    else:
        frame = _reviews_from_ledger(result, ledger, project, url)
    v = estimate_error_rate(result, frame, confidence=confidence)
    result.verified = v
    (audit_dir / "verified.json").write_text(json.dumps(v.to_dict(), indent=2,
                                                        default=_json_default))
    result.to_html(audit_dir / "report.html")
    (audit_dir / "summary.json").write_text(json.dumps(result.summary_json(), indent=2,
                                                       default=_json_default))
    pd.options.display.width = 120
    console.print(f"verified label-error rate: [bold]{v}[/]", highlight=False)
    if v.flag_precision is not None:
        console.print(f"  precision of the flags: {v.flag_precision}", highlight=False)
    if v.missed_errors is not None:
        console.print(f"  label errors among unflagged items: "
                      f"{v.missed_errors.format('{:.0f}')}", highlight=False)
    if v.n_reviewed < v.n_planned:
        console.print(f"  {v.n_planned - v.n_reviewed} planned items not reviewed yet: the "
                      f"interval is wider than the full plan's", highlight=False)
    console.print(f"  written: {audit_dir / 'verified.json'}, {audit_dir / 'report.html'}",
                  highlight=False)
