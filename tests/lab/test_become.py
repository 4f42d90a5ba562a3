"""`aicloud install` on a lab that logs in as a user with sudo: Ansible's `become` for real.

One lab of 1 node plus the deploy host per sudo mode: `nopasswd` (a sudoers drop-in) and
`password` (the login user's own password, random per lab, in a 0600 file of the lab's folder,
given to the install as `ssh.becomePassword: {file: ...}`). Root cannot log in to these hosts,
so every task that needs root proves sudo worked. Each mode installs, then re-installs with
`--full` (every task runs again, none changes anything); the password must show up in no file
of either run, no output and no process command line.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from installer import lab as engine
from installer.lab import UpResult
from installer.lab.layout import Login
from tests.lab.conftest import AICLOUD, unique_lab_name

pytestmark = pytest.mark.lab

LOGIN_USER = "ops"


@dataclass
class Install:
    result: subprocess.CompletedProcess
    run_dir: Path | None
    #: Command lines (their start) of processes seen holding the sudo password during the run.
    leaked_cmdlines: list[str]


@pytest.fixture(scope="module", params=["nopasswd", "password"])
def sudo_lab(request, lab_prerequisites, lab_home) -> UpResult:
    name = unique_lab_name("b")
    try:
        yield engine.up(name, 1, home=lab_home, login=Login(LOGIN_USER, request.param))
    finally:
        engine.down(name, home=lab_home)


def ssh(lab: UpResult, host: str, command: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ssh", "-F", str(lab.paths.ssh_config), *extra, host, command],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def is_active(host: str, unit: str) -> bool:
    # Through podman exec (as root): a user's systemctl needs D-Bus, which the lab image has not.
    result = subprocess.run(
        ["podman", "exec", host, "systemctl", "is-active", unit], capture_output=True, text=True, timeout=60
    )
    return result.stdout.strip() == "active"


def install(lab: UpResult, cli_env: dict[str, str], bundle: Path, *extra: str) -> Install:
    """`aicloud install --yes` as a user runs it, watching every command line while it runs."""
    password = lab.paths.sudo_password.read_text().strip() if lab.spec.login.needs_password else None
    proc = subprocess.Popen(
        [AICLOUD, "install", "-f", str(lab.paths.site), "--yes", "--bundle", str(bundle), *extra],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    leaked: list[str] = []
    output: list[str] = []
    reader = _drain(proc, output)
    deadline = time.monotonic() + 900
    while proc.poll() is None and time.monotonic() < deadline:
        if password:
            leaked += _cmdlines_with(password)
        time.sleep(0.1)
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=60)
    reader.join(timeout=30)
    text = "".join(output)
    result = subprocess.CompletedProcess(proc.args, proc.returncode, text, "")
    marker = "install finished: run directory "
    run_dir = Path(text.split(marker)[1].split()[0]) if marker in text else None
    return Install(result, run_dir, leaked)


def _drain(proc: subprocess.Popen, into: list[str]) -> threading.Thread:
    thread = threading.Thread(target=lambda: into.extend(proc.stdout), daemon=True)
    thread.start()
    return thread


def _cmdlines_with(secret: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue
        if secret in text:
            found.append(text[:200])
    return found


@pytest.fixture(scope="module")
def installs(sudo_lab, cli_env, bundle_dir) -> dict[str, Install]:
    """The first install and a `--full` re-run of this lab (the tests below read them)."""
    first = install(sudo_lab, cli_env, bundle_dir)
    if first.result.returncode != 0:
        return {"first": first}
    return {"first": first, "full": install(sudo_lab, cli_env, bundle_dir, "--full")}


def _ok(run: Install) -> None:
    # With a sudo password, bundle_server stages its copy as the login user (rsync's stdin is its
    # protocol: `sudo rsync` cannot be given a password) and moves it into place as root.
    output = run.result.stdout
    assert run.result.returncode == 0, output
    assert run.run_dir is not None and run.run_dir.is_dir(), output


def test_root_cannot_log_in_and_the_login_user_is_not_root(sudo_lab):
    for host in sudo_lab.spec.hosts:
        assert ssh(sudo_lab, host.name, "id -u").stdout.strip() not in ("", "0")
        assert ssh(sudo_lab, host.name, "id -un").stdout.strip() == LOGIN_USER
        assert ssh(sudo_lab, host.name, "true", "-o", "User=root").returncode != 0
    # sudo without a password works in exactly one of the two modes
    no_password = ssh(sudo_lab, sudo_lab.spec.deploy.name, "sudo -n true").returncode == 0
    assert no_password == (sudo_lab.spec.login.sudo == "nopasswd")
    site = sudo_lab.paths.site.read_text()
    assert f"user: {LOGIN_USER}" in site and "become: true" in site


def test_install_runs_every_root_task_through_sudo(sudo_lab, installs):
    first = installs["first"]
    _ok(first)
    for host in sudo_lab.spec.hosts:
        owner = ssh(sudo_lab, host.name, "stat -c %u:%g /etc/aicloud/release.json")
        assert owner.stdout.strip() == "0:0", owner.stderr
        assert is_active(host.name, "chrony")
    node = sudo_lab.spec.nodes[0].name
    assert is_active(node, "containerd")
    # Nothing a role meant for root landed in the login user's home instead (only Ansible's
    # temporary folder and sudo's first-use marker may be new).
    home = set(ssh(sudo_lab, node, "ls -A ~").stdout.split())
    assert home - {".ansible", ".bash_logout", ".bashrc", ".profile", ".ssh", ".sudo_as_admin_successful"} == set()


def test_a_full_second_install_through_sudo_changes_nothing(installs):
    _ok(installs["first"])
    full = installs["full"]
    assert full.result.returncode == 0, full.result.stdout
    finished = [line for line in full.result.stdout.splitlines() if ": done, " in line and " changed" in line]
    assert {line.split(":")[0] for line in finished} >= {"bundle", "os", "runtime"}, full.result.stdout
    assert all(line.endswith(": done, 0 changed") for line in finished), "\n".join(finished)


def test_the_sudo_password_is_in_no_run_file_output_or_command_line(sudo_lab, request):
    if not sudo_lab.spec.login.needs_password:
        # passwordless sudo: no password exists anywhere, and the answer file asks for none
        assert not sudo_lab.paths.sudo_password.exists()
        assert "becomePassword" not in sudo_lab.paths.site.read_text()
        return
    installs = request.getfixturevalue("installs")
    password = sudo_lab.paths.sudo_password.read_text().strip()
    assert len(password) >= 20
    assert oct(sudo_lab.paths.sudo_password.stat().st_mode & 0o777) == "0o600"
    assert password not in sudo_lab.paths.site.read_text() and password not in sudo_lab.paths.ssh_config.read_text()
    for run in installs.values():
        assert run.leaked_cmdlines == []
        assert password not in run.result.stdout
        if run.run_dir is None:
            continue
        for path in run.run_dir.rglob("*"):
            if path.is_file():
                assert password not in path.read_text(errors="replace"), path
    _ok(installs["first"])
