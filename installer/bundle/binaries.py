"""Binaries pinned by URL and sha256: from a directory the user provides, or downloaded when online."""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from installer.bundle.tools import CHUNK, sha256_file
from installer.release import Binary


class BinaryUnavailable(Exception):
    def __init__(self, reason: str, *, unreachable: bool = False):
        super().__init__(reason)
        self.unreachable = unreachable


def file_name(binary: Binary) -> str:
    return Path(urlparse(binary.url).path).name or binary.name


def find_in(from_dir: Path, binary: Binary) -> Path | None:
    """The user's copy: `<from>/<file name>`, `<from>/<arch>/<file name>` or `<from>/<name>`."""
    for candidate in (from_dir / file_name(binary), from_dir / binary.arch / file_name(binary), from_dir / binary.name):
        if candidate.is_file():
            return candidate
    return None


def fetch(
    binary: Binary,
    target: Path,
    *,
    from_dir: Path | None,
    online: bool,
    on_bytes: Callable[[int], None] | None = None,
    timeout: float = 30,
) -> str:
    """Put the binary at `target` with its pinned sha256; return where it came from."""
    if from_dir is not None:
        local = find_in(from_dir, binary)
        if local is not None:
            if sha256_file(local) != binary.sha256:
                raise BinaryUnavailable(f"{local} has sha256 {sha256_file(local)}, the release pins {binary.sha256}")
            _copy(local, target)
            return str(local)
    if not online:
        where = f" and not in {from_dir}" if from_dir else ""
        raise BinaryUnavailable(f"offline build{where}")
    _download(binary, target, on_bytes, timeout)
    return binary.url


def _copy(source: Path, target: Path) -> None:
    import shutil

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def _download(binary: Binary, target: Path, on_bytes: Callable[[int], None] | None, timeout: float) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.part")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(binary.url, timeout=timeout) as response, part.open("wb") as out:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                if on_bytes:
                    on_bytes(len(chunk))
    except urllib.error.HTTPError as exc:
        part.unlink(missing_ok=True)
        raise BinaryUnavailable(f"HTTP {exc.code} from {urlparse(binary.url).netloc}") from None
    except (urllib.error.URLError, OSError) as exc:
        part.unlink(missing_ok=True)
        reason = getattr(exc, "reason", exc)
        raise BinaryUnavailable(f"{urlparse(binary.url).netloc} unreachable: {reason}", unreachable=True) from None
    if digest.hexdigest() != binary.sha256:
        part.unlink(missing_ok=True)
        raise BinaryUnavailable(f"downloaded sha256 {digest.hexdigest()} differs from the pinned {binary.sha256}")
    os.replace(part, target)
