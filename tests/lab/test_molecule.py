"""Each role's molecule scenario on a lab host: create, converge, idempotence, verify, destroy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from installer.bundle import BuildOptions, build
from installer.release import load_release
from tests.lab.conftest import unique_lab_name

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(p.parents[2].name for p in (ROOT / "roles").glob("*/molecule/default/molecule.yml"))
#: scenarios whose create/prepare serve the offline bundle from the lab's deploy host
NEEDS_BUNDLE = {"bundle_server", "time_sync", "containerd"}


@pytest.mark.lab
@pytest.mark.parametrize("role", SCENARIOS)
def test_role_converges_and_is_idempotent_on_a_lab_host(role, lab_prerequisites, lab_home):
    lab = unique_lab_name("m")
    env = {
        **os.environ,
        "AICLOUD_HOME": str(lab_home),
        "AICLOUD_MOLECULE_LAB": lab,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "ANSIBLE_FORCE_COLOR": "0",
        "NO_COLOR": "1",
    }
    if role in NEEDS_BUNDLE:
        # The scenario serves a built lab bundle; build it here (incremental, shared apt cache)
        # so that create and converge name the same directory.
        bundle = lab_home / "molecule-bundle" / "lab-2026.11"
        build(
            load_release("lab-2026.11"),
            BuildOptions(out=bundle, os_families=["debian-12"], cache=lab_home / "bundle-cache"),
        )
        env["AICLOUD_MOLECULE_BUNDLE"] = str(bundle)
    try:
        result = subprocess.run(
            [str(Path(sys.executable).parent / "molecule"), "test"],
            cwd=ROOT / "roles" / role,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            stdin=subprocess.DEVNULL,
        )
    finally:
        subprocess.run(
            [str(Path(sys.executable).parent / "aicloud"), "lab", "down", "--name", lab],
            env=env,
            capture_output=True,
            timeout=300,
            check=False,
        )
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    assert result.returncode == 0, output[-4000:]
    steps = ["converge", "idempotence", "verify"]
    if role in NEEDS_BUNDLE - {"bundle_server"}:
        steps.insert(0, "prepare")  # the bundle phase, before the role's own converge
    for step in steps:
        # "default ➜ converge: Executed: Successful" on a terminal, "[default > converge] Executed: ..." elsewhere
        assert re.search(rf"\b{step}\]?:? Executed: Successful", output), f"{step} did not succeed: {output[-2000:]}"
