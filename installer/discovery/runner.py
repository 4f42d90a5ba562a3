"""Discovery over every node of a site at once, in-process, through pyinfra's Python API.

Each host gets its own pyinfra `State` and runs in its own thread. pyinfra's own parallelism
is gevent greenlets, which only overlap when the process is monkey-patched; patching is not
something an engine shared with a Textual app may do, so hosts run in threads (paramiko
releases the GIL on I/O). Per host: connect, check the host key (trust on first use), read
the facts one by one, disconnect. A host that cannot be reached or refuses the key becomes a
`HostError` carrying pyinfra's SSH error word for word; the other hosts still report.

Nothing is changed on a host: every fact command only reads.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paramiko
from pyinfra.api import Config, FactBase, Inventory, State, StringCommand
from pyinfra.api.exceptions import ConnectError

from installer.discovery import facts as F
from installer.discovery.hostkeys import KnownHosts, changed_message
from installer.discovery.model import (
    Discovery,
    HostError,
    HostKeyEvent,
    NodeFacts,
    SmiReport,
    TimeSync,
)
from installer.reach import Reach
from installer.site import LoadedSite
from installer.site.model import Node, Site
from installer.state import known_hosts_path, new_run_dir, site_state_dir, write_atomic
from installer.vendors import VENDORS

# pyinfra logs connection errors and warnings itself; the faces show ours instead.
logging.getLogger("pyinfra").addHandler(logging.NullHandler())
logging.getLogger("pyinfra").propagate = False
# paramiko logs a dying connection (ProxyCommandFailure, "Error reading SSH protocol banner")
# with its traceback from its transport thread; with no handler Python's last resort prints it
# on the console. It belongs in the run's ssh.log; the console gets one line per host from us.
logging.getLogger("paramiko").addHandler(logging.NullHandler())
logging.getLogger("paramiko").propagate = False


_ssh_log: logging.Handler | None = None


def _log_ssh_to(directory: Path) -> None:
    """paramiko's log lines go to `ssh.log` in this discovery's run directory from now on. The
    handler stays until the next discovery: paramiko logs a connection's end from its transport
    thread, often after the discovery that used it has returned."""
    global _ssh_log
    handler = logging.FileHandler(directory / "ssh.log", encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(threadName)s %(name)s: %(message)s"))
    logger = logging.getLogger("paramiko")
    logger.addHandler(handler)
    if _ssh_log is not None:
        logger.removeHandler(_ssh_log)
        _ssh_log.close()
    _ssh_log = handler


CONNECT_TIMEOUT = 10
COMMAND_TIMEOUT = 30
#: a host still not done after this long has its connection closed and is reported unreachable.
#: pyinfra's own command timeout is a gevent timer that cannot fire while a thread blocks on a
#: channel whose peer vanished (powered off mid-command), so without this a dead host hangs
#: discovery until TCP gives up, many minutes later.
HOST_DEADLINE = 120.0
MAX_PARALLEL = 64
_MISSING = "##AICLOUD_NO_COMMAND##"

HostCallback = Callable[[str, "NodeFacts | HostError"], None]


class DiscoveryError(Exception):
    """Discovery could not start at all (e.g. the SSH key cannot be read)."""


@dataclass(frozen=True)
class _HostResult:
    outcome: Any  # NodeFacts (discover), a fact's value (read_fact), or HostError
    key_event: HostKeyEvent | None
    seconds: float


def run_dir(site_name: str, run_id: str, home: Path | None = None) -> Path:
    """The folder of an existing run (an install's, when its preflight phase discovers)."""
    path = site_state_dir(site_name, home) / "runs" / run_id
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def load_private_key(text: str) -> paramiko.PKey:
    """A private key from its text, whatever its type (the answer file gives a SecretRef)."""
    errors = []
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError) as exc:
            errors.append(f"{cls.__name__}: {exc}")
    raise DiscoveryError("the SSH private key is not an unencrypted Ed25519, ECDSA or RSA key")


def connection_data(site: Site, base: Path, pkey: paramiko.PKey, node: Node) -> dict[str, Any]:
    """pyinfra host data for a node (installer.reach knows how every node is reached)."""
    return Reach.of(site.ssh, base, known_hosts_path(site.metadata.name, create=False)).pyinfra_data(node, pkey)


def discover(
    loaded: LoadedSite,
    *,
    home: Path | None = None,
    run_id: str | None = None,
    on_host: HostCallback | None = None,
    connect_timeout: int = CONNECT_TIMEOUT,
    host_deadline: float = HOST_DEADLINE,
) -> Discovery:
    """Read every node of the site in parallel; write `discovery.json` into the run directory."""
    site = loaded.site
    if run_id is None:
        run_id, directory = new_run_dir(site.metadata.name, "discover", home)
    else:
        directory = run_dir(site.metadata.name, run_id, home)
    known = KnownHosts(known_hosts_path(site.metadata.name, home))
    started = datetime.now(UTC)
    began = time.monotonic()
    try:
        pkey = load_private_key(site.ssh.private_key.resolve(loaded.base_dir))
    except (LookupError, DiscoveryError) as exc:
        message = f"cannot use the SSH private key {site.ssh.private_key.describe()}: {exc}"
        results = {
            n.name: _HostResult(HostError(n.name, str(n.address), "auth", message), None, 0.0) for n in site.nodes
        }
    else:

        def one(node: Node) -> _HostResult:
            data = connection_data(site, loaded.base_dir, pkey, node)
            result = _discover_host(node, data, known, connect_timeout, host_deadline)
            if on_host is not None:
                on_host(node.name, result.outcome)
            return result

        _log_ssh_to(directory)
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(site.nodes))) as pool:
            results = dict(zip((n.name for n in site.nodes), pool.map(one, site.nodes), strict=True))
    discovery = Discovery(
        site=site.metadata.name,
        run_id=run_id,
        run_dir=str(directory),
        started=started.isoformat(timespec="seconds"),
        seconds=time.monotonic() - began,
        facts={h: r.outcome for h, r in results.items() if isinstance(r.outcome, NodeFacts)},
        errors={h: r.outcome for h, r in results.items() if isinstance(r.outcome, HostError)},
        host_keys=tuple(r.key_event for r in results.values() if r.key_event is not None),
        seconds_per_host={h: r.seconds for h, r in results.items()},
    )
    write_atomic(directory / "discovery.json", json.dumps(discovery.to_dict(), indent=2, ensure_ascii=False) + "\n")
    return discovery


def _error_kind(message: str) -> str:
    return "auth" if message.startswith("Authentication error") else "unreachable"


def _on_host(
    node: Node,
    data: dict[str, Any],
    known: KnownHosts,
    connect_timeout: int,
    deadline: float,
    work: Callable[[State, Any], Any],
) -> _HostResult:
    """Connect to one node, check its host key, run `work(state, host)`, disconnect; give up
    after `deadline` seconds by closing the connection under the blocked reads."""
    began = time.monotonic()
    address = str(node.address)
    inventory = Inventory(([(node.name, data)], {}))
    state = State(inventory, Config(CONNECT_TIMEOUT=connect_timeout))
    host = inventory.get_host(node.name)
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        client = getattr(host.connector, "client", None)
        if client is not None:
            client.close()  # blocked channel reads now end; the work below fails and returns

    timer = threading.Timer(deadline, expire)
    timer.daemon = True
    timer.start()
    try:
        result = _connected(node, host, state, known, began, work)
    except Exception as exc:  # e.g. the deadline closed the client in the middle of connect()
        result = _HostResult(HostError(node.name, address, "error", f"{type(exc).__name__}: {exc}"), None, 0.0)
    finally:
        timer.cancel()
        _end_jump(data)
    if expired.is_set():  # cut short: whatever it read is partial
        message = f"connection lost while reading it: no answer within {deadline:.0f} s, connection closed"
        return _HostResult(HostError(node.name, address, "unreachable", message), None, time.monotonic() - began)
    return result


def _connected(
    node: Node,
    host: Any,
    state: State,
    known: KnownHosts,
    began: float,
    work: Callable[[State, Any], Any],
) -> _HostResult:
    address = str(node.address)
    try:
        host.connect(raise_exceptions=True, show_errors=False)
    except ConnectError as exc:
        message = str(exc.args[0]) if exc.args else str(exc)
        return _HostResult(HostError(node.name, address, _error_kind(message), message), None, time.monotonic() - began)
    try:
        server_key = host.connector.client.get_transport().get_remote_server_key()
        event = known.check(node.name, server_key.get_name(), server_key.asbytes())
        if event.status == "changed":
            error = HostError(node.name, address, "host-key-changed", changed_message(event, known.path))
            return _HostResult(error, event, time.monotonic() - began)
        return _HostResult(work(state, host), event, time.monotonic() - began)
    except (OSError, EOFError, paramiko.SSHException) as exc:  # the host went away mid-way
        message = f"connection lost while reading it: {type(exc).__name__}: {exc}".rstrip(": ")
        return _HostResult(HostError(node.name, address, "unreachable", message), None, time.monotonic() - began)
    except Exception as exc:  # a host that breaks mid-way must not stop the others
        error = HostError(node.name, address, "error", f"{type(exc).__name__}: {exc}")
        return _HostResult(error, None, time.monotonic() - began)
    finally:
        host.disconnect()
        client = getattr(host.connector, "client", None)
        if client is not None:
            _close(client)


def _end_jump(data: dict[str, Any]) -> None:
    """A bastion's ProxyCommand whose connection never came up (or was not closed): end and reap it."""
    sock = (data.get("ssh_paramiko_connect_kwargs") or {}).get("sock")
    process = getattr(sock, "process", None)
    if process is not None and process.poll() is None:
        with contextlib.suppress(OSError):
            sock.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)


def _close(client: paramiko.SSHClient) -> None:
    """Close a client (pyinfra's disconnect leaves the SSH session and its thread open) and reap
    its ProxyCommand: paramiko sends it SIGTERM and never waits, leaving a zombie per host."""
    transport = client.get_transport()
    proxy = getattr(transport, "sock", None) if transport is not None else None
    client.close()
    process = getattr(proxy, "process", None)
    if process is not None:
        # The transport thread SIGTERMs the proxy itself as it ends: reap only after that, or its
        # kill finds no such process and its thread dies with a traceback on the console.
        transport.join(timeout=5)
        with contextlib.suppress(subprocess.TimeoutExpired):  # reaped when aicloud exits, then
            process.wait(timeout=5)


def _discover_host(
    node: Node, data: dict[str, Any], known: KnownHosts, connect_timeout: int, deadline: float
) -> _HostResult:
    return _on_host(node, data, known, connect_timeout, deadline, lambda state, host: _read_facts(state, host, node))


def read_fact(
    loaded: LoadedSite,
    hosts: list[str],
    fact: type[FactBase],
    *args: Any,
    home: Path | None = None,
    connect_timeout: int = CONNECT_TIMEOUT,
    host_deadline: float = HOST_DEADLINE,
) -> dict[str, Any]:
    """One fact from some of the site's nodes at once, under discovery's connection and host-key
    rules. Per host: the fact's value, or a `HostError` (unreachable, auth, changed key, failed)."""
    site = loaded.site
    nodes = [n for n in site.nodes if n.name in set(hosts)]
    known = KnownHosts(known_hosts_path(site.metadata.name, home))
    try:
        pkey = load_private_key(site.ssh.private_key.resolve(loaded.base_dir))
    except (LookupError, DiscoveryError) as exc:
        message = f"cannot use the SSH private key {site.ssh.private_key.describe()}: {exc}"
        return {n.name: HostError(n.name, str(n.address), "auth", message) for n in nodes}

    def work(state: State, host: Any) -> Any:
        instance = fact()
        ok, output = host.run_shell_command(StringCommand(instance.command(*args)), _timeout=COMMAND_TIMEOUT)
        if not ok:
            raise RuntimeError(" ".join(output.stderr_lines).strip()[:300] or "command failed")
        return instance.process(output.stdout_lines)

    def one(node: Node) -> tuple[str, Any]:
        data = connection_data(site, loaded.base_dir, pkey, node)
        return node.name, _on_host(node, data, known, connect_timeout, host_deadline, work).outcome

    if not nodes:
        return {}
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(nodes))) as pool:
        return dict(pool.map(one, nodes))


class _Reader:
    """Runs facts on one connected host, collecting what failed instead of stopping.

    `batch` sends several facts in ONE command (each in its own subshell, its output between
    markers) and hands each fact's lines to its own `process`: one round trip instead of one
    per fact, which is most of the time on a loaded controller.
    """

    def __init__(self, state: State, host: Any) -> None:
        self.state = state
        self.host = host
        self.problems: dict[str, str] = {}

    @staticmethod
    def _script(fact: FactBase) -> str:
        command = fact.command()
        required = fact.requires_command()
        if required:
            return f"if command -v {required} >/dev/null 2>&1; then {command}; else echo '{_MISSING}'; fi"
        return command

    def _process(self, fact: FactBase, name: str, ok: bool, lines: list[str], stderr: str) -> Any:
        if lines == [_MISSING]:
            return fact.default()
        if not ok and not lines:
            self.problems[name] = stderr.strip()[:300] or "command failed"
            return fact.default()
        try:
            return fact.process(lines) if lines else fact.default()
        except Exception as exc:  # a parser meeting output it does not know
            self.problems[name] = f"could not read the output: {exc}"
            return fact.default()

    def __call__(self, cls: type[FactBase], name: str) -> Any:
        fact = cls()
        ok, output = self.host.run_shell_command(StringCommand(self._script(fact)), _timeout=COMMAND_TIMEOUT)
        return self._process(fact, name, ok, output.stdout_lines, " ".join(output.stderr_lines))

    def batch(self, wanted: dict[str, type[FactBase]]) -> dict[str, Any]:
        facts = {name: cls() for name, cls in wanted.items()}
        parts = [
            f"echo '{_MARK} {name}'; ( {self._script(fact)} ) 2>/dev/null; echo \"{_MARK}rc $?\""
            for name, fact in facts.items()
        ]
        _, output = self.host.run_shell_command(StringCommand("; ".join(parts)), _timeout=COMMAND_TIMEOUT)
        sections: dict[str, list[str]] = {}
        codes: dict[str, int] = {}
        current: str | None = None
        for line in output.stdout_lines:
            if line.startswith(f"{_MARK} "):
                current = line.split(" ", 1)[1]
                sections[current] = []
            elif line.startswith(f"{_MARK}rc ") and current is not None:
                codes[current] = int(line.split()[1]) if line.split()[1].isdigit() else 1
                current = None
            elif current is not None:
                sections[current].append(line)
        results = {}
        for name, fact in facts.items():
            if name not in codes:
                self.problems[name] = "no output (the command was cut short)"
                results[name] = fact.default()
                continue
            results[name] = self._process(fact, name, codes[name] == 0, sections[name], f"exit code {codes[name]}")
        return results


_MARK = "##AICLOUD_FACT"
_BATCH: dict[str, type[FactBase]] = {
    "pci": F.PciDevices,
    "uname": F.UnameFact,
    "os": F.OsRelease,
    "cpu": F.Cpu,
    "memory": F.Meminfo,
    "disks": F.BlockDevices,
    "var_free": F.VarFree,
    "nics": F.NetworkInterfaces,
    "rdma": F.InfinibandSysfs,
    "security": F.Security,
    "clock": F.Clock,
    "listening": F.ListeningTcpPorts,
}


def _read_facts(state: State, host: Any, node: Node) -> NodeFacts:
    read = _Reader(state, host)
    got = read.batch(_BATCH)
    hardware = F.classify_devices(got["pci"])
    drivers: list[SmiReport] = []
    for vendor in sorted({a.vendor for a in hardware.accelerators}):
        tool = VENDORS[vendor].smi_command
        if tool in F.SMI_FACTS:
            report = read(F.SMI_FACTS[tool], tool)
            if report is not None:
                drivers.append(report)
    # The clock gets its own short round trip: the offset is only as exact as half of it.
    clock = got["clock"]
    before = time.time()
    epoch = read(F.Epoch, "epoch").epoch
    after = time.time()
    offset = None if epoch is None else epoch - (before + after) / 2
    return NodeFacts(
        host=node.name,
        address=str(node.address),
        hostname=got["uname"].hostname,
        os=got["os"],
        kernel=got["uname"].kernel,
        cpu=got["cpu"],
        memory=got["memory"],
        disks=tuple(got["disks"]),
        var_free_bytes=got["var_free"],
        nics=tuple(got["nics"]),
        accelerators=hardware.accelerators,
        nvswitches=hardware.nvswitches,
        rdma_nics=hardware.rdma_nics,
        rdma=tuple(got["rdma"]),
        drivers=tuple(drivers),
        time=TimeSync(offset, (after - before) / 2, clock.synchronized, clock.services),
        security=got["security"],
        listening=tuple(got["listening"]),
        problems=dict(read.problems),
    )


def with_problem(facts: NodeFacts, name: str, message: str) -> NodeFacts:
    return replace(facts, problems={**facts.problems, name: message})
