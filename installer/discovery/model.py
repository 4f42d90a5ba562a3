"""What discovery learns about a host, as typed data: `NodeFacts`, and the parts it is made of.

The parsers in `facts.py` build these; preflight, the TUI's node table and later phases read
them. Every class turns into plain JSON with `to_dict` (written to the run directory as
`discovery.json`); nothing here touches the network.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from installer.vendors import Vendor


@dataclass(frozen=True)
class OsInfo:
    id: str = ""  # "debian", "ubuntu", "rhel" (os-release ID)
    version_id: str = ""  # "12", "22.04"
    pretty_name: str = ""

    @property
    def family(self) -> str:
        """The release BOM's name for this OS, e.g. `debian-12` or `ubuntu-22.04`."""
        return f"{self.id}-{self.version_id}" if self.id and self.version_id else ""


@dataclass(frozen=True)
class KernelInfo:
    release: str = ""  # `uname -r`
    machine: str = ""  # `uname -m`


@dataclass(frozen=True)
class CpuInfo:
    model: str = ""
    sockets: int = 0
    cores: int = 0  # physical cores, all sockets
    threads: int = 0  # logical CPUs


@dataclass(frozen=True)
class MemoryInfo:
    total_bytes: int = 0
    available_bytes: int = 0
    swap_total_bytes: int = 0
    swap_free_bytes: int = 0


@dataclass(frozen=True)
class Disk:
    name: str  # "nvme0n1"
    size_bytes: int
    rotational: bool
    mounted: bool  # the disk or one of its partitions is mounted
    mount_points: tuple[str, ...] = ()


@dataclass(frozen=True)
class Nic:
    name: str
    mac: str = ""
    driver: str = ""
    speed_mbps: int | None = None  # None: the kernel does not say (link down, virtual NIC)
    state: str = ""  # operstate: up, down, unknown, lowerlayerdown
    carrier: bool | None = None
    mtu: int = 0
    pci_address: str = ""  # "0000:1a:00.0"; empty for virtual NICs
    numa_node: int | None = None

    @property
    def link_up(self) -> bool:
        return self.state == "up" or (self.state == "unknown" and self.carrier is True)


@dataclass(frozen=True)
class PciDevice:
    address: str  # "0000:19:00.0" (domain added when lspci omitted it)
    class_code: str  # "0302"; "" when the source gave only a name not in our class table
    class_name: str
    vendor_id: str  # "10de"; "" when unknown
    device_id: str  # "2330"; "" when unknown
    description: str  # the rest of the line as lspci printed it
    driver: str = ""
    numa_node: int | None = None


@dataclass(frozen=True)
class Accelerator:
    vendor: Vendor
    model: str  # from the engine's vendor table, never the host's pci.ids
    pci_address: str
    device_id: str = ""
    driver: str = ""
    numa_node: int | None = None


@dataclass(frozen=True)
class RdmaPort:
    port: int
    state: str  # "ACTIVE", "DOWN", "INIT", ...
    physical_state: str  # "LinkUp", "Disabled", "Polling", ...
    link_layer: str  # "InfiniBand" or "Ethernet"
    rate_gbps: float | None = None

    @property
    def active(self) -> bool:
        return self.state.upper() == "ACTIVE"


@dataclass(frozen=True)
class RdmaDevice:
    name: str  # "mlx5_0"
    hca_type: str = ""  # "MT4129"
    firmware: str = ""
    board_id: str = ""
    netdevs: tuple[str, ...] = ()  # the NICs this device drives, when the kernel says
    ports: tuple[RdmaPort, ...] = ()


@dataclass(frozen=True)
class SmiDevice:
    index: int
    name: str
    bus_id: str = ""


@dataclass(frozen=True)
class SmiReport:
    """What a vendor's management tool (nvidia-smi, npu-smi, ...) says: driver and devices."""

    tool: str
    driver_version: str = ""
    devices: tuple[SmiDevice, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)  # e.g. CUDA version


@dataclass(frozen=True)
class TimeSync:
    clock_offset_seconds: float | None = None  # host clock minus controller clock, measured
    #: half the round trip of the measurement: the true offset is within +- this of the measured one
    clock_uncertainty_seconds: float = 0.0
    synchronized: bool | None = None  # timedatectl's NTPSynchronized, None when unknown
    services: tuple[str, ...] = ()  # active time services: chrony, systemd-timesyncd, ntp


@dataclass(frozen=True)
class SecurityModules:
    selinux: Literal["enforcing", "permissive", "disabled", "absent"] = "absent"
    apparmor: bool = False


@dataclass(frozen=True)
class ListeningPort:
    port: int
    address: str  # "0.0.0.0", "127.0.0.1", "::"


@dataclass(frozen=True)
class NodeFacts:
    """Everything discovery found on one host."""

    host: str  # the node's name in the answer file
    address: str  # where it was reached
    hostname: str = ""  # what the host calls itself
    os: OsInfo = field(default_factory=OsInfo)
    kernel: KernelInfo = field(default_factory=KernelInfo)
    cpu: CpuInfo = field(default_factory=CpuInfo)
    memory: MemoryInfo = field(default_factory=MemoryInfo)
    disks: tuple[Disk, ...] = ()
    var_free_bytes: int | None = None
    nics: tuple[Nic, ...] = ()
    accelerators: tuple[Accelerator, ...] = ()
    nvswitches: tuple[Accelerator, ...] = ()
    rdma_nics: tuple[PciDevice, ...] = ()  # ConnectX/BlueField functions on the PCI bus
    rdma: tuple[RdmaDevice, ...] = ()
    drivers: tuple[SmiReport, ...] = ()
    time: TimeSync = field(default_factory=TimeSync)
    security: SecurityModules = field(default_factory=SecurityModules)
    listening: tuple[ListeningPort, ...] = ()
    #: facts that could not be read, e.g. {"pci": "lspci: ..."}: the rest is still valid.
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def swap_on(self) -> bool:
        return self.memory.swap_total_bytes > 0

    def nic(self, name: str) -> Nic | None:
        return next((n for n in self.nics if n.name == name), None)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["os"]["family"] = self.os.family
        data["swap_on"] = self.swap_on
        return data


@dataclass(frozen=True)
class HostError:
    """A host discovery could not read: unreachable, auth refused, or its host key changed."""

    host: str
    address: str
    kind: Literal["unreachable", "auth", "host-key-changed", "error"]
    message: str  # the SSH error exactly as the connection reported it

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class HostKeyEvent:
    """Trust on first use, said out loud: a key recorded now, or a key that matched the record."""

    host: str
    key_type: str
    fingerprint: str  # "SHA256:..."
    status: Literal["recorded", "matched", "changed"]
    recorded_fingerprint: str = ""  # the old one, when changed

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Discovery:
    """One discovery run over a site: facts per reachable host, an error per unreachable one."""

    site: str
    run_id: str
    run_dir: str
    started: str  # ISO 8601, UTC
    seconds: float
    facts: dict[str, NodeFacts] = field(default_factory=dict)
    errors: dict[str, HostError] = field(default_factory=dict)
    host_keys: tuple[HostKeyEvent, ...] = ()
    seconds_per_host: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "site": self.site,
            "run_id": self.run_id,
            "run_dir": self.run_dir,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "seconds_per_host": {h: round(s, 3) for h, s in self.seconds_per_host.items()},
            "hosts": {h: f.to_dict() for h, f in self.facts.items()},
            "errors": {h: e.to_dict() for h, e in self.errors.items()},
            "host_keys": [k.to_dict() for k in self.host_keys],
        }
