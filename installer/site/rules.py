"""Cross-field rules of the answer file, one small function each, registered in `RULES`.

A rule takes the typed site and its release and returns `Violation`s: where (a path in the
file) and what is wrong, said so that the engineer knows what to change. All rules run, so
one validation shows every problem at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from ipaddress import IPv4Network

from installer.errors import Loc, format_loc
from installer.release import Release
from installer.site.model import Role, Site
from installer.vendors import VENDORS


@dataclass(frozen=True)
class Violation:
    loc: Loc
    message: str
    code: str


Rule = Callable[[Site, Release], Iterator[Violation]]
RULES: list[Rule] = []


def rule(func: Rule) -> Rule:
    RULES.append(func)
    return func


def check_rules(site: Site, release: Release) -> list[Violation]:
    return [v for check in RULES for v in check(site, release)]


@rule
def unique_node_names(site: Site, release: Release) -> Iterator[Violation]:
    """No two nodes share a name."""
    first: dict[str, int] = {}
    for i, node in enumerate(site.nodes):
        if node.name in first:
            yield Violation(
                ("nodes", i, "name"),
                f"{node.name!r} is already the name of nodes[{first[node.name]}]; node names must be unique",
                "duplicate_node_name",
            )
        else:
            first[node.name] = i


@rule
def unique_node_addresses(site: Site, release: Release) -> Iterator[Violation]:
    """No two nodes share a management address."""
    first: dict[object, int] = {}
    for i, node in enumerate(site.nodes):
        if node.address in first:
            yield Violation(
                ("nodes", i, "address"),
                f"'{node.address}' is already the address of nodes[{first[node.address]}] "
                f"({site.nodes[first[node.address]].name}); addresses must be unique",
                "duplicate_node_address",
            )
        else:
            first[node.address] = i


@rule
def node_addresses_in_management_cidr(site: Site, release: Release) -> Iterator[Violation]:
    """Every node address lies in `network.managementCidr`."""
    cidr = site.network.management_cidr
    for i, node in enumerate(site.nodes):
        if node.address not in cidr:
            yield Violation(
                ("nodes", i, "address"),
                f"'{node.address}' is outside network.managementCidr {cidr}",
                "address_outside_management_cidr",
            )


@rule
def networks_do_not_overlap(site: Site, release: Release) -> Iterator[Violation]:
    """Management, pod, service and every rail network are disjoint."""
    named: list[tuple[Loc, IPv4Network]] = [
        (("network", "managementCidr"), site.network.management_cidr),
        (("network", "podCidr"), site.network.pod_cidr),
        (("network", "serviceCidr"), site.network.service_cidr),
    ]
    named += [(("fabric", "rails", i, "cidr"), rail.cidr) for i, rail in enumerate(site.fabric.rails)]
    for j, (loc_b, net_b) in enumerate(named):
        for loc_a, net_a in named[:j]:
            if net_a.overlaps(net_b):
                yield Violation(
                    loc_b,
                    f"{net_b} overlaps {format_loc(loc_a)} {net_a}; every network must be separate",
                    "overlapping_networks",
                )


@rule
def control_plane_count(site: Site, release: Release) -> Iterator[Violation]:
    """1, 3 or 5 control-plane nodes (an odd etcd quorum)."""
    count = len(site.nodes_with(Role.CONTROL_PLANE))
    if count not in (1, 3, 5):
        yield Violation(
            ("nodes",),
            f"{count} nodes have role control-plane; use 1, 3 or 5 (etcd needs an odd quorum)",
            "control_plane_count",
        )


@rule
def control_plane_vip(site: Site, release: Release) -> Iterator[Violation]:
    """The VIP is required with several control-plane nodes, inside the management network, and free."""
    vip = site.network.control_plane_vip
    loc = ("network", "controlPlaneVip")
    if vip is None:
        if len(site.nodes_with(Role.CONTROL_PLANE)) > 1:
            yield Violation(
                ("network",),
                "controlPlaneVip is required with more than one control-plane node: pick a free address "
                f"in {site.network.management_cidr}",
                "vip_required",
            )
        return
    if vip not in site.network.management_cidr:
        yield Violation(loc, f"'{vip}' is outside managementCidr {site.network.management_cidr}", "vip_outside_cidr")
    for node in site.nodes:
        if node.address == vip:
            yield Violation(loc, f"'{vip}' is the address of node {node.name}; the VIP must be free", "vip_is_node")
    net = site.network.management_cidr
    if net.prefixlen < 31 and vip in (net.network_address, net.broadcast_address):
        yield Violation(loc, f"'{vip}' is the network or broadcast address of {net}", "vip_reserved")


@rule
def exactly_one_deploy_node(site: Site, release: Release) -> Iterator[Violation]:
    """Exactly one node has role deploy."""
    deploy = site.nodes_with(Role.DEPLOY)
    if len(deploy) != 1:
        names = ", ".join(n.name for n in deploy) or "none"
        yield Violation(
            ("nodes",),
            f"exactly one node needs role deploy (it serves the offline bundle); found {len(deploy)}: {names}",
            "deploy_node_count",
        )


@rule
def fabric_nics_match_fabric(site: Site, release: Release) -> Iterator[Violation]:
    """Fabric NICs and rails only with a fabric; then on every accelerator node."""
    if site.fabric.type == "none":
        for i, node in enumerate(site.nodes):
            if node.fabric_nics:
                yield Violation(
                    ("nodes", i, "fabricNics"),
                    "fabric NICs are listed but fabric.type is none; set fabric.type or remove them",
                    "fabric_nics_without_fabric",
                )
        if site.fabric.rails:
            yield Violation(("fabric", "rails"), "rails are listed but fabric.type is none", "rails_without_fabric")
        return
    if not site.fabric.rails:
        yield Violation(("fabric",), f"fabric.type is {site.fabric.type}: list its rails", "rails_required")
    for i, node in enumerate(site.nodes):
        if node.accelerators is not None and not node.fabric_nics:
            yield Violation(
                ("nodes", i),
                f"node {node.name} has accelerators and the site has a {site.fabric.type} fabric: list its fabricNics",
                "fabric_nics_required",
            )


@rule
def fabric_nics_on_their_rails(site: Site, release: Release) -> Iterator[Violation]:
    """Each fabric NIC is on a known rail, inside its network, with a unique name and address."""
    rails = {rail.index: rail for rail in site.fabric.rails}
    seen_addresses: dict[object, str] = {}
    for i, node in enumerate(site.nodes):
        names = Counter(nic.name for nic in node.fabric_nics)
        for j, nic in enumerate(node.fabric_nics):
            loc = ("nodes", i, "fabricNics", j)
            if names[nic.name] > 1:
                yield Violation((*loc, "name"), f"{nic.name!r} is listed twice on node {node.name}", "duplicate_nic")
            rail = rails.get(nic.rail)
            if rail is None and site.fabric.type != "none":
                yield Violation(
                    (*loc, "rail"),
                    f"rail {nic.rail} is not in fabric.rails (known: {sorted(rails) or 'none'})",
                    "unknown_rail",
                )
            elif rail is not None and nic.address.ip not in rail.cidr:
                yield Violation(
                    (*loc, "address"), f"'{nic.address}' is outside rail {rail.index}'s {rail.cidr}", "nic_outside_rail"
                )
            owner = seen_addresses.setdefault(nic.address.ip, f"{node.name}/{nic.name}")
            if owner != f"{node.name}/{nic.name}":
                yield Violation(
                    (*loc, "address"), f"'{nic.address.ip}' is already used by {owner}", "duplicate_nic_address"
                )


@rule
def rails_unique(site: Site, release: Release) -> Iterator[Violation]:
    """Rail indexes are unique."""
    seen: set[int] = set()
    for i, rail in enumerate(site.fabric.rails):
        if rail.index in seen:
            yield Violation(("fabric", "rails", i, "index"), f"rail {rail.index} is listed twice", "duplicate_rail")
        seen.add(rail.index)


@rule
def fabric_settings_fit_type(site: Site, release: Release) -> Iterator[Violation]:
    """QoS only for RoCE; MTU only with a fabric and within Ethernet's jumbo frames for RoCE."""
    fabric = site.fabric
    if fabric.qos is not None and fabric.type != "roce":
        yield Violation(("fabric", "qos"), f"qos applies to RoCE only; fabric.type is {fabric.type}", "qos_not_roce")
    if fabric.mtu is not None:
        if fabric.type == "none":
            yield Violation(("fabric", "mtu"), "mtu is set but fabric.type is none", "mtu_without_fabric")
        elif fabric.type == "roce" and fabric.mtu > 9216:
            yield Violation(("fabric", "mtu"), f"{fabric.mtu} is above Ethernet's 9216 jumbo frames", "mtu_too_large")


@rule
def release_supports_fabric_and_cni(site: Site, release: Release) -> Iterator[Violation]:
    """The release installs the chosen fabric and CNI."""
    if site.fabric.type != "none" and site.fabric.type not in release.fabrics:
        yield Violation(
            ("fabric", "type"),
            f"release {release.version} does not install a {site.fabric.type} fabric "
            f"(supported: {', '.join(release.fabrics) or 'none'})",
            "fabric_not_in_release",
        )
    if release.kubernetes_version and site.kubernetes.cni not in release.cni:
        yield Violation(
            ("kubernetes", "cni"),
            f"release {release.version} does not ship {site.kubernetes.cni} (choose {', '.join(release.cni)})",
            "cni_not_in_release",
        )


@rule
def kubernetes_version_in_release(site: Site, release: Release) -> Iterator[Violation]:
    """A pinned Kubernetes version is the one the release ships."""
    wanted = site.kubernetes.version
    if wanted is None:
        return
    shipped = release.kubernetes_version
    if shipped is None:
        yield Violation(
            ("kubernetes", "version"),
            f"release {release.version} does not install Kubernetes; remove kubernetes.version",
            "version_not_in_release",
        )
    elif wanted.removeprefix("v") != shipped:
        yield Violation(
            ("kubernetes", "version"),
            f"{wanted!r} is not in release {release.version}; it ships Kubernetes {shipped}",
            "version_not_in_release",
        )


@rule
def vendors_supported_by_release(site: Site, release: Release) -> Iterator[Violation]:
    """Every accelerator vendor is supported by the release."""
    for i, node in enumerate(site.nodes):
        acc = node.accelerators
        if acc is not None and acc.vendor not in release.accelerators:
            supported = ", ".join(v.value for v in release.accelerators) or "none"
            yield Violation(
                ("nodes", i, "accelerators", "vendor"),
                f"release {release.version} does not support {VENDORS[acc.vendor].name_en} accelerators yet "
                f"(supported: {supported})",
                "vendor_not_in_release",
            )


@rule
def storage_settings_fit_type(site: Site, release: Release) -> Iterator[Violation]:
    """`storage.nfs` is given exactly when `storage.type` is nfs."""
    storage = site.storage
    if storage.type == "nfs" and storage.nfs is None:
        yield Violation(("storage",), "type is nfs: give storage.nfs.server and storage.nfs.path", "nfs_required")
    if storage.type != "nfs" and storage.nfs is not None:
        yield Violation(("storage", "nfs"), f"nfs is set but storage.type is {storage.type}", "nfs_unused")


@rule
def kubernetes_needs_a_worker_capable_node(site: Site, release: Release) -> Iterator[Violation]:
    """Nodes with accelerators run Kubernetes workloads (worker or control-plane)."""
    if site.accelerator_nodes and not any(n.is_kubernetes_node for n in site.accelerator_nodes):
        yield Violation(
            ("nodes",),
            "nodes with accelerators have neither role worker nor control-plane: nothing could use them",
            "accelerators_unused",
        )
