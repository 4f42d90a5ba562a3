"""PCI discovery on real `lspci` captures: accelerators named by the engine's table, never the host's pci.ids."""

from __future__ import annotations

from pathlib import Path

from installer.discovery.facts import PciDevices, classify_devices, rdma_nic_model
from installer.vendors import Vendor

DATA = Path(__file__).resolve().parents[1] / "data"


def lines(path: str) -> list[str]:
    return (DATA / path).read_text().splitlines()


def test_hgx_h100_lspci_vvv_finds_eight_h100_four_nvswitches_with_numa_and_driver():
    devices = PciDevices().process(lines("gpud/lspci-vvv.hgx-h100-8gpu.txt"))
    found = classify_devices(devices)
    assert len(found.accelerators) == 8
    assert {a.model for a in found.accelerators} == {"H100 SXM5 80GB"}  # lspci itself said "Device 2330"
    assert {a.vendor for a in found.accelerators} == {Vendor.NVIDIA}
    assert found.accelerators[0].pci_address == "0000:19:00.0"
    assert {a.driver for a in found.accelerators} == {"nvidia"}
    assert sorted({a.numa_node for a in found.accelerators}) == [0, 1]
    assert [s.model for s in found.nvswitches] == ["H100 NVSwitch"] * 4
    assert {rdma_nic_model(n) for n in found.rdma_nics} == {"ConnectX-7", "ConnectX-6 Dx"}


def test_azure_a100_lspci_nn_reads_ids_and_counts_nvswitches_pci_ids_did_not_name():
    found = classify_devices(PciDevices().process(lines("gpud/lspci-nn.azure-nd-a100-v4.txt")))
    assert [a.model for a in found.accelerators] == ["A100 SXM4 80GB"] * 8
    assert [a.pci_address for a in found.accelerators][:2] == ["0001:00:00.0", "0002:00:00.0"]
    assert [s.model for s in found.nvswitches] == ["A100 NVSwitch"] * 6  # printed as "Device [10de:1af1]"
    assert sum(rdma_nic_model(n) == "ConnectX-6 Virtual Function" for n in found.rdma_nics) == 8


def test_unknown_device_of_a_known_rdma_vendor_is_still_theirs():
    found = classify_devices(PciDevices().process(lines("gpud/lspci-nn.azure-nd-a100-v4.txt")))
    assert "device 1016" in {rdma_nic_model(n) for n in found.rdma_nics}  # ConnectX-4 Lx VF, not in our table


def test_plain_lspci_gb200_names_vendor_by_name_and_model_by_device_id():
    found = classify_devices(PciDevices().process(lines("gpud/lspci.gb200-tray.txt")))
    assert [a.model for a in found.accelerators] == ["GB200"] * 4
    assert found.accelerators[0].pci_address == "0008:01:00.0"
    assert sum(rdma_nic_model(n) == "ConnectX-7" for n in found.rdma_nics) == 4


def test_truncated_lspci_keeps_every_complete_device_and_skips_the_broken_line():
    text = (DATA / "gpud/lspci-nn.azure-nd-a100-v4.txt").read_text()
    cut = text.index("000b:00:00.0") + 20  # stops in the middle of the 5th GPU's line
    devices = PciDevices().process(text[:cut].splitlines())
    found = classify_devices(devices)
    assert len(found.accelerators) == 4
    assert len(found.nvswitches) == 6
    assert all(d.address != "000b:00:00.0" for d in devices)


def test_truncated_lspci_vvv_in_the_middle_of_a_device_block_keeps_the_devices_before():
    text = (DATA / "gpud/lspci-vvv.hgx-h100-8gpu.txt").read_text()
    cut = text.index("Capabilities", text.index("3b:00.0 3D controller"))
    found = classify_devices(PciDevices().process(text[:cut].splitlines()))
    assert [a.pci_address for a in found.accelerators] == ["0000:19:00.0", "0000:3b:00.0"]


def test_unknown_device_of_a_known_accelerator_vendor_is_that_vendors_accelerator():
    output = [
        "0000:5a:00.0 Processing accelerators [1200]: Huawei Technologies Co., Ltd. Device [19e5:d8ff] (rev 20)",
        "0000:29:00.0 Processing accelerators [1200]: Huawei Technologies Co., Ltd. Device [19e5:d802] (rev 20)",
        "0000:01:00.0 Ethernet controller [0200]: Huawei Technologies Co., Ltd. Hi1822 Family [19e5:1822]",
        "0000:00:00.0 Host bridge [0600]: Chengdu Haiguang IC Design Co., Ltd. Root Complex [1d94:1450]",
    ]
    found = classify_devices(PciDevices().process(output))
    assert [(a.vendor, a.model) for a in found.accelerators] == [
        (Vendor.HUAWEI_ASCEND, "device d8ff"),
        (Vendor.HUAWEI_ASCEND, "Ascend 910B"),
    ]


def test_sysfs_fallback_on_a_lab_host_without_lspci_reads_ids_numa_and_driver():
    devices = PciDevices().process(lines("aicloud-lab/pci-sysfs.debian12-podman.txt"))
    assert devices, "the lab host has PCI devices"
    virtio = [d for d in devices if d.driver == "virtio-pci"]
    assert virtio and virtio[0].vendor_id == "1af4"
    assert all(d.numa_node is None for d in devices)  # sysfs says -1
    assert classify_devices(devices).accelerators == ()  # no GPU here, and none invented


def test_empty_or_garbage_output_gives_no_devices():
    assert PciDevices().process([]) == []
    assert PciDevices().process(["lspci: Unable to load libkmod resources: error -2", "\tNUMA node: 0"]) == []


def test_write_site_fills_accelerators_from_the_pci_bus_and_keeps_comments():
    from installer.discovery.draft import draft_site_text
    from installer.discovery.model import Discovery, NodeFacts

    found = classify_devices(PciDevices().process(lines("gpud/lspci-vvv.hgx-h100-8gpu.txt")))
    source = "# our site\nnodes:\n- name: gpu1  # rack 3\n  address: 10.0.0.11\n- name: cpu1\n  address: 10.0.0.12\n"
    facts = {"gpu1": NodeFacts("gpu1", "10.0.0.11", accelerators=found.accelerators), "cpu1": NodeFacts("cpu1", "x")}
    text, changes = draft_site_text(source, Discovery("s", "r", "/tmp", "", 0.0, facts))
    assert "# our site" in text and "# rack 3" in text
    assert "vendor: nvidia" in text and "model: H100 SXM5 80GB" in text and "count: 8" in text
    assert changes == ["gpu1: accelerators 8 x nvidia H100 SXM5 80GB"]


def test_both_faces_fill_a_mixed_node_s_accelerators_by_the_same_rule():
    """A node with one odd card first on the bus: the CLI's --write-site and the wizard agree."""
    from installer.discovery.draft import accelerators_answer, draft_site_text
    from installer.discovery.model import Accelerator, Discovery, NodeFacts
    from installer.vendors import Vendor
    from tui.engine import host_facts

    odd = Accelerator(Vendor.NVIDIA, "L40S", "0000:17:00.0")
    h100 = [Accelerator(Vendor.NVIDIA, "H100 SXM5 80GB", f"0000:{n:02x}:00.0") for n in range(0x18, 0x1C)]
    ascend = [Accelerator(Vendor.HUAWEI_ASCEND, "Ascend 910B", f"0000:{n:02x}:00.0") for n in range(0x40, 0x42)]
    facts = NodeFacts("gpu1", "10.0.0.11", accelerators=[odd, *h100, *ascend])
    assert accelerators_answer(facts) == ("nvidia", "H100 SXM5 80GB", 4)
    _text, changes = draft_site_text("nodes:\n- name: gpu1\n", Discovery("s", "r", "/tmp", "", 0.0, {"gpu1": facts}))
    assert changes == ["gpu1: accelerators 4 x nvidia H100 SXM5 80GB"]
    assert host_facts("gpu1", facts).accelerators == ("nvidia", "H100 SXM5 80GB", 4)
