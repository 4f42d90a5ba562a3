"""Render a site into an Ansible inventory with group_vars and host_vars.

The output is a plain inventory an ops team can use with `ansible-playbook -i` and our
playbooks, without aicloud. Secrets never appear in clear: a secret reference becomes an
Ansible lookup (`env` or `file`) that is resolved at run time, in memory.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from installer.reach import Reach
from installer.release import Release
from installer.site.model import Node, Role, SecretRef, Site
from installer.state import known_hosts_path

HEADER = "# Rendered by aicloud from {source}; edit the answer file, not this.\n"


def secret_lookup(ref: SecretRef, base: Path) -> str:
    """An Ansible expression that reads the secret when a task needs it."""
    if ref.env is not None:
        return f"{{{{ lookup('ansible.builtin.env', '{ref.env}') }}}}"
    return f"{{{{ lookup('ansible.builtin.file', '{ref.file_path(base)}') }}}}"


def group_name(role: Role) -> str:
    return role.value.replace("-", "_")


def inventory(site: Site) -> dict[str, object]:
    children: dict[str, dict[str, object]] = {}
    for role in Role:
        members = site.nodes_with(role)
        if members:
            children[group_name(role)] = {"hosts": {n.name: None for n in members}}
    kube = [n for n in site.nodes if n.is_kubernetes_node]
    if kube:
        children["kubernetes"] = {"hosts": {n.name: None for n in kube}}
    for node in site.accelerator_nodes:
        group = f"accelerator_{node.accelerators.vendor.value.replace('-', '_')}"
        children.setdefault(group, {"hosts": {}})["hosts"][node.name] = None
    fabric = [n for n in site.nodes if n.fabric_nics]
    if fabric:
        children["fabric"] = {"hosts": {n.name: None for n in fabric}}
    hosts = {n.name: {"ansible_host": str(n.address)} for n in site.nodes}
    return {"all": {"hosts": hosts, "children": children}}


def group_vars(site: Site, release: Release, base: Path) -> dict[str, object]:
    ssh = site.ssh
    out: dict[str, object] = {
        "aicloud_site": site.metadata.name,
        "aicloud_release": release.version,
        **Reach.of(ssh, base, known_hosts_path(site.metadata.name, create=False)).ansible_vars(),
    }
    if ssh.become_password is not None:
        out["ansible_become_password"] = secret_lookup(ssh.become_password, base)
    out.update(site.network.ansible_vars())
    out["aicloud_management_cidr"] = str(site.network.management_cidr)
    out["os_baseline_hosts"] = [{"name": n.name, "address": str(n.address)} for n in site.nodes]
    deploy = site.deploy_node
    out["bundle_client_server"] = str(deploy.address) if deploy else ""
    out.update(site.fabric.ansible_vars())
    out.update(
        {
            "kubernetes_version": release.kubernetes_version or "",
            "kubernetes_cni": site.kubernetes.cni,
            "kubernetes_api_server_port": site.kubernetes.api_server_port,
        }
    )
    out.update(site.storage.ansible_vars())
    out.update(site.platform.ansible_vars())
    if site.platform.admin_password is not None:
        out["platform_admin_password"] = secret_lookup(site.platform.admin_password, base)
    out["aicloud_components"] = {name: c.version for name, c in sorted(release.components.items())}
    out["aicloud_packages"] = {
        family: {p.name: p.version for c in release.components.values() for p in c.packages.get(family, [])}
        for family in release.os
    }
    return out


def host_vars(node: Node) -> dict[str, object]:
    out: dict[str, object] = {
        "os_baseline_hostname": node.name,
        "aicloud_roles": [r.value for r in node.roles],
        "kubernetes_node_labels": dict(node.labels),
        "kubernetes_node_taints": [t.model_dump(mode="json") for t in node.taints],
        "accelerators_expected": node.accelerators.model_dump(mode="json") if node.accelerators else {},
        "rdma_nics": [{"name": nic.name, "rail": nic.rail, "address": str(nic.address)} for nic in node.fabric_nics],
        "storage_disks": [d.model_dump(mode="json", by_alias=False) for d in node.disks],
    }
    return out


def render(site: Site, release: Release, out_dir: Path, *, base: Path, source: str) -> list[Path]:
    """Write inventory.yml, group_vars/all.yml and host_vars/<node>.yml; return the paths."""
    header = HEADER.format(source=source)
    files: dict[Path, object] = {
        out_dir / "inventory.yml": inventory(site),
        out_dir / "group_vars" / "all.yml": group_vars(site, release, base),
    }
    for node in site.nodes:
        files[out_dir / "host_vars" / f"{node.name}.yml"] = host_vars(node)
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        text = header + "---\n" + yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
        path.write_text(text.replace(": null\n", ":\n"))
    return list(files)
