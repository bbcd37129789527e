"""The labeling queue leaves out the current rows that already carry a label."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from dataqa.cli import app
from dataqa.drift import detect_drift, push_label_queue
from dataqa.drift.result import _carries_label
from dataqa.errors import EmptyDataError

runner = CliRunner()


def labeled_tables(n_ref=120, n_cur=60, seed=0):
    """A labeled reference and a current table with ids, shifted so the queue has an order."""
    rng = np.random.default_rng(seed)
    y = rng.choice(["ham", "spam"], n_ref)
    ref = pd.DataFrame({"x": rng.normal(size=n_ref) + 2.0 * (y == "spam"),
                        "z": rng.normal(size=n_ref), "label": y})
    cur = pd.DataFrame({"id": [f"c{i}" for i in range(n_cur)],
                        "x": rng.normal(size=n_cur) + 0.8, "z": rng.normal(size=n_cur)})
    return ref, cur


def test_missing_and_blank_cells_are_no_label():
    values = pd.Series(["spam", None, "", "  ", np.nan, "ham", "0"], dtype=object)
    assert _carries_label(values).tolist() == [True, False, False, False, False, True, True]
    assert _carries_label(pd.Series([0.0, np.nan, 1.0])).tolist() == [True, False, True]
    assert _carries_label(pd.Series(["a", "", None], dtype="category")).tolist() == [
        True, False, False]
    assert _carries_label(pd.Series(["a", pd.NA, " "], dtype="string")).tolist() == [
        True, False, False]


def test_rows_with_a_label_leave_the_queue_and_the_rest_keep_their_order():
    ref, cur = labeled_tables()
    unlabeled = detect_drift(ref, cur, label_column="label", id_column="id",
                             n_permutations=19, progress=False)
    full = unlabeled.label_queue(top=None)
    assert len(full) == 60 and full.attrs["rows_with_label"] == 0
    assert unlabeled.queue_notes(full) == []
    # twelve rows carry a label (one of them in another spelling); the others are missing
    # or blank
    label = pd.Series([None] * 60, dtype=object)
    label[[3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43]] = "spam"
    label[47] = "something else"
    label[[1, 2]] = ["", "   "]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = detect_drift(ref, cur.assign(label=label), label_column="label", id_column="id",
                         n_permutations=19, progress=False)
    # the label that is no class is named (it counts as wrong, and leaves the queue)
    assert [str(w.message)[:84] for w in caught] == [
        "1 of the 12 current rows that carry a label in 'label' hold a value that is no class"]
    assert "('something else')" in str(caught[0].message)
    assert r.label_column == "label"
    q = r.label_queue(top=None)
    labeled_ids = {f"c{i}" for i in (3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47)}
    assert len(q) == 48 and not set(q["id"]) & labeled_ids
    assert {"c1", "c2"} <= set(q["id"])  # an empty or blank label is no label
    # the scores are those of the whole table: the queue is the full one without those rows
    assert q["id"].tolist() == [i for i in full["id"] if i not in labeled_ids]
    np.testing.assert_allclose(q["score"], full.set_index("id").loc[q["id"], "score"])
    assert q.attrs["rows_with_label"] == 12 and q.attrs["rows_without_text"] == 0
    assert q["current_label"].isna().all() or set(q["current_label"].dropna()) <= {"", "   "}
    assert r.queue_notes(q) == ["12 current rows that already carry a label (column 'label') "
                                "are left out of the queue"]
    # top counts the rows left to label
    top = r.label_queue(top=10)
    assert top["id"].tolist() == q["id"].tolist()[:10] and top.attrs["rows_with_label"] == 12
    one = cur.assign(label=[None] * 59 + ["ham"])
    r1 = detect_drift(ref, one, label_column="label", id_column="id", n_permutations=19,
                      progress=False)
    q1 = r1.label_queue(top=None)
    assert len(q1) == 59 and "c59" not in set(q1["id"])
    assert r1.queue_notes(q1) == ["1 current row that already carries a label (column 'label') "
                                  "is left out of the queue"]


def test_a_labeled_row_leaves_the_queue_but_an_unlabeled_copy_of_it_stays():
    rng = np.random.default_rng(5)
    words = ["free", "prize", "call", "now", "see", "you", "at", "lunch", "home", "later"]
    ref = pd.DataFrame({"text": [" ".join(rng.choice(words, 6)) for _ in range(100)]})
    ref["label"] = np.where(ref["text"].str.contains("prize"), "spam", "ham")
    texts = [" ".join(rng.choice(words, 6)) for _ in range(37)] + ["win cash now"] * 3
    cur = pd.DataFrame({"id": [f"c{i}" for i in range(40)], "text": texts,
                        "label": [None] * 37 + ["spam", None, None]})
    r = detect_drift(ref, cur, text_column="text", label_column="label", id_column="id",
                     n_permutations=19, progress=False)
    q = r.label_queue(top=None)
    copies = q.loc[q["text"] == "win cash now"]
    assert copies["id"].tolist() == ["c38"]  # the labeled copy c37 is left out; c38 < c39
    assert copies["copies"].tolist() == [3]  # every current row of that text
    assert q.attrs["rows_with_label"] == 1
    every = r.label_queue(top=None, distinct=False)
    assert len(every) == 39 and "c37" not in set(every["id"])


def test_without_the_label_column_in_the_current_table_nothing_changes():
    ref, cur = labeled_tables()
    r = detect_drift(ref, cur, label_column="label", id_column="id", n_permutations=19,
                     progress=False)
    assert len(r.label_queue(top=None)) == 60
    # a current column named like a label, without label_column, is data, not labels
    with pytest.warns(UserWarning, match="not compared, only in the current table: 'label'"):
        plain = detect_drift(ref.drop(columns="label"), cur.assign(label="spam"),
                             id_column="id", n_permutations=19, progress=False)
    q = plain.label_queue(top=None)
    assert len(q) == 60 and (q["current_label"] == "spam").all()
    assert q.attrs["rows_with_label"] == 0


def test_every_current_row_labeled_gives_an_empty_queue_with_a_note(tmp_path):
    ref, cur = labeled_tables()
    cur["label"] = np.where(np.arange(60) % 2 == 0, "ham", "spam")
    r = detect_drift(ref, cur, label_column="label", id_column="id", n_permutations=19,
                     progress=False)
    q = r.label_queue(top=5)
    assert len(q) == 0 and q.attrs["rows_with_label"] == 60
    assert list(q.columns[:4]) == ["id", "score", "unlike_score", "uncertainty"]
    assert r.queue_notes(q) == ["every current row (60) already carries a label in column "
                                "'label', so none is in the queue"]
    html = _text(r.to_html(tmp_path / "report.html"))
    assert ("Note: every current row (60) already carries a label in column 'label', so none "
            "is in the queue.") in html
    assert "The labeling queue is empty: no current row is left to label." in html
    # nothing to push: said before any server is asked
    with pytest.raises(EmptyDataError, match=r"the labeling queue is empty, so there is nothing "
                                             r"to push to project 'p': every current row \(60\) "
                                             r"already carries a label in column 'label'"):
        push_label_queue(r, project="p", ledger=str(tmp_path / "l.db"))
    assert not (tmp_path / "l.db").exists()


def test_report_says_how_many_labeled_rows_were_left_out(tmp_path):
    ref, cur = labeled_tables()
    cur["label"] = [None] * 55 + ["ham"] * 5
    r = detect_drift(ref, cur, label_column="label", id_column="id", n_permutations=19,
                     progress=False)
    html = _text(r.to_html(tmp_path / "report.html"))
    assert ("Note: 5 current rows that already carry a label (column 'label') are left out of "
            "the queue.") in html
    assert "of 55 distinct items, highest score first" in html
    # the paragraph counts them: no "Showing 20 of 55 rows" under a 20-row table
    assert "Showing" not in html and html.split("<table>")[-1].count("<tr>") == 1 + 20
    assert "a score, not a probability: it can fall below 0 or above 1" in html
    assert ('The MMD p-value is (b + 1) / (P + 1), b being how many of the P = 19 random '
            'splits of the pooled rows reach the observed statistic: its smallest value, 0.05, '
            'reads "at most 0.05".') in html
    assert "<th class=\"cell words\">missing reference</th>" in html  # (headers can wrap)
    assert "psi: the population stability index over the reference's deciles" in html
    # a missing-share test's statistic is a signed change of share, said so
    assert ("for a missing-share test (fisher) the current share of missing values minus "
            "the reference's.") in html


def _text(path) -> str:
    """A report's HTML with its entities read (``&#x27;`` as ``'``), white space as one space."""
    import html

    return " ".join(html.unescape(path.read_text(encoding="utf-8")).split())


def _files(tmp_path, label):
    ref, cur = labeled_tables()
    cur["label"] = label
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    return [str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"), "--label-column", "label",
            "--id-column", "id", "--permutations", "19", "-q"]


def test_cli_queue_leaves_labeled_rows_out_and_says_so(tmp_path):
    label = [None] * 60
    for i in (0, 5, 9):
        label[i] = "spam"
    args = _files(tmp_path, label)
    res = runner.invoke(app, ["drift", *args, "--top", "100", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    queue = pd.read_csv(tmp_path / "o" / "queue.csv", encoding="utf-8-sig")
    assert len(queue) == 57 and not {"c0", "c5", "c9"} & set(queue["id"])
    assert queue["current_label"].isna().all()
    assert ("note: 3 current rows that already carry a label (column 'label') are left out of "
            "the queue") in " ".join(res.output.split())


def test_cli_with_every_row_labeled_writes_an_empty_queue_and_exits_0(tmp_path):
    args = _files(tmp_path, ["ham", "spam"] * 30)
    res = runner.invoke(app, ["drift", *args, "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    queue = pd.read_csv(tmp_path / "o" / "queue.csv", encoding="utf-8-sig")
    assert len(queue) == 0 and list(queue.columns[:2]) == ["id", "score"]
    said = " ".join(res.output.split())
    assert ("note: every current row (60) already carries a label in column 'label', so none "
            "is in the queue") in said
    # said once: the empty-queue note would repeat it
    assert "the labeling queue is empty" not in said


def test_drift_windows_queue_leaves_labeled_rows_out_too():
    from dataqa.drift import drift_windows

    ref, cur = labeled_tables()
    cur["label"] = [None] * 50 + ["spam"] * 10
    r = drift_windows(ref, cur, label_column="label", id_column="id", chunk_size=20,
                      n_permutations=19, progress=False)
    q = r.label_queue(top=None)
    assert len(q) == 50 and not set(q["id"]) & {f"c{i}" for i in range(50, 60)}
    assert r.queue_notes(q) == ["10 current rows that already carry a label (column 'label') "
                                "are left out of the queue"]


def test_copies_count_a_labeled_row_of_the_same_content_without_a_text_column():
    from dataqa.drift.result import _content_keys

    data = pd.DataFrame({"id": ["a", "b", "c"], "x": [1.0, 1.0, 1.0],
                         "label": ["spam", None, None]})
    keys = _content_keys(data, None, "id", "label")
    assert keys[0] == keys[1] == keys[2]
    assert len(set(_content_keys(data, None, "id"))) == 2  # with the label: two contents


def test_a_wide_table_builds_its_queue_without_fragmenting_warnings():
    rng = np.random.default_rng(3)
    names = [f"f{i}" for i in range(150)]
    ref = pd.DataFrame(rng.normal(size=(40, 150)), columns=names)
    cur = pd.DataFrame(rng.normal(size=(30, 150)), columns=names)
    cur["f7"] = np.round(cur["f7"] * 4)  # whole numbers: shown as such
    cur.insert(0, "id", [f"c{i}" for i in range(30)])
    result = detect_drift(ref, cur, id_column="id", n_permutations=9, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.PerformanceWarning)
        queue = result.label_queue(top=None)
    assert list(queue.columns) == ["id", "score", "unlike_score", "uncertainty", "copies",
                                   *names]
    assert str(queue["f7"].dtype) == "Int64"
    by_id = queue.set_index("id").loc[cur["id"]]
    assert np.array_equal(by_id[names[1:]].to_numpy(dtype=float),
                          cur[names[1:]].to_numpy())
    assert by_id["f7"].astype(float).tolist() == cur["f7"].tolist()


def test_a_content_held_by_several_rows_is_the_same_item_whatever_the_rows_order():
    """Which copy of a repeated text scores best depends on the fold model each row is
    dealt to, which follows the rows' order: the queue names the copy whose id sorts
    first, with the best copy's scores, so a queue made from the file sorted otherwise
    (and pushed again) names the same item (it named another copy: a second task)."""
    rng = np.random.default_rng(8)
    words = ["free", "prize", "call", "now", "see", "you", "at", "lunch", "home", "later"]
    ref = pd.DataFrame({"text": [" ".join(rng.choice(words, 6)) for _ in range(120)]})
    ref["label"] = np.where(ref["text"].str.contains("prize"), "spam", "ham")
    texts = [" ".join(rng.choice(words, 6)) for _ in range(50)] + ["prize call now"] * 4
    cur = pd.DataFrame({"id": [f"c{i:02d}" for i in range(54)], "text": texts})
    for table in (cur, cur.iloc[::-1], cur.sample(frac=1.0, random_state=3)):
        r = detect_drift(ref, table, text_column="text", label_column="label",
                         id_column="id", n_permutations=19, progress=False)
        q = r.label_queue(top=None)
        rep = q.loc[q["text"] == "prize call now"]
        assert rep["id"].tolist() == ["c50"] and rep["copies"].tolist() == [4]
        # its scores are the best copy's: no copy ranks above it
        full = r.label_queue(top=None, distinct=False)
        assert rep["score"].iloc[0] == full.loc[full["text"] == "prize call now", "score"].max()
        assert q["score"].is_monotonic_decreasing


def test_rank_by_orders_the_queue_by_either_rank_or_both():
    from scipy.stats import rankdata

    ref, cur = labeled_tables(n_cur=10)
    r = detect_drift(ref, cur, label_column="label", id_column="id", n_permutations=19,
                     progress=False)
    # c0-c1: very unlike the reference but the model is sure of them; c2-c3: familiar and
    # doubtful; c4 high on both; the rest low on both
    unlike = np.array([0.95, 0.90, 0.10, 0.20, 0.92, 0.05, 0.01, 0.02, 0.03, 0.04])
    top = np.array([0.99, 0.98, 0.52, 0.55, 0.70, 0.97, 0.991, 0.992, 0.993, 0.994])
    r.unlike_scores, r.current_probs = unlike, np.c_[top, 1 - top]
    order = {how: r.label_queue(top=None, rank_by=how)["id"].tolist()
             for how in ("mean", "max", "unlike", "uncertainty")}
    ru, rc = rankdata(unlike) / 10, rankdata(1 - top) / 10
    ids = np.array([f"c{i}" for i in range(10)])
    want = {"mean": np.argsort(-(ru + rc), kind="stable"),
            "max": np.lexsort((-(ru + rc), -np.maximum(ru, rc))),
            "unlike": np.argsort(-ru, kind="stable"), "uncertainty": np.argsort(-rc, kind="stable")}
    assert order == {how: ids[w].tolist() for how, w in want.items()}
    assert order["mean"][0] == "c4"  # high on both ranks: first by the mean
    assert set(order["max"][:2]) == {"c0", "c2"}  # the top of either list
    assert order["mean"].index("c0") > 2 and order["max"].index("c0") < 2
    q = r.label_queue(top=None, rank_by="max")
    assert q["score"].tolist() == sorted(q["score"], reverse=True)
    assert q.set_index("id").loc["c0", "score"] == 1.0
    assert r.label_queue(top=None)["id"].tolist() == order["mean"]  # the default
    with pytest.raises(Exception, match=r"rank_by='best' is not known; use one of 'mean', "
                                        r"'max', 'unlike', 'uncertainty' \(--rank-by\)"):
        r.label_queue(rank_by="best")
    # without a model, each rule ranks by how unlike (said when asked for uncertainty)
    r.current_probs = None
    with pytest.warns(UserWarning, match=r"--rank-by uncertainty \(API rank_by='uncertainty'\): "
                                         r"no item has the model's probabilities \(give "
                                         r"--label-column, API label_column, or a model\); "
                                         r"the queue is ranked by the other score"):
        assert r.label_queue(top=None, rank_by="uncertainty")["id"].tolist() == order["unlike"]
    assert r.label_queue(top=None, rank_by="max")["id"].tolist() == order["unlike"]


def test_cli_rank_by(tmp_path):
    ref, cur = labeled_tables()
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    args = ["drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"), "--label-column",
            "label", "--id-column", "id", "--permutations", "19"]
    res = runner.invoke(app, [*args, "--rank-by", "max", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    written = pd.read_csv(tmp_path / "o" / "queue.csv")
    r = detect_drift(pd.read_csv(tmp_path / "ref.csv"), pd.read_csv(tmp_path / "cur.csv"),
                     label_column="label", id_column="id", n_permutations=19, progress=False)
    assert written["id"].tolist() == r.label_queue(top=50, rank_by="max")["id"].tolist()
    html = (tmp_path / "o" / "report.html").read_text()
    assert "the larger of the percentile ranks of unlike_score and uncertainty (--rank-by max)" \
        in html
    res = runner.invoke(app, [*args, "--rank-by", "best", "--out", str(tmp_path / "o2")])
    assert res.exit_code == 2
    assert "--rank-by 'best' is not known; use one of mean, max, unlike, uncertainty" in \
        " ".join(res.output.split())
    assert not (tmp_path / "o2").exists()


def test_queue_ranks_tie_values_equal_but_for_rounding():
    # uncertainties of copies differed by 1e-15 with the number of BLAS threads, and the
    # printed queue score with them
    from dataqa.drift.result import _rank01

    base = np.array([0.2, 0.5, 0.5, 0.9])
    noisy = base + np.array([0.0, 1e-16, -2e-16, 0.0])
    np.testing.assert_array_equal(_rank01(noisy), [0.25, 0.625, 0.625, 1.0])
    np.testing.assert_array_equal(_rank01(noisy * 1e6), _rank01(base))
    assert _rank01(np.array([0.2, 0.2 + 1e-8]))[1] == 1.0  # a real difference stays one
    np.testing.assert_array_equal(_rank01(np.array([1e-300, 2e-300, 3e-300])),
                                  [1 / 3, 2 / 3, 1.0])


def test_queue_rank_with_some_scores_missing():
    # a NaN in one score made every row's rank NaN, and the queue's order arbitrary
    from dataqa.drift.result import _rank01

    np.testing.assert_array_equal(_rank01(np.array([0.3, np.nan, 0.1, 0.9])),
                                  [2 / 3, np.nan, 1 / 3, 1.0])
    assert np.isnan(_rank01(np.array([np.nan, np.nan]))).all()
    ref, cur = labeled_tables(n_cur=10)
    r = detect_drift(ref, cur, label_column="label", id_column="id", n_permutations=19,
                     progress=False)
    # c1 lacks its unlike score: ranked by its uncertainty alone (the highest), c3 lacks
    # both and goes last; c4-c9 low on both
    r.unlike_scores = np.r_[0.9, np.nan, 0.1, np.nan, np.linspace(0.01, 0.05, 6)]
    top = np.r_[0.6, 0.51, 0.9, np.nan, np.linspace(0.99, 0.999, 6)]
    r.current_probs = np.c_[top, 1 - top]
    q = r.label_queue(top=None).set_index("id")
    # unlike ranks among 8 known: c0 8/8, c2 7/8; uncertainty among 9: c1 9/9, c0 8/9,
    # c2 7/9
    want = {"c1": 1.0, "c0": (1 + 8 / 9) / 2, "c2": (7 / 8 + 7 / 9) / 2, "c3": 0.0}
    np.testing.assert_allclose(q.loc[list(want), "score"], list(want.values()))
    assert q.index[:3].tolist() == ["c1", "c0", "c2"] and q.index[-1] == "c3"
    qm = r.label_queue(top=None, rank_by="max").set_index("id")
    np.testing.assert_allclose(qm.loc[["c0", "c1", "c2", "c3"], "score"],
                               [1.0, 1.0, 7 / 8, 0.0])
