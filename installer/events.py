"""Typed progress events of a run, for the faces: the CLI draws them with rich, the TUI with widgets.

The run engine calls `on_event(event)` for each, in order, from the thread that runs Ansible.
A face must not block in it for long; the TUI posts each event to its message queue.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

HostStatus = Literal["ok", "changed", "failed", "unreachable", "skipped"]


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    run_dir: str
    phases: list[str]
    hosts: list[str]
    #: what the engine found before starting and a person should know (e.g. an earlier run
    #: whose controller died, now recorded as interrupted)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PhaseSkipped:
    phase: str
    reason: str


@dataclass(frozen=True)
class PhaseStarted:
    phase: str
    hosts: list[str]
    #: tasks the phase's playbook will run per host, when known (for a progress bar)
    tasks: int = 0


@dataclass(frozen=True)
class TaskStarted:
    phase: str
    task: str
    hosts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HostResult:
    phase: str
    host: str
    task: str
    status: HostStatus
    message: str = ""


@dataclass(frozen=True)
class PhaseFinished:
    phase: str
    ok: bool
    #: per host: "done" or "failed" (unreachable counts as failed)
    hosts: dict[str, str] = field(default_factory=dict)
    changed: int = 0


#: the reason a host runs a phase when it simply has never run it: not worth a line of output
NO_RECORD = "no record of this phase on the node"


@dataclass(frozen=True)
class PhaseVerified:
    """Before a phase's playbook runs: the hosts whose own record shows the phase still holds
    (they are done without running it), and why each other host runs it."""

    phase: str
    unchanged: list[str]
    #: host -> why the phase runs there ("no record of this phase on the node", "drifted", ...)
    rerun: dict[str, str] = field(default_factory=dict)
    #: the run that last applied the phase on the unchanged hosts, per host
    since: dict[str, str] = field(default_factory=dict)

    def worth_telling(self) -> dict[str, str]:
        """The reruns a face should explain: all but the plain "never ran here" of a first install."""
        return {h: r for h, r in self.rerun.items() if r != NO_RECORD or self.unchanged}


@dataclass(frozen=True)
class RunFinished:
    ok: bool
    run_dir: str
    message: str = ""
    interrupted: bool = False


Event = (
    RunStarted | PhaseSkipped | PhaseVerified | PhaseStarted | TaskStarted | HostResult | PhaseFinished | RunFinished
)


def event_to_dict(event: Event) -> dict[str, object]:
    return {"event": type(event).__name__, **asdict(event)}
