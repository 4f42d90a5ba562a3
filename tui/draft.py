"""The site being edited: plain answer-file data, validated by the engine, saved as YAML.

The wizard edits one `SiteDraft`: the answer file as plain data (camelCase keys, as in the
file). Every change is validated by the engine (`load_site_text`), so the wizard has no rules
of its own. Saving writes an ordinary answer file, and only a valid one; the text the file was
opened from (or the engine's commented starter) is kept and updated with ruamel.yaml's
round-trip mode, so comments survive. An incomplete site is kept as a *draft* in the site's
state folder (`$AICLOUD_HOME/sites/<name>/tui-draft.yaml`), never in place of an answer file.

Engine modules are imported inside functions: the welcome screen must draw before pydantic loads.
"""

from __future__ import annotations

import copy
import io
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from installer.errors import AnswerFileError
    from installer.site import LoadedSite

Path_ = tuple[str | int, ...]
DRAFT_FILE = "tui-draft.yaml"
DRAFT_MARK = "# aicloud-tui-draft"
_HEADER = re.compile(r"^# aicloud-tui-(draft|step|target): ?(.*)$")
UNNAMED = "_unnamed"


class DraftError(Exception):
    """A file that cannot be edited at all (not YAML, not a mapping); the message says why."""


@dataclass
class SaveResult:
    path: Path | None
    errors: list[AnswerFileError]

    @property
    def ok(self) -> bool:
        return self.path is not None and not self.errors


class SiteDraft:
    def __init__(
        self,
        data: dict[str, Any],
        base_text: str,
        path: Path | None = None,
        step: str = "site",
        *,
        in_file: bool = False,
    ):
        self.data = data
        self.base_text = base_text
        self.path = path
        self.step = step
        self.dirty = False
        self._errors: list[AnswerFileError] | None = None
        #: the site as the answer file at `path` holds it (None: no file holds it yet, e.g. a
        #: new site or a draft), so an unchanged file is never rewritten
        self._in_file: dict[str, Any] | None = copy.deepcopy(data) if in_file and path is not None else None

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def new(cls) -> SiteDraft:
        from installer.starter import starter_text

        return cls.from_text(starter_text(), None)

    @classmethod
    def open(cls, path: Path) -> SiteDraft:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DraftError(f"{path}: {exc}") from None
        if text.startswith(DRAFT_MARK):
            return cls.from_draft_text(text, path)
        return cls.from_text(text, path.resolve(), in_file=True)

    @classmethod
    def from_text(cls, text: str, path: Path | None, step: str = "site", *, in_file: bool = False) -> SiteDraft:
        import yaml

        try:
            data = yaml.load(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError as exc:
            raise DraftError(str(exc)) from None
        if not isinstance(data, dict):
            raise DraftError("the file is not a YAML mapping (an answer file starts with apiVersion: ...)")
        return cls(data, text, path, step, in_file=in_file)

    @classmethod
    def from_draft_text(cls, text: str, source: Path) -> SiteDraft:
        step, target, body = "site", None, []
        for line in text.splitlines(keepends=True):
            match = _HEADER.match(line.rstrip("\n"))
            if match and not body:
                if match.group(1) == "step":
                    step = match.group(2).strip() or "site"
                elif match.group(1) == "target" and match.group(2).strip():
                    target = Path(match.group(2).strip())
                continue
            body.append(line)
        return cls.from_text("".join(body), target, step)

    # -- editing -------------------------------------------------------------------------

    def get(self, path: Path_, default: Any = None) -> Any:
        node: Any = self.data
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return default
        return node

    def set(self, path: Path_, value: Any) -> bool:
        """Set a value (creating mappings on the way); True when it changed."""
        if self.get(path, _MISSING) == value:
            return False
        node: Any = self.data
        for part, next_part in itertools.pairwise(path):
            if isinstance(node, dict) and not isinstance(node.get(part), dict | list):
                node[part] = [] if isinstance(next_part, int) else {}
            node = node[part]
        node[path[-1]] = value
        self._changed()
        return True

    def delete(self, path: Path_) -> bool:
        parent = self.get(path[:-1])
        if isinstance(parent, dict) and path[-1] in parent:
            del parent[path[-1]]
            self._changed()
            return True
        return False

    def nodes(self) -> list[dict[str, Any]]:
        nodes = self.data.get("nodes")
        if not isinstance(nodes, list):
            nodes = self.data["nodes"] = []
        return nodes

    def add_node(self, node: dict[str, Any]) -> int:
        self.nodes().append(node)
        self._changed()
        return len(self.nodes()) - 1

    def remove_node(self, index: int) -> None:
        nodes = self.nodes()
        if 0 <= index < len(nodes):
            del nodes[index]
            self._changed()

    def _changed(self) -> None:
        self.dirty = True
        self._errors = None

    @property
    def changed(self) -> bool:
        """True unless the answer file at `path` already holds exactly this site.

        Compared with what was read from (or last written to) the file, not with whether a
        field was touched: a value typed and then put back is no change.
        """
        return self._in_file is None or self.data != self._in_file

    # -- validation ----------------------------------------------------------------------

    def plain_text(self) -> str:
        import yaml

        return yaml.dump(self.data, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True)

    def validate(self) -> list[AnswerFileError]:
        """Every error the engine finds, with its field; empty when the site is valid."""
        if self._errors is None:
            self._errors = self._check()
        return self._errors

    def _check(self) -> list[AnswerFileError]:
        from installer.errors import InvalidAnswerFile
        from installer.site import load_site_text

        try:
            load_site_text(self.plain_text(), self.file_name)
        except InvalidAnswerFile as exc:
            return list(exc.errors)
        return []

    def loaded(self) -> LoadedSite:
        """The typed site (raises InvalidAnswerFile); for discovery, preflight and the plan."""
        from installer.site import load_site_text

        return load_site_text(self.plain_text(), str(self.path or self.file_name))

    @property
    def file_name(self) -> str:
        return self.path.name if self.path else "site.yaml"

    @property
    def site_name(self) -> str:
        name = self.get(("metadata", "name"))
        return name if isinstance(name, str) else ""

    # -- saving --------------------------------------------------------------------------

    def answer_text(self) -> str:
        """The file as it will be written: the original text with its comments, updated."""
        from ruamel.yaml import YAML

        yaml = YAML()
        yaml.preserve_quotes = True
        yaml.width = 4096
        yaml.indent(mapping=2, sequence=4, offset=2)
        try:
            base = yaml.load(self.base_text)
        except Exception:  # the base text may be broken; then write clean YAML
            base = None
        document = _merge(base, copy.deepcopy(self.data)) if isinstance(base, dict) else self.data
        out = io.StringIO()
        yaml.dump(document, out)
        return out.getvalue()

    def default_path(self) -> Path:
        return self.path or Path.cwd() / f"{self.site_name or 'site'}.yaml"

    def save(self, path: Path | None = None) -> SaveResult:
        """Write the answer file if, and only if, the site is valid."""
        from installer.state import write_atomic

        errors = self.validate()
        if errors:
            return SaveResult(None, errors)
        target = (path or self.default_path()).expanduser().resolve()
        if target != self.path or self.changed:  # an unchanged file stays byte for byte as it was
            text = self.answer_text()
            write_atomic(target, text, mode=0o644)
            self.path = target
            self.base_text = text
            self._in_file = copy.deepcopy(self.data)
        self.dirty = False
        self.draft_path().unlink(missing_ok=True)
        return SaveResult(target, [])

    def draft_path(self) -> Path:
        from installer.state import site_state_dir

        name_ok = self.site_name and not any(e.field == "metadata.name" for e in self.validate())
        return site_state_dir(self.site_name if name_ok else UNNAMED) / DRAFT_FILE

    def save_draft(self) -> Path:
        """Keep the site as it is, valid or not, where `find_drafts` (the welcome screen) finds it."""
        from installer.state import write_atomic

        path = self.draft_path()
        header = f"{DRAFT_MARK}: incomplete answer file kept by the wizard; `aicloud tui` reopens it\n"
        header += f"# aicloud-tui-step: {self.step}\n# aicloud-tui-target: {self.path or ''}\n"
        write_atomic(path, header + self.answer_text())
        self.dirty = False
        return path


_MISSING = object()


def find_drafts() -> list[Path]:
    """Drafts kept by the wizard, newest first."""
    from installer.state import aicloud_home

    sites = aicloud_home() / "sites"
    found = list(sites.glob(f"*/{DRAFT_FILE}")) if sites.is_dir() else []
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def _merge(target: Any, new: Any) -> Any:
    """Update a ruamel round-trip tree in place with plain data, keeping comments and styles."""
    if isinstance(target, dict) and isinstance(new, dict):
        for key in [k for k in target if k not in new]:
            del target[key]
        for key, value in new.items():
            target[key] = _merge(target[key], value) if key in target else value
        return target
    if isinstance(target, list) and isinstance(new, list):
        del target[len(new) :]
        for i, value in enumerate(new):
            if i < len(target):
                target[i] = _merge(target[i], value)
            else:
                target.append(value)
        return target
    if target == new and isinstance(target, type(new)):
        return target  # unchanged scalar: keep its quoting style
    return new
