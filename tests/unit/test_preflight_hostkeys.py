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


def test_a_remade_lab_host_key_is_followed_so_the_next_install_passes_preflight(tmp_path):
    """`lab down` then `lab up` makes new host keys; the lab vouches for them, other sites are untouched."""
    from installer.lab.engine import LabEvent, _follow_site_host_keys

    b64 = lambda blob: base64.b64encode(blob).decode()  # noqa: E731
    lab_store = tmp_path / "sites" / "lab1" / "known_hosts"
    lab_store.parent.mkdir(parents=True)
    other_store = tmp_path / "sites" / "prod" / "known_hosts"
    other_store.parent.mkdir(parents=True)
    for store in (lab_store, other_store):
        KnownHosts(store).check("lab1-node1", "ssh-ed25519", KEY_A)
    events: list[LabEvent] = []
    keys = {"lab1-node1": [f"ssh-ed25519 {b64(KEY_B)} root@lab1-node1"], "lab1-node2": [f"ssh-ed25519 {b64(KEY_A)} x"]}
    _follow_site_host_keys("lab1", tmp_path, keys, events.append)
    assert KnownHosts(lab_store).check("lab1-node1", "ssh-ed25519", KEY_B).status == "matched"
    assert KnownHosts(other_store).check("lab1-node1", "ssh-ed25519", KEY_B).status == "changed"
    assert "lab1-node2" not in lab_store.read_text()  # never recorded: left to trust on first use
    assert [e.step for e in events] == ["keys"] and "lab1-node1" in events[0].message
    # the same keys again: nothing to follow, nothing said
    _follow_site_host_keys("lab1", tmp_path, keys, events.append)
    assert len(events) == 1
    # a lab whose site never ran has no store, and gets none
    _follow_site_host_keys("lab2", tmp_path, keys, events.append)
    assert not (tmp_path / "sites" / "lab2").exists()
