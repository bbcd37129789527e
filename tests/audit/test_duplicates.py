"""Conflicting duplicates: sets found by text, features and near-duplicate links; scores raised."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from dataqa.audit.duplicates import (
    CONFLICT_COLUMNS,
    NEAR_TEXT_MIN_JACCARD,
    add_conflicting_duplicates,
    conflicting_duplicate_items,
    conflicting_duplicates,
    duplicate_groups,
    duplicate_label_issue_score,
    normalize_text,
    text_similarity,
)
from dataqa.errors import InvalidSettingError, LabelError, LengthMismatchError

TEXTS = ["Free prize NOW", "see you at lunch", "free  prize now ", "ok", "See you at lunch",
         "ok", "call me"]
LABELS = np.array([1, 0, 0, 0, 0, 1, 0])
IDS = np.array([f"m{i}" for i in range(7)])


def test_normalize_text():
    assert normalize_text("  Free\tprize \n NOW ") == "free prize now"
    assert normalize_text(3) == "3"
    # characters a reader does not see: a byte-order mark, zero-width space, soft hyphen
    assert normalize_text("\ufeffCheck out my\u200b video\u00ad!") == "check out my video!"
    sets = conflicting_duplicates(np.array([0, 1]), ids=np.array(["a", "b"]),
                                  texts=["\ufeffsubscribe to me", "subscribe to\u200b me"])
    assert sets["kind"].tolist() == ["exact"]


def test_groups_from_texts():
    group, exact = duplicate_groups(7, texts=TEXTS)
    # sets numbered by first item: {0, 2}, {1, 4}, {3, 5}; "call me" alone
    np.testing.assert_array_equal(group, [0, 1, 0, 2, 1, 2, -1])
    np.testing.assert_array_equal(exact, [True, True, True, True, True, True, False])


def test_conflicting_sets_from_texts():
    out = conflicting_duplicates(LABELS, ids=IDS, texts=TEXTS, class_names=["ham", "spam"])
    assert list(out.columns) == CONFLICT_COLUMNS
    # {1, 4} agree (ham, ham) and is dropped; {0, 2} and {3, 5} conflict
    assert out["set_id"].tolist() == [0, 1]
    assert out["rows"].tolist() == [[0, 2], [3, 5]]
    assert out["ids"].tolist() == [["m0", "m2"], ["m3", "m5"]]
    assert out["labels"].tolist() == [["spam", "ham"], ["ham", "spam"]]
    assert out["kind"].tolist() == ["exact", "exact"] and out["size"].tolist() == [2, 2]
    plain = conflicting_duplicates(LABELS, texts=TEXTS)
    assert plain["ids"].tolist() == [[0, 2], [3, 5]] and plain["labels"].tolist() == [[1, 0], [0, 1]]


def test_groups_from_dense_and_sparse_features():
    X = np.array([[1.0, 0.0], [2.0, 1.0], [1.0, -0.0], [2.0, 1.0 + 1e-12], [2.0, 1.0]])
    y = np.array([0, 1, 1, 0, 0])
    group, exact = duplicate_groups(5, features=X)
    # -0.0 equals 0.0; 1 + 1e-12 is a different row
    np.testing.assert_array_equal(group, [0, 1, 0, -1, 1])
    out = conflicting_duplicates(y, features=X)
    assert out["rows"].tolist() == [[0, 2], [1, 4]]
    Xs = sp.csr_matrix(X)
    np.testing.assert_array_equal(duplicate_groups(5, features=Xs)[0], group)
    # explicit zeros and unsorted indices do not hide a copy
    odd = sp.csr_matrix((np.array([0.0, 1.0, 1.0]), np.array([1, 0, 0]), np.array([0, 2, 3])),
                        shape=(2, 2))
    np.testing.assert_array_equal(duplicate_groups(2, features=odd)[0], [0, 0])


def test_near_duplicate_sets_join_transitively():
    # Datalab format: each item lists its near duplicates; 0-1 and 1-2 make one set {0, 1, 2}
    near = [[1], [0, 2], [1], [], [5], [4]]
    y = np.array([0, 0, 1, 0, 1, 1])
    group, exact = duplicate_groups(6, near_duplicate_sets=near)
    np.testing.assert_array_equal(group, [0, 0, 0, -1, 1, 1])
    assert not exact.any()
    out = conflicting_duplicates(y, near_duplicate_sets=near)
    assert out["rows"].tolist() == [[0, 1, 2]] and out["kind"].tolist() == ["near"]
    # an exact pair joined to a third item only by a near link is a "near" set
    texts = ["win a prize", "win a prize", "win a prize now", "c", "d", "e"]
    out = conflicting_duplicates(np.array([0, 1, 0, 0, 0, 0]), texts=texts,
                                 near_duplicate_sets=[[], [2], [1], [], [], []])
    assert out["rows"].tolist() == [[0, 1, 2]] and out["kind"].tolist() == ["near"]


def test_a_near_link_between_unlike_texts_is_dropped():
    # reduced text features put short texts of rare words near each other; the texts
    # themselves must share half their character 3-grams for a near link to count
    texts = ["Fantastic!", "Fantastic!!!", "SUBSCRIBE!!!!", "SUPER!!! !!!"]
    near = [[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]]  # one Datalab set of four
    group, _ = duplicate_groups(4, texts=texts, near_duplicate_sets=near)
    np.testing.assert_array_equal(group, [0, 0, -1, -1])
    out = conflicting_duplicates(np.array([0, 0, 1, 0]), texts=texts, near_duplicate_sets=near)
    assert out.empty  # the two Fantastic! items agree; the spam one is not their copy
    assert text_similarity("Fantastic!", "Fantastic!!!") == pytest.approx(0.8)
    assert text_similarity("SUBSCRIBE!!!!", "Fantastic!!!") < NEAR_TEXT_MIN_JACCARD
    # without texts (feature rows only) the links stand as Datalab gives them
    assert duplicate_groups(4, near_duplicate_sets=near)[0].tolist() == [0, 0, 0, 0]


def test_groups_match_brute_force_union_find():
    rng = np.random.default_rng(0)
    n = 200
    texts = [f"text {v // 2} {'ab'[v % 2]}" for v in rng.integers(0, 120, n)]  # pairs alike
    near = [[] for _ in range(n)]
    for a, b in rng.integers(0, n, size=(40, 2)):
        if a != b:
            near[a].append(int(b))
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i):
            if texts[i] == texts[j]:
                parent[find(i)] = find(j)
        for j in near[i]:  # a near link counts between similar texts only
            if text_similarity(texts[i], texts[j]) >= NEAR_TEXT_MIN_JACCARD:
                parent[find(i)] = find(j)
    roots = [find(i) for i in range(n)]
    group, _ = duplicate_groups(n, texts=texts, near_duplicate_sets=near)
    for i in range(n):
        same = [j for j in range(n) if roots[j] == roots[i]]
        if len(same) == 1:
            assert group[i] == -1
        else:
            assert {j for j in range(n) if group[j] == group[i]} == set(same)


def test_items_table():
    sets = conflicting_duplicates(LABELS, ids=IDS, texts=TEXTS)
    items = conflicting_duplicate_items(sets, IDS)
    assert list(items.columns) == ["id", "is_conflicting_duplicate", "conflicting_duplicate_set"]
    assert items["is_conflicting_duplicate"].tolist() == [True, False, True, True, False, True, False]
    assert items["conflicting_duplicate_set"].tolist() == ["m0;m2", "", "m0;m2", "m3;m5", "", "m3;m5", ""]
    with pytest.raises(LengthMismatchError, match="sets refer to row 5 but ids has 3 entries"):
        conflicting_duplicate_items(sets, IDS[:3])


def test_score_weighed_with_the_pooled_set_evidence():
    # set {0, 1, 2}: labels 0, 0, 1; set {3, 4}: labels agree (not a conflict); item 5 alone
    y = np.array([0, 0, 1, 1, 1, 0])
    p = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.4, 0.6], [0.5, 0.5], [0.6, 0.4]])
    score = 1.0 - p[np.arange(6), y]
    sets = conflicting_duplicates(y, near_duplicate_sets=[[1], [2], [0], [4], [3], []])
    assert sets["rows"].tolist() == [[0, 1, 2]]
    got = duplicate_label_issue_score(score, y, p, sets)
    # q = ((2/3, 1/3) + mean p (0.8, 0.2)) / 2 = (11/15, 4/15): 0 and 1 agree with the
    # likely class 0 (lowered to 4/15 at most), 2 is outvoted (raised to 11/15 at least)
    np.testing.assert_allclose(got[:3], [0.1, 0.2, 11 / 15])
    np.testing.assert_array_equal(got[3:], score[3:])
    # the member labeled against the set and the model now outranks every other item
    assert np.argmax(got) == 2
    # a member that agrees with the set but whose own model leaned away (it learned from
    # the wrong copy in another fold) is lowered to the set's evidence: it no longer
    # outranks the copy whose label the set outvotes
    p2 = p.copy()
    p2[1] = [0.15, 0.85]  # own score 0.85
    got = duplicate_label_issue_score(1.0 - p2[np.arange(6), y], y, p2, sets)
    q = (np.array([2 / 3, 1 / 3]) + p2[:3].mean(axis=0)) / 2
    np.testing.assert_allclose(got[:3], [0.1, 1.0 - q[0], max(0.7, 1.0 - q[1])])
    assert got[1] < got[2] and got[1] < 0.85
    # two classes tied for the likeliest: no member agrees, both keep the larger score
    tie = pd.DataFrame({"rows": [[0, 1]]})
    got = duplicate_label_issue_score(np.array([0.9, 0.9]), np.array([0, 1]),
                                      np.full((2, 2), 0.5), tie)
    np.testing.assert_allclose(got, [0.9, 0.9])
    # an outvoted member the model is sure of keeps its own, higher score
    p3 = p.copy()
    p3[2] = [0.98, 0.02]
    got = duplicate_label_issue_score(1.0 - p3[np.arange(6), y], y, p3, sets)
    assert got[2] == pytest.approx(0.98)


def test_errors():
    with pytest.raises(InvalidSettingError, match="needs texts, features or near_duplicate_sets"):
        conflicting_duplicates(LABELS)
    with pytest.raises(LengthMismatchError, match="texts has 6 entries but labels has 7"):
        conflicting_duplicates(LABELS, texts=TEXTS[:6])
    with pytest.raises(LengthMismatchError, match="features has 2 rows but labels has 7"):
        conflicting_duplicates(LABELS, features=np.zeros((2, 2)))
    with pytest.raises(LengthMismatchError, match="ids has 2 entries but labels has 7"):
        conflicting_duplicates(LABELS, ids=IDS[:2], texts=TEXTS)
    with pytest.raises(LengthMismatchError, match="near_duplicate_sets has 1 entries"):
        conflicting_duplicates(LABELS, near_duplicate_sets=[[1]])
    with pytest.raises(InvalidSettingError, match=r"near_duplicate_sets\[1\] holds row 9, outside 0..6"):
        conflicting_duplicates(LABELS, near_duplicate_sets=[[], [9], [], [], [], [], []])
    with pytest.raises(LabelError):
        conflicting_duplicates(np.array([0, -3]), texts=["a", "a"])
    with pytest.raises(LengthMismatchError, match="class_names has 1 names but labels hold 2"):
        conflicting_duplicates(LABELS, texts=TEXTS, class_names=["ham"])
    sets = pd.DataFrame({"rows": [[0, 8]]})
    with pytest.raises(LengthMismatchError, match="sets refer to row 8 but labels has 2"):
        duplicate_label_issue_score(np.zeros(2), np.array([0, 1]), np.full((2, 2), 0.5), sets)


def test_add_to_the_issue_table_raises_conflicts_and_ranks_by_score():
    from dataqa.audit import find_label_issues

    texts = ["win cash", "hello", "win cash", "see you", "bye"]
    y = np.array([1, 0, 0, 0, 0])
    ids = np.array(["a", "b", "c", "d", "e"])
    p = np.array([[0.2, 0.8], [0.9, 0.1], [0.3, 0.7], [0.05, 0.95], [0.6, 0.4]])
    issues = find_label_issues(y, p, ids=ids)
    sets = conflicting_duplicates(y, ids=ids, texts=texts)
    out, summary = add_conflicting_duplicates(issues, sets, y, p, ids)
    assert summary == {"n_conflicting_duplicate_sets": 1, "n_conflicting_duplicates": 2}
    # set {a, c}: q = ((1/2, 1/2) + (0.25, 0.75)) / 2 = (0.375, 0.625)
    # likely class spam: a (spam) agrees, min(0.2, 0.375) = 0.2; c (ham) is outvoted,
    # max(0.7, 0.625) = 0.7; ranked by score alone: d (0.95), c (0.7), e (0.4), a (0.2), b

    assert out["id"].tolist() == ["d", "c", "e", "a", "b"]
    assert out["is_conflicting_duplicate"].tolist() == [False, True, False, True, False]
    assert out["conflicting_duplicate_set"].tolist() == ["", "a;c", "", "a;c", ""]
    np.testing.assert_allclose(out["label_issue_score"], [0.95, 0.7, 0.4, 0.2, 0.1])
    # among equal scores, a conflicting duplicate first
    tied = issues.assign(label_issue_score=0.5)
    tie, _ = add_conflicting_duplicates(tied, sets, y, np.full((5, 2), 0.5), ids)
    assert set(tie["id"][:2]) == {"a", "c"} and tie["is_conflicting_duplicate"][:2].all()
    # one suggestion for the set, its likely class (spam, q = 0.625): c (ham) is a label
    # issue, a (spam) is not, whatever its own prediction said; the others as before
    flagged = dict(zip(out["id"], out["is_label_issue"], strict=True))
    suggested = dict(zip(out["id"], out["suggested_label"], strict=True))
    before = dict(zip(issues["id"], issues["is_label_issue"], strict=True))
    assert flagged["c"] and not flagged["a"] and suggested["a"] == suggested["c"] == 1
    assert all(flagged[i] == before[i] for i in "bde")
    named, _ = add_conflicting_duplicates(
        find_label_issues(y, p, ids=ids, class_names=["ham", "spam"]), sets, y, p, ids,
        class_names=["ham", "spam"])
    assert named.set_index("id").loc[["a", "c"], "suggested_label"].tolist() == ["spam", "spam"]
    # names without class_names (read off the given labels), indices with them: as written
    with_names = find_label_issues(y, p, ids=ids, class_names=["ham", "spam"])
    bare, _ = add_conflicting_duplicates(with_names, sets, y, p, ids)
    assert bare["suggested_label"].tolist() == named["suggested_label"].tolist()
    ints, _ = add_conflicting_duplicates(issues, sets, y, p, ids, class_names=["ham", "spam"])
    assert ints["suggested_label"].tolist() == out["suggested_label"].tolist()
    assert set(ints["suggested_label"]) <= {0, 1}
    with pytest.raises(LengthMismatchError, match="issues has 4 rows, ids 5 and labels 5"):
        add_conflicting_duplicates(issues.iloc[:4], sets, y, p, ids)
    with pytest.raises(LengthMismatchError, match="ids that are not in ids"):
        add_conflicting_duplicates(issues, sets, y, p, np.array(["a", "b", "c", "d", "z"]))


def test_with_texts_and_features_a_copy_needs_both():
    """Texts that share only a number beside them are not copies (SMS with a length column
    gave 62 'exact' sets of unrelated messages, 4,105 items)."""
    texts = ["win a prize", "hello there", "win a prize", "see you", "hello there"]
    X = np.array([[1.5], [1.5], [1.5], [1.5], [2.0]])
    group, exact = duplicate_groups(5, texts=texts, features=X)
    np.testing.assert_array_equal(group, [0, -1, 0, -1, -1])
    assert exact.tolist() == [True, False, True, False, False]
    # each source alone still finds its own copies
    np.testing.assert_array_equal(duplicate_groups(5, texts=texts)[0], [0, 1, 0, -1, 1])
    np.testing.assert_array_equal(duplicate_groups(5, features=X)[0], [0, 0, 0, 0, -1])
    out = conflicting_duplicates(np.array([0, 1, 1, 0, 0]), texts=texts, features=X)
    assert out["rows"].tolist() == [[0, 2]]
