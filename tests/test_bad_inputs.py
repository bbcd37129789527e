"""Every bad input gets one clear line.

One case per row of the bad-input table: each case runs a command (exit code 2) or an
API call (a ``DataqaError``) and checks the one-line message names what was wrong and
what to do, and that nothing was left behind (no partial output, no ledger change).

A case is a function ``case(tmp_path, request) -> None`` that asserts by itself
(``request.getfixturevalue`` gives it any fixture it needs); the helpers
below do the common part. Cases are grouped by area; each group is a list of
``pytest.param(func, id="rowNN-what")`` and all groups are run by one parametrized test.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataqa.cli import app
from dataqa.errors import DataqaError

runner = CliRunner()


def cli_fails(args: list[str], *expected: str) -> str:
    """Run ``dataqa ARGS``; assert exit code 2, no traceback, one message line holding
    every string of ``expected``; return the output."""
    res = runner.invoke(app, [str(a) for a in args])
    out = res.output
    assert res.exit_code == 2, f"exit {res.exit_code}, output:\n{out}\n{res.exception!r}"
    assert "Traceback" not in out, out
    message = " ".join(out.split())  # rich may wrap the line: compare without the wrapping
    for text in expected:
        assert text in message, f"{text!r} not in message:\n{out}"
    return out


def api_fails(func, *expected: str, error: type[DataqaError] = DataqaError) -> DataqaError:
    """Call ``func()``; assert it raises ``error`` whose message holds every ``expected``."""
    with pytest.raises(error) as info:
        func()
    message = str(info.value)
    assert "\n" not in message.strip(), f"message spans several lines: {message!r}"
    for text in expected:
        assert text in message, f"{text!r} not in message: {message!r}"
    return info.value


def snapshot(path: Path) -> str | None:
    """Content hash of a file (``None`` when missing), to show nothing was changed."""
    path = Path(path)
    if not path.exists():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- area: data and audit (rows 3, 5, 6, 7, 12 audit, 15 audit, 17, 22, 23, 25) ---
def _numeric_csv(path: Path, labels: list, *, extra: dict | None = None) -> Path:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(len(labels), 3)).round(4), columns=["x", "y", "z"])
    df.insert(0, "id", [f"i{k}" for k in range(len(labels))])
    df["label"] = labels
    for col, values in (extra or {}).items():
        df[col] = values
    df.to_csv(path, index=False)
    return path


def _audit_args(data: Path, out: Path, *more: str) -> list:
    return ["audit", data, "--label-column", "label", "--out", out, "--no-datalab", *more]


def _row03_two_members_fall_back(tmp_path, request):
    import pandas as pd

    from dataqa.audit import audit

    data = _numeric_csv(tmp_path / "d.csv", ["a"] * 20 + ["b"] * 20 + ["c"] * 2)
    with pytest.warns(UserWarning, match="'c' \\(2\\) of label column 'label' of the table "
                                         "have fewer members than cv=5: each of their items is "
                                         "predicted by a model that saw only the other"):
        res = audit(pd.read_csv(data), label_column="label", id_column="id", datalab=False)
    assert res.summary["cv_folds"] == 5 and len(res.issues) == 42


def _row03_thousand_classes_of_two(tmp_path, request):
    import numpy as np
    import pandas as pd

    from dataqa.audit import audit

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(2000, 3)), columns=["x", "y", "z"])
    df["label"] = np.repeat(np.arange(1000), 2)
    with pytest.warns(UserWarning, match=r"\(\+995 more\) of label column 'label' of the table "
                                         r"have fewer members than cv=5: each .* as no class has "
                                         r"5 members, 2 folds are used") as seen:
        res = audit(df, label_column="label", datalab=False)
    assert res.summary["cv_folds"] == 2 and res.pred_probs.shape == (2000, 1000)
    import re

    # classes the model did not learn: five named, the others counted (it listed all ~1000)
    (unlearned,) = [str(w.message) for w in seen if "did not learn" in str(w.message)]
    assert "'4' (2 rows;" in unlearned and "'5' (2 rows" not in unlearned
    assert re.search(r"\), \.\.\. \(\+9\d\d more classes\): they are left out", unlearned)
    assert len(unlearned) < 1500


def _row03_one_member_refused(tmp_path, request):
    data = _numeric_csv(tmp_path / "d.csv", ["a"] * 20 + ["b"] * 20 + ["c"])
    cli_fails(_audit_args(data, tmp_path / "out", "--id-column", "id"),
              f"'c' (1, row 41) of label column 'label' of {str(data)!r} have fewer than 2 "
              f"members (rows counted from 1 after the header)", "often a typo",
              "label more examples")
    assert not (tmp_path / "out").exists()


def _row05_string_cell_in_numeric_column(tmp_path, request):
    w = [0.5] * 40
    w[3] = "abc"
    data = _numeric_csv(tmp_path / "d.csv", ["a", "b"] * 20, extra={"w": w})
    cli_fails(_audit_args(data, tmp_path / "out", "--id-column", "id"),
              "column 'w' of '", "d.csv' is numeric except for 1 cell (row 4: 'abc')",
              "--feature-column")
    assert not (tmp_path / "out").exists()


def _row05b_point_decimals_read_with_decimal_comma(tmp_path, request):
    # --decimal ',' with a few cells written 14.23: the column was left out of the
    # features with the generic "not numeric" warning
    rows = [f"r{i};{i % 7},{i % 10};{'a' if i % 2 else 'b'}" for i in range(40)]
    rows[5] = "r5;14.23;a"
    data = tmp_path / "d.csv"
    data.write_text("id;w;label\n" + "\n".join(rows) + "\n")
    cli_fails(_audit_args(data, tmp_path / "out", "--id-column", "id", "--sep", ";",
                          "--decimal", ","),
              "column 'w' of '", "d.csv' is numeric except for 1 cell (row 6: '14.23') "
              "(read with --decimal ',', a '.' is no decimal mark)", "--feature-column")
    assert not (tmp_path / "out").exists()


def _row05c_thousands_beside_small_numbers(tmp_path, request):
    # 1,065 beside 735 in a ';' file: the error named the cells but not --thousands
    rows = [f"r{i};{(i * 97) % 2000:,};{'a' if i % 2 else 'b'}" for i in range(40)]
    data = tmp_path / "d.csv"
    data.write_text("id;w;label\n" + "\n".join(rows) + "\n")
    cli_fails(_audit_args(data, tmp_path / "out", "--id-column", "id", "--sep", ";"),
              "d.csv' is numeric except for 19 cells", "'1,067'",
              "Those cells hold a ',' before three digits (e.g. '1,067'): if it separates "
              "thousands, read the file with --thousands ','; if it is the decimal mark, "
              "with --decimal ','")
    assert not (tmp_path / "out").exists()


def _row06_label_as_feature(tmp_path, request):
    data = _numeric_csv(tmp_path / "d.csv", [0, 1] * 20)
    cli_fails(_audit_args(data, tmp_path / "out", "--feature-column", "x", "--feature-column",
                          "label"), "label column 'label' is also given as a feature column",
              "leaks", "Drop it")
    assert not (tmp_path / "out").exists()


def _row07_leading_zero_ids(tmp_path, request):
    import pandas as pd

    data = _numeric_csv(tmp_path / "d.csv", ["a", "b"] * 20)
    df = pd.read_csv(data)
    df.loc[0, "id"], df.loc[1, "id"] = "007", "7"
    df.to_csv(data, index=False)
    res = runner.invoke(app, [str(a) for a in _audit_args(data, tmp_path / "out", "--id-column", "id")])
    assert res.exit_code == 0, res.output
    ids = pd.read_csv(tmp_path / "out" / "issues.csv", dtype={"id": str})["id"]
    assert {"007", "7"} <= set(ids) and len(ids) == 40


def _row12_text_without_words(tmp_path, request):
    import pandas as pd

    texts = ["!!!", "???", "...", "?!", "!!", "??", ":-)", ";-(", "!?!", "..?"] * 4
    pd.DataFrame({"text": texts, "label": ["x", "y"] * 20}).to_csv(tmp_path / "p.csv", index=False)
    res = runner.invoke(app, ["audit", str(tmp_path / "p.csv"), "--label-column", "label",
                              "--text-column", "text", "--out", str(tmp_path / "out"),
                              "--no-datalab"])
    assert res.exit_code == 0, res.output  # character n-grams stand in for the missing words
    assert len(pd.read_csv(tmp_path / "out" / "issues.csv")) == 40


def _row15_out_is_a_file(tmp_path, request):
    data = _numeric_csv(tmp_path / "d.csv", ["a", "b"] * 20)
    (tmp_path / "taken").write_text("keep me")
    before = snapshot(tmp_path / "taken")
    cli_fails(_audit_args(data, tmp_path / "taken"), "--out '", "taken' is an existing file",
              "give a folder path")
    assert snapshot(tmp_path / "taken") == before


def _row15_out_under_a_file(tmp_path, request):
    data = _numeric_csv(tmp_path / "d.csv", ["a", "b"] * 20)
    (tmp_path / "taken").write_text("keep me")
    cli_fails(_audit_args(data, tmp_path / "taken" / "sub" / "out"),
              "lies under '", "taken', which is a file")
    assert (tmp_path / "taken").read_text() == "keep me"


def _row15_out_unwritable(tmp_path, request):
    data = _numeric_csv(tmp_path / "d.csv", ["a", "b"] * 20)
    # /proc takes no new files, even for root (chmod would not stop root)
    cli_fails(_audit_args(data, Path("/proc/dataqa_out")), "--out '/proc/dataqa_out' cannot be written",
              "a new file could not be made in '/proc' (the system says:",
              "give a folder you can write to")
    assert not Path("/proc/dataqa_out").exists()


def _row17_huge_text_cell(tmp_path, request):
    import time

    import pandas as pd

    texts = ["short text"] * 10
    texts[6] = "x" * 50_000_000
    pd.DataFrame({"id": [f"t{i}" for i in range(10)], "text": texts,
                  "label": ["a", "b"] * 5}).to_csv(tmp_path / "big.csv", index=False)
    start = time.perf_counter()
    cli_fails(["audit", tmp_path / "big.csv", "--label-column", "label", "--text-column", "text",
               "--id-column", "id", "--out", tmp_path / "out"],
              "text column 'text' of '", "has a cell of 50,000,000 characters in row 7 (id 't6')",
              "capped at 1,000,000 characters")
    assert time.perf_counter() - start < 30  # refused before any features are built
    assert not (tmp_path / "out").exists()


def _row22_latin1(tmp_path, request):
    path = tmp_path / "l1.csv"
    path.write_bytes("text,label\ncaf\u00e9 au lait,a\ntea,b\n".encode("latin-1"))
    cli_fails(["audit", path, "--label-column", "label", "--text-column", "text", "--out",
               tmp_path / "out"], "l1.csv' is not valid UTF-8", "byte 0xe9 at byte offset 14",
              "--encoding cp1252 (as Windows and Excel save text; latin-1 reads these bytes alike)")
    assert not (tmp_path / "out").exists()


def _row22_utf16(tmp_path, request):
    path = tmp_path / "u16.csv"
    path.write_text("text,label\ncaf\u00e9,a\ntea,b\n", encoding="utf-16")
    cli_fails(["audit", path, "--label-column", "label", "--text-column", "text", "--out",
               tmp_path / "out"], "u16.csv' is not UTF-8 text", "--encoding utf-16")
    assert not (tmp_path / "out").exists()


def _row23_text_column_all_empty(tmp_path, request):
    path = tmp_path / "e.csv"
    path.write_text("text,label\n" + ",a\n,b\n" * 10)
    out = cli_fails(["audit", path, "--label-column", "label", "--text-column", "text", "--out",
                     tmp_path / "out"], "text column 'text' of '",
                    "e.csv' is empty in every one of its 20 rows", "name the column that holds the text")
    assert "fill them" not in out
    assert not (tmp_path / "out").exists()


def _row23_text_column_some_empty(tmp_path, request):
    path = tmp_path / "e.csv"
    path.write_text("id,text,label\n1,hello,a\n2,,b\n3,  ,a\n4,bye,b\n5,\u200b\u200b,a\n"
                    "6,\u200bhi,b\n", encoding="utf-8")
    # (a text of zero-width spaces alone shows nothing: empty too; one with a word is not)
    api_fails(lambda: __import__("dataqa.data", fromlist=["x"]).prepare_labeled(
        path, label_column="label", text_column="text", id_column="id"),
        "is empty in 3 rows (rows 2, 3, 5; ids '2', '3', '5'; blank, or only characters a "
        "reader does not see", "write text into those cells")


def _row25_zero_flags_interval_holds_estimate(tmp_path, request):
    import numpy as np
    import pandas as pd

    from dataqa.audit import audit

    df = pd.DataFrame({"x": np.ones(95), "y": np.zeros(95), "label": ["a"] * 90 + ["b"] * 5})
    from dataqa.stats import error_rate_interval

    res = audit(df, label_column="label", datalab=False)
    assert res.flagged_fraction == res.n_flagged / 95
    er = error_rate_interval(res.n_flagged, 95)
    assert er.low <= er.estimate <= er.high
    if er.n_errors == 0:
        assert er.low == 0.0 and str(er).startswith("0.00% (0/95; 95% interval 0.00% - ")


CASES_DATA: list = [
    pytest.param(_row03_two_members_fall_back, id="row03-two-member-class-falls-back"),
    pytest.param(_row03_thousand_classes_of_two, id="row03-1000-classes-x2"),
    pytest.param(_row03_one_member_refused, id="row03-one-member-class-refused"),
    pytest.param(_row05_string_cell_in_numeric_column, id="row05-string-cell-in-numeric"),
    pytest.param(_row05b_point_decimals_read_with_decimal_comma,
                 id="row05b-point-decimals-with-decimal-comma"),
    pytest.param(_row05c_thousands_beside_small_numbers, id="row05c-thousands-beside-small"),
    pytest.param(_row06_label_as_feature, id="row06-label-as-feature"),
    pytest.param(_row07_leading_zero_ids, id="row07-leading-zero-ids"),
    pytest.param(_row12_text_without_words, id="row12-audit-punctuation-only-text"),
    pytest.param(_row15_out_is_a_file, id="row15-audit-out-is-a-file"),
    pytest.param(_row15_out_under_a_file, id="row15-audit-out-under-a-file"),
    pytest.param(_row15_out_unwritable, id="row15-audit-out-unwritable"),
    pytest.param(_row17_huge_text_cell, id="row17-50mb-text-cell"),
    pytest.param(_row22_latin1, id="row22-latin-1"),
    pytest.param(_row22_utf16, id="row22-utf-16"),
    pytest.param(_row23_text_column_all_empty, id="row23-text-all-empty"),
    pytest.param(_row23_text_column_some_empty, id="row23-text-some-empty"),
    pytest.param(_row25_zero_flags_interval_holds_estimate, id="row25-zero-flags-interval"),
]
# --- end area: data and audit ---

# --- area: active learning and ledger (rows 1, 8, 9, 10, 11, 12 al, 14, 15 al, 16, 19 ledger) ---
def _al_items(path: Path, *, kind: str = "int", n: int = 30) -> Path:
    """A small item table: numeric features with labels 0/1 (``kind="int"``) or texts
    labeled ham/spam (``kind="str"``); the first 10 rows are labeled."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    ids = [f"i{k}" for k in range(n)]
    if kind == "int":
        df = pd.DataFrame(rng.normal(size=(n, 3)).round(4), columns=["x", "y", "z"])
        df.insert(0, "id", ids)
        df["label"] = [k % 2 if k < 10 else None for k in range(n)]
        df["label"] = df["label"].astype("Int64")
    else:
        words = ["win cash now", "free prize today", "see you at lunch", "thanks for notes"]
        df = pd.DataFrame({"id": ids, "text": [f"{words[k % 4]} {k}" for k in range(n)],
                           "label": [("spam" if k % 4 < 2 else "ham") if k < 10 else ""
                                     for k in range(n)]})
    df.to_csv(path, index=False)
    return path


def _al_init(tmp_path: Path, kind: str = "int", n: int = 30) -> Path:
    data = _al_items(tmp_path / f"items_{kind}.csv", kind=kind, n=n)
    led = tmp_path / f"{kind}.ledger"
    args = ["al", "init", data, "--ledger", led, "--label-column", "label", "--id-column", "id"]
    if kind == "str":
        args += ["--text-column", "text"]
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return led


def _answers(path: Path, rows: list[tuple]) -> Path:
    import pandas as pd

    pd.DataFrame(rows, columns=["id", "label"]).to_csv(path, index=False)
    return path


def _row01_string_label_in_int_ledger(tmp_path, request):
    led = _al_init(tmp_path, "int")
    before = snapshot(led)
    ans = _answers(tmp_path / "a.csv", [("i12", 1), ("i13", "spam")])
    cli_fails(["al", "label", ans, "--ledger", led], "label 'spam'", "(id 'i13')",
              "is a name, but the classes of this ledger are numbers: 0, 1")
    assert snapshot(led) == before
    ans = _answers(tmp_path / "b.csv", [("i12", 1), ("i13", "1.5")])
    cli_fails(["al", "label", ans, "--ledger", led], "label 1.5 in", "(id 'i13')",
              "is not a whole number, but the classes of this ledger are numbers: 0, 1")
    assert snapshot(led) == before
    res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--batch", "3"])
    assert res.exit_code == 0, res.output  # the ledger still works


def _row08_class_not_in_set(tmp_path, request):
    led = _al_init(tmp_path, "str")
    before = snapshot(led)
    ans = _answers(tmp_path / "a.csv", [("i12", "ham"), ("i13", "maybe")])
    cli_fails(["al", "label", ans, "--ledger", led], "label 'maybe'", "(id 'i13')",
              "the classes are: 'ham', 'spam'", "--new-class maybe")
    assert snapshot(led) == before


def _row08_source_weak(tmp_path, request):
    led = _al_init(tmp_path, "str")
    before = snapshot(led)
    ans = _answers(tmp_path / "a.csv", [("i12", "ham")])
    cli_fails(["al", "label", ans, "--ledger", led, "--source", "weak"],
              "label source 'weak' cannot be recorded", "use one of human, reviewed")
    assert snapshot(led) == before


def _row08_conflicting_labels_for_one_id(tmp_path, request):
    led = _al_init(tmp_path, "str")
    before = snapshot(led)
    ans = _answers(tmp_path / "a.csv", [("i12", "ham"), ("i14", "spam"), ("i12", "spam")])
    cli_fails(["al", "label", ans, "--ledger", led], "1 id(s) have different labels in",
              "'i12'", "keep one label per id")
    assert snapshot(led) == before


def _row09_second_init_other_features(tmp_path, request):
    led = _al_init(tmp_path, "str")
    before = snapshot(led)
    import pandas as pd

    df = pd.read_csv(tmp_path / "items_str.csv")
    df["f1"] = range(len(df))
    df.to_csv(tmp_path / "more.csv", index=False)
    cli_fails(["al", "init", tmp_path / "more.csv", "--ledger", led, "--id-column", "id",
               "--feature-column", "f1"],
              "was set up with --text-column text, --id-column id",
              "asks for --feature-column f1", "Pass --force to replace the setup")
    assert snapshot(led) == before


def _row10_partly_labeled_round_stays_open(tmp_path, request):
    import pandas as pd

    led = _al_init(tmp_path, "int")
    res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--batch", "5",
                              "--strategy", "margin", "--out", str(tmp_path / "b.csv")])
    assert res.exit_code == 0, res.output
    batch = pd.read_csv(tmp_path / "b.csv")["id"].tolist()
    res = runner.invoke(app, ["al", "label", str(_answers(tmp_path / "a.csv", [(batch[0], 1)])),
                              "--ledger", str(led)])
    assert res.exit_code == 0, res.output
    assert "round 1 stays open: 4 item(s) still need a label or skip" in res.output
    res = runner.invoke(app, ["al", "status", "--ledger", str(led)])
    assert res.exit_code == 0 and "4 of 5 items still need a label or skip" in " ".join(
        res.output.split()), res.output
    res = runner.invoke(app, ["al", "next", "--ledger", str(led)])
    assert res.exit_code == 0 and "round 1 is still open" in res.output, res.output
    assert "round 1: 5 items (margin" in " ".join(res.output.split()), res.output
    before = snapshot(led)
    cli_fails(["al", "next", "--ledger", led, "--strategy", "entropy"],
              "round 1 is still open (4 of 5 items to label or skip",
              "picked with --strategy margin --batch 5", "before asking for --strategy entropy")
    assert snapshot(led) == before


def _row11_ledger_locked(tmp_path, request):
    import sqlite3

    led = _al_init(tmp_path, "int")
    before = snapshot(led)
    request.getfixturevalue("monkeypatch").setenv("DATAQA_LEDGER_TIMEOUT", "0.2")
    ans = _answers(tmp_path / "a.csv", [("i12", 1)])
    holder = sqlite3.connect(led, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        cli_fails(["al", "label", ans, "--ledger", led], f"ledger '{led}' is locked by another "
                  "process (waited 0.2 s)", "try again when that process has finished")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert snapshot(led) == before


def _row12_text_without_words(tmp_path, request):
    import pandas as pd

    marks = ["!!!", "?", "...", ":-)", "#", "??!", "--", "*", ";;", "@@"]
    pd.DataFrame({"id": [f"p{k}" for k in range(20)], "text": marks * 2,
                  "label": ["a", "b"] * 3 + [""] * 14}).to_csv(tmp_path / "p.csv", index=False)
    led = tmp_path / "p.ledger"
    res = runner.invoke(app, ["al", "init", str(tmp_path / "p.csv"), "--ledger", str(led),
                              "--text-column", "text", "--label-column", "label",
                              "--id-column", "id"])
    assert res.exit_code == 0, res.output
    assert "holds no words; its features are character n-grams" in res.output
    res = runner.invoke(app, ["al", "next", "--ledger", str(led), "--batch", "3"])
    assert res.exit_code == 0 and "round 1: 3 items" in res.output, res.output


def _row12_text_column_empty(tmp_path, request):
    import pandas as pd

    pd.DataFrame({"id": ["a", "b", "c"], "text": ["", " ", ""]}).to_csv(tmp_path / "e.csv",
                                                                       index=False)
    led = tmp_path / "e.ledger"
    cli_fails(["al", "init", tmp_path / "e.csv", "--ledger", led, "--text-column", "text",
               "--id-column", "id"], "text column 'text' is empty in every row")
    assert not led.exists() and list(tmp_path.glob("e.ledger*")) == []


def _row12_al_feature_column_decimal_comma(tmp_path, request):
    # a named feature column kept as text by its decimal commas: named, with --decimal
    (tmp_path / "semi.csv").write_text("id;score;label\n" + "".join(
        f"i{i};{i % 9},{i % 7};{'spam' if i % 2 else 'ham'}\n" for i in range(30)))
    led = tmp_path / "s.ledger"
    cli_fails(["al", "init", tmp_path / "semi.csv", "--ledger", led, "--sep", ";",
               "--feature-column", "score", "--label-column", "label", "--id-column", "id"],
              "feature column(s) 'score' of", "are not numeric",
              "hold numbers with a decimal comma (e.g. '0,0'): read the file with --decimal ','")
    assert not led.exists()


def _row14_missing_ledger(tmp_path, request):
    ans = _answers(tmp_path / "a.csv", [("i1", 1)])
    for args in (["al", "status"], ["al", "next"], ["al", "label", ans]):
        cli_fails([*args, "--ledger", "nope.ledger"], "ledger 'nope.ledger' does not exist",
                  "dataqa al init DATA --ledger nope.ledger")
        assert list(tmp_path.glob("nope.ledger*")) == []


def _row15_al_next_out_bad(tmp_path, request):
    led = _al_init(tmp_path, "int")
    before = snapshot(led)
    (tmp_path / "folder").mkdir()
    (tmp_path / "taken.csv").write_text("keep me")
    cases = [(tmp_path / "folder", "is a folder; give a file path"),
             (tmp_path / "taken.csv" / "b.csv", "taken.csv', which is a file"),
             (Path("/proc/dataqa_batch.csv"), "--out '/proc/dataqa_batch.csv' cannot be written")]
    for out, text in cases:
        cli_fails(["al", "next", "--ledger", led, "--out", out], text)
        assert snapshot(led) == before  # no round was started
    assert (tmp_path / "taken.csv").read_text() == "keep me"


def _row16_corrupted_page(tmp_path, request):
    led = _al_init(tmp_path, "str", n=400)
    size = led.stat().st_size
    assert size > 8 * 4096
    import sqlite3

    con = sqlite3.connect(led)
    page = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'items'").fetchone()[0]
    con.close()
    with open(led, "r+b") as fh:  # garble the start of the items table's root page
        fh.seek((page - 1) * 4096)
        fh.write(b"\xff" * 64)
    before = snapshot(led)
    ans = _answers(tmp_path / "a.csv", [("i12", "ham")])
    for args in (["al", "status"], ["al", "next"], ["al", "label", ans]):
        cli_fails([*args, "--ledger", led], f"ledger '{led}' is damaged",
                  "restore it from a backup")
    assert snapshot(led) == before


def _row19_nul_byte_in_ledger_path(tmp_path, request):
    from dataqa.errors import InvalidSettingError
    from dataqa.ledger import Ledger

    api_fails(lambda: Ledger("pro\x00ject.ledger"), "ledger path 'pro\\x00ject.ledger' contains "
              "a NUL byte", error=InvalidSettingError)
    cli_fails(["al", "status", "--ledger", "pro\x00ject.ledger"],
              "Invalid value for '--ledger'", "null byte")
    assert list(tmp_path.iterdir()) == []


CASES_ACTIVE: list = [
    pytest.param(_row01_string_label_in_int_ledger, id="row01-string-label-in-int-ledger"),
    pytest.param(_row08_class_not_in_set, id="row08-class-not-in-set"),
    pytest.param(_row08_source_weak, id="row08-source-weak"),
    pytest.param(_row08_conflicting_labels_for_one_id, id="row08-conflicting-labels"),
    pytest.param(_row09_second_init_other_features, id="row09-second-init-other-features"),
    pytest.param(_row10_partly_labeled_round_stays_open, id="row10-partly-labeled-round-open"),
    pytest.param(_row11_ledger_locked, id="row11-ledger-locked"),
    pytest.param(_row12_text_without_words, id="row12-al-text-without-words"),
    pytest.param(_row12_text_column_empty, id="row12-al-text-column-empty"),
    pytest.param(_row12_al_feature_column_decimal_comma, id="row12-al-feature-decimal-comma"),
    pytest.param(_row14_missing_ledger, id="row14-missing-ledger"),
    pytest.param(_row15_al_next_out_bad, id="row15-al-next-out"),
    pytest.param(_row16_corrupted_page, id="row16-corrupted-page"),
    pytest.param(_row19_nul_byte_in_ledger_path, id="row19-nul-byte-in-ledger-path"),
]
# --- end area: active learning and ledger ---

# --- area: weak supervision and ood (rows 4, 13, 18, 19 weak/ood) ---
def _weak_files(tmp_path: Path, lf_source: str) -> list:
    """A small table, a dev table and an LF file; the common ``dataqa weak`` arguments."""
    import pandas as pd

    texts = ["subscribe to me", "nice song", "check out my channel", "great song", "love it"]
    pd.DataFrame({"key": [f"k{i}" for i in range(5)], "text": texts}).to_csv(tmp_path / "d.csv", index=False)
    pd.DataFrame({"text": texts, "gold": [1, 0, 1, 0, 0]}).to_csv(tmp_path / "dev.csv", index=False)
    (tmp_path / "lfs.py").write_text(lf_source)
    return ["weak", tmp_path / "d.csv", "--lfs", tmp_path / "lfs.py", "--cardinality", "2",
            "--id-column", "key", "--out", tmp_path / "out"]


_TWO_LFS = (
    "from labeling_functions import keyword_lf\n"
    "lfs = [keyword_lf('kw_sub', ['subscribe', 'check out'], 1), keyword_lf('kw_song', 'song', 0)]\n"
)


def _row04_default_falls_back(tmp_path, request):
    res = runner.invoke(app, [str(a) for a in _weak_files(tmp_path, _TWO_LFS)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert ("label model: majority vote, as Snorkel's LabelModel (the default) needs at least 3 "
            "labeling functions and there are 2") in text, text
    assert (tmp_path / "out" / "weak_labels.csv").exists()


def _row04_auto_falls_back(tmp_path, request):
    args = _weak_files(tmp_path, _TWO_LFS) + ["--method", "auto", "--dev", tmp_path / "dev.csv",
                                               "--label-column", "gold"]
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert ("skipped snorkel, snorkel_dev_prior: Snorkel's LabelModel needs at least 3 LFs and "
            "there are 2") in text, text
    assert "label model: majority" in text or "label model: dawid_skene" in text


def _row04_explicit_snorkel_needs_3(tmp_path, request):
    cli_fails(_weak_files(tmp_path, _TWO_LFS) + ["--method", "snorkel"],
              "--method snorkel (Snorkel's LabelModel) needs at least 3 labeling functions and "
              "--lfs gives 2", "--method majority, dawid_skene, or auto with --dev")
    assert not (tmp_path / "out").exists()


def _row13_constant_features(tmp_path, request):
    import numpy as np

    from dataqa.ood import MahalanobisDetector

    det = MahalanobisDetector()
    api_fails(lambda: det.fit(np.full((20, 3), 0.5), np.arange(20) % 2),
              "fit_features do not vary within classes (every one of the 3 columns is constant)",
              "use the 'knn' method")
    assert not hasattr(det, "whiten_")


def _row13_one_item_per_class(tmp_path, request):
    import numpy as np

    from dataqa.ood import score_ood

    X = np.random.default_rng(0).normal(size=(4, 3))
    api_fails(lambda: score_ood("mahalanobis", features=X, fit_features=X, fit_labels=[0, 1, 2, 3]),
              "every class of fit_labels has a single item (4 items, 4 classes)",
              "give at least 2 items for some classes")


def _row13_singular_regularised(tmp_path, request):
    import numpy as np

    from dataqa.ood import MahalanobisDetector

    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=(40, 2)), np.zeros(40)]  # one constant feature: singular covariance
    det = MahalanobisDetector().fit(X, np.arange(40) % 2)
    s = det.score(np.array([[0.0, 0.0, d] for d in (0.0, 1.0, 10.0, 1000.0)]))
    assert s[0] < s[1] < s[2] < s[3], s  # far points score higher, never 0


_FRACTION_LF = (
    "from snorkel.labeling import labeling_function\n"
    "@labeling_function()\n"
    "def lf_frac(x):\n"
    "    return 1.7 if 'song' in x.text else -1\n"
    "lfs = [lf_frac]\n"
)


def _row18_fractional_vote(tmp_path, request):
    cli_fails(_weak_files(tmp_path, _FRACTION_LF) + ["--method", "majority"],
              "labeling function 'lf_frac' returned 1.7 on row key='k1'",
              "an LF must return an int class index or -1 (abstain)")
    assert not (tmp_path / "out").exists()


def _row18_sys_exit_in_lf_file(tmp_path, request):
    cli_fails(_weak_files(tmp_path, "import sys\nsys.exit(3)\n") + ["--method", "majority"],
              "--lfs file", "lfs.py' called sys.exit(3) while being imported",
              "an LF file must only define lfs = [...]")
    assert not (tmp_path / "out").exists()


def _row18_sys_exit_in_lf(tmp_path, request):
    source = ("import sys\nfrom snorkel.labeling import labeling_function\n"
              "@labeling_function()\ndef lf_quit(x):\n    sys.exit(3)\nlfs = [lf_quit]\n")
    cli_fails(_weak_files(tmp_path, source) + ["--method", "majority"],
              "labeling function 'lf_quit' called sys.exit(3) on row key='k0'")
    assert not (tmp_path / "out").exists()


def _row19_y_dev_strings(tmp_path, request):
    import numpy as np

    from dataqa.weak import fit_label_model

    L = np.array([[0, 1, -1], [1, 1, 0], [0, -1, 0]])
    api_fails(lambda: fit_label_model(L, cardinality=2, method="auto", L_dev=L,
                                      Y_dev=["spam", "ham", "ham"]),
              "Y_dev must hold integer class indices 0..1; row 0 holds 'spam' (str)",
              "Map class names to indices first")


def _row19_apply_lfs_single_lf(tmp_path, request):
    import pandas as pd

    from dataqa.weak import apply_lfs
    from labeling_functions import keyword_lf

    api_fails(lambda: apply_lfs(pd.DataFrame({"text": ["a"]}), keyword_lf("kw_a", "a", 1)),
              "lfs must be a list of labeling functions; got the single LF 'kw_a'",
              "Pass it in a list: [kw_a]")


def _row19_torch_wrong_width(tmp_path, request):
    import numpy as np
    from torch import nn

    from dataqa.ood import score_ood

    api_fails(lambda: score_ood("energy", model=nn.Linear(3, 2), X=np.zeros((5, 4))),
              "X does not fit the model: its items have shape (4,)",
              "mat1 and mat2 shapes cannot be multiplied",
              "pass inputs of the shape the model was built for")


CASES_WEAK_OOD: list = [
    pytest.param(_row04_default_falls_back, id="row04-default-method-falls-back-to-majority"),
    pytest.param(_row04_auto_falls_back, id="row04-auto-skips-snorkel"),
    pytest.param(_row04_explicit_snorkel_needs_3, id="row04-explicit-snorkel-needs-3-lfs"),
    pytest.param(_row13_constant_features, id="row13-mahalanobis-constant-features"),
    pytest.param(_row13_one_item_per_class, id="row13-mahalanobis-one-item-per-class"),
    pytest.param(_row13_singular_regularised, id="row13-mahalanobis-singular-far-scores-higher"),
    pytest.param(_row18_fractional_vote, id="row18-lf-returns-1.7"),
    pytest.param(_row18_sys_exit_in_lf_file, id="row18-lf-file-calls-sys-exit"),
    pytest.param(_row18_sys_exit_in_lf, id="row18-lf-calls-sys-exit"),
    pytest.param(_row19_y_dev_strings, id="row19-y-dev-strings"),
    pytest.param(_row19_apply_lfs_single_lf, id="row19-apply-lfs-single-lf"),
    pytest.param(_row19_torch_wrong_width, id="row19-torch-input-wrong-width"),
]
# --- end area: weak supervision and ood ---

# --- area: Label Studio (rows 2, 15 ls, 20, 21, 24) ---
_LS_CLASSES = ["ham", "spam"]


def _ls_server(request):
    """The session's Label Studio server, with its url and key in the environment."""
    server = request.getfixturevalue("ls_server")
    mp = request.getfixturevalue("monkeypatch")
    mp.setenv("LABEL_STUDIO_URL", server.url)
    mp.setenv("LABEL_STUDIO_API_KEY", server.api_key)
    return server


def _ls_title(tmp_path: Path, what: str) -> str:
    return f"bad input {what} {tmp_path.name}"


def _ls_items(n: int):
    import pandas as pd

    return pd.DataFrame({"id": [f"t{k}" for k in range(n)],
                         "text": [f"message number {k}" for k in range(n)],
                         "prediction": [k % 2 for k in range(n)]})


def _ls_titled(server, title: str) -> list[dict]:
    from dataqa.labelstudio import LabelStudioClient

    with LabelStudioClient(server.url, server.api_key) as client:
        return [p for p in client.projects() if p.get("title") == title]


def _ls_task_counts(server, project_id: int) -> dict:
    from collections import Counter

    from dataqa.labelstudio import LabelStudioClient

    with LabelStudioClient(server.url, server.api_key) as client:
        return Counter(t["data"]["dataqa_id"] for t in client.list_tasks(project_id))


def _ls_annotated_ledger(tmp_path: Path, server, title: str, choices: dict[str, str]) -> Path:
    """A ledger with 4 items pushed to ``title`` and the given annotations posted."""
    from dataqa.labelstudio import LabelStudioClient, push_queue

    ledger = tmp_path / "round.db"
    rep = push_queue(_ls_items(4), project=title, class_names=_LS_CLASSES, ledger=ledger,
                     queue="active", url=server.url, api_key=server.api_key)
    with LabelStudioClient(server.url, server.api_key) as client:
        for item, name in choices.items():
            client.create_annotation(rep.task_ids[item], [{
                "from_name": "label", "to_name": "text", "type": "choices",
                "value": {"choices": [name]}}])
    return ledger


class _LsSilentPort:
    """A loopback port that accepts connections and never answers."""

    def __enter__(self) -> str:
        import socket

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)  # the kernel accepts; nobody ever reads or answers
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def __exit__(self, *exc) -> None:
        self.sock.close()


def ls_row02_two_pushes_at_once(tmp_path, request):
    import os
    import subprocess
    import sys

    server = _ls_server(request)
    title = _ls_title(tmp_path, "row2")
    src = tmp_path / "batch.csv"
    _ls_items(40).to_csv(src, index=False)
    cmd = [sys.executable, "-c", "from dataqa.cli import main; main()", "ls", "push",
           "--ledger", str(tmp_path / "round.db"), "--project", title, "--queue", "active",
           "--from", str(src), "--classes", ",".join(_LS_CLASSES), "--chunk-size", "10"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=dict(os.environ), cwd=tmp_path) for _ in range(2)]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    projects = _ls_titled(server, title)
    assert len(projects) == 1, projects  # one project, not two with one title
    counts = _ls_task_counts(server, projects[0]["id"])
    assert len(counts) == 40 and set(counts.values()) == {1}  # every item once
    text = " ".join(" ".join(outs).split())
    assert "40 created, 0 already there" in text and "0 created, 40 already there" in text
    assert server.api_key not in text
    # later pushes and pulls find the one project
    cli_ok = runner.invoke(app, ["ls", "pull", "--ledger", str(tmp_path / "round.db"),
                                 "--project", title])
    assert cli_ok.exit_code == 0, cli_ok.output


def _ls_row15(make_out):
    def case(tmp_path, request):
        from dataqa.ledger import Ledger

        server = _ls_server(request)
        ledger = _ls_annotated_ledger(tmp_path, server, _ls_title(tmp_path, "row15"),
                                      {"t1": "spam"})
        out, expected = make_out(tmp_path)
        before = snapshot(ledger)
        cli_fails(["ls", "pull", "--ledger", ledger, "--project", _ls_title(tmp_path, "row15"),
                   "--out", out], "--out", *expected)
        assert snapshot(ledger) == before
        with Ledger(ledger) as led:
            assert led.labels(source="human").empty  # nothing was pulled
    return case


def _ls_out_folder(tmp_path):
    (tmp_path / "outdir").mkdir()
    return tmp_path / "outdir", ["is a folder; give a file path"]


def _ls_out_under_file(tmp_path):
    (tmp_path / "plain.txt").write_text("x")
    return tmp_path / "plain.txt" / "ann.csv", ["which is a file, not a folder"]


def _ls_out_unwritable(tmp_path):
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.access(locked, os.W_OK):  # root may write anywhere
        locked.chmod(0o700)
        pytest.skip("running as a user who may write to a read-only folder (root)")
    return locked / "ann.csv", ["is not writable by you"]


def ls_row20_push_to_a_server_that_never_answers(tmp_path, request):
    import time

    request.getfixturevalue("monkeypatch").setenv("LABEL_STUDIO_API_KEY", "secret-key-row20")
    src = tmp_path / "batch.csv"
    _ls_items(3).to_csv(src, index=False)
    with _LsSilentPort() as url:
        start = time.monotonic()
        out = cli_fails(["ls", "push", "--ledger", tmp_path / "new.db", "--project", "silent",
                         "--queue", "active", "--from", src, "--classes", "ham,spam",
                         "--url", url, "--timeout", "1"],
                        f"Label Studio at {url} did not answer", "within 1 s",
                        "--timeout SECONDS")
        assert time.monotonic() - start < 15
    assert "secret-key-row20" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.csv"]  # no ledger, no lock


def ls_row20_push_refused(tmp_path, request):
    from dataqa.labelstudio.server import free_port

    request.getfixturevalue("monkeypatch").setenv("LABEL_STUDIO_API_KEY", "secret-key-row20")
    src = tmp_path / "batch.csv"
    _ls_items(3).to_csv(src, index=False)
    port = free_port()
    cli_fails(["ls", "push", "--ledger", tmp_path / "new.db", "--project", "refused",
               "--queue", "active", "--from", src, "--classes", "ham,spam",
               "--url", f"http://127.0.0.1:{port}"],
              f"cannot reach Label Studio at http://127.0.0.1:{port}", "start the server")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.csv"]


def ls_row20_pull_from_a_server_that_never_answers(tmp_path, request):
    from dataqa.ledger import Ledger

    request.getfixturevalue("monkeypatch").setenv("LABEL_STUDIO_API_KEY", "secret-key-row20")
    ledger = tmp_path / "round.db"
    with Ledger(ledger) as led:
        led.add_items(["a", "b"])
    before = snapshot(ledger)
    with _LsSilentPort() as url:
        cli_fails(["ls", "pull", "--ledger", ledger, "--project", "silent", "--url", url,
                   "--timeout", "0.5"], "did not answer", "within 0.5 s", "--timeout SECONDS")
    assert snapshot(ledger) == before


def ls_row21_annotation_with_an_unknown_class(tmp_path, request):
    from dataqa.ledger import Ledger

    server = _ls_server(request)
    title = _ls_title(tmp_path, "row21a")
    ledger = _ls_annotated_ledger(tmp_path, server, title, {"t1": "maybe", "t2": "spam"})
    res = runner.invoke(app, ["ls", "pull", "--ledger", str(ledger), "--project", title])
    text = " ".join(res.output.split())
    assert res.exit_code == 1, res.output  # reported, not a crash; the rest went through
    assert "Traceback" not in res.output
    assert "(item 't1', by admin@dataqa.local) chose 'maybe', not one of the project's " \
           "classes; it was not stored" in text
    assert "1 annotations (1 new" in text
    with Ledger(ledger) as led:
        human = led.labels(source="human")
    assert human[["id", "label"]].values.tolist() == [["t2", 1]]
    assert server.api_key not in res.output


def ls_row21_push_row_without_text(tmp_path, request):
    from dataqa.ledger import Ledger

    server = _ls_server(request)
    title = _ls_title(tmp_path, "row21b")
    src = tmp_path / "batch.csv"
    items = _ls_items(6)
    items.loc[3, "text"] = None  # an empty cell in the file
    items.to_csv(src, index=False)
    ledger = tmp_path / "round.db"
    res = runner.invoke(app, ["ls", "push", "--ledger", str(ledger), "--project", title,
                              "--queue", "active", "--from", str(src), "--classes", "ham,spam"])
    text = " ".join(res.output.split())
    assert res.exit_code == 1, res.output
    assert "5 created, 0 already there, 1 failed" in text
    assert "failed: 1 items have a missing or blank 'text' and were not sent ('t3'); fill column " \
           "'text' and push again." in text
    (project,) = _ls_titled(server, title)
    assert set(_ls_task_counts(server, project["id"])) == {"t0", "t1", "t2", "t4", "t5"}
    with Ledger(ledger) as led:
        assert "t3" not in set(led.items()["id"])


def ls_row24_push_of_no_items(tmp_path, request):
    from dataqa.errors import EmptyDataError
    from dataqa.labelstudio import push_queue

    server = _ls_server(request)
    title = _ls_title(tmp_path, "row24")
    ledger = tmp_path / "round.db"
    api_fails(lambda: push_queue(_ls_items(0), project=title, class_names=_LS_CLASSES,
                                 ledger=ledger, queue="active", url=server.url,
                                 api_key=server.api_key),
              "items has no rows, so there is nothing to push to project", title,
              error=EmptyDataError)
    assert _ls_titled(server, title) == []  # no empty project
    assert not ledger.exists()
    # the command line says the same for an empty file
    src = tmp_path / "empty.csv"
    src.write_text("id,text\n")
    cli_fails(["ls", "push", "--ledger", ledger, "--project", title, "--queue", "active",
               "--from", src, "--classes", "ham,spam"], "empty.csv' has no rows")
    assert _ls_titled(server, title) == [] and not ledger.exists()


CASES_LABELSTUDIO: list = [
    pytest.param(ls_row02_two_pushes_at_once, id="row02-two-ls-pushes-at-once"),
    pytest.param(_ls_row15(_ls_out_folder), id="row15-ls-pull-out-folder"),
    pytest.param(_ls_row15(_ls_out_under_file), id="row15-ls-pull-out-under-a-file"),
    pytest.param(_ls_row15(_ls_out_unwritable), id="row15-ls-pull-out-unwritable"),
    pytest.param(ls_row20_push_to_a_server_that_never_answers, id="row20-ls-push-never-answers"),
    pytest.param(ls_row20_push_refused, id="row20-ls-push-refused-no-ledger"),
    pytest.param(ls_row20_pull_from_a_server_that_never_answers, id="row20-ls-pull-never-answers"),
    pytest.param(ls_row21_annotation_with_an_unknown_class, id="row21-ls-pull-unknown-class"),
    pytest.param(ls_row21_push_row_without_text, id="row21-ls-push-row-without-text"),
    pytest.param(ls_row24_push_of_no_items, id="row24-ls-push-no-items-api"),
]
# --- end area: Label Studio ---


ALL_CASES = CASES_DATA + CASES_ACTIVE + CASES_WEAK_OOD + CASES_LABELSTUDIO


@pytest.mark.parametrize("case", ALL_CASES)
def test_bad_input(case, tmp_path, monkeypatch, request):
    monkeypatch.chdir(tmp_path)
    case(tmp_path, request)


def test_decimal_commas_are_named_and_read_with_decimal(tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    y = np.arange(60) % 2
    df = pd.DataFrame({"x": rng.normal(size=60) + 2 * y, "z": rng.normal(size=60), "label": y})
    df.to_csv(tmp_path / "eu.csv", sep=";", decimal=",", index=False)
    base = ["audit", str(tmp_path / "eu.csv"), "--label-column", "label", "--sep", ";",
            "--no-datalab", "-q"]
    res = runner.invoke(app, [*base, "--out", str(tmp_path / "a")])
    assert res.exit_code == 2
    msg = " ".join(res.output.split())
    assert "has no numeric feature columns" in msg
    assert "Column(s) 'x', 'z' hold numbers with a decimal comma" in msg
    assert "read the file with --decimal ','" in msg
    res = runner.invoke(app, [*base, "--decimal", ",", "--out", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "b" / "summary.json").exists()


def test_ctrl_c_exits_130_with_what_was_interrupted(capsys):
    import typer

    from dataqa._cli_utils import handle_errors

    @handle_errors
    def pushing():
        exc = KeyboardInterrupt()
        exc.dataqa_note = "the push to 'p' was interrupted with 100 of 300 tasks confirmed"
        raise exc

    @handle_errors
    def reading():
        raise KeyboardInterrupt

    for func, said in ((pushing, "interrupted: the push to 'p' was interrupted with 100 of "
                                 "300 tasks confirmed"), (reading, "interrupted")):
        with pytest.raises(typer.Exit) as info:
            func()
        assert info.value.exit_code == 130
        assert capsys.readouterr().err.strip() == said


def test_a_misspelled_queue_kind_is_named_before_any_queue_is_looked_up(tmp_path):
    from dataqa.ledger import Ledger

    with Ledger(tmp_path / "l.db"):  # an existing ledger, no --from: it was read as a name
        pass
    out = cli_fails(["ls", "push", "--ledger", tmp_path / "l.db", "--project", "p",
                     "--queue", "activ"], "unknown queue kind 'activ'",
                    "known queue kinds are: active, review, spot_check, verify")
    assert "--from" not in out


def _usage_error(args: list) -> str:
    """A usage error's text (exit code 2) without the box rich draws around it."""
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    return " ".join(res.output.replace("\u2502", " ").split())


def test_a_glob_the_shell_expanded_is_named(tmp_path, monkeypatch):
    # `dataqa drift day_*.csv new.csv` without quotes: the shell passes every file
    monkeypatch.chdir(tmp_path)
    for k in range(3):
        Path(f"day_{k}.csv").write_text("x\n1\n")
    hint = ("If the shell expanded a pattern such as data/*.csv into several files, quote it "
            "('data/*.csv') to read them as one table, or give their folder.")
    text = _usage_error(["drift", "day_0.csv", "day_1.csv", "day_2.csv", "--out", "o"])
    assert f"Got unexpected extra argument(s) (day_2.csv). {hint}" in text, text
    assert not Path("o").exists()
    # one extra word that is not a file keeps the plain usage error
    text = _usage_error(["drift", "day_0.csv", "day_1.csv", "oops"])
    assert "Got unexpected extra argument(s) (oops)" in text and "If the shell" not in text
    # a command of one table given two files says it too
    text = _usage_error(["audit", "day_0.csv", "day_1.csv", "--label-column", "x"])
    assert f"Got unexpected extra argument(s) (day_1.csv). {hint}" in text, text
    # a stray word beside files given as option values is no expanded pattern
    text = _usage_error(["audit", "day_0.csv", "--label-column", "day_1.csv", "typo"])
    assert "Got unexpected extra argument(s) (typo)" in text and "If the shell" not in text


def test_help_shows_no_type_beside_on_off_flags():
    for command in ([], ["weak"], ["audit"], ["al"], ["al", "next"], ["drift"], ["review"],
                    ["review", "plan"], ["ls"]):
        res = runner.invoke(app, [*command, "--help"], terminal_width=120)
        assert res.exit_code == 0, res.output
        assert "<bool>" not in res.output, command
        assert "Show this message and exit." in res.output
        if len(command) == 2 or command in (["weak"], ["audit"], ["drift"]):
            assert "<str>" in res.output or "<path>" in res.output  # valued options keep theirs
    res = runner.invoke(app, ["weak", "--help"], terminal_width=120)
    assert any("--no-header" in line and "no header row" in line
               for line in res.output.splitlines())


def test_api_hints_are_left_out_on_the_command_line():
    from dataqa._cli_utils import without_api_hints as strip

    assert strip("pass --format parquet (API: format='parquet').") == "pass --format parquet."
    assert strip("without a header (--no-header, API: header=False), but") == \
        "without a header (--no-header), but"
    assert strip("(--format tsv, quoting off; API: format='tsv'); else") == \
        "(--format tsv, quoting off); else"
    assert strip("names (in order; API: load_table(..., columns=[...])).") == "names (in order)."
    # no hint, or one whose parentheses do not close: as it is
    for text in ("the API: is named", "(API: unclosed", "no hint at all"):
        assert strip(text) == text


def test_keyword_mentions_beside_options_are_left_out_on_the_command_line(tmp_path):
    # '--columns (API: columns=)' in the shared message; the command line shows the option
    path = tmp_path / "two.csv"
    path.write_text("a,1\nb,2\nc,1\n", encoding="utf-8")
    res = runner.invoke(app, ["audit", str(path), "--no-header", "--columns", "x,y,label",
                              "--label-column", "label", "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert "has 2 fields per row but --columns names 3; give one name per field" in text
    assert "columns=" not in text and "API" not in text
    with pytest.raises(DataqaError, match=r"--columns \(API: columns=\) names 3"):
        from dataqa.data import load_table

        load_table(path, header=False, columns=["x", "y", "label"])


@pytest.mark.parametrize("decimals", [2, 3])
def test_unused_decimal_comma_columns_are_named_once(tmp_path, decimals):
    # beside a numeric column, columns with decimal commas are left out of the features:
    # the hint comes once, from the reading (two decimals) or, where the reading cannot
    # tell a thousands separator (three digits after every comma), from the feature choice
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    y = np.arange(60) % 2
    df = pd.DataFrame({"x": rng.normal(size=60) + 2 * y, "n": np.arange(60) % 7, "label": y})
    df.to_csv(tmp_path / "eu.csv", sep=";", decimal=",", index=False,
              float_format=f"%.{decimals}f")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        res = runner.invoke(app, ["audit", str(tmp_path / "eu.csv"), "--label-column", "label",
                                  "--sep", ";", "--no-datalab", "-q", "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    msg = " ".join(" ".join(str(w.message) for w in seen).split())
    assert msg.count("Column(s) 'x' hold numbers with a decimal comma") == 1, msg
    assert "not used, as they are not numeric: 'x'" in msg
    assert ("the values are read as text" in msg) == (decimals == 2)
