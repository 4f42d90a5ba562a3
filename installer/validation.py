"""Turn pydantic's validation errors into `AnswerFileError`s with file, line and field.

pydantic reports where an error is as a path (`('nodes', 2, 'address')`); the YAML loader
recorded the position of every path, so each error gets its line and column. Messages are
rewritten into what a field engineer acts on: the value given, what is valid, and for an
unknown key the closest valid one.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from installer.errors import AnswerFileError, InvalidAnswerFile, Loc
from installer.yamlpos import YamlDocument

M = TypeVar("M", bound=BaseModel)

#: Regular expressions in the models, said in words.
PATTERN_HINTS = {
    r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$": "must be a DNS label: lower-case letters, digits and '-', "
    "at most 63 characters, starting and ending with a letter or digit",
    r"^[0-9a-f]{64}$": "must be a sha256: 64 lower-case hex digits",
    r"^sha256:[0-9a-f]{64}$": "must be an image digest: 'sha256:' and 64 lower-case hex digits",
    r"^[A-Za-z_][A-Za-z0-9_]*$": "must be an environment variable name (letters, digits, '_')",
    r"^/dev/\S+$": "must be a device path under /dev, e.g. /dev/nvme1n1",
    r"^/\S*$": "must be an absolute path",
}

_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "float_type": "a number",
    "float_parsing": "a number",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def validate_document(doc: YamlDocument, model: type[M], context: dict[str, Any] | None = None) -> M:
    """Validate `doc.data` as `model`, raising every error with its position."""
    try:
        result = model.model_validate(doc.data, context=context)
    except ValidationError as exc:
        raise InvalidAnswerFile([*doc.problems, *errors_from_pydantic(doc, model, exc)]) from None
    if doc.problems:
        raise InvalidAnswerFile(doc.problems)
    return result


def errors_from_pydantic(doc: YamlDocument, model: type[BaseModel], exc: ValidationError) -> list[AnswerFileError]:
    out = []
    for err in exc.errors(include_url=False):
        loc = _data_loc(doc.data, err["loc"])
        kind = err["type"]
        if kind == "missing":
            out.append(doc.error(loc, f"required field {loc[-1]!r} is missing", kind))
        elif kind == "extra_forbidden":
            out.append(doc.error(loc, _unknown_field_message(model, loc), "unknown_field", at_key=True))
        else:
            out.append(doc.error(loc, _message(err), kind))
    return out


def _data_loc(data: object, loc: tuple[Any, ...]) -> Loc:
    """Keep the parts of pydantic's loc that are real keys/indexes in the data.

    Unions and function validators add their own names to a loc ('function-after[...]',
    a tag); those are not places in the file and are dropped.
    """
    out: list[str | int] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and isinstance(part, str) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
            out.append(part)
        elif isinstance(part, str) and not isinstance(node, dict | list) and part.isidentifier():
            out.append(part)  # a missing key under a scalar: still name it
        elif isinstance(node, dict) and isinstance(part, str) and "[" not in part:
            out.append(part)  # a missing key: name it, position of its parent
            node = None
    return tuple(out)


def _message(err: dict[str, Any]) -> str:
    kind = err["type"]
    given = err.get("input")
    ctx = err.get("ctx") or {}
    shown = _show(given)
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", ""))
        message = f"{shown} is not valid; choose one of {expected}"
        choices = re.findall(r"'([^']*)'", expected)
        close = difflib.get_close_matches(str(given), choices, n=1, cutoff=0.6)
        return message + (f" (did you mean {close[0]!r}?)" if close else "")
    if kind == "too_short":
        return f"must list at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"must list at most {ctx.get('max_length')} item(s), found {ctx.get('actual_length')}"
    if kind == "ip_v4_address":
        return f"{shown} is not an IPv4 address"
    if kind == "ip_v4_network":
        return f"{shown} is not an IPv4 network in CIDR form such as 10.0.0.0/24 (host bits must be 0)"
    if kind == "ip_v4_interface":
        return f"{shown} is not an IPv4 address with prefix length such as 10.10.0.11/24"
    if kind == "string_pattern_mismatch":
        hint = PATTERN_HINTS.get(ctx.get("pattern", ""), f"must match {ctx.get('pattern')}")
        return f"{shown} {hint}"
    if kind in _TYPE_WORDS:
        message = f"expected {_TYPE_WORDS[kind]}, got {_type_name(given)} {shown}"
        if kind == "string_type" and isinstance(given, int | float) and not isinstance(given, bool):
            message += " (YAML read it as a number: put it in quotes)"
        return message
    if kind in ("value_error", "assertion_error"):
        text = str(ctx.get("error") or err["msg"])
        return text
    msg = err["msg"]
    if msg.startswith("Input should"):
        return f"{shown} should{msg[len('Input should') :]}"
    if msg.startswith("List should"):
        return msg.replace("List should", "the list should", 1)
    return msg


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_name(value: object) -> str:
    if value is None:
        return "nothing (null)"
    return {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "a boolean",
        int: "the number",
        float: "the number",
    }.get(type(value), type(value).__name__)


def _unknown_field_message(model: type[BaseModel], loc: Loc) -> str:
    key = str(loc[-1])
    parent = model_at(model, loc[:-1])
    if parent is None:
        return f"unknown field {key!r}"
    valid = field_names(parent)
    message = f"unknown field {key!r}"
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    if not close:
        lowered = {name.lower(): name for name in valid}
        if key.lower().replace("_", "") in lowered:
            close = [lowered[key.lower().replace("_", "")]]
    if close:
        message += f"; did you mean {close[0]!r}?"
    return message + f" (valid: {', '.join(valid)})"


def field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc`, following field annotations."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            current = _item_type(current)
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            args = typing.get_args(current)
            if typing.get_origin(current) is dict and len(args) == 2:
                current = args[1]
                continue
            return None
        by_alias = {info.alias or name: info for name, info in current.model_fields.items()}
        info = by_alias.get(part)
        if info is None:
            return None
        current = info.annotation
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """Strip Optional/Annotated down to the one model type inside, if there is one."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            inner = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)]
            if len(inner) == 1:
                tp = inner[0]
            elif len(models) == 1:
                tp = models[0]
            else:
                return tp
        else:
            return tp


def _item_type(tp: Any) -> Any:
    args = typing.get_args(tp)
    return args[0] if typing.get_origin(tp) in (list, tuple, set, frozenset) and args else tp
