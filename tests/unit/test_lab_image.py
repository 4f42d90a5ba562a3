"""The base image recipe: its hash tracks the recipe, and the root file system is made host-neutral."""

from dataclasses import replace

from installer.lab.image import HOSTKEYS_UNIT_NAME, RECIPE, customise_rootfs


def test_recipe_hash_changes_with_the_recipe_and_only_then():
    assert RECIPE.digest() == replace(RECIPE).digest()
    assert RECIPE.digest() != replace(RECIPE, include=(*RECIPE.include, "curl")).digest()
    assert RECIPE.digest() != replace(RECIPE, steps_version=RECIPE.steps_version + 1).digest()


def test_rootfs_loses_its_machine_id_host_keys_and_package_cache(tmp_path):
    root = tmp_path
    for d in ("etc/ssh", "etc/systemd/system", "var/lib/dbus", "var/cache/apt/archives"):
        (root / d).mkdir(parents=True)
    (root / "etc/machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    (root / "var/lib/dbus/machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    for kind in ("rsa", "ecdsa", "ed25519"):
        (root / f"etc/ssh/ssh_host_{kind}_key").write_text("private")
        (root / f"etc/ssh/ssh_host_{kind}_key.pub").write_text("public")
    (root / "etc/ssh/sshd_config").write_text("# kept\n")
    (root / "var/cache/apt/archives/systemd_252_amd64.deb").write_bytes(b"x")

    customise_rootfs(root)

    assert (root / "etc/machine-id").read_text() == ""  # empty, not missing: systemd fills it per host
    assert not (root / "var/lib/dbus/machine-id").exists()
    assert sorted(p.name for p in (root / "etc/ssh").iterdir()) == ["sshd_config"]
    assert not list((root / "var/cache/apt/archives").glob("*.deb"))
    assert "127.0.0.1\tUNKNOWN" in (root / "etc/hosts").read_text().splitlines()  # no DNS query per SSH login
    unit = (root / "etc/systemd/system" / HOSTKEYS_UNIT_NAME).read_text()
    assert "ExecStart=/usr/bin/ssh-keygen -A" in unit and "Before=ssh.service" in unit
    link = root / "etc/systemd/system/multi-user.target.wants" / HOSTKEYS_UNIT_NAME
    assert link.is_symlink() and str(link.readlink()) == f"/etc/systemd/system/{HOSTKEYS_UNIT_NAME}"


def test_customising_twice_is_harmless(tmp_path):
    for d in ("etc/ssh", "etc/systemd/system", "var/cache/apt/archives"):
        (tmp_path / d).mkdir(parents=True)
    customise_rootfs(tmp_path)
    customise_rootfs(tmp_path)
    assert (tmp_path / "etc/systemd/system/multi-user.target.wants" / HOSTKEYS_UNIT_NAME).is_symlink()
