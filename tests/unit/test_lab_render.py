"""The files a lab writes: ssh_config, known_hosts, site.yaml (validated by the real model)."""

from ipaddress import IPv4Network
from pathlib import Path

import pytest

from installer.lab.layout import plan_lab
from installer.lab.render import render_known_hosts, render_site_yaml, render_ssh_config
from installer.site import Role, load_site, load_site_text

STATE = Path("/var/lib/aicloud-test/lab/t9")


@pytest.fixture
def spec():
    return plan_lab("t9", 3, IPv4Network("10.89.30.0/24"))


def _blocks(text: str) -> dict[str, list[str]]:
    blocks: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("Host "):
            current = line
            blocks[current] = []
        elif current and line.strip():
            blocks[current].append(line.strip())
    return blocks


def test_ssh_config_reaches_each_host_through_podman_exec_by_name_and_address(spec):
    text = render_ssh_config(spec, STATE / "id_ed25519", STATE / "known_hosts", "/usr/bin/podman")
    blocks = _blocks(text)
    for host in spec.hosts:
        own = blocks[f"Host {host.name} {host.address}"]
        assert (
            f'ProxyCommand /usr/bin/podman exec -i {host.name} sh -c "mkdir -p /run/sshd && exec /usr/sbin/sshd -i"'
            in own
        )
        assert f"HostKeyAlias {host.name}" in own


def test_ssh_config_uses_only_the_lab_key_and_pins_host_keys(spec):
    text = render_ssh_config(spec, STATE / "id_ed25519", STATE / "known_hosts")
    shared = next(lines for head, lines in _blocks(text).items() if "t9-node3" in head and "t9-deploy" in head)
    for option in (
        "User root",
        f"IdentityFile {STATE}/id_ed25519",
        "IdentitiesOnly yes",
        "BatchMode yes",
        "StrictHostKeyChecking yes",
        f"UserKnownHostsFile {STATE}/known_hosts",
    ):
        assert option in shared
    assert "StrictHostKeyChecking no" not in text and "/dev/null" not in text


def test_ssh_config_quotes_paths_with_spaces(spec):
    text = render_ssh_config(spec, Path("/home/a b/id_ed25519"), Path("/home/a b/known_hosts"))
    assert 'IdentityFile "/home/a b/id_ed25519"' in text


def test_known_hosts_lists_every_key_of_every_host_under_its_name():
    text = render_known_hosts(
        {
            "t9-node1": ["ssh-ed25519 AAAAone root@t9-node1", "ssh-rsa AAAAtwo root@t9-node1"],
            "t9-deploy": ["ssh-ed25519 AAAA3"],
        }
    )
    assert text.splitlines() == [
        "t9-deploy ssh-ed25519 AAAA3",
        "t9-node1 ssh-ed25519 AAAAone",
        "t9-node1 ssh-rsa AAAAtwo",
    ]


def test_site_yaml_is_a_valid_answer_file_for_the_lab(spec):
    loaded = load_site_text(render_site_yaml(spec, STATE / "id_ed25519", STATE / "ssh_config"))
    site = loaded.site
    assert site.metadata.name == "t9"
    assert site.release == "lab-2026.11"
    assert [n.name for n in site.nodes] == [h.name for h in spec.hosts]
    assert [n.address for n in site.nodes] == [h.address for h in spec.hosts]
    assert site.network.management_cidr == spec.subnet
    assert site.deploy_node.name == "t9-deploy"
    assert [n.name for n in site.nodes_with(Role.CONTROL_PLANE)] == ["t9-node1"]
    assert [n.name for n in site.nodes_with(Role.WORKER)] == ["t9-node1", "t9-node2", "t9-node3"]
    assert site.ssh.private_key.file == f"{STATE}/id_ed25519"
    assert site.ssh.config_file == f"{STATE}/ssh_config"


@pytest.mark.parametrize("nodes", [1, 16, 200])
def test_site_yaml_validates_for_every_lab_size(nodes, tmp_path):
    spec = plan_lab("t9", nodes, IPv4Network("10.89.31.0/24"))
    path = tmp_path / "site.yaml"
    path.write_text(render_site_yaml(spec, tmp_path / "id_ed25519", tmp_path / "ssh_config"))
    assert len(load_site(path).site.nodes) == nodes + 1
