"""`install`: take a site from bare OS through the phases of its plan, resumably.

Every run gets a run directory under the site's state folder:

    runs/<run id>/
      plan.json            the plan this run followed
      state.json           phase x host status with timestamps (written atomically)
      progress.jsonl       the typed events the faces showed
      ansible-events.jsonl ansible-runner's event stream
      log.txt              a human log; failures in full
      summary.json         the outcome
      inventory/           the rendered inventory, group_vars, host_vars (no secrets)
      ansible.cfg          generated for this run
      ansible/             ansible-runner's private data dir and artifacts
      facts/               fact cache

The faces call `install(...)` with a callback for events and a `threading.Event` to stop.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import secrets as token
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from installer.events import (
    Event,
    PhaseFinished,
    PhaseSkipped,
    PhaseStarted,
    PhaseVerified,
    RunFinished,
    RunStarted,
    event_to_dict,
)
from installer.phases import PHASES
from installer.plan import Plan, build_plan
from installer.render import render
from installer.run.ansible import PLAYBOOKS_DIR, ROLES_DIR, ansible_cfg, run_playbook
from installer.run.converged import check_hosts, phase_inputs
from installer.run.preflight_phase import run_preflight_phase
from installer.run.secrets import SecretStore, SecretUnavailable, materialize
from installer.run.state import PhaseState, RunState, now
from installer.site.load import LoadedSite
from installer.state import aicloud_home, known_hosts_path, site_state_dir, write_atomic

__all__ = [
    "BundleNotFound",
    "InstallOptions",
    "RunResult",
    "SecretUnavailable",
    "SiteBusy",
    "UnknownPhase",
    "default_bundle_dir",
    "install",
    "latest_run",
]

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130

#: Phases run in Python instead of by a playbook: (loaded, hosts, run id, emit) -> (host -> done|failed, messages)
PYTHON_PHASES: dict[str, Callable[..., tuple[dict[str, str], dict[str, str]]]] = {
    "preflight": run_preflight_phase,
}


class UnknownPhase(ValueError):
    pass


class NothingToResume(ValueError):
    pass


class BundleNotFound(ValueError):
    pass


class SiteBusy(RuntimeError):
    """Another aicloud process is installing the same site: two runs would race on its nodes and state."""


class _SiteLock:
    """One install of a site at a time: an exclusive flock on `<site state>/install.lock`.

    The kernel drops the lock when its holder exits in any way (Ctrl-C, a crash, kill -9), so
    a lock is never left stale. The file says who holds it, for the refusal's message.
    """

    def __init__(self, site_name: str) -> None:
        self.site_name = site_name
        self.path = site_state_dir(site_name) / "install.lock"
        self.fd: int | None = None

    def __enter__(self) -> _SiteLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "another aicloud process"
            os.close(fd)
            raise SiteBusy(
                f"site {self.site_name} is being installed right now ({holder}); two runs at once would "
                "race on its nodes and its state. Wait for that run to end, or stop it (Ctrl-C there), "
                "then run again (--resume continues it)."
            ) from None
        os.ftruncate(fd, 0)
        started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        command = " ".join([os.path.basename(sys.argv[0]), *sys.argv[1:2]])
        os.pwrite(fd, f"pid {os.getpid()}, started {started}: {command}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            os.close(self.fd)  # closing drops the flock
            self.fd = None


def default_bundle_dir(release: str) -> Path:
    """Where `aicloud bundle build` output is looked for when no bundle is named."""
    return aicloud_home() / "bundles" / release


def _bundle_extravars(loaded: LoadedSite, options: InstallOptions) -> dict[str, str]:
    """`bundle_dir` for the bundle phase, checked before any host is touched."""
    given = (options.extravars or {}).get("bundle_dir")
    runs_bundle = build_plan(loaded.site, loaded.release).phase("bundle").runs
    if not runs_bundle or "bundle" not in _selected_phases(options):
        return {}
    path = Path(given) if given else default_bundle_dir(loaded.release.version)
    if not (path / "bundle.json").is_file():
        version = loaded.release.version
        raise BundleNotFound(
            f"no offline bundle at {path}: build it with `aicloud bundle build --release {version} "
            f"--os debian-12 --out {path}`, or name one with --bundle DIR"
        )
    return {"bundle_dir": str(path.resolve())}


@dataclass(frozen=True)
class InstallOptions:
    phase: str | None = None
    from_phase: str | None = None
    limit: list[str] | None = None
    resume: bool = False
    check: bool = False
    #: run every phase's playbook on every host, even where the node's record shows it holds
    full: bool = False
    #: extra variables for the playbooks (e.g. `bundle_dir`); never secrets
    extravars: dict[str, str] | None = None
    #: where `<phase>.yml` playbooks are; the project's playbooks/ unless a test says otherwise
    playbooks_dir: Path | None = None


@dataclass(frozen=True)
class RunResult:
    ok: bool
    run_dir: str
    exit_code: int
    message: str = ""
    failed_phase: str | None = None


def latest_run(site_name: str) -> Path | None:
    link = site_state_dir(site_name) / "runs" / "latest"
    return link.resolve() if link.exists() else None


def _selected_phases(options: InstallOptions) -> list[str]:
    for value in (options.phase, options.from_phase):
        if value is not None and value not in PHASES:
            raise UnknownPhase(f"unknown phase {value!r}; phases are: {', '.join(PHASES)}")
    if options.phase:
        return [options.phase]
    start = PHASES.index(options.from_phase) if options.from_phase else 0
    return list(PHASES[start:])


def _new_run_dir(site_name: str) -> tuple[str, Path]:
    runs = site_state_dir(site_name) / "runs"
    run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + token.token_hex(2)
    run_dir = runs / run_id
    run_dir.mkdir(parents=True, mode=0o700)
    latest = runs / "latest"
    tmp = runs / f".latest.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(run_id)
    os.replace(tmp, latest)
    return run_id, run_dir


def _reachable(loaded: LoadedSite, extravars: dict[str, str]) -> LoadedSite:
    """The site as pyinfra must see it during the run (preflight, the phase checks): a key given
    by an environment variable is gone from the environment by then (materialize took it out),
    so point at the copy in the private secret store instead."""
    stored = extravars.get("ansible_ssh_private_key_file")
    if not stored or loaded.site.ssh.private_key.env is None:
        return loaded
    key = loaded.site.ssh.private_key.model_copy(update={"env": None, "file": stored})
    ssh = loaded.site.ssh.model_copy(update={"private_key": key})
    return dataclasses.replace(loaded, site=loaded.site.model_copy(update={"ssh": ssh}))


class _Run:
    def __init__(self, loaded: LoadedSite, options: InstallOptions, on_event: Callable[[Event], None], stop):
        self.loaded = loaded
        self.reach = loaded
        self.options = options
        self.stop = stop
        self.plan: Plan = build_plan(loaded.site, loaded.release)
        previous = latest_run(loaded.site.metadata.name) if options.resume else None
        if options.resume and (previous is None or not (previous / "state.json").is_file()):
            raise NothingToResume(f"no earlier run of site {loaded.site.metadata.name} to resume")
        self.run_id, self.dir = _new_run_dir(loaded.site.metadata.name)
        if previous is not None:
            self.state = RunState.load(previous / "state.json")
            self.state.resumed_from = self.state.run_id
            self.state.run_id, self.state.started, self.state.finished = self.run_id, now(), None
            self.state.result = "running"
        else:
            self.state = RunState(loaded.site.metadata.name, loaded.release.version, self.run_id, now())
        self._progress = (self.dir / "progress.jsonl").open("a", encoding="utf-8")
        self.failed_phase: str | None = None
        self._on_event = on_event

    def emit(self, event: Event) -> None:
        self._progress.write(json.dumps(event_to_dict(event)) + "\n")
        self._progress.flush()
        self._on_event(event)

    def save(self) -> None:
        self.state.save(self.dir / "state.json")

    def prepare(self, extravars: dict[str, str], secret_dir: Path | None = None) -> None:
        site = self.loaded.site
        render(
            site,
            self.loaded.release,
            self.dir / "inventory",
            base=self.loaded.base_dir,
            source=self.loaded.document.path,
        )
        write_atomic(self.dir / "plan.json", json.dumps(self.plan.to_dict(), indent=2) + "\n", mode=0o644)
        known_hosts = None if site.ssh.config_file else known_hosts_path(site.metadata.name)
        control_dir = site_state_dir(site.metadata.name) / "cp"
        control_dir.mkdir(mode=0o700, exist_ok=True)
        write_atomic(self.dir / "ansible.cfg", ansible_cfg(self.dir, len(site.nodes), control_dir, known_hosts))
        self.extravars = {
            **(self.options.extravars or {}),
            **extravars,
            "aicloud_run_id": self.run_id,
        }
        self.secret_dir = secret_dir
        self.reach = _reachable(self.loaded, self.extravars)
        self._inputs_cache: dict[str, str] = {}
        self.save()

    def run(self) -> RunResult:
        selected = _selected_phases(self.options)
        limit = set(self.options.limit) if self.options.limit else None
        self.emit(RunStarted(self.run_id, str(self.dir), selected, [n.name for n in self.loaded.site.nodes]))
        failed_message = ""
        for planned in self.plan.phases:
            if self.stop.is_set():
                break
            if planned.phase not in selected:
                continue
            if not planned.runs:
                phase_state = self.state.phases.setdefault(planned.phase, PhaseState())
                phase_state.status, phase_state.skip_reason = "skipped", planned.skip_reason or ""
                self.save()
                self.emit(PhaseSkipped(planned.phase, planned.skip_reason or ""))
                continue
            hosts = [h for h in planned.hosts if limit is None or h in limit]
            todo = self.state.hosts_to_run(planned.phase, hosts, self.options.resume)
            if not todo:
                reason = "done in an earlier run" if hosts else "no host of --limit is in this phase"
                self.emit(PhaseSkipped(planned.phase, reason))
                continue
            todo = self._skip_unchanged(planned.phase, todo)
            if not todo:
                continue
            ok, message = self._run_phase(planned.phase, todo)
            if not ok:
                failed_message, self.failed_phase = message, planned.phase
                break
        return self._finish(failed_message)

    def _playbook(self, phase: str) -> Path:
        return (self.options.playbooks_dir or PLAYBOOKS_DIR) / f"{phase}.yml"

    def _inputs(self, phase: str) -> str:
        if phase not in self._inputs_cache:
            self._inputs_cache[phase] = phase_inputs(
                phase,
                playbooks_dir=self.options.playbooks_dir or PLAYBOOKS_DIR,
                roles_dir=ROLES_DIR,
                inventory_dir=self.dir / "inventory",
                extravars=self.extravars,
                secret_dir=self.secret_dir,
            )
        return self._inputs_cache[phase]

    def _skip_unchanged(self, phase: str, hosts: list[str]) -> list[str]:
        """The hosts that must run the phase; the others are verified unchanged and marked done."""
        if self.options.full or self.options.check or phase in PYTHON_PHASES or not self._playbook(phase).is_file():
            return hosts
        verdicts = check_hosts(self.reach, phase, hosts, self._inputs(phase))
        unchanged = [v.host for v in verdicts if v.unchanged]
        for host in unchanged:
            self.state.mark(phase, host, "done", "unchanged: verified on the node")
        if len(unchanged) == len(hosts):
            self.state.phases[phase].status = "done"
        self.save()
        rerun = {v.host: v.reason for v in verdicts if not v.unchanged}
        self.emit(PhaseVerified(phase, unchanged, rerun, {v.host: v.since_run for v in verdicts if v.unchanged}))
        return [h for h in hosts if h in rerun]

    def _run_phase(self, phase: str, hosts: list[str]) -> tuple[bool, str]:
        playbook = self._playbook(phase)
        for host in hosts:
            self.state.mark(phase, host, "running")
        self.state.phases[phase].status = "running"
        self.save()
        self.emit(PhaseStarted(phase, hosts))
        if phase in PYTHON_PHASES:
            outcome_hosts, messages = PYTHON_PHASES[phase](self.reach, hosts, self.run_id, self.emit)
            changed, cancelled = 0, self.stop.is_set()
        elif not playbook.is_file():
            outcome_hosts = {h: "failed" for h in hosts}
            messages = {h: f"phase {phase} has no playbook yet ({playbook.name})" for h in hosts}
            changed, cancelled = 0, False
        else:
            outcome = run_playbook(
                phase=phase,
                playbook=playbook,
                run_dir=self.dir,
                inventory=self.dir / "inventory" / "inventory.yml",
                hosts=hosts,
                extravars={
                    **self.extravars,
                    "release_record_phase": phase,
                    "aicloud_converged_inputs": "" if self.options.check else self._inputs(phase),
                },
                check=self.options.check,
                on_event=self.emit,
                stop=self.stop,
            )
            outcome_hosts, messages, changed, cancelled = (
                outcome.hosts,
                outcome.messages,
                outcome.changed,
                outcome.cancelled,
            )
        for host, status in outcome_hosts.items():
            if status != "done":
                self.state.mark(phase, host, "failed", messages.get(host) or "interrupted")
            else:
                # A check run changes nothing, so nothing it saw counts as done.
                self.state.mark(phase, host, "pending" if self.options.check else "done")
        ok = all(s == "done" for s in outcome_hosts.values()) and not cancelled
        self.state.phases[phase].status = "done" if ok else "failed"
        self.save()
        self.emit(PhaseFinished(phase, ok, dict(outcome_hosts), changed))
        if cancelled:
            return False, "interrupted"
        failures = [f"{h}: {messages.get(h, 'failed')}" for h, s in outcome_hosts.items() if s != "done"]
        return ok, f"phase {phase} failed on " + "; ".join(failures) if failures else ""

    def _finish(self, failed_message: str) -> RunResult:
        interrupted = self.stop.is_set()
        ok = not failed_message and not interrupted
        self.state.result = "succeeded" if ok else ("interrupted" if interrupted else "failed")
        self.state.finished = now()
        self.save()
        message = "" if ok else ("interrupted; run again with --resume" if interrupted else failed_message)
        summary = {**asdict(self.state), "message": message}
        write_atomic(self.dir / "summary.json", json.dumps(summary, indent=2) + "\n", mode=0o644)
        self.emit(RunFinished(ok, str(self.dir), message, interrupted))
        self._progress.close()
        code = EXIT_OK if ok else (EXIT_INTERRUPTED if interrupted else EXIT_FAILED)
        return RunResult(ok, str(self.dir), code, message, self.failed_phase)


def install(
    loaded: LoadedSite,
    options: InstallOptions,
    on_event: Callable[[Event], None] = lambda event: None,
    stop: threading.Event | None = None,
) -> RunResult:
    """Run the plan of `loaded` (or the part `options` selects). Raises SecretUnavailable,
    UnknownPhase, NothingToResume, BundleNotFound or SiteBusy before touching any host."""
    _selected_phases(options)
    bundle = _bundle_extravars(loaded, options)
    with _SiteLock(loaded.site.metadata.name):
        store = SecretStore.create()
        try:
            extravars = {**materialize(loaded, store), **bundle}
            run = _Run(loaded, options, on_event, stop or threading.Event())
            run.prepare(extravars, store.dir)
            return run.run()
        finally:
            store.cleanup()
