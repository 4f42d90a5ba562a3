"""Benchmark of discovery: wall time for 1, 4 and 16 lab hosts, and time per host.

Each size gets its own lab (`aicloud lab up`), removed again afterwards, also on failure. The
answer file is the lab's, cut to the first N hosts. Each size is discovered `--repeat` times,
each time with a fresh state folder (so host keys are recorded each time, as on first contact);
the median is reported. Target: 16 hosts in at most 3x the time of one host.

The floor, measured in the same run on the same lab: the same fact commands sent by OpenSSH
(`ssh -F <lab ssh_config> host '<discovery's batch>'`), one fresh login per host, all hosts at
once. Every lab host shares this machine's cores, so the host-side work (sshd's login, the
ProxyCommand's `podman exec`, lspci/ip/...) grows with the number of hosts whatever the
controller does; `x floor` shows what discovery adds on top of that.

    .venv/bin/python bench/discover.py [--sizes 1,4,16] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import yaml

from installer import lab as engine
from installer.discovery import discover
from installer.discovery.runner import _BATCH, _Reader
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


def floor(up: engine.UpResult, hosts: list[str]) -> float:
    """Discovery's batch of fact commands over OpenSSH, every host at once, one login each."""
    script = "; ".join(f"( {_Reader._script(cls())} ) 2>/dev/null" for cls in _BATCH.values()) + "; date +%s.%N"
    began = time.monotonic()
    procs = [
        subprocess.Popen(
            ["ssh", "-F", str(up.paths.ssh_config), "-o", "ControlMaster=no", host, script],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        for host in hosts
    ]
    codes = [p.wait(timeout=120) for p in procs]
    if any(codes):
        raise SystemExit(f"floor: ssh failed on {[h for h, c in zip(hosts, codes, strict=True) if c]}")
    return time.monotonic() - began


def measure(size: int, repeat: int, home: Path) -> dict[str, float]:
    name = f"bd{os.getpid() % 10000}s{size}"
    try:
        up = bring_up(name, max(1, size - 1), home)
        path = site_of(up.paths.site, size, home / f"site-{size}.yaml")
        loaded = load_site(path)
        walls, per_host, floors = [], [], []
        for run in range(repeat):
            floors.append(floor(up, [n.name for n in loaded.site.nodes]))
            began = time.monotonic()
            result = discover(loaded, home=home / f"state-{size}-{run}")
            walls.append(time.monotonic() - began)
            if result.errors:
                raise SystemExit(f"{size} hosts: {result.errors}")
            per_host.append(statistics.mean(result.seconds_per_host.values()))
        return {
            "wall": statistics.median(walls),
            "host": statistics.median(per_host),
            "floor": statistics.median(floors),
            "up": up.seconds,
        }
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
    print(
        f"{'hosts':>5}  {'wall s':>7}  {'wall/host s':>11}  {'one host s':>10}  {'x 1 host':>8}  "
        f"{'floor s':>7}  {'x floor':>7}  {'lab up s':>8}"
    )
    for size, r in results.items():
        print(
            f"{size:>5}  {r['wall']:>7.2f}  {r['wall'] / size:>11.3f}  {r['host']:>10.2f}  "
            f"{r['wall'] / base:>8.2f}  {r['floor']:>7.2f}  {r['wall'] / r['floor']:>7.2f}  {r['up']:>8.1f}"
        )
    largest = sizes[-1]
    ratio = results[largest]["wall"] / base
    print(f"target: {largest} hosts <= 3x one host: {'met' if ratio <= 3 else 'MISSED'} ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
