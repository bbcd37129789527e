"""Push and pull together against a real Label Studio server: connection errors and the
API key."""

from __future__ import annotations

import logging

import pytest

from dataqa.errors import (
    LabelStudioAuthError,
    LabelStudioConnectionError,
    LabelStudioProjectError,
)
from dataqa.labelstudio import LabelStudioClient, pull_annotations, push_queue
from dataqa.labelstudio.server import free_port

from ._helpers import CLASSES, choice, make_items, push

# ---------------------------------------------------------------- connection errors

def test_wrong_token_and_server_down_leave_the_ledger_unchanged(ls_server, ledger, tmp_path):
    with pytest.raises(LabelStudioAuthError, match="refused the API key") as info:
        push_queue(make_items(3), project="p-auth", class_names=CLASSES, ledger=ledger,
                   queue="active", url=ls_server.url, api_key="not-the-key-12345")
    assert "not-the-key-12345" not in str(info.value)
    port = free_port()
    with pytest.raises(LabelStudioConnectionError, match=f"cannot reach Label Studio at "
                                                         f"http://127.0.0.1:{port}"):
        push_queue(make_items(3), project="p-down", class_names=CLASSES, ledger=ledger,
                   queue="active", url=f"http://127.0.0.1:{port}", api_key="k")
    with pytest.raises(LabelStudioConnectionError, match="start the server"):
        pull_annotations(project="p-down", ledger=ledger, url=f"http://127.0.0.1:{port}",
                         api_key="k")
    assert ledger.summary() == {"items": 0, "labels": 0, "labeled_items": 0, "rounds": 0,
                                "queues": 0, "tasks": 0}


def test_missing_key_and_missing_project(ls_server, ledger, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    with pytest.raises(LabelStudioAuthError, match="LABEL_STUDIO_API_KEY"):
        pull_annotations(project="x", ledger=ledger, url=ls_server.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_server.api_key)
    monkeypatch.setenv("LABEL_STUDIO_URL", ls_server.url)
    with pytest.raises(LabelStudioProjectError, match="has no project 'no such project'"):
        pull_annotations(project="no such project", ledger=ledger)
    assert ledger.summary()["labels"] == 0


def test_api_key_never_in_logs_reprs_or_ledger(ls_server, tmp_path, caplog, project_name):
    from dataqa.ledger import Ledger

    key = ls_server.api_key
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "secret-check.db"
    with Ledger(path) as led:
        rep = push(make_items(30), ls_server, led, project_name)
        client = LabelStudioClient(ls_server.url, key)
        client.create_annotation(rep.task_ids["item-0"], choice("ham"))
        df = pull_annotations(project=project_name, ledger=led, client=client)
        texts = [repr(client), repr(ls_server), str(rep), repr(rep), str(df.attrs["report"]),
                 df.to_csv()]
        with pytest.raises(LabelStudioProjectError) as info:
            pull_annotations(project="missing project", ledger=led, client=client)
        texts.append(str(info.value))
    assert "GET /api/tasks" in caplog.text  # the requests were logged ...
    for text in [caplog.text, *texts]:
        assert key not in text  # ... without the key
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(path.name))
    assert project_name.encode() in blob and key.encode() not in blob
