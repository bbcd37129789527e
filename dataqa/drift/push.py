"""Send a drift result's labeling queue to Label Studio through the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dataqa._caller import caller_stacklevel
from dataqa.errors import EmptyDataError, InvalidSettingError

__all__ = ["push_label_queue", "queue_to_push"]


class _AllSentBefore(EmptyDataError):
    """Every item left to label was sent to the project by an earlier push: nothing new to
    push (the command line says so in a note, exit 0)."""


def push_label_queue(result, *, project: str | int, ledger: Any, top: int = 50,
                     class_names: Sequence[str] | None = None, url: str | None = None,
                     api_key: str | None = None, client=None, timeout: float = 60.0,
                     progress: bool | None = None, rank_by: str = "mean", rows=None):
    """Push ``result.label_queue(top=top, rank_by=rank_by)`` as an ``active`` queue with
    :func:`dataqa.labelstudio.push_queue`, less the rows an earlier push sent under
    another id (:func:`queue_to_push`; ``rows`` are those rows when already made).

    Texts are sent as text tasks (with a text column), other tables as table tasks; the
    model's prediction (when labels were given) is the pre-annotation, with the model's
    probability of it as its score, and ``score`` the order; ``unlike_score``,
    ``uncertainty`` and ``copies`` go to the task meta.

    ``class_names`` default to the classes of the reference labels; without labels they
    must be given.

    The queue leaves out the current rows that already carry a label in the label column
    and those without text (see :meth:`~dataqa.drift.DriftResult.label_queue`); when that
    leaves no row, nothing is sent and :class:`~dataqa.errors.EmptyDataError` says why.

    Returns
    -------
    PushReport

    Raises
    ------
    EmptyDataError
        When the labeling queue is empty (every current row labeled already, say).
    """
    from dataqa.labelstudio import push_queue

    names = list(class_names) if class_names is not None else result.class_names
    if not names or len(names) < 2:
        raise InvalidSettingError(
            f"pushing to project {project!r} needs the class names: give the reference's label "
            f"column (--label-column) or --classes a,b,...")
    if class_names is None and [str(n).strip() for n in names] == ["0", "1"]:
        import warnings  # (two classes coded 0 and 1 stand for names; digits 0-9 do not)

        warnings.warn(
            "the classes are numbers (0, 1): annotators will see them as the choices; name "
            "them with --classes (API: class_names), e.g. --classes ham,spam, in the order "
            "of the reference's classes.", UserWarning, stacklevel=caller_stacklevel())
    q = rows if rows is not None else queue_to_push(result, project=project, ledger=ledger,
                                                    top=top, rank_by=rank_by, url=url)
    data_columns = _data_columns(result, q)
    if len(q) == 0 and q.attrs.get("sent_before"):
        raise _AllSentBefore(
            f"every item left to label was sent to project {project!r} by an earlier push "
            f"(the same content under another id, said above): nothing new to push.")
    if len(q) == 0:
        why = "; ".join(result.queue_notes(q)) or "the current table has no row to label"
        raise EmptyDataError(f"the labeling queue is empty, so there is nothing to push to "
                             f"project {project!r}: {why}.")
    meta = [c for c in ("unlike_score", "uncertainty") if q[c].notna().all()]
    q = q.drop(columns=[c for c in ("unlike_score", "uncertainty") if c not in meta])
    meta.append("copies")  # current rows holding the same content
    if "prediction" in q.columns:
        q["prediction"] = q["prediction"].astype(str)
        q["prediction"] = _as_choices(q["prediction"], [str(n) for n in names],
                                      result.class_names)
    return push_queue(q, project=project, class_names=[str(n) for n in names], ledger=ledger,
                      queue="active", meta_columns=meta, data_columns=data_columns, url=url,
                      api_key=api_key, client=client, timeout=timeout, progress=progress)


def _data_columns(result, q) -> list | None:
    """The columns a table task shows (None for texts)."""
    if "text" in q.columns:
        return None
    reserved = {"id", "score", "prediction", "probability", "label", "unlike_score",
                "uncertainty", "copies"}
    # the label column, empty in every queued row, is not shown as a field of nulls
    label = result.label_column
    empty = {c for c in (label, f"current_{label}") if label is not None
             and c in q.columns and (q[c].isna() | q[c].astype(str).str.strip().eq("")).all()}
    return [c for c in q.columns if c not in reserved and c not in empty]


def queue_to_push(result, *, project: str | int, ledger: Any, top: int = 50,
                  rank_by: str = "mean", url: str | None = None):
    """The rows :func:`push_label_queue` sends: the first ``top`` of
    ``result.label_queue(rank_by=rank_by)`` once the rows whose content an earlier push
    sent to ``project`` through ``ledger`` under another id are left out (said in a
    warning; the queue goes on below them). ``dataqa drift --push`` writes these as
    ``queue.csv``. ``attrs["sent_before"]`` counts the rows left out."""
    from dataqa._validation import check_int

    top = check_int(top, "top")
    q = result.label_queue(top=None, rank_by=rank_by)
    attrs = dict(q.attrs)
    if len(q):
        q = _not_sent_before(q, ledger, project, _data_columns(result, q), top, url)
    attrs["sent_before"] = int(q.attrs.get("sent_before", 0))
    q = q.head(top)
    q.attrs.update(attrs)
    return q


def _shown_keys(rows: list[dict], data_columns) -> list[str]:
    """What an annotator sees of each task's data, as one string: the text with its runs
    of white space as one space (invisible characters dropped), or the table's fields."""
    import json

    import pandas as pd

    from dataqa.drift.result import _shown_text

    if data_columns is None:
        text = pd.Series([r.get("text") for r in rows], dtype=object)
        return _shown_text(text).where(text.notna(), "").tolist()

    def canon(v):  # 1.0 (a column with a gap, read as floats) is the 1 pushed before
        return int(v) if isinstance(v, float) and v.is_integer() else v

    return [json.dumps({c: canon(r.get(c)) for c in data_columns}, sort_keys=True,
                       default=str) for r in rows]


def _active_queues(queues, project, states=None, url=None) -> list[str]:
    """The ledger's active queue of ``project``: by name for a title, by the project id
    the push recorded for an id (a title that is all digits is looked up both ways, as
    the push takes it for an id when no project has that title), on the server at ``url``
    where the push recorded its address (``states``: each project's recorded state, by
    title; an id numbers one project per server)."""
    from dataqa.labelstudio.client import server_url
    from dataqa.labelstudio.ledger_state import queue_name, same_server

    names = []
    if isinstance(project, str):
        names.append(queue_name(project, "active"))
    text = str(project)
    if text.isdigit():
        for name, settings in zip(queues["name"], queues["settings"], strict=True):
            if (name.endswith("/active") and isinstance(settings, dict)
                    and str(settings.get("project_id")) == str(int(text))):
                was = (states or {}).get(name[:-len("/active")], {}).get("url")
                if not was or same_server(was, server_url(url)):
                    names.append(name)
    known = set(queues["name"])
    return [n for n in dict.fromkeys(names) if n in known]


def _not_sent_before(q, ledger, project, data_columns, top: int | None = None, url=None):
    """The first ``top`` rows of the queue without those whose content an earlier push
    sent to ``project`` (a title, or an id: the active queue recorded with that project
    id, on the server at ``url``) through ``ledger`` under another id: windows pushed one
    after another would otherwise show annotators a message repeated across windows once
    per window. Said in a warning.
    Each stored content leaves out at most one row (the queue lists each content once),
    so only the first ``top`` + that many rows are compared."""
    from pathlib import Path

    from dataqa.labelstudio.ledger_state import project_state
    from dataqa.labelstudio.tasks import json_value
    from dataqa.ledger import Ledger

    first = q if top is None else q.head(top)
    if not len(q) or ledger is None:
        return first
    own = isinstance(ledger, Ledger)
    if not own and (not Path(ledger).is_file() or Path(ledger).stat().st_size == 0):
        return first  # (nothing sent through it yet)
    led = ledger if own else Ledger(ledger, create=False)
    try:
        queues = led.queues()
        states = {name[:-len("/active")]: project_state(led, name[:-len("/active")])
                  for name in queues["name"] if str(name).endswith("/active")}
        earlier = [i for name in _active_queues(queues, project, states, url)
                   for i in led.queue_items(name)]
        stored = led.item_data(list(dict.fromkeys(earlier))) if earlier else {}
    finally:
        if not own:
            led.close()
    if not stored:
        return first
    if top is not None:
        q = q.head(top + len(stored))
    cols = ["text"] if data_columns is None else list(data_columns)
    rows = [{c: json_value(v) for c, v in zip(cols, row, strict=True)}
            for row in q[cols].itertuples(index=False, name=None)]
    seen = dict(zip(_shown_keys(list(stored.values()), data_columns), stored, strict=True))
    seen.pop("", None)
    ids = q["id"].astype(str).tolist()
    again = [seen.get(k) not in (None, i) for k, i in
             zip(_shown_keys(rows, data_columns), ids, strict=True)]
    if any(again):
        import warnings

        n = sum(again)
        warnings.warn(
            f"{n} queued item(s) show what an earlier push sent to project {project!r} under "
            f"another id (e.g. {ids[again.index(True)]!r}): left out, so annotators label "
            f"it once; the queue goes on below them.", UserWarning,
            stacklevel=caller_stacklevel())
    kept = q[[not a for a in again]]
    kept = kept if top is None else kept.head(top)
    kept.attrs["sent_before"] = int(sum(again))
    return kept


def _as_choices(predictions, names: list[str], model_classes) -> object:
    """The model's predicted classes as choices of ``names``: as they are when the model's
    classes are among the names; else, with as many names as classes, the i-th name for
    the i-th class (``--classes ham,spam`` for labels 0 and 1), said in a warning. Names
    that match none of the model's classes, in another number, are refused rather than
    leaving every task without its pre-annotation."""
    import warnings

    classes = [str(c) for c in (model_classes or [])]
    check_class_names(names, classes)
    if not classes or set(classes) <= set(names):
        return predictions.where(predictions.isin(names), None)
    # (else one name per class, none of them a class: check_class_names refuses the rest)
    warnings.warn(
        "the model's classes " + ", ".join(classes) + " are sent as "
        + ", ".join(names) + " (the class names given, in the order of the reference's "
        "classes); give the names in that order, or as the label column writes them.",
        UserWarning, stacklevel=caller_stacklevel())
    return predictions.map(dict(zip(classes, names, strict=True)))


def check_class_names(names: Sequence[str], model_classes: Sequence[str]) -> None:
    """Refuse class names (``--classes``) that can carry the model's classes (the
    reference's labels) neither as they are (every class among the names) nor renamed
    (one name per class, none of them a class): the tasks would lose the model's
    pre-annotation. The drift command line checks this before its analysis."""
    names, classes = [str(n) for n in names], [str(c) for c in model_classes]
    if (not classes or set(classes) <= set(names)
            or (len(classes) == len(names) and not set(classes) & set(names))):
        return
    raise InvalidSettingError(
        f"the class names {', '.join(names)} (--classes) do not hold the model's classes "
        f"{', '.join(classes)} (the reference's labels): give those names, or one name per "
        f"class in that order to rename them, so each task keeps the model's pre-annotation.")
