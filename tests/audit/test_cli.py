import json

import pandas as pd
from typer.testing import CliRunner

from dataqa.cli import app
from dataqa.datasets import load_digits_noisy

runner = CliRunner()


def _digits_csv(tmp_path, n=300):
    frame, _ = load_digits_noisy(0.1)
    path = tmp_path / "digits.csv"
    frame.iloc[:n].drop(columns=["true_label"]).to_csv(path, index=False)
    return path


def test_audit_command_writes_outputs(tmp_path):
    data = _digits_csv(tmp_path)
    out = tmp_path / "out"
    res = runner.invoke(app, ["audit", str(data), "--label-column", "label", "--id-column", "id",
                              "--out", str(out), "--cv", "3"])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    issues = pd.read_csv(out / "issues.csv")
    assert summary["n"] == 300 and summary["n_issues"] == int(issues["is_label_issue"].sum())
    assert list(issues.columns[:5]) == ["id", "given_label", "suggested_label",
                                        "label_issue_score", "is_label_issue"]
    assert (out / "report.html").stat().st_size > 10_000
    assert "flagged as likely label errors" in res.output


def test_bad_input_exit_code_2_without_traceback(tmp_path):
    data = _digits_csv(tmp_path, n=50)
    res = runner.invoke(app, ["audit", str(data), "--label-column", "nope", "--out", str(tmp_path)])
    assert res.exit_code == 2
    message = " ".join(res.output.split())
    assert "label column 'nope' is not in '" in message and "digits.csv'; its columns are:" in message
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["audit", str(tmp_path / "none.csv"), "--label-column", "label"])
    assert res.exit_code == 2 and "does not exist" in res.output


def test_demo_prints_precision_and_recall(tmp_path):
    res = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo")])
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.output.splitlines() if ln.startswith("precision"))
    parts = line.split()
    precision, recall = float(parts[1]), float(parts[3])
    assert precision >= 0.75 and recall >= 0.75
    assert (tmp_path / "demo" / "report.html").exists()


def test_tsv_without_header_with_reading_options(tmp_path):
    rows = [("spam", 'WIN a "free" prize now'), ("ham", "see you at lunch")] * 15
    path = tmp_path / "SMS"
    path.write_text("".join(f"{lab}\t{txt} {i}\n" for i, (lab, txt) in enumerate(rows)))
    res = runner.invoke(app, ["audit", str(path), "--label-column", "label", "--text-column",
                              "text", "--out", str(tmp_path / "o"), "--no-datalab"])
    assert res.exit_code == 2 and "pass --format" in " ".join(res.output.split())
    res = runner.invoke(app, ["audit", str(path), "--format", "tsv", "--no-header", "--columns",
                              "label,text", "--label-column", "label", "--text-column", "text",
                              "--out", str(tmp_path / "o"), "--no-datalab"])
    assert res.exit_code == 0, res.output
    assert "30 items, 2 classes" in res.output
    res = runner.invoke(app, ["audit", str(path), "--format", "tsv", "--no-header",
                              "--label-column", "label", "--out", str(tmp_path / "o2")])
    assert res.exit_code == 2 and "--no-header needs --columns" in res.output
    assert not (tmp_path / "o2").exists()
