"""`diff`: what changed between two bundles or releases (what an upgrade will change).

Either side is a bundle directory (its `bundle.json`: the full package closure, images, binaries)
or a release version (its BOM: the pinned packages, images, binaries, component versions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from installer.bundle.model import Manifest
from installer.release import Release, load_release

ChangeKind = Literal["added", "removed", "changed"]
Section = Literal["component", "package", "image", "binary", "file"]


@dataclass(frozen=True)
class Change:
    section: Section
    name: str
    kind: ChangeKind
    old: str = ""
    new: str = ""


@dataclass
class Inventory:
    label: str
    components: dict[str, str] = field(default_factory=dict)
    packages: dict[str, str] = field(default_factory=dict)  # "<family> <name>" -> version
    images: dict[str, str] = field(default_factory=dict)  # image -> "tag@digest"
    binaries: dict[str, str] = field(default_factory=dict)  # "<component>/<name>/<arch>" -> sha256
    files: dict[str, str] = field(default_factory=dict)  # bundle path -> sha256 (bundles only)


@dataclass
class BundleDiff:
    old: str
    new: str
    changes: list[Change]

    def of(self, section: Section) -> list[Change]:
        return [c for c in self.changes if c.section == section]

    @property
    def empty(self) -> bool:
        return not self.changes


def inventory_of_release(release: Release) -> Inventory:
    inv = Inventory(f"release {release.version}")
    for name, comp in release.components.items():
        inv.components[name] = comp.version
        for family, pkgs in comp.packages.items():
            inv.packages.update({f"{family} {p.name}": p.version for p in pkgs})
        inv.images.update({i.image: f"{i.tag}@{i.digest}" for i in comp.images})
        inv.binaries.update({f"{name}/{b.name}/{b.arch}": b.sha256 for b in comp.binaries})
    return inv


def inventory_of_bundle(path: Path) -> Inventory:
    manifest = Manifest.read(path)
    inv = Inventory(f"bundle {path} ({manifest.release})", components=dict(manifest.components))
    for family, pkgs in manifest.packages.items():
        inv.packages.update({f"{family} {p.name}": p.version for p in pkgs})
    inv.images.update({i.image: f"{i.tag}@{i.digest}" for i in manifest.images})
    inv.binaries.update({f"{b.component}/{b.name}/{b.arch}": b.sha256 for b in manifest.binaries})
    inv.files.update({rel: f.sha256 for rel, f in manifest.files.items()})
    return inv


def inventory(spec: str | Path) -> Inventory:
    """A bundle directory if `spec` is one, else a release version."""
    path = Path(spec)
    if path.is_dir():
        return inventory_of_bundle(path)
    return inventory_of_release(load_release(str(spec)))


def _compare(section: Section, old: dict[str, str], new: dict[str, str]) -> list[Change]:
    out = []
    for name in sorted(old.keys() | new.keys()):
        if name not in new:
            out.append(Change(section, name, "removed", old[name]))
        elif name not in old:
            out.append(Change(section, name, "added", new=new[name]))
        elif old[name] != new[name]:
            out.append(Change(section, name, "changed", old[name], new[name]))
    return out


def diff_inventories(old: Inventory, new: Inventory) -> BundleDiff:
    changes = [
        *_compare("component", old.components, new.components),
        *_compare("package", old.packages, new.packages),
        *_compare("image", old.images, new.images),
        *_compare("binary", old.binaries, new.binaries),
    ]
    if old.files and new.files:
        changes += _compare("file", old.files, new.files)
    return BundleDiff(old.label, new.label, changes)


def diff(old: str | Path, new: str | Path) -> BundleDiff:
    return diff_inventories(inventory(old), inventory(new))
