"""``dataqa weak``: apply labeling functions, fit a label model, write labels and a report."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

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
    for_second_file,
    handle_errors,
    read_options,
    read_second_file,
    second_file_options,
)
from dataqa.errors import (
    InvalidSettingError,
    LabelingFunctionError,
    MissingColumnError,
    MissingInputError,
)

__all__ = ["register", "load_lfs", "run_weak"]


def load_lfs(spec: str) -> list[Any]:
    """The ``lfs`` list of a module (``pkg.module``) or of a Python file (``path/to/lfs.py``).

    Raises
    ------
    InvalidSettingError
        The file or module does not exist, fails to import, or has no list ``lfs``.
    LabelingFunctionError
        The file or module calls ``sys.exit`` while being imported, or ``lfs`` holds
        something that is not a labeling function (or repeats a name).
    """
    from dataqa.weak.apply import check_lfs

    path = Path(spec)
    what = f"--lfs file {spec!r}"
    if spec.endswith(".py") or path.is_file():
        if not path.is_file():
            raise InvalidSettingError(f"{what} does not exist.")
        name = f"_dataqa_lfs_{abs(hash(str(path.resolve())))}"
        loader_spec = importlib.util.spec_from_file_location(name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise InvalidSettingError(f"{what} cannot be imported as Python.")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[name] = module  # so that n_jobs workers can unpickle its LFs
        # the file imports the modules beside it, as `python file.py` would (after the
        # installed ones: a file beside it named like one of them does not hide it)
        folder = str(path.resolve().parent)
        if folder not in sys.path:
            sys.path.append(folder)
        try:
            loader_spec.loader.exec_module(module)
        except SystemExit as exc:
            sys.modules.pop(name, None)
            raise _exit_error(what, exc) from None
        except Exception as exc:
            sys.modules.pop(name, None)
            raise InvalidSettingError(f"{what} failed to import: {_one_line(exc)}") from exc
    else:
        what = f"--lfs module {spec!r}"
        try:
            module = importlib.import_module(spec)
        except ImportError as exc:
            near = Path(spec.replace(".", "/") + ".py")
            hint = (f" There is a file {str(near)!r}: pass --lfs {near}." if near.is_file()
                    else "")
            raise InvalidSettingError(
                f"--lfs {spec!r} is neither a .py file nor an importable module "
                f"({_one_line(exc)}).{hint}") from exc
        except SystemExit as exc:
            raise _exit_error(what, exc) from None
        except Exception as exc:
            raise InvalidSettingError(f"{what} failed to import: {_one_line(exc)}") from exc
    lfs = getattr(module, "lfs", None)
    if lfs is None:
        raise InvalidSettingError(
            f"--lfs {spec!r} has no variable named 'lfs'; define lfs = [...] there."
        )
    try:
        return check_lfs(lfs)
    except (InvalidSettingError, LabelingFunctionError) as exc:
        raise type(exc)(f"{what}: {exc}") from None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _exit_error(what: str, exc: SystemExit) -> LabelingFunctionError:
    return LabelingFunctionError(
        f"{what} called sys.exit({exc.code!r}) while being imported; an LF file must only "
        f"define lfs = [...] (put script code under if __name__ == '__main__':)."
    )


def resolve_method(method: str | None, n_lfs: int) -> tuple[str, str | None]:
    """:func:`dataqa.weak.pipeline.resolve_method`, worded in the command's flags."""
    from dataqa.weak.pipeline import resolve_method as resolve

    return resolve(method, n_lfs, cli=True)


#: Flagged LFs named at most on the terminal (all are in lf_summary.csv).
_SHOW_FLAGGED = 8


def flagged_lf_lines(summary) -> list[str]:
    """Terminal lines naming the LFs the summary flags (low coverage, below chance), with
    their coverage and dev accuracy when there is one; none when no LF is flagged."""
    flagged = summary[summary["Flags"].astype(str) != ""]
    if not len(flagged):
        return []
    lines = [f"{len(flagged)} of {len(summary)} LFs flagged (lf_summary.csv, report.html):"]
    for name, row in flagged.head(_SHOW_FLAGGED).iterrows():
        dev = ""
        if "Dev Emp. Acc." in row and row["Dev Correct"] + row["Dev Incorrect"] > 0:
            n_dev = int(row["Dev Correct"] + row["Dev Incorrect"])
            dev = f", dev accuracy {row['Dev Emp. Acc.']:.2f} on {n_dev} votes"
        lines.append(f"  {name}: {row['Flags']} (coverage {row['Coverage']:.2%}{dev})")
    if len(flagged) > _SHOW_FLAGGED:
        lines.append(f"  ... and {len(flagged) - _SHOW_FLAGGED} more")
    below = int(summary["Flags"].astype(str).str.contains("below chance").sum())
    if "Dev Correct" in summary:
        with_votes = int(((summary["Dev Correct"] + summary["Dev Incorrect"]) > 0).sum())
        if below >= 2 and below * 2 > with_votes:
            lines.append(
                f"  {below} of the {with_votes} LFs that vote on the dev rows are below chance "
                f"there: do the dev labels (or --classes) number the classes in the order the "
                f"LFs vote for them? With --classes, the first name is class 0, the second "
                f"class 1, and so on.")
    return lines


def _check_flags(lfs: list[Any], method: str | None, dev: Any, label_column: str | None,
                 out: Path, random_state: Any = 0,
                 cardinality: int = 2) -> tuple[list[Any], str, str | None]:
    """The command's own checks, worded in its flags, before any file is read."""
    from dataqa.weak.apply import check_lfs
    from dataqa.weak.label_models import check_random_state

    check_random_state(random_state, cli=True)
    if cardinality < 2:
        raise InvalidSettingError(f"--cardinality {cardinality} must be 2 or more (the number "
                                  f"of classes).")
    lfs = check_lfs(lfs)
    method, note = resolve_method(method, len(lfs))
    if method == "auto" and dev is None:
        raise MissingInputError("--method auto picks a model on a dev set; pass --dev and --label-column.")
    if method == "snorkel_dev_prior" and dev is None:
        raise MissingInputError("--method snorkel_dev_prior takes the class balance of the dev "
                                "labels; pass --dev and --label-column.")
    if dev is not None and label_column is None:
        raise MissingInputError("--dev needs --label-column naming the gold label column.")
    check_out_dir(out)
    return lfs, method, note


def run_weak(data: Any, *, lfs: list[Any], cardinality: int, method: str | None, out: Path,
             id_column: str | None = None, text_column: str | None = None,
             dev: Any = None, label_column: str | None = None, n_jobs: int = 1,
             random_state: int = 0, progress: bool | None = None,
             read_opts: dict | None = None, dev_read_opts: dict | None = None) -> dict[str, Any]:
    """Deprecated: use :func:`dataqa.weak.weak_label` and :meth:`WeakResult.save`.

    Returns ``{"model", "L", "summary", "out", "method", "note"}`` as before.
    """
    import warnings

    from dataqa.weak.pipeline import weak_label

    warnings.warn("dataqa.weak.cli.run_weak is deprecated; use dataqa.weak.weak_label(...) "
                  "and its .save(dir).", DeprecationWarning, stacklevel=2)
    lfs, method, note = _check_flags(lfs, method, dev, label_column, Path(out), random_state)
    result = weak_label(data, lfs, cardinality=cardinality, method=method, id_column=id_column,
                        text_column=text_column, dev=dev, label_column=label_column,
                        n_jobs=n_jobs, random_state=random_state, progress=progress,
                        read_options=read_opts, dev_read_options=dev_read_opts)
    result.note = note
    result.save(out)
    return {"model": result.model, "L": result.L, "summary": result.summary, "out": Path(out),
            "method": method, "note": note}


def register(app: typer.Typer) -> None:
    """Add the ``weak`` command to the ``dataqa`` app."""

    @app.command("weak")
    @handle_errors
    def weak_command(
        data: Path = typer.Argument(..., help="Table to label (CSV, TSV, Parquet, JSONL ...; a "
                                              "folder or quoted glob pattern of such files is "
                                              "read as one table)."),
        lfs: str = typer.Option(..., "--lfs", help="Module (pkg.mod) or .py file defining lfs = [...]."),
        cardinality: int = typer.Option(..., "--cardinality", help="Number of classes K."),
        method: str | None = typer.Option(
            None, "--method",
            help="Label model: snorkel, majority, dawid_skene, auto (needs --dev) or "
                 "snorkel_dev_prior (Snorkel given the dev labels' class balance, one of "
                 "auto's candidates; needs --dev). Default: snorkel with 3 or more LFs, "
                 "majority with fewer (Snorkel needs 3)."),
        id_column: str | None = typer.Option(None, "--id-column", help="Column of item ids "
                                             "(default: a content hash per row)."),
        text_column: str | None = typer.Option(None, "--text-column",
                                               help="Column the LFs read as 'text'."),
        dev: Path | None = typer.Option(None, "--dev", help="Labeled dev table (needed by auto); "
                                        "read with the reading options of the data unless "
                                        "its own --dev-* ones are given."),
        label_column: str | None = typer.Option(None, "--label-column",
                                                help="Gold label column of the dev table."),
        dev_format: str | None = typer.Option(
            None, "--dev-format", help="Format of the dev file only (default: --format, or "
                                       "from its suffix)."),
        dev_sep: str | None = typer.Option(
            None, "--dev-sep", help="Delimiter of the dev file only (default: --sep)."),
        dev_no_header: bool = typer.Option(
            False, "--dev-no-header", show_default=False,
            help="The dev file has no header row; --dev-columns names its fields (default: "
                 "as the data file)."),
        dev_header: bool = typer.Option(
            False, "--dev-header", show_default=False,
            help="The dev file has a header row, although the data file has none."),
        dev_columns: str | None = typer.Option(
            None, "--dev-columns",
            help="Column names of the dev table, like --columns (default: --columns)."),
        dev_encoding: str | None = typer.Option(
            None, "--dev-encoding", help="Text encoding of the dev file only (default: "
                                         "--encoding)."),
        dev_decimal: str | None = typer.Option(
            None, "--dev-decimal", help="Decimal mark of the dev file only (default: "
                                        "--decimal)."),
        dev_thousands: str | None = typer.Option(
            None, "--dev-thousands", help="Thousands separator of the dev file only (default: "
                                          "--thousands)."),
        classes: str | None = typer.Option(
            None, "--classes", help="Comma-separated names of classes 0..K-1, in order (e.g. "
                                    "ham,spam): dev labels written as names are read so."),
        metric: str = typer.Option(
            "accuracy", "--metric", help="How auto scores the label models on the dev set: "
                                         "accuracy, f1 (of class 1, for a rare class) or "
                                         "f1_macro."),
        n_jobs: int = typer.Option(1, "--n-jobs", help="Processes for row-wise LFs."),
        fault_tolerant: bool = typer.Option(
            False, "--fault-tolerant",
            help="An LF that raises on a row abstains there (the faults are counted) instead "
                 "of stopping the run."),
        random_state: int = typer.Option(
            0, "--random-state", help="Seed of Snorkel's LabelModel, 0..4294967295 (2**32 - 1)."),
        out: Path = typer.Option(..., "--out", help="Output folder."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
        format: str | None = FORMAT_OPT,
        sep: str | None = SEP_OPT,
        no_header: bool = NO_HEADER_OPT,
        columns: str | None = COLUMNS_OPT,
        encoding: str | None = ENCODING_OPT,
        decimal: str | None = DECIMAL_OPT,
        thousands: str | None = THOUSANDS_OPT,
    ) -> None:
        """Apply labeling functions, fit a label model; write weak_labels, lf_summary, report."""
        from dataqa.weak.pipeline import weak_label

        if dev_no_header and dev_header:
            raise InvalidSettingError("give --dev-no-header or --dev-header, not both.")
        read_opts = read_options(format, sep, no_header, columns, encoding, decimal, thousands)
        dev_given = {name: v for name, v in (
            ("--dev-format", dev_format), ("--dev-sep", dev_sep),
            ("--dev-no-header", dev_no_header or None), ("--dev-header", dev_header or None),
            ("--dev-columns", dev_columns), ("--dev-encoding", dev_encoding),
            ("--dev-decimal", dev_decimal), ("--dev-thousands", dev_thousands),
            ("--label-column", label_column)) if v is not None}
        dev_no_header = True if dev_no_header else (False if dev_header else None)
        if dev is None and dev_given:
            raise InvalidSettingError(
                f"{', '.join(dev_given)} {'is' if len(dev_given) == 1 else 'are'} for the dev "
                f"file (how it is read, its gold label column), but no --dev file is given; "
                f"pass --dev FILE, or leave {'it' if len(dev_given) == 1 else 'them'} out.")
        dev_read_opts = None if dev is None else second_file_options(
            dev, "dev", "dev", format=format, sep=sep, no_header=no_header, columns=columns,
            encoding=encoding, decimal=decimal, own_format=dev_format, own_sep=dev_sep,
            own_no_header=dev_no_header, own_columns=dev_columns, own_encoding=dev_encoding,
            own_decimal=dev_decimal, thousands=thousands, own_thousands=dev_thousands)
        lf_list, method, note = _check_flags(load_lfs(lfs), method, dev, label_column, out,
                                             random_state, cardinality)
        from dataqa.weak.pipeline import (
            _na_word_columns,
            _numbers_back,
            _text_reading,
            lf_string_columns,
        )

        literal, text = _text_reading(text_column, lf_list)

        # read here, so that its reading errors and warnings name the --dev-* options
        dev_table = None if dev is None else read_second_file(
            dev, dev_read_opts, "dev", "dev",
            took_columns=dev_columns is None and columns is not None
            and dev_read_opts.get("columns") is not None,
            # read as weak_label reads its dev file
            text_columns=[c for c in (label_column, *literal) if c],
            string_columns=[] if dev is None else lf_string_columns(
                dev, lf_list, id_column, text, dev_read_opts.get("format"), warn=False))
        if dev_table is not None:
            dev_table = _numbers_back(dev_table, {
                c: words for c, words in _na_word_columns(lf_list, text).items()
                if c != label_column})
        if dev_table is not None and label_column not in dev_table.columns:
            from dataqa.data import table_name

            # said here, so that its hint names the --dev-* reading options
            missing = MissingColumnError(label_column, [str(c) for c in dev_table.columns],
                                         role="label column", table=table_name(dev_table))
            raise InvalidSettingError(for_second_file(str(missing), "dev", "dev"))
        result = weak_label(data, lf_list, cardinality=cardinality, method=method,
                            id_column=id_column, text_column=text_column, dev=dev_table,
                            label_column=label_column, n_jobs=n_jobs, random_state=random_state,
                            progress=not quiet, read_options=read_opts, dev_read_options={},
                            class_names=([c.strip() for c in classes.split(",")]
                                         if classes is not None else None), metric=metric,
                            fault_tolerant=fault_tolerant)
        result.note = note  # why the default was majority vote, in the command's flags
        paths = result.save(out)
        console.print(f"labeled {len(result.L)} rows with {result.L.shape[1]} LFs "
                      f"({result.coverage:.1%} with a vote); label model: {result.label_model}")
        if result.reason is not None:
            console.print(result.reason)
        if result.dev_score is not None and result.method != "auto":  # auto's reason has it
            d = result.dev_score
            where = (f"on {d['n_dev']} dev rows" if d["n_scored"] == d["n_dev"] else
                     f"on the {d['n_scored']} of {d['n_dev']} dev rows with a vote")
            console.print(f"dev {d['metric']} of {result.label_model}: {d['value']:.4f} {where}",
                          highlight=False)
        for line in flagged_lf_lines(result.summary):
            console.print(line, highlight=False, markup=False)
        console.print(f"wrote {paths['labels']}, {paths['summary']}, {paths['report']}")
