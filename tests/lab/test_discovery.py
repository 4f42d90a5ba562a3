"""Discovery and preflight for real, on lab hosts over real SSH (no GPU or RDMA here: none is faked)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from installer import lab as engine
from installer.cli.discover import discover as discover_command
from installer.cli.discover import preflight as preflight_command
from installer.discovery import discover, known_hosts_path
from installer.site import load_site

pytestmark = pytest.mark.lab


def site_copy(lab, tmp_path: Path, change=None) -> Path:
    data = yaml.safe_load(lab.up.paths.site.read_text())
    if change is not None:
        change(data)
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_discover_reads_every_lab_host_and_records_host_keys_on_first_use(lab, tmp_path):
    home = tmp_path / "home"
    loaded = load_site(lab.up.paths.site)
    first = discover(loaded, home=home)
    assert set(first.facts) == set(lab.hosts) and first.errors == {}
    for facts in first.facts.values():
        assert facts.os.family == "debian-12"
        assert facts.hostname == facts.host
        assert facts.memory.total_bytes > 0 and facts.cpu.threads >= 1
        assert facts.nic("eth0") is not None and facts.nic("eth0").link_up
        assert facts.accelerators == () and facts.rdma == ()  # no GPU, no RDMA in the lab
        assert not facts.swap_on
        assert facts.time.clock_offset_seconds is not None and abs(facts.time.clock_offset_seconds) < 1
        assert facts.problems == {}
    assert {k.status for k in first.host_keys} == {"recorded"}
    recorded = known_hosts_path(loaded.site.metadata.name, home).read_text()
    assert all(f"{host} ssh-ed25519 " in recorded for host in lab.hosts)
    second = discover(loaded, home=home)
    assert {k.status for k in second.host_keys} == {"matched"}
    written = json.loads((Path(second.run_dir) / "discovery.json").read_text())
    assert set(written["hosts"]) == set(lab.hosts)


def test_preflight_on_the_lab_passes_with_at_most_warnings(lab, tmp_path, monkeypatch):
    monkeypatch.setenv("AICLOUD_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(preflight_command, ["-f", str(lab.up.paths.site), "--output", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["passed"] and report["counts"]["fail"] == 0
    assert {f["check"] for f in report["findings"]} >= {"reachable", "os_supported", "accelerators", "ports_free"}
    assert {k["status"] for k in report["host_keys"]} == {"recorded"}
    assert (Path(report["run_dir"]) / "preflight.json").exists()


def test_node_promised_8_gpus_fails_preflight_with_a_plain_message(lab, tmp_path, monkeypatch):
    node = lab.hosts[1]

    def promise_gpus(data):
        data["release"] = "2026.11"
        data["nodes"][1]["accelerators"] = {"vendor": "nvidia", "model": "H100 SXM5 80GB", "count": 8}

    monkeypatch.setenv("AICLOUD_HOME", str(tmp_path / "home"))
    path = site_copy(lab, tmp_path, promise_gpus)
    result = CliRunner().invoke(preflight_command, ["-f", str(path), "--output", "json"])
    assert result.exit_code == 1, result.output
    failed = [f for f in json.loads(result.output)["findings"] if f["severity"] == "fail"]
    assert [(f["host"], f["check"]) for f in failed] == [(node, "accelerators")]
    assert "node promised 8 NVIDIA H100 SXM5 80GB, 0 found on the PCI bus" in failed[0]["found"]


def test_wrong_key_is_an_auth_failure_with_the_ssh_error(lab, tmp_path):
    key = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    path = site_copy(lab, tmp_path, lambda d: d["ssh"].update(privateKey={"file": str(key)}))
    found = discover(load_site(path), home=tmp_path / "home")
    assert found.facts == {}
    assert {e.kind for e in found.errors.values()} == {"auth"}
    assert all(e.message.startswith("Authentication error") for e in found.errors.values())


def test_changed_host_key_is_a_hard_failure_naming_both_fingerprints(lab, tmp_path):
    home = tmp_path / "home"
    loaded = load_site(lab.up.paths.site)
    first = discover(loaded, home=home)
    victim, other = lab.hosts[1], lab.hosts[2]
    known = known_hosts_path(loaded.site.metadata.name, home)
    lines = dict(line.split(" ", 1) for line in known.read_text().splitlines())
    lines[victim] = lines[other]  # as if the host had been replaced by another machine
    known.write_text("".join(f"{h} {rest}\n" for h, rest in lines.items()))
    second = discover(loaded, home=home)
    error = second.errors[victim]
    assert error.kind == "host-key-changed"
    old = next(k.fingerprint for k in first.host_keys if k.host == other)
    new = next(k.fingerprint for k in first.host_keys if k.host == victim)
    assert victim in error.message and old in error.message and new in error.message
    assert set(second.facts) == set(lab.hosts) - {victim}


def test_stopped_host_shows_unreachable_while_the_others_report(lab_names, lab_home, tmp_path, monkeypatch):
    name = lab_names()
    up = engine.up(name, 2, home=lab_home)
    stopped = up.spec.hosts[-1].name
    engine.stop_host(stopped, name)
    monkeypatch.setenv("AICLOUD_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(discover_command, ["-f", str(up.paths.site), "--output", "json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert set(report["errors"]) == {stopped}
    assert report["errors"][stopped]["kind"] == "unreachable" and report["errors"][stopped]["message"]
    assert set(report["hosts"]) == {h.name for h in up.spec.hosts} - {stopped}
    text = CliRunner().invoke(preflight_command, ["-f", str(up.paths.site)])
    assert text.exit_code == 1
    assert "cannot reach" in text.output
    # paramiko's own traceback of a dying connection belongs in the run's ssh.log, not here
    for output in (result.output, text.output):
        assert "Traceback" not in output and "ProxyCommandFailure" not in output


def test_host_stopped_while_discovery_reads_it_shows_unreachable_and_the_others_report(lab_names, lab_home, tmp_path):
    """Stopped mid-way, not before: the victim's lspci is made to hang until the host is stopped under it."""
    import threading
    import time

    name = lab_names()
    up = engine.up(name, 2, home=lab_home)
    victim = up.spec.hosts[-1].name

    def on_host(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["ssh", "-F", str(up.paths.ssh_config), victim, command], capture_output=True, text=True, timeout=60
        )

    hang = "#!/bin/sh\ntouch /run/aicloud-discovery-reached\nexec sleep 300\n"
    assert on_host(f"printf '{hang}' > /usr/local/sbin/lspci && chmod +x /usr/local/sbin/lspci").returncode == 0
    result = {}
    loaded = load_site(up.paths.site)
    reader = threading.Thread(target=lambda: result.update(d=discover(loaded, home=tmp_path, host_deadline=25)))
    began = time.monotonic()
    reader.start()
    while on_host("test -e /run/aicloud-discovery-reached").returncode != 0:
        assert time.monotonic() - began < 60, "discovery never reached the victim's lspci"
        time.sleep(0.3)
    engine.stop_host(victim, name)
    reader.join(90)
    assert not reader.is_alive(), "discovery hangs on a host that went away"
    found = result["d"]
    assert set(found.errors) == {victim}
    assert found.errors[victim].kind == "unreachable"
    assert "lost" in found.errors[victim].message
    assert set(found.facts) == {h.name for h in up.spec.hosts} - {victim}
