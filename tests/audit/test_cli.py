import json
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from dataqa.audit.error_rate import rate_text
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
    assert summary["n"] == 300 and summary["n_flagged"] == int(issues["is_label_issue"].sum())
    assert list(issues.columns[:5]) == ["id", "given_label", "suggested_label",
                                        "label_issue_score", "is_label_issue"]
    # each item's row in the file, counted from 1 after the header
    source = pd.read_csv(data)
    assert issues.columns[-1] == "row" and sorted(issues["row"]) == list(range(1, 301))
    assert (source["id"].iloc[issues["row"] - 1].to_numpy() == issues["id"].to_numpy()).all()
    assert (out / "report.html").stat().st_size > 10_000
    text = " ".join(res.output.split())
    assert "flagged as likely label errors (the review worklist, not an error rate)" in text
    assert (f"model-based error-rate range, not verified: "
            f"{rate_text(summary['model_error_rate_low'])}"
            f" - {rate_text(summary['model_error_rate_high'])}") in text
    assert f"dataqa review plan {out} --budget {summary['review_size']}" in text
    # each line whole, as a pipe gets it (80 columns): the command can be copied
    review = next(line for line in res.output.splitlines() if line.startswith("  review "))
    assert review.endswith(f"dataqa review plan {out} --budget {summary['review_size']}")
    assert "estimated error rate" not in text
    for f in ("pred_probs.npy", "items.parquet"):
        assert (out / f).is_file()


def test_bad_input_exit_code_2_without_traceback(tmp_path):
    data = _digits_csv(tmp_path, n=50)
    res = runner.invoke(app, ["audit", str(data), "--label-column", "nope", "--out", str(tmp_path)])
    assert res.exit_code == 2
    message = " ".join(res.output.split())
    assert "label column 'nope' is not in '" in message and "digits.csv'; its columns are:" in message
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["audit", str(tmp_path / "none.csv"), "--label-column", "label"])
    assert res.exit_code == 2 and "does not exist" in res.output


def test_demo_prints_precision_recall_and_the_model_range(tmp_path):
    res = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo")])
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.output.splitlines() if ln.startswith("precision"))
    parts = line.split()
    precision, recall = float(parts[1]), float(parts[3])
    assert precision >= 0.75 and recall >= 0.75
    summary = json.loads((tmp_path / "demo" / "summary.json").read_text())
    low, high = summary["model_error_rate_low"], summary["model_error_rate_high"]
    text = " ".join(res.output.split())
    assert (f"model-based error-rate range, not verified: {rate_text(low)} - "
            f"{rate_text(high)}") in text
    assert "true error rate (known here): 8.0%, inside the model-based range" in text
    assert "error rate:" not in text.replace("true error rate", "")  # no flagged fraction as a rate
    assert (tmp_path / "demo" / "report.html").exists()


def _audit_dir(tmp_path, n: int = 400, zero_led_ids: bool = False):
    frame, _ = load_digits_noisy(0.1)
    frame = frame.iloc[:n]
    if zero_led_ids:
        frame = frame.assign(id=[f"{i:05d}" for i in range(n)])
    data = tmp_path / "digits.csv"
    frame.drop(columns=["true_label"]).to_csv(data, index=False)
    out = tmp_path / "audit"
    res = runner.invoke(app, ["audit", str(data), "--label-column", "label", "--id-column", "id",
                              "--out", str(out), "--cv", "3", "--no-datalab"])
    assert res.exit_code == 0, res.output
    return out, frame.set_index("id")["true_label"]


def test_an_unfilled_sheet_whose_ids_lost_their_zeros_is_named_so(tmp_path):
    # ids such as 00017, saved by a spreadsheet as 17: the message says so, not "another
    # audit's sheet", and nothing is written
    out, _ = _audit_dir(tmp_path, n=200, zero_led_ids=True)
    assert runner.invoke(app, ["review", "plan", str(out), "--budget", "40"]).exit_code == 0
    sheet = pd.read_csv(out / "review_sheet.csv", dtype={"id": str})
    assert sheet["id"].str.startswith("0").all()
    sheet.assign(id=sheet["id"].astype(int)).to_csv(tmp_path / "saved.csv", index=False)
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(tmp_path / "saved.csv")])
    text = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    first = sheet["id"].iloc[0]
    assert (f"is an item of this audit's review plan (they are the plan's ids without their "
            f"leading zeros, e.g. {str(int(first))!r} for {first!r}, as a spreadsheet saves "
            f"ids it reads as numbers: format the id column as text, or copy the id column of "
            f"the sheet dataqa wrote), and no row has a verified label.") in text
    assert "another audit" not in text
    assert not (out / "verified.json").exists()


def test_review_plan_and_estimate_round_trip(tmp_path):
    from dataqa.audit import AuditResult, estimate_error_rate

    out, truth = _audit_dir(tmp_path)
    res = runner.invoke(app, ["review", "plan", str(out), "--budget", "80"])
    assert res.exit_code == 0, res.output
    plan = pd.read_csv(out / "review_plan.csv", dtype={"id": str})
    assert list(plan.columns) == ["id", "stratum", "weight"] and len(plan) == 80
    sheet = pd.read_csv(out / "review_sheet.csv", dtype={"id": str})
    assert sheet["id"].tolist() == plan["id"].tolist()
    # blind: the sheet holds the item and an empty verified_label, no label at all
    assert "verified_label" in sheet and sheet["verified_label"].isna().all()
    assert not {"given_label", "label", "suggested_label", "stratum"} & set(sheet.columns)
    assert "review plan: 80 of 400 items" in res.output
    # the sheet is opened in a spreadsheet: a byte-order mark tells Excel it is UTF-8
    assert (out / "review_sheet.csv").read_bytes().startswith(b"\xef\xbb\xbfid,")
    assert (out / "review_plan.csv").read_bytes().startswith(b"id,")
    assert "note: --budget" not in res.output
    recommended = AuditResult.load(out).model_error_rate.review_size
    assert recommended > 80 and f"note: the audit recommends about {recommended} items" in \
        " ".join(res.output.split())
    enough = runner.invoke(app, ["review", "plan", str(out), "--budget", str(recommended)])
    assert enough.exit_code == 0 and "note:" not in enough.output, enough.output
    big = runner.invoke(app, ["review", "plan", str(out), "--budget", "1000"])
    assert big.exit_code == 0, big.output
    assert ("note: --budget 1000 is more than the 400 items of the audit; the plan reviews "
            "every item.") in " ".join(big.output.split())
    res = runner.invoke(app, ["review", "plan", str(out), "--budget", "80"])
    classes = ", ".join(repr(str(c)) for c in range(10))
    assert (f"verified_label: the item's true class, one of {classes}; leave it empty for an "
            f"item not reviewed") in " ".join(res.output.split())
    # the sheet as written, not filled in yet: refused, nothing written
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(out / "review_sheet.csv")])
    assert res.exit_code == 2
    assert ("no item of the review plan has a verified label yet (80 planned): fill in the "
            "verified_label column") in " ".join(res.output.split())
    assert not (out / "verified.json").exists()
    # an unfilled sheet whose ids are none of this plan's (another audit's sheet)
    other = sheet[["id", "verified_label"]].assign(id=[f"x{i}" for i in range(len(sheet))])
    other.to_csv(tmp_path / "other_sheet.csv", index=False)
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(tmp_path / "other_sheet.csv")])
    assert res.exit_code == 2
    assert (f"none of the 80 ids of {str(tmp_path / 'other_sheet.csv')!r} ('x0', 'x1', 'x2'"
            in " ".join(res.output.split()))
    assert "is an item of this audit's review plan, and no row has a verified label" in \
        " ".join(res.output.split())
    assert "is it the sheet of another audit?" in " ".join(res.output.split())
    assert not (out / "verified.json").exists()
    # the same filled in with another dataset's classes: its ids are named, not its labels
    other.assign(verified_label="spam").to_csv(tmp_path / "other_filled.csv", index=False)
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(tmp_path / "other_filled.csv")])
    text = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert (f"none of the 80 ids of {str(tmp_path / 'other_filled.csv')!r} ('x0', 'x1', 'x2'"
            in text and "is an item of this audit's review plan (80 items, e.g." in text)
    assert "is it the sheet of another audit?" in text and "not a class" not in text
    assert not (out / "verified.json").exists()
    sheet["verified_label"] = truth.loc[sheet["id"]].to_numpy()
    sheet.to_csv(tmp_path / "reviews.csv", index=False)
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(tmp_path / "reviews.csv")])
    assert res.exit_code == 0, res.output
    verified = json.loads((out / "verified.json").read_text())
    direct = estimate_error_rate(AuditResult.load(out), sheet[["id", "verified_label"]])
    assert verified["estimate"] == pytest.approx(direct.estimate)
    assert (verified["low"], verified["high"]) == pytest.approx((direct.low, direct.high))
    assert verified["n_reviewed"] == 80
    text = " ".join(res.output.split())
    assert f"verified label-error rate: {direct}" in text
    # strata reviewed at different rates: the count of wrong reviews is not the rate's
    rates = direct.strata["n_reviewed"] / direct.strata["n_items"]
    assert rates.nunique() > 1
    assert (f"{direct.n_errors} wrong of 80 reviewed, each stratum weighted by its size)"
            in text)
    assert ("the interval: a 95% credible interval with a conservative lower end of the share "
            "of the dataset's "
            "items whose given label differs from the correct one (report.html says under which "
            "assumptions)") in text
    assert ("reviewers taken to be right: if they err (say 5% of the time), give "
            "--reviewer-error 0.05") in text
    # the estimate: each stratum's reviewed share of wrong labels, weighted by its size
    t = direct.strata
    assert direct.estimate == pytest.approx(
        float((t["n_items"] * t["n_errors"] / t["n_reviewed"]).sum() / t["n_items"].sum()))
    assert "precision of the flags (the share of flagged items whose label is wrong):" in text
    # the report's model-based range no longer asks for the review that was made
    report = " ".join((out / "report.html").read_text().split())
    assert "the verified error rate below is measured" in report
    assert "items to know it" not in report
    unflagged = direct.strata[direct.strata["stratum"] != "flagged"]
    assert (f"label errors among the {int(unflagged['n_items'].sum())} unflagged items, "
            f"estimated: {direct.missed_errors.format('{:.0f}')}; "
            f"{int(unflagged['n_errors'].sum())} found among the "
            f"{int(unflagged['n_reviewed'].sum())} reviewed") in text
    aim = AuditResult.load(out).model_error_rate
    width = (direct.high - direct.low) * 100
    said = (f"wider than the 5 the audit's recommended budget ({aim.review_size} items) aims at"
            if width > 5 else "within the 5 the audit aimed at")
    assert f"the interval is {width:.1f} points wide, {said}" in text
    page = (out / "report.html").read_text()
    assert "Verified error rate" in page and str(direct) in page
    summary = json.loads((out / "summary.json").read_text())
    assert summary["verified_error_rate"] == pytest.approx(direct.estimate)
    # another confidence: its width is not compared with the 95% interval's aim
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(tmp_path / "reviews.csv"), "--confidence", "0.9"])
    assert res.exit_code == 0, res.output
    assert "points wide" not in res.output and "aimed at" not in res.output
    # reviewers who may err: their "wrong" is a flag
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(tmp_path / "reviews.csv"), "--reviewer-error", "0.05"])
    assert res.exit_code == 0, res.output
    assert f"{direct.n_errors} flagged wrong of 80 reviewed" in " ".join(res.output.split())
    assert "with a wrong given label by the reviewers, who may err" in (
        out / "report.html").read_text()


def test_an_audit_into_a_reviewed_folder_sets_the_earlier_review_aside(tmp_path):
    out, truth = _audit_dir(tmp_path)
    assert runner.invoke(app, ["review", "plan", str(out), "--budget", "40"]).exit_code == 0
    sheet = pd.read_csv(out / "review_sheet.csv", dtype={"id": str})
    sheet["verified_label"] = truth.loc[sheet["id"]].to_numpy()
    sheet.to_csv(out / "review_sheet.csv", index=False)  # answers written in place
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(out / "review_sheet.csv")])
    assert res.exit_code == 0, res.output
    data = tmp_path / "digits.csv"
    with pytest.warns(UserWarning, match=r"held review_plan.csv, review_sheet.csv, "
                                         r"review_sheet.html, verified.json from an earlier audit or its review"):
        res = runner.invoke(app, ["audit", str(data), "--label-column", "label", "--id-column",
                                  "id", "--out", str(out), "--cv", "3", "--no-datalab"])
    assert res.exit_code == 0, res.output
    assert not {"review_plan.csv", "review_sheet.csv", "verified.json"} & {
        p.name for p in out.iterdir()}
    (aside,) = out.glob("earlier-*")
    kept = pd.read_csv(aside / "review_sheet.csv", dtype={"id": str})
    assert kept["verified_label"].notna().all() and len(kept) == 40  # the answers are kept
    summary = json.loads((out / "summary.json").read_text())
    assert "verified_error_rate" not in summary
    # the new audit has no plan: estimate asks for one
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(aside / "review_sheet.csv")])
    assert res.exit_code == 2 and "review plan" in res.output


def test_saving_another_plan_sets_the_answered_one_aside(tmp_path):
    from dataqa.audit import AuditResult, estimate_error_rate, plan_review

    out, truth = _audit_dir(tmp_path)
    assert runner.invoke(app, ["review", "plan", str(out), "--budget", "30"]).exit_code == 0
    sheet = pd.read_csv(out / "review_sheet.csv", dtype={"id": str})
    sheet["verified_label"] = truth.loc[sheet["id"]].to_numpy()
    sheet.to_csv(out / "review_sheet.csv", index=False)
    res = AuditResult.load(out)
    same = res.review_plan.copy()
    res.verified = estimate_error_rate(res, sheet[["id", "verified_label"]])
    res.save(out)  # the same plan: its sheet stays beside it
    assert not list(out.glob("earlier-*")) and (out / "verified.json").is_file()
    plan_review(res, budget=30, random_state=1)
    assert res.review_plan["id"].tolist() != same["id"].tolist()
    assert res.verified is None  # the estimate answered the other plan
    with pytest.warns(UserWarning, match="held review_plan.csv, review_sheet.csv, "
                                         "review_sheet.html, verified.json from an earlier "
                                         "review plan"):
        res.save(out)
    assert not (out / "verified.json").exists()
    assert "verified_error_rate" not in json.loads((out / "summary.json").read_text())
    (aside,) = out.glob("earlier-*")
    kept = pd.read_csv(aside / "review_sheet.csv", dtype={"id": str})
    assert kept["verified_label"].notna().all()
    assert pd.read_csv(aside / "review_plan.csv", dtype={"id": str})["id"].tolist() == \
        same["id"].astype(str).tolist()


def test_cleanlab_leaves_the_warning_filters_as_they_were():
    """cleanlab 2.9 runs warnings.filterwarnings("ignore") when its Datalab is imported;
    dataqa's own warnings must still show after an audit."""
    import subprocess
    import sys

    code = ("import warnings\n"
            "import dataqa.audit.core, dataqa.audit.issues, dataqa.audit.report, "
            "dataqa.audit.error_rate\n"
            "from dataqa.audit import audit\n"
            "from dataqa.datasets import load_digits_noisy\n"
            "frame = load_digits_noisy(0.1)[0].iloc[:120].drop(columns=['true_label'])\n"
            "before = list(warnings.filters)\n"
            "audit(frame, label_column='label', id_column='id', cv=3, progress=False)\n"
            "assert list(warnings.filters) == before, warnings.filters[:3]\n"
            "warnings.warn('still shown')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "UserWarning: still shown" in proc.stderr


def test_review_refusals(tmp_path):
    out, _ = _audit_dir(tmp_path)
    pd.DataFrame({"id": ["not-planned"], "verified_label": ["3"]}).to_csv(
        tmp_path / "r.csv", index=False)
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews", str(tmp_path / "r.csv")])
    assert res.exit_code == 2 and "has no review_plan.csv" in " ".join(res.output.split())
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews", "x.csv"])
    assert res.exit_code == 2 and "--reviews 'x.csv' does not exist" in res.output
    res = runner.invoke(app, ["review", "estimate", str(out)])
    assert res.exit_code == 2 and "give either --reviews FILE or --ledger FILE" in res.output
    res = runner.invoke(app, ["review", "plan", str(out), "--budget", "10", "--push"])
    assert res.exit_code == 2 and "--push needs --project NAME and --ledger FILE" in res.output
    res = runner.invoke(app, ["review", "plan", str(tmp_path / "nowhere"), "--budget", "10"])
    assert res.exit_code == 2 and "is not a folder" in res.output
    runner.invoke(app, ["review", "plan", str(out), "--budget", "10"])
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews", str(tmp_path / "r.csv")])
    assert res.exit_code == 2
    assert "1 reviewed item(s) are not in the review plan: 'not-planned'" in \
        " ".join(res.output.split())


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


def _filled_sheet(out, truth):
    sheet = pd.read_csv(out / "review_sheet.csv", dtype={"id": str})
    sheet["verified_label"] = truth.loc[sheet["id"]].to_numpy()
    return sheet


def test_a_copied_audit_folder_names_its_own_sheets_after_add(tmp_path):
    import shutil

    out, truth = _audit_dir(tmp_path)
    assert runner.invoke(app, ["review", "plan", str(out), "--budget", "30"]).exit_code == 0
    _filled_sheet(out, truth).to_csv(out / "review_sheet.csv", index=False)
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(out / "review_sheet.csv")])
    assert res.exit_code == 0, res.output
    seen = json.loads((out / "verified.json").read_text())
    assert seen["audit_folder"] == str(out.resolve())
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    res = runner.invoke(app, ["review", "plan", str(copy), "--add", "10"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert (f"--reviews {copy / 'review_sheet.csv'} --reviews {copy / 'review_sheet_2.csv'}"
            in text), text
    assert str(out / "review_sheet.csv") not in text
    # a record written before the folder was kept: dataqa's own sheet names are mapped
    from dataqa.audit.review_cli import _recorded_files

    gone = tmp_path / "moved" / "review_sheet.csv"
    kept = tmp_path / "downloads" / "review_sheet.csv"  # a filled sheet kept elsewhere
    kept.parent.mkdir()
    kept.write_text("id,verified_label\n")
    old = {"review_files": [str(gone), str(kept), str(tmp_path / "mine.csv")]}
    assert _recorded_files(old, copy) == [str((copy / "review_sheet.csv").resolve()),
                                          str(kept), str(tmp_path / "mine.csv")]


def test_a_partly_reviewed_plan_is_told_to_finish_it_before_adding(tmp_path):
    out, truth = _audit_dir(tmp_path)
    assert runner.invoke(app, ["review", "plan", str(out), "--budget", "40"]).exit_code == 0
    sheet = _filled_sheet(out, truth)
    sheet.loc[sheet.index[4:], "verified_label"] = None  # 4 of 40 answered
    sheet.to_csv(tmp_path / "part.csv", index=False)
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(tmp_path / "part.csv")])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert ("review the 36 planned items not reviewed yet first (4 of 40 are): whether more "
            "are needed, and how many, is estimated once they are") in text
    assert "--add" not in text


def test_review_estimate_reads_an_excel_sheet_with_the_reading_options(tmp_path):
    from dataqa.audit import AuditResult, estimate_error_rate

    out, truth = _audit_dir(tmp_path)
    assert runner.invoke(app, ["review", "plan", str(out), "--budget", "30"]).exit_code == 0
    sheet = _filled_sheet(out, truth)[["id", "verified_label"]]
    direct = estimate_error_rate(AuditResult.load(out), sheet)
    # as Excel saves CSV in much of Europe: ';', a byte-order mark, CRLF line ends
    excel = tmp_path / "excel.csv"
    excel.write_bytes(b"\xef\xbb\xbf" + sheet.assign(note="gepr\u00fcft").to_csv(
        sep=";", index=False, lineterminator="\r\n").encode("utf-8"))
    # its header names id and verified_label between ';': read so without --sep
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews", str(excel)])
    assert res.exit_code == 0, res.output
    assert f"verified label-error rate: {direct}" in " ".join(res.output.split())
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews", str(excel),
                              "--sep", ";"])
    assert res.exit_code == 0, res.output
    assert f"verified label-error rate: {direct}" in " ".join(res.output.split())
    # told otherwise, the reading options win, and the message names the delimiter
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews", str(excel),
                              "--format", "csv"])
    assert res.exit_code == 2
    assert "looks like fields separated by ';': pass --sep ';'" in " ".join(res.output.split())
    # Windows' cp1252: refused with the encoding to pass, read with it
    win = tmp_path / "win.csv"
    win.write_bytes(sheet.assign(note="\u201cok\u201d").to_csv(index=False).encode("cp1252"))
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews", str(win)])
    assert res.exit_code == 2 and "--encoding cp1252" in " ".join(res.output.split())
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews", str(win),
                              "--encoding", "cp1252"])
    assert res.exit_code == 0, res.output
    assert json.loads((out / "verified.json").read_text())["estimate"] == pytest.approx(
        direct.estimate)
    # a headerless sheet, its fields named
    bare = tmp_path / "bare.csv"
    sheet.to_csv(bare, index=False, header=False)
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews", str(bare),
                              "--no-header", "--columns", "id,verified_label"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["review", "estimate", str(out), "--ledger", "x.db", "--project",
                              "p", "--sep", ";"])
    assert res.exit_code == 2
    assert "say how to read the --reviews file; they do not apply with --ledger" in \
        " ".join(res.output.split())


def test_review_sheet_with_the_delimiter_of_a_semicolon_locale(tmp_path):
    from dataqa.audit import AuditResult, estimate_error_rate

    out, truth = _audit_dir(tmp_path)
    res = runner.invoke(app, ["review", "plan", str(out), "--budget", "30", "--sheet-sep", ";"])
    assert res.exit_code == 0, res.output
    raw = (out / "review_sheet.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid;") and b";verified_label" in raw.split(b"\n")[0]
    sheet = pd.read_csv(out / "review_sheet.csv", sep=";", dtype={"id": str})
    assert len(sheet) == 30 and sheet["verified_label"].isna().all()
    # the item's numbers with decimal commas, as that locale reads them (0.5 was text there)
    pixels = sheet.drop(columns=["id", "verified_label"])
    assert pixels.shape[1] == 64
    assert pixels.apply(lambda c: c.astype(str).str.fullmatch(r"\d+,0")).all().all()
    sheet["verified_label"] = truth.loc[sheet["id"]].to_numpy()
    # a reviewer's own column of decimal-comma numbers, as such a locale writes them: not
    # read by the estimate, so no advice to pass --decimal
    sheet.iloc[:20].assign(confidence="0,5").to_csv(tmp_path / "filled.csv", sep=";",
                                                      index=False)
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                                  str(tmp_path / "filled.csv")])  # no --sep needed
    assert res.exit_code == 0, res.output
    said = res.output + " ".join(str(w.message) for w in seen)
    assert "--decimal" not in said and "read as text" not in said
    direct = estimate_error_rate(AuditResult.load(out), sheet.iloc[:20])
    assert f"verified label-error rate: {direct}" in " ".join(res.output.split())
    # --add writes its sheet as the first one is written ...
    res = runner.invoke(app, ["review", "plan", str(out), "--add", "5"])
    assert res.exit_code == 0, res.output
    assert (out / "review_sheet_2.csv").read_bytes().startswith(b"\xef\xbb\xbfid;")
    # ... unless told otherwise
    res = runner.invoke(app, ["review", "plan", str(out), "--add", "5", "--force",
                              "--sheet-sep", "tab"])
    assert res.exit_code == 0, res.output
    assert (out / "review_sheet_3.csv").read_bytes().startswith(b"\xef\xbb\xbfid\t")
    res = runner.invoke(app, ["review", "plan", str(out), "--budget", "30", "--sheet-sep", ":"])
    assert res.exit_code == 2
    assert "--sheet-sep ':' is not one of ',', ';', tab or '|'." in " ".join(res.output.split())


def test_a_new_review_plan_sets_the_filled_sheet_and_the_estimate_aside(tmp_path):
    out, truth = _audit_dir(tmp_path)
    assert runner.invoke(app, ["review", "plan", str(out), "--budget", "40"]).exit_code == 0
    _filled_sheet(out, truth).to_csv(out / "review_sheet.csv", index=False)  # filled in place
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(out / "review_sheet.csv")])
    assert res.exit_code == 0, res.output
    first_plan = (out / "review_plan.csv").read_text()
    assert "verified_error_rate" in json.loads((out / "summary.json").read_text())
    before = json.loads((out / "summary.json").read_text())
    with pytest.warns(UserWarning, match=r"held review_plan.csv, review_sheet.csv, "
                                         r"review_sheet.html, verified.json from an earlier "
                                         r"review plan, which this "
                                         r"run replaces or leaves out; moved to '.*earlier-\d{8}T"
                                         r"\d{6}Z'"):
        res = runner.invoke(app, ["review", "plan", str(out), "--budget", "50", "--seed", "1"])
    assert res.exit_code == 0, res.output
    (aside,) = out.glob("earlier-*")
    kept = pd.read_csv(aside / "review_sheet.csv", dtype={"id": str})
    assert len(kept) == 40 and kept["verified_label"].notna().all()  # the answers survive
    assert (aside / "review_plan.csv").read_text() == first_plan
    assert (aside / "verified.json").is_file() and not (out / "verified.json").exists()
    assert len(pd.read_csv(out / "review_plan.csv")) == 50
    assert pd.read_csv(out / "review_sheet.csv")["verified_label"].isna().all()
    summary = json.loads((out / "summary.json").read_text())
    assert not [k for k in summary if k.startswith("verified")]
    assert summary == {k: v for k, v in before.items() if not k.startswith("verified")}
    assert "Verified error rate" not in (out / "report.html").read_text()
    # the new plan's sheet is what estimate reads now
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(aside / "review_sheet.csv")])
    assert res.exit_code == 2
    # ... and the earlier plan's sheet is told where its plan is
    text = " ".join(res.output.split())
    inside = len(set(kept["id"]) & set(pd.read_csv(out / "review_plan.csv", dtype={"id": str})
                                       ["id"]))
    assert (f"{40 - inside} reviewed item(s) are not in the review plan of {str(out)!r} but in "
            f"the earlier plan set aside in {str(aside)!r} (a later `dataqa review plan` "
            f"replaced it; {inside} of the reviews are in the current plan)") in text, text
    assert "swap the plans back" in text


def test_audit_strips_labels_and_refuses_case_variants(tmp_path):
    rows = [("spam", "win a free prize now"), ("ham", "see you at lunch today")] * 15
    frame = pd.DataFrame(rows, columns=["label", "text"])
    frame["text"] = [f"{t} {i}" for i, t in enumerate(frame["text"])]
    frame.loc[[0, 2, 4], "label"] = ["spam ", " spam", "spam\t"]
    frame.loc[[1], "label"] = "ham "
    data = tmp_path / "sms.csv"
    frame.to_csv(data, index=False)
    with pytest.warns(UserWarning, match=r"label column 'label' of '.*sms.csv': 4 label cells "
                                         r"have white space around the text"):
        res = runner.invoke(app, ["audit", str(data), "--label-column", "label", "--text-column",
                                  "text", "--out", str(tmp_path / "o"), "--no-datalab"])
    assert res.exit_code == 0, res.output
    assert "30 items, 2 classes" in res.output
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["class_names"] == [
        "ham", "spam"]
    frame.loc[[6, 8], "label"] = "SPAM"
    frame.loc[[3], "label"] = "Ham"
    frame.to_csv(data, index=False)
    res = runner.invoke(app, ["audit", str(data), "--label-column", "label", "--text-column",
                              "text", "--out", str(tmp_path / "o2"), "--no-datalab"])
    assert res.exit_code == 2
    assert ("label column 'label' of " in res.output and "spells 2 classes in several "
            "cases: 'ham' (14), 'Ham' (1: row 4); 'spam' (13), 'SPAM' (2: rows 7, 9) (rows "
            "counted from 1 after the header). Case may be meaningful"
            in " ".join(res.output.split()))
    assert not (tmp_path / "o2").exists()


def test_a_table_without_features_names_the_cli_options(tmp_path):
    data = tmp_path / "yt.csv"
    pd.DataFrame({"CONTENT": ["a b", "c d", "e f", "g h"], "CLASS": ["x", "y", "x", "y"]}).to_csv(
        data, index=False)
    res = runner.invoke(app, ["audit", str(data), "--label-column", "CLASS", "--out",
                              str(tmp_path / "x")])
    assert res.exit_code == 2
    assert ("has no numeric feature columns besides the id and label; name a text column with "
            "--text-column or numeric feature columns with --feature-column.") in \
        " ".join(res.output.split())  # the hints for Python callers are left out here


def test_review_answers_line_names_a_few_classes_of_many():
    from dataqa.audit.review_cli import _answers_line

    assert _answers_line(["ham", "spam"]) == ("verified_label: the item's true class, one of "
                                              "'ham', 'spam'; leave it empty for an item not "
                                              "reviewed")
    many = _answers_line([f"c{i}" for i in range(30)])
    assert "'c11', ... (30 classes in all, as spelled in the label column)" in many
    assert "'c12'" not in many


def test_review_plan_add_extends_the_plan_and_estimate_reads_both_sheets(tmp_path, monkeypatch):
    import re

    from dataqa.audit import AuditResult, estimate_error_rate, extend_plan, reviews_to_add

    out, truth = _audit_dir(tmp_path)
    res = runner.invoke(app, ["review", "plan", str(out), "--budget", "30"])
    assert res.exit_code == 0
    recommended = AuditResult.load(out).model_error_rate.review_size
    assert recommended > 30 and (
        f"note: the audit recommends about {recommended} items for an interval at most 5 "
        f"points wide; with 30 it is likely wider") in " ".join(res.output.split())
    first = pd.read_csv(out / "review_plan.csv", dtype={"id": str})
    filled = _filled_sheet(out, truth)
    filled.to_csv(tmp_path / "filled1.csv", index=False)
    monkeypatch.chdir(tmp_path)  # the sheet named as typed: relative to where this runs
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews", "filled1.csv"])
    assert res.exit_code == 0, res.output
    monkeypatch.chdir(out)  # `--add` run from elsewhere names the sheet by its whole path
    text = " ".join(res.output.split())
    loaded = AuditResult.load(out)
    v = estimate_error_rate(loaded, filled[["id", "verified_label"]])
    aim = loaded.model_error_rate.review_width
    assert v.width > aim  # 30 items are too few for the audit's 5 points
    from dataqa.audit.review import ADD_QUANTILE, _reviews_to_add

    more, _, median = _reviews_to_add(v, width=aim)
    assert more == reviews_to_add(v, width=aim)
    assert (f"to bring it within 5 points, review about {more} more items (enough in "
            f"{ADD_QUANTILE:.0%} "
            f"of simulated outcomes; about {median * 100:.1f} points wide in half of them): "
            f"`dataqa review plan {out} --add {more}`") in text
    # the allocation follows verified.json's reviews, as extend_plan with the estimate
    expected = extend_plan(AuditResult.load(out), add=more, verified=v)
    sheet_before = (out / "review_sheet.csv").read_text()
    res = runner.invoke(app, ["review", "plan", str(out), "--add", str(more)])
    assert res.exit_code == 0, res.output
    plan = pd.read_csv(out / "review_plan.csv", dtype={"id": str})
    assert plan["id"].tolist() == expected["id"].tolist()
    assert plan["id"].tolist()[:30] == first["id"].tolist() and len(plan) == 30 + more
    assert (out / "review_sheet.csv").read_text() == sheet_before  # left as it was
    added = pd.read_csv(out / "review_sheet_2.csv", dtype={"id": str})
    assert added["id"].tolist() == plan["id"].tolist()[30:]
    assert added["verified_label"].isna().all() and "label" not in added
    text = " ".join(res.output.split())
    assert f"review plan: {more} items added, {30 + more} of 400 items planned in all" in text
    # the sheet the last estimate read (a filled copy), then the new one
    assert (f"then, with the sheets filled in: dataqa review estimate {out} --reviews "
            f"{tmp_path / 'filled1.csv'} --reviews {out / 'review_sheet_2.csv'}") in text
    seen = json.loads((out / "verified.json").read_text())
    assert seen["review_files"] == [str(tmp_path / "filled1.csv")]
    assert seen["reviewed_ids"] == sorted(filled["id"])
    assert seen["reviews"] == dict(zip(filled["id"], filled["verified_label"].astype(str),
                                       strict=True))
    assert seen["n_planned"] == 30  # verified.json stays as the estimate wrote it ...
    report = " ".join((out / "report.html").read_text().split())
    assert f"30 of {30 + more} planned items ({v.n_errors} with a wrong given label)" in report
    assert str(v) in report  # ... and the report shows its estimate with the grown plan
    # per stratum: what the reviews found and the rate the allocation used
    for row in expected.attrs["strata"].itertuples(index=False):
        if row.n_reviewed:
            assert (f"{row.n_added} added ({int(row.n_errors)} of {row.n_reviewed} reviewed "
                    f"wrong, planned at an error rate of {row.allocation_rate:.1%})") in text
    # a second addition before the first one's reviews are estimated is refused
    res = runner.invoke(app, ["review", "plan", str(out), "--add", "5"])
    assert res.exit_code == 2 and ("has no estimate of its reviews since (verified.json counts "
                                   "30 planned items)") in " ".join(res.output.split())
    assert (out / "verified.json").is_file()  # the estimate of the reviews so far stays
    # both sheets, filled: the estimate of the whole plan
    added["verified_label"] = truth.loc[added["id"]].to_numpy()
    added.to_csv(tmp_path / "filled2.csv", index=False)
    # an item answered differently in the two sheets is named with both files' rows
    first_label = str(filled["verified_label"].iloc[2])
    clash = pd.concat([added, filled.iloc[[2]].assign(
        verified_label="1" if first_label != "1" else "2")])
    clash.to_csv(tmp_path / "clash.csv", index=False)
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(tmp_path / "filled1.csv"), "--reviews",
                              str(tmp_path / "clash.csv")])
    assert res.exit_code == 2
    assert (f"reviews give 1 item(s) more than one verified label: {filled['id'].iloc[2]!r}: "
            f"{first_label!r} ({str(tmp_path / 'filled1.csv')!r} data row "
            f"3) and {clash['verified_label'].iloc[-1]!r} ({str(tmp_path / 'clash.csv')!r} data "
            f"row {len(clash)})") in " ".join(res.output.split()), res.output
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(tmp_path / "filled1.csv"), "--reviews",
                              str(tmp_path / "filled2.csv")])
    assert res.exit_code == 0, res.output
    both = pd.concat([filled, added])[["id", "verified_label"]]
    direct = estimate_error_rate(AuditResult.load(out), both)
    assert direct.n_reviewed == direct.n_planned == 30 + more
    assert json.loads((out / "verified.json").read_text())["estimate"] == pytest.approx(
        direct.estimate)
    assert f"verified label-error rate: {direct}" in " ".join(res.output.split())
    # the second sheet alone: the first one's reviews would be dropped, and it says so
    with pytest.warns(UserWarning, match=r"30 item\(s\) reviewed in the last estimate \(it "
                                         r"read .*filled1.csv, .*filled2.csv\) have no verified "
                                         r"label in these reviews: 30 are in none of these "
                                         r"files \(.*\): give every filled sheet"):
        res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                                  str(tmp_path / "filled2.csv")])
    assert res.exit_code == 0, res.output
    # an answer erased in a sheet given again is told apart from a sheet left out
    erased = filled.astype({"verified_label": object})
    erased.loc[erased.index[:2], "verified_label"] = ""
    erased.to_csv(tmp_path / "erased.csv", index=False)
    runner.invoke(app, ["review", "estimate", str(out), "--reviews", str(tmp_path / "filled1.csv"),
                        "--reviews", str(tmp_path / "filled2.csv")])
    with pytest.warns(UserWarning, match=r"2 item\(s\) reviewed in the last estimate .* have "
                                         r"no verified label in these reviews: 2 have an empty "
                                         r"verified_label now \(.*\): an answer erased"):
        res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                                  str(tmp_path / "erased.csv"), "--reviews",
                                  str(tmp_path / "filled2.csv")])
    assert res.exit_code == 0, res.output
    runner.invoke(app, ["review", "estimate", str(out), "--reviews", str(tmp_path / "filled1.csv"),
                        "--reviews", str(tmp_path / "filled2.csv")])
    # a second addition takes the next sheet; a new plan sets every sheet aside
    res = runner.invoke(app, ["review", "plan", str(out), "--add", "5", "--seed", "3"])
    assert res.exit_code == 0 and (out / "review_sheet_3.csv").is_file()
    with pytest.warns(UserWarning, match=r"held review_plan.csv, review_sheet.csv, "
                                         r"review_sheet_2.csv, review_sheet_3.csv, review_sheet.html, "
                                         r"review_sheet_2.html, review_sheet_3.html, "
                                         r"verified.json"):
        res = runner.invoke(app, ["review", "plan", str(out), "--budget", "20"])
    assert res.exit_code == 0, res.output
    assert not list(out.glob("review_sheet_*.csv"))
    (aside,) = out.glob("earlier-*")
    assert len(pd.read_csv(aside / "review_sheet_2.csv")) == more
    assert re.search(r"earlier-\d{8}T\d{6}Z$", str(aside))


def test_review_plan_add_refusals_and_saving_an_extended_plan(tmp_path):
    from dataqa.audit import AuditResult, extend_plan

    out, truth = _audit_dir(tmp_path)
    res = runner.invoke(app, ["review", "plan", str(out), "--add", "10"])
    assert res.exit_code == 2 and "has no review_plan.csv to add to; make a plan with " \
        f"`dataqa review plan {out} --budget N` first" in " ".join(res.output.split())
    for args in ([], ["--budget", "10", "--add", "5"]):
        res = runner.invoke(app, ["review", "plan", str(out), *args])
        assert res.exit_code == 2 and "give either --budget N (a new plan) or --add N" in \
            " ".join(res.output.split())
    assert runner.invoke(app, ["review", "plan", str(out), "--budget", "30"]).exit_code == 0
    res = runner.invoke(app, ["review", "plan", str(out), "--add", "0"])
    assert res.exit_code == 2 and "--add 0 must be at least 1 item" in res.output
    res = runner.invoke(app, ["review", "plan", str(out), "--add", "1000"])
    assert res.exit_code == 0, res.output
    assert "note: --add 1000 is more than the 370 items not planned yet; all of them were " \
           "added." in " ".join(res.output.split())
    res = runner.invoke(app, ["review", "plan", str(out), "--add", "1", "--force"])
    assert res.exit_code == 2 and "already holds all 400 items" in res.output
    # saving a result whose plan was extended keeps the sheets (their answers still count)
    with pytest.warns(UserWarning, match="review_sheet.csv, review_sheet_2.csv, review_sheet.html, "
                                         "review_sheet_2.html from an "
                                         "earlier review plan"):
        assert runner.invoke(app, ["review", "plan", str(out), "--budget", "30"]).exit_code == 0
    _filled_sheet(out, truth).to_csv(out / "review_sheet.csv", index=False)
    r = AuditResult.load(out)
    extend_plan(r, add=10)
    r.save(out)
    assert len(pd.read_csv(out / "review_plan.csv")) == 40
    assert pd.read_csv(out / "review_sheet.csv")["verified_label"].notna().all()


def test_review_commands_printed_for_a_folder_with_a_space_run_verbatim(tmp_path):
    import shlex

    out, truth = _audit_dir(tmp_path)
    spaced = tmp_path / "my audit"
    out.rename(spaced)
    res = runner.invoke(app, ["review", "plan", str(spaced), "--budget", "30"])
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.output.splitlines() if "then, with the sheet filled in" in ln)
    command = line.split(": ", 1)[1]
    assert command == (f"dataqa review estimate {shlex.quote(str(spaced))} --reviews "
                       f"{shlex.quote(str(spaced / 'review_sheet.csv'))}")
    _filled_sheet(spaced, truth).to_csv(spaced / "review_sheet.csv", index=False)
    res = runner.invoke(app, shlex.split(command)[1:])  # as printed
    assert res.exit_code == 0, res.output
    advice = " ".join(res.output.split())
    assert f"`dataqa review plan {shlex.quote(str(spaced))} --add " in advice
    assert "points wide in half of them" in advice


def test_review_sheet_columns_hint_fits_the_sheet(tmp_path):
    out, truth = _audit_dir(tmp_path)
    runner.invoke(app, ["review", "plan", str(out), "--budget", "30"])
    sheet = _filled_sheet(out, truth).rename(columns={"id": "ID"}).assign(notes="")
    sheet.to_csv(tmp_path / "mine.csv", index=False)
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(tmp_path / "mine.csv")])
    assert res.exit_code == 2
    names = ",".join(["id", *[c for c in sheet.columns if c != "ID"]])
    assert f"(e.g. --columns {names})" in " ".join(res.output.split())
    # several sheets: the reading options apply to each
    (tmp_path / "win.csv").write_bytes("id,verified_label,note\na,1,gepr\u00fcft\n"
                                       .encode("cp1252"))
    res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                              str(out / "review_sheet.csv"), "--reviews",
                              str(tmp_path / "win.csv")])
    assert res.exit_code == 2
    assert "The reading options apply to every --reviews file" in " ".join(res.output.split())


def test_review_sheet_of_images_comes_with_a_page_of_the_pictures(tmp_path):
    import re

    out, truth = _audit_dir(tmp_path)
    res = runner.invoke(app, ["review", "plan", str(out), "--budget", "30"])
    assert res.exit_code == 0, res.output
    assert (f"the items as images (the sheet's 64 feature columns are their pixels): "
            f"{out / 'review_sheet.html'}") in " ".join(res.output.split())
    page = (out / "review_sheet.html").read_text()
    sheet = pd.read_csv(out / "review_sheet.csv", dtype={"id": str})
    # one picture per sheet row, in the sheet's order, each by its id; no given label
    alts = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,', page)
    assert alts == sheet["id"].tolist()
    assert "given_label" not in page and "is_label_issue" not in page
    # each item by the row a spreadsheet shows it on (the header is row 1)
    first = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert re.search(r"<td[^>]*>2</td><td[^>]*>" + re.escape(sheet["id"].iloc[0]) + "</td>",
                     first), first[:300]
    # the added items get their own page beside their sheet
    res = runner.invoke(app, ["review", "plan", str(out), "--add", "5", "--force"])
    assert res.exit_code == 0, res.output
    added = pd.read_csv(out / "review_sheet_2.csv", dtype={"id": str})
    assert re.findall(r'<img alt="([^"]+)"', (out / "review_sheet_2.html").read_text()) == \
        added["id"].tolist()
    # a table that is not images gets no page
    frame, _ = load_digits_noisy(0.1)
    data = tmp_path / "few.csv"
    frame.iloc[:300, :10].assign(label=frame["label"].iloc[:300]).to_csv(data, index=False)
    few = tmp_path / "few"
    assert runner.invoke(app, ["audit", str(data), "--label-column", "label", "--id-column", "id",
                               "--out", str(few), "--cv", "3", "--no-datalab"]).exit_code == 0
    res = runner.invoke(app, ["review", "plan", str(few), "--budget", "20"])
    assert res.exit_code == 0 and not (few / "review_sheet.html").exists()
    assert "as images" not in res.output


def test_review_sheet_text_that_a_spreadsheet_would_run_is_written_as_text(tmp_path):
    # comments such as '+44 79... call me' or '=HYPERLINK(...)' open as formulas
    # (#NAME?, a live link) and are saved altered; in the sheet they start with '
    rng = np.random.default_rng(0)
    words = {"spam": ["win", "prize", "call", "free"], "ham": ["nice", "song", "love", "video"]}
    rows = []
    for i in range(60):
        label = "spam" if i % 2 else "ham"
        rows.append({"id": f"c{i}", "label": label,
                     "text": " ".join(rng.choice(words[label], size=4))})
    rows[0]["text"] = '=HYPERLINK("http://example.com","click")'
    rows[1]["text"] = "+447935454150 call me"
    rows[2]["text"] = "-0.5"  # a number: left as it is
    pd.DataFrame(rows).to_csv(tmp_path / "c.csv", index=False)
    out = tmp_path / "a"
    res = runner.invoke(app, ["audit", str(tmp_path / "c.csv"), "--label-column", "label",
                              "--text-column", "text", "--id-column", "id", "--no-datalab",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["review", "plan", str(out), "--budget", "60"])
    assert res.exit_code == 0, res.output
    sheet = pd.read_csv(out / "review_sheet.csv", dtype=str, keep_default_na=False)
    text = dict(zip(sheet["id"], sheet["text"], strict=True))
    assert text["c0"] == '\'=HYPERLINK("http://example.com","click")'
    assert text["c1"] == "'+447935454150 call me" and text["c2"] == "-0.5"
    assert text["c3"] == rows[3]["text"]


def test_an_audit_of_a_folder_names_each_item_s_file_and_row_in_it(tmp_path):
    frame, _ = load_digits_noisy(0.1)
    frame = frame.iloc[:300].drop(columns=["true_label"])
    folder = tmp_path / "days"
    folder.mkdir()
    frame.iloc[:120].to_csv(folder / "a.csv", index=False)
    frame.iloc[120:].to_csv(folder / "b.csv", index=False)
    out = tmp_path / "out"
    res = runner.invoke(app, ["audit", str(folder), "--label-column", "label", "--id-column",
                              "id", "--out", str(out), "--cv", "3", "--no-datalab"])
    assert res.exit_code == 0, res.output
    issues = pd.read_csv(out / "issues.csv")
    assert list(issues.columns[-3:]) == ["row", "file", "file_row"]
    for name, part in (("a.csv", frame.iloc[:120]), ("b.csv", frame.iloc[120:])):
        mine = issues[issues["file"] == name]
        assert len(mine) == len(part)
        assert (part["id"].iloc[mine["file_row"] - 1].to_numpy() == mine["id"].to_numpy()).all()
    assert ((issues["file"] == "b.csv") == (issues["row"] > 120)).all()
    first_b = issues[issues["file"] == "b.csv"].iloc[0]
    page = (out / "report.html").read_text()
    top = issues.head(50)
    assert any(f"<td class=\"cell words\">{r} ({f} row {k})</td>" in page
               for r, f, k in zip(top["row"], top["file"], top["file_row"], strict=True))
    assert first_b["row"] == first_b["file_row"] + 120
    # one file: no file columns
    single = tmp_path / "one"
    assert runner.invoke(app, ["audit", str(folder / "a.csv"), "--label-column", "label",
                               "--id-column", "id", "--out", str(single), "--cv", "3",
                               "--no-datalab"]).exit_code == 0
    assert pd.read_csv(single / "issues.csv").columns[-1] == "row"


def test_a_printed_review_command_names_its_sheets_alike(tmp_path, monkeypatch):
    """A recorded sheet (kept by its whole path) and the new one (relative) were printed in
    two styles in one command; under the working folder both are relative."""
    from dataqa.audit.review_cli import _alike

    monkeypatch.chdir(tmp_path)
    aud = Path("aud")
    assert _alike([aud, tmp_path / "aud" / "review_sheet.csv", aud / "review_sheet_2.csv"]) == [
        "aud", str(aud / "review_sheet.csv"), str(aud / "review_sheet_2.csv")]
    elsewhere = tmp_path.parent / "other.csv"
    assert _alike([aud, elsewhere, aud / "review_sheet_2.csv"]) == [
        str(tmp_path / "aud"), str(elsewhere), str(tmp_path / "aud" / "review_sheet_2.csv")]


def test_an_audit_stopped_while_writing_is_said_and_its_folder_refused(tmp_path, monkeypatch):
    # Ctrl-C between two files of the folder: the next command read the mix as one audit
    from dataqa.audit import AuditResult

    out, _ = _audit_dir(tmp_path, n=200)
    assert runner.invoke(app, ["review", "plan", str(out), "--budget", "40"]).exit_code == 0
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes((out / "review_sheet.csv").read_bytes())
    data = tmp_path / "digits.csv"

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    args = ["audit", str(data), "--label-column", "label", "--id-column", "id", "--out",
            str(out), "--cv", "3", "--no-datalab", "--seed", "1", "-q"]
    with monkeypatch.context() as m:
        m.setattr(AuditResult, "to_html", stop)
        m.setattr("sys.argv", ["/venv/bin/dataqa", *args])  # as the console script runs
        res = runner.invoke(app, args)
    assert res.exit_code == 130
    assert (f"interrupted: {str(out)!r} was being written and is incomplete "
            f"(INCOMPLETE.json); run the command again") in " ".join(res.output.split())
    mark = json.loads((out / "INCOMPLETE.json").read_text())
    assert mark["command"] == shlex.join(["dataqa", *args])
    for args in (["review", "plan", str(out), "--budget", "40"],
                 ["review", "estimate", str(out), "--reviews", str(sheet)]):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, res.output
        assert (f"error: audit folder {str(out)!r} is incomplete: `{mark['command']}` was "
                f"writing it") in " ".join(res.output.split())
    res = runner.invoke(app, ["audit", str(data), "--label-column", "label", "--id-column",
                              "id", "--out", str(out), "--cv", "3", "--no-datalab", "-q"])
    assert res.exit_code == 0, res.output
    assert not (out / "INCOMPLETE.json").exists()
    assert runner.invoke(app, ["review", "plan", str(out), "--budget", "40"]).exit_code == 0


def test_a_review_stopped_while_writing_can_be_run_again(tmp_path, monkeypatch):
    # a stopped `review plan` marked the folder, and the folder's own commands then
    # refused it while saying to run them again
    import dataqa.audit.review_cli as review_cli

    out, _ = _audit_dir(tmp_path, n=200)

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(review_cli, "_drop_verified", stop)  # after the plan and sheet
        res = runner.invoke(app, ["review", "plan", str(out), "--budget", "40"])
    assert res.exit_code == 130
    mark = json.loads((out / "INCOMPLETE.json").read_text())
    assert mark["stage"] == "review"
    with pytest.warns(UserWarning, match=r"did not finish writing into .*: the audit's data "
                                         r"files are whole, but its review plan, sheets or "
                                         r"estimate may not be; run that again"):
        res = runner.invoke(app, ["review", "plan", str(out), "--budget", "40"])
    assert res.exit_code == 0, res.output
    assert not (out / "INCOMPLETE.json").exists()
    # a stopped estimate too
    sheet = pd.read_csv(out / "review_sheet.csv", dtype={"id": str})
    given = pd.read_parquet(out / "items.parquet").set_index("id")["given_label"]
    sheet["verified_label"] = sheet["id"].map(given)
    sheet.to_csv(tmp_path / "filled.csv", index=False)
    with monkeypatch.context() as m:
        m.setattr(review_cli, "write_text_atomic", stop)
        res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                                  str(tmp_path / "filled.csv")])
    assert res.exit_code == 130 and (out / "INCOMPLETE.json").is_file()
    with pytest.warns(UserWarning, match="did not finish writing into"):
        res = runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                                  str(tmp_path / "filled.csv")])
    assert res.exit_code == 0, res.output
    assert not (out / "INCOMPLETE.json").exists() and (out / "verified.json").is_file()


def test_a_stopped_review_plan_add_run_again_adds_its_batch_once(tmp_path, monkeypatch):
    # the stopped run had written the longer plan: run again, it added a second batch
    import shutil

    import dataqa.audit.review_cli as review_cli

    out, _ = _audit_dir(tmp_path, n=200)
    assert runner.invoke(app, ["review", "plan", str(out), "--budget", "40"]).exit_code == 0
    sheet = pd.read_csv(out / "review_sheet.csv", dtype={"id": str})
    given = pd.read_parquet(out / "items.parquet").set_index("id")["given_label"]
    sheet["verified_label"] = sheet["id"].map(given)
    sheet.to_csv(tmp_path / "filled.csv", index=False)
    assert runner.invoke(app, ["review", "estimate", str(out), "--reviews",
                               str(tmp_path / "filled.csv")]).exit_code == 0
    whole = tmp_path / "whole"
    shutil.copytree(out, whole)
    assert runner.invoke(app, ["review", "plan", str(whole), "--add", "20"]).exit_code == 0

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(review_cli, "_report_grown_plan", stop)  # after the plan and the sheet
        res = runner.invoke(app, ["review", "plan", str(out), "--add", "20"])
    assert res.exit_code == 130
    assert len(pd.read_csv(out / "review_plan.csv")) == 60
    assert json.loads((out / "INCOMPLETE.json").read_text())["adding"] == {
        "plan_rows": 40, "sheet": "review_sheet_2.csv"}
    with pytest.warns(UserWarning, match="did not finish writing into"):
        res = runner.invoke(app, ["review", "plan", str(out), "--add", "20"])
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert ("note: the last `dataqa review plan --add` stopped before it finished; the 20 "
            "items it had added to the plan were dropped and this run added its own "
            "(review_sheet_2.csv).") in said
    assert "20 items added, 60 of 200 items planned in all" in said
    assert not (out / "INCOMPLETE.json").exists() and not (out / "review_sheet_3.csv").exists()
    for name in ("review_plan.csv", "review_sheet_2.csv"):
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name


def test_several_sheets_a_folder_or_a_pattern_for_reviews_are_named_so(tmp_path):
    # a shell-expanded pattern after --reviews: give --reviews once per sheet (the hint
    # for a table's pattern, "quote it", led to "does not exist")
    for name in ("sheet_1.csv", "sheet_2.csv"):
        (tmp_path / name).write_text("id,verified_label\n1,a\n")
    a, b = str(tmp_path / "sheet_1.csv"), str(tmp_path / "sheet_2.csv")
    res = runner.invoke(app, ["review", "estimate", str(tmp_path), "--reviews", a, b])
    text = " ".join(res.output.split())
    assert res.exit_code == 2
    assert "If the shell expanded a pattern such as data/*.csv into several files, give " \
        "--reviews once per file (--reviews" in text.replace("│ ", ""), text
    res = runner.invoke(app, ["review", "estimate", str(tmp_path), "--reviews", str(tmp_path)])
    assert res.exit_code == 2
    assert (f"--reviews {str(tmp_path)!r} is a folder; give the filled sheet itself" in
            " ".join(res.output.split()))
    res = runner.invoke(app, ["review", "estimate", str(tmp_path), "--reviews",
                              str(tmp_path / "sheet_*.csv")])
    assert res.exit_code == 2
    assert "--reviews takes files, not patterns: give --reviews once per sheet." in \
        " ".join(res.output.split())
