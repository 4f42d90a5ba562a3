"""`build`: a bundle directory from a release BOM, incrementally.

Everything the release pins is fetched, checked against its pin and placed; everything that cannot
be is listed with where it is pinned (file:line) and why. A bundle with anything missing says so
in `bundle.json` (`complete: false`) and `verify` refuses it: it never looks complete.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from installer.bundle import apt, binaries, images
from installer.bundle.keys import bundle_key, has_key, key_store, move_home, prepare_store, set_aside, stop_agent
from installer.bundle.model import (
    FILES_DIR,
    IMAGES_DIR,
    KEY_FILE,
    LEGACY_KEY_DIR,
    MANIFEST,
    SIGNATURE,
    SUMS,
    ArtifactMissed,
    BinaryEntry,
    BundleError,
    BundleEvent,
    FileEntry,
    ImageEntry,
    Manifest,
    MissingArtifact,
    PackageEntry,
    StepFinished,
    StepProgress,
    StepStarted,
    is_private_key_material,
)
from installer.bundle.tools import place, sha256_file
from installer.release import FLOATING_TAGS, RELEASES_DIR, Release
from installer.state import aicloud_home, write_atomic

EventSink = Callable[[BundleEvent], None]


@dataclass
class BuildOptions:
    out: Path
    os_families: list[str]
    from_dir: Path | None = None
    #: try upstream URLs and registries (False: only `from_dir` and the OS mirror's packages)
    online: bool = True
    #: fetch OS packages from the OS mirrors (False: every package is listed as missing)
    packages: bool = True
    #: GnuPG home of the signing key (default `$AICLOUD_HOME/keys/<release>/gnupg`); never inside `out`
    key_home: Path | None = None
    cache: Path | None = None
    mirror: str | None = None
    releases_dir: Path = RELEASES_DIR


@dataclass
class BuildResult:
    out: Path
    manifest: Manifest
    reused: int = 0
    fetched: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.manifest.complete

    @property
    def size(self) -> int:
        return sum(f.size for f in self.manifest.files.values())


class _Locator:
    """Where in the BOM file an artifact is pinned: `installer/releases/X.yaml:LINE`."""

    def __init__(self, release: Release, releases_dir: Path):
        self.path = releases_dir / f"{release.version}.yaml"
        try:
            from installer.yamlpos import load_yaml_file

            self.doc = load_yaml_file(self.path)
        except Exception:  # the BOM loaded once already; positions are a courtesy
            self.doc = None

    def __call__(self, *loc: str | int) -> str:
        try:
            shown = self.path.relative_to(Path.cwd())
        except ValueError:
            shown = self.path
        mark = self.doc.mark_for(loc) if self.doc else None
        return f"{shown}:{mark.line}" if mark else f"{shown} ({'.'.join(map(str, loc))})"


class _Build:
    def __init__(self, release: Release, opts: BuildOptions, on_event: EventSink):
        self.release = release
        self.opts = opts
        self.emit = on_event
        self.out = opts.out.resolve()
        self.cache = (opts.cache or aicloud_home() / "cache" / "bundle").resolve()
        self.where = _Locator(release, opts.releases_dir)
        self.arch = _dpkg_arch()
        self.missing: list[MissingArtifact] = []
        manifest = Manifest(
            release.version,
            list(opts.os_families),
            self.arch,
            "",
            False,
            components={n: c.version for n, c in sorted(release.components.items())},
        )
        self.result = BuildResult(self.out, manifest)
        self.debs: dict[tuple[str, str], Path] = {}  # (name, version) -> .deb in a cache, for recipes

    def miss(self, component: str, kind: str, ref: str, reason: str, pinned_at: str) -> None:
        item = MissingArtifact(component, kind, ref, reason, pinned_at)  # type: ignore[arg-type]
        self.missing.append(item)
        self.emit(ArtifactMissed(item))

    # ------------------------------------------------------------------ steps

    def run(self) -> BuildResult:
        for family in self.opts.os_families:
            if family not in self.release.os:
                raise BundleError(f"release {self.release.version} supports {', '.join(self.release.os)}, not {family}")
        contents = sorted(p.name for p in self.out.iterdir()) if self.out.is_dir() else []
        # an older build's default folder that never became a bundle may hold only its key's home
        old_default = (aicloud_home() / "bundles" / self.release.version).resolve()
        only_old_key = contents == [LEGACY_KEY_DIR] and self.out.resolve() == old_default
        if contents and not (self.out / MANIFEST).is_file() and not only_old_key:
            # A rebuild prunes what the release no longer has: never do that to a folder that
            # is not a bundle (an empty --out once resolved to a source tree and pruned it),
            # and never touch what it holds (a `gnupg` there may be anybody's).
            raise BundleError(f"{self.out} is not empty and holds no {MANIFEST}: refusing to build a bundle there")
        home = self.key_home()
        self.out.mkdir(parents=True, exist_ok=True)
        key = bundle_key(home, self.release.version)
        try:
            self.result.manifest.key_fingerprint = key.fingerprint
            key.export(self.out / KEY_FILE)
            self.unpinned()
            for family in self.opts.os_families:
                self.packages(family, key)
            self.prune_families()
            self.binaries()
            self.images()
            self.charts()
            self.finish(key)
        finally:
            stop_agent(key.home)
        return self.result

    # ------------------------------------------------------------------ the key's home

    def key_home(self) -> Path:
        """The signing key's GnuPG home: never inside the bundle; an older build's home moved out first."""
        version = self.release.version
        home = (self.opts.key_home or key_store(version)).resolve()
        if home.is_relative_to(self.out):
            raise BundleError(
                f"the key home {home} is inside the bundle {self.out}, which is served to the whole site: "
                f"keep the private key outside it (the default is {key_store(version)})"
            )
        if self.opts.key_home is None:
            prepare_store(version)
        self._move_out_of_bundle(self.out / LEGACY_KEY_DIR, home)
        old_default = aicloud_home() / "bundles" / version / LEGACY_KEY_DIR
        # The old default home, in a folder that never became a bundle, was never served: keep
        # its key (hosts trust it). In a bundle, it is that bundle's build that moves it out.
        if self.opts.key_home is None and old_default.is_dir() and not (old_default.parent / MANIFEST).exists():
            self._adopt(old_default, home)
        return home

    def _move_out_of_bundle(self, legacy: Path, home: Path) -> None:
        """`<bundle>/gnupg`: where builds before the key store kept the private key."""
        if not legacy.is_dir():
            return
        if not has_key(legacy):
            shutil.rmtree(legacy)  # no secret in it: nothing to keep or to warn about
            return
        if not (self.out / MANIFEST).is_file():
            self._adopt(legacy, home)  # never a bundle, so never served
            return
        # Refused, not moved to the store and built on: this folder was a bundle, the bundle
        # phase copied it to the deploy node and nginx served `gnupg/` to every host. Whoever
        # fetched it can sign bundles that nodes trust, so reusing the key would keep that
        # trust, and a silent new key would break fingerprints people pinned without telling
        # them. The key leaves the bundle now (into a store folder no build reads) and the
        # operator decides, told what happened.
        aside = set_aside(legacy, self.release.version, "exposed")
        reuse = has_key(home)
        raise BundleError(
            f"{legacy} held the private key that signs release {self.release.version}'s bundles inside the "
            "bundle (where older aicloud versions kept it), and serving the bundle published it over HTTP to "
            f"every host: it is now in {aside}, which no build uses. Treat that key as leaked: build again to "
            + (f"sign with the key in {home}" if reuse else f"sign with a new key (made in {home})")
            + ", then run the bundle phase (`aicloud install --phase bundle`) so every node trusts only the "
            "new key and the deploy node's copy of the old one is deleted; pin the new fingerprint "
            "(`bundle verify --fingerprint`) wherever the old one was pinned."
            + ("" if reuse else f" Only if this bundle was never served, keep the old key instead: mv {aside} {home}")
        )

    def _adopt(self, source: Path, home: Path) -> None:
        """Move a home that was never served to where builds keep the key, unless one is there."""
        if home.is_dir() and not any(home.iterdir()):
            home.rmdir()
        if home.exists():
            aside = set_aside(source, self.release.version, "unused")
            self.result.notes.append(f"{source} held another key than {home}; it is now in {aside}, unused")
        else:
            move_home(source, home)
            self.result.notes.append(f"the bundle key moved from {source} to {home}")

    # ------------------------------------------------------------------ artifacts

    def unpinned(self) -> None:
        for name, comp in self.release.components.items():
            for i, item in enumerate(comp.unpinned):
                family = re.search(r"\(([a-z]+-[0-9.]+)\)$", item.ref)
                if item.kind == "package" and family and family[1] not in self.opts.os_families:
                    continue  # a package of an OS family this bundle does not carry
                self.miss(
                    name,
                    item.kind,
                    item.ref,
                    f"unpinned: no verified {item.missing} upstream yet",
                    self.where("components", name, "unpinned", i),
                )

    def packages(self, family: str, key: object) -> None:
        step = f"packages:{family}"
        pins: dict[str, tuple[str, str, str]] = {}  # name -> (version, component, where)
        for name, comp in self.release.components.items():
            for i, pkg in enumerate(comp.packages.get(family, [])):  # type: ignore[call-overload]
                where = self.where("components", name, "packages", family, i)
                if pkg.version.lower() in FLOATING_TAGS:
                    self.miss(name, "package", pkg.name, f"floating version {pkg.version!r}", where)
                elif pkg.name in pins and pins[pkg.name][0] != pkg.version:
                    self.miss(
                        name,
                        "package",
                        f"{pkg.name}={pkg.version}",
                        f"conflicts with {pkg.name}={pins[pkg.name][0]} of {pins[pkg.name][1]}",
                        where,
                    )
                else:
                    pins.setdefault(pkg.name, (pkg.version, name, where))
        repo = self.out / family
        if not pins:
            shutil.rmtree(repo, ignore_errors=True)
            return
        if not self.opts.packages or family not in apt.FAMILIES:
            why = "package fetching disabled (--no-packages)" if not self.opts.packages else f"no tooling for {family}"
            self._miss_all(pins, why)
            return
        state = apt.AptState(apt.FAMILIES[family], self.cache, self.arch, self.opts.mirror)
        if not Path(state.family.keyring).is_file():
            self._miss_all(pins, f"{state.family.keyring} is not installed on this machine")
            return
        self.emit(StepStarted(step, 0, "packages"))
        try:
            state.update()
            available = state.available(sorted(pins))
        except BundleError as exc:
            self._miss_all(pins, f"{family} mirror unreachable: {exc}")
            return
        wanted = []
        for name, (version, comp, where) in sorted(pins.items()):
            if version in available.get(name, set()):
                wanted.append(f"{name}={version}")
            else:
                offered = ", ".join(sorted(available.get(name, set()))) or "none"
                self.miss(
                    comp, "package", f"{name}={version}", f"not in the {family} mirror (it has: {offered})", where
                )
        debs = self._download(state, wanted, step) if wanted else []
        got = {"=".join(apt.deb_identity(d.name)[:2]) for d in debs}
        for pin in wanted:
            if pin not in got:
                name = pin.split("=", 1)[0]
                self.miss(pins[name][1], "package", pin, "apt resolved the pin but fetched no such .deb", pins[name][2])
        if "rsync" in pins and f"rsync={pins['rsync'][0]}" in wanted:
            boot = {name for _, name, _, _ in state.closure([f"rsync={pins['rsync'][0]}"])}
            self.result.manifest.bootstrap[family] = sorted(f"{family}/pool/main/{apt.pool_name(n)}" for n in boot)
        self.debs.update({apt.deb_identity(d.name)[:2]: d for d in debs})
        entries = apt.write_repository(
            repo,
            self._place_debs(repo, debs),
            key,  # type: ignore[arg-type]
            arch=self.arch,
            label=f"{self.release.version} {family}",
        )
        self.result.manifest.packages[family] = entries
        self.emit(StepFinished(step, f"{len(entries)} packages ({len(wanted)} pinned + dependencies)"))

    def _miss_all(self, pins: dict[str, tuple[str, str, str]], reason: str) -> None:
        for name, (version, comp, where) in sorted(pins.items()):
            self.miss(comp, "package", f"{name}={version}", reason, where)

    def _download(self, state: apt.AptState, wanted: list[str], step: str) -> list[Path]:
        uris = state.closure(wanted)
        archives = state.root / "archives"
        cached = sum(1 for _, f, size, _ in uris if (archives / f).is_file() and (archives / f).stat().st_size == size)
        total = sum(size for *_, size, _ in uris)
        self.emit(StepStarted(step, total, "bytes"))
        if cached < len(uris):
            state.download(wanted, total, self.emit)
        self.result.reused += cached
        self.result.fetched += len(uris) - cached
        debs = []
        for _, name, size, digest in uris:
            path = archives / name
            if not path.is_file() or path.stat().st_size != size:
                raise BundleError(f"apt-get left no {name} in {archives}")
            algo, _, hexdigest = digest.partition(":")
            if algo == "SHA256" and sha256_file(path) != hexdigest:
                raise BundleError(f"{path}: sha256 differs from the signed index of the mirror")
            debs.append(path)
        return debs

    def _place_debs(self, repo: Path, debs: list[Path]) -> dict[Path, tuple[str, str, str]]:
        pool = repo / "pool" / "main"
        placed = {}
        for deb in debs:
            target = pool / apt.pool_name(deb.name)
            if not (
                target.is_file()
                and target.stat().st_size == deb.stat().st_size
                and sha256_file(target) == sha256_file(deb)
            ):
                place(deb, target)
            placed[target] = apt.deb_identity(deb.name)
        return placed

    def prune_families(self) -> None:
        for family in apt.FAMILIES:
            if family not in self.result.manifest.packages:
                shutil.rmtree(self.out / family, ignore_errors=True)

    def binaries(self) -> None:
        items = [(n, i, b) for n, c in self.release.components.items() for i, b in enumerate(c.binaries)]
        if not items:
            return
        self.emit(StepStarted("binaries", len(items), "files"))
        unreachable: dict[str, str] = {}
        keep: set[Path] = set()
        for done, (comp, i, binary) in enumerate(items, 1):
            rel = f"{FILES_DIR}/{comp}/{binary.arch}/{binaries.file_name(binary)}"
            target = self.out / rel
            host = binary.url.split("/")[2]
            where = self.where("components", comp, "binaries", i)
            if target.is_file() and sha256_file(target) == binary.sha256:
                self.result.reused += 1
            elif host in unreachable and not (self.opts.from_dir and binaries.find_in(self.opts.from_dir, binary)):
                self.miss(comp, "binary", binary.url, unreachable[host], where)
                continue
            else:
                try:
                    binaries.fetch(binary, target, from_dir=self.opts.from_dir, online=self.opts.online)
                    self.result.fetched += 1
                except binaries.BinaryUnavailable as exc:
                    if exc.unreachable:
                        unreachable[host] = str(exc)
                    self.miss(comp, "binary", binary.url, str(exc), where)
                    continue
            keep.add(target)
            self.result.manifest.binaries.append(
                BinaryEntry(comp, binary.name, binary.arch, binary.url, binary.sha256, rel)
            )
            self.emit(StepProgress("binaries", done, len(items), binary.name))
        self._prune_tree(self.out / FILES_DIR, keep)
        self.emit(StepFinished("binaries", f"{len(keep)} of {len(items)} binaries"))

    def images(self) -> None:
        items = [(n, i, img) for n, c in self.release.components.items() for i, img in enumerate(c.images)]
        layout = self.out / IMAGES_DIR
        if not items:
            shutil.rmtree(layout, ignore_errors=True)
            return
        self.emit(StepStarted("images", len(items), "images"))
        present = images.layout_index(layout)
        unreachable: dict[str, str] = {}
        for done, (comp, i, img) in enumerate(items, 1):
            entry = ImageEntry(comp, img.image, img.tag, img.digest)
            where = self.where("components", comp, "images", i)
            self.emit(StepProgress("images", done - 1, len(items), entry.ref_name))
            if img.tag.lower() in FLOATING_TAGS:
                self.miss(comp, "image", entry.ref_name, f"floating tag {img.tag!r}: pin a version", where)
                continue
            recipe = images.RECIPES.get(img.image)
            if recipe is not None:
                entry = ImageEntry(comp, img.image, img.tag, img.digest, f"local:{recipe.package}")
            if present.get(entry.ref_name) == img.digest:
                self.result.reused += 1
            elif recipe is not None:
                if not self._build_local(comp, img, entry, recipe, layout, where):
                    continue
            elif entry.registry in unreachable and not self._from_dir_has(entry):
                self.miss(comp, "image", f"{entry.ref_name}@{img.digest}", unreachable[entry.registry], where)
                continue
            elif not self._copy(comp, img, entry, layout, where, unreachable):
                continue
            self.result.manifest.images.append(entry)
        wanted = {e.ref_name for e in self.result.manifest.images}
        for ref in set(images.layout_index(layout)) - wanted:
            images.untag(layout, ref)
        if (layout / "index.json").exists():
            images.prune_blobs(layout)
        self.emit(StepFinished("images", f"{len(self.result.manifest.images)} of {len(items)} images"))

    def _from_dir_has(self, entry: ImageEntry) -> bool:
        return bool(self.opts.from_dir and entry.ref_name in images.layout_index(self.opts.from_dir / IMAGES_DIR))

    def _copy(
        self, comp: str, img: object, entry: ImageEntry, layout: Path, where: str, unreachable: dict[str, str]
    ) -> bool:
        sources = []
        if self._from_dir_has(entry):
            sources.append(f"oci:{self.opts.from_dir / IMAGES_DIR}:{entry.ref_name}")
        if self.opts.online:
            sources.append(f"docker://{entry.image}@{entry.digest}")
        reason = "offline build and not in --from-dir (an OCI layout at <from>/images)"
        for source in sources:
            try:
                images.copy_image(source, layout, entry.ref_name, entry.digest)
                self.result.fetched += 1
                return True
            except images.ImageUnavailable as exc:
                reason = str(exc)
                if exc.unreachable:
                    unreachable[entry.registry] = f"{entry.registry} unreachable: {reason}"
                    reason = unreachable[entry.registry]
        self.miss(comp, "image", f"{entry.ref_name}@{entry.digest}", reason, where)
        return False

    def _build_local(
        self, comp: str, img: object, entry: ImageEntry, recipe: images.Recipe, layout: Path, where: str
    ) -> bool:
        pkg = next(
            (
                p
                for p in self.release.components[comp].packages.get("debian-12", [])  # type: ignore[call-overload]
                if p.name == recipe.package
            ),
            None,
        )
        deb = self.debs.get((recipe.package, pkg.version)) if pkg else None
        if deb is None:
            self.miss(
                comp,
                "image",
                entry.ref_name,
                f"built from {recipe.package}, which this build has no .deb of (pin it for debian-12 in "
                f"component {comp} and build --os debian-12)",
                where,
            )
            return False
        digest = images.build_local_image(recipe, deb, layout, entry.ref_name, self.arch)
        if digest != entry.digest:
            images.untag(layout, entry.ref_name)
            self.miss(
                comp,
                "image",
                entry.ref_name,
                f"recipe built {digest}, the release pins {entry.digest} (not reproducible here?)",
                where,
            )
            return False
        self.result.fetched += 1
        return True

    def charts(self) -> None:
        keep = set()
        for comp, c in self.release.components.items():
            for i, chart in enumerate(c.charts):
                name = f"{chart.name}-{chart.version}.tgz"
                local = self.opts.from_dir / name if self.opts.from_dir else None
                if local is not None and local.is_file():
                    target = self.out / FILES_DIR / "charts" / name
                    place(local, target)
                    keep.add(target)
                    continue
                self.miss(
                    comp,
                    "chart",
                    f"{chart.repo} {chart.name} {chart.version}",
                    f"charts come only from --from-dir ({name}): the BOM pins no checksum to fetch against",
                    self.where("components", comp, "charts", i),
                )
        charts_dir = self.out / FILES_DIR / "charts"
        if charts_dir.exists():
            self._prune_tree(charts_dir, keep)

    def _prune_tree(self, root: Path, keep: set[Path]) -> None:
        if not root.exists():
            return
        for path in sorted(root.rglob("*"), reverse=True):
            charts = self.out / FILES_DIR / "charts"  # kept by charts(), which runs after binaries()
            if path.is_file() and path not in keep and (root == charts or not path.is_relative_to(charts)):
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()

    def finish(self, key: object) -> None:
        manifest = self.result.manifest
        manifest.missing = self.missing
        manifest.complete = not self.missing
        for stray in self.out.rglob("*"):
            if stray.is_file() and (stray.name.endswith((".part", ".tmp")) or stray.name.startswith(".")):
                stray.unlink()
        payload = sorted(
            p
            for p in self.out.rglob("*")
            if p.is_file() and p.relative_to(self.out).as_posix() not in {MANIFEST, SIGNATURE, SUMS}
        )
        private = [rel for p in payload if is_private_key_material(rel := p.relative_to(self.out).as_posix())]
        if private:
            raise BundleError(
                f"{self.out} holds private key material ({', '.join(private[:5])}): a bundle is served to "
                "the whole site; move it out of the bundle folder and build again"
            )
        total = sum(p.stat().st_size for p in payload)
        self.emit(StepStarted("checksums", total, "bytes"))
        done = 0
        files: dict[str, FileEntry] = {}
        for path in payload:
            files[path.relative_to(self.out).as_posix()] = FileEntry(path.stat().st_size, sha256_file(path))
            done += path.stat().st_size
            self.emit(StepProgress("checksums", done, total))
        sums = "".join(f"{f.sha256}  {rel}\n" for rel, f in sorted(files.items()))
        write_atomic(self.out / SUMS, sums, mode=0o644)
        files[SUMS] = FileEntry((self.out / SUMS).stat().st_size, sha256_file(self.out / SUMS))
        manifest.files = files
        write_atomic(self.out / MANIFEST, manifest.to_json(), mode=0o644)
        (self.out / SIGNATURE).unlink(missing_ok=True)
        key.detach_sign(self.out / MANIFEST, self.out / SIGNATURE)  # type: ignore[attr-defined]
        self.emit(StepFinished("checksums", f"{len(files)} files, {total} bytes"))


def _dpkg_arch() -> str:
    try:
        return subprocess.run(
            ["dpkg", "--print-architecture"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "amd64"


def build(release: Release, opts: BuildOptions, on_event: EventSink | None = None) -> BuildResult:
    """Build (or bring up to date) the bundle of `release` in `opts.out`."""
    return _Build(release, opts, on_event or (lambda _e: None)).run()


__all__ = ["BuildOptions", "BuildResult", "PackageEntry", "build"]
