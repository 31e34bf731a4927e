"""environment.yml (conda users) names every dependency of pyproject.toml with the same bound."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from crm_analysis.config import PROJECT_ROOT


def _pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    specs = list(meta["dependencies"])
    for extra in meta["optional-dependencies"].values():
        specs.extend(extra)
    out = {}
    for spec in specs:
        req = Requirement(spec)
        name = req.name.lower()
        out[name] = str(req.specifier)
    return out


def _conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, spec = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", dep).groups()
            out[name.lower()] = spec.replace(" ", "")
    return out


def test_environment_yml_names_every_pyproject_dependency_with_its_lower_bound():
    conda = _conda_requirements()
    for name, spec in _pyproject_requirements().items():
        assert name in conda, f"environment.yml lacks {name} (pyproject: {name}{spec})"
        assert SpecifierSet(conda[name]) == SpecifierSet(spec), (
            f"{name}: environment.yml says {conda[name]!r}, pyproject says {spec!r}"
        )


def test_environment_yml_installs_the_project_editable():
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    pip_parts = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert pip_parts and "-e ." in pip_parts[0]
    python = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    requires = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    assert python == [f"python{requires['requires-python']}"]


def test_lock_file_pins_every_dependency():
    locked = {}
    for line in (PROJECT_ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            locked[re.sub(r"[-_.]+", "-", name.lower())] = version.strip()
    for name, spec in _pyproject_requirements().items():
        base = re.sub(r"[-_.]+", "-", name)
        assert base in locked, f"requirements.lock does not pin {base}"
        assert Requirement(f"{base}{spec}").specifier.contains(locked[base]), (
            f"requirements.lock pins {base}=={locked[base]}, outside pyproject's {spec}"
        )


def test_xdist_groups_take_effect(request):
    """`make test` keeps each module's tests, which share one report run, in one xdist worker
    (tests/conftest.py). Some pytest and pytest-xdist pairs drop the groups without a word
    (pytest-dev/pytest-xdist#1386), and every shared run is then made twice: this fails then."""
    if not request.config.getoption("loadgroup", default=False):
        pytest.skip("not run by pytest-xdist with --dist loadgroup")
    assert request.node.nodeid.endswith("@test_environment"), request.node.nodeid

