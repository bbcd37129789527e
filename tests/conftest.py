"""Shared test fixtures.

Tests that need an external resource (the shared data folder, a Label Studio server)
skip locally with a reason, but fail when ``CI=true``: there they must run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip (locally) or fail (in CI) when an external resource is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def data_home() -> Path:
    from dataqa.datasets import default_data_home

    home = default_data_home()
    require(home.is_dir(), f"shared data folder {home} not found (set DATAQA_DATA_HOME)")
    return home


@pytest.fixture(scope="session")
def ls_server(tmp_path_factory):
    """One real Label Studio server for the whole test session (starting it takes ~1 min).

    Skips locally (fails in CI) when Label Studio is not installed. Tests anywhere get it
    with this fixture or ``request.getfixturevalue("ls_server")``. It serves local image
    files under ``ls_server.local_files_root`` (a temporary folder).
    """
    from dataqa.labelstudio import LocalServer, find_label_studio

    require(find_label_studio() is not None,
            "Label Studio is not installed (make labelstudio-install, or set LABEL_STUDIO_BIN)")
    server = LocalServer(local_files_root=tmp_path_factory.mktemp("ls-local-files"))
    server.start()
    yield server
    server.stop()
