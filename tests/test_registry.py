import pytest

from dataqa._registry import check_needs, check_new_entry
from dataqa.errors import InvalidSettingError


def test_check_new_entry_messages():
    table = {"taken": object()}
    with pytest.raises(InvalidSettingError, match="^a selector name must be a non-empty string; got ''"):
        check_new_entry("selector", "", print, table, replace=False)
    with pytest.raises(InvalidSettingError, match="selector 'taken' is already registered; pass replace=True"):
        check_new_entry("selector", "taken", print, table, replace=False)
    check_new_entry("selector", "taken", print, table, replace=True)  # replacing is allowed
    with pytest.raises(InvalidSettingError, match="func for an-thing 'x' must be callable"):
        check_new_entry("an-thing", "x", 3, table, replace=False)


def test_check_needs():
    assert check_needs("selector", ["X"], ("X", "X_labeled")) == ("X",)
    with pytest.raises(InvalidSettingError,
                       match=r"unknown selector need\(s\) 'Y'; declare some of X, X_labeled"):
        check_needs("selector", ["X", "Y"], ("X", "X_labeled"))
