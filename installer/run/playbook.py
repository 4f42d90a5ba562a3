"""What a phase playbook applies, read from its YAML without running Ansible.

Two answers, both cheap (a few YAML files, no ansible-playbook process):

- `phase_roles`: the roles the playbook applies (plays' `roles:`, `include_role`/`import_role`
  tasks, and each role's `meta/main.yml` dependencies), so a phase's recorded inputs hash
  only what that phase runs: editing one role re-runs its phase, not every phase.
- `count_tasks`: how many tasks a host meets in the playbook (roles' task files followed
  through `include_tasks`/`import_tasks`), for a progress bar that moves while the phase
  runs. Conditions are not evaluated, so it is an upper bound; a bar may end short of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

_INCLUDE_ROLE = ("ansible.builtin.include_role", "ansible.builtin.import_role", "include_role", "import_role")
_INCLUDE_TASKS = ("ansible.builtin.include_tasks", "ansible.builtin.import_tasks", "include_tasks", "import_tasks")
_IMPORT_PLAYBOOK = ("ansible.builtin.import_playbook", "import_playbook")
_SECTIONS = ("pre_tasks", "tasks", "post_tasks", "handlers")


def _load(path: Path) -> list[Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return []
    return data if isinstance(data, list) else []


def _role_name(entry: Any) -> str | None:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        name = entry.get("role") or entry.get("name")
        return name if isinstance(name, str) else None
    return None


def _plays(playbook: Path) -> Iterator[dict[str, Any]]:
    for play in _load(playbook):
        if not isinstance(play, dict):
            continue
        for key in _IMPORT_PLAYBOOK:
            if isinstance(play.get(key), str):
                yield from _plays(playbook.parent / play[key])
                break
        else:
            yield play


def playbook_files(playbook: Path) -> list[Path]:
    """The playbook and every playbook it imports, recursively."""
    found = [playbook]
    for play in _load(playbook):
        for key in _IMPORT_PLAYBOOK:
            if isinstance(play, dict) and isinstance(play.get(key), str):
                found += [p for p in playbook_files(playbook.parent / play[key]) if p not in found]
    return found


def _flat_tasks(tasks: Any) -> Iterator[dict[str, Any]]:
    """Every task of a task list, blocks opened (their rescue/always too)."""
    for task in tasks if isinstance(tasks, list) else []:
        if not isinstance(task, dict):
            continue
        if "block" in task:
            for key in ("block", "rescue", "always"):
                yield from _flat_tasks(task.get(key))
        else:
            yield task


def _included_role(task: dict[str, Any]) -> tuple[str, str] | None:
    for key in _INCLUDE_ROLE:
        args = task.get(key)
        if isinstance(args, dict) and isinstance(args.get("name"), str):
            return args["name"], str(args.get("tasks_from") or "main")
    return None


def _included_file(task: dict[str, Any]) -> str | None:
    for key in _INCLUDE_TASKS:
        args = task.get(key)
        if isinstance(args, str):
            return args
        if isinstance(args, dict) and isinstance(args.get("file"), str):
            return args["file"]
    return None


def _dependencies(role: str, roles_dir: Path) -> list[str]:
    meta = roles_dir / role / "meta" / "main.yml"
    try:
        data = yaml.safe_load(meta.read_text()) if meta.is_file() else None
    except yaml.YAMLError:
        return []
    deps = data.get("dependencies") if isinstance(data, dict) else None
    return [n for n in (_role_name(d) for d in deps or []) if n]


def phase_roles(playbook: Path, roles_dir: Path) -> list[str]:
    """The roles `playbook` applies, dependencies included, in first-seen order."""
    found: list[str] = []

    def add(role: str) -> None:
        if role in found:
            return
        found.append(role)
        for dep in _dependencies(role, roles_dir):
            add(dep)
        for path in sorted((roles_dir / role / "tasks").glob("*.yml")):
            for task in _flat_tasks(_load(path)):
                included = _included_role(task)
                if included:
                    add(included[0])

    for play in _plays(playbook):
        for entry in play.get("roles") or []:
            name = _role_name(entry)
            if name:
                add(name)
        for section in _SECTIONS:
            for task in _flat_tasks(play.get(section)):
                included = _included_role(task)
                if included:
                    add(included[0])
    return found


def _count_file(path: Path, roles_dir: Path, depth: int = 0) -> int:
    if depth > 8:  # an include loop is Ansible's error to report, not ours
        return 0
    total = 0
    for task in _flat_tasks(_load(path)):
        included = _included_file(task)
        role = _included_role(task)
        if included and "{{" not in included:
            total += _count_file(path.parent / included, roles_dir, depth + 1)
        elif role:
            total += _count_file(roles_dir / role[0] / "tasks" / f"{role[1]}.yml", roles_dir, depth + 1)
        else:
            total += 1
    return total


def count_tasks(playbook: Path, roles_dir: Path) -> int:
    """Tasks one host meets in `playbook` at most (fact gathering not counted)."""
    total = 0
    for play in _plays(playbook):
        for section in ("pre_tasks", "tasks", "post_tasks"):
            for task in _flat_tasks(play.get(section)):
                role = _included_role(task)
                if role:
                    total += _count_file(roles_dir / role[0] / "tasks" / f"{role[1]}.yml", roles_dir)
                else:
                    total += 1
        for entry in play.get("roles") or []:
            name = _role_name(entry)
            if name:
                total += _count_file(roles_dir / name / "tasks" / "main.yml", roles_dir)
    return total
