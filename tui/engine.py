"""The one place the wizard calls the slow parts of the engine: discovery, preflight, install,
and what a finished run left behind (its summary, a kubeconfig).

Screens get an `Engine` from the app (`app.engine`); tests pass a fake one. `RealEngine` calls
the engine's own API (`installer.discovery.discover`, `installer.preflight.preflight`,
`installer.run.install`) with the engine's own types, imported lazily so the first frame does
not wait for pyinfra or ansible-runner. Every method except `run_summary` and `kubeconfig` is
called from a worker thread and may block.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from installer.discovery import HostError, NodeFacts
    from installer.events import Event
    from installer.preflight import Finding
    from installer.site import LoadedSite


class InstallRefused(Exception):
    """The engine refused to start the install before touching any host; the message says what to do."""


@dataclass(frozen=True)
class HostFacts:
    """What the node table shows of one host's discovered facts."""

    host: str
    reachable: bool
    os: str = ""
    ram: str = ""
    gpus: str = ""
    nics: str = ""
    error: str = ""
    #: (vendor value, model, count) of the accelerators found, for pre-filling the answer file
    accelerators: tuple[str, str, int] | None = None


@dataclass(frozen=True)
class PreflightRow:
    """One `installer.preflight.Finding`, field for field."""

    severity: str  # pass / warn / fail
    host: str  # a node name, or "site" for checks across hosts
    check: str  # the name of the check function in installer/preflight/checks.py
    found: str
    remedy: str


@dataclass(frozen=True)
class InstallRequest:
    resume: bool = False
    phase: str | None = None
    from_phase: str | None = None
    limit: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class InstallOutcome:
    ok: bool
    run_dir: str
    #: the engine's `installer.run.Outcome`: succeeded, failed, interrupted or refused
    outcome: str


@dataclass(frozen=True)
class RunSummary:
    """What a finished run says about itself (its `summary.json`), phases in install order."""

    result: str  # succeeded / failed / interrupted / running
    done: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (phase, why)
    failed: tuple[str, ...] = ()
    message: str = ""


class Engine(Protocol):
    def discover(self, loaded: LoadedSite, on_host: Callable[[HostFacts], None], stop: threading.Event) -> None: ...

    def preflight(self, loaded: LoadedSite) -> list[PreflightRow]: ...

    def install(
        self,
        loaded: LoadedSite,
        request: InstallRequest,
        on_event: Callable[[Event], None],
        stop: threading.Event,
    ) -> InstallOutcome: ...

    def run_summary(self, run_dir: str) -> RunSummary | None: ...

    def kubeconfig(self, loaded: LoadedSite) -> str | None: ...


class RealEngine:
    def discover(self, loaded: LoadedSite, on_host: Callable[[HostFacts], None], stop: threading.Event) -> None:
        """`installer.discovery.discover`; each host is shown as it answers (the engine calls back per host)."""
        from installer.discovery import discover

        def host_done(host: str, facts: NodeFacts | HostError) -> None:
            if not stop.is_set():
                on_host(host_facts(host, facts))

        discover(loaded, on_host=host_done)

    def preflight(self, loaded: LoadedSite) -> list[PreflightRow]:
        """What `aicloud preflight` runs: discovery, then every check; `preflight.json` lands in the run directory."""
        from installer.discovery import discover
        from installer.preflight import preflight

        result = preflight(loaded.site, discover(loaded))
        return [preflight_row(finding) for finding in result.findings]

    def install(
        self,
        loaded: LoadedSite,
        request: InstallRequest,
        on_event: Callable[[Event], None],
        stop: threading.Event,
    ) -> InstallOutcome:
        """`installer.run.install`; its refusals (`installer.errors.Refused`: no bundle or a damaged
        one, a secret not readable, nothing to resume, an unknown phase or options that select
        nothing, another install of the site running) become `InstallRefused`."""
        from installer.errors import Refused
        from installer.run import InstallOptions, install

        options = InstallOptions(
            phase=request.phase,
            from_phase=request.from_phase,
            limit=request.limit or None,
            resume=request.resume,
            check=False,
        )
        try:
            result = install(loaded, options, on_event=on_event, stop=stop)
        except Refused as exc:
            raise InstallRefused(str(exc)) from None
        return InstallOutcome(result.ok, str(result.run_dir), result.outcome)

    def run_summary(self, run_dir: str) -> RunSummary | None:
        return read_run_summary(Path(run_dir)) if run_dir else None

    def kubeconfig(self, loaded: LoadedSite) -> str | None:
        """The site's kubeconfig if one exists. No phase of this release writes one (there is no
        kubernetes playbook yet), so today this is None; the done screen says so."""
        from installer.state import site_state_dir

        path = site_state_dir(loaded.site.metadata.name) / "kubeconfig"
        return str(path) if path.is_file() else None


def preflight_row(finding: Finding) -> PreflightRow:
    return PreflightRow(finding.severity, finding.host, finding.check, finding.found, finding.remedy)


def read_run_summary(run_dir: Path) -> RunSummary | None:
    """`summary.json` of a run (written by `installer.run` when the run ends; see its module doc).

    It is `state.json` (`installer.run.state.RunState`) plus the run's closing message; a run
    still going, or killed, has none.
    """
    from installer.phases import PHASES

    try:
        data = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    phases = data.get("phases") or {}
    ordered = sorted(phases.items(), key=lambda item: PHASES.index(item[0]) if item[0] in PHASES else len(PHASES))
    by_status: dict[str, list[tuple[str, str]]] = {}
    for name, phase in ordered:
        by_status.setdefault(phase.get("status", ""), []).append((name, phase.get("skip_reason", "")))
    return RunSummary(
        result=str(data.get("result", "")),
        done=tuple(name for name, _ in by_status.get("done", [])),
        skipped=tuple(by_status.get("skipped", [])),
        failed=tuple(name for name, _ in by_status.get("failed", [])),
        message=str(data.get("message", "")),
    )


def host_facts(host: str, facts: NodeFacts | HostError) -> HostFacts:
    """A discovery `NodeFacts` (or `HostError`) as the node table shows it."""
    from installer.discovery import HostError
    from installer.discovery.draft import accelerators_answer

    if isinstance(facts, HostError):  # unreachable, auth refused, host key changed
        return HostFacts(host, False, error=f"{facts.kind}: {facts.message}")
    os_info = facts.os
    os_name = f"{os_info.id} {os_info.version_id}".strip() or os_info.pretty_name
    memory = facts.memory.total_bytes
    ram = f"{memory // 2**30}G" if memory else ""
    found = accelerators_answer(facts)  # the engine's rule, as `discover --write-site` applies it
    gpus = f"{found[2]}x {found[1] or found[0]}" if found else "0"
    return HostFacts(host, True, os_name, ram, gpus, str(len(facts.nics)), "", found)
