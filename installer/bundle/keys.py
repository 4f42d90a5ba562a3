"""The bundle key: an OpenPGP signing key generated for a bundle, kept outside it.

The private key lives in a GnuPG home on the build machine (`$AICLOUD_HOME/bundles/<release>/gnupg`
unless given); only the public key travels in the bundle. A rebuild reuses the key, so hosts that
trust one build of a release trust the next.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from installer.bundle.model import BundleError
from installer.bundle.tools import run

_FPR = re.compile(r"^fpr:+([0-9A-F]{40}):", re.MULTILINE)


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
        ).stdout

    def export(self, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self._gpg("--export", self.fingerprint))

    def clearsign(self, source: Path, target: Path) -> None:
        self._gpg("--local-user", self.fingerprint, "--digest-algo", "SHA512", "--clearsign", "-o", target, source)

    def detach_sign(self, source: Path, target: Path) -> None:
        self._gpg(
            "--local-user",
            self.fingerprint,
            "--digest-algo",
            "SHA512",
            "--armor",
            "--detach-sign",
            "-o",
            target,
            source,
        )


#: gpg-agent's sockets live in the GnuPG home; a Unix socket path holds at most 107 bytes.
_SOCKET_ROOM = 80


def short_home(home: Path) -> Path:
    """`home`, or a short symlink to it in /tmp when its path leaves no room for gpg-agent's sockets."""
    if len(str(home)) <= _SOCKET_ROOM:
        return home
    alias = Path(tempfile.gettempdir()) / f"aicloud-gnupg-{hashlib.sha256(str(home).encode()).hexdigest()[:12]}"
    if not (alias.is_symlink() and alias.resolve() == home.resolve()):
        alias.unlink(missing_ok=True)
        alias.symlink_to(home)
    return alias


def bundle_key(home: Path, release: str) -> BundleKey:
    """The release's bundle key in `home`, generated on first use (ed25519, signing only)."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    home.chmod(0o700)
    home = short_home(home)
    found = _FPR.findall(
        run(
            ["gpg", "--homedir", home, "--batch", "--with-colons", "--list-secret-keys"],
            timeout=60,
            env={"LC_ALL": "C"},
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
    )
    found = _FPR.findall(
        run(["gpg", "--homedir", home, "--batch", "--with-colons", "--list-secret-keys"], timeout=60).stdout.decode()
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
