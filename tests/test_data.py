import numpy as np
import pandas as pd
import pytest

from dataqa.data import effective_folds, encode_labels, load_table, make_ids, prepare_labeled
from dataqa.errors import (
    DataLoadError,
    DuplicateIdError,
    EmptyDataError,
    FeatureTypeError,
    LabelError,
    MissingColumnError,
    SmallClassError,
    TooFewClassesError,
)


@pytest.fixture
def frame():
    return pd.DataFrame({"id": ["a", "b", "c", "d"], "x": [1.0, 2.0, 3.0, 4.0],
                         "y": [0.5, 0.1, 0.2, 0.3], "label": ["cat", "dog", "cat", "dog"],
                         "text": ["one", "two", "three", "four"]})


@pytest.mark.parametrize("suffix", ["csv", "parquet", "jsonl"])
def test_load_formats_round_trip(tmp_path, frame, suffix):
    path = tmp_path / f"t.{suffix}"
    if suffix == "csv":
        frame.to_csv(path, index=False)
    elif suffix == "parquet":
        frame.to_parquet(path)
    else:
        frame.to_json(path, orient="records", lines=True)
    got = load_table(path)
    assert got["label"].tolist() == frame["label"].tolist()
    assert got["x"].tolist() == frame["x"].tolist()


def test_load_errors(tmp_path):
    with pytest.raises(DataLoadError, match="does not exist"):
        load_table(tmp_path / "missing.csv")
    (tmp_path / "t.xyz").write_text("a")
    with pytest.raises(DataLoadError, match="cannot tell the format"):
        load_table(tmp_path / "t.xyz")
    with pytest.raises(EmptyDataError, match="no rows"):
        load_table(pd.DataFrame({"a": []}))


def test_labels_sorted_class_names(frame):
    labels, names = encode_labels(frame["label"])
    assert names == ["cat", "dog"]
    assert labels.tolist() == [0, 1, 0, 1]
    labels, names = encode_labels([3, 1, 3, 2])
    assert names == [1, 2, 3] and labels.tolist() == [2, 0, 2, 1]


def test_missing_labels_name_count_and_ids(frame):
    frame.loc[[1, 3], "label"] = None
    frame.loc[2, "label"] = "  "
    with pytest.raises(LabelError, match=r"3 missing or empty labels \(first ids: 'b', 'c', 'd'\)"):
        prepare_labeled(frame, label_column="label", id_column="id", feature_columns=["x"])


def test_one_class(frame):
    frame["label"] = "cat"
    with pytest.raises(TooFewClassesError, match="only one class \\('cat'\\)"):
        prepare_labeled(frame, label_column="label", feature_columns=["x"])


def test_missing_column_lists_columns(frame):
    with pytest.raises(MissingColumnError, match="label column 'lbl' is not in the table.*id, x, y"):
        prepare_labeled(frame, label_column="lbl")


def test_duplicate_ids(frame):
    frame.loc[1, "id"] = "a"
    with pytest.raises(DuplicateIdError, match="1 repeated values: 'a'"):
        prepare_labeled(frame, label_column="label", id_column="id")


def test_non_numeric_feature(frame):
    with pytest.raises(FeatureTypeError, match="'text' are not numeric"):
        prepare_labeled(frame, label_column="label", feature_columns=["x", "text"])


def test_default_features_are_numeric_but_id_and_label(frame):
    t = prepare_labeled(frame, label_column="label", id_column="id")
    assert t.feature_columns == ["x", "y"]
    assert t.ids.tolist() == ["a", "b", "c", "d"]


def test_content_hash_ids_stable_and_unique(frame):
    dup = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    ids1, ids2 = make_ids(dup), make_ids(dup.copy())
    assert ids1.tolist() == ids2.tolist()
    assert len(set(ids1)) == len(ids1)
    assert ids1[4] == ids1[0] + "-1"


def test_small_class_falls_back_with_warning():
    labels = np.array([0] * 10 + [1] * 3)
    with pytest.warns(UserWarning, match="class\\(es\\) 'b' \\(3\\) have fewer members than cv=5; using 3"):
        assert effective_folds(labels, ["a", "b"], 5) == 3
    with pytest.raises(SmallClassError, match="'b' \\(1\\) have fewer than 2 members"):
        effective_folds(np.array([0] * 10 + [1]), ["a", "b"], 5)


def test_nan_feature_values_named(frame):
    frame.loc[2, "x"] = np.nan
    with pytest.raises(FeatureTypeError, match="'x' have missing values in 1 rows \\(first ids: 'c'\\)"):
        prepare_labeled(frame, label_column="label", id_column="id")
