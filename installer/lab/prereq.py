"""What the lab needs on the controller, checked before anything is made."""

from __future__ import annotations

import os
import shutil

from installer.lab.errors import MissingPrerequisite

#: Tool -> the Debian package that ships it.
TOOLS: dict[str, str] = {
    "podman": "podman",
    "runc": "runc",
    "debootstrap": "debootstrap",
    "ssh-keygen": "openssh-client",
    "ssh": "openssh-client",
}
_SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def find_tool(name: str) -> str:
    """Absolute path of a tool (also in sbin, which a non-login PATH may lack)."""
    found = shutil.which(name) or shutil.which(name, path=os.pathsep.join(_SBIN))
    if found is None:
        raise MissingPrerequisite(f"{name} is not installed", (TOOLS.get(name, name),))
    return found


def missing_tools(names: tuple[str, ...]) -> list[str]:
    out = []
    for name in names:
        try:
            find_tool(name)
        except MissingPrerequisite:
            out.append(name)
    return out


def require(names: tuple[str, ...] = ("podman", "runc", "ssh-keygen", "ssh"), *, root: bool = True) -> None:
    """Raise one `MissingPrerequisite` naming everything missing and the packages to install."""
    problems: list[str] = []
    packages: list[str] = []
    if root and os.geteuid() != 0:
        problems.append("the lab needs root (podman runs privileged systemd hosts)")
    missing = missing_tools(names)
    if missing:
        problems.append(f"missing {', '.join(missing)}")
        packages = sorted({TOOLS.get(n, n) for n in missing})
    if problems:
        raise MissingPrerequisite("; ".join(problems), tuple(packages))
