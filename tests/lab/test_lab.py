"""The lab end to end: real podman hosts booting systemd, reached over real SSH.

Traffic goes only to the lab's own hosts or stays inside a host: the air-gap checks use a
documentation address (198.51.100.0/24, RFC 5737) that no lab host has a route to, so the
kernel refuses locally and nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from installer import lab as engine
from installer.lab.layout import LAB_LABEL, network_name
from installer.site import load_site
from installer.state import site_state_dir

pytestmark = pytest.mark.lab

OUTSIDE = "198.51.100.7"
AICLOUD = str(Path(sys.executable).parent / "aicloud")


def aicloud(home: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "AICLOUD_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [AICLOUD, *args], capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL
    )


def zombie_children() -> set[int]:
    """This process's children that have ended and were never waited for."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] == "Z" and int(fields[1]) == os.getpid():
            found.add(int(stat.parent.name))
    return found


def podman(*args: str) -> str:
    """podman as the lab runs it (its network backend), so the test sees what the lab made."""
    from installer.lab.podman import network_backend_args

    command = ["podman", *network_backend_args(), *args]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


def lab_containers(name: str) -> dict[str, str]:
    out = podman("ps", "-a", "--filter", f"label={LAB_LABEL}={name}", "--format", "{{.Names}} {{.ID}}")
    return dict(line.split() for line in out.splitlines())


def lab_objects(name: str) -> dict[str, list[str]]:
    label = f"label={LAB_LABEL}={name}"
    return {
        "containers": sorted(lab_containers(name)),
        "volumes": podman("volume", "ls", "--filter", label, "--format", "{{.Name}}").split(),
        "networks": podman("network", "ls", "--filter", label, "--format", "{{.Name}}").split(),
    }


# ------------------------------------------------------------------------ the shared lab


def test_every_host_answers_ssh_with_its_pinned_host_key(lab):
    for host in lab.hosts:
        assert lab.ssh(host, "hostname").stdout.strip() == host
    # StrictHostKeyChecking is yes: these logins prove known_hosts holds each host's real key.
    assert "StrictHostKeyChecking yes" in lab.up.paths.ssh_config.read_text()


def test_a_host_is_reached_by_its_address_as_well(lab):
    node1 = lab.up.spec.nodes[0]
    assert lab.ssh(str(node1.address), "hostname").stdout.strip() == node1.name


def test_the_lab_key_is_private_to_its_owner(lab):
    assert oct(lab.up.paths.key.stat().st_mode & 0o777) == "0o600"
    assert lab.up.paths.key.read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert lab.up.paths.public_key.read_text().startswith("ssh-ed25519 ")


def test_hosts_have_no_route_out_of_the_lab(lab):
    host = lab.hosts[1]
    routes = lab.ssh(host, "ip -4 route").stdout
    assert "default" not in routes
    assert routes.strip() == f"{lab.up.spec.subnet} dev eth0 proto kernel scope link src {lab.up.spec.nodes[0].address}"
    refused = lab.ssh(host, f"ip route get {OUTSIDE}", check=False)
    assert refused.returncode != 0 and "unreachable" in refused.stderr
    connect = (
        "import errno, socket\n"
        "try:\n"
        f"    socket.create_connection(('{OUTSIDE}', 80), timeout=5)\n"
        "except OSError as e:\n"
        "    print(errno.errorcode[e.errno])\n"
    )
    assert lab.ssh(host, f'python3 -c "{connect}"').stdout.strip() == "ENETUNREACH"


def test_apt_get_update_against_an_outside_mirror_fails(lab):
    command = (
        f"echo 'deb http://{OUTSIDE}/debian bookworm main' > /tmp/outside.list && "
        "apt-get -o Dir::Etc::SourceList=/tmp/outside.list -o Dir::Etc::SourceParts=/nonexistent "
        "-o APT::Update::Error-Mode=any -o Acquire::Retries=0 update"
    )
    result = lab.ssh(lab.hosts[0], command, check=False, timeout=60)
    assert result.returncode != 0
    assert "Network is unreachable" in result.stdout + result.stderr


def test_hosts_reach_each_other_by_name_and_by_address(lab):
    spec = lab.up.spec
    source = spec.nodes[0].name
    for target in (spec.nodes[1].name, str(spec.deploy.address)):
        banner = lab.ssh(
            source, f"python3 -c \"import socket; print(socket.create_connection(('{target}', 22), 5).recv(64))\""
        ).stdout
        assert "SSH-2.0-OpenSSH" in banner, target


def test_no_two_hosts_share_a_machine_id_or_a_host_key(lab):
    ids = {h: lab.ssh(h, "cat /etc/machine-id").stdout.strip() for h in lab.hosts}
    keys = {h: lab.ssh(h, "cat /etc/ssh/ssh_host_ed25519_key.pub").stdout.split()[1] for h in lab.hosts}
    assert all(len(v) == 32 for v in ids.values())
    assert len(set(ids.values())) == len(lab.hosts)
    assert len(set(keys.values())) == len(lab.hosts)
    known = lab.up.paths.known_hosts.read_text().splitlines()
    for host, key in keys.items():
        assert f"{host} ssh-ed25519 {key}" in known


def test_each_host_has_its_own_containerd_volume(lab):
    for host in lab.hosts:
        mounts = json.loads(podman("container", "inspect", "--format", "{{json .Mounts}}", host))
        assert [(m["Name"], m["Destination"]) for m in mounts] == [(f"{host}-containerd", "/var/lib/containerd")]


def test_site_yaml_matches_the_running_lab(lab):
    site = load_site(lab.up.paths.site).site
    assert site.metadata.name == lab.name
    assert [n.name for n in site.nodes] == lab.hosts
    assert str(site.network.management_cidr) == str(lab.up.spec.subnet)
    for node in site.nodes:
        assert lab.ssh(node.name, "ip -4 -o addr show eth0").stdout.split()[3] == f"{node.address}/24"
    assert site.ssh.config_file == str(lab.up.paths.ssh_config)


def test_status_lists_the_lab_and_its_running_hosts(lab):
    found = {item.name: item for item in engine.status(home=lab.home)}[lab.name]
    assert found.network == network_name(lab.name)
    assert found.subnet == str(lab.up.spec.subnet)
    assert [(h.name, h.address, h.state) for h in found.hosts] == [
        (h.name, str(h.address), "running") for h in lab.up.spec.hosts
    ]


def test_a_stopped_host_is_unreachable_and_comes_back_the_same_machine(lab):
    host = lab.up.spec.nodes[-1]
    machine_id = lab.ssh(host.name, "cat /etc/machine-id").stdout
    assert engine.stop_host(host.name.removeprefix(f"{lab.name}-"), lab.name).state in ("exited", "stopped")
    assert lab.ssh(host.name, "true", check=False, timeout=30).returncode != 0
    assert engine.start_host(host.name).state == "running"
    assert lab.ssh(host.name, "cat /etc/machine-id").stdout == machine_id
    assert lab.ssh(host.name, "ip -4 -o addr show eth0").stdout.split()[3] == f"{host.address}/24"


def test_up_again_keeps_the_same_lab(lab):
    before = lab_containers(lab.name)
    again = engine.up(lab.name, 3, home=lab.home)
    assert again.kept == tuple(lab.hosts) and not again.created and not again.removed
    assert lab_containers(lab.name) == before
    assert lab_objects(lab.name)["networks"] == [network_name(lab.name)]
    for host in lab.hosts:
        lab.ssh(host, "true")


# ----------------------------------------------------------------- labs of their own


def test_an_interrupted_up_is_finished_by_the_next_up(lab, lab_names):
    name = lab_names()
    code = f"from installer.lab import up; from pathlib import Path; up({name!r}, 2, home=Path({str(lab.home)!r}))"
    child = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not lab_containers(name):
            assert child.poll() is None, f"up ended before it could be interrupted: {child.stderr.read()}"
            assert time.monotonic() < deadline, "up never made a container"
            time.sleep(0.02)
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the whole group: python and the podman commands it started
        child.wait(timeout=30)
    paths = engine.lab_paths(name, lab.home)
    assert lab_objects(name)["networks"] == [network_name(name)]
    assert not paths.site.exists(), "up was killed too late to leave a half-made lab"

    result = engine.up(name, 2, home=lab.home)

    result_hosts = [h.name for h in result.spec.hosts]
    assert lab_objects(name) == {
        "containers": sorted(result_hosts),
        "volumes": sorted(f"{h}-containerd" for h in result_hosts),
        "networks": [network_name(name)],
    }
    for host in result_hosts:
        out = subprocess.run(
            ["ssh", "-F", str(result.paths.ssh_config), host, "hostname"], capture_output=True, text=True, timeout=30
        )
        assert out.stdout.strip() == host, out.stderr
    load_site(result.paths.site)


def test_down_removes_everything_up_made_and_nothing_else(lab, lab_names):
    name = lab_names()
    result = engine.up(name, 1, home=lab.home)
    bystander = f"{name}-bystander"  # same prefix, no lab label: must survive
    podman("volume", "create", bystander)
    notes = result.paths.dir / "notes.txt"  # a user's own file in the lab folder: must survive
    notes.write_text("mine")
    try:
        gone = engine.down(name, home=lab.home)
        assert sorted(gone.containers) == [f"{name}-deploy", f"{name}-node1"]
        assert lab_objects(name) == {"containers": [], "volumes": [], "networks": []}
        assert sorted(p.name for p in result.paths.dir.iterdir()) == ["notes.txt"]
        assert podman("volume", "inspect", "--format", "{{.Name}}", bystander).strip() == bystander
        assert name not in [item.name for item in engine.status(home=lab.home) if item.hosts or item.network]
        assert not engine.down(name, home=lab.home).removed_anything
    finally:
        podman("volume", "rm", "--force", bystander)
        notes.unlink(missing_ok=True)
    # the shared lab is untouched by another lab's down
    lab.ssh(lab.hosts[0], "true")


def test_an_ssh_login_asks_no_dns_server(lab):
    # sshd -i names its peer "UNKNOWN" and PAM's audit record resolves it; the image answers
    # locally, or each login would query DNS outside the lab and can stall for its timeouts.
    assert lab.ssh(lab.hosts[0], "getent hosts UNKNOWN").stdout.split()[0] == "127.0.0.1"


def test_up_whose_output_is_closed_after_one_line_still_makes_the_whole_lab(lab, lab_names):
    # `aicloud lab up | head -1`: the reader goes away; the lab must still be made in full.
    name = lab_names()
    env = {**os.environ, "AICLOUD_HOME": str(lab.home)}
    proc = subprocess.Popen(
        [AICLOUD, "lab", "up", "--name", name, "--nodes", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    try:
        assert proc.stdout.readline()
    finally:
        proc.stdout.close()
    assert proc.wait(timeout=300) == 0  # the work's exit code: not 1 (EPIPE) nor 120 (flush at exit)
    shown = aicloud(lab.home, "lab", "status", "--name", name, "--output", "json")
    assert shown.returncode == 0, shown.stderr
    (status,) = json.loads(shown.stdout)
    assert not status["stale"] and status["network"] == network_name(name)
    assert [(h["name"], h["state"]) for h in status["hosts"]] == [
        (f"{name}-deploy", "running"),
        (f"{name}-node1", "running"),
        (f"{name}-node2", "running"),
    ]
    assert engine.lab_paths(name, lab.home).site.exists()


def test_status_shows_a_lab_left_without_hosts_as_stale_with_what_to_run(lab, lab_names):
    name = lab_names()
    engine.up(name, 1, home=lab.home)
    podman("rm", "--force", "--time", "0", f"{name}-deploy", f"{name}-node1")  # the hosts are gone, the rest stays

    shown = aicloud(lab.home, "lab", "status", "--name", name)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0].startswith(f"{name}: stale, no hosts; left: network {network_name(name)}")
    assert f"remove with: aicloud lab down --name {name}" in shown.stdout
    assert lab.name not in shown.stdout  # --name shows that lab only
    (status,) = json.loads(aicloud(lab.home, "lab", "status", "--name", name, "--output", "json").stdout)
    assert status["stale"] and status["hosts"] == [] and len(status["volumes"]) == 2
    everything = aicloud(lab.home, "lab", "status").stdout
    assert f"{name}: stale" in everything and f"{lab.name}: {network_name(lab.name)}" in everything

    engine.down(name, home=lab.home)
    gone = aicloud(lab.home, "lab", "status", "--name", name)
    assert gone.returncode == 1 and f"no lab {name}" in gone.stderr


def test_down_forgets_the_lab_sites_state_and_only_that(lab, lab_names, monkeypatch):
    from installer.run.locks import run_locks

    monkeypatch.setenv("AICLOUD_HOME", str(lab.home))  # where run_locks looks
    name = lab_names()
    result = engine.up(name, 1, home=lab.home)
    discovered = aicloud(lab.home, "discover", "-f", str(result.paths.site), "-o", "json")
    assert discovered.returncode == 0, discovered.stdout + discovered.stderr
    site_dir = site_state_dir(name, lab.home, create=False)
    assert (site_dir / "known_hosts").is_file() and any((site_dir / "runs").iterdir())
    (site_dir / "cp").mkdir(exist_ok=True)
    other = site_state_dir(f"{name}x", lab.home)  # another site whose name starts the same: must survive
    (other / "known_hosts").write_text("kept\n")
    try:
        down = aicloud(lab.home, "lab", "down", "--name", name)
        assert down.returncode == 0, down.stderr
        assert f"Forgot site {name}: removed {site_dir}" in down.stdout
        assert not site_dir.exists()
        assert (other / "known_hosts").read_text() == "kept\n"
        # Made again, the lab is a new site: no earlier run to resume, no old host keys.
        engine.up(name, 1, home=lab.home)
        assert not (site_dir / "runs").exists() and not (site_dir / "known_hosts").exists()
        # A site that a run holds is never pulled from under it, even by the lab's own down.
        site_dir.mkdir(parents=True, exist_ok=True)
        (site_dir / "known_hosts").write_text("held\n")
        with run_locks("install", name, {}):
            engine.down(name, home=lab.home)
        assert (site_dir / "known_hosts").read_text() == "held\n"
        # And with no lab of that name left, a site of that name is somebody else's: kept.
        assert aicloud(lab.home, "lab", "down", "--name", name).returncode == 0
        assert (site_dir / "known_hosts").read_text() == "held\n"
    finally:
        other.joinpath("known_hosts").unlink(missing_ok=True)
        other.rmdir()


def test_up_and_down_leave_no_zombie_children(lab, lab_names):
    before = zombie_children()
    name = lab_names()
    engine.up(name, 1, home=lab.home)
    engine.stop_host("node1", name)
    engine.start_host("node1", name)
    engine.status(home=lab.home)
    engine.down(name, home=lab.home)
    assert zombie_children() - before == set()


def test_discovery_of_a_lab_leaves_no_zombie_children(lab):
    from installer.discovery import discover

    before = zombie_children()
    discover(load_site(lab.up.paths.site), home=lab.home)
    # paramiko's ProxyCommand.close() sends SIGTERM to the `podman exec` it started and never
    # waits for it; discovery reaps it (installer/discovery/runner.py, _close).
    assert zombie_children() - before == set()
