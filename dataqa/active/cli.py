"""``dataqa al``: active-learning rounds kept in a ledger (init, next, label, status)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from dataqa._cli_utils import console, handle_errors
from dataqa.errors import InvalidSettingError

__all__ = ["register", "al_app"]

al_app = typer.Typer(
    name="al",
    help="Active learning: pick what to label next, record labels, track rounds in a ledger.",
    no_args_is_help=True,
)


def _fmt(v: object, spec: str = ".3f") -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    return format(v, spec) if isinstance(v, float) else str(v)


@al_app.command("init")
@handle_errors
def init_command(
    data: Path = typer.Argument(..., help="CSV, TSV, Parquet or JSONL file of items."),
    ledger: Path = typer.Option(..., "--ledger", help="Ledger file (created when missing)."),
    label_column: str | None = typer.Option(
        None, "--label-column", help="Column of known labels; empty cells are unlabeled."),
    text_column: str | None = typer.Option(None, "--text-column",
                                           help="Text column (TF-IDF features)."),
    id_column: str | None = typer.Option(None, "--id-column",
                                         help="Unique id column (default: content hash)."),
    feature_column: list[str] | None = typer.Option(
        None, "--feature-column", help="Numeric feature column (repeat); default all numeric."),
    split_column: str | None = typer.Option(
        None, "--split-column", help="Column naming each item's split; 'dev' items measure accuracy."),
) -> None:
    """Load a table of items (and any known labels) into a ledger."""
    from dataqa.active.session import store_table
    from dataqa.ledger import Ledger

    with Ledger(ledger) as led:
        res = store_table(led, data, label_column=label_column, text_column=text_column,
                          id_column=id_column, feature_columns=feature_column or None,
                          split_column=split_column)
        total = led.summary()
    console.print(f"{res['n']} rows read: [bold]{res['items']}[/] new items, "
                  f"[bold]{res['labels']}[/] given labels added; the ledger holds "
                  f"{total['items']} items, {total['labeled_items']} labeled.", highlight=False)


def _push_batch(batch, *, led, project: str | None, classes: str | None,
                url: str | None) -> None:
    """Send a batch to Label Studio as an ``active`` queue, with predictions as pre-annotations.

    Class names: ``--classes``, else those recorded for the project, else the distinct
    labels in the ledger (sorted, out-of-scope markers left out).
    """
    from dataqa.active.session import OUT_OF_SCOPE_LABELS
    from dataqa.labelstudio import push_queue
    from dataqa.labelstudio.cli import print_push_report

    if not project:
        raise InvalidSettingError("--push needs --project NAME (the Label Studio project).")
    if classes:
        names = [c.strip() for c in classes.split(",") if c.strip()]
    else:
        names = (led.get_state(f"labelstudio/{project}") or {}).get("class_names")
        if names is None:
            labels = led.latest_labels()["label"].astype(str)
            names = sorted(set(labels) - {str(v) for v in OUT_OF_SCOPE_LABELS})
    if len(names) < 2:
        raise InvalidSettingError(
            f"cannot tell the classes for project {project!r}; pass --classes a,b,...")
    items = batch[["id"]].copy()
    if "text" in batch.columns and batch["text"].astype(str).str.len().gt(0).any():
        items["text"] = batch["text"].astype(str)
    else:
        feats = led.item_data(batch["id"].tolist())
        rows = [feats[i].get("features", []) for i in batch["id"]]
        for j in range(len(rows[0]) if rows else 0):
            items[f"f{j}"] = [r[j] for r in rows]
    pred = batch["prediction"]
    items["prediction"] = [names[int(v)] if str(v).lstrip("-").isdigit() and 0 <= int(v) < len(names)
                           else str(v) for v in pred]
    items["score"] = batch["score"].astype(float).to_numpy()
    report = push_queue(items, project=project, class_names=names, ledger=led, queue="active",
                        url=url, progress=None)
    print_push_report(report)


@al_app.command("next")
@handle_errors
def next_command(
    ledger: Path = typer.Option(..., "--ledger", help="Ledger file made by `dataqa al init`."),
    batch: int = typer.Option(10, "--batch", help="How many items to pick."),
    strategy: str = typer.Option("hybrid", "--strategy",
                                 help="Acquisition: random, uncertainty, margin, entropy, "
                                      "hybrid, ood:<method>."),
    selector: str = typer.Option("topk", "--selector",
                                 help="Batch selector: topk, ranked_batch, class_balanced."),
    seed: int = typer.Option(0, "--seed", help="Random state of the round."),
    out: Path | None = typer.Option(None, "--out", help="Write the batch to this CSV."),
    push: bool = typer.Option(False, "--push", help="Send the batch to Label Studio "
                                                    "(API key from $LABEL_STUDIO_API_KEY)."),
    project: str | None = typer.Option(None, "--project", help="Label Studio project for --push."),
    classes: str | None = typer.Option(None, "--classes",
                                       help="Comma-separated class names for --push "
                                            "(default: recorded for the project, else the ledger's labels)."),
    url: str | None = typer.Option(None, "--url", help="Label Studio address for --push "
                                                       "(default $LABEL_STUDIO_URL)."),
) -> None:
    """Pick the next batch to label and record it as a round (an open round is shown again)."""
    from dataqa.active.session import LabelingSession
    from dataqa.ledger import Ledger

    with Ledger(ledger) as led:
        session = LabelingSession.from_ledger(led, strategy=strategy, batch_size=batch,
                                              random_state=seed, selector=selector)
        if push and not project:
            raise InvalidSettingError("--push needs --project NAME (the Label Studio project).")
        frame = session.next_batch()
        texts = led.item_data(frame["id"].tolist())
    frame = frame.assign(text=[texts[i].get("text", "") for i in frame["id"]])
    rid = int(frame["round"].iloc[0]) if len(frame) else None
    table = Table(title=f"round {rid}: {len(frame)} items ({strategy})")
    for col in ("id", "score", "prediction", "text"):
        table.add_column(col, overflow="fold")
    for _, r in frame.iterrows():
        table.add_row(str(r["id"]), _fmt(float(r["score"]), ".4f"), _fmt(r["prediction"]),
                      str(r["text"])[:80])
    console.print(table)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out, index=False)
        console.print(f"batch written to {out}", highlight=False)
    if push:
        with Ledger(ledger) as led:
            _push_batch(frame, led=led, project=project, classes=classes, url=url)


@al_app.command("label")
@handle_errors
def label_command(
    file: Path = typer.Argument(..., help="CSV with columns id,label (optional annotator)."),
    ledger: Path = typer.Option(..., "--ledger", help="Ledger file."),
    source: str = typer.Option("human", "--source", help="Label source: human or reviewed."),
) -> None:
    """Record labels from a CSV (label -1 or out_of_scope = not part of the task) and retrain."""
    from dataqa.active.session import LabelingSession
    from dataqa.data import load_table
    from dataqa.errors import MissingColumnError
    from dataqa.ledger import Ledger

    df = load_table(file)
    for col in ("id", "label"):
        if col not in df.columns:
            raise MissingColumnError(col, [str(c) for c in df.columns], role="column")
    if df["label"].isna().any():
        raise InvalidSettingError(
            f"{int(df['label'].isna().sum())} rows of {file} have no label; fill or drop them.")
    with Ledger(ledger) as led:
        session = LabelingSession.from_ledger(led)
        annot = df["annotator"].astype(str).tolist() if "annotator" in df.columns else None
        if annot is None:
            n = session.record_labels(df["id"].astype(str), df["label"].tolist(), source=source)
        else:
            n = 0
            for who, part in df.groupby(df["annotator"].astype(str), sort=False):
                n += session.record_labels(part["id"].astype(str), part["label"].tolist(),
                                           source=source, annotator=who)
        metrics = session.retrain()
    acc = metrics["dev_accuracy"]
    dev = "no dev labels" if acc is None else (
        f"dev accuracy {acc:.3f} (95% interval {metrics['dev_low']:.3f}-"
        f"{metrics['dev_high']:.3f}, n={metrics['n_dev']})")
    console.print(f"{n} labels recorded; {metrics['n_labeled']} labeled items "
                  f"({metrics['n_out_of_scope']} out of scope); {dev}", highlight=False)


@al_app.command("status")
@handle_errors
def status_command(
    ledger: Path = typer.Option(..., "--ledger", help="Ledger file."),
) -> None:
    """Show the rounds so far and what the ledger holds."""
    from dataqa.ledger import Ledger

    with Ledger(ledger) as led:
        rounds = led.rounds()
        summary = led.summary()
    table = Table(title=f"{ledger}: {summary['items']} items, {summary['labeled_items']} labeled")
    for col in ("round", "strategy", "batch", "labeled", "out of scope", "dev accuracy",
                "95% interval", "finished"):
        table.add_column(col)
    for _, r in rounds.iterrows():
        m = r["metrics"] if isinstance(r["metrics"], dict) else {}
        acc = m.get("dev_accuracy")
        interval = "-" if acc is None else f"{m['dev_low']:.3f}-{m['dev_high']:.3f}"
        table.add_row(str(r["round"]), str(r["strategy"]), str(r["n_batch"]),
                      _fmt(m.get("n_labeled")), _fmt(m.get("n_out_of_scope")), _fmt(acc),
                      interval, str(r["finished_at"])[:19] if isinstance(r["finished_at"], str)
                      else "open")
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``al`` sub-command group to the ``dataqa`` app."""
    app.add_typer(al_app, name="al")
