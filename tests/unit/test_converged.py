"""The re-run fast path: the node-side record tool, the inputs hash, the verdicts, the engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from installer.discovery.model import HostError
from installer.run.converged import judge, phase_inputs

TOOL = Path(__file__).resolve().parents[2] / "roles" / "release_record" / "files" / "aicloud-converged"


def tool(
    record: Path, *args: str, stdin: str | int = "", env: dict[str, str] | None = None, **run
) -> subprocess.CompletedProcess:
    """The node tool with its record at `record` and its installed copy under record's folder/lib.
    `stdin`: text to feed, or a file descriptor (a terminal) to read from."""
    environment = {
        **{k: v for k, v in os.environ.items() if k != "AICLOUD_CONVERGED_WATCH"},
        "AICLOUD_RELEASE_RECORD": str(record),
        "AICLOUD_CONVERGED_TOOL": str(record.parent / "lib" / "aicloud-converged"),
        **(env or {}),
    }
    feed = {"stdin": stdin} if isinstance(stdin, int) else {"input": stdin}
    return subprocess.run(
        [sys.executable, str(TOOL), *args], **feed, capture_output=True, text=True, env=environment, timeout=60, **run
    )


@pytest.fixture
def node(tmp_path):
    """A node's managed state in a folder: a file, a tree, a path, a sysctl and a package."""
    conf = tmp_path / "etc" / "app.conf"
    conf.parent.mkdir()
    conf.write_text("setting = 1\n")
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "a.deb").write_bytes(b"x" * 10)
    watch = {
        "app": {
            "files": [str(conf)],
            "trees": [str(tree)],
            "paths": [str(tmp_path / "etc")],
            "sysctls": ["kernel.ostype"],
            "packages": ["dpkg"],
        }
    }
    return tmp_path / "release.json", conf, tree, json.dumps(watch)


def record(path: Path, watch: str, inputs: str = "in-1", phase: str = "os") -> str:
    result = tool(path, "record", phase, inputs, "2026.11", "lab", "run-1", stdin=watch)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def check(path: Path, *phases: str) -> dict:
    result = tool(path, "check", *phases)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_record_then_check_shows_the_same_digest_and_keeps_the_phase_map(node):
    path, _, _, watch = node
    assert record(path, watch) == "changed"
    assert record(path, watch) == "unchanged"
    report = check(path, "os", "runtime")
    assert report["runtime"] is None
    assert report["os"]["inputs"] == "in-1" and report["os"]["run_id"] == "run-1"
    assert report["os"]["recorded"] == report["os"]["current"]
    data = json.loads(path.read_text())
    assert data["phases"] == {"os": "2026.11"} and data["release"] == "2026.11" and data["site"] == "lab"
    assert oct(path.stat().st_mode & 0o777) == "0o644"


@pytest.mark.parametrize(
    "drift",
    [
        lambda conf, tree: conf.write_text("setting = 2\n"),
        lambda conf, tree: conf.unlink(),
        lambda conf, tree: (tree / "sub" / "a.deb").write_bytes(b"y" * 11),
        lambda conf, tree: (tree / "sub" / "b.deb").write_bytes(b""),
        lambda conf, tree: (tree / "sub" / "a.deb").unlink(),
        lambda conf, tree: os.utime(tree / "sub" / "a.deb", ns=(0, 0)),
    ],
    ids=["edited", "deleted", "tree-file-changed", "tree-file-added", "tree-file-removed", "tree-mtime"],
)
def test_any_drift_of_what_the_phase_manages_changes_the_digest(node, drift):
    path, conf, tree, watch = node
    record(path, watch)
    drift(conf, tree)
    report = check(path, "os")["os"]
    assert report["recorded"] != report["current"]


def test_a_new_watch_or_new_inputs_count_as_changed(node):
    path, conf, _, watch = node
    record(path, watch)
    assert record(path, watch, inputs="in-2") == "changed"
    more = json.loads(watch)
    more["app"]["files"].append(str(conf.parent / "other.conf"))
    assert record(path, json.dumps(more), inputs="in-2") == "changed"


def test_phases_are_recorded_side_by_side(node):
    path, _, _, watch = node
    record(path, watch, phase="os")
    record(path, watch, phase="runtime", inputs="in-r")
    report = check(path, "os", "runtime")
    assert report["os"]["inputs"] == "in-1" and report["runtime"]["inputs"] == "in-r"
    assert json.loads(path.read_text())["phases"] == {"os": "2026.11", "runtime": "2026.11"}


def test_an_unknown_watch_kind_is_refused_naming_the_role(node):
    path, _, _, _ = node
    result = tool(path, "record", "os", "in", "r", "s", "run", stdin=json.dumps({"app": {"file": ["/x"]}}))
    assert result.returncode == 2 and "app: unknown watch kinds ['file']" in result.stderr
    assert not path.exists()


def test_no_record_at_all_reads_as_no_record(tmp_path):
    assert check(tmp_path / "missing.json", "os") == {"os": None}


def test_bad_usage_prints_usage():
    result = subprocess.run([sys.executable, str(TOOL), "frobnicate"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "aicloud-converged record" in result.stderr


# --- the engine side -------------------------------------------------------------------------


def _inputs(tmp_path: Path, phase: str = "os", **changes) -> str:
    books, roles, inventory = (tmp_path / n for n in ("playbooks", "roles", "inventory"))
    files = {
        (books, "os.yml"): "- hosts: all\n  roles: [r]\n# os.yml v1\n",
        (books, "runtime.yml"): "- hosts: all\n  roles: [other]\n",
        (roles / "r" / "tasks", "main.yml"): "main.yml v1\n",
        (roles / "other" / "tasks", "other.yml"): "other.yml v1\n",
        (inventory, "inventory.yml"): "inventory.yml v1\n",
    }
    for (folder, name), text in files.items():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(changes.get(name, text))
    secret_dir = tmp_path / changes.get("secret_dir", "shm-1")
    extravars = {"aicloud_run_id": changes.get("run_id", "r1"), "key": str(secret_dir / "ssh"), "bundle_dir": ""}
    extravars.update(changes.get("extravars", {}))
    return phase_inputs(
        phase,
        playbook=books / f"{phase}.yml",
        roles_dir=roles,
        inventory_dir=inventory,
        extravars=extravars,
        secret_dir=secret_dir,
    )


def test_inputs_ignore_what_changes_every_run(tmp_path):
    assert _inputs(tmp_path) == _inputs(tmp_path, run_id="r2", secret_dir="shm-2")


@pytest.mark.parametrize(
    "change",
    [{"os.yml": "changed"}, {"main.yml": "changed"}, {"inventory.yml": "changed"}, {"extravars": {"extra": "1"}}],
    ids=["playbook", "role", "inventory", "extravar"],
)
def test_inputs_follow_what_the_phase_applies(tmp_path, change):
    assert _inputs(tmp_path) != _inputs(tmp_path, **change)


def test_inputs_of_a_phase_ignore_the_roles_and_playbooks_of_other_phases(tmp_path):
    first = _inputs(tmp_path)
    assert first == _inputs(tmp_path, **{"other.yml": "changed", "runtime.yml": "- hosts: all\n  roles: [x]\n"})
    assert _inputs(tmp_path, phase="runtime") != _inputs(tmp_path, phase="runtime", **{"other.yml": "changed"})


def test_inputs_do_not_depend_on_where_the_same_bundle_was_found(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    for folder in (one, two):
        folder.mkdir()
        (folder / "bundle.json").write_text('{"release": "a"}')
    given = _inputs(tmp_path, extravars={"bundle_dir": str(one), "bundle_verified": "true"})
    assert given == _inputs(tmp_path, extravars={"bundle_dir": str(two)})


def test_inputs_follow_the_bundle_manifest(tmp_path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "bundle.json").write_text('{"release": "a"}')
    first = _inputs(tmp_path, extravars={"bundle_dir": str(bundle)})
    (bundle / "bundle.json").write_text('{"release": "b"}')
    assert first != _inputs(tmp_path, extravars={"bundle_dir": str(bundle)})


def test_inputs_ignore_molecule_scenarios_and_docs(tmp_path):
    first = _inputs(tmp_path)
    (tmp_path / "roles" / "r" / "molecule").mkdir()
    (tmp_path / "roles" / "r" / "molecule" / "converge.yml").write_text("test only")
    (tmp_path / "roles" / "r" / "README.md").write_text("docs only")
    (tmp_path / "roles" / "r" / ".ansible" / "collections").mkdir(parents=True)  # molecule's and ansible-lint's cache
    (tmp_path / "roles" / "r" / ".ansible" / "collections" / "x.yml").write_text("cache")
    assert first == _inputs(tmp_path)


@pytest.mark.parametrize(
    ("report", "unchanged", "reason"),
    [
        ({"os": {"inputs": "I", "recorded": "d", "current": "d", "run_id": "r"}}, True, "unchanged"),
        ({"os": {"inputs": "other", "recorded": "d", "current": "d"}}, False, "has changed since"),
        ({"os": {"inputs": "I", "recorded": "d", "current": "e"}}, False, "drifted"),
        ({"os": None}, False, "no record"),
        ({}, False, "no record"),
        (HostError("n1", "10.0.0.1", "unreachable", "No route to host"), False, "not checked: No route to host"),
    ],
)
def test_a_node_is_unchanged_only_with_equal_inputs_and_equal_digests(report, unchanged, reason):
    verdict = judge("n1", "os", "I", report)
    assert verdict.unchanged is unchanged and reason in verdict.reason


def test_forget_voids_the_entry_until_the_phase_records_again(node):
    path, _, _, watch = node
    record(path, watch)
    assert tool(path, "forget", "os").returncode == 0
    report = check(path, "os")["os"]
    assert report["void"] is True
    assert "did not finish" in judge("n1", "os", "in-1", {"os": report}).reason
    # Finishing again clears the mark, and reports no change when nothing else changed.
    assert record(path, watch) == "unchanged"
    assert check(path, "os")["os"]["void"] is False
    assert tool(path, "forget", "runtime").returncode == 0  # no entry: nothing to void
    assert check(path, "runtime") == {"runtime": None}


@pytest.fixture
def fake_tools(tmp_path, monkeypatch):
    """systemctl and dpkg-query that answer from files, so services and packages can drift."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "systemctl").write_text(
        "#!/bin/sh\n# systemctl show -p ActiveState,UnitFileState NAME\n"
        f'echo "ActiveState=$(cat {tmp_path}/state.$4 2>/dev/null || echo inactive)"\n'
        'echo "UnitFileState=enabled"\n'
    )
    (bin_dir / "dpkg-query").write_text(
        '#!/bin/sh\nshift 3\nfor p in "$@"; do\n'
        f'  [ -f {tmp_path}/pkg.$p ] && echo "$p=$(cat {tmp_path}/pkg.$p) ii "\n'
        "done\n"
    )
    for tool_file in bin_dir.iterdir():
        tool_file.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    (tmp_path / "state.chrony").write_text("active")
    (tmp_path / "pkg.chrony").write_text("4.3-2")
    watch = json.dumps({"time_sync": {"services": ["chrony"], "packages": ["chrony=4.3-2"]}})
    return tmp_path, watch


@pytest.mark.parametrize(
    "drift",
    [
        lambda d: (d / "state.chrony").write_text("failed"),
        lambda d: (d / "pkg.chrony").write_text("4.3-3"),
        lambda d: (d / "pkg.chrony").unlink(),
    ],
    ids=["service-stopped", "package-upgraded", "package-removed"],
)
def test_a_stopped_service_or_a_changed_package_changes_the_digest(fake_tools, drift):
    folder, watch = fake_tools
    path = folder / "release.json"
    record(path, watch)
    report = check(path, "os")["os"]
    assert report["recorded"] == report["current"]
    drift(folder)
    report = check(path, "os")["os"]
    assert report["recorded"] != report["current"]


def test_a_drifted_file_and_a_stopped_service_are_named(fake_tools):
    folder, _ = fake_tools
    conf = folder / "90-aicloud.conf"
    conf.write_text("vm.swappiness = 10\n")
    path = folder / "release.json"
    watch = {"os_baseline": {"files": [str(conf)]}, "containerd": {"services": ["chrony"], "packages": ["chrony"]}}
    record(path, json.dumps(watch))
    items = json.loads(path.read_text())["converged"]["os"]["items"]
    assert set(items) == {"files", "services", "packages"}
    assert all(len(short) == 12 for kind in items.values() for short in kind.values())  # the record stays small
    assert check(path, "os")["os"]["drifted"] == []
    conf.write_text("vm.swappiness = 60\n")
    (folder / "state.chrony").write_text("failed")
    report = check(path, "os")["os"]
    assert report["drifted"] == [["file", str(conf), "changed"], ["service", "chrony", "not active"]]
    verdict = judge("n1", "os", "in-1", {"os": report})
    assert not verdict.unchanged
    assert verdict.reason == f"the node has drifted: file {conf} changed, service chrony not active"


def test_a_removed_file_and_package_say_so(fake_tools):
    folder, watch = fake_tools
    conf = folder / "app.conf"
    conf.write_text("x\n")
    path = folder / "release.json"
    record(path, json.dumps({**json.loads(watch), "app": {"files": [str(conf)]}}))
    conf.unlink()
    (folder / "pkg.chrony").unlink()
    assert check(path, "os")["os"]["drifted"] == [
        ["file", str(conf), "removed"],
        ["package", "chrony", "not installed"],
    ]


def test_a_record_without_per_item_hashes_still_reads_as_drifted(node):
    """Records written before per-item hashes: check reports no `drifted`, judge says what it said before."""
    path, conf, _, watch = node
    record(path, watch)
    data = json.loads(path.read_text())
    del data["converged"]["os"]["items"]
    path.write_text(json.dumps(data))
    conf.write_text("setting = 2\n")
    report = check(path, "os")["os"]
    assert "drifted" not in report and report["recorded"] != report["current"]
    assert judge("n1", "os", "in-1", {"os": report}).reason == "the node has drifted from what the phase applied"
    assert record(path, watch) == "changed"  # the state changed; the new record has per-item hashes again
    assert "items" in json.loads(path.read_text())["converged"]["os"]


def test_a_long_drift_list_is_capped_at_five_items():
    drifted = [["file", f"/etc/f{i}", "changed"] for i in range(8)]
    entry = {"inputs": "I", "recorded": "d", "current": "e", "drifted": drifted}
    reason = judge("n1", "os", "I", {"os": entry}).reason
    assert reason == (
        "the node has drifted: file /etc/f0 changed, file /etc/f1 changed, file /etc/f2 changed, "
        "file /etc/f3 changed, file /etc/f4 changed and 3 more"
    )


def test_a_removed_module_path_changes_the_digest(tmp_path):
    module = tmp_path / "sys" / "module" / "br_netfilter"
    module.mkdir(parents=True)
    path = tmp_path / "release.json"
    record(path, json.dumps({"os_baseline": {"paths": [str(module)]}}))
    module.rmdir()
    report = check(path, "os")["os"]
    assert report["recorded"] != report["current"]


def test_the_tool_runs_on_the_oldest_python_of_a_supported_os():
    """Ubuntu 22.04 has Python 3.10: no syntax or names newer than that."""
    import ast

    source = TOOL.read_text()
    ast.parse(source, feature_version=(3, 8))
    for newer in ("datetime.UTC", "import UTC", "UTC,", "tomllib", "ExceptionGroup", "Self"):
        assert newer not in source, newer


def test_the_check_command_quotes_the_phase_and_reads_no_record_as_empty():
    from installer.run.converged import TOOL as NODE_TOOL
    from installer.run.converged import ConvergedRecord

    fact = ConvergedRecord()
    assert fact.command("os") == (f"if [ -x {NODE_TOOL} ]; then python3 {NODE_TOOL} check os; else echo '{{}}'; fi")
    assert "sudo -n python3" in fact.command("os", True)
    assert "check 'os; rm -rf /'" in fact.command("os; rm -rf /")
    assert fact.process(["{}"]) == {}
    assert fact.process(['{"os": null}']) == {"os": None}


def test_a_check_that_cannot_answer_runs_the_phase(monkeypatch, tmp_path):
    import installer.discovery as discovery
    from installer.run.converged import check_hosts

    def broken(*args, **kwargs):
        raise RuntimeError("paramiko blew up")

    from types import SimpleNamespace

    monkeypatch.setattr(discovery, "read_fact", broken)
    from installer.site.model import Ssh

    ssh = Ssh.model_validate({"user": "admin", "privateKey": {"file": "/k"}})
    loaded = SimpleNamespace(site=SimpleNamespace(ssh=ssh), base_dir=tmp_path)
    verdicts = check_hosts(loaded, "os", ["n1", "n2"], "inputs")  # type: ignore[arg-type]
    assert [(v.host, v.unchanged) for v in verdicts] == [("n1", False), ("n2", False)]
    assert verdicts[0].reason == "not checked: paramiko blew up"


def test_record_installs_the_tool_it_runs_and_reads_the_watch_from_the_environment(node):
    """The role ships the tool with `script`; `check` later runs the installed copy."""
    path, _conf, _tree, watch = node
    installed = path.parent / "lib" / "aicloud-converged"
    result = tool(path, "record", "os", "in-1", "2026.11", "lab", "run-1", env={"AICLOUD_CONVERGED_WATCH": watch})
    assert result.returncode == 0, result.stderr
    assert installed.read_bytes() == TOOL.read_bytes()
    assert installed.stat().st_mode & 0o777 == 0o755
    assert json.loads(path.read_text())["converged"]["os"]["watch"]["files"] == json.loads(watch)["app"]["files"]
    # an outdated installed copy is replaced by forget as well
    installed.write_text("old")
    assert tool(path, "forget", "os").returncode == 0
    assert installed.read_bytes() == TOOL.read_bytes()
    # and check, run from the installed copy, reads what record wrote
    report = json.loads(
        subprocess.run(
            [sys.executable, str(installed), "check", "os"],
            capture_output=True,
            text=True,
            env={**os.environ, "AICLOUD_RELEASE_RECORD": str(path)},
            check=True,
        ).stdout
    )
    assert report["os"]["void"] is True and report["os"]["inputs"] == "in-1"


def test_record_on_a_terminal_without_a_watch_list_fails_instead_of_waiting(tmp_path):
    """Ansible's `script` can run the tool on a terminal: a missing watch list must not hang the phase."""
    primary, secondary = os.openpty()
    try:
        result = tool(tmp_path / "release.json", "record", "os", "in-1", "2026.11", "lab", "run-1", stdin=secondary)
    finally:
        os.close(primary)
        os.close(secondary)
    assert result.returncode != 0 and "AICLOUD_CONVERGED_WATCH" in result.stderr
    assert not (tmp_path / "release.json").exists()


def test_folders_the_tool_makes_are_open_to_a_non_root_check_whatever_the_umask(node):
    """`check` runs without sudo: a hardened umask (027) must not hide the installed tool from it."""
    path, _conf, _tree, watch = node
    record = path.parent / "etc-aicloud" / "release.json"
    installed = {"AICLOUD_CONVERGED_TOOL": str(path.parent / "lib" / "aicloud" / "aicloud-converged")}
    result = tool(
        record,
        "record",
        "os",
        "in-1",
        "2026.11",
        "lab",
        "run-1",
        stdin=watch,
        env=installed,
        preexec_fn=lambda: os.umask(0o027),
    )
    assert result.returncode == 0, result.stderr
    for folder in (path.parent / "etc-aicloud", path.parent / "lib", path.parent / "lib" / "aicloud"):
        assert folder.stat().st_mode & 0o777 == 0o755, folder
