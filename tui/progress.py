"""What the install screen shows, as plain data: the run's events folded into per-phase and
per-host state. Pure and cheap (no widgets), so events are applied as fast as they arrive and
the screen redraws from it a few times a second; `bench/tui.py` measures it.

Log lines are kept as (level, catalogue key, arguments): the screen words them in the current
language (`log.<key>`); what the engine says (task names, reasons, messages) stays as it is.

The controller (`localhost`, where a phase may check things first, e.g. the bundle's verify;
any host that is not one of the run's nodes) is not a node: it gets no row in the host grid
and does not count in a phase's progress; its results still reach the log and, when it fails,
the failures (the screen names it "controller").
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
#: the host name the engine's playbooks use for the controller (`hosts: localhost`)
CONTROLLER = "localhost"
#: with the number of tasks unknown, the bar is half full after this many tasks: it moves with
#: every task and never fills before the phase ends
UNKNOWN_TASKS_HALF = 8
#: the most a running phase shows: full means finished
RUNNING_AT_MOST = 0.99
#: (level, catalogue key under `log.`, arguments); level is info, phase, task, changed or fail
LogLine = tuple[str, str, dict[str, object]]


@dataclass
class PhaseProgress:
    name: str
    status: str = "pending"  # pending, running, done, failed, skipped
    tasks: int = 0  # per host, as the engine announced it (0: not known)
    tasks_started: int = 0
    #: the nodes the phase runs on (not the controller) -> their task results so far
    results: dict[str, int] = field(default_factory=dict)
    reason: str = ""

    @property
    def fraction(self) -> float:
        """How far the phase is. With the tasks per host known: the nodes' task results out of
        tasks x nodes. Unknown: a fill that grows with every task started. Either way a running
        phase never shows full, and a pending one shows empty."""
        if self.status in ("done", "skipped"):
            return 1.0
        if self.status == "pending":
            return 0.0
        if self.tasks:
            done = sum(min(n, self.tasks) for n in self.results.values())
            fraction = done / (self.tasks * max(len(self.results), 1))
        else:
            fraction = self.tasks_started / (self.tasks_started + UNKNOWN_TASKS_HALF)
        return min(fraction, RUNNING_AT_MOST)


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
    nodes: set[str] = field(default_factory=set)  # the run's nodes; any other host is the controller
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

    def is_controller(self, host: str) -> bool:
        return host == CONTROLLER or (bool(self.nodes) and host not in self.nodes)

    def _nodes(self, hosts: list[str]) -> list[str]:
        return [h for h in hosts if not self.is_controller(h)]


def _run_started(p: InstallProgress, e: RunStarted) -> None:
    p.phases = {name: p.phases.get(name) or PhaseProgress(name) for name in e.phases}
    p.nodes = {h for h in e.hosts if h != CONTROLLER}
    p.hosts = dict.fromkeys(p._nodes(e.hosts), "pending")
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
    for host in p._nodes(e.unchanged):
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
    nodes = p._nodes(e.hosts)
    phase.status, phase.tasks, phase.tasks_started = "running", e.tasks, 0
    phase.results = dict.fromkeys(nodes, 0)
    p.current_phase, p.current_task = e.phase, ""
    for host in nodes:
        if p.hosts.get(host) not in ("failed", "unreachable"):
            p.hosts[host] = "running"
    p._log("phase", "phase", phase=e.phase, hosts=len(nodes))


def _task_started(p: InstallProgress, e: TaskStarted) -> None:
    phase = p.phases.setdefault(e.phase, PhaseProgress(e.phase))
    phase.tasks_started += 1
    p.current_task = e.task
    p._log("task", "task", phase=e.phase, task=e.task)


def _host_result(p: InstallProgress, e: HostResult) -> None:
    controller = p.is_controller(e.host)
    if not controller:
        results = p.phases.setdefault(e.phase, PhaseProgress(e.phase)).results
        results[e.host] = results.get(e.host, 0) + 1
    if e.status in ("failed", "unreachable"):
        if not controller:
            p.hosts[e.host] = e.status
        p.failures.append(Failure(e.phase, e.host, e.task, e.message))
        p._log("fail", e.status, host=e.host, task=e.task, message=e.message)
    elif controller:
        if e.status == "changed":
            p._log("changed", "changed", host=e.host, task=e.task)
    elif p.hosts.get(e.host) not in ("failed", "unreachable"):
        p.hosts[e.host] = e.status if e.status != "skipped" else p.hosts.get(e.host, "running")
        if e.status == "changed":
            p._log("changed", "changed", host=e.host, task=e.task)


def _phase_finished(p: InstallProgress, e: PhaseFinished) -> None:
    phase = p.phases.setdefault(e.phase, PhaseProgress(e.phase))
    phase.status = "done" if e.ok else "failed"
    for host, status in e.hosts.items():
        if not p.is_controller(host):
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
