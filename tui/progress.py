"""What the install screen shows, as plain data: the run's events folded into per-phase and
per-host state. Pure and cheap (no widgets), so events are applied as fast as they arrive and
the screen redraws from it a few times a second; `bench/tui.py` measures it.

Log lines are kept as (level, catalogue key, arguments): the screen words them in the current
language (`log.<key>`); what the engine says (task names, reasons, messages) stays as it is.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from installer.events import (
    Event,
    HostResult,
    PhaseFinished,
    PhaseSkipped,
    PhaseStarted,
    PhaseVerified,
    RunFinished,
    RunStarted,
    TaskStarted,
)
from installer.phases import PHASES

LOG_LINES = 2000
#: (level, catalogue key under `log.`, arguments); level is info, phase, task, changed or fail
LogLine = tuple[str, str, dict[str, object]]


@dataclass
class PhaseProgress:
    name: str
    status: str = "pending"  # pending, running, done, failed, skipped
    tasks: int = 0
    tasks_started: int = 0
    reason: str = ""

    @property
    def fraction(self) -> float:
        if self.status in ("done", "skipped"):
            return 1.0
        if not self.tasks:
            return 0.0
        return min(self.tasks_started / self.tasks, 1.0)


@dataclass(frozen=True)
class Failure:
    phase: str
    host: str
    task: str
    message: str


@dataclass
class InstallProgress:
    phases: dict[str, PhaseProgress] = field(default_factory=lambda: {p: PhaseProgress(p) for p in PHASES})
    hosts: dict[str, str] = field(default_factory=dict)  # host -> pending/running/ok/changed/failed/...
    failures: list[Failure] = field(default_factory=list)
    log: deque[LogLine] = field(default_factory=lambda: deque(maxlen=LOG_LINES))
    run_dir: str = ""
    current_phase: str = ""
    current_task: str = ""
    finished: RunFinished | None = None
    events: int = 0
    #: log lines appended since the screen last took them (so the pane adds, never redraws all)
    new_log: list[LogLine] = field(default_factory=list)

    def apply(self, event: Event) -> None:
        self.events += 1
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _log(self, level: str, key: str, **args: object) -> None:
        line = (level, key, args)
        self.log.append(line)
        self.new_log.append(line)
        if len(self.new_log) > LOG_LINES:
            del self.new_log[: len(self.new_log) - LOG_LINES]

    def take_new_log(self) -> list[LogLine]:
        lines, self.new_log = self.new_log, []
        return lines

    @property
    def ok(self) -> bool | None:
        return None if self.finished is None else self.finished.ok


def _run_started(p: InstallProgress, e: RunStarted) -> None:
    p.phases = {name: p.phases.get(name) or PhaseProgress(name) for name in e.phases}
    p.hosts = dict.fromkeys(e.hosts, "pending")
    p.run_dir = e.run_dir
    p.failures.clear()
    p.finished = None
    p._log("info", "run", run_id=e.run_id, run_dir=e.run_dir)


def _phase_skipped(p: InstallProgress, e: PhaseSkipped) -> None:
    phase = p.phases.setdefault(e.phase, PhaseProgress(e.phase))
    phase.status, phase.reason = "skipped", e.reason
    p._log("info", "skipped", phase=e.phase, reason=e.reason)


def _phase_verified(p: InstallProgress, e: PhaseVerified) -> None:
    """A re-run: hosts whose own record shows the phase still holds are done without running it."""
    for host in e.unchanged:
        if p.hosts.get(host) not in ("failed", "unreachable"):
            p.hosts[host] = "done"
    if e.unchanged and not e.rerun:
        phase = p.phases.setdefault(e.phase, PhaseProgress(e.phase))
        phase.status, phase.reason = "done", "unchanged"
    if e.unchanged:
        p._log("info", "unchanged", phase=e.phase, hosts=", ".join(e.unchanged))
    for host, reason in e.worth_telling().items():
        p._log("info", "rerun", phase=e.phase, host=host, reason=reason)


def _phase_started(p: InstallProgress, e: PhaseStarted) -> None:
    phase = p.phases.setdefault(e.phase, PhaseProgress(e.phase))
    phase.status, phase.tasks, phase.tasks_started = "running", e.tasks, 0
    p.current_phase, p.current_task = e.phase, ""
    for host in e.hosts:
        if p.hosts.get(host) not in ("failed", "unreachable"):
            p.hosts[host] = "running"
    p._log("phase", "phase", phase=e.phase, hosts=len(e.hosts))


def _task_started(p: InstallProgress, e: TaskStarted) -> None:
    phase = p.phases.setdefault(e.phase, PhaseProgress(e.phase))
    phase.tasks_started += 1
    p.current_task = e.task
    p._log("task", "task", phase=e.phase, task=e.task)


def _host_result(p: InstallProgress, e: HostResult) -> None:
    if e.status in ("failed", "unreachable"):
        p.hosts[e.host] = e.status
        p.failures.append(Failure(e.phase, e.host, e.task, e.message))
        p._log("fail", e.status, host=e.host, task=e.task, message=e.message)
    elif p.hosts.get(e.host) not in ("failed", "unreachable"):
        p.hosts[e.host] = e.status if e.status != "skipped" else p.hosts.get(e.host, "running")
        if e.status == "changed":
            p._log("changed", "changed", host=e.host, task=e.task)


def _phase_finished(p: InstallProgress, e: PhaseFinished) -> None:
    phase = p.phases.setdefault(e.phase, PhaseProgress(e.phase))
    phase.status = "done" if e.ok else "failed"
    for host, status in e.hosts.items():
        p.hosts[host] = "done" if status == "done" else "failed"
    p._log("phase" if e.ok else "fail", "phase_ok" if e.ok else "phase_failed", phase=e.phase, changed=e.changed)


def _run_finished(p: InstallProgress, e: RunFinished) -> None:
    p.finished = e
    p.run_dir = e.run_dir or p.run_dir
    if e.message:
        p._log("info" if e.ok else "fail", "message", message=e.message)
    else:
        p._log("info" if e.ok else "fail", "finished" if e.ok else "run_failed")


_HANDLERS = {
    RunStarted: _run_started,
    PhaseSkipped: _phase_skipped,
    PhaseVerified: _phase_verified,
    PhaseStarted: _phase_started,
    TaskStarted: _task_started,
    HostResult: _host_result,
    PhaseFinished: _phase_finished,
    RunFinished: _run_finished,
}
