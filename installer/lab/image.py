"""The lab's base image: Debian 12 with systemd and sshd, built locally with debootstrap.

No image can be pulled in an air-gapped place, so the lab builds its own. The image is cached:
it carries the hash of its recipe as a label and is rebuilt only when the recipe changes.
Every host made from it must be a distinct machine, so the image has an empty machine-id
(systemd makes one per host at first boot) and no SSH host keys (a oneshot unit makes each
host its own before sshd starts).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from installer.lab.errors import CommandFailed, LabError
from installer.lab.prereq import find_tool, require
from installer.lab.run import run

IMAGE = "localhost/aicloud-lab-base:bookworm"
RECIPE_LABEL = "aicloud.lab.recipe"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
BUILD_TIMEOUT = 1200.0

#: The image's /etc/hosts, instead of the controller's that debootstrap copies. Podman 4.3 gives a
#: host the controller's /etc/hosts anyway (plus its own entries); "UNKNOWN" is also passed with
#: `--add-host` (see `podman.HOST_FLAGS`), this is for runtimes that start from the image's file.
ETC_HOSTS = """\
127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
127.0.0.1\tUNKNOWN
"""

HOSTKEYS_UNIT_NAME = "aicloud-lab-hostkeys.service"
HOSTKEYS_UNIT = """\
[Unit]
Description=Generate this lab host's own SSH host keys
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
"""


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the image's content; its hash names the build."""

    suite: str = "bookworm"
    variant: str = "minbase"
    include: tuple[str, ...] = ("systemd", "systemd-sysv", "openssh-server", "python3", "iproute2", "sudo")
    hostkeys_unit: str = HOSTKEYS_UNIT
    etc_hosts: str = ETC_HOSTS
    #: Bump when `customise_rootfs` changes what it does.
    steps_version: int = 2

    def digest(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


RECIPE = Recipe()


def image_recipe(podman: str, image: str = IMAGE) -> str | None:
    """The recipe hash of the image as stored, or None when there is no such image."""
    result = run([podman, "image", "inspect", "--format", "{{json .Labels}}", image], check=False, timeout=60)
    if result.returncode != 0:
        return None
    labels = json.loads(result.stdout.strip() or "null") or {}
    return labels.get(RECIPE_LABEL)


def ensure_image(recipe: Recipe = RECIPE, image: str = IMAGE, on_build: object = None) -> bool:
    """Make sure the image exists for this recipe. Returns True when it had to be built."""
    podman = find_tool("podman")
    if image_recipe(podman, image) == recipe.digest():
        return False
    with _build_lock():
        if image_recipe(podman, image) == recipe.digest():  # another process built it meanwhile
            return False
        require(("podman", "debootstrap"))
        if callable(on_build):
            on_build()
        build_image(recipe, image)
        return True


@contextmanager
def _build_lock() -> Iterator[None]:
    path = Path(tempfile.gettempdir()) / "aicloud-lab-image.lock"
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_image(recipe: Recipe = RECIPE, image: str = IMAGE) -> None:
    """debootstrap a root file system, make it host-neutral, import it as the image."""
    mirror = os.environ.get("AICLOUD_LAB_MIRROR", DEFAULT_MIRROR)
    workdir = Path(tempfile.mkdtemp(prefix="aicloud-lab-rootfs-", dir="/var/tmp"))
    rootfs = workdir / "rootfs"
    try:
        run(
            [
                find_tool("debootstrap"),
                f"--variant={recipe.variant}",
                f"--include={','.join(recipe.include)}",
                recipe.suite,
                str(rootfs),
                mirror,
            ],
            timeout=BUILD_TIMEOUT,
        )
        customise_rootfs(rootfs, recipe)
        import_rootfs(rootfs, image, recipe.digest())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def customise_rootfs(rootfs: Path, recipe: Recipe = RECIPE) -> None:
    """Remove what would make every host the same machine; clean what only the build needed."""
    machine_id = rootfs / "etc/machine-id"
    machine_id.write_text("")  # empty, not missing: systemd then makes a new one at each host's first boot
    (rootfs / "var/lib/dbus/machine-id").unlink(missing_ok=True)
    (rootfs / "etc/hosts").write_text(recipe.etc_hosts)  # debootstrap copied the controller's
    for key in (rootfs / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    units = rootfs / "etc/systemd/system"
    (units / HOSTKEYS_UNIT_NAME).write_text(recipe.hostkeys_unit)
    wants = units / "multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    link = wants / HOSTKEYS_UNIT_NAME
    link.unlink(missing_ok=True)
    link.symlink_to(f"/etc/systemd/system/{HOSTKEYS_UNIT_NAME}")
    for deb in (rootfs / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()


def import_rootfs(rootfs: Path, image: str, digest: str) -> None:
    podman = find_tool("podman")
    args = [
        podman, "import", "--quiet",
        "--change", f"LABEL {RECIPE_LABEL}={digest}",
        "--change", 'CMD ["/sbin/init"]',
        "-", image,
    ]  # fmt: skip
    tar = subprocess.Popen(
        ["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        imported = subprocess.run(args, stdin=tar.stdout, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        tar.kill()
        raise CommandFailed(args, None, "") from None
    finally:
        if tar.stdout:
            tar.stdout.close()
    tar_err = tar.stderr.read().decode(errors="replace") if tar.stderr else ""
    if tar.wait(timeout=60) != 0:
        raise CommandFailed(["tar", "-C", str(rootfs), "-c", "."], tar.returncode, tar_err)
    if imported.returncode != 0:
        raise CommandFailed(args, imported.returncode, imported.stderr)
    if image_recipe(podman, image) != digest:
        raise LabError(f"imported {image} but it does not carry label {RECIPE_LABEL}={digest}")
