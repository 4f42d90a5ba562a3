"""`RealEngine` against the engine's own API: discovery is replaced by captured-style facts (no
network); preflight, the run engine and the run's summary.json are the real ones."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import installer.discovery
from installer.discovery import Discovery, HostError, NodeFacts
from installer.discovery.model import CpuInfo, KernelInfo, ListeningPort, MemoryInfo, Nic, OsInfo, TimeSync
from installer.events import PhaseSkipped, RunFinished, RunStarted
from installer.preflight import run_checks
from installer.run.state import PhaseState, RunState
from installer.site import load_site
from tui.engine import InstallRequest, PreflightRow, RealEngine, RunSummary, read_run_summary

GIB = 1024**3


def lab_host(name: str, number: int, swap_gib: int = 0) -> NodeFacts:
    """A lab host as discovery reads it (Debian 12 container, no accelerators)."""
    return NodeFacts(
        host=name,
        address=f"10.89.10.{10 + number}",
        hostname=name,
        os=OsInfo("debian", "12", "Debian GNU/Linux 12 (bookworm)"),
        kernel=KernelInfo("6.1.0-27-amd64", "x86_64"),
        cpu=CpuInfo("Xeon", 1, 8, 16),
        memory=MemoryInfo(64 * GIB, 60 * GIB, swap_gib * GIB, swap_gib * GIB),
        var_free_bytes=100 * GIB,
        nics=(Nic("eth0", mac=f"52:54:00:00:00:{number:02x}", state="up", carrier=True, mtu=1500),),
        time=TimeSync(0.01, 0.01, True, ("chrony",)),
        listening=(ListeningPort(22, "0.0.0.0"),),
    )


@pytest.fixture
def fake_discovery(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Replace `installer.discovery.discover` (the SSH part) with facts: lab-node2 has swap on,
    lab-node3 does not answer. Records how the engine was called."""
    calls: list[tuple[object, dict]] = []
    run_dir = tmp_path / "run"
    run_dir.mkdir()

    def discover(loaded, **kwargs) -> Discovery:
        calls.append((loaded, kwargs))
        facts = {n.name: lab_host(n.name, i) for i, n in enumerate(loaded.site.nodes)}
        facts["lab-node2"] = lab_host("lab-node2", 2, swap_gib=2)
        down = HostError("lab-node3", "10.89.10.13", "unreachable", "timed out")
        del facts["lab-node3"]
        on_host = kwargs.get("on_host")
        if on_host is not None:
            for name, found in facts.items():
                on_host(name, found)
            on_host("lab-node3", down)
        return Discovery("lab", "r1", str(run_dir), "2026-11-22T00:00:00+00:00", 1.0, facts, {"lab-node3": down})

    monkeypatch.setattr(installer.discovery, "discover", discover)
    return calls


def test_preflight_rows_are_the_findings_of_the_real_checks_after_discovery(lab_file: Path, fake_discovery, tmp_path):
    loaded = load_site(lab_file)
    rows = RealEngine().preflight(loaded)

    assert [call[0] for call in fake_discovery] == [loaded]  # discovery of this site, as `aicloud preflight` does
    discovery = installer.discovery.discover(loaded)
    findings = run_checks(loaded.site, discovery)
    assert rows == [PreflightRow(f.severity, f.host, f.check, f.found, f.remedy) for f in findings]
    assert rows[0].severity == "fail"  # the engine's order: fail, warn, pass
    down = next(r for r in rows if r.host == "lab-node3" and r.check == "reachable")
    assert (down.severity, down.found) == ("fail", "cannot reach 10.89.10.13 over SSH: timed out")
    assert down.remedy.startswith("check the node is powered on")
    swap = next(r for r in rows if r.host == "lab-node2" and r.check == "swap")
    assert (swap.severity, swap.found) == ("warn", "swap is on (2.0 GiB)")
    assert "the os phase turns swap off" in swap.remedy
    assert any(r.severity == "pass" and r.host == "lab-node1" and r.check == "os_supported" for r in rows)
    written = json.loads((tmp_path / "run" / "preflight.json").read_text())  # kept like the CLI's
    assert [f["check"] for f in written["findings"]] == [r.check for r in rows]


def test_discover_reports_each_host_as_the_engine_calls_back(lab_file: Path, fake_discovery):
    seen = []
    RealEngine().discover(load_site(lab_file), seen.append, threading.Event())
    by_host = {facts.host: facts for facts in seen}
    assert set(by_host) == {"lab-deploy", "lab-node1", "lab-node2", "lab-node3"}
    node1 = by_host["lab-node1"]
    assert (node1.reachable, node1.os, node1.ram) == (True, "debian 12", "64G")
    assert not by_host["lab-node3"].reachable and by_host["lab-node3"].error == "unreachable: timed out"
    stopped = []
    stop = threading.Event()
    stop.set()
    RealEngine().discover(load_site(lab_file), stopped.append, stop)
    assert stopped == []  # the screen was left: nothing more is shown


def test_install_of_one_phase_runs_the_real_engine_and_its_summary_is_read_back(lab_site_with_a_key: Path):
    engine = RealEngine()
    events: list[object] = []
    outcome = engine.install(
        load_site(lab_site_with_a_key), InstallRequest(phase="fabric"), events.append, threading.Event()
    )
    assert outcome.ok and outcome.outcome == "succeeded"
    assert [type(e) for e in events] == [RunStarted, PhaseSkipped, RunFinished]
    assert events[0].phases == ["fabric"] and events[-1].run_dir == outcome.run_dir
    summary = engine.run_summary(outcome.run_dir)
    assert summary == RunSummary("succeeded", (), (("fabric", "fabric.type is none"),), (), "")


def test_run_summary_lists_phases_in_install_order_by_status(tmp_path: Path):
    state = RunState("lab", "lab-2026.11", "r2", "2026-11-22T00:00:00+00:00", result="failed")
    for phase in ("runtime", "os", "preflight", "bundle"):
        state.mark(phase, "lab-node1", "failed" if phase == "runtime" else "done")
        state.phases[phase].status = "failed" if phase == "runtime" else "done"
    state.phases["fabric"] = PhaseState("skipped", "fabric.type is none")
    state.save(tmp_path / "state.json")
    summary = json.loads((tmp_path / "state.json").read_text())
    (tmp_path / "summary.json").write_text(json.dumps({**summary, "message": "phase runtime failed on lab-node1"}))

    assert read_run_summary(tmp_path) == RunSummary(
        "failed",
        ("preflight", "bundle", "os"),
        (("fabric", "fabric.type is none"),),
        ("runtime",),
        "phase runtime failed on lab-node1",
    )
    assert read_run_summary(tmp_path / "missing") is None  # a run still going, or killed


def test_kubeconfig_is_shown_only_when_the_file_exists(lab_file: Path, wizard_home: Path):
    loaded = load_site(lab_file)
    assert RealEngine().kubeconfig(loaded) is None
    path = wizard_home / "sites" / "lab" / "kubeconfig"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("apiVersion: v1\n")
    assert RealEngine().kubeconfig(loaded) == str(path)
