"""`aicloud install`: run the site's plan on its hosts and show progress as it goes.

Exit codes: 0 every phase done; 1 a phase failed on a host (state and logs kept; fix and
`--resume`); 2 invalid answer file or options (nothing touched); 130 interrupted (Ctrl-C;
state consistent; `--resume` continues).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.live import Live
from rich.table import Table

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
from installer.plan import build_plan

if TYPE_CHECKING:
    from installer.run import InstallOptions, RunResult

EXIT_FAILED = 1
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130

_MARK = {"ok": "ok", "changed": "changed", "failed": "FAILED", "unreachable": "UNREACHABLE", "skipped": "skipped"}


class _Progress:
    """Draws events: a live table (phases, then a line per host) on a terminal, plain lines elsewhere."""

    def __init__(self, console: Console, phases: list[str], hosts: list[str]):
        self.console = console
        self.phases = {p: "pending" for p in phases}
        self.hosts = {h: "" for h in hosts}
        self.current = ""
        self.task = ""
        self.failures: list[str] = []
        self.failed_hosts: dict[str, list[str]] = {}  # phase -> hosts, in the order they failed
        self.live = (
            Live(self._table(), console=console, refresh_per_second=8, transient=False) if console.is_terminal else None
        )

    def __enter__(self) -> _Progress:
        if self.live:
            self.live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.live:
            self.live.update(self._table())
            self.live.__exit__(*exc)

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True)
        table.add_column()
        for phase, status in self.phases.items():
            style = {"done": "green", "failed": "bold red", "running": "bold cyan"}.get(status, "dim")
            table.add_row(f"[{style}]{phase}[/]", f"[{style}]{status}[/]")
        if self.current:
            table.add_row("", "")
            table.add_row(f"[bold]{self.current}[/]", self.task)
            for host, line in self.hosts.items():
                table.add_row(f"  {host}", line)
        return table

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._line(f"run {event.run_id}: {event.run_dir}")
        elif isinstance(event, PhaseSkipped):
            self.phases[event.phase] = f"skipped: {event.reason}"
            self._line(f"{event.phase}: skipped: {event.reason}")
        elif isinstance(event, PhaseVerified):
            self._verified(event)
        elif isinstance(event, PhaseStarted):
            self.phases[event.phase] = "running"
            self.current, self.task = event.phase, ""
            self.hosts = {h: "waiting" for h in event.hosts}
            self._line(f"{event.phase}: started on {', '.join(event.hosts)}")
        elif isinstance(event, TaskStarted):
            self.task = event.task
        elif isinstance(event, HostResult):
            self.hosts[event.host] = f"{_MARK[event.status]}: {event.task}"
            if event.status in ("failed", "unreachable"):
                self.failures.append(f"{event.phase} / {event.host} / {event.task}: {event.message}")
                hosts = self.failed_hosts.setdefault(event.phase, [])
                if event.host not in hosts:
                    hosts.append(event.host)
                self._line(f"{event.phase}: {event.host}: {_MARK[event.status]}: {event.task}: {event.message}")
        elif isinstance(event, PhaseFinished):
            self.phases[event.phase] = f"{'done' if event.ok else 'failed'} ({event.changed} changed)"
            self._line(f"{event.phase}: {'done' if event.ok else 'FAILED'}, {event.changed} changed")
        elif isinstance(event, RunFinished) and self.live:
            self.current = ""
        if self.live:
            self.live.update(self._table())

    def _verified(self, event: PhaseVerified) -> None:
        if event.unchanged and not event.rerun:
            self.phases[event.phase] = f"unchanged on {len(event.unchanged)} hosts (verified)"
        if event.unchanged:
            hosts = ", ".join(event.unchanged)
            self._line(f"{event.phase}: unchanged on {hosts} (verified on each node; --full re-applies)")
        for host, reason in event.worth_telling().items():
            self._line(f"{event.phase}: runs on {host}: {reason}")

    def _line(self, text: str) -> None:
        if not self.live:
            self.console.print(text, markup=False, highlight=False)


@click.command("install")
@click.option(
    "-f",
    "--file",
    "path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The answer file (site.yaml).",
)
@click.option("--phase", type=click.Choice(PHASES), help="Run only this phase.")
@click.option("--from-phase", type=click.Choice(PHASES), help="Start at this phase and run the ones after it.")
@click.option("--limit", help="Only these hosts (comma separated node names).")
@click.option("--resume", is_flag=True, help="Continue the last run: skip what it finished, redo what failed.")
@click.option("--check", is_flag=True, help="Dry run (Ansible check mode): show what would change, change nothing.")
@click.option(
    "--bundle",
    "bundle_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The offline bundle to serve (default: $AICLOUD_HOME/bundles/<release>).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Run every task on every host, even where the node's record shows a phase still holds.",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def install_command(path: Path, phase, from_phase, limit, resume, check, bundle_dir, full, yes) -> None:
    """Install the site: run each phase of its plan on its hosts, resumably.

    \b
    Exit codes: 0 done; 1 a phase failed (see the run directory; fix, then --resume);
    2 invalid answer file or options, or another install of the site is running;
    130 interrupted (--resume continues).

    A re-run first asks each node (one SSH command) whether what a phase applied still holds
    there; such nodes skip the phase. --full runs it everywhere.
    """
    from installer.cli.common import _load_or_exit, err, out
    from installer.run import InstallOptions

    loaded = _load_or_exit(path, "text")
    plan = build_plan(loaded.site, loaded.release)
    hosts = [h.strip() for h in limit.split(",")] if limit else None
    unknown = sorted(set(hosts or []) - {n.name for n in loaded.site.nodes})
    if unknown:
        err.print(
            f"--limit: {', '.join(unknown)} not in the answer file (nodes: "
            f"{', '.join(n.name for n in loaded.site.nodes)})"
        )
        sys.exit(EXIT_INVALID)
    extravars = {"bundle_dir": str(bundle_dir)} if bundle_dir else {}
    if not yes:
        if not sys.stdin.isatty():
            err.print("not a terminal: add --yes to install without confirmation")
            sys.exit(EXIT_INVALID)
        running = [p.phase for p in plan.phases if p.runs]
        click.confirm(
            f"Install release {loaded.release.version} on {len(loaded.site.nodes)} nodes "
            f"(phases: {', '.join(running)})?",
            abort=True,
        )
    options = InstallOptions(
        phase=phase,
        from_phase=from_phase,
        limit=hosts,
        resume=resume,
        check=check,
        full=full,
        extravars=extravars,
    )
    result = _run_with_progress(loaded, options, out)
    sys.exit(result.exit_code)


def _run_with_progress(loaded, options: InstallOptions, console: Console) -> RunResult:
    from installer.cli.common import err
    from installer.run import BundleNotFound, NothingToResume, SecretUnavailable, SiteBusy, UnknownPhase, install

    stop = threading.Event()
    outcome: dict[str, object] = {}
    progress = _Progress(console, list(PHASES), [n.name for n in loaded.site.nodes])

    def work() -> None:
        try:
            outcome["result"] = install(loaded, options, on_event=progress, stop=stop)
        except (SecretUnavailable, UnknownPhase, NothingToResume, BundleNotFound, SiteBusy) as exc:
            outcome["error"] = exc
        except BaseException as exc:  # shown below; a traceback here would hide the run directory
            outcome["crash"] = exc

    worker = threading.Thread(target=work, name="aicloud-install", daemon=True)
    with progress:
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.2)
        except KeyboardInterrupt:
            stop.set()
            console.print("interrupted: stopping after the current task; state is kept", style="yellow")
            try:
                worker.join()
            except KeyboardInterrupt:
                worker.join(30)
    if "error" in outcome:
        err.print(str(outcome["error"]), markup=False)
        sys.exit(EXIT_INVALID)
    if "crash" in outcome:
        raise outcome["crash"]  # type: ignore[misc]
    result: RunResult = outcome["result"]  # type: ignore[assignment]
    for failure in progress.failures:
        err.print(failure, markup=False)
    if result.ok:
        console.print(f"install finished: run directory {result.run_dir}")
    else:
        summary = result.message
        failed_hosts = progress.failed_hosts.get(result.failed_phase or "")
        if failed_hosts and result.exit_code == EXIT_FAILED:
            # Each failure was just printed in full; the last line says where, not the same text again.
            summary = f"phase {result.failed_phase} failed on {', '.join(failed_hosts)} (in full above)"
        err.print(
            f"install {'interrupted' if result.exit_code == EXIT_INTERRUPTED else 'failed'}: {summary}",
            markup=False,
        )
        err.print(f"state and logs: {result.run_dir} (state.json, log.txt); continue with --resume", markup=False)
    return result
