"""Every wizard test runs with its own AICLOUD_HOME and working folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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
