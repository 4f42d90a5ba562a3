"""The one place the wizard calls the slow parts of the engine: discovery, preflight, install.

Screens get an `Engine` from the app (`app.engine`); tests pass a fake one. `RealEngine`
imports the engine lazily and turns a missing module (discovery and the run engine are being
written alongside the wizard) into `EngineUnavailable`, which the screens show as a message.
Every method is called from a worker thread and may block.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from installer.events import Event
    from installer.site import LoadedSite


class EngineUnavailable(RuntimeError):
    """This build of the engine lacks the feature (the message names the module)."""


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
    severity: str  # pass / warn / fail
    host: str
    check: str
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
    exit_code: int


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

    def kubeconfig(self, loaded: LoadedSite, run_dir: str) -> str: ...


class RealEngine:
    def discover(self, loaded: LoadedSite, on_host: Callable[[HostFacts], None], stop: threading.Event) -> None:
        try:
            from installer.discovery import discover
        except ImportError as exc:
            raise EngineUnavailable(f"installer.discovery: {exc}") from None

        def host_done(host: str, facts: Any) -> None:  # NodeFacts or HostError, as each host answers
            if not stop.is_set():
                on_host(host_facts(host, facts))

        discover(loaded, on_host=host_done)

    def preflight(self, loaded: LoadedSite) -> list[PreflightRow]:
        try:
            from installer import preflight
        except ImportError as exc:
            raise EngineUnavailable(f"installer.preflight: {exc}") from None
        run = getattr(preflight, "preflight", None) or getattr(preflight, "run_preflight", None)
        if run is None:
            raise EngineUnavailable("installer.preflight has no preflight()")
        return [
            PreflightRow(
                str(getattr(f, "severity", "")),
                str(getattr(f, "host", "")),
                str(getattr(f, "check", "")),
                str(getattr(f, "found", "")),
                str(getattr(f, "remedy", "")),
            )
            for f in run(loaded)
        ]

    def install(
        self,
        loaded: LoadedSite,
        request: InstallRequest,
        on_event: Callable[[Event], None],
        stop: threading.Event,
    ) -> InstallOutcome:
        try:
            from installer.run import InstallOptions, install
        except ImportError as exc:
            raise EngineUnavailable(f"installer.run: {exc}") from None
        options = InstallOptions(
            phase=request.phase,
            from_phase=request.from_phase,
            limit=request.limit or None,
            resume=request.resume,
            check=False,
        )
        result = install(loaded, options, on_event=on_event, stop=stop)
        return InstallOutcome(result.ok, str(result.run_dir), result.exit_code)

    def kubeconfig(self, loaded: LoadedSite, run_dir: str) -> str:
        from installer.state import site_state_dir

        return str(site_state_dir(loaded.site.metadata.name) / "kubeconfig")


def host_facts(host: str, facts: Any) -> HostFacts:
    """A discovery `NodeFacts` (or `HostError`) as the node table shows it."""
    if not hasattr(facts, "accelerators"):  # HostError: unreachable, auth, host key changed
        return HostFacts(host, False, error=f"{getattr(facts, 'kind', 'error')}: {getattr(facts, 'message', '')}")
    os_info = facts.os
    os_name = f"{os_info.id} {os_info.version_id}".strip() or os_info.pretty_name
    memory = facts.memory.total_bytes
    ram = f"{memory // 2**30}G" if memory else ""
    found = None
    if facts.accelerators:
        first = facts.accelerators[0]
        same = [a for a in facts.accelerators if a.vendor == first.vendor]
        found = (first.vendor.value, first.model, len(same))
    gpus = f"{found[2]}x {found[1] or found[0]}" if found else "0"
    return HostFacts(host, True, os_name, ram, gpus, str(len(facts.nics)), "", found)


def site_base_dir(loaded: LoadedSite) -> Path:
    return loaded.base_dir
