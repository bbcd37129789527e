"""How values enter and leave the ledger: times, JSON, ids."""

from __future__ import annotations

import pandas as pd

from dataqa.ledger import to_utc_iso


def test_to_utc_iso() -> None:
    assert to_utc_iso("2024-01-01T02:00:00+02:00") == "2024-01-01T00:00:00.000000+00:00"
    assert to_utc_iso(pd.Timestamp("2024-01-01 00:00")) == "2024-01-01T00:00:00.000000+00:00"
    assert to_utc_iso(None) is None


def test_json_and_ids() -> None:
    from datetime import datetime

    import numpy as np
    import pytest

    from dataqa.errors import InvalidSettingError
    from dataqa.ledger.codec import as_ids, decode_json, encode_json, python_scalar

    text = encode_json({"b": np.int64(3), "a": np.array([0.5, 1.0]), "t": datetime(2024, 1, 1),
                        "s": (1, 2)})
    assert text == ('{"a": [0.5, 1.0], "b": 3, "s": [1, 2], '
                    '"t": "2024-01-01T00:00:00.000000+00:00"}')
    assert decode_json(text)["b"] == 3 and decode_json(None) is None
    with pytest.raises(InvalidSettingError, match="not JSON-serialisable"):
        encode_json({"model": object()})
    assert as_ids([1, "b", np.int64(2)]) == ["1", "b", "2"]
    with pytest.raises(InvalidSettingError, match="single string"):
        as_ids("abc")
    with pytest.raises(InvalidSettingError, match="batch_ids contain a missing id"):
        as_ids(["a", float("nan")], "batch_ids")
    assert type(python_scalar(np.float32(0.5))) is float and python_scalar("x") == "x"
