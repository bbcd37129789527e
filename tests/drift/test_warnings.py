"""Warnings of drift detection name the caller's line, not dataqa's."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dataqa._caller import caller_stacklevel
from dataqa.drift import (
    chi2_test,
    classifier_test,
    cvm_test,
    detect_drift,
    drift_windows,
    ks_test,
    mmd_test,
)


def table(n, rng, shift=0.0):
    return pd.DataFrame({"a": rng.normal(shift, 1.0, n), "b": rng.normal(size=n)})


def _caught(call) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return caught


def _line_of(text: str) -> int:
    """The line of this file that holds ``text`` (once)."""
    lines = [i for i, line in enumerate(Path(__file__).read_text().splitlines(), 1)
             if text in line]
    assert len(lines) == 1, lines
    return lines[0]


def test_detect_drift_warnings_name_the_callers_file_and_line():
    rng = np.random.default_rng(0)
    ref, cur = table(60, rng), table(60, rng, shift=1.0)
    label = rng.choice(["a", "b"], 60)
    cases = {
        # raised in detect_drift itself, in a helper (_columns) and in a helper of the
        # label checks, each at its own depth
        "with 3 permutations": lambda: detect_drift(ref, cur, n_permutations=3,
                                                    multivariate=("mmd",)),  # CALL-PERM
        "not compared, only in the reference table: 'extra'": lambda: detect_drift(
            ref.assign(extra=1.0), cur, n_permutations=19),  # CALL-ONLY
        "holds 'x', 'z', none of the reference's classes": lambda: detect_drift(
            ref.assign(y=label), cur.assign(y=np.where(label == "a", "x", "z")),
            label_column="y", n_permutations=19),  # CALL-CLASSES
        # raised by dataqa.data (make_ids, label cleaning), which drift calls
        "1 row repeats an earlier row whole": lambda: detect_drift(
            ref, pd.concat([cur, cur.iloc[[3]]], ignore_index=True).assign(
                key=[f"k{i}" for i in range(60)] + ["k3"]),
            id_column="key", n_permutations=19),  # CALL-REPEAT
        "1 label cell has white space": lambda: detect_drift(
            ref.assign(y=[v + " " if i == 0 else v for i, v in enumerate(label)]), cur,
            label_column="y", n_permutations=19),  # CALL-SPACE
        # raised by the model checks' fold count (dataqa.data.effective_folds)
        "fewer members than cv=5: each of their items": lambda: detect_drift(
            ref.assign(y=["a"] * 30 + ["b"] * 27 + ["c"] * 3), cur, label_column="y",
            n_permutations=19),  # CALL-FOLDS
    }
    tags = ["PERM", "ONLY", "CLASSES", "REPEAT", "SPACE", "FOLDS"]
    for (text, call), tag in zip(cases.items(), tags, strict=True):
        caught = [w for w in _caught(call) if text in str(w.message)]
        assert len(caught) == 1, (text, [str(w.message) for w in _caught(call)])
        w = caught[0]
        assert w.filename == __file__, (text, w.filename, w.lineno)
        # the line of the lambda's call (the statement's first line for the two-line ones)
        assert w.lineno in range(_line_of(f"# CALL-{tag}") - 3, _line_of(f"# CALL-{tag}") + 1)


def test_drift_windows_warnings_name_the_caller_too():
    rng = np.random.default_rng(1)
    ref, cur = table(60, rng), table(60, rng)
    times = pd.Series(pd.date_range("2026-01-01", periods=60, freq="h").astype(str))
    times[5] = None
    label = rng.choice(["a", "b"], 60)
    calls = [
        ("time column 't' is missing in 1 of 60 current rows",
         lambda: drift_windows(ref, cur.assign(t=times), time_column="t", window="1D",
                               n_permutations=19)),
        ("none of the reference's classes",  # raised by detect_drift, called by drift_windows
         lambda: drift_windows(ref.assign(y=label), cur.assign(y=np.where(label == "a", "x", "z")),
                               label_column="y", chunk_size=20, n_permutations=19)),
        ("not compared, only in the reference table",
         lambda: drift_windows(ref.assign(extra=1.0), cur, chunk_size=20, n_permutations=19)),
    ]
    for text, call in calls:
        caught = [w for w in _caught(call) if text in str(w.message)]
        assert caught and {w.filename for w in caught} == {__file__}, (
            text, [(w.filename, str(w.message)[:60]) for w in _caught(call)])


def test_files_read_by_detect_drift_warn_at_the_callers_line(tmp_path):
    rng = np.random.default_rng(2)
    (tmp_path / "cur").mkdir()
    table(40, rng).to_csv(tmp_path / "ref.csv", index=False)
    table(40, rng).to_csv(tmp_path / "cur" / "1.csv", index=False)
    pd.DataFrame({"a": [], "b": []}).to_csv(tmp_path / "cur" / "2.csv", index=False)
    caught = _caught(lambda: detect_drift(tmp_path / "ref.csv", tmp_path / "cur",
                                          n_permutations=19))
    [w] = [w for w in caught if "have no rows and add none: 2.csv" in str(w.message)]
    assert w.filename == __file__


def test_the_callers_filters_still_decide():
    rng = np.random.default_rng(3)
    ref, cur = table(60, rng), table(60, rng)
    cur = pd.concat([cur, cur.iloc[[3]]], ignore_index=True).assign(
        key=[f"k{i}" for i in range(60)] + ["k3"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning turned into an error still stops the run
        with pytest.raises(UserWarning, match="1 row repeats an earlier row whole"):
            detect_drift(ref, cur, id_column="key", n_permutations=19)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message=".*repeats an earlier row")
        detect_drift(ref, cur, id_column="key", n_permutations=19)
    assert not [w for w in caught if "repeats" in str(w.message)]


def test_pure_tests_never_warn_from_dataqa_lines():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=40), rng.normal(size=30) + 0.5
    cats = np.array(["a", "b", "c"])
    X, Y = rng.normal(size=(30, 3)), rng.normal(size=(30, 3))
    calls = [lambda: ks_test(x, y), lambda: ks_test(np.ones(20), np.ones(20)),
             lambda: cvm_test(x, y), lambda: cvm_test(np.ones(20), np.ones(20)),
             lambda: chi2_test(rng.choice(cats, 40), rng.choice(cats[:2], 30)),
             lambda: chi2_test(np.array(["a"] * 20), np.array(["a"] * 20)),
             lambda: mmd_test(X, Y, n_permutations=5),
             lambda: mmd_test(np.ones((20, 2)), np.ones((20, 2)), n_permutations=19),
             lambda: classifier_test(X, Y, n_permutations=19),
             lambda: classifier_test(np.ones((20, 2)), np.ones((20, 2)), n_permutations=19)]
    package = str(Path(__import__("dataqa").__file__).parent)
    for call in calls:
        assert [w.filename for w in _caught(call) if w.filename.startswith(package)] == []


def _inner():
    warnings.warn("from deep inside", UserWarning, stacklevel=caller_stacklevel())  # WARN-HERE


def test_caller_stacklevel_counts_the_frames_at_the_warning():
    # called from here, outside dataqa: level 1 is the function that warns
    [w] = _caught(_inner)
    assert (w.filename, w.lineno) == (__file__, _line_of("# WARN-" + "HERE"))
    # through dataqa frames: the first frame outside them, whatever the depth
    import dataqa._caller as caller

    src = ("import warnings\n"
           "def warn_here(depth):\n"
           "    if depth:\n"
           "        return warn_here(depth - 1)\n"
           "    warnings.warn('deep', UserWarning, stacklevel=caller_stacklevel())\n")
    space = {"caller_stacklevel": caller_stacklevel}
    exec(compile(src, caller.__file__, "exec"), space)  # a function in a dataqa file
    for depth in (0, 3, 7):
        [w] = _caught(lambda depth=depth: space["warn_here"](depth))  # CALL-DEEP
        assert (w.filename, w.lineno) == (__file__, _line_of("# CALL-" + "DEEP"))


def test_warnings_in_threads_leave_the_warning_machinery_as_it_was():
    # the warnings are raised where they arise (no catching and raising again), so runs
    # in parallel threads cannot leave a filter or a recording list behind
    import threading

    rng = np.random.default_rng(5)
    ref = table(60, rng)
    cur = pd.concat([table(400, rng)] * 2, ignore_index=True)  # repeated rows: warned
    filters, show = list(warnings.filters), warnings.showwarning
    runs = [threading.Thread(target=detect_drift, args=(ref, cur),
                             kwargs={"n_permutations": 19, "multivariate": ()})
            for _ in range(2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in runs:
            t.start()
        for t in runs:
            t.join()
    assert warnings.filters == filters and warnings.showwarning is show


def test_drift_and_reading_code_never_pass_a_fixed_stacklevel():
    root = Path(__import__("dataqa.drift").drift.__file__).parent
    files = [*sorted(root.glob("*.py")), root.parent / "data.py"]
    fixed = [f"{p.name}:{i}" for p in files
             for i, line in enumerate(p.read_text().splitlines(), 1)
             if re.search(r"stacklevel=\d", line)]
    assert fixed == []
