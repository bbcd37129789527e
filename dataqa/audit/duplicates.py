"""Conflicting duplicates: exact or near copies of one item that were given different labels.

Two copies of the same item cannot both be right when their labels differ, so a
conflicting duplicate set is the strongest evidence of a label error there is. These are
pure functions:

- :func:`duplicate_groups` joins items into duplicate sets (exact copies: the same text
  and the same feature row, of those given; and Datalab's near-duplicate sets);
- :func:`conflicting_duplicates` keeps the sets whose given labels differ (one row per set);
- :func:`conflicting_duplicate_items` spreads them back to one row per item;
- :func:`duplicate_label_issue_score` raises the label-issue score of their members.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from dataqa._text import INVISIBLE, join_values
from dataqa._validation import check_labels, check_pred_probs, check_scores
from dataqa.errors import InvalidSettingError, LengthMismatchError

__all__ = ["CONFLICT_COLUMNS", "add_conflicting_duplicates", "conflicting_duplicate_items",
           "conflicting_duplicates",
           "duplicate_groups", "duplicate_label_issue_score", "normalize_text",
           "text_similarity", "NEAR_TEXT_MIN_JACCARD"]

#: Columns of :func:`conflicting_duplicates`, one row per conflicting set.
CONFLICT_COLUMNS = ["set_id", "kind", "size", "rows", "ids", "labels"]

_SPACE = re.compile(r"\s+")
_INVISIBLE = re.compile(INVISIBLE)

#: With texts, a near-duplicate link of Datalab's joins two items only when their texts
#: share at least this share of their character 3-grams (Jaccard, after
#: :func:`normalize_text`): in reduced text features, short texts of rare words lie near
#: each other whatever they say ("Fantastic!!!" and "SUBSCRIBE!!!!" were linked), while
#: near copies ("check out my channel!!" and "Check out my channel!") share most 3-grams.
NEAR_TEXT_MIN_JACCARD = 0.5


def normalize_text(text) -> str:
    """The form in which two texts count as exact duplicates: case-folded, whitespace
    collapsed, stripped, characters a reader does not see (zero-width space, byte-order
    mark, soft hyphen...) dropped."""
    return _SPACE.sub(" ", _INVISIBLE.sub("", str(text))).strip().casefold()


def _exact_keys(n: int, texts, features) -> list[np.ndarray]:
    """An int array (n,) in a list: items with equal keys are exact copies. With both
    texts and features, a copy has the same text and the same feature row (items that
    share only a number beside their texts are not copies)."""
    keys = _source_keys(n, texts, features)
    if len(keys) < 2:
        return keys
    both = pd.MultiIndex.from_arrays(keys)
    return [pd.factorize(both)[0].astype(np.int64)]


def _source_keys(n: int, texts, features) -> list[np.ndarray]:
    """Per source, an int array (n,): items with equal keys are copies in that source."""
    keys = []
    if texts is not None:
        if len(texts) != n:
            raise LengthMismatchError(f"texts has {len(texts)} entries but labels has {n}; "
                                      f"give one text per item.")
        norm = pd.Series([normalize_text(t) for t in texts], dtype=object)
        keys.append(pd.factorize(norm)[0].astype(np.int64))
    if features is not None:
        if features.shape[0] != n:
            raise LengthMismatchError(f"features has {features.shape[0]} rows but labels has "
                                      f"{n}; give one feature row per item.")
        from dataqa.features import feature_row_keys

        if sp.issparse(features):
            keys.append(feature_row_keys(features))
        else:
            X = np.asarray(features)
            if X.ndim != 2:
                raise InvalidSettingError(f"features must be two-dimensional (n, d); got shape {X.shape}.")
            keys.append(feature_row_keys(X.astype(np.float64)))
    return keys


def _near_edges(n: int, near_duplicate_sets) -> tuple[np.ndarray, np.ndarray]:
    if len(near_duplicate_sets) != n:
        raise LengthMismatchError(f"near_duplicate_sets has {len(near_duplicate_sets)} entries but "
                                  f"labels has {n}; give one (possibly empty) set per item.")
    src, dst = [], []
    for i, s in enumerate(near_duplicate_sets):
        members = np.asarray(list(s) if s is not None else [], dtype=np.int64).ravel()
        if len(members) and (members.min() < 0 or members.max() >= n):
            raise InvalidSettingError(f"near_duplicate_sets[{i}] holds row {int(members.max()) if members.max() >= n else int(members.min())}, "
                                      f"outside 0..{n - 1}; sets hold row positions.")
        src.append(np.full(len(members), i, dtype=np.int64))
        dst.append(members)
    if not src:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(src), np.concatenate(dst)


def _trigrams(text: str) -> frozenset:
    t = normalize_text(text)
    return frozenset(t[i:i + 3] for i in range(max(1, len(t) - 2)))


def _jaccard(a: frozenset, b: frozenset) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def text_similarity(a, b) -> float:
    """Jaccard similarity of the character 3-grams of two texts (after
    :func:`normalize_text`; a text shorter than 3 characters is one gram)."""
    return _jaccard(_trigrams(a), _trigrams(b))


def _similar_text_edges(src: np.ndarray, dst: np.ndarray, texts) -> np.ndarray:
    """Mask of the near-duplicate links whose two texts are similar (see
    :data:`NEAR_TEXT_MIN_JACCARD`)."""
    grams: dict[int, frozenset] = {}

    def g(i: int) -> frozenset:
        if i not in grams:
            grams[i] = _trigrams(texts[i])
        return grams[i]

    return np.array([_jaccard(g(i), g(j)) >= NEAR_TEXT_MIN_JACCARD
                     for i, j in zip(src.tolist(), dst.tolist(), strict=True)], dtype=bool)


def _components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    from scipy.sparse.csgraph import connected_components

    g = sp.coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n)).tocsr()
    return connected_components(g, directed=False)[1].astype(np.int64)


def _key_edges(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges joining every item to the first item with the same key (a star per group)."""
    _, first = np.unique(key, return_index=True)
    head = first[key]
    keep = head != np.arange(len(key))
    return np.flatnonzero(keep), head[keep]


def duplicate_groups(n: int, *, texts: Sequence | None = None, features=None,
                     near_duplicate_sets: Sequence | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Join ``n`` items into duplicate sets.

    Two items are in one set when they are exact copies (equal :func:`normalize_text` of
    ``texts`` and bit-equal rows of ``features``, of those given) or linked, directly or through others,
    by ``near_duplicate_sets``; with ``texts``, a near-duplicate link counts only between
    texts that share at least :data:`NEAR_TEXT_MIN_JACCARD` of their character 3-grams.

    Parameters
    ----------
    n : int
        Number of items.
    texts : sequence of n str, optional
    features : array or sparse matrix (n, d), optional
    near_duplicate_sets : sequence of n iterables of row positions, optional
        Item ``i``'s near duplicates (Datalab's ``near_duplicate_sets``).

    Returns
    -------
    group : int ndarray (n,)
        Set number of each item; items with no duplicate get ``-1``. Sets are numbered
        ``0, 1, ...`` in the order of their first item.
    exact : bool ndarray (n,)
        True where every member of the item's set is an exact copy of it (same text and
        same features, of those given).
    """
    src, dst, exact_src, exact_dst = [], [], [], []
    for key in _exact_keys(n, texts, features):
        a, b = _key_edges(key)
        exact_src.append(a)
        exact_dst.append(b)
    if near_duplicate_sets is not None:
        a, b = _near_edges(n, near_duplicate_sets)
        if texts is not None and len(a):
            keep = _similar_text_edges(a, b, list(texts))
            a, b = a[keep], b[keep]
        src.append(a)
        dst.append(b)
    empty = np.zeros(0, np.int64)
    all_src = np.concatenate([*exact_src, *src, empty])
    all_dst = np.concatenate([*exact_dst, *dst, empty])
    comp = _components(n, all_src, all_dst)
    sizes = np.bincount(comp, minlength=n)
    in_set = sizes[comp] > 1
    first = np.full(n, n, dtype=np.int64)
    np.minimum.at(first, comp, np.arange(n))
    kept = np.flatnonzero(sizes > 1)
    kept = kept[np.argsort(first[kept], kind="stable")]  # number sets by their first item
    number = np.full(n, -1, dtype=np.int64)
    number[kept] = np.arange(len(kept))
    group = number[comp]
    exact = np.zeros(n, dtype=bool)
    if exact_src:
        ecomp = _components(n, np.concatenate(exact_src), np.concatenate(exact_dst))
        # a set is exact when its exact-copy component is the whole set
        esize = np.bincount(ecomp, minlength=n)[ecomp]
        exact = in_set & (esize == sizes[comp])
    return group, exact


def conflicting_duplicates(labels, *, ids=None, texts: Sequence | None = None, features=None,
                           near_duplicate_sets: Sequence | None = None,
                           class_names=None) -> pd.DataFrame:
    """Duplicate sets whose members were given different labels, one row per set.

    Parameters
    ----------
    labels : int array (n,), classes ``0 .. K-1``
    ids : array (n,), optional
        Item ids (default: row positions).
    texts, features, near_duplicate_sets
        How duplicates are found; see :func:`duplicate_groups`. At least one is needed.
    class_names : sequence of K names, optional
        When given, ``labels`` in the result hold names, else class indices.

    Returns
    -------
    DataFrame with columns ``set_id`` (0, 1, ... in the order of each set's first item),
    ``kind`` (``"exact"``: every member an exact copy; ``"near"``: joined through a near
    duplicate), ``size``, ``rows`` (row positions), ``ids`` and ``labels`` (given labels, in
    row order), for the sets holding at least two distinct labels only.
    """
    y, k = check_labels(labels)
    n = len(y)
    if texts is None and features is None and near_duplicate_sets is None:
        raise InvalidSettingError("conflicting_duplicates needs texts, features or "
                                  "near_duplicate_sets to find duplicates from.")
    ids = np.arange(n) if ids is None else np.asarray(ids)
    if len(ids) != n:
        raise LengthMismatchError(f"ids has {len(ids)} entries but labels has {n}.")
    if class_names is not None and len(class_names) < k:
        raise LengthMismatchError(f"class_names has {len(class_names)} names but labels hold "
                                  f"{k} classes.")
    group, exact = duplicate_groups(n, texts=texts, features=features,
                                    near_duplicate_sets=near_duplicate_sets)
    names = None if class_names is None else np.asarray(list(class_names), dtype=object)
    rows = []
    member = np.flatnonzero(group >= 0)
    order = member[np.argsort(group[member], kind="stable")]
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    for idx in np.split(order, bounds) if len(order) else []:
        if len(np.unique(y[idx])) < 2:
            continue
        rows.append({"kind": "exact" if exact[idx[0]] else "near", "size": len(idx),
                     "rows": idx.tolist(), "ids": ids[idx].tolist(),
                     "labels": (names[y[idx]] if names is not None else y[idx]).tolist()})
    out = pd.DataFrame(rows, columns=CONFLICT_COLUMNS[1:])
    out.insert(0, "set_id", np.arange(len(out), dtype=np.int64))
    return out


def conflicting_duplicate_items(sets: pd.DataFrame, ids) -> pd.DataFrame:
    """One row per item: ``id, is_conflicting_duplicate, conflicting_duplicate_set``.

    ``conflicting_duplicate_set`` holds the ids of the item's whole conflicting set joined
    by ``";"`` (as ``near_duplicate_set`` in the audit's issue table), ``""`` when the
    item is in none. ``sets`` is the result of :func:`conflicting_duplicates` for these ``ids``.
    """
    ids = np.asarray(ids)
    flag = np.zeros(len(ids), dtype=bool)
    members = np.full(len(ids), "", dtype=object)
    for rows, set_ids in zip(sets["rows"], sets["ids"], strict=True):
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) and rows.max() >= len(ids):
            raise LengthMismatchError(f"sets refer to row {int(rows.max())} but ids has {len(ids)} "
                                      f"entries; pass the ids the sets were found with.")
        flag[rows] = True
        members[rows] = join_values(set_ids)
    return pd.DataFrame({"id": ids, "is_conflicting_duplicate": flag,
                         "conflicting_duplicate_set": members})


def duplicate_label_issue_score(label_issue_score, labels, pred_probs,
                                sets: pd.DataFrame) -> np.ndarray:
    """Label-issue scores (n,) with those of conflicting duplicate sets' members weighed
    with their set's pooled evidence.

    Copies of one item share one true class, so a set's evidence is pooled: for a set
    ``S`` with given labels ``y_j`` and out-of-sample probabilities ``p_j``,

    ``q_S[c] = (share of S labeled c + mean over S of p_j[c]) / 2``

    estimates the probability that the set's true class is ``c`` (half the members' votes,
    half the model). A member ``i`` labeled ``y_i`` is mislabeled with probability
    ``1 - q_S[y_i]``. A member labeled otherwise than the set's likely class (the largest
    ``q_S``) gets ``max(label_issue_score[i], 1 - q_S[y_i])``: raised, never lowered (its
    own score, when the model is sure, ranks it among the likeliest errors of the whole
    table; the pooled one, half votes, would put it lower). A member labeled with the
    likely class gets ``min(label_issue_score[i], 1 - q_S[y_i])``: its own out-of-sample
    probability was learned in part from the other copies' labels, and kept alone it
    ranked copies whose label is right above the one whose label is wrong (SMS, a triple:
    0.915 and 0.877 against 0.83). So within a set, members labeled with its likely class
    rank below the others. Other items keep their score. Higher = more likely mislabeled.

    Parameters
    ----------
    label_issue_score : float array (n,)
    labels : int array (n,)
    pred_probs : float array (n, K), out-of-sample
    sets : DataFrame from :func:`conflicting_duplicates` (its ``rows`` column is used)

    Returns
    -------
    float ndarray (n,)
    """
    y, _ = check_labels(labels)
    p = check_pred_probs(pred_probs, len(y))
    score = check_scores(label_issue_score, "label_issue_score", n=len(y)).astype(np.float64).copy()
    for rows in sets["rows"]:
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) and rows.max() >= len(y):
            raise LengthMismatchError(f"sets refer to row {int(rows.max())} but labels has "
                                      f"{len(y)} entries; pass the labels the sets were found with.")
        q = _set_class_probs(y, p, rows)
        pooled = 1.0 - q[y[rows]]
        # (two classes tied for the likeliest: no member agrees, every one is raised)
        agree = (y[rows] == int(np.argmax(q))) & (np.sum(q == q.max()) == 1)
        score[rows] = np.where(agree, np.minimum(score[rows], pooled),
                               np.maximum(score[rows], pooled))
    return score


def _suggested(issues: pd.DataFrame, member: np.ndarray, likely: np.ndarray, y: np.ndarray,
               class_names) -> pd.Series:
    """``issues["suggested_label"]`` with class ``likely`` for the rows of ``member``, as the
    column writes classes: indices, or names (``class_names``, else read off the given
    labels beside them)."""
    col = issues["suggested_label"]
    values = col.to_numpy(dtype=object).copy()
    named = class_names is not None and {str(v) for v in values} <= {str(c) for c in class_names}
    if not named and (pd.api.types.is_integer_dtype(col) or all(
            isinstance(v, (int, np.integer)) for v in values)):
        values[member] = likely[member]
        return pd.Series(values, index=issues.index).astype(col.dtype)
    if class_names is None:  # names: each class as the given labels write it
        class_names = {int(k): g for k, g in zip(y, issues["given_label"], strict=True)}
        missing = sorted({int(c) for c in likely[member]} - set(class_names))
        if missing:
            raise InvalidSettingError(
                f"the issue table names its classes, and no given label names class "
                f"{missing[0]}, the likely class of a set of copies: pass class_names (as "
                f"given to find_label_issues).")
    values[member] = [class_names[int(c)] for c in likely[member]]
    return pd.Series(values, index=issues.index).astype(col.dtype)


def _set_class_probs(y: np.ndarray, p: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``q_S`` (K,) of :func:`duplicate_label_issue_score`: half the set's votes, half
    the model's mean probabilities over its members."""
    votes = np.bincount(y[rows], minlength=p.shape[1]) / len(rows)
    return (votes + p[rows].mean(axis=0)) / 2.0


def add_conflicting_duplicates(issues: pd.DataFrame, sets: pd.DataFrame, labels, pred_probs,
                               ids, class_names=None) -> tuple[pd.DataFrame, dict]:
    """The audit's issue table with conflicting duplicates marked and scored.

    Parameters
    ----------
    issues : DataFrame from :func:`dataqa.audit.find_label_issues` (``id``,
        ``label_issue_score``, ``is_label_issue``, ...), any row order
    sets : DataFrame from :func:`conflicting_duplicates` for these ``ids``
    labels : int array (n,), pred_probs : float array (n, K), ids : array (n,)
        In the order the sets' ``rows`` refer to.
    class_names : sequence (K,), optional
        As given to :func:`~dataqa.audit.find_label_issues` (``suggested_label`` holds
        names then).

    Returns
    -------
    issues : DataFrame
        With ``is_conflicting_duplicate`` and ``conflicting_duplicate_set`` added;
        ``label_issue_score`` of the sets' members from :func:`duplicate_label_issue_score`; a member's
        ``suggested_label`` is its set's likely class (the largest ``q_S``), one for all
        copies, and ``is_label_issue`` is True exactly when its label is not that class
        (copies share one true class: each member's own model prediction learned from
        the other copies' labels, which pull it to the other side); rows ranked by
        ``label_issue_score``
        (higher first; among equal scores, conflicting duplicates first), so a set's
        members that agree with its likely class do not crowd out likelier errors.
    summary : dict
        ``n_conflicting_duplicate_sets`` and ``n_conflicting_duplicates`` (items).
    """
    y, _ = check_labels(labels)
    p = check_pred_probs(pred_probs, len(y))
    ids = np.asarray(ids)
    if len(ids) != len(y) or len(issues) != len(y):
        raise LengthMismatchError(f"issues has {len(issues)} rows, ids {len(ids)} and labels "
                                  f"{len(y)}; pass the audit's full issue table and its ids.")
    items = conflicting_duplicate_items(sets, ids)
    base = 1.0 - p[np.arange(len(y)), y]
    items["_score"] = duplicate_label_issue_score(base, y, p, sets)
    pos = pd.Series(np.arange(len(ids)), index=pd.Index(ids))
    at = pos.reindex(issues["id"].to_numpy()).to_numpy()
    if np.isnan(at.astype(np.float64)).any():
        raise LengthMismatchError("issues holds ids that are not in ids; pass the ids the "
                                  "issue table was built with.")
    at = at.astype(np.int64)
    out = issues.copy()
    flag = items["is_conflicting_duplicate"].to_numpy()[at]
    out["label_issue_score"] = np.where(flag, items["_score"].to_numpy()[at],
                                        out["label_issue_score"].to_numpy(dtype=np.float64))
    out["is_conflicting_duplicate"] = flag
    out["conflicting_duplicate_set"] = items["conflicting_duplicate_set"].to_numpy()[at]
    likely = np.full(len(y), -1, dtype=np.int64)  # each member's set's likely class
    for rows in sets["rows"]:
        rows = np.asarray(rows, dtype=np.int64)
        likely[rows] = int(np.argmax(_set_class_probs(y, p, rows)))
    likely = likely[at]
    member = flag & (likely >= 0)
    if member.any():
        out["suggested_label"] = _suggested(out, member, likely, y[at], class_names)
    out["is_label_issue"] = np.where(member, y[at] != likely,
                                     out["is_label_issue"].to_numpy(dtype=bool))
    order = np.lexsort((~flag, -out["label_issue_score"].to_numpy()))
    out = out.iloc[order].reset_index(drop=True)
    summary = {"n_conflicting_duplicate_sets": int(len(sets)),
               "n_conflicting_duplicates": int(flag.sum())}
    return out, summary
