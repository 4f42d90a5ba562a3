"""The offline bundle end to end on the lab: built from Debian's packages, verified, served from the
deploy host (nginx + docker-registry as systemd services), used by an air-gapped node.

The build reaches Debian's mirror from the controller (it is the build machine); everything after
that stays inside the lab: the playbook copies the bundle over SSH, nodes fetch from the deploy host.
The bundle is built once per session (cached in `lab_bundle`), where `aicloud install` looks for
it by default: `$AICLOUD_HOME/bundles/<release>`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from installer.bundle import verify

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
RELEASE = "lab-2026.11"
IMAGE = "aicloud.local/lab/busybox:1.35.0-4-deb12u1-b1"


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


SERVED = "/var/lib/aicloud/bundle"
#: what `find` looks for: a GnuPG home's secret keys, in either format (by GnuPG's layout: a bare
#: `.key` suffix is no secret, pkgs.k8s.io's public Release.key is named so)
PRIVATE_KEY_FIND = [
    "(", "-name", "private-keys-v1.d", "-o", "-name", "openpgp-revocs.d", "-o", "-name", "secring*", ")", "-print",
]  # fmt: skip


def _http_status(lab, host: str, url: str) -> int:
    """The HTTP status a host of the site gets for url (the nodes have python3, not curl)."""
    script = (
        "import urllib.request, urllib.error\n"
        f"try:\n    print(urllib.request.urlopen({url!r}, timeout=10).status)\n"
        "except urllib.error.HTTPError as exc:\n    print(exc.code)\n"
    )
    return int(lab.ssh(host, f"python3 -c {shlex.quote(script)}").stdout.strip())


def test_no_private_key_is_in_the_bundle_or_served_by_the_deploy_host(lab, lab_home, lab_bundle, tmp_path):
    built = subprocess.run(["find", str(lab_bundle), *PRIVATE_KEY_FIND], capture_output=True, text=True, check=True)
    assert built.stdout == "", f"private key material in the built bundle:\n{built.stdout}"
    store = lab_home / "keys" / RELEASE / "gnupg" / "private-keys-v1.d"
    grips = sorted(p.name for p in store.glob("*.key"))
    assert grips, f"no bundle key in the builder's store {store}"
    deploy, node = lab.hosts[0], lab.hosts[1]
    # What an older aicloud left on a deploy node: the key's home copied with this release's
    # bundle and with an earlier release's, served by nginx at /<release>/gnupg/...
    old = f"gnupg/private-keys-v1.d/{grips[0]}"
    lab.ssh(
        deploy,
        " && ".join(
            f"mkdir -p {SERVED}/{release}/gnupg/private-keys-v1.d && echo leaked > {SERVED}/{release}/{old}"
            for release in (RELEASE, "lab-2026.10")
        ),
    )
    run = _playbook(_inventory(lab, tmp_path, lab_bundle, [node]))
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    served = lab.ssh(deploy, shlex.join(["find", SERVED, *PRIVATE_KEY_FIND])).stdout
    assert served == "", f"private key material on the deploy host:\n{served}"
    address = lab.up.spec.hosts[0].address
    for release in (RELEASE, "lab-2026.10"):
        assert _http_status(lab, node, f"http://{address}:8080/{release}/{old}") == 404
    assert _http_status(lab, node, f"http://{address}:8080/{RELEASE}/bundle.json") == 200
    # nginx itself never serves key material, even a file that is there; a public key it serves
    secret = f"stray/private-keys-v1.d/{grips[0]}"
    lab.ssh(
        deploy,
        f"mkdir -p {SERVED}/{RELEASE}/stray/private-keys-v1.d && echo leaked > {SERVED}/{RELEASE}/{secret}"
        f" && echo public > {SERVED}/{RELEASE}/stray/Release.key",
    )
    try:
        assert _http_status(lab, node, f"http://{address}:8080/{RELEASE}/{secret}") == 404
        assert _http_status(lab, node, f"http://{address}:8080/{RELEASE}/stray/Release.key") == 200
    finally:
        lab.ssh(deploy, f"rm -rf {SERVED}/{RELEASE}/stray")
