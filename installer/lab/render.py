"""The files a lab leaves for its user: ssh_config, known_hosts and the answer file.

Pure text from a `LabSpec`; `installer.lab.engine` writes them. The answer file is checked
with the real loader (`load_site_text`) before anyone sees it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from installer.lab.layout import HostSpec, LabSpec
from installer.site import load_site_text

RELEASE = "lab-2026.11"
SSHD_INETD = 'sh -c "mkdir -p /run/sshd && exec /usr/sbin/sshd -i"'


def _quote(value: str | Path) -> str:
    text = str(value)
    return f'"{text}"' if any(c.isspace() for c in text) else text


def render_ssh_config(spec: LabSpec, key: Path, known_hosts: Path, podman: str = "podman") -> str:
    """One block per host (its name and address both match), then the options they share.

    sshd runs in inetd mode through `podman exec`, so the controller needs no route into the
    lab's internal network. Host keys are pinned: `HostKeyAlias` makes the address and the
    name check the same `known_hosts` entry, written by `up` from each host's own keys.
    """
    lines = [
        f"# Written by `aicloud lab up` for lab {spec.name}; `aicloud lab down --name {spec.name}` removes it.",
        f"# Use: ssh -F {_quote(key.parent / 'ssh_config')} {spec.deploy.name} true",
        "",
    ]
    for host in spec.hosts:
        lines += [
            f"Host {host.name} {host.address}",
            f"  HostKeyAlias {host.name}",
            f"  ProxyCommand {_quote(podman)} exec -i {host.name} {SSHD_INETD}",
            "",
        ]
    patterns = " ".join(f"{h.name} {h.address}" for h in spec.hosts)
    lines += [
        f"Host {patterns}",
        f"  User {spec.login.user}",
        f"  IdentityFile {_quote(key)}",
        "  IdentitiesOnly yes",
        "  BatchMode yes",
        "  StrictHostKeyChecking yes",
        f"  UserKnownHostsFile {_quote(known_hosts)}",
        "  LogLevel ERROR",
        "",
    ]
    return "\n".join(lines)


def render_known_hosts(host_keys: Mapping[str, list[str]]) -> str:
    """`host_keys`: host name -> its public host keys (`ssh-ed25519 AAAA... comment`)."""
    lines = []
    for host, keys in sorted(host_keys.items()):
        for key in keys:
            kind, blob = key.split()[:2]
            lines.append(f"{host} {kind} {blob}")
    return "\n".join(lines) + "\n"


def node_roles(host: HostSpec, index: int) -> list[str]:
    if host.role == "deploy":
        return ["deploy"]
    return ["control-plane", "worker"] if index == 1 else ["worker"]


def ssh_section(spec: LabSpec, key: Path, ssh_config: Path, sudo_password: Path | None = None) -> dict[str, object]:
    """`ssh:` of the answer file: root, or the lab's login user with sudo (and its password file)."""
    ssh: dict[str, object] = {"user": spec.login.user, "privateKey": {"file": str(key)}, "configFile": str(ssh_config)}
    if not spec.login.is_root:
        ssh["become"] = True
        if spec.login.needs_password:
            if sudo_password is None:
                raise ValueError("a lab whose sudo asks for a password needs the password's file")
            ssh["becomePassword"] = {"file": str(sudo_password)}
    return ssh


def site_document(spec: LabSpec, key: Path, ssh_config: Path, sudo_password: Path | None = None) -> dict[str, object]:
    return {
        "apiVersion": "aicloud/v1alpha1",
        "kind": "Site",
        "metadata": {
            "name": spec.name,
            "description": f"aicloud lab {spec.name}: {len(spec.nodes)} podman hosts and a deploy host on one machine",
        },
        "release": RELEASE,
        "ssh": ssh_section(spec, key, ssh_config, sudo_password),
        "nodes": [
            {"name": h.name, "address": str(h.address), "roles": node_roles(h, i)} for i, h in enumerate(spec.hosts)
        ],
        "network": {"domain": "cluster.local", "managementCidr": str(spec.subnet)},
        "storage": {"type": "local-path"},
    }


def render_site_yaml(spec: LabSpec, key: Path, ssh_config: Path, sudo_password: Path | None = None) -> str:
    """The answer file for the lab, already validated against the model and the rules."""
    header = (
        f"# Answer file of lab {spec.name}, written by `aicloud lab up`.\n"
        f"# Try: aicloud validate -f {_quote(ssh_config.parent / 'site.yaml')}\n"
    )
    document = site_document(spec, key, ssh_config, sudo_password)
    text = header + yaml.safe_dump(document, sort_keys=False, default_flow_style=None)
    load_site_text(text, str(ssh_config.parent / "site.yaml"))
    return text
