"""`aicloud install` on 1, 3 and 8 lab hosts: first install and idempotent re-run, against a floor.

The floor does the same work with one plain shell script per host over SSH, in parallel: copy
the bundle to the deploy host and serve it (nginx, docker-registry, the image pushed), then on
every host the same package installs and file writes as the roles (apt source, chrony,
containerd, runc, /etc/hosts, sysctl, limits, journald, sshd drop-in, chrony.conf, containerd
config, release record) and the same service restarts. Each size gets a fresh lab for the
install and another for the floor. Targets (issue 6): first install at most 1.5x the floor;
the idempotent re-run of 8 hosts at most 0.25x the first install. The re-run is measured twice:
as `aicloud install` does it (each node's record verified, playbooks only where it does not
hold) and with `--full` (every task on every node), which shows what the roles themselves cost.

    python bench/install.py [--sizes 1,3,8]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from installer import lab
from installer.bundle import BuildOptions, build
from installer.release import load_release

RELEASE = "lab-2026.11"
AICLOUD = str(Path(sys.executable).parent / "aicloud")


def ssh(paths, host: str, script: str, stdin: bytes | None = None) -> None:
    result = subprocess.run(
        ["ssh", "-F", str(paths.ssh_config), host, "bash -euo pipefail -s"],
        input=(script.encode() if stdin is None else stdin),
        capture_output=True,
        timeout=900,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{host}: {result.stderr.decode(errors='replace')[-800:]}")


def floor(up, bundle: Path) -> float:
    """Plain shell over SSH: serve the bundle from the deploy host, then configure every host at once."""
    paths, spec = up.paths, up.spec
    deploy = next(h for h in spec.hosts if h.role == "deploy")
    manifest = json.loads((bundle / "bundle.json").read_text())
    first_image = (manifest.get("images") or [None])[0]
    image = f"{first_image['image']}:{first_image['tag']}" if first_image else ""
    root = f"/var/lib/aicloud/bundle/{RELEASE}"
    start = time.perf_counter()
    tar = subprocess.run(["tar", "-C", str(bundle), "-c", "."], capture_output=True, check=True).stdout
    ssh(paths, deploy.name, f"mkdir -p {root}")
    subprocess.run(
        ["ssh", "-F", str(paths.ssh_config), deploy.name, f"tar -C {root} -x"],
        input=tar,
        check=True,
        capture_output=True,
        timeout=900,
    )
    ssh(
        paths,
        deploy.name,
        f"""
rm -f /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list
echo 'deb [trusted=yes] file:{root}/debian-12 aicloud main' > /etc/apt/sources.list.d/bundle-local.list
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx docker-registry skopeo >/dev/null
cat > /etc/nginx/sites-enabled/default <<EOF
server {{ listen 8080; root /var/lib/aicloud/bundle; autoindex off; }}
EOF
systemctl reload-or-restart nginx
mkdir -p /etc/docker/registry
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/docker-registry\nhttp:\n  addr: :5000\n' \
  > /etc/docker/registry/config.yml
systemctl enable docker-registry && systemctl restart docker-registry
for i in $(seq 200); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/v2/')" 2>/dev/null && break
  sleep 0.1
done
{
            "for i in 1 2 3; do skopeo copy --quiet --all --preserve-digests --dest-tls-verify=false oci:"
            + root
            + "/images:"
            + image
            + " docker://127.0.0.1:5000/"
            + image
            + " && break; sleep 1; done"
            if image
            else "true"
        }
""",
    )
    hosts_block = "\n".join(f"{h.address} {h.name}" for h in spec.hosts)
    node_script = f"""
rm -f /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list /etc/apt/sources.list.d/bundle-local.list
echo 'deb [trusted=yes] http://{deploy.address}:8080/{RELEASE}/debian-12 aicloud main' > /etc/apt/sources.list.d/b.list
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chrony containerd runc >/dev/null
printf '%s\\n' {shlex.quote(hosts_block)} >> /etc/hosts
printf 'net.ipv4.ip_forward = 1\\nnet.core.somaxconn = 32768\\n' > /etc/sysctl.d/90-b.conf
sysctl -q -p /etc/sysctl.d/90-b.conf
printf '* soft nofile 1048576\\n* hard nofile 1048576\\n' > /etc/security/limits.d/90-b.conf
mkdir -p /etc/systemd/journald.conf.d
printf '[Journal]\\nStorage=persistent\\n' > /etc/systemd/journald.conf.d/b.conf
systemctl restart systemd-journald
printf 'PasswordAuthentication no\\n' > /etc/ssh/sshd_config.d/90-b.conf && systemctl try-reload-or-restart ssh
printf 'server {deploy.address} iburst\\n' > /etc/chrony/chrony.conf && systemctl restart chrony
mkdir -p /etc/containerd && printf 'version = 2\\n' > /etc/containerd/config.toml && systemctl restart containerd
mkdir -p /etc/aicloud && printf '{{"release": "{RELEASE}"}}\\n' > /etc/aicloud/release.json
"""
    with ThreadPoolExecutor(len(spec.hosts)) as pool:
        list(pool.map(lambda h: ssh(paths, h.name, node_script), spec.hosts))
    return time.perf_counter() - start


def timed_install(site: Path, bundle: Path, env: dict[str, str], *extra: str) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        [AICLOUD, "install", "-f", str(site), "--yes", "--bundle", str(bundle), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        stdin=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-1500:] + result.stderr[-1500:])
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,3,8")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="aicloud-bench-install-"))
    os.environ["AICLOUD_HOME"] = str(home)
    env = {**os.environ, "NO_COLOR": "1"}
    bundle = home / "bundles" / RELEASE
    build(load_release(RELEASE), BuildOptions(out=bundle, os_families=["debian-12"]))
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        name = f"bi{os.getpid() % 10000}n{size}"
        try:
            up = lab.up(name, size, home=home)
            first = timed_install(up.paths.site, bundle, env)
            rerun = timed_install(up.paths.site, bundle, env)
            full = timed_install(up.paths.site, bundle, env, "--full")
            print(f"  {size} node(s): first {first:.1f} s, re-run {rerun:.1f} s, --full {full:.1f} s", flush=True)
        finally:
            lab.down(name, home=home)
        try:
            up = lab.up(name, size, home=home)
            floor_seconds = floor(up, bundle)
        finally:
            lab.down(name, home=home)
        rows.append((size, first, rerun, full, floor_seconds))
        print(
            f"  {size} node(s): first {first:.1f} s, re-run {rerun:.1f} s, --full re-run {full:.1f} s,"
            f" floor {floor_seconds:.1f} s",
            flush=True,
        )
    columns = (
        "nodes",
        "+deploy",
        "first s",
        "re-run s",
        "full s",
        "floor s",
        "first/floor",
        "rerun/first",
        "full/first",
    )
    print(" ".join(f"{c:>{w}}" for c, w in zip(columns, (5, 7, 8, 9, 7, 8, 12, 12, 11), strict=True)))
    for size, first, rerun, full, floor_seconds in rows:
        print(
            f"{size:5d} {size + 1:7d} {first:8.1f} {rerun:9.1f} {full:7.1f} {floor_seconds:8.1f}"
            f" {first / floor_seconds:12.2f} {rerun / first:12.2f} {full / first:11.2f}"
        )
    print("targets: first install <= 1.5x floor; re-run of 8 nodes <= 0.25x its first install")
    print("re-run: each node's record verified, no playbook where it holds; full: every task on every node")
    return 0


if __name__ == "__main__":
    sys.exit(main())
