"""The dependency locks in requirements/ agree with pyproject.toml's ranges and with each other
(scripts/lock.sh writes them; setup.sh, CI, the benchmark and the image install from them)."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
LOCKS = REPO / "requirements"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?: ; (.+?))? \\$")
ENV = {"python_version": "3.11", "python_full_version": "3.11.7", "sys_platform": "linux",
       "platform_system": "Linux", "implementation_name": "cpython",
       "platform_python_implementation": "CPython", "platform_machine": "x86_64", "os_name": "posix"}


def pins(name: str) -> dict[str, str]:
    """Package -> version pinned for CPython 3.11 on Linux; every pin carries a hash."""
    lines = (LOCKS / name).read_text().splitlines()
    found: dict[str, str] = {}
    for i, line in enumerate(lines):
        m = PIN.match(line)
        if not m:
            assert not re.match(r"^[A-Za-z0-9]", line), f"{name}: unpinned line {line!r}"
            continue
        assert lines[i + 1].strip().startswith("--hash=sha256:"), f"{name}: {m[1]} has no hash"
        if m[3] is None or Marker(m[3]).evaluate(ENV):
            found[canonicalize_name(m[1])] = m[2]
    return found


def test_dev_lock_satisfies_every_range_of_pyproject():
    dev = pins("dev.lock")
    project = PYPROJECT["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["embedded"],
              *project["optional-dependencies"]["test"],
              *PYPROJECT["build-system"]["requires"]]
    for text in wanted:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in dev, f"{req.name} is not in requirements/dev.lock: run scripts/lock.sh"
        assert req.specifier.contains(dev[name], prereleases=True), \
            f"dev.lock pins {name}=={dev[name]} outside pyproject's {req}: run scripts/lock.sh"


@pytest.mark.parametrize("lock", ["runtime.lock", "bench.lock"])
def test_other_locks_pin_the_same_versions_as_dev(lock):
    dev, other = pins("dev.lock"), pins(lock)
    assert other
    shared = {name: version for name, version in other.items() if name in dev}
    assert shared == {name: dev[name] for name in shared}


def test_runtime_lock_has_the_service_and_not_the_gpl_or_test_extras():
    runtime = pins("runtime.lock")
    for text in PYPROJECT["project"]["dependencies"]:
        assert canonicalize_name(Requirement(text).name) in runtime
    # SecantusDB is GPL-2.0-only and never goes into the image; nor does the test runner.
    assert not {"secantusdb", "pytest", "pytest-timeout"} & set(runtime)


def test_the_installers_are_pinned_too():
    # pip's isolated build would otherwise fetch the newest setuptools on every fresh machine.
    for lock in ("dev.lock", "runtime.lock"):
        assert {"pip", "setuptools", "wheel"} <= set(pins(lock)), lock
