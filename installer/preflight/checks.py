"""The preflight checks, one function each; the name in the output is the function's name.

Thresholds are constants at the top, each with the reason for its value.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache

from installer.discovery.model import Discovery, NodeFacts
from installer.preflight import Finding, check
from installer.release import Release, load_release
from installer.site.model import Node, Role, Site
from installer.vendors import VENDORS

GIB = 1024**3
#: Oldest kernel accepted: the GA kernel of the oldest OS a release supports (Ubuntu 22.04: 5.15).
MIN_KERNEL = (5, 15)
#: RAM per role (the largest of a node's roles applies): kubeadm's control plane wants 2 GiB
#: bare; etcd, the API server and the platform's controllers need far more in practice.
MIN_MEMORY = {Role.CONTROL_PLANE: 8 * GIB, Role.WORKER: 4 * GIB, Role.STORAGE: 4 * GIB, Role.DEPLOY: 2 * GIB}
#: Free space on /var: container images and etcd live there; the deploy node holds the bundle.
MIN_VAR_FREE = 20 * GIB
MIN_VAR_FREE_DEPLOY = 40 * GIB
WARN_VAR_FREE = 50 * GIB
#: kubeadm refuses a control plane with fewer than 2 CPUs.
MIN_CONTROL_PLANE_CPUS = 2
#: etcd and certificates break with skew of seconds; the measurement itself is within ~0.1 s.
MAX_CLOCK_SKEW_SECONDS = 1.0
#: Ports Kubernetes needs free (kubeadm's preflight list).
CONTROL_PLANE_PORTS = {6443: "kube-apiserver", 2379: "etcd", 2380: "etcd peers", 10257: "kube-controller-manager",
                       10259: "kube-scheduler"}  # fmt: skip
NODE_PORTS = {10250: "kubelet", 10256: "kube-proxy"}


@lru_cache(maxsize=8)
def _release(version: str) -> Release:
    return load_release(version)


def _reached(site: Site, discovery: Discovery) -> Iterator[tuple[Node, NodeFacts]]:
    for node in site.nodes:
        facts = discovery.facts.get(node.name)
        if facts is not None:
            yield node, facts


def _gib(size: int) -> str:
    return f"{size / GIB:.1f} GiB"


# ---------------------------------------------------------------------------------------- reach


@check
def reachable(site: Site, discovery: Discovery) -> list[Finding]:
    """Every node answers over SSH with the answer file's key and its recorded host key."""
    findings = []
    for node in site.nodes:
        error = discovery.errors.get(node.name)
        if error is None:
            findings.append(Finding(node.name, "reachable", "pass", f"SSH to {node.address} as {site.ssh.user}"))
        elif error.kind == "auth":
            findings.append(
                Finding(
                    node.name,
                    "reachable",
                    "fail",
                    f"SSH login refused at {node.address}: {error.message}",
                    f"put the public half of {site.ssh.private_key.describe()} in "
                    f"~{site.ssh.user}/.ssh/authorized_keys on the node, or fix ssh.user / ssh.privateKey",
                ),
            )
        elif error.kind == "host-key-changed":
            findings.append(
                Finding(node.name, "reachable", "fail", error.message, "check the node before trusting its new key")
            )
        else:
            findings.append(
                Finding(
                    node.name,
                    "reachable",
                    "fail",
                    f"cannot reach {node.address} over SSH: {error.message}",
                    "check the node is powered on, its address in the answer file, the cabling and that sshd "
                    f"listens on port {site.ssh.port}",
                ),
            )
    return findings


# ---------------------------------------------------------------------------------------- OS


def _kernel_version(release: str) -> tuple[int, int] | None:
    match = re.match(r"^(\d+)\.(\d+)", release)
    return (int(match[1]), int(match[2])) if match else None


@check
def os_supported(site: Site, discovery: Discovery) -> list[Finding]:
    """The OS is one the release supports, and the kernel is not older than MIN_KERNEL."""
    supported = _release(site.release).os
    findings = []
    for node, facts in _reached(site, discovery):
        family = facts.os.family or "unknown"
        kernel = facts.kernel.release or "unknown"
        version = _kernel_version(kernel)
        if family not in supported:
            findings.append(
                Finding(
                    node.name,
                    "os_supported",
                    "fail",
                    f"{facts.os.pretty_name or family}; release {site.release} supports {', '.join(supported)}",
                    f"reinstall the node with {' or '.join(supported)}",
                )
            )
        elif version is None or version < MIN_KERNEL:
            findings.append(
                Finding(
                    node.name,
                    "os_supported",
                    "fail",
                    f"kernel {kernel} is older than {MIN_KERNEL[0]}.{MIN_KERNEL[1]}",
                    f"boot the {family} distribution kernel",
                )
            )
        else:
            findings.append(Finding(node.name, "os_supported", "pass", f"{family}, kernel {kernel}"))
    return findings


@check
def memory(site: Site, discovery: Discovery) -> list[Finding]:
    """RAM at least MIN_MEMORY for the node's most demanding role."""
    findings = []
    for node, facts in _reached(site, discovery):
        need = max(MIN_MEMORY[r] for r in node.roles)
        have = facts.memory.total_bytes
        if have < need:
            roles = ", ".join(r.value for r in node.roles)
            findings.append(
                Finding(
                    node.name,
                    "memory",
                    "fail",
                    f"{_gib(have)} RAM; a {roles} node needs at least {_gib(need)}",
                    "add memory, or give this node a lighter role",
                )
            )
        else:
            findings.append(Finding(node.name, "memory", "pass", f"{_gib(have)} RAM"))
    return findings


@check
def cpu(site: Site, discovery: Discovery) -> list[Finding]:
    """A control-plane node has at least MIN_CONTROL_PLANE_CPUS logical CPUs."""
    findings = []
    for node, facts in _reached(site, discovery):
        summary = f"{facts.cpu.model or 'CPU'}: {facts.cpu.sockets} socket(s), {facts.cpu.cores} cores, "
        summary += f"{facts.cpu.threads} threads"
        if node.has(Role.CONTROL_PLANE) and facts.cpu.threads < MIN_CONTROL_PLANE_CPUS:
            findings.append(
                Finding(
                    node.name,
                    "cpu",
                    "fail",
                    f"{summary}; a control-plane node needs {MIN_CONTROL_PLANE_CPUS}",
                    "use a node with more CPUs for the control plane",
                )
            )
        else:
            findings.append(Finding(node.name, "cpu", "pass", summary))
    return findings


@check
def var_disk(site: Site, discovery: Discovery) -> list[Finding]:
    """Enough free space on /var for images and etcd (and the bundle on the deploy node)."""
    findings = []
    for node, facts in _reached(site, discovery):
        need = MIN_VAR_FREE_DEPLOY if node.has(Role.DEPLOY) else MIN_VAR_FREE
        free = facts.var_free_bytes
        if free is None:
            findings.append(
                Finding(node.name, "var_disk", "warn", "could not read free space on /var", "run `df -h /var` on it")
            )
        elif free < need:
            findings.append(
                Finding(
                    node.name,
                    "var_disk",
                    "fail",
                    f"{_gib(free)} free on /var; needs {_gib(need)}",
                    "free space on /var or mount a bigger disk there",
                )
            )
        elif free < WARN_VAR_FREE:
            findings.append(
                Finding(
                    node.name,
                    "var_disk",
                    "warn",
                    f"{_gib(free)} free on /var; {_gib(WARN_VAR_FREE)} leaves room for upgrades",
                    "plan more space on /var",
                )
            )
        else:
            findings.append(Finding(node.name, "var_disk", "pass", f"{_gib(free)} free on /var"))
    return findings


@check
def swap(site: Site, discovery: Discovery) -> list[Finding]:
    """Swap is off (kubelet needs it off; the os phase turns it off, so only a warning)."""
    findings = []
    for node, facts in _reached(site, discovery):
        if facts.swap_on:
            findings.append(
                Finding(
                    node.name,
                    "swap",
                    "warn",
                    f"swap is on ({_gib(facts.memory.swap_total_bytes)})",
                    "nothing to do: the os phase turns swap off and removes it from /etc/fstab",
                )
            )
        else:
            findings.append(Finding(node.name, "swap", "pass", "swap is off"))
    return findings


@check
def security_modules(site: Site, discovery: Discovery) -> list[Finding]:
    """SELinux not enforcing (the roles do not ship SELinux policy for the runtime yet)."""
    findings = []
    for node, facts in _reached(site, discovery):
        text = f"SELinux {facts.security.selinux}, AppArmor {'on' if facts.security.apparmor else 'off'}"
        if facts.security.selinux == "enforcing":
            findings.append(
                Finding(node.name, "security_modules", "warn", text, "set SELinux to permissive (setenforce 0)")
            )
        else:
            findings.append(Finding(node.name, "security_modules", "pass", text))
    return findings


# ---------------------------------------------------------------------------------------- accelerators


@check
def accelerators(site: Site, discovery: Discovery) -> list[Finding]:
    """The accelerators on the PCI bus match what the answer file promises: vendor, model, count."""
    findings = []
    for node, facts in _reached(site, discovery):
        promised = node.accelerators
        found = facts.accelerators
        if promised is None:
            if found:
                findings.append(
                    Finding(
                        node.name,
                        "accelerators",
                        "warn",
                        f"{len(found)} {VENDORS[found[0].vendor].name_en} {found[0].model} on the PCI bus, "
                        "none in the answer file",
                        "add `accelerators` to this node in the answer file, or they are left unused",
                    )
                )
            else:
                findings.append(Finding(node.name, "accelerators", "pass", "none promised, none found"))
            continue
        findings.append(_compare_accelerators(node, facts))
    return findings


def _compare_accelerators(node: Node, facts: NodeFacts) -> Finding:
    promised = node.accelerators
    assert promised is not None
    vendor_name = VENDORS[promised.vendor].name_en
    wanted = f"{promised.count} {vendor_name} {promised.model or ''}".strip()
    same_vendor = [a for a in facts.accelerators if a.vendor == promised.vendor]
    others = sorted({f"{VENDORS[a.vendor].name_en} {a.model}" for a in facts.accelerators if a not in same_vendor})
    matching = [a for a in same_vendor if promised.model is None or a.model == promised.model]
    if len(matching) >= promised.count:
        extra = f" ({len(matching) - promised.count} more than promised)" if len(matching) > promised.count else ""
        return Finding(node.name, "accelerators", "pass", f"{len(matching)} {vendor_name} {matching[0].model}{extra}")
    found = f"{len(matching)} found on the PCI bus"
    if same_vendor and promised.model and len(matching) < len(same_vendor):
        models = sorted({a.model for a in same_vendor})
        found += f" ({len(same_vendor)} {vendor_name} of another model: {', '.join(models)})"
    elif others:
        found += f" (found instead: {', '.join(others)})"
    return Finding(
        node.name,
        "accelerators",
        "fail",
        f"node promised {wanted}, {found}",
        "check the cards are seated and powered (lspci -nn on the node), or correct `accelerators` for this node "
        "in the answer file",
    )


# ---------------------------------------------------------------------------------------- fabric


@check
def fabric_nics(site: Site, discovery: Discovery) -> list[Finding]:
    """Every fabric NIC in the answer file exists on its node, with its link up."""
    findings = []
    for node, facts in _reached(site, discovery):
        for promised in node.fabric_nics:
            nic = facts.nic(promised.name)
            if nic is None:
                names = ", ".join(n.name for n in facts.nics if n.name != "lo") or "none"
                findings.append(
                    Finding(
                        node.name,
                        "fabric_nics",
                        "fail",
                        f"fabric NIC {promised.name} (rail {promised.rail}) not found; the node has: {names}",
                        "correct `fabricNics[].name` in the answer file, or install the RDMA driver (mlx5_core)",
                    )
                )
            elif not nic.link_up:
                findings.append(
                    Finding(
                        node.name,
                        "fabric_nics",
                        "fail",
                        f"fabric NIC {promised.name} (rail {promised.rail}) link is {nic.state or 'unknown'}",
                        "check the cable and the switch port of this rail",
                    )
                )
            else:
                speed = f"{nic.speed_mbps // 1000} Gb/s" if nic.speed_mbps else "speed unknown"
                findings.append(
                    Finding(node.name, "fabric_nics", "pass", f"{promised.name} (rail {promised.rail}) up, {speed}")
                )
        if node.fabric_nics and site.fabric.type != "none":
            down = [f"{d.name} port {p.port}" for d in facts.rdma for p in d.ports if not p.active]
            if not facts.rdma:
                findings.append(
                    Finding(
                        node.name,
                        "fabric_nics",
                        "fail",
                        "no RDMA device in /sys/class/infiniband",
                        "install the RDMA driver (the fabric phase does) or check the NICs are RDMA capable",
                    )
                )
            elif down:
                findings.append(
                    Finding(
                        node.name,
                        "fabric_nics",
                        "warn",
                        f"RDMA ports not active: {', '.join(down)}",
                        "check the subnet manager (InfiniBand) or the switch ports (RoCE)",
                    )
                )
    return findings


@check
def fabric_mtu(site: Site, discovery: Discovery) -> list[Finding]:
    """Each fabric NIC's MTU is at least the fabric's (fabric.mtu, or its default)."""
    needed = site.fabric.effective_mtu
    findings = []
    if needed is None:
        return findings
    for node, facts in _reached(site, discovery):
        for promised in node.fabric_nics:
            nic = facts.nic(promised.name)
            if nic is None:
                continue  # fabric_nics reports it
            if nic.mtu < needed:
                findings.append(
                    Finding(
                        node.name,
                        "fabric_mtu",
                        "fail",
                        f"{nic.name} MTU {nic.mtu}, the {site.fabric.type} fabric needs {needed}",
                        f"raise the MTU of {nic.name} and of its switch ports to {needed}",
                    )
                )
            else:
                findings.append(Finding(node.name, "fabric_mtu", "pass", f"{nic.name} MTU {nic.mtu}"))
    return findings


# ---------------------------------------------------------------------------------------- across hosts


@check
def unique_hostnames(site: Site, discovery: Discovery) -> list[Finding]:
    """No two nodes call themselves by the same name (it breaks Kubernetes node registration)."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for node, facts in _reached(site, discovery):
        by_name[facts.hostname].append(node.name)
    findings = []
    for node, facts in _reached(site, discovery):
        twins = [n for n in by_name[facts.hostname] if n != node.name]
        if twins:
            findings.append(
                Finding(
                    node.name,
                    "unique_hostnames",
                    "fail",
                    f"host name {facts.hostname!r} is also the name of {', '.join(twins)}",
                    "nothing to do if the names in the answer file are right: the os phase sets each node's name; "
                    "otherwise make them unique",
                )
            )
        elif facts.hostname != node.name:
            findings.append(
                Finding(
                    node.name,
                    "unique_hostnames",
                    "warn",
                    f"calls itself {facts.hostname!r}",
                    f"nothing to do: the os phase renames it to {node.name}",
                )
            )
        else:
            findings.append(Finding(node.name, "unique_hostnames", "pass", f"host name {facts.hostname}"))
    return findings


_NO_MAC = {"", "00:00:00:00:00:00"}


@check
def unique_macs(site: Site, discovery: Discovery) -> list[Finding]:
    """No MAC address appears on two nodes (cloned VMs, copied udev rules)."""
    owners: dict[str, set[str]] = defaultdict(set)
    for node, facts in _reached(site, discovery):
        for nic in facts.nics:
            if nic.mac not in _NO_MAC:
                owners[nic.mac].add(node.name)
    findings = []
    for node, facts in _reached(site, discovery):
        clashes = [
            f"{nic.name} {nic.mac} (also on {', '.join(sorted(owners[nic.mac] - {node.name}))})"
            for nic in facts.nics
            if nic.mac not in _NO_MAC and len(owners[nic.mac]) > 1
        ]
        if clashes:
            findings.append(
                Finding(
                    node.name,
                    "unique_macs",
                    "fail",
                    f"duplicate MAC: {'; '.join(clashes)}",
                    "give each NIC its own MAC (a cloned VM or a copied network config)",
                )
            )
        else:
            findings.append(Finding(node.name, "unique_macs", "pass", f"{len(facts.nics)} NICs, MACs unique"))
    return findings


@check
def clock(site: Site, discovery: Discovery) -> list[Finding]:
    """The node's clock is within MAX_CLOCK_SKEW_SECONDS of the installer's, and a time service runs."""
    findings = []
    for node, facts in _reached(site, discovery):
        offset = facts.time.clock_offset_seconds
        if offset is None:
            findings.append(Finding(node.name, "clock", "warn", "could not read the clock", "run `date` on it"))
        elif abs(offset) - facts.time.clock_uncertainty_seconds > MAX_CLOCK_SKEW_SECONDS:
            findings.append(
                Finding(
                    node.name,
                    "clock",
                    "fail",
                    f"clock is {offset:+.1f} s off the installer's (bound {MAX_CLOCK_SKEW_SECONDS:.0f} s)",
                    "set the clock (date -s, or hwclock --hctosys) and check the BIOS clock; the os phase then "
                    "keeps it in sync with chrony",
                )
            )
        elif not facts.time.services:
            findings.append(
                Finding(
                    node.name,
                    "clock",
                    "warn",
                    f"clock {offset:+.2f} s off; no time service runs",
                    "nothing to do: the os phase installs chrony",
                )
            )
        else:
            synced = {True: ", synchronised", False: ", not yet synchronised", None: ""}[facts.time.synchronized]
            text = f"clock {offset:+.2f} s off; {', '.join(facts.time.services)}{synced}"
            findings.append(Finding(node.name, "clock", "pass", text))
    return findings


@check
def ports_free(site: Site, discovery: Discovery) -> list[Finding]:
    """The ports Kubernetes needs are not taken by something already listening."""
    findings = []
    for node, facts in _reached(site, discovery):
        if not node.is_kubernetes_node:
            continue
        needed = dict(NODE_PORTS)
        if node.has(Role.CONTROL_PLANE):
            needed |= CONTROL_PLANE_PORTS
            needed[site.kubernetes.api_server_port] = "kube-apiserver"
        taken = sorted({p.port for p in facts.listening if p.port in needed})
        if taken:
            listed = ", ".join(f"{port} ({needed[port]})" for port in taken)
            findings.append(
                Finding(
                    node.name,
                    "ports_free",
                    "fail",
                    f"already in use: {listed}",
                    "stop what listens there (ss -ltnp shows it); an old Kubernetes install needs `kubeadm reset`",
                )
            )
        else:
            findings.append(Finding(node.name, "ports_free", "pass", f"{len(needed)} Kubernetes ports free"))
    return findings


@check
def discovery_complete(site: Site, discovery: Discovery) -> list[Finding]:
    """Every fact was read; a fact that failed leaves the checks that use it blind."""
    findings = []
    for node, facts in _reached(site, discovery):
        for name, problem in sorted(facts.problems.items()):
            findings.append(
                Finding(node.name, "discovery_complete", "warn", f"could not read {name}: {problem}", "see the message")
            )
    return findings
