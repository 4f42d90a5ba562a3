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
import json
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from installer.content import playbook_path
from installer.errors import Refused
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
from installer.run.locks import SiteBusy, run_locks
from installer.run.playbook import count_tasks
from installer.run.preflight_phase import run_preflight_phase
from installer.run.progress import log_line
from installer.run.secrets import SecretStore, SecretUnavailable, materialize
from installer.run.state import PhaseState, RunState, Selection, now
from installer.site.load import LoadedSite
from installer.state import (
    aicloud_home,
    known_hosts_path,
    latest_run_dir,
    new_run_dir,
    point_latest,
    site_state_dir,
    write_atomic,
)

__all__ = [
    "BundleNotFound",
    "BundleRefused",
    "InstallOptions",
    "InvalidSelection",
    "NothingToResume",
    "Outcome",
    "Refused",
    "RunResult",
    "SecretUnavailable",
    "SiteBusy",
    "UnknownPhase",
    "default_bundle_dir",
    "install",
    "latest_run",
]

#: Phases run in Python instead of by a playbook: (loaded, hosts, run id, emit) -> (host -> done|failed, messages)
PYTHON_PHASES: dict[str, Callable[..., tuple[dict[str, str], dict[str, str]]]] = {
    "preflight": run_preflight_phase,
}

Outcome = Literal["succeeded", "failed", "interrupted", "refused"]


class UnknownPhase(Refused):
    pass


class InvalidSelection(Refused):
    """Options that select nothing, or contradict each other or the run being resumed."""


class NothingToResume(Refused):
    pass


class BundleNotFound(Refused):
    pass


class BundleRefused(Refused):
    """The offline bundle failed its integrity check on the controller: nothing was touched."""


def default_bundle_dir(release: str) -> Path:
    """Where `aicloud bundle build` output is looked for when no bundle is named."""
    return aicloud_home() / "bundles" / release


def _verify_bundle(path: Path) -> list[str]:
    """The bundle's integrity problems (empty: good). Controller-side only: no host is touched."""
    from installer.bundle import BundleError, verify

    try:
        return [str(p) for p in verify(path).problems]
    except (BundleError, OSError) as exc:  # an unreadable file or folder is a refusal, not a crash
        return [str(exc)]


def _bundle_release(path: Path) -> str | None:
    """The release a bundle says it is for (unverified: verification comes after), if readable."""
    try:
        release = json.loads((path / "bundle.json").read_text()).get("release")
    except (OSError, ValueError, AttributeError):
        return None
    return release if isinstance(release, str) else None


def _bundle_extravars(loaded: LoadedSite, plan: Plan, options: InstallOptions, selection: Selection) -> dict[str, str]:
    """`bundle_dir` for the playbooks: found, and verified when the bundle phase will serve it,
    before any host is touched. A bundle found but not served this run (e.g. `--phase os`) is
    still named, so the phases' recorded inputs do not depend on how they were selected."""
    given = (options.extravars or {}).get("bundle_dir")
    if not plan.phase("bundle").runs:
        return {}
    path = Path(given) if given else default_bundle_dir(loaded.release.version)
    serves = "bundle" in selection.phases(PHASES)
    built_for = _bundle_release(path)
    if built_for is not None and built_for != loaded.release.version:
        raise BundleRefused(
            f"the offline bundle at {path} is release {built_for}; the site installs {loaded.release.version}: "
            f"build its bundle (`aicloud bundle build --release {loaded.release.version}`) or name it with --bundle DIR"
        )
    if not (path / "bundle.json").is_file():
        if not serves:
            return {}
        version = loaded.release.version
        raise BundleNotFound(
            f"no offline bundle at {path}: build it with `aicloud bundle build --release {version} "
            f"--os debian-12 --out {path}`, or name one with --bundle DIR"
        )
    if not serves:
        return {"bundle_dir": str(path.resolve())}
    problems = _verify_bundle(path)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise BundleRefused(
            f"the offline bundle at {path} failed its integrity check: {problems[0]}{more}; nothing was "
            f"touched. Check it with `aicloud bundle verify {path}`, then rebuild it or name a good copy "
            "with --bundle DIR"
        )
    return {"bundle_dir": str(path.resolve()), "bundle_verified": "true"}


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

    def selection(self, node_names: list[str]) -> Selection:
        """What these options ask for, checked; InvalidSelection/UnknownPhase when they cannot be run."""
        for value in (self.phase, self.from_phase):
            if value is not None and value not in PHASES:
                raise UnknownPhase(f"unknown phase {value!r}; phases are: {', '.join(PHASES)}")
        if self.phase and self.from_phase:
            raise InvalidSelection(
                "--phase and --from-phase together: choose one (--phase P runs P alone, --from-phase P "
                "runs P and the phases after it)"
            )
        limit = None
        if self.limit is not None:
            limit = tuple(h.strip() for h in self.limit)
            if not limit or not all(limit):
                raise InvalidSelection(
                    f"--limit names no host (an empty name); give node names, comma separated: {', '.join(node_names)}"
                )
            unknown = sorted(set(limit) - set(node_names))
            if unknown:
                raise InvalidSelection(
                    f"--limit: {', '.join(unknown)} not in the answer file (nodes: {', '.join(node_names)})"
                )
        return Selection(self.phase, self.from_phase, limit, self.check, self.full)


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    run_dir: str
    message: str = ""
    failed_phase: str | None = None
    #: a check-mode run: nothing was changed on any host
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome == "succeeded"


def latest_run(site_name: str) -> Path | None:
    """The newest install run of the site (the one `--resume` continues)."""
    return latest_run_dir(site_name, "install")


def _settle_dead_run(site_name: str) -> str | None:
    """A latest run still marked `running` while we hold the site's lock lost its controller
    (killed, crashed, powered off): record it as interrupted, and say so."""
    previous = latest_run(site_name)
    path = previous / "state.json" if previous else None
    if path is None or not path.is_file():
        return None
    try:
        state = RunState.load(path)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if state.result != "running":
        return None
    state.result, state.finished = "interrupted", state.finished or now()
    state.note = "its controller stopped before the run ended (killed, crashed or powered off)"
    for phase in state.phases.values():
        for host in phase.hosts.values():
            if host.status == "running":
                host.status, host.message = "failed", "interrupted: the controller stopped"
        if phase.status == "running":
            phase.status = "failed"
    state.save(path)
    summary = {**asdict(state), "message": f"interrupted; {state.note}"}
    write_atomic(previous / "summary.json", json.dumps(summary, indent=2) + "\n", mode=0o644)
    return f"run {state.run_id} was left running by a controller that stopped; it is recorded as interrupted"


def _resumed_state(site_name: str, release: str, options: InstallOptions, asked: Selection) -> RunState | None:
    """The state `--resume` continues, or NothingToResume / InvalidSelection saying why not."""
    if not options.resume:
        return None
    previous = latest_run(site_name)
    if previous is None or not (previous / "state.json").is_file():
        raise NothingToResume(f"no earlier run of site {site_name} to resume")
    state = RunState.load(previous / "state.json")
    if state.selection is None:
        raise InvalidSelection(
            f"run {state.run_id} was made by an earlier aicloud that did not record what it was asked: "
            "run install again with the options you gave it, without --resume"
        )
    if state.release != release:
        raise InvalidSelection(
            f"run {state.run_id} installed release {state.release}; the answer file now says {release}: "
            "start a new run without --resume"
        )
    if state.result == "succeeded":
        raise NothingToResume(
            f"nothing to resume: the last run of site {site_name} ({state.run_id}) succeeded. Run install "
            "again without --resume to re-apply: nodes whose own record shows a phase still holds skip it"
        )
    if asked != Selection() and asked != state.selection:
        raise InvalidSelection(
            f"--resume repeats what run {state.run_id} was asked ({state.selection.describe()}); leave out "
            f"{asked.describe()}, or start a new run without --resume"
        )
    return state


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
    def __init__(
        self,
        loaded: LoadedSite,
        plan: Plan,
        options: InstallOptions,
        selection: Selection,
        resumed: RunState | None,
        on_event: Callable[[Event], None],
        stop: threading.Event,
        stop_now: threading.Event | None = None,
    ):
        self.loaded = loaded
        self.stop_now = stop_now
        self.reach = loaded
        self.options = options
        self.selection = selection
        self.stop = stop
        self.plan = plan
        # `latest` moves once the run has a state (prepare), and never to a dry run: --resume
        # continues the last real install, whatever was looked at with --check since.
        self.run_id, self.dir = new_run_dir(loaded.site.metadata.name, "install", point=False)
        if resumed is not None:
            self.state = resumed
            self.state.resumed_from = self.state.run_id
            self.state.run_id, self.state.started, self.state.finished = self.run_id, now(), None
            self.state.result, self.state.note = "running", ""
        else:
            self.state = RunState(loaded.site.metadata.name, loaded.release.version, self.run_id, now())
        self.state.selection = selection
        self._progress = (self.dir / "progress.jsonl").open("a", encoding="utf-8")
        self._log = (self.dir / "log.txt").open("a", encoding="utf-8")
        self._face_failed = False
        self.failed_phase: str | None = None
        self._on_event = on_event

    def emit(self, event: Event) -> None:
        self._progress.write(json.dumps(event_to_dict(event)) + "\n")
        self._progress.flush()
        line = log_line(event)
        if line:
            self._log.write(line + "\n")
            self._log.flush()
        if self._face_failed:
            return
        try:
            self._on_event(event)
        except Exception as exc:  # a face that cannot draw (a closed pipe, a dead screen) never stops the work
            self._face_failed = True
            self._log.write(f"the face stopped showing progress ({type(exc).__name__}: {exc}); the run goes on\n")

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
        self.state.bundle_dir = self.extravars.get("bundle_dir") or self.state.bundle_dir
        self.reach = _reachable(self.loaded, self.extravars)
        self._inputs_cache: dict[str, str] = {}
        self.save()
        if not self.selection.check:
            point_latest(site.metadata.name, "install", self.run_id)

    def run(self, notes: list[str]) -> RunResult:
        selected = self.selection.phases(PHASES)
        limit = set(self.selection.limit) if self.selection.limit else None
        self.emit(RunStarted(self.run_id, str(self.dir), selected, [n.name for n in self.loaded.site.nodes], notes))
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
            if not hosts:
                self.emit(PhaseSkipped(planned.phase, "no host of --limit is in this phase"))
                continue
            todo = self._skip_unchanged(planned.phase, hosts)
            if not todo:
                continue
            if self.stop.is_set():  # asked for while the nodes were being checked
                break
            ok, message = self._run_phase(planned.phase, todo)
            if not ok:
                failed_message, self.failed_phase = message, planned.phase
                break
        return self._finish(failed_message)

    def _playbook(self, phase: str) -> Path:
        return playbook_path(phase, self.options.playbooks_dir or PLAYBOOKS_DIR)

    def _inputs(self, phase: str) -> str:
        if phase not in self._inputs_cache:
            self._inputs_cache[phase] = phase_inputs(
                phase,
                playbook=self._playbook(phase),
                roles_dir=ROLES_DIR,
                inventory_dir=self.dir / "inventory",
                extravars=self.extravars,
                secret_dir=self.secret_dir,
            )
        return self._inputs_cache[phase]

    def _to_verify(self, phase: str, hosts: list[str]) -> list[str]:
        """The hosts whose own record may excuse them from the phase. The controller's state never
        does: a host done in the run being resumed is still asked, since it may have been remade.
        --full runs everything this run has not done; --check always runs everything."""
        if self.selection.check or phase in PYTHON_PHASES or not self._playbook(phase).is_file():
            return []
        if not self.options.resume:
            return [] if self.selection.full else hosts
        earlier = self.state.phases.get(phase)
        done = [h for h in hosts if earlier and earlier.hosts.get(h) and earlier.hosts[h].status == "done"]
        return done if self.selection.full else hosts

    def _skip_unchanged(self, phase: str, hosts: list[str]) -> list[str]:
        """The hosts that must run the phase; the others are verified unchanged and marked done."""
        candidates = self._to_verify(phase, hosts)
        if not candidates:
            return hosts
        verdicts = check_hosts(self.reach, phase, candidates, self._inputs(phase))
        unchanged = [v.host for v in verdicts if v.unchanged]
        for host in unchanged:
            self.state.mark(phase, host, "done", "unchanged: verified on the node")
        if len(unchanged) == len(hosts):
            self.state.phases[phase].status = "done"
        self.save()
        rerun = {v.host: v.reason for v in verdicts if not v.unchanged}
        rerun.update({h: "not done by the run being resumed" for h in hosts if h not in candidates})
        self.emit(PhaseVerified(phase, unchanged, rerun, {v.host: v.since_run for v in verdicts if v.unchanged}))
        return [h for h in hosts if h not in unchanged]

    def _run_phase(self, phase: str, hosts: list[str]) -> tuple[bool, str]:
        playbook = self._playbook(phase)
        for host in hosts:
            self.state.mark(phase, host, "running")
        self.state.phases[phase].status = "running"
        self.save()
        tasks = count_tasks(playbook, ROLES_DIR) if phase not in PYTHON_PHASES and playbook.is_file() else 0
        self.emit(PhaseStarted(phase, hosts, tasks))
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
                    "aicloud_converged_inputs": "" if self.selection.check else self._inputs(phase),
                },
                check=self.selection.check,
                on_event=self.emit,
                stop=self.stop,
                stop_now=self.stop_now,
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
                self.state.mark(phase, host, "pending" if self.selection.check else "done")
        ok = all(s == "done" for s in outcome_hosts.values()) and not cancelled
        self.state.phases[phase].status = "done" if ok else "failed"
        self.save()
        self.emit(PhaseFinished(phase, ok, dict(outcome_hosts), changed))
        if cancelled:
            return False, f"stopped in phase {phase}; what it finished is kept"
        failures = [f"{h}: {messages.get(h, 'failed')}" for h, s in outcome_hosts.items() if s != "done"]
        return ok, f"phase {phase} failed on " + "; ".join(failures) if failures else ""

    def _finish(self, failed_message: str) -> RunResult:
        interrupted = self.stop.is_set()
        ok = not failed_message and not interrupted
        outcome: Outcome = "succeeded" if ok else ("interrupted" if interrupted else "failed")
        self.state.result = outcome
        self.state.finished = now()
        self.save()
        message = "" if ok else failed_message or "stopped between phases"
        summary = {**asdict(self.state), "message": message}
        write_atomic(self.dir / "summary.json", json.dumps(summary, indent=2) + "\n", mode=0o644)
        self.emit(RunFinished(ok, str(self.dir), message, interrupted))
        self._progress.close()
        self._log.close()
        return RunResult(outcome, str(self.dir), message, self.failed_phase, self.selection.check)


def install(
    loaded: LoadedSite,
    options: InstallOptions,
    on_event: Callable[[Event], None] = lambda event: None,
    stop: threading.Event | None = None,
    stop_now: threading.Event | None = None,
) -> RunResult:
    """Run the plan of `loaded` (or the part `options` selects, or on `--resume` the part the
    resumed run selected). `stop` ends the run between two tasks, `stop_now` at once (the
    running task cut short; --resume runs it again). Raises a `Refused` (UnknownPhase,
    InvalidSelection, NothingToResume, BundleNotFound, BundleRefused, SecretUnavailable,
    SiteBusy) before touching any host."""
    site = loaded.site
    names = [n.name for n in site.nodes]
    asked = options.selection(names)
    hosts = {n.name: (str(n.address), site.ssh.port) for n in site.nodes}
    with run_locks("install", site.metadata.name, hosts):
        notes = [n for n in [_settle_dead_run(site.metadata.name)] if n]
        resumed = _resumed_state(site.metadata.name, loaded.release.version, options, asked)
        selection = resumed.selection if resumed is not None else asked
        if resumed is not None and resumed.bundle_dir and not (options.extravars or {}).get("bundle_dir"):
            options = dataclasses.replace(
                options, extravars={**(options.extravars or {}), "bundle_dir": resumed.bundle_dir}
            )
        plan = build_plan(site, loaded.release)  # once per run: the bundle check and the run share it
        bundle = _bundle_extravars(loaded, plan, options, selection)
        store = SecretStore.create()
        try:
            extravars = {**materialize(loaded, store), **bundle}
            run = _Run(loaded, plan, options, selection, resumed, on_event, stop or threading.Event(), stop_now)
            run.prepare(extravars, store.dir)
            return run.run(notes)
        finally:
            store.cleanup()
