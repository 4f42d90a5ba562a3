"""Release BOMs: real, pinned, never floating; and the plan computed from them."""

from __future__ import annotations

import copy
import re

import pytest
from pydantic import ValidationError

from installer.plan import build_plan
from installer.release import FLOATING_TAGS, RELEASES_DIR, Release, available_releases, load_release
from installer.site import load_site
from installer.site.model import Site
from tests.sitedata import BASE_SITE, ROOT, TEST_RELEASE

RELEASE_FILES = sorted(RELEASES_DIR.glob("*.yaml"))


@pytest.mark.parametrize("version", available_releases())
def test_every_shipped_release_loads(version):
    release = load_release(version)
    assert release.version == version
    assert release.components


def test_there_is_a_full_release_and_a_lab_release():
    full = load_release("2026.11")
    assert full.kubernetes_version.startswith("1.36.") or full.kubernetes_version.startswith("1.37.")
    assert full.components["containerd"].version.startswith("2.")
    assert full.components["nvidia-driver"].version.startswith("580.")
    assert {"infiniband", "roce"} <= set(full.fabrics)
    lab = load_release("lab-2026.11")
    assert lab.phases == ["preflight", "bundle", "os", "runtime"]


def test_every_component_names_its_source():
    for version in available_releases():
        for name, component in load_release(version).components.items():
            assert len(component.source) > 10, f"{version}: {name} has no source"


@pytest.mark.parametrize("path", RELEASE_FILES, ids=lambda p: p.stem)
def test_no_floating_tag_anywhere_in_a_release_file(path):
    """Scans the text too, so a floating tag in a comment-free corner cannot slip through."""
    text = path.read_text()
    for tag in FLOATING_TAGS:
        assert not re.search(rf"\btag:\s*['\"]?{tag}['\"]?\s*[,}}\n]", text), f"{path.name}: tag {tag}"
        assert not re.search(rf"[a-z0-9/]:{tag}\b(?!-)", text.split("\n#")[0]), f"{path.name}: :{tag} reference"


@pytest.mark.parametrize("tag", ["latest", "master", "LATEST", "stable"])
def test_model_refuses_floating_tags(tag):
    data = copy.deepcopy(TEST_RELEASE)
    data["components"]["containerd"]["images"] = [
        {"image": "registry.k8s.io/pause", "tag": tag, "digest": "sha256:" + "a" * 64}
    ]
    with pytest.raises(ValidationError, match="floating tag"):
        Release.model_validate(data)


def test_model_refuses_floating_version_and_unpinned_ref():
    data = copy.deepcopy(TEST_RELEASE)
    data["components"]["containerd"]["version"] = "latest"
    with pytest.raises(ValidationError, match="floating tag"):
        Release.model_validate(data)
    data = copy.deepcopy(TEST_RELEASE)
    unpinned = {"kind": "image", "ref": "docker.io/x/y:latest", "missing": "digest"}
    data["components"]["containerd"]["unpinned"] = [unpinned]
    with pytest.raises(ValidationError, match="floating tag"):
        Release.model_validate(data)


@pytest.mark.parametrize(
    ("field", "value"),
    [("digest", "sha256:abc"), ("digest", "md5:" + "a" * 64), ("tag", "")],
)
def test_model_requires_a_real_digest(field, value):
    image = {"image": "registry.k8s.io/pause", "tag": "3.10", "digest": "sha256:" + "a" * 64, field: value}
    data = copy.deepcopy(TEST_RELEASE)
    data["components"]["containerd"]["images"] = [image]
    with pytest.raises(ValidationError):
        Release.model_validate(data)


def test_binaries_need_https_and_sha256():
    data = copy.deepcopy(TEST_RELEASE)
    data["components"]["containerd"]["binaries"] = [{"name": "x", "url": "http://example/x", "sha256": "0" * 64}]
    with pytest.raises(ValidationError):
        Release.model_validate(data)


def test_full_release_lists_what_is_not_pinned_yet():
    release = load_release("2026.11")
    for _, item in release.unpinned:
        assert item.missing in ("sha256", "digest", "version")
    kinds = {item.kind for _, item in release.unpinned}
    assert kinds <= {"binary", "image", "package"}


def test_full_release_images_all_have_digests():
    for component in load_release("2026.11").components.values():
        for image in component.images:
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", image.digest)
            assert image.ref.endswith(image.digest)


def test_plan_for_ib_cluster_picks_components_by_the_sites_choices():
    loaded = load_site(ROOT / "inventory-examples" / "ib-8node-ha.yaml")
    plan = build_plan(loaded.site, loaded.release)
    names = {p.phase: {c.name for c in p.components} for p in plan.phases}
    assert "cilium" in names["kubernetes"] and "calico" not in names["kubernetes"]
    assert "nfs-subdir-external-provisioner" in names["platform"]
    assert "local-path-provisioner" not in names["platform"]
    assert plan.phase("fabric").hosts == [f"gpu0{i}" for i in range(1, 9)]
    assert plan.phase("accelerators").hosts == plan.phase("fabric").hosts
    assert plan.phase("platform").hosts == ["cp01", "cp02", "cp03"]
    assert [p.phase for p in plan.phases if not p.runs] == ["validate"]
    assert plan.phase("validate").skip_reason == "release 2026.11 has no validate components"


def test_plan_drops_components_the_site_turned_off(test_release):
    data = copy.deepcopy(BASE_SITE)
    data["nodes"][2]["accelerators"] = {"vendor": "nvidia", "count": 8}
    site = Site.model_validate(data)
    plan = build_plan(site, test_release)
    assert [c.name for c in plan.phase("accelerators").components] == ["nvidia-driver"]
    assert plan.phase("accelerators").hosts == ["n2"]
    assert plan.phase("platform").skip_reason == "release test-1 has no platform components"


def test_plan_skips_accelerator_phase_without_accelerators(test_release):
    plan = build_plan(Site.model_validate(BASE_SITE), test_release)
    assert plan.phase("accelerators").skip_reason == "no node has accelerators"
    assert plan.phase("validate").skip_reason == "no node has accelerators to validate"
    assert plan.phase("runtime").hosts == ["n1", "n2"]
