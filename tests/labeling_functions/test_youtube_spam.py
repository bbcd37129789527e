"""The ready YouTube LF set: unique names, text only (never date), equal to Snorkel, useful."""

from __future__ import annotations

import numpy as np
from snorkel.labeling import PandasLFApplier

from dataqa.weak import apply_lfs, fit_label_model
from labeling_functions.youtube_spam import lfs


def test_lf_set_shape():
    names = [lf.name for lf in lfs]
    assert len(names) == len(set(names)) >= 15
    assert all(lf.columns == ["text"] for lf in lfs)
    assert {lf.label for lf in lfs} == {0, 1}


def test_on_dev_split(data_home):
    from dataqa.datasets import load_youtube_spam

    dev = load_youtube_spam(split="dev")
    dev_no_date = dev.drop(columns=["date"])
    L = apply_lfs(dev_no_date, lfs)
    np.testing.assert_array_equal(L, PandasLFApplier(lfs).apply(dev_no_date, progress_bar=False))
    assert (L >= 0).any(axis=1).mean() > 0.9
    model = fit_label_model(L, cardinality=2, method="majority")
    acc = np.mean(model.predict(L, abstain_uncovered=False) == dev["label"].to_numpy())
    assert acc > 0.8
