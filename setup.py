"""The wheel carries the Ansible content and the example answer files as package data.

The repository keeps `playbooks/`, `roles/` and `inventory-examples/` at the top, where an ops
team and kubespray users look for them; a built wheel copies them under `installer/_content/`
(installer.content finds either), so `pip install aicloud-*.whl` into a fresh venv can install
a site with nothing else from the checkout. Editable installs read the checkout itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CONTENT = {"playbooks": "playbooks", "roles": "roles", "inventory-examples": "examples"}
#: never shipped: test scenarios and caches
SKIP = shutil.ignore_patterns("molecule", "__pycache__", "*.pyc", ".ansible")


class BuildWithContent(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "installer" / "_content"
        for source, name in CONTENT.items():
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(Path(source), target / name, ignore=SKIP)


setup(cmdclass={"build_py": BuildWithContent})
