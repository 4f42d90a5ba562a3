"""Load + validate a 2,000-node answer file, against parsing it with libyaml's C loader alone.

Prints a table. The floor (`yaml.load(..., CSafeLoader)`) is measured in the same run, so the
ratio means something on a noisy machine. Targets (issue 3): under 2x the floor and under 1 s.
Also shows ruamel.yaml's round-trip loader, the other composer that keeps positions.

    python bench/validate.py [--nodes 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import io
import sys
import tempfile
import time
from pathlib import Path

import yaml

from installer.site import load_site


def site_text(nodes: int, rails: int) -> str:
    """A site of `nodes` GPU nodes (8 GPUs, `rails` fabric NICs each), 3 control-plane nodes and a deploy node."""
    out = io.StringIO()
    out.write(
        "apiVersion: aicloud/v1alpha1\nkind: Site\nmetadata: {name: bench}\nrelease: '2026.11'\n"
        "ssh:\n  privateKey: {file: /tmp/key}\nnodes:\n"
        "  - {name: deploy, address: 10.0.0.2, roles: [deploy]}\n"
    )
    for i in range(3):
        out.write(f"  - {{name: cp{i}, address: 10.0.0.{10 + i}, roles: [control-plane]}}\n")
    for i in range(nodes):
        host = f"{(i + 256) // 256}.{(i + 256) % 256}"
        out.write(
            f"  - name: gpu{i:04d}\n    address: 10.0.{host}\n    roles: [worker]\n"
            f"    labels: {{aicloud.io/pool: training, topology.aicloud.io/leaf: leaf{i // 32}}}\n"
            "    accelerators: {vendor: nvidia, model: H100 SXM5 80GB, count: 8}\n"
        )
        if rails:
            out.write("    fabricNics:\n")
        for rail in range(rails):
            out.write(f"      - {{name: ibp{rail}s0, rail: {rail}, address: 10.{100 + rail}.{host}/16}}\n")
    out.write(
        "network:\n  managementCidr: 10.0.0.0/16\n  controlPlaneVip: 10.0.0.100\n"
        "  podCidr: 172.16.0.0/14\n  serviceCidr: 172.20.0.0/16\n"
    )
    if rails:
        out.write("fabric:\n  type: infiniband\n  rails:\n")
    for rail in range(rails):
        out.write(f"    - {{index: {rail}, cidr: 10.{100 + rail}.0.0/16}}\n")
    return out.getvalue()


def best_of(repeat: int, func) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(nodes: int, rails: int, repeat: int) -> tuple[str, float, float, float]:
    text = site_text(nodes, rails)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "site.yaml"
        path.write_text(text)
        loaded = load_site(path)  # also proves the file is valid
        assert len(loaded.site.nodes) == nodes + 4
        floor = best_of(repeat, lambda: yaml.load(path.read_text(), Loader=yaml.CSafeLoader))
        ours = best_of(repeat, lambda: load_site(path))
        from ruamel.yaml import YAML

        ruamel = best_of(1, lambda: YAML(typ="rt").load(path.read_text()))
    label = f"{nodes + 4} nodes, {nodes * rails} fabric NICs, {text.count(chr(10))} lines, {len(text) / 1e6:.1f} MB"
    return label, floor, ours, ruamel


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    all_ok = True
    print(f"{'answer file':52} {'floor s':>8} {'aicloud s':>9} {'x floor':>8} {'ruamel x':>9}  target")
    for rails in (0, 8):
        label, floor, ours, ruamel = measure(args.nodes, rails, args.repeat)
        ok = ours / floor < 2.0 and ours < 1.0
        all_ok &= ok
        verdict = "met" if ok else "NOT met"
        print(f"{label:52} {floor:8.3f} {ours:9.3f} {ours / floor:8.2f} {ruamel / floor:9.2f}  {verdict}")
    print("floor: yaml.load with libyaml's CSafeLoader (no positions, no validation); aicloud: load_site")
    print("(positions, duplicate keys, model, rules); ruamel: ruamel.yaml round-trip load alone.")
    print("target: under 2x the floor and under 1 s")
    print("all targets met" if all_ok else "some targets NOT met (see above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
