"""One run at a time per site, and per host: flocks on the controller.

A site is locked by name (`<site state>/install.lock`), and every node it names is locked by
address (`$AICLOUD_HOME/locks/host-<address>-<port>.lock`): two answer files with different
`metadata.name` that list the same servers still cannot install them at once. The kernel
drops a flock when its holder exits in any way (Ctrl-C, a crash, kill -9), so a lock is never
left stale. Each lock file says who holds it, for the refusal's message.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from installer.errors import Refused
from installer.state import aicloud_home, site_state_dir


class SiteBusy(Refused):
    """Another aicloud process is running on the same site or on one of its hosts."""


def _holder_line(kind: str, site: str) -> str:
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    command = " ".join([os.path.basename(sys.argv[0]), *sys.argv[1:2]])
    return f"{kind} of site {site}, pid {os.getpid()}, started {started}: {command}\n"


def _take(path: Path, holder: str) -> int | None:
    """The locked fd, or None (and the holder's line in `holder_seen`) when someone holds it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.pwrite(fd, holder.encode(), 0)
    return fd


def _read_holder(path: Path) -> str:
    try:
        return path.read_text(errors="replace").strip() or "another aicloud process"
    except OSError:
        return "another aicloud process"


def _release(fd: int) -> None:
    os.ftruncate(fd, 0)
    os.close(fd)  # closing drops the flock


def host_lock_path(address: str, port: int, home: Path | None = None) -> Path:
    safe = address.replace(":", "_").replace("/", "_")
    return (home or aicloud_home()) / "locks" / f"host-{safe}-{port}.lock"


@contextlib.contextmanager
def run_locks(kind: str, site: str, hosts: dict[str, tuple[str, int]]) -> Iterator[None]:
    """Hold the site's lock and every host's (name -> (address, port)) for the block, or raise
    SiteBusy naming who holds the first one taken, before anything is touched."""
    holder = _holder_line(kind, site)
    taken: list[int] = []
    try:
        site_lock = site_state_dir(site) / "install.lock"
        fd = _take(site_lock, holder)
        if fd is None:
            raise SiteBusy(
                f"site {site} is busy: {_read_holder(site_lock)}; two runs at once would race on its "
                "nodes and its state. Wait for that run to end, or stop it (Ctrl-C there), then run "
                "again (--resume continues it)."
            )
        taken.append(fd)
        for name, (address, port) in sorted(hosts.items(), key=lambda item: item[1]):
            path = host_lock_path(address, port)
            fd = _take(path, holder)
            if fd is None:
                raise SiteBusy(
                    f"host {name} ({address}) is busy: {_read_holder(path)}; another answer file names the "
                    "same server. Wait for that run to end, or stop it, then run again."
                )
            taken.append(fd)
        yield
    finally:
        for fd in reversed(taken):
            _release(fd)
