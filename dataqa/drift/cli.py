"""``dataqa drift``: compare a current table with a reference table."""

from __future__ import annotations

from pathlib import Path

import typer

from dataqa._cli_utils import (
    _READING_FLAGS,
    COLUMNS_OPT,
    DECIMAL_OPT,
    ENCODING_OPT,
    FORMAT_OPT,
    NO_HEADER_OPT,
    SEP_OPT,
    THOUSANDS_OPT,
    check_out_dir,
    console,
    handle_errors,
    read_options,
    read_second_file,
    second_file_options,
)
from dataqa.errors import DataqaError, EmptyDataError, InvalidSettingError

__all__ = ["register"]

_REFERENCE_HINT = ("(This is the reference file, read with {given}: the reading options "
                   "apply to both files. If they were meant for the current file alone, "
                   "give them as --current-format, --current-sep, --current-no-header, "
                   "--current-columns, --current-encoding, --current-decimal or "
                   "--current-thousands.)")



def _say(text: str, **kwargs) -> None:
    """One line of the summary, never wrapped (a file or pipe gets 80 columns, and
    ``grep`` looks for the verdict on one line)."""
    console.print(text, soft_wrap=True, **kwargs)


def _check_project_classes(project, url, names, ref, label_column) -> None:
    """Refuse a push to an existing project whose classes are not the push's own (the
    names given, or the reference's labels as the push sends them), before the analysis."""
    from dataqa.errors import LabelStudioProjectError
    from dataqa.labelstudio import LabelStudioClient
    from dataqa.labelstudio.config import config_classes

    if label_column is not None and label_column in ref.columns:
        classes = _reference_classes(ref, label_column)
        if names is None:
            names = classes
        elif classes is not None:
            from dataqa.drift.push import check_class_names

            check_class_names(names, classes)
    if names is None:
        return  # the analysis names what is wrong with the labels
    from dataqa.labelstudio.config import _check_classes

    _check_classes(names)  # (names Label Studio would show otherwise)
    with LabelStudioClient(url) as client:
        info = client.find_project(project)
    if info is None:
        return
    have = config_classes(info.get("label_config", ""))
    if have[:len(names)] != names:  # (classes added after them in Label Studio: kept)
        raise LabelStudioProjectError(
            f"project {info['title']!r} (id {info['id']}) has classes {have!r}, not "
            f"{names!r}; use another project (--project) or the same class names in the same "
            f"order (--classes).")


def _reference_classes(ref, label_column) -> list[str] | None:
    """The reference's classes as the push sends them (None when its labels cannot be
    read: the analysis names why)."""
    import warnings

    from dataqa.data import _clean_text_labels, encode_labels

    with warnings.catch_warnings():  # (the analysis says them)
        warnings.simplefilter("ignore")
        try:
            labels = _clean_text_labels(ref[label_column], label_column, "the reference")
            return [str(n) for n in encode_labels(
                labels, column=label_column, purpose="estimating label shift and accuracy")[1]]
        except DataqaError:
            return None


def _needs_rows(exc):
    """An empty file's error, saying how many rows a drift check needs."""
    from dataqa.drift.detect import MIN_ROWS

    msg = str(exc).replace("give a table with at least one row",
                           f"a drift check needs at least {MIN_ROWS} rows in each table")
    return type(exc)(msg)


def _exclude(ref, cur, names: list[str], roles: dict):
    """The two tables without the columns ``names`` (each in at least one of them, and none
    a column another option names)."""
    from dataqa.errors import MissingColumnError

    for name in names:
        role = next((opt for opt, col in roles.items() if col == name), None)
        if role is not None:
            raise InvalidSettingError(f"--exclude-column {name} is the column of {role}; leave "
                                      f"one of the two out.")
        if name not in ref.columns and name not in cur.columns:
            both = [str(c) for c in ref.columns]
            both += [str(c) for c in cur.columns if str(c) not in both]
            raise MissingColumnError(name, both, role="--exclude-column",
                                     table="the reference table nor the current one")
    return (ref.drop(columns=[c for c in names if c in ref.columns]),
            cur.drop(columns=[c for c in names if c in cur.columns]))


def _print(result, paths) -> None:
    cols = result.columns
    from dataqa.drift.report import share_moved
    from dataqa.drift.report import verdict as _verdict

    kind, words = _verdict(result)
    if kind == "whole":  # (the CLI names the tests on their own lines below)
        words = "no column drifted, but the whole table did"
    colour = {"drift": "bold red", "whole": "bold yellow", "mix": "bold yellow",
              "none": "bold green"}[kind]
    verdict = f"[{colour}]{words}[/]"
    _say(f"{verdict}: {int(cols['drifted'].sum())} of {len(cols)} columns drifted "
                  f"({result.n_reference} reference rows, {result.n_current} current rows)")
    def _named(row) -> str:  # a missing-share row says what moved
        if str(row["test"]).startswith("fisher"):
            return (f"{row['column']} (missing: {row['missing_reference']:.1%} -> "
                    f"{row['missing_current']:.1%})")
        return str(row["column"])

    drifted = [_named(row) for _, row in cols.loc[cols["drifted"]].iterrows()]
    if drifted:
        _say("  drifted columns: " + ", ".join(drifted[:10])
             + (f" and {len(drifted) - 10} more" if len(drifted) > 10 else ""),
             highlight=False, markup=False)
    skipped = result.settings.get("skipped_columns") or {}
    if skipped:
        by_share = set(cols.loc[cols["kind"].isin(["time", "identifier"]), "column"])
        items = list(skipped.items())
        _say("  not compared by value: " + "; ".join(
            f"{c} ({why}{'; its missing share is compared' if c in by_share else ''})"
            for c, why in items[:10])
            + (f"; and {len(items) - 10} more (settings.skipped_columns in drift.json)"
               if len(items) > 10 else ""), highlight=False, markup=False)
    lists = result.settings.get("list_columns") or {}
    if lists:
        _say("  lists compared position by position: " + ", ".join(
            f"{c} ({k} positions: {c}[0] ... {c}[{k - 1}])" if k > 1 else f"{c} ({c}[0])"
            for c, k in lists.items()), highlight=False, markup=False)
    for name, v in result.multivariate.items():
        part = ""
        if v.get("reference_rows", result.n_reference) < result.n_reference:
            part = f" ({v['reference_rows']:,} of the {result.n_reference:,} reference rows)"
        elif v.get("current_rows", result.n_current) < result.n_current:
            part = f" ({v['current_rows']:,} of the {result.n_current:,} current rows)"
        flag = ": drifted" if v.get("drifted") else ""
        what = {"mmd": "MMD² (unbiased estimate)",
                "classifier": "AUROC (0.5 when the tables look alike)"}.get(name, "statistic")
        _say(f"  {name}: {what} {v['statistic']:.4g}, p = {v['p_value']:.3g}{part}{flag}",
             highlight=False)
    if result.estimated_accuracy is not None:
        a = result.estimated_accuracy
        _say(f"  estimated accuracy {a['estimate']:.3f} [{a['low']:.3f}, {a['high']:.3f}] "
                      f"(reference, out-of-fold: {a['reference_accuracy']:.3f})", highlight=False)
    if result.observed_accuracy is not None:
        from dataqa.drift.report import observed_accuracy_text

        _say(f"  {observed_accuracy_text(result)}", highlight=False, markup=False)
    if result.label_shift:
        shares = list(result.label_shift.items())

        _say("  class mix, estimate [interval] (reference share): " + "; ".join(
            f"{name}: {v['prior']:.2f} [{v['low']:.2f}, {v['high']:.2f}]"
            f"{'*' if share_moved(v) else ''} ({v['reference_prior']:.2f})" for name, v in shares[:6])
            + (f" and {len(shares) - 6} more classes" if len(shares) > 6 else "")
            + ("; * the share moved beyond chance (corrected over the classes): the class "
               "mix moved"
               if any(share_moved(v) for _, v in shares[:6]) else ""),
            highlight=False, markup=False)
        from dataqa.drift.report import model_check_notes, observed_mix_text

        if (mix := observed_mix_text(result)) is not None:
            _say(f"  {mix}", highlight=False, markup=False)
        for note in model_check_notes(result):
            _say(f"  note: {note}", highlight=False, markup=False)
    if result.ood is not None:
        o = result.ood
        _say(f"  OOD share: {o['fraction']:.3f} of current rows above the {o['score']} "
             f"threshold ({o['expected']:.3f} expected without shift)", highlight=False)
    if result.windows is not None:
        from dataqa.drift.report import windows_summary

        _say(f"  {windows_summary(result.windows)}"
             + (f"; {no_time} {'row' if no_time == 1 else 'rows'} without a time "
                f"{'is' if no_time == 1 else 'are'} in no window"
                if (no_time := result.settings.get("rows_without_time")) else ""),
             highlight=False)
        chunks = result.reference_chunks
        if chunks is not None and not result.settings.get("reference_chunks_note"):
            _say(f"  {int(chunks['drifted'].sum())} of {int(chunks['drifted'].notna().sum())} "
                          f"reference chunks alarm against the rest of the reference",
                          highlight=False)
        if result.settings.get("reference_chunks_note"):
            _say(f"  note: {result.settings['reference_chunks_note']}", highlight=False,
                 markup=False)
    for kind, p in paths.items():
        _say(f"  {kind}: {p}", highlight=False, markup=False)


@handle_errors
def drift_command(
    reference: Path = typer.Argument(
        ..., help="Reference table (the data the model learned from): a file, a folder of "
                  "tables, or a quoted glob pattern ('train/*.csv'), read as one table."),
    current: Path = typer.Argument(
        ..., help="Current table (production data): a file, a folder or a quoted pattern."),
    out: Path = typer.Option(Path("drift_out"), "--out",
                             help="Folder for drift.json, columns.csv, queue.csv and "
                                  "report.html; with --time-column or --chunk-size also "
                                  "windows.csv, and with --label-column "
                                  "window_label_shift.csv."),
    label_column: str | None = typer.Option(
        None, "--label-column", help="Reference labels: adds label shift, estimated accuracy, "
                                     "prediction shift and the OOD share."),
    text_column: str | None = typer.Option(None, "--text-column", help="Free-text column."),
    text_features: str = typer.Option(
        "tfidf", "--text-features",
        help="Text as tfidf or embedding (sentence embeddings; the text extra)."),
    id_column: str | None = typer.Option(None, "--id-column",
                                         help="Id column of the current table (default: content hash)."),
    feature_column: list[str] | None = typer.Option(
        None, "--feature-column", help="Column to compare (repeat); default every shared column "
                                       "except times, dates and identifier-like columns."),
    exclude_column: list[str] | None = typer.Option(
        None, "--exclude-column", help="Column to leave out (repeat); every other shared "
                                       "column is compared as without it."),
    time_column: str | None = typer.Option(None, "--time-column",
                                           help="Time of each current row (with --window)."),
    window: str | None = typer.Option(None, "--window", help="Window length, e.g. 1D, 7D, 12h."),
    dayfirst: bool = typer.Option(
        False, "--dayfirst", show_default=False,
        help="Dates of the time column such as 01/03/2024 are day first (1 March). Default: "
             "month first (dotted dates, 01.03.2024: day first), the other order when only "
             "that reads them all, with a warning when both do."),
    monthfirst: bool = typer.Option(
        False, "--monthfirst", show_default=False,
        help="Dates such as 01/03/2024 are month first (3 January), without the warning."),
    chunk_size: int | None = typer.Option(None, "--chunk-size",
                                          help="Split the current rows into chunks of N rows."),
    alpha: float = typer.Option(0.05, "--alpha", help="Significance level after correction."),
    correction: str = typer.Option("fdr", "--correction", help="fdr, bonferroni or none."),
    min_effect: float | None = typer.Option(
        None, "--min-effect", help="Smallest effect for a drifted column (default 0.02)."),
    permutations: int = typer.Option(500, "--permutations", help="Permutations of each MMD test."),
    ood_score: str = typer.Option(
        "msp", "--ood-score",
        help="OOD score of the OOD share: msp, entropy, knn or mahalanobis (with "
             "--label-column)."),
    push: bool = typer.Option(False, "--push", help="Send the labeling queue to Label Studio."),
    project: str | None = typer.Option(None, "--project", help="Label Studio project for --push."),
    ledger: Path | None = typer.Option(None, "--ledger", help="Ledger file for --push."),
    top: int = typer.Option(50, "--top", help="Items in the labeling queue (queue.csv, and "
                                              "what --push sends)."),
    rank_by: str = typer.Option("mean", "--rank-by",
                                help="How the queue ranks items: mean (of the ranks by how "
                                     "unlike the reference and how uncertain; default), max "
                                     "(the top of either), unlike or uncertainty alone."),
    classes: str | None = typer.Option(None, "--classes",
                                       help="Comma-separated class names for --push "
                                            "(default: the reference's labels)."),
    url: str | None = typer.Option(None, "--url", help="Label Studio address for --push "
                                                       "(default $LABEL_STUDIO_URL, else http://127.0.0.1:8089)."),
    seed: int = typer.Option(0, "--seed", help="Random state."),
    format: str | None = FORMAT_OPT,
    sep: str | None = SEP_OPT,
    no_header: bool = NO_HEADER_OPT,
    columns: str | None = COLUMNS_OPT,
    encoding: str | None = ENCODING_OPT,
    decimal: str | None = DECIMAL_OPT,
    thousands: str | None = THOUSANDS_OPT,
    current_format: str | None = typer.Option(
        None, "--current-format", help="Format of the current file only (default: --format, "
                                       "else its suffix)."),
    current_sep: str | None = typer.Option(
        None, "--current-sep", help="Delimiter of the current file only (default: --sep)."),
    current_no_header: bool = typer.Option(
        False, "--current-no-header", show_default=False,
        help="The current file has no header row (default: as --no-header)."),
    current_header: bool = typer.Option(
        False, "--current-header", show_default=False,
        help="The current file has a header row, although the reference has none."),
    current_columns: str | None = typer.Option(
        None, "--current-columns", help="Column names of the current file only (default: "
                                        "--columns)."),
    current_encoding: str | None = typer.Option(
        None, "--current-encoding", help="Text encoding of the current file only (default: "
                                         "--encoding)."),
    current_decimal: str | None = typer.Option(
        None, "--current-decimal", help="Decimal mark of the current file only (default: "
                                        "--decimal)."),
    current_thousands: str | None = typer.Option(
        None, "--current-thousands", help="Thousands separator of the current file only "
                                          "(default: --thousands)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Compare CURRENT with REFERENCE per column, as a whole and through a model.

    The reading options (--format, --sep, --no-header, --columns, --encoding, --decimal,
    --thousands) apply to both files; the --current-* ones override them for the current file.
    Exit code 0 whether or not drift is found; 2 on bad input.
    """
    for a, b, given in (("--dayfirst", "--monthfirst", dayfirst and monthfirst),
                        ("--current-no-header", "--current-header",
                         current_no_header and current_header)):
        if given:
            raise InvalidSettingError(f"give {a} or {b}, not both.")
    dayfirst = True if dayfirst else (False if monthfirst else None)
    current_no_header = True if current_no_header else (False if current_header else None)
    opts = read_options(format, sep, no_header, columns, encoding, decimal, thousands)
    cur_opts = second_file_options(
        current, "current", "current", format=format, sep=sep, no_header=no_header,
        columns=columns, encoding=encoding, decimal=decimal, own_format=current_format,
        own_sep=current_sep, own_no_header=current_no_header, own_columns=current_columns,
        own_encoding=current_encoding, own_decimal=current_decimal, thousands=thousands,
        own_thousands=current_thousands)
    check_out_dir(out)
    try:
        same = Path(reference).resolve() == Path(current).resolve()
    except OSError:
        same = False
    if same:
        import warnings

        from dataqa._caller import caller_stacklevel

        warnings.warn(f"REFERENCE and CURRENT are the same file ({str(reference)!r}): each "
                      f"table is compared with itself, so nothing can drift. Give the "
                      f"production export as CURRENT.", UserWarning,
                      stacklevel=caller_stacklevel())
    from dataqa.drift.model_checks import check_ood_score

    check_ood_score(ood_score, has_labels=True)
    if ood_score != "msp" and label_column is None:
        raise InvalidSettingError(f"--ood-score {ood_score} needs --label-column: the OOD "
                                  f"share comes from the model checks, which need labels.")
    if not push:
        given = [o for o, v in (("--project", project), ("--ledger", ledger),
                                ("--classes", classes), ("--url", url)) if v is not None]
        if given:
            raise InvalidSettingError(
                f"{', '.join(given)} {'apply' if len(given) > 1 else 'applies'} to the push to "
                f"Label Studio: add --push to send the queue, or leave "
                f"{'them' if len(given) > 1 else 'it'} out.")
    if (dayfirst or monthfirst) and time_column is None:
        raise InvalidSettingError(
            f"{'--dayfirst' if dayfirst else '--monthfirst'} says how to read the dates of the "
            f"time column: give --time-column with --window, or leave it out.")
    if push:
        if not project:
            raise InvalidSettingError("--push needs --project NAME (the Label Studio project).")
        if ledger is None:
            raise InvalidSettingError("--push needs --ledger FILE (the ledger that records the "
                                      "queue and its tasks).")
        if len(project) < 3 and not project.strip().isdigit():  # (as the server would)
            raise InvalidSettingError(f"project title {project!r} is too short; Label Studio "
                                      f"needs 3 characters or more (--project).")
    if push:  # before the analysis: what would stop the push fails at once
        names = ([c.strip() for c in classes.split(",") if c.strip()] if classes is not None
                 else None)
        if (names is not None and len(names) < 2) or (names is None and label_column is None):
            raise InvalidSettingError(
                f"pushing to project {project!r} needs the class names: give the reference's "
                f"label column (--label-column) or --classes a,b,... (two or more).")
        from dataqa.labelstudio.ledger_state import check_ledger_path
        from dataqa.ledger.store import check_ledger_file

        check_ledger_path(ledger, must_exist=False)
        check_ledger_file(ledger)  # read only: an existing file must be a ledger
        from dataqa.labelstudio import LabelStudioClient

        with LabelStudioClient(url) as client:
            client.check()
    if (window is not None) and time_column is None:
        raise InvalidSettingError("--window needs --time-column naming the time column.")
    if time_column is not None and window is None:
        raise InvalidSettingError("--time-column needs --window, e.g. --window 7D.")
    if window is not None and chunk_size is not None:
        raise InvalidSettingError("give --window or --chunk-size, not both.")
    if exclude_column and feature_column:
        raise InvalidSettingError("give --feature-column (the columns to compare) or "
                                  "--exclude-column (the columns to leave out), not both.")
    if not 0 < alpha < 1:
        raise InvalidSettingError(f"--alpha {alpha} must lie strictly between 0 and 1.")
    if min_effect is not None and not min_effect >= 0:
        raise InvalidSettingError(f"--min-effect {min_effect} must be a number >= 0.")
    if permutations < 1:
        raise InvalidSettingError(f"--permutations {permutations} must be at least 1.")
    if chunk_size is not None and chunk_size < 10:
        raise InvalidSettingError(f"--chunk-size {chunk_size} must be at least 10 (each chunk "
                                  f"is compared as a table of its own).")
    if top < 1:
        raise InvalidSettingError(f"--top {top} must be at least 1.")
    from dataqa.drift.result import RANK_BY

    if rank_by not in RANK_BY:
        raise InvalidSettingError(f"--rank-by {rank_by!r} is not known; use one of "
                                  f"{', '.join(RANK_BY)}.")
    if seed < 0:
        raise InvalidSettingError(f"--seed {seed} must be an integer >= 0.")
    from dataqa.drift.detect import CORRECTIONS

    if correction not in CORRECTIONS:
        raise InvalidSettingError(f"--correction {correction!r} is not known; use one of "
                                  f"{', '.join(CORRECTIONS)}.")
    from dataqa.drift.multivariate import DRIFT_TEXT_FEATURES

    if text_features not in DRIFT_TEXT_FEATURES:
        raise InvalidSettingError(f"--text-features {text_features!r} is not known; use "
                                  f"{' or '.join(DRIFT_TEXT_FEATURES)}.")
    from dataqa.data import load_tables
    from dataqa.drift.detect import DEFAULT_MIN_EFFECT, detect_drift

    strings = [c for c in (id_column,) if c]
    try:
        ref = load_tables(reference, string_columns=strings or None, **opts,
                          text_columns=[c for c in (label_column, text_column) if c],
                          keep_missing_words=True)
    except EmptyDataError as exc:
        raise _needs_rows(exc) from None
    except DataqaError as exc:
        given = [f"--{n}" for n, v in (("format", format), ("sep", sep), ("columns", columns),
                                       ("encoding", encoding), ("decimal", decimal),
                                       ("thousands", thousands))
                 if v is not None] + (["--no-header"] if no_header else [])
        msg = str(exc)
        if msg.startswith("data file "):  # the first file of drift is the reference
            raise type(exc)(f"reference file {msg[len('data file '):]}") from None
        if given and (_READING_FLAGS.search(msg) or "field" in msg or "column" in msg
                      or "decod" in msg):  # a reading error, not a missing or empty file
            raise type(exc)(f"{msg} {_REFERENCE_HINT.format(given=', '.join(given))}") from None
        raise
    # the current file's reading errors and warnings name its own options
    try:
        cur = read_second_file(current, cur_opts, "current", "current",
                               took_columns=current_columns is None and columns is not None
                               and cur_opts.get("columns") is not None,
                               string_columns=strings or None,
                               # its labels read as the reference's (NA is a class there)
                               text_columns=[c for c in (label_column, text_column) if c],
                               keep_missing_words=True)
    except EmptyDataError as exc:
        raise _needs_rows(exc) from None
    from dataqa.data import _align_missing_words, _missing_words_back, _warn_missing_words_kept

    ref, cur = _align_missing_words(*(_missing_words_back(t, [time_column]) for t in (ref, cur)))
    for t in (ref, cur):  # (said once per file, not per window)
        _warn_missing_words_kept(t, [c for c in t.columns if c not in (exclude_column or ())])
    cur_read = cur  # (content ids hash every column, left out or not: other commands' ids)
    if exclude_column:
        ref, cur = _exclude(ref, cur, exclude_column,
                            {"--label-column": label_column, "--text-column": text_column,
                             "--id-column": id_column, "--time-column": time_column})
    if push:  # an existing project with other classes is refused before the analysis
        _check_project_classes(project, url, names, ref, label_column)
    kwargs = dict(feature_columns=feature_column or None, text_column=text_column,
                  label_column=label_column, id_column=id_column, alpha=alpha,
                  correction=correction,
                  min_effect=DEFAULT_MIN_EFFECT if min_effect is None else min_effect,
                  n_permutations=permutations, random_state=seed, progress=not quiet,
                  text_features=text_features, ood_score=ood_score)
    try:
        if window is not None or chunk_size is not None:
            from dataqa.drift.windows import drift_windows

            result = drift_windows(ref, cur, time_column=time_column, window=window,
                                   chunk_size=chunk_size, dayfirst=dayfirst,
                                   _as_read=cur_read, **kwargs)
        else:
            result = detect_drift(ref, cur, _as_read=cur_read, **kwargs)
    except DataqaError as exc:
        # a hint on reading the current table (a file without a header, say) names the
        # options that read it alone
        from dataqa._cli_utils import for_second_file
        from dataqa.errors import MissingColumnError

        text = str(exc)
        if (isinstance(exc, MissingColumnError) and "is not in the current table" in text
                and _READING_FLAGS.search(text)):
            exc.args = (for_second_file(text, "current", "current"), *exc.args[1:])
        raise
    result.settings["queue_top"] = int(top)  # for the report's words on queue.csv
    result.settings["queue_rank_by"] = rank_by
    from dataqa._cli_utils import formulas_as_text, write_csv_atomic
    from dataqa.outdir import writing_folder

    if push:  # the rows the push sends (less those an earlier push sent under another id)
        from dataqa.drift.push import queue_to_push

        queue = queue_to_push(result, project=project, ledger=ledger, top=top,
                              rank_by=rank_by, url=url)
        result.settings["queue_sent_before"] = int(queue.attrs.get("sent_before", 0))
    else:
        queue = result.label_queue(top=top, rank_by=rank_by)
    with writing_folder(out, "dataqa drift"):  # (an earlier run's queue goes with it)
        paths = result.save(out)
        paths["queue"] = out / "queue.csv"
        write_csv_atomic(formulas_as_text(queue, keep=("id", "prediction")), paths["queue"],
                         for_people=True)
    _print(result, paths)
    for note in result.queue_notes(queue):  # rows left out: no text, or labeled already
        _say(f"  note: {note}", highlight=False, markup=False)
    labeled_all = int(queue.attrs.get("rows_with_label", 0)) == result.n_current
    if len(queue) == 0 and (push or not labeled_all):  # (the note above says why already)
        _say("  note: the labeling queue is empty: no current row is left to label"
             + (f"; nothing is pushed to project {project!r}" if push else ""),
             highlight=False, markup=False)
    elif push:
        from dataqa.drift.push import _AllSentBefore, push_label_queue
        from dataqa.labelstudio.printing import print_push_report

        try:
            report = push_label_queue(result, project=project, ledger=ledger, top=top,
                                      class_names=names, url=url, rank_by=rank_by,
                                      rows=queue)
        except _AllSentBefore as exc:  # every item sent before: nothing new, not an error
            _say(f"  note: {exc}", highlight=False, markup=False)
            return
        print_push_report(report)


def register(app: typer.Typer) -> None:
    """Attach ``dataqa drift`` to the main command."""
    app.command("drift")(drift_command)
