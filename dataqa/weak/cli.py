"""``dataqa weak``: apply labeling functions, fit a label model, write labels and a report."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from dataqa._cli_utils import (
    COLUMNS_OPT,
    ENCODING_OPT,
    FORMAT_OPT,
    NO_HEADER_OPT,
    SEP_OPT,
    check_out_dir,
    console,
    handle_errors,
    read_options,
)
from dataqa.errors import (
    InvalidSettingError,
    LabelError,
    LabelingFunctionError,
    MissingColumnError,
    MissingInputError,
)

if TYPE_CHECKING:  # pandas loads on first use, so `dataqa weak --help` is quick
    import pandas as pd

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
            raise InvalidSettingError(
                f"--lfs {spec!r} is neither a .py file nor an importable module ({_one_line(exc)})."
            ) from exc
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


def _prepare(df: pd.DataFrame, text_column: str | None) -> pd.DataFrame:
    from dataqa.data import table_name

    if text_column is None or text_column == "text":
        return df
    if text_column not in df.columns:
        raise MissingColumnError(text_column, [str(c) for c in df.columns], role="text column",
                                 table=table_name(df))
    out = df.drop(columns=["text"], errors="ignore").rename(columns={text_column: "text"})
    return out


def resolve_method(method: str | None, n_lfs: int) -> tuple[str, str | None]:
    """The label model to fit and, when it was chosen for the caller, why.

    ``None`` (the command's default) means Snorkel's LabelModel with 3 or more LFs and
    majority vote with fewer (Snorkel needs 3). An explicit method is checked: ``snorkel``
    with fewer than 3 LFs is an error.
    """
    from dataqa.errors import UnknownNameError
    from dataqa.weak.label_models import LABEL_MODELS, SnorkelLabelModel

    if method is None:
        if n_lfs >= SnorkelLabelModel.min_lfs:
            return "snorkel", None
        return "majority", (
            f"label model: majority vote, as Snorkel's LabelModel (the default) needs at least "
            f"{SnorkelLabelModel.min_lfs} labeling functions and there {'is' if n_lfs == 1 else 'are'} "
            f"{n_lfs}; pass --method dawid_skene, or --method auto with --dev, to choose otherwise."
        )
    if method not in (*LABEL_MODELS, "auto"):
        raise UnknownNameError("label model", method, [*LABEL_MODELS, "auto"])
    need = LABEL_MODELS[method].min_lfs if method in LABEL_MODELS else 1
    if n_lfs < need:
        raise InvalidSettingError(
            f"--method {method} (Snorkel's LabelModel) needs at least {need} labeling functions "
            f"and --lfs gives {n_lfs}; add LFs, or pass --method majority, dawid_skene, or auto "
            f"with --dev (which skips snorkel)."
        )
    return method, None


def run_weak(data: Any, *, lfs: list[Any], cardinality: int, method: str | None, out: Path,
             id_column: str | None = None, text_column: str | None = None,
             dev: Any = None, label_column: str | None = None, n_jobs: int = 1,
             random_state: int = 0, progress: bool | None = None,
             read_opts: dict | None = None, dev_read_opts: dict | None = None) -> dict[str, Any]:
    """The work behind ``dataqa weak``; returns what it wrote and the chosen model.

    Every input is read and checked (method, label column, dev labels, ids, the output
    folder) before the LFs run; nothing is written when a check fails.
    ``read_opts`` / ``dev_read_opts`` are keyword arguments of
    :func:`dataqa.data.load_table` for ``data`` and ``dev`` (``dev_read_opts`` defaults to
    ``read_opts``).
    """
    import numpy as np
    import pandas as pd

    from dataqa.data import load_table, make_ids, table_name
    from dataqa.weak import apply_lfs, fit_label_model, lf_summary
    from dataqa.weak.apply import check_lfs
    from dataqa.weak.report import weak_report

    lfs = check_lfs(lfs)
    method, note = resolve_method(method, len(lfs))
    if method == "auto" and dev is None:
        raise MissingInputError("--method auto picks a model on a dev set; pass --dev and --label-column.")
    if dev is not None and label_column is None:
        raise MissingInputError("--dev needs --label-column naming the gold label column.")
    check_out_dir(out)
    read_opts = dict(read_opts or {})
    dev_read_opts = read_opts if dev_read_opts is None else dict(dev_read_opts)
    frame = load_table(data, **read_opts)
    ids = make_ids(frame, id_column)
    df = _prepare(frame, text_column)
    dev_df = Y_dev = None
    if dev is not None:
        dev_frame = load_table(dev, **dev_read_opts)
        dev_name = table_name(dev_frame)
        if label_column not in dev_frame.columns:
            raise MissingColumnError(label_column, [str(c) for c in dev_frame.columns],
                                     role="label column", table=dev_name)
        if id_column is not None and id_column in dev_frame.columns:
            make_ids(dev_frame, id_column)  # repeated or missing dev ids, naming the file
        y = pd.to_numeric(dev_frame[label_column], errors="coerce")
        bad = np.flatnonzero((y.isna() | (y % 1 != 0) | (y < 0) | (y >= cardinality)).to_numpy())
        if len(bad):
            raise LabelError(
                f"dev label column {label_column!r} of {dev_name} must hold class indices "
                f"0..{cardinality - 1}; row {int(bad[0])} holds "
                f"{dev_frame[label_column].iloc[bad[0]]!r} ({len(bad)} such rows)."
            )
        Y_dev = y.to_numpy(dtype=np.int64)
        dev_df = _prepare(dev_frame, text_column)
    L = apply_lfs(df, lfs, n_jobs=n_jobs, progress=progress, id_column=id_column)
    L_dev = None
    if dev_df is not None:
        L_dev = apply_lfs(dev_df, lfs, n_jobs=n_jobs, progress=progress)
    model = fit_label_model(L, cardinality=cardinality, method=method, L_dev=L_dev, Y_dev=Y_dev,
                            random_state=random_state)
    proba = model.predict_proba(L)
    pred = model.predict(L)
    out.mkdir(parents=True, exist_ok=True)
    labels = pd.DataFrame({"id": ids, "label": pred})
    for k in range(cardinality):
        labels[f"prob_{k}"] = proba[:, k]
    labels.to_csv(out / "weak_labels.csv", index=False)
    summary = lf_summary(L, lfs, cardinality=cardinality)
    if L_dev is not None:
        dev_summary = lf_summary(L_dev, lfs, Y_dev, cardinality=cardinality)
        summary["Dev Emp. Acc."] = dev_summary["Emp. Acc."]
        flags = [", ".join(x for x in (a, b) if x)
                 for a, b in zip(summary["Flags"], dev_summary["Flags"].str.replace(
                     "low coverage", "").str.strip(", "), strict=True)]
        summary["Flags"] = flags
    summary.to_csv(out / "lf_summary.csv", index_label="lf")
    facts: dict[str, object] = {"label model": getattr(model, "chosen_", method)}
    if hasattr(model, "reason_"):
        facts["why"] = model.reason_
    elif note is not None:
        facts["why"] = note
    weak_report(out / "report.html", summary=summary, L=L, proba=proba, pred=pred, facts=facts)
    return {"model": model, "L": L, "summary": summary, "out": out, "method": method,
            "note": note}


def register(app: typer.Typer) -> None:
    """Add the ``weak`` command to the ``dataqa`` app."""

    @app.command("weak")
    @handle_errors
    def weak_command(
        data: Path = typer.Argument(..., help="Table to label (CSV, TSV, Parquet, JSONL ...)."),
        lfs: str = typer.Option(..., "--lfs", help="Module (pkg.mod) or .py file defining lfs = [...]."),
        cardinality: int = typer.Option(..., "--cardinality", help="Number of classes K."),
        method: str | None = typer.Option(
            None, "--method",
            help="Label model: snorkel, majority, dawid_skene or auto (needs --dev). Default: "
                 "snorkel with 3 or more LFs, majority with fewer (Snorkel needs 3)."),
        id_column: str | None = typer.Option(None, "--id-column", help="Column of item ids "
                                             "(default: a content hash per row)."),
        text_column: str | None = typer.Option(None, "--text-column",
                                               help="Column the LFs read as 'text'."),
        dev: Path | None = typer.Option(None, "--dev", help="Labeled dev table (needed by auto); "
                                        "read with the same --format/--sep/--no-header/"
                                        "--encoding options."),
        label_column: str | None = typer.Option(None, "--label-column",
                                                help="Gold label column of the dev table."),
        dev_columns: str | None = typer.Option(
            None, "--dev-columns",
            help="Column names of the dev table, like --columns (default: --columns)."),
        n_jobs: int = typer.Option(1, "--n-jobs", help="Processes for row-wise LFs."),
        random_state: int = typer.Option(0, "--random-state"),
        out: Path = typer.Option(..., "--out", help="Output folder."),
        format: str | None = FORMAT_OPT,
        sep: str | None = SEP_OPT,
        no_header: bool = NO_HEADER_OPT,
        columns: str | None = COLUMNS_OPT,
        encoding: str | None = ENCODING_OPT,
    ) -> None:
        """Apply labeling functions, fit a label model; write weak_labels.csv, lf_summary.csv
        and report.html."""
        read_opts = read_options(format, sep, no_header, columns, encoding)
        dev_read_opts = None
        if dev_columns is not None:
            dev_read_opts = read_options(format, sep, no_header, dev_columns, encoding)
        res = run_weak(data, lfs=load_lfs(lfs), cardinality=cardinality, method=method, out=out,
                       id_column=id_column, text_column=text_column, dev=dev,
                       label_column=label_column, n_jobs=n_jobs, random_state=random_state,
                       progress=True, read_opts=read_opts, dev_read_opts=dev_read_opts)
        model = res["model"]
        covered = float((res["L"] >= 0).any(axis=1).mean())
        console.print(f"labeled {len(res['L'])} rows with {res['L'].shape[1]} LFs "
                      f"({covered:.1%} with a vote); label model: "
                      f"{getattr(model, 'chosen_', res['method'])}")
        if hasattr(model, "reason_"):
            console.print(model.reason_)
        elif res["note"] is not None:
            console.print(res["note"])
        console.print(f"wrote {out / 'weak_labels.csv'}, {out / 'lf_summary.csv'}, "
                      f"{out / 'report.html'}")
