"""The shell scripts roles run with Ansible's `script`: exercised here with fake probes and a fake modprobe."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

LOAD_MODULES = Path(__file__).resolve().parents[2] / "roles" / "os_baseline" / "files" / "load-modules.sh"


@pytest.fixture
def kernel(tmp_path):
    """A fake /sys: `present` is there; modprobe logs what it loads."""
    (tmp_path / "present").mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    modprobe = bin_dir / "modprobe"
    modprobe.write_text(f'#!/bin/sh\necho "$1" >> {tmp_path}/modprobe.log\n')
    modprobe.chmod(0o755)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["sh", str(LOAD_MODULES), *args],
            capture_output=True,
            text=True,
            env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
            timeout=30,
        )

    def loaded() -> list[str]:
        log = tmp_path / "modprobe.log"
        return log.read_text().split() if log.exists() else []

    return tmp_path, run, loaded


def test_a_host_loads_only_the_modules_that_are_not_there(kernel):
    root, run, loaded = kernel
    result = run("--optional", "", f"overlay={root}/present", f"br_netfilter={root}/absent")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "loaded br_netfilter"
    assert loaded() == ["br_netfilter"]


def test_nothing_loaded_is_no_change(kernel):
    root, run, loaded = kernel
    result = run(f"overlay={root}/present")
    assert result.returncode == 0 and result.stdout == "" and loaded() == []


def test_dry_run_reports_without_loading(kernel):
    root, run, loaded = kernel
    result = run("--dry-run", f"ib_umad={root}/absent")
    assert result.stdout.strip() == "loaded ib_umad" and loaded() == []


def test_a_container_never_loads_and_names_the_host_command_for_a_required_module(kernel):
    root, run, loaded = kernel
    specs = (f"ib_umad={root}/absent", f"br_netfilter={root}/absent")
    result = run("--container", "--optional", "ib_umad,rdma_cm", *specs)
    assert result.returncode == 1 and loaded() == []
    assert "br_netfilter" in result.stderr and "modprobe br_netfilter" in result.stderr
    assert "ib_umad" not in result.stderr  # optional (RDMA) in a container: left alone


def test_a_container_with_every_required_module_present_passes(kernel):
    root, run, loaded = kernel
    result = run("--container", "--optional", "rdma_cm", f"overlay={root}/present", f"rdma_cm={root}/absent")
    assert result.returncode == 0 and result.stdout == "" and loaded() == []


def test_a_failing_modprobe_fails_the_step(kernel):
    root, run, _loaded = kernel
    (root / "bin" / "modprobe").write_text("#!/bin/sh\necho 'modprobe: FATAL: Module nope not found' >&2\nexit 1\n")
    result = run(f"nope={root}/absent")
    assert result.returncode != 0 and "Module nope not found" in result.stderr
