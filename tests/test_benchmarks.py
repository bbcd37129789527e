"""Benchmarks tell the truth: a missed goal gives a non-zero exit, run_all names it."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def common():
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("_common")
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture
def run_all(common):
    return importlib.import_module("run_all")  # benchmarks/ is on sys.path while `common` lives


def test_finish_exit_codes(common, capsys):
    assert common.finish("b", {}) == 0
    assert "b: no goal checked in this run" in capsys.readouterr().out
    assert common.finish("b", {"x >= 1": True, "y <= 2": True}) == 0
    assert "b: all 2 goals met" in capsys.readouterr().out
    assert common.finish("b", {"x >= 1": True, "y <= 2": False}) == common.GOAL_NOT_MET == 3
    out = capsys.readouterr().out
    assert "goal y <= 2: NOT met" in out and "b: 1 of 2 goals NOT met: y <= 2" in out


def test_every_benchmark_exits_through_finish():
    for script in sorted(BENCH.glob("*.py")):
        if script.name.startswith("_") or script.stem == "run_all":
            continue
        main_block = script.read_text().split('if __name__ == "__main__":', 1)[1]
        assert "sys.exit(" in main_block, script.name
        if script.stem != "labelstudio_sync":  # no goal: exits 0 unless it fails
            assert "finish(" in main_block, script.name


def test_run_all_names_failed_benchmarks(run_all, tmp_path, monkeypatch, capsys):
    head = f"import sys; sys.path.insert(0, {str(BENCH)!r}); from _common import finish\n"
    (tmp_path / "a_ok.py").write_text(head + "sys.exit(finish('a_ok', {'fast': True}))\n")
    (tmp_path / "b_slow.py").write_text(head + "sys.exit(finish('b_slow', {'fast': False}))\n")
    (tmp_path / "c_broken.py").write_text("raise RuntimeError('boom')\n")
    (tmp_path / "_helper.py").write_text("raise SystemExit(9)\n")
    monkeypatch.setattr(run_all, "HERE", tmp_path)
    assert run_all.main(["--out", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "=== b_slow: goal NOT met in" in out
    assert "=== c_broken: error (exit 1) in" in out
    assert "FAILED: b_slow, c_broken" in out
    assert run_all.main(["--out", str(tmp_path / "out"), "--only", "a_ok"]) == 0
    assert "all 1 benchmarks met their goals" in capsys.readouterr().out
    # a tuning script (no goals, long) runs only when named or with --tuning
    (tmp_path / "d_tuning.py").write_text(head + "sys.exit(finish('d_tuning', {'x': False}))\n")
    assert [p.stem for p in run_all.scripts()] == ["a_ok", "b_slow", "c_broken"]
    assert [p.stem for p in run_all.scripts(tuning=True)][-1] == "d_tuning"
    assert run_all.main(["--out", str(tmp_path / "out"), "--only", "d_tuning"]) == 1
    capsys.readouterr()
    run_all.main(["--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert "tuning scripts not run (no goals; --tuning runs them): d_tuning" in out
    assert "=== d_tuning" not in out
    with pytest.raises(SystemExit, match="unknown benchmark.s. nope; known: a_ok, b_slow, c_broken"):
        run_all.main(["--only", "nope"])


def test_cli_startup_benchmark_quick_run(tmp_path):
    proc = subprocess.run([sys.executable, str(BENCH / "cli_startup.py"), "--quick", "--repeat", "1",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 3), proc.stderr[-2000:]
    assert (tmp_path / "cli_startup.json").is_file()
    assert "dataqa --help" in proc.stdout and "heaviest top-level imports" in proc.stdout
    assert ("cli_startup: all 5 goals met" in proc.stdout) == (proc.returncode == 0)



def test_drift_large_benchmark_small_run(tmp_path):
    """The command runs in a child process; its stages, peak memory and findings are read
    back (20,000 rows per side instead of a million)."""
    proc = subprocess.run([sys.executable, str(BENCH / "drift_large.py"), "--n", "20000",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run = json.loads((tmp_path / "drift_large.json").read_text())["runs"][0]
    assert run["exit_code"] == 0 and run["rows_per_side"] == 20000
    assert run["drifted"] is True and run["drifted_columns"] == ["cat5", "x00"]
    assert 0.1 < run["peak_rss_gib"] < 12
    stages = {r["stage"]: r["wall_s"] for r in run["stages"]}
    assert {"read files", "column tests", "multivariate tests", "model checks",
            "write files"} <= set(stages)
    assert all(v >= 0 for v in stages.values())
    assert "drift_large: all 3 goals met" in proc.stdout


def test_drift_categorical_benchmark_quick_run(tmp_path, data_home):
    """Both parts run on a few repetitions: the rule picks a candidate, the held-out cells
    are the real first words, and every cell has a rate per candidate."""
    proc = subprocess.run([sys.executable, str(BENCH / "drift_categorical.py"), "--quick",
                           "--reps", "4", "--data-home", str(data_home), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 3), proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads((tmp_path / "drift_categorical.json").read_text())
    assert data["default"] == "every value + top 20, min-p" and data["reps"] == 4
    assert data["rule_picks"] in data["tuning_summary"]
    assert len(data["tuning"]) == 30 and len(data["heldout"]) == 6
    for row in data["tuning"] + data["heldout"]:
        assert all(0.0 <= row[c] <= 1.0 for c in data["tuning_summary"])
    assert data["sms_distinct_first_words"] > 500
    paired = data["heldout_paired"]
    assert 0.0 <= paired["sign_test_p"] <= 1.0
    assert "flagged by one test only" in proc.stdout
    assert "the rule picks: " in proc.stdout
    assert ("drift_categorical: all" in proc.stdout) == (proc.returncode == 0)


@pytest.fixture
def drift_quality(common):
    return importlib.import_module("drift_quality")


def test_paired_gap_counts_discordant_samples(drift_quality):
    # dataqa flags samples 0-3, the anchor 2-9: 2 by dataqa only, 6 by the anchor only
    p_dq = [0.01] * 4 + [0.5] * 6
    p_an = [0.5, 0.5] + [0.03] * 8
    gap = drift_quality.paired_gap(p_dq, 0.05, p_an, 0.04)
    assert (gap["only_anchor"], gap["only_dataqa"]) == (6, 2)
    # two-sided exact binomial of 6 of 8 at 1/2: 2 * (1 + 8 + 28) / 256
    assert gap["p"] == pytest.approx(74 / 256)
    same = drift_quality.paired_gap(p_dq, 0.05, p_dq, 0.05)
    assert same == {"only_anchor": 0, "only_dataqa": 0, "p": 1.0}
    # the anchor's threshold applies to the anchor only
    assert drift_quality.paired_gap(p_dq, 0.05, p_an, 0.02)["only_anchor"] == 0


def test_repetition_options_update_the_grid_and_name_a_bad_item(drift_quality):
    import argparse

    ap = argparse.ArgumentParser(prog="drift_quality.py")
    reps = {200: 5, 1000: 3}
    drift_quality._set_reps(reps, "1000=50, 5000=0,", ap)
    assert reps == {200: 5, 1000: 50, 5000: 0}
    drift_quality._set_reps(reps, None, ap)
    assert reps == {200: 5, 1000: 50, 5000: 0}
    with pytest.raises(SystemExit):
        drift_quality._set_reps(reps, "200:7", ap)
    assert reps[200] == 5


def test_missed_power_gaps_lists_only_missed_cells(drift_quality):
    row = {"scenario": "digits_prior", "n": 200, "classifier_same_reps_sized": 0.05,
           "alibi_classifier_sized": 0.07, "classifier_gap_p": 0.5,
           "classifier_only_alibi": 3, "classifier_only_dataqa": 1,
           "mmd_same_reps_sized": 0.3, "alibi_mmd_sized": 0.2, "mmd_gap_p": 0.1,
           "mmd_only_alibi": 0, "mmd_only_dataqa": 10}
    goals = {"power classifier digits_prior n=200 >= alibi (equal false-alarm rate)": False,
             "power mmd digits_prior n=200 >= alibi (equal false-alarm rate)": True}
    gaps = drift_quality.missed_power_gaps([row], goals)
    assert gaps == [{"cell": "classifier digits_prior n=200", "dataqa": 0.05, "alibi": 0.07,
                     "only_alibi": 3, "only_dataqa": 1, "p": 0.5}]


def test_drift_quality_scenarios_pick_their_calibration_datasets(drift_quality):
    grid = drift_quality.reduced_grid()
    assert drift_quality.calibration_datasets(grid) == ("digits", "sms", "mixed")
    grid.scenarios = ("sms_prior", "digits_blur")
    assert drift_quality.calibration_datasets(grid) == ("digits", "sms")
    grid.scenarios = ("youtube_concept",)
    assert drift_quality.calibration_datasets(grid) == ()


def test_thresholds_at_equal_false_alarm_rate(drift_quality):
    adj = drift_quality.adjusted_threshold
    # 100 no-shift p-values 0.01, 0.02, ..., 1.00: 5 of them <= 0.05
    null = np.arange(1, 101) / 100
    assert adj(null) == 0.05 and adj(null, size=True) == 0.05
    # a conservative test (3 of 100 at or below 0.05): lowered-only keeps 0.05, sized
    # raises it to the largest no-shift value with 5 of 100 at or below
    cons = np.r_[[0.01, 0.02, 0.03], np.linspace(0.2, 1.0, 97)]
    assert adj(cons) == 0.05
    assert adj(cons, size=True) == pytest.approx(0.2 + 0.8 / 96)  # the 5th smallest
    assert np.mean(cons <= adj(cons, size=True)) == 0.05
    # an anticonservative one (10 of 100 at 0.001): both lower it below 0.001
    anti = np.r_[np.full(10, 0.001), np.linspace(0.1, 1.0, 90)]
    assert adj(anti) == adj(anti, size=True) == -1.0
    assert adj(null[:39]) is None  # too few repetitions


@pytest.fixture
def perf_tuning(common):
    return importlib.import_module("perf_tuning")


class _Fixed:
    """A 'model' whose predicted class is fixed per row index (column 0 of X)."""

    def __init__(self, classes):
        self.classes = np.asarray(classes)

    def predict_proba(self, X):
        pred = self.classes[np.asarray(X[:, 0], dtype=int)]
        return np.eye(2)[pred]


def test_agreement_estimator_weights_the_references_conditional_accuracies(perf_tuning):
    est = perf_tuning._Agreement.__new__(perf_tuning._Agreement)
    est.p_agree, est.p_disagree = 0.9, 0.4
    # four current rows: the two splits' models agree on rows 0-1 only
    est.folds = [_Fixed([0, 1, 0, 1])] * 5
    est.folds2 = [_Fixed([0, 1, 1, 0])] * 5
    X = np.arange(4.0)[:, None]
    assert est.estimate(X) == pytest.approx(0.5 * 0.9 + 0.5 * 0.4)


def test_agreement_reference_side_measures_accuracy_by_agreement(perf_tuning):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] + 0.8 * rng.normal(size=300) > 0).astype(int)
    model = LogisticRegression()
    folds, oof = perf_tuning._cv(model, X, y, seed=0)
    a = perf_tuning._Agreement(model, X, y, folds, oof)
    _, oof2 = perf_tuning._cv(model, X, y, seed=1)
    agree = oof.argmax(1) == oof2.argmax(1)
    right = oof.argmax(1) == y
    assert 0 < (~agree).sum() < 300
    assert a.p_agree == pytest.approx(right[agree].mean())
    assert a.p_disagree == pytest.approx(right[~agree].mean())


def test_shrink_shift_pulls_a_share_of_rows_to_the_reference_mean(perf_tuning):
    X = np.arange(40.0).reshape(20, 2)
    pool = np.arange(10, 20)  # the reference is rows 0-9, mean (9, 10)
    rng = np.random.default_rng(0)
    idx, Xc = perf_tuning._shift_num("shrink", X, X.std(0), rng, pool, 10)
    moved = np.any(Xc != X[idx], axis=1)
    assert moved.sum() == 3  # 30% of 10
    mu = np.array([9.0, 10.0])
    np.testing.assert_allclose(Xc[moved], mu + 0.5 * (X[idx][moved] - mu))


def test_drift_quality_product_label_shift_is_detect_drifts(drift_quality):
    import pandas as pd

    from dataqa.drift import detect_drift

    rng = np.random.default_rng(0)
    spam, ham = ["win a free prize", "claim cash now", "free entry txt"], ["see you soon",
                                                                        "lunch at one", "ok thanks"]
    y = rng.integers(0, 2, 60)
    ref = np.array([f"{rng.choice(spam if v else ham)} {i % 5}" for i, v in enumerate(y)], dtype=object)
    cur = np.array([rng.choice(spam + ham) for _ in range(30)], dtype=object)
    got = drift_quality._product_label_shift(ref, y, cur, int(
        np.random.default_rng(0).integers(2**31 - 1, size=4)[3]))  # detect_drift's model seed
    r = detect_drift(pd.DataFrame({"text": ref, "label": y}), pd.DataFrame({"text": cur}),
                     label_column="label", text_column="text", multivariate=(), random_state=0)
    assert got["prior"] == pytest.approx([r.label_shift[c]["prior"] for c in ("0", "1")])
    assert got["low"] == pytest.approx([r.label_shift[c]["low"] for c in ("0", "1")])
