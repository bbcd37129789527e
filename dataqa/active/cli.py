"""``dataqa al``: active-learning rounds kept in a ledger (init, next, label, status)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

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
    formulas_as_text,
    handle_errors,
    print_table,
    read_options,
    write_csv_atomic,
)
from dataqa._progress import progress_stage
from dataqa.errors import InvalidSettingError

__all__ = ["register", "al_app"]

#: Seconds a step must take for its line to be printed where stderr is no terminal (on a
#: terminal a spinner shows every step while it runs).
_PLAIN_AFTER = 3.0

al_app = typer.Typer(
    name="al",
    help="Active learning: pick what to label next, record labels, track rounds in a ledger.",
    no_args_is_help=True,
)


def _fmt(v: object, spec: str = ".3f") -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    return format(v, spec) if isinstance(v, float) else str(v)


def _ledger_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"),
            path.with_name(path.name + "-journal")]


@al_app.command("init")
@handle_errors
def init_command(
    data: Path = typer.Argument(..., help="CSV, TSV, Parquet, JSONL or JSON file of items (or a folder "
                                          "or quoted glob pattern of such files, read as one "
                                          "table)."),
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
    classes: str | None = typer.Option(
        None, "--classes", help="Comma-separated classes to declare beyond those in the label column."),
    force: bool = typer.Option(
        False, "--force", help="Replace the ledger's earlier setup when this one builds features "
                               "differently (another text, feature or id column)."),
    format: str | None = FORMAT_OPT,
    sep: str | None = SEP_OPT,
    no_header: bool = NO_HEADER_OPT,
    columns: str | None = COLUMNS_OPT,
    encoding: str | None = ENCODING_OPT,
    decimal: str | None = DECIMAL_OPT,
    thousands: str | None = THOUSANDS_OPT,
) -> None:
    """Load a table of items (and any known labels) into a ledger.

    Running it again on the same ledger with the same setup adds new items and labels
    (a given label the table changed is recorded, with a note; a blank cell keeps the
    given label recorded before, and an item's changed content is not recorded: notes name
    them); a setup that builds features differently is refused unless
    --force.
    """
    from dataqa.active.store import store_table
    from dataqa.ledger import Ledger

    opts = read_options(format, sep, no_header, columns, encoding, decimal, thousands)
    declared = None if classes is None else [c.strip() for c in classes.split(",") if c.strip()]
    existed = ledger.exists()
    led = res = None
    try:
        led = Ledger(ledger)  # inside: an interrupt while a new one is made removes it
        res = store_table(led, data, label_column=label_column, text_column=text_column,
                          id_column=id_column, feature_columns=feature_column or None,
                          split_column=split_column, classes=declared, force=force,
                          read_options=opts)
        total = led.summary()
    except KeyboardInterrupt as exc:  # Ctrl-C: say what the ledger holds
        if led is not None:
            led.close()
        if res is not None:  # written (one transaction): the ledger is kept
            exc.dataqa_note = _init_written_note(ledger, res)
        elif not existed:
            for f in _ledger_files(ledger):
                f.unlink(missing_ok=True)
            exc.dataqa_note = (f"nothing was written: no ledger {ledger} was left behind; "
                               f"run the command again.")
        else:
            exc.dataqa_note = (f"the table is written to {ledger} in one transaction, so the "
                               f"ledger holds all of it or none of it; running the same command "
                               f"again is safe: it adds nothing twice.")
        raise
    except BaseException:
        if led is not None:
            led.close()
        if not existed:  # a refused table leaves no new ledger behind
            for f in _ledger_files(ledger):
                f.unlink(missing_ok=True)
        raise
    led.close()
    try:
        _print_init_result(res, total, ledger, text_column)
    except KeyboardInterrupt as exc:
        exc.dataqa_note = _init_written_note(ledger, res)
        raise


def _init_written_note(ledger: Path, res: dict) -> str:
    """What an interrupted ``al init`` says once its table was written."""
    return (f"the table had been written to {ledger} ({res['items']} new items, "
            f"{res['labels']} given labels added); running the same command again is safe: "
            f"it adds nothing twice.")


def _print_init_result(res: dict, total: dict, ledger: Path, text_column: str | None) -> None:
    """Print what ``al init`` wrote (and the notes on it)."""
    from dataqa.errors import format_ids

    if res["replaced"]:
        console.print(f"--force: replaced the ledger's setup ({res['replaced']}) and the "
                      f"stored content of its items.", highlight=False)
    if res.get("empty_columns"):
        err_console.print(f"note: column(s) {', '.join(map(repr, res['empty_columns']))} hold "
                          f"no value and are left out of the features.", highlight=False)
    if res["analyzer"] == "char":
        err_console.print(f"note: column {text_column!r} holds no words; its features are "
                      f"character n-grams.", highlight=False)
    console.print(f"{res['n']} rows read: [bold]{res['items']}[/] new items, "
                  f"[bold]{res['labels']}[/] given labels added; the ledger holds "
                  f"{total['items']} items, {total['labeled_items']} labeled.", highlight=False)
    if res.get("empty_texts"):
        blank = res["empty_texts"]
        err_console.print(f"note: {len(blank)} item(s) have no text in column {text_column!r} "
                          f"({format_ids(blank, 5)}); they stay in the pool, but with no word "
                          f"to tell them apart the model sees them all as one item: write "
                          f"their text, or leave those rows out of the table.", highlight=False)
    if res["adopted"]:
        err_console.print(f"note: the ledger already held {len(res['adopted'])} item(s) that are "
                      f"not in this table ({format_ids(res['adopted'], 5)}), e.g. pushed with "
                      f"`dataqa ls push --from`; they are part of the pool now. Use another "
                      f"--ledger to keep them apart.", highlight=False)
    if res.get("adopted_without_content"):
        lacking = res["adopted_without_content"]
        what = f"column {text_column!r}" if text_column else "the feature columns"
        err_console.print(f"warning: {len(lacking)} of them ({format_ids(lacking, 5)}) have no "
                      f"stored value of {what}, so `dataqa al next` cannot score them: add "
                      f"their rows to the table and run `dataqa al init` again.",
                      highlight=False)
    if res["changed_labels"]:
        err_console.print(f"note: {len(res['changed_labels'])} item(s) already in the ledger have "
                      f"another given label in this table "
                      f"({format_ids(res['changed_labels'], 5)}); the new label is recorded "
                      f"and is the given label now (the earlier one stays in the history).",
                      highlight=False)
    if res.get("cleared_labels"):
        err_console.print(f"note: {len(res['cleared_labels'])} item(s) have a given label in the "
                      f"ledger but a blank cell in this table "
                      f"({format_ids(res['cleared_labels'], 5)}); their given label is kept "
                      f"(a blank cell takes no label away). To correct one, record the right "
                      f"label with `dataqa al label FILE --ledger {ledger} --source reviewed` "
                      f"(out_of_scope marks an item outside the task).", highlight=False)
    if res["changed_content"]:
        err_console.print(f"note: {len(res['changed_content'])} item(s) already in the ledger have "
                      f"other content in this table ({format_ids(res['changed_content'], 5)}); "
                      f"their stored content is kept, since an id stands for one item. Give "
                      f"edited items new ids to add them as new items.", highlight=False)


def _nothing_picked(message: str, open_round: dict | None) -> str:
    """``message``, whose end says no round was picked, saying instead that the round
    still open stays so when there is one (no new round is picked while one is open)."""
    if open_round is None or not message.endswith("; no round was picked."):
        return message
    return (message[:-len("; no round was picked.")]
            + f"; round {open_round['round']} stays open and nothing was pushed.")


def _push_class_names(led, project: str | None, classes: str | None) -> list[str]:
    """The class names a pushed batch is labeled with: ``--classes``, else those recorded
    for the project, else the ledger's classes. Checked before a round is picked, so a
    refused push records no round."""
    from dataqa.active.labels import ledger_classes
    from dataqa.labelstudio import project_state

    if not project:
        raise InvalidSettingError("--push needs --project NAME (the Label Studio project).")
    if classes:
        names = [c.strip() for c in classes.split(",") if c.strip()]
    else:
        names = project_state(led, project).get("class_names")
        if names is None:
            names = [str(c) for c in ledger_classes(led)[0]]
    if len(names) < 2 and classes:
        raise InvalidSettingError(
            f"--classes {classes!r} names {len(names)} class{'' if len(names) == 1 else 'es'}; "
            f"give at least two, comma-separated (--classes a,b,...); no round was picked.")
    if len(names) < 2:
        raise InvalidSettingError(
            f"cannot tell the classes for project {project!r} (the ledger has "
            f"{len(names)} class{'' if len(names) == 1 else 'es'} and the project none "
            f"recorded); pass --classes a,b,... (at least two); no round was picked.")
    from dataqa.labelstudio.config import _check_classes

    try:  # (names Label Studio would show otherwise)
        _check_classes(names)
    except InvalidSettingError as exc:
        raise InvalidSettingError(f"{exc} No round was picked.") from None
    return names


def _push_batch(batch, *, led, project: str | None, classes: str | None,
                url: str | None, timeout: float, model_name: str | None = None) -> None:
    """Send a batch to Label Studio as an ``active`` queue, with predictions as pre-annotations.

    Class names: ``--classes``, else those recorded for the project, else the ledger's
    classes (declared by ``al init`` plus those labeled; numbers in numeric order).
    A prediction is shown as the class of that name, or, for numbered predictions under
    other names, as the name at that position.
    """
    from dataqa.labelstudio import push_queue
    from dataqa.labelstudio.printing import print_push_report

    names = _push_class_names(led, project, classes)
    items = batch[["id"]].copy()
    if "text" in batch.columns and batch["text"].astype(str).str.len().gt(0).any():
        items["text"] = batch["text"].astype(str)
    else:
        feats = led.item_data(batch["id"].tolist())
        rows = [feats[i].get("features", []) for i in batch["id"]]
        for j in range(len(rows[0]) if rows else 0):
            items[f"f{j}"] = [r[j] for r in rows]
    import pandas as pd

    def shown(v):
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return None  # no model yet (a cold start): nothing pre-selected
        if str(v) in names:
            return str(v)
        if str(v).lstrip("-").isdigit() and 0 <= int(v) < len(names):
            return names[int(v)]
        return str(v)

    items["prediction"] = [shown(v) for v in batch["prediction"]]
    items["score"] = batch["score"].astype(float).to_numpy()
    if "probability" in batch.columns and batch["probability"].notna().all():
        items["probability"] = batch["probability"].astype(float).to_numpy()
    report = push_queue(items, project=project, class_names=names, ledger=led, queue="active",
                        url=url, progress=None, timeout=timeout, model_name=model_name)
    print_push_report(report)


def _strategy_settings(strategy: str, k: int | None) -> dict:
    if k is None:
        return {}
    if k < 1:
        raise InvalidSettingError(f"--k {k} must be at least 1 (the neighbour whose distance "
                                  f"is the kNN score).")
    if strategy == "ood:knn":
        return {"k": k}
    if strategy == "hybrid":
        return {"ood_settings": {"k": k}}
    raise InvalidSettingError(f"--k applies to the kNN acquisitions (ood:knn, hybrid), not "
                              f"--strategy {strategy}; leave --k out.")


def _round_options(info: dict) -> dict:
    """The ``al next`` options a round was picked with (from its recorded settings)."""
    st = info.get("settings") or {}
    req = st.get("settings") or {}
    k = req.get("k", (req.get("ood_settings") or {}).get("k"))
    return {"--strategy": st.get("strategy", info.get("strategy")),
            "--batch": st.get("batch_size"), "--selector": st.get("selector"),
            "--seed": st.get("random_state"), "--k": k}


def _round_title(info: dict, n: int, missing: int | None = None) -> str:
    st = info.get("settings") or {}
    how = str(info["strategy"])
    if st.get("cold_start"):
        how += f": cold start, {st.get('strategy')} once two classes are labeled"
    state = "" if missing is None else f", still open: {missing} to label or skip"
    return f"round {info['round']}: {n} items ({how}{state})"


@al_app.command("next")
@handle_errors
def next_command(
    ledger: Path = typer.Option(..., "--ledger", help="Ledger file made by `dataqa al init`."),
    batch: int | None = typer.Option(None, "--batch", help="How many items to pick (default 10)."),
    strategy: str | None = typer.Option(
        None, "--strategy", help="Acquisition (default hybrid): random, uncertainty, margin, "
                                 "entropy, hybrid, ood:<method>."),
    selector: str | None = typer.Option(
        None, "--selector", help="Batch selector (default topk): topk, ranked_batch, class_balanced."),
    seed: int | None = typer.Option(None, "--seed", help="Random state of the round (default 0)."),
    k: int | None = typer.Option(
        None, "--k", help="Neighbour count of kNN scores (ood:knn, hybrid); default: one "
                          "per 1,000 labeled in-scope items for ood:knn (at least 1, at most "
                          "50: 1 below 2,000 labels), 1 for hybrid."),
    out: Path | None = typer.Option(None, "--out", help="Write the batch to this CSV (missing folders are created)."),
    push: bool = typer.Option(False, "--push", help="Send the batch to Label Studio "
                                                    "(API key from $LABEL_STUDIO_API_KEY)."),
    project: str | None = typer.Option(None, "--project", help="Label Studio project for --push."),
    classes: str | None = typer.Option(None, "--classes",
                                       help="Comma-separated class names for --push "
                                            "(default: recorded for the project, else the ledger's labels)."),
    url: str | None = typer.Option(None, "--url", help="Label Studio address for --push "
                                                       "(default $LABEL_STUDIO_URL, else http://127.0.0.1:8089)."),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait for each answer of "
                                                          "Label Studio with --push."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines."),
) -> None:
    """Pick the next batch to label and record it as a round.

    While the latest round is open (items neither labeled nor skipped), it is shown again
    as it was picked; options that would pick it differently are refused.
    """
    from dataqa.active.session import LabelingSession, open_round_in
    from dataqa.ledger import Ledger

    if push and not project:
        raise InvalidSettingError("--push needs --project NAME (the Label Studio project).")
    if out is not None:
        check_out_file(out)
    if push:  # before a round is picked and recorded: the classes, the key and the server
        from dataqa.active.labels import ledger_classes
        from dataqa.active.session import open_round_in
        from dataqa.labelstudio import LabelStudioClient

        with Ledger(ledger, create=False) as led:
            was_open = open_round_in(led)
            try:
                names = _push_class_names(led, project, classes)
            except InvalidSettingError as exc:
                raise InvalidSettingError(_nothing_picked(str(exc), was_open)) from None
            own = [str(c) for c in ledger_classes(led)[0]]
        # numbered classes are shown by position; named ones must be among the names
        numbered = all(c.lstrip("-").isdigit() for c in own)
        if not numbered and not set(own) <= set(names):
            raise InvalidSettingError(_nothing_picked(
                f"the ledger's classes {own!r} are not all among the classes of the push "
                f"{names!r}, so the model's predictions could not be shown; give --classes "
                f"{','.join(own)} (a project with these classes); no round was picked.",
                was_open))
        with LabelStudioClient(url, timeout=timeout) as client:
            client.check()
            found = client.find_project(project)
        if found is not None:  # an existing project must have these classes
            from dataqa.errors import LabelStudioProjectError
            from dataqa.labelstudio import config_classes

            have = config_classes(found.get("label_config", ""))
            if have[:len(names)] != names:  # (classes added after them: kept)
                fix = (f"pass --classes {','.join(have)} if they are the ledger's classes "
                       f"in this order, or use another project" if numbered else
                       f"use a project with the classes {','.join(names)}")
                raise LabelStudioProjectError(_nothing_picked(
                    f"project {found['title']!r} (id {found['id']}) has classes {have!r}, not "
                    f"{names!r}; {fix}; no round was picked.", was_open))
    asked = {"--strategy": strategy, "--batch": batch, "--selector": selector, "--seed": seed,
             "--k": k}
    strategy_ = strategy or "hybrid"
    if strategy is not None:  # a misspelt name is named as such, open round or not
        from dataqa.active.acquisition import get_acquisition

        get_acquisition(strategy)
    if selector is not None:  # the same for a misspelt selector
        from dataqa.active.selectors import get_selector

        get_selector(selector)
    if batch is not None and batch < 1:
        raise InvalidSettingError(f"--batch {batch} must be at least 1.")
    settings = _strategy_settings(strategy_, k)
    state: dict = {}
    try:
        with Ledger(ledger, create=False) as led:
            current = open_round_in(led)
            if current is not None:
                was = _round_options(current)
                differ = [f"{opt} {val}" for opt, val in asked.items()
                          if val is not None and val != was[opt]]
                if differ:
                    how = " ".join(f"{o} {v}" for o, v in was.items() if v is not None)
                    raise InvalidSettingError(
                        f"round {current['round']} is still open ({len(current['missing'])} of "
                        f"{current['n_batch']} items to label or skip; picked with {how}); "
                        f"finish it with `dataqa al label` before asking for {' '.join(differ)}, "
                        f"or run `dataqa al next` without them to see it again.")
            with progress_stage("reading the ledger's items", enabled=not quiet,
                                plain_after=_PLAIN_AFTER):
                session = LabelingSession.open(
                    led, strategy=strategy_, batch_size=10 if batch is None else batch,
                    random_state=0 if seed is None else seed, selector=selector or "topk",
                    strategy_settings=settings)
            with progress_stage("fitting the model and scoring the pool", enabled=not quiet,
                                plain_after=_PLAIN_AFTER):
                frame = session.next_batch()
            texts = led.item_data(frame["id"].tolist())
            out_of_scope: set = set()
            if current is not None:  # an open round shown again: its items answered out of scope
                from dataqa.active.labels import is_out_of_scope

                latest = led.latest_labels()
                mine = latest[latest["id"].astype(str).isin(set(frame["id"].astype(str)))]
                out_of_scope = set(mine.loc[is_out_of_scope(mine["label"]), "id"].astype(str))
            rid = int(frame["round"].iloc[0]) if len(frame) else None
            state["round"] = rid
            info = led.round_info(rid) if rid is not None else None
        frame = frame.assign(text=[texts[i].get("text", "") for i in frame["id"]])
        for note in getattr(session, "notes_", []):
            err_console.print(f"note: {note}", highlight=False)
        if current is not None:
            console.print(f"round {rid} is still open: {len(current['missing'])} of "
                          f"{len(frame)} items to label or skip; showing it again (scores as "
                          f"when it was picked, predictions of the model as it is now).",
                          highlight=False)
            missing, skipped = set(current["missing"]), set(current.get("skipped") or ())
            frame = frame.assign(status=["to label" if i in missing else
                                         "skipped" if i in skipped else
                                         "out of scope" if str(i) in out_of_scope else "labeled"
                                         for i in frame["id"]])
        title = (_round_title(info, len(frame), None if current is None else len(current["missing"]))
                 if info is not None else "no batch")
        table = Table(title=title)
        # a random round's scores are uniform draws that only order the batch: not a confidence
        random = info is not None and str(info.get("strategy")) == "random"
        # (items of numeric features have no text: no empty column for them)
        has_text = bool(frame["text"].astype(str).str.strip().ne("").any())
        shown = ("id", "random draw" if random else "score", "prediction",
                 *(("status",) if "status" in frame else ()), *(("text",) if has_text else ()))
        for col in shown:
            table.add_column(col, overflow="fold")
        for _, r in frame.iterrows():
            table.add_row(str(r["id"]), _fmt(float(r["score"]), ".4f"), _fmt(r["prediction"]),
                          *((str(r["status"]),) if "status" in frame else ()),
                          *((str(r["text"])[:80],) if has_text else ()))
        print_table(table)
        if out is not None:
            write_csv_atomic(formulas_as_text(frame, keep=("id", "label", "prediction")), out,
                             for_people=True)
            console.print(f"batch written to {out}", highlight=False)
        if push:
            with Ledger(ledger, create=False) as led:
                _push_batch(frame, led=led, project=project, classes=classes, url=url,
                            timeout=timeout, model_name=type(session.model_).__name__
                            if getattr(session, "model_", None) is not None else None)
    except KeyboardInterrupt as exc:  # Ctrl-C: say whether a round was picked
        said = getattr(exc, "dataqa_note", None)  # the push's own account comes first
        ours = _next_interrupted_note(state.get("round"), push)
        exc.dataqa_note = f"{said} {ours}" if said else ours
        raise


def _next_interrupted_note(rid: int | None, push: bool) -> str:
    """What an interrupted ``al next`` says: whether its round was recorded, and how to
    go on."""
    if rid is None:
        return ("run the same command again: a round recorded before the interrupt is "
                "shown again, not picked twice.")
    pushed = " and pushes it (items already in Label Studio are not made twice)" if push else ""
    return (f"round {rid} was recorded (its items picked); the same command run again shows "
            f"it again{pushed}: nothing is picked twice.")


@al_app.command("label")
@handle_errors
def label_command(
    file: Path = typer.Argument(..., help="CSV with columns id,label (optional annotator; a blank annotator cell records the label without one)."),
    ledger: Path = typer.Option(..., "--ledger", help="Ledger file."),
    source: str = typer.Option("human", "--source", help="Label source: human or reviewed."),
    new_class: list[str] | None = typer.Option(
        None, "--new-class", help="Add this class on purpose (repeat, or comma-separated: "
                                  "ham,spam); any other label outside the ledger's classes "
                                  "is refused, and a class no label of the file uses is not "
                                  "added."),
    id_column: str = typer.Option("id", "--id-column", help="Column of item ids."),
    label_column: str = typer.Option("label", "--label-column", help="Column of labels."),
    format: str | None = FORMAT_OPT,
    sep: str | None = SEP_OPT,
    no_header: bool = NO_HEADER_OPT,
    columns: str | None = COLUMNS_OPT,
    encoding: str | None = ENCODING_OPT,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines."),
) -> None:
    """Record labels from a CSV and retrain.

    A label must be one of the ledger's classes; -1 or out_of_scope marks an item out of
    scope, skip skips an item of the open round. The round stays open until every item
    of its batch is labeled or skipped.
    """
    import pandas as pd

    from dataqa.active.labels import check_record_source
    from dataqa.active.session import LabelingSession
    from dataqa.data import load_table
    from dataqa.errors import MissingColumnError, format_ids
    from dataqa.ledger import Ledger

    check_record_source(source)
    if not ledger.exists():  # before reading the file: name the ledger first
        Ledger(ledger, create=False)
    opts = read_options(format, sep, no_header, columns, encoding)
    df = load_table(file, string_columns=[id_column, "annotator"], text_columns=[label_column],
                    **opts)
    for col, role, flag in ((id_column, "id column", "--id-column"),
                            (label_column, "label column", "--label-column")):
        if col not in df.columns:
            hint, fix = f" Name the file's {role} with {flag}.", None
            if not no_header:  # a header that is an answer (the file has none)?
                with Ledger(ledger, create=False) as led:
                    held = set(led.items()["id"].astype(str))
                first = next((str(c) for c in df.columns if str(c).strip() in held), None)
                if first is not None:
                    names = "id,label" + ",annotator" * (len(df.columns) > 2)
                    hint, fix = "", (f"They look like a first answer ({first!r} is an "
                                     f"item of the ledger): if the file has no header "
                                     f"line, read it with --no-header --columns {names}.")
            raise MissingColumnError(col, [str(c) for c in df.columns], role=role,
                                     table=repr(str(file)), hint=hint, fix=fix)
    # the two columns (and the annotator) alone, under the names the rest reads: a file
    # may also hold other columns named id or label
    extra = (["annotator"] if "annotator" in df.columns
             and "annotator" not in (id_column, label_column) else [])
    df = df[[id_column, label_column, *extra]].set_axis(["id", "label", *extra], axis=1)
    # rows with neither an id nor a label (the empty ';;' lines a spreadsheet leaves below
    # the data) are not answers: dropped with a word
    no_id = df["id"].isna() | df["id"].astype(str).str.strip().eq("")
    # (a label of spaces is no label: it was refused as a class '' to add with --new-class)
    no_label = df["label"].isna() | df["label"].map(lambda v: isinstance(v, str)
                                                    and not v.strip())
    empty = no_id & no_label
    if empty.any():
        import warnings

        warnings.warn(f"{int(empty.sum())} row(s) of {file} have neither an id nor a label; "
                      f"they are left out.", UserWarning, stacklevel=2)
        df, no_id, no_label = df[~empty], no_id[~empty], no_label[~empty]
    first = 1 if no_header else 2  # file lines count from 1, after the header if any
    for lacking, what, fix in ((no_label, "label", "fill them (skip skips an item) or drop "
                                                   "them"),
                               (no_id, "id", "give each row the id of its item (an id "
                                             "column of the batch file), or drop them")):
        if lacking.any():
            rows = [str(int(r) + first) for r in df.index[lacking.to_numpy()][:3]]
            n = int(lacking.sum())
            raise InvalidSettingError(
                f"{n} {'row' if n == 1 else 'rows'} of {file} {'has' if n == 1 else 'have'} "
                f"no {what} (first at line {', '.join(rows)}); {fix}.")
    where = repr(str(file))
    from dataqa.active.labels import split_class_names, unused_classes

    new_class = split_class_names(new_class or [])
    recorded = []  # (set once the file's labels are committed)
    try:
        with Ledger(ledger, create=False) as led:
            _check_first_classes(led, df["label"].tolist(), new_class, where)
            with progress_stage("reading the ledger's items", enabled=not quiet,
                                plain_after=_PLAIN_AFTER):
                session = LabelingSession.open(led)
            ids = df["id"].astype(str).tolist()
            labels = df["label"].tolist()
            waiting = session.open_round()
            with led.transaction():  # all of the file, or nothing
                if "annotator" in df.columns:  # one check over the whole file first
                    from dataqa.active.labels import normalize_new_labels

                    values, _, kind = normalize_new_labels(led, ids, labels,
                                                           new_classes=new_class, where=where)
                    # a blank annotator cell is a label without an annotator, as in a file
                    # without the column (it is recorded, not dropped)
                    who_of = [None if pd.isna(w) or not str(w).strip() else str(w).strip()
                              for w in df["annotator"]]
                    # annotators may disagree (their labels go to the vote); one annotator
                    # may not give one item two labels
                    seen: dict[tuple, object] = {}
                    clash = [i for i, who, v in zip(ids, who_of, values, strict=True)
                             if seen.setdefault((i, who), v) != v]
                    if clash:
                        raise InvalidSettingError(
                            f"{len(set(clash))} id(s) have different labels from one annotator in "
                            f"{where}: {format_ids(list(dict.fromkeys(clash)))}; keep one label "
                            f"per id and annotator (different annotators may disagree: their "
                            f"labels are put to a vote).")
                    n, notes = 0, []
                    unused = unused_classes(new_class, values, kind)
                    if unused:  # said once for the file; each annotator's part gets the rest
                        from dataqa.active.labels import describe_classes

                        notes.append(f"new class(es) {describe_classes(unused)} are used by no "
                                     f"label in {where}; not added (a class is added with the "
                                     f"first label that uses it).")
                    for who in dict.fromkeys(who_of):
                        mine = [v for v, w in zip(values, who_of, strict=True) if w == who]
                        part = df[[w == who for w in who_of]]
                        n += session.record_labels(
                            part["id"].astype(str), part["label"].tolist(), source=source,
                            annotator=who, where=where,
                            new_classes=[c for c in new_class if c not in unused
                                         and not unused_classes([c], mine, kind)])
                        notes += session.notes_
                else:
                    n = session.record_labels(ids, labels, source=source,
                                              new_classes=new_class, where=where)
                    notes = list(session.notes_)
                with progress_stage("retraining the model", enabled=not quiet,
                                plain_after=_PLAIN_AFTER):
                    metrics = session.retrain()
                from dataqa.active.session import dev_drop_warning

                dropped = dev_drop_warning(session.ledger, metrics)
            recorded.append(True)
    except KeyboardInterrupt as exc:  # Ctrl-C: the file's labels are written all at once
        exc.dataqa_note = (
            "its labels were recorded (and the model retrained); the same command run again "
            "says they are already recorded." if recorded else
            f"nothing of {where} was recorded (its labels are written all at once, with "
            f"the retrain); run the same command again.")
        raise
    # (items of the round's batch labeled before, a file given twice: no such note)
    # (ids with white space around them are recorded as the ledger's ids without it)
    if waiting is not None and not (set(ids) | {i.strip() for i in ids}) & set(
            waiting["batch_ids"]):
        notes = [*notes, f"none of the {len(set(ids))} items of {where} was waiting in the "
                         f"open round {waiting['round']} (its {len(waiting['missing'])} "
                         f"waiting items: {format_ids(waiting['missing'])}); was the file "
                         f"meant for another ledger?"]
    for note in notes:
        err_console.print(f"note: {note}", highlight=False)
    acc = metrics["dev_accuracy"]
    dev = "no dev labels" if acc is None else (
        f"dev accuracy {acc:.3f} (95% interval {metrics['dev_low']:.3f}-"
        f"{metrics['dev_high']:.3f}, n={metrics['n_dev']})")
    from dataqa.active.session import below_majority_warning, one_class_warning

    collapsed = one_class_warning(metrics)
    if collapsed:
        err_console.print(f"warning: {collapsed}", highlight=False)
    below = below_majority_warning(metrics)
    if below and not dropped:
        err_console.print(f"warning: {below}", highlight=False)
    if dropped:
        err_console.print(f"warning: {dropped}", highlight=False)
    console.print(f"{n} label{'' if n == 1 else 's'} recorded; {metrics['n_labeled']} labeled items "
                  f"({metrics['n_out_of_scope']} out of scope); {dev}", highlight=False)
    if metrics["round_open"]:
        miss = metrics["missing"]
        console.print(f"round {metrics['round']} stays open: {len(miss)} item(s) still need a "
                      f"label or skip: {format_ids(miss)}", highlight=False)
    elif metrics.get("round") is not None:
        console.print(f"round {metrics['round']} is complete: `dataqa al next` picks the next "
                      f"batch", highlight=False)


def _check_first_classes(led, labels: list, new_class: list, where: str) -> None:
    """Refuse a first label file that would define the classes of a ledger that has none
    (no given label, no ``al init --classes``): a typo would become a class, and the right
    spelling be refused later. Naming the classes with ``--new-class`` goes through."""
    from dataqa.active.labels import (
        OUT_OF_SCOPE_LABELS,
        SKIP_LABEL,
        _canonical,
        _int_like,
        ledger_classes,
    )
    from dataqa.errors import LabelError

    if ledger_classes(led)[1] is not None:
        return
    def key(v):  # a class number however written (1, 1.0, "1"), else the name
        number = _int_like(v)
        return str(v).strip() if number is None else str(number)

    declared = {key(c) for c in new_class}
    seen = list(dict.fromkeys(
        key(v) for v in labels
        if v not in OUT_OF_SCOPE_LABELS and _canonical(str(v)) not in OUT_OF_SCOPE_LABELS
        and str(v).strip().lower() != SKIP_LABEL))
    missing = [v for v in seen if v not in declared]
    if missing:
        flags = " ".join(f"--new-class {v!r}" if " " in v else f"--new-class {v}"
                         for v in seen)
        raise LabelError(
            f"the ledger has no classes yet, so the labels of {where} would define them: "
            f"{', '.join(map(repr, seen[:20]))}{' ...' if len(seen) > 20 else ''}. Check them "
            f"for typos, then add them on purpose: {flags} (or declare them with `dataqa al "
            f"init ... --classes`); nothing was recorded.")


@al_app.command("status")
@handle_errors
def status_command(
    ledger: Path = typer.Option(..., "--ledger", help="Ledger file."),
) -> None:
    """Show the rounds so far, what the open round still misses, and what the ledger holds
    (its queues, and how many of their items have a Label Studio task)."""
    from dataqa.active.session import CONFIG_KEY, open_round_in
    from dataqa.errors import format_ids
    from dataqa.ledger import Ledger

    with Ledger(ledger, create=False) as led:
        rounds = led.rounds()
        summary = led.summary()
        set_up = led.get_state(CONFIG_KEY) is not None
        current = open_round_in(led)
        dev = set(led.items(split="dev")["id"])
        n_dev_labeled = len(dev & set(led.latest_labels()["id"])) if dev else 0
        queues = []
        waiting = set(current["missing"]) if current is not None else set()
        round_projects: list[str] = []  # projects the open round's waiting items went to
        for q in led.queues().itertuples(index=False):
            project = q.project if isinstance(q.project, str) and q.project else None
            # the queue's items with a task in its project (pushed with this queue or another)
            held = set(led.task_ids(project=project)) if project else set()
            tasks = len(set(led.queue_items(q.name)) & held)
            if q.kind == "active" and waiting & held:
                round_projects.append(project)
            queues.append((q.name, q.kind, project, int(q.n_items), tasks,
                           len(led.pending_items(q.name))))
    dev_part = f" ({n_dev_labeled} of them dev items)" if n_dev_labeled else ""
    table = Table(title=f"{ledger}: {summary['items']} items, {summary['labeled_items']} "
                        f"labeled{dev_part}")
    # per round, the pool's items labeled so far (dev items left out), out-of-scope ones in
    for col in ("round", "strategy", "batch", "labeled (pool)", "of them out of scope",
                "dev accuracy", "95% interval", "finished"):
        table.add_column(col)
    for _, r in rounds.iterrows():
        m = r["metrics"] if isinstance(r["metrics"], dict) else {}
        acc = m.get("dev_accuracy")
        interval = "-" if acc is None else f"{m['dev_low']:.3f}-{m['dev_high']:.3f}"
        if isinstance(r["finished_at"], str):
            state = str(r["finished_at"])[:19]
        elif current is not None and current["round"] == r["round"]:
            state = f"open: {len(current['missing'])} missing"
        elif current is None and r["round"] == rounds["round"].max():
            state = "labeled; the next `al next` closes it"  # every item labeled or skipped
        else:
            state = "open"
        table.add_row(str(r["round"]), str(r["strategy"]), str(r["n_batch"]),
                      _fmt(m.get("n_labeled")), _fmt(m.get("n_out_of_scope")), _fmt(acc),
                      interval, state)
    if len(rounds):
        print_table(table)
    elif not set_up and not summary["items"]:  # a first `al init` killed before it wrote
        console.print(f"{table.title}; not set up for active learning (no `al init` has "
                      f"finished on it: an interrupted first run leaves it so): run `dataqa "
                      f"al init DATA --ledger {ledger} ...` again", highlight=False)
    else:  # an empty table says nothing
        console.print(f"{table.title}; no active-learning round yet: `dataqa al next "
                      f"--ledger {ledger}` picks the first batch", highlight=False)
    if len(rounds):
        from dataqa.active.session import one_class_warning

        last = rounds.iloc[-1]["metrics"]
        collapsed = one_class_warning(last) if isinstance(last, dict) else None
        if collapsed:
            err_console.print(f"warning: in round {rounds.iloc[-1]['round']}, {collapsed}",
                              highlight=False)
    for name, kind, project, n_items, tasks, pending in queues:
        where = (f"project {project!r}: {tasks} with a task in Label Studio, {pending} not "
                 f"pushed yet" if project else "not pushed")
        console.print(f"queue {name!r} ({kind}): {n_items} item{'s' if n_items != 1 else ''}; "
                      f"{where}", highlight=False)
    if current is not None:
        console.print(f"round {current['round']} is open: {len(current['missing'])} of "
                      f"{current['n_batch']} items still need a label or skip: "
                      f"{format_ids(current['missing'], 10)}", highlight=False)
        pushed = sorted(set(round_projects))
        if pushed:  # answers given in Label Studio count once pulled
            console.print(f"  (answers and Skips given in Label Studio count once pulled: "
                          f"`dataqa ls pull --ledger ... --project {pushed[-1]!r}`)",
                          highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``al`` sub-command group to the ``dataqa`` app."""
    app.add_typer(al_app, name="al")
