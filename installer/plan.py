"""The install plan: which phases run on which hosts, with which component versions.

Computed from the site and its release BOM only, so `aicloud plan` is instant and touches no
host. A phase that will not run is kept in the plan with the reason, never dropped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from installer.content import playbook_path
from installer.phases import DESCRIPTIONS, PHASES, Phase
from installer.release import Component, Release
from installer.site.model import Node, Role, Site


@dataclass(frozen=True)
class PlannedComponent:
    name: str
    version: str
    vendor: str | None = None


@dataclass(frozen=True)
class PhasePlan:
    phase: Phase
    description: str
    hosts: list[str]
    components: list[PlannedComponent] = field(default_factory=list)
    skip_reason: str | None = None
    #: the phase would run, but this installer has no playbook for it yet (install stops there)
    no_playbook: bool = False

    @property
    def runs(self) -> bool:
        return self.skip_reason is None


@dataclass(frozen=True)
class Plan:
    site: str
    release: str
    phases: list[PhasePlan]

    def to_dict(self) -> dict[str, object]:
        return {
            "site": self.site,
            "release": self.release,
            "phases": [{**asdict(p), "runs": p.runs} for p in self.phases],
        }

    def phase(self, name: Phase) -> PhasePlan:
        return next(p for p in self.phases if p.phase == name)


def _hosts_for(phase: Phase, site: Site) -> tuple[list[Node], str | None]:
    """The nodes a phase acts on, or a reason from the site why it has nothing to do."""
    kube = [n for n in site.nodes if n.is_kubernetes_node]
    if phase in ("preflight", "bundle", "os"):
        return site.nodes, None
    if phase == "accelerators":
        nodes = site.accelerator_nodes
        return nodes, None if nodes else "no node has accelerators"
    if phase == "fabric":
        if site.fabric.type == "none":
            return [], "fabric.type is none"
        return [n for n in site.nodes if n.fabric_nics], None
    if phase in ("runtime", "kubernetes"):
        return kube, None if kube else "no node has role control-plane or worker"
    if phase == "platform":
        return site.nodes_with(Role.CONTROL_PLANE), None
    # validate: burn-in where accelerators are, collectives across them
    nodes = site.accelerator_nodes
    return nodes, None if nodes else "no node has accelerators to validate"


def site_features(site: Site) -> set[str]:
    """The choices of the site that release components can depend on (`Component.when`)."""
    platform = site.platform
    features = {f"cni:{site.kubernetes.cni}", f"storage:{site.storage.type}"}
    for name, enabled in (
        ("volcano", platform.volcano),
        ("training-operator", platform.training_operator),
        ("mpi-operator", platform.mpi_operator),
        ("monitoring", platform.monitoring),
    ):
        if enabled:
            features.add(f"platform:{name}")
    return features


def _components_for(phase: Phase, site: Site, release: Release) -> dict[str, Component]:
    vendors = {n.accelerators.vendor for n in site.accelerator_nodes if n.accelerators}
    features = site_features(site)
    return {
        name: c
        for name, c in release.components_for(phase).items()
        if (c.vendor is None or c.vendor in vendors) and (c.when is None or c.when in features)
    }


def build_plan(site: Site, release: Release) -> Plan:
    phases = []
    for phase in PHASES:
        nodes, reason = _hosts_for(phase, site)
        components = _components_for(phase, site, release)
        if reason is None and phase not in release.phases:
            reason = f"release {release.version} has no {phase} components"
        elif reason is None and phase != "preflight" and not components:
            reason = f"nothing in release {release.version} is chosen for this site's {phase} phase"
        phases.append(
            PhasePlan(
                phase=phase,
                description=DESCRIPTIONS[phase],
                hosts=[n.name for n in nodes] if reason is None else [],
                components=[
                    PlannedComponent(name, c.version, c.vendor.value if c.vendor else None)
                    for name, c in sorted(components.items())
                ]
                if reason is None
                else [],
                skip_reason=reason,
                no_playbook=reason is None and phase != "preflight" and not playbook_path(phase).is_file(),
            )
        )
    return Plan(site.metadata.name, release.version, phases)
