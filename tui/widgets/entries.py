"""A node's labels, taints and fabric NICs, each edited as one line of text.

    labels   key=value, key2=value2              -> {key: value, ...}
    taints   key=value:Effect, key:Effect        -> [{key, value, effect}, ...] (no effect: the model's default)
    NICs     name rail address, ...              -> [{name, rail, address}, ...]

Entries are separated by commas. The text is only turned into answer-file data; whether the
data is valid is the engine's to say. Text that cannot become data at all (a label without
`=`, a NIC that is not three words) is kept in the answer-file data exactly as typed, so the
engine refuses it (nothing is silently dropped, nothing invalid is saved) and the row shows the
wizard's own hint, from the catalogue, instead of the engine's "must be a mapping".
"""

from __future__ import annotations

from typing import Any

#: a syntax problem: (catalogue key, arguments)
Problem = tuple[str, dict[str, str]]
KINDS = ("labels", "taints", "nics")


def entries(text: str) -> list[str]:
    return [entry.strip() for entry in text.replace("\n", ",").split(",") if entry.strip()]


def parse(kind: str, text: str) -> tuple[Any, Problem | None]:
    """The answer-file value of the text (None: remove the key), and the first syntax problem."""
    items = entries(text)
    if not items:
        return None, None
    value, problem = _PARSERS[kind](items)
    return (text.strip(), problem) if problem else (value, None)


def _labels(items: list[str]) -> tuple[dict[str, str], Problem | None]:
    labels: dict[str, str] = {}
    for entry in items:
        key, equals, value = entry.partition("=")
        if not equals:
            return labels, ("syntax.label", {"entry": entry})
        if key.strip() in labels:
            return labels, ("syntax.label_twice", {"key": key.strip()})
        labels[key.strip()] = value.strip()
    return labels, None


def _taints(items: list[str]) -> tuple[list[dict[str, str]], None]:
    taints = []
    for entry in items:
        head, colon, effect = entry.rpartition(":")
        if not colon:
            head, effect = entry, ""
        key, _, value = head.partition("=")
        taint = {"key": key.strip()}
        if value.strip():
            taint["value"] = value.strip()
        if effect.strip():
            taint["effect"] = effect.strip()
        taints.append(taint)
    return taints, None


def _nics(items: list[str]) -> tuple[list[dict[str, Any]], Problem | None]:
    nics = []
    for entry in items:
        words = entry.split()
        if len(words) != 3:
            return nics, ("syntax.nic", {"entry": entry})
        name, rail, address = words
        nics.append({"name": name, "rail": int(rail) if rail.isdigit() else rail, "address": address})
    return nics, None


_PARSERS = {"labels": _labels, "taints": _taints, "nics": _nics}


def to_text(kind: str, value: Any) -> str:
    """The one-line text of a value from the answer file (text kept as typed comes back as it was)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if kind == "labels" and isinstance(value, dict):
        return ", ".join(f"{k}={'' if v is None else v}" for k, v in value.items())
    if not isinstance(value, list):
        return str(value)
    if kind == "taints":
        return ", ".join(_taint_text(t) if isinstance(t, dict) else str(t) for t in value)
    return ", ".join(
        " ".join(str(n.get(k, "")) for k in ("name", "rail", "address")) if isinstance(n, dict) else str(n)
        for n in value
    )


def _taint_text(taint: dict[str, Any]) -> str:
    text = str(taint.get("key", ""))
    if taint.get("value"):
        text += f"={taint['value']}"
    if taint.get("effect"):
        text += f":{taint['effect']}"
    return text
