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
    """Plain data plus the position of each value and each mapping key, by path."""

    path: str
    data: object
    values: dict[Loc, Mark] = field(default_factory=dict)
    keys: dict[Loc, Mark] = field(default_factory=dict)
    #: Problems found while building that still leave usable data (a duplicate key keeps
    #: its first value), reported together with the validation errors.
    problems: list[AnswerFileError] = field(default_factory=list)

    def mark_for(self, loc: Loc) -> Mark | None:
        """The best position for `loc`: the value there, else the nearest ancestor."""
        loc = tuple(loc)
        while True:
            mark = self.values.get(loc)
            if mark is not None:
                return mark
            if not loc:
                return None
            loc = loc[:-1]

    def key_mark_for(self, loc: Loc) -> Mark | None:
        return self.keys.get(tuple(loc)) or self.mark_for(loc)

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
    except yaml.YAMLError as exc:
        raise _file_error(name, f"invalid YAML: {exc}", "yaml_syntax") from None
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
    doc = YamlDocument(name, data, builder.values, builder.keys, builder.errors)
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
    def __init__(self, name: str):
        self.name = name
        self.values: dict[Loc, Mark] = {}
        self.keys: dict[Loc, Mark] = {}
        self.errors: list[AnswerFileError] = []

    def _error(self, node: Node, loc: Loc, message: str, code: str) -> None:
        mark = _mark(node)
        self.errors.append(AnswerFileError(self.name, mark.line, mark.column, format_loc(loc), message, code))

    def build(self, node: Node, loc: Loc) -> object:
        self.values[loc] = _mark(node)
        if isinstance(node, ScalarNode):
            return self._scalar(node, loc)
        if node.tag not in _COLLECTION_TAGS:
            self._error(node, loc, f"YAML tag {node.tag!r} is not allowed here", "yaml_tag")
        if isinstance(node, SequenceNode):
            return [self.build(child, (*loc, i)) for i, child in enumerate(node.value)]
        return self._mapping(node, loc)

    def _scalar(self, node: ScalarNode, loc: Loc) -> object:
        tag = node.tag
        if tag in (_STR_TAG, _TIMESTAMP_TAG):
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
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                self._error(key_node, loc, "a mapping key must be a plain word, not a list or mapping", "yaml_key")
                continue
            key = key_node.value  # the text as written: `on:` stays "on", not True
            child = (*loc, key)
            if key in result:
                first = self.keys[child]
                self._error(
                    key_node,
                    child,
                    f"duplicate key {key!r} (first given at line {first.line})",
                    "duplicate_key",
                )
                continue
            self.keys[child] = _mark(key_node)
            result[key] = self.build(value_node, child)
        for merge in merges:
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for source in sources:
                if not isinstance(source, MappingNode):
                    self._error(source, loc, "'<<' merges only mappings", "yaml_merge")
                    continue
                merged = self._mapping(source, (*loc, "<<"))
                for key, value in merged.items():
                    if key not in result:
                        result[key] = value
                        self.keys[(*loc, key)] = self.keys.get((*loc, "<<", key), _mark(source))
                        self._copy_marks((*loc, "<<"), (*loc,), key)
        return result

    def _copy_marks(self, src: Loc, dst: Loc, key: str) -> None:
        prefix = (*src, key)
        for table in (self.values, self.keys):
            for path, mark in list(table.items()):
                if path[: len(prefix)] == prefix:
                    table[(*dst, key, *path[len(prefix) :])] = mark
