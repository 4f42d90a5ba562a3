"""`aicloud install` on a lab, end to end: the README's demo, failure, resume, SIGKILL, secrets.

The tests run in order on one lab of 3 nodes plus its deploy host: the first install is
interrupted by a host going down, resumed, then run again: the re-run verifies each node's
record and runs no playbook, a --full re-run changes nothing, and drift on one node re-runs
the phase on that node only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml

from installer import lab as engine
from installer.events import PhaseStarted
from installer.run import InstallOptions, install
from installer.run.state import RunState
from installer.site import load_site
from tests.lab.conftest import AICLOUD, aicloud, unique_lab_name

RELEASE = "lab-2026.11"
pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def site_lab(lab_prerequisites, lab_home):
    name = unique_lab_name("i")
    try:
        yield engine.up(name, 3, home=lab_home)
    finally:
        engine.down(name, home=lab_home)


def ssh(site_lab, host: str, command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ssh", "-F", str(site_lab.paths.ssh_config), host, command],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def install_cli(cli_env, site_lab, bundle_dir, *extra: str) -> tuple[subprocess.CompletedProcess, Path]:
    """Run `aicloud install --yes` on the lab; return the process and its run directory."""
    result = aicloud(cli_env, "install", "-f", str(site_lab.paths.site), "--yes", "--bundle", str(bundle_dir), *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    return result, Path(result.stdout.split("install finished: run directory ")[1].split()[0])


def progress(run_dir: str | Path) -> list[dict]:
    return [json.loads(line) for line in (Path(run_dir) / "progress.jsonl").read_text().splitlines()]


def test_a_host_going_down_mid_run_fails_the_run_clearly(site_lab, bundle_dir, lab_home, monkeypatch):
    monkeypatch.setenv("AICLOUD_HOME", str(lab_home))
    victim = site_lab.spec.hosts[-1].name
    stop_once = threading.Event()

    def on_event(event):
        if isinstance(event, PhaseStarted) and event.phase == "os" and not stop_once.is_set():
            stop_once.set()
            engine.stop_host(victim, site_lab.spec.name)

    result = install(
        load_site(site_lab.paths.site), InstallOptions(extravars={"bundle_dir": str(bundle_dir)}), on_event=on_event
    )
    assert not result.ok and result.outcome == "failed" and result.failed_phase == "os"
    state = RunState.load(Path(result.run_dir) / "state.json")
    assert state.phases["os"].hosts[victim].status == "failed"
    assert state.phases["bundle"].hosts[victim].status == "done"
    others = [h for h in state.phases["os"].hosts if h != victim]
    assert all(state.phases["os"].hosts[h].status == "done" for h in others)
    assert victim in (Path(result.run_dir) / "log.txt").read_text()


def test_resume_after_the_host_is_back_finishes_without_redoing_done_work(site_lab, cli_env, bundle_dir, lab_home):
    victim = site_lab.spec.hosts[-1].name
    engine.start_host(victim, site_lab.spec.name)
    result = aicloud(
        cli_env, "install", "-f", str(site_lab.paths.site), "--yes", "--resume", "--bundle", str(bundle_dir)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    run_dir = result.stdout.split("install finished: run directory ")[1].split()[0]
    events = progress(run_dir)
    started = {e["phase"]: e["hosts"] for e in events if e["event"] == "PhaseStarted"}
    assert started["os"] == [victim]  # the other hosts finished os before the failure
    assert "bundle" not in started  # done in the first run, and each node's record says it still holds
    assert sorted(started["runtime"]) == sorted(h.name for h in site_lab.spec.hosts if h.role != "deploy")
    for host in started["runtime"]:
        assert ssh(site_lab, host, "systemctl is-active containerd").stdout.strip() == "active"
        record = json.loads(ssh(site_lab, host, "cat /etc/aicloud/release.json").stdout)
        assert record["release"] == RELEASE and set(record["phases"]) >= {"bundle", "os", "runtime"}
    for host in (h.name for h in site_lab.spec.hosts):
        assert ssh(site_lab, host, "systemctl is-active chrony").stdout.strip() == "active"
    skipped = {e["phase"]: e["reason"] for e in events if e["event"] == "PhaseSkipped"}
    assert skipped["kubernetes"] == "release lab-2026.11 has no kubernetes components"


def test_a_second_install_verifies_every_node_and_runs_no_playbook(site_lab, cli_env, bundle_dir):
    result, run_dir = install_cli(cli_env, site_lab, bundle_dir)
    events = progress(run_dir)
    verified = {e["phase"]: e for e in events if e["event"] == "PhaseVerified"}
    assert set(verified) == {"bundle", "os", "runtime"}
    assert sorted(verified["os"]["unchanged"]) == sorted(h.name for h in site_lab.spec.hosts)
    assert all(e["rerun"] == {} for e in verified.values())
    assert not [e for e in events if e["event"] == "PhaseStarted" and e["phase"] != "preflight"]
    state = RunState.load(run_dir / "state.json")
    assert state.result == "succeeded" and all(state.phases[p].status == "done" for p in ("bundle", "os", "runtime"))
    assert "os: unchanged on" in result.stdout and "skipped: fabric.type is none" in result.stdout


def test_a_full_second_install_runs_every_task_and_changes_nothing(site_lab, cli_env, bundle_dir):
    """The roles themselves are idempotent: --full runs every task on every host, 0 changed."""
    _, run_dir = install_cli(cli_env, site_lab, bundle_dir, "--full")
    events = progress(run_dir)
    assert not [e for e in events if e["event"] == "PhaseVerified"]
    finished = [e for e in events if e["event"] == "PhaseFinished"]
    assert {e["phase"] for e in finished} >= {"bundle", "os", "runtime"}
    assert {e["phase"]: e["changed"] for e in finished} == {e["phase"]: 0 for e in finished}


def test_drift_on_a_node_reruns_the_phase_there_only_and_repairs_it(site_lab, cli_env, bundle_dir):
    nodes = [h.name for h in site_lab.spec.hosts if h.role != "deploy"]
    edited, stopped = nodes[0], nodes[1]
    assert ssh(site_lab, edited, "echo 'vm.swappiness = 60' >> /etc/sysctl.d/90-aicloud.conf").returncode == 0
    assert ssh(site_lab, stopped, "systemctl stop containerd").returncode == 0
    result, run_dir = install_cli(cli_env, site_lab, bundle_dir)
    events = progress(run_dir)
    verified = {e["phase"]: e for e in events if e["event"] == "PhaseVerified"}
    started = {e["phase"]: e["hosts"] for e in events if e["event"] == "PhaseStarted"}
    assert list(verified["os"]["rerun"]) == [edited] and started["os"] == [edited]
    assert "drifted" in verified["os"]["rerun"][edited]
    assert list(verified["runtime"]["rerun"]) == [stopped] and started["runtime"] == [stopped]
    assert "bundle" not in started
    assert "swappiness = 60" not in ssh(site_lab, edited, "cat /etc/sysctl.d/90-aicloud.conf").stdout
    assert ssh(site_lab, stopped, "systemctl is-active containerd").stdout.strip() == "active"
    assert f"os: runs on {edited}: the node has drifted" in result.stdout
    # Repaired, so the next run verifies everything again.
    _, again = install_cli(cli_env, site_lab, bundle_dir)
    assert not [e for e in progress(again) if e["event"] == "PhaseStarted" and e["phase"] != "preflight"]


def test_sigkill_of_aicloud_leaves_readable_state_and_resume_finishes(site_lab, cli_env, bundle_dir, lab_home):
    runs = lab_home / "sites" / site_lab.spec.name / "runs"
    before = set(runs.iterdir())
    proc = subprocess.Popen(
        [
            AICLOUD,
            "install",
            "-f",
            str(site_lab.paths.site),
            "--yes",
            "--from-phase",
            "os",
            "--full",  # the node records say os holds; the kill must land in a running playbook
            "--bundle",
            str(bundle_dir),
        ],
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        run_dir = None
        while time.monotonic() < deadline and run_dir is None:
            new = [p for p in set(runs.iterdir()) - before if p.name != "latest" and (p / "progress.jsonl").exists()]
            if new and '"HostResult"' in (new[0] / "progress.jsonl").read_text():
                run_dir = new[0]
            time.sleep(0.2)
        assert run_dir is not None, "the run never got going"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    state = RunState.load(run_dir / "state.json")  # parses: written atomically
    assert state.result == "running" and state.phases["os"].status == "running"
    result = aicloud(
        cli_env, "install", "-f", str(site_lab.paths.site), "--yes", "--resume", "--bundle", str(bundle_dir)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    resumed = RunState.load(Path(result.stdout.split("install finished: run directory ")[1].split()[0]) / "state.json")
    assert resumed.result == "succeeded" and resumed.resumed_from == run_dir.name


def test_secrets_from_env_and_file_stay_out_of_run_dir_logs_and_command_lines(site_lab, cli_env, tmp_path):
    key = site_lab.paths.key.read_text()
    password = "platform-secret-5b7e1a"
    data = yaml.safe_load(site_lab.paths.site.read_text())
    data["ssh"]["privateKey"] = {"env": "AICLOUD_LAB_TEST_KEY"}
    password_file = tmp_path / "admin-password"
    password_file.write_text(password)
    password_file.chmod(0o600)
    data["platform"] = {"adminPassword": {"file": str(password_file)}}
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(data))
    env = {**cli_env, "AICLOUD_LAB_TEST_KEY": key}
    key_marker = key.strip().splitlines()[1]
    seen_in_cmdlines: list[str] = []
    proc = subprocess.Popen(
        # The platform password changes what os applies, so every node runs it; the check before
        # it must log in with the key from the environment variable (gone from the env by then).
        [AICLOUD, "install", "-f", str(site), "--yes", "--phase", "os"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    while proc.poll() is None:
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                text = cmdline.read_bytes().decode(errors="replace")
            except OSError:
                continue
            if key_marker in text or password in text:
                seen_in_cmdlines.append(text[:200])
        time.sleep(0.1)
    output = proc.stdout.read()
    assert proc.returncode == 0, output
    assert seen_in_cmdlines == []
    run_dir = Path(output.split("install finished: run directory ")[1].split()[0])
    verified = next(e for e in progress(run_dir) if e["event"] == "PhaseVerified")
    assert set(verified["rerun"].values()) == {"what the phase applies has changed since it last ran here"}
    for path in run_dir.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert key_marker not in text and password not in text, path
    assert key_marker not in output and password not in output
