"""One real Label Studio server for every test of this folder (starting it takes ~1 min)."""

from __future__ import annotations

import itertools

import pytest

try:
    from tests.conftest import require
except ImportError:  # tests/ is not a package: the root conftest is a top-level module
    from conftest import require

_counter = itertools.count()


@pytest.fixture(scope="session")
def ls_server():
    from dataqa.labelstudio import LocalServer, find_label_studio

    require(find_label_studio() is not None,
            "Label Studio is not installed (make labelstudio-install, or set LABEL_STUDIO_BIN)")
    server = LocalServer()
    server.start()
    yield server
    server.stop()


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
