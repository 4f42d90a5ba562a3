"""The answer file: `apiVersion: aicloud/v1alpha1`, `kind: Site`.

Field names are camelCase in YAML (as `apiVersion` is) and snake_case in Python. Each
section renders its own Ansible variables (`ansible_vars`), prefixed by the role that owns
them; nothing else digs into a section's internals. Descriptions here are the reference
documentation: docs/answer-file.md and schema/site.schema.json are generated from them.
Rules that span fields live in installer/site/rules.py, one function each.
"""

from __future__ import annotations

import os
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from installer.vendors import Vendor

API_VERSION = "aicloud/v1alpha1"

DnsLabel = Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", max_length=63)]
AbsPath = Annotated[str, Field(pattern=r"^/\S*$")]


class Section(BaseModel):
    """Base of every answer-file mapping: camelCase keys, unknown keys refused."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=False,
        extra="forbid",
        frozen=True,
        use_enum_values=False,
    )


class SecretRef(Section):
    """A secret given by reference, never inline: `{env: NAME}` or `{file: PATH}`."""

    env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = Field(
        None, description="Name of an environment variable of the `aicloud` process that holds the secret."
    )
    file: str | None = Field(
        None, description="Path of a file that holds the secret (`~` expanded; relative to the answer file)."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of 'env' or 'file', e.g. {env: AICLOUD_SSH_KEY}")
        return self

    def describe(self) -> str:
        return f"env:{self.env}" if self.env else f"file:{self.file}"

    def file_path(self, base: Path) -> Path | None:
        if self.file is None:
            return None
        path = Path(os.path.expanduser(self.file))
        return path if path.is_absolute() else (base / path)

    def resolve(self, base: Path) -> str:
        """The secret's value. Raises LookupError naming the reference, never the value."""
        if self.env is not None:
            value = os.environ.get(self.env)
            if value is None:
                raise LookupError(f"environment variable {self.env} is not set")
            return value
        path = self.file_path(base)
        try:
            return path.read_text()
        except OSError as exc:
            raise LookupError(f"cannot read secret file {path}: {exc.strerror}") from None


class Metadata(Section):
    name: DnsLabel = Field(description="Short name of the site; used in state folders and host names.")
    description: str = Field("", description="Free text: customer, room, purpose.")


class Bastion(Section):
    """A jump host between the installer and the nodes."""

    host: str = Field(description="Address or name of the jump host.")
    user: str = Field("root", description="User on the jump host.")
    port: Annotated[int, Field(ge=1, le=65535)] = Field(22, description="SSH port of the jump host.")


class Ssh(Section):
    user: str = Field("root", description="User the installer logs in as on every node.")
    port: Annotated[int, Field(ge=1, le=65535)] = Field(22, description="SSH port on every node.")
    private_key: SecretRef = Field(description="The private key, as a secret reference.")
    become: bool = Field(True, description="Use sudo for tasks that need root (when `user` is not root).")
    become_password: SecretRef | None = Field(
        None, description="sudo password, if sudo asks for one (a secret reference)."
    )
    bastion: Bastion | None = Field(None, description="Jump host to reach the nodes through, if any.")
    config_file: str | None = Field(
        None,
        description="An ssh_config file to use for every connection (e.g. the one `aicloud lab up` "
        "writes); relative to the answer file.",
    )

    def config_path(self, base: Path) -> Path | None:
        if not self.config_file:
            return None
        path = Path(os.path.expanduser(self.config_file))
        return path if path.is_absolute() else base / path

    def ansible_vars(self, base: Path) -> dict[str, object]:
        """Ansible's connection variables; installer.reach is the one place that knows them."""
        from installer.reach import Reach

        return Reach.of(self, base).ansible_vars()


class Role(StrEnum):
    CONTROL_PLANE = "control-plane"
    WORKER = "worker"
    DEPLOY = "deploy"
    STORAGE = "storage"


class TaintEffect(StrEnum):
    NO_SCHEDULE = "NoSchedule"
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    NO_EXECUTE = "NoExecute"


LabelKey = Annotated[
    str,
    Field(
        pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
        r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
    ),
]
LabelValue = Annotated[str, Field(pattern=r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")]


class Taint(Section):
    key: LabelKey
    value: LabelValue = ""
    effect: TaintEffect = TaintEffect.NO_SCHEDULE


class Accelerators(Section):
    """What accelerators the node is expected to have; preflight checks it."""

    vendor: Vendor = Field(description="Accelerator vendor.")
    model: str | None = Field(None, description="Model as discovery names it, e.g. `H100 SXM5 80GB`.")
    count: Annotated[int, Field(ge=1, le=64)] = Field(description="How many the node has.")


class FabricNic(Section):
    """One RDMA NIC of the node, on one rail."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,14}$")] = Field(
        description="Interface name on the node, e.g. `ibp12s0` or `ens1f0np0`."
    )
    rail: Annotated[int, Field(ge=0, le=63)] = Field(description="Index of the rail (see `fabric.rails`).")
    address: IPv4Interface = Field(description="Address with prefix length on that rail, e.g. `10.10.0.11/24`.")


class Disk(Section):
    device: Annotated[str, Field(pattern=r"^/dev/\S+$")] = Field(description="Block device, e.g. `/dev/nvme1n1`.")
    use: Literal["containerd", "local-path", "data"] = Field(
        "data", description="What it is for: container images, the local-path storage class, or datasets."
    )
    mount_point: AbsPath | None = Field(None, description="Where to mount it; default depends on `use`.")


class Node(Section):
    name: DnsLabel = Field(description="Host name the node gets (and its Kubernetes node name).")
    address: IPv4Address = Field(description="Management address the installer reaches it on.")
    roles: Annotated[list[Role], Field(min_length=1)] = Field(description="What the node does.")
    labels: dict[LabelKey, LabelValue] = Field({}, description="Kubernetes labels for the node.")
    taints: list[Taint] = Field([], description="Kubernetes taints for the node.")
    accelerators: Accelerators | None = Field(None, description="Accelerators the node is expected to have.")
    fabric_nics: list[FabricNic] = Field([], description="RDMA NICs, one per rail (only with a fabric).")
    disks: list[Disk] = Field([], description="Extra disks to prepare.")

    @field_validator("roles")
    @classmethod
    def _roles_unique(cls, roles: list[Role]) -> list[Role]:
        if len(set(roles)) != len(roles):
            raise ValueError("a role is listed twice")
        return roles

    def has(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_kubernetes_node(self) -> bool:
        return Role.CONTROL_PLANE in self.roles or Role.WORKER in self.roles


class Proxy(Section):
    http: str | None = Field(None, description="URL of the HTTP proxy.")
    https: str | None = Field(None, description="URL of the HTTPS proxy.")
    no_proxy: list[str] = Field([], description="Hosts and CIDRs reached directly (nodes are added for you).")


class Network(Section):
    domain: str = Field("cluster.local", description="DNS domain of the cluster.")
    dns_servers: list[IPv4Address] = Field([], description="DNS servers of the site, if any.")
    ntp_servers: list[str] = Field(
        [], description="NTP servers of the site. Empty: the deploy node serves time to all nodes."
    )
    management_cidr: IPv4Network = Field(description="Network of the nodes' management addresses.")
    pod_cidr: IPv4Network = Field(IPv4Network("10.233.64.0/18"), description="Pod network.")
    service_cidr: IPv4Network = Field(IPv4Network("10.233.0.0/18"), description="Kubernetes service network.")
    control_plane_vip: IPv4Address | None = Field(
        None, description="Virtual IP of the API server; needed with 3 or 5 control-plane nodes."
    )
    proxy: Proxy | None = Field(None, description="HTTP proxy, or none (the usual air-gapped case).")

    def ansible_vars(self) -> dict[str, object]:
        return {
            "os_baseline_domain": self.domain,
            "os_baseline_dns_servers": [str(a) for a in self.dns_servers],
            "time_sync_servers": list(self.ntp_servers),
            "kubernetes_pod_cidr": str(self.pod_cidr),
            "kubernetes_service_cidr": str(self.service_cidr),
            "kubernetes_control_plane_vip": str(self.control_plane_vip) if self.control_plane_vip else "",
            "os_baseline_proxy": self.proxy.model_dump(mode="json", by_alias=False) if self.proxy else {},
        }


class RoceQos(Section):
    """RoCE v2 lossless settings; match the switches."""

    pfc_priority: Annotated[int, Field(ge=0, le=7)] = Field(3, description="Priority with PFC enabled.")
    dscp: Annotated[int, Field(ge=0, le=63)] = Field(26, description="DSCP value of RoCE traffic.")
    ecn: bool = Field(True, description="Enable ECN (DCQCN) marking and reaction.")
    trust: Literal["dscp", "pcp"] = Field("dscp", description="What the NIC trusts to classify traffic.")


class Rail(Section):
    index: Annotated[int, Field(ge=0, le=63)] = Field(description="Rail number, referenced by `fabricNics[].rail`.")
    cidr: IPv4Network = Field(description="Network of this rail.")


class Fabric(Section):
    type: Literal["none", "infiniband", "roce"] = Field("none", description="RDMA fabric between nodes.")
    mtu: Annotated[int, Field(ge=1280, le=65520)] | None = Field(
        None, description="MTU of the fabric interfaces (default: 4092 for IPoIB, 9000 for RoCE)."
    )
    qos: RoceQos | None = Field(None, description="RoCE QoS (only with `type: roce`; defaults apply if omitted).")
    rails: list[Rail] = Field([], description="Rails and their networks.")

    @property
    def effective_mtu(self) -> int | None:
        if self.type == "none":
            return None
        return self.mtu or (4092 if self.type == "infiniband" else 9000)

    def ansible_vars(self) -> dict[str, object]:
        qos = self.qos or (RoceQos() if self.type == "roce" else None)
        return {
            "rdma_fabric": self.type,
            "rdma_mtu": self.effective_mtu,
            "rdma_qos": qos.model_dump(mode="json", by_alias=False) if qos else {},
            "rdma_rails": [{"index": r.index, "cidr": str(r.cidr)} for r in self.rails],
        }


class Kubernetes(Section):
    version: str | None = Field(None, description="Kubernetes version; default and only choice: the release's.")
    cni: Literal["calico", "cilium"] = Field("calico", description="Pod network plugin.")
    api_server_port: Annotated[int, Field(ge=1, le=65535)] = Field(6443, description="API server port.")


class NfsStorage(Section):
    server: str = Field(description="NFS server address or name.")
    path: AbsPath = Field(description="Exported path.")
    mount_options: list[str] = Field(["nfsvers=4.1"], description="Mount options.")


class Storage(Section):
    type: Literal["none", "local-path", "nfs"] = Field("local-path", description="Default storage class.")
    local_path: AbsPath = Field("/var/lib/aicloud/local-path", description="Directory for `local-path` volumes.")
    nfs: NfsStorage | None = Field(None, description="NFS server (required with `type: nfs`).")

    def ansible_vars(self) -> dict[str, object]:
        return {
            "storage_type": self.type,
            "storage_local_path": self.local_path,
            "storage_nfs": self.nfs.model_dump(mode="json", by_alias=False) if self.nfs else {},
        }


class Platform(Section):
    """Which platform components are installed."""

    volcano: bool = Field(True, description="Volcano batch scheduler (gang scheduling, queues).")
    training_operator: bool = Field(True, description="Kubeflow training operator (PyTorchJob and friends).")
    mpi_operator: bool = Field(True, description="MPI operator (MPIJob).")
    monitoring: bool = Field(True, description="Prometheus, accelerator exporters and dashboards.")
    admin_password: SecretRef | None = Field(
        None, description="Password of the platform's admin user (dashboards), as a secret reference."
    )

    def ansible_vars(self) -> dict[str, object]:
        return {
            "platform_volcano": self.volcano,
            "platform_training_operator": self.training_operator,
            "platform_mpi_operator": self.mpi_operator,
            "platform_monitoring": self.monitoring,
        }


class Site(Section):
    """An aicloud site: the nodes, their networks and what to install on them."""

    api_version: Literal["aicloud/v1alpha1"] = Field(description="Version of this file's format.")
    kind: Literal["Site"] = Field(description="Always `Site`.")
    metadata: Metadata
    release: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")] = Field(
        description="Release to install (see `aicloud releases`)."
    )
    ssh: Ssh
    nodes: Annotated[list[Node], Field(min_length=1)]
    network: Network
    fabric: Fabric = Field(Fabric(), description="RDMA fabric.")
    kubernetes: Kubernetes = Field(Kubernetes(), description="Kubernetes settings.")
    storage: Storage = Field(Storage(), description="Storage for workloads.")
    platform: Platform = Field(Platform(), description="Training platform components.")

    def nodes_with(self, role: Role) -> list[Node]:
        return [n for n in self.nodes if role in n.roles]

    @property
    def deploy_node(self) -> Node | None:
        found = self.nodes_with(Role.DEPLOY)
        return found[0] if found else None

    @property
    def accelerator_nodes(self) -> list[Node]:
        return [n for n in self.nodes if n.accelerators is not None]
