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


ROLE = LOAD_MODULES.parents[1]
ARGS_PLAY = """
- name: Render os_baseline's arguments for load-modules.sh
  hosts: all
  connection: local
  gather_facts: false
  vars_files: [{defaults}, {vars}]
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
  tasks:
    - name: Keep them
      ansible.builtin.copy:
        content: "{{{{ os_baseline_load_modules_args | to_json }}}}"
        dest: "{out}/{{{{ inventory_hostname }}}}.json"
        mode: "0644"
      check_mode: false
"""


def _rendered_args(tmp_path, in_container: bool, check: bool) -> dict[str, list[str]]:
    """The arguments the role passes, rendered by Ansible for a plain node and a fabric (RDMA) node."""
    import json
    import sys

    play = tmp_path / "play.yml"
    play.write_text(
        ARGS_PLAY.format(defaults=ROLE / "defaults" / "main.yml", vars=ROLE / "vars" / "main.yml", out=tmp_path)
    )
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("all:\n  hosts: {plain: {}}\n  children:\n    fabric:\n      hosts: {rdma: {}}\n")
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        str(inventory),
        str(play),
        "-e",
        json.dumps({"os_baseline_in_container": in_container}),
    ]
    result = subprocess.run(
        [*command, *(["--check"] if check else [])],
        capture_output=True,
        text=True,
        env={**os.environ, "ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg")},  # absent: nobody's config
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return {host: json.loads((tmp_path / f"{host}.json").read_text()) for host in ("plain", "rdma")}


def test_the_role_passes_each_module_with_its_probe_and_marks_rdma_optional(tmp_path):
    args = _rendered_args(tmp_path, in_container=False, check=False)
    assert args["plain"] == [
        "--optional",
        "",
        "overlay=/sys/module/overlay",
        "br_netfilter=/proc/sys/net/bridge/bridge-nf-call-iptables",
    ]
    assert args["rdma"][:2] == ["--optional", "ib_umad,ib_uverbs,rdma_ucm,rdma_cm"]
    assert "rdma_cm=/sys/module/rdma_cm" in args["rdma"]


def test_check_mode_and_a_container_reach_the_script_as_flags(tmp_path):
    args = _rendered_args(tmp_path, in_container=True, check=True)
    assert args["plain"][:3] == ["--dry-run", "--container", "--optional"]
