"""The `aicloud` command line: exit codes, text and JSON output, generated files."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from installer.cli import main
from tests.sitedata import ROOT

LAB = str(ROOT / "inventory-examples" / "lab.yaml")


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.output.startswith("aicloud, version ")


def test_help_speaks_to_a_field_engineer():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("init", "validate", "plan", "render", "releases", "schema", "completion"):
        assert command in result.output


def test_validate_valid_file():
    result = run("validate", "-f", LAB)
    assert result.exit_code == 0
    assert "valid — site lab, 4 nodes, release lab-2026.11" in result.output


def test_validate_invalid_file_exits_2_with_one_line_per_error(tmp_path):
    bad = tmp_path / "site.yaml"
    bad.write_text(
        Path(LAB).read_text().replace("10.89.10.12", "10.89.10.300").replace("roles: [worker]\n", "roles: [wrker]\n", 1)
    )
    result = run("validate", "-f", str(bad))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[0] == f"{bad}:22:14: nodes[2].address: '10.89.10.300' is not an IPv4 address"
    assert lines[1].startswith(f"{bad}:23:13: nodes[2].roles[0]: 'wrker' is not valid")
    assert lines[-1] == f"{bad}: 2 errors; nothing was changed on any host."


def test_validate_json_output_gives_the_same_errors_as_objects(tmp_path):
    bad = tmp_path / "site.yaml"
    bad.write_text(Path(LAB).read_text().replace("10.89.10.12", "10.89.10.300"))
    result = run("validate", "-f", str(bad), "--output", "json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["valid"] is False
    assert data["errors"] == [
        {
            "path": str(bad),
            "line": 22,
            "column": 14,
            "field": "nodes[2].address",
            "message": "'10.89.10.300' is not an IPv4 address",
            "code": "ip_v4_address",
        }
    ]


def test_validate_json_for_valid_file():
    data = json.loads(run("validate", "-f", LAB, "-o", "json").output)
    assert data == {"valid": True, "file": LAB, "site": "lab", "release": "lab-2026.11", "nodes": 4, "errors": []}


def test_validate_missing_file_is_one_line_not_a_traceback(tmp_path):
    result = run("validate", "-f", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2 and "no such file" in result.output and "Traceback" not in result.output


def test_plan_json_lists_every_phase_and_why_some_skip():
    data = json.loads(run("plan", "-f", LAB, "-o", "json").output)
    phases = {p["phase"]: p for p in data["phases"]}
    assert list(phases) == [
        "preflight",
        "bundle",
        "os",
        "accelerators",
        "fabric",
        "runtime",
        "kubernetes",
        "platform",
        "validate",
    ]
    assert phases["os"]["runs"] and phases["os"]["hosts"] == ["lab-deploy", "lab-node1", "lab-node2", "lab-node3"]
    assert phases["runtime"]["components"] == [{"name": "containerd", "version": "1.6.20", "vendor": None}]
    assert phases["kubernetes"]["skip_reason"] == "release lab-2026.11 has no kubernetes components"
    assert phases["fabric"]["skip_reason"] == "fabric.type is none"


def test_plan_text_shows_skipped_phases():
    result = run("plan", "-f", LAB)
    assert result.exit_code == 0 and "skipped: fabric.type" in result.output


def test_plan_says_which_phases_have_no_playbook_yet_as_install_does():
    result = run("plan", "-f", str(ROOT / "inventory-examples" / "single-gpu.yaml"))
    assert result.exit_code == 0
    accelerators = next(line for line in result.output.splitlines() if " accelerators " in line)
    assert "no playbook yet" in accelerators
    os_line = next(line for line in result.output.splitlines() if " os " in line)
    assert "no playbook yet" not in os_line
    data = json.loads(run("plan", "-f", LAB, "-o", "json").output)
    assert {p["phase"]: p["no_playbook"] for p in data["phases"]}["os"] is False


def test_tables_at_80_columns_never_cut_a_host_name(tmp_path):
    """Two nodes whose names share a long prefix must stay told apart in a narrow pipe."""
    data = yaml.safe_load(Path(LAB).read_text())
    for index, node in enumerate(data["nodes"]):
        node["name"] = f"gpu-training-node-rack{index:02d}-unit{index:02d}-a"
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(data))
    (tmp_path / "ssh_config").write_text("")
    result = CliRunner().invoke(main, ["plan", "-f", str(site)], terminal_width=80, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "…" not in result.output
    folded = "".join(line.replace("│", "").replace(" ", "") for line in result.output.splitlines())
    for node in data["nodes"]:
        assert node["name"] in folded or node["name"].replace("-", "") in folded.replace("-", "")


def test_render_writes_inventory_without_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("AICLOUD_SSH_KEY", "-----BEGIN OPENSSH PRIVATE KEY----- secret-material")
    monkeypatch.setenv("AICLOUD_ADMIN_PASSWORD", "hunter2-secret")
    site = ROOT / "inventory-examples" / "ib-8node-ha.yaml"
    result = run("render", "-f", str(site), "--out", str(tmp_path / "inv"))
    assert result.exit_code == 0, result.output
    inventory = yaml.safe_load((tmp_path / "inv" / "inventory.yml").read_text())
    assert set(inventory["all"]["children"]["control_plane"]["hosts"]) == {"cp01", "cp02", "cp03"}
    assert len(inventory["all"]["children"]["accelerator_nvidia"]["hosts"]) == 8
    group = yaml.safe_load((tmp_path / "inv" / "group_vars" / "all.yml").read_text())
    assert group["aicloud_ssh_private_key_ref"] == "env:AICLOUD_SSH_KEY"
    assert group["platform_admin_password"] == "{{ lookup('ansible.builtin.file', '/etc/aicloud/admin-password') }}"
    # the jump host as a ProxyCommand (installer.reach), the same one discovery uses
    jump = shlex.split(shlex.split(group["ansible_ssh_common_args"])[1].removeprefix("ProxyCommand="))
    assert jump[:5] == ["ssh", "-W", "%h:%p", "-p", "22"] and jump[-1] == "jump@10.2.0.5"
    assert jump[jump.index("-i") + 1] == "{{ ansible_ssh_private_key_file }}"
    host = yaml.safe_load((tmp_path / "inv" / "host_vars" / "gpu03.yml").read_text())
    assert host["rdma_nics"][7] == {"name": "ibp7s0", "rail": 7, "address": "10.27.0.23/24"}
    for path in (tmp_path / "inv").rglob("*.yml"):
        text = path.read_text()
        assert "secret-material" not in text and "hunter2" not in text


def test_releases_lists_boms():
    data = json.loads(run("releases", "-o", "json").output)
    versions = [r["version"] for r in data["releases"]]
    assert "lab-2026.11" in versions and data["errors"] == []


def test_schema_prints_json_schema():
    schema = json.loads(run("schema").output)
    assert schema["title"].startswith("aicloud answer file")
    assert "Node" in schema["$defs"]


def test_init_writes_a_valid_file_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "site.yaml"
    assert run("init", "-o", str(target)).exit_code == 0
    assert run("validate", "-f", str(target)).exit_code == 0
    again = run("init", "-o", str(target))
    assert again.exit_code == 2 and "--force" in again.output
    assert run("init", "-o", str(target), "--force", "--example", "lab").exit_code == 0
    assert "name: lab" in target.read_text()


def test_completion_script():
    result = run("completion", "bash")
    assert result.exit_code == 0 and "_AICLOUD_COMPLETE" in result.output


def test_render_resolves_ssh_config_and_key_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert run("render", "-f", LAB, "--out", str(tmp_path / "inv")).exit_code == 0
    group = yaml.safe_load((tmp_path / "inv" / "group_vars" / "all.yml").read_text())
    assert group["ansible_ssh_common_args"] == f"-F {tmp_path}/.aicloud/lab/lab/ssh_config"
    assert group["ansible_ssh_private_key_file"] == f"{tmp_path}/.aicloud/lab/lab/id_ed25519"
    assert group["ansible_become"] is False
    assert group["os_baseline_hosts"][0] == {"name": "lab-deploy", "address": "10.89.10.10"}


def test_a_failed_install_shows_each_failure_once_in_full_and_ends_naming_phase_and_hosts(monkeypatch):
    """A field engineer reads the failure in full once; the last line says where, not the same text again."""
    import installer.run as run_module
    from installer.events import HostResult
    from installer.run import RunResult

    long_reason = "host key of lab-node1 CHANGED: recorded ssh-ed25519 SHA256:aaaa, now ssh-ed25519 SHA256:bbbb"

    def failing_install(loaded, options, on_event, stop, stop_now=None):
        on_event(HostResult("preflight", "lab-node1", "reachable", "failed", long_reason))
        on_event(HostResult("preflight", "lab-node2", "reachable", "unreachable", "connection refused"))
        return RunResult("failed", "/tmp/run", f"phase preflight failed on lab-node1: {long_reason}", "preflight")

    monkeypatch.setattr(run_module, "install", failing_install)
    result = CliRunner().invoke(main, ["install", "-f", LAB, "--yes"])
    assert result.exit_code == 1
    assert result.output.count(long_reason) == 2  # the live line and the full list at the end
    assert "install failed: phase preflight failed on lab-node1, lab-node2 (in full above)" in result.output
    assert "continue with --resume" in result.output


def test_install_refused_because_the_site_is_busy_exits_2_with_the_holder(monkeypatch):
    import installer.run as run_module
    from installer.run import SiteBusy

    def busy(loaded, options, on_event, stop, stop_now=None):
        raise SiteBusy("site lab is being installed right now (pid 4242, started today: aicloud install)")

    monkeypatch.setattr(run_module, "install", busy)
    result = CliRunner().invoke(main, ["install", "-f", LAB, "--yes"])
    assert result.exit_code == 2
    assert "pid 4242" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--limit", ""], "--limit names no host"),
        (["--limit", "lab-node1,"], "--limit names no host"),
        (["--phase", "os", "--from-phase", "runtime"], "--phase and --from-phase together"),
    ],
)
def test_install_refuses_a_selection_that_cannot_be_run_with_exit_2(args, message, tmp_path, monkeypatch):
    monkeypatch.setenv("AICLOUD_HOME", str(tmp_path))
    result = CliRunner().invoke(main, ["install", "-f", LAB, "--yes", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "sites").exists() or not list(tmp_path.glob("sites/*/runs/*"))


def test_a_dry_run_never_suggests_a_command_that_changes_hosts(monkeypatch):
    import installer.run as run_module
    from installer.events import HostResult
    from installer.run import RunResult

    def failing_check(loaded, options, on_event, stop, stop_now=None):
        on_event(HostResult("bundle", "lab-node1", "apt source", "failed", "no such file"))
        return RunResult("failed", "/tmp/run", "phase bundle failed on lab-node1", "bundle", dry_run=True)

    monkeypatch.setattr(run_module, "install", failing_check)
    result = CliRunner().invoke(main, ["install", "-f", LAB, "--yes", "--check"])
    assert result.exit_code == 1
    assert "dry run (nothing was changed on any host) failed" in result.output
    assert "--resume" not in result.output


def test_output_to_a_reader_that_went_away_is_dropped_not_raised(tmp_path):
    """`aicloud install ... | head -3`: the run must go on when the pipe closes."""
    import os

    from installer.cli.common import _Console, say

    read, write = os.pipe()
    os.close(read)
    stream = os.fdopen(write, "w", buffering=1)
    console = _Console(file=stream, force_terminal=False)
    console.print("first line")  # EPIPE: the reader is gone; rich's own Console raises SystemExit(1) here
    say(console, "second line")  # now /dev/null
    stream.flush()
    assert os.readlink(f"/proc/self/fd/{stream.fileno()}") == "/dev/null"
    stream.close()


def test_plain_output_keeps_positions_and_user_text_as_written():
    """rich would read `:100:` as an emoji code and `[x]` as markup."""
    import io

    from rich.console import Console

    from installer.cli.common import say

    buffer = io.StringIO()
    say(Console(file=buffer, force_terminal=False, width=200), "site.yaml:100:3: [nodes] :thumbs_up:")
    assert buffer.getvalue() == "site.yaml:100:3: [nodes] :thumbs_up:\n"
