"""SSH host keys: trust on first use, recorded in the site's state (`known_hosts`).

The first time a node is reached its key is recorded and the run says so (`recorded`). Later
runs compare: the same key is `matched`; another key is `changed`, a hard failure that names
the host and both fingerprints, and no command is sent to that host.

The check runs right after the SSH handshake and authentication, before any fact is read.
Public-key authentication gives a man in the middle nothing it can replay, and no command
reaches a host whose key changed.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from pathlib import Path

from installer.discovery.model import HostKeyEvent
from installer.state import write_atomic


def fingerprint(key_blob: bytes) -> str:
    """OpenSSH's SHA256 fingerprint of a public key blob: `SHA256:` + unpadded base64."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(key_blob).digest()).decode().rstrip("=")


class KnownHosts:
    """The site's `known_hosts`: `host key-type base64` lines, one key type per host."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _read(self) -> dict[str, tuple[str, str]]:
        entries: dict[str, tuple[str, str]] = {}
        if not self.path.exists():
            return entries
        for line in self.path.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 3 and not line.startswith("#"):
                entries[fields[0]] = (fields[1], fields[2])
        return entries

    def _write(self, entries: dict[str, tuple[str, str]]) -> None:
        write_atomic(self.path, "".join(f"{h} {t} {b}\n" for h, (t, b) in sorted(entries.items())))

    def check(self, host: str, key_type: str, key_blob: bytes) -> HostKeyEvent:
        """Record the key of a host seen for the first time; compare it otherwise."""
        seen = fingerprint(key_blob)
        encoded = base64.b64encode(key_blob).decode()
        with self._lock:
            entries = self._read()
            recorded = entries.get(host)
            if recorded is None:
                entries[host] = (key_type, encoded)
                self._write(entries)
                return HostKeyEvent(host, key_type, seen, "recorded")
        recorded_type, recorded_blob = recorded
        if recorded_type == key_type and recorded_blob == encoded:
            return HostKeyEvent(host, key_type, seen, "matched")
        try:
            old = fingerprint(base64.b64decode(recorded_blob))
        except ValueError:
            old = f"unreadable entry in {self.path}"
        return HostKeyEvent(host, key_type, seen, "changed", recorded_fingerprint=f"{recorded_type} {old}")

    def follow(self, host: str, keys: list[tuple[str, str]]) -> bool:
        """Make a recorded host key follow the host's maker, who knows its new keys (the lab remade it).

        `keys`: (key type, base64 blob) of the host now. A host never recorded is left for trust
        on first use. True when the recorded key was replaced.
        """
        with self._lock:
            entries = self._read()
            recorded = entries.get(host)
            if recorded is None or not keys or recorded in keys:
                return False
            entries[host] = next((k for k in keys if k[0] == recorded[0]), keys[0])
            self._write(entries)
            return True


def changed_message(event: HostKeyEvent, path: Path) -> str:
    return (
        f"host key of {event.host} CHANGED: recorded {event.recorded_fingerprint}, "
        f"now {event.key_type} {event.fingerprint}. Nothing was run on it. If the host was reinstalled, "
        f"remove its line from {path} and run again; otherwise someone may be intercepting the connection."
    )
