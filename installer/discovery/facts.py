"""Every pyinfra fact discovery reads, in one module.

Each fact is a pyinfra `FactBase`: `command` is what runs on the host (read-only: it reads
/proc, /sys and the output of tools, and changes nothing), `process(lines)` turns the text into
the typed data of `installer.discovery.model`. `process` never touches the network, so the
unit tests feed it outputs captured on real servers (tests/data/), including broken ones.

Commands lean on /proc and /sys rather than tools: a freshly installed node may lack lspci,
ethtool or ibstat. Where a tool's output is the better source (lspci, nvidia-smi, npu-smi...)
the fact uses it when present and the sysfs fallback prints the same format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

from pyinfra.api import FactBase

from installer.discovery.model import (
    Accelerator,
    CpuInfo,
    Disk,
    KernelInfo,
    ListeningPort,
    MemoryInfo,
    Nic,
    OsInfo,
    PciDevice,
    RdmaDevice,
    RdmaPort,
    SecurityModules,
    SmiDevice,
    SmiReport,
)
from installer.vendors import classify_pci, classify_rdma_nic, pci_vendor_id_for_name

# ------------------------------------------------------------------------------- system


class OsRelease(FactBase[OsInfo]):
    """/etc/os-release: ID, VERSION_ID, PRETTY_NAME."""

    def command(self) -> str:
        return "cat /etc/os-release"

    @staticmethod
    def default() -> OsInfo:
        return OsInfo()

    def process(self, output: list[str]) -> OsInfo:
        values: dict[str, str] = {}
        for line in output:
            key, sep, value = line.partition("=")
            if sep:
                values[key.strip()] = value.strip().strip("\"'")
        return OsInfo(values.get("ID", ""), values.get("VERSION_ID", ""), values.get("PRETTY_NAME", ""))


@dataclass(frozen=True)
class Uname:
    hostname: str
    kernel: KernelInfo


class UnameFact(FactBase[Uname]):
    """`uname -n -r -m`: the host's own name, kernel release and machine."""

    def command(self) -> str:
        return "uname -n -r -m"

    @staticmethod
    def default() -> Uname:
        return Uname("", KernelInfo())

    def process(self, output: list[str]) -> Uname:
        parts = " ".join(output).split()
        if len(parts) < 3:
            return Uname(parts[0] if parts else "", KernelInfo(parts[1] if len(parts) > 1 else ""))
        return Uname(parts[0], KernelInfo(parts[1], parts[2]))


class Cpu(FactBase[CpuInfo]):
    """/proc/cpuinfo, only the lines that count sockets, cores and threads."""

    def command(self) -> str:
        return r"grep -E '^(processor|model name|physical id|core id)[[:space:]]*:' /proc/cpuinfo"

    @staticmethod
    def default() -> CpuInfo:
        return CpuInfo()

    def process(self, output: list[str]) -> CpuInfo:
        model = ""
        threads = 0
        physical = ""
        cores: set[tuple[str, str]] = set()
        sockets: set[str] = set()
        for line in output:
            key, _, value = (part.strip() for part in line.partition(":"))
            if key == "processor":
                threads += 1
            elif key == "model name" and not model:
                model = value
            elif key == "physical id":
                physical = value
                sockets.add(value)
            elif key == "core id":
                cores.add((physical, value))
        return CpuInfo(model, len(sockets) or (1 if threads else 0), len(cores) or threads, threads)


def _kib(value: str) -> int:
    parts = value.split()
    return int(parts[0]) * 1024 if parts and parts[0].isdigit() else 0


class Meminfo(FactBase[MemoryInfo]):
    """/proc/meminfo: memory and swap."""

    def command(self) -> str:
        return "cat /proc/meminfo"

    @staticmethod
    def default() -> MemoryInfo:
        return MemoryInfo()

    def process(self, output: list[str]) -> MemoryInfo:
        values = {key.strip(): value for key, _, value in (line.partition(":") for line in output)}
        return MemoryInfo(
            total_bytes=_kib(values.get("MemTotal", "")),
            available_bytes=_kib(values.get("MemAvailable", "")),
            swap_total_bytes=_kib(values.get("SwapTotal", "")),
            swap_free_bytes=_kib(values.get("SwapFree", "")),
        )


class BlockDevices(FactBase[list[Disk]]):
    """/sys/block (size in 512-byte sectors, rotational) and /proc/self/mounts.

    Loop and RAM devices are left out. A disk counts as mounted when it or one of its
    partitions is mounted directly (device-mapper stacks are not followed).
    """

    def command(self) -> str:
        return (
            "for d in /sys/block/*; do n=${d##*/}; "
            'echo "disk $n $(cat $d/size 2>/dev/null) $(cat $d/queue/rotational 2>/dev/null)"; '
            'for p in $d/$n*; do [ -e "$p/partition" ] && echo "part $n ${p##*/}"; done; done; '
            "echo mounts; cat /proc/self/mounts"
        )

    @staticmethod
    def default() -> list[Disk]:
        return []

    def process(self, output: list[str]) -> list[Disk]:
        sizes: dict[str, tuple[int, bool]] = {}
        owner: dict[str, str] = {}
        mounts: dict[str, list[str]] = {}
        in_mounts = False
        for line in output:
            fields = line.split()
            if not fields:
                continue
            if fields[0] == "mounts" and len(fields) == 1:
                in_mounts = True
            elif in_mounts and len(fields) >= 2 and fields[0].startswith("/dev/"):
                mounts.setdefault(fields[0][5:], []).append(fields[1])
            elif fields[0] == "disk" and len(fields) >= 2 and not fields[1].startswith(("loop", "ram")):
                sectors = int(fields[2]) if len(fields) > 2 and fields[2].isdigit() else 0
                sizes[fields[1]] = (sectors * 512, len(fields) > 3 and fields[3] == "1")
                owner[fields[1]] = fields[1]
            elif fields[0] == "part" and len(fields) == 3:
                owner[fields[2]] = fields[1]
        points: dict[str, list[str]] = {}
        for device, where in mounts.items():
            if device in owner:
                points.setdefault(owner[device], []).extend(where)
        return [
            Disk(name, size, rotational, bool(points.get(name)), tuple(points.get(name, ())))
            for name, (size, rotational) in sorted(sizes.items())
        ]


class VarFree(FactBase[int | None]):
    """Free bytes on the filesystem that holds /var (`df -P -k /var`)."""

    def command(self) -> str:
        return "df -P -k /var"

    def process(self, output: list[str]) -> int | None:
        for line in reversed(output):
            fields = line.split()
            if len(fields) >= 4 and fields[3].isdigit():
                return int(fields[3]) * 1024
        return None


# ------------------------------------------------------------------------------- network


class NetworkInterfaces(FactBase[list[Nic]]):
    """/sys/class/net: MAC, MTU, state, speed, driver, PCI address and NUMA node of each NIC.

    The kernel refuses to read `speed` of a NIC whose link is down (EINVAL) and says -1 for
    virtual ones: both come out as `speed_mbps=None`.
    """

    def command(self) -> str:
        return (
            "for n in /sys/class/net/*; do "
            'echo "iface ${n##*/}"; '
            'echo "mac $(cat $n/address 2>/dev/null)"; '
            'echo "mtu $(cat $n/mtu 2>/dev/null)"; '
            'echo "operstate $(cat $n/operstate 2>/dev/null)"; '
            'echo "carrier $(cat $n/carrier 2>/dev/null)"; '
            'echo "speed $(cat $n/speed 2>/dev/null)"; '
            'if [ -e $n/device ]; then echo "pci $(basename $(readlink -f $n/device))"; '
            'echo "numa $(cat $n/device/numa_node 2>/dev/null)"; '
            '[ -e $n/device/driver ] && echo "driver $(basename $(readlink -f $n/device/driver))"; fi; '
            "done"
        )

    @staticmethod
    def default() -> list[Nic]:
        return []

    def process(self, output: list[str]) -> list[Nic]:
        nics: list[dict[str, str]] = []
        for line in output:
            key, _, value = line.strip().partition(" ")
            if key == "iface":
                nics.append({"name": value.strip()})
            elif nics and key:
                nics[-1][key] = value.strip()
        return [_nic(fields) for fields in nics if fields["name"]]


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _nic(fields: dict[str, str]) -> Nic:
    speed = _int_or_none(fields.get("speed"))
    numa = _int_or_none(fields.get("numa"))
    carrier = fields.get("carrier")
    pci = fields.get("pci", "")
    return Nic(
        name=fields["name"],
        mac=fields.get("mac", ""),
        driver=fields.get("driver", ""),
        speed_mbps=speed if speed is not None and speed > 0 else None,
        state=fields.get("operstate", ""),
        carrier=None if carrier not in ("0", "1") else carrier == "1",
        mtu=_int_or_none(fields.get("mtu")) or 0,
        pci_address=pci if _PCI_ADDRESS.match(pci) else "",
        numa_node=numa if numa is not None and numa >= 0 else None,
    )


def _decode_address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    # /proc/net/tcp prints each 32-bit word in host (little-endian) order
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(IPv4Address(words)) if len(words) == 4 else str(IPv6Address(words))


class ListeningTcpPorts(FactBase[list[ListeningPort]]):
    """TCP sockets in LISTEN state, from /proc/net/tcp and tcp6 (no `ss` needed)."""

    def command(self) -> str:
        return "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null"

    @staticmethod
    def default() -> list[ListeningPort]:
        return []

    def process(self, output: list[str]) -> list[ListeningPort]:
        found: set[ListeningPort] = set()
        for line in output:
            fields = line.split()
            if len(fields) < 4 or fields[3] != "0A" or ":" not in fields[1]:
                continue
            address, _, port = fields[1].partition(":")
            try:
                found.add(ListeningPort(int(port, 16), _decode_address(address)))
            except ValueError:
                continue
        return sorted(found, key=lambda p: (p.port, p.address))


# ------------------------------------------------------------------------------- PCI bus

_PCI_ADDRESS = re.compile(r"^(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$")
_LSPCI_HEADER = re.compile(
    r"^(?P<address>(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])\s+"
    r"(?P<class_name>[^:\[]*?)\s*(?:\[(?P<class_code>[0-9a-fA-F]{4})\])?:\s*(?P<rest>.*)$"
)
_IDS = re.compile(r"\[([0-9a-fA-F]{4}):([0-9a-fA-F]{4})\]")
_DEVICE_WORD = re.compile(r"\bDevice ([0-9a-fA-F]{4})\b")

#: Class names plain `lspci` prints instead of codes (pci.ids "C" section, 2026.08.22), for the
#: classes discovery cares about: display, network and bridges.
PCI_CLASS_NAMES = {
    "VGA compatible controller": "0300",
    "3D controller": "0302",
    "Display controller": "0380",
    "Processing accelerators": "1200",
    "Ethernet controller": "0200",
    "Infiniband controller": "0207",
    "Network controller": "0280",
    "Bridge": "0680",
    "PCI bridge": "0604",
}

#: Prints `lspci -D -nn -v` where lspci exists; otherwise the same format from /sys/bus/pci
#: (IDs only, no names), so one parser reads both.
_SYSFS_LSPCI = (
    "for d in /sys/bus/pci/devices/*; do [ -r $d/vendor ] || continue; "
    "c=$(cat $d/class); c=${c#0x}; c=${c%??}; v=$(cat $d/vendor); p=$(cat $d/device); "
    'echo "${d##*/} Class [$c]: Vendor [${v#0x}:${p#0x}]"; '
    'echo "\tNUMA node: $(cat $d/numa_node 2>/dev/null)"; '
    '[ -e $d/driver ] && echo "\tKernel driver in use: $(basename $(readlink -f $d/driver))"; '
    "done"
)


class PciDevices(FactBase[list[PciDevice]]):
    """Devices on the PCI bus, from `lspci` in any of its usual forms or from sysfs.

    Reads `lspci -nn` ("[10de:2330]"), plain `lspci` ("NVIDIA Corporation Device 2941") and the
    detail lines of `lspci -v`/`-vvv` (NUMA node, kernel driver). Lines it cannot read, such as
    the last line of a truncated capture, are skipped; every complete device is kept.
    """

    def command(self) -> str:
        return f"if command -v lspci >/dev/null 2>&1; then lspci -D -nn -v; else {_SYSFS_LSPCI}; fi"

    @staticmethod
    def default() -> list[PciDevice]:
        return []

    def process(self, output: list[str]) -> list[PciDevice]:
        devices: list[dict[str, object]] = []
        for line in output:
            if line[:1].isspace():
                if devices:
                    _pci_detail(devices[-1], line.strip())
                continue
            match = _LSPCI_HEADER.match(line)
            if match:
                devices.append(_pci_header(match))
        return [PciDevice(**fields) for fields in devices]  # type: ignore[arg-type]


def _pci_header(match: re.Match[str]) -> dict[str, object]:
    address = match["address"].lower()
    if address.count(":") == 1:
        address = f"0000:{address}"
    class_name = match["class_name"].strip()
    rest = match["rest"].strip()
    ids = _IDS.findall(rest)
    if ids:
        vendor_id, device_id = (part.lower() for part in ids[-1])
    else:
        vendor_id = pci_vendor_id_for_name(rest) or ""
        word = _DEVICE_WORD.search(rest)
        device_id = word[1].lower() if word else ""
    return {
        "address": address,
        "class_code": (match["class_code"] or PCI_CLASS_NAMES.get(class_name, "")).lower(),
        "class_name": class_name,
        "vendor_id": vendor_id,
        "device_id": device_id,
        "description": rest,
    }


def _pci_detail(fields: dict[str, object], detail: str) -> None:
    key, _, value = detail.partition(":")
    if key == "NUMA node":
        number = _int_or_none(value.strip())
        fields["numa_node"] = number if number is not None and number >= 0 else None
    elif key == "Kernel driver in use":
        fields["driver"] = value.strip()


def _bracket_model(description: str) -> str:
    """`GH100 [H100 SXM5 80GB] (rev a1)` -> `H100 SXM5 80GB`: the model plain lspci names."""
    names = [n for n in re.findall(r"\[([^\]]+)\]", description) if not _IDS.fullmatch(f"[{n}]")]
    return names[-1] if names else ""


@dataclass(frozen=True)
class PciInventory:
    accelerators: tuple[Accelerator, ...]
    nvswitches: tuple[Accelerator, ...]
    rdma_nics: tuple[PciDevice, ...]


def classify_devices(devices: list[PciDevice]) -> PciInventory:
    """Accelerators, NVSwitches and RDMA NICs among PCI devices, named by the engine's vendor table."""
    accelerators: list[Accelerator] = []
    switches: list[Accelerator] = []
    nics: list[PciDevice] = []
    for device in devices:
        if not device.vendor_id:
            continue
        match = classify_pci(device.vendor_id, device.device_id, device.class_code)
        if match is not None:
            model = match.model
            if not device.device_id:  # plain lspci named the model instead of printing the ID
                model = _bracket_model(device.description) or "unknown device"
            found = Accelerator(match.vendor, model, device.address, device.device_id, device.driver, device.numa_node)
            (switches if match.is_switch else accelerators).append(found)
        elif classify_rdma_nic(device.vendor_id, device.device_id or "0000", device.class_code):
            nics.append(device)
    return PciInventory(tuple(accelerators), tuple(switches), tuple(nics))


def rdma_nic_model(device: PciDevice) -> str:
    """A ConnectX/BlueField function's model from the engine's table, or what lspci named it."""
    if device.device_id:
        return classify_rdma_nic(device.vendor_id, device.device_id, device.class_code) or ""
    return _bracket_model(device.description) or device.description


# ------------------------------------------------------------------------------- RDMA


def _rate_gbps(text: str) -> float | None:
    match = re.match(r"\s*([\d.]+)", text)
    return float(match[1]) if match else None


def _strip_number(text: str) -> str:
    """sysfs and ibstatus say `4: ACTIVE` / `5: LinkUp`; keep the word."""
    return text.split(":", 1)[1].strip() if re.match(r"^\s*\d+:", text) else text.strip()


class InfinibandSysfs(FactBase[list[RdmaDevice]]):
    """/sys/class/infiniband: each RDMA device, its firmware, ports, state, link layer and rate.

    Prints `mlx5_0/ports/1/state:4: ACTIVE`-style lines (path, colon, content), one per file.
    """

    def command(self) -> str:
        return (
            "cd /sys/class/infiniband 2>/dev/null || exit 0; for d in *; do [ -d $d ] || continue; "
            'for f in hca_type fw_ver board_id; do [ -r $d/$f ] && echo "$d/$f:$(cat $d/$f)"; done; '
            "for p in $d/ports/*; do for f in state phys_state rate link_layer; do "
            '[ -r $p/$f ] && echo "$p/$f:$(cat $p/$f)"; done; done; '
            'for n in $d/device/net/*; do [ -e $n ] && echo "$d/netdev:${n##*/}"; done; done; true'
        )

    @staticmethod
    def default() -> list[RdmaDevice]:
        return []

    def process(self, output: list[str]) -> list[RdmaDevice]:
        devices: dict[str, dict[str, object]] = {}
        for line in output:
            path, sep, value = line.partition(":")
            parts = path.split("/")
            if not sep or not parts[0]:
                continue
            device = devices.setdefault(parts[0], {"ports": {}, "netdevs": []})
            if len(parts) == 2 and parts[1] in ("hca_type", "fw_ver", "board_id"):
                device[parts[1]] = value.strip()
            elif len(parts) == 2 and parts[1] == "netdev":
                device["netdevs"].append(value.strip())  # type: ignore[attr-defined]
            elif len(parts) == 4 and parts[1] == "ports" and parts[2].isdigit():
                device["ports"].setdefault(int(parts[2]), {})[parts[3]] = value  # type: ignore[attr-defined]
        return [_rdma_device(name, fields) for name, fields in sorted(devices.items())]


def _rdma_device(name: str, fields: dict[str, object]) -> RdmaDevice:
    ports = []
    for number, port in sorted(fields["ports"].items()):  # type: ignore[attr-defined]
        ports.append(
            RdmaPort(
                port=number,
                state=_strip_number(port.get("state", "")).upper(),
                physical_state=_strip_number(port.get("phys_state", "")),
                link_layer=port.get("link_layer", "").strip(),
                rate_gbps=_rate_gbps(port.get("rate", "")),
            )
        )
    return RdmaDevice(
        name=name,
        hca_type=str(fields.get("hca_type", "")),
        firmware=str(fields.get("fw_ver", "")),
        board_id=str(fields.get("board_id", "")),
        netdevs=tuple(fields["netdevs"]),  # type: ignore[arg-type]
        ports=tuple(ports),
    )


class Ibstat(FactBase[list[RdmaDevice]]):
    """`ibstat` (infiniband-diags): the same as the sysfs fact, where the tool is installed."""

    def command(self) -> str:
        return "ibstat"

    def requires_command(self) -> str:
        return "ibstat"

    @staticmethod
    def default() -> list[RdmaDevice]:
        return []

    def process(self, output: list[str]) -> list[RdmaDevice]:
        devices: dict[str, dict[str, object]] = {}
        current: dict[str, object] | None = None
        port: dict[str, str] | None = None
        for line in output:
            stripped = line.strip()
            header = re.match(r"^CA '([^']+)'", stripped)
            if header:
                current = devices.setdefault(header[1], {"ports": {}, "netdevs": []})
                port = None
                continue
            if current is None:
                continue
            port_header = re.match(r"^Port (\d+):$", stripped)
            key, _, value = (part.strip() for part in stripped.partition(":"))
            if port_header:
                port = current["ports"].setdefault(int(port_header[1]), {})  # type: ignore[attr-defined]
            elif port is not None and key in _IBSTAT_PORT_KEYS:
                port[_IBSTAT_PORT_KEYS[key]] = value
            elif key in _IBSTAT_CA_KEYS:
                current[_IBSTAT_CA_KEYS[key]] = value
        return [_rdma_device(name, fields) for name, fields in sorted(devices.items())]


_IBSTAT_CA_KEYS = {"CA type": "hca_type", "Firmware version": "fw_ver"}
_IBSTAT_PORT_KEYS = {"State": "state", "Physical state": "phys_state", "Rate": "rate", "Link layer": "link_layer"}


class Ibstatus(FactBase[list[RdmaDevice]]):
    """`ibstatus`: device, port, state, rate and link layer (no firmware)."""

    def command(self) -> str:
        return "ibstatus"

    def requires_command(self) -> str:
        return "ibstatus"

    @staticmethod
    def default() -> list[RdmaDevice]:
        return []

    def process(self, output: list[str]) -> list[RdmaDevice]:
        devices: dict[str, dict[str, object]] = {}
        port: dict[str, str] | None = None
        for line in output:
            header = re.match(r"^Infiniband device '([^']+)' port (\d+) status:", line.strip())
            if header:
                device = devices.setdefault(header[1], {"ports": {}, "netdevs": []})
                port = device["ports"].setdefault(int(header[2]), {})  # type: ignore[attr-defined]
                continue
            key, sep, value = line.strip().partition(":")
            if port is not None and sep and key.strip() in ("state", "phys state", "rate", "link_layer"):
                port[{"phys state": "phys_state"}.get(key.strip(), key.strip())] = value.strip()
        return [_rdma_device(name, fields) for name, fields in sorted(devices.items())]


# ------------------------------------------------------------------------------- accelerator tools


class NvidiaSmi(FactBase[SmiReport | None]):
    """`nvidia-smi -q`: driver and CUDA version, each GPU's product name and bus ID."""

    def command(self) -> str:
        return "nvidia-smi -q"

    def requires_command(self) -> str:
        return "nvidia-smi"

    def process(self, output: list[str]) -> SmiReport | None:
        driver = cuda = ""
        devices: list[SmiDevice] = []
        bus = ""
        for line in output:
            gpu = re.match(r"^GPU ([0-9A-Fa-f]+:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7])\s*$", line)
            key, _, value = (part.strip() for part in line.partition(":"))
            if gpu:
                bus = gpu[1]
            elif key == "Driver Version" and not driver:
                driver = value
            elif key == "CUDA Version" and not cuda:
                cuda = value
            elif key == "Product Name" and bus:
                devices.append(SmiDevice(len(devices), value, bus))
                bus = ""
        if not driver and not devices:
            return None
        return SmiReport("nvidia-smi", driver, tuple(devices), {"cuda_version": cuda} if cuda else {})


class NpuSmi(FactBase[SmiReport | None]):
    """Huawei `npu-smi info`: version and each NPU's name and bus ID."""

    def command(self) -> str:
        return "npu-smi info"

    def requires_command(self) -> str:
        return "npu-smi"

    def process(self, output: list[str]) -> SmiReport | None:
        version = ""
        devices: list[SmiDevice] = []
        for line in output:
            found = re.search(r"Version:\s*(\S+)", line)
            if found and not version:
                version = found[1]
            name_row = re.match(r"^\|\s*(\d+)\s+(\S+)\s+\|\s*\S+\s+\|", line)
            bus_row = re.match(r"^\|\s*\d+\s+\|\s*([0-9A-Fa-f]{4}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7])\s+\|", line)
            if name_row:
                devices.append(SmiDevice(int(name_row[1]), name_row[2]))
            elif bus_row and devices and not devices[-1].bus_id:
                last = devices[-1]
                devices[-1] = SmiDevice(last.index, last.name, bus_row[1].lower())
        return SmiReport("npu-smi", version, tuple(devices)) if version or devices else None


class RocmSmi(FactBase[SmiReport | None]):
    """Hygon DCU `rocm-smi` (DTK): one row per DCU; this table names no driver version."""

    def command(self) -> str:
        return "rocm-smi"

    def requires_command(self) -> str:
        return "rocm-smi"

    def process(self, output: list[str]) -> SmiReport | None:
        devices = [
            SmiDevice(int(row[1]), "DCU")
            for row in (re.match(r"^(\d+)\s+[\d.]+c\s", line) for line in output)
            if row is not None
        ]
        return SmiReport("rocm-smi", "", tuple(devices)) if devices else None


class Efsmi(FactBase[SmiReport | None]):
    """Enflame `efsmi`: driver version and each GCU's name and bus ID."""

    def command(self) -> str:
        return "efsmi"

    def requires_command(self) -> str:
        return "efsmi"

    def process(self, output: list[str]) -> SmiReport | None:
        driver = ""
        devices: list[SmiDevice] = []
        for line in output:
            found = re.search(r"Driver Ver:\s*(\S+)", line)
            if found:
                driver = found[1]
            row = re.match(r"^\|\s*(\d+)\s+(\S+)\s+\|\s*\S+\s+\|\s*([0-9A-Fa-f:.]+)\s", line)
            if row:
                devices.append(SmiDevice(int(row[1]), row[2], row[3].lower()))
        return SmiReport("efsmi", driver, tuple(devices)) if driver or devices else None


class Cnmon(FactBase[SmiReport | None]):
    """Cambricon `cnmon`: driver version and each MLU's name and bus ID."""

    def command(self) -> str:
        return "cnmon"

    def requires_command(self) -> str:
        return "cnmon"

    def process(self, output: list[str]) -> SmiReport | None:
        driver = ""
        devices: list[SmiDevice] = []
        for line in output:
            found = re.search(r"Driver v(\S+)", line)
            if found:
                driver = found[1]
            row = re.match(r"^\|\s*(\d+)\s+\S+\s+(\S+)\s+\S+\s+\|\s*([0-9A-Fa-f]{4}:[0-9A-Fa-f:.]+)\s+\|", line)
            if row:
                devices.append(SmiDevice(int(row[1]), row[2], row[3].lower()))
        return SmiReport("cnmon", driver, tuple(devices)) if driver or devices else None


#: The fact that reads each vendor's management tool (`VendorInfo.smi_command`).
SMI_FACTS: dict[str, type[FactBase]] = {
    "nvidia-smi": NvidiaSmi,
    "npu-smi": NpuSmi,
    "rocm-smi": RocmSmi,
    "efsmi": Efsmi,
    "cnmon": Cnmon,
}

# ------------------------------------------------------------------------------- time, security


@dataclass(frozen=True)
class ClockReading:
    epoch: float | None  # the host's clock when it ran the command
    synchronized: bool | None
    services: tuple[str, ...]


_TIME_SERVICES = ("chrony", "chronyd", "systemd-timesyncd", "ntp", "ntpd")


class Clock(FactBase[ClockReading]):
    """The host's clock, whether NTP says it is synchronised, and which time service runs."""

    def command(self) -> str:
        services = " ".join(_TIME_SERVICES)
        return (
            'echo "epoch $(date +%s.%N)"; '
            "timedatectl show -p NTPSynchronized 2>/dev/null; "
            f'for s in {services}; do echo "service $s $(systemctl is-active $s 2>/dev/null)"; done; true'
        )

    @staticmethod
    def default() -> ClockReading:
        return ClockReading(None, None, ())

    def process(self, output: list[str]) -> ClockReading:
        epoch: float | None = None
        synchronized: bool | None = None
        services = []
        for line in output:
            fields = line.split()
            if len(fields) == 2 and fields[0] == "epoch":
                try:
                    epoch = float(fields[1])
                except ValueError:
                    epoch = None
            elif line.startswith("NTPSynchronized="):
                synchronized = line.split("=", 1)[1].strip() == "yes"
            elif len(fields) == 3 and fields[0] == "service" and fields[2] == "active":
                services.append(fields[1])
        return ClockReading(epoch, synchronized, tuple(services))


class Epoch(Clock):
    """Only the host's clock (`date +%s.%N`), in a round trip of its own so the offset is tight."""

    def command(self) -> str:
        return 'echo "epoch $(date +%s.%N)"'


class Security(FactBase[SecurityModules]):
    """SELinux mode (/sys/fs/selinux/enforce) and whether AppArmor is enabled."""

    def command(self) -> str:
        return (
            'echo "selinux $(cat /sys/fs/selinux/enforce 2>/dev/null)"; '
            'echo "apparmor $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)"'
        )

    @staticmethod
    def default() -> SecurityModules:
        return SecurityModules()

    def process(self, output: list[str]) -> SecurityModules:
        values = dict([*line.split(), ""][:2] for line in output if line.strip())
        selinux = {"1": "enforcing", "0": "permissive"}.get(values.get("selinux", ""), "absent")
        return SecurityModules(selinux=selinux, apparmor=values.get("apparmor", "") == "Y")  # type: ignore[arg-type]
