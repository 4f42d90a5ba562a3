"""`up`, `down`, `status`, `stop_host`, `start_host`: the lab's whole API.

`up` converges: whatever part of the lab already exists (from an earlier or an interrupted
`up`) is checked and kept, anything missing is made, anything of the lab that should not be
there is removed. So `up` twice leaves one lab, and `up` after a crash finishes the job.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from installer.lab import image
from installer.lab.errors import CommandFailed, LabError, LabNotFound
from installer.lab.layout import (
    DEFAULT_NAME,
    DEFAULT_NODES,
    LAB_LABEL,
    ROLE_LABEL,
    HostSpec,
    LabSpec,
    Login,
    allocate_subnet,
    check_name,
    network_name,
    parse_proc_net_route,
    plan_lab,
)
from installer.lab.podman import HOST_FLAGS, Container, Podman
from installer.lab.prereq import find_tool, require
from installer.lab.render import render_known_hosts, render_site_yaml, render_ssh_config
from installer.lab.run import run
from installer.state import aicloud_home, known_hosts_path, site_state_dir

ADDRESS_LABEL = "aicloud.lab.address"
BOOT_TIMEOUT = 240.0
#: How many `podman run` at once: more only queues on podman's locks and the CPUs.
PARALLEL = 8
STATE_FILES = ("id_ed25519", "id_ed25519.pub", "ssh_config", "known_hosts", "site.yaml", "sudo_password")
#: The sudoers drop-in that gives the login user sudo without a password. No '.' in the name:
#: sudo skips such files in /etc/sudoers.d, so the `.tmp` being checked is never in force.
SUDOERS_DROP_IN = "/etc/sudoers.d/aicloud-lab"

#: Root logs in: the lab key (stdin) becomes root's only authorized key.
_ROOT_LOGIN = "umask 077 && mkdir -p /root/.ssh && cat > /root/.ssh/authorized_keys && cat /etc/ssh/ssh_host_*_key.pub"
#: A user with sudo logs in, root does not. stdin: the lab key, then (mode "password") the sudo
#: password; `read` and `printf` are shell builtins, so neither reaches a process command line.
_USER_LOGIN = r"""set -eu
user=$1 mode=$2
IFS= read -r key
id -u "$user" >/dev/null 2>&1 || useradd --create-home --user-group --shell /bin/bash "$user"
usermod --append --groups sudo "$user"
home=$(getent passwd "$user" | cut -d: -f6)
umask 077
install -d -m 0700 -o "$user" -g "$user" "$home/.ssh"
printf '%s\n' "$key" > "$home/.ssh/authorized_keys.tmp"
chown "$user:$user" "$home/.ssh/authorized_keys.tmp"
mv "$home/.ssh/authorized_keys.tmp" "$home/.ssh/authorized_keys"
rm -f /root/.ssh/authorized_keys
if [ "$mode" = nopasswd ]; then
  printf '%s ALL=(ALL:ALL) NOPASSWD: ALL\n' "$user" > "$DROP_IN.tmp"
  chmod 0440 "$DROP_IN.tmp"
  visudo -c -q -f "$DROP_IN.tmp"
  mv "$DROP_IN.tmp" "$DROP_IN"
else
  rm -f "$DROP_IN" "$DROP_IN.tmp"
  IFS= read -r password
  printf '%s:%s\n' "$user" "$password" | chpasswd
fi
cat /etc/ssh/ssh_host_*_key.pub
"""


@dataclass(frozen=True)
class LabEvent:
    """Progress of `up`, for the faces to show: `step` is a stable key, `message` the text."""

    step: str
    message: str


EventSink = Callable[[LabEvent], None]


@dataclass(frozen=True)
class LabPaths:
    dir: Path

    @property
    def key(self) -> Path:
        return self.dir / "id_ed25519"

    @property
    def public_key(self) -> Path:
        return self.dir / "id_ed25519.pub"

    @property
    def ssh_config(self) -> Path:
        return self.dir / "ssh_config"

    @property
    def known_hosts(self) -> Path:
        return self.dir / "known_hosts"

    @property
    def site(self) -> Path:
        return self.dir / "site.yaml"

    @property
    def sudo_password(self) -> Path:
        """The login user's sudo password (mode "password"), made once per lab; 0600."""
        return self.dir / "sudo_password"


@dataclass(frozen=True)
class UpResult:
    spec: LabSpec
    paths: LabPaths
    image_built: bool
    created: tuple[str, ...]
    started: tuple[str, ...]
    kept: tuple[str, ...]
    removed: tuple[str, ...]
    seconds: float


@dataclass(frozen=True)
class DownResult:
    name: str
    containers: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    #: The lab site's state folder (runs, recorded host keys, ssh control sockets), if there was one.
    site_state: str | None = None

    @property
    def removed_anything(self) -> bool:
        return bool(self.containers or self.volumes or self.networks or self.files or self.site_state)


@dataclass(frozen=True)
class HostStatus:
    name: str
    role: str
    address: str
    state: str


@dataclass(frozen=True)
class LabStatus:
    name: str
    network: str | None
    subnet: str | None
    state_dir: str | None
    hosts: tuple[HostStatus, ...] = field(default_factory=tuple)
    volumes: tuple[str, ...] = ()
    #: No hosts, but a network, volumes or state files are left (a half-made or half-removed
    #: lab): `aicloud lab down --name NAME` clears it.
    stale: bool = False


def lab_paths(name: str, home: Path | None = None) -> LabPaths:
    return LabPaths((home or aicloud_home()) / "lab" / name)


# ---------------------------------------------------------------------------------------- up


def _follow_site_host_keys(name: str, home: Path | None, keys: dict[str, list[str]], emit: EventSink) -> None:
    """A lab remade after `down` has new host keys; the lab site's trust-on-first-use store follows them.

    Without this, installing on the lab again fails preflight with "host key CHANGED" (rightly,
    for a real site). The lab made these hosts and pins their keys in its ssh_config, so it may
    vouch for them; other sites' stores are never touched.
    """
    store = known_hosts_path(name, home, create=False)  # a lab whose site never ran gets no state folder
    if not store.exists():
        return
    from installer.discovery.hostkeys import KnownHosts  # only here: it loads discovery (pyinfra)

    known = KnownHosts(store)
    followed = [
        host for host, lines in sorted(keys.items()) if known.follow(host, [tuple(line.split()[:2]) for line in lines])
    ]
    if followed:
        emit(LabEvent("keys", f"the site's recorded host keys of {', '.join(followed)} now follow the remade hosts"))


def up(
    name: str = DEFAULT_NAME,
    nodes: int = DEFAULT_NODES,
    *,
    home: Path | None = None,
    on_event: EventSink | None = None,
    boot_timeout: float = BOOT_TIMEOUT,
    login: Login | None = None,
) -> UpResult:
    """Make lab `name` with `nodes` hosts plus a deploy host, or repair it to that shape.

    `login`: who the installer logs in as (default root); a user other than root is made on
    every host with the lab key and sudo, and the lab's files say to log in as it and become root.
    """
    began = time.monotonic()
    emit = _never_failing(on_event)
    login = login or Login()
    check_name(name)
    require()
    podman = Podman()
    built = image.ensure_image(on_build=lambda: emit(LabEvent("image", f"building {image.IMAGE} (about a minute)")))
    paths = lab_paths(name, home)
    _ensure_key(paths, name)
    password = _ensure_sudo_password(paths, login)
    spec = plan_lab(name, nodes, _ensure_network(podman, name, emit), login)
    setup = _LoginSetup(login, paths.public_key.read_text(), password)
    try:
        hosts = _converge_hosts(podman, spec, setup, emit, boot_timeout)
    except CommandFailed as exc:
        if "already allocated" not in exc.stderr:
            raise
        # A `podman run` killed half-way leaves its address booked in the network's IPAM with
        # no container to free it. Only remaking the network (and so its hosts) clears that.
        emit(LabEvent("repair", f"remaking network {spec.network}: an interrupted run left an address booked"))
        podman.remove_containers([c.name for c in podman.containers(f"{LAB_LABEL}={name}")])
        podman("network", "rm", "--force", spec.network)
        spec = plan_lab(name, nodes, _ensure_network(podman, name, emit, subnet=spec.subnet), login)
        hosts = _converge_hosts(podman, spec, setup, emit, boot_timeout)

    _write(paths.known_hosts, render_known_hosts(hosts.keys))
    _follow_site_host_keys(name, home, hosts.keys, emit)
    _write(paths.ssh_config, render_ssh_config(spec, paths.key, paths.known_hosts, podman.path))
    sudo_password = paths.sudo_password if login.needs_password else None
    _write(paths.site, render_site_yaml(spec, paths.key, paths.ssh_config, sudo_password))
    return UpResult(
        spec=spec,
        paths=paths,
        image_built=built,
        created=hosts.created,
        started=hosts.started,
        kept=hosts.kept,
        removed=hosts.removed,
        seconds=time.monotonic() - began,
    )


def _never_failing(sink: EventSink | None) -> EventSink:
    """A face that cannot show progress any more (its output closed: `| head -1`) must not stop the work."""
    if sink is None:
        return lambda event: None

    def emit(event: LabEvent) -> None:
        with contextlib.suppress(OSError):
            sink(event)

    return emit


@dataclass(frozen=True)
class _LoginSetup:
    """What each host gets so the installer can log in: the lab key, and the sudo password if any."""

    login: Login
    public_key: str
    password: str | None = None

    def command(self) -> tuple[list[str], str]:
        """The `podman exec` arguments (after the host) and their stdin. No secret is in the arguments."""
        if self.login.is_root:
            return ["sh", "-c", _ROOT_LOGIN], self.public_key
        stdin = self.public_key.strip() + "\n" + (f"{self.password}\n" if self.login.needs_password else "")
        script = _USER_LOGIN.replace("$DROP_IN", SUDOERS_DROP_IN)
        return ["sh", "-c", script, "aicloud-lab-login", self.login.user, self.login.sudo], stdin


def _ensure_sudo_password(paths: LabPaths, login: Login) -> str | None:
    """The lab's sudo password: random, made once per lab, kept only in a 0600 file of its folder."""
    if not login.needs_password:
        return None
    if paths.sudo_password.exists():
        paths.sudo_password.chmod(0o600)
        text = paths.sudo_password.read_text().strip()
        if text:
            return text
    password = secrets.token_urlsafe(18)
    _write(paths.sudo_password, password)
    return password


@dataclass(frozen=True)
class _Hosts:
    keys: dict[str, list[str]]
    created: tuple[str, ...]
    started: tuple[str, ...]
    kept: tuple[str, ...]
    removed: tuple[str, ...]


def _converge_hosts(podman: Podman, spec: LabSpec, setup: _LoginSetup, emit: EventSink, boot_timeout: float) -> _Hosts:
    """Remove the lab's containers that do not fit `spec`, make or start the missing ones, wait for all."""
    existing = {c.name: c for c in podman.containers(f"{LAB_LABEL}={spec.name}")}
    leftovers = podman.storage_leftovers(spec.name, image.IMAGE)
    if leftovers:
        emit(LabEvent("repair", f"removing {', '.join(leftovers)} (left half-made by an interrupted run)"))
        podman.remove_containers(leftovers)
    wanted = {h.name: h for h in spec.hosts}
    stale = [n for n, c in existing.items() if n not in wanted or c.labels.get(ADDRESS_LABEL) != str(wanted[n].address)]
    if stale:
        emit(LabEvent("remove", f"removing {', '.join(stale)} (not part of this lab's shape)"))
        podman.remove_containers(stale)
        _remove_volumes(podman, spec.name, keep={h.volume for h in spec.hosts})
        existing = {n: c for n, c in existing.items() if n not in stale}
    for host in spec.hosts:
        if host.name not in existing:
            _check_name_free(podman, host.name)
        _ensure_volume(podman, spec.name, host.volume)

    todo = [h for h in spec.hosts if h.name not in existing or existing[h.name].state != "running"]
    if todo:
        emit(LabEvent("start", f"starting {len(todo)} host(s): {', '.join(h.name for h in todo)}"))
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(spec.hosts))) as pool:
        futures = {
            h.name: pool.submit(_bring_up_host, podman, spec, h, existing.get(h.name), setup, boot_timeout)
            for h in spec.hosts
        }
        keys = {n: f.result() for n, f in futures.items()}
    emit(LabEvent("ready", f"{len(spec.hosts)} host(s) running"))
    return _Hosts(
        keys=keys,
        created=tuple(h.name for h in todo if h.name not in existing),
        started=tuple(h.name for h in todo if h.name in existing),
        kept=tuple(h.name for h in spec.hosts if h not in todo),
        removed=tuple(stale),
    )


def _ensure_key(paths: LabPaths, name: str) -> None:
    paths.dir.mkdir(parents=True, exist_ok=True)
    paths.dir.chmod(0o700)
    if paths.key.exists() and paths.public_key.exists():
        paths.key.chmod(0o600)
        return
    paths.key.unlink(missing_ok=True)  # half-written by an interrupted `up`
    paths.public_key.unlink(missing_ok=True)
    run([find_tool("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", f"aicloud-lab-{name}", "-f", str(paths.key)])
    paths.key.chmod(0o600)


def _ensure_network(podman: Podman, name: str, emit: EventSink, subnet: IPv4Network | None = None) -> IPv4Network:
    net_name = network_name(name)
    found = podman.network(net_name)
    if found is not None:
        if found.labels.get(LAB_LABEL) != name or not found.internal or not found.subnets:
            raise LabError(
                f"a podman network named {net_name} exists but was not made by `aicloud lab up` for lab {name}; "
                f"remove it or choose another lab name"
            )
        return found.subnets[0]
    for _attempt in range(5):  # another `up` may take the same subnet at the same moment
        if subnet is None or _attempt:
            subnet = allocate_subnet([s for n in podman.networks() for s in n.subnets] + _host_routes())
        result = podman(
            "network", "create", "--internal", "--subnet", str(subnet), "--label", f"{LAB_LABEL}={name}", net_name,
            check=False,
        )  # fmt: skip
        if result.returncode == 0:
            emit(LabEvent("network", f"created internal network {net_name} ({subnet})"))
            return subnet
        if "already" not in result.stderr and "overlap" not in result.stderr:
            raise CommandFailed(["podman", "network", "create", net_name], result.returncode, result.stderr)
    raise LabError(f"could not create network {net_name}: every subnet tried was taken meanwhile")


def _host_routes() -> list[IPv4Network]:
    try:
        return parse_proc_net_route(Path("/proc/net/route").read_text())
    except OSError:
        return []


def _check_name_free(podman: Podman, container: str) -> None:
    other = podman.container(container)
    if other is not None and other.lab == "":
        raise LabError(f"a container named {container} exists that is not part of a lab; remove or rename it")


def _ensure_volume(podman: Podman, lab: str, volume: str) -> None:
    found = podman.volume(volume)
    if found is None:
        podman("volume", "create", "--label", f"{LAB_LABEL}={lab}", volume)
    elif found.labels.get(LAB_LABEL) != lab:
        raise LabError(f"a podman volume named {volume} exists that is not part of lab {lab}; remove it first")


def _remove_volumes(podman: Podman, lab: str, keep: set[str]) -> list[str]:
    gone = [v.name for v in podman.volumes(f"{LAB_LABEL}={lab}") if v.name not in keep]
    if gone:
        podman("volume", "rm", "--force", *gone)
    return gone


def _run_host(podman: Podman, spec: LabSpec, host: HostSpec) -> None:
    podman(
        "run", "--detach", "--name", host.name, "--hostname", host.name,
        "--label", f"{LAB_LABEL}={spec.name}", "--label", f"{ROLE_LABEL}={host.role}",
        "--label", f"{ADDRESS_LABEL}={host.address}",
        *HOST_FLAGS,
        "--network", spec.network, "--ip", str(host.address),
        "--volume", f"{host.volume}:/var/lib/containerd",
        image.IMAGE, "/sbin/init",
        timeout=180,
    )  # fmt: skip


def _bring_up_host(
    podman: Podman, spec: LabSpec, host: HostSpec, existing: Container | None, setup: _LoginSetup, timeout: float
) -> list[str]:
    """Create or start the host, wait for its boot, set up the login; return its SSH host keys."""
    if existing is None:
        _run_host(podman, spec, host)
    elif existing.state != "running":
        try:
            podman("start", host.name, timeout=180)
        except CommandFailed:
            # A `podman run` killed half-way can leave a container that never starts (runc:
            # "container with given ID already exists"). Nothing is lost by making it anew.
            podman.remove_containers([host.name])
            _run_host(podman, spec, host)
    wait_until_booted(podman, host.name, timeout)
    # The key (and a sudo password) go over podman exec's stdin: nothing secret is on a command line.
    args, stdin = setup.command()
    out = podman("exec", "-i", host.name, *args, input=stdin).stdout
    keys = [line for line in out.splitlines() if line.strip()]
    if not keys:
        raise LabError(f"{host.name} has no SSH host keys after boot (unit {image.HOSTKEYS_UNIT_NAME} did not run)")
    return keys


def wait_until_booted(podman: Podman, host: str, timeout: float = BOOT_TIMEOUT) -> str:
    """Block until `systemctl is-system-running` says running or degraded; return which."""
    deadline = time.monotonic() + timeout
    last = ""
    pause = 0.02
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise LabError(
                f"{host} did not finish booting within {timeout:.0f} s "
                f"(systemctl is-system-running: {last or 'no answer'}); see `podman logs {host}`"
            )
        try:
            # --wait blocks until boot is over, so there is no coarse polling; the loop only
            # covers the moment before systemd listens, when systemctl cannot connect yet.
            result = podman("exec", host, "systemctl", "is-system-running", "--wait", timeout=left, check=False)
        except CommandFailed:
            continue  # timed out: the next turn reports it
        answer = result.stdout.strip()
        if answer in ("running", "degraded"):
            return answer
        errors = result.stderr.strip().splitlines()
        last = answer or (errors[-1] if errors else "")
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def _write(path: Path, text: str, mode: int = 0o600) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.chmod(mode)
    os.replace(tmp, path)


# -------------------------------------------------------------------------------------- down


def down(name: str = DEFAULT_NAME, *, home: Path | None = None) -> DownResult:
    """Remove exactly what `up` made for lab `name`: found by label, plus the known state files."""
    check_name(name)
    require(("podman",))
    podman = Podman()
    label = f"{LAB_LABEL}={name}"
    containers = [c.name for c in podman.containers(label)] + podman.storage_leftovers(name, image.IMAGE)
    podman.remove_containers(containers)
    volumes = _remove_volumes(podman, name, keep=set())
    networks = [n.name for n in podman.networks(label)]
    for net in networks:
        podman("network", "rm", "--force", net)
    paths = lab_paths(name, home)
    was_a_lab = paths.site.is_file()  # `up` wrote the lab's answer file: its site is the lab's
    files = _remove_state(paths)
    site_state = _forget_site(name, home) if was_a_lab else None
    return DownResult(name, tuple(containers), tuple(volumes), tuple(networks), tuple(files), site_state)


def _forget_site(name: str, home: Path | None) -> str | None:
    """Remove the state folder of the lab's site (its `metadata.name` is the lab's name): runs,
    recorded host keys, ssh control sockets. A lab made again is a new site: `install --resume`
    must not continue a run on hosts that no longer exist. Other sites' folders are never touched."""
    folder = site_state_dir(name, home, create=False)
    if not folder.is_dir() or folder.is_symlink():
        return None
    lock = folder / "install.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # a run of the site is going on: never pull its run folder from under it
        return None
    finally:
        os.close(fd)
    shutil.rmtree(folder)
    return str(folder)


def _remove_state(paths: LabPaths) -> list[str]:
    removed = []
    for fname in STATE_FILES:
        for path in (paths.dir / fname, paths.dir / f"{fname}.tmp"):
            if path.exists():
                path.unlink()
                removed.append(str(path))
    if paths.dir.is_dir() and not any(paths.dir.iterdir()):
        paths.dir.rmdir()
        removed.append(str(paths.dir))
    return removed


# ------------------------------------------------------------------------------------ status


def status(name: str | None = None, *, home: Path | None = None) -> list[LabStatus]:
    """Every lab on this machine (or only lab `name`): from podman labels, plus state folders.

    A lab with no hosts but a network, volumes or state files left is `stale` (a half-made or
    half-removed lab); it is listed so that its leftovers, which hold a subnet and disk, are seen.
    """
    if name is not None:
        check_name(name)
    require(("podman",))
    podman = Podman()
    label = LAB_LABEL if name is None else f"{LAB_LABEL}={name}"
    hosts: dict[str, list[HostStatus]] = {}
    for c in podman.containers(label):
        hosts.setdefault(c.lab, []).append(
            HostStatus(c.name, c.labels.get(ROLE_LABEL, ""), c.labels.get(ADDRESS_LABEL, ""), c.state)
        )
    nets = {n.labels[LAB_LABEL]: n for n in podman.networks(label)}
    volumes: dict[str, list[str]] = {}
    for volume in podman.volumes(label):
        volumes.setdefault(volume.labels.get(LAB_LABEL, ""), []).append(volume.name)
    state_root = (home or aicloud_home()) / "lab"
    dirs = {p.name: p for p in state_root.iterdir() if p.is_dir()} if state_root.is_dir() else {}
    if name is not None:
        dirs = {n: p for n, p in dirs.items() if n == name}
    out = []
    for lab in sorted(set(hosts) | set(nets) | set(volumes) | set(dirs)):
        net = nets.get(lab)
        out.append(
            LabStatus(
                name=lab,
                network=net.name if net else None,
                subnet=str(net.subnets[0]) if net and net.subnets else None,
                state_dir=str(dirs[lab]) if lab in dirs else None,
                hosts=tuple(sorted(hosts.get(lab, []), key=_host_order)),
                volumes=tuple(sorted(volumes.get(lab, []))),
                stale=lab not in hosts,
            )
        )
    return out


def _host_order(host: HostStatus) -> tuple[int, IPv4Address | str]:
    try:
        return (0, IPv4Address(host.address))
    except ValueError:
        return (1, host.name)


# ------------------------------------------------------------------------------ stop / start


def _lab_container(podman: Podman, host: str, lab: str | None) -> Container:
    names = [host] if lab is None or host.startswith(f"{lab}-") else [f"{lab}-{host}", host]
    for candidate in names:
        found = podman.container(candidate)
        if found is not None and found.lab and (lab is None or found.lab == lab):
            return found
    where = f" in lab {lab}" if lab else ""
    raise LabNotFound(f"no lab host {host}{where} (see `aicloud lab status`)")


def stop_host(host: str, lab: str | None = None) -> HostStatus:
    """Stop a lab host, as if it failed; its disk and address are kept for `start_host`."""
    require(("podman",))
    podman = Podman()
    found = _lab_container(podman, host, lab)
    podman("stop", "--time", "10", found.name, timeout=60)
    return _host_status(podman, found.name)


def start_host(host: str, lab: str | None = None, *, boot_timeout: float = BOOT_TIMEOUT) -> HostStatus:
    """Start a stopped lab host again and wait until it has booted."""
    require(("podman",))
    podman = Podman()
    found = _lab_container(podman, host, lab)
    if found.state != "running":
        podman("start", found.name, timeout=180)
    wait_until_booted(podman, found.name, boot_timeout)
    return _host_status(podman, found.name)


def _host_status(podman: Podman, name: str) -> HostStatus:
    found = podman.container(name)
    if found is None:
        raise LabNotFound(f"lab host {name} disappeared")
    return HostStatus(found.name, found.labels.get(ROLE_LABEL, ""), found.labels.get(ADDRESS_LABEL, ""), found.state)
