"""The few podman operations the lab uses, each returning plain typed data."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from ipaddress import IPv4Network

from installer.lab.layout import LAB_LABEL
from installer.lab.prereq import find_tool
from installer.lab.run import run

HOST_FLAGS = (
    "--runtime", "runc",
    "--systemd=always",
    "--privileged",
    # Without these runc fails with "error setting rlimit type 7: operation not permitted".
    "--ulimit", "nofile=20000:20000",
    "--ulimit", "nproc=20000:20000",
    # sshd in inetd mode (the lab's ProxyCommand) names its peer "UNKNOWN" and PAM's audit record
    # resolves that name: without a local answer every login asks DNS, which podman forwards out
    # of the lab, and can stall for the resolver's timeouts (seen: 30 s). Podman 4.3 builds
    # /etc/hosts from the controller's, so the image's own /etc/hosts is not enough.
    "--add-host", "UNKNOWN:127.0.0.1",
)  # fmt: skip


@dataclass(frozen=True)
class Container:
    id: str
    name: str
    state: str  # podman's: created, running, exited, stopped, paused...
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def lab(self) -> str:
        return self.labels.get(LAB_LABEL, "")


@dataclass(frozen=True)
class Network:
    name: str
    subnets: tuple[IPv4Network, ...]
    labels: dict[str, str]
    internal: bool


@dataclass(frozen=True)
class Volume:
    name: str
    labels: dict[str, str]


#: Where Debian's podman looks for its network helpers.
_HELPERS = ("/usr/lib/podman", "/usr/libexec/podman")


def network_backend_args() -> list[str]:
    """`--network-backend netavark` where netavark and aardvark-dns are installed.

    Lab hosts find each other by name (molecule scenarios reach `LAB-deploy`), and only
    netavark's aardvark-dns serves names on an *internal* network: CNI's dnsname plugin refuses
    internal networks. Podman remembers the backend of its first use in its storage
    (`defaultNetworkBackend`), so a machine where podman first ran before netavark was
    installed stays on CNI unless every lab command asks for netavark, as this does.
    """
    have = {name for d in _HELPERS for name in ("netavark", "aardvark-dns") if os.access(f"{d}/{name}", os.X_OK)}
    return ["--network-backend", "netavark"] if have == {"netavark", "aardvark-dns"} else []


class Podman:
    def __init__(self, path: str | None = None):
        self.path = path or find_tool("podman")
        self.base = [self.path, *network_backend_args()]

    def __call__(self, *args: str, timeout: float = 120.0, input: str | None = None, check: bool = True):
        return run([*self.base, *args], timeout=timeout, input=input, check=check)

    # containers
    def containers(self, label: str = LAB_LABEL) -> list[Container]:
        out = self("ps", "-a", "--filter", f"label={label}", "--format", "json").stdout
        return [
            Container(c["Id"], c["Names"][0], c.get("State", ""), c.get("Labels") or {})
            for c in json.loads(out or "[]")
        ]

    def container(self, name: str) -> Container | None:
        result = self("container", "inspect", "--format", "json", name, check=False)
        if result.returncode != 0:
            return None
        data = json.loads(result.stdout)[0]
        return Container(data["Id"], data["Name"], data["State"]["Status"], data["Config"].get("Labels") or {})

    def storage_leftovers(self, lab: str, image: str) -> list[str]:
        """Containers of `lab` that a killed `podman run` left in storage only (no labels, not listed by
        `ps`), which still hold their name. Known by name (`LAB-deploy`, `LAB-nodeN`) and image."""
        pattern = re.compile(rf"^{re.escape(lab)}-(deploy|node[0-9]+)$")
        out = self("ps", "-a", "--external", "--format", "json").stdout
        return [
            c["Names"][0]
            for c in json.loads(out or "[]")
            if c.get("State") == "storage" and c.get("Image") == image and pattern.match(c["Names"][0])
        ]

    def remove_containers(self, names: list[str]) -> None:
        if names:
            self("rm", "--force", "--time", "0", "--ignore", *names, timeout=180)

    # networks
    def networks(self, label: str | None = None) -> list[Network]:
        args = ["network", "ls", "--format", "json"]
        if label:
            args += ["--filter", f"label={label}"]
        return [_network(n) for n in json.loads(self(*args).stdout or "[]")]

    def network(self, name: str) -> Network | None:
        result = self("network", "inspect", name, check=False)
        if result.returncode != 0:
            return None
        return _network(json.loads(result.stdout)[0])

    # volumes
    def volumes(self, label: str) -> list[Volume]:
        out = self("volume", "ls", "--filter", f"label={label}", "--format", "json").stdout
        return [Volume(v["Name"], v.get("Labels") or {}) for v in json.loads(out or "[]")]

    def volume(self, name: str) -> Volume | None:
        result = self("volume", "inspect", name, check=False)
        if result.returncode != 0:
            return None
        data = json.loads(result.stdout)[0]
        return Volume(data["Name"], data.get("Labels") or {})


def _network(data: dict) -> Network:
    subnets = tuple(IPv4Network(s["subnet"]) for s in data.get("subnets") or [] if ":" not in s["subnet"])
    return Network(data["name"], subnets, data.get("labels") or {}, bool(data.get("internal")))
