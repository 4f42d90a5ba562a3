"""Release bills of materials: `installer/releases/<version>.yaml`.

A release pins every component the appliance installs: its version, the OS packages per OS
family, the binaries by URL and sha256, the container images by tag and digest, the charts.
Bundles, plans, installs and upgrades are all computed from it.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from installer.errors import InvalidAnswerFile
from installer.phases import PHASES, Phase
from installer.vendors import Vendor

RELEASES_DIR = Path(__file__).parent / "releases"

#: Tags that move: an "offline" bundle built from these is not reproducible.
FLOATING_TAGS = frozenset({"latest", "master", "main", "stable", "nightly", "edge", "dev", "head"})

OsFamily = Literal["debian-12", "ubuntu-22.04", "ubuntu-24.04"]
OS_FAMILIES: tuple[str, ...] = OsFamily.__args__  # type: ignore[attr-defined]


def _not_floating(value: str) -> str:
    if value.lower() in FLOATING_TAGS:
        raise ValueError(f"{value!r} is a floating tag; pin a version")
    return value


Pinned = Annotated[str, Field(min_length=1), AfterValidator(_not_floating)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Digest = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Binary(_Strict):
    name: str
    arch: Literal["amd64", "arm64"] = "amd64"
    url: Annotated[str, Field(pattern=r"^https://")]
    sha256: Sha256


class Image(_Strict):
    image: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._/-]*(:[0-9]+)?[a-z0-9._/-]*$")]
    tag: Pinned
    digest: Digest

    @property
    def ref(self) -> str:
        return f"{self.image}:{self.tag}@{self.digest}"


class Package(_Strict):
    name: str
    version: Pinned


class Chart(_Strict):
    name: str
    repo: str
    version: Pinned


class Unpinned(_Strict):
    """An artifact the release needs whose pin could not be verified upstream yet.

    Kept in the BOM (not in a comment) so that every tool sees it: `aicloud releases`
    counts them and a bundle build refuses to call itself complete while any remain.
    """

    kind: Literal["binary", "image", "package"]
    ref: str
    missing: Literal["sha256", "digest", "version"]

    @field_validator("ref")
    @classmethod
    def _ref_not_floating(cls, ref: str) -> str:
        if ":" in ref and not ref.startswith("https://"):
            _not_floating(ref.rsplit(":", 1)[1])
        return ref


Feature = Literal[
    "cni:calico",
    "cni:cilium",
    "storage:local-path",
    "storage:nfs",
    "platform:volcano",
    "platform:training-operator",
    "platform:mpi-operator",
    "platform:monitoring",
]


class Component(_Strict):
    phase: Phase
    version: Pinned
    source: str = Field(description="Where the pinned version was verified upstream.")
    vendor: Vendor | None = None
    binaries: list[Binary] = []
    images: list[Image] = []
    packages: dict[OsFamily, list[Package]] = {}
    charts: list[Chart] = []
    unpinned: list[Unpinned] = []
    when: Feature | None = Field(
        None, description="Installed only when the site chooses this (e.g. `cni:cilium`); always otherwise."
    )


class Release(_Strict):
    api_version: Literal["aicloud/v1alpha1"] = Field(alias="apiVersion")
    kind: Literal["Release"]
    version: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")]
    date: str
    summary: str
    os: list[OsFamily]
    accelerators: list[Vendor] = []
    fabrics: list[Literal["infiniband", "roce"]] = []
    cni: list[Literal["calico", "cilium"]] = []
    components: dict[str, Component]

    def components_for(self, phase: Phase) -> dict[str, Component]:
        return {name: c for name, c in self.components.items() if c.phase == phase}

    @property
    def phases(self) -> list[Phase]:
        """Phases this release has content for, in install order."""
        present = {c.phase for c in self.components.values()}
        return [p for p in PHASES if p in present or p == "preflight"]

    @property
    def unpinned(self) -> list[tuple[str, Unpinned]]:
        return [(name, item) for name, c in self.components.items() for item in c.unpinned]

    @property
    def kubernetes_version(self) -> str | None:
        component = self.components.get("kubernetes")
        return component.version if component else None


def _version_key(version: str) -> list[tuple[int, int | str]]:
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.-]", version)]


def available_releases(directory: Path = RELEASES_DIR) -> list[str]:
    return sorted((p.stem for p in directory.glob("*.yaml")), key=_version_key)


@cache
def load_release(version: str, directory: Path = RELEASES_DIR) -> Release:
    """Load and validate one BOM. Raises InvalidAnswerFile (a BOM is a file too)."""
    from installer.validation import validate_document
    from installer.yamlpos import load_yaml_file

    path = directory / f"{version}.yaml"
    if not path.is_file():
        raise LookupError(version)
    doc = load_yaml_file(path)
    release = validate_document(doc, Release)
    if release.version != version:
        raise InvalidAnswerFile(
            [doc.error(("version",), f"{release.version!r} does not match the file name {path.name!r}")]
        )
    return release
