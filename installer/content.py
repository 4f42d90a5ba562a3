"""Where the Ansible content is: the playbooks (one per phase), the roles they apply, and the
example answer files.

In a checkout (or an editable install) they are the repository's top-level `playbooks/`,
`roles/` and `inventory-examples/`; a built wheel carries copies under `installer/_content/`
(setup.py). A light module (no Ansible import), so the plan can say which phases have a
playbook yet.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "_content"
_CHECKOUT = Path(__file__).resolve().parents[1]

if (_PACKAGED / "playbooks").is_dir():
    ROOT = _PACKAGED
    EXAMPLES_DIR = _PACKAGED / "examples"
else:
    ROOT = _CHECKOUT
    EXAMPLES_DIR = _CHECKOUT / "inventory-examples"
PLAYBOOKS_DIR = ROOT / "playbooks"
ROLES_DIR = ROOT / "roles"


def playbook_path(phase: str, playbooks_dir: Path | None = None) -> Path:
    return (playbooks_dir or PLAYBOOKS_DIR) / f"{phase}.yml"
