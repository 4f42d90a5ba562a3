"""Every cross-field rule, each with a failing and a passing case."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from installer.errors import InvalidAnswerFile
from installer.release import Release
from installer.site import load_site_text
from installer.site.model import Site
from installer.site.rules import RULES, check_rules
from tests.sitedata import BASE_SITE, TEST_RELEASE, dump

GPU = {"vendor": "nvidia", "count": 8}


def _violations(data: dict, release: dict | None = None) -> dict[str, list]:
    site = Site.model_validate(data)
    found: dict[str, list] = {}
    for v in check_rules(site, Release.model_validate(release or TEST_RELEASE)):
        found.setdefault(v.code, []).append(v)
    return found


def _site(**changes) -> dict:
    data = copy.deepcopy(BASE_SITE)
    for key, value in changes.items():
        data[key] = value
    return data


def _fabric_site(kind: str = "infiniband") -> dict:
    data = _site(fabric={"type": kind, "rails": [{"index": 0, "cidr": "10.10.0.0/24"}]})
    data["nodes"][2]["accelerators"] = dict(GPU)
    data["nodes"][2]["fabricNics"] = [{"name": "ibp1s0", "rail": 0, "address": "10.10.0.12/24"}]
    return data


def test_base_site_breaks_no_rule():
    assert _violations(_site()) == {}


def test_fabric_site_breaks_no_rule():
    assert _violations(_fabric_site()) == {}


def test_duplicate_node_name():
    data = _site()
    data["nodes"][2]["name"] = "n1"
    (v,) = _violations(data)["duplicate_node_name"]
    assert v.loc == ("nodes", 2, "name") and "nodes[1]" in v.message


def test_duplicate_node_address():
    data = _site()
    data["nodes"][2]["address"] = "10.0.0.11"
    (v,) = _violations(data)["duplicate_node_address"]
    assert v.loc == ("nodes", 2, "address") and "(n1)" in v.message


def test_address_outside_management_cidr():
    data = _site()
    data["nodes"][1]["address"] = "10.9.0.11"
    assert _violations(data)["address_outside_management_cidr"][0].loc == ("nodes", 1, "address")


@pytest.mark.parametrize(
    ("network", "loc"),
    [
        ({"podCidr": "10.0.0.0/16"}, ("network", "podCidr")),
        ({"serviceCidr": "10.233.64.0/24"}, ("network", "serviceCidr")),
        ({"serviceCidr": "10.0.0.128/25"}, ("network", "serviceCidr")),
    ],
)
def test_overlapping_networks(network, loc):
    data = _site()
    data["network"].update(network)
    found = _violations(data)["overlapping_networks"]
    assert loc in [v.loc for v in found]


def test_rail_overlapping_pod_network():
    data = _fabric_site()
    data["fabric"]["rails"][0]["cidr"] = "10.233.64.0/24"
    data["nodes"][2]["fabricNics"][0]["address"] = "10.233.64.12/24"
    (v,) = _violations(data)["overlapping_networks"]
    assert v.loc == ("fabric", "rails", 0, "cidr") and "network.podCidr" in v.message


@pytest.mark.parametrize("count", [0, 2, 4])
def test_control_plane_count_must_be_odd(count):
    data = _site(network={"managementCidr": "10.0.0.0/24", "controlPlaneVip": "10.0.0.100"})
    data["nodes"] = (
        [{"name": "deploy", "address": "10.0.0.10", "roles": ["deploy"]}]
        + [{"name": f"cp{i}", "address": f"10.0.0.{20 + i}", "roles": ["control-plane"]} for i in range(count)]
        + [{"name": "w", "address": "10.0.0.50", "roles": ["worker"]}]
    )
    assert f"{count} nodes have role control-plane" in _violations(data)["control_plane_count"][0].message


def test_three_control_planes_with_vip_pass():
    data = _site(network={"managementCidr": "10.0.0.0/24", "controlPlaneVip": "10.0.0.100"})
    for node in data["nodes"]:
        node["roles"] = ["control-plane"]
    data["nodes"].append({"name": "d", "address": "10.0.0.9", "roles": ["deploy"]})
    assert _violations(data) == {}


def test_vip_required_with_several_control_planes():
    data = _site()
    for node in data["nodes"]:
        node["roles"] = ["control-plane"]
    data["nodes"].append({"name": "d", "address": "10.0.0.9", "roles": ["deploy"]})
    assert "vip_required" in _violations(data)


@pytest.mark.parametrize(
    ("vip", "code"),
    [("10.1.0.100", "vip_outside_cidr"), ("10.0.0.11", "vip_is_node"), ("10.0.0.255", "vip_reserved")],
)
def test_vip_must_be_free_and_inside(vip, code):
    data = _site(network={"managementCidr": "10.0.0.0/24", "controlPlaneVip": vip})
    assert _violations(data)[code][0].loc == ("network", "controlPlaneVip")


@pytest.mark.parametrize("deploy_count", [0, 2])
def test_exactly_one_deploy_node(deploy_count):
    data = _site()
    data["nodes"][0]["roles"] = ["worker"]
    for node in data["nodes"][1 : 1 + deploy_count]:
        node["roles"] = [*node["roles"], "deploy"]
    assert f"found {deploy_count}" in _violations(data)["deploy_node_count"][0].message


def test_fabric_nics_without_fabric():
    data = _site()
    data["nodes"][2]["fabricNics"] = [{"name": "ibp1s0", "rail": 0, "address": "10.10.0.12/24"}]
    assert _violations(data)["fabric_nics_without_fabric"][0].loc == ("nodes", 2, "fabricNics")


def test_rails_without_fabric():
    data = _site(fabric={"rails": [{"index": 0, "cidr": "10.10.0.0/24"}]})
    assert "rails_without_fabric" in _violations(data)


def test_fabric_needs_rails():
    data = _fabric_site()
    data["fabric"]["rails"] = []
    assert "rails_required" in _violations(data)


def test_accelerator_node_without_fabric_nics():
    data = _fabric_site()
    data["nodes"][1]["accelerators"] = dict(GPU)
    (v,) = _violations(data)["fabric_nics_required"]
    assert v.loc == ("nodes", 1) and "n1" in v.message


@pytest.mark.parametrize(
    ("nic", "code"),
    [
        ({"rail": 3}, "unknown_rail"),
        ({"address": "10.11.0.12/24"}, "nic_outside_rail"),
    ],
)
def test_fabric_nic_on_its_rail(nic, code):
    data = _fabric_site()
    data["nodes"][2]["fabricNics"][0].update(nic)
    assert _violations(data)[code][0].loc[:4] == ("nodes", 2, "fabricNics", 0)


def test_duplicate_nic_name_and_address():
    data = _fabric_site()
    data["nodes"][2]["fabricNics"].append({"name": "ibp1s0", "rail": 0, "address": "10.10.0.12/24"})
    found = _violations(data)
    assert "duplicate_nic" in found and "duplicate_nic_address" not in found
    data["nodes"][2]["fabricNics"][1]["name"] = "ibp2s0"
    assert "duplicate_nic_address" in _violations(data)


def test_duplicate_rail():
    data = _fabric_site()
    data["fabric"]["rails"].append({"index": 0, "cidr": "10.11.0.0/24"})
    assert _violations(data)["duplicate_rail"][0].loc == ("fabric", "rails", 1, "index")


def test_qos_only_for_roce():
    data = _fabric_site("infiniband")
    data["fabric"]["qos"] = {"pfcPriority": 3}
    assert "qos_not_roce" in _violations(data)
    data["fabric"]["type"] = "roce"
    assert _violations(data) == {}


def test_mtu_limits():
    data = _fabric_site("roce")
    data["fabric"]["mtu"] = 9500
    assert "mtu_too_large" in _violations(data)
    assert "mtu_without_fabric" in _violations(_site(fabric={"mtu": 9000}))


def test_release_must_ship_the_fabric_and_cni():
    release = copy.deepcopy(TEST_RELEASE)
    release["fabrics"] = ["infiniband"]
    release["cni"] = ["calico"]
    data = _fabric_site("roce")
    data["kubernetes"] = {"cni": "cilium"}
    found = _violations(data, release)
    assert "fabric_not_in_release" in found and "cni_not_in_release" in found


def test_kubernetes_version_must_be_the_release_one():
    assert "version_not_in_release" in _violations(_site(kubernetes={"version": "1.30.0"}))
    assert _violations(_site(kubernetes={"version": "v1.36.2"})) == {}
    release = copy.deepcopy(TEST_RELEASE)
    del release["components"]["kubernetes"]
    assert (
        "does not install Kubernetes"
        in _violations(_site(kubernetes={"version": "1.36.2"}), release)["version_not_in_release"][0].message
    )


def test_vendor_not_supported_by_release():
    data = _site()
    data["nodes"][2]["accelerators"] = {"vendor": "huawei-ascend", "count": 8}
    (v,) = _violations(data)["vendor_not_in_release"]
    assert v.loc == ("nodes", 2, "accelerators", "vendor") and "Huawei Ascend" in v.message


def test_nfs_settings():
    assert "nfs_required" in _violations(_site(storage={"type": "nfs"}))
    assert "nfs_unused" in _violations(_site(storage={"type": "none", "nfs": {"server": "s", "path": "/x"}}))
    assert _violations(_site(storage={"type": "nfs", "nfs": {"server": "s", "path": "/x"}})) == {}


def test_accelerators_on_a_node_without_kubernetes_role():
    data = _site()
    data["nodes"][0]["accelerators"] = dict(GPU)
    assert "accelerators_unused" in _violations(data)


RULE_CODES = {
    "unique_node_names": ["duplicate_node_name"],
    "unique_node_addresses": ["duplicate_node_address"],
    "node_addresses_in_management_cidr": ["address_outside_management_cidr"],
    "networks_do_not_overlap": ["overlapping_networks"],
    "control_plane_count": ["control_plane_count"],
    "control_plane_vip": ["vip_required", "vip_outside_cidr", "vip_is_node", "vip_reserved"],
    "exactly_one_deploy_node": ["deploy_node_count"],
    "fabric_nics_match_fabric": [
        "fabric_nics_without_fabric",
        "rails_without_fabric",
        "rails_required",
        "fabric_nics_required",
    ],
    "fabric_nics_on_their_rails": ["unknown_rail", "nic_outside_rail", "duplicate_nic", "duplicate_nic_address"],
    "rails_unique": ["duplicate_rail"],
    "fabric_settings_fit_type": ["qos_not_roce", "mtu_too_large", "mtu_without_fabric"],
    "release_supports_fabric_and_cni": ["fabric_not_in_release", "cni_not_in_release"],
    "kubernetes_version_in_release": ["version_not_in_release"],
    "vendors_supported_by_release": ["vendor_not_in_release"],
    "storage_settings_fit_type": ["nfs_required", "nfs_unused"],
    "kubernetes_needs_a_worker_capable_node": ["accelerators_unused"],
}


def test_every_rule_is_documented_and_tested_here():
    import inspect

    import installer.site.rules as rules_module

    tests_source = Path(__file__).read_text().split("RULE_CODES = {")[0]
    assert sorted(RULE_CODES) == sorted(check.__name__ for check in RULES)
    for check in RULES:
        assert check.__doc__, f"rule {check.__name__} needs a docstring (it is the reference text)"
        rule_source = inspect.getsource(getattr(rules_module, check.__name__))
        for code in RULE_CODES[check.__name__]:
            assert f'"{code}"' in rule_source, (check.__name__, code)
            assert f'"{code}"' in tests_source, f"no test triggers {code}"


def test_rule_errors_have_positions_in_the_file():
    data = copy.deepcopy(BASE_SITE)
    data["nodes"][2]["address"] = "10.0.0.11"
    data["nodes"][2]["name"] = "n1"
    with pytest.raises(InvalidAnswerFile) as excinfo:
        load_site_text(dump(data), "site.yaml")
    lines = [str(e) for e in excinfo.value.errors]
    assert lines == [
        "site.yaml:19:9: nodes[2].name: 'n1' is already the name of nodes[1]; node names must be unique",
        "site.yaml:20:12: nodes[2].address: '10.0.0.11' is already the address of nodes[1] (n1); addresses must "
        "be unique",
    ]
