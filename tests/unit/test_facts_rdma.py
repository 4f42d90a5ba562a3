"""RDMA facts on real captures: /sys/class/infiniband, ibstat, ibstatus."""

from __future__ import annotations

from pathlib import Path

from installer.discovery.facts import Ibstat, Ibstatus, InfinibandSysfs

DATA = Path(__file__).resolve().parents[1] / "data"


def sysfs_output(tree: Path) -> list[str]:
    """What InfinibandSysfs' command prints for a /sys/class/infiniband tree: `path:content` per file."""
    out = []
    for device in sorted(p for p in tree.iterdir() if p.is_dir()):
        for name in ("hca_type", "fw_ver", "board_id"):
            if (device / name).is_file():
                out.append(f"{device.name}/{name}:{(device / name).read_text().strip()}")
        for port in sorted((device / "ports").iterdir()):
            for name in ("state", "phys_state", "rate", "link_layer"):
                if (port / name).is_file():
                    out.append(f"{device.name}/ports/{port.name}/{name}:{(port / name).read_text().strip()}")
    return out


def test_sysfs_tree_of_an_h100_node_reads_ndr_infiniband_and_the_bluefield_ethernet_port():
    devices = {d.name: d for d in InfinibandSysfs().process(sysfs_output(DATA / "gpud/sys-class-infiniband-h100"))}
    assert len(devices) == 9
    cx7 = devices["mlx5_0"]
    assert (cx7.hca_type, cx7.firmware) == ("MT4129", "28.41.1000")
    assert cx7.ports[0].state == "ACTIVE" and cx7.ports[0].physical_state == "LinkUp"
    assert (cx7.ports[0].link_layer, cx7.ports[0].rate_gbps) == ("InfiniBand", 400.0)
    bond = devices["mlx5_bond_0"]
    assert (bond.hca_type, bond.ports[0].link_layer, bond.ports[0].rate_gbps) == ("MT41692", "Ethernet", 200.0)


def test_sysfs_output_cut_short_keeps_what_was_read():
    lines = sysfs_output(DATA / "gpud/sys-class-infiniband-h100")
    devices = InfinibandSysfs().process([*lines[:5], "mlx5_1/ports/1/sta"])
    assert devices[0].name == "mlx5_0" and devices[0].ports[0].active


def test_ibstat_with_ports_down_says_which():
    devices = Ibstat().process((DATA / "gpud/ibstat.h100.some-down.txt").read_text().splitlines())
    down = [(d.name, p.state, p.physical_state) for d in devices for p in d.ports if not p.active]
    assert down, "the capture has ports down"
    assert all(state == "DOWN" for _, state, _ in down)
    assert {p.link_layer for d in devices for p in d.ports} == {"InfiniBand", "Ethernet"}


def test_ibstat_all_active_reads_twelve_cas_with_firmware():
    devices = Ibstat().process((DATA / "gpud/ibstat.h100.all-active.txt").read_text().splitlines())
    assert len(devices) == 12
    assert all(p.active for d in devices for p in d.ports)
    assert devices[0].firmware and devices[0].hca_type.startswith("MT41")


def test_ibstatus_reads_hdr_rate_and_state():
    devices = Ibstatus().process((DATA / "gpud/ibstatus.a100.all-active.txt").read_text().splitlines())
    assert len(devices) == 9
    port = devices[0].ports[0]
    assert (port.state, port.physical_state, port.rate_gbps, port.link_layer) == (
        "ACTIVE",
        "LinkUp",
        200.0,
        "InfiniBand",
    )


def test_no_rdma_devices_gives_an_empty_list():
    assert InfinibandSysfs().process([]) == []
    assert Ibstat().process(["ibwarn: [1234] umad_init: can't read ABI version"]) == []
