"""The HTML report of a :class:`~dataqa.drift.result.DriftResult`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dataqa.report import HtmlReport, shorten, subplots

__all__ = ["drift_report", "timeline_figure"]


def _effects_figure(result):
    cols = result.columns.sort_values("effect", ascending=True).tail(30)
    fig, ax = subplots(figsize=(7, 0.25 * len(cols) + 1.2))
    colors = ["#c0392b" if d else "#7f8c8d" for d in cols["drifted"]]
    ax.barh(cols["column"].astype(str), cols["effect"], color=colors)
    ax.axvline(result.settings.get("min_effect", 0.0), color="k", ls="--", lw=1,
               label="min_effect")
    ax.set_xlabel("effect (red: drifted)")
    ax.legend(loc="lower right")
    return fig


def timeline_figure(windows: pd.DataFrame, chunks: pd.DataFrame | None, *,
                    value: str = "max_effect", threshold: float | None = None):
    """Per-window ``value`` with alarming windows marked red, windows not tested (no
    value) as grey crosses at the foot, and the range of the reference chunks
    (leave-one-chunk-out) as a grey band. Time windows (which have an
    ``end``) sit at their start times, so a gap in the data shows as one; chunks of rows
    are evenly spaced."""
    fig, ax = subplots(figsize=(10, 3))
    timed = "end" in windows.columns
    x = _times(windows["window"]) if timed else np.arange(len(windows))
    if chunks is not None and len(chunks):
        lo, hi = float(chunks[value].min()), float(chunks[value].max())
        ax.axhspan(lo, hi, color="#bbb", alpha=0.4,
                   label="range of the reference chunks\n(each against the rest)")
    line_x, line_y = x, windows[value].to_numpy(float)
    if timed and len(windows) > 1:
        # no line across a span with no data: a missing point where a window does not
        # start at the end of the one before
        ends = _times(windows["end"])
        gaps = np.flatnonzero(x[1:] > ends[:-1]) + 1
        line_x = np.insert(x, gaps, ends[gaps - 1])
        line_y = np.insert(line_y, gaps, np.nan)
    ax.plot(line_x, line_y, "-", color="#34495e")
    ax.plot(x, windows[value], "o", color="#34495e", label="window")
    alarm = windows["drifted"].fillna(False).to_numpy(bool)  # untested windows: missing
    ax.scatter(x[alarm], windows[value].to_numpy()[alarm], s=90, color="#c0392b", zorder=3,
               label="drift alarm")
    if threshold is not None:
        ax.axhline(threshold, color="k", ls="--", lw=1, label="min_effect")
    vals = np.r_[windows[value].to_numpy(float), chunks[value].to_numpy(float)
                 if chunks is not None and len(chunks) else []]
    vals = vals[np.isfinite(vals)]
    if vals.size and vals.min() > 0 and vals.max() / vals.min() > 30:
        ax.set_yscale("log")
    untested = ~np.isfinite(windows[value].to_numpy(float))
    if untested.any():  # at the foot of the plot: they have no value to stand at
        lo, hi = ax.get_ylim()
        ax.scatter(x[untested], np.full(int(untested.sum()), lo), marker="x", s=40,
                   color="#7f8c8d", clip_on=False, zorder=3,
                   label="not tested\n(too few rows)")
        ax.set_ylim(lo, hi)
    if timed:  # dates chosen and written by matplotlib, so close windows do not overlap
        import matplotlib.dates as mdates

        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        # day ticks name their month ("Feb 03"), the corner the year: "2026-Feb" there read
        # as the month of every tick while they ran over January and February
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(
            locator, formats=["%Y", "%b", "%b %d", "%H:%M", "%H:%M", "%S.%f"],
            offset_formats=["", "%Y", "%Y", "%Y-%b-%d", "%Y-%b-%d", "%Y-%b-%d %H:%M"]))
    else:
        step = max(1, -(-len(windows) // 20))  # at most 20 labels
        ax.set_xticks(x[::step])
        ax.set_xticklabels([str(w) for w in windows["window"].iloc[::step]], rotation=30,
                           ha="right", fontsize=8)
    ax.set_ylabel(_VALUE_NAMES.get(value, value))
    ax.set_xlabel("window start" if timed else "window (rows of the current table)")
    # beside the plot, where it hides no window
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return fig


#: Words for the timeline's value on its axis.
_VALUE_NAMES = {"max_effect": "largest column effect"}


def no_better_than_majority(result) -> float | None:
    """The reference's most common class share when the model's out-of-fold accuracy is
    not clearly above it (one-sided binomial test at 5% over the reference rows: 0.506
    against 0.5 on 350 rows is not), else None. The class mix and accuracy estimates of
    such a model say nothing."""
    from scipy.stats import binom

    acc = (result.estimated_accuracy or {}).get("reference_accuracy")
    if acc is None or not result.label_shift:
        return None
    majority = max(v["reference_prior"] for v in result.label_shift.values())
    n = int(result.n_reference)
    correct = int(round(acc * n))
    return majority if binom.sf(correct - 1, n, majority) > 0.05 else None


def observed_accuracy_text(result) -> str:
    """The line that gives the accuracy on the current rows that carry a label."""
    o = result.observed_accuracy
    other = (f"; {o['n_other_class']} of them of a class the reference lacks, counted wrong"
             if o["n_other_class"] else "")
    return (f"accuracy on the {o['n']:,} current rows that carry a label: {o['accuracy']:.3f} "
            f"[{o['low']:.3f}, {o['high']:.3f}] ({o['n_correct']:,} right{other}; the "
            f"interval holds for all current rows only if these are a random sample of them)")


def observed_mix_text(result) -> str | None:
    """The class mix of the current rows that carry a label (counted, not estimated), or
    None when none does: the line beside the estimated class mix."""
    from dataqa.drift.observed import _label_texts

    col = result.label_column
    if (result.observed_accuracy is None or result.current is None or col is None
            or col not in result.current.columns or not result.label_shift):
        return None
    texts = _label_texts(result.current[col])  # (1.0 read as 1, as the accuracy reads it)
    given = pd.Series([t for t in texts if t is not None], dtype=object)
    if given.empty:
        return None
    counts = given.value_counts()
    names = [str(c) for c in result.label_shift]
    parts = [f"{n}: {counts.get(n, 0) / len(given):.2f}" for n in names[:6]]
    other = int(len(given) - counts.reindex(names, fill_value=0).sum())
    return (f"class mix of the {len(given):,} current rows that carry a label: "
            + "; ".join(parts) + (f" and {len(names) - 6} more classes" if len(names) > 6
                                  else "")
            + (f"; {other / len(given):.2f} of a class the reference lacks" if other else "")
            + " (counted; the estimate above is the model's, for all current rows)")


def never_predicted(result) -> list[tuple[str, int, str]]:
    """``(class, reference rows, class its rows are mostly predicted as)`` for each class
    of the reference that the out-of-fold model never predicts there, most rows first."""
    probs, labels = getattr(result, "reference_probs", None), getattr(result, "reference_labels", None)
    names = getattr(result, "class_names", None)
    if probs is None or labels is None or not names:
        return []
    pred = np.asarray(probs).argmax(axis=1)
    labels = np.asarray(labels)
    found = []
    for k, name in enumerate(names):
        rows = int((labels == k).sum())
        if rows and not (pred == k).any():
            like = np.bincount(pred[labels == k], minlength=len(names)).argmax()
            found.append((str(name), rows, str(names[like])))
    return sorted(found, key=lambda f: -f[1])


def model_check_notes(result) -> list[str]:
    """The caveats under the estimated accuracy and class mix, as the command line and
    the report say them: the whole-table tests see the inputs change (the estimates
    assume the model errs as on the reference); a class share pinned at 0 or 1 by
    every bootstrap draw (the predictions fit no class mix of the reference's rows);
    the model no better than its most common class."""
    notes = []
    whole = [name for name, v in result.multivariate.items() if v.get("drifted")]
    if whole and result.estimated_accuracy is not None:
        known = ("the accuracy on the current rows that carry a label is measured, not "
                 "assumed" if result.observed_accuracy is not None else
                 "label a sample of the queue to know")
        notes.append(f"the whole-table tests ({', '.join(whole)}) see the inputs change; the "
                     f"estimated accuracy and class mix assume the model errs on these rows "
                     f"as on the reference, which such a change can break unseen (a new "
                     f"source, new topics): {known}.")
    pinned = [(name, v) for name, v in (result.label_shift or {}).items()
              if v["low"] == v["high"] and v["prior"] == v["low"] and v["prior"] in (0.0, 1.0)]
    if pinned:
        name, v = max(pinned, key=lambda nv: nv[1]["prior"])
        notes.append(f"the class mix sits at its edge ({name!r}: {v['prior']:.0f}, interval "
                     f"included): the current predictions fit no mix of the reference's "
                     f"classes, so the rows changed in more than their class mix and these "
                     f"shares, intervals included, are not estimates of it.")
    unseen = never_predicted(result)
    if unseen:
        name, rows, like = unseen[0]
        rare = {u[0] for u in unseen}
        others = {c: v for c, v in (result.label_shift or {}).items() if c not in rare}
        widest = max(others.items(), key=lambda cv: cv[1]["high"] - cv[1]["low"], default=None)
        widths = (f" (widest: {widest[0]!r} {widest[1]['prior']:.2f} [{widest[1]['low']:.2f}, "
                  f"{widest[1]['high']:.2f}])" if widest is not None else "")
        more = (f" ({len(unseen) - 1} more such {'class' if len(unseen) == 2 else 'classes'}: "
                f"{', '.join(repr(u[0]) for u in unseen[1:4])})" if len(unseen) > 1 else "")
        notes.append(f"class {name!r} ({rows} reference rows, predicted as {like!r}) is never "
                     f"the model's prediction on the reference{more}: the class mix is "
                     f"ill-determined with it (the reference's resamples with and without its "
                     f"rows disagree), so the intervals widen{widths}; merge it into "
                     f"another class or drop its rows, or label more of it.")
    majority = no_better_than_majority(result)
    if majority is not None:
        notes.append(f"the model is not clearly better on the reference than always "
                     f"predicting its most common class (out-of-fold accuracy "
                     f"{result.estimated_accuracy['reference_accuracy']:.3f}, that class "
                     f"{majority:.3f}): the class mix and accuracy say nothing. Is the text "
                     f"column named (--text-column)?")
    return notes


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _ood_label(result) -> str:
    return (f"current items above the reference's 95% OOD threshold "
            f"({(result.ood or {}).get('score', 'msp')} score)")


def windows_summary(windows) -> str:
    """``k of m tested windows alarm; u not tested (fewer than 10 rows)``."""
    flags = windows["drifted"]
    tested = flags.notna()
    untested = int((~tested).sum())
    return (f"{int(flags[tested].astype(bool).sum())} of {int(tested.sum())} tested windows "
            f"alarm" + (f"; {untested} not tested (fewer than 10 rows)" if untested else ""))


def share_moved(share: dict) -> bool:
    """Whether a class's share (a ``label_shift`` entry or a ``window_label_shift`` row)
    moved beyond chance (its ``moved``, see :func:`~dataqa.drift.label_shift`); for an
    entry saved without it, whether its interval leaves the reference's share out."""
    moved = share.get("moved")
    if moved is not None and not (isinstance(moved, float) and np.isnan(moved)):
        return bool(moved)
    return not share["low"] <= share["reference_prior"] <= share["high"]


def verdict(result) -> tuple[str, str]:
    """``(kind, words)`` of a run's headline, as the command line prints it and the report
    shows it: ``("drift", "drift")``; ``("whole", "no column drifted, but the whole table
    did")`` when only a whole-table test alarms; ``("mix", "no column drifted, but the
    class mix moved")`` when only a class's share moved (:func:`share_moved`);
    ``("none", "no drift")``."""
    if result.drifted:
        return "drift", "drift"
    whole = [name for name, v in result.multivariate.items() if v.get("drifted")]
    if whole:  # the column-wise verdict stays the headline; the whole table's is beside it
        return "whole", f"no column drifted, but the whole table did ({', '.join(whole)})"
    if any(share_moved(v) for v in (result.label_shift or {}).values()):
        return "mix", "no column drifted, but the class mix moved"
    return "none", "no drift"


def drift_report(result) -> HtmlReport:
    """Build the report (summary, columns, multivariate tests, model checks, windows,
    labeling queue)."""
    r = HtmlReport("Drift report")
    s = result.settings
    names = [str(c) for c in result.columns.loc[result.columns["drifted"].astype(bool), "column"]]
    shown = (": " + ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10
                                              else "")) if names else ""
    windows = ({"windows": windows_summary(result.windows)}
               if result.windows is not None else {})
    r.heading("Summary").key_values({
        **{f"{name} data": s[f"{name}_source"] for name in ("reference", "current")
           if s.get(f"{name}_source")},
        "verdict": verdict(result)[1],
        "drifted": result.drifted,
        "reference rows": result.n_reference,
        "current rows": result.n_current,
        "drifted columns": f"{len(names)} of {len(result.columns)}{shown}",
        **windows,
        "alpha / correction": f"{s.get('alpha')} / {s.get('correction')}",
        "min_effect": s.get("min_effect"),
        **({"text features": s["text_features"]}
           if "text" in set(result.columns.get("kind", ())) and "text_features" in s else {}),
    })
    r.paragraph("A column is drifted when its adjusted p-value is at most alpha and its effect "
                "(normalised Wasserstein for numbers, Jensen-Shannon distance for categories, "
                "the largest one over the SVD components for text) reaches min_effect. The "
                "data (and each window) is drifted when a column is; the whole-table tests "
                "(MMD, classifier) are reported with their own p-values and do not decide it.",
                css_class="note")
    if result.windows is not None:
        r.heading("Timeline")
        tested = result.windows.get("max_effect")
        if tested is not None and tested.notna().any():
            r.figure(timeline_figure(result.windows, result.reference_chunks,
                                     threshold=s.get("min_effect")), alt="timeline")
            r.paragraph("Each point is the window's largest column effect; a window alarms "
                        "(red) when a column's adjusted p-value is at most alpha and its "
                        "effect reaches min_effect, so a high point on few rows, whose tests "
                        "are weak, need not alarm; a grey cross at the foot marks a window "
                        "with too few rows to test.", css_class="note")
        else:
            r.paragraph("No window has 10 rows or more, so none was tested and there is no "
                        "timeline; use longer windows.", css_class="note")
        if s.get("rows_without_time"):
            r.paragraph(f"{s['rows_without_time']} current rows have no time in "
                        f"{s['time_column']!r}: they are in no window, but in the comparison "
                        f"of the whole current data above.", css_class="note")
        if "estimated_accuracy" in result.windows.columns:
            r.paragraph("A window's estimated accuracy, like the whole data's, assumes the "
                        "model errs on its rows as on the reference's: a window whose rows "
                        "are unlike the reference's (new topics, new sources) can be read far "
                        "too high. Where a window has rows with labels, its observed accuracy "
                        "is measured instead; trust that one.", css_class="note")
        # a row each made the table tall; one whose labeled rows were measured stays
        observed = result.windows.get("observed_n")
        untested = result.windows["drifted"].isna() & (
            observed.fillna(0).eq(0) if observed is not None else True)
        if untested.any() and not untested.all():
            k = int(untested.sum())
            r.paragraph((f"The {k} windows with fewer than 10 rows and no labeled row were "
                         f"not tested and are " if k > 1 else "The window with fewer than 10 "
                         "rows and no labeled row was not tested and is ")
                        + "left out of this table (`result.windows`, and the `windows.csv` "
                        "of `dataqa drift`, list every window).", css_class="note", code=True)
            r.table(_spaced(_windows_shown(result.windows[~untested])),
                    one_line=("window", "end"), wide=("note", "drifted columns"))
        else:
            r.table(_spaced(_windows_shown(result.windows)), one_line=("window", "end"),
                    wide=("note", "drifted columns"))
        shares = getattr(result, "window_label_shift", None)
        if shares is not None and len(shares):
            untested = int(result.windows["drifted"].isna().sum())
            r.paragraph("Class mix of each window: the estimated share of each class (BBSE, "
                        "from the whole run's model) with a 95% interval of its share in the "
                        "population the window was drawn from, beside the reference's share; "
                        "marked * where the share moved beyond chance (the difference from the "
                        "reference's share, corrected over the classes: without a change of "
                        "the class mix, some class of a window is marked in at most about 5% "
                        "of windows). As for the whole data, it assumes "
                        "that only the class mix changed."
                        + ((f" The {untested} untested windows (fewer than 10 rows) are "
                            f"left out." if untested > 1 else " The untested window (fewer "
                            "than 10 rows) is left out.") if untested else ""),
                        css_class="note")
            r.table(_shares_shown(shares, result.windows), one_line=("window",))
        if result.reference_chunks is not None:
            r.paragraph("Reference chunks (spread over the reference, in row order), each "
                        "compared with the rest of the reference: when the reference is one "
                        "population, what windows without drift look like.", css_class="note")
            if s.get("reference_chunks_note"):
                r.paragraph(_sentence(s["reference_chunks_note"]), css_class="note")
            r.table(_spaced(_windows_shown(result.reference_chunks)),
                    one_line=("window", "end"))
        elif s.get("reference_chunks_note") and tested is not None and tested.notna().any():
            # (with no window tested, the note above already says why)
            r.paragraph(_sentence(s["reference_chunks_note"]), css_class="note")
    r.heading("Columns")
    if s.get("skipped_columns"):
        by_share = set(result.columns.loc[result.columns["kind"].isin(["time", "identifier"]),
                                          "column"])
        r.paragraph("Not compared by value: " + "; ".join(
            f"{c} ({why}{'; its missing share is compared below' if c in by_share else ''})"
            for c, why in s["skipped_columns"].items()) + ".", css_class="note")
    if s.get("list_columns"):
        r.paragraph("Lists compared position by position (one row per position below): "
                    + ", ".join(f"{c}, {k} positions ({c}[0] to {c}[{k - 1}])"
                                for c, k in s["list_columns"].items()) + ".",
                    css_class="note")
    r.figure(_effects_figure(result), alt="effects")
    table = result.columns.sort_values(["drifted", "effect"], ascending=False).copy()
    for c in ("missing_reference", "missing_current", "unseen_current"):  # shares of rows
        if c in table.columns:
            table[c] = ["" if pd.isna(v) else "<0.1%" if 0 < v < 0.0005 else
                        ">99.9%" if 0.9995 <= v < 1 else f"{v:.1%}" for v in table[c]]
    r.paragraph("psi: the population stability index over the reference's deciles (numbers, "
                "missing values one bin more) "
                "or the categories (the 20 most frequent and the rest for a column of more "
                "than 21 values; missing and present for a missing-share test); missing and "
                "unseen: shares of the rows (unseen: current rows holding a value the "
                "reference lacks). statistic: the largest gap between the two cumulative "
                "distributions (ks), Cramér-von Mises' T (cvm), Pearson's X² (chi2, binned "
                "chi2, chi2 + top 20: of every value), the unbiased MMD² (mmd, a text "
                "column's), and for a missing-share test (fisher) the current share of "
                "missing values minus the reference's.", css_class="note")
    # what a reader looks for first, then how it was tested (a wide table scrolls)
    first = [c for c in ("column", "drifted", "effect", "largest_change", "p_adjusted")
             if c in table.columns]
    table = table[first + [c for c in table.columns if c not in first]]
    r.table(_spaced(table), wide=("largest change",))
    if result.multivariate:
        r.heading("Whole-table tests")
        said = {"mmd": "mmd: the statistic is the unbiased estimate of MMD² (RBF kernel), 0 "
                       "in expectation when the tables come from one distribution",
                "classifier": "classifier: the statistic is the AUROC of a classifier told to "
                              "tell current rows from reference ones (0.5 when it cannot)"}
        if known := [said[k] for k in result.multivariate if k in said]:
            r.paragraph("; ".join(known) + ".", css_class="note")
        if "mmd" in result.multivariate and s.get("n_permutations"):
            P = int(s["n_permutations"])
            r.paragraph(f"The MMD p-value is (b + 1) / (P + 1), b being how many of the "
                        f"P = {P:,} random splits of the pooled rows reach the observed "
                        f"statistic: its smallest value, {1 / (P + 1):.4g}, reads \"at most "
                        f"{1 / (P + 1):.4g}\".", css_class="note")
        tests = pd.DataFrame([{"test": k, **v} for k, v in result.multivariate.items()])
        for c in ("reference_rows", "current_rows"):  # counts, blank for the classifier
            if c in tests.columns:
                tests[c] = tests[c].astype("Int64")
        r.table(_spaced(tests))
        if result.driving_features is not None:
            r.paragraph("Columns that drive the reference-vs-current classifier:",
                        css_class="note")
            r.table(result.driving_features.head(15))
    if result.estimated_accuracy is None and result.prediction_drift is not None:
        r.heading("Model checks")
        r.key_values({_ood_label(result):
                      f"{result.ood['fraction']:.3f} (no shift: about {result.ood['expected']:.2f})"})
        r.paragraph("Shift of the predicted probabilities (KS per class, corrected):",
                    css_class="note")
        r.table(result.prediction_drift)
    if result.estimated_accuracy is not None:
        a = result.estimated_accuracy
        r.heading("Model checks")
        r.key_values({
            "estimated accuracy on current (95% interval of the accuracy on these items)":
                f"{a['estimate']:.3f} [{a['low']:.3f}, {a['high']:.3f}]",
            **({"accuracy on the current rows that carry a label (95% exact interval)":
                observed_accuracy_text(result).split(": ", 1)[1]}
               if result.observed_accuracy is not None else {}),
            **({"class mix of the current rows that carry a label": mix.split(": ", 1)[1]}
               if (mix := observed_mix_text(result)) is not None else {}),
            "out-of-fold accuracy on reference": f"{a['reference_accuracy']:.3f}",
            _ood_label(result):
                f"{result.ood['fraction']:.3f} (no shift: about {result.ood['expected']:.2f})",
        })
        ls = pd.DataFrame([{"class": k, **v} for k, v in result.label_shift.items()])
        r.paragraph("Label shift: estimated class shares of the current data (BBSE) with 95% "
                    "bootstrap intervals of the current population's share. They assume that "
                    "only the class mix changed (each class's rows look as in the reference); "
                    "under covariate or concept shift they can be far off, intervals included.",
                    css_class="note")
        for note in model_check_notes(result):
            r.paragraph(f"Note: {note}", css_class="note")
        if len(ls):  # as the command line marks it
            ls["moved"] = ["*" if share_moved(v) else "" for v in result.label_shift.values()]
            r.paragraph("moved: * where the class's share differs from the reference's "
                        "beyond chance (a bootstrap interval of the difference, counting the "
                        "reference sample's own noise, corrected over the classes: without a "
                        "change of the class mix some class is marked in at most about 5% of "
                        "runs).",
                        css_class="note")
        r.table(_spaced(ls.rename(columns={"prior": "estimated share",
                                           "reference_prior": "reference share"})))
        r.paragraph("Shift of the predicted probabilities (KS per class, corrected):",
                    css_class="note")
        r.table(result.prediction_drift)
    r.heading("Label first")
    rank_by = result.settings.get("queue_rank_by", "mean")
    import warnings

    with warnings.catch_warnings():  # (said once, where the queue was made)
        warnings.filterwarnings("ignore", message=r"--rank-by .*: no item has")
        q = result.label_queue(top=None, rank_by=rank_by)
    notes = result.queue_notes(q)  # rows left out: no text, or labeled already
    shown = ("id", "score", "unlike_score", "uncertainty", "prediction", "probability", "text",
             "copies")
    q = q.drop(columns=[c for c in q.columns if c not in shown])
    if "text" in q.columns:
        q["text"] = [shorten(t, 300) for t in q["text"]]
    legend = {}
    if q["unlike_score"].notna().any():
        legend["unlike_score"] = ("how unlike the reference the item looks (the out-of-fold "
                                  "score of the classifier that tells reference from current; "
                                  "higher = more unlike; a score, not a probability: it can "
                                  "fall below 0 or above 1, only its order counts)")
    if q["uncertainty"].notna().any():
        legend["uncertainty"] = "1 - the model's largest probability"
    alone = {"unlike": "unlike_score", "uncertainty": "uncertainty"}.get(rank_by)
    ranked = [alone] if alone in legend else list(legend)
    how = ("the percentile rank of " if len(ranked) == 1 else
           "the larger of the percentile ranks of " if rank_by == "max" else
           "the mean of the percentile ranks of ")
    legend = {"score": ("higher = label first: " + how + " and ".join(ranked)
                        + (f" (--rank-by {rank_by})" if rank_by == "max" and len(ranked) > 1
                           or alone in legend else "") if legend
                        else "0 for every item: no test scored the items"), **legend}
    if "copies" in q.columns:
        legend["copies"] = "how many current rows hold the same item"
    top = result.settings.get("queue_top")
    before = int(result.settings.get("queue_sent_before") or 0)
    held = (f"`queue.csv` holds the first {min(int(top), len(q))} of them (--top {int(top)})"
            + (f", less {before} that an earlier push sent to the project under another id, "
               f"with the rows below them in their places (what --push sent)." if before
               else ".")
            if top is not None else "`DriftResult.label_queue(top=N)` gives the first N of "
                                    "them; `dataqa drift` writes them to `queue.csv` (--top).")
    for note in notes:
        r.paragraph(f"Note: {note}.", css_class="note")
    if len(q) == 0:
        r.paragraph("The labeling queue is empty: no current row is left to label.",
                    css_class="note")
        return r
    r.paragraph(f"The {min(_QUEUE_SHOWN, len(q))} current items to label first, of {len(q)} "
                f"distinct items, highest score first. {held}", css_class="note", code=True)
    r.key_values(legend)
    r.table(q.head(_QUEUE_SHOWN))  # (the paragraph above counts the items: no "showing" line)
    return r


def _spaced(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with ``_`` in its column names shown as spaces, so that a long header
    (``missing_reference``) can wrap instead of widening the table out of view."""
    return table.rename(columns=lambda c: str(c).replace("_", " "))


#: Items of the labeling queue the report shows.
_QUEUE_SHOWN = 20


def _shares_shown(shares: pd.DataFrame, windows: pd.DataFrame) -> pd.DataFrame:
    """``window_label_shift`` as one row per tested window (its row count beside it), one
    column per class in class order: ``0.62 [0.48, 0.75]*`` (* where the share moved, as
    :func:`share_moved` says); window times written as in the windows table."""
    cells = shares.assign(cell=[
        f"{row['prior']:.2f} [{row['low']:.2f}, {row['high']:.2f}]"
        + ("*" if share_moved(row) else "") for row in shares.to_dict("records")])
    order = list(dict.fromkeys(shares["window"]))
    classes = list(dict.fromkeys(shares["class"]))
    wide = cells.pivot(index="window", columns="class", values="cell").reindex(
        index=order, columns=classes)
    refs = shares.drop_duplicates("class").set_index("class")["reference_prior"]
    wide.columns = [f"{c} (reference {refs[c]:.2f})" for c in classes]
    n = windows.set_index(windows["window"].astype(str))["n"]
    wide.insert(0, "n", [int(n[w]) for w in order])
    out = wide.reset_index()
    if "end" in windows.columns:  # time windows: whole days as dates, as in the table above
        shown = _windows_shown(windows[["window", "end"]].astype(str))
        label = dict(zip(windows["window"].astype(str), shown["window"], strict=True))
        out["window"] = [label.get(w, w) for w in out["window"]]
    return out


def _windows_shown(table: pd.DataFrame) -> pd.DataFrame:
    """A windows table as the report shows it: the note (why a window was not tested)
    after the row count, whole-day times written as dates, and no column empty in every
    row (the note when every window was tested, MMD when it did not run)."""
    keep = {"window", "end", "n", "drifted"}
    t = table[[c for c in table.columns if c in keep or table[c].notna().any()]].copy()
    if "note" in t.columns and "n" in t.columns:
        cols = list(t.columns)
        cols.remove("note")
        cols.insert(cols.index("n") + 1, "note")
        t = t[cols]
    for c in ("window", "end"):
        if c in t.columns and "end" in t.columns:
            text = t[c].astype(str)
            if text.str.endswith((" 00:00:00", " 00:00:00+00:00")).all():
                t[c] = text.str.replace(" 00:00:00+00:00", " (UTC)", regex=False).str.replace(
                    " 00:00:00", "", regex=False)
    return t


def _times(labels: pd.Series) -> np.ndarray:
    """Window start or end labels as datetime64 (labels of zoned times end in +00:00)."""
    return pd.to_datetime(labels, utc=True).dt.tz_convert(None).to_numpy()
