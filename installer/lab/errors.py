"""Errors of the lab. The faces print `str(error)` as one line; none of them is a bug."""

from __future__ import annotations


class LabError(Exception):
    """Something in the environment or in podman stopped the lab; the message says what."""


class MissingPrerequisite(LabError):
    """A tool or privilege the lab needs is missing; names the Debian packages that bring it."""

    def __init__(self, what: str, packages: tuple[str, ...] = ()):
        self.what = what
        self.packages = packages
        hint = f"; install it with: apt-get install -y {' '.join(packages)}" if packages else ""
        super().__init__(f"{what}{hint}")


class CommandFailed(LabError):
    """An external tool (podman, debootstrap, ssh-keygen) failed or timed out."""

    def __init__(self, args: list[str], returncode: int | None, stderr: str):
        self.args_ = args
        self.returncode = returncode
        self.stderr = stderr.strip()
        shown = " ".join(args[:4]) + (" ..." if len(args) > 4 else "")
        if returncode is None:
            detail = "timed out"
        else:
            last = self.stderr.splitlines()[-1] if self.stderr else "no error output"
            detail = f"exit {returncode}: {last}"
        super().__init__(f"`{shown}` failed ({detail})")


class LabNotFound(LabError):
    """No lab (or no lab host) of that name exists."""
