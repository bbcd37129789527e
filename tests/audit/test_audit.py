import json

import numpy as np
import pandas as pd
import pytest

from dataqa.audit import audit
from dataqa.datasets import flip_labels, load_digits_noisy


@pytest.fixture(scope="module")
def digits_result():
    frame, flipped = load_digits_noisy(0.08, random_state=0)
    frame = frame.iloc[:600].reset_index(drop=True)
    flipped = flipped[:600]
    feats = [c for c in frame.columns if c.startswith("px_")]
    res = audit(frame.drop(columns=["true_label"]), label_column="label", id_column="id",
                feature_columns=feats, cv=3, progress=False)
    return frame, flipped, res


def test_audit_finds_flips(digits_result):
    frame, flipped, res = digits_result
    flagged = res.issues.set_index("id").loc[frame["id"], "is_label_issue"].to_numpy(bool)
    tp = (flagged & flipped).sum()
    assert tp / flagged.sum() > 0.6
    assert tp / flipped.sum() > 0.6


def test_flagged_count_and_model_range(digits_result):
    from dataqa.audit import model_error_rate

    frame, flipped, res = digits_result
    n_issues = int(res.issues["is_label_issue"].sum())
    assert res.summary["n"] == 600 and res.summary["n_issues"] == n_issues
    assert res.n_flagged == n_issues == res.summary["n_flagged"]
    assert res.flagged_fraction == pytest.approx(n_issues / 600)
    assert sum(res.summary["issues_per_class"].values()) == n_issues
    assert "error_rate" not in res.summary  # the flagged fraction is not an error rate
    m = res.model_error_rate
    ref = model_error_rate(res.table.labels, res.pred_probs)
    assert (m.low, m.high, m.methods) == (ref.low, ref.high, ref.methods)
    assert m.low <= flipped.mean() <= m.high
    assert 0 < m.review_size <= 600 and m.review_width == 0.05


def test_deprecated_error_rate_is_the_flagged_fraction(digits_result):
    _, _, res = digits_result
    with pytest.warns(DeprecationWarning, match="flagged fraction, not an error rate"):
        er = res.error_rate
    assert er.n_errors == res.n_flagged and er.low <= er.estimate <= er.high


def test_datalab_columns(digits_result):
    _, _, res = digits_result
    for col in ("outlier_score", "is_outlier", "is_near_duplicate", "near_duplicate_set"):
        assert col in res.issues.columns
    assert res.issues["outlier_score"].between(0, 1).all()


def test_save_writes_the_audit_folder_and_loads_back(digits_result, tmp_path):
    from dataqa.audit import AuditResult, plan_review

    _, _, res = digits_result
    paths = res.save(tmp_path)
    assert set(paths) == {"issues", "report", "summary", "pred_probs", "items",
                          "conflicting_duplicates"}
    summary = json.loads(paths["summary"].read_text())
    assert {"n", "n_flagged", "flagged_fraction", "class_names", "model_error_rate_low",
            "model_error_rate_high", "model_error_rate_methods", "review_size",
            "review_width", "columns", "audit", "datalab"} == set(summary)
    assert not any(k.startswith("error_rate") for k in summary)
    assert summary["n_flagged"] == res.n_flagged
    assert summary["model_error_rate_low"] == res.model_error_rate.low
    issues = pd.read_csv(paths["issues"])
    assert issues["label_issue_score"].is_monotonic_decreasing
    assert np.array_equal(np.load(paths["pred_probs"]), res.pred_probs)
    html = paths["report"].read_text()
    for part in ("Top 50 suspects", "Given vs suggested label", "Datalab findings",
                 "data:image/png;base64,", "Score distribution", "Issues per class",
                 "Class counts", "flagged as label issues (the review worklist)",
                 "not an error rate", "model-based error-rate range (not verified)",
                 f"review {res.model_error_rate.review_size} items to know it"):
        assert part in html
    assert "estimated error rate" not in html
    # 3 plots, 50 suspect thumbnails and one per outlier shown (at most 30)
    n_out = min(int(res.issues["is_outlier"].fillna(False).sum()), 30)
    assert html.count("data:image/png;base64,") == 3 + 50 + n_out
    assert "http://" not in html and "https://" not in html  # self-contained
    back = AuditResult.load(tmp_path)
    assert back.issues["id"].tolist() == res.issues["id"].astype(str).tolist()
    assert back.issues["is_label_issue"].tolist() == res.issues["is_label_issue"].tolist()
    assert back.issues["label_issue_score"].to_numpy() == pytest.approx(
        res.issues["label_issue_score"].to_numpy(), rel=1e-12)
    assert back.table.labels.tolist() == res.table.labels.tolist()
    assert back.model_error_rate == res.model_error_rate
    # the same plan from the loaded folder as from the result in memory
    assert plan_review(back, budget=40).equals(plan_review(res, budget=40))
    back.to_html(tmp_path / "again.html")  # the report renders from the folder alone


def test_load_refuses_an_incomplete_folder(tmp_path):
    from dataqa.audit import AuditResult
    from dataqa.errors import DataLoadError

    (tmp_path / "issues.csv").write_text("id\n")
    with pytest.raises(DataLoadError, match="is not a complete audit folder: summary.json, "
                                            "pred_probs.npy, items.parquet missing"):
        AuditResult.load(tmp_path)


def test_a_save_stopped_midway_leaves_the_folder_marked_and_load_refuses_it(
        digits_result, tmp_path, monkeypatch):
    # a run stopped between two files left new issues beside an old summary, and `review
    # plan` planned from the mix (a cut issues.csv: 40 of 1,269 items, a rate 4x too high)
    from dataqa.audit import AuditResult
    from dataqa.errors import DataLoadError, IncompleteFolderError
    from dataqa.outdir import MARK_NAME

    _, _, res = digits_result
    out = tmp_path / "out"
    res.save(out)
    assert not (out / MARK_NAME).exists()

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(AuditResult, "to_html", stop)  # after the data files, before the summary
        with pytest.raises(KeyboardInterrupt) as info:
            res.save(out)
    assert "was being written and is incomplete (INCOMPLETE.json)" in info.value.dataqa_note
    mark = json.loads((out / MARK_NAME).read_text())
    assert mark["command"] == "AuditResult.save"
    with pytest.raises(IncompleteFolderError, match=r"audit folder '.*out' is incomplete: "
                                                    r"`AuditResult.save` was writing it \("
                                                    r"started .* UTC\) and did not finish, so "
                                                    r"its files may be of two runs"):
        AuditResult.load(out)
    res.save(out)  # the run again: whole, unmarked
    assert not (out / MARK_NAME).exists()
    assert len(AuditResult.load(out).issues) == len(res.issues)
    # files cut short or of two audits (a copy, an edit): named, not read as one audit
    issues = (out / "issues.csv").read_text()
    (out / "issues.csv").write_text(issues[:len(issues) // 3].rsplit("\n", 1)[0] + "\n")
    n = len(res.issues)
    with pytest.raises(DataLoadError, match=rf"do not agree on the items \(summary.json {n}, "
                                            rf"issues.csv \d+, items.parquet {n}, "
                                            rf"pred_probs.npy {n}\)"):
        AuditResult.load(out)
    (out / "issues.csv").write_text(issues)
    summary = (out / "summary.json").read_text()
    (out / "summary.json").write_text(summary[:100])
    with pytest.raises(DataLoadError, match=r"summary.json' cannot be read as part of an "
                                            r"audit folder \(JSONDecodeError: .*\); it was "
                                            r"cut short or edited"):
        AuditResult.load(out)
    (out / "summary.json").write_text(summary)
    (out / "items.parquet").write_bytes(b"")
    with pytest.raises(DataLoadError, match=r"items.parquet' cannot be read"):
        AuditResult.load(out)


def test_review_queue(digits_result):
    _, _, res = digits_result
    q = res.review_queue(top=5)
    assert len(q) == 5
    assert {"id", "label", "prediction", "score", "px_0"} <= set(q.columns)
    assert q["score"].is_monotonic_decreasing
    top = res.issues.head(5)
    assert q["id"].tolist() == top["id"].astype(str).tolist()
    assert q["label"].tolist() == top["given_label"].astype(str).tolist()
    assert q["prediction"].tolist() == top["suggested_label"].astype(str).tolist()
    # the model's out-of-sample probability of the suggested class
    names = [str(c) for c in res.table.class_names]
    at = [list(res.table.ids).index(i) for i in q["id"]]
    expected = [res.pred_probs[r, names.index(c)] for r, c in zip(at, q["prediction"], strict=True)]
    np.testing.assert_allclose(q["probability"].to_numpy(dtype=float), expected, rtol=1e-12)


def test_text_audit_and_near_duplicates():
    rng = np.random.default_rng(0)
    pos = ["great movie loved it", "wonderful acting superb film", "excellent story and cast",
           "loved every minute", "brilliant and moving"]
    neg = ["terrible boring movie", "awful acting bad plot", "worst film ever made",
           "dull and slow", "hated every minute"]
    texts = [pos[i % 5] + f" {w}" for i, w in enumerate(rng.integers(0, 1000, 60))] + \
            [neg[i % 5] + f" {w}" for i, w in enumerate(rng.integers(0, 1000, 60))]
    y = np.array([1] * 60 + [0] * 60)
    noisy, flipped = flip_labels(y, 0.1, n_classes=2, random_state=1)
    df = pd.DataFrame({"text": texts, "label": np.where(noisy == 1, "pos", "neg")})
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True)  # an exact duplicate row
    res = audit(df, label_column="label", text_column="text", cv=3, progress=False)
    flagged = res.issues.set_index("id").loc[res.table.ids[:120], "is_label_issue"].to_numpy(bool)
    assert (flagged & flipped).sum() >= 0.7 * flipped.sum()
    assert res.summary["class_names"] == ["neg", "pos"]
    dup = res.issues.set_index("id").loc[res.table.ids[0]]
    assert bool(dup["is_near_duplicate"]) and res.table.ids[120] in dup["near_duplicate_set"]
    # the report shows each set of near copies once, with its labels and content
    from dataqa.audit.report import _near_groups

    flagged = res.issues[res.issues["is_near_duplicate"].fillna(False)]
    groups = _near_groups(res, flagged)
    assert groups["items"].sum() == len(flagged)  # every flagged item in exactly one set
    small = groups[groups["items"] <= 10]  # larger sets name their first 10 ids
    ids = [i for g in small["ids"] for i in g.split(", ")]
    assert len(ids) == len(set(ids)) == small["items"].sum()
    assert set(ids) <= set(map(str, flagged["id"]))
    pair = groups[groups["ids"].str.contains(str(res.table.ids[120]))].iloc[0]
    assert str(res.table.ids[0]) in pair["ids"]
    text_of = dict(zip(map(str, res.table.ids), res.table.frame["text"], strict=True))
    assert pair["content (first copy)"] == text_of[pair["ids"].split(",")[0].split(" ")[0]]
    assert pair["given labels"].count(",") == min(pair["items"], 10) - 1
    agree = groups["labels agree"].tolist()
    assert agree == sorted(agree)  # sets with different labels ("no") first


def test_near_copies_of_texts_share_their_words_and_unknown_words_link_nothing():
    # texts whose words appear in no other text all lie at one point of the features:
    # linked by Datalab, they are no near copies (no 3-gram in common)
    rng = np.random.default_rng(3)
    words = ["cash", "prize", "lunch", "call", "meet", "free", "today", "later", "home",
             "win", "now", "ok", "see", "you", "text", "reply"]
    texts = [" ".join(rng.choice(words, 5)) + f" {k}" for k in range(150)]
    texts += ["Sehr geehrte Damen und Herren, Ihre Bestellung wurde versandt.",
              "Здравствуйте, перезвоните мне завтра утром.",
              "Szanowni Państwo, przesyłka została nadana dzisiaj.",
              texts[0].upper() + "!"]  # a near copy of the first text
    df = pd.DataFrame({"text": texts, "label": ["a", "b"] * 77})
    res = audit(df, label_column="label", text_column="text", cv=3, progress=False)
    from dataqa.audit.duplicates import NEAR_TEXT_MIN_JACCARD, text_similarity

    text_of = dict(zip(map(str, res.table.ids), texts, strict=True))
    near = res.issues[res.issues["is_near_duplicate"]]
    for i, members in zip(near["id"], near["near_duplicate_set"], strict=True):
        assert members, i
        for j in members.split(";"):
            assert text_similarity(text_of[str(i)], text_of[j]) >= NEAR_TEXT_MIN_JACCARD
    foreign = {str(i) for i in res.table.ids[150:153]}
    assert not near["id"].astype(str).isin(foreign).any()
    first = res.issues.set_index("id").loc[res.table.ids[0]]
    assert str(res.table.ids[153]) in first["near_duplicate_set"]


def test_the_near_copy_search_runs_once_per_audit(monkeypatch):
    import dataqa.audit.pred_probs as pp

    calls = []
    search = pp._search_near_copies
    monkeypatch.setattr(pp, "_search_near_copies",
                        lambda *a, **k: (calls.append(1), search(*a, **k))[1])
    pp._LAST_NEAR_COPIES.clear()
    df = _texts_with_conflicts()
    audit(df, label_column="label", text_column="text", id_column="id", cv=3,
          datalab=False, progress=False)
    assert len(calls) == 1  # (the folds and the conflicting sets share it)
    df.loc[0, "label"] = "spam" if df.loc[0, "label"] == "ham" else "ham"
    audit(df, label_column="label", text_column="text", id_column="id", cv=3,
          datalab=False, progress=False)
    assert len(calls) == 2  # other labels: searched again


def test_near_copies_labeled_otherwise_are_conflicting_sets_without_datalab():
    # the folds hold a text and its near copy labeled otherwise out together; the audit
    # reports them as a conflicting set too when Datalab does not run
    rng = np.random.default_rng(5)
    letters = list("abcdefghijklmnopqrstuvwxyz")
    vocab = {c: ["".join(rng.choice(letters, 6)) for _ in range(60)] for c in "ab"}
    labels = ["a", "b"] * 60
    texts = [" ".join(rng.choice(vocab[c], 6)) for c in labels]
    texts.append(texts[4][:-2] + "x" + texts[4][-1])  # one character off, labeled "b"
    labels.append("b")
    df = pd.DataFrame({"id": [f"m{i}" for i in range(len(texts))], "text": texts,
                       "label": labels})
    res = audit(df, label_column="label", id_column="id", text_column="text", cv=3,
                datalab=False, progress=False)
    sets = res.conflicting_duplicates
    assert sets[["kind", "size"]].values.tolist() == [["near", 2]]
    assert sets["ids"].iloc[0] == ["m4", "m120"] and sets["labels"].iloc[0] == ["a", "b"]
    member = res.issues.set_index("id").loc[["m4", "m120"]]
    assert member["is_conflicting_duplicate"].all()
    assert "is_near_duplicate" not in res.issues.columns  # (a Datalab column)
    # beside numbers, copies need equal numbers too: a short text shared by rows of other
    # amounts ("red widget" at 5 and at 500) makes no set, near or exact
    df["x"] = np.arange(len(df), dtype=float)
    df.loc[len(df)] = ["m121", texts[7], "a" if labels[7] == "b" else "b", 3.0]
    res = audit(df, label_column="label", id_column="id", text_column="text",
                feature_columns=["x"], cv=3, datalab=False, progress=False)
    assert res.conflicting_duplicates.empty
    # whatever the rows' order: the copy at the same amount is found beside another at
    # another amount (the text's first row was the only one compared)
    from dataqa.audit.core import _with_text_near_copies

    t = ["red widget deluxe edition"] * 2 + ["red widget deluxe edition!"]
    for order in ([0, 1, 2], [1, 0, 2]):
        nums = np.array([[5.0], [500.0], [500.0]])[order]
        got = _with_text_near_copies(None, np.array([0, 0, 1])[order], [t[i] for i in order],
                                     0, nums)
        at500 = order.index(1)
        assert got[at500] == [2] and got[2] == [at500] and got[order.index(0)] == []
    df.loc[df["id"] == "m120", "x"] = float(df.loc[df["id"] == "m4", "x"].iloc[0])
    res = audit(df, label_column="label", id_column="id", text_column="text",
                feature_columns=["x"], cv=3, datalab=False, progress=False)
    assert res.conflicting_duplicates["ids"].tolist() == [["m4", "m120"]]


def test_numeric_rows_far_out_are_outliers_not_near_copies():
    # standardised numbers compared by angle read a row 40 sd out as a copy of one 1 sd
    # out in the same direction: compared by distance, both far rows lead the outliers
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer(as_frame=True)
    X = d.data.iloc[:, :10].copy()
    X.columns = [f"f{j}" for j in range(10)]
    df = X.assign(label=np.where(d.target == 1, "benign", "malignant"),
                  id=[f"r{i}" for i in range(len(X))])
    mu, sd = X.mean(), X.std()
    far = pd.DataFrame([{**(mu + 1 * sd).to_dict(), "label": "benign", "id": "plus1"},
                        {**(mu + 40 * sd).to_dict(), "label": "malignant", "id": "plus40"},
                        {**(mu - 25 * sd).to_dict(), "label": "benign", "id": "minus25"}])
    res = audit(pd.concat([df, far], ignore_index=True), label_column="label",
                id_column="id", cv=3, progress=False)
    ranked = res.issues.sort_values("outlier_score", ascending=False)["id"].tolist()
    assert set(ranked[:2]) == {"plus40", "minus25"}
    flags = res.issues.set_index("id")
    assert flags.loc[["plus40", "minus25"], "is_outlier"].all()
    assert not flags.loc[["plus1", "plus40", "minus25"], "is_near_duplicate"].any()


def test_audit_without_datalab_has_no_datalab_columns():
    frame, _ = load_digits_noisy(0.1)
    frame = frame.iloc[:300]
    res = audit(frame, label_column="label", id_column="id",
                feature_columns=["px_10", "px_20", "px_30", "px_42"], datalab=False, cv=3,
                progress=False)
    assert "outlier_score" not in res.issues.columns
    assert res.datalab == {}


def test_datalab_neighbour_checks_are_skipped_on_ten_items_or_fewer(capsys):
    frame, _ = load_digits_noisy(0.0)
    frame = frame.groupby("label").head(1).reset_index(drop=True)  # one item of each class
    frame = pd.concat([frame, frame.assign(id=frame["id"] + "b")], ignore_index=True).iloc[:10]
    frame["label"] = [0, 1] * 5
    with pytest.warns(UserWarning, match=r"the outlier and near-duplicate checks compare each "
                                         r"item with its 10 nearest neighbours, so they need "
                                         r"more than 10 items; skipped for these 10\."):
        res = audit(frame, label_column="label", id_column="id",
                    feature_columns=["px_10", "px_20", "px_30", "px_42"], cv=2, progress=False)
    assert "outlier_score" not in res.issues.columns
    assert "Error in" not in capsys.readouterr().out  # (Datalab's own words are not printed)


def test_a_model_no_better_than_the_most_common_class_is_warned_of():
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(n)], "a": rng.normal(size=n),
                          "b": rng.normal(size=n), "label": rng.choice(["x", "y"], n)})
    with pytest.warns(UserWarning, match=r"the model is barely better than always predicting "
                                         r"the most common class \(out-of-sample accuracy "
                                         r"0\.\d{3} against 0\.\d{3}\), so most of the \d+ "
                                         r"flags") as caught:
        res = audit(frame, label_column="label", id_column="id", datalab=False, cv=3,
                    progress=False)
    said = [str(w.message) for w in caught if "barely better" in str(w.message)][0]
    acc = res.summary["out_of_sample_accuracy"]
    assert f"accuracy {acc:.3f} against " in said and f"{res.summary['n_flagged']} flags" in said
    # a model that learns: no such warning
    learned = frame.assign(a=np.where(frame["label"] == "x", 3.0, -3.0) + frame["a"])
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        audit(learned, label_column="label", id_column="id", datalab=False, cv=3,
              progress=False)
    assert not [w for w in seen if "barely better" in str(w.message)]
    # with a text column given, the hint is about the texts, not a call to give them
    words = ["alpha", "beta", "gamma", "delta", "eps"]
    texts = frame.assign(text=[" ".join(rng.choice(words, 4)) for _ in range(n)])[
        ["id", "text", "label"]]
    with pytest.warns(UserWarning, match=r"barely better.*the texts do not predict the labels "
                                         r"well: with few labelled rows, label more"):
        audit(texts, label_column="label", id_column="id", text_column="text", datalab=False,
              cv=3, progress=False)
    # no flag, nothing to warn of (many classes of few rows: 0 flags, accuracy near 0)
    from dataqa.audit.core import _warn_weak_model

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _warn_weak_model({"class_counts": {"a": 2, "b": 1, "c": 1}, "n": 4, "n_flagged": 0,
                          "flagged_fraction": 0.0, "out_of_sample_accuracy": 0.0})
    with pytest.warns(UserWarning, match="most of the 1 flags"):
        _warn_weak_model({"class_counts": {"a": 2, "b": 1, "c": 1}, "n": 4, "n_flagged": 1,
                          "flagged_fraction": 0.25, "out_of_sample_accuracy": 0.0})


def test_report_leaves_the_plotting_backend_alone(digits_result, tmp_path):
    import matplotlib

    _, _, res = digits_result
    before = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        res.to_html(tmp_path / "r.html")
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)


def _texts_with_conflicts():
    spam = ["win a free prize now", "claim your cash reward today", "urgent: you won a car",
            "free entry to win tickets", "call now to claim your prize"]
    ham = ["see you at lunch tomorrow", "can you pick up milk", "the meeting moved to 3pm",
           "thanks for the notes yesterday", "running late, sorry about that"]
    # three words of its own after each text, so that rows of one template are no near
    # copies of each other (they would share most of their character 3-grams)
    rng = np.random.default_rng(11)
    own = [" ".join("".join(rng.choice(list("bcdfghklmnprstvz"), 7)) for _ in range(3))
           for _ in range(60)]
    rows = []
    for k in range(60):
        base = (spam if k % 2 else ham)[k % 5]
        rows.append({"id": f"t{k}", "text": f"{base} {own[k]}",
                     "label": "spam" if k % 2 else "ham"})
    # an exact copy (up to case and spaces) of a spam text, labeled ham: a conflicting pair
    rows.append({"id": "copy", "text": f"WIN a free prize   now {own[5].upper()}",
                 "label": "ham"})
    return pd.DataFrame(rows)


def test_conflicting_duplicates_are_marked_ranked_first_saved_and_loaded(tmp_path):
    from dataqa.audit import AuditResult

    df = _texts_with_conflicts()
    res = audit(df, label_column="label", text_column="text", id_column="id", cv=3,
                datalab=False, progress=False)
    sets = res.conflicting_duplicates
    assert len(sets) == 1 and sets.loc[0, "kind"] == "exact"
    assert sets.loc[0, "ids"] == ["t5", "copy"] and sets.loc[0, "labels"] == ["spam", "ham"]
    assert res.summary["n_conflicting_duplicate_sets"] == 1
    assert res.summary["n_conflicting_duplicates"] == 2
    # ranked by score, pooled over the set: the member labeled against its text
    # (a spam message labeled ham) comes first
    iss = res.issues
    assert iss["label_issue_score"].is_monotonic_decreasing
    assert iss["id"].iloc[0] == "copy" and iss["is_label_issue"].iloc[0]
    pair = iss[iss["is_conflicting_duplicate"]]
    assert set(pair["id"]) == {"t5", "copy"}
    assert (pair["conflicting_duplicate_set"] == "t5;copy").all()
    # each member's score is weighed with the pair's pooled evidence (half the votes, half
    # the model): raised for the outvoted member, lowered for the one that agrees
    p = res.pred_probs
    y = res.table.labels
    pos = {i: k for k, i in enumerate(res.table.ids)}
    rows = [pos["t5"], pos["copy"]]
    q = (np.bincount(y[rows], minlength=p.shape[1]) / 2 + p[rows].mean(axis=0)) / 2
    likely = int(np.argmax(q))
    for item in ("t5", "copy"):
        row = res.issues.set_index("id").loc[item]
        own, pooled = 1 - p[pos[item], y[pos[item]]], 1 - q[y[pos[item]]]
        want = min(own, pooled) if y[pos[item]] == likely else max(own, pooled)
        assert row["label_issue_score"] == pytest.approx(want, abs=1e-12)
    paths = res.save(tmp_path / "out")
    saved = pd.read_csv(paths["conflicting_duplicates"], dtype=str)
    assert saved.to_dict("records") == [{"set_id": "0", "kind": "exact", "size": "2",
                                         "ids": "t5;copy", "labels": "spam;ham"}]
    html = paths["report"].read_text()
    assert "Duplicates with conflicting labels" in html and "t5, copy" in html
    back = AuditResult.load(tmp_path / "out")
    assert back.conflicting_duplicates.loc[0, "rows"] == [pos["t5"], pos["copy"]]
    assert back.issues["is_conflicting_duplicate"].dtype == bool
    assert back.issues["is_conflicting_duplicate"].sum() == 2


def test_ids_holding_the_list_separator_are_saved_loaded_and_reported_as_one(tmp_path):
    from dataqa._text import join_values, split_values
    from dataqa.audit import AuditResult
    from dataqa.audit.report import _near_groups
    from dataqa.errors import DataLoadError

    assert join_values(["nd;0", "a\\b", "x"]) == "nd\\;0;a\\\\b;x"
    for values in (["nd;0", "nd;1"], ["a\\", ";"], ["", "x"], ["plain"]):
        assert split_values(join_values(values)) == values
    assert split_values("") == [] and split_values(float("nan")) == []
    # a cell written before values were escaped: a lone backslash is itself
    assert split_values("C:\\data\\x.png;b") == ["C:\\data\\x.png", "b"]
    assert split_values(join_values(["a\\;b", "c\\"])) == ["a\\;b", "c\\"]
    df = _texts_with_conflicts()
    df["id"] = df["id"].str.replace("t", "nd;", regex=False).replace({"copy": "c;opy"})
    res = audit(df, label_column="label", text_column="text", id_column="id", cv=3,
                datalab=True, progress=False)
    assert res.conflicting_duplicates.loc[0, "ids"] == ["nd;5", "c;opy"]
    pair = res.issues[res.issues["is_conflicting_duplicate"]]
    assert (pair["conflicting_duplicate_set"] == "nd\\;5;c\\;opy").all()
    near = res.issues[res.issues["is_near_duplicate"].fillna(False)]
    assert set(near["id"]) >= {"nd;5", "c;opy"}
    for cell in near["near_duplicate_set"]:
        assert set(split_values(cell)) <= set(df["id"])
    groups = _near_groups(res, near)
    assert (groups["items"] > 1).all()  # (a split id made sets of one)
    paths = res.save(tmp_path / "out")
    saved = pd.read_csv(paths["conflicting_duplicates"], dtype=str)
    assert saved.loc[0, "ids"] == "nd\\;5;c\\;opy"
    back = AuditResult.load(tmp_path / "out")
    assert back.conflicting_duplicates.loc[0, "ids"] == ["nd;5", "c;opy"]
    # a file of another audit: said, naming it
    saved.loc[0, "ids"] = "nd\\;5;gone"
    saved.to_csv(paths["conflicting_duplicates"], index=False)
    with pytest.raises(DataLoadError, match=r"conflicting_duplicates.csv' names id 'gone', "
                                            r"which items.parquet does not hold"):
        AuditResult.load(tmp_path / "out")


def test_a_text_column_named_id_is_audited_and_the_id_column_as_text_refused():
    from dataqa.audit.report import audit_report
    from dataqa.errors import FeatureTypeError

    df = _texts_with_conflicts().rename(columns={"id": "key", "text": "id"})
    res = audit(df, label_column="label", text_column="id", cv=3, datalab=True,
                progress=False)
    page = audit_report(res).render()
    assert ">text</th>" in page and "WIN a free prize" in page
    # named like a column the table shows (added, or an issue column in words): the same
    from dataqa.audit.report import _suspects

    for name in ("rank", "is label issue", "why not flagged", "label_issue_score"):
        res = audit(df.rename(columns={"id": name}), label_column="label", text_column=name,
                    cv=3, datalab=False, progress=False)
        shown, _ = _suspects(res)
        assert shown.columns.is_unique and "text" in shown.columns, (name, list(shown.columns))
        assert shown["text"].str.contains("WIN a free prize").any()
        assert shown["rank"].tolist()[:3] == [1, 2, 3]
        assert ">text</th>" in audit_report(res).render()
    with pytest.raises(FeatureTypeError, match="the id column 'id' is also the text column"):
        audit(df, label_column="label", text_column="id", id_column="id", progress=False)


def test_a_warning_says_when_large_folds_leave_logistic_regression_alone(monkeypatch):
    import warnings

    import dataqa.audit.pred_probs as pp

    frame, _ = load_digits_noisy(0.1)
    frame = frame.iloc[:300].drop(columns=["true_label"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # at the default limit: no warning
        audit(frame, label_column="label", id_column="id", cv=3, datalab=False,
              progress=False)
    monkeypatch.setattr(pp, "KNN_MAX_TRAIN", 100)
    with pytest.warns(UserWarning, match=r"with 200 training items per fold \(more than 100\) "
                                         r"the audit's model for the numeric features is "
                                         r"logistic regression alone .* out-of-sample accuracy "
                                         r"is 0\.\d\d.* at most 150 rows"):
        res = audit(frame, label_column="label", id_column="id", cv=3, datalab=False,
                    progress=False)
    assert "+" not in res.summary["models"]["numeric"]["model"]


def test_a_folder_or_pattern_is_audited_as_one_table(tmp_path):
    df = _texts_with_conflicts()
    (tmp_path / "parts").mkdir()
    df.iloc[:30].to_csv(tmp_path / "parts" / "a.csv", index=False)
    df.iloc[30:].to_csv(tmp_path / "parts" / "b.csv", index=False)
    whole = audit(df, label_column="label", text_column="text", id_column="id", cv=3,
                  datalab=False, progress=False)
    for source in (tmp_path / "parts", str(tmp_path / "parts" / "*.csv")):
        res = audit(source, label_column="label", text_column="text", id_column="id", cv=3,
                    datalab=False, progress=False)
        # the same, with each item's file and its row there beside its row
        pd.testing.assert_frame_equal(res.issues.drop(columns=["file", "file_row"]),
                                      whole.issues)
        in_b = res.issues["row"] > 30
        assert (res.issues["file"] == np.where(in_b, "b.csv", "a.csv")).all()
        assert (res.issues["file_row"] == res.issues["row"] - np.where(in_b, 30, 0)).all()
    bad = df.iloc[30:].copy()
    bad.loc[bad.index[2], "label"] = None
    bad.to_csv(tmp_path / "parts" / "b.csv", index=False)
    from dataqa.errors import LabelError

    with pytest.raises(LabelError, match=r"missing or empty label \(row 33, counted from 1 "
                                         r"after the header; id .t32.\)"):
        audit(tmp_path / "parts", label_column="label", text_column="text", id_column="id",
              progress=False)


def test_numeric_columns_beside_a_text_join_the_text_model():
    """One model sees the text and the numeric columns (standardised); fitted apart and
    averaged, a weak numeric model dragged the text model's probabilities."""
    import scipy.sparse as sp

    from dataqa.audit.core import _model_inputs

    tfidf = sp.csr_matrix(np.eye(4))
    num = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 10.0], [4.0, 10.0]])
    got = _model_inputs({"tfidf": tfidf, "numeric": num})
    assert list(got) == ["tfidf+numeric"] and sp.issparse(got["tfidf+numeric"])
    M = got["tfidf+numeric"].toarray()
    np.testing.assert_array_equal(M[:, :4], np.eye(4))
    z = (num[:, 0] - 2.5) / np.std(num[:, 0])
    np.testing.assert_allclose(M[:, 4], z)
    np.testing.assert_array_equal(M[:, 5], 0.0)  # a constant column stays at 0
    emb = np.ones((4, 3))
    both = _model_inputs({"tfidf": tfidf, "embedding": emb, "numeric": num})
    assert list(both) == ["tfidf+numeric", "embedding+numeric"]
    assert both["embedding+numeric"].shape == (4, 5)
    alone = {"numeric": num}
    assert _model_inputs(alone) is alone

    df = pd.DataFrame({"text": ["win cash now", "call me later", "free prize call",
                                "see you soon"] * 15,
                       "label": ["spam", "ham", "spam", "ham"] * 15,
                       "n_words": [3.0, 3.0, 3.0, 3.0] * 15})
    res = audit(df, label_column="label", text_column="text", feature_columns=["n_words"],
                cv=3, datalab=False, progress=False)
    assert list(res.summary["models"]) == ["tfidf+numeric"]
    assert res.summary["features"] == ["tfidf", "numeric"]
    assert res.summary["n_flagged"] == 0


def test_empty_columns_are_left_out_with_a_word():
    """A trailing delimiter makes empty columns ('Unnamed: 2'): not features, not
    suggested as features, and no missing-value error."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 2))
    y = (X[:, 0] > 0).astype(int)
    df = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "label": y, "Unnamed: 3": np.nan})
    with pytest.warns(UserWarning, match=r"column\(s\) 'Unnamed: 3' hold no value and are "
                                         r"left out"):
        res = audit(df, label_column="label", cv=3, datalab=False, progress=False)
    assert res.table.feature_columns == ["a", "b"]
    texts = pd.DataFrame({"text": ["win cash", "hi mum"] * 20, "label": ["s", "h"] * 20,
                          "Unnamed: 2": np.nan})
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        audit(texts, label_column="label", text_column="text", cv=3, datalab=False,
              progress=False)
    said = [str(w.message) for w in caught]
    assert any("'Unnamed: 2' hold no value and are left out" in m for m in said)
    assert not any("are not used beside the text column" in m for m in said)


def test_report_names_ten_ids_of_a_large_conflicting_set_and_counts_its_labels():
    from dataqa.audit.report import _label_counts, _some_ids

    ids = [f"id{k}" for k in range(103)]
    assert _some_ids(ids) == ", ".join(ids[:10]) + ", ... and 93 more"
    assert _some_ids(ids[:3]) == "id0, id1, id2"
    assert _label_counts(["ham"] * 60 + ["spam"] * 43) == "ham (60), spam (43)"
    assert _label_counts(["ham", "spam"]) == "ham, spam"


def test_file_names_of_a_folder_audit_are_kept_only_where_they_hold(tmp_path):
    """A table read from files and then reordered keeps pandas attrs (the files' rows no
    longer line up): no file columns; files of one name in several folders are named by
    their path; a file named like a number stays a name when the audit is loaded back."""
    from dataqa.audit import AuditResult
    from dataqa.data import load_tables

    df = _texts_with_conflicts()
    for day, part in (("d1", df.iloc[:30]), ("d2", df.iloc[30:])):
        (tmp_path / day).mkdir()
        part.to_csv(tmp_path / day / "data.csv", index=False)
    res = audit(str(tmp_path / "d*" / "data.csv"), label_column="label", text_column="text",
                id_column="id", cv=3, datalab=False, progress=False)
    in_d2 = res.issues["row"] > 30
    assert (res.issues["file"] == np.where(in_d2, "d2/data.csv", "d1/data.csv")).all()
    shuffled = load_tables(str(tmp_path / "d*" / "data.csv")).sample(frac=1, random_state=0)
    moved = audit(shuffled.reset_index(drop=True), label_column="label", text_column="text",
                  id_column="id", cv=3, datalab=False, progress=False)
    assert "file" not in moved.issues.columns
    (tmp_path / "n").mkdir()
    df.iloc[:30].to_csv(tmp_path / "n" / "001", index=False)
    df.iloc[30:].to_csv(tmp_path / "n" / "002", index=False)
    numbered = audit(tmp_path / "n", label_column="label", text_column="text", id_column="id",
                     cv=3, datalab=False, progress=False, read_options={"format": "csv"})
    numbered.save(tmp_path / "out")
    back = AuditResult.load(tmp_path / "out")
    assert set(back.issues["file"]) == {"001", "002"}


def test_a_wide_table_is_saved_without_fragmentation_warnings(tmp_path):
    # 500 feature columns added one at a time printed pandas' "highly fragmented"
    # PerformanceWarning 200 times on stderr
    import warnings

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 250)), columns=[f"f{i}" for i in range(250)])
    X["label"] = (X["f0"] > 0).astype(int)
    X["id"] = [f"r{i}" for i in range(120)]
    r = audit(X, label_column="label", id_column="id", datalab=False, progress=False, cv=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.PerformanceWarning)
        items = r._items_frame()
        r.save(tmp_path / "o")
    assert list(items.columns[:3]) == ["id", "given_label", "f0"] and items.shape == (120, 252)
    np.testing.assert_array_equal(items["f249"].to_numpy(), X["f249"].to_numpy())
