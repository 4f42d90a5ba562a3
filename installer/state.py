"""Where aicloud keeps what it learns about a site: runs, host keys, discovery results.

`$AICLOUD_HOME` (default `~/.aicloud`) holds `sites/<site name>/` for each site and
`lab/<lab name>/` for labs. A site's folder holds:

- `known_hosts`: SSH host keys recorded on first contact (trust on first use)
- `runs/<run id>/`: one folder per run of any kind (install, upgrade, discover), its id
  `<UTC date>-<time>-<kind>-<4 hex>` (sorts by time, says its kind)
- `runs/latest-<kind>`: a symlink to the newest run of each kind; `runs/latest` is the newest
  install's (the one `--resume` continues)
- `install.lock`: held while a run of the site is going on (installer.run.locks)
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

RunKind = Literal["install", "upgrade", "discover"]


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


def _point(runs: Path, link: str, run_id: str) -> None:
    tmp = runs / f".{link}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(run_id)
    os.replace(tmp, runs / link)


def new_run_dir(site_name: str, kind: RunKind, home: Path | None = None, *, point: bool = True) -> tuple[str, Path]:
    """A new, private run directory of `kind`, and (unless `point` is false: the caller points
    them once the run has a state worth finding) the `latest` pointers moved to it."""
    runs = site_state_dir(site_name, home) / "runs"
    run_id = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{kind}-{secrets.token_hex(2)}"
    run_dir = runs / run_id
    run_dir.mkdir(parents=True, mode=0o700)
    if point:
        point_latest(site_name, kind, run_id, home)
    return run_id, run_dir


def point_latest(site_name: str, kind: RunKind, run_id: str, home: Path | None = None) -> None:
    """Move the `latest-<kind>` pointer (and for installs `latest`, what --resume continues) to a run."""
    runs = site_state_dir(site_name, home) / "runs"
    _point(runs, f"latest-{kind}", run_id)
    if kind == "install":
        _point(runs, "latest", run_id)


def latest_run_dir(site_name: str, kind: RunKind = "install", home: Path | None = None) -> Path | None:
    """The newest run of `kind` of the site, if any."""
    runs = site_state_dir(site_name, home, create=False) / "runs"
    link = runs / ("latest" if kind == "install" else f"latest-{kind}")
    return link.resolve() if link.exists() else None
