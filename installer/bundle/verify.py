"""`verify`: every checksum and signature of a bundle; every changed, missing or extra file by name.

A bundle holds exactly the files its manifest lists, plus the manifest and its signature
(`UNLISTED`): anything else (a file, a symbolic link, a socket, ...) is refused by name, and so
is private key material even where an older build listed it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from installer.bundle import apt
from installer.bundle.images import layout_index
from installer.bundle.keys import keyring_fingerprints, verify_clearsigned, verify_detached
from installer.bundle.model import (
    APT_COMPONENT,
    APT_SUITE,
    IMAGES_DIR,
    KEY_FILE,
    MANIFEST,
    SIGNATURE,
    UNLISTED,
    BundleError,
    BundleEvent,
    Manifest,
    StepFinished,
    StepProgress,
    StepStarted,
    is_private_key_material,
)
from installer.bundle.tools import sha256_file


@dataclass(frozen=True)
class Problem:
    """One reason a bundle is refused; `path` is relative to the bundle ('' for the bundle as a whole)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass
class VerifyResult:
    bundle: Path
    manifest: Manifest | None
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    bytes: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    bundle: Path, *, fingerprint: str | None = None, on_event: Callable[[BundleEvent], None] | None = None
) -> VerifyResult:
    """Check `bundle`; never raises for a bad bundle (the problems say what is wrong), only for no bundle."""
    emit = on_event or (lambda _e: None)
    bundle = bundle.resolve()
    if not bundle.is_dir():
        raise BundleError(f"{bundle}: no such directory")
    if not (bundle / MANIFEST).is_file():
        return VerifyResult(bundle, None, [Problem(MANIFEST, "missing: not a bundle, or a damaged one")])
    result = VerifyResult(bundle, None)
    problems = result.problems
    keyring = bundle / KEY_FILE
    signature_ok = _check_signature(bundle, keyring, fingerprint, problems)
    try:
        manifest = Manifest.read(bundle)
    except BundleError as exc:
        problems.append(Problem(MANIFEST, str(exc).split(": ", 1)[-1]))
        return result
    result.manifest = manifest
    if signature_ok and fingerprint is None and manifest.key_fingerprint not in keyring_fingerprints(keyring):
        problems.append(Problem(KEY_FILE, f"is not the key {manifest.key_fingerprint} that bundle.json names"))
    if not manifest.complete:
        problems.append(
            Problem(
                "",
                f"incomplete bundle: {len(manifest.missing)} artifacts missing "
                f"(first: {manifest.missing[0] if manifest.missing else '?'})",
            )
        )
    _check_files(bundle, manifest, result, emit)
    for family in manifest.packages:
        _check_repository(bundle, family, keyring, manifest, problems)
    _check_images(bundle, manifest, problems)
    return result


def _check_signature(bundle: Path, keyring: Path, fingerprint: str | None, problems: list[Problem]) -> bool:
    if not keyring.is_file():
        problems.append(Problem(KEY_FILE, "missing: the bundle's signatures cannot be checked"))
        return False
    if fingerprint is not None:
        found = keyring_fingerprints(keyring)
        if fingerprint.replace(" ", "").upper() not in found:
            problems.append(Problem(KEY_FILE, f"holds {', '.join(found) or 'no key'}, not the expected {fingerprint}"))
            return False
    if not (bundle / SIGNATURE).is_file():
        problems.append(Problem(SIGNATURE, "missing: bundle.json is unsigned"))
        return False
    why = verify_detached(keyring, bundle / SIGNATURE, bundle / MANIFEST)
    if why is not None:
        problems.append(Problem(MANIFEST, f"signature check failed (changed after the build?): {why}"))
        return False
    return True


def _entries(root: Path) -> dict[str, str]:
    """Every entry below `root` that is not a folder, relative path -> kind; symbolic links are not followed."""
    found: dict[str, str] = {}
    folders = [root]
    while folders:
        with os.scandir(folders.pop()) as listing:
            for entry in listing:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(Path(entry.path))
                    continue
                regular = entry.is_file(follow_symlinks=False)
                kind = "symlink" if entry.is_symlink() else "file" if regular else "special"
                found[Path(entry.path).relative_to(root).as_posix()] = kind
    return found


_EXTRA = {
    "file": "extra file, not in bundle.json",
    "symlink": "extra symbolic link, not in bundle.json",
    "special": "extra special file (socket, FIFO or device), not in bundle.json",
}


def _check_files(bundle: Path, manifest: Manifest, result: VerifyResult, emit: Callable[[BundleEvent], None]) -> None:
    present = _entries(bundle)
    listed = manifest.files
    total = sum(f.size for f in listed.values())
    emit(StepStarted("verify", total, "bytes"))
    done = 0
    for rel in sorted(set(present) - set(listed) - UNLISTED):
        result.problems.append(Problem(rel, _EXTRA[present[rel]]))
    for rel in sorted(UNLISTED & {r for r, kind in present.items() if kind != "file"}):
        result.problems.append(Problem(rel, "is not a regular file"))
    for rel in sorted(set(listed) & set(present)):
        if is_private_key_material(rel):
            result.problems.append(
                Problem(rel, "private key material: a bundle never carries one (rebuild it: `aicloud bundle build`)")
            )
    for rel, entry in sorted(listed.items()):
        path = bundle / rel
        if rel not in present:
            result.problems.append(Problem(rel, "missing"))
            continue
        if present[rel] == "symlink":
            result.problems.append(Problem(rel, "is a symbolic link; bundles hold only files"))
            continue
        if present[rel] != "file":
            result.problems.append(Problem(rel, "is not a regular file; bundles hold only files"))
            continue
        size = path.stat().st_size
        if size != entry.size:
            result.problems.append(Problem(rel, f"size {size} differs from bundle.json's {entry.size}"))
        elif sha256_file(path) != entry.sha256:
            result.problems.append(Problem(rel, "sha256 differs from bundle.json (changed after the build)"))
        done += entry.size
        result.files += 1
        result.bytes += size
        emit(StepProgress("verify", done, total, rel))
    emit(StepFinished("verify", f"{result.files} files"))


def _check_repository(bundle: Path, family: str, keyring: Path, manifest: Manifest, problems: list[Problem]) -> None:
    dists = bundle / family / "dists" / APT_SUITE
    inrelease = dists / "InRelease"
    if not inrelease.is_file() or not keyring.is_file():
        return  # reported as a missing file already
    why = verify_clearsigned(keyring, inrelease)
    if why is not None:
        problems.append(Problem(inrelease.relative_to(bundle).as_posix(), f"signature check failed: {why}"))
        return
    release_hashes = apt.parse_release_hashes((dists / "Release").read_text(errors="replace"))
    packages_rel = f"{APT_COMPONENT}/binary-{manifest.arch}/Packages"
    packages = dists / packages_rel
    if packages_rel not in release_hashes or not packages.is_file():
        problems.append(Problem(f"{family}/dists/{APT_SUITE}/Release", f"does not list {packages_rel}"))
        return
    if sha256_file(packages) != release_hashes[packages_rel][0]:
        problems.append(Problem(packages.relative_to(bundle).as_posix(), "sha256 differs from the signed Release"))
        return
    index = apt.parse_packages_index(packages.read_text(errors="replace"))
    for filename, sha in sorted(index.items()):
        rel = f"{family}/{filename}"
        entry = manifest.files.get(rel)
        if entry is None:
            problems.append(Problem(rel, "named in the signed Packages index but not in bundle.json"))
        elif entry.sha256 != sha:
            problems.append(Problem(rel, "sha256 in bundle.json differs from the signed Packages index"))


def _check_images(bundle: Path, manifest: Manifest, problems: list[Problem]) -> None:
    if not manifest.images:
        return
    layout = bundle / IMAGES_DIR
    try:
        index = layout_index(layout)
    except (ValueError, json.JSONDecodeError):
        problems.append(Problem(f"{IMAGES_DIR}/index.json", "not valid JSON"))
        return
    for image in manifest.images:
        got = index.get(image.ref_name)
        if got != image.digest:
            problems.append(
                Problem(
                    f"{IMAGES_DIR}/index.json",
                    f"{image.ref_name} is {got or 'absent'}, bundle.json records {image.digest}",
                )
            )
        elif f"{IMAGES_DIR}/blobs/sha256/{image.digest.split(':', 1)[1]}" not in manifest.files:
            problems.append(Problem(IMAGES_DIR, f"{image.ref_name}: manifest blob {image.digest} not in bundle.json"))
