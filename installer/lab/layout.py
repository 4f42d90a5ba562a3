"""What a lab is made of, computed without touching anything: names, subnet, addresses.

Every podman object of lab NAME carries the label `aicloud.lab=NAME`; `down` and `status`
find them by that label only, so nothing else on the machine is ever touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

LAB_LABEL = "aicloud.lab"
ROLE_LABEL = "aicloud.lab.role"
DEFAULT_NAME = "lab"
DEFAULT_NODES = 3
MAX_NODES = 200
#: Lab networks are /24s taken from here. Podman's own automatic subnets start at 10.89.0.0/24;
#: a lab takes the first /24 from .10 on that no podman network and no host route uses.
SUBNET_POOL = IPv4Network("10.89.0.0/16")
FIRST_SUBNET_INDEX = 10
#: Host numbers inside the /24: the deploy host first, then node1, node2...
FIRST_HOST = 10

#: A lab name is a DNS label short enough that `NAME-node200` and `NAME-node200-containerd` stay one.
NAME_PATTERN = re.compile(r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$")


#: A login user name the lab may create on its hosts (useradd's portable set, short).
LOGIN_USER_PATTERN = re.compile(r"^[a-z_][a-z0-9_-]{0,30}$")
SUDO_MODES = ("nopasswd", "password")


class InvalidLabName(ValueError):
    pass


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise InvalidLabName(
            f"lab name {name!r} is not valid: use 1-40 lower-case letters, digits and '-', "
            "starting with a letter (it becomes part of host names)"
        )
    return name


@dataclass(frozen=True)
class Login:
    """Who the installer logs in as on the lab's hosts: root, or a user with sudo.

    `sudo` is "nopasswd" (a sudoers drop-in) or "password" (the user's own password, which
    sudo asks for); it only matters when `user` is not root.
    """

    user: str = "root"
    sudo: str = "nopasswd"

    def __post_init__(self) -> None:
        if self.user != "root" and not LOGIN_USER_PATTERN.match(self.user):
            raise InvalidLabName(
                f"login user {self.user!r} is not valid: use 1-31 lower-case letters, digits, '_' and '-', "
                "starting with a letter or '_'"
            )
        if self.sudo not in SUDO_MODES:
            raise InvalidLabName(f"sudo mode {self.sudo!r} is not valid: choose one of {', '.join(SUDO_MODES)}")

    @property
    def is_root(self) -> bool:
        return self.user == "root"

    @property
    def needs_password(self) -> bool:
        return not self.is_root and self.sudo == "password"


@dataclass(frozen=True)
class HostSpec:
    name: str
    role: str  # "deploy" or "node"
    address: IPv4Address

    @property
    def volume(self) -> str:
        return f"{self.name}-containerd"


@dataclass(frozen=True)
class LabSpec:
    """The lab as it should be."""

    name: str
    subnet: IPv4Network
    hosts: tuple[HostSpec, ...]
    login: Login = Login()

    @property
    def network(self) -> str:
        return network_name(self.name)

    @property
    def deploy(self) -> HostSpec:
        return self.hosts[0]

    @property
    def nodes(self) -> tuple[HostSpec, ...]:
        return self.hosts[1:]


def network_name(lab: str) -> str:
    return f"aicloud-lab-{lab}"


def host_names(lab: str, nodes: int) -> list[str]:
    return [f"{lab}-deploy"] + [f"{lab}-node{i}" for i in range(1, nodes + 1)]


def plan_lab(name: str, nodes: int, subnet: IPv4Network, login: Login | None = None) -> LabSpec:
    check_name(name)
    if not 1 <= nodes <= MAX_NODES:
        raise ValueError(f"--nodes must be between 1 and {MAX_NODES}, not {nodes}")
    if subnet.num_addresses < FIRST_HOST + nodes + 2:
        raise ValueError(f"subnet {subnet} is too small for {nodes} nodes")
    base = subnet.network_address + FIRST_HOST
    hosts = tuple(
        HostSpec(host, "deploy" if i == 0 else "node", base + i) for i, host in enumerate(host_names(name, nodes))
    )
    return LabSpec(name, subnet, hosts, login or Login())


def allocate_subnet(used: Iterable[IPv4Network], pool: IPv4Network = SUBNET_POOL) -> IPv4Network:
    """The first /24 of the pool (from index FIRST_SUBNET_INDEX) that overlaps nothing in `used`."""
    taken = list(used)
    for index, candidate in enumerate(pool.subnets(new_prefix=24)):
        if index < FIRST_SUBNET_INDEX:
            continue
        if not any(candidate.overlaps(net) for net in taken):
            return candidate
    raise LookupError(f"no free /24 left in {pool} for a lab network")


def parse_proc_net_route(text: str) -> list[IPv4Network]:
    """Networks the machine routes (from /proc/net/route), leaving out the default route."""
    nets = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 8:
            continue
        dest, mask = _le_hex_ip(fields[1]), _le_hex_ip(fields[7])
        if int(mask) == 0:
            continue
        nets.append(IPv4Network(f"{dest}/{mask}", strict=False))
    return nets


def _le_hex_ip(value: str) -> IPv4Address:
    return IPv4Address(int.from_bytes(bytes.fromhex(value), "little"))
