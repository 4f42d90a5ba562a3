"""Benchmark of `aicloud lab up`: time for 1, 4 and 16 hosts (warm image) and memory per host.

Each size is compared with a floor measured in the same run: plain `podman run -d` of the same
number of containers (same image, flags and parallelism) without waiting for boot, keys or SSH.
Everything made here is removed again, also on failure.

    .venv/bin/python bench/lab.py [--sizes 1,4,16]

"Hosts" counts the nodes asked for with `--nodes`; each lab also has a deploy host.
Memory is the host container's cgroup (v1 or v2): usage (with page cache) and RSS, idle.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from installer import lab as engine
from installer.lab import image
from installer.lab.engine import PARALLEL
from installer.lab.podman import HOST_FLAGS, Podman

BENCH_LABEL = "aicloud.lab.bench"


def cgroup_memory(podman: Podman, container: str) -> tuple[int, int]:
    """(usage bytes, rss bytes) of a container's cgroup."""
    path = podman("inspect", "--format", "{{.State.CgroupPath}}", container).stdout.strip().lstrip("/")
    v1 = Path("/sys/fs/cgroup/memory") / path
    if (v1 / "memory.usage_in_bytes").exists():
        usage = int((v1 / "memory.usage_in_bytes").read_text())
        stat = dict(line.split() for line in (v1 / "memory.stat").read_text().splitlines())
        return usage, int(stat.get("total_rss", stat.get("rss", 0)))
    v2 = Path("/sys/fs/cgroup") / path
    usage = int((v2 / "memory.current").read_text())
    stat = dict(line.split() for line in (v2 / "memory.stat").read_text().splitlines())
    return usage, int(stat.get("anon", 0))


def floor(podman: Podman, count: int, tag: str) -> float:
    """Seconds for `podman run -d` of `count` containers like the lab's, then removes them."""
    net = f"aicloud-lab-bench-{tag}"
    names = [f"{net}-{i}" for i in range(count)]
    podman("network", "create", "--internal", "--label", f"{BENCH_LABEL}={tag}", net)
    try:
        began = time.monotonic()
        with ThreadPoolExecutor(max_workers=min(PARALLEL, count)) as pool:
            list(
                pool.map(
                    lambda n: podman(
                        "run",
                        "-d",
                        "--name",
                        n,
                        "--label",
                        f"{BENCH_LABEL}={tag}",
                        *HOST_FLAGS,
                        "--network",
                        net,
                        image.IMAGE,
                        "/sbin/init",
                        timeout=300,
                    ),
                    names,
                )
            )
        return time.monotonic() - began
    finally:
        podman("rm", "--force", "--time", "0", "--ignore", *names, timeout=300)
        podman("network", "rm", "--force", net)


def measure(podman: Podman, nodes: int, home: Path) -> dict[str, float]:
    name = f"b{os.getpid()}n{nodes}"
    try:
        result = engine.up(name, nodes, home=home)
        hosts = [h.name for h in result.spec.hosts]
        ssh_began = time.monotonic()
        for host in hosts:
            subprocess.run(
                ["ssh", "-F", str(result.paths.ssh_config), host, "true"], check=True, timeout=60, capture_output=True
            )
        ssh_each = (time.monotonic() - ssh_began) / len(hosts)
        time.sleep(2)  # let the first-boot work (host keys, journald) settle before measuring idle memory
        memory = [cgroup_memory(podman, h) for h in hosts]
    finally:
        began = time.monotonic()
        engine.down(name, home=home)
        down_s = time.monotonic() - began
    return {
        "containers": len(hosts),
        "up": result.seconds,
        "down": down_s,
        "ssh": ssh_each,
        "usage_mb": sum(m[0] for m in memory) / len(memory) / 2**20,
        "rss_mb": sum(m[1] for m in memory) / len(memory) / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,4,16", help="comma-separated --nodes values")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    podman = Podman()
    began = time.monotonic()
    built = image.ensure_image()
    if built:
        print(f"built {image.IMAGE} in {time.monotonic() - began:.0f} s (not counted below)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="aicloud-bench-") as home:
        for nodes in sizes:
            row = measure(podman, nodes, Path(home))
            row["floor"] = floor(podman, int(row["containers"]), f"{os.getpid()}-{nodes}")
            rows.append((nodes, row))
    print(
        f"{'nodes':>5} {'containers':>10} {'up s':>6} {'floor s':>7} {'up/floor':>8} {'down s':>6} "
        f"{'ssh s':>6} {'mem MB/host':>11} {'rss MB/host':>11}"
    )
    for nodes, r in rows:
        print(
            f"{nodes:>5} {r['containers']:>10.0f} {r['up']:>6.1f} {r['floor']:>7.1f} {r['up'] / r['floor']:>8.1f} "
            f"{r['down']:>6.1f} {r['ssh']:>6.2f} {r['usage_mb']:>11.1f} {r['rss_mb']:>11.1f}"
        )
    print(
        f"podman {podman('--version').stdout.split()[-1]}, {os.cpu_count()} CPUs; up includes waiting for "
        "systemd (running/degraded) on every host and installing the key; floor is `podman run -d` only."
    )


if __name__ == "__main__":
    main()
