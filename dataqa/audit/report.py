"""The audit's HTML report: flagged counts, model-based and verified error rates, per-class issues,
confusion, scores, suspects."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from dataqa._text import split_values
from dataqa.audit.error_rate import rate_text
from dataqa.report import HtmlReport, shorten, subplots
from dataqa.report.images import image_shape_for, parse_image_shape, thumbnails

__all__ = ["audit_report", "check_image_shape"]

_TOP = 50


def _share_text(part: int, whole: int) -> str:
    """``part / whole`` as a percentage precise enough not to read 0% for 3 of 951."""
    if not whole:
        return ""
    share = part / whole
    if share in (0, 1):
        return f"{share:.0%}"
    if share < 0.001 or share > 0.999:
        return "<0.1%" if share < 0.001 else ">99.9%"
    return f"{share:.0%}" if 0.1 <= share <= 0.99 else f"{share:.1%}"


def _class_ticks(ax, names) -> None:
    """Class names under the x axis, tilted, each ending under its column, when many or
    long names would run into each other."""
    tilt = len(names) > 8 or sum(len(str(n)) for n in names) > 48
    ax.set_xticks(range(len(names)), [str(n) for n in names], rotation=45 if tilt else 0,
                  ha="right" if tilt else "center", rotation_mode="anchor" if tilt else "default")


def _issues_per_class(result):
    s = result.summary
    names = s["class_names"]
    flagged = [s["issues_per_class"].get(n, 0) for n in names]
    counts = [s["class_counts"][n] for n in names]
    fig, ax = subplots(figsize=(max(5, 0.5 * len(names) + 2), 3.2))
    x = np.arange(len(names))
    ax.bar(x, flagged, color="#d9534f")
    for xi, f, c in zip(x, flagged, counts, strict=True):
        ax.text(xi, f, _share_text(f, c), ha="center", va="bottom", fontsize=8)
    _class_ticks(ax, names)
    ax.margins(y=0.15)  # (room for the shares above the bars)
    ax.set_ylabel("flagged items")
    ax.set_title("Label issues per given class (share of the class on top)")
    return fig


def _confusion(result):
    flagged = result.issues[result.issues["is_label_issue"]]
    names = result.summary["class_names"]
    m = pd.crosstab(flagged["given_label"].astype(str), flagged["suggested_label"].astype(str))
    m = m.reindex(index=names, columns=names, fill_value=0)
    size = max(4, 0.45 * len(names) + 2)
    fig, ax = subplots(figsize=(size, size * 0.85))
    im = ax.imshow(m.to_numpy(), cmap="Reds")
    _class_ticks(ax, names)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("suggested label")
    ax.set_ylabel("given label")
    ax.set_title("Flagged items: given vs suggested label")
    top = max(int(m.to_numpy().max()), 1)
    if len(names) <= 15:
        for i in range(len(names)):
            for j in range(len(names)):
                v = m.iat[i, j]
                if v:  # white on the dark cells
                    ax.text(j, i, str(v), ha="center", va="center", fontsize=8,
                            color="white" if v > 0.6 * top else "black")
    bar = fig.colorbar(im, ax=ax, fraction=0.046)
    from matplotlib.ticker import MaxNLocator

    bar.locator = MaxNLocator(integer=True)  # counts: whole-number ticks
    bar.update_ticks()
    return fig


def _score_hist(result):
    iss = result.issues
    fig, ax = subplots(figsize=(6, 3.2))
    bins = np.linspace(0, 1, 41)
    ax.hist(iss.loc[~iss["is_label_issue"], "label_issue_score"], bins=bins, alpha=0.7,
            label="not flagged", color="#5b8def")
    ax.hist(iss.loc[iss["is_label_issue"], "label_issue_score"], bins=bins, alpha=0.7,
            label="flagged", color="#d9534f")
    ax.set_yscale("log")
    ax.set_xlabel("label issue score (higher = more likely mislabeled)")
    ax.set_ylabel("items")
    ax.legend()
    return fig


def _not_flagged_reasons(result, rows: np.ndarray) -> list[str]:
    """Why cleanlab did not flag each of ``rows`` (positions in the table), one phrase each.

    ``find_label_issues`` uses cleanlab's default ``prune_by_noise_rate`` rule: from the
    confident joint ``C`` (calibrated counts of given label ``k`` vs likely true label
    ``j``) it flags, among items given ``k``, the ``C[k, j]`` with the largest margin
    ``p[j] - p[k]``, for every ``j != k``; then it unflags every item whose given label is
    still the most likely class. Scores rank by ``1 - p[k]`` alone, so the two can differ.
    """
    from dataqa._lazy import keep_warning_filters

    with keep_warning_filters():
        from cleanlab.count import compute_confident_joint
        from cleanlab.internal.constants import FLOATING_POINT_COMPARISON

    labels, p = result.table.labels, np.asarray(result.pred_probs, dtype=np.float64)
    names = [str(c) for c in result.table.class_names]
    cj = compute_confident_joint(labels, p) if len(rows) else None
    copies = set()  # members of a conflicting set: the set decides, not cleanlab
    if "is_conflicting_duplicate" in result.issues.columns:
        member = result.issues["is_conflicting_duplicate"].fillna(False).to_numpy(dtype=bool)
        copies = set(result.issues["id"].astype(str).to_numpy()[member])
    out = []
    for i in rows:
        if str(result.table.ids[i]) in copies:
            out.append("its label is the likely class of its set of conflicting copies (half "
                       "their labels, half the model), which decides for every copy")
            continue
        k = int(labels[i])
        others = p[i].copy()
        others[k] = -np.inf
        j = int(np.argmax(others))
        if p[i, k] + FLOATING_POINT_COMPARISON >= p[i, j]:
            out.append(f"the given label is still the model's most likely class "
                       f"(p={p[i, k]:.2f}; next {names[j]} {p[i, j]:.2f})")
            continue
        given_k = labels == k
        margin = p[i, j] - p[i, k]
        rank = int(np.sum(p[given_k, j] - p[given_k, k] > margin)) + 1
        n_est = int(cj[k, j])
        if n_est == 0:
            out.append(f"cleanlab's confident joint counts no items labeled {names[k]} that "
                       f"are really {names[j]}, so it flags none for that pair")
        elif rank > n_est:
            many = n_est > 1
            out.append(f"cleanlab estimates {n_est} {'items' if many else 'item'} labeled "
                       f"{names[k]} {'are' if many else 'is'} really {names[j]} and flags "
                       f"the {n_est if many else 'one'} with the largest margin "
                       f"p({names[j]}) - p({names[k]}){_RANK_SEP}{rank}")
        else:
            out.append(f"cleanlab's count for class {names[k]} was lowered to keep the "
                       f"class non-empty, or the class has too few items to prune")
    return out


#: A reason given word for word to this many suspects or more is written once, in the
#: note above the table, and its rows point to it.
_REPEATED_REASON = 3


#: What ends a reason with the item's own rank: the part before it is shared by every
#: item of the pair, and footnoted on its own when it repeats.
_RANK_SEP = "; this item is number "


def _footnoted(reasons: list[str]) -> tuple[list[str], dict[str, str]]:
    """Reasons that repeat word for word (``_REPEATED_REASON`` times or more, an item's
    own rank aside) become ``"see (a)"``, ``"see (b)"``... (``"number 9 by that margin,
    see (a)"``); returns the cells and the notes (mark -> reason) that the note above the
    table spells out (:func:`_reason_notes`)."""
    parts = [r.partition(_RANK_SEP) for r in reasons]
    heads = [head for head, _, _ in parts]
    counts = pd.Series(heads, dtype=object).value_counts()
    marks = {r: f"({chr(ord('a') + k)})" for k, r in
             enumerate(r for r in dict.fromkeys(heads) if counts[r] >= _REPEATED_REASON)
             if k < 26}
    cells = []
    for r, (head, _, rank) in zip(reasons, parts, strict=True):
        if head not in marks:
            cells.append(r)
        else:
            cells.append(f"number {rank} by that margin, see {marks[head]}" if rank
                         else f"see {marks[head]}")
    return cells, {m: r for r, m in marks.items()}


def _reason_notes(result, suspects: pd.DataFrame) -> str:
    """The repeated reasons of :func:`_footnoted`, as ``(a) ...; (b) ...``."""
    if "why not flagged" not in suspects:
        return ""
    unflagged = ~suspects["is label issue"].to_numpy(dtype=bool)
    position = pd.Series(np.arange(result.table.n), index=pd.Index(result.table.ids))
    rows = position.loc[suspects["id"][unflagged]].to_numpy()
    notes = _footnoted(_not_flagged_reasons(result, rows))[1]
    return " ".join(f"{m} {r}." for m, r in notes.items())


def _rows_with_files(issues: pd.DataFrame) -> list[str]:
    """Each row of the issue table as one cell: ``"701 (Youtube02-KatyPerry.csv row 1)"``."""
    return [f"{r} ({f} row {k})" for r, f, k in
            zip(issues["row"], issues["file"], issues["file_row"], strict=True)]


#: Columns the suspects table adds to the issue table's.
_ADDED_COLUMNS = ("rank", "why not flagged", "also flagged as", "image", "features")


def _with_items(result, top: pd.DataFrame, image_shape: tuple[int, int] | None = None
                ) -> tuple[np.ndarray, list[str]]:
    """Insert into ``top`` (rows of the issue table), after its id, what each item is: its
    text, its image as a thumbnail, or its first feature values. Returns the items' rows
    in the table and the names of the columns holding HTML."""
    t = result.table
    html_cols: list[str] = []
    position = pd.Series(np.arange(t.n), index=pd.Index(t.ids))
    rows = position.loc[top["id"]].to_numpy()
    frame = t.frame
    if t.text_column:
        # a text column named like a column of the table as shown ("id", "rank",
        # "is label issue") is shown as "text"
        taken = {*top.columns, *(c.replace("_", " ") for c in top.columns), *_ADDED_COLUMNS}
        top.insert(1, t.text_column if str(t.text_column) not in taken else "text",
                   [shorten(v, 300) for v in frame[t.text_column].iloc[rows]])
    elif t.feature_columns:
        cols = list(t.feature_columns)
        vals = frame[cols].iloc[rows].to_numpy(dtype=np.float64)
        shape = image_shape_for(len(cols), image_shape)
        if shape is not None:
            uris = thumbnails(vals, shape)
            top.insert(1, "image", [
                f'<img class="thumb" alt="{html.escape(str(i))}" src="{u}"/>'
                for i, u in zip(top["id"], uris, strict=True)])
            html_cols.append("image")
        else:
            shown = cols[:8]
            text = [", ".join(f"{c}={v:.3g}" for c, v in zip(shown, row[:8], strict=True))
                    + (f", ... (+{len(cols) - 8})" if len(cols) > 8 else "") for row in vals]
            top.insert(1, "features", text)
    return rows, html_cols


def _suspects(result, image_shape: tuple[int, int] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The top-ranked rows as shown, and the names of the columns holding HTML."""
    top = result.issues.head(_TOP).copy()
    rows, html_cols = _with_items(result, top, image_shape)
    if "file" in top.columns:
        top["row"] = _rows_with_files(top)
    # Datalab's flags in one column (three of them made the table wider than the page)
    flags = {"is_outlier": "outlier", "is_near_duplicate": "near duplicate",
             "is_conflicting_duplicate": "conflicting duplicate"}
    present = [c for c in flags if c in top.columns]
    if present:
        at = top.columns.get_loc(present[0])
        also = [", ".join(flags[c] for c in present if not pd.isna(row[c]) and bool(row[c]))
                for _, row in top[present].iterrows()]
        top = top.drop(columns=present)
        top.insert(at, "also flagged as", also)
    keep = [c for c in top.columns if c not in ("near_duplicate_set", "conflicting_duplicate_set",
                                                "file", "file_row")]
    top = top[keep]
    unflagged = ~top["is_label_issue"].to_numpy(dtype=bool)
    if unflagged.any():
        why = np.full(len(top), "", dtype=object)
        why[unflagged] = _footnoted(_not_flagged_reasons(result, rows[unflagged]))[0]
        top["why not flagged"] = why
    top.insert(0, "rank", np.arange(1, len(top) + 1))
    # the issue table's names as words; a text column keeps its own name
    words = {c: c.replace("_", " ") for c in result.issues.columns if c != "id"}
    return top.rename(columns=words), html_cols


def _posterior_plot(v):
    x, pmf = v.density()
    fig, ax = subplots(figsize=(6, 3.0))
    keep = pmf > pmf.max() * 1e-4
    lo_i, hi_i = np.flatnonzero(keep)[[0, -1]]
    xs, ps = x[lo_i:hi_i + 1], pmf[lo_i:hi_i + 1] * v.n_items  # density of the rate
    ax.plot(xs, ps, color="#333333")
    inside = (xs >= v.low) & (xs <= v.high)
    ax.fill_between(xs, 0, ps, where=inside, color="#5b8def", alpha=0.5,
                    label=f"{round(v.confidence * 100)}% interval")
    ax.axvline(v.estimate, color="#d9534f", label=f"estimate {v.estimate:.2%}")
    ax.set_xlabel("share of items whose given label is wrong")
    ax.set_ylabel("posterior density")
    ax.xaxis.set_major_formatter(lambda val, _pos: f"{val:.0%}" if val >= 0.1 else f"{val:.1%}")
    ax.legend(fontsize=8)
    return fig


def _verified_section(r, v) -> None:
    r.heading("Verified error rate")
    rows = {
        "label-error rate (estimate, credible interval)": str(v),
        "reviewed": f"{v.n_reviewed} of {v.n_planned} planned items "
                    f"({v.n_errors} with a wrong given label"
                    f"{' by the reviewers, who may err' if any(v.reviewer_error) else ''})",
    }
    if v.flag_precision is not None:
        rows["precision of the flags (flagged items that are errors)"] = str(v.flag_precision)
    if v.missed_errors is not None:
        from dataqa.audit.review import missed_errors_line

        rows["label errors among unflagged items"] = missed_errors_line(v).split(": ", 1)[1]
    rows["label errors in the dataset"] = v.n_errors_total.format("{:.0f}")
    r.key_values(rows)
    r.paragraph(v.describe(), css_class="note")
    r.figure(_posterior_plot(v), alt="posterior of the label-error rate")
    r.heading("Per stratum", level=3)
    r.table(v.strata.round(4))
    r.heading("Per given class", level=3)
    r.table(v.per_class.round(4))


#: Conflicting duplicate sets shown in the report (all are in conflicting_duplicates.csv).
_TOP_SETS = 50


#: Ids of a duplicate set shown in the report; the rest are counted (all are in the CSV).
_SET_IDS_SHOWN = 10


def _some_ids(ids) -> str:
    ids = [str(i) for i in ids]
    more = len(ids) - _SET_IDS_SHOWN
    return ", ".join(ids[:_SET_IDS_SHOWN]) + (f", ... and {more} more" if more > 0 else "")


def _label_counts(labels) -> str:
    """``'ham, spam'`` for a set of two, ``'ham (60), spam (43)'`` when a label repeats."""
    counts = pd.Series([str(v) for v in labels]).value_counts(sort=False)
    if counts.max() == 1:
        return ", ".join(counts.index)
    return ", ".join(f"{k} ({n})" for k, n in counts.items())


def _conflicts_section(r: HtmlReport, result) -> None:
    """Duplicates with different labels: at most one of the labels in a set can be right."""
    sets = getattr(result, "conflicting_duplicates", None)
    if sets is None or not len(sets):
        return
    t = result.table
    r.heading("Duplicates with conflicting labels")
    r.paragraph(
        f"{len(sets)} set(s) of exact or near copies of one item were given different labels, "
        f"the strongest evidence of a label error there is: copies share one true class. "
        f"Each member's label-issue score is weighed with the set's pooled evidence (the "
        f"members' labels and the model's probabilities): raised for a member whose label "
        f"the set outvotes, lowered for those labeled with its likely class, so the former "
        f"rank high in the list below and in issues.csv, and the others do not.",
        css_class="note")
    shown = sets.head(_TOP_SETS)
    content = []
    for rows in shown["rows"]:
        first = int(rows[0])
        if t.text_column:
            content.append(shorten(t.frame[t.text_column].iloc[first], 200))
        else:
            cols = list(t.feature_columns)[:6]
            vals = t.frame[cols].iloc[first].to_numpy(dtype=np.float64)
            content.append(", ".join(f"{c}={v:.3g}" for c, v in zip(cols, vals, strict=True)))
    table = pd.DataFrame({
        "set": shown["set_id"].to_numpy(), "kind": shown["kind"].to_numpy(),
        "items": shown["size"].to_numpy(),
        "ids": [_some_ids(v) for v in shown["ids"]],
        "given labels": [_label_counts(v) for v in shown["labels"]],
        "content (first copy)": content})
    r.table(table)
    if len(sets) > _TOP_SETS:
        r.paragraph(f"... and {len(sets) - _TOP_SETS} more sets in conflicting_duplicates.csv.",
                    css_class="note")


def check_image_shape(result, image_shape) -> tuple[int, int] | None:
    """The image shape of the audited rows (see :func:`audit_report`), checked before writing.

    Raises
    ------
    InvalidSettingError
        When ``image_shape`` is malformed, or given for a text audit, or its pixels do not
        match the number of feature columns.
    """
    from dataqa.errors import InvalidSettingError

    shape = parse_image_shape(image_shape)
    t = result.table
    if shape is None:
        return None
    if t.text_column or not t.feature_columns:
        raise InvalidSettingError(
            f"--image-shape {shape[0]}x{shape[1]} needs numeric feature columns (pixels); "
            f"this audit used the text column {t.text_column!r}; leave --image-shape out.")
    return image_shape_for(len(t.feature_columns), shape)


def _near_groups(result, dup: pd.DataFrame) -> pd.DataFrame:
    """Datalab's near-duplicate items as sets (an item and its copies, linked through any
    member), one row each: size, ids, given labels, whether they agree, first copy."""
    t = result.table
    ids = [str(i) for i in dup["id"]]
    parent = {i: i for i in ids}

    def root(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i
    for i, linked in zip(ids, dup["near_duplicate_set"], strict=True):
        for j in split_values(linked):
            if j in parent:
                parent[root(j)] = root(i)
    label = dict(zip(ids, dup["given_label"], strict=True))
    members: dict[str, list[str]] = {}
    for i in ids:
        members.setdefault(root(i), []).append(i)
    position = pd.Series(np.arange(t.n), index=pd.Index([str(i) for i in t.ids]))
    rows = []
    for group in members.values():
        labels = [label[i] for i in group]
        first = int(position[group[0]])
        if t.text_column:
            content = shorten(t.frame[t.text_column].iloc[first], 200)
        elif t.feature_columns:
            cols = list(t.feature_columns)[:6]
            vals = t.frame[cols].iloc[first].to_numpy(dtype=np.float64)
            content = ", ".join(f"{c}={v:.3g}" for c, v in zip(cols, vals, strict=True))
        else:
            content = ""
        rows.append({"items": len(group), "ids": ", ".join(group[:10])
                     + (f" and {len(group) - 10} more" if len(group) > 10 else ""),
                     "given labels": ", ".join(map(str, labels[:10])),
                     "labels agree": "yes" if len(set(map(str, labels))) == 1 else "no",
                     "content (first copy)": content})
    out = pd.DataFrame(rows, columns=["items", "ids", "given labels", "labels agree",
                                      "content (first copy)"])
    return out.sort_values(["labels agree", "items"], ascending=[True, False],
                           kind="mergesort").reset_index(drop=True)


def audit_report(result, *, image_shape=None) -> HtmlReport:
    """Build the HTML report of an :class:`~dataqa.audit.AuditResult`.

    Parameters
    ----------
    result : AuditResult
    image_shape : "HxW" or (H, W), optional
        Show each suspect's feature row as a thumbnail of this shape (row-major pixels;
        darker = higher value). Without it, rows of 64, 256, 784 or 1,024 features are
        shown as square images, any other numeric rows as their first values.

    Raises
    ------
    InvalidSettingError
        When ``image_shape`` does not fit the features (nothing is written).
    """
    image_shape = check_image_shape(result, image_shape)
    s = result.summary
    r = HtmlReport("dataqa audit report")
    r.heading("Summary")
    m = result.model_error_rate
    rows = {
        "items": s["n"],
        "classes": s["n_classes"],
        "flagged as label issues (the review worklist)":
            f"{result.n_flagged} ({result.flagged_fraction:.2%} of items; not an error rate)",
    }
    if m is not None:
        rows["model-based error-rate range (not verified)"] = (
            f"{rate_text(m.low)} - {rate_text(m.high)}" + (
                "; the verified error rate below is measured" if result.verified is not None
                else f"; review {m.review_size} items to know it" if m.review_size else ""))
    if result.verified is not None:
        rows["verified error rate"] = str(result.verified)
    n_sets = s.get("n_conflicting_duplicate_sets", 0)
    if n_sets:
        rows["duplicates with conflicting labels"] = (
            f"{n_sets} set(s), {s.get('n_conflicting_duplicates', 0)} items")
    rows.update({
        "out-of-sample accuracy of the model": f"{s['out_of_sample_accuracy']:.2%}",
        "cross-validation folds": s["cv_folds"],
        "features": ", ".join(s["features"]),
    })
    r.key_values(rows)
    note = (
        "Flagged items are the worklist of confident learning (cleanlab): their share is "
        "not the share of wrong labels, since some flags are wrong and some errors are "
        "missed.")
    if m is not None:
        methods = ", ".join(f"{k.replace('_', ' ')} {v:.1%}" for k, v in m.methods.items())
        note += (
            f" The model-based range runs from the smallest to the largest of four "
            f"estimates from the model's out-of-sample probabilities ({methods}); on real, "
            f"instance-dependent noise they err in opposite directions, but none is "
            f"verified and the range claims no probability of holding the truth.")
        if m.review_size:
            note += (f" Reviewing {m.review_size} items chosen by `dataqa review plan` "
                     f"(blind: no label shown) is expected to give a verified 95% interval "
                     f"at most {m.review_width * 100:.0f} points wide, if the labels are about "
                     f"as wrong as the model expects (more errors than it sees, as when "
                     f"one class's labels were flipped, widen it; `dataqa review estimate` "
                     f"then says how many more items to review).")
    r.paragraph(note, css_class="note", code=True)  # (counts and method names only)
    _conflicts_section(r, result)
    if result.verified is not None:
        _verified_section(r, result.verified)
    r.heading("Class counts")
    r.table(pd.DataFrame({"class": s["class_names"],
                          "items": [s["class_counts"][c] for c in s["class_names"]],
                          "flagged": [s["issues_per_class"].get(c, 0) for c in s["class_names"]]}))
    r.heading("Issues per class")
    if int(result.issues["is_label_issue"].sum()):
        r.figure(_issues_per_class(result), alt="issues per class")
        r.heading("Given vs suggested label")
        r.figure(_confusion(result), alt="confusion of flagged items")
    else:  # (two empty charts read as data: a scale around 0, one solid square)
        r.paragraph("No item is flagged, so there is no chart of flagged items per class "
                    "or of their given vs suggested label.", css_class="note")
    r.heading("Score distribution")
    r.figure(_score_hist(result), alt="score histogram")
    r.heading(f"Top {_TOP} suspects")
    suspects, html_cols = _suspects(result, image_shape)
    n_unflagged = int((~suspects["is label issue"].astype(bool)).sum())
    if n_unflagged:
        r.paragraph(
            f"{n_unflagged} of these {len(suspects)} rows are ranked high but not flagged: "
            "cleanlab does not flag by rank but, within each given class, only as many items "
            "as its confident joint estimates are mislabeled (those whose likely class beats "
            "the given one by the largest margin), and never an item whose given label is "
            "still the model's most likely class; the last column says which applied."
            + (f" Reasons that apply to several rows: {notes}" if (notes := _reason_notes(
                result, suspects)) else ""),
            css_class="note")
    r.table(suspects, html_columns=html_cols)
    r.heading("Datalab findings")
    if not result.datalab:
        r.paragraph("Datalab was not run (datalab=False).", css_class="note")
    else:
        dl = result.datalab
        r.key_values({
            "outliers": dl.get("n_outliers", "n/a"),
            "items in near-duplicate sets": dl.get("n_near_duplicates", "n/a"),
            "classes flagged as imbalanced": ", ".join(dl.get("imbalanced_classes", [])) or "none",
            "rarest class": f"{dl.get('rarest_class', 'n/a')} "
                            f"({dl.get('rarest_class_fraction', float('nan')):.1%} of items)",
        })
        iss = result.issues
        if "is_outlier" in iss:
            out = iss[iss["is_outlier"].fillna(False)].sort_values("outlier_score", ascending=False)
            r.heading("Outliers (higher score = more unusual)", level=3)
            if out.empty:
                r.paragraph("Datalab found no outliers.", css_class="note")
            else:
                shown = out[[c for c in ("id", "given_label", "outlier_score",
                                         "label_issue_score", "row") if c in out.columns]
                            ].head(30).copy()
                if "file" in out.columns:  # as in the suspects table
                    shown["row"] = _rows_with_files(out.head(30))
                _, html_cols = _with_items(result, shown, image_shape)  # what makes it unusual
                r.table(shown.rename(columns=lambda c: c.replace("_", " ")),
                        html_columns=html_cols)
                if len(out) > 30:
                    r.paragraph(f"The 30 most unusual of the {len(out)} outliers; issues.csv "
                                f"lists every one (is_outlier).", css_class="note")
        if "is_near_duplicate" in iss:
            dup = iss[iss["is_near_duplicate"].fillna(False)]
            r.heading("Near duplicates", level=3)
            if dup.empty:
                r.paragraph("Datalab found no near duplicates.", css_class="note")
            else:
                groups = _near_groups(result, dup)
                r.paragraph(f"{len(dup)} items in {len(groups)} set(s) of near copies, each "
                            f"set shown once; sets whose members were given different labels "
                            f"first. issues.csv names each item's copies "
                            f"(near_duplicate_set).", css_class="note")
                r.table(groups, max_rows=30)
    models = s.get("models", {})
    if models:
        r.heading("Models")
        r.raw("<ul>" + "".join(
            f"<li>{html.escape(k)}: {html.escape(str(v.get('model')))}"
            + (f", C={v['C']}" if "C" in v and "C=" not in str(v.get("model")) else "")
            + "</li>" for k, v in models.items()) + "</ul>")
    return r
