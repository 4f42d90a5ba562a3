"""Generated files stay in sync with the model, and every example answer file is valid."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from installer.reference import SCHEMA_FILE, answer_file_reference, site_schema, site_schema_text
from installer.site import Role, load_site, load_site_text
from installer.starter import starter_text
from tests.sitedata import ROOT

EXAMPLES = sorted((ROOT / "inventory-examples").glob("*.yaml"))


def test_committed_schema_is_the_generated_one():
    assert SCHEMA_FILE.read_text() == site_schema_text(), "run `make schema` and commit schema/site.schema.json"


def test_committed_reference_is_the_generated_one():
    assert (ROOT / "docs" / "answer-file.md").read_text() == answer_file_reference(), (
        "run `make schema` and commit docs/answer-file.md"
    )


def test_reference_documents_every_field_and_rule():
    text = answer_file_reference()
    for field in ("managementCidr", "controlPlaneVip", "fabricNics", "pfcPriority", "privateKey", "adminPassword"):
        assert f"`{field}`" in text
    assert "`networks_do_not_overlap`" in text and "`exactly_one_deploy_node`" in text


def test_there_are_the_four_promised_examples():
    names = {p.stem for p in EXAMPLES}
    assert {"lab", "single-gpu", "roce-4node", "ib-8node-ha"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_is_valid_and_has_a_schema_modeline(path):
    loaded = load_site(path)
    first_line = path.read_text().splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../schema/site.schema.json"
    jsonschema.Draft202012Validator(site_schema()).validate(yaml.safe_load(path.read_text()))
    assert loaded.site.metadata.name


def test_examples_cover_what_they_promise():
    sites = {p.stem: load_site(p).site for p in EXAMPLES}
    assert sites["lab"].accelerator_nodes == [] and len(sites["lab"].nodes) == 4
    assert len(sites["single-gpu"].nodes) == 1 and sites["single-gpu"].nodes[0].accelerators.count == 8
    assert sites["roce-4node"].fabric.type == "roce" and len(sites["roce-4node"].accelerator_nodes) == 4
    ib = sites["ib-8node-ha"]
    assert ib.fabric.type == "infiniband" and len(ib.accelerator_nodes) == 8
    assert len(ib.nodes_with(Role.CONTROL_PLANE)) == 3 and ib.network.control_plane_vip is not None


def test_schema_rejects_what_the_model_rejects():
    data = yaml.safe_load((ROOT / "inventory-examples" / "lab.yaml").read_text())
    data["nodes"][0]["adress"] = data["nodes"][0].pop("address")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(site_schema()).validate(data)


def test_starter_file_is_valid_and_points_editors_at_the_schema():
    text = starter_text()
    assert text.splitlines()[0] == f"# yaml-language-server: $schema={SCHEMA_FILE}"
    loaded = load_site_text(text, "site.yaml")
    assert loaded.site.release == loaded.release.version
    assert json.loads(SCHEMA_FILE.read_text())["$id"].startswith("urn:aicloud")
