"""Container images in the bundle's OCI layout: copied by digest with skopeo, or built here.

Images of the registry `aicloud.local` are not pulled from anywhere: a recipe in this module
builds them from Debian packages that the same release pins. The build is reproducible (fixed
file order, owners and times, an uncompressed layer), so the BOM can pin the digest the recipe
yields and the build refuses an image whose digest differs; the bundle records the digest.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from installer.bundle.model import BundleError
from installer.bundle.tools import run

LOCAL_REGISTRY = "aicloud.local"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
REF_ANNOTATION = "org.opencontainers.image.ref.name"
_UNREACHABLE = re.compile(
    r"no such host|dial tcp|connection refused|i/o timeout|network is unreachable|TLS handshake", re.IGNORECASE
)


class ImageUnavailable(Exception):
    """An image could not be put into the layout; `unreachable` when its registry cannot be reached at all."""

    def __init__(self, reason: str, *, unreachable: bool = False):
        super().__init__(reason)
        self.unreachable = unreachable


# ----------------------------------------------------------------------------- the OCI layout


def layout_index(layout: Path) -> dict[str, str]:
    """Ref name -> manifest digest of every image in an OCI layout."""
    try:
        index = json.loads((layout / "index.json").read_text())
    except FileNotFoundError:
        return {}
    return {
        m.get("annotations", {}).get(REF_ANNOTATION, ""): m["digest"]
        for m in index.get("manifests", [])
        if m.get("annotations", {}).get(REF_ANNOTATION)
    }


def _init_layout(layout: Path) -> None:
    (layout / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    if not (layout / "oci-layout").exists():
        (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    if not (layout / "index.json").exists():
        (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": []}))


def _put_blob(layout: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def _tag(layout: Path, ref_name: str, manifest: dict[str, object]) -> None:
    index = json.loads((layout / "index.json").read_text())
    kept = [m for m in index["manifests"] if m.get("annotations", {}).get(REF_ANNOTATION) != ref_name]
    kept.append({**manifest, "annotations": {REF_ANNOTATION: ref_name}})
    index["manifests"] = sorted(kept, key=lambda m: m["annotations"][REF_ANNOTATION])
    (layout / "index.json").write_text(json.dumps(index, indent=1, sort_keys=True))


def untag(layout: Path, ref_name: str) -> None:
    if (layout / "index.json").exists():
        index = json.loads((layout / "index.json").read_text())
        index["manifests"] = [m for m in index["manifests"] if m.get("annotations", {}).get(REF_ANNOTATION) != ref_name]
        (layout / "index.json").write_text(json.dumps(index, indent=1, sort_keys=True))


def referenced_blobs(layout: Path) -> set[str]:
    """Hex digests of every blob reachable from index.json (manifests, indexes, configs, layers)."""
    seen: set[str] = set()
    todo = [m["digest"] for m in json.loads((layout / "index.json").read_text())["manifests"]]
    while todo:
        digest = todo.pop().split(":", 1)[1]
        if digest in seen:
            continue
        seen.add(digest)
        path = layout / "blobs" / "sha256" / digest
        if not path.exists() or path.stat().st_size > 4 << 20:
            continue
        try:
            doc = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(doc, dict):
            for key in ("manifests", "layers"):
                todo += [d["digest"] for d in doc.get(key, []) if isinstance(d, dict) and "digest" in d]
            if isinstance(doc.get("config"), dict) and "digest" in doc["config"]:
                todo.append(doc["config"]["digest"])
    return seen


def prune_blobs(layout: Path) -> None:
    """Remove blobs no image references any more (an image dropped from the release)."""
    keep = referenced_blobs(layout)
    for blob in (layout / "blobs" / "sha256").iterdir():
        if blob.name not in keep:
            blob.unlink()


# ----------------------------------------------------------------------------- copied images


def copy_image(source: str, layout: Path, ref_name: str, digest: str) -> None:
    """skopeo copy `source` into the layout under `ref_name`; the stored manifest must have `digest`."""
    _init_layout(layout)
    argv = [
        "skopeo",
        "copy",
        "--quiet",
        "--retry-times",
        "0",
        "--multi-arch",
        "all",
        "--preserve-digests",
        source,
        f"oci:{layout}:{ref_name}",
    ]
    try:
        result = subprocess.run(argv, capture_output=True, timeout=1800, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise BundleError("skopeo is not installed (Debian package: skopeo)") from None
    except subprocess.TimeoutExpired:
        raise ImageUnavailable("skopeo copy did not finish in 1800 s") from None
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        reason = (message[-1] if message else "skopeo copy failed").removeprefix("time=").strip()
        reason = re.sub(r'^"[^"]*" level=fatal msg=', "", reason)
        raise ImageUnavailable(reason[:400], unreachable=bool(_UNREACHABLE.search(reason)))
    got = layout_index(layout).get(ref_name)
    if got != digest:
        untag(layout, ref_name)
        raise ImageUnavailable(f"copied manifest has digest {got}, the release pins {digest}")


# ----------------------------------------------------------------------------- built images


@dataclass(frozen=True)
class Recipe:
    """How an `aicloud.local` image is built: from one Debian package of the same release."""

    package: str
    build: Callable[[Path], bytes]  # .deb -> layer tar
    cmd: tuple[str, ...]


def _busybox_layer(deb: Path) -> bytes:
    """A root file system of busybox-static's /bin/busybox with a few applets linked to it."""
    fsys = run(["dpkg-deb", "--fsys-tarfile", deb], timeout=120).stdout
    with tarfile.open(fileobj=io.BytesIO(fsys)) as deb_tar:
        member = deb_tar.getmember("./bin/busybox")
        handle = deb_tar.extractfile(member)
        if handle is None:
            raise BundleError(f"{deb.name}: ./bin/busybox is not a file")
        busybox = handle.read()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as layer:

        def add(name: str, kind: bytes, mode: int, data: bytes = b"", link: str = "") -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.size, info.linkname = kind, mode, len(data), link
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "root", "root"
            layer.addfile(info, io.BytesIO(data) if data else None)

        for directory in ("bin", "etc", "tmp"):
            add(directory, tarfile.DIRTYPE, 0o1777 if directory == "tmp" else 0o755)
        add("bin/busybox", tarfile.REGTYPE, 0o755, busybox)
        for applet in ("cat", "echo", "ls", "sh", "sleep", "true", "wget"):
            add(f"bin/{applet}", tarfile.SYMTYPE, 0o777, link="busybox")
        add("etc/os-release", tarfile.REGTYPE, 0o644, b'ID=aicloud-busybox\nNAME="aicloud lab busybox"\n')
    return out.getvalue()


RECIPES: dict[str, Recipe] = {
    f"{LOCAL_REGISTRY}/lab/busybox": Recipe("busybox-static", _busybox_layer, ("/bin/sh",)),
}


def build_local_image(recipe: Recipe, deb: Path, layout: Path, ref_name: str, arch: str) -> str:
    """Build the image into the layout; return its manifest digest."""
    _init_layout(layout)
    layer = recipe.build(deb)
    layer_desc = {"mediaType": OCI_LAYER, **_put_blob(layout, layer)}
    config = {
        "architecture": arch,
        "os": "linux",
        "config": {"Cmd": list(recipe.cmd), "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [layer_desc["digest"]]},
        "history": [{"created_by": f"aicloud bundle recipe from {deb.name}"}],
    }
    config_desc = {"mediaType": OCI_CONFIG, **_put_blob(layout, _canonical(config))}
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config_desc, "layers": [layer_desc]}
    manifest_desc = {"mediaType": OCI_MANIFEST, **_put_blob(layout, _canonical(manifest))}
    _tag(layout, ref_name, manifest_desc)
    return str(manifest_desc["digest"])


def _canonical(doc: dict[str, object]) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
