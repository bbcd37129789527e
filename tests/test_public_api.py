import importlib

import dataqa

SUBPACKAGES = ["dataqa.audit", "dataqa.weak", "dataqa.ood", "dataqa.active", "dataqa.labelstudio",
               "dataqa.ledger", "dataqa.stats", "dataqa.data", "dataqa.errors", "dataqa.types",
               "dataqa.datasets", "dataqa.features", "dataqa.report"]


def test_top_level_all_names_exist():
    assert len(dataqa.__all__) == len(set(dataqa.__all__))
    missing = [n for n in dataqa.__all__ if not hasattr(dataqa, n)]
    assert missing == []


def test_subpackage_all_names_exist():
    for name in SUBPACKAGES:
        mod = importlib.import_module(name)
        assert hasattr(mod, "__all__"), name
        missing = [n for n in mod.__all__ if not hasattr(mod, n)]
        assert missing == [], (name, missing)


def test_every_error_is_a_dataqa_error():
    from dataqa import errors

    for n in errors.__all__:
        obj = getattr(errors, n)
        if isinstance(obj, type):
            assert issubclass(obj, errors.DataqaError)
