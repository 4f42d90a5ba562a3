"""`aicloud lab`: a simulated air-gapped site on this machine. Thin face over `installer.lab`."""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from functools import wraps
from typing import TypeVar

import click

from installer import lab as engine
from installer.errors import InvalidAnswerFile
from installer.lab.layout import DEFAULT_NAME, DEFAULT_NODES, MAX_NODES, SUDO_MODES, InvalidLabName, Login

#: Exit code for a problem with this machine (missing tool, podman failure), not with input.
EXIT_ENVIRONMENT = 1

F = TypeVar("F", bound=Callable[..., object])


def say(text: str, *, err: bool = False) -> None:
    """Show a line. An output that was closed (`aicloud lab up | head -1`) stops only the showing:
    the work goes on, the other stream still gets what it can, and the exit code is the work's."""
    stream = sys.stderr if err else sys.stdout
    try:
        click.echo(text, err=err)
    except OSError as exc:
        if exc.errno not in (errno.EPIPE, errno.EINVAL):
            raise
        _discard(stream)


def _discard(stream: object) -> None:
    """Point a closed stream at /dev/null, so later lines and the flush at exit cannot fail (exit 120)."""
    try:
        fd = stream.fileno()  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return  # not a real file (a test's capture): nothing is left to flush into a pipe
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _one_line_errors(func: F) -> F:
    @wraps(func)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return func(*args, **kwargs)
        except (engine.LabError, InvalidLabName, InvalidAnswerFile) as exc:
            say(f"aicloud lab: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", err=True)
            sys.exit(EXIT_ENVIRONMENT)
        except KeyboardInterrupt:
            say("aicloud lab: interrupted; `aicloud lab up` finishes the lab, `aicloud lab down` removes it", err=True)
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
@click.option(
    "--login-user",
    default="root",
    show_default=True,
    help="User the installer logs in as; any other than root is made on every host with the lab key and sudo.",
)
@click.option(
    "--sudo",
    type=click.Choice(SUDO_MODES),
    default="nopasswd",
    show_default=True,
    help="For a --login-user other than root: sudo without a password, or with a random one kept in the lab's folder.",
)
@_one_line_errors
def up(nodes: int, name: str, login_user: str, sudo: str) -> None:
    """Make the lab (or repair it to this shape) and write its ssh_config and site.yaml."""
    login = Login(login_user, sudo)
    result = engine.up(name, nodes, login=login, on_event=lambda event: say(f"  {event.message}", err=True))
    spec, paths = result.spec, result.paths
    say(
        f"Lab {spec.name} is up in {result.seconds:.1f} s: network {spec.network} ({spec.subnet}), "
        f"{len(result.created)} created, {len(result.started)} started, {len(result.kept)} kept"
        + (f", {len(result.removed)} removed" if result.removed else "")
        + "."
    )
    for host in spec.hosts:
        say(f"  {host.name:<24} {host.address!s:<15} {host.role}")
    files = "id_ed25519, ssh_config, known_hosts, site.yaml" + (", sudo_password" if login.needs_password else "")
    say(f"Files in {paths.dir}: {files}")
    if not login.is_root:
        how = "sudo needs no password"
        if login.needs_password:
            how = f"sudo asks for the password in {paths.sudo_password}"
        say(f"Logins: {login.user} (member of sudo; {how}); root cannot log in.")
    say("Try:")
    say(f"  ssh -F {paths.ssh_config} {spec.deploy.name} true")
    say(f"  aicloud validate -f {paths.site}")
    say(f"  aicloud lab down --name {spec.name}")


@lab.command()
@_name_option
@_one_line_errors
def down(name: str) -> None:
    """Remove everything `up` made for the lab, and nothing else."""
    result = engine.down(name)
    if not result.removed_anything:
        say(f"No lab {name}: nothing to remove.")
        return
    say(
        f"Removed lab {name}: {len(result.containers)} host(s), {len(result.volumes)} volume(s), "
        f"{len(result.networks)} network(s), {len(result.files)} file(s)."
    )
    if result.site_state:
        say(f"Forgot site {name}: removed {result.site_state} (its runs, recorded host keys and ssh sockets).")


@lab.command()
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--name", default=None, help="Only this lab (exit 1 when there is no such lab).")
@_one_line_errors
def status(output: str, name: str | None) -> None:
    """List the labs on this machine and their hosts; stale labs (no hosts, leftovers) say how to clear them."""
    labs = engine.status(name) if name is not None else engine.status()
    if name is not None and not labs:
        raise engine.LabNotFound(f"no lab {name} (see `aicloud lab status`)")
    if output == "json":
        say(json.dumps([asdict(item) for item in labs], indent=2))
        return
    if not labs:
        say("No labs. Make one with: aicloud lab up")
        return
    for item in labs:
        say(_status_line(item))
        for host in item.hosts:
            say(f"  {host.name:<24} {host.address:<15} {host.role:<7} {host.state}")


def _status_line(item: engine.LabStatus) -> str:
    if item.stale:
        left = [f"network {item.network} ({item.subnet})"] if item.network else []
        left += [f"{len(item.volumes)} volume(s)"] if item.volumes else []
        left += [f"files in {item.state_dir}"] if item.state_dir else []
        return (
            f"{item.name}: stale, no hosts; left: {', '.join(left)}; remove with: aicloud lab down --name {item.name}"
        )
    where = f"{item.network} ({item.subnet})" if item.network else "no network"
    return f"{item.name}: {where}, {len(item.hosts)} host(s)" + ("" if item.state_dir else ", no state folder")


@lab.command()
@click.argument("host")
@click.option("--name", default=None, help="Lab of the host (lets HOST be short, e.g. node2).")
@_one_line_errors
def stop(host: str, name: str | None) -> None:
    """Stop a lab host, as if it failed."""
    found = engine.stop_host(host, name)
    say(f"{found.name} is {found.state}.")


@lab.command()
@click.argument("host")
@click.option("--name", default=None, help="Lab of the host (lets HOST be short, e.g. node2).")
@_one_line_errors
def start(host: str, name: str | None) -> None:
    """Start a stopped lab host and wait until it has booted."""
    found = engine.start_host(host, name)
    say(f"{found.name} is {found.state}.")
