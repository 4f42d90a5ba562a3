"""Every wizard test runs with its own AICLOUD_HOME and working folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

# pyinfra decides at import whether stdout is a terminal by asking sys.stdout, then asks fd 1 for
# its size. Inside App.run_test sys.stdout is Textual's stand-in, which says "a terminal", while
# fd 1 is pytest's capture file: importing pyinfra there fails with ENOTTY. A run in a terminal
# never meets this, so the tests import the engine (and pyinfra) before any app starts.
import installer.discovery
import installer.run  # noqa: F401
from tests.sitedata import ROOT


@pytest.fixture(autouse=True)
def wizard_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("AICLOUD_HOME", str(home))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


@pytest.fixture
def lab_file(tmp_path: Path) -> Path:
    """The lab example, copied so a test may save over it."""
    path = tmp_path / "work" / "lab.yaml"
    shutil.copy(ROOT / "inventory-examples" / "lab.yaml", path)
    return path


@pytest.fixture
def roce_file(tmp_path: Path) -> Path:
    """The RoCE example (a fabric, rails, fabric NICs), copied so a test may save over it."""
    path = tmp_path / "work" / "roce-4node.yaml"
    shutil.copy(ROOT / "inventory-examples" / "roce-4node.yaml", path)
    return path


@pytest.fixture
def lab_site_with_a_key(tmp_path: Path) -> Path:
    """The lab example with a key file that exists (the run engine reads it before anything)."""
    data = yaml.safe_load((ROOT / "inventory-examples" / "lab.yaml").read_text())
    key = tmp_path / "id_ed25519"
    key.write_text("a key the run never uses: no phase of this test reaches a host\n")
    key.chmod(0o600)
    data["ssh"]["privateKey"] = {"file": str(key)}
    del data["ssh"]["configFile"]
    path = tmp_path / "work" / "site.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
