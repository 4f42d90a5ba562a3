"""A lab that logs in as a user with sudo: names, the files it writes, what each host is told."""

from ipaddress import IPv4Network
from pathlib import Path

import pytest

from installer.lab.engine import SUDOERS_DROP_IN, _LoginSetup
from installer.lab.layout import InvalidLabName, Login, plan_lab
from installer.lab.render import render_site_yaml, render_ssh_config
from installer.site import load_site_text

STATE = Path("/var/lib/aicloud-test/lab/t9")
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBlah aicloud-lab-t9\n"


def _spec(login: Login):
    return plan_lab("t9", 1, IPv4Network("10.89.30.0/24"), login)


def _site(login: Login, password: Path | None = None):
    text = render_site_yaml(_spec(login), STATE / "id_ed25519", STATE / "ssh_config", password)
    return load_site_text(text, str(STATE / "site.yaml")).site


@pytest.mark.parametrize("user", ["Ops", "9ops", "o ps", "ops;rm", "a" * 32, ""])
def test_a_login_user_that_useradd_would_refuse_is_an_error(user):
    with pytest.raises(InvalidLabName):
        Login(user)


def test_an_unknown_sudo_mode_is_an_error():
    with pytest.raises(InvalidLabName, match="nopasswd, password"):
        Login("ops", "sometimes")


def test_root_is_the_default_and_needs_no_become():
    site = _site(Login())
    assert site.ssh.user == "root" and site.ssh.become_password is None
    assert "User root" in render_ssh_config(_spec(Login()), STATE / "id_ed25519", STATE / "known_hosts")


def test_a_passwordless_sudo_user_logs_in_and_becomes_root():
    login = Login("ops", "nopasswd")
    site = _site(login)
    assert site.ssh.user == "ops" and site.ssh.become and site.ssh.become_password is None
    assert site.ssh.ansible_vars(STATE)["ansible_become"] is True
    text = render_ssh_config(_spec(login), STATE / "id_ed25519", STATE / "known_hosts")
    assert "  User ops" in text and "User root" not in text


def test_a_sudo_password_is_a_file_reference_never_a_value():
    site = _site(Login("ops", "password"), STATE / "sudo_password")
    assert site.ssh.become_password is not None
    assert site.ssh.become_password.file == str(STATE / "sudo_password")
    with pytest.raises(ValueError, match="password's file"):
        _site(Login("ops", "password"))


def test_the_host_setup_carries_key_and_password_on_stdin_only():
    setup = _LoginSetup(Login("ops", "password"), KEY, "s3cret-Pw")
    args, stdin = setup.command()
    assert stdin == KEY.strip() + "\ns3cret-Pw\n"
    assert not any("s3cret-Pw" in arg or "AAAAC3" in arg for arg in args)
    assert args[-2:] == ["ops", "password"]
    script = args[2]
    assert "visudo -c -q -f" in script and SUDOERS_DROP_IN in script and "chpasswd" in script
    assert "rm -f /root/.ssh/authorized_keys" in script  # root cannot log in: become must really be used


def test_root_login_setup_writes_roots_key_from_stdin():
    args, stdin = _LoginSetup(Login(), KEY).command()
    assert stdin == KEY and "/root/.ssh/authorized_keys" in args[-1]
