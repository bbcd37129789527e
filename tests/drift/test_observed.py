"""The accuracy on current rows that carry a label: values, the exact interval's coverage,
and how detect_drift, drift_windows and ``dataqa drift`` give it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import beta
from typer.testing import CliRunner

from dataqa.cli import app
from dataqa.drift import detect_drift, drift_windows, observed_accuracy
from dataqa.errors import InvalidSettingError, LengthMismatchError


def _probs(predicted, k=3):
    P = np.full((len(predicted), k), 0.1 / (k - 1))
    P[np.arange(len(predicted)), predicted] = 0.9
    return P


def test_counts_labeled_rows_and_a_class_the_model_lacks_as_wrong():
    P = _probs([0, 1, 2, 0, 1, 2, 0])
    labels = ["a", " b ", "a", None, "", np.nan, "new"]  # right, right, wrong, -, -, -, other
    o = observed_accuracy(P, labels, ["a", "b", "c"])
    assert (o["n"], o["n_correct"], o["n_other_class"]) == (4, 2, 1)
    assert o["accuracy"] == 0.5
    assert o["low"] == pytest.approx(beta.ppf(0.025, 2, 3), abs=1e-12)
    assert o["high"] == pytest.approx(beta.ppf(0.975, 3, 2), abs=1e-12)
    # numbered classes read from a column with empty cells (1.0 for 1)
    o = observed_accuracy(_probs([1, 0], k=2), [1.0, np.nan], [0, 1])
    assert (o["n"], o["accuracy"], o["high"]) == (1, 1.0, 1.0)
    assert o["low"] == pytest.approx(0.025, abs=1e-12)  # (alpha / 2) ** (1 / n)
    assert observed_accuracy(_probs([0, 1]), [None, " "], ["a", "b", "c"]) is None
    o = observed_accuracy(_probs([0, 1, 2, 0]), [pd.NaT, np.float32("nan"), "x", "x"],
                          ["a", "b", "c"])  # missing in every spelling; "x" no class
    assert (o["n"], o["n_other_class"], o["other_classes"]) == (2, 2, ["x"])


def test_detect_drift_warns_when_some_current_labels_are_no_class():
    ref, cur = _tables()
    cur.loc[cur.index % 3 == 0, "label"] = np.where(
        np.arange((cur.index % 3 == 0).sum()) < 5, "-1", cur.loc[cur.index % 3 == 0, "label"])
    with pytest.warns(UserWarning, match=r"5 of the 80 current rows that carry a label in "
                                         r"'label' hold a value that is no class of the "
                                         r"reference \('-1'\): they count as wrong"):
        res = detect_drift(ref, cur, label_column="label", n_permutations=19, progress=False)
    assert res.observed_accuracy["n_other_class"] == 5


def test_bad_input_is_named():
    with pytest.raises(LengthMismatchError, match="cur_labels has 1 items but cur_probs has 2"):
        observed_accuracy(_probs([0, 1]), ["a"], ["a", "b", "c"])
    with pytest.raises(LengthMismatchError, match="class_names has 2 classes but cur_probs"):
        observed_accuracy(_probs([0, 1]), ["a", "b"], ["a", "b"])
    with pytest.raises(InvalidSettingError, match="confidence=1.5 must lie strictly"):
        observed_accuracy(_probs([0, 1]), ["a", "b"], ["a", "b", "c"], confidence=1.5)


@pytest.mark.parametrize("n", [8, 40, 300])
def test_the_interval_covers_the_accuracy_at_its_nominal_rate(n):
    # the labeled rows are a random sample of a population whose accuracy is p: the
    # exact interval must hold p at least 95% of the time (Clopper-Pearson is
    # conservative); 1,000 draws per accuracy, tolerance three standard errors
    rng = np.random.default_rng(n)
    for p in (0.5, 0.8, 0.95, 0.99):
        covered = 0
        for _ in range(1000):
            right = rng.random(n) < p
            predicted = np.where(right, 0, 1)
            o = observed_accuracy(_probs(predicted, k=2), ["a"] * n, ["a", "b"])
            covered += o["low"] <= p <= o["high"]
        assert covered / 1000 >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / 1000), (n, p, covered)


def _tables(n=240, seed=0):
    rng = np.random.default_rng(seed)

    def part(n, shift):
        y = rng.choice(["ham", "spam"], n)
        x = rng.normal(size=n) + 1.5 * (y == "spam") + shift
        return pd.DataFrame({"x": x, "z": rng.normal(size=n), "label": y})
    ref, cur = part(n, 0.0), part(n, 0.7)
    cur.loc[cur.index % 3 != 0, "label"] = None  # a third of the rows carry a label
    return ref, cur


def test_detect_drift_and_windows_measure_it_on_the_labeled_rows(tmp_path):
    ref, cur = _tables()
    res = detect_drift(ref, cur, label_column="label", n_permutations=49, progress=False)
    labeled = cur["label"].notna().to_numpy()
    names = np.array(["ham", "spam"], dtype=object)
    right = names[res.current_probs[labeled].argmax(1)] == cur.loc[labeled, "label"].to_numpy()
    o = res.observed_accuracy
    assert (o["n"], o["n_correct"]) == (int(labeled.sum()), int(right.sum()))
    assert o["accuracy"] == pytest.approx(right.mean(), abs=1e-12)
    assert res.to_dict()["observed_accuracy"] == o
    # without labels in the current table: none
    assert detect_drift(ref, cur.drop(columns="label"), label_column="label",
                        n_permutations=19, progress=False).observed_accuracy is None
    w = drift_windows(ref, cur, chunk_size=80, label_column="label", n_permutations=19,
                      progress=False)
    per_row = np.full(len(cur), np.nan)  # 1 right, 0 wrong, nan without a label
    per_row[labeled] = right
    for k, row in w.windows.iterrows():
        part = per_row[80 * k:80 * (k + 1)]
        assert row["observed_n"] == int(np.isfinite(part).sum())
        assert row["observed_accuracy"] == pytest.approx(np.nanmean(part), abs=1e-12)
        assert row["observed_low"] <= row["observed_accuracy"] <= row["observed_high"]
    # a window too small to test still measures its labeled rows; counts are integers
    small_result = drift_windows(ref, cur.iloc[:86], chunk_size=80, label_column="label",
                                 n_permutations=19, progress=False)
    small = small_result.windows
    assert small["note"].iloc[1] == "not tested: fewer than 10 rows"
    # ... and the report keeps its row for that (untested windows without labels are not)
    page = small_result.to_html(tmp_path / "r.html").read_text()
    table = page.split("Timeline")[1].split("</table>")[0]
    assert '<td class="nowrap">rows 81-86</td>' in table and "left out of this table" not in page
    assert small["observed_n"].tolist() == [int(labeled[:80].sum()), int(labeled[80:86].sum())]
    assert str(small["observed_n"].dtype) == "Int64"
    assert small["observed_accuracy"].iloc[1] == pytest.approx(np.nanmean(per_row[80:86]))
    chunks = w.reference_chunks
    assert (chunks["observed_n"] == 80).all() and chunks["observed_accuracy"].between(0, 1).all()
    assert (chunks["observed_low"] <= chunks["observed_accuracy"]).all()
    # a current label column with no label at all measures nothing: its observed_* cells
    # are empty (the columns are there, as in every windows table with a label column)
    none = drift_windows(ref, cur.assign(label=None), chunk_size=80, label_column="label",
                         n_permutations=19, progress=False)
    observed = [c for c in none.windows.columns if c.startswith("observed")]
    assert observed and none.windows[observed].isna().all().all()
    assert none.observed_accuracy is None


def test_the_command_line_prints_and_saves_it(tmp_path):
    ref, cur = _tables()
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"),
                                   "--label-column", "label", "--permutations", "49",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    o = json.loads((out / "drift.json").read_text())["observed_accuracy"]
    assert o["n"] == 80
    assert (f"  accuracy on the 80 current rows that carry a label: {o['accuracy']:.3f} "
            f"[{o['low']:.3f}, {o['high']:.3f}] ({o['n_correct']} right; the interval holds "
            f"for all current rows only if these are a random sample of them)") in res.output
    assert ("which such a change can break unseen (a new source, new topics): the accuracy on "
            "the current rows that carry a label is measured, not assumed.") in " ".join(
                res.output.split())
    page = (out / "report.html").read_text()
    assert "accuracy on the current rows that carry a label (95% exact interval)" in page
    # the class mix counted on those rows, beside the estimate (1.0 read as class 1)
    given = cur["label"].dropna().astype(str).str.strip()
    shares = given.value_counts(normalize=True)
    names = list(json.loads((out / "drift.json").read_text())["label_shift"])
    line = ("  class mix of the 80 current rows that carry a label: "
            + "; ".join(f"{n}: {shares.get(n, 0.0):.2f}" for n in names)
            + " (counted; the estimate above is the model's, for all current rows)")
    assert line in res.output.splitlines()
    assert "class mix of the current rows that carry a label" in page


def test_a_label_written_na_is_a_class_in_both_files(tmp_path):
    # "None" is a class of the reference; the current file's "None" labels are labels too
    # (from the command line and from paths given to detect_drift), not missing cells
    rng = np.random.default_rng(3)

    def part(n):
        y = rng.choice(["None", "pos"], n)
        return pd.DataFrame({"x": rng.normal(size=n) + 2.0 * (y == "pos"), "label": y})
    ref, cur = part(120), part(60)
    cur.loc[:9, "label"] = ""  # ten rows without a label
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    res = detect_drift(tmp_path / "ref.csv", tmp_path / "cur.csv", label_column="label",
                       n_permutations=19, progress=False)
    assert res.observed_accuracy["n"] == 50
    assert len(res.label_queue(top=None)) == 10
    out = tmp_path / "out"
    run = CliRunner().invoke(app, ["drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"),
                                   "--label-column", "label", "--permutations", "19",
                                   "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert json.loads((out / "drift.json").read_text())["observed_accuracy"]["n"] == 50
    assert len(pd.read_csv(out / "queue.csv")) == 10


def test_a_copied_row_with_a_late_label_on_one_copy_is_still_a_copy():
    ref, cur = _tables()
    cur = cur.assign(id=[f"c{i}" for i in range(len(cur))])
    copy = cur.iloc[[0]].assign(label=None)  # row 0 carries a label; its copy does not
    cur = pd.concat([cur, copy], ignore_index=True)
    with pytest.warns(UserWarning, match="repeats an earlier row whole"):
        res = detect_drift(ref, cur, label_column="label", id_column="id",
                           n_permutations=19, progress=False)
    assert res.observed_accuracy["n"] == 80
    assert len(res.label_queue(top=None)) == len(cur) - 80


def test_a_current_label_in_another_case_is_refused_naming_it_and_its_rows(tmp_path):
    from dataqa.errors import LabelError

    ref, cur = _tables()
    labeled = np.flatnonzero(cur["label"].notna().to_numpy())
    cur.loc[labeled[:7], "label"] = "HAM"  # rows 1, 4, 7, ...
    cur.loc[labeled[7], "label"] = " Spam "
    with pytest.raises(LabelError) as err:
        detect_drift(ref, cur, label_column="label", n_permutations=19, progress=False)
    assert str(err.value) == (
        "label column 'label' of the current table spells reference classes in another "
        "case: 'HAM' (7 rows) for 'ham'; 'Spam' (1 row) for 'spam' (rows 1, 4, 7, 10, 13, "
        "... (+3 more), counted from 1 at the table's first row). Case may be meaningful, so they "
        "are not merged: write each class as the reference does and run again.")
    # white space around a current label: read without it, with a warning
    cur.loc[labeled[:8], "label"] = [" ham", "spam "] * 4
    with pytest.warns(UserWarning, match=r"label column 'label' of the current table: 8 label "
                                         r"cells have white space around the text \(e\.g\. "
                                         r"' ham'\); read without it\.") as caught:
        res = detect_drift(ref, cur, label_column="label", n_permutations=19, progress=False)
    assert [w.filename for w in caught if "white space" in str(w.message)] == [__file__]
    assert res.observed_accuracy["n_other_class"] == 0
    # a class the reference lacks is no case variant: warned about, as before
    cur.loc[labeled[:8], "label"] = "hamm"
    with pytest.warns(UserWarning, match="no class of the reference"):
        detect_drift(ref, cur, label_column="label", n_permutations=19, progress=False)
    # the command line names the file and exits with 2
    cur.loc[labeled[0], "label"] = "HAM"
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    res = CliRunner().invoke(app, ["drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"),
                                   "--label-column", "label", "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "cur.csv" in res.output and "'HAM' (1 row) for 'ham'" in res.output
    assert not (tmp_path / "out").exists()
