"""Whole-table features and the multivariate tests (MMD, classifier) over them.

Features are built on the pooled reference and current rows, scaled by the reference:

- numeric columns: standardised by the reference's mean and standard deviation; missing
  values set to the reference mean, plus a 0/1 "missing" column when any is missing;
- categorical columns: one 0/1 column per reference category (the 20 most frequent;
  the rest and unseen categories share one column);
- text columns: TF-IDF (:func:`dataqa.features.tfidf_features`, fitted on the pooled
  texts) or, with ``text_features="embedding"``, sentence embeddings
  (:func:`dataqa.features.sentence_embeddings`, the ``text`` extra), reduced by
  truncated SVD (fitted on the pooled rows) to at most ``n_components`` dimensions,
  standardised.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dataqa.drift.twosample import _category_strings
from dataqa.errors import InvalidSettingError

__all__ = ["DriftFeatures", "build_features", "multivariate_tests", "MULTIVARIATE_TESTS",
           "DRIFT_TEXT_FEATURES", "CachedEmbedder"]

#: Multivariate tests :func:`multivariate_tests` knows.
MULTIVARIATE_TESTS = ("mmd", "classifier")

#: How text columns become features: TF-IDF (default) or sentence embeddings.
DRIFT_TEXT_FEATURES = ("tfidf", "embedding")

_MAX_CATEGORIES = 20


@dataclass
class DriftFeatures:
    """Reference and current feature matrices and where each feature comes from."""

    reference: np.ndarray
    current: np.ndarray
    sources: list[str]                              # source column per feature
    text_blocks: dict[str, slice] = field(default_factory=dict)
    embeddings: dict = field(default_factory=dict)  # text column -> (n + m, 384)


class CachedEmbedder:
    """:func:`dataqa.features.sentence_embeddings` that embeds each distinct text once
    (``drift_windows`` compares the same reference with every window)."""

    def __init__(self):
        self.vectors: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str], *, progress: bool | None = False) -> np.ndarray:
        from dataqa.features import sentence_embeddings

        new = list(dict.fromkeys(t for t in texts if t not in self.vectors))
        if new:
            for t, v in zip(new, sentence_embeddings(new, progress=progress), strict=True):
                self.vectors[t] = v
        return np.vstack([self.vectors[t] for t in texts])


def pooled_texts(ref: pd.DataFrame, cur: pd.DataFrame, col: str) -> list[str]:
    """A text column's reference then current texts, missing ones as "" (what the text
    features are built from, and the keys of :class:`CachedEmbedder`)."""
    return pd.concat([ref[col], cur[col]]).fillna("").astype(str).tolist()


def _standardise(r: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu, sd = r.mean(axis=0), r.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (r - mu) / sd, (c - mu) / sd


def _top_categories(pooled: pd.Series) -> list[str]:
    """The :data:`_MAX_CATEGORIES` values most frequent in both tables together, ties by
    name: a choice that does not depend on which rows are the reference's, so the
    permutation tests stay exact. (Chosen from the reference alone, the categories a
    column of many rare values keeps are over-represented in the reference by the choice
    itself, and the classifier test alarmed on 7 of 40 random halves.)"""
    counts = pooled.value_counts(sort=False)
    names = counts.index.to_numpy(dtype=object).astype(str)
    order = np.lexsort((names, -counts.to_numpy()))[:_MAX_CATEGORIES]
    return counts.index[order].tolist()


def build_features(ref: pd.DataFrame, cur: pd.DataFrame, kinds: dict[str, str], *,
                   n_components: int = 32, random_state=0, text_features: str = "tfidf",
                   embed=None, counted: dict | None = None) -> DriftFeatures:
    """Feature matrices of ``ref`` and ``cur`` for columns ``kinds`` (column -> kind).

    ``text_features``: ``"tfidf"`` or ``"embedding"`` (see the module docstring);
    ``embed``: the function that embeds a list of texts (default
    :func:`dataqa.features.sentence_embeddings`); ``counted``: a dict that receives each
    text column's :class:`~dataqa.features.CountedTexts` (of :func:`pooled_texts`) with
    TF-IDF, for the model checks' per-fold featurizers.
    """
    if text_features not in DRIFT_TEXT_FEATURES:
        raise InvalidSettingError(f"text_features={text_features!r} is not known; use "
                                  f"{' or '.join(DRIFT_TEXT_FEATURES)}.")
    blocks_r, blocks_c, sources = [], [], []
    text_blocks, embeddings = {}, {}
    for col, kind in kinds.items():
        if kind == "numeric":
            r = ref[col].to_numpy(dtype=np.float64)
            c = cur[col].to_numpy(dtype=np.float64)
            mu = np.nanmean(r)
            nan_r, nan_c = np.isnan(r), np.isnan(c)
            r, c = np.where(nan_r, mu, r), np.where(nan_c, mu, c)
            sr, sc = _standardise(r[:, None], c[:, None])
            blocks_r.append(sr)
            blocks_c.append(sc)
            sources.append(col)
            if nan_r.any() or nan_c.any():
                blocks_r.append(nan_r[:, None].astype(float))
                blocks_c.append(nan_c[:, None].astype(float))
                sources.append(col)
        elif kind == "categorical":
            r, c = _category_strings(ref[col]), _category_strings(cur[col])
            top = _top_categories(pd.concat([r, c], ignore_index=True))
            for v in top:
                blocks_r.append((r == v).to_numpy(float)[:, None])
                blocks_c.append((c == v).to_numpy(float)[:, None])
                sources.append(col)
            blocks_r.append((~r.isin(top)).to_numpy(float)[:, None])
            blocks_c.append((~c.isin(top)).to_numpy(float)[:, None])
            sources.append(col)
        elif kind == "text":
            from sklearn.decomposition import TruncatedSVD

            from dataqa.features import CountedTexts

            texts = pooled_texts(ref, cur, col)
            # each distinct text once, in the order of the texts: what the features are
            # fitted on. The randomized SVD's later components shift with the order of
            # its rows, and the features must not depend on it; and a text counted as
            # often as it is repeated pulls the IDF and the components towards itself,
            # so that current rows copied from the reference (a sample of it, or a
            # reference that holds the current period) differ from the reference's other
            # rows and read as drift (SMS: p <= 0.004 in 8 of 8 samples of the reference)
            codes, _ = pd.factorize(pd.Series(texts, dtype=object), sort=True)
            first = np.full(codes.max() + 1, len(texts), dtype=np.int64)
            np.minimum.at(first, codes, np.arange(len(texts)))
            if text_features == "embedding":
                from dataqa.features import sentence_embeddings

                T = np.asarray((embed or sentence_embeddings)(texts), dtype=np.float32)
                embeddings[col] = T
            else:  # (as tfidf_features(texts), its counts kept for the model checks)
                counts = CountedTexts(texts)
                T = counts.fit(np.sort(first)).transform(np.arange(len(texts)))
                if counted is not None:
                    counted[col] = counts
            k = max(1, min(n_components, T.shape[1] - 1, len(first) - 1))
            seed = int(np.random.default_rng(random_state).integers(2**31 - 1))
            svd = TruncatedSVD(k, random_state=seed).fit(T[first])
            Z = np.asarray(T @ svd.components_.T, dtype=np.float64)
            del T
            sr, sc = _standardise(Z[:len(ref)], Z[len(ref):])
            start = sum(b.shape[1] for b in blocks_r)
            text_blocks[col] = slice(start, start + k)
            blocks_r.append(sr)
            blocks_c.append(sc)
            sources.extend([col] * k)
    R = np.hstack(blocks_r) if blocks_r else np.zeros((len(ref), 0))
    C = np.hstack(blocks_c) if blocks_c else np.zeros((len(cur), 0))
    return DriftFeatures(R, C, sources, text_blocks, embeddings)


def multivariate_tests(feats: DriftFeatures, *, tests=MULTIVARIATE_TESTS,
                       n_permutations: int = 500, random_state=0) -> tuple[dict, dict]:
    """Run the multivariate tests on the whole feature matrices.

    Returns
    -------
    results : dict test -> {"statistic", "p_value"} (``mmd``: unbiased MMD^2, with
        ``reference_rows`` and ``current_rows``, the rows it compared (:func:`mmd_rows`);
        ``classifier``: out-of-fold AUROC)
    extra : dict with ``current_scores`` (m,) (classifier: higher = more unlike the
        reference) and ``driving`` (DataFrame column, importance; largest first)
    """
    from dataqa.drift.twosample import classifier_scores, mmd_rows, mmd_test

    results, extra = {}, {}
    if feats.reference.shape[1] == 0:
        return results, extra
    for name in tests:
        if name == "mmd":
            s, p = mmd_test(feats.reference, feats.current, n_permutations=n_permutations,
                            random_state=random_state)
            n_used, m_used = mmd_rows(feats.reference.shape[0], feats.current.shape[0])
            results["mmd"] = {"statistic": float(s), "p_value": float(p),
                              "reference_rows": n_used, "current_rows": m_used}
        elif name == "classifier":
            r = classifier_scores(feats.reference, feats.current, random_state=random_state)
            results["classifier"] = {"statistic": r.auc, "p_value": r.p_value}
            extra["current_scores"] = r.current_scores
            imp = pd.DataFrame({"column": feats.sources, "importance": r.feature_importance})
            extra["driving"] = (imp.groupby("column", sort=False)["importance"].sum()
                                .sort_values(ascending=False).reset_index())
    return results, extra
