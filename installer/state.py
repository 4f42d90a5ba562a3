"""Where aicloud keeps what it learns about a site: runs, host keys, discovery results.

`$AICLOUD_HOME` (default `~/.aicloud`) holds `sites/<site name>/` for each site and
`lab/<lab name>/` for labs. A site's folder holds:

- `known_hosts`: SSH host keys recorded on first contact (trust on first use)
- `runs/<run id>/`: one folder per install/upgrade/discovery run (state, events, logs)
- `latest` : a symlink to the newest run
"""

from __future__ import annotations

import os
from pathlib import Path


def aicloud_home() -> Path:
    return Path(os.environ.get("AICLOUD_HOME") or Path.home() / ".aicloud")


def site_state_dir(site_name: str, home: Path | None = None, *, create: bool = True) -> Path:
    """The state folder of a site (created unless `create` is false, mode 0700: it may hold keys)."""
    path = (home or aicloud_home()) / "sites" / site_name
    if create:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def known_hosts_path(site_name: str, home: Path | None = None, *, create: bool = True) -> Path:
    """The site's SSH host keys, recorded on first contact (installer.discovery.hostkeys)."""
    return site_state_dir(site_name, home, create=create) / "known_hosts"


def write_atomic(path: Path, text: str, mode: int = 0o600) -> None:
    """Write a file so a reader (or a crash) never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
