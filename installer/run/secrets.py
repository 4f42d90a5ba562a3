"""Secrets for a run: resolved once, kept in a private tmpfs folder, never in the run directory.

Ansible reads a secret through a `file` lookup of a 0600 file in a 0700 folder under
/dev/shm (memory, gone at reboot) that is removed when the run ends. Environment
variables that held secrets are removed from this process's environment once read, so
neither ansible-playbook's environment (which ansible-runner dumps into its artifacts) nor
any command line ever carries a secret.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from installer.errors import Refused
from installer.site.load import LoadedSite
from installer.site.model import SecretRef


class SecretUnavailable(Refused):
    """A referenced secret cannot be read. The message names the reference, never a value."""


@dataclass
class SecretStore:
    dir: Path
    consumed_env: list[str] = field(default_factory=list)

    @classmethod
    def create(cls) -> SecretStore:
        base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        return cls(Path(tempfile.mkdtemp(prefix="aicloud-secrets-", dir=base)))

    def put(self, name: str, value: str) -> Path:
        path = self.dir / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value)
        return path

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _resolve(ref: SecretRef, where: str, loaded: LoadedSite, store: SecretStore) -> str:
    try:
        value = ref.resolve(loaded.base_dir)
    except LookupError as exc:
        raise SecretUnavailable(f"{where}: {exc}") from None
    if ref.env:
        store.consumed_env.append(ref.env)
    return value


def materialize(loaded: LoadedSite, store: SecretStore) -> dict[str, str]:
    """Extra variables that point Ansible at the secrets; values live only in `store`."""
    site = loaded.site
    extravars: dict[str, str] = {}
    key = site.ssh.private_key
    if key.env is not None:
        value = _resolve(key, "ssh.privateKey", loaded, store)
        extravars["ansible_ssh_private_key_file"] = str(store.put("ssh_private_key", value.rstrip("\n") + "\n"))
    elif not key.file_path(loaded.base_dir).is_file():
        raise SecretUnavailable(f"ssh.privateKey: no such file {key.file_path(loaded.base_dir)}")
    lookups = {
        "ansible_become_password": ("ssh.becomePassword", site.ssh.become_password),
        "platform_admin_password": ("platform.adminPassword", site.platform.admin_password),
    }
    for var, (where, ref) in lookups.items():
        if ref is not None:
            path = store.put(var, _resolve(ref, where, loaded, store))
            extravars[var] = "{{ lookup('ansible.builtin.file', '%s') }}" % path  # noqa: UP031 (Jinja braces)
    for name in store.consumed_env:
        os.environ.pop(name, None)
    return extravars
