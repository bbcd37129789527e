from __future__ import annotations

from pathlib import Path

import pytest

from dataqa.ledger import Ledger


@pytest.fixture()
def ledger(tmp_path: Path):
    with Ledger(tmp_path / "l.db") as opened:
        yield opened
