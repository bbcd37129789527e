"""Label Studio label configs generated from class names and the kind of data.

Three kinds of data are supported:

- ``"text"``: one text column shown as text;
- ``"image"``: one column holding an image URL or a local path;
- ``"table"``: several columns shown as a key/value table.

Every config has one single-choice ``<Choices name="label">`` with the class names in
class order, so that a chosen name maps back to the class index ``0 .. K-1``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from xml.sax.saxutils import quoteattr

from dataqa.errors import InvalidSettingError, LabelStudioProjectError, UnknownNameError

__all__ = ["DATA_KINDS", "FROM_NAME", "CONTEXT_FIELD", "label_config", "config_classes",
           "config_object"]

#: The kinds of data a generated config can show, and the object tag each uses.
DATA_KINDS: dict[str, str] = {"text": "Text", "image": "Image", "table": "Table"}

#: ``from_name`` of the choices in every generated config.
FROM_NAME = "label"

#: The task data field shown as a header above the choices of every generated config:
#: what the annotator should know about the item ("Given label: ham · model suggests:
#: spam · issue score 0.69" in a review queue; see :func:`dataqa.labelstudio.tasks.context_line`).
CONTEXT_FIELD = "context"


#: ``$name`` in a config attribute: Label Studio puts the task's field ``name`` there
_FIELD_REF = re.compile(r"\$[A-Za-z0-9_]+")


def _check_classes(class_names: Sequence[str]) -> list[str]:
    if isinstance(class_names, str):
        raise InvalidSettingError(
            f"class_names must be a list of names, not the single string {class_names!r}.")
    names = [str(c) for c in class_names]
    if len(names) < 2:
        raise InvalidSettingError(f"class_names needs at least 2 classes, got {names!r}.")
    if any(not n.strip() for n in names):
        raise InvalidSettingError("class_names contain an empty name; every class needs a name.")
    if len(set(names)) != len(names):
        dups = sorted({n for n in names if names.count(n) > 1})
        raise InvalidSettingError(f"class_names repeat: {dups!r}; class names must be unique.")
    fields = [n for n in names if _FIELD_REF.search(n)]
    if fields:
        raise InvalidSettingError(
            f"class name{'s' if len(fields) > 1 else ''} {', '.join(map(repr, fields))} "
            f"hold{'' if len(fields) > 1 else 's'} '$' before a letter, digit or '_', which "
            f"Label Studio reads as a task field ({fields[0]!r} would be shown as "
            f"{_FIELD_REF.sub('<field>', fields[0])!r}, and an annotator's click on it "
            f"would not be the class): rename the class (e.g. 'USD' for '$USD'; a '$' "
            f"followed by a space or at the end is shown as written).")
    return names


def label_config(class_names: Sequence[str], *, data_kind: str = "text",
                 column: str | None = None, title: str | None = None,
                 context: bool = True) -> str:
    """A Label Studio label config for single-choice classification.

    Parameters
    ----------
    class_names : sequence of str (K,)
        Class names in class order (index ``k`` is class ``k``).
    data_kind : {"text", "image", "table"}
    column : str, optional
        The task data field shown (default: ``"text"``, ``"image"`` or ``"table"``).
    title : str, optional
        A header shown above the item.
    context : bool
        Show the task's ``data.context`` (:data:`CONTEXT_FIELD`) as a header between the
        item and the choices. :func:`push_queue` fills it for every task (the given and
        suggested labels of a review, a neutral line in a blind ``verify`` queue).

    Returns
    -------
    str : the XML config. The server validates it when the project is created
    (:meth:`LabelStudioClient.validate_config` checks it beforehand).
    """
    names = _check_classes(class_names)
    if data_kind not in DATA_KINDS:
        raise UnknownNameError("data kind", data_kind, DATA_KINDS)
    column = column or data_kind
    if not column.replace("_", "").isalnum():
        raise InvalidSettingError(
            f"column {column!r} must be letters, digits and underscores to be used in a config.")
    tag = DATA_KINDS[data_kind]
    choices = "\n".join(f"    <Choice value={quoteattr(n)}/>" for n in names)
    header = f"  <Header value={quoteattr(title)}/>\n" if title else ""
    context_header = f"  <Header value=\"${CONTEXT_FIELD}\" size=\"5\"/>\n" if context else ""
    return (
        "<View>\n"
        f"{header}"
        # (a long text scrolls in its own box: the header and the choices stay on screen)
        f"  <View style=\"max-height: 60vh; overflow-y: auto\">\n"
        f"    <{tag} name=\"{data_kind}\" value=\"${column}\"/>\n"
        "  </View>\n"
        f"{context_header}"
        f"  <Choices name=\"{FROM_NAME}\" toName=\"{data_kind}\" choice=\"single\" "
        f"showInLine=\"true\" required=\"true\">\n"
        f"{choices}\n"
        "  </Choices>\n"
        "</View>"
    )


def _parse(config: str) -> ET.Element:
    try:
        return ET.fromstring(config)
    except ET.ParseError as exc:
        raise LabelStudioProjectError(f"the project's label config is not valid XML: {exc}") from None


def config_classes(config: str, *, from_name: str | None = None) -> list[str]:
    """The choice values of a config's ``<Choices>`` (the class names, in order).

    Raises :class:`LabelStudioProjectError` when the config has no (or, without
    ``from_name``, several) ``<Choices>`` tags.
    """
    root = _parse(config)
    tags = [el for el in root.iter("Choices")
            if from_name is None or el.get("name") == from_name]
    if not tags:
        raise LabelStudioProjectError(
            "the project's label config has no <Choices> tag"
            + (f" named {from_name!r}" if from_name else "")
            + "; dataqa syncs single-choice classification projects.")
    if len(tags) > 1:
        raise LabelStudioProjectError(
            f"the project's label config has {len(tags)} <Choices> tags "
            f"({', '.join(t.get('name', '?') for t in tags)}); pass from_name to pick one.")
    return [c.get("value") for c in tags[0].iter("Choice")]


def config_object(config: str, *, from_name: str = FROM_NAME) -> tuple[str, str]:
    """``(from_name, to_name)`` of the config's choices, for prediction results."""
    root = _parse(config)
    for el in root.iter("Choices"):
        if el.get("name") == from_name or from_name is None:
            return el.get("name"), el.get("toName")
    tags = [el.get("name") for el in root.iter("Choices")]
    if len(tags) == 1:
        el = next(root.iter("Choices"))
        return el.get("name"), el.get("toName")
    raise LabelStudioProjectError(
        f"the project's label config has no <Choices name={from_name!r}> (it has "
        f"{', '.join(map(repr, tags)) or 'none'}).")
