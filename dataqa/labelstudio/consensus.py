"""One label per item from several annotators (cleanlab's multi-annotator functions)."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dataqa.errors import (
    EmptyDataError,
    InvalidSettingError,
    LengthMismatchError,
    MissingColumnError,
)

__all__ = ["ConsensusResult", "consensus_labels"]


@dataclass
class ConsensusResult:
    """Output of :func:`consensus_labels`.

    Attributes
    ----------
    items : DataFrame, one row per item
        ``id`` (as given: an integer id stays an integer), ``label`` (consensus class
        index: always a class that the most of the item's annotators chose),
        ``label_name`` (when class names were given), ``n_annotations``, ``agreement``
        (fraction of the item's annotators who chose the consensus label; above 0),
        ``issue_score`` (``1 - consensus quality``; higher = more likely wrong), ``tied``
        (bool: two or more classes share the item's most votes, so the consensus shown is
        the tie-break's, see :func:`consensus_labels`) and ``needs_review`` (bool:
        ``issue_score > 1 - min_quality``, fewer than ``min_annotations`` annotations, or
        ``tied``).
    annotators : DataFrame, one row per annotator
        ``annotator``, ``n_labeled``, ``agreement`` (share of the annotator's items
        *without a tie* on which they chose the consensus; a tied item counts for no one;
        NaN when every item they labeled is tied), ``quality`` (higher = better: cleanlab's
        annotator quality with CROWDLAB, else ``agreement``), ``worst_class`` (the consensus
        class index this annotator gets wrong most often; missing for one who agrees with
        the consensus everywhere) and ``worst_class_name`` (when class names were given). Annotations without an annotator share one row,
        ``<no annotator>``: their count, and agreement and quality averaged over them.
    method : str
        ``"crowdlab"`` (with ``pred_probs``, when CROWDLAB can run) or ``"agreement"``
        (votes; also when CROWDLAB cannot run, with a warning).
    """

    items: pd.DataFrame
    annotators: pd.DataFrame
    method: str

    @property
    def needs_review(self) -> list:
        """Ids of items that need another look."""
        return self.items.loc[self.items["needs_review"], "id"].tolist()


def _answer_times(annotations: pd.DataFrame) -> np.ndarray | None:
    """When each answer was last given (``updated_at``, else ``created_at``) as sortable
    numbers; an answer without a time is the newest (the ledger stamps a label given
    without one when it records it), one whose time cannot be read too, with a warning.
    None without either column."""
    cols = [c for c in ("updated_at", "created_at") if c in annotations.columns]
    if not cols:
        return None
    when = pd.Series(pd.NaT, index=annotations.index, dtype="datetime64[ns, UTC]")
    for c in cols:
        when = when.fillna(pd.to_datetime(annotations[c], utc=True, errors="coerce",
                                          format="mixed"))
    stamps = when.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT"))
    out = stamps.astype("int64").astype(float)
    given = np.zeros(len(annotations), dtype=bool)
    for c in cols:
        given |= annotations[c].notna().to_numpy()
    unread = np.isnat(stamps) & given
    if unread.any():
        warnings.warn(
            f"{int(unread.sum())} annotation(s) have a time that cannot be read (first at row "
            f"{int(np.flatnonzero(unread)[0]) + 1}); each counts as its annotator's newest "
            f"answer. Write times as ISO 8601 (2024-05-01T10:00:00Z).", UserWarning,
            stacklevel=3)
    out[np.isnat(stamps)] = np.inf
    return out


def consensus_labels(annotations: pd.DataFrame, *, n_classes: int | None = None,
                     class_names: Sequence[str] | None = None,
                     pred_probs: np.ndarray | None = None, ids: Sequence[str] | None = None,
                     min_quality: float = 0.6, min_annotations: int = 1) -> ConsensusResult:
    """Consensus label, quality and per-annotator agreement from several annotators.

    Parameters
    ----------
    annotations : DataFrame
        Long format, one row per (item, annotator): ``id``, ``label`` and ``annotator``
        - e.g. what :func:`pull_annotations` returns. A number is a class index (as
        pulled labels are); a text label is a class name with ``class_names`` (every
        label one way; when the class names are numbers, text labels are read as names
        only), or an index written as text. When an annotator labeled an item twice
        (two tasks of one item) the newest answer counts, by ``updated_at`` (else
        ``created_at``) when the table has them, as the ledger picks each annotator's
        answer (:meth:`~dataqa.ledger.Ledger.latest_labels`; an answer without a time
        is the newest), else the last row. An annotation
        without an annotator counts as made by an annotator of its own (with a warning).
    n_classes : int, optional
        K; default ``len(class_names)``, else the largest label + 1.
    class_names : sequence of str (K,), optional
    pred_probs : array (n_items, K), optional
        Out-of-sample model probabilities for ``ids``; with them cleanlab's CROWDLAB
        weighs the model against the annotators to rate each consensus (the consensus
        itself stays the annotators' majority vote: the model breaks ties and lowers the
        quality of a label it disagrees with, but never puts a class no annotator chose
        in its place). Without them quality is the fraction of annotators who agree with
        the majority.
    ids : sequence of str (n_items,), optional
        Row order of ``pred_probs`` (required with it); default: items in order of appearance.
    min_quality : float in [0, 1]
        Items whose consensus quality is below this need review.
    min_annotations : int
        Items with fewer annotations need review too.

    Returns
    -------
    ConsensusResult

    Notes
    -----
    **Ties.** An item whose most voted classes have equal votes (one annotator says ham,
    another spam) is ``tied``: it always needs review, whatever its score, and counts as
    agreement for none of its annotators in the annotators table. The consensus it shows
    is the tie-break's: the class ``pred_probs`` rates higher when given; else, by votes
    alone, the class chosen more often over all annotations, then the lower class index.
    CROWDLAB breaks a tie the model leaves even as cleanlab's majority vote does (the
    class chosen *less* often over all annotations, then the one of the annotators who
    agree more with the untied consensus, then a draw with a fixed seed). This is not
    the ledger's rule: :meth:`~dataqa.ledger.Ledger.latest_labels` gives a tie the
    newest of the tied answers, as it must pick one label to train on, with no model.

    **CROWDLAB's weights.** cleanlab estimates how much to trust the model and each
    annotator from the items with several annotations, by how much better each does than
    always answering the most common consensus class, and sets no minimum number of
    items (it needs one item with two annotations and two annotators; dataqa falls back to
    votes without them). With few items those weights are unreliable; when cleanlab
    rates every annotator at its floor (``cleanlab.internal.constants.CLIPPING_LOWER_BOUND``,
    1e-6: none beats that baseline) the quality scores follow the model alone, and a
    warning says so. dataqa sets no threshold of its own.
    """
    if not isinstance(annotations, pd.DataFrame):
        raise InvalidSettingError(
            f"annotations must be a DataFrame, not {type(annotations).__name__}.")
    for c in ("id", "label", "annotator"):
        if c not in annotations.columns:
            raise MissingColumnError(c, list(annotations.columns), role="annotation column")
    if annotations.empty:
        raise EmptyDataError("annotations is empty; pull some annotations first.")
    if not 0 <= min_quality <= 1:
        raise InvalidSettingError(f"min_quality must be in [0, 1], not {min_quality!r}.")
    if int(min_annotations) < 1:
        raise InvalidSettingError(f"min_annotations must be >= 1, not {min_annotations!r}.")
    ann = annotations[["id", "label", "annotator"]].copy()
    when = _answer_times(annotations)
    if when is not None:
        ann["_when"] = when
    no_id = np.flatnonzero(ann["id"].isna().to_numpy())
    if len(no_id):
        raise InvalidSettingError(
            f"{len(no_id)} annotation(s) have no item id (first at row {int(no_id[0]) + 1}); "
            f"drop those rows first.")
    # ids are matched as text ("7" and 7 are one item) and given back as they came
    given_id = dict(zip(ann["id"].astype(str), ann["id"], strict=True))
    ann["id"] = ann["id"].astype(str)
    no_one = ann["annotator"].isna().to_numpy()
    if no_one.any():  # one "unknown" annotator would keep one of their labels per item
        warnings.warn(
            f"{int(no_one.sum())} annotation(s) have no annotator; each counts as made by an "
            f"annotator of its own, so none replaces another (one row, {_NO_ANNOTATOR!r}, "
            f"in the annotators table).", UserWarning,
            stacklevel=2)
    ann["annotator"] = [f"{_NO_ANNOTATOR}-{k}" if missing else _name(a) for k, (a, missing) in
                        enumerate(zip(ann["annotator"], no_one, strict=True))]
    if ann["label"].isna().any():
        raise InvalidSettingError("annotations have missing labels; drop those rows first.")
    if class_names is not None:
        class_names = [str(c) for c in class_names]
        if n_classes is not None and n_classes != len(class_names):
            raise InvalidSettingError(
                f"n_classes={n_classes} but {len(class_names)} class names were given.")
        n_classes = len(class_names)
    labels = ann["label"].to_numpy()
    if labels.dtype == object or pd.api.types.is_string_dtype(ann["label"]):
        labels = _label_indices(ann["label"], class_names)
    elif not np.issubdtype(labels.dtype, np.integer):
        if not np.all(np.mod(labels.astype(float), 1) == 0):
            raise InvalidSettingError("annotation labels must be class indices (integers).")
        labels = labels.astype(int)
    ann["label"] = labels
    if n_classes is None:
        n_classes = int(labels.max()) + 1
    n_classes = max(int(n_classes), 2)
    if labels.min() < 0 or labels.max() >= n_classes:
        raise InvalidSettingError(
            f"annotation labels must be in 0..{n_classes - 1}; got {labels.min()}..{labels.max()}.")
    if ids is None:
        if pred_probs is not None:
            raise InvalidSettingError("pred_probs needs ids= giving the item of each row.")
        ids = list(dict.fromkeys(ann["id"]))
    else:
        given_id.update(zip((str(i) for i in ids), ids, strict=True))
        ids = [str(i) for i in ids]
        from collections import Counter

        repeated = sorted(i for i, c in Counter(ids).items() if c > 1)
        if repeated:
            raise InvalidSettingError(
                f"ids repeats {len(repeated)} item(s) ({repeated[:5]!r}); give each item once, "
                f"in the row order of pred_probs.")
        extra = set(ann["id"]) - set(ids)
        if extra:
            raise InvalidSettingError(
                f"{len(extra)} annotated items are not in ids: {sorted(extra)[:5]!r}.")
        ann = ann[ann["id"].isin(set(ids))]
    if "_when" in ann.columns:  # oldest first, so that each annotator's newest answer is kept
        ann = ann.sort_values("_when", kind="stable")
    ann = ann.drop_duplicates(["id", "annotator"], keep="last")
    wide = ann.pivot(index="id", columns="annotator", values="label")
    labeled = [i for i in ids if i in wide.index]
    wide = wide.reindex(labeled).astype(float)
    counts = np.zeros((len(labeled), n_classes))
    for k in range(n_classes):
        counts[:, k] = (wide.to_numpy() == k).sum(axis=1)
    if pred_probs is not None:
        pred_probs = np.asarray(pred_probs, dtype=float)
        if pred_probs.ndim != 2 or pred_probs.shape[1] != n_classes:
            raise InvalidSettingError(
                f"pred_probs must have shape (n_items, {n_classes}), not {pred_probs.shape}.")
        if len(pred_probs) != len(ids):
            raise LengthMismatchError(
                f"pred_probs has {len(pred_probs)} rows but ids has {len(ids)}.")
        bad = ~np.isfinite(pred_probs).all(axis=1) | (pred_probs < 0).any(axis=1) | (
            np.abs(pred_probs.sum(axis=1) - 1.0) > 1e-3)
        if bad.any():
            raise InvalidSettingError(
                f"pred_probs row(s) {np.flatnonzero(bad)[:5].tolist()} are not probabilities "
                f"(finite, >= 0, summing to 1); pass the model's predict_proba output.")
        pos = {i: k for k, i in enumerate(ids)}
        probs = pred_probs[[pos[i] for i in labeled]]
        method = "crowdlab"
    else:
        # vote shares smoothed towards the overall class frequencies
        prior = (counts.sum(axis=0) + 1.0) / (counts.sum() + n_classes)
        probs = (counts + prior) / (counts.sum(axis=1, keepdims=True) + 1.0)
        method = "agreement"

    # two classes or more with the item's most votes: the consensus is a tie-break's
    tied = (counts == counts.max(axis=1, keepdims=True)).sum(axis=1) > 1
    if method == "crowdlab":
        out = _crowdlab(wide, probs)
        if out is not None:
            items, annotators, floored = out
            if floored:
                warnings.warn(floored, UserWarning, stacklevel=2)
            # agreement as by votes: a tied item counts for no annotator
            untied = _annotator_agreement(wide, items["label"].to_numpy(), tied)
            annotators["agreement"] = annotators["annotator"].map(
                untied.set_index("annotator")["agreement"]).to_numpy(dtype=float)
            # ... and the worst class as by votes, by the consensus class (cleanlab's groups
            # by the class the annotator gave)
            annotators["worst_class"] = annotators["annotator"].map(
                untied.set_index("annotator")["worst_class"]).to_numpy(dtype=object)
        else:  # CROWDLAB needs several annotators on some items: fall back to agreement
            method = "agreement"
            warnings.warn(
                "cleanlab's CROWDLAB could not weigh pred_probs against these annotations "
                "(it needs items with several annotators); the consensus is by agreement of "
                "the annotators alone, and pred_probs only break ties.", UserWarning,
                stacklevel=2)
    if method == "agreement":
        items, annotators = _agreement(wide, probs, counts, tied)
    quality = 1.0 - items["issue_score"].to_numpy()
    items.insert(0, "id", [given_id[i] for i in labeled])
    if class_names is not None:
        items.insert(2, "label_name", [class_names[k] for k in items["label"]])
    items["tied"] = tied
    items["needs_review"] = ((quality < min_quality) | (items["n_annotations"] < min_annotations)
                             | tied)
    annotators = _merge_no_annotator(annotators, no_one.any())
    # an annotator who agrees with the consensus everywhere has no class gotten wrong
    perfect = annotators["agreement"].to_numpy(dtype=float) >= 1.0
    annotators["worst_class"] = pd.array(
        [None if p or pd.isna(k) else int(k) for p, k in
         zip(perfect, annotators["worst_class"], strict=True)], dtype="Int64")
    if class_names is not None:
        annotators["worst_class_name"] = [
            None if pd.isna(k) else class_names[int(k)] for k in annotators["worst_class"]]
    annotators = annotators.sort_values("agreement", kind="mergesort").reset_index(drop=True)
    return ConsensusResult(items=items, annotators=annotators, method=method)


#: the annotator of annotations that name none (one per annotation, merged in the table)
_NO_ANNOTATOR = "<no annotator>"


def _merge_no_annotator(annotators: pd.DataFrame, any_missing: bool) -> pd.DataFrame:
    """One row for every annotation without an annotator: their count, and agreement and
    quality averaged over the annotations (each stood for an annotator of its own)."""
    if not any_missing:
        return annotators
    names = annotators["annotator"].astype(str)
    none = names.str.startswith(_NO_ANNOTATOR + "-").to_numpy()
    if not none.any():
        return annotators
    part = annotators[none]
    n = part["n_labeled"].to_numpy(dtype=float)
    row = {"annotator": _NO_ANNOTATOR, "n_labeled": int(n.sum()),
           "agreement": _mean_of_rated(part["agreement"], n),
           "quality": _mean_of_rated(part["quality"], n), "worst_class": None}
    return pd.concat([annotators[~none], pd.DataFrame([row])], ignore_index=True)


def _mean_of_rated(values: pd.Series, weights: np.ndarray) -> float:
    """Weighted mean over the values that are rated (CROWDLAB leaves an annotator whose
    only item has no other annotation unrated: NaN); NaN when none is."""
    v = values.to_numpy(dtype=float)
    ok = np.isfinite(v)
    return float(np.average(v[ok], weights=weights[ok])) if ok.any() else float("nan")


def _name(annotator) -> str:
    """An annotator's name as text; a whole-number float (7.0, as pandas stores integer ids
    beside a missing one) as the integer."""
    if isinstance(annotator, (float, np.floating)) and float(annotator).is_integer():
        return str(int(annotator))
    return str(annotator)


@contextlib.contextmanager
def _seeded_global_numpy(seed: int = 0):
    """cleanlab breaks vote ties with NumPy's global generator: seed it for the call, so
    the consensus is the same on every run, and give the caller's state back after."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _label_indices(labels: pd.Series, class_names: list[str] | None) -> np.ndarray:
    """Class names (with ``class_names``) or class indices written as text, as indices.

    With ``class_names`` every label must be one of them, unless every label is a class
    index and no class name is a number (then ``"2"`` could only be an index)."""
    text = labels.astype(str).str.strip()
    is_index = bool(text.str.fullmatch(r"-?\d+").all())
    if class_names is not None:
        pos = {c: k for k, c in enumerate(class_names)}
        unknown = sorted(set(text) - set(pos))
        if not unknown:
            return text.map(pos).to_numpy(dtype=int)
        numbered = any(str(c).strip().lstrip("-").isdigit() for c in class_names)
        if not is_index or numbered:
            raise InvalidSettingError(
                f"annotation label(s) {unknown[:5]!r} are not among class_names "
                f"{class_names!r}; give every label as a class name"
                + ("" if numbered else ", or every label as a class index") + ".")
    if is_index:
        return text.astype(int).to_numpy()
    raise InvalidSettingError(
        f"annotation labels {sorted(set(text))[:5]!r} are names; pass class_names=[...] "
        f"to say which index each has, or give class indices.")


def _crowdlab(wide: pd.DataFrame, probs: np.ndarray
              ) -> tuple[pd.DataFrame, pd.DataFrame, str | None] | None:
    """CROWDLAB's quality of the annotators' majority vote: ``(items, annotators, note)``,
    the note saying that cleanlab weighed no annotator above its floor (None when it did);
    None when CROWDLAB cannot run.

    ``consensus_method="majority_vote"``: cleanlab's default, ``"best_quality"``, takes
    the class of highest CROWDLAB quality as the consensus and estimates the weights again
    against it, so a model can outvote annotators who agree, and with few items then
    weigh them at nothing for having disagreed with its own consensus."""
    from dataqa._lazy import keep_warning_filters

    with keep_warning_filters():
        from cleanlab.internal.constants import CLIPPING_LOWER_BOUND
        from cleanlab.multiannotator import get_label_quality_multiannotator

    with warnings.catch_warnings(), _seeded_global_numpy():
        warnings.simplefilter("ignore")
        try:
            out = get_label_quality_multiannotator(
                wide.reset_index(drop=True), probs, consensus_method="majority_vote",
                quality_method="crowdlab", verbose=False, return_detailed_quality=False,
                return_weights=True)
        except ValueError:
            return None
    note = None
    n_ann = (~np.isnan(wide.to_numpy())).sum(axis=1)
    floor = CLIPPING_LOWER_BOUND * (1 + 1e-9)
    if np.all(np.asarray(out["annotator_weight"], dtype=float) <= floor):
        model_floored = float(out["model_weight"]) <= floor * np.sqrt(n_ann.mean())
        note = (
            f"cleanlab's CROWDLAB weighs every annotator at its floor "
            f"({CLIPPING_LOWER_BOUND:g}): on the {int((n_ann > 1).sum())} item(s) with several "
            f"annotations none agrees with the others more than always answering the most "
            f"common consensus class would"
            + (", and neither does the model: the quality scores rest on no estimated "
               "weight" if model_floored else
               ": the quality scores follow the model's pred_probs alone")
            + ". With few items these weights are unreliable; have more items labeled by "
              "several annotators, or leave pred_probs out to rate the consensus by votes.")
    lq = out["label_quality"]
    items = pd.DataFrame({
        "label": lq["consensus_label"].to_numpy(dtype=int),
        "n_annotations": lq["num_annotations"].to_numpy(dtype=int),
        "agreement": lq["annotator_agreement"].to_numpy(dtype=float),
        "issue_score": 1.0 - lq["consensus_quality_score"].to_numpy(dtype=float),
    })
    st = out["annotator_stats"]
    annotators = pd.DataFrame({
        "annotator": [str(a) for a in st.index],
        "n_labeled": st["num_examples_labeled"].to_numpy(dtype=int),
        "agreement": st["agreement_with_consensus"].to_numpy(dtype=float),
        "quality": st["annotator_quality"].to_numpy(dtype=float),
        "worst_class": st["worst_class"].to_numpy(),
    })
    return items, annotators, note


def _agreement(wide: pd.DataFrame, probs: np.ndarray, counts: np.ndarray, tied: np.ndarray
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Majority vote (ties broken by ``probs``, then by the lower class index: no random
    draw); quality = share of annotators agreeing (tied items left out for annotators)."""
    top = counts == counts.max(axis=1, keepdims=True)
    tied_probs = np.where(top, probs, -np.inf)
    consensus = np.argmax(tied_probs, axis=1).astype(int)  # argmax: the first of equals
    n_ann = counts.sum(axis=1)
    agree = counts[np.arange(len(consensus)), consensus] / n_ann
    items = pd.DataFrame({"label": consensus, "n_annotations": n_ann.astype(int),
                          "agreement": agree, "issue_score": 1.0 - agree})
    annotators = _annotator_agreement(wide, consensus, tied)
    annotators.insert(3, "quality", annotators["agreement"])
    return items, annotators


def _annotator_agreement(wide: pd.DataFrame, consensus: np.ndarray, tied: np.ndarray
                         ) -> pd.DataFrame:
    """Per annotator: ``annotator, n_labeled, agreement, worst_class``, agreement and the
    worst class over the annotator's items without a tie (NaN / None when all are tied):
    a tie-break's consensus credits no one."""
    values = wide.to_numpy()
    rows = []
    for j, name in enumerate(wide.columns):
        labeled = ~np.isnan(values[:, j])
        mask = labeled & ~tied
        given = values[mask, j].astype(int)
        cons = consensus[mask]
        ok = given == cons
        # the consensus class this annotator gets wrong most often
        worst, worst_rate = None, -1.0
        for k in np.unique(cons):
            rate = float(np.mean(~ok[cons == k]))
            if rate > worst_rate:
                worst, worst_rate = int(k), rate
        rows.append({"annotator": str(name), "n_labeled": int(labeled.sum()),
                     "agreement": float(ok.mean()) if mask.any() else float("nan"),
                     "worst_class": worst})
    return pd.DataFrame(rows, columns=["annotator", "n_labeled", "agreement", "worst_class"])
