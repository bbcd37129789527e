"""The public API: every ``__all__`` lists exactly the public names, every error in errors.py.

In the style of httpx's ``test_exported_members``: a name a package defines or exports
without a leading underscore is public and must be in its ``__all__``, and the list
holds nothing else.
"""

import __future__

import importlib
import inspect
import pkgutil
import subprocess
import sys
import warnings
from types import ModuleType

import pytest

import dataqa

SUBPACKAGES = ["dataqa.audit", "dataqa.weak", "dataqa.ood", "dataqa.active", "dataqa.labelstudio",
               "dataqa.drift", "dataqa.ledger", "dataqa.stats", "dataqa.data", "dataqa.errors", "dataqa.types",
               "dataqa.datasets", "dataqa.features", "dataqa.report"]

#: The packages users import from: the top level, each area and the LF factories.
PACKAGES = ["dataqa", "dataqa.audit", "dataqa.weak", "dataqa.ood", "dataqa.active",
            "dataqa.ledger", "dataqa.labelstudio", "dataqa.drift", "labeling_functions"]

#: Modules whose ``__all__`` must list every public function and class defined in them
#: (their other names are imports: helpers, errors, typing).
MODULES = ["dataqa.errors", "dataqa.types", "dataqa.stats", "dataqa.data", "dataqa.datasets",
           "dataqa.features", "dataqa.report", "dataqa._validation"]

#: Dunder names a package may list in ``__all__``.
LISTED_DUNDERS = {"__version__"}


def public_names(module: ModuleType) -> set[str]:
    """Names ``module`` defines or exports, loaded or lazy; submodules are not names."""
    names = {n for n, v in vars(module).items()
             if not n.startswith("_") and not isinstance(v, ModuleType | __future__._Feature)}
    names |= set(getattr(module, "_LAZY", {}))
    return names | (LISTED_DUNDERS & set(vars(module)))


def all_modules() -> list[ModuleType]:
    """Every module of dataqa and labeling_functions, imported."""
    import labeling_functions

    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # old paths that warn
        for pkg in (dataqa, labeling_functions):
            out.append(pkg)
            for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
                out.append(importlib.import_module(info.name))
    return out


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


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_exactly_the_public_names(name):
    module = importlib.import_module(name)
    assert len(module.__all__) == len(set(module.__all__)), name
    listed = set(module.__all__)
    public = public_names(module)
    assert sorted(public - listed) == [], f"{name}: public but not in __all__"
    assert sorted(listed - public) == [], f"{name}: in __all__ but not defined or exported"


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_every_function_and_class_defined_there(name):
    module = importlib.import_module(name)
    defined = {n for n, v in vars(module).items()
               if not n.startswith("_") and (inspect.isfunction(v) or inspect.isclass(v))
               and v.__module__ == name}
    assert sorted(defined - set(module.__all__)) == [], name
    assert [n for n in module.__all__ if not hasattr(module, n)] == [], name


def _exception_classes_outside_errors(kind: type[BaseException]) -> list[str]:
    found = []
    for module in all_modules():
        if module.__name__ == "dataqa.errors":
            continue
        for n, v in vars(module).items():
            # private classes (``_Unsupported``) are control flow that never leaves a module
            if (isinstance(v, type) and issubclass(v, BaseException) and not n.startswith("_")
                    and v.__module__ == module.__name__):
                if issubclass(v, Warning) == issubclass(kind, Warning):
                    found.append(f"{module.__name__}.{n}")
    return found


def test_every_error_class_lives_in_errors():
    assert _exception_classes_outside_errors(Exception) == []


def test_every_warning_class_lives_in_errors():
    assert _exception_classes_outside_errors(Warning) == []


def test_errors_all_is_every_error_class():
    from dataqa import errors

    classes = {n for n, v in vars(errors).items()
               if isinstance(v, type) and issubclass(v, BaseException)
               and v.__module__ == "dataqa.errors"}
    assert classes == {n for n in errors.__all__ if isinstance(getattr(errors, n), type)}


def test_dataqa_audit_runs_the_audit_whichever_was_imported_first():
    code = (
        "import numpy as np, pandas as pd\n"
        "import dataqa.audit.review  # binds dataqa.audit to the package first\n"
        "import dataqa\n"
        "df = pd.DataFrame({'x': np.r_[np.zeros(20), np.ones(20)], 'label': ['a'] * 20 + ['b'] * 20})\n"
        "res = dataqa.audit(df, label_column='label', datalab=False)\n"
        "print(type(res).__name__, res.n_flagged, callable(dataqa.audit))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-3:] == ["AuditResult", "0", "True"]


def test_every_dataqa_error_pickles_as_raised():
    # a worker process (n_jobs, Dask) sends its error back pickled; errors whose __init__
    # takes other arguments than the message could not be rebuilt (BrokenProcessPool)
    import pickle

    from dataqa.errors import ColumnValueError, MissingColumnError, UnknownNameError

    for error in (MissingColumnError("a", ["b", "c"], role="LF column", table="'t.csv'",
                                     fix="Rename it."),
                  UnknownNameError("label model", "snorkle", ["snorkel", "majority"]),
                  ColumnValueError("n", 3, "x", "n > 2", "; fix it.")):
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error) and str(back) == str(error)
        assert back.__dict__ == error.__dict__
