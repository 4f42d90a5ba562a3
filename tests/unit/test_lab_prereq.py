"""Missing tools or root give one clear error naming the Debian packages to install."""

import pytest

from installer.lab import MissingPrerequisite, prereq


def test_missing_tools_name_their_debian_packages(monkeypatch):
    monkeypatch.setattr(prereq.shutil, "which", lambda name, path=None: None)
    monkeypatch.setattr(prereq.os, "geteuid", lambda: 0)
    with pytest.raises(MissingPrerequisite) as caught:
        prereq.require(("podman", "runc", "debootstrap", "ssh-keygen"))
    message = str(caught.value)
    assert "missing podman, runc, debootstrap, ssh-keygen" in message
    assert "apt-get install -y debootstrap openssh-client podman runc" in message
    assert caught.value.packages == ("debootstrap", "openssh-client", "podman", "runc")


def test_not_root_is_said_together_with_missing_tools(monkeypatch):
    monkeypatch.setattr(prereq.shutil, "which", lambda name, path=None: None if name == "runc" else f"/usr/bin/{name}")
    monkeypatch.setattr(prereq.os, "geteuid", lambda: 1000)
    with pytest.raises(
        MissingPrerequisite, match=r"needs root.*missing runc; install it with: apt-get install -y runc"
    ):
        prereq.require(("podman", "runc"))


def test_nothing_missing_raises_nothing(monkeypatch):
    monkeypatch.setattr(prereq.shutil, "which", lambda name, path=None: f"/usr/bin/{name}")
    monkeypatch.setattr(prereq.os, "geteuid", lambda: 0)
    prereq.require(("podman", "runc", "debootstrap"))


def test_tools_in_sbin_are_found_without_sbin_in_path(monkeypatch):
    monkeypatch.setattr(prereq.shutil, "which", lambda name, path=None: "/usr/sbin/debootstrap" if path else None)
    assert prereq.find_tool("debootstrap") == "/usr/sbin/debootstrap"
