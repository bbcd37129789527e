"""Fixtures of the Label Studio tests; the server itself (``ls_server``) is in tests/conftest.py."""

from __future__ import annotations

import itertools

import pytest

_counter = itertools.count()


@pytest.fixture()
def ls_client(ls_server):
    from dataqa.labelstudio import LabelStudioClient

    with LabelStudioClient(ls_server.url, ls_server.api_key) as client:
        yield client


@pytest.fixture()
def project_name():
    return f"dataqa test {next(_counter)}"


@pytest.fixture()
def ledger(tmp_path):
    from dataqa.ledger import Ledger

    with Ledger(tmp_path / "ledger.db") as led:
        yield led
