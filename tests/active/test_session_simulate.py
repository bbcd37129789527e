"""Ledger-backed rounds (restart continuity), simulation and the `dataqa al` CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

from dataqa.active import LabelingSession, labels_to_reach, learning_curve_auc, simulate
from dataqa.errors import InvalidSettingError, LabelError, LedgerError, LengthMismatchError
from dataqa.ledger import Ledger


def _digits(n: int = 400):
    d = load_digits()
    X, y = d.data[:n] / 16.0, d.target[:n]
    ids = [f"d{i:04d}" for i in range(n)]
    return X, y, ids


def _session(path: Path, X, ids, **kw) -> LabelingSession:
    return LabelingSession.create(Ledger(path), LogisticRegression(max_iter=300), X, ids=ids,
                                  strategy=kw.pop("strategy", "hybrid"), batch_size=8,
                                  random_state=kw.pop("random_state", 7), **kw)


def test_rounds_restart_and_history(tmp_path: Path) -> None:
    X, y, ids = _digits()
    led = Ledger(tmp_path / "a.db")
    led.add_items(ids, split=["dev" if i % 4 == 0 else "train" for i in range(len(ids))])
    dev = [i for k, i in enumerate(ids) if k % 4 == 0]
    led.add_labels(dev, y[::4], source="given")
    led.close()
    s = _session(tmp_path / "a.db", X, ids)
    first = s.next_batch()  # no training labels yet: a random cold-start batch
    assert len(first) == 8 and first["round"].eq(1).all() and first["prediction"].isna().all()
    assert not set(first["id"]) & set(dev)
    assert s.ledger.rounds().loc[0, "settings"]["cold_start"] is True
    again = s.next_batch()  # round still open -> same batch
    assert again["id"].tolist() == first["id"].tolist()
    rows = [ids.index(i) for i in first["id"]]
    labels = [int(y[r]) for r in rows]
    labels[0] = -1  # one item is out of scope
    s.record_labels(first["id"], labels)
    m1 = s.retrain()
    assert m1["n_labeled"] == 8 and m1["n_out_of_scope"] == 1 and m1["n_dev"] == 100
    assert 0 <= m1["dev_low"] <= m1["dev_accuracy"] <= m1["dev_high"] <= 1
    b2 = s.next_batch()
    assert b2["round"].eq(2).all() and b2["prediction"].notna().all()
    assert first["probability"].isna().all()
    Xb = X[[ids.index(i) for i in b2["id"]]]
    proba = s.model_.predict_proba(Xb)
    cls = list(s.model_.classes_)
    expected = [proba[k, cls.index(p)] for k, p in enumerate(b2["prediction"])]
    np.testing.assert_allclose(b2["probability"].to_numpy(dtype=float), expected, rtol=1e-12)
    assert not set(b2["id"]) & set(first["id"]) and (np.diff(b2["score"]) <= 1e-12).all()
    s.ledger.close()

    # restart: a new session from the same ledger and seed gives the same open batch,
    # and after labeling, both continue identically
    s2 = _session(tmp_path / "a.db", X, ids)
    assert s2.next_batch()["id"].tolist() == b2["id"].tolist()
    s2.record_labels(b2["id"], [int(y[ids.index(i)]) for i in b2["id"]])
    s2.retrain()
    b3 = s2.next_batch()
    s2.ledger.close()
    import shutil

    shutil.copy(tmp_path / "a.db", tmp_path / "b.db")
    for p in (tmp_path / "a.db", tmp_path / "b.db"):
        con = Ledger(p)
        con._connection().execute("DELETE FROM round_items WHERE round_id = 3")
        con._connection().execute("DELETE FROM rounds WHERE id = 3")
        con.close()
        s3 = _session(p, X, ids)
        assert s3.next_batch()["id"].tolist() == b3["id"].tolist()
        s3.ledger.close()
    s4 = _session(tmp_path / "a.db", X, ids)
    s4.record_labels(b3["id"], [int(y[ids.index(i)]) for i in b3["id"]])
    s4.retrain()
    h = s4.history()
    # (round 3 was deleted above; AUTOINCREMENT never reuses an id)
    assert h["round"].tolist() == [1, 2, 4] and h["n_labeled"].tolist() == [8, 16, 24]
    assert h["n_out_of_scope"].tolist() == [1, 1, 1] and h["dev_accuracy"].notna().all()
    s4.ledger.close()


def test_session_errors(tmp_path: Path) -> None:
    X, y, ids = _digits(50)
    with pytest.raises(LengthMismatchError, match="X has 50 rows but there are 3 ids"):
        LabelingSession.create(tmp_path / "e.db", LogisticRegression(), X, ids=ids[:3])
    s = LabelingSession.create(tmp_path / "e.db", LogisticRegression(), X, ids=ids, batch_size=5)
    with pytest.raises(InvalidSettingError, match="not items of this ledger: 'zz'"):
        s.record_labels(["zz"], [1])
    # an id with stray spaces is the ledger's id without them
    assert s.record_labels([f" {ids[0]} "], [int(y[0])]) == 1
    assert s.ledger.labels()["id"].tolist()[-1] == str(ids[0])
    with pytest.raises(InvalidSettingError, match="batch_size=0"):
        LabelingSession.create(s.ledger, LogisticRegression(), X, ids=ids, batch_size=0)
    with pytest.raises(LedgerError, match="run `dataqa al init"):
        LabelingSession.open(s.ledger)
    with pytest.raises(InvalidSettingError, match=r"a labeling session is rebuilt from its "
                                                  r"ledger, so its random_state must be an "
                                                  r"integer seed"):
        LabelingSession.create(tmp_path / "g.db", LogisticRegression(), X, ids=ids,
                               random_state=np.random.default_rng(0))


def test_simulate_counts_out_of_scope_and_is_seeded() -> None:
    d = load_digits()
    X, y = d.data[:600] / 16.0, d.target[:600].copy()
    y[y >= 7] = -1
    a = simulate(X, y, strategy="margin", initial=20, batch_size=10, rounds=4, random_state=1)
    b = simulate(X, y, strategy="margin", initial=20, batch_size=10, rounds=4, random_state=1)
    pd.testing.assert_frame_equal(a, b)
    assert a.columns.tolist() == ["round", "n_labeled", "n_out_of_scope_labeled", "accuracy"]
    assert a["n_labeled"].tolist() == [20, 30, 40, 50, 60]
    assert (a["n_out_of_scope_labeled"].diff().dropna() >= 0).all()
    assert a["accuracy"].iloc[-1] > 0.7
    h = simulate(X, y, strategy="hybrid", rounds=4, random_state=1)
    r = simulate(X, y, strategy="random", rounds=4, random_state=1, selector="ranked_batch")
    assert len(h) == len(r) == 5
    assert 0 < learning_curve_auc(a) <= 1
    assert labels_to_reach(a, 0.0) == 20 and np.isnan(labels_to_reach(a, 1.01))
    with pytest.raises(LabelError, match="two in-scope classes"):
        simulate(X, np.full(600, -1), strategy="random")
    with pytest.raises(InvalidSettingError, match="batch_size=0"):
        simulate(X, y, strategy="random", batch_size=0)


def test_cli_round_trip(tmp_path: Path) -> None:
    from dataqa.cli import app

    d = load_digits()
    n = 300
    df = pd.DataFrame(d.data[:n], columns=[f"px{i}" for i in range(64)])
    df.insert(0, "id", [f"d{i}" for i in range(n)])
    df["label"] = np.where(np.arange(n) < 30, d.target[:n], np.nan)
    df.loc[np.arange(n) >= 30, "label"] = np.nan
    df.to_csv(tmp_path / "items.csv", index=False)
    runner = CliRunner()
    led = str(tmp_path / "l.db")
    res = runner.invoke(app, ["al", "init", str(tmp_path / "items.csv"), "--ledger", led,
                              "--label-column", "label", "--id-column", "id"])
    assert res.exit_code == 0, res.output
    assert "300 new items, 30 given labels" in res.output
    out = tmp_path / "batch.csv"
    res = runner.invoke(app, ["al", "next", "--ledger", led, "--batch", "6", "--strategy",
                              "margin", "--out", str(out)])
    assert res.exit_code == 0, res.output
    batch = pd.read_csv(out)
    assert len(batch) == 6 and batch["round"].eq(1).all()
    lab = pd.DataFrame({"id": batch["id"], "label": [int(d.target[int(i[1:])]) for i in batch["id"]]})
    lab.to_csv(tmp_path / "lab.csv", index=False)
    res = runner.invoke(app, ["al", "label", str(tmp_path / "lab.csv"), "--ledger", led])
    assert res.exit_code == 0, res.output
    assert "6 labels recorded; 36 labeled items" in res.output
    res = runner.invoke(app, ["al", "status", "--ledger", led])
    assert res.exit_code == 0 and "margin" in res.output and "36" in res.output
    # piped (80 columns): the table at its own width, no header or cell cut to "…"
    assert "…" not in res.output and "dev accuracy" in res.output
    assert "95% interval" in res.output
    res = runner.invoke(app, ["al", "next", "--ledger", led, "--strategy", "nope"])
    assert res.exit_code == 2 and "unknown acquisition 'nope'" in res.output
    res = runner.invoke(app, ["al", "next", "--ledger", led, "--push"])
    assert res.exit_code == 2 and "--push needs --project NAME" in res.output
    (tmp_path / "bad.csv").write_text("id,lbl\nd1,2\n")
    res = runner.invoke(app, ["al", "label", str(tmp_path / "bad.csv"), "--ledger", led])
    assert res.exit_code == 2 and "label column 'label' is not in '" in res.output
    assert "bad.csv'; its columns are: id, lbl." in " ".join(res.output.split())
    with Ledger(led) as check:
        assert check.summary()["labeled_items"] == 36
        assert check.latest_labels().set_index("id").loc[batch["id"][0], "source"] == "human"


def test_session_old_constructor_and_from_ledger_still_work_with_a_warning(tmp_path: Path) -> None:
    X, y, ids = _digits(60)
    with pytest.warns(DeprecationWarning, match=r"use LabelingSession\.create"):
        old = LabelingSession(tmp_path / "o.db", LogisticRegression(max_iter=300), X, ids=ids,
                              batch_size=5, random_state=2)
    assert old.ledger.items()["id"].tolist() == ids  # the old way writes the items too
    new = LabelingSession.create(tmp_path / "n.db", LogisticRegression(max_iter=300), X,
                                 ids=ids, batch_size=5, random_state=2)
    assert old.next_batch()["id"].tolist() == new.next_batch()["id"].tolist()
    old.ledger.close()
    new.ledger.close()
    with pytest.warns(DeprecationWarning, match="use LabelingSession.open"), \
            pytest.raises(LedgerError, match="run `dataqa al init"):
        LabelingSession.from_ledger(tmp_path / "n.db")


def test_session_open_writes_nothing(tmp_path: Path) -> None:
    from dataqa.active.session import store_table

    texts = pd.DataFrame({"id": [f"t{i}" for i in range(12)],
                          "text": [("good fine nice " if i % 2 else "bad awful poor ") + str(i)
                                   for i in range(12)]})
    with Ledger(tmp_path / "t.db") as led:
        store_table(led, texts, text_column="text", id_column="id")
    before = (tmp_path / "t.db").read_bytes()
    with Ledger(tmp_path / "t.db", create=False) as led:
        s = LabelingSession.open(led, strategy="margin", batch_size=3)
        assert list(s.ids_) == texts["id"].tolist() and s.X_.shape[0] == 12
    assert (tmp_path / "t.db").read_bytes() == before


def test_a_batch_takes_one_of_each_set_of_identical_items(tmp_path: Path) -> None:
    X, y, ids = _digits(120)
    X = X.copy()
    X[10:100] = X[5]  # 90 copies of one image: 91 of the 120 items alike in all
    led = Ledger(tmp_path / "c.db")
    led.add_items(ids)
    led.close()
    s = _session(tmp_path / "c.db", X, ids, strategy="uncertainty")
    batch = s.next_batch()  # cold start: random scores, where 3 in 4 items are copies
    rows = [ids.index(i) for i in batch["id"]]
    assert len(batch) == 8 and len({X[r].tobytes() for r in rows}) == 8
    assert s.notes_ == ["90 of the 120 unlabeled items have the same features as another "
                        "(copies of a row, or texts with the same known words, or none); a "
                        "batch takes one of each."]
    s.record_labels(batch["id"], [int(y[r]) for r in rows])
    s.retrain()
    second = s.next_batch()  # fitted: the labeled copy's twins may come, one at a time
    rows2 = [ids.index(i) for i in second["id"]]
    assert len({X[r].tobytes() for r in rows2}) == 8
    assert not set(second["id"]) & set(batch["id"])


def test_distinct_rows_dense_and_sparse() -> None:
    import scipy.sparse as sp

    from dataqa.active.selectors import distinct_rows

    A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [-0.0, 1.0], [2.0, 0.0]])
    assert distinct_rows(A).tolist() == [0, 1, 4]
    S = sp.csr_matrix(A)
    S.data[S.data == 2.0] = 0.0  # an explicit zero: row 4 reads as all zero
    assert distinct_rows(S).tolist() == [0, 1, 4]
    assert distinct_rows(sp.csr_matrix(np.zeros((3, 4)))).tolist() == [0]
    assert distinct_rows(np.zeros((0, 3))).tolist() == []
    # cells that cannot be hashed (lists, arrays, dicts) are compared by content
    cells = np.empty((5, 2), dtype=object)
    cells[:, 0] = ["a", "a", "b", "a", "a"]
    for k, v in enumerate([[1, 2], [1, 2], [1, 2], np.array([1, 2]), {"k": [1]}]):
        cells[k, 1] = v
    assert distinct_rows(cells).tolist() == [0, 2, 3, 4]


def test_object_features_and_notes_of_one_call(tmp_path: Path) -> None:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    from dataqa.active.selectors import distinct_rows

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.choice(["red", "blue", "green"], 60),
                         rng.choice(["S", "M", "L"], 60)]).astype(object)
    assert sorted(distinct_rows(X).tolist()) == distinct_rows(X).tolist()
    assert len(distinct_rows(X)) == len({tuple(r) for r in X})  # at most 9 pairs
    ids = [f"i{k}" for k in range(60)]
    model = make_pipeline(OneHotEncoder(handle_unknown="ignore"), LogisticRegression())
    s = LabelingSession.create(Ledger(tmp_path / "o.db"), model, X, ids=ids,
                               strategy="uncertainty", batch_size=4, random_state=0)
    batch = s.next_batch()
    assert len(batch) == 4 and len({tuple(X[ids.index(i)]) for i in batch["id"]}) == 4
    s.record_labels(batch["id"], [0, 1, 0, 1])
    s.record_labels(batch["id"], [0, 1, 0, 1])
    s.record_labels(batch["id"], [0, 1, 0, 1])
    assert len(s.notes_) == 1 and s.notes_[0].startswith("4 label(s) in the labels were")


def test_simulate_ood_knn_runs_at_its_default_k_on_few_labels() -> None:
    X, y, _ = _digits(300)
    y = y.copy()
    y[y >= 8] = -1  # out of scope: fewer than 20 in-scope items start the run
    cur = simulate(X, y, strategy="ood:knn", initial=20, batch_size=5, rounds=3,
                   random_state=0)
    assert cur["round"].tolist() == [0, 1, 2, 3]
    assert cur["n_labeled"].diff().iloc[1:].tolist() == [5.0, 5.0, 5.0]
    assert cur["accuracy"].between(0, 1).all()
    with pytest.raises(InvalidSettingError, match=r"k=500, larger than the \d+ labeled"):
        simulate(X, y, strategy="ood:knn", initial=20, rounds=1,
                 strategy_settings={"k": 500})


def test_default_model_weighs_classes_so_a_skewed_label_set_does_not_collapse() -> None:
    from dataqa.active import default_model
    from dataqa.audit.pred_probs import default_model as audit_model

    assert default_model().get_params()["class_weight"] == "balanced"
    assert default_model().get_params()["C"] == 1.0
    assert audit_model("tfidf").get_params()["class_weight"] is None  # the audit's is not
    rng = np.random.default_rng(0)

    def draw(n0: int, n1: int):
        X = np.r_[rng.normal(-0.5, 1, (n0, 2)), rng.normal(0.5, 1, (n1, 2))]
        return X, np.r_[np.zeros(n0, int), np.ones(n1, int)]

    X, y = draw(8, 80)  # labels as uncertainty sampling can leave them: mostly one class
    X_test, y_test = draw(500, 500)
    weighted = default_model().fit(X, y).predict(X_test)
    plain = default_model().set_params(class_weight=None).fit(X, y).predict(X_test)
    assert np.mean(plain == 0) < 0.15  # nearly everything called the majority class
    assert 0.35 < np.mean(weighted == 0) < 0.65
    assert np.mean(weighted == y_test) > np.mean(plain == y_test) + 0.1


def test_strategy_settings_are_checked_when_the_session_is_made(tmp_path: Path) -> None:
    """A setting the strategy does not take failed at round 2, after people had labeled
    the random cold start; hybrid takes k (its kNN filter's, as --k of al next)."""
    X, y, ids = _digits(200)
    with pytest.raises(InvalidSettingError, match=r"acquisition 'margin' does not take the "
                                                  r"setting\(s\) 'kk'; it takes: \(none\)"):
        _session(tmp_path / "m.db", X, ids, strategy="margin", strategy_settings={"kk": 5})
    with pytest.raises(InvalidSettingError, match=r"hybrid's OOD method 'knn' does not take "
                                                  r"the setting\(s\) 'kk'; it takes: detector"):
        _session(tmp_path / "h.db", X, ids, strategy_settings={"ood_settings": {"kk": 2}})
    none_k = _session(tmp_path / "n.db", X, ids,
                      strategy_settings={"k": None, "ood_settings": {"k": 50}})
    batch = none_k.next_batch()
    none_k.record_labels(batch["id"], [int(y[ids.index(i)]) for i in batch["id"]])
    none_k.retrain()
    with pytest.raises(InvalidSettingError, match=r"k=50 is larger than the 8 labeled"):
        none_k.next_batch()
    with pytest.raises(InvalidSettingError, match="hybrid got k twice"):
        _session(tmp_path / "t.db", X, ids, strategy_settings={"k": 3, "ood_settings": {"k": 2}})
    big = _session(tmp_path / "b.db", X, ids, strategy_settings={"k": 50})
    batch = big.next_batch()
    big.record_labels(batch["id"], [int(y[ids.index(i)]) for i in batch["id"]])
    big.retrain()
    with pytest.raises(InvalidSettingError, match=r"k=50 is larger than the 8 labeled in-scope "
                                                  r"items the kNN score compares with; lower "
                                                  r"k \(--k\) to at most 8"):
        big.next_batch()
    s = _session(tmp_path / "k.db", X, ids, strategy_settings={"k": 3})
    first = s.next_batch()  # the random cold start
    s.record_labels(first["id"], [int(y[ids.index(i)]) for i in first["id"]])
    s.retrain()
    second = s.next_batch()  # scored by hybrid with k = 3
    assert len(second) == 8 and second["round"].eq(2).all()
    assert not set(second["id"]) & set(first["id"])
    assert s.ledger.rounds().iloc[-1]["settings"]["settings"] == {"k": 3}
    simulate(X, y, strategy="hybrid", strategy_settings={"k": 3}, initial=20, batch_size=10,
             rounds=1, random_state=0)


def test_two_sessions_choosing_a_batch_at_once_start_one_round(tmp_path: Path) -> None:
    X, y, ids = _digits(200)
    led = Ledger(tmp_path / "r.db")
    led.add_items(ids, split=["dev" if i % 4 == 0 else "train" for i in range(len(ids))])
    led.add_labels([i for k, i in enumerate(ids) if k % 4 == 0], y[::4], source="given")
    led.close()
    a = _session(tmp_path / "r.db", X, ids)
    b = _session(tmp_path / "r.db", X, ids, strategy="random")
    chosen_by_b = {}
    training = a._training
    calls = []

    def b_first():  # b starts its round after a has looked and before a writes
        calls.append(1)
        if len(calls) == 2 and not chosen_by_b:  # (the first call is a's fit)
            chosen_by_b["batch"] = b.next_batch()
        return training()

    a._training = b_first
    batch = a.next_batch()
    assert batch["id"].tolist() == chosen_by_b["batch"]["id"].tolist()
    assert len(a.ledger.rounds()) == 1 and a.ledger.rounds()["strategy"].tolist() == ["random"]
    assert any("another process started round 1" in n for n in a.notes_)
    a.ledger.close()
    b.ledger.close()


def test_a_round_started_while_the_model_is_fitted_is_not_started_again(tmp_path: Path) -> None:
    # b starts round 1 after a has looked for an open round, while a fits its model: a
    # shows b's round instead of numbering its own round 2 with the same items
    X, y, ids = _digits(200)
    led = Ledger(tmp_path / "r.db")
    led.add_items(ids)
    led.add_labels(ids[:30], y[:30], source="given")
    led.close()
    a, b = _session(tmp_path / "r.db", X, ids), _session(tmp_path / "r.db", X, ids)
    fit, chosen_by_b = a._fit, {}

    def fit_while_b_runs():
        out = fit()
        chosen_by_b.setdefault("batch", b.next_batch())
        return out

    a._fit = fit_while_b_runs
    batch = a.next_batch()
    assert batch["id"].tolist() == chosen_by_b["batch"]["id"].tolist()
    assert a.ledger.rounds()["round"].tolist() == [1]
    assert any("another process started round 1" in n for n in a.notes_)
    a.ledger.close()
    b.ledger.close()


def test_a_label_changed_in_a_table_without_ids_is_warned_of_as_a_second_item(
        tmp_path: Path) -> None:
    from dataqa.active.session import store_table

    v1 = pd.DataFrame({"label": ["ham", "spam"], "text": ["see you at noon", "WIN a prize"]})
    v2 = v1.assign(label=["spam", "spam"])
    with Ledger(tmp_path / "h.db") as led:
        store_table(led, v1, label_column="label", text_column="text")
        with pytest.warns(UserWarning, match=r"1 row is a new item with the content of an item "
                                             r"the ledger holds and the table no longer does "
                                             r"\(e\.g\. new id '[0-9a-f]+', held as '[0-9a-f]+'\): "
                                             r"without --id-column"):
            store_table(led, v2, label_column="label", text_column="text")
        assert len(led.items()) == 3
        # the same table again, or a new table that repeats a text with its label: quiet
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            store_table(led, v2, label_column="label", text_column="text")
            store_table(led, pd.DataFrame({"label": ["spam", "ham"],
                                           "text": ["WIN a prize", "a new text"]}),
                        label_column="label", text_column="text")


def test_a_fall_in_dev_accuracy_beyond_its_interval_is_warned_of(tmp_path: Path) -> None:
    from dataqa.active.session import dev_drop_warning

    with Ledger(tmp_path / "d.db") as led:
        led.add_items(["a", "b"])
        r1 = led.start_round("random", {}, ["a"])
        led.finish_round(r1, {"dev_accuracy": 0.887})
        r2 = led.start_round("random", {}, ["b"])
        fell = {"dev_accuracy": 0.247, "dev_low": 0.2, "dev_high": 0.3, "round": r2}
        assert dev_drop_warning(led, fell) == (
            "dev accuracy fell from 0.887 (round 1) to 0.247 (95% interval up to 0.300): a "
            "model refitted on a few more labels can swing far. Label another round, or a "
            "random batch (`al next --strategy random`), before trusting it.")
        # within the new interval, or no earlier round with a dev accuracy: no warning
        assert dev_drop_warning(led, {**fell, "dev_accuracy": 0.85, "dev_high": 0.9}) is None
    with Ledger(tmp_path / "e.db") as led:
        led.add_items(["a"])
        assert dev_drop_warning(led, {"dev_accuracy": 0.2, "dev_high": 0.3,
                                      "round": led.start_round("random", {}, ["a"])}) is None


def test_dev_accuracy_below_always_predicting_the_common_class_is_warned_of() -> None:
    from dataqa.active.session import below_majority_warning

    first = {"dev_accuracy": 0.247, "dev_low": 0.2, "dev_high": 0.3,
             "dev_below_majority": {"class": "ham", "share": 0.897}}
    assert below_majority_warning(first) == (
        "dev accuracy 0.247 (95% interval up to 0.300) is below the 0.897 that always "
        "predicting 'ham' would get: the model is worse than no model yet. Label another "
        "round, or a random batch (`al next --strategy random`), before trusting its picks.")
    assert below_majority_warning({"dev_accuracy": 0.9, "dev_high": 0.95}) is None


def test_the_dev_metrics_record_an_accuracy_below_the_common_class_share(tmp_path) -> None:
    from sklearn.dummy import DummyClassifier

    from dataqa.active.session import LabelingSession

    # a model that always says "spam", on dev items 90% "ham"
    s = LabelingSession.__new__(LabelingSession)
    s._labels = lambda: pd.DataFrame({"id": [f"d{k}" for k in range(40)],
                                      "label": ["ham"] * 36 + ["spam"] * 4})
    s._dev_ids = lambda: {f"d{k}" for k in range(40)}
    s.model_ = DummyClassifier(strategy="constant", constant="spam").fit(
        np.zeros((2, 1)), ["ham", "spam"])
    s.X_ = np.zeros((40, 1))
    s._rows = lambda ids: np.arange(len(ids))
    m = s._dev_accuracy()
    assert m["dev_accuracy"] == pytest.approx(0.1)
    assert m["dev_below_majority"] == {"class": "ham", "share": 0.9}
    s.model_ = DummyClassifier(strategy="constant", constant="ham").fit(
        np.zeros((2, 1)), ["ham", "spam"])
    assert "dev_below_majority" not in s._dev_accuracy()  # (0.9: as good as the baseline)


def test_create_without_a_model_uses_the_default_model(tmp_path: Path) -> None:
    from dataqa.active import default_model

    X, y, ids = _digits(120)
    led = Ledger(tmp_path / "d.db")
    led.add_items(ids)
    led.add_labels(ids[:30], y[:30], source="given")
    s = LabelingSession.create(led, None, X, ids=ids, batch_size=5)
    assert type(s.model).__name__ == type(default_model()).__name__
    assert len(s.next_batch()) == 5
    led.close()
