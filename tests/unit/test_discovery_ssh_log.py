"""paramiko's own log (a dying ProxyCommand, "Error reading SSH protocol banner") belongs in the
run's ssh.log, never on the console: the faces give one line per host instead."""

from __future__ import annotations

import logging

from installer.discovery import runner


def test_paramiko_errors_go_to_the_run_log_not_the_console(tmp_path, capfd):
    runner._log_ssh_to(tmp_path)
    try:
        raise BrokenPipeError(32, "Broken pipe")
    except BrokenPipeError:
        logging.getLogger("paramiko.transport").error("Exception (client): ProxyCommand failed", exc_info=True)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    text = (tmp_path / "ssh.log").read_text()
    assert "ProxyCommand failed" in text and "BrokenPipeError" in text


def test_the_next_discovery_gets_its_own_ssh_log(tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    runner._log_ssh_to(first)
    runner._log_ssh_to(second)
    logging.getLogger("paramiko.transport").error("Error reading SSH protocol banner")
    assert not (first / "ssh.log").exists()
    assert "protocol banner" in (second / "ssh.log").read_text()
