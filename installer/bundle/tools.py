"""External tools (apt, gpg, skopeo) with argument lists and timeouts; hashing; file helpers."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from installer.bundle.model import BundleError

CHUNK = 1 << 20


def run(
    argv: Sequence[str | Path],
    *,
    timeout: float = 600,
    cwd: Path | None = None,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
    umask: int = -1,
) -> subprocess.CompletedProcess[bytes]:
    """Run a tool; a failure becomes a BundleError carrying the tool's last stderr lines.
    `umask`: the tool's own (-1 keeps ours), e.g. 0o077 for gpg writing private keys."""
    args = [str(a) for a in argv]
    if shutil.which(args[0]) is None:
        raise BundleError(f"{args[0]} is not installed (Debian package: {TOOL_PACKAGES.get(args[0], args[0])})")
    try:
        result = subprocess.run(
            args,
            capture_output=True,
            timeout=timeout,
            cwd=cwd,
            input=input,
            env={**os.environ, **(env or {})},
            stdin=None if input else subprocess.DEVNULL,
            umask=umask,
        )
    except subprocess.TimeoutExpired:
        raise BundleError(f"{args[0]} did not finish in {timeout:.0f} s: {' '.join(args)}") from None
    if result.returncode != 0:
        raise BundleError(f"{' '.join(args[:3])} failed ({result.returncode}): {tail(result.stderr)}")
    return result


def tail(stderr: bytes, lines: int = 3) -> str:
    text = stderr.decode(errors="replace").strip().splitlines()
    return " | ".join(text[-lines:]) or "no message"


TOOL_PACKAGES = {
    "apt-get": "apt",
    "apt-cache": "apt",
    "apt-ftparchive": "apt-utils",
    "gpg": "gpg",
    "gpgv": "gpgv",
    "gpgconf": "gpgconf",
    "skopeo": "skopeo",
    "dpkg": "dpkg",
    "dpkg-deb": "dpkg",
}


def sha256_file(path: Path, on_bytes: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            if on_bytes:
                on_bytes(len(chunk))
    return digest.hexdigest()


def place(source: Path, target: Path) -> None:
    """Copy a file into the bundle atomically (never a hard link: a damaged bundle must not damage the cache)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)
