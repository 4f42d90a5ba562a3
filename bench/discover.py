"""Benchmark of discovery: wall time for 1, 4 and 16 lab hosts, and time per host.

Each size gets its own lab (`aicloud lab up`), removed again afterwards, also on failure. The
answer file is the lab's, cut to the first N hosts. Each size is discovered `--repeat` times,
each time with a fresh state folder (so host keys are recorded each time, as on first contact);
the median is reported. Target: 16 hosts in at most 3x the time of one host.

    .venv/bin/python bench/discover.py [--sizes 1,4,16] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from installer import lab as engine
from installer.discovery import discover
from installer.site import load_site


def site_of(lab_site: Path, hosts: int, target: Path) -> Path:
    data = yaml.safe_load(lab_site.read_text())
    nodes = data["nodes"][:hosts]
    if hosts == 1:
        nodes[0]["roles"] = ["deploy", "control-plane", "worker"]
    elif not any("control-plane" in n["roles"] for n in nodes):
        nodes[1]["roles"] = ["control-plane", "worker"]
    data["nodes"] = nodes
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def bring_up(name: str, nodes: int, home: Path, attempts: int = 3) -> engine.UpResult:
    """`lab up`, again if a host died while booting (seen on a loaded 2-CPU machine): `up` converges."""
    for attempt in range(1, attempts + 1):
        try:
            return engine.up(name, nodes, home=home, boot_timeout=180)
        except engine.LabError as exc:
            if attempt == attempts:
                raise
            print(f"  lab up {name}: {exc}; trying again", flush=True)
    raise AssertionError("unreachable")


def measure(size: int, repeat: int, home: Path) -> dict[str, float]:
    name = f"bd{os.getpid() % 10000}s{size}"
    try:
        up = bring_up(name, max(1, size - 1), home)
        path = site_of(up.paths.site, size, home / f"site-{size}.yaml")
        loaded = load_site(path)
        walls, per_host = [], []
        for run in range(repeat):
            began = time.monotonic()
            result = discover(loaded, home=home / f"state-{size}-{run}")
            walls.append(time.monotonic() - began)
            if result.errors:
                raise SystemExit(f"{size} hosts: {result.errors}")
            per_host.append(statistics.mean(result.seconds_per_host.values()))
        return {"wall": statistics.median(walls), "host": statistics.median(per_host), "up": up.seconds}
    finally:
        engine.down(name, home=home)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,4,16")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="aicloud-bench-discover-") as tmp:
        results = {}
        for size in sizes:
            results[size] = measure(size, args.repeat, Path(tmp))
            print(f"  {size} hosts: {results[size]['wall']:.2f} s", flush=True)
    base = results[sizes[0]]["wall"]
    print(f"{'hosts':>5}  {'wall s':>7}  {'wall/host s':>11}  {'one host s':>10}  {'x 1 host':>8}  {'lab up s':>8}")
    for size, r in results.items():
        print(
            f"{size:>5}  {r['wall']:>7.2f}  {r['wall'] / size:>11.3f}  {r['host']:>10.2f}  "
            f"{r['wall'] / base:>8.2f}  {r['up']:>8.1f}"
        )
    largest = sizes[-1]
    ratio = results[largest]["wall"] / base
    print(f"target: {largest} hosts <= 3x one host: {'met' if ratio <= 3 else 'MISSED'} ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
