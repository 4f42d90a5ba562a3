"""Preflight checks: each passes on a healthy host and fails (or warns) on the broken case."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

from installer.discovery.facts import PciDevices, classify_devices
from installer.discovery.model import (
    CpuInfo,
    Discovery,
    HostError,
    KernelInfo,
    ListeningPort,
    MemoryInfo,
    Nic,
    NodeFacts,
    OsInfo,
    RdmaDevice,
    RdmaPort,
    TimeSync,
)
from installer.preflight import CHECKS, run_checks
from installer.site.model import Site
from tests.sitedata import BASE_SITE

DATA = Path(__file__).resolve().parents[1] / "data"
GIB = 1024**3


def make_site(**node_changes) -> Site:
    data = copy.deepcopy(BASE_SITE)
    for name, changes in node_changes.items():
        node = next(n for n in data["nodes"] if n["name"] == name)
        node.update(changes)
    return Site.model_validate(data)


def healthy(name: str, number: int) -> NodeFacts:
    return NodeFacts(
        host=name,
        address=f"10.0.0.{10 + number}",
        hostname=name,
        os=OsInfo("debian", "12", "Debian GNU/Linux 12 (bookworm)"),
        kernel=KernelInfo("6.1.0-27-amd64", "x86_64"),
        cpu=CpuInfo("Xeon", 2, 64, 128),
        memory=MemoryInfo(512 * GIB, 500 * GIB),
        var_free_bytes=500 * GIB,
        nics=(Nic("eth0", mac=f"52:54:00:00:00:{number:02x}", state="up", carrier=True, mtu=1500, speed_mbps=25000),),
        time=TimeSync(0.01, 0.01, True, ("chrony",)),
        listening=(ListeningPort(22, "0.0.0.0"),),
    )


def discovery(site: Site, **overrides: NodeFacts | HostError) -> Discovery:
    facts = {n.name: healthy(n.name, i) for i, n in enumerate(site.nodes)}
    errors = {}
    for name, value in overrides.items():
        if isinstance(value, HostError):
            errors[name] = value
            facts.pop(name)
        else:
            facts[name] = value
    return Discovery(site.metadata.name, "r1", "/tmp/r1", "2026-11-22T00:00:00+00:00", 1.0, facts, errors)


def findings(check: str, site: Site, disc: Discovery, host: str | None = None):
    return [f for f in CHECKS[check](site, disc) if host is None or f.host == host]


def severities(check: str, site: Site, disc: Discovery, host: str) -> set[str]:
    return {f.severity for f in findings(check, site, disc, host)}


def test_healthy_site_passes_every_check():
    site = make_site()
    result = run_checks(site, discovery(site))
    assert result and {f.severity for f in result} == {"pass"}
    assert {f.check for f in result} >= {"reachable", "os_supported", "memory", "ports_free", "clock", "swap"}


def test_preflight_fails_when_a_node_promised_8_gpus_has_none():
    site = make_site(n1={"accelerators": {"vendor": "nvidia", "model": "H100 SXM5 80GB", "count": 8}})
    (finding,) = findings("accelerators", site, discovery(site), "n1")
    assert finding.severity == "fail"
    assert "node promised 8 NVIDIA H100 SXM5 80GB, 0 found on the PCI bus" in finding.found
    assert "lspci" in finding.remedy


def test_preflight_passes_when_the_hgx_capture_has_the_promised_h100s():
    site = make_site(n1={"accelerators": {"vendor": "nvidia", "model": "H100 SXM5 80GB", "count": 8}})
    hgx = classify_devices(PciDevices().process((DATA / "gpud/lspci-vvv.hgx-h100-8gpu.txt").read_text().splitlines()))
    disc = discovery(site, n1=replace(healthy("n1", 1), accelerators=hgx.accelerators))
    assert severities("accelerators", site, disc, "n1") == {"pass"}


def test_preflight_fails_on_fewer_gpus_another_model_or_another_vendor():
    hgx = classify_devices(PciDevices().process((DATA / "gpud/lspci-vvv.hgx-h100-8gpu.txt").read_text().splitlines()))
    seven = replace(healthy("n1", 1), accelerators=hgx.accelerators[:7])
    site = make_site(n1={"accelerators": {"vendor": "nvidia", "count": 8}})
    (few,) = findings("accelerators", site, discovery(site, n1=seven), "n1")
    assert few.severity == "fail" and "7 found" in few.found
    site = make_site(n1={"accelerators": {"vendor": "nvidia", "model": "H200 SXM 141GB", "count": 8}})
    (model,) = findings("accelerators", site, discovery(site, n1=replace(seven, accelerators=hgx.accelerators)), "n1")
    assert model.severity == "fail" and "another model: H100 SXM5 80GB" in model.found
    site = make_site(n1={"accelerators": {"vendor": "huawei-ascend", "count": 8}})
    (vendor,) = findings("accelerators", site, discovery(site, n1=replace(seven, accelerators=hgx.accelerators)), "n1")
    assert vendor.severity == "fail" and "found instead: NVIDIA H100 SXM5 80GB" in vendor.found


def test_accelerators_found_but_not_promised_warn():
    hgx = classify_devices(PciDevices().process((DATA / "gpud/lspci-nn.azure-nd-a100-v4.txt").read_text().splitlines()))
    site = make_site()
    disc = discovery(site, n2=replace(healthy("n2", 2), accelerators=hgx.accelerators))
    assert severities("accelerators", site, disc, "n2") == {"warn"}


def test_unreachable_host_fails_with_the_exact_ssh_error_and_others_still_checked():
    site = make_site()
    error = HostError("n2", "10.0.0.12", "unreachable", "SSH error (Error reading SSH protocol banner)")
    disc = discovery(site, n2=error)
    (finding,) = findings("reachable", site, disc, "n2")
    assert finding.severity == "fail" and "Error reading SSH protocol banner" in finding.found
    assert severities("memory", site, disc, "n1") == {"pass"}
    assert findings("memory", site, disc, "n2") == []


def test_auth_failure_says_which_key_to_install():
    site = make_site()
    disc = discovery(site, n1=HostError("n1", "10.0.0.11", "auth", "Authentication error (username=root)"))
    (finding,) = findings("reachable", site, disc, "n1")
    assert finding.severity == "fail" and "file:/tmp/key" in finding.remedy


def test_changed_host_key_fails_reachable():
    site = make_site()
    disc = discovery(site, n1=HostError("n1", "10.0.0.11", "host-key-changed", "host key of n1 CHANGED"))
    assert severities("reachable", site, disc, "n1") == {"fail"}


def test_unsupported_os_and_old_kernel_fail():
    site = make_site()
    focal = replace(healthy("n1", 1), os=OsInfo("ubuntu", "20.04", "Ubuntu 20.04.6 LTS"))
    (finding,) = findings("os_supported", site, discovery(site, n1=focal), "n1")
    assert finding.severity == "fail" and "supports debian-12" in finding.found
    old = replace(healthy("n1", 1), kernel=KernelInfo("4.19.0-26-amd64", "x86_64"))
    assert severities("os_supported", site, discovery(site, n1=old), "n1") == {"fail"}


def test_too_little_memory_for_a_control_plane_fails():
    site = make_site()
    small = replace(healthy("n1", 1), memory=MemoryInfo(4 * GIB))
    (finding,) = findings("memory", site, discovery(site, n1=small), "n1")
    assert finding.severity == "fail" and "needs at least 8.0 GiB" in finding.found
    assert severities(
        "memory", site, discovery(site, n2=replace(healthy("n2", 2), memory=MemoryInfo(4 * GIB))), "n2"
    ) == {"pass"}


def test_control_plane_with_one_cpu_fails():
    site = make_site()
    one = replace(healthy("n1", 1), cpu=CpuInfo("Xeon", 1, 1, 1))
    assert severities("cpu", site, discovery(site, n1=one), "n1") == {"fail"}


def test_var_disk_fails_below_minimum_and_warns_below_comfort():
    site = make_site()
    assert severities(
        "var_disk", site, discovery(site, n1=replace(healthy("n1", 1), var_free_bytes=5 * GIB)), "n1"
    ) == {"fail"}
    assert severities(
        "var_disk", site, discovery(site, n1=replace(healthy("n1", 1), var_free_bytes=30 * GIB)), "n1"
    ) == {"warn"}
    deploy = replace(healthy("deploy", 0), var_free_bytes=30 * GIB)
    assert severities("var_disk", site, discovery(site, deploy=deploy), "deploy") == {"fail"}


def test_swap_on_only_warns():
    site = make_site()
    swapping = replace(healthy("n1", 1), memory=MemoryInfo(512 * GIB, 0, 8 * GIB, 8 * GIB))
    assert severities("swap", site, discovery(site, n1=swapping), "n1") == {"warn"}


def test_selinux_enforcing_warns():
    from installer.discovery.model import SecurityModules

    site = make_site()
    enforcing = replace(healthy("n1", 1), security=SecurityModules("enforcing", False))
    assert severities("security_modules", site, discovery(site, n1=enforcing), "n1") == {"warn"}


def fabric_site(nic_mtu: int = 4092, state: str = "up", name: str = "ibp12s0", rdma_state: str = "ACTIVE"):
    data = copy.deepcopy(BASE_SITE)
    data["release"] = "2026.11"
    data["fabric"] = {"type": "infiniband", "rails": [{"index": 0, "cidr": "10.10.0.0/24"}]}
    data["nodes"][1]["fabricNics"] = [{"name": "ibp12s0", "rail": 0, "address": "10.10.0.11/24"}]
    site = Site.model_validate(data)
    nic = Nic(name, mac="00:00:10:29:fe:80", state=state, mtu=nic_mtu, speed_mbps=400000)
    rdma = (RdmaDevice("mlx5_0", "MT4129", ports=(RdmaPort(1, rdma_state, "LinkUp", "InfiniBand", 400.0),)),)
    facts = replace(healthy("n1", 1), nics=(*healthy("n1", 1).nics, nic), rdma=rdma)
    return site, discovery(site, n1=facts)


def test_fabric_nic_present_and_up_passes():
    site, disc = fabric_site()
    assert severities("fabric_nics", site, disc, "n1") == {"pass"}
    assert severities("fabric_mtu", site, disc, "n1") == {"pass"}


def test_fabric_nic_missing_fails_naming_the_nics_the_node_has():
    site, disc = fabric_site(name="ibp13s0")
    result = findings("fabric_nics", site, disc, "n1")
    assert result[0].severity == "fail" and "ibp12s0 (rail 0) not found" in result[0].found
    assert "ibp13s0" in result[0].found


def test_fabric_nic_link_down_fails():
    site, disc = fabric_site(state="down")
    assert findings("fabric_nics", site, disc, "n1")[0].severity == "fail"


def test_rdma_port_not_active_warns():
    site, disc = fabric_site(rdma_state="DOWN")
    assert "warn" in severities("fabric_nics", site, disc, "n1")


def test_fabric_mtu_lower_than_needed_fails():
    site, disc = fabric_site(nic_mtu=2044)
    (finding,) = findings("fabric_mtu", site, disc, "n1")
    assert finding.severity == "fail" and "MTU 2044, the infiniband fabric needs 4092" in finding.found


def test_duplicate_hostnames_fail_on_both_and_a_different_name_warns():
    site = make_site()
    disc = discovery(site, n2=replace(healthy("n2", 2), hostname="n1"))
    assert severities("unique_hostnames", site, disc, "n1") == {"fail"}
    assert severities("unique_hostnames", site, disc, "n2") == {"fail"}
    disc = discovery(site, n2=replace(healthy("n2", 2), hostname="localhost"))
    assert severities("unique_hostnames", site, disc, "n2") == {"warn"}


def test_duplicate_macs_fail():
    site = make_site()
    clone = replace(healthy("n2", 2), nics=healthy("n1", 1).nics)
    (finding,) = findings("unique_macs", site, discovery(site, n2=clone), "n2")
    assert finding.severity == "fail" and "52:54:00:00:00:01 (also on n1)" in finding.found


def test_clock_skew_over_the_bound_fails_and_no_time_service_warns():
    site = make_site()
    skewed = replace(healthy("n1", 1), time=TimeSync(-95.0, 0.05, False, ("chrony",)))
    (finding,) = findings("clock", site, discovery(site, n1=skewed), "n1")
    assert finding.severity == "fail" and "-95.0 s" in finding.found
    no_ntp = replace(healthy("n1", 1), time=TimeSync(0.05, 0.01, None, ()))
    assert severities("clock", site, discovery(site, n1=no_ntp), "n1") == {"warn"}


def test_clock_measured_under_load_fails_only_beyond_the_measurement_error():
    site = make_site()
    slow = replace(healthy("n1", 1), time=TimeSync(-1.4, 0.5, True, ("chrony",)))  # could be -0.9: within bound
    assert severities("clock", site, discovery(site, n1=slow), "n1") == {"pass"}
    sure = replace(healthy("n1", 1), time=TimeSync(-1.6, 0.5, True, ("chrony",)))
    assert severities("clock", site, discovery(site, n1=sure), "n1") == {"fail"}


def test_kubernetes_ports_in_use_fail_and_only_count_for_kubernetes_nodes():
    site = make_site()
    busy = (ListeningPort(6443, "0.0.0.0"), ListeningPort(2379, "127.0.0.1"))
    (finding,) = findings("ports_free", site, discovery(site, n1=replace(healthy("n1", 1), listening=busy)), "n1")
    assert finding.severity == "fail" and "6443 (kube-apiserver)" in finding.found and "2379 (etcd)" in finding.found
    worker = replace(healthy("n2", 2), listening=busy)  # a worker does not need 6443 or 2379
    assert severities("ports_free", site, discovery(site, n2=worker), "n2") == {"pass"}
    assert findings("ports_free", site, discovery(site, deploy=replace(healthy("deploy", 0), listening=busy))) != []


def test_a_fact_that_could_not_be_read_warns():
    site = make_site()
    broken = replace(healthy("n1", 1), problems={"pci": "could not read the output"})
    assert severities("discovery_complete", site, discovery(site, n1=broken), "n1") == {"warn"}


def test_every_check_is_registered_under_its_function_name():
    assert all(function.__name__ == name for name, function in CHECKS.items())
    assert len(CHECKS) >= 14
