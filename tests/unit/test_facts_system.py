"""System facts: OS, CPU, memory, disks, NICs, ports, clock, security, on captured outputs."""

from __future__ import annotations

from pathlib import Path

from installer.discovery.facts import (
    BlockDevices,
    Clock,
    Cpu,
    ListeningTcpPorts,
    Meminfo,
    NetworkInterfaces,
    OsRelease,
    Security,
    UnameFact,
    VarFree,
)

DATA = Path(__file__).resolve().parents[1] / "data"

DEBIAN_OS_RELEASE = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
ID=debian""".splitlines()


def test_os_release_gives_the_release_family_name():
    info = OsRelease().process(DEBIAN_OS_RELEASE)
    assert info.family == "debian-12"
    assert info.pretty_name == "Debian GNU/Linux 12 (bookworm)"
    assert OsRelease().process(["ID=ubuntu", 'VERSION_ID="22.04"']).family == "ubuntu-22.04"
    assert OsRelease().process(["garbage"]).family == ""


def test_uname_splits_hostname_kernel_and_machine():
    uname = UnameFact().process(["gpu-01 6.1.0-27-amd64 x86_64"])
    assert (uname.hostname, uname.kernel.release, uname.kernel.machine) == ("gpu-01", "6.1.0-27-amd64", "x86_64")
    assert UnameFact().process(["gpu-01"]).hostname == "gpu-01"


def test_cpu_counts_sockets_cores_threads_on_a_lab_host():
    cpu = Cpu().process((DATA / "aicloud-lab/cpuinfo.debian12-podman.txt").read_text().splitlines())
    assert cpu.threads >= 1 and cpu.sockets == 1 and cpu.model


def test_cpu_two_sockets_with_hyperthreads():
    output = []
    for n, (phys, core) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)] * 2):
        output += [f"processor\t: {n}", "model name\t: Intel(R) Xeon(R) Platinum 8480+", f"physical id\t: {phys}",
                   f"core id\t\t: {core}"]  # fmt: skip
    cpu = Cpu().process(output)
    assert (cpu.sockets, cpu.cores, cpu.threads) == (2, 4, 8)


def test_meminfo_reads_memory_and_swap_in_bytes():
    mem = Meminfo().process(
        ["MemTotal:       2113462272 kB", "MemAvailable:   2000000000 kB", "SwapTotal:  8388604 kB", "SwapFree: 1 kB"]
    )
    assert mem.total_bytes == 2113462272 * 1024
    assert mem.swap_total_bytes == 8388604 * 1024


def test_block_devices_size_rotational_and_mounted_through_a_partition():
    output = [
        "disk nvme0n1 7501476528 0",
        "part nvme0n1 nvme0n1p1",
        "part nvme0n1 nvme0n1p2",
        "disk sda 3907029168 1",
        "disk loop0 0 0",
        "mounts",
        "/dev/nvme0n1p2 / ext4 rw,relatime 0 0",
        "/dev/nvme0n1p1 /boot/efi vfat rw 0 0",
        "proc /proc proc rw 0 0",
    ]
    disks = {d.name: d for d in BlockDevices().process(output)}
    assert set(disks) == {"nvme0n1", "sda"}
    assert disks["nvme0n1"].size_bytes == 7501476528 * 512 and not disks["nvme0n1"].rotational
    assert disks["nvme0n1"].mount_points == ("/", "/boot/efi")
    assert disks["sda"].rotational and not disks["sda"].mounted


def test_var_free_from_df():
    output = [
        "Filesystem     1024-blocks      Used Available Capacity Mounted on",
        "/dev/vda 263174212 1000 82535040 2% /",
    ]
    assert VarFree().process(output) == 82535040 * 1024
    assert VarFree().process(["df: /var: No such file or directory"]) is None


def test_nics_on_a_lab_host_and_a_nic_with_no_speed():
    nics = {n.name: n for n in NetworkInterfaces().process(
        (DATA / "aicloud-lab/sys-class-net.debian12-podman.txt").read_text().splitlines())}  # fmt: skip
    assert nics["eth0"].link_up and nics["eth0"].speed_mbps == 10000 and nics["eth0"].mtu == 1500
    assert nics["lo"].speed_mbps is None  # the kernel refuses to say: no speed, no crash


def test_nic_with_link_down_and_speed_minus_one_on_a_pci_connectx():
    output = ["iface ens1f0np0", "mac b8:3f:d2:11:22:33", "mtu 9000", "operstate down", "carrier 0", "speed -1",
              "pci 0000:1a:00.0", "numa 1", "driver mlx5_core"]  # fmt: skip
    (nic,) = NetworkInterfaces().process(output)
    assert (nic.speed_mbps, nic.link_up, nic.pci_address, nic.numa_node, nic.driver) == (
        None, False, "0000:1a:00.0", 1, "mlx5_core")  # fmt: skip


def test_nic_record_cut_short_is_kept_with_what_was_read():
    (nic,) = NetworkInterfaces().process(["iface ib0", "mac 00:00:10:29:fe:80", "mtu"])
    assert nic.name == "ib0" and nic.mtu == 0 and nic.speed_mbps is None


def test_listening_ports_from_proc_net_tcp_on_a_lab_host():
    ports = ListeningTcpPorts().process(
        (DATA / "aicloud-lab/proc-net-tcp.debian12-podman.txt").read_text().splitlines()
    )
    assert {(p.port, p.address) for p in ports} == {(22, "0.0.0.0"), (22, "::")}


def test_listening_ports_decode_loopback_and_skip_established():
    output = [
        "   0: 0100007F:0949 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0 0 1 1",  # 127.0.0.1:2377
        "   1: 0100007F:1A0A 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  0 0 1 1",  # established
    ]
    assert [(p.port, p.address) for p in ListeningTcpPorts().process(output)] == [(2377, "127.0.0.1")]


def test_clock_reads_epoch_sync_and_services():
    reading = Clock().process(["epoch 1763770000.250", "NTPSynchronized=yes", "service chrony active",
                               "service ntp inactive"])  # fmt: skip
    assert reading.epoch == 1763770000.25 and reading.synchronized is True and reading.services == ("chrony",)
    assert Clock().process(["epoch"]).epoch is None


def test_security_modules():
    assert Security().process(["selinux 1", "apparmor N"]).selinux == "enforcing"
    modules = Security().process(["selinux", "apparmor Y"])
    assert modules.selinux == "absent" and modules.apparmor
