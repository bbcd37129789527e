"""``dataqa drift``: files, exit codes, named bad input, and --push to a real server."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from dataqa.cli import app

runner = CliRunner()


def tables(tmp_path, shift=0.8, n=120, seed=0):
    rng = np.random.default_rng(seed)

    def part(n, shift):
        y = rng.choice(["ham", "spam"], n)
        x = rng.normal(size=n) + 2.0 * (y == "spam") + shift
        return pd.DataFrame({"x": x, "z": rng.normal(size=n), "label": y})
    ref = part(n, 0.0)
    cur = part(n, shift).drop(columns="label")
    cur.insert(0, "id", [f"c{i}" for i in range(n)])
    cur["ts"] = pd.date_range("2026-01-01", periods=n, freq="3h")
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    return tmp_path / "ref.csv", tmp_path / "cur.csv"


def test_writes_the_files_and_exits_0_with_or_without_drift(tmp_path):
    ref, cur = tables(tmp_path)
    out = tmp_path / "out"
    res = runner.invoke(app, ["drift", str(ref), str(cur), "--label-column", "label",
                              "--id-column", "id", "--permutations", "99", "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "drift.json").read_text())
    assert data["drifted"] is True and "x" in data["drifted_columns"]
    assert {"label_shift", "estimated_accuracy", "multivariate", "columns"} <= set(data)
    assert set(data["label_shift"]) == {"ham", "spam"}
    cols = pd.read_csv(out / "columns.csv")
    assert set(cols["column"]) == {"x", "z"}  # ts and id are only in the current table
    # the queue is opened in a spreadsheet (a byte-order mark for Excel); the tables are data
    assert (out / "queue.csv").read_bytes().startswith(b"\xef\xbb\xbfid,")
    assert (out / "columns.csv").read_bytes().startswith(b"column,")
    assert pd.read_csv(out / "queue.csv").columns[0] == "id"
    page = (out / "report.html").read_text()
    # the queue's columns explained one per line, score first
    legend = page[page.index("<h2>Label first"):].split('<table class="kv">', 1)[1]
    legend = legend.split("</table>", 1)[0]
    assert legend.startswith("<tr><td>score</td><td>higher = label first: the mean of the "
                             "percentile ranks of unlike_score and uncertainty</td></tr>")
    assert "<td>uncertainty</td><td>1 - the model&#x27;s largest probability</td>" in legend
    assert "drift:" in res.output
    lines = res.output.splitlines()
    assert "  drifted columns: x" in lines
    ls = data["label_shift"]
    ham = ls["ham"]
    star = "*" if ham["moved"] else ""
    assert (f"  class mix, estimate [interval] (reference share): ham: {ham['prior']:.2f} "
            f"[{ham['low']:.2f}, {ham['high']:.2f}]{star} "
            f"({ham['reference_prior']:.2f}); spam: ") in res.output
    spam = ls["spam"]
    moved = ham["moved"] or spam["moved"]
    assert ("* the share moved beyond chance (corrected over the classes)" in res.output) == moved
    assert f"  OOD share: {data['ood']['fraction']:.3f} of current rows above the msp " \
        f"threshold (0.050 expected without shift)" in lines
    # no drift: the current table is a second sample of the reference
    (tmp_path / "b").mkdir()
    ref2, _ = tables(tmp_path / "b", shift=0.0, seed=1)  # a second sample, same law
    res = runner.invoke(app, ["drift", str(ref), str(ref2), "--feature-column", "z",
                              "--permutations", "49", "--out", str(tmp_path / "out2")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "out2" / "drift.json").read_text())["drifted"] is False
    assert "no drift" in res.output


def test_windows_from_the_command_line(tmp_path):
    ref, cur = tables(tmp_path)
    out = tmp_path / "w"
    res = runner.invoke(app, ["drift", str(ref), str(cur), "--time-column", "ts", "--window",
                              "5D", "--permutations", "49", "--out", str(out)])
    assert res.exit_code == 0, res.output
    w = pd.read_csv(out / "windows.csv")
    assert w["n"].sum() == 120 and len(w) >= 3
    assert "ts" not in pd.read_csv(out / "columns.csv")["column"].tolist()
    res = runner.invoke(app, ["drift", str(ref), str(cur), "--chunk-size", "40",
                              "--permutations", "49", "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(tmp_path / "c" / "windows.csv")) == 3
    # ambiguous dates (01/02/2026 to 12/02/2026): --dayfirst reads 12 days of February,
    # --monthfirst 12 months (one window each), both without the default's warning
    cur_dates = pd.read_csv(cur)
    cur_dates["ts"] = [f"{d:02d}/02/2026" for d in np.arange(120) % 12 + 1]
    cur_dates.to_csv(tmp_path / "dates.csv", index=False)
    spans = {}
    for flag in ("--dayfirst", "--monthfirst", None):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = runner.invoke(app, ["drift", str(ref), str(tmp_path / "dates.csv"),
                                      "--time-column", "ts", "--window", "7D",
                                      "--permutations", "19", "-q", "--out",
                                      str(tmp_path / "d"), *([flag] if flag else [])])
        assert res.exit_code == 0, res.output
        said = " ".join(str(w.message) for w in caught)
        assert ("every date reads both month first and day first" in said) == (flag is None)
        spans[flag] = len(pd.read_csv(tmp_path / "d" / "windows.csv"))
    assert spans["--dayfirst"] == 2 and spans["--monthfirst"] == spans[None] == 12
    # another OOD score for the OOD share
    res = runner.invoke(app, ["drift", str(ref), str(cur), "--label-column", "label",
                              "--ood-score", "knn", "--permutations", "19", "-q", "--out",
                              str(tmp_path / "k")])
    assert res.exit_code == 0, res.output
    ood = json.loads((tmp_path / "k" / "drift.json").read_text())["ood"]
    assert ood["score"] == "knn" and 0 <= ood["fraction"] <= 1
    # the labeling queue is written without --push, --top items long
    res = runner.invoke(app, ["drift", str(ref), str(cur), "--permutations", "19", "--top", "5",
                              "-q", "--out", str(tmp_path / "q")])
    assert res.exit_code == 0, res.output
    queue = pd.read_csv(tmp_path / "q" / "queue.csv")
    assert len(queue) == 5 and queue["score"].is_monotonic_decreasing
    # the report shows missing cells blank, never "nan" or "<NA>"
    html = (out / "report.html").read_text()
    assert ">nan<" not in html and "&lt;NA&gt;" not in html
    # rows without a time (a log whose clock was not always written) are in no window,
    # and the summary, the settings and the report say how many
    gappy = pd.read_csv(cur)
    gappy.loc[::4, "ts"] = None
    gappy.loc[[4, 8], "ts"] = [" ", "NaT"]  # blank, and a missing-value text: no time too
    gappy.to_csv(tmp_path / "gappy.csv", index=False)
    with pytest.warns(UserWarning, match="time column 'ts' is missing in 30 of 120 current "
                                         "rows of the current table \\('.*gappy.csv'\\) "
                                         "\\(rows 1, 5, 9, 13, 17, ..."):
        res = runner.invoke(app, ["drift", str(ref), str(tmp_path / "gappy.csv"),
                                  "--time-column", "ts", "--window", "5D", "--permutations",
                                  "19", "-q", "--out", str(tmp_path / "g")])
    assert res.exit_code == 0, res.output
    assert "; 30 rows without a time are in no window" in res.output
    assert pd.read_csv(tmp_path / "g" / "windows.csv")["n"].sum() == 90
    saved = json.loads((tmp_path / "g" / "drift.json").read_text())
    assert saved["settings"]["rows_without_time"] == 30 and saved["n_current"] == 120
    page = (tmp_path / "g" / "report.html").read_text()
    assert "30 current rows have no time in &#x27;ts&#x27;" in page
    # the report's summary says what the command's does: which columns, how many windows
    line = next(x for x in res.output.splitlines() if "tested windows alarm" in x)
    assert f"<td>{line.strip().split('; 30 rows')[0]}</td>" in page
    drifted = next(x for x in res.output.splitlines() if x.startswith("  drifted columns: "))
    assert f"<td>drifted columns</td><td>1 of 2: {drifted.split(': ', 1)[1]}</td>" in page
    # the time column's missing share (against a reference with times) counts the same rows
    dated = pd.read_csv(ref).assign(ts=pd.date_range("2025-12-01", periods=120, freq="3h"))
    dated.to_csv(tmp_path / "dated.csv", index=False)
    with pytest.warns(UserWarning, match="missing in 30 of 120"):
        res = runner.invoke(app, ["drift", str(tmp_path / "dated.csv"),
                                  str(tmp_path / "gappy.csv"), "--time-column", "ts", "--window",
                                  "5D", "--permutations", "19", "-q", "--out", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    ts = pd.read_csv(tmp_path / "d" / "columns.csv").set_index("column").loc["ts"]
    assert ts["test"] == "fisher (missing share)" and ts["missing_current"] == 30 / 120
    assert ts["missing_reference"] == 0 and bool(ts["drifted"])
    page = (tmp_path / "d" / "report.html").read_text()  # this run's report, this run's lines
    assert "  drifted columns: x, ts (missing: 0.0% -> 25.0%)" in res.output.splitlines()
    assert "<td>drifted columns</td><td>2 of 3: x, ts</td>" in page
    line = next(x for x in res.output.splitlines() if "tested windows alarm" in x)
    assert f"<td>{line.strip().split('; 30 rows')[0]}</td>" in page


def test_a_current_file_with_its_own_format(tmp_path):
    # a reference without a suffix (TSV, no header) against a CSV with a header
    ref, cur = tables(tmp_path)
    frame = pd.read_csv(ref)
    frame.to_csv(tmp_path / "ref_raw", sep="\t", header=False, index=False)
    args = ["drift", str(tmp_path / "ref_raw"), str(cur), "--format", "tsv", "--no-header",
            "--columns", ",".join(frame.columns), "--current-header", "--permutations", "19",
            "-q", "--out", str(tmp_path / "o")]
    res = runner.invoke(app, args)
    assert res.exit_code == 2  # --format tsv read the CSV as TSV: one column
    # (read as CSV, with its quoting: not --current-sep ',', which stays TSV)
    assert "--current-format csv" in " ".join(res.output.split())
    res = runner.invoke(app, [*args, "--current-format", "csv"])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "o" / "drift.json").read_text())["n_current"] == 120
    # a JSON Lines current file does not inherit the reference's --sep and --decimal
    frame.to_csv(tmp_path / "ref_semi.csv", sep=";", decimal=",", index=False)
    pd.read_csv(cur).to_json(tmp_path / "cur.jsonl", orient="records", lines=True)
    res = runner.invoke(app, ["drift", str(tmp_path / "ref_semi.csv"), str(tmp_path / "cur.jsonl"),
                              "--sep", ";", "--decimal", ",", "--permutations", "19", "-q",
                              "--out", str(tmp_path / "o3")])
    assert res.exit_code == 0, res.output
    cols = pd.read_csv(tmp_path / "o3" / "columns.csv").set_index("column")
    assert cols.loc["x", "test"].startswith("ks") and bool(cols.loc["x", "drifted"])


def _write(tmp_path, name, df):
    p = tmp_path / name
    df.to_csv(p, index=False)
    return str(p)


@pytest.mark.parametrize("ref,cur,msg", [
    (pd.DataFrame({"a": range(20)}), pd.DataFrame({"b": range(20)}),
     "the reference table ('{r}') and the current table ('{c}') share no column to compare "
     "(reference: a; current: b)"),
    (pd.DataFrame({"a": range(20)}), pd.DataFrame({"a": [*range(19), "n/a?"]}),
     "column 'a' is numeric in the reference table but text in the current table ('{c}') "
     "(e.g. 'n/a?' in row 20, counted from 1 after the header)"),
    (pd.DataFrame({"a": range(20)}), pd.DataFrame({"a": range(5)}),
     "the current table ('{c}') has 5 rows"),
    (pd.DataFrame({"a": range(20)}), pd.DataFrame({"a": []}),
     "'{c}' has no rows; a drift check needs at least 10 rows in each table"),
    (pd.DataFrame({"a": range(20), "b": [None] * 20}),
     pd.DataFrame({"a": range(20), "b": [i % 7 for i in range(20)]}),
     "column 'b' is empty (all values missing) in the reference table ('{r}'); leave it out "
     "(--exclude-column b)"),
    (pd.DataFrame({"a": range(20), "b": [i % 7 for i in range(20)]}),
     pd.DataFrame({"a": range(20), "b": [None] * 20}),
     "column 'b' is empty (all values missing) in the current table ('{c}'), but filled in 20 "
     "of the 20 reference rows: production data lost it (a model that reads it is fed "
     "nothing); leave it out (--exclude-column b)"),
    (pd.DataFrame({"a": range(20), "notes": [None] * 20}),
     pd.DataFrame({"a": range(20), "notes": [None] * 20}),
     "column 'notes' is empty (all values missing) in both tables (the reference table "
     "('{r}'), the current table ('{c}')): there is nothing to compare; leave it out "
     "(--exclude-column notes)"),
])
def test_bad_input_exits_2_with_the_reason(tmp_path, ref, cur, msg):
    r, c = _write(tmp_path, "r.csv", ref), _write(tmp_path, "c.csv", cur)
    res = runner.invoke(app, ["drift", r, c, "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert msg.format(r=r, c=c) in " ".join(res.output.split())
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("numbers_in", ["current", "reference"])
def test_a_text_column_of_numbers_in_one_file_only_exits_2(tmp_path, numbers_in):
    rng = np.random.default_rng(3)
    words = ["free", "call", "now", "see", "you", "at", "lunch", "win", "prize", "ok"]
    text = pd.DataFrame({"text": [" ".join(rng.choice(words, 5)) for _ in range(40)],
                         "x": rng.normal(size=40)})
    numbers = text.assign(text=range(40))  # an export that put row numbers there
    r, c = (text, numbers) if numbers_in == "current" else (numbers, text)
    r, c = _write(tmp_path, "r.csv", r), _write(tmp_path, "c.csv", c)
    res = runner.invoke(app, ["drift", r, c, "--text-column", "text", "--out",
                              str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    path, other = (c, r) if numbers_in == "current" else (r, c)
    other_name = "reference" if numbers_in == "current" else "current"
    flag = "--current-columns" if numbers_in == "current" else "--columns"
    assert (f"text column 'text' holds only numbers in the {numbers_in} table ('{path}') "
            f"(e.g. 0 in row 1, counted from 1 after the header) but text in the {other_name} "
            f"table ('{other}') (100% of its values are not numbers): the {numbers_in} file's "
            f"column 'text' does not hold the text; check which column holds the text there "
            f"(rename it, or read the file with the right {flag}).") in " ".join(
        res.output.split())
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("args,msg", [
    (["--push"], "--push needs --project"),
    (["--push", "--project", "p"], "--push needs --ledger"),
    (["--push", "--project", "p", "--ledger", "never-made.db"],
     "project title 'p' is too short; Label Studio needs 3 characters or more (--project)"),
    (["--window", "7D"], "--window needs --time-column"),
    (["--time-column", "ts", "--window", "7D", "--chunk-size", "20"], "not both"),
    (["--correction", "holm"], "--correction 'holm' is not known; use one of fdr, bonferroni, none"),
    (["--seed", "-1"], "--seed -1 must be an integer >= 0"),
    (["--time-column", "ts", "--window", "0D"], "window '0D' must be a positive time span"),
    (["--time-column", "ts", "--window", "-7D"], "window '-7D' must be a positive time span"),
    (["--chunk-size", "3"], "--chunk-size 3 must be at least 10"),
    (["--alpha", "2"], "--alpha 2.0 must lie strictly between 0 and 1"),
    (["--min-effect", "-1"], "--min-effect -1.0 must be a number >= 0"),
    (["--permutations", "0"], "--permutations 0 must be at least 1"),
    (["--top", "0"], "--top 0 must be at least 1"),
    (["--time-column", "ts", "--window", "7D", "--dayfirst", "--monthfirst"],
     "give --dayfirst or --monthfirst, not both"),
    (["--current-no-header", "--current-header"],
     "give --current-no-header or --current-header, not both"),
    (["--label-column", "label", "--ood-score", "odin"], "--ood-score odin needs the model's "
                                                         "internals"),
    (["--ood-score", "knn"], "--ood-score knn needs --label-column"),
    (["--text-features", "bert"], "--text-features 'bert' is not known; use tfidf or embedding"),
    (["--label-column", "label", "--feature-column", "x", "--feature-column", "label"],
     "label column 'label' is also named in --feature-column: the model "
     "checks would learn the labels from themselves"),
    (["--label-column", "label", "--text-column", "label"],
     "label column 'label' is also named in --text-column"),
    (["--project", "p"], "--project applies to the push to Label Studio: add --push to send "
                         "the queue, or leave it out"),
    (["--ledger", "l.db", "--url", "http://127.0.0.1:1", "--classes", "a,b"],
     "--ledger, --classes, --url apply to the push to Label Studio: add --push to send the "
     "queue, or leave them out"),
    (["--dayfirst"], "--dayfirst says how to read the dates of the time column: give "
                     "--time-column with --window, or leave it out"),
    (["--exclude-column", "z", "--feature-column", "x"],
     "give --feature-column (the columns to compare) or --exclude-column"),
    (["--exclude-column", "nope"], "--exclude-column 'nope' is not in the reference "
                                   "table nor the current one; its columns are: x, z, label, id, ts"),
    (["--label-column", "label", "--exclude-column", "label"],
     "--exclude-column label is the column of --label-column; leave one of the two out"),
])
def test_bad_options_exit_2(tmp_path, args, msg):
    ref, cur = tables(tmp_path)
    res = runner.invoke(app, ["drift", str(ref), str(cur), "--out", str(tmp_path / "o"), *args])
    assert res.exit_code == 2, res.output
    assert msg in " ".join(res.output.split())


def test_push_sends_the_queue_once(ls_server, tmp_path):
    from dataqa.labelstudio import LabelStudioClient
    from dataqa.ledger import Ledger

    ref, cur = tables(tmp_path)
    # the current table has a label column of its own, filled in its first 40 rows (in
    # another vocabulary: 0/1, not ham/spam, which is warned about): those rows carry a
    # label already and are not pushed
    frame = pd.read_csv(cur)
    frame["label"] = [i % 2 for i in range(40)] + [None] * (len(frame) - 40)
    frame.to_csv(cur, index=False)
    labeled = {f"c{i}" for i in range(40)}
    led = str(tmp_path / "drift.db")
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.api_key}
    args = ["drift", str(ref), str(cur), "--label-column", "label", "--id-column", "id",
            "--permutations", "49", "--out", str(tmp_path / "o"), "--push", "--project",
            "drift queue test", "--ledger", led, "--top", "7"]
    res = runner.invoke(app, args, env=env)
    assert res.exit_code == 0, res.output
    assert "7 created, 0 already there, 0 failed" in res.output
    res = runner.invoke(app, args, env=env)
    assert res.exit_code == 0, res.output
    assert "0 created, 7 already there" in res.output
    with Ledger(led) as check:
        tasks = check.task_ids(project="drift queue test")
    from dataqa.drift import detect_drift

    r = detect_drift(pd.read_csv(ref), pd.read_csv(cur, dtype={"id": str}), label_column="label",
                     id_column="id", n_permutations=49)
    assert set(tasks) == set(r.label_queue(top=7)["id"]) and not set(tasks) & labeled
    with LabelStudioClient(ls_server.url, ls_server.api_key) as client:
        pid = client.find_project("drift queue test")["id"]
        on_server = client.list_tasks(pid)
    assert sorted(t["data"]["dataqa_id"] for t in on_server) == sorted(tasks)
    # (the current table's label column, empty in every queued row, is not shown)
    assert not any("current_label" in t["data"]["table"] for t in on_server)
    assert all({"x", "z"} <= set(t["data"]["table"]) for t in on_server)
    assert not any(t.get("annotations") for t in on_server)
    # the same rows exported again under other ids: the 7 sent are left out, the queue
    # goes on below them, and queue.csv lists what this push sent, not the rows left out
    frame.assign(id=[f"d{i}" for i in range(len(frame))]).to_csv(tmp_path / "cur_d.csv",
                                                                 index=False)
    again = [*args[:2], str(tmp_path / "cur_d.csv"), *args[3:9], "--out",
             str(tmp_path / "o_d"), *args[11:-1], "10"]
    with pytest.warns(UserWarning, match="7 queued item"):
        res = runner.invoke(app, again, env=env)
    assert res.exit_code == 0, res.output
    assert "10 created, 0 already there, 0 failed" in res.output
    with Ledger(led) as check:
        sent_now = set(check.task_ids(project="drift queue test")) - set(tasks)
    written = pd.read_csv(tmp_path / "o_d" / "queue.csv", dtype={"id": str})["id"]
    assert len(sent_now) == 10 and set(written) == sent_now
    assert not {f"d{k[1:]}" for k in tasks} & set(written)
    said = " ".join((tmp_path / "o_d" / "report.html").read_text().split())
    assert ("holds the first 10 of them (--top 10), less 7 that an earlier push sent to the "
            "project under another id" in said)
    # --classes naming the classes otherwise (ham, spam -> no, yes): the pre-annotations
    # are renamed in order, with a warning, not dropped
    renamed = [*args[:11], "--push", "--project", "drift renamed", "--ledger", led, "--top", "3",
               "--classes", "no,yes"]
    with pytest.warns(UserWarning, match="the model's classes ham, spam are sent as no, yes"):
        res = runner.invoke(app, renamed, env=env)
    assert res.exit_code == 0, res.output
    with LabelStudioClient(ls_server.url, ls_server.api_key) as client:
        pid = client.find_project("drift renamed")["id"]
        sent = client.list_tasks(pid)
        preds = [p for t in sent
                 for p in client.request("GET", f"/api/tasks/{t['id']}")["predictions"]]
    assert len(sent) == 3 and len(preds) == 3
    # every current row labeled: nothing to push, said, exit 0, no project made
    frame.assign(label=frame.index % 2).to_csv(cur, index=False)
    everything = [*args[:11], "--push", "--project", "drift all labeled", "--ledger", led]
    res = runner.invoke(app, everything, env=env)
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert ("note: the labeling queue is empty: no current row is left to label; nothing is "
            "pushed to project 'drift all labeled'") in said
    with LabelStudioClient(ls_server.url, ls_server.api_key) as client:
        assert client.find_project("drift all labeled") is None
    frame.to_csv(cur, index=False)
    # a project with other classes is refused before the analysis writes anything
    other = [*args[:9], "--out", str(tmp_path / "refused"), "--push", "--project",
             "drift renamed", "--ledger", led]
    res = runner.invoke(app, other, env=env)
    assert res.exit_code == 2
    assert ("project 'drift renamed' (id " in res.output
            and "has classes ['no', 'yes'], not ['ham', 'spam']" in res.output)
    assert not (tmp_path / "refused").exists()
    # class names that hold neither the reference's classes nor one name for each are
    # refused before the analysis too (they would leave every task without its
    # pre-annotation)
    typo = [*args[:9], "--out", str(tmp_path / "typo"), "--push", "--project",
            "drift typo", "--ledger", led, "--classes", "ham,promo"]
    res = runner.invoke(app, typo, env=env)
    assert res.exit_code == 2
    assert ("the class names ham, promo (--classes) do not hold the model's classes ham, spam"
            in " ".join(res.output.split()))
    assert not (tmp_path / "typo").exists()
    assert {p["result"][0]["value"]["choices"][0] for p in preds} <= {"no", "yes"}
    # a project whose classes extend the model's at the end (a class added in Label
    # Studio) takes the queue, as `ls push` does
    extra = tmp_path / "extra.csv"
    frame.head(2).drop(columns="label").assign(id=["x1", "x2"]).to_csv(extra, index=False)
    res = runner.invoke(app, ["ls", "push", "--ledger", str(tmp_path / "o.db"), "--project",
                              "drift extended", "--queue", "active", "--from", str(extra),
                              "--id-column", "id", "--classes", "ham,spam,promo"], env=env)
    assert res.exit_code == 0, res.output
    extended = [*args[:9], "--out", str(tmp_path / "extended"), "--push", "--project",
                "drift extended", "--ledger", led, "--top", "4"]
    res = runner.invoke(app, extended, env=env)
    assert res.exit_code == 0, res.output
    assert "4 created, 0 already there, 0 failed" in res.output
    with LabelStudioClient(ls_server.url, ls_server.api_key) as client:
        assert len(client.list_tasks(client.find_project("drift extended")["id"])) == 2 + 4
    # a project made for texts is refused before any task is sent (Label Studio rejected
    # each table task with HTTP 400 "text key is expected")
    texts = tmp_path / "texts.csv"
    pd.DataFrame({"id": ["x1", "x2"], "text": ["a b", "c d"]}).to_csv(texts, index=False)
    res = runner.invoke(app, ["ls", "push", "--ledger", str(tmp_path / "t.db"), "--project",
                              "drift texts", "--queue", "active", "--from", str(texts),
                              "--classes", "ham,spam"], env=env)
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, [*extended[:-6], "--project", "drift texts", "--ledger", led],
                        env=env)
    said = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert ("project 'drift texts' (id " in said and "shows the task field(s) $text, which "
            "this push's tasks lack (they carry context, dataqa_id,") in said
    with LabelStudioClient(ls_server.url, ls_server.api_key) as client:
        assert len(client.list_tasks(client.find_project("drift texts")["id"])) == 2


def test_the_current_file_can_have_its_own_reading_options(tmp_path):
    rng = np.random.default_rng(5)
    cities = ["Zürich", "Genève", "Bâle"]
    ref = pd.DataFrame({"city": rng.choice(cities, 200), "x": rng.normal(size=200)})
    cur = pd.DataFrame({"city": rng.choice(cities, 200), "x": rng.normal(size=200)})
    ref.to_csv(tmp_path / "ref.csv", index=False, encoding="utf-8")
    # the current file: cp1252, tab-separated, no header
    cur.to_csv(tmp_path / "cur.tsv", index=False, header=False, sep="\t", encoding="cp1252")
    out = tmp_path / "o"
    args = ["drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.tsv"), "--out", str(out),
            "--permutations", "49", "--current-encoding", "cp1252", "--current-sep", "\\t",
            "--current-no-header", "--current-columns", "city,x", "-q"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    cols = pd.read_csv(out / "columns.csv").set_index("column")
    assert not cols.loc["city", "drifted"] and cols.loc["city", "effect"] < 0.1
    # the same encoding for both files garbles the UTF-8 reference: every city is "unseen"
    reading = ["--current-sep", "\\t", "--current-no-header", "--current-columns", "city,x"]
    res = runner.invoke(app, [*args[:7], "--encoding", "cp1252", *reading, "-q"])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out / "columns.csv").set_index("column").loc["city", "drifted"]


def test_current_reading_errors_point_to_the_current_options(tmp_path):
    ref, _ = tables(tmp_path)
    (tmp_path / "semi.csv").write_text("x;z\n1;2\n3;4\n")
    res = runner.invoke(app, ["drift", str(ref), str(tmp_path / "semi.csv"), "--out",
                              str(tmp_path / "o")])
    assert res.exit_code == 2
    msg = " ".join(res.output.split())
    assert "fields separated by ';'" in msg and "pass --current-sep ';'" in msg
    assert "This is the current file: --current-format, --current-sep" in msg
    # a bad byte in the current file points to --current-encoding, which leaves the
    # reference's reading alone
    (tmp_path / "latin.csv").write_bytes(pd.read_csv(ref).assign(
        city="Zürich").to_csv(index=False).encode("latin-1"))
    res = runner.invoke(app, ["drift", str(ref), str(tmp_path / "latin.csv"), "--out",
                              str(tmp_path / "o")])
    assert res.exit_code == 2
    msg = " ".join(res.output.split())
    assert "e.g. --current-encoding cp1252" in msg and " --encoding" not in msg
    res = runner.invoke(app, ["drift", str(ref), str(tmp_path / "semi.csv"), "--out",
                              str(tmp_path / "o"), "--current-no-header"])
    assert res.exit_code == 2
    assert "--current-columns" in " ".join(res.output.split())
    # --current-header: the current file keeps its own names, --columns renames the reference
    frame = pd.read_csv(ref)
    frame.to_csv(tmp_path / "noheader.csv", header=False, index=False)
    res = runner.invoke(app, ["drift", str(tmp_path / "noheader.csv"), str(ref), "--no-header",
                              "--columns", ",".join(frame.columns), "--current-header",
                              "--permutations", "19", "-q", "--out", str(tmp_path / "o2")])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "o2" / "drift.json").read_text())
    assert data["drifted"] is False and {"x", "z", "label"} <= {c["column"] for c in data["columns"]}


def test_a_current_file_with_decimal_commas(tmp_path):
    ref, cur = tables(tmp_path)
    pd.read_csv(cur).to_csv(tmp_path / "eu.csv", sep=";", decimal=",", index=False)
    args = ["drift", str(ref), "--label-column", "label", "--permutations", "19", "-q"]
    res = runner.invoke(app, [*args[:2], str(tmp_path / "eu.csv"), *args[2:], "--out",
                              str(tmp_path / "eu"), "--current-sep", ";", "--current-decimal", ","])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, [*args[:2], str(cur), *args[2:], "--out", str(tmp_path / "dot")])
    assert res.exit_code == 0, res.output
    eu = pd.read_csv(tmp_path / "eu" / "columns.csv")
    dot = pd.read_csv(tmp_path / "dot" / "columns.csv")
    assert eu["kind"].tolist() == dot["kind"].tolist() == ["numeric", "numeric"]
    assert eu["p_value"].tolist() == pytest.approx(dot["p_value"].tolist())
    # the reference with decimal commas, the current file with points, both read with ','
    pd.read_csv(ref).to_csv(tmp_path / "eu_ref.csv", sep=";", decimal=",", index=False)
    pd.read_csv(cur).to_csv(tmp_path / "dot_cur.csv", sep=";", index=False)
    for a, b, fix in (("eu_ref.csv", "dot_cur.csv", "read the current file with "
                                                    "--current-decimal '.'"),
                      ("dot_cur.csv", "eu_ref.csv", "--decimal applies to both files; read "
                                                    "the reference with --decimal '.' and the "
                                                    "current file with --current-decimal ','")):
        res = runner.invoke(app, ["drift", str(tmp_path / a), str(tmp_path / b), "--sep", ";",
                                  "--decimal", ",", "--out", str(tmp_path / "mixed")])
        assert res.exit_code == 2
        assert ("The value has a decimal point, but the file was read with the decimal mark "
                f"',': {fix}") in " ".join(res.output.split())


def test_grouped_thousands_are_read_as_numbers_with_thousands(tmp_path):
    ref, cur = tables(tmp_path)
    for name, path in (("r", ref), ("c", cur)):
        df = pd.read_csv(path)
        df["x"] = [f"{v * 1000:,.2f}" for v in df["x"]]  # "1,234.56", quoted in the file
        df.to_csv(tmp_path / f"{name}_us.csv", index=False)
    args = ["drift", str(tmp_path / "r_us.csv"), str(tmp_path / "c_us.csv"), "--permutations",
            "19", "-q"]
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "plain")])
    assert res.exit_code == 0, res.output
    plain = " ".join(res.output.split())
    assert "x (numbers written as text (e.g." in plain
    assert "read the files with --thousands ','" in plain
    res = runner.invoke(app, [*args, "--thousands", ",", "--out", str(tmp_path / "us")])
    assert res.exit_code == 0, res.output
    cols = pd.read_csv(tmp_path / "us" / "columns.csv").set_index("column")
    assert cols.loc["x", "kind"] == "numeric" and bool(cols.loc["x", "drifted"])
    # the current file alone writes them so: its own option
    res = runner.invoke(app, ["drift", str(ref), str(tmp_path / "c_us.csv"), "--permutations",
                              "19", "-q", "--current-thousands", ",", "--out",
                              str(tmp_path / "cur_only")])
    assert res.exit_code == 0, res.output
    cols = pd.read_csv(tmp_path / "cur_only" / "columns.csv").set_index("column")
    assert cols.loc["x", "kind"] == "numeric"


def test_points_between_thousands_are_said_and_read_with_the_options(tmp_path):
    # 5.100,58 in ';' files was read as text and left out as "an identifier" without a
    # word: "no drift" where the amounts moved
    ref, cur = tables(tmp_path)
    for name, path in (("r", ref), ("c", cur)):
        df = pd.read_csv(path)
        df["x"] = [f"{v * 1000 + 5000:,.2f}".replace(",", "_").replace(".", ",")
                   .replace("_", ".") for v in df["x"]]
        df.to_csv(tmp_path / f"{name}_eu.csv", sep=";", index=False)
    args = ["drift", str(tmp_path / "r_eu.csv"), str(tmp_path / "c_eu.csv"), "--sep", ";",
            "--permutations", "19", "-q"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = runner.invoke(app, [*args, "--out", str(tmp_path / "plain")])
    assert res.exit_code == 0, res.output
    said = [" ".join(str(w.message).split()) for w in caught]
    assert any("r_eu.csv': column(s) 'x' look like numbers that group their thousands (e.g. "
               "'" in m and "read the file with --thousands '.' --decimal ','" in m
               for m in said), said
    # the current file is told its own options
    assert any("c_eu.csv'" in m and "read the file with --current-thousands '.' "
               "--current-decimal ','" in m for m in said), said
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = runner.invoke(app, [*args, "--thousands", ".", "--decimal", ",", "--out",
                                  str(tmp_path / "eu")])
    assert res.exit_code == 0, res.output
    assert not [w for w in caught if "look like numbers" in str(w.message)]
    cols = pd.read_csv(tmp_path / "eu" / "columns.csv").set_index("column")
    assert cols.loc["x", "kind"] == "numeric" and bool(cols.loc["x", "drifted"])


def test_decimal_commas_in_both_files_are_refused_not_compared_as_categories(tmp_path):
    ref, cur = tables(tmp_path)
    pd.read_csv(ref).to_csv(tmp_path / "eu_ref.csv", sep=";", decimal=",", index=False)
    pd.read_csv(cur).to_csv(tmp_path / "eu_cur.csv", sep=";", decimal=",", index=False)
    args = ["drift", str(tmp_path / "eu_ref.csv"), str(tmp_path / "eu_cur.csv"), "--sep", ";",
            "--permutations", "19", "-q"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reading warns about each file first
        res = runner.invoke(app, [*args, "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert (f"error: columns 'x', 'z' hold numbers written with a decimal comma (e.g. "
            f"{pd.read_csv(tmp_path / 'eu_ref.csv', sep=';', dtype=str)['x'][0]!r} in 'x') in "
            f"both the reference table ({str(tmp_path / 'eu_ref.csv')!r}) and the current "
            f"table ({str(tmp_path / 'eu_cur.csv')!r}), so they were read as text and would be "
            f"compared as categories, not as numbers; read the files with --decimal ',' (it "
            f"applies to both files)") in text
    assert "--current-decimal" not in text.split("error:")[1]
    assert not (tmp_path / "o").exists()
    # one column: named alone; --decimal ',' reads both files as numbers
    frame = pd.read_csv(tmp_path / "eu_cur.csv", sep=";", decimal=",")
    frame["z"] = frame["z"].round().astype(int)
    frame.to_csv(tmp_path / "eu_cur1.csv", sep=";", decimal=",", index=False)
    pd.read_csv(tmp_path / "eu_ref.csv", sep=";", decimal=",").assign(
        z=lambda d: d["z"].round().astype(int)).to_csv(tmp_path / "eu_ref1.csv", sep=";",
                                                       decimal=",", index=False)
    one = ["drift", str(tmp_path / "eu_ref1.csv"), str(tmp_path / "eu_cur1.csv"), "--sep", ";",
           "--permutations", "19", "-q"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = runner.invoke(app, [*one, "--out", str(tmp_path / "o1")])
    assert res.exit_code == 2
    assert "error: column 'x' holds numbers written with a decimal comma" in res.output
    res = runner.invoke(app, [*args, "--decimal", ",", "--out", str(tmp_path / "o2")])
    assert res.exit_code == 0, res.output
    cols = pd.read_csv(tmp_path / "o2" / "columns.csv")
    assert cols.set_index("column").loc[["x", "z"], "kind"].tolist() == ["numeric", "numeric"]
    assert bool(cols.set_index("column").loc["x", "drifted"])


def test_push_checks_the_server_before_the_analysis(tmp_path, monkeypatch):
    ref, cur = tables(tmp_path)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "some-key")
    push = ["drift", str(ref), str(cur), "--out", str(tmp_path / "o"), "--push", "--project",
            "drift p", "--url", "http://127.0.0.1:9"]
    res = runner.invoke(app, [*push, "--ledger", str(tmp_path / "l.db"), "--classes", "ham,spam"])
    assert res.exit_code == 2
    assert ("cannot reach Label Studio at http://127.0.0.1:9 (ConnectionError); start the server "
            "(`make labelstudio`) or give its address with --url or $LABEL_STUDIO_URL") in " ".join(
        res.output.split())
    assert not (tmp_path / "o").exists() and not (tmp_path / "l.db").exists()
    # no class names, a folder or a file that is no ledger: refused before the analysis too
    res = runner.invoke(app, [*push, "--ledger", str(tmp_path / "l.db")])
    assert res.exit_code == 2
    assert ("pushing to project 'drift p' needs the class names: give the reference's label column "
            "(--label-column) or --classes a,b,...") in " ".join(res.output.split())
    res = runner.invoke(app, [*push, "--ledger", str(tmp_path / "l.db"), "--label-column",
                              "label", "--classes", "ham"])
    assert res.exit_code == 2 and "(two or more)" in res.output
    res = runner.invoke(app, [*push, "--ledger", str(tmp_path), "--label-column", "label"])
    assert res.exit_code == 2 and "is a folder" in res.output
    (tmp_path / "notes.txt").write_text("not a ledger\n")
    res = runner.invoke(app, [*push, "--ledger", str(tmp_path / "notes.txt"), "--label-column",
                              "label"])
    assert res.exit_code == 2 and "is not a dataqa ledger" in " ".join(res.output.split())
    assert not (tmp_path / "o").exists()
    assert (tmp_path / "notes.txt").read_text() == "not a ledger\n"  # read, never changed


def test_text_as_sentence_embeddings_from_the_command_line(tmp_path):
    rng = np.random.default_rng(3)
    ham = ["see you at lunch", "are we still on for dinner", "call me when you land",
           "running late, sorry", "happy birthday!", "thanks for today"]
    spam = ["win a free prize now", "claim your cash reward", "urgent: your account won",
            "free entry, text WIN", "you have been selected for a prize"]
    ref = pd.DataFrame({"text": [rng.choice(ham + spam) for _ in range(60)]})
    ref["label"] = np.where(ref["text"].isin(spam), "spam", "ham")
    cur = pd.DataFrame({"text": [rng.choice(spam) for _ in range(40)]})  # spam only
    ref.to_csv(tmp_path / "ref.tsv", sep="\t", index=False)
    cur.to_csv(tmp_path / "cur.tsv", sep="\t", index=False)
    res = runner.invoke(app, ["drift", str(tmp_path / "ref.tsv"), str(tmp_path / "cur.tsv"),
                              "--text-column", "text", "--label-column", "label",
                              "--text-features", "embedding", "--permutations", "99",
                              "--quiet", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "o" / "drift.json").read_text())
    assert data["settings"]["text_features"] == "embedding"
    assert data["drifted"] is True
    assert data["label_shift"]["spam"]["prior"] > 0.8  # the current rows are all spam
    html = (tmp_path / "o" / "report.html").read_text()
    assert "text features" in html and "embedding" in html


def test_the_mmd_line_says_when_it_compared_part_of_the_reference(tmp_path, monkeypatch):
    import dataqa.drift.twosample as ts

    monkeypatch.setattr(ts, "MMD_QUADRATIC_MAX", 150)
    monkeypatch.setattr(ts, "MMD_BLOCK_SIZE", 50)
    ref, _ = tables(tmp_path, n=400)
    (tmp_path / "c").mkdir()
    _, cur = tables(tmp_path / "c", n=40, seed=2)
    out = tmp_path / "out"
    res = runner.invoke(app, ["drift", str(ref), str(cur), "--permutations", "19", "-q",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "(110 of the 400 reference rows)" in res.output  # 150 pooled rows, quadratic
    mmd = json.loads((out / "drift.json").read_text())["multivariate"]["mmd"]
    assert (mmd["reference_rows"], mmd["current_rows"]) == (110, 40)


def test_the_headline_says_when_only_the_whole_table_drifted(tmp_path):
    # the same margins, but x and z move together in the current table: no column test
    # can see it, MMD does
    rng = np.random.default_rng(0)
    n = 300
    ref = pd.DataFrame(rng.normal(size=(n, 2)), columns=["x", "z"])
    x = rng.normal(size=n)
    cur = pd.DataFrame({"x": x, "z": 0.95 * x + np.sqrt(1 - 0.95 ** 2) * rng.normal(size=n)})
    r, c = _write(tmp_path, "r.csv", ref), _write(tmp_path, "c.csv", cur)
    res = runner.invoke(app, ["drift", r, c, "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "no column drifted, but the whole table did: 0 of 2 columns drifted" in text
    assert "mmd: MMD² (unbiased estimate) " in text and "p = 0.002: drifted" in text
    assert "classifier: AUROC (0.5 when the tables look alike) " in text
    page = (tmp_path / "o" / "report.html").read_text()
    assert "the statistic is the unbiased estimate of MMD² (RBF kernel)" in page
    assert "the statistic is the AUROC of a classifier" in page
    data = json.loads((tmp_path / "o" / "drift.json").read_text())
    assert data["drifted"] is False and data["multivariate"]["mmd"]["drifted"] is True


def test_a_reader_that_stops_early_does_not_stop_the_command(tmp_path):
    """``dataqa drift ... | head -1``: the reader is gone before the first line; the
    command still writes every file and exits 0 without a traceback."""
    import os
    import subprocess
    import sys

    ref, cur = tables(tmp_path)
    out = tmp_path / "out"
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to the pipe now fails with a broken pipe
    try:
        proc = subprocess.run([sys.executable, "-m", "dataqa.cli", "drift", str(ref), str(cur),
                               "--permutations", "49", "--quiet", "--out", str(out)],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=300)
        # `2>&1 | head -1`: the progress bars (stderr) go to the closed pipe too
        both = subprocess.run([sys.executable, "-m", "dataqa.cli", "drift", str(ref), str(cur),
                               "--permutations", "49", "--out", str(tmp_path / "both")],
                              stdout=write_end, stderr=write_end, timeout=300)
    finally:
        os.close(write_end)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
    files = {"drift.json", "columns.csv", "report.html", "queue.csv"}
    assert {p.name for p in out.iterdir()} == files
    assert json.loads((out / "drift.json").read_text())["drifted"] is True
    assert both.returncode == 0 and {p.name for p in (tmp_path / "both").iterdir()} == files
    # standard output closed before the start (`>&-`): Python has no sys.stdout at all
    closed = subprocess.run(["sh", "-c", 'exec "$0" "$@" >&-', sys.executable, "-m",
                             "dataqa.cli", "drift", str(ref), str(cur), "--permutations", "49",
                             "--quiet", "--out", str(tmp_path / "closed")],
                            stderr=subprocess.PIPE, text=True, timeout=300)
    assert closed.returncode == 0, closed.stderr[-2000:]
    assert {p.name for p in (tmp_path / "closed").iterdir()} == files


def test_the_pipe_safe_stream_drops_writes_after_the_reader_left():
    from dataqa._cli_utils import PipeSafeStream

    class Gone:
        calls = 0

        def write(self, text):
            Gone.calls += 1
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self):
            raise ValueError("no descriptor")

    stream = PipeSafeStream(Gone())
    assert stream.write("abc") == 3 and stream.broken
    assert stream.write("more") == 4 and Gone.calls == 1  # not tried again
    stream.flush()
    ok = PipeSafeStream(__import__("io").StringIO())
    ok.write("kept")
    ok.flush()
    assert ok.getvalue() == "kept" and not ok.broken


def test_reference_reading_errors_say_the_options_apply_to_both_files(tmp_path):
    # TSV options meant for a header-less current file, given to both: the CSV reference
    # fails, and the message says where the options go
    ref, cur = tables(tmp_path)
    pd.read_csv(cur).to_csv(tmp_path / "cur.tsv", sep="\t", header=False, index=False)
    res = runner.invoke(app, ["drift", str(ref), str(tmp_path / "cur.tsv"), "--format", "tsv",
                              "--no-header", "--columns", "id,x,z,ts", "--out",
                              str(tmp_path / "o")])
    assert res.exit_code == 2
    msg = " ".join(res.output.split())
    assert "This is the reference file, read with --format, --columns, --no-header" in msg
    assert "give them as --current-format, --current-sep, --current-no-header" in msg
    # without reading options, or for a missing or empty file, the message stays as it was
    (tmp_path / "empty.csv").write_text("")
    for args in ([], ["--sep", ";"]):
        for name in ("empty.csv", "nosuch.csv"):
            res = runner.invoke(app, ["drift", str(tmp_path / name), str(cur), *args, "--out",
                                      str(tmp_path / "o")])
            assert res.exit_code == 2 and "This is the reference file" not in res.output
    # the same options given to the current file alone read it
    res = runner.invoke(app, ["drift", str(ref), str(tmp_path / "cur.tsv"), "--current-format",
                              "tsv", "--current-no-header", "--current-columns", "id,x,z,ts",
                              "--permutations", "19", "-q", "--out", str(tmp_path / "o3")])
    assert res.exit_code == 0, res.output


def test_summary_lines_are_never_wrapped(tmp_path):
    ref, cur = tables(tmp_path)
    out = tmp_path / ("a_folder_with_a_name_long_enough_to_pass_eighty_columns_" * 2)
    res = runner.invoke(app, ["drift", str(ref), str(cur), "--permutations", "19", "-q",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert f"  json: {out / 'drift.json'}" in lines
    odd = tmp_path / "runs[red]2026"  # a path is printed as it is, never as markup
    res = runner.invoke(app, ["drift", str(ref), str(cur), "--permutations", "19", "-q",
                              "--out", str(odd)])
    assert f"  json: {odd / 'drift.json'}" in res.output.splitlines()
    assert any(line.startswith("drift: ") and line.endswith("current rows)") for line in lines)


def test_current_reading_warnings_name_the_current_options(tmp_path):
    rows = ['id\ttext\tx', '1\t"say ""hi"" now"\t1'] + [f"{i}\tt{i}\t{i}" for i in range(2, 31)]
    (tmp_path / "cur.tsv").write_text("\n".join(rows) + "\n")
    pd.DataFrame({"id": range(1, 31), "text": [f"t{i}" for i in range(1, 31)],
                  "x": range(1, 31)}).to_csv(tmp_path / "ref.csv", index=False)
    with pytest.warns(UserWarning, match="read it with --current-format csv --current-sep tab"):
        res = runner.invoke(app, ["drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.tsv"),
                                  "--permutations", "19", "-q", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output


def test_the_summary_names_the_columns_left_out_and_a_date_that_stopped_being_filled(tmp_path):
    rng = np.random.default_rng(4)
    days = [f"2026-01-{1 + i % 28:02d}" for i in range(120)]
    pd.DataFrame({"x": rng.normal(size=120), "day": days}).to_csv(tmp_path / "r.csv",
                                                                   index=False)
    pd.DataFrame({"x": rng.normal(size=120), "day": days[:40] + [None] * 80}).to_csv(
        tmp_path / "c.csv", index=False)
    out = tmp_path / "out"
    res = runner.invoke(app, ["drift", str(tmp_path / "r.csv"), str(tmp_path / "c.csv"),
                              "--permutations", "19", "-q", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert ("  not compared by value: day (a time column (dates written as text); its missing "
            "share is compared)") in res.output.splitlines()
    assert res.output.startswith("drift: 1 of 2 columns drifted")
    assert "  drifted columns: day (missing: 0.0% -> 66.7%)" in res.output.splitlines()
    cols = pd.read_csv(out / "columns.csv").set_index("column")
    assert cols.loc["day", "test"] == "fisher (missing share)"
    assert cols.loc["day", "missing_current"] == pytest.approx(80 / 120)
    assert "its missing share is compared below" in (out / "report.html").read_text()


def test_the_not_compared_line_names_ten_columns_and_counts_the_rest(tmp_path):
    rng = np.random.default_rng(5)
    pd.DataFrame({"x": rng.normal(size=40)}).to_csv(tmp_path / "r.csv", index=False)
    cur = pd.DataFrame({"x": rng.normal(size=40), **{f"extra{i:02d}": 1.0 for i in range(12)}})
    cur.to_csv(tmp_path / "c.csv", index=False)
    with pytest.warns(UserWarning, match="only in the current table"):
        res = runner.invoke(app, ["drift", str(tmp_path / "r.csv"), str(tmp_path / "c.csv"),
                                  "--permutations", "19", "-q", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.output.splitlines() if "not compared by value" in ln)
    assert line.count("(only in the current table)") == 10
    assert line.endswith("extra09 (only in the current table); and 2 more "
                         "(settings.skipped_columns in drift.json)")


def test_a_model_no_better_than_the_majority_class_is_named(tmp_path):
    rng = np.random.default_rng(8)
    n = 200
    # labels that the features do not predict (the text column was not named, say)
    ref = pd.DataFrame({"x": rng.normal(size=n), "label": rng.choice(["a", "b"], n)})
    cur = pd.DataFrame({"x": rng.normal(size=n)})
    ref.to_csv(tmp_path / "r.csv", index=False)
    cur.to_csv(tmp_path / "c.csv", index=False)
    res = runner.invoke(app, ["drift", str(tmp_path / "r.csv"), str(tmp_path / "c.csv"),
                              "--label-column", "label", "--permutations", "19", "-q",
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "note: the model is not clearly better on the reference than always predicting " \
           "its most common class" in text
    assert "not clearly better" in (tmp_path / "o" / "report.html").read_text()
    # a model that predicts: no note
    good = ref.assign(x=(ref["label"] == "b") * 3.0 + rng.normal(size=n))
    good.to_csv(tmp_path / "g.csv", index=False)
    res = runner.invoke(app, ["drift", str(tmp_path / "g.csv"), str(tmp_path / "c.csv"),
                              "--label-column", "label", "--permutations", "19", "-q",
                              "--out", str(tmp_path / "o2")])
    assert res.exit_code == 0 and "not clearly better" not in res.output


def test_a_column_named_otherwise_in_the_current_file_points_to_current_columns(tmp_path):
    rng = np.random.default_rng(9)
    pd.DataFrame({"x": rng.normal(size=30), "CONTENT": ["hi there"] * 30}).to_csv(
        tmp_path / "r.csv", index=False)
    pd.DataFrame({"x": rng.normal(size=30), "text": ["hi there"] * 30}).to_csv(
        tmp_path / "c.csv", index=False)
    res = runner.invoke(app, ["drift", str(tmp_path / "r.csv"), str(tmp_path / "c.csv"),
                              "--text-column", "CONTENT", "-q", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert ("text column 'CONTENT' is not in the current table; its columns are: x, text. Pass "
            "one of these names. The reference table has 'CONTENT': if the current file names "
            "it otherwise, rename the current file's columns with --current-columns") in \
        " ".join(res.output.split())
    res = runner.invoke(app, ["drift", str(tmp_path / "r.csv"), str(tmp_path / "c.csv"),
                              "--text-column", "CONTENT", "--current-columns", "x,CONTENT",
                              "--permutations", "19", "-q", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output


def test_weak_labels_in_a_wrench_file_are_compared_by_labeling_function(tmp_path):
    rng = np.random.default_rng(5)
    for name, fire in (("train.json", 0.1), ("test.json", 0.6)):
        rows = {str(i): {"label": int(rng.integers(2)), "data": {"text": f"comment {i}"},
                         "weak_labels": [int(rng.choice([-1, 1], p=[0.9, 0.1])),
                                         1 if rng.random() < fire else -1]}
                for i in range(150)}
        (tmp_path / name).write_text(json.dumps(rows))
    out = tmp_path / "out"
    res = runner.invoke(app, ["drift", str(tmp_path / "train.json"), str(tmp_path / "test.json"),
                              "--feature-column", "weak_labels", "--permutations", "19", "-q",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert "  drifted columns: weak_labels[1]" in lines
    assert ("  lists compared position by position: weak_labels (2 positions: weak_labels[0] "
            "... weak_labels[1])") in lines
    cols = pd.read_csv(out / "columns.csv").set_index("column")
    assert list(cols.index) == ["weak_labels[0]", "weak_labels[1]"]
    assert json.loads((out / "drift.json").read_text())["settings"]["list_columns"] == {
        "weak_labels": 2}
    assert "Lists compared position by position" in (out / "report.html").read_text()


def test_a_pattern_reads_several_reference_files_as_one(tmp_path):
    ref, cur = tables(tmp_path)
    whole = pd.read_csv(ref)
    (tmp_path / "parts").mkdir()
    for k in range(3):
        whole.iloc[40 * k:40 * (k + 1)].to_csv(tmp_path / "parts" / f"ref_{k}.csv", index=False)
    out = tmp_path / "out"
    res = runner.invoke(app, ["drift", str(tmp_path / "parts" / "ref_*.csv"), str(cur),
                              "--label-column", "label", "--id-column", "id",
                              "--permutations", "99", "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    assert "(120 reference rows, 120 current rows)" in res.output
    saved = json.loads((out / "drift.json").read_text())["settings"]
    assert saved["reference_source"] == (f"{tmp_path / 'parts' / 'ref_*.csv'} (3 files; rows "
                                         f"1-40 ref_0.csv, 41-80 ref_1.csv, 81-120 ref_2.csv)")
    assert saved["current_source"] == str(cur)
    assert "ref_1.csv" in (out / "report.html").read_text()
    one = runner.invoke(app, ["drift", str(ref), str(cur), "--label-column", "label",
                              "--id-column", "id", "--permutations", "99", "--out",
                              str(tmp_path / "one"), "--quiet"])
    assert one.exit_code == 0, one.output
    joined = pd.read_csv(out / "columns.csv")
    single = pd.read_csv(tmp_path / "one" / "columns.csv")
    pd.testing.assert_frame_equal(joined, single)  # the same rows in the same order
    res = runner.invoke(app, ["drift", str(tmp_path / "parts" / "nope_*.csv"), str(cur),
                              "--out", str(out)])
    assert res.exit_code == 2 and "matches no file" in res.output
    # a row named in a message can be found in its file: the table says which rows each holds
    part = pd.read_csv(tmp_path / "parts" / "ref_1.csv")
    part.loc[2, "label"] = None
    part.to_csv(tmp_path / "parts" / "ref_1.csv", index=False)
    res = runner.invoke(app, ["drift", str(tmp_path / "parts"), str(cur), "--label-column",
                              "label", "--out", str(out)])
    assert res.exit_code == 2
    assert (f"label column 'label' of the reference table ('{tmp_path / 'parts'} (3 files; rows "
            f"1-40 ref_0.csv, 41-80 ref_1.csv, 81-120 ref_2.csv)') has 1 missing or empty label "
            f"(row 43, counted from 1 after the header)") in " ".join(res.output.split())


def test_time_messages_on_several_files_say_which_rows_each_file_holds(tmp_path):
    ref, cur = tables(tmp_path)
    whole = pd.read_csv(cur)
    (tmp_path / "days").mkdir()
    whole.iloc[:60].to_csv(tmp_path / "days" / "a.csv", index=False)
    bad = whole.iloc[60:].copy()
    bad.iloc[3, bad.columns.get_loc("ts")] = "yesterday"
    bad.to_csv(tmp_path / "days" / "b.csv", index=False)
    res = runner.invoke(app, ["drift", str(ref), str(tmp_path / "days"), "--time-column", "ts",
                              "--window", "5D", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert (f"time column 'ts' of the current table ('{tmp_path / 'days'} (2 files; rows 1-60 "
            f"a.csv, 61-120 b.csv)') has 1 value(s) that are not times in the column's format "
            f"(%Y-%m-%d %H:%M:%S, as its first value '2026-01-01 00:00:00' is written; rows 64, "
            f"counted from 1 after the header; e.g. 'yesterday')") in text, text


def test_a_headerless_current_file_is_told_to_use_the_current_options(tmp_path):
    ref, cur = tables(tmp_path)
    pd.read_csv(cur).round(3).to_csv(tmp_path / "cur_raw.csv", header=False, index=False)
    res = runner.invoke(app, ["drift", str(ref), str(tmp_path / "cur_raw.csv"), "--id-column",
                              "id", "--permutations", "19", "-q", "--out", str(tmp_path / "o")])
    out = " ".join(res.output.split())
    assert res.exit_code == 2
    assert "id column 'id' is not in the current table" in out
    assert ("if the file has no header line, read it with --current-no-header "
            "--current-columns a,b,...") in out
    assert "(This is the current file: --current-format" in out


def test_a_second_file_with_its_own_format_or_a_tsv_does_not_take_the_first_files_sep():
    """--sep ';' for a CSV reference, and a current file read as TSV (its own
    --current-format tsv, or a .tsv suffix): its delimiter is the tab."""
    from dataqa._cli_utils import second_file_options
    from dataqa.errors import InvalidSettingError

    kw = dict(format=None, sep=";", no_header=False, columns=None, encoding=None,
              decimal=",", own_sep=None, own_no_header=True, own_columns="label,text",
              own_encoding=None, own_decimal=None)
    own_tsv = second_file_options("SMSSpamCollection", "current", "current",
                                  own_format="tsv", **kw)
    assert own_tsv["format"] == "tsv" and "sep" not in own_tsv and own_tsv["decimal"] == ","
    by_suffix = second_file_options("cur.tsv", "current", "current", own_format=None, **kw)
    assert "sep" not in by_suffix and by_suffix["decimal"] == ","  # the TSV's tab
    # a CSV current file takes the reference's --sep, and its own --current-sep wins
    assert second_file_options("cur.csv", "current", "current", own_format=None,
                               **kw)["sep"] == ";"
    assert second_file_options("cur.csv", "current", "current", own_format=None,
                               **{**kw, "own_sep": "|"})["sep"] == "|"
    # the reference's --decimal ',' taken by a comma-separated current file: its own fix
    with pytest.raises(InvalidSettingError, match=(
            r"--decimal ',' is taken by the current file too, as no --current-decimal was "
            r"given, but ',' is that file's field delimiter \(--current-sep ',', given\); "
            r"give its own decimal mark, e.g. --current-decimal '.'\.")):
        second_file_options("cur.csv", "current", "current", own_format=None,
                            **{**kw, "own_sep": ","})
    assert second_file_options("cur.csv", "current", "current", own_format=None,
                               **{**kw, "own_sep": ",", "own_decimal": "."})["decimal"] == "."


def test_current_format_tsv_reads_beside_a_semicolon_reference(tmp_path):
    ref = tmp_path / "ref.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame({"x": rng.normal(size=60).round(3), "label": ["a", "b"] * 30}).to_csv(
        ref, sep=";", decimal=",", index=False)
    cur = tmp_path / "current"  # no suffix: its format is given
    pd.DataFrame({"x": rng.normal(size=60).round(3), "label": ["a", "b"] * 30}).to_csv(
        cur, sep="\t", decimal=",", index=False, header=False)
    res = runner.invoke(app, ["drift", str(ref), str(cur), "--sep", ";", "--decimal", ",",
                              "--current-format", "tsv", "--current-no-header",
                              "--current-columns", "x,label", "--permutations", "19", "-q",
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    cols = pd.read_csv(tmp_path / "o" / "columns.csv")
    assert "x" in cols["column"].tolist()


def test_a_tsv_known_by_its_suffix_takes_a_decimal_comma(tmp_path):
    from dataqa._cli_utils import read_options
    from dataqa.data import load_table

    assert read_options(None, None, False, None, None, ",") == {"decimal": ","}
    with pytest.raises(Exception, match="is also the field delimiter"):
        read_options(None, ",", False, None, None, ",")
    (tmp_path / "x.tsv").write_text("a\tb\n1,5\tu\n2,25\tv\n")
    df = load_table(tmp_path / "x.tsv", **read_options(None, None, False, None, None, ","))
    assert df["a"].tolist() == [1.5, 2.25]
    (tmp_path / "x.csv").write_text("a;b\n1,5;u\n")
    with pytest.raises(Exception, match="must be one character other than the field delimiter"):
        load_table(tmp_path / "x.csv", **read_options(None, None, False, None, None, ","))


def test_model_checks_under_an_input_shift_carry_a_note(tmp_path):
    # the whole-table tests alarm: the estimated accuracy and class mix rest on the
    # reference's error pattern, and the summary says so; without a shift it says nothing
    ref, cur = tables(tmp_path, shift=1.5)
    res = runner.invoke(app, ["drift", str(ref), str(cur), "--label-column", "label",
                              "--permutations", "99", "-q", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "estimated accuracy" in text
    assert ("note: the whole-table tests (mmd, classifier) see the inputs change; the "
            "estimated accuracy and class mix assume the model errs on these rows as on the "
            "reference, which such a change can break unseen (a new source, new topics): "
            "label a sample of the queue to know.") in text
    ref, cur = tables(tmp_path, shift=0.0, seed=4)
    res = runner.invoke(app, ["drift", str(ref), str(cur), "--label-column", "label",
                              "--permutations", "99", "-q", "--out", str(tmp_path / "o2")])
    assert res.exit_code == 0, res.output
    assert "whole table did" not in res.output and "see the inputs change" not in res.output


def test_reference_labels_are_cleaned_and_a_class_of_one_row_is_named(tmp_path):
    ref, cur = tables(tmp_path)
    df = pd.read_csv(ref)
    df.loc[0, "label"] = "Spam"  # a typo: a class of one row, differing only in case
    df.to_csv(tmp_path / "typo.csv", index=False)
    args = ["--label-column", "label", "--permutations", "19", "-q"]
    res = runner.invoke(app, ["drift", str(tmp_path / "typo.csv"), str(cur), *args, "--out",
                              str(tmp_path / "o")])
    assert res.exit_code == 2
    assert ("label column 'label' of the reference table ('" in res.output
            and "spells 1 class in several cases: 'spam'" in " ".join(res.output.split()))
    df.loc[0, "label"] = "eggs"
    df.to_csv(tmp_path / "one.csv", index=False)
    res = runner.invoke(app, ["drift", str(tmp_path / "one.csv"), str(cur), *args, "--out",
                              str(tmp_path / "o")])
    assert res.exit_code == 2
    msg = " ".join(res.output.split())
    assert "class(es) 'eggs' (1, row 1) of label column 'label' of the reference table ('" in msg
    assert "have fewer than 2 members (rows counted from 1 after the header)" in msg
    df.loc[0, "label"] = "spam "  # white space around a label: the same class, with a word
    df.to_csv(tmp_path / "space.csv", index=False)
    with pytest.warns(UserWarning, match="1 label cell has white space around the text"):
        res = runner.invoke(app, ["drift", str(tmp_path / "space.csv"), str(cur), *args,
                                  "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert list(json.loads((tmp_path / "o" / "drift.json").read_text())["label_shift"]) == [
        "ham", "spam"]


def test_exclude_column_leaves_a_column_out_of_both_tables(tmp_path):
    ref, cur = tables(tmp_path)
    df = pd.read_csv(cur).assign(z=np.nan)  # production lost z
    df.to_csv(tmp_path / "lost.csv", index=False)
    res = runner.invoke(app, ["drift", str(ref), str(tmp_path / "lost.csv"), "--out",
                              str(tmp_path / "o")])
    assert res.exit_code == 2 and "leave it out (--exclude-column z)" in " ".join(
        res.output.split())
    res = runner.invoke(app, ["drift", str(ref), str(tmp_path / "lost.csv"), "--exclude-column",
                              "z", "--exclude-column", "label", "--permutations", "19", "-q",
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    compared = pd.read_csv(tmp_path / "o" / "columns.csv")["column"].tolist()
    assert compared == ["x"]  # z and label left out (label is only in the reference)
    # the queue's content ids hash the whole row as read, as other commands' ids do
    from dataqa.data import load_table, make_ids

    every = set(make_ids(load_table(tmp_path / "lost.csv")))
    queue = pd.read_csv(tmp_path / "o" / "queue.csv", dtype=str)
    assert len(queue) and set(queue["id"]) <= every
    res = runner.invoke(app, ["drift", str(ref), str(tmp_path / "lost.csv"), "--exclude-column",
                              "z", "--exclude-column", "label", "--permutations", "19", "-q",
                              "--chunk-size", "30", "--out", str(tmp_path / "w")])
    assert res.exit_code == 0, res.output
    assert set(pd.read_csv(tmp_path / "w" / "queue.csv", dtype=str)["id"]) <= every


def test_an_empty_time_column_names_its_table(tmp_path):
    ref, cur = tables(tmp_path)
    pd.read_csv(cur).assign(ts=np.nan).to_csv(tmp_path / "no_time.csv", index=False)
    res = runner.invoke(app, ["drift", str(ref), str(tmp_path / "no_time.csv"), "--time-column",
                              "ts", "--window", "7D", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert (f"time column 'ts' is empty in the current table ('{tmp_path / 'no_time.csv'}') "
            f"(every value missing); fill it, or split by rows with --chunk-size") in " ".join(
        res.output.split())


def test_few_permutations_the_same_file_and_the_queue_size_are_said(tmp_path):
    import warnings

    rng = np.random.default_rng(0)
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    pd.DataFrame({"x": rng.normal(size=80)}).to_csv(ref, index=False)
    pd.DataFrame({"x": rng.normal(size=120),
                  "t": pd.date_range("2026-01-01", periods=120, freq="h").astype(str)}
                 ).to_csv(cur, index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = runner.invoke(app, ["drift", str(ref), str(cur), "--permutations", "5",
                                  "--time-column", "t", "--window", "1D", "--top", "7",
                                  "--out", str(tmp_path / "o"), "-q"])
    assert res.exit_code == 0, res.output
    few = [str(w.message) for w in caught if "permutations" in str(w.message)]
    # once for the run, not once per window and reference chunk
    assert few == ["with 5 permutations (--permutations; API: n_permutations) an MMD p-value "
                   "is at least 1/6 = 0.167, above alpha 0.05: the MMD tests (of the whole "
                   "table and of text columns) can never alarm. Use at least 19 (the default "
                   "is 500)."]
    html = " ".join((tmp_path / "o" / "report.html").read_text(encoding="utf-8").split())
    assert "<code>queue.csv</code> holds the first 7 of them (--top 7)." in html
    with pytest.warns(UserWarning, match="REFERENCE and CURRENT are the same file .*cur.csv'\\)"
                                         ".*compared with itself"):
        res = runner.invoke(app, ["drift", str(cur), str(cur), "--out", str(tmp_path / "s"), "-q"])
    assert res.exit_code == 0, res.output


def test_a_missing_file_is_named_as_the_reference_or_the_current_file(tmp_path):
    ref, cur = tables(tmp_path)
    res = runner.invoke(app, ["drift", str(tmp_path / "nope.csv"), str(cur), "--out",
                              str(tmp_path / "o")])
    assert res.exit_code == 2
    assert (f"reference file {str(tmp_path / 'nope.csv')!r} does not exist"
            in " ".join(res.output.split()))
    res = runner.invoke(app, ["drift", str(ref), str(tmp_path / "nope.csv"), "--out",
                              str(tmp_path / "o")])
    assert res.exit_code == 2
    assert (f"current file {str(tmp_path / 'nope.csv')!r} does not exist"
            in " ".join(res.output.split()))


def test_a_parquet_current_file_does_not_take_the_references_encoding(tmp_path):
    ref, cur = tables(tmp_path)
    pd.read_csv(ref).to_csv(tmp_path / "ref1252.csv", index=False, encoding="cp1252")
    pd.read_csv(cur).to_parquet(tmp_path / "cur.parquet")
    res = runner.invoke(app, ["drift", str(tmp_path / "ref1252.csv"),
                              str(tmp_path / "cur.parquet"), "--encoding", "cp1252", "--out",
                              str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    # a folder of Parquet files too
    (tmp_path / "curpq").mkdir()
    pd.read_csv(cur).to_parquet(tmp_path / "curpq" / "a.parquet")
    res = runner.invoke(app, ["drift", str(tmp_path / "ref1252.csv"), str(tmp_path / "curpq"),
                              "--encoding", "cp1252", "--out", str(tmp_path / "o2")])
    assert res.exit_code == 0, res.output


def test_the_headline_says_when_only_the_class_mix_moved(tmp_path):
    """No column and no whole-table test alarms, but a class's share moved: the headline
    says so (it said 'no drift', the class mix line below)."""
    from types import SimpleNamespace

    from dataqa.drift.report import share_moved, verdict

    root = Path(__file__).resolve().parents[2] / "examples" / "data"
    out = tmp_path / "out"
    res = runner.invoke(app, ["drift", str(root / "comments.csv"), str(root / "pool.csv"),
                              "--text-column", "text", "--label-column", "label",
                              "--id-column", "id", "--quiet", "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "drift.json").read_text())
    moved = any(v["moved"] for v in data["label_shift"].values())
    whole = any(v.get("drifted") for v in data["multivariate"].values())
    headline = res.output.splitlines()[0]
    assert not data["drifted"] and not whole  # (the example's case)
    assert headline.startswith("no column drifted, but the class mix moved:" if moved
                               else "no drift:"), headline
    # the example's estimate (0.61 [0.53, 0.68] against the reference's 0.52) is within
    # chance once the reference's own sampling noise is counted: its interval alone would
    # have said "moved"
    zero = data["label_shift"]["0"]
    assert not moved and not zero["low"] <= zero["reference_prior"] <= zero["high"]
    # the headline's rule itself, on a result whose class 'b' moved
    shares = {"a": {"prior": 0.3, "low": 0.2, "high": 0.4, "reference_prior": 0.5,
                    "moved": True},
              "b": {"prior": 0.7, "low": 0.6, "high": 0.8, "reference_prior": 0.5,
                    "moved": True}}
    mixed = SimpleNamespace(drifted=False, multivariate={"mmd": {"drifted": False}},
                            label_shift=shares)
    assert verdict(mixed) == ("mix", "no column drifted, but the class mix moved")
    shares["a"]["moved"] = shares["b"]["moved"] = False
    assert verdict(mixed) == ("none", "no drift")
    # an entry saved without "moved" (an older drift.json) is judged by its interval
    assert share_moved({"low": 0.2, "high": 0.4, "reference_prior": 0.5})


def test_queue_text_that_a_spreadsheet_would_run_is_written_as_text(tmp_path):
    # production comments such as '=cmd|...' opened as formulas from queue.csv (a file
    # for people: it has a byte-order mark for Excel); review sheets already guarded them
    rng = np.random.default_rng(0)
    words = ["nice song", "love it", "great video", "so good"]
    ref = pd.DataFrame({"text": [f"{words[i % 4]} {i}" for i in range(60)],
                        "x": rng.normal(size=60)})
    cur = pd.DataFrame({"id": [f"c{i}" for i in range(60)],
                        "text": [f"{words[i % 4]} {i}" for i in range(60)],
                        "x": rng.normal(size=60)})
    cur.loc[0, "text"] = "=cmd|' /C calc'!A0 great song"
    cur.loc[1, "text"] = "@SUM(A1) win"
    cur.loc[2, "text"] = "-2.5"  # a number: as it is
    cur.loc[3, "id"] = "=3"  # ids are read back: as they are
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    out = tmp_path / "o"
    res = runner.invoke(app, ["drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"),
                              "--text-column", "text", "--id-column", "id", "--top", "60",
                              "--permutations", "19", "--out", str(out)])
    assert res.exit_code == 0, res.output
    q = pd.read_csv(out / "queue.csv", dtype=str, keep_default_na=False).set_index("id")
    assert q.loc["c0", "text"] == "'=cmd|' /C calc'!A0 great song"
    assert q.loc["c1", "text"] == "'@SUM(A1) win" and q.loc["c2", "text"] == "-2.5"
    assert q.loc["=3", "text"] == cur.loc[3, "text"] and q.loc["c4", "text"] == cur.loc[4, "text"]
    # a categorical column (as parquet keeps one) takes the ' too, not a crash
    from dataqa._cli_utils import formulas_as_text

    frame = pd.DataFrame({"id": ["a", "b", "c"], "sign": pd.Categorical(["+", "-", "x"]),
                          "prediction": ["-", "+", "ham"]})
    out = formulas_as_text(frame, keep=("id", "prediction"))
    assert out["sign"].tolist() == ["'+", "'-", "x"]
    assert out["prediction"].tolist() == ["-", "+", "ham"]
