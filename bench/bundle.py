"""Benchmark of the offline bundle: build time and size of the lab subset, and serve throughput
from the lab's deploy host to 1, 4 and 8 hosts pulling at once, against the floor of a plain file
copy (the same bytes streamed into each host with `podman exec -i ... cat`).

    .venv/bin/python bench/bundle.py [--nodes 8] [--keep-lab]

Needs root, podman, the lab image, and Debian's mirror for the build. Builds into a temporary
directory with a cold apt cache first, then again (incremental), then serves it on a lab.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from installer import lab  # noqa: E402
from installer.bundle import BuildOptions, build  # noqa: E402
from installer.release import load_release  # noqa: E402

RELEASE = "lab-2026.11"

# Fetches every .deb of the repository from the deploy host over HTTP; prints bytes read.
FETCH = """
import sys, urllib.request
base, names = sys.argv[1], sys.argv[2:]
total = 0
for name in names:
    with urllib.request.urlopen(base + name) as r:
        while chunk := r.read(1 << 20):
            total += len(chunk)
print(total)
"""


def _build(out: Path, cache: Path) -> tuple[float, int, int]:
    start = time.perf_counter()
    result = build(load_release(RELEASE), BuildOptions(out=out, os_families=["debian-12"], cache=cache))
    if not result.complete:
        raise SystemExit(f"bundle incomplete: {[str(m) for m in result.manifest.missing]}")
    return time.perf_counter() - start, result.size, len(result.manifest.packages["debian-12"])


def _serve(up: lab.UpResult, bundle: Path) -> None:
    deploy = up.spec.hosts[0]
    inventory = {
        "all": {
            "vars": {
                "ansible_ssh_common_args": f"-F {up.paths.ssh_config}",
                "ansible_python_interpreter": "/usr/bin/python3",
                "bundle_client_server": str(deploy.address),
                "bundle_dir": str(bundle),
            },
            "hosts": {deploy.name: None},
            "children": {"deploy": {"hosts": {deploy.name: None}}},
        }
    }
    inv = bundle.parent / "inventory.json"
    inv.write_text(json.dumps(inventory))
    env = {
        **os.environ,
        "ANSIBLE_ROLES_PATH": str(ROOT / "roles"),
        "ANSIBLE_PIPELINING": "1",
        "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=300s",
    }
    subprocess.run(
        [
            str(ROOT / ".venv/bin/ansible-playbook"),
            "-i",
            str(inv),
            str(ROOT / "playbooks/bundle.yml"),
            "--limit",
            f"localhost,{deploy.name}",
        ],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=1800,
    )


def _pull(host: str, base: str, names: list[str]) -> int:
    out = subprocess.run(
        ["podman", "exec", host, "python3", "-c", FETCH, base, *names],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return int(out.stdout.strip())


def _copy(host: str, archive: Path) -> int:
    with archive.open("rb") as handle:
        subprocess.run(
            ["podman", "exec", "-i", host, "sh", "-c", "cat > /dev/null"], stdin=handle, check=True, timeout=1800
        )
    return archive.stat().st_size


def _at_once(hosts: list[str], work) -> tuple[float, int]:
    start = time.perf_counter()
    with ThreadPoolExecutor(len(hosts)) as pool:
        total = sum(pool.map(work, hosts))
    return time.perf_counter() - start, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=8)
    parser.add_argument("--keep-lab", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="aicloud-bench-bundle-"))
    os.environ["AICLOUD_HOME"] = str(tmp / "home")
    out = tmp / RELEASE
    cold, size, packages = _build(out, tmp / "cache")
    warm, _, _ = _build(out, tmp / "cache")
    print(f"build  cold {cold:6.1f} s   incremental {warm:5.1f} s   size {size / 1e6:.1f} MB   {packages} packages")

    name = f"bench{os.getpid()}"
    try:
        up = lab.up(name, args.nodes, home=tmp / "home", boot_timeout=300)
    except lab.LabError as exc:
        lab.down(name, home=tmp / "home")
        raise SystemExit(f"lab did not come up (a busy machine?): {exc}") from None
    try:
        _serve(up, out)
        deploy = up.spec.hosts[0]
        nodes = [h.name for h in up.spec.hosts[1:]]
        base = f"http://{deploy.address}:8080/{RELEASE}/debian-12/pool/main/"
        names = sorted(p.name for p in (out / "debian-12/pool/main").glob("*.deb"))
        archive = tmp / "pool.tar"
        subprocess.run(["tar", "-cf", str(archive), "-C", str(out / "debian-12/pool"), "main"], check=True)
        print(f"{'hosts':>5} | {'served (nginx)':>16} | {'per host':>10} | {'floor (plain copy)':>18} | {'ratio':>5}")
        for count in (n for n in (1, 4, 8) if n <= len(nodes)):
            group = nodes[:count]
            secs, total = _at_once(group, lambda h: _pull(h, base, names))
            fsecs, ftotal = _at_once(group, lambda h: _copy(h, archive))
            served, floor = total / secs / 1e6, ftotal / fsecs / 1e6
            print(
                f"{count:>5} | {served:>11.0f} MB/s | {served / count:>5.0f} MB/s | {floor:>13.0f} MB/s | "
                f"{served / floor:>5.2f}"
            )
    finally:
        if not args.keep_lab:
            lab.down(name, home=tmp / "home")
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
