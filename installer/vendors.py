"""The one table of accelerator vendors the engine knows.

Every other module (the answer-file model, release BOMs, discovery, preflight, the TUI)
names vendors through `Vendor`; no vendor string lives anywhere else.

PCI IDs come from pci.ids 2026.08.22 (pciutils/pciids, commit c1c12547) as summarised in
shared/hwcaptures/pci-vendors.md, and, where pci.ids lists nothing, from the vendor
documentation named next to the entry. The host's own pci.ids is not trusted: Debian 12's
copy (2023.04.10) lacks the H200, B200, GB200, the H100 NVSwitch and every domestic
accelerator's device IDs. A device whose ID is not in this table but whose vendor is, is
still reported as that vendor's accelerator (see `classify_pci`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Vendor(StrEnum):
    NVIDIA = "nvidia"
    HUAWEI_ASCEND = "huawei-ascend"
    HYGON_DCU = "hygon-dcu"
    ENFLAME = "enflame"
    CAMBRICON = "cambricon"
    METAX = "metax"
    ILUVATAR = "iluvatar"
    MOORE_THREADS = "moore-threads"
    BIREN = "biren"
    KUNLUNXIN = "kunlunxin"


#: PCI class codes (first two hex digits) of accelerators: 03 display (GPU), 12 processing
#: accelerator (NPU/DCU/XPU). Vendors such as Hygon (1d94) also make CPUs and chipsets, so
#: a vendor ID alone is not enough to call a device an accelerator.
ACCELERATOR_PCI_CLASSES = ("03", "12")


@dataclass(frozen=True)
class VendorInfo:
    vendor: Vendor
    name_en: str
    name_zh: str
    #: lower-case hex PCI vendor IDs; empty when no public database lists the vendor yet.
    pci_vendor_ids: tuple[str, ...]
    #: device ID -> model name, for accelerators.
    devices: dict[str, str] = field(default_factory=dict)
    #: device ID -> name, for switches (NVSwitch) that are not accelerators themselves.
    switches: dict[str, str] = field(default_factory=dict)
    #: the management tool whose output discovery reads when it is installed.
    smi_command: str = ""
    #: where the IDs in `devices` come from.
    source: str = "pci.ids 2026.08.22"
    #: the vendor's name as pci.ids spells it, which plain `lspci` (without -nn) prints instead of the ID.
    pci_vendor_name: str = ""


VENDORS: dict[Vendor, VendorInfo] = {
    info.vendor: info
    for info in (
        VendorInfo(
            Vendor.NVIDIA,
            "NVIDIA",
            "英伟达",
            ("10de",),
            devices={
                "20b0": "A100 SXM4 40GB",
                "20b2": "A100 SXM4 80GB",
                "20b5": "A100 PCIe 80GB",
                "20f1": "A100 PCIe 40GB",
                "20bd": "A800 SXM4 40GB",
                "20f3": "A800 SXM4 80GB",
                "2330": "H100 SXM5 80GB",
                "2331": "H100 PCIe",
                "2339": "H100 SXM5 94GB",
                "2324": "H800",
                "2322": "H800 PCIe",
                "2329": "H20",
                "2335": "H200 SXM 141GB",
                "233b": "H200 NVL",
                "2342": "GH200 120GB / 480GB",
                "2348": "GH200 144G HBM3e",
                "26b9": "L40S",
                "2901": "B200",
                "2909": "HGX B200 168GB",
                "2941": "GB200",
                "3182": "B300 SXM6 AC",
            },
            switches={"1af1": "A100 NVSwitch", "22a3": "H100 NVSwitch"},
            smi_command="nvidia-smi",
            pci_vendor_name="NVIDIA Corporation",
        ),
        VendorInfo(
            Vendor.HUAWEI_ASCEND,
            "Huawei Ascend",
            "华为昇腾",
            ("19e5",),
            # pci.ids lists no Ascend NPU; 19e5 also covers Huawei NICs and BMC chips, so
            # only class 12 devices count. d802 = 910B per PaddleNLP's NPU guide
            # ("lspci | grep d802"); d803 seen in a public Atlas A3 test fixture.
            devices={"d802": "Ascend 910B", "d803": "Ascend 910 (Atlas A3)"},
            smi_command="npu-smi",
            pci_vendor_name="Huawei Technologies Co., Ltd.",
            source="vendor docs (PaddleNLP NPU guide); pci.ids has no Ascend devices",
        ),
        VendorInfo(
            Vendor.HYGON_DCU,
            "Hygon DCU",
            "海光 DCU",
            ("1d94",),
            devices={"6211": "K100_AI"},
            smi_command="rocm-smi",
            pci_vendor_name="Chengdu Haiguang IC Design Co., Ltd.",
        ),
        VendorInfo(
            Vendor.ENFLAME,
            "Enflame GCU",
            "燧原 GCU",
            ("1e36",),
            devices={
                "0021": "T20 32GB",
                "0022": "T20 64GB",
                "8001": "I20",
                "c031": "S30",
                "c032": "S90",
                "c033": "S60G",
                "c035": "S60",
                "c041": "L300",
                "c042": "L600",
            },
            smi_command="efsmi",
            pci_vendor_name="Shanghai Enflame Technology Co. Ltd",
        ),
        VendorInfo(
            Vendor.CAMBRICON,
            "Cambricon MLU",
            "寒武纪 MLU",
            ("cabc",),
            devices={"0270": "MLU270-S4", "0370": "MLU370-S4"},
            smi_command="cnmon",
            pci_vendor_name="Cambricon Technologies Corporation Limited",
        ),
        VendorInfo(
            Vendor.METAX,
            "MetaX",
            "沐曦",
            ("9999",),
            devices={"0a01": "C500"},
            smi_command="mx-smi",
            pci_vendor_name="MetaX Integrated Circuits (Shanghai) Co., Ltd.",
        ),
        VendorInfo(
            Vendor.ILUVATAR,
            "Iluvatar CoreX",
            "天数智芯",
            ("1e3e",),
            smi_command="ixsmi",
            pci_vendor_name="Shanghai Iluvatar CoreX Semiconductor Co., Ltd.",
        ),
        VendorInfo(
            Vendor.MOORE_THREADS,
            "Moore Threads",
            "摩尔线程",
            ("1ed5",),
            devices={
                "0222": "MTT S3000",
                "0225": "MTT S3000E",
                "0301": "MTT S90",
                "0323": "MTT S4000",
                "0327": "MTT S4000",
                "0328": "MTT S4000",
            },
            smi_command="mthreads-gmi",
            pci_vendor_name="Moore Threads Technology Co.,Ltd",
        ),
        # Biren has no entry in pci.ids 2026.08.22; its vendor ID could not be verified, so
        # discovery cannot recognise it on the PCI bus until one is published.
        VendorInfo(Vendor.BIREN, "Biren", "壁仞", (), source="not in pci.ids 2026.08.22"),
        VendorInfo(
            Vendor.KUNLUNXIN,
            "Kunlunxin XPU",
            "昆仑芯",
            ("1d22",),  # listed under Baidu in pci.ids
            devices={"3684": "Kunlun AI Accelerator", "3685": "Kunlun2 AI Accelerator (VF)"},
            smi_command="xpu-smi",
            pci_vendor_name="Baidu Technology",
        ),
    )
}

_BY_PCI_VENDOR = {pci: info for info in VENDORS.values() for pci in info.pci_vendor_ids}


@dataclass(frozen=True)
class PciMatch:
    vendor: Vendor
    model: str  # "H100 SXM5 80GB", or "device 2342" for an ID the table does not know
    is_switch: bool = False


def classify_pci(vendor_id: str, device_id: str, class_code: str) -> PciMatch | None:
    """Name an accelerator (or NVSwitch) from PCI IDs, or None when it is neither."""
    info = _BY_PCI_VENDOR.get(vendor_id.lower())
    if info is None:
        return None
    device_id = device_id.lower()
    if device_id in info.switches:
        return PciMatch(info.vendor, info.switches[device_id], is_switch=True)
    if device_id in info.devices:
        return PciMatch(info.vendor, info.devices[device_id])
    if class_code[:2] in ACCELERATOR_PCI_CLASSES:
        return PciMatch(info.vendor, f"device {device_id}")
    return None


# ------------------------------------------------------------------------------ RDMA NICs

#: RDMA NIC vendors: PCI vendor ID -> (pci.ids vendor name, device ID -> model). From pci.ids
#: 2026.08.22 (shared/hwcaptures/pci-vendors.md). Class 02 devices of these vendors are RDMA
#: capable NICs; an unknown device ID of the vendor is still reported as theirs.
RDMA_NIC_VENDORS: dict[str, tuple[str, dict[str, str]]] = {
    "15b3": (
        "Mellanox Technologies",
        {
            "1017": "ConnectX-5",
            "1019": "ConnectX-5 Ex",
            "101b": "ConnectX-6",
            "101c": "ConnectX-6 Virtual Function",
            "101d": "ConnectX-6 Dx",
            "101e": "ConnectX mlx5Gen Virtual Function",
            "101f": "ConnectX-6 Lx",
            "1021": "ConnectX-7",
            "1023": "ConnectX-8",
            "a2d6": "BlueField-2 integrated ConnectX-6 Dx",
            "a2dc": "BlueField-3 integrated ConnectX-7",
            "a2d9": "BlueField-3 Lx integrated ConnectX-7",
        },
    ),
}

#: PCI class codes (first two hex digits) of network controllers (02: Ethernet 0200,
#: InfiniBand 0207, other 0280).
NETWORK_PCI_CLASS = "02"


def classify_rdma_nic(vendor_id: str, device_id: str, class_code: str) -> str | None:
    """The model of an RDMA NIC (ConnectX, BlueField), or None when the device is not one."""
    entry = RDMA_NIC_VENDORS.get(vendor_id.lower())
    if entry is None or not class_code.startswith(NETWORK_PCI_CLASS):
        return None
    device_id = device_id.lower()
    return entry[1].get(device_id, f"device {device_id}")


def pci_vendor_id_for_name(name: str) -> str | None:
    """The PCI vendor ID of a vendor name as plain `lspci` prints it (accelerator and RDMA NIC vendors)."""
    for info in VENDORS.values():
        if info.pci_vendor_name and info.pci_vendor_ids and name.startswith(info.pci_vendor_name):
            return info.pci_vendor_ids[0]
    for vendor_id, (vendor_name, _) in RDMA_NIC_VENDORS.items():
        if name.startswith(vendor_name):
            return vendor_id
    return None
