"""A run's events folded into what a face draws: per phase, per host, tasks, failures.

Pure and cheap (no output, no widgets): the engine's faces feed every event to `RunProgress.apply`
and draw from it. `log_line` is the run's one log sink: the same text for every phase, Python
ones (preflight) included, written to `log.txt` by the engine.

Hosts are the site's nodes. The controller (`localhost`: the bundle phase checks the bundle
there first) is not a node: its results count as the phase's, and a failure there is listed as
the controller's.
"""

from __future__ import annotations

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

CONTROLLER = "controller"
_MARK = {"ok": "ok", "changed": "changed", "failed": "FAILED", "unreachable": "UNREACHABLE", "skipped": "skipped"}


@dataclass
class HostProgress:
    status: str = "waiting"  # waiting, ok, changed, failed, unreachable, skipped
    task: str = ""
    results: int = 0


@dataclass
class PhaseProgress:
    name: str
    status: str = "pending"  # pending, running, done, failed, skipped, verified
    detail: str = ""
    #: tasks per host the playbook has at most (0: unknown)
    tasks: int = 0
    changed: int = 0
    hosts: dict[str, HostProgress] = field(default_factory=dict)

    @property
    def fraction(self) -> float | None:
        """How far the phase is, 0..1; None while it runs with no task count (a face shows activity)."""
        if self.status in ("done", "skipped", "verified", "failed"):
            return 1.0
        if self.status == "pending":
            return 0.0
        if not self.tasks or not self.hosts:
            return None
        done = sum(min(h.results, self.tasks) for h in self.hosts.values())
        return min(done / (self.tasks * len(self.hosts)), 0.99)


@dataclass(frozen=True)
class Failure:
    phase: str
    host: str
    task: str
    message: str

    def __str__(self) -> str:
        return f"{self.phase} / {self.host} / {self.task}: {self.message}"


@dataclass
class RunProgress:
    phases: dict[str, PhaseProgress]
    nodes: list[str]
    run_id: str = ""
    run_dir: str = ""
    notes: list[str] = field(default_factory=list)
    current: str = ""
    task: str = ""
    failures: list[Failure] = field(default_factory=list)
    finished: RunFinished | None = None

    @classmethod
    def new(cls, phases: list[str], nodes: list[str]) -> RunProgress:
        return cls({p: PhaseProgress(p) for p in phases}, list(nodes))

    def host_name(self, host: str) -> str:
        return host if host in self.nodes else CONTROLLER

    def failed_hosts(self, phase: str) -> list[str]:
        """The hosts that failed in `phase`, in the order they failed."""
        seen: list[str] = []
        for failure in self.failures:
            if failure.phase == phase and failure.host not in seen:
                seen.append(failure.host)
        return seen

    def apply(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.run_id, self.run_dir, self.notes = event.run_id, event.run_dir, list(event.notes)
        elif isinstance(event, PhaseSkipped):
            self._phase(event.phase).status, self._phase(event.phase).detail = "skipped", event.reason
        elif isinstance(event, PhaseVerified):
            phase = self._phase(event.phase)
            if event.unchanged and not event.rerun:
                phase.status, phase.detail = "verified", f"unchanged on {len(event.unchanged)} hosts"
        elif isinstance(event, PhaseStarted):
            phase = self._phase(event.phase)
            phase.status, phase.tasks, phase.detail = "running", event.tasks, ""
            phase.hosts = {h: HostProgress() for h in event.hosts}
            self.current, self.task = event.phase, ""
        elif isinstance(event, TaskStarted):
            self.task = event.task
        elif isinstance(event, HostResult):
            self._host_result(event)
        elif isinstance(event, PhaseFinished):
            phase = self._phase(event.phase)
            phase.status, phase.changed = ("done" if event.ok else "failed"), event.changed
            phase.detail = f"{event.changed} changed"
            if self.current == event.phase:
                self.current, self.task = "", ""
        elif isinstance(event, RunFinished):
            self.finished, self.current, self.task = event, "", ""

    def _phase(self, name: str) -> PhaseProgress:
        return self.phases.setdefault(name, PhaseProgress(name))

    def _host_result(self, event: HostResult) -> None:
        host = self.host_name(event.host)
        if host != CONTROLLER:
            progress = self._phase(event.phase).hosts.setdefault(host, HostProgress())
            progress.status, progress.task = event.status, event.task
            progress.results += 1
        if event.status in ("failed", "unreachable"):
            self.failures.append(Failure(event.phase, host, event.task, event.message))


def log_line(event: Event) -> str | None:
    """The line `log.txt` gets for an event (None: nothing worth a line)."""
    if isinstance(event, RunStarted):
        return f"run {event.run_id}: phases {', '.join(event.phases)}; hosts {', '.join(event.hosts)}" + "".join(
            f"\nnote: {n}" for n in event.notes
        )
    if isinstance(event, PhaseSkipped):
        return f"[{event.phase}] skipped: {event.reason}"
    if isinstance(event, PhaseVerified):
        lines = [f"[{event.phase}] unchanged on {', '.join(event.unchanged)} (verified on each node)"] * bool(
            event.unchanged
        )
        lines += [f"[{event.phase}] runs on {host}: {reason}" for host, reason in event.rerun.items()]
        return "\n".join(lines) or None
    if isinstance(event, PhaseStarted):
        return f"[{event.phase}] started on {', '.join(event.hosts)}"
    if isinstance(event, TaskStarted):
        return f"[{event.phase}] TASK {event.task}"
    if isinstance(event, HostResult):
        message = f": {event.message}" if event.message else ""
        return f"[{event.phase}] {event.host}: {event.status}: {event.task}{message}"
    if isinstance(event, PhaseFinished):
        return f"[{event.phase}] {'done' if event.ok else 'FAILED'}, {event.changed} changed"
    if isinstance(event, RunFinished):
        outcome = "interrupted" if event.interrupted else ("succeeded" if event.ok else "failed")
        return f"run {outcome}" + (f": {event.message}" if event.message else "")
    return None


def mark(status: str) -> str:
    """How a host result reads in plain text."""
    return _MARK.get(status, status)
