"""``dataqa audit`` and ``dataqa demo``; ``dataqa review`` lives in :mod:`dataqa.audit.review_cli`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer

from dataqa._cli_utils import (
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
)

__all__ = ["register"]


def _print_result(result, paths, out=None) -> None:
    s = result.summary
    console.print(f"[bold]{s['n']}[/] items, [bold]{s['n_classes']}[/] classes; "
                  f"[bold red]{result.n_flagged}[/] flagged as likely label errors "
                  f"(the review worklist, not an error rate)")
    n_sets = s.get("n_conflicting_duplicate_sets", 0)
    if n_sets:
        console.print(f"{n_sets} set(s) of duplicates with conflicting labels "
                      f"({s['n_conflicting_duplicates']} items; see conflicting_duplicates.csv)", highlight=False)
    m = result.model_error_rate
    if m is not None:
        from dataqa.audit.error_rate import rate_text

        console.print(f"model-based error-rate range, not verified: {rate_text(m.low)} - "
                      f"{rate_text(m.high)}", highlight=False)
        if m.review_size is not None:
            import shlex

            where = shlex.quote(str(out)) if out is not None else "AUDIT_DIR"
            console.print(f"  review {m.review_size} items to know it (a verified 95% interval "
                          f"at most {m.review_width * 100:.0f} points wide if the labels are "
                          f"about as wrong as the model expects; `review estimate` says how "
                          f"many more if not): dataqa review plan {where} --budget "
                          f"{m.review_size}", highlight=False)
    for kind, p in paths.items():
        console.print(f"  {kind}: {p}", highlight=False)


@handle_errors
def audit_command(
    data: Path = typer.Argument(..., help="CSV, TSV, Parquet, JSONL or JSON file with a label "
                                          "column, or a folder or quoted glob pattern of such "
                                          "files, read as one table."),
    label_column: str = typer.Option(..., "--label-column", help="Column of given labels."),
    text_column: str | None = typer.Option(None, "--text-column", help="Text column (TF-IDF features)."),
    id_column: str | None = typer.Option(None, "--id-column", help="Unique id column (default: content hash)."),
    feature_column: list[str] | None = typer.Option(
        None, "--feature-column", help="Numeric feature column (repeat); default: every numeric column "
                                 "without --text-column (but ids: the id column and columns "
                                 "that look like ids), none with it."),
    out: Path = typer.Option(Path("audit_out"), "--out", help="Folder for issues.csv, report.html, summary.json."),
    cv: int = typer.Option(5, "--cv", help="Cross-validation folds."),
    text_features: str = typer.Option("tfidf", "--text-features", help="tfidf, embedding or both."),
    no_datalab: bool = typer.Option(False, "--no-datalab", help="Skip outlier/near-duplicate/imbalance checks."),
    seed: int = typer.Option(0, "--seed", help="Random state of the folds."),
    format: str | None = FORMAT_OPT,
    sep: str | None = SEP_OPT,
    no_header: bool = NO_HEADER_OPT,
    columns: str | None = COLUMNS_OPT,
    encoding: str | None = ENCODING_OPT,
    decimal: str | None = DECIMAL_OPT,
    thousands: str | None = THOUSANDS_OPT,
    image_shape: str | None = typer.Option(
        None, "--image-shape", help="HxW: show feature rows as thumbnails in the report "
                                    "(64, 256, 784 or 1024 features: square by default)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Find likely label errors in a labeled table and write a ranked list and a report."""
    if cv < 2:
        from dataqa.errors import InvalidSettingError

        raise InvalidSettingError(f"--cv {cv} is not allowed; use at least 2 folds.")
    opts = read_options(format, sep, no_header, columns, encoding, decimal, thousands)
    from dataqa.report.images import check_image_option

    shape = check_image_option(image_shape, text_column=text_column, feature_columns=feature_column)
    check_out_dir(out)
    from dataqa.audit import audit

    result = audit(data, label_column=label_column, text_column=text_column,
                   feature_columns=feature_column or None, id_column=id_column, cv=cv,
                   datalab=not no_datalab, random_state=seed, text_features=text_features,
                   progress=not quiet, read_options=opts)
    from dataqa._progress import progress_stage

    with progress_stage("writing the report", enabled=not quiet):
        paths = result.save(out, image_shape=shape)
    _print_result(result, paths, out)


@handle_errors
def demo_command(
    out: Path = typer.Option(Path("demo_out"), "--out", help="Folder for the demo's outputs."),
    noise: float = typer.Option(0.08, "--noise", help="Fraction of labels flipped."),
    seed: int = typer.Option(0, "--seed", help="Seed of the label flips and folds."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Audit scikit-learn's digits with seeded label flips; print precision and recall."""
    check_out_dir(out)
    from dataqa.audit import audit
    from dataqa.datasets import load_digits_noisy

    frame, flipped = load_digits_noisy(noise, random_state=seed)
    console.print(f"digits: {len(frame)} images, {int(flipped.sum())} labels flipped "
                  f"({noise:.0%}, seed {seed})")
    features = [c for c in frame.columns if c.startswith("px_")]
    result = audit(frame.drop(columns=["true_label"]), label_column="label", id_column="id",
                   feature_columns=features, random_state=seed, progress=not quiet)
    from dataqa._progress import progress_stage

    with progress_stage("writing the report", enabled=not quiet):
        paths = result.save(out)
    flagged = result.issues.set_index("id").loc[frame["id"], "is_label_issue"].to_numpy(dtype=bool)
    tp = int(np.sum(flagged & flipped))
    precision = tp / max(int(flagged.sum()), 1)
    recall = tp / max(int(flipped.sum()), 1)
    _print_result(result, paths, out)
    console.print(f"[bold]precision[/] {precision:.3f}  [bold]recall[/] {recall:.3f}  "
                  f"(flagged {int(flagged.sum())}, of which {tp} were truly flipped)")
    m = result.model_error_rate
    inside = "inside" if m.low <= flipped.mean() <= m.high else "outside"
    from dataqa.audit.error_rate import rate_text

    console.print(f"true error rate (known here): {rate_text(flipped.mean())}, {inside} the "
                  f"model-based range {rate_text(m.low)} - {rate_text(m.high)}",
                  highlight=False)


def register(app: typer.Typer) -> None:
    from dataqa.audit.review_cli import review_app

    app.command("audit")(audit_command)
    app.command("demo")(demo_command)
    app.add_typer(review_app)
