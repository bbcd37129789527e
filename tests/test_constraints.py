"""The Makefile installs through constraints/*.txt: they must pin every requirement the
Makefile installs, at a version pyproject.toml (or the Makefile) allows."""
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
#: the extras the Makefile's install names
MAKE_EXTRAS = ("labelstudio", "dask", "text", "dev")


def _pins(path: Path) -> dict[str, Version]:
    pins = {}
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;]+)", line)
        assert m, f"{path.name} line {i}: {line!r} is not NAME==VERSION"
        name = canonicalize_name(m.group(1))
        assert name not in pins, f"{path.name} pins {m.group(1)} twice"
        pins[name] = Version(m.group(2))
    return pins


def _project_requirements() -> list[Requirement]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = [Requirement(r) for r in meta["dependencies"]]
    for extra in MAKE_EXTRAS:
        reqs += [Requirement(r) for r in meta["optional-dependencies"][extra]]
    return reqs


def test_makefile_installs_through_the_constraints():
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    # pip's own upgrade, torch, dataqa, the OOD benchmark's reference, Label Studio and
    # alibi-detect: every one
    installs = [ln for ln in make.splitlines() if re.search(r"(\$\(PIP\)|pip) install ", ln)]
    assert len(installs) == 8, installs
    for ln in installs:
        assert "-c constraints/" in ln, f"this install skips the constraints: {ln.strip()}"
    extras = re.search(r'-e "\.\[([^\]]*)\]"', make).group(1).split(",")
    assert tuple(extras) == MAKE_EXTRAS


def test_main_constraints_pin_every_requirement_within_its_range():
    pins = _pins(ROOT / "constraints" / "main.txt")
    for req in _project_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, (f"constraints/main.txt does not pin {req.name}: run `make "
                              f"constraints` after `make test` passes")
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"constraints/main.txt pins {req.name}=={pins[name]}, outside pyproject's {req}")
    assert pins["torch"] == Version("2.13.0")  # the CPU build the Makefile installs first
    assert {"pip", "setuptools", "pytorch-ood"} <= set(pins)  # (pip freeze --all)


def test_alibi_constraints_pin_the_drift_benchmarks_anchor():
    pins = _pins(ROOT / "constraints" / "alibi.txt")
    assert pins["alibi-detect"] == Version("0.13.0") and pins["torch"] == Version("2.13.0")
    assert pins["numpy"].major < 2  # alibi-detect 0.13 pins numpy < 2: its own environment


@pytest.mark.parametrize("name", ["label-studio", "label-studio-sdk", "django", "sentry-sdk"])
def test_label_studio_constraints_pin_its_server(name):
    pins = _pins(ROOT / "constraints" / "labelstudio.txt")
    assert name in pins, f"constraints/labelstudio.txt does not pin {name}"
    if name == "label-studio":
        assert pins[name].release[:2] == (1, 23)  # the Makefile's "label-studio==1.23.*"
    if name == "sentry-sdk":
        assert pins[name].major < 3  # 3.0 makes Label Studio 1.23 exit at start-up
