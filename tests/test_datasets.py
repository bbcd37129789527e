"""Ready datasets: YouTube spam (split by video), WRENCH copies, digits; error messages."""

from __future__ import annotations

import numpy as np
import pytest

from dataqa.datasets import (
    YOUTUBE_TEST_VIDEOS,
    YOUTUBE_TRAIN_VIDEOS,
    flip_labels,
    load_digits_noisy,
    load_wrench,
    load_youtube_spam,
)
from dataqa.errors import DataLoadError, InvalidSettingError


def test_youtube_all_rows(data_home):
    df = load_youtube_spam()
    assert list(df.columns) == ["id", "author", "date", "text", "label", "video"]
    assert len(df) == 1956 and int(df["label"].sum()) == 1005
    assert df["id"].is_unique
    assert not df["text"].str.contains("\ufeff").any()
    assert not df["text"].str.contains("&amp;|&#39;|&quot;").any()
    assert df.groupby("video").size().to_dict() == {
        "Psy": 350, "KatyPerry": 350, "LMFAO": 438, "Eminem": 448, "Shakira": 370}


def test_youtube_splits_by_video(data_home):
    train = load_youtube_spam(split="train")
    dev = load_youtube_spam(split="dev")
    test = load_youtube_spam(split="test")
    assert (len(train), len(dev), len(test)) == (1466, 120, 370)
    assert set(test["video"]) == set(YOUTUBE_TEST_VIDEOS) == {"Shakira"}
    assert set(train["video"]) == set(dev["video"]) == set(YOUTUBE_TRAIN_VIDEOS)
    assert not set(train["id"]) & set(dev["id"])
    assert dev.groupby(["video", "label"]).size().eq(15).all()
    assert set(load_youtube_spam(split="dev", random_state=1)["id"]) != set(dev["id"])
    assert load_youtube_spam(split="dev")["id"].tolist() == dev["id"].tolist()  # seeded


def test_youtube_errors(tmp_path):
    with pytest.raises(InvalidSettingError, match="split='valid' must be None, 'train', 'dev'"):
        load_youtube_spam(split="valid")
    with pytest.raises(DataLoadError, match="Youtube05-Shakira.csv"):
        load_youtube_spam(data_home=tmp_path)
    (tmp_path / "youtube_spam").mkdir()
    with pytest.raises(DataLoadError, match="no Youtube0\\*.csv files"):
        load_youtube_spam(data_home=tmp_path)


@pytest.mark.parametrize(("name", "sizes", "m"), [
    ("youtube", (1586, 120, 250), 10), ("sms", (4571, 500, 500), 73)])
def test_wrench(data_home, name, sizes, m):
    for split, n in zip(("train", "valid", "test"), sizes, strict=True):
        frame, L = load_wrench(name, split=split)
        assert len(frame) == n and L.shape == (n, m)
        assert L.min() == -1 and L.max() == 1
        assert set(frame["label"]) == {0, 1}
    with pytest.raises(InvalidSettingError, match="unknown WRENCH dataset 'imdb'"):
        load_wrench("imdb")


def test_digits_and_flips():
    frame, flipped = load_digits_noisy(0.1, random_state=0)
    assert len(frame) == 1797 and flipped.sum() == round(0.1 * 1797)
    assert (frame["label"] != frame["true_label"]).sum() == flipped.sum()
    noisy, changed = flip_labels(np.arange(10) % 3, 0.3, kind="class_dependent")
    assert changed.sum() == 3
    np.testing.assert_array_equal(noisy[changed], ((np.arange(10) % 3)[changed] + 1) % 3)


def test_data_home_may_name_the_dataset_folder_itself(data_home, tmp_path):
    direct = load_youtube_spam(data_home=data_home / "youtube_spam")
    assert len(direct) == 1956
    frame, L = load_wrench("youtube", data_home / "wrench_youtube", split="test")
    assert len(frame) == 250 and L.shape == (250, 10)
    (tmp_path / "wrench_sms").mkdir()
    with pytest.raises(DataLoadError, match="train.json, valid.json and test.json"):
        load_wrench("sms", tmp_path)
