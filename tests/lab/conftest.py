"""A lab for the test session: brought up once, always torn down, named uniquely per run.

Lab tests skip (with the reason) only where podman, runc, debootstrap or root are really
missing; CI installs them, so there they run.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from installer import lab as engine
from installer.bundle import BuildOptions, build
from installer.lab import MissingPrerequisite, UpResult
from installer.lab.prereq import require
from installer.release import load_release

LAB_RELEASE = "lab-2026.11"
#: the aicloud command of this venv
AICLOUD = str(Path(sys.executable).parent / "aicloud")


def missing_prerequisites() -> str | None:
    try:
        require(("podman", "runc", "debootstrap", "ssh-keygen", "ssh"))
    except MissingPrerequisite as exc:
        return str(exc)
    return None


def unique_lab_name(prefix: str = "t") -> str:
    """Unique per run and per call: two test runs (or two labs of one run) never collide."""
    return f"{prefix}{os.getpid()}{secrets.token_hex(2)}"


@dataclass
class Lab:
    up: UpResult
    home: Path

    @property
    def name(self) -> str:
        return self.up.spec.name

    @property
    def hosts(self) -> list[str]:
        return [h.name for h in self.up.spec.hosts]

    def ssh(self, host: str, command: str, *, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["ssh", "-F", str(self.up.paths.ssh_config), host, command],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"ssh {host} {command!r} failed ({result.returncode}): {result.stderr.strip()}")
        return result


@pytest.fixture(scope="session")
def lab_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """AICLOUD_HOME of this run's labs: keys and files never land in the user's ~/.aicloud."""
    return tmp_path_factory.mktemp("aicloud-home")


@pytest.fixture(scope="session")
def lab_prerequisites() -> None:
    reason = missing_prerequisites()
    if reason:
        pytest.skip(f"lab tests need podman, runc, debootstrap, openssh-client and root: {reason}")


@pytest.fixture(scope="session")
def lab(lab_prerequisites: None, lab_home: Path) -> Iterator[Lab]:
    """One lab of 3 nodes plus the deploy host, shared by the session's lab tests."""
    name = unique_lab_name()
    try:
        yield Lab(engine.up(name, 3, home=lab_home), lab_home)
    finally:
        engine.down(name, home=lab_home)


@pytest.fixture
def lab_names(lab_prerequisites: None, lab_home: Path) -> Iterator[Callable[[], str]]:
    """Hands out fresh lab names; every lab made under them is removed after the test, pass or fail."""
    names: list[str] = []

    def new() -> str:
        names.append(unique_lab_name("u"))
        return names[-1]

    try:
        yield new
    finally:
        for name in names:
            engine.down(name, home=lab_home)


@pytest.fixture(scope="session")
def lab_bundle(lab_prerequisites: None, lab_home: Path) -> Path:
    """The lab release's offline bundle, built once per session for every test that only reads
    it (a test that damages one copies it first); its signing key stays under `lab_home`."""
    for tool in ("apt-ftparchive", "skopeo", "rsync", "gpg"):
        if shutil.which(tool) is None:
            pytest.skip(f"the bundle build needs {tool} (Debian packages apt-utils, skopeo, rsync, gpg)")
    # Where `aicloud bundle build` users put it (the Makefile, `aicloud install`'s default --bundle),
    # which is also where older builds kept the signing key's GnuPG home: <bundle>/gnupg.
    out = lab_home / "bundles" / LAB_RELEASE
    cache = Path(os.environ.get("AICLOUD_BUNDLE_TEST_CACHE") or lab_home / "bundle-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("AICLOUD_HOME", str(lab_home))
    try:
        result = build(load_release(LAB_RELEASE), BuildOptions(out=out, os_families=["debian-12"], cache=cache))
    finally:
        mp.undo()
    assert result.complete, [str(m) for m in result.manifest.missing]
    return out


@pytest.fixture(scope="session")
def bundle_dir(lab_bundle: Path) -> Path:
    return lab_bundle


@pytest.fixture(scope="session")
def cli_env(lab_home: Path) -> dict[str, str]:
    """The environment of an `aicloud` command run by a lab test: the session's home, plain output."""
    return {**os.environ, "AICLOUD_HOME": str(lab_home), "NO_COLOR": "1", "COLUMNS": "200"}


def aicloud(cli_env: dict[str, str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run `aicloud ARGS` as a user would, with no standard input."""
    return subprocess.run(
        [AICLOUD, *args], capture_output=True, text=True, timeout=timeout, env=cli_env, stdin=subprocess.DEVNULL
    )
