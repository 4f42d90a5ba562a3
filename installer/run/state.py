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
Result = Literal["running", "succeeded", "failed", "interrupted"]


@dataclass(frozen=True)
class Selection:
    """What a run was asked to do. Stored with its state, so `--resume` (from either face)
    repeats exactly this, whatever options the resuming command was given."""

    phase: str | None = None
    from_phase: str | None = None
    limit: tuple[str, ...] | None = None
    check: bool = False
    full: bool = False

    def phases(self, all_phases: tuple[str, ...]) -> list[str]:
        if self.phase:
            return [self.phase]
        start = all_phases.index(self.from_phase) if self.from_phase else 0
        return list(all_phases[start:])

    def describe(self) -> str:
        """The options that ask for this selection, as a user would type them."""
        parts = []
        if self.phase:
            parts.append(f"--phase {self.phase}")
        if self.from_phase:
            parts.append(f"--from-phase {self.from_phase}")
        if self.limit is not None:
            parts.append(f"--limit {','.join(self.limit)}")
        parts += [flag for flag, on in (("--check", self.check), ("--full", self.full)) if on]
        return " ".join(parts) or "every phase on every host"

    @classmethod
    def from_dict(cls, data: dict[str, object] | None) -> Selection:
        data = dict(data or {})
        limit = data.get("limit")
        return cls(
            phase=data.get("phase"),  # type: ignore[arg-type]
            from_phase=data.get("from_phase"),  # type: ignore[arg-type]
            limit=tuple(limit) if isinstance(limit, list | tuple) else None,
            check=bool(data.get("check")),
            full=bool(data.get("full")),
        )


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
    result: Result = "running"
    phases: dict[str, PhaseState] = field(default_factory=dict)
    #: None only in a state written by an aicloud that did not record it (nothing to repeat)
    selection: Selection | None = field(default_factory=Selection)
    #: the offline bundle the run served (`--resume` serves it again unless given another)
    bundle_dir: str | None = None
    #: why the run ended as it did, when not by itself (e.g. its controller died)
    note: str = ""

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
        selection = Selection.from_dict(data.pop("selection")) if "selection" in data else None
        known = {f for f in cls.__dataclass_fields__ if f not in ("phases", "selection")}
        return cls(**{k: v for k, v in data.items() if k in known}, phases=phases, selection=selection)

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
