import numpy as np
import pytest
from cleanlab.filter import find_label_issues as cl_find
from cleanlab.rank import get_label_quality_scores

from dataqa.audit import ISSUE_COLUMNS, find_label_issues
from dataqa.errors import InvalidSettingError, LengthMismatchError


def noisy_probs(n=300, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 3
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    given = y.copy()
    flip = rng.choice(n, 30, replace=False)
    given[flip] = (y[flip] + 1) % k
    return given, p


def test_same_flags_as_cleanlab_and_score_is_one_minus_quality():
    labels, p = noisy_probs()
    ids = np.array([f"item-{i}" for i in range(len(labels))], dtype=object)
    df = find_label_issues(labels, p, ids=ids, class_names=["a", "b", "c"])
    assert list(df.columns) == ISSUE_COLUMNS
    mask = cl_find(labels, p)
    by_id = df.set_index("id")
    np.testing.assert_array_equal(by_id.loc[ids, "is_label_issue"].to_numpy(), mask)
    quality = get_label_quality_scores(labels, p, method="self_confidence")
    np.testing.assert_allclose(by_id.loc[ids, "label_issue_score"].to_numpy(), 1 - quality)
    assert df["label_issue_score"].is_monotonic_decreasing
    assert by_id.loc["item-0", "given_label"] == ["a", "b", "c"][labels[0]]
    assert by_id.loc["item-0", "suggested_label"] == ["a", "b", "c"][p[0].argmax()]


def test_flagged_items_rank_first_on_average():
    labels, p = noisy_probs()
    df = find_label_issues(labels, p)
    ranks = np.flatnonzero(df["is_label_issue"].to_numpy())
    assert ranks.mean() < len(df) / 4


def test_errors():
    labels, p = noisy_probs()
    with pytest.raises(LengthMismatchError, match="pred_probs has 300 rows but labels has 299"):
        find_label_issues(labels[:-1], p)
    bad = p.copy()
    bad[3] *= 2
    with pytest.raises(InvalidSettingError, match="summing to 1; 1 rows do not \\(first: \\[3\\]\\)"):
        find_label_issues(labels, bad)
    with pytest.raises(InvalidSettingError, match="label 2 has no column"):
        find_label_issues(labels, p[:, :2] / p[:, :2].sum(axis=1, keepdims=True))
    with pytest.raises(LengthMismatchError, match="class_names has 2 names"):
        find_label_issues(labels, p, class_names=["a", "b"])
    # ids as one column are the ids; two columns are refused
    one = find_label_issues(labels, p, ids=np.arange(300)[:, None] + 10)
    assert one["id"].tolist() == (find_label_issues(labels, p, ids=np.arange(300) + 10)
                                  )["id"].tolist()
    with pytest.raises(InvalidSettingError, match=r"ids must hold one id per item \(shape "
                                                  r"\(n,\)\), got shape \(300, 2\)"):
        find_label_issues(labels, p, ids=np.zeros((300, 2)))


def test_encode_labels_takes_one_column():
    import pandas as pd

    from dataqa.data import encode_labels
    from dataqa.errors import LabelError

    assert encode_labels(np.array([[1], [2], [1]]))[0].tolist() == [0, 1, 0]
    assert encode_labels(pd.DataFrame({"y": ["b", "a"]}))[1] == ["a", "b"]
    with pytest.raises(LabelError, match=r"label column 'label' must hold one label per item "
                                         r"\(shape \(n,\)\), got shape \(3, 2\); give one "
                                         r"column"):
        encode_labels(np.array([[1, 2], [2, 1], [1, 1]]))


def test_a_class_the_model_did_not_learn_is_left_out_of_the_filter():
    # three rows relabelled as a new class the model gives almost no probability: its
    # confident threshold is near 0, and without care every uncertain item of the other
    # classes is taken for it
    from dataqa.audit import model_error_rate
    from dataqa.audit.issues import unlearned_classes

    labels, p2 = noisy_probs(n=600, k=2, seed=1)
    rng = np.random.default_rng(2)
    tiny = rng.choice(len(labels), 3, replace=False)
    eps = rng.uniform(1e-5, 1e-3, len(labels))
    eps[tiny] = 2e-5  # its own rows get less of it than the others, as on SMS
    p3 = np.column_stack([p2 * (1 - eps)[:, None], eps])
    labels3 = labels.copy()
    labels3[tiny] = 2
    assert unlearned_classes(labels3, p3).tolist() == [False, False, True]
    naive = cl_find(labels3, p3)
    with pytest.warns(UserWarning, match=r"the model did not learn class 'new' \(3 rows; mean "
                                         r"probability of it on its own rows 0\.\d{4}, on the "
                                         r"others 0\.\d{4}, with no evidence that its rows "
                                         r"rank above the others on it\): it is left out of "
                                         r"the label-issue "
                                         r"filter"):
        df = find_label_issues(labels3, p3, class_names=["a", "b", "new"])
    flags = df.sort_values("id")["is_label_issue"].to_numpy()
    rest = np.setdiff1d(np.arange(len(labels)), tiny)
    alone = cl_find(labels[rest], p2[rest])
    np.testing.assert_array_equal(flags[rest], alone)  # as if the class were not there
    assert not flags[tiny].any()
    assert naive.sum() > alone.sum() + 3  # cleanlab alone flags more than the 3 rows
    # the model-based range: the counting estimators leave the class out too
    rate = model_error_rate(labels3, p3)  # (find_label_issues has warned)
    plain = model_error_rate(labels[rest], p2[rest])
    assert rate.methods["num_label_issues"] == pytest.approx(
        plain.methods["num_label_issues"] * len(rest) / len(labels))
    assert rate.methods["argmax_disagreement"] >= plain.methods["argmax_disagreement"]
    # a learned class whose probabilities are reweighted (as class_weight="balanced"
    # does): its own rows get less than its share, but more than the others
    rew = p3.copy()
    rew[:, 2] = np.where(np.isin(np.arange(len(labels)), tiny), 0.05, 0.001)
    rew[:, 0] *= 0.05
    rew /= rew.sum(axis=1, keepdims=True)
    assert rew[labels3 == 0, 0].mean() < (labels3 == 0).mean()
    assert unlearned_classes(labels3, rew).tolist() == [False, False, False]
    # a little more of it on its own rows, but they do not rank above the others (as
    # three YouTube comments relabelled 'promo': 0.009 against 0.005): not learned
    weak = p3.copy()
    weak[:, 2] = rng.uniform(0.001, 0.01, len(labels))
    weak[tiny, 2] = [0.002, 0.006, 0.009]
    assert weak[tiny, 2].mean() > np.delete(weak[:, 2], tiny).mean()
    assert unlearned_classes(labels3, weak).tolist() == [False, False, True]
    # three rows that rank at the top are learned, however small the probabilities
    top = weak.copy()
    top[tiny, 2] = [0.011, 0.012, 0.02]
    assert unlearned_classes(labels3, top).tolist() == [False, False, False]
    # every class learned: cleanlab's flags unchanged, no warning
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = find_label_issues(labels, p2).sort_values("id")["is_label_issue"].to_numpy()
    np.testing.assert_array_equal(same, cl_find(labels, p2))


def test_nullable_pandas_numbers_are_numbers():
    # an Int64 label matrix read "L must hold integer votes; got dtype object"; a Float64
    # pred_probs with pd.NA raised float()'s own error
    import pandas as pd

    from dataqa.weak import fit_label_model

    labels, p = noisy_probs()
    frame = pd.DataFrame(p).astype("Float64")
    assert find_label_issues(labels, frame).equals(find_label_issues(labels, p))
    frame.iloc[5, 1] = pd.NA
    with pytest.raises(InvalidSettingError, match=r"pred_probs holds NaN or infinite values in "
                                                  r"1 rows \(first: \[5\]\)"):
        find_label_issues(labels, frame)
    L = np.random.default_rng(0).integers(-1, 2, (100, 3))
    want = fit_label_model(L, cardinality=2, method="majority").predict_proba(L)
    for given in (pd.DataFrame(L).astype("Int64"), L.astype(object)):
        got = fit_label_model(given, cardinality=2, method="majority").predict_proba(L)
        np.testing.assert_array_equal(got, want)
    holed = pd.DataFrame(L).astype("Int64")
    holed.iloc[3, 1] = pd.NA
    with pytest.raises(InvalidSettingError, match=r"L holds 1 missing value\(s\) \(NaN; first "
                                                  r"at row 3, LF column 1\); an LF that abstains "
                                                  r"votes -1"):
        fit_label_model(holed, cardinality=2, method="majority")
