"""`aicloud install`: run the site's plan on its hosts and show progress as it goes.

Exit codes (from the run's outcome, installer/cli/common.py): 0 every phase done; 1 a phase
failed on a host (state and logs kept; fix and `--resume`); 2 refused before any host was
touched (answer file, options, a missing or damaged bundle, nothing to resume, the site or one
of its hosts busy); 130 interrupted (Ctrl-C or SIGTERM; state consistent; `--resume` continues).
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table

from installer.events import Event, HostResult, PhaseFinished, PhaseSkipped, PhaseStarted, PhaseVerified, RunStarted
from installer.phases import PHASES
from installer.plan import build_plan
from installer.run.progress import RunProgress, mark

if TYPE_CHECKING:
    from installer.run import InstallOptions, RunResult

_STYLE = {"done": "green", "verified": "green", "failed": "bold red", "running": "bold cyan"}


class _Progress:
    """Draws the engine's progress fold: a live table (phases with bars, then a line per host of
    the running phase) on a terminal, plain lines elsewhere. Identifiers are never cut: a
    column too narrow folds them onto the next line."""

    def __init__(self, console: Console, phases: list[str], hosts: list[str]):
        self.console = console
        self.model = RunProgress.new(phases, hosts)
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

    def _table(self) -> Group:
        phases = Table.grid(padding=(0, 2))
        phases.add_column(no_wrap=True)
        phases.add_column(width=20)
        phases.add_column(overflow="fold")
        for phase in self.model.phases.values():
            style = _STYLE.get(phase.status, "dim")
            fraction = phase.fraction
            bar = ProgressBar(total=1.0, completed=fraction or 0.0, width=20, pulse=fraction is None)
            text = phase.status + (f": {phase.detail}" if phase.detail else "")
            phases.add_row(f"[{style}]{phase.name}[/]", bar, f"[{style}]{_escape(text)}[/]")
        parts: list[object] = [phases]
        running = self.model.phases.get(self.model.current)
        if running is not None:
            hosts = Table.grid(padding=(0, 2))
            hosts.add_column(overflow="fold")
            hosts.add_column(overflow="ellipsis", no_wrap=True)
            hosts.add_row(f"[bold]{running.name}[/]", _escape(self.model.task))
            for host, progress in running.hosts.items():
                hosts.add_row(f"  {_escape(host)}", _escape(f"{mark(progress.status)}: {progress.task}"))
            parts += ["", hosts]
        return Group(*parts)  # type: ignore[arg-type]

    def __call__(self, event: Event) -> None:
        self.model.apply(event)
        if self.live:
            self.live.update(self._table())
        else:
            for line in _plain_lines(event, self.model):
                self._line(line)

    def _line(self, text: str) -> None:
        from installer.cli.common import say

        say(self.console, text)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _plain_lines(event: Event, model: RunProgress) -> list[str]:
    if isinstance(event, RunStarted):
        return [f"run {event.run_id}: {event.run_dir}", *(f"note: {n}" for n in event.notes)]
    if isinstance(event, PhaseSkipped):
        return [f"{event.phase}: skipped: {event.reason}"]
    if isinstance(event, PhaseVerified):
        lines = []
        if event.unchanged:
            hosts = ", ".join(event.unchanged)
            lines.append(f"{event.phase}: unchanged on {hosts} (verified on each node; --full re-applies)")
        return lines + [f"{event.phase}: runs on {host}: {reason}" for host, reason in event.worth_telling().items()]
    if isinstance(event, PhaseStarted):
        return [f"{event.phase}: started on {', '.join(event.hosts)}"]
    if isinstance(event, HostResult) and event.status in ("failed", "unreachable"):
        host = model.host_name(event.host)
        return [f"{event.phase}: {host}: {mark(event.status)}: {event.task}: {event.message}"]
    if isinstance(event, PhaseFinished):
        return [f"{event.phase}: {'done' if event.ok else 'FAILED'}, {event.changed} changed"]
    return []


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
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the last run, as it was asked (phases, hosts, bundle): redo what it did not finish, "
    "and what a node's own record no longer shows.",
)
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
    2 refused, nothing touched: invalid answer file or options, a missing or damaged
      bundle, nothing to resume, another run holding the site or one of its hosts;
    130 interrupted (--resume continues what that run was asked).

    A re-run first asks each node (one SSH command) whether what a phase applied still holds
    there; such nodes skip the phase. --full runs it everywhere.
    """
    from installer.cli.common import EXIT_FOR_OUTCOME, EXIT_INVALID, _load_or_exit, err, out, say
    from installer.run import InstallOptions

    loaded = _load_or_exit(path, "text")
    plan = build_plan(loaded.site, loaded.release)
    extravars = {"bundle_dir": str(bundle_dir)} if bundle_dir else {}
    if not yes:
        if not sys.stdin.isatty():
            say(err, "not a terminal: add --yes to install without confirmation")
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
        # `--limit ''` is a limit to no host, refused by the engine, never "every host"
        limit=limit.split(",") if limit is not None else None,
        resume=resume,
        check=check,
        full=full,
        extravars=extravars,
    )
    result = _run_with_progress(loaded, options, out)
    sys.exit(EXIT_FOR_OUTCOME[result.outcome])


class _StopOnSignal:
    """While a run goes on: the first Ctrl-C (or SIGTERM) asks the engine to stop when the
    running task ends; a second one stops at once (the task cut short, run again by --resume).
    The main thread never gets a KeyboardInterrupt in the middle of waiting, so the run always
    ends with its state and summary written."""

    def __init__(self, stop: threading.Event, stop_now: threading.Event, console: Console) -> None:
        self.stop, self.stop_now, self.console, self.saved = stop, stop_now, console, {}

    def __enter__(self) -> _StopOnSignal:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: object) -> None:
        from installer.cli.common import say

        if self.stop.is_set():
            self.stop_now.set()
            say(self.console, "stopping now: the running task is cut short (--resume runs it again)", style="yellow")
            return
        self.stop.set()
        say(
            self.console,
            "interrupted: stopping when the running task ends (Ctrl-C again: at once); state is kept",
            style="yellow",
        )


def _run_with_progress(loaded, options: InstallOptions, console: Console) -> RunResult:
    from installer.cli.common import err, say
    from installer.run import Refused, RunResult, install

    stop, stop_now = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}
    progress = _Progress(console, list(PHASES), [n.name for n in loaded.site.nodes])

    def work() -> None:
        try:
            outcome["result"] = install(loaded, options, on_event=progress, stop=stop, stop_now=stop_now)
        except Refused as exc:
            outcome["refused"] = exc
        except BaseException as exc:  # shown below; a traceback here would hide the run directory
            outcome["crash"] = exc

    worker = threading.Thread(target=work, name="aicloud-install")
    with _StopOnSignal(stop, stop_now, err), progress:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
    if "refused" in outcome:
        say(err, str(outcome["refused"]))
        return RunResult("refused", "", str(outcome["refused"]))
    if "crash" in outcome:
        raise outcome["crash"]  # type: ignore[misc]
    result: RunResult = outcome["result"]  # type: ignore[assignment]
    _summarize(result, progress.model, console)
    return result


def _summarize(result: RunResult, model: RunProgress, console: Console) -> None:
    from installer.cli.common import err, say

    for failure in model.failures:
        say(err, str(failure))
    check = result.dry_run
    dry = "dry run (nothing was changed on any host)"
    if result.ok:
        done = f"{dry}: finished" if check else "install finished"
        say(console, f"{done}: run directory {result.run_dir}")
        return
    summary = result.message
    failed_hosts = model.failed_hosts(result.failed_phase or "")
    if failed_hosts and result.outcome == "failed":
        # Each failure was just printed in full; the last line says where, not the same text again.
        summary = f"phase {result.failed_phase} failed on {', '.join(failed_hosts)} (in full above)"
    what = dry if check else "install"
    say(err, f"{what} {'interrupted' if result.outcome == 'interrupted' else 'failed'}: {summary}")
    if check:
        # never a hint that would change hosts: --resume of a dry run is a dry run, but say nothing of it
        say(err, f"logs: {result.run_dir} (state.json, log.txt)")
    else:
        say(err, f"state and logs: {result.run_dir} (state.json, log.txt); continue with --resume")
