"""The run engine with real ansible-playbook runs on this machine (connection local, no lab).

Test playbooks stand in for the phases: they count how often each host ran each phase and
fail on the hosts a file names, so resume, failure and interruption are checked for real.
"""

from __future__ import annotations

import collections
import copy
import json
import os
import threading
import time
from pathlib import Path

import pytest
import yaml

import installer.run as run_module
from installer.events import (
    NO_RECORD,
    HostResult,
    PhaseFinished,
    PhaseSkipped,
    PhaseStarted,
    PhaseVerified,
    RunFinished,
    RunStarted,
    TaskStarted,
)
from installer.run import (
    PYTHON_PHASES,
    BundleNotFound,
    BundleRefused,
    InstallOptions,
    InvalidSelection,
    NothingToResume,
    SecretUnavailable,
    UnknownPhase,
    install,
)
from installer.run.ansible import ansible_cfg
from installer.run.converged import Verdict
from installer.run.state import RunState
from installer.site import load_site
from tests.sitedata import BASE_SITE

PHASE_PLAYBOOK = """
- name: Phase {phase}
  hosts: {hosts}
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
  tasks:
    - name: Count this run
      ansible.builtin.shell: "echo x >> {work}/{{{{ inventory_hostname }}}}.{phase}"
      changed_when: true
    - name: Wait when asked
      ansible.builtin.command: "sleep {{{{ lookup('ansible.builtin.file', '{work}/sleep', errors='ignore') or 0 }}}}"
      changed_when: false
    - name: Fail where asked
      ansible.builtin.fail:
        msg: "{{{{ inventory_hostname }}}} was told to fail"
      when: inventory_hostname in (lookup('ansible.builtin.file', '{work}/fail.{phase}', errors='ignore') or '').split()
    - name: Keep the inputs the engine passed for the record
      ansible.builtin.copy:
        content: "{{{{ aicloud_converged_inputs | default('') }}}}"
        dest: "{work}/{{{{ inventory_hostname }}}}.{phase}.inputs"
        mode: "0644"
    - name: Prove the platform password arrived
      ansible.builtin.copy:
        content: "{{{{ platform_admin_password | default('') }}}}"
        dest: "{work}/{{{{ inventory_hostname }}}}.password"
        mode: "0600"
      no_log: true
"""


@pytest.fixture
def env(tmp_path, monkeypatch):
    # Preflight reads hosts over SSH (pyinfra); its own tests cover it. Here every host passes it.
    def preflight_passes(loaded, hosts, run_id, emit):
        for host in hosts:
            emit(HostResult("preflight", host, "test_preflight", "ok"))
        return {h: "done" for h in hosts}, {}

    monkeypatch.setitem(PYTHON_PHASES, "preflight", preflight_passes)
    home = tmp_path / "home"
    work = tmp_path / "work"

    # The nodes' own records, as the test playbook keeps them: a host holds a phase when the
    # inputs it last recorded for it are this run's (the lab tests ask real nodes).
    def check_hosts(loaded, phase, hosts, inputs):
        def held(host):
            record = work / f"{host}.{phase}.inputs"
            return record.is_file() and record.read_text() == inputs

        return [Verdict(h, held(h), "unchanged" if held(h) else NO_RECORD, "r0") for h in hosts]

    monkeypatch.setattr(run_module, "check_hosts", check_hosts)
    # The bundle here is a stand-in folder; bundle verification has its own tests (test_bundle.py).
    monkeypatch.setattr(run_module, "_verify_bundle", lambda path: [])
    books = tmp_path / "playbooks"
    for folder in (home, work, books):
        folder.mkdir()
    monkeypatch.setenv("AICLOUD_HOME", str(home))
    for phase, hosts in (("bundle", "all"), ("os", "all"), ("runtime", "kubernetes")):
        (books / f"{phase}.yml").write_text(PHASE_PLAYBOOK.format(phase=phase, hosts=hosts, work=work))
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "bundle.json").write_text("{}")
    key = tmp_path / "id_test"
    key.write_text("not a real key; connection is local\n")
    data = copy.deepcopy(BASE_SITE)
    data["ssh"]["privateKey"] = {"file": str(key)}
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(data))

    class Env:
        pass

    e = Env()
    e.home, e.work, e.books, e.site, e.data, e.bundle = home, work, books, site, data, bundle
    e.count = lambda host, phase: (
        len((work / f"{host}.{phase}").read_text().splitlines()) if (work / f"{host}.{phase}").exists() else 0
    )
    return e


def _run(env, **options):
    events = []
    options.setdefault("extravars", {"bundle_dir": str(env.bundle)})
    result = install(load_site(env.site), InstallOptions(playbooks_dir=env.books, **options), on_event=events.append)
    return result, events


def test_a_run_does_every_planned_phase_and_keeps_its_record(env):
    result, events = _run(env)
    assert result.ok and result.outcome == "succeeded"
    run_dir = Path(result.run_dir)
    state = RunState.load(run_dir / "state.json")
    assert state.result == "succeeded"
    assert {h: s.status for h, s in state.phases["os"].hosts.items()} == {"deploy": "done", "n1": "done", "n2": "done"}
    assert set(state.phases["runtime"].hosts) == {"n1", "n2"}
    assert state.phases["fabric"].status == "skipped" and state.phases["fabric"].skip_reason == "fabric.type is none"
    skipped = {e.phase: e.reason for e in events if isinstance(e, PhaseSkipped)}
    assert skipped["kubernetes"] == "release lab-2026.11 has no kubernetes components"
    assert "preflight" in skipped or env.count("n1", "os") == 1
    assert env.count("n1", "os") == 1 and env.count("deploy", "runtime") == 0
    for name in ("plan.json", "summary.json", "progress.jsonl", "ansible-events.jsonl", "log.txt", "ansible.cfg"):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "inventory" / "inventory.yml").is_file()
    assert json.loads((run_dir / "summary.json").read_text())["result"] == "succeeded"
    assert isinstance(events[-1], RunFinished) and events[-1].ok
    assert any(isinstance(e, HostResult) and e.status == "changed" for e in events)
    assert (env.home / "sites" / "t1" / "runs" / "latest").resolve() == run_dir


def test_a_failed_host_fails_the_run_and_resume_redoes_only_what_is_not_done(env):
    (env.work / "fail.os").write_text("n2")
    result, events = _run(env)
    assert not result.ok and result.outcome == "failed" and result.failed_phase == "os"
    state = RunState.load(Path(result.run_dir) / "state.json")
    assert state.phases["os"].hosts["n2"].status == "failed"
    assert "n2 was told to fail" in state.phases["os"].hosts["n2"].message
    assert state.phases["os"].hosts["n1"].status == "done"
    assert "runtime" not in state.phases  # the run stopped after the failed phase
    assert "n2 was told to fail" in (Path(result.run_dir) / "log.txt").read_text()

    (env.work / "fail.os").unlink()
    resumed, events = _run(env, resume=True)
    assert resumed.ok
    assert env.count("n1", "os") == 1 and env.count("n2", "os") == 2 and env.count("deploy", "bundle") == 1
    assert env.count("n1", "runtime") == 1
    verified = {e.phase: e for e in events if isinstance(e, PhaseVerified)}
    assert verified["bundle"].unchanged == ["deploy", "n1", "n2"]  # each node's own record said so
    state = RunState.load(Path(resumed.run_dir) / "state.json")
    assert state.resumed_from == Path(result.run_dir).name


def test_resume_asks_each_node_and_reruns_a_done_phase_where_the_node_lost_its_record(env):
    """A host remade since the run (a reinstalled server, a lab made again) has no record: the
    controller's "done" is no reason to skip it."""
    (env.work / "fail.os").write_text("n2")
    first, _ = _run(env)
    assert first.outcome == "failed"
    (env.work / "fail.os").unlink()
    (env.work / "n1.bundle.inputs").unlink()  # n1 was remade: nothing it recorded is left
    resumed, events = _run(env, resume=True)
    assert resumed.ok
    assert env.count("n1", "bundle") == 2 and env.count("n2", "bundle") == 1 and env.count("deploy", "bundle") == 1
    verified = {e.phase: e for e in events if isinstance(e, PhaseVerified)}
    assert verified["bundle"].rerun == {"n1": NO_RECORD}


def test_resume_serves_the_bundle_the_resumed_run_was_given(env):
    (env.work / "fail.os").write_text("n2")
    assert _run(env)[0].outcome == "failed"
    (env.work / "fail.os").unlink()
    (env.work / "n1.bundle.inputs").unlink()  # so that bundle runs again on n1, needing the bundle
    resumed, _ = _run(env, resume=True, extravars={})  # no --bundle: not the default, the one given before
    assert resumed.ok and env.count("n1", "bundle") == 2
    assert RunState.load(Path(resumed.run_dir) / "state.json").bundle_dir == str(env.bundle.resolve())


def test_resume_after_a_run_that_succeeded_is_nothing_to_resume(env):
    assert _run(env)[0].ok
    with pytest.raises(NothingToResume, match=r"nothing to resume: the last run of site t1 \(.*\) succeeded"):
        _run(env, resume=True)


def test_resume_repeats_the_selection_of_the_run_it_continues(env):
    (env.work / "fail.os").write_text("n2")
    first, _ = _run(env, phase="os", limit=["n1", "n2"])
    assert first.outcome == "failed"
    (env.work / "fail.os").unlink()
    resumed, _ = _run(env, resume=True)  # no options: the stored ones apply
    assert resumed.ok
    assert env.count("n2", "os") == 2 and env.count("deploy", "os") == 0 and env.count("n1", "runtime") == 0
    assert RunState.load(Path(resumed.run_dir) / "state.json").selection.limit == ("n1", "n2")
    (env.work / "fail.os").write_text("n2")
    (env.work / "n2.os.inputs").unlink()  # so that n2 runs os again, and fails
    assert _run(env, phase="os", limit=["n1", "n2"])[0].outcome == "failed"
    with pytest.raises(InvalidSelection, match=r"--resume repeats what run .* was asked \(--phase os --limit n1,n2\)"):
        _run(env, resume=True, phase="runtime")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"limit": [""]}, "--limit names no host"),
        ({"limit": []}, "--limit names no host"),
        ({"limit": ["n1", "nine"]}, "--limit: nine not in the answer file"),
        ({"phase": "os", "from_phase": "runtime"}, "--phase and --from-phase together"),
    ],
)
def test_a_selection_that_cannot_be_run_is_refused_before_any_host_is_touched(env, options, message):
    with pytest.raises(InvalidSelection, match=message):
        _run(env, **options)
    assert not (env.home / "sites" / "t1" / "runs").exists()


def test_a_run_left_running_by_a_dead_controller_is_recorded_as_interrupted_by_the_next_one(env):
    first, _ = _run(env, phase="os")
    state_path = Path(first.run_dir) / "state.json"
    state = RunState.load(state_path)
    state.result, state.finished = "running", None
    state.phases["os"].hosts["n1"].status = "running"
    state.save(state_path)  # what kill -9 in the middle of the os phase leaves
    second, events = _run(env, phase="os")
    assert second.ok
    started = next(e for e in events if isinstance(e, RunStarted))
    note = f"run {state.run_id} was left running by a controller that stopped; it is recorded as interrupted"
    assert started.notes == [note]
    settled = RunState.load(state_path)
    assert settled.result == "interrupted" and settled.phases["os"].hosts["n1"].status == "failed"
    assert json.loads((Path(first.run_dir) / "summary.json").read_text())["result"] == "interrupted"


def test_a_controller_check_that_fails_fails_the_phase_on_every_host(env):
    """The bundle's integrity check runs on the controller; when it fails, no host is done."""
    (env.books / "bundle.yml").write_text(
        """
- name: Verify on the controller
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: The bundle is intact
      ansible.builtin.fail:
        msg: checksum mismatch in pool/x.deb
"""
        + PHASE_PLAYBOOK.format(phase="bundle", hosts="all", work=env.work).lstrip()
    )
    result, _events = _run(env, phase="bundle")
    assert result.outcome == "failed"
    state = RunState.load(Path(result.run_dir) / "state.json")
    assert {h: s.status for h, s in state.phases["bundle"].hosts.items()} == {
        "deploy": "failed",
        "n1": "failed",
        "n2": "failed",
    }
    assert "checksum mismatch" in state.phases["bundle"].hosts["n1"].message
    assert "localhost" not in state.phases["bundle"].hosts


def test_the_bundle_is_verified_before_any_host_is_touched(env, monkeypatch):
    monkeypatch.setattr(run_module, "_verify_bundle", lambda path: ["pool/main/x.deb: sha256 mismatch"])
    with pytest.raises(BundleRefused, match=r"failed its integrity check: pool/main/x.deb: sha256 mismatch"):
        _run(env)
    assert not (env.home / "sites" / "t1" / "runs").exists() and env.count("n1", "bundle") == 0
    assert _run(env, phase="os")[0].ok  # a run that does not serve the bundle does not need it verified


def test_the_recorded_inputs_of_a_phase_do_not_depend_on_how_it_was_selected(env):
    _run(env, phase="os")
    alone = (env.work / "n1.os.inputs").read_text()
    _run(env, full=True)
    assert (env.work / "n1.os.inputs").read_text() == alone


def test_every_phase_writes_its_lines_to_the_run_log_preflight_included(env):
    result, _ = _run(env)
    log = (Path(result.run_dir) / "log.txt").read_text()
    assert "[preflight] n1: ok: test_preflight" in log and "[os] TASK Count this run" in log
    assert log.rstrip().endswith("run succeeded")


def test_a_face_that_cannot_draw_never_stops_the_run(env):
    def broken_face(event):
        raise BrokenPipeError(32, "Broken pipe")

    loaded = load_site(env.site)
    options = InstallOptions(playbooks_dir=env.books, extravars={"bundle_dir": str(env.bundle)})
    result = install(loaded, options, on_event=broken_face)
    assert result.ok and env.count("n1", "runtime") == 1
    assert "the face stopped showing progress (BrokenPipeError" in (Path(result.run_dir) / "log.txt").read_text()


def test_phase_started_says_how_many_tasks_each_host_meets(env):
    _result, events = _run(env, phase="os")
    started = next(e for e in events if isinstance(e, PhaseStarted) and e.phase == "os")
    assert started.tasks == 5  # the five tasks of the test playbook


def test_check_mode_changes_nothing_and_records_nothing_done(env):
    result, _ = _run(env, check=True)
    assert result.ok
    state = RunState.load(Path(result.run_dir) / "state.json")
    assert all(h.status == "pending" for h in state.phases["os"].hosts.values())
    assert env.count("n1", "os") == 0  # shell tasks are skipped in check mode


def test_phase_and_limit_select_what_runs(env):
    result, events = _run(env, phase="os", limit=["n1"])
    assert result.ok
    assert env.count("n1", "os") == 1 and env.count("n2", "os") == 0 and env.count("n1", "runtime") == 0
    finished = [e for e in events if isinstance(e, PhaseFinished)]
    assert [(e.phase, e.hosts) for e in finished] == [("os", {"n1": "done"})]


def test_from_phase_starts_there(env):
    result, _ = _run(env, from_phase="runtime")
    assert result.ok and env.count("n1", "bundle") == 0 and env.count("n1", "runtime") == 1


def test_a_missing_bundle_is_named_before_any_host_is_touched(env):
    with pytest.raises(BundleNotFound, match=r"aicloud bundle build --release lab-2026\.11"):
        _run(env, extravars={})
    with pytest.raises(BundleNotFound, match="no offline bundle at"):
        _run(env, extravars={"bundle_dir": str(env.work)})
    assert not (env.home / "sites" / "t1" / "runs" / "latest").exists()
    result, _ = _run(env, phase="os", extravars={})  # a run without the bundle phase needs none
    assert result.ok


def test_bad_options_are_refused_before_any_host_is_touched(env):
    with pytest.raises(UnknownPhase, match="unknown phase 'osx'"):
        _run(env, phase="osx")
    with pytest.raises(NothingToResume):
        _run(env, resume=True)
    assert not (env.home / "sites" / "t1" / "runs" / "latest").exists()


def _interrupted_run(env, sleep: int, now: bool):
    """A run asked to stop (and, with `now`, to stop at once) while the sleeping task runs."""
    (env.work / "sleep").write_text(str(sleep))
    stop, stop_now = threading.Event(), threading.Event()
    events = []

    def on_event(event):
        events.append(event)
        if isinstance(event, TaskStarted) and event.task == "Wait when asked":
            stop.set()
            if now:
                stop_now.set()

    loaded = load_site(env.site)
    options = InstallOptions(playbooks_dir=env.books, extravars={"bundle_dir": str(env.bundle)})
    began = time.monotonic()
    result = install(loaded, options, on_event=on_event, stop=stop, stop_now=stop_now)
    return result, events, time.monotonic() - began


def test_a_stop_request_lets_the_running_task_end_then_stops_cleanly_and_resume_finishes(env):
    result, events, _ = _interrupted_run(env, sleep=3, now=False)
    assert result.outcome == "interrupted" and not result.ok
    ended = {(e.host, e.task) for e in events if isinstance(e, HostResult)}
    # not cut short (no apt or dpkg is ever cut in half) on any host
    assert {h for h, task in ended if task == "Wait when asked"} == {"deploy", "n1", "n2"}
    assert [e.phase for e in events if isinstance(e, PhaseStarted)] == ["preflight", "bundle"]  # and no more
    state = RunState.load(Path(result.run_dir) / "state.json")
    assert state.result == "interrupted" and "os" not in state.phases
    (env.work / "sleep").unlink()
    resumed, _ = _run(env, resume=True)
    assert resumed.ok


def test_stop_now_cuts_the_running_task_short(env):
    result, events, seconds = _interrupted_run(env, sleep=60, now=True)
    assert result.outcome == "interrupted" and seconds < 45
    assert ("n1", "Wait when asked") not in {(e.host, e.task) for e in events if isinstance(e, HostResult)}


def test_secrets_never_reach_the_run_directory_or_the_environment(env, monkeypatch):
    key_text = "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-key-material-4f1c\n-----END OPENSSH PRIVATE KEY-----"
    password = "platform-password-9d2e"
    monkeypatch.setenv("AICLOUD_TEST_KEY", key_text)
    monkeypatch.setenv("AICLOUD_TEST_PASSWORD", password)
    data = copy.deepcopy(env.data)
    data["ssh"]["privateKey"] = {"env": "AICLOUD_TEST_KEY"}
    data["platform"] = {"adminPassword": {"env": "AICLOUD_TEST_PASSWORD"}}
    env.site.write_text(yaml.safe_dump(data))
    result, _ = _run(env)
    assert result.ok
    assert (env.work / "n1.password").read_text() == password  # Ansible got it
    for path in Path(result.run_dir).rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert "secret-key-material-4f1c" not in text, path
            assert password not in text, path
    import os

    assert "AICLOUD_TEST_KEY" not in os.environ and "AICLOUD_TEST_PASSWORD" not in os.environ
    assert not list(Path("/dev/shm").glob("aicloud-secrets-*")) or all(
        not (p / "ssh_private_key").exists() for p in Path("/dev/shm").glob("aicloud-secrets-*")
    )


def test_a_missing_secret_is_named_before_anything_runs(env):
    data = copy.deepcopy(env.data)
    data["ssh"]["privateKey"] = {"env": "AICLOUD_TEST_UNSET_KEY"}
    env.site.write_text(yaml.safe_dump(data))
    with pytest.raises(
        SecretUnavailable, match=r"ssh\.privateKey: environment variable AICLOUD_TEST_UNSET_KEY is not set"
    ):
        _run(env)


def test_generated_ansible_cfg_is_tuned_and_self_contained(tmp_path):
    text = ansible_cfg(tmp_path, 8, tmp_path / "cp", None)
    assert "pipelining = True" in text and "host_key_checking = True" in text
    assert "ControlPersist=120s" in text and "ControlMaster=auto" in text
    assert "forks = 8" in text and "retries = 3" in text
    assert f"fact_caching_connection = {tmp_path / 'facts'}" in text
    with_tofu = ansible_cfg(tmp_path, 2, tmp_path / "cp", tmp_path / "known_hosts")
    assert "StrictHostKeyChecking=accept-new" in with_tofu and "forks = 5" in with_tofu


def test_nodes_whose_record_holds_skip_the_phase_and_the_others_run_it(env, monkeypatch):
    """The re-run fast path: the engine asks each node (faked here; the lab test asks for real)."""
    import installer.run as run_module
    from installer.events import PhaseVerified
    from installer.run.converged import Verdict

    asked: list[tuple[str, list[str], str]] = []

    def check_hosts(loaded, phase, hosts, inputs):
        asked.append((phase, list(hosts), inputs))
        return [Verdict(h, h != "n2", "unchanged" if h != "n2" else "the node has drifted", "r0") for h in hosts]

    monkeypatch.setattr(run_module, "check_hosts", check_hosts)
    result, events = _run(env)
    assert result.ok
    assert [a[0] for a in asked] == ["bundle", "os", "runtime"]
    assert env.count("n2", "os") == 1 and env.count("n1", "os") == 0 and env.count("deploy", "os") == 0
    verified = {e.phase: e for e in events if isinstance(e, PhaseVerified)}
    assert verified["os"].unchanged == ["deploy", "n1"] and verified["os"].rerun == {"n2": "the node has drifted"}
    assert [e.hosts for e in events if isinstance(e, PhaseStarted) and e.phase == "os"] == [["n2"]]
    state = RunState.load(Path(result.run_dir) / "state.json")
    assert state.phases["os"].hosts["n1"].status == "done"
    assert state.phases["os"].hosts["n1"].message == "unchanged: verified on the node"
    # The playbook got the same inputs the nodes were judged against, to record them.
    assert (env.work / "n2.os.inputs").read_text() == asked[1][2] and len(asked[1][2]) == 64
    assert asked[1][2] != asked[2][2]  # each phase has its own inputs


def test_full_and_check_never_ask_the_nodes(env, monkeypatch):
    import installer.run as run_module

    def check_hosts(*args):
        raise AssertionError("the nodes must not be asked")

    monkeypatch.setattr(run_module, "check_hosts", check_hosts)
    assert _run(env, full=True)[0].ok and env.count("n1", "os") == 1
    assert _run(env, check=True)[0].ok


def test_a_key_from_an_env_var_still_reaches_the_nodes_after_it_left_the_environment(env, monkeypatch):
    """Preflight and the phase checks log in after materialize took the variable out of the env."""
    import installer.run as run_module

    data = copy.deepcopy(env.data)
    data["ssh"]["privateKey"] = {"env": "AICLOUD_TEST_KEY"}
    env.site.write_text(yaml.safe_dump(data))
    monkeypatch.setenv("AICLOUD_TEST_KEY", "-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n")
    seen: list[str] = []

    def check_hosts(loaded, phase, hosts, inputs):
        seen.append(loaded.site.ssh.private_key.resolve(loaded.base_dir))
        return []

    monkeypatch.setattr(run_module, "check_hosts", check_hosts)
    assert _run(env, phase="os")[0].ok
    assert "AICLOUD_TEST_KEY" not in os.environ
    assert seen == ["-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n"]


def test_facts_are_gathered_once_per_run_not_once_per_phase(env):
    """ansible-runner moves the fact cache per phase unless told; one cache spares each later phase a gather."""
    for phase, hosts in (("bundle", "all"), ("os", "all"), ("runtime", "kubernetes")):
        text = PHASE_PLAYBOOK.format(phase=phase, hosts=hosts, work=env.work)
        (env.books / f"{phase}.yml").write_text(text.replace("  gather_facts: false\n", "  gather_subset: [min]\n"))
    result, _events = _run(env)
    assert result.ok
    run_dir = Path(result.run_dir)
    gathered = collections.Counter()
    for line in (run_dir / "ansible-events.jsonl").read_text().splitlines():
        event = json.loads(line)
        if event["event"] == "runner_on_ok" and event["event_data"].get("task_action") == "gather_facts":
            gathered[(event["runner_ident"], event["event_data"]["host"])] += 1
    assert gathered == {("bundle", "deploy"): 1, ("bundle", "n1"): 1, ("bundle", "n2"): 1}
    assert sorted(p.name.rsplit("_", 1)[-1] for p in (run_dir / "facts").iterdir()) == ["deploy", "n1", "n2"]


def test_a_second_install_of_the_same_site_is_refused_while_one_runs_and_touches_nothing(env):
    """Two runs at once would race on the nodes and in state.json; the lock dies with its holder."""
    import subprocess
    import sys

    from installer.run import SiteBusy

    lock = env.home / "sites" / "t1" / "install.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600);"
            " fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b'pid 4242, started today: aicloud install');"
            " print('held', flush=True); time.sleep(60)",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(SiteBusy, match=r"site t1 is busy: pid 4242, started today"):
            _run(env)
        assert not (env.home / "sites" / "t1" / "runs").exists()  # no run directory, no host touched
        assert env.count("n1", "bundle") == 0
    finally:
        holder.kill()
        holder.wait()
    # the holder is gone (killed, not cleaned up): its lock went with it
    result, _events = _run(env)
    assert result.ok
    assert lock.stat().st_mode & 0o777 == 0o600


def test_a_run_started_from_the_wizard_resumes_from_the_cli_and_the_other_way_round(env, monkeypatch):
    """Both faces call the same engine; the selection lives in the run's state, not in a face."""
    import threading

    from click.testing import CliRunner

    from installer.cli import main
    from tui.engine import InstallRequest, RealEngine

    monkeypatch.setattr(run_module, "PLAYBOOKS_DIR", env.books)  # the CLI runs the test playbooks too
    monkeypatch.setattr(run_module, "default_bundle_dir", lambda release: env.bundle)
    loaded = load_site(env.site)
    wizard = RealEngine()

    (env.work / "fail.os").write_text("n2")
    started = wizard.install(loaded, InstallRequest(phase="os"), lambda e: None, threading.Event())
    assert started.outcome == "failed"
    (env.work / "fail.os").unlink()
    resumed = CliRunner().invoke(main, ["install", "-f", str(env.site), "--yes", "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert env.count("n2", "os") == 2 and env.count("n1", "runtime") == 0  # --phase os, as the wizard asked

    (env.work / "fail.os").write_text("n1")
    (env.work / "n1.os.inputs").unlink()
    failed = CliRunner().invoke(main, ["install", "-f", str(env.site), "--yes", "--phase", "os", "--limit", "n1"])
    assert failed.exit_code == 1, failed.output
    (env.work / "fail.os").unlink()
    again = wizard.install(load_site(env.site), InstallRequest(resume=True), lambda e: None, threading.Event())
    assert again.outcome == "succeeded"
    assert env.count("n1", "os") == 3 and env.count("deploy", "os") == 1 and env.count("n1", "runtime") == 0
    state = RunState.load(Path(again.run_dir) / "state.json")
    assert state.selection.phase == "os" and state.selection.limit == ("n1",)


def test_a_dry_run_never_becomes_the_run_that_resume_continues(env):
    (env.work / "fail.os").write_text("n2")
    real, _ = _run(env, phase="os")
    assert real.outcome == "failed"
    (env.work / "fail.os").unlink()
    dry, _ = _run(env, check=True)  # a look around after the failure
    assert dry.ok and dry.dry_run
    assert (env.home / "sites" / "t1" / "runs" / "latest").resolve() == Path(real.run_dir)
    resumed, _ = _run(env, resume=True)
    assert resumed.ok and not resumed.dry_run and env.count("n2", "os") == 2  # the real run, not the dry one


def test_a_bundle_of_another_release_is_refused_before_any_host_is_touched(env):
    (env.bundle / "bundle.json").write_text('{"release": "2026.11"}')
    with pytest.raises(BundleRefused, match=r"is release 2026\.11; the site installs lab-2026\.11"):
        _run(env)
    assert not (env.home / "sites" / "t1" / "runs").exists()


def test_resume_refuses_a_run_of_another_release_or_one_that_recorded_no_selection(env):
    (env.work / "fail.os").write_text("n2")
    first, _ = _run(env, phase="os")
    state_path = Path(first.run_dir) / "state.json"
    data = json.loads(state_path.read_text())
    data["release"] = "lab-2026.10"
    state_path.write_text(json.dumps(data))
    with pytest.raises(InvalidSelection, match=r"installed release lab-2026\.10; the answer file now says"):
        _run(env, resume=True)
    data["release"] = "lab-2026.11"
    del data["selection"]  # a state written before aicloud recorded selections
    state_path.write_text(json.dumps(data))
    with pytest.raises(InvalidSelection, match="did not record what it was asked"):
        _run(env, resume=True)
