"""What a bundle is on disk: `bundle.json`, its entries, the events a build or verify reports.

Layout of a bundle directory (see docs/bundle.md):

    bundle.json            the manifest: release, OS families, every file (size, sha256), every image
    bundle.json.asc        detached signature of bundle.json by the bundle key
    SHA256SUMS             every payload file, for `sha256sum -c` on hosts without aicloud
    keys/aicloud-bundle.gpg  the bundle's public key (the private part is never here: it stays in the
                           builder's key store, installer/bundle/keys.py)
    <os family>/           a signed apt repository: dists/aicloud/{InRelease,Release,Release.gpg,...}, pool/main/*.deb
    files/<component>/     binaries (and charts) by their upstream file name
    images/                one OCI image layout; each image's ref name is `<registry>/<path>:<tag>`
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Literal

FORMAT = 1
MANIFEST = "bundle.json"
SIGNATURE = "bundle.json.asc"
SUMS = "SHA256SUMS"
KEY_FILE = "keys/aicloud-bundle.gpg"
IMAGES_DIR = "images"
FILES_DIR = "files"
APT_SUITE = "aicloud"
APT_COMPONENT = "main"
#: The only files a bundle holds beyond its manifest's file list: the manifest cannot list itself
#: or its signature. The public key and SHA256SUMS are listed like every payload file, so `verify`
#: refuses anything else, and the bundle phase copies nothing else to the deploy node.
UNLISTED = frozenset({MANIFEST, SIGNATURE})
#: Where builds before the key store kept the signing key's GnuPG home: `<bundle>/gnupg`.
LEGACY_KEY_DIR = "gnupg"
#: Folders of a GnuPG home and files that hold secret keys: never in a bundle, listed or not.
#: By GnuPG's own structure (its secret keys are `private-keys-v1.d/<keygrip>.key`), never by a
#: bare `.key` suffix: upstream public keys are named so (pkgs.k8s.io's `Release.key`).
PRIVATE_KEY_FOLDERS = frozenset({"gnupg", ".gnupg", "private-keys-v1.d", "openpgp-revocs.d"})
PRIVATE_KEY_NAMES = ("secring.gpg", "secring.kbx")

ArtifactKind = Literal["package", "binary", "image", "chart"]


def is_private_key_material(rel: str) -> bool:
    """Whether a bundle-relative path is, or lies in, what holds a private key."""
    *folders, name = rel.split("/")
    return bool(PRIVATE_KEY_FOLDERS.intersection(folders)) or any(fnmatch(name, p) for p in PRIVATE_KEY_NAMES)


class BundleError(Exception):
    """A bundle could not be built, read or served; the message is one line a user acts on."""


@dataclass(frozen=True)
class FileEntry:
    size: int
    sha256: str


@dataclass(frozen=True)
class PackageEntry:
    name: str
    version: str
    arch: str
    file: str


@dataclass(frozen=True)
class BinaryEntry:
    component: str
    name: str
    arch: str
    url: str
    sha256: str
    file: str


@dataclass(frozen=True)
class ImageEntry:
    component: str
    image: str
    tag: str
    digest: str
    #: "registry": copied by digest; "local:<recipe>": built here, its digest recorded at build time
    source: str = "registry"

    @property
    def registry(self) -> str:
        return self.image.split("/", 1)[0]

    @property
    def ref_name(self) -> str:
        """The image's ref name in the bundle's OCI layout and its repository in the bundle registry."""
        return f"{self.image}:{self.tag}"


@dataclass(frozen=True)
class MissingArtifact:
    """An artifact the release needs that is not in the bundle, with where it is pinned and why."""

    component: str
    kind: ArtifactKind
    ref: str
    reason: str
    pinned_at: str

    def __str__(self) -> str:
        return f"{self.kind} {self.ref} ({self.component}; pinned at {self.pinned_at}): {self.reason}"


@dataclass
class Manifest:
    release: str
    os: list[str]
    arch: str
    key_fingerprint: str
    complete: bool
    files: dict[str, FileEntry] = field(default_factory=dict)
    packages: dict[str, list[PackageEntry]] = field(default_factory=dict)
    binaries: list[BinaryEntry] = field(default_factory=list)
    images: list[ImageEntry] = field(default_factory=list)
    missing: list[MissingArtifact] = field(default_factory=list)
    #: release component -> version (what `diff` compares between releases)
    components: dict[str, str] = field(default_factory=dict)
    #: OS family -> pool files of the closure of rsync, copied first to a deploy node without rsync
    bootstrap: dict[str, list[str]] = field(default_factory=dict)
    format: int = FORMAT

    @property
    def registries(self) -> list[str]:
        return sorted({i.registry for i in self.images})

    def to_json(self) -> str:
        data = asdict(self)
        data["registries"] = self.registries
        data["files"] = {k: asdict(v) for k, v in sorted(self.files.items())}
        return json.dumps(data, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a bundle manifest of format {FORMAT}")
        return cls(
            release=data["release"],
            os=list(data["os"]),
            arch=data["arch"],
            key_fingerprint=data["key_fingerprint"],
            complete=bool(data["complete"]),
            files={k: FileEntry(**v) for k, v in data["files"].items()},
            packages={os: [PackageEntry(**p) for p in pkgs] for os, pkgs in data["packages"].items()},
            binaries=[BinaryEntry(**b) for b in data["binaries"]],
            images=[ImageEntry(**i) for i in data["images"]],
            missing=[MissingArtifact(**m) for m in data["missing"]],
            components=dict(data.get("components", {})),
            bootstrap={k: list(v) for k, v in data.get("bootstrap", {}).items()},
        )

    @classmethod
    def read(cls, bundle: Path) -> Manifest:
        path = bundle / MANIFEST
        try:
            return cls.from_json(path.read_text())
        except FileNotFoundError:
            raise BundleError(f"{path}: missing; not a bundle directory") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise BundleError(f"{path}: not a valid bundle manifest ({exc})") from None


# ----------------------------------------------------------------------------- events


@dataclass(frozen=True)
class StepStarted:
    """Long work begins: `total` units (bytes, files, images) of `unit`."""

    step: str
    total: int
    unit: Literal["bytes", "files", "images", "packages"] = "files"


@dataclass(frozen=True)
class StepProgress:
    step: str
    done: int
    total: int
    item: str = ""


@dataclass(frozen=True)
class StepFinished:
    step: str
    summary: str


@dataclass(frozen=True)
class ArtifactMissed:
    artifact: MissingArtifact


BundleEvent = StepStarted | StepProgress | StepFinished | ArtifactMissed
