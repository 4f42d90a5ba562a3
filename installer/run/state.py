"""Run state: phase x host, each pending / running / done / failed, written atomically.

`state.json` is rewritten (temp file + rename) on every change, so a reader, a Ctrl-C or a
SIGKILL never leaves half a file. `--resume` starts from the previous run's state: what is
done stays done, what was running, failed or pending runs again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from installer.state import write_atomic

Status = Literal["pending", "running", "done", "failed", "skipped"]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class HostState:
    status: Status = "pending"
    started: str | None = None
    finished: str | None = None
    message: str = ""


@dataclass
class PhaseState:
    status: Status = "pending"
    skip_reason: str = ""
    hosts: dict[str, HostState] = field(default_factory=dict)


@dataclass
class RunState:
    site: str
    release: str
    run_id: str
    started: str
    resumed_from: str | None = None
    finished: str | None = None
    result: Literal["running", "succeeded", "failed", "interrupted"] = "running"
    phases: dict[str, PhaseState] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        write_atomic(path, json.dumps(asdict(self), indent=2) + "\n", mode=0o644)

    @classmethod
    def load(cls, path: Path) -> RunState:
        data = json.loads(path.read_text())
        phases = {
            name: PhaseState(
                status=p["status"],
                skip_reason=p.get("skip_reason", ""),
                hosts={h: HostState(**s) for h, s in p["hosts"].items()},
            )
            for name, p in data.pop("phases").items()
        }
        return cls(**data, phases=phases)

    def hosts_to_run(self, phase: str, hosts: list[str], resume: bool) -> list[str]:
        """Hosts of `phase` that still need work: all of them, or on resume the ones not done."""
        if not resume:
            return list(hosts)
        state = self.phases.get(phase)
        if state is None:
            return list(hosts)
        return [h for h in hosts if state.hosts.get(h, HostState()).status != "done"]

    def mark(self, phase: str, host: str, status: Status, message: str = "") -> None:
        host_state = self.phases.setdefault(phase, PhaseState()).hosts.setdefault(host, HostState())
        host_state.status = status
        if status == "running":
            host_state.started = now()
            host_state.finished = None
            host_state.message = ""
        elif status in ("done", "failed"):
            host_state.finished = now()
            host_state.message = message
