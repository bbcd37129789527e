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


def test_lazy_names_resolve_to_their_modules():
    import dataqa.audit
    import dataqa.ood
    import dataqa.weak

    assert dataqa.find_label_issues is dataqa.audit.find_label_issues
    assert dataqa.score_ood is dataqa.ood.score_ood
    assert dataqa.fit_label_model is dataqa.weak.fit_label_model


def test_unknown_attribute_raises():
    import pytest

    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        dataqa.nope  # noqa: B018


def test_lazy_tables_match_all():
    # each package lists its public names in __all__ and loads them on first use from _LAZY
    for name in ["dataqa", "dataqa.audit", "dataqa.weak", "dataqa.ood", "dataqa.active",
                 "dataqa.labelstudio"]:
        mod = importlib.import_module(name)
        eager = {n for n in mod.__all__ if n in vars(mod) and n not in mod._LAZY}
        assert set(mod._LAZY) == set(mod.__all__) - eager, name
        for attr, module in mod._LAZY.items():
            # through __getattr__: `dataqa.audit` is also the name of a subpackage, which
            # replaces the attribute once imported (use `from dataqa.audit import audit`)
            value = mod.__getattr__(attr)
            assert value is getattr(importlib.import_module(module), attr), (name, attr)
