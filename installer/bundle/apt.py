"""OS packages for apt-based families: the dependency closure with apt itself, a signed repository.

apt runs against its own state under the build cache (own sources.list, lists and an EMPTY dpkg
status), so the closure is complete: it installs on any host of the family, however minimal,
and nothing of the build machine's own apt configuration leaks in.
"""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from installer.bundle.keys import BundleKey
from installer.bundle.model import APT_COMPONENT, APT_SUITE, BundleError, PackageEntry, StepProgress
from installer.bundle.tools import run, tail

DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
UBUNTU_KEYRING = "/usr/share/keyrings/ubuntu-archive-keyring.gpg"


@dataclass(frozen=True)
class AptFamily:
    name: str
    keyring: str
    #: (mirror URL, suite) pairs, components `main` (+ `universe` on Ubuntu)
    sources: tuple[tuple[str, str], ...]
    components: str = "main"

    def sources_list(self, mirror: str | None = None) -> str:
        lines = []
        for url, suite in self.sources:
            base = mirror if mirror and "security" not in suite else url
            lines.append(f"deb [signed-by={self.keyring}] {base} {suite} {self.components}")
        return "\n".join(lines) + "\n"


FAMILIES: dict[str, AptFamily] = {
    "debian-12": AptFamily(
        "debian-12",
        DEBIAN_KEYRING,
        (
            ("http://deb.debian.org/debian", "bookworm"),
            ("http://deb.debian.org/debian", "bookworm-updates"),
            ("http://security.debian.org/debian-security", "bookworm-security"),
        ),
    ),
    "ubuntu-22.04": AptFamily(
        "ubuntu-22.04",
        UBUNTU_KEYRING,
        (
            ("http://archive.ubuntu.com/ubuntu", "jammy"),
            ("http://archive.ubuntu.com/ubuntu", "jammy-updates"),
            ("http://security.ubuntu.com/ubuntu", "jammy-security"),
        ),
        "main universe",
    ),
    "ubuntu-24.04": AptFamily(
        "ubuntu-24.04",
        UBUNTU_KEYRING,
        (
            ("http://archive.ubuntu.com/ubuntu", "noble"),
            ("http://archive.ubuntu.com/ubuntu", "noble-updates"),
            ("http://security.ubuntu.com/ubuntu", "noble-security"),
        ),
        "main universe",
    ),
}

# The hash is empty for some archives (e.g. Debian's security archive): apt still checks the file
# against the signed index when it downloads it.
_URI = re.compile(r"^'(?P<uri>[^']+)' (?P<file>\S+) (?P<size>\d+) ?(?P<hash>\S*)\s*$")
_DLSTATUS = re.compile(r"^dlstatus:(\d+):([0-9.]+):")


class AptState:
    """apt's own world for one OS family under `cache`: sources, lists, archives, empty status."""

    def __init__(self, family: AptFamily, cache: Path, arch: str, mirror: str | None = None):
        self.family = family
        self.root = cache / family.name
        self.arch = arch
        for sub in ("etc/parts", "etc/prefs", "lists/partial", "archives/partial", "empty/partial"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "etc/sources.list").write_text(family.sources_list(mirror))
        (self.root / "status").write_text("")

    def options(self, archives: Path | None = None) -> list[str]:
        r = self.root
        opts = {
            "Dir::Etc::SourceList": r / "etc/sources.list",
            "Dir::Etc::SourceParts": r / "etc/parts",
            "Dir::Etc::Preferences": r / "etc/prefs/none",
            "Dir::Etc::PreferencesParts": r / "etc/prefs",
            "Dir::State": r,
            "Dir::State::Lists": r / "lists",
            "Dir::State::status": r / "status",
            "Dir::Cache": r,
            "Dir::Cache::archives": archives or r / "archives",
            "Dir::Cache::pkgcache": "",
            "Dir::Cache::srcpkgcache": "",
            "APT::Architecture": self.arch,
            "APT::Architectures": self.arch,
            "APT::Sandbox::User": "root",
            "APT::Install-Recommends": "false",
            "Debug::NoLocking": "1",
            "Acquire::Retries": "2",
        }
        return [arg for key, value in opts.items() for arg in ("-o", f"{key}={value}")]

    def update(self) -> None:
        run(["apt-get", *self.options(), "-q", "update"], timeout=600, env={"LC_ALL": "C"})
        if not any((self.root / "lists").glob("*_Packages*")):
            raise BundleError(f"apt-get update fetched no package lists for {self.family.name}")

    def available(self, names: list[str]) -> dict[str, set[str]]:
        """Every version apt can fetch of each name."""
        out = run(["apt-cache", *self.options(), "madison", *names], timeout=120, env={"LC_ALL": "C"}).stdout
        found: dict[str, set[str]] = {n: set() for n in names}
        for line in out.decode().splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) >= 3 and parts[0] in found and "Packages" in parts[2]:
                found[parts[0]].add(parts[1])
        return found

    def closure(self, pins: list[str]) -> list[tuple[str, str, int, str]]:
        """(uri, file name, size, 'SHA256:hex') of every .deb the pins need on an empty system."""
        result = _apt_get(
            [
                "apt-get",
                *self.options(self.root / "empty"),
                "-qq",
                "--print-uris",
                "--download-only",
                "-y",
                "install",
                *pins,
            ]
        )
        uris = []
        for line in result.splitlines():
            match = _URI.match(line)
            if match:
                uris.append((match["uri"], match["file"], int(match["size"]), match["hash"]))
        return uris

    def download(self, pins: list[str], total: int, on_progress: Callable[[StepProgress], None]) -> Path:
        argv = ["apt-get", *self.options(), "-q", "--download-only", "-y", "-o", "APT::Status-Fd=1", "install", *pins]
        for line in _apt_get(argv).splitlines():
            match = _DLSTATUS.match(line)
            if match:
                on_progress(StepProgress(f"packages:{self.family.name}", int(float(match[2]) * total / 100), total))
        return self.root / "archives"


def _apt_get(argv: list[str]) -> str:
    try:
        env = {"LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive"}
        result = subprocess.run(argv, capture_output=True, timeout=1800, stdin=subprocess.DEVNULL, env=env)
    except subprocess.TimeoutExpired:
        raise BundleError("apt-get did not finish in 1800 s") from None
    if result.returncode != 0:
        raise BundleError(f"apt-get failed ({result.returncode}): {tail(result.stderr)}")
    return result.stdout.decode(errors="replace")


def deb_identity(file_name: str) -> tuple[str, str, str]:
    """(name, version, arch) from apt's archive file name `name_version_arch.deb` (epoch as %3a)."""
    stem = unquote(file_name.removesuffix(".deb"))
    name, version, arch = stem.split("_")
    return name, version, arch


def pool_name(file_name: str) -> str:
    """Debian's pool naming: no epoch in the file name (apt's `1%3a` would be decoded to `1:` by a web server)."""
    return re.sub(r"_\d+%3a", "_", file_name)


def write_repository(
    repo: Path, debs: dict[Path, tuple[str, str, str]], key: BundleKey, *, arch: str, label: str
) -> list[PackageEntry]:
    """Arrange `debs` (pool file -> name, version, arch) as a signed apt repository at `repo`; drop stale files."""
    pool = repo / "pool" / APT_COMPONENT
    pool.mkdir(parents=True, exist_ok=True)
    wanted = {d.name for d in debs}
    for stale in pool.iterdir():
        if stale.name not in wanted:
            stale.unlink()
    entries = []
    for deb, (name, version, deb_arch) in sorted(debs.items()):
        entries.append(PackageEntry(name, version, deb_arch, f"{repo.name}/pool/{APT_COMPONENT}/{deb.name}"))
    dists = repo / "dists" / APT_SUITE
    if dists.exists():
        shutil.rmtree(dists)
    binary = dists / APT_COMPONENT / f"binary-{arch}"
    binary.mkdir(parents=True)
    packages = run(["apt-ftparchive", "packages", f"pool/{APT_COMPONENT}"], cwd=repo, timeout=600).stdout
    (binary / "Packages").write_bytes(packages)
    (binary / "Packages.gz").write_bytes(gzip.compress(packages, mtime=0))
    options = {
        "Origin": "aicloud",
        "Label": label,
        "Suite": APT_SUITE,
        "Codename": APT_SUITE,
        "Architectures": arch,
        "Components": APT_COMPONENT,
        "Description": f"aicloud offline bundle {label}",
    }
    argv = ["apt-ftparchive"]
    for key_name, value in options.items():
        argv += ["-o", f"APT::FTPArchive::Release::{key_name}={value}"]
    release = run([*argv, "release", "."], cwd=dists, timeout=120).stdout
    (dists / "Release").write_bytes(release)
    key.clearsign(dists / "Release", dists / "InRelease")
    key.detach_sign(dists / "Release", dists / "Release.gpg")
    return entries


def parse_packages_index(text: str) -> dict[str, str]:
    """Filename -> SHA256 from a Packages index."""
    out: dict[str, str] = {}
    for stanza in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line and not line.startswith(" "))
        if "Filename" in fields and "SHA256" in fields:
            out[fields["Filename"]] = fields["SHA256"]
    return out


def parse_release_hashes(text: str) -> dict[str, tuple[str, int]]:
    """Path -> (sha256, size) from the SHA256 section of a Release file."""
    out: dict[str, tuple[str, int]] = {}
    in_section = False
    for line in text.splitlines():
        if not line.startswith(" "):
            in_section = line.startswith("SHA256:")
            continue
        if in_section:
            digest, size, path = line.split()
            out[path] = (digest, int(size))
    return out
