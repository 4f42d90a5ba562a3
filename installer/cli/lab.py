"""`aicloud lab`: a simulated air-gapped site on this machine. Thin face over `installer.lab`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from functools import wraps
from typing import TypeVar

import click

from installer import lab as engine
from installer.errors import InvalidAnswerFile
from installer.lab.layout import DEFAULT_NAME, DEFAULT_NODES, MAX_NODES, InvalidLabName

#: Exit code for a problem with this machine (missing tool, podman failure), not with input.
EXIT_ENVIRONMENT = 1

F = TypeVar("F", bound=Callable[..., object])


def _one_line_errors(func: F) -> F:
    @wraps(func)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return func(*args, **kwargs)
        except (engine.LabError, InvalidLabName, InvalidAnswerFile) as exc:
            click.echo(f"aicloud lab: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", err=True)
            sys.exit(EXIT_ENVIRONMENT)
        except KeyboardInterrupt:
            click.echo(
                "aicloud lab: interrupted; `aicloud lab up` finishes the lab, `aicloud lab down` removes it", err=True
            )
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _name_option(func: F) -> F:
    return click.option("--name", default=DEFAULT_NAME, show_default=True, help="Name of the lab.")(func)


@click.group(name="lab")
def lab() -> None:
    """A simulated air-gapped site on this machine: podman hosts with systemd, reached over SSH."""


@lab.command()
@click.option(
    "--nodes",
    type=click.IntRange(1, MAX_NODES),
    default=DEFAULT_NODES,
    show_default=True,
    help="Hosts besides the deploy host.",
)
@_name_option
@_one_line_errors
def up(nodes: int, name: str) -> None:
    """Make the lab (or repair it to this shape) and write its ssh_config and site.yaml."""
    result = engine.up(name, nodes, on_event=lambda event: click.echo(f"  {event.message}", err=True))
    spec, paths = result.spec, result.paths
    click.echo(
        f"Lab {spec.name} is up in {result.seconds:.1f} s: network {spec.network} ({spec.subnet}), "
        f"{len(result.created)} created, {len(result.started)} started, {len(result.kept)} kept"
        + (f", {len(result.removed)} removed" if result.removed else "")
        + "."
    )
    for host in spec.hosts:
        click.echo(f"  {host.name:<24} {host.address!s:<15} {host.role}")
    click.echo(f"Files in {paths.dir}: id_ed25519, ssh_config, known_hosts, site.yaml")
    click.echo("Try:")
    click.echo(f"  ssh -F {paths.ssh_config} {spec.deploy.name} true")
    click.echo(f"  aicloud validate -f {paths.site}")
    click.echo(f"  aicloud lab down --name {spec.name}")


@lab.command()
@_name_option
@_one_line_errors
def down(name: str) -> None:
    """Remove everything `up` made for the lab, and nothing else."""
    result = engine.down(name)
    if not result.removed_anything:
        click.echo(f"No lab {name}: nothing to remove.")
        return
    click.echo(
        f"Removed lab {name}: {len(result.containers)} host(s), {len(result.volumes)} volume(s), "
        f"{len(result.networks)} network(s), {len(result.files)} file(s)."
    )


@lab.command()
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_one_line_errors
def status(output: str) -> None:
    """List the labs on this machine and their hosts."""
    labs = engine.status()
    if output == "json":
        click.echo(json.dumps([asdict(item) for item in labs], indent=2))
        return
    if not labs:
        click.echo("No labs. Make one with: aicloud lab up")
        return
    for item in labs:
        where = f"{item.network} ({item.subnet})" if item.network else "no network"
        click.echo(f"{item.name}: {where}, {len(item.hosts)} host(s)" + ("" if item.state_dir else ", no state folder"))
        for host in item.hosts:
            click.echo(f"  {host.name:<24} {host.address:<15} {host.role:<7} {host.state}")


@lab.command()
@click.argument("host")
@click.option("--name", default=None, help="Lab of the host (lets HOST be short, e.g. node2).")
@_one_line_errors
def stop(host: str, name: str | None) -> None:
    """Stop a lab host, as if it failed."""
    found = engine.stop_host(host, name)
    click.echo(f"{found.name} is {found.state}.")


@lab.command()
@click.argument("host")
@click.option("--name", default=None, help="Lab of the host (lets HOST be short, e.g. node2).")
@_one_line_errors
def start(host: str, name: str | None) -> None:
    """Start a stopped lab host and wait until it has booted."""
    found = engine.start_host(host, name)
    click.echo(f"{found.name} is {found.state}.")
