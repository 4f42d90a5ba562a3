"""The faults a field engineer meets in the first hour, on a real lab, failing closed.

One lab of 1 node plus its deploy host, the tests in order: a dry run of a fresh site; a
tampered bundle refused before any SSH; Ctrl-C (twice) in the middle of a phase; the node
remade, then `--resume` read through a pipe that closes after three lines; `--resume` after a
run that succeeded; and a second answer file naming the same servers while a run holds them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from installer import lab as engine
from installer.lab.podman import Podman
from installer.run.locks import run_locks
from installer.run.state import RunState
from tests.lab.conftest import AICLOUD, aicloud, unique_lab_name

RELEASE = "lab-2026.11"
pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def site_lab(lab_prerequisites, lab_home):
    name = unique_lab_name("f")
    try:
        yield engine.up(name, 1, home=lab_home)
    finally:
        engine.down(name, home=lab_home)


def runs_of(lab_home: Path, site: str) -> set[str]:
    runs = lab_home / "sites" / site / "runs"
    return {p.name for p in runs.iterdir() if not p.is_symlink()} if runs.is_dir() else set()


def ssh_logins(site_lab) -> int:
    """Logins sshd accepted on every lab host, read through podman (not over SSH)."""
    total = 0
    for host in site_lab.spec.hosts:
        result = subprocess.run(
            ["podman", "exec", host.name, "journalctl", "-q", "_COMM=sshd", "-o", "cat"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        total += result.stdout.count("Accepted publickey")
    return total


def node_record(site_lab) -> dict:
    node = site_lab.spec.hosts[-1].name
    result = subprocess.run(
        ["podman", "exec", node, "cat", "/etc/aicloud/release.json"], capture_output=True, text=True, timeout=60
    )
    return json.loads(result.stdout) if result.returncode == 0 else {}


def test_a_dry_run_of_a_fresh_site_runs_every_phase_changes_nothing_and_suggests_nothing(site_lab, cli_env, bundle_dir):
    result = aicloud(
        cli_env, "install", "-f", str(site_lab.paths.site), "--yes", "--check", "--bundle", str(bundle_dir)
    )
    text = result.stdout + result.stderr
    assert result.returncode == 0, text
    assert "dry run (nothing was changed on any host): finished" in text
    assert "--resume" not in text
    for phase in ("preflight", "bundle", "os", "runtime"):
        assert f"{phase}: done" in result.stdout, text
    assert node_record(site_lab) == {}  # nothing recorded, nothing installed


def test_a_tampered_bundle_is_refused_with_exit_2_before_any_ssh(site_lab, cli_env, bundle_dir, lab_home, tmp_path):
    copy = tmp_path / "tampered"
    shutil.copytree(bundle_dir, copy, symlinks=True)
    deb = next(copy.rglob("*.deb"))
    data = bytearray(deb.read_bytes())
    data[len(data) // 2] ^= 0xFF
    deb.write_bytes(bytes(data))
    site = site_lab.paths.site
    name = yaml.safe_load(site.read_text())["metadata"]["name"]
    runs, logins = runs_of(lab_home, name), ssh_logins(site_lab)
    result = aicloud(cli_env, "install", "-f", str(site), "--yes", "--bundle", str(copy))
    assert result.returncode == 2, result.stdout + result.stderr
    assert deb.name in result.stderr and "integrity check" in result.stderr
    assert "Traceback" not in result.stderr
    assert runs_of(lab_home, name) == runs  # no run started
    assert ssh_logins(site_lab) == logins  # and no host was logged in to


def test_ctrl_c_twice_mid_phase_stops_cleanly_with_exit_130_and_a_summary(site_lab, cli_env, bundle_dir, lab_home):
    name = yaml.safe_load(site_lab.paths.site.read_text())["metadata"]["name"]
    before = runs_of(lab_home, name)
    process = subprocess.Popen(
        [AICLOUD, "install", "-f", str(site_lab.paths.site), "--yes", "--bundle", str(bundle_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=cli_env,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        deadline = time.monotonic() + 600
        progress = None
        while time.monotonic() < deadline and process.poll() is None:
            new = runs_of(lab_home, name) - before
            if new:
                progress = lab_home / "sites" / name / "runs" / new.pop() / "progress.jsonl"
                if progress.is_file() and '"event": "PhaseStarted", "phase": "os"' in progress.read_text():
                    break
            time.sleep(0.5)
        else:
            pytest.fail(f"the os phase never started: {process.communicate(timeout=60)}")
        time.sleep(2)  # inside a task
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        time.sleep(0.3)
        os.killpg(process.pid, signal.SIGINT)  # and an impatient second one
        out, err = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, out + err
    assert "Traceback" not in err and "KeyError" not in err
    assert "interrupted: stopping when the running task ends" in err and "stopping now" in err
    assert "install interrupted: stopped in phase os" in err
    run_dir = progress.parent
    state = RunState.load(run_dir / "state.json")
    assert state.result == "interrupted"
    assert state.phases["bundle"].status == "done" and state.phases["os"].status == "failed"
    assert json.loads((run_dir / "summary.json").read_text())["result"] == "interrupted"


def test_resume_after_the_node_was_remade_reinstalls_it_even_through_a_closed_pipe(site_lab, cli_env, lab_home):
    """The controller's state said bundle was done on the node; the node's own record is gone."""
    node = site_lab.spec.hosts[-1].name
    Podman()("rm", "-f", "-t", "0", node)  # as the lab runs podman (its network backend)
    engine.up(site_lab.spec.name, 1, home=lab_home)  # makes the missing host again, with new host keys
    assert node_record(site_lab) == {}
    command = [AICLOUD, "install", "-f", str(site_lab.paths.site), "--yes", "--resume"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env, text=True)
    first = [process.stdout.readline() for _ in range(3)]  # `| head -3`
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=900) == 0, "".join(first) + err
    run_dir = Path(first[0].split(": ", 1)[1].strip())
    events = [json.loads(line) for line in (run_dir / "progress.jsonl").read_text().splitlines()]
    bundle_hosts = [e["hosts"] for e in events if e["event"] == "PhaseStarted" and e["phase"] == "bundle"]
    assert bundle_hosts and node in bundle_hosts[0]  # done before, but not on this node any more
    assert RunState.load(run_dir / "state.json").result == "succeeded"
    assert set(node_record(site_lab).get("phases", {})) >= {"bundle", "os", "runtime"}


def test_resume_after_a_run_that_succeeded_has_nothing_to_resume(site_lab, cli_env):
    result = aicloud(cli_env, "install", "-f", str(site_lab.paths.site), "--yes", "--resume")
    assert result.returncode == 2
    assert "nothing to resume" in result.stderr and "succeeded" in result.stderr


def test_another_answer_file_naming_the_same_servers_is_refused_while_a_run_holds_them(
    site_lab, cli_env, lab_home, tmp_path, monkeypatch
):
    monkeypatch.setenv("AICLOUD_HOME", str(lab_home))
    data = yaml.safe_load(site_lab.paths.site.read_text())  # the lab writes absolute paths
    original = data["metadata"]["name"]
    data["metadata"]["name"] = f"{original}-copy"
    copy = tmp_path / "copy.yaml"
    copy.write_text(yaml.safe_dump(data))
    hosts = {h["name"]: (h["address"], 22) for h in data["nodes"]}
    with run_locks("install", original, hosts):  # what a running install of the original holds
        result = aicloud(cli_env, "install", "-f", str(copy), "--yes", "--phase", "os")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "is busy: install of site " + original in result.stderr
    assert f"pid {os.getpid()}" in result.stderr


def test_a_wheel_installed_in_a_fresh_venv_outside_the_checkout_installs_the_lab(
    site_lab, cli_env, bundle_dir, tmp_path
):
    """The Ansible content ships in the wheel: nothing is read from the checkout."""
    root = Path(__file__).resolve().parents[2]
    wheels, venv, elsewhere = tmp_path / "wheels", tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in cli_env.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(root)]
    subprocess.run(pip, check=True, capture_output=True, timeout=600, cwd=elsewhere)
    (wheel,) = wheels.glob("aicloud-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
    install = [str(venv / "bin" / "pip"), "install", "-q", str(wheel)]
    subprocess.run(install, check=True, capture_output=True, timeout=900, cwd=elsewhere, env=env)
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import installer.content as c; print(c.PLAYBOOKS_DIR)"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        timeout=60,
    ).stdout.strip()
    assert where.startswith(str(venv)), where
    result = subprocess.run(
        [
            str(venv / "bin" / "aicloud"),
            "install",
            "-f",
            str(site_lab.paths.site),
            "--yes",
            "--full",
            "--bundle",
            str(bundle_dir),
        ],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    run_dir = Path(result.stdout.split("install finished: run directory ")[1].split()[0])
    assert f"roles_path = {venv}" in (run_dir / "ansible.cfg").read_text()
    for phase in ("bundle", "os", "runtime"):
        assert f"{phase}: done, 0 changed" in result.stdout, result.stdout
