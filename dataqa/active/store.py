"""Putting a table of items into a ledger (``dataqa al init``) and rebuilding features.

:func:`store_table` checks everything first (columns, ids, features, labels against the
ledger's classes, the ledger's earlier setup) and then writes items, given labels and
the setup in one transaction, so a refused table leaves the ledger as it was.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from dataqa.active.labels import (
    CONFIG_KEY,
    OUT_OF_SCOPE_LABELS,
    _canonical,
    _int_like,
    ledger_classes,
    normalize_new_labels,
)
from dataqa.errors import (
    InvalidSettingError,
    LabelError,
    LedgerError,
    MissingColumnError,
    format_ids,
)
from dataqa.ledger import Ledger

__all__ = ["store_table", "text_features", "features_from_ledger", "describe_setup"]

#: Settings that decide how an item's features are built; a second ``al init`` must
#: repeat them (or pass ``force``).
_SETUP_KEYS: tuple[str, ...] = ("id_column", "text_column", "feature_columns")


def text_features(texts: Any, *, column: str = "text") -> tuple[sp.csr_matrix, str]:
    """Active learning's text features: :func:`dataqa.features.word_tfidf_features`."""
    from dataqa.features import word_tfidf_features

    return word_tfidf_features(texts, column=column)


def describe_setup(config: dict) -> str:
    """How a setup builds features, as the ``al init`` options that make it."""
    if config.get("text_column"):
        feats = f"--text-column {config['text_column']}"
    else:
        cols = list(config.get("feature_columns") or [])
        shown = ",".join(cols[:4]) + (f",... ({len(cols)} columns)" if len(cols) > 4 else "")
        feats = f"--feature-column {shown}"
    ids = (f"--id-column {config['id_column']}" if config.get("id_column")
           else "content-hash ids")
    return f"{feats}, {ids}"


def _source_name(data: Any) -> str:
    return "the table" if isinstance(data, pd.DataFrame) else repr(str(data))


def _read_splits(values: pd.Series, column: str, table: str,
                 dev: str = "dev") -> list[str | None]:
    """Each row's split, white space around it stripped; ``Dev``, ``DEV`` ... read as
    ``dev`` (the split whose labels measure the model's accuracy), with a warning, and a
    note when no row is ``dev``, naming the values seen."""
    import warnings

    from dataqa._caller import caller_stacklevel

    out = [None if pd.isna(s) or not str(s).strip() else str(s).strip() for s in values]
    recased = sorted({s for s in out if s is not None and s != dev
                      and s.casefold() == dev.casefold()})
    if recased:
        n = sum(s in recased for s in out)
        warnings.warn(
            f"split column {column!r} of {table} writes {', '.join(map(repr, recased))} "
            f"({n:,} rows): read as {dev!r}, the split whose labels measure the model's "
            f"accuracy.", UserWarning, stacklevel=caller_stacklevel())
        out = [dev if s in recased else s for s in out]
    seen = sorted({s for s in out if s is not None})
    if seen and dev not in seen:
        warnings.warn(
            f"split column {column!r} of {table} holds no {dev!r} split (values: "
            f"{', '.join(map(repr, seen[:8]))}{', ...' if len(seen) > 8 else ''}): the model's "
            f"accuracy is measured on the labeled items of split {dev!r}, so none is measured.",
            UserWarning, stacklevel=caller_stacklevel())
    return out


def _refuse_case_variants(ledger: Ledger, declared: list[Any], given: list[Any],
                          label_column: str | None, name: str) -> None:
    """Refuse a class of the table or of ``--classes`` that differs from another class
    (of the ledger, ``--classes`` or the table) only in case, as ``dataqa audit`` refuses
    one file spelling a class in several cases."""
    held, _ = ledger_classes(ledger)
    where: dict[str, str] = {}
    for values, origin in ((held, "the ledger's classes"), (declared, "--classes"),
                           (given, f"label column {label_column!r} of {name}")):
        for v in values:
            if isinstance(v, str) and _canonical(v) not in OUT_OF_SCOPE_LABELS:
                where.setdefault(_canonical(v), origin)
    groups: dict[Any, list[str]] = {}
    for v in where:  # "Spam" and "spam"; "02" and "2" (a code and a number)
        n = _int_like(v)
        groups.setdefault(v.casefold() if n is None else n, []).append(v)
    # the ledger's own classes are not compared with each other: a ledger that already
    # holds both spellings (from before this check) could never be initialised again
    clash = [g for g in groups.values()
             if len(g) > 1 and any(where[v] != "the ledger's classes" for v in g)]
    if clash:
        shown = "; ".join(" and ".join(f"{v!r} ({where[v]})" for v in g) for g in clash[:5])
        ways = "ways" if any(_int_like(v) is not None for g in clash for v in g) else "cases"
        raise LabelError(
            f"{len(clash)} {'classes are' if len(clash) > 1 else 'class is'} spelled in "
            f"several {ways}: {shown}. Case and leading zeros may be meaningful, so they are not merged: "
            f"spell each class one way in the file and in --classes (e.g. all lower case, "
            f"or every code with its zeros) and run again.")


def _warn_rehashed_rows(ledger: Ledger, name: str, ids, data_rows: list, held: list,
                        held_set: set, in_table: set, labels: dict) -> None:
    """Warn when rows new to a ledger of content-hash ids hold the content (text or
    features) of items the ledger has and the table no longer does, with another given
    label (``labels``: new id -> the table's label): the hash covers the whole row, the
    label included, so a label changed in the table made a new item beside the old one.
    A new table that repeats a text with its label (or none) is not warned of."""
    new = [(str(i), d) for i, d in zip(ids, data_rows, strict=True) if str(i) not in held_set]
    gone = [i for i in held if str(i) not in in_table]
    if not new or not gone:
        return
    stored = ledger.item_data(gone)
    by_content: dict = {}
    for i in gone:
        d = stored.get(i) or {}
        key = d.get("text") if "text" in d else tuple(d.get("features") or ())
        if key not in (None, ()):
            by_content.setdefault(key if isinstance(key, str) else tuple(key), i)
    was = ledger.latest_labels(source="given").set_index("id")["label"].to_dict()
    pairs = []
    for i, d in new:
        key = d.get("text") if "text" in d else tuple(d.get("features") or ())
        if key in by_content and str(labels.get(i)) != str(was.get(by_content[key])) \
                and (labels.get(i) is not None or by_content[key] in was):
            pairs.append((i, by_content[key]))
    if pairs:
        import warnings

        from dataqa._caller import caller_stacklevel

        new_id, old_id = pairs[0]
        what = "rows are new items" if len(pairs) > 1 else "row is a new item"
        warnings.warn(
            f"{name}: {len(pairs)} {what} with the content of an item the ledger holds and "
            f"the table no longer does (e.g. new id {new_id!r}, held as {old_id!r}): without "
            f"--id-column an item's id is a hash of its whole row, label and split included, "
            f"so a row whose label or split the table changed becomes a second item, and both "
            f"are kept. To record a changed label on the same item, give the table an id "
            f"column (--id-column) from the start.", UserWarning,
            stacklevel=caller_stacklevel())


def store_table(ledger: Ledger, data: Any, *, label_column: str | None = None,
                text_column: str | None = None, id_column: str | None = None,
                feature_columns: list[str] | None = None, split_column: str | None = None,
                classes: list[Any] | None = None, force: bool = False,
                read_options: dict | None = None, dev_split: str = "dev") -> dict[str, Any]:
    """Put a table's items (and its non-empty labels, as source ``given``) in the ledger.

    Each item's content is stored with it (the text, or the numeric feature columns), so
    :meth:`LabelingSession.from_ledger` can rebuild the features later. Nothing is
    written unless every check passes; then everything is written in one transaction.

    Parameters
    ----------
    ledger : Ledger
    data : path or DataFrame
    label_column, text_column, id_column, split_column : str, optional
    feature_columns : list of str, optional
        Numeric feature columns (default: every numeric column but the label/id/split).
    dev_split : str
        The split whose labels measure the model's accuracy (``LabelingSession``'s
        ``dev_split``): a split written in another case or with white space around it
        (``Dev``, ``'dev '``) is read as it, with a warning. An item already in the ledger
        takes the split the table gives it.
    classes : list of int or str, optional
        Classes to declare beyond those in the label column.
    force : bool
        Replace an earlier setup of the ledger that built features differently (another
        text column, other feature columns, another id column). Without it such a table
        is refused.
    read_options : dict, optional
        Keyword arguments for :func:`dataqa.data.load_table` (``format``, ``sep``,
        ``header``, ``columns``, ``encoding``).

    Returns
    -------
    dict with ``items`` (new), ``labels`` (added), ``n`` (rows), ``analyzer`` (``"word"``
    or ``"char"`` for text, else ``None``), ``replaced`` (the earlier setup that
    ``force`` replaced, else ``None``), ``classes`` (the ledger's classes), and lists of
    ids: ``changed_labels`` (items whose given label the table changed: the new one is
    recorded), ``cleared_labels`` (items with a given label in the ledger and a blank
    cell in the table: the label is kept), ``changed_content`` (items whose stored
    content differs from the table's: the stored one is kept) and ``adopted`` (items the
    ledger held before its first setup that are not in the table: they join the pool, with
    their stored value of the text or feature columns as their content;
    ``adopted_without_content`` lists those that have none); ``empty_texts``, the ids of
    the table's rows whose text is empty or blank (kept, with no word to tell them apart).
    """
    from dataqa.data import (
        _clean_text_labels,
        _empty_columns,
        _warn_missing_words,
        load_tables,
        make_ids,
        numeric_feature_columns,
    )

    opts = dict(read_options or {})
    if id_column is not None and not isinstance(data, pd.DataFrame):
        opts.setdefault("string_columns", [id_column])
    # a class "None" or "NA", a message "null": only an empty cell is missing there
    opts.setdefault("text_columns", [c for c in (label_column, text_column) if c])
    df = load_tables(data, **opts)
    name = _source_name(data)
    cols = [str(c) for c in df.columns]
    for role, col in (("id column", id_column), ("label column", label_column),
                      ("text column", text_column), ("split column", split_column)):
        if col is not None and col not in df.columns:
            raise MissingColumnError(col, cols, role=role, table=name)
    named = [feature_columns] if isinstance(feature_columns, str) else list(feature_columns or ())
    for role, col in (("label", label_column), ("id", id_column), ("split", split_column)):
        if col is not None and col in named:
            raise InvalidSettingError(
                f"the {role} column {col!r} is also given as a feature column (--feature-column)"
                + ("; a feature equal to the label leaks it into the model" if role == "label"
                   else f"; {role}s are not features") + ". Drop it from the feature columns.")
    ids = make_ids(df, id_column)
    analyzer = None
    empty: list[str] = []
    blank_texts: list[str] = []
    if text_column is not None:
        from dataqa.data import check_cell_lengths

        check_cell_lengths(df, text_column, ids, source=name)
        feats: list[str] = []
        texts = ["" if pd.isna(t) else str(t) for t in df[text_column]]
        _, analyzer = text_features(texts, column=text_column)
        blank_texts = [str(i) for i, t in zip(ids, texts, strict=True) if not t.strip()]
        data_rows = [{"text": t} for t in texts]
    else:
        exclude = [c for c in (label_column, id_column, split_column) if c]
        if not feature_columns:  # found, as `dataqa audit` finds them: no id, no stray cell
            from dataqa.data import _other_id_columns, _warn_id_like_columns, refuse_nearly_numeric

            exclude += (_warn_id_like_columns(df, exclude, name) if id_column is None
                        else _other_id_columns(df, exclude, name))
            refuse_nearly_numeric(df, exclude, name)
        feats = list(feature_columns or numeric_feature_columns(df, exclude=exclude))
        if not feature_columns:  # columns without a value are left out, and said so
            empty = _empty_columns(df, exclude)
        if not feats:
            raise InvalidSettingError(
                f"{name} has no numeric feature columns; pass --text-column or "
                f"--feature-column.")
        for c in feats:
            if c not in df.columns:
                raise MissingColumnError(c, cols, role="feature column", table=name)
        if feature_columns:  # named ones: a decimal comma, a cell that is no number
            from dataqa.data import check_feature_columns

            check_feature_columns(df, feats, name)
        try:
            block = df[feats].to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidSettingError(
                f"feature columns of {name} are not all numeric ({exc}); name numeric "
                f"columns with --feature-column.") from exc
        if not np.isfinite(block).all():
            bad = np.flatnonzero(~np.isfinite(block).all(axis=1))
            raise InvalidSettingError(
                f"feature columns of {name} have missing or infinite values in "
                f"{bad.size} row(s) (first rows {', '.join(str(int(r) + 1) for r in bad[:3])} "
                f"of the data); impute or drop those rows first.")
        data_rows = [{"features": row.tolist()} for row in block]
    splits = None if split_column is None else _read_splits(df[split_column], split_column,
                                                           name, dev_split)

    # given labels, checked against the ledger's classes (type and all)
    labeled_ids: np.ndarray = np.asarray([], dtype=object)
    blank_ids: np.ndarray = np.asarray([], dtype=object)
    given: list[Any] = []
    if label_column is not None:
        # as `dataqa audit` reads a label column: white space around a label stripped (with
        # a warning), classes spelled in several cases refused, NA / None / null words named
        _warn_missing_words(df, label_column, name)
        col = _clean_text_labels(df[label_column], label_column, name)
        known = ~col.isna().to_numpy()
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            known &= col.astype(str).str.strip().ne("").to_numpy()
        vals = col[known].tolist()
        labeled_ids = ids[known]
        blank_ids = ids[~known]
        given = vals
    declared = list(classes or [])
    _refuse_case_variants(ledger, declared, given, label_column, name)
    new_labels, _, kind = normalize_new_labels(
        ledger, [str(i) for i in labeled_ids], given, new_classes=declared + given,
        where=f"label column {label_column!r} of {name}", allow_skip=False)

    old = ledger.get_state(CONFIG_KEY)
    held = ledger.items()["id"].tolist()  # the ledger's items before this table
    held_set = set(map(str, held))
    in_table = set(map(str, ids))
    # items a ledger held before its first `al init` (pushed with `ls push --from`, say)
    # join the pool: said, since they come from no table of this command
    adopted_ids = [i for i in held if i not in in_table] if old is None else []
    config = {"text_column": text_column, "feature_columns": feats,
              "label_column": label_column, "id_column": id_column}
    replaced = None
    if old is not None and any(old.get(k) != config[k] for k in _SETUP_KEYS):
        if not force:
            raise InvalidSettingError(
                f"ledger {ledger.path!r} was set up with {describe_setup(old)}; this table "
                f"asks for {describe_setup(config)}. Pass --force to replace the setup "
                f"(each item's stored content is replaced), or use another --ledger.")
        orphans = [i for i in held if i not in in_table]
        if orphans:
            raise InvalidSettingError(
                f"--force cannot replace the setup of ledger {ledger.path!r}: {len(orphans)} "
                f"of its items are not in {name} ({format_ids(orphans, 3)}) and would have no "
                f"content; give a table with every item, or use another --ledger.")
        replaced = describe_setup(old)

    # items already in the ledger whose content this table changes: the stored content
    # is kept (an id stands for its content; features of labeled items do not move)
    changed_content: list = []
    filled: dict[str, dict] = {}
    if replaced is None and len(ids):
        known_ids = set(held)
        old_ids = [str(i) for i in ids if str(i) in known_ids]
        if old_ids:
            stored = ledger.item_data(old_ids)
            mine = {str(i): d for i, d in zip(ids, data_rows, strict=True)}
            # stored in another form (pushed with `ls push --column`): not an edit
            changed_content = [i for i in old_ids if stored[i] and stored[i] != mine[i]
                               and set(stored[i]) == set(mine[i])]
            # ... but the setup's content ("text" or "features") is added beside it, or
            # `al next` would find no stored text for them
            key = "text" if text_column is not None else "features"
            filled = {i: {**(stored[i] or {}), **mine[i]} for i in old_ids
                      if key not in (stored[i] or {})}
    # items the ledger held that are not in the table (pushed with `ls push --from`):
    # their content under the setup's column, when they were pushed with that column
    lacking: list = []
    if adopted_ids:
        key = "text" if text_column is not None else "features"
        stored = ledger.item_data(adopted_ids)
        for i in adopted_ids:
            d = dict(stored[i] or {})
            if key in d:
                continue
            if (text_column is not None and d.get(text_column) is not None
                    and str(d[text_column]).strip()):
                filled[i] = {**d, "text": str(d[text_column])}
            elif text_column is None and all(c in d for c in feats):
                try:
                    row = [float(d[c]) for c in feats]
                except (TypeError, ValueError):
                    row = None
                if row is not None and np.isfinite(row).all():
                    filled[i] = {**d, "features": row}
                else:
                    lacking.append(i)
            else:
                lacking.append(i)
    if id_column is None and old is not None and replaced is None:
        _warn_rehashed_rows(ledger, name, ids, data_rows, held, held_set, in_table,
                            dict(zip(map(str, labeled_ids), given, strict=True)))
    with ledger.transaction():
        new = ledger.add_items(ids, split=splits, data=data_rows,
                               replace_data=replaced is not None)
        if splits is not None:  # items held before take the split the table gives now
            resplit = ledger.set_item_splits({str(i): s for i, s in zip(ids, splits, strict=True)
                                              if s is not None and str(i) in held_set})
            if resplit:
                import warnings

                from dataqa._caller import caller_stacklevel

                warnings.warn(f"{name}: {resplit} item(s) already in the ledger take the split "
                              f"column {split_column!r}'s split now (another split before).",
                              UserWarning, stacklevel=caller_stacklevel())
        if filled:
            ledger.add_items(list(filled), data=list(filled.values()), replace_data=True)
        n_labels = 0
        changed_labels: list = []
        was = (ledger.latest_labels(source="given").set_index("id")["label"].to_dict()
               if len(labeled_ids) or len(blank_ids) else {})
        # a blank cell adds no label and takes none away: a given label recorded before
        # stays (the ledger keeps every label), said in a note
        cleared_labels = [str(i) for i in blank_ids if str(i) in was]
        if len(labeled_ids):
            # a given label differing from the one recorded (a fix in the table) is recorded
            # too: the newest given label is the one in force
            todo = [k for k, i in enumerate(labeled_ids)
                    if i not in was or str(was[i]) != str(new_labels[k])]
            changed_labels = [labeled_ids[k] for k in todo if labeled_ids[k] in was]
            if todo:
                n_labels = ledger.add_labels(labeled_ids[todo], [new_labels[k] for k in todo],
                                             source="given")
        prior = old or {}
        kind = kind or prior.get("label_kind")
        conv = (lambda c: int(float(c))) if kind == "int" else str
        all_classes = sorted({conv(c) for c in
                              [*(prior.get("classes") or []), *declared,
                               *(c for c in new_labels if c not in (-1, "out_of_scope"))]})
        config.update(classes=all_classes, label_kind=kind)
        ledger.set_state(CONFIG_KEY, config)
    return {"n": int(len(df)), "items": int(new), "labels": int(n_labels),
            "analyzer": analyzer, "replaced": replaced, "classes": all_classes,
            "changed_labels": changed_labels, "cleared_labels": cleared_labels,
            "changed_content": changed_content,
            "adopted": adopted_ids, "adopted_without_content": lacking,
            "empty_columns": empty, "empty_texts": list(dict.fromkeys(blank_texts))}


def features_from_ledger(ledger: Ledger) -> tuple[list[str], Any]:
    """Ids (in the order added) and the features rebuilt from the stored item contents.

    Raises
    ------
    LedgerError
        The ledger was not set up by :func:`store_table`, or items lack stored content.
    """
    config = ledger.get_state(CONFIG_KEY)
    if config is None:
        raise LedgerError(
            f"ledger {ledger.path!r} has no active-learning data; run `dataqa al init DATA "
            f"--ledger {ledger.path}` first.")
    ids = ledger.items()["id"].tolist()
    data = ledger.item_data(ids)
    key = "text" if config.get("text_column") else "features"
    lacking = [i for i in ids if key not in data[i]]
    if lacking:
        raise LedgerError(
            f"{len(lacking)} item(s) of ledger {ledger.path!r} have no stored {key} "
            f"({format_ids(lacking, 3)}), which its setup ({describe_setup(config)}) needs; "
            f"run `dataqa al init DATA --ledger {ledger.path} --force` with a table holding "
            f"every item.")
    if key == "text":
        X, _ = text_features([data[i]["text"] for i in ids], column=config["text_column"])
    else:
        X = np.asarray([data[i]["features"] for i in ids], dtype=np.float64)
    return ids, X
