"""The Label Studio modules: old import paths, the ledger state helper, one-way imports."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import dataqa.labelstudio as ls
from dataqa.errors import DataqaError, LabelStudioConnectionError, PushInterrupted
from dataqa.labelstudio.ledger_state import (
    project_state,
    project_state_key,
    pulled_state_key,
    queue_name,
    record_project_state,
)

PACKAGE = Path(ls.__file__).parent


@pytest.mark.parametrize("name", ["QUEUE_KINDS", "PushReport", "PullReport", "push_queue",
                                  "pull_annotations", "queue_name", "build_tasks"])
def test_old_sync_names_warn_and_are_the_same_objects(name):
    sync = importlib.import_module("dataqa.labelstudio.sync")
    with pytest.warns(DeprecationWarning, match=rf"dataqa.labelstudio.sync is deprecated; "
                                                rf"use `from dataqa\.labelstudio.* import {name}`"):
        value = getattr(sync, name)
    new_home = ls if name in ls.__all__ else importlib.import_module("dataqa.labelstudio.tasks")
    assert value is getattr(new_home, name)


def test_unknown_sync_name_raises():
    sync = importlib.import_module("dataqa.labelstudio.sync")
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        sync.nope  # noqa: B018


def test_push_interrupted_is_a_connection_error_with_its_report():
    err = PushInterrupted("cannot reach Label Studio", report="partial")
    assert isinstance(err, LabelStudioConnectionError) and isinstance(err, DataqaError)
    assert err.report == "partial" and str(err) == "cannot reach Label Studio"


def test_project_state_is_named_in_one_place(tmp_path):
    from dataqa.ledger import Ledger

    assert queue_name("spam review", "active") == "spam review/active"
    assert project_state_key("spam review") == "labelstudio/spam review"
    assert pulled_state_key("spam review") == "labelstudio/spam review/pulled"
    with Ledger(tmp_path / "l.db") as ledger:
        assert project_state(ledger, "spam review") == {}
        record_project_state(ledger, "spam review", project_id=7, url="http://x",
                             class_names=("ham", "spam"))
        assert project_state(ledger, "spam review") == {
            "project_id": 7, "url": "http://x", "class_names": ["ham", "spam"]}
        assert ledger.get_state("labelstudio/spam review")["project_id"] == 7


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_command_groups_do_not_import_each_other():
    active_cli = PACKAGE.parent / "active" / "cli.py"
    assert "dataqa.labelstudio.cli" not in _imports(active_cli)


def test_the_state_key_is_built_in_one_module():
    root = PACKAGE.parent
    building = [p.relative_to(root).as_posix() for p in root.rglob("*.py")
                if 'f"labelstudio/{' in p.read_text()]
    assert building == ["labelstudio/ledger_state.py"]


def test_every_module_stays_small():
    sizes = {p.name: len(p.read_text().splitlines()) for p in PACKAGE.glob("*.py")}
    assert max(sizes.values()) <= 600, sizes
