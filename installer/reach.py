"""How to reach a node: the one place that knows the login user, key, port, jump host, the
site's ssh_config and become, and renders them for both tools that connect.

- `ansible_vars()`: Ansible's connection variables (group_vars of the rendered inventory).
- `pyinfra_data(node, pkey)`: pyinfra's host data (discovery, preflight, the re-run check).

A jump host (`ssh.bastion`) is reached the same way by both: an OpenSSH `ProxyCommand`
(`ssh -W %h:%p`) with the site's key, batch mode, and the host-key rules of the connection
itself (the site's ssh_config, or the site's trust-on-first-use store), so discovery accepts a
bastion exactly as the install does.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from installer.site.model import Bastion, Node, SecretRef, Ssh

#: what Ansible puts in place of the key file when it comes from an environment variable: the
#: run's private copy, known only at run time (installer.run.secrets)
_ANSIBLE_KEY = "{{ ansible_ssh_private_key_file }}"


@dataclass(frozen=True)
class Reach:
    user: str
    port: int
    key: SecretRef
    #: the key as a file on the controller: the site's, or a run's private copy of an env key
    key_file: Path | None
    #: sudo for tasks that need root (asked for, and the user is not root)
    become: bool
    become_password: SecretRef | None
    bastion: Bastion | None
    config_file: Path | None
    #: the site's trust-on-first-use host-key store, when the site has no ssh_config of its own
    known_hosts: Path | None

    @classmethod
    def of(cls, ssh: Ssh, base: Path, known_hosts: Path | None = None) -> Reach:
        """From a site's `ssh` section; paths relative to `base` (the answer file's folder)."""
        return cls(
            user=ssh.user,
            port=ssh.port,
            key=ssh.private_key,
            key_file=ssh.private_key.file_path(base),
            become=ssh.become and ssh.user != "root",
            become_password=ssh.become_password,
            bastion=ssh.bastion,
            config_file=ssh.config_path(base),
            known_hosts=None if ssh.config_file else known_hosts,
        )

    def with_key_file(self, path: Path) -> Reach:
        """The same, with the key read from `path` (a run's private copy of an env-var key)."""
        return replace(self, key_file=path)

    def jump_command(self, key_file: str | None = None) -> list[str] | None:
        """The OpenSSH command that carries a connection through the bastion (`%h:%p` left to
        the caller), or None without one."""
        if self.bastion is None:
            return None
        command = ["ssh", "-W", "%h:%p", "-p", str(self.bastion.port), "-o", "BatchMode=yes"]
        if self.config_file is not None:
            command += ["-F", str(self.config_file)]
        key = key_file or (str(self.key_file) if self.key_file else None)
        if key:
            command += ["-o", "IdentitiesOnly=yes", "-i", key]
        if self.known_hosts is not None:
            command += ["-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "StrictHostKeyChecking=accept-new"]
        return [*command, f"{self.bastion.user}@{self.bastion.host}"]

    def ansible_vars(self) -> dict[str, object]:
        out: dict[str, object] = {
            "ansible_user": self.user,
            "ansible_port": self.port,
            "ansible_become": self.become,
        }
        if self.key_file is not None:
            out["ansible_ssh_private_key_file"] = str(self.key_file)
        else:
            # The run writes the key from the environment into its private store (0600).
            out["aicloud_ssh_private_key_ref"] = self.key.describe()
        args = []
        if self.config_file is not None:
            args.append(f"-F {shlex.quote(str(self.config_file))}")
        jump = self.jump_command(key_file=None if self.key_file else _ANSIBLE_KEY)
        if jump is not None:
            args.append("-o " + shlex.quote(f"ProxyCommand={shlex.join(jump)}"))
        if args:
            out["ansible_ssh_common_args"] = " ".join(args)
        return out

    def pyinfra_data(self, node: Node, pkey: Any) -> dict[str, Any]:
        """pyinfra host data for a node. Host keys are verified by discovery's `KnownHosts`
        after the handshake, so paramiko gets an empty known_hosts and lets the handshake through."""
        connect: dict[str, Any] = {"pkey": pkey, "allow_agent": False, "look_for_keys": False}
        jump = self.jump_command()
        if jump is not None:
            import paramiko

            target = f"{node.address}:{self.port}"
            connect["sock"] = paramiko.ProxyCommand(shlex.join(jump).replace("%h:%p", target))
        data: dict[str, Any] = {
            "ssh_hostname": str(node.address),
            "ssh_user": self.user,
            "ssh_port": self.port,
            "ssh_allow_agent": False,
            "ssh_look_for_keys": False,
            "ssh_paramiko_connect_kwargs": connect,
            "ssh_known_hosts_file": "/dev/null",
            "ssh_strict_host_key_checking": "no",
        }
        if self.config_file is not None:
            data["ssh_config_file"] = str(self.config_file)
        return data
