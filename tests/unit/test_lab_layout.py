"""Pure parts of the lab: names, subnet allocation, addresses (no podman needed)."""

from ipaddress import IPv4Address, IPv4Network

import pytest

from installer.lab.layout import (
    InvalidLabName,
    allocate_subnet,
    check_name,
    host_names,
    parse_proc_net_route,
    plan_lab,
)

# /proc/net/route of this development machine (Debian 12 VM), 2026-11-22, plus a podman bridge.
PROC_NET_ROUTE = """\
Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
podman1\t000A590A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
"""


def test_plan_puts_deploy_first_then_numbered_nodes_on_fixed_addresses():
    spec = plan_lab("t1", 3, IPv4Network("10.89.12.0/24"))
    assert [h.name for h in spec.hosts] == ["t1-deploy", "t1-node1", "t1-node2", "t1-node3"]
    assert [h.address for h in spec.hosts] == [IPv4Address(f"10.89.12.{i}") for i in (10, 11, 12, 13)]
    assert spec.deploy.role == "deploy" and {h.role for h in spec.nodes} == {"node"}
    assert spec.network == "aicloud-lab-t1"
    assert [h.volume for h in spec.hosts][1] == "t1-node1-containerd"


def test_plan_is_the_same_every_time_so_a_restarted_host_keeps_its_address():
    assert plan_lab("a", 16, IPv4Network("10.89.20.0/24")) == plan_lab("a", 16, IPv4Network("10.89.20.0/24"))


def test_plan_refuses_zero_nodes_and_too_many():
    with pytest.raises(ValueError, match="between 1 and"):
        plan_lab("a", 0, IPv4Network("10.89.20.0/24"))
    with pytest.raises(ValueError):
        plan_lab("a", 250, IPv4Network("10.89.20.0/24"))


@pytest.mark.parametrize("name", ["lab", "t12345", "my-lab-2"])
def test_valid_lab_names(name):
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "Lab", "1lab", "lab-", "la_b", "a" * 41, "lab.x"])
def test_invalid_lab_names_are_refused_with_the_rule(name):
    with pytest.raises(InvalidLabName, match="lower-case letters"):
        check_name(name)


def test_host_names_are_dns_labels_even_for_the_longest_name():
    longest = host_names("a" * 40, 200)[-1] + "-containerd"
    assert len(longest) <= 63


def test_allocate_skips_podman_defaults_and_used_subnets():
    used = [IPv4Network("10.88.0.0/16"), IPv4Network("10.89.10.0/24"), IPv4Network("10.89.11.0/24")]
    assert allocate_subnet(used) == IPv4Network("10.89.12.0/24")


def test_allocate_avoids_a_wider_network_that_covers_the_pool_start():
    assert allocate_subnet([IPv4Network("10.89.0.0/20")]) == IPv4Network("10.89.16.0/24")


def test_allocate_fails_clearly_when_the_pool_is_full():
    with pytest.raises(LookupError, match="no free /24"):
        allocate_subnet([IPv4Network("10.89.0.0/16")])


def test_host_routes_are_parsed_and_the_default_route_is_left_out():
    nets = parse_proc_net_route(PROC_NET_ROUTE)
    assert nets == [IPv4Network("192.0.2.0/24"), IPv4Network("10.89.10.0/24")]
    assert allocate_subnet(nets) == IPv4Network("10.89.11.0/24")
