"""The bundle key: an OpenPGP signing key per release, kept in the builder's own protected store.

The private key lives in a GnuPG home outside every bundle: `$AICLOUD_HOME/keys/<release>/gnupg`
(`key_store`), or the home a build names. Its folders are made 0700 and gpg runs under umask 077,
so every file it writes is 0600 from the start. Only the public key travels in the bundle. A
rebuild reuses the key, so hosts that trust one build of a release trust the next.

Older builds kept the home at `$AICLOUD_HOME/bundles/<release>/gnupg`, which is also where
`aicloud install` looks for the bundle: the key then sat inside the bundle and was served with
it. A build moves such a home out of the bundle (`_Build.key_home` in installer/bundle/build.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from installer.bundle.model import BundleError
from installer.bundle.tools import run
from installer.state import aicloud_home

_FPR = re.compile(r"^fpr:+([0-9A-F]{40}):", re.MULTILINE)
#: gpg writes its keys, keyring and trust database with this umask: files 0600, folders 0700
PRIVATE_UMASK = 0o077


@dataclass(frozen=True)
class BundleKey:
    home: Path
    fingerprint: str

    def _gpg(self, *args: str | Path) -> bytes:
        return run(
            [
                "gpg",
                "--homedir",
                self.home,
                "--batch",
                "--yes",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                *args,
            ],
            timeout=120,
            umask=PRIVATE_UMASK,
        ).stdout

    def export(self, target: Path) -> None:
        _write_public(target, self._gpg("--export", self.fingerprint))

    def clearsign(self, source: Path, target: Path) -> None:
        _write_public(
            target,
            self._gpg("--local-user", self.fingerprint, "--digest-algo", "SHA512", "--clearsign", "-o", "-", source),
        )

    def detach_sign(self, source: Path, target: Path) -> None:
        _write_public(
            target,
            self._gpg(
                "--local-user",
                self.fingerprint,
                "--digest-algo",
                "SHA512",
                "--armor",
                "--detach-sign",
                "-o",
                "-",
                source,
            ),
        )


def _write_public(target: Path, data: bytes) -> None:
    """A public key or signature for the bundle: 0644 whatever the umask, as every host reads it
    (gpg itself runs under umask 077, so it only ever writes to stdout here)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o644)
        handle.write(data)
    os.replace(tmp, target)


def key_store(release: str) -> Path:
    """The builder's own home of the release's key, outside every bundle."""
    return aicloud_home() / "keys" / release / "gnupg"


def private_folder(path: Path) -> Path:
    """`path` as a folder only its owner can enter: made 0700 (never chmod-ed after the fact),
    or set to 0700 when an older aicloud (or a person) made it looser."""
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        if not path.is_dir():
            raise BundleError(f"{path} exists and is not a folder; the bundle key cannot be kept there") from None
        if stat.S_IMODE(path.stat().st_mode) != 0o700:
            path.chmod(0o700)
    return path


def prepare_store(release: str) -> Path:
    """`key_store(release)`, with `keys/` and `keys/<release>/` made 0700 (`bundle_key` makes the home)."""
    home = key_store(release)
    home.parents[2].mkdir(parents=True, exist_ok=True)  # $AICLOUD_HOME itself
    for folder in (home.parents[1], home.parent):
        private_folder(folder)
    return home


def has_key(home: Path) -> bool:
    """Whether a GnuPG home holds secret key material (GnuPG 2.1+ or the older secring)."""
    keys = home / "private-keys-v1.d"
    return (keys.is_dir() and any(keys.iterdir())) or (home / "secring.gpg").is_file()


def tighten(home: Path) -> None:
    """Folders 0700, files 0600 below a home an older aicloud made (it ran gpg with the user's umask)."""
    for folder, _dirs, files in os.walk(home):
        Path(folder).chmod(0o700)
        for name in files:
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                path.chmod(0o600)


def move_home(source: Path, target: Path) -> None:
    """Move a GnuPG home (its agent stopped first, so no process keeps writing to the old place)."""
    stop_agent(source)
    private_folder(target.parent)
    shutil.move(source, target)
    tighten(target)


def set_aside(home: Path, release: str, why: str) -> Path:
    """Move a home that no build may use into `keys/<release>/<why>-<time>/gnupg`; where it went."""
    prepare_store(release)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = key_store(release).parent / f"{why}-{stamp}" / "gnupg"
    move_home(home, target)
    return target


#: gpg-agent's sockets live in the GnuPG home; a Unix socket path holds at most 107 bytes.
_SOCKET_ROOM = 80


def short_home(home: Path) -> Path:
    """`home`, or a short symlink to it when its path leaves no room for gpg-agent's sockets.

    The symlinks live in a folder of the temporary directory that only this user owns and can
    enter: in a shared /tmp another user could otherwise swap a symlink between our check and
    gpg's use of it, and have the bundle key made or read in a home of theirs.
    """
    if len(str(home)) <= _SOCKET_ROOM:
        return home
    links = Path(tempfile.gettempdir()) / f"aicloud-gnupg-{os.getuid()}"
    try:
        links.mkdir(mode=0o700)
    except FileExistsError:
        info = links.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
            raise BundleError(
                f"{links} is not a private folder of this user (owner, mode or a symlink): remove it, "
                "or build with AICLOUD_HOME on a shorter path"
            ) from None
    alias = links / hashlib.sha256(str(home).encode()).hexdigest()[:12]
    if not (alias.is_symlink() and alias.resolve() == home.resolve()):
        alias.unlink(missing_ok=True)
        alias.symlink_to(home.resolve())
    return alias


def bundle_key(home: Path, release: str) -> BundleKey:
    """The release's bundle key in `home`, generated on first use (ed25519, signing only)."""
    home.parent.mkdir(parents=True, exist_ok=True)  # a home the build names: its parents are the user's
    private_folder(home)
    home = short_home(home)
    found = _FPR.findall(
        run(
            ["gpg", "--homedir", home, "--batch", "--with-colons", "--list-secret-keys"],
            timeout=60,
            env={"LC_ALL": "C"},
            umask=PRIVATE_UMASK,
        ).stdout.decode()
    )
    if found:
        return BundleKey(home, found[0])
    uid = f"aicloud bundle {release} <bundle@aicloud.invalid>"
    run(
        [
            "gpg",
            "--homedir",
            home,
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-gen-key",
            uid,
            "ed25519",
            "sign",
            "never",
        ],
        timeout=120,
        umask=PRIVATE_UMASK,
    )
    found = _FPR.findall(
        run(
            ["gpg", "--homedir", home, "--batch", "--with-colons", "--list-secret-keys"],
            timeout=60,
            umask=PRIVATE_UMASK,
        ).stdout.decode()
    )
    if not found:
        raise BundleError(f"gpg made no key in {home}")
    return BundleKey(home, found[0])


def stop_agent(home: Path) -> None:
    """gpg starts an agent per home; a build must not leave one running."""
    with contextlib.suppress(BundleError):
        run(["gpgconf", "--homedir", short_home(home), "--kill", "gpg-agent"], timeout=30)


def verify_detached(keyring: Path, signature: Path, data: Path) -> str | None:
    """None when `signature` is a good signature of `data` by a key in `keyring`, else why not."""
    try:
        run(["gpgv", "--keyring", keyring, signature, data], timeout=60)
    except BundleError as exc:
        return str(exc).split(": ", 1)[-1]
    return None


def verify_clearsigned(keyring: Path, signed: Path) -> str | None:
    try:
        run(["gpgv", "--keyring", keyring, signed], timeout=60)
    except BundleError as exc:
        return str(exc).split(": ", 1)[-1]
    return None


def keyring_fingerprints(keyring: Path) -> list[str]:
    out = run(["gpg", "--batch", "--with-colons", "--show-keys", keyring], timeout=60).stdout.decode()
    return _FPR.findall(out)
