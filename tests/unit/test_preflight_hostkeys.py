"""SSH host keys: trust on first use recorded in the site state; a changed key names both fingerprints."""

from __future__ import annotations

import base64
import hashlib

from installer.discovery.hostkeys import KnownHosts, changed_message, fingerprint

KEY_A = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(32))
KEY_B = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(1, 33))


def test_fingerprint_is_openssh_sha256_format():
    expected = base64.b64encode(hashlib.sha256(KEY_A).digest()).decode().rstrip("=")
    assert fingerprint(KEY_A) == f"SHA256:{expected}"


def test_first_contact_records_the_key_and_says_so(tmp_path):
    known = KnownHosts(tmp_path / "known_hosts")
    event = known.check("n1", "ssh-ed25519", KEY_A)
    assert event.status == "recorded" and event.fingerprint == fingerprint(KEY_A)
    assert (tmp_path / "known_hosts").read_text() == f"n1 ssh-ed25519 {base64.b64encode(KEY_A).decode()}\n"
    assert known.check("n1", "ssh-ed25519", KEY_A).status == "matched"


def test_changed_key_is_reported_with_both_fingerprints_and_the_record_is_kept(tmp_path):
    known = KnownHosts(tmp_path / "known_hosts")
    known.check("n1", "ssh-ed25519", KEY_A)
    before = (tmp_path / "known_hosts").read_text()
    event = known.check("n1", "ssh-ed25519", KEY_B)
    assert event.status == "changed"
    assert event.fingerprint == fingerprint(KEY_B) and fingerprint(KEY_A) in event.recorded_fingerprint
    message = changed_message(event, known.path)
    assert "n1" in message and fingerprint(KEY_A) in message and fingerprint(KEY_B) in message
    assert (tmp_path / "known_hosts").read_text() == before  # never overwritten by the new key


def test_hosts_are_recorded_independently(tmp_path):
    known = KnownHosts(tmp_path / "known_hosts")
    known.check("n1", "ssh-ed25519", KEY_A)
    assert known.check("n2", "ssh-ed25519", KEY_B).status == "recorded"
    assert known.check("n1", "ssh-ed25519", KEY_A).status == "matched"
