"""``dataqa weak``: apply labeling functions, fit a label model, write labels and a report."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from dataqa._cli_utils import console, handle_errors
from dataqa.errors import InvalidSettingError, LabelError, MissingColumnError, MissingInputError

if TYPE_CHECKING:  # pandas loads on first use, so `dataqa weak --help` is quick
    import pandas as pd

__all__ = ["register", "load_lfs", "run_weak"]


def load_lfs(spec: str) -> list[Any]:
    """The ``lfs`` list of a module (``pkg.module``) or of a Python file (``path/to/lfs.py``)."""
    path = Path(spec)
    if spec.endswith(".py") or path.is_file():
        if not path.is_file():
            raise InvalidSettingError(f"--lfs file {spec!r} does not exist.")
        name = f"_dataqa_lfs_{abs(hash(str(path.resolve())))}"
        loader_spec = importlib.util.spec_from_file_location(name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise InvalidSettingError(f"--lfs file {spec!r} cannot be imported as Python.")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[name] = module  # so that n_jobs workers can unpickle its LFs
        try:
            loader_spec.loader.exec_module(module)
        except Exception as exc:
            raise InvalidSettingError(f"--lfs file {spec!r} failed to import: {exc}") from exc
    else:
        try:
            module = importlib.import_module(spec)
        except ImportError as exc:
            raise InvalidSettingError(
                f"--lfs {spec!r} is neither a .py file nor an importable module ({exc})."
            ) from exc
    lfs = getattr(module, "lfs", None)
    if lfs is None:
        raise InvalidSettingError(
            f"--lfs {spec!r} has no variable named 'lfs'; define lfs = [...] there."
        )
    return list(lfs)


def _prepare(df: pd.DataFrame, text_column: str | None) -> pd.DataFrame:
    if text_column is None or text_column == "text":
        return df
    if text_column not in df.columns:
        raise MissingColumnError(text_column, [str(c) for c in df.columns], role="text column")
    out = df.drop(columns=["text"], errors="ignore").rename(columns={text_column: "text"})
    return out


def run_weak(data: Any, *, lfs: list[Any], cardinality: int, method: str, out: Path,
             id_column: str | None = None, text_column: str | None = None,
             dev: Any = None, label_column: str | None = None, n_jobs: int = 1,
             random_state: int = 0, progress: bool | None = None) -> dict[str, Any]:
    """The work behind ``dataqa weak``; returns what it wrote and the chosen model."""
    import numpy as np
    import pandas as pd

    from dataqa.data import load_table, make_ids
    from dataqa.errors import UnknownNameError
    from dataqa.weak import apply_lfs, fit_label_model, lf_summary
    from dataqa.weak.label_models import LABEL_MODELS
    from dataqa.weak.report import weak_report

    if method not in (*LABEL_MODELS, "auto"):
        raise UnknownNameError("label model", method, [*LABEL_MODELS, "auto"])
    if method == "auto" and dev is None:
        raise MissingInputError("--method auto picks a model on a dev set; pass --dev and --label-column.")
    if dev is not None and label_column is None:
        raise MissingInputError("--dev needs --label-column naming the gold label column.")
    frame = load_table(data)
    ids = make_ids(frame, id_column)
    df = _prepare(frame, text_column)
    L = apply_lfs(df, lfs, n_jobs=n_jobs, progress=progress, id_column=id_column)
    L_dev = Y_dev = None
    if dev is not None:
        dev_frame = load_table(dev)
        if label_column not in dev_frame.columns:
            raise MissingColumnError(label_column, [str(c) for c in dev_frame.columns],
                                     role="label column")
        y = pd.to_numeric(dev_frame[label_column], errors="coerce")
        if y.isna().any() or (y % 1 != 0).any() or (y < 0).any() or (y >= cardinality).any():
            raise LabelError(
                f"dev label column {label_column!r} must hold class indices 0..{cardinality - 1}."
            )
        Y_dev = y.to_numpy(dtype=np.int64)
        L_dev = apply_lfs(_prepare(dev_frame, text_column), lfs, n_jobs=n_jobs, progress=progress)
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
    weak_report(out / "report.html", summary=summary, L=L, proba=proba, pred=pred, facts=facts)
    return {"model": model, "L": L, "summary": summary, "out": out}


def register(app: typer.Typer) -> None:
    """Add the ``weak`` command to the ``dataqa`` app."""

    @app.command("weak")
    @handle_errors
    def weak_command(
        data: Path = typer.Argument(..., help="Table to label (CSV, Parquet, JSONL ...)."),
        lfs: str = typer.Option(..., "--lfs", help="Module (pkg.mod) or .py file defining lfs = [...]."),
        cardinality: int = typer.Option(..., "--cardinality", help="Number of classes K."),
        method: str = typer.Option("snorkel", "--method",
                                   help="Label model: snorkel, majority, dawid_skene or auto."),
        id_column: str | None = typer.Option(None, "--id-column", help="Column of item ids "
                                             "(default: a content hash per row)."),
        text_column: str | None = typer.Option(None, "--text-column",
                                               help="Column the LFs read as 'text'."),
        dev: Path | None = typer.Option(None, "--dev", help="Labeled dev table (needed by auto)."),
        label_column: str | None = typer.Option(None, "--label-column",
                                                help="Gold label column of the dev table."),
        n_jobs: int = typer.Option(1, "--n-jobs", help="Processes for row-wise LFs."),
        random_state: int = typer.Option(0, "--random-state"),
        out: Path = typer.Option(..., "--out", help="Output folder."),
    ) -> None:
        """Apply labeling functions, fit a label model; write weak_labels.csv, lf_summary.csv
        and report.html."""
        res = run_weak(data, lfs=load_lfs(lfs), cardinality=cardinality, method=method, out=out,
                       id_column=id_column, text_column=text_column, dev=dev,
                       label_column=label_column, n_jobs=n_jobs, random_state=random_state,
                       progress=True)
        model = res["model"]
        covered = float((res["L"] >= 0).any(axis=1).mean())
        console.print(f"labeled {len(res['L'])} rows with {res['L'].shape[1]} LFs "
                      f"({covered:.1%} with a vote); label model: "
                      f"{getattr(model, 'chosen_', method)}")
        if hasattr(model, "reason_"):
            console.print(model.reason_)
        console.print(f"wrote {out / 'weak_labels.csv'}, {out / 'lf_summary.csv'}, "
                      f"{out / 'report.html'}")
