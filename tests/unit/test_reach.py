"""One place knows how to reach a node: Ansible's connection variables and pyinfra's host data
come from the same `Reach`, bastion and become included."""

from __future__ import annotations

import copy
import shlex
from pathlib import Path

import paramiko

from installer.reach import Reach
from installer.site.model import Site
from tests.sitedata import BASE_SITE


def _site(**ssh) -> Site:
    data = copy.deepcopy(BASE_SITE)
    data["ssh"].update(ssh)
    return Site.model_validate(data)


def _reach(site: Site, tmp_path: Path) -> Reach:
    return Reach.of(site.ssh, tmp_path, tmp_path / "known_hosts")


def test_root_logs_in_without_become_and_another_user_becomes_root(tmp_path):
    assert _reach(_site(), tmp_path).ansible_vars()["ansible_become"] is False
    vars_ = _reach(_site(user="ops"), tmp_path).ansible_vars()
    assert vars_["ansible_become"] is True and vars_["ansible_user"] == "ops"
    assert _reach(_site(user="ops", become=False), tmp_path).become is False


def test_the_key_is_a_file_or_a_reference_the_run_resolves(tmp_path):
    assert _reach(_site(), tmp_path).ansible_vars()["ansible_ssh_private_key_file"] == "/tmp/key"
    from_env = _reach(_site(privateKey={"env": "SITE_KEY"}), tmp_path).ansible_vars()
    assert "ansible_ssh_private_key_file" not in from_env and from_env["aicloud_ssh_private_key_ref"] == "env:SITE_KEY"


def test_a_bastion_is_one_proxycommand_for_ansible_and_for_pyinfra(tmp_path):
    site = _site(user="ops", bastion={"host": "127.0.0.1", "user": "jump", "port": 1})
    reach = _reach(site, tmp_path)
    args = shlex.split(reach.ansible_vars()["ansible_ssh_common_args"])
    assert args[0] == "-o" and args[1].startswith("ProxyCommand=")
    command = shlex.split(args[1].removeprefix("ProxyCommand="))
    assert command[:3] == ["ssh", "-W", "%h:%p"] and command[-1] == "jump@127.0.0.1"
    assert command[3:5] == ["-p", "1"] and "/tmp/key" in command
    assert f"UserKnownHostsFile={tmp_path / 'known_hosts'}" in command  # the jump host is TOFU-checked too
    data = reach.pyinfra_data(site.nodes[1], pkey=None)
    sock = data["ssh_paramiko_connect_kwargs"]["sock"]
    try:
        assert isinstance(sock, paramiko.ProxyCommand)
        assert sock.cmd[:3] == ["ssh", "-W", "10.0.0.11:22"] and sock.cmd[-1] == "jump@127.0.0.1"
        assert sock.cmd[3:] == command[3:]  # the same jump as Ansible's
    finally:
        sock.close()


def test_a_bastion_with_a_key_from_the_environment_uses_the_runs_copy(tmp_path):
    site = _site(privateKey={"env": "SITE_KEY"}, bastion={"host": "127.0.0.1", "port": 1})
    args = shlex.split(_reach(site, tmp_path).ansible_vars()["ansible_ssh_common_args"])
    command = shlex.split(args[1].removeprefix("ProxyCommand="))
    assert command[command.index("-i") + 1] == "{{ ansible_ssh_private_key_file }}"  # templated by Ansible


def test_the_sites_ssh_config_reaches_both_tools(tmp_path):
    site = _site(configFile="lab/ssh_config")
    reach = _reach(site, tmp_path)
    assert reach.known_hosts is None  # the config decides host keys
    assert reach.ansible_vars()["ansible_ssh_common_args"] == f"-F {tmp_path / 'lab' / 'ssh_config'}"
    assert reach.pyinfra_data(site.nodes[0], pkey=None)["ssh_config_file"] == str(tmp_path / "lab" / "ssh_config")


def test_discovery_goes_through_a_bastion_instead_of_refusing_one(tmp_path, monkeypatch):
    """The jump host here is a closed port on loopback: every node is unreachable, none refused."""
    import yaml

    from installer.discovery import discover
    from installer.site import load_site

    paramiko.RSAKey.generate(2048).write_private_key_file(str(tmp_path / "id"))
    data = copy.deepcopy(BASE_SITE)
    data["ssh"]["bastion"] = {"host": "127.0.0.1", "port": 1}
    data["ssh"]["privateKey"] = {"file": str(tmp_path / "id")}
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setenv("AICLOUD_HOME", str(tmp_path / "home"))
    result = discover(load_site(tmp_path / "site.yaml"), connect_timeout=5, host_deadline=20)
    assert set(result.errors) == {"deploy", "n1", "n2"} and not result.facts
    assert all(e.kind == "unreachable" for e in result.errors.values()), result.errors


def test_a_jump_that_never_connects_leaves_no_process_behind(tmp_path, monkeypatch):
    import os
    import subprocess

    test_discovery_goes_through_a_bastion_instead_of_refusing_one(tmp_path, monkeypatch)
    children = subprocess.run(["ps", "-o", "stat=,args=", "--ppid", str(os.getpid())], capture_output=True, text=True)
    assert [line for line in children.stdout.splitlines() if "-W" in line or line.startswith("Z")] == []
