"""A scripted engine for the wizard's tests: discovery facts and install events, no hosts."""

from __future__ import annotations

import threading
from collections.abc import Callable

from installer.events import HostResult, PhaseFinished, PhaseSkipped, PhaseStarted, RunFinished, RunStarted, TaskStarted
from tui.engine import HostFacts, InstallOutcome, InstallRequest, PreflightRow, RunSummary

RUN_DIR = "/var/lib/aicloud-test/runs/r1"


class FakeEngine:
    def __init__(self, fail_host: str | None = None, tasks: int = 2, kubeconfig: str | None = None):
        self.fail_host = fail_host
        self.tasks = tasks
        self.kubeconfig_path = kubeconfig
        self.requests: list[InstallRequest] = []
        self.events: list[object] = []

    def discover(self, loaded, on_host: Callable[[HostFacts], None], stop: threading.Event) -> None:
        for node in loaded.site.nodes:
            gpus = ("nvidia", "H100 SXM5 80GB", 8) if node.name != "deploy" and "deploy" not in node.name else None
            on_host(HostFacts(node.name, True, "Debian 12", "512G", "8x H100" if gpus else "0", "4", "", gpus))

    def preflight(self, loaded) -> list[PreflightRow]:
        return [PreflightRow("pass", n.name, "reachable", "ssh ok", "") for n in loaded.site.nodes]

    def install(self, loaded, request: InstallRequest, on_event, stop: threading.Event) -> InstallOutcome:
        self.requests.append(request)
        hosts = [n.name for n in loaded.site.nodes]
        fail = self.fail_host if not request.resume else None
        emit = self._emitter(on_event)
        emit(RunStarted("r1", RUN_DIR, ["preflight", "bundle", "os", "accelerators", "fabric"], hosts))
        emit(PhaseSkipped("accelerators", "no node has accelerators"))
        ok = True
        for phase in ("preflight", "bundle", "os", "fabric"):
            if phase == "fabric":
                emit(PhaseSkipped("fabric", "fabric.type is none"))
                continue
            emit(PhaseStarted(phase, hosts, tasks=self.tasks))
            status = {}
            for t in range(self.tasks):
                task = f"{phase} task {t + 1}"
                emit(TaskStarted(phase, task, hosts))
                for host in hosts:
                    failed = host == fail and phase == "os"
                    message = "chrony is not running: start it (systemctl start chrony) and Resume" if failed else ""
                    emit(HostResult(phase, host, task, "failed" if failed else "ok", message))
                    status[host] = "failed" if failed or status.get(host) == "failed" else "done"
            phase_ok = all(v == "done" for v in status.values())
            emit(PhaseFinished(phase, phase_ok, status, changed=1))
            if not phase_ok:
                ok = False
                break
        emit(RunFinished(ok, RUN_DIR, "" if ok else "phase os failed on " + str(fail)))
        return InstallOutcome(ok, RUN_DIR, "succeeded" if ok else "failed")

    def _emitter(self, on_event):
        def emit(event):
            self.events.append(event)
            on_event(event)

        return emit

    def run_summary(self, run_dir: str) -> RunSummary | None:
        """What the real engine's summary.json says after the scripted run above succeeded."""
        if run_dir != RUN_DIR or not any(isinstance(e, RunFinished) and e.ok for e in self.events):
            return None
        skipped = (("accelerators", "no node has accelerators"), ("fabric", "fabric.type is none"))
        return RunSummary("succeeded", ("preflight", "bundle", "os"), skipped)

    def kubeconfig(self, loaded) -> str | None:
        return self.kubeconfig_path


class ScriptedEngine(FakeEngine):
    """Emits exactly the events it is given, as the real engine would, then the outcome they say."""

    def __init__(self, events: list[object]):
        super().__init__()
        self.script = events

    def install(self, loaded, request: InstallRequest, on_event, stop: threading.Event) -> InstallOutcome:
        self.requests.append(request)
        emit = self._emitter(on_event)
        for event in self.script:
            emit(event)
        ok = any(isinstance(e, RunFinished) and e.ok for e in self.script)
        return InstallOutcome(ok, RUN_DIR, "succeeded" if ok else "failed")
