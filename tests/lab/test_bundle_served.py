"""The offline bundle end to end on the lab: built from Debian's packages, verified, served from the
deploy host (nginx + docker-registry as systemd services), used by an air-gapped node.

The build reaches Debian's mirror from the controller (it is the build machine); everything after
that stays inside the lab: the playbook copies the bundle over SSH, nodes fetch from the deploy host.
The bundle is built once per session (cached in `lab_bundle`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from installer.bundle import BuildOptions, build, verify
from installer.release import load_release

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
RELEASE = "lab-2026.11"
IMAGE = "aicloud.local/lab/busybox:1.35.0-4-deb12u1-b1"


@pytest.fixture(scope="session")
def lab_bundle(lab_prerequisites: None, lab_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    for tool in ("apt-ftparchive", "skopeo", "rsync", "gpg"):
        if shutil.which(tool) is None:
            pytest.skip(f"the bundle build needs {tool} (Debian packages apt-utils, skopeo, rsync, gpg)")
    out = tmp_path_factory.mktemp("bundle") / RELEASE
    cache = Path(os.environ.get("AICLOUD_BUNDLE_TEST_CACHE") or lab_home / "bundle-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("AICLOUD_HOME", str(lab_home))
    try:
        result = build(load_release(RELEASE), BuildOptions(out=out, os_families=["debian-12"], cache=cache))
    finally:
        mp.undo()
    assert result.complete, [str(m) for m in result.manifest.missing]
    return out


def _inventory(lab, tmp: Path, bundle: Path, nodes: list[str]) -> Path:
    deploy = lab.up.spec.hosts[0]
    assert deploy.name.endswith("-deploy")
    ssh_args = f"-F {lab.up.paths.ssh_config}"
    inventory = {
        "all": {
            "vars": {
                "ansible_ssh_common_args": ssh_args,
                "ansible_python_interpreter": "/usr/bin/python3",
                "bundle_client_server": str(deploy.address),
                "bundle_dir": str(bundle),
            },
            "hosts": {h: None for h in [deploy.name, *nodes]},
            "children": {"deploy": {"hosts": {deploy.name: None}}},
        }
    }
    path = tmp / "inventory.json"
    path.write_text(json.dumps(inventory))
    return path


def _playbook(inventory: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ANSIBLE_ROLES_PATH": str(ROOT / "roles"),
        "ANSIBLE_PIPELINING": "1",
        "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=300s",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }
    return subprocess.run(
        [str(ROOT / ".venv/bin/ansible-playbook"), "-i", str(inventory), str(ROOT / "playbooks/bundle.yml"), *extra],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=ROOT,
    )


def _recap(output: str) -> dict[str, dict[str, int]]:
    recap = {}
    for host, counts in re.findall(r"^(\S+)\s+: (ok=.*)$", output, re.MULTILINE):
        recap[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
    return recap


def test_the_lab_bundle_is_built_from_debian_packages_and_verifies(lab_bundle):
    result = verify(lab_bundle)
    assert result.ok, [str(p) for p in result.problems]
    manifest = result.manifest
    names = {p.name for p in manifest.packages["debian-12"]}
    assert {"nginx", "docker-registry", "chrony", "containerd", "runc", "skopeo", "rsync"} <= names
    assert {"libc6", "libssl3"} <= names  # the closure, not just the pins
    (image,) = manifest.images
    assert image.ref_name == IMAGE and image.source == "local:busybox-static"


def test_a_tampered_bundle_is_refused_before_anything_reaches_the_deploy_host(lab, lab_bundle, tmp_path):
    bad = tmp_path / RELEASE
    shutil.copytree(lab_bundle, bad)
    deb = next((bad / "debian-12/pool/main").glob("chrony_*.deb"))
    data = bytearray(deb.read_bytes())
    data[len(data) // 2] ^= 0xFF
    deb.write_bytes(bytes(data))
    run = _playbook(_inventory(lab, tmp_path, bad, lab.hosts[1:2]))
    assert run.returncode != 0
    assert f"debian-12/pool/main/{deb.name}: sha256 differs" in run.stdout + run.stderr
    deploy = lab.hosts[0]
    assert lab.ssh(deploy, f"test -e /var/lib/aicloud/bundle/{RELEASE}", check=False).returncode != 0


def test_the_deploy_host_serves_the_bundle_and_an_air_gapped_node_installs_and_pulls(lab, lab_bundle, tmp_path):
    deploy, node = lab.hosts[0], lab.hosts[1]
    run = _playbook(_inventory(lab, tmp_path, lab_bundle, [node]))
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    for unit in ("nginx", "docker-registry"):
        assert lab.ssh(deploy, f"systemctl is-active {unit}").stdout.strip() == "active"
    assert "default" not in lab.ssh(node, "ip -4 route").stdout  # the node has no way out but the lab
    installed = lab.ssh(
        node,
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "
        "chrony containerd && dpkg-query -W -f '${Version}' chrony",
        timeout=300,
    )
    assert installed.stdout.strip().endswith("4.3-2+deb12u3")
    policy = lab.ssh(node, "apt-cache policy chrony").stdout
    assert f"http://{lab.up.spec.hosts[0].address}:8080/{RELEASE}/debian-12 aicloud/main" in policy
    pulled = lab.ssh(
        node,
        f"ctr images pull --hosts-dir /etc/containerd/certs.d {IMAGE} && "
        f"ctr run --rm {IMAGE} t1 /bin/echo served-by-the-bundle",
        timeout=120,
    )
    assert "served-by-the-bundle" in pulled.stdout
    digest = lab.ssh(node, f"ctr images ls name=={IMAGE} -q && ctr images ls | grep {IMAGE}").stdout
    assert "sha256:bf48b3d57680c3859d8aadbca13c7bff94b4ea358dce3ba99e29da19772054a8" in digest


def test_a_second_run_of_the_bundle_phase_changes_nothing(lab, lab_bundle, tmp_path):
    node = lab.hosts[1]
    first = _playbook(_inventory(lab, tmp_path, lab_bundle, [node]))
    assert first.returncode == 0, first.stdout[-3000:]
    again = _playbook(_inventory(lab, tmp_path, lab_bundle, [node]))
    assert again.returncode == 0, again.stdout[-3000:]
    recap = _recap(again.stdout)
    assert recap and all(counts["changed"] == 0 for counts in recap.values()), again.stdout[-3000:]
