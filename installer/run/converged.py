"""The fast path of a re-run: a phase is skipped on a node whose own record shows it still holds.

Every phase playbook ends with the `release_record` role, which runs `aicloud-converged record`
on the node: it digests what the phase's roles manage there (files, folder trees, services,
packages, sysctls, module paths; each role names its own in `<role>_converged_watch`) and
stores the digest with the phase's *inputs*, a hash the installer computes here from
everything the phase applies: the playbooks and roles, the rendered inventory, the extra
variables, the bundle's manifest, and aicloud's version.

Before a phase runs, one SSH command per node (`aicloud-converged check`, read through
pyinfra like discovery) compares. A node is skipped only when its recorded inputs equal the
inputs of this run *and* the digest of its state now equals the recorded one; a missing
record, an unreachable node, an edited file, a stopped service or a removed package runs the
phase's playbook on that node in full. `aicloud install --full` never skips.

What the check cannot see: drift outside the watch lists, and a changed secret (secrets are
left out of the inputs so no hash of one is ever stored). `--full` covers both.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyinfra.api import FactBase

from installer import __version__
from installer.events import NO_RECORD
from installer.reach import Reach
from installer.run.playbook import phase_roles, playbook_files
from installer.site.load import LoadedSite

TOOL = "/usr/local/lib/aicloud/aicloud-converged"
#: extra variables that differ on every run without changing what a phase applies
VOLATILE_EXTRAVARS = frozenset(
    {
        "aicloud_run_id",
        "aicloud_converged_inputs",
        "release_record_phase",
        # where the bundle was found, and whether the engine already verified it: the bundle
        # itself counts by its manifest (below)
        "bundle_dir",
        "bundle_verified",
    }
)


class ConvergedRecord(FactBase):
    """`aicloud-converged check PHASE`: {phase: {inputs, recorded, current, run_id} | null}."""

    def command(self, phase: str, sudo: bool = False) -> str:
        # sudo -n: a become password is never sent here; such a site's check fails and it runs.
        prefix = "sudo -n " if sudo else ""
        # A node that never recorded anything has no tool yet: that is "no record", not an error.
        return f"if [ -x {TOOL} ]; then {prefix}python3 {TOOL} check {shlex.quote(phase)}; else echo '{{}}'; fi"

    def process(self, output: list[str]) -> dict[str, Any]:
        return json.loads("\n".join(output) or "{}")


def _hash_tree(digest: Any, root: Path, label: str) -> None:
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root)
        skipped = "molecule" in relative.parts or "__pycache__" in relative.parts or path.suffix in (".md", ".pyc")
        if skipped or any(part.startswith(".") for part in relative.parts):
            continue  # test scenarios, caches (molecule's .ansible/) and documentation never reach a node
        digest.update(f"{label}/{relative}\0".encode())
        digest.update(path.read_bytes())
        digest.update(b"\0")


def phase_inputs(
    phase: str,
    *,
    playbook: Path,
    roles_dir: Path,
    inventory_dir: Path,
    extravars: dict[str, Any],
    secret_dir: Path | None,
) -> str:
    """A hash of everything the phase's playbook applies; equal hashes apply equal configuration.

    Only this phase's playbook and the roles it applies count (editing one role re-runs its
    phase alone), and nothing that depends on how the phase was selected: the bundle counts by
    its signed manifest, not by the folder it was found in, so `--phase os` and a full run of
    the same site and bundle record the same inputs.
    """
    digest = hashlib.sha256(f"aicloud {__version__}\0phase {phase}\0".encode())
    for book in playbook_files(playbook):
        digest.update(f"playbook/{book.name}\0".encode())
        digest.update(book.read_bytes() if book.is_file() else b"")
    for role in sorted(phase_roles(playbook, roles_dir)):
        if (roles_dir / role).is_dir():
            _hash_tree(digest, roles_dir / role, f"roles/{role}")
    _hash_tree(digest, inventory_dir, "inventory")
    for key in sorted(extravars):
        if key in VOLATILE_EXTRAVARS:
            continue
        value = str(extravars[key])
        if secret_dir is not None and str(secret_dir) in value:
            value = "<secret>"  # its path changes every run; its value is never hashed
        digest.update(f"{key}={value}\0".encode())
    bundle = extravars.get("bundle_dir")
    manifest = Path(bundle) / "bundle.json" if bundle else None
    digest.update(b"bundle\0" + (manifest.read_bytes() if manifest and manifest.is_file() else b"none"))
    return digest.hexdigest()


@dataclass(frozen=True)
class Verdict:
    """Whether one node still holds what the phase applied, and why not when it does not."""

    host: str
    unchanged: bool
    reason: str
    since_run: str = ""


def judge(host: str, phase: str, inputs: str, report: Any) -> Verdict:
    """Read one node's `check` report (or the HostError in its place) against this run's inputs."""
    if not isinstance(report, dict):
        return Verdict(host, False, f"not checked: {getattr(report, 'message', report)}")
    entry = report.get(phase)
    if not entry:
        return Verdict(host, False, NO_RECORD)
    if entry.get("void"):
        return Verdict(host, False, "the phase did not finish on the node the last time it ran")
    if entry.get("inputs") != inputs:
        return Verdict(host, False, "what the phase applies has changed since it last ran here")
    if not entry.get("recorded") or entry.get("recorded") != entry.get("current"):
        # `drifted`: [kind, item, how] per item, from records that keep per-item hashes
        drifted = [d for d in entry.get("drifted") or [] if isinstance(d, list) and len(d) == 3]
        if not drifted:
            return Verdict(host, False, "the node has drifted from what the phase applied")
        shown = ", ".join(" ".join(map(str, d)) for d in drifted[:5])
        more = f" and {len(drifted) - 5} more" if len(drifted) > 5 else ""
        return Verdict(host, False, f"the node has drifted: {shown}{more}")
    return Verdict(host, True, "unchanged", entry.get("run_id", ""))


def check_hosts(loaded: LoadedSite, phase: str, hosts: list[str], inputs: str) -> list[Verdict]:
    """One SSH round trip per node, all nodes at once."""
    from installer.discovery import read_fact

    try:
        sudo = Reach.of(loaded.site.ssh, loaded.base_dir).become
        reports = read_fact(loaded, hosts, ConvergedRecord, phase, sudo)
    except Exception as exc:  # the check only ever saves time: when it cannot answer, the phase runs
        return [Verdict(h, False, f"not checked: {exc}") for h in hosts]
    return [judge(h, phase, inputs, reports.get(h, "no answer")) for h in hosts]
