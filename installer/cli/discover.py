"""`aicloud discover` and `aicloud preflight`: thin faces over installer.discovery and installer.preflight.

Exit codes: discover 0 when every node reported, 1 when any could not be read; preflight 0 when
every check passed or only warned, 1 when any failed; both 2 for an invalid answer file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from installer.cli.common import EXIT_FAILED, EXIT_INVALID, _load_or_exit, err, file_option, out, output_option
from installer.discovery import Discovery, DiscoveryError
from installer.discovery import discover as run_discovery
from installer.discovery.model import NodeFacts
from installer.vendors import VENDORS

_SEVERITY_STYLE = {"fail": "bold red", "warn": "yellow", "pass": "green"}


def _load(path: Path, output: str):
    return _load_or_exit(path, output)


def _discover_or_exit(loaded, output: str) -> Discovery:
    try:
        return run_discovery(loaded)
    except DiscoveryError as exc:
        if output == "json":
            click.echo(json.dumps({"error": str(exc)}))
        else:
            err.print(f"aicloud: {exc}", markup=False)
        sys.exit(EXIT_INVALID)


def _say_host_keys(discovery: Discovery) -> None:
    for event in discovery.host_keys:
        if event.status == "recorded":
            err.print(
                f"trusted on first use: {event.host} {event.key_type} {event.fingerprint} "
                f"(recorded in {discovery.run_dir.rsplit('/runs/', 1)[0]}/known_hosts)",
                markup=False,
            )


def _size(size: int | None) -> str:
    if size is None:
        return "?"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit in ("B", "KiB") else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def _accelerators(facts: NodeFacts) -> str:
    if not facts.accelerators:
        return "none"
    counts: dict[str, int] = {}
    for item in facts.accelerators:
        name = f"{VENDORS[item.vendor].name_en} {item.model}"
        counts[name] = counts.get(name, 0) + 1
    text = ", ".join(f"{n}x {name}" for name, n in counts.items())
    if facts.nvswitches:
        text += f"; {len(facts.nvswitches)} NVSwitch"
    drivers = ", ".join(f"{d.tool} {d.driver_version}" for d in facts.drivers if d.driver_version)
    return f"{text}; {drivers}" if drivers else text


def _nics(facts: NodeFacts) -> str:
    parts = []
    for nic in facts.nics:
        if nic.name == "lo":
            continue
        speed = f"{nic.speed_mbps // 1000}G" if nic.speed_mbps and nic.speed_mbps >= 1000 else "?"
        where = f" {nic.pci_address}" if nic.pci_address else ""
        numa = f" numa{nic.numa_node}" if nic.numa_node is not None else ""
        parts.append(f"{nic.name} {nic.state} {speed} mtu{nic.mtu} {nic.mac}{where}{numa} {nic.driver}".rstrip())
    return "\n".join(parts) or "none"


def _rdma(facts: NodeFacts) -> str:
    if not facts.rdma:
        return "none"
    return "\n".join(
        f"{d.name} " + " ".join(f"p{p.port} {p.state.lower()} {p.link_layer} {p.rate_gbps or '?'}G" for p in d.ports)
        for d in facts.rdma
    )


def _discovery_table(discovery: Discovery) -> Table:
    table = Table(title=f"Discovery of site {discovery.site} ({discovery.seconds:.1f} s)", title_justify="left")
    for column in ("host", "OS / kernel", "CPU / RAM", "disks, /var free", "NICs", "accelerators", "RDMA", "time"):
        table.add_column(column, overflow="fold")
    for host in sorted({*discovery.facts, *discovery.errors}):
        error = discovery.errors.get(host)
        if error is not None:
            table.add_row(host, f"[bold red]{error.kind}[/]: {escape(error.message)}", "", "", "", "", "", "")
            continue
        f = discovery.facts[host]
        disks = ", ".join(f"{d.name} {_size(d.size_bytes)}{' hdd' if d.rotational else ''}" for d in f.disks)
        offset = f.time.clock_offset_seconds
        table.add_row(
            f"{host}\n{f.address}",
            f"{f.os.pretty_name or f.os.family}\n{f.kernel.release} {f.kernel.machine}",
            f"{f.cpu.model}\n{f.cpu.sockets}s/{f.cpu.cores}c/{f.cpu.threads}t, {_size(f.memory.total_bytes)}"
            + (f", swap {_size(f.memory.swap_total_bytes)}" if f.swap_on else ""),
            f"{disks or 'none'}\n/var {_size(f.var_free_bytes)} free",
            escape(_nics(f)),
            escape(_accelerators(f)),
            escape(_rdma(f)),
            (f"{offset:+.2f} s" if offset is not None else "?") + f"\n{', '.join(f.time.services) or 'no ntp'}",
        )
    return table


@click.command()
@file_option
@output_option
@click.option(
    "--write-site",
    "write_site",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a copy of the answer file with each node's accelerators filled from what was found.",
)
def discover(path: Path, output: str, write_site: Path | None) -> None:
    """Read the hardware of every node at once, over SSH, read-only.

    Shows OS, kernel, CPU, memory, disks, NICs, accelerators, RDMA devices, drivers and time
    per host; results are kept in the site's run directory. Exit 1 if any node could not be read.
    """
    loaded = _load(path, output)
    discovery = _discover_or_exit(loaded, output)
    changes: list[str] = []
    if write_site is not None:
        from installer.discovery.draft import draft_site_text

        text, changes = draft_site_text(path.read_text(), discovery)
        write_site.write_text(text)
    if output == "json":
        click.echo(json.dumps(discovery.to_dict(), indent=2, ensure_ascii=False))
    else:
        _say_host_keys(discovery)
        out.print(_discovery_table(discovery))
        out.print(f"results: {discovery.run_dir}/discovery.json", markup=False)
        if write_site is not None:
            out.print(f"wrote {write_site}: " + ("; ".join(changes) or "no accelerators found to fill in"))
    if discovery.errors:
        sys.exit(EXIT_FAILED)


@click.command()
@file_option
@output_option
def preflight(path: Path, output: str) -> None:
    """Check the answer file against the real hosts before anything is installed.

    Discovers every node, then runs each check (reachable, os_supported, memory, accelerators,
    fabric_nics, fabric_mtu, unique_hostnames, unique_macs, clock, swap, ports_free, ...).
    Exit 0 when all pass or only warn, 1 when any fails.
    """
    from installer.preflight import preflight as run_preflight

    loaded = _load(path, output)
    discovery = _discover_or_exit(loaded, output)
    result = run_preflight(loaded.site, discovery)
    if output == "json":
        data = result.to_dict()
        data["host_keys"] = [k.to_dict() for k in discovery.host_keys]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        _say_host_keys(discovery)
        table = Table(title=f"Preflight of site {result.site}", title_justify="left")
        for column in ("", "host", "check", "found", "what to do"):
            table.add_column(column, overflow="fold")
        for f in result.findings:
            style = _SEVERITY_STYLE[f.severity]
            table.add_row(f"[{style}]{f.severity}[/]", f.host, f.check, escape(f.found), escape(f.remedy))
        out.print(table)
        verdict = "[bold red]FAILED[/]" if result.failed else "[green]passed[/]"
        out.print(
            f"preflight {verdict}: {result.count('fail')} fail, {result.count('warn')} warn, "
            f"{result.count('pass')} pass; results in {escape(result.run_dir)}/preflight.json"
        )
    if result.failed:
        sys.exit(EXIT_FAILED)
