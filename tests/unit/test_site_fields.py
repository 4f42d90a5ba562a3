"""Field errors: each names file, line, column and field, all at once, with valid choices."""

from __future__ import annotations

import pytest

from installer.errors import InvalidAnswerFile
from installer.site import load_site_text
from tests.sitedata import dump, site_dict

VALID = """\
apiVersion: aicloud/v1alpha1
kind: Site
metadata:
  name: lab
release: lab-2026.11
ssh:
  privateKey: {file: /tmp/key}
nodes:
  - name: deploy
    address: 10.0.0.10
    roles: [deploy]
  - name: n1
    address: 10.0.0.11
    roles: [control-plane]
  - name: n2
    address: 10.0.0.300
    roles: [worker]
network:
  managementCidr: 10.0.0.0/24
"""


def _errors(text: str) -> list[str]:
    with pytest.raises(InvalidAnswerFile) as excinfo:
        load_site_text(text, "site.yaml")
    return [str(e) for e in excinfo.value.errors]


def test_bad_address_reads_like_the_issue_says():
    assert _errors(VALID) == ["site.yaml:16:14: nodes[2].address: '10.0.0.300' is not an IPv4 address"]


def test_valid_site_loads_with_defaults():
    loaded = load_site_text(VALID.replace("10.0.0.300", "10.0.0.12"))
    site = loaded.site
    assert site.storage.type == "local-path"
    assert str(site.network.pod_cidr) == "10.233.64.0/18"
    assert site.deploy_node.name == "deploy"


def test_all_errors_are_reported_at_once():
    text = VALID.replace("name: lab", "name: Lab_1").replace("[worker]", "[wrker]")
    errors = _errors(text)
    assert len(errors) == 3
    assert any("metadata.name: 'Lab_1' must be a DNS label" in e for e in errors)
    assert any("nodes[2].roles[0]: 'wrker' is not valid" in e and "did you mean 'worker'?" in e for e in errors)


def test_unknown_key_gets_did_you_mean_and_the_valid_keys():
    errors = _errors(
        VALID.replace("10.0.0.300", "10.0.0.12").replace("    address: 10.0.0.11", "    adress: 10.0.0.11")
    )
    assert "site.yaml:13:5: nodes[1].adress: unknown field 'adress'; did you mean 'address'?" in errors[1]
    assert "(valid: name, address, roles," in errors[1]
    assert errors[0] == "site.yaml:12:5: nodes[1].address: required field 'address' is missing"


def test_snake_case_key_suggests_the_camel_case_one():
    text = VALID.replace("10.0.0.300", "10.0.0.12").replace("managementCidr", "management_cidr")
    errors = _errors(text)
    assert any("unknown field 'management_cidr'; did you mean 'managementCidr'?" in e for e in errors)


def test_missing_section_is_named_at_the_top():
    text = VALID.replace("10.0.0.300", "10.0.0.12").split("network:")[0]
    assert _errors(text) == ["site.yaml:1:1: network: required field 'network' is missing"]


def test_number_where_text_is_needed_says_to_quote_it():
    errors = _errors(VALID.replace("10.0.0.300", "10.0.0.12").replace("release: lab-2026.11", "release: 2026.11"))
    assert errors == [
        "site.yaml:5:10: release: expected a string, got the number 2026.11 "
        "(YAML read it as a number: put it in quotes)"
    ]


def test_secret_reference_needs_exactly_one_source():
    errors = _errors(VALID.replace("10.0.0.300", "10.0.0.12").replace("{file: /tmp/key}", "{file: /k, env: K}"))
    assert errors == [
        "site.yaml:7:15: ssh.privateKey: give exactly one of 'env' or 'file', e.g. {env: AICLOUD_SSH_KEY}"
    ]


def test_secret_reference_refuses_inline_value():
    errors = _errors(VALID.replace("10.0.0.300", "10.0.0.12").replace("{file: /tmp/key}", "'-----BEGIN KEY'"))
    assert errors == ["site.yaml:7:15: ssh.privateKey: expected a mapping, got text '-----BEGIN KEY'"]


def test_unknown_release_lists_known_ones():
    errors = _errors(VALID.replace("10.0.0.300", "10.0.0.12").replace("lab-2026.11", "lab-1999.1"))
    assert errors[0].startswith("site.yaml:5:10: release: 'lab-1999.1' is not a known release (known: ")
    assert "lab-2026.11" in errors[0]


def test_network_with_host_bits_is_explained():
    errors = _errors(VALID.replace("10.0.0.300", "10.0.0.12").replace("10.0.0.0/24", "10.0.0.1/24"))
    assert any("'10.0.0.1/24' is not an IPv4 network in CIDR form" in e for e in errors)


def test_wrong_kind_and_api_version():
    text = VALID.replace("10.0.0.300", "10.0.0.12").replace("kind: Site", "kind: Cluster")
    text = text.replace("aicloud/v1alpha1", "aicloud/v2")
    errors = _errors(text)
    assert errors[0].startswith(
        "site.yaml:1:13: apiVersion: 'aicloud/v2' is not valid; choose one of 'aicloud/v1alpha1'"
    )
    assert errors[1].startswith("site.yaml:2:7: kind: 'Cluster' is not valid; choose one of 'Site'")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"taints": [{"key": "gpu", "effect": "NoSchedul"}]}, "did you mean 'NoSchedule'?"),
        ({"labels": {"Bad Key": "x"}}, "labels['Bad Key']"),
        ({"accelerators": {"vendor": "nvida", "count": 8}}, "did you mean 'nvidia'?"),
        ({"accelerators": {"vendor": "nvidia", "count": 0}}, "0 should be greater than or equal to 1"),
        ({"disks": [{"device": "sdb"}]}, "must be a device path under /dev"),
        ({"roles": ["worker", "worker"]}, "a role is listed twice"),
    ],
)
def test_node_field_errors(change, fragment):
    data = site_dict()
    data["nodes"][2].update(change)
    errors = _errors(dump(data))
    assert len(errors) == 1 and fragment in errors[0], errors
    assert errors[0].split(":")[3].strip().startswith("nodes[2]")
