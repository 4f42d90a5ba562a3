"""Load YAML into plain Python data while keeping where every key and value stood.

PyYAML's libyaml composer (`CSafeLoader`) builds the node graph with marks; we construct
plain dicts and lists from it ourselves so that we can (a) record the line and column of
every key and value by its path, (b) refuse duplicate keys, which PyYAML silently accepts,
and (c) refuse alias bombs before expanding them. bench/validate.py measures this against
`yaml.load(..., CSafeLoader)` alone (see README).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from installer.errors import AnswerFileError, InvalidAnswerFile, Loc, format_loc

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - wheels on PyPI ship libyaml
    _Loader = yaml.SafeLoader

#: An answer file for thousands of nodes is well under a megabyte; anything this big is a
#: mistake (a disk image, a log) and must not be parsed.
MAX_FILE_BYTES = 16 * 1024 * 1024
#: Aliases may repeat parts of a document, but the expanded document stays bounded so
#: that "billion laughs" costs nothing.
MAX_EXPANDED_NODES = 2_000_000
MAX_EXPANSION_RATIO = 20

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}
_COLLECTION_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}
_constructor = SafeConstructor()


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class YamlDocument:
    """Plain data, plus the composed node graph that knows where every key and value stood.

    Positions are looked up only when an error needs one, by walking the node graph along
    the error's path, so loading a valid file pays nothing for them.
    """

    path: str
    data: object
    root: Node | None = None
    #: Problems found while building that still leave usable data (a duplicate key keeps
    #: its first value), reported together with the validation errors.
    problems: list[AnswerFileError] = field(default_factory=list)

    def _walk(self, loc: Loc) -> tuple[Node | None, Node | None]:
        """(value node, key node) at `loc`, or at the deepest ancestor that exists."""
        node, key_node = self.root, None
        for part in loc:
            found = _child(node, part)
            if found is None:
                return node, None
            node, key_node = found
        return node, key_node

    def mark_for(self, loc: Loc) -> Mark | None:
        """The position of the value at `loc`, else of the nearest ancestor."""
        node, _ = self._walk(tuple(loc))
        return _mark(node) if node is not None else None

    def key_mark_for(self, loc: Loc) -> Mark | None:
        node, key_node = self._walk(tuple(loc))
        chosen = key_node or node
        return _mark(chosen) if chosen is not None else None

    def error(self, loc: Loc, message: str, code: str = "invalid", *, at_key: bool = False):
        mark = self.key_mark_for(loc) if at_key else self.mark_for(loc)
        return AnswerFileError(
            path=self.path,
            line=mark.line if mark else None,
            column=mark.column if mark else None,
            field=format_loc(loc),
            message=message,
            code=code,
        )


def _child(node: Node | None, part: str | int) -> tuple[Node, Node | None] | None:
    if isinstance(node, SequenceNode) and isinstance(part, int):
        return (node.value[part], None) if 0 <= part < len(node.value) else None
    if not isinstance(node, MappingNode):
        return None
    merges = []
    for key_node, value_node in node.value:  # the first occurrence is the one kept
        if key_node.tag == _MERGE_TAG:
            merges.append(value_node)
        elif isinstance(key_node, ScalarNode) and key_node.value == part:
            return value_node, key_node
    for merge in merges:
        for source in merge.value if isinstance(merge, SequenceNode) else [merge]:
            found = _child(source, part)
            if found is not None:
                return found
    return None


def _mark(node: Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def _file_error(path: str, message: str, code: str, line=None, column=None) -> InvalidAnswerFile:
    return InvalidAnswerFile([AnswerFileError(path, line, column, "", message, code)])


def read_text(path: Path | str, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a YAML file as text, refusing what cannot be one before parsing anything."""
    name = str(path)
    try:
        size = os.stat(path).st_size
        if size > max_bytes:
            raise _file_error(
                name,
                f"file is {size / 1e6:.1f} MB; an answer file is at most "
                f"{max_bytes // (1024 * 1024)} MiB (is this the right file?)",
                "too_large",
            )
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except IsADirectoryError:
        raise _file_error(name, "is a directory, not a YAML file", "not_a_file") from None
    except FileNotFoundError:
        raise _file_error(name, "no such file", "not_found") from None
    except PermissionError:
        raise _file_error(name, "permission denied", "unreadable") from None
    except OSError as exc:
        raise _file_error(name, f"cannot read: {exc.strerror}", "unreadable") from None
    return decode_text(name, raw, max_bytes=max_bytes)


def decode_text(name: str, raw: bytes, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    if len(raw) > max_bytes:
        raise _file_error(name, f"file is larger than {max_bytes // (1024 * 1024)} MiB", "too_large")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise _file_error(name, f"is a binary file (NUL byte at offset {nul}), not YAML", "binary")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _file_error(name, f"is not UTF-8 text (invalid byte at offset {exc.start})", "binary") from None
    return text


def parse_text(name: str, text: str) -> YamlDocument:
    """Compose one YAML document and construct it with positions."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.context}, {exc.problem}"
        raise _file_error(
            name,
            f"invalid YAML: {problem}",
            "yaml_syntax",
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        ) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        message = f"invalid YAML: character {exc.character!r} is not allowed ({exc.reason})"
        raise _file_error(name, message, "yaml_syntax", line, column) from None
    except yaml.YAMLError as exc:
        raise _file_error(name, "invalid YAML: " + " ".join(str(exc).split()), "yaml_syntax") from None
    except RecursionError:
        raise _file_error(name, "YAML nests too deeply", "too_deep") from None
    if root is None:
        raise _file_error(name, "is empty: expected a YAML mapping such as 'kind: Site'", "empty")
    _check_expansion(name, root)
    builder = _Builder(name)
    try:
        data = builder.build(root, ())
    except RecursionError:
        raise _file_error(name, "YAML nests too deeply", "too_deep") from None
    doc = YamlDocument(name, data, root, builder.errors)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({data!r:.40})"
        raise InvalidAnswerFile([doc.error((), f"expected a mapping at the top, found {kind}", "not_mapping")])
    return doc


def load_yaml_file(path: Path | str, *, max_bytes: int = MAX_FILE_BYTES) -> YamlDocument:
    return parse_text(str(path), read_text(path, max_bytes=max_bytes))


def _check_expansion(name: str, root: Node) -> None:
    """Refuse documents whose aliases would expand to a huge tree (billion laughs).

    Sizes are computed once per distinct node, so the check itself never expands anything.
    """
    sizes: dict[int, int] = {}
    distinct = 0
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, ScalarNode):
            sizes[id(node)] = 1
            distinct += 1
            continue
        if isinstance(node, SequenceNode):
            children = list(node.value)
        else:
            children = [part for pair in node.value for part in pair]
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        sizes[id(node)] = 1 + sum(sizes.get(id(child), 1) for child in children)
        distinct += 1
    expanded = sizes[id(root)]
    limit = min(MAX_EXPANDED_NODES, max(10_000, distinct * MAX_EXPANSION_RATIO))
    if expanded > limit:
        raise _file_error(
            name,
            f"YAML aliases expand {distinct} nodes into {expanded}; refusing (alias bomb?)",
            "alias_bomb",
        )


class _Builder:
    """Constructs plain data from nodes; refuses duplicate keys and foreign tags."""

    def __init__(self, name: str):
        self.name = name
        self.errors: list[AnswerFileError] = []

    def _error(self, node: Node, loc: Loc, message: str, code: str) -> None:
        mark = _mark(node)
        self.errors.append(AnswerFileError(self.name, mark.line, mark.column, format_loc(loc), message, code))

    def build(self, node: Node, loc: Loc) -> object:
        if isinstance(node, ScalarNode):
            tag = node.tag
            if tag == _STR_TAG:
                return node.value
            return self._scalar(node, loc)
        if node.tag not in _COLLECTION_TAGS:
            self._error(node, loc, f"YAML tag {node.tag!r} is not allowed here", "yaml_tag")
        if isinstance(node, SequenceNode):
            return [self.build(child, (*loc, i)) for i, child in enumerate(node.value)]
        return self._mapping(node, loc)

    def _scalar(self, node: ScalarNode, loc: Loc) -> object:
        tag = node.tag
        if tag == _TIMESTAMP_TAG:
            # Timestamps stay text: no field of ours is a date object, and a version such
            # as 2026-11-22 must not turn into one.
            return node.value
        if tag in _SCALAR_TAGS:
            try:
                return _constructor.yaml_constructors[tag](_constructor, node)
            except (ConstructorError, ValueError):
                return node.value
        self._error(node, loc, f"YAML tag {tag!r} is not allowed here", "yaml_tag")
        return node.value

    def _mapping(self, node: MappingNode, loc: Loc) -> dict[str, object]:
        result: dict[str, object] = {}
        first_line: dict[str, int] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                self._error(key_node, loc, "a mapping key must be a plain word, not a list or mapping", "yaml_key")
                continue
            key = key_node.value  # the text as written: `on:` stays "on", not True
            if key in result:
                self._error(
                    key_node,
                    (*loc, key),
                    f"duplicate key {key!r} (first given at line {first_line[key]})",
                    "duplicate_key",
                )
                continue
            first_line[key] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, (*loc, key))
        for merge in merges:
            for source in merge.value if isinstance(merge, SequenceNode) else [merge]:
                if not isinstance(source, MappingNode):
                    self._error(source, loc, "'<<' merges only mappings", "yaml_merge")
                    continue
                for key, value in self._mapping(source, loc).items():
                    result.setdefault(key, value)
        return result
