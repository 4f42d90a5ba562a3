"""Form rows bound to a place in the answer file.

Each input widget carries `binding`: the path in the answer-file data it edits, how its text
becomes a value, and whether an empty value removes the key. The screen (see
`screens/base.py`) writes the value into the draft, asks the engine to validate, and hands
each row the errors whose field is the row's field (or inside it). A row in error shows `!`
before its label and the engine's message under it, so it reads without colour too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Input, Label, Select, Static

from installer.errors import Loc, format_loc
from tui.widgets import entries

Kind = Literal["str", "int", "list", "bool", "choice", "secret-kind", "secret-value", "labels", "taints", "nics"]
_INT = re.compile(r"-?\d+")
_LIST_SPLIT = re.compile(r"[,\s]+")
NONE = "-"  # the "no value" choice of an optional select


@dataclass(frozen=True)
class FieldBinding:
    path: Loc
    kind: Kind = "str"
    optional: bool = False

    @property
    def field(self) -> str:
        return format_loc(self.path)

    def to_value(self, raw: Any) -> Any:
        """The answer-file value of what the widget holds; None means: remove the key."""
        if self.kind == "bool":
            return bool(raw)
        if self.kind == "choice":
            return None if raw in (NONE, Select.NULL) else raw
        if self.kind in entries.KINDS:
            return entries.parse(self.kind, str(raw))[0]
        text = str(raw).strip()
        if self.kind == "list":
            return [item for item in _LIST_SPLIT.split(text) if item]
        if not text and self.optional:
            return None
        if self.kind == "int" and _INT.fullmatch(text):
            return int(text)
        return text


_NOTHING_SHOWN = object()


def show(widget: Any, value: Any) -> Any:
    """Note the value a widget was given to show (from the file, or a default).

    Textual posts a Changed event for it too (a Select when it mounts): that event is the screen
    showing the site, not the user editing it, so it must not write a default into the site.
    """
    widget.shown_value = value
    return widget


def shown_again(widget: Any, raw: Any) -> bool:
    """True for the one Changed event that repeats the value the widget was given to show.

    Only the first event counts: whatever the user does afterwards is applied, even going back
    to the value first shown. A user's own change always differs from what the widget shows.
    """
    shown = getattr(widget, "shown_value", _NOTHING_SHOWN)
    widget.shown_value = _NOTHING_SHOWN
    return shown is not _NOTHING_SHOWN and shown == raw


def owns(field: str, error_field: str) -> bool:
    return error_field == field or error_field.startswith((field + ".", field + "["))


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


class FieldRow(Vertical):
    """`label [input]` with the engine's message under it when the value is invalid."""

    DEFAULT_CLASSES = "field"

    def __init__(self, binding: FieldBinding, label: str, value: Any, *, placeholder: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        self.binding = binding
        self.label = label
        self.value = as_text(value)
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-line"):
            yield Label(self.label, classes="field-label")
            yield self.make_input()
        yield Static("", classes="field-message", markup=False)

    def make_input(self) -> Input | Select | Checkbox | Horizontal:
        field_input = Input(self.value, placeholder=self.placeholder, compact=True, classes="field-input")
        field_input.binding = self.binding  # type: ignore[attr-defined]
        return show(field_input, self.value)

    def hint(self) -> str | None:
        """The wizard's own message for what is typed, when it says more than the engine's; None here."""
        return None

    def show_errors(self, messages: list[str]) -> None:
        if messages == getattr(self, "_shown", None):
            return  # unchanged: no restyle, no relayout (this runs on every keystroke)
        self._shown = messages
        self.set_class(bool(messages), "-invalid")
        self.query_one(".field-label", Label).update(("! " if messages else "") + self.label)
        self.query_one(".field-message", Static).update("\n".join(f"! {m}" for m in messages))


class EntriesRow(FieldRow):
    """Labels, taints or fabric NICs as one line (see `tui.widgets.entries`)."""

    def __init__(self, binding: FieldBinding, label: str, value: Any, **kwargs: Any):
        super().__init__(binding, label, entries.to_text(binding.kind, value), **kwargs)

    def hint(self) -> str | None:
        text = self.query_one(".field-input", Input).value
        problem = entries.parse(self.binding.kind, text)[1]
        return None if problem is None else self.app.t(problem[0], **problem[1])


class ChoiceRow(FieldRow):
    def __init__(self, binding: FieldBinding, label: str, value: Any, options: list[tuple[str, str]], **kwargs: Any):
        super().__init__(binding, label, value, **kwargs)
        self.options = options
        self.choice = value if value is not None else NONE

    def make_input(self) -> Select:
        values = [v for _, v in self.options]
        value = self.choice if self.choice in values else Select.NULL
        select = Select(
            self.options, value=value, allow_blank=value is Select.NULL, compact=True, classes="field-input"
        )
        select.binding = self.binding  # type: ignore[attr-defined]
        return show(select, value)


class CheckRow(FieldRow):
    def make_input(self) -> Checkbox:
        box = Tick("", self.value == "True", compact=True, classes="field-tick")
        box.binding = self.binding  # type: ignore[attr-defined]
        return show(box, self.value == "True")


class SecretRow(FieldRow):
    """A secret reference: `env` or `file` and its name/path. The secret itself is never asked for."""

    def __init__(self, binding: FieldBinding, label: str, value: Any, kinds: list[tuple[str, str]], **kwargs: Any):
        ref = value if isinstance(value, dict) else {}
        kind = next((k for k in ("env", "file") if k in ref), NONE if binding.optional else "file")
        super().__init__(binding, label, ref.get(kind, ""), **kwargs)
        self.kinds = kinds
        self.kind = kind

    def make_input(self) -> Horizontal:
        select = Select(self.kinds, value=self.kind, allow_blank=False, compact=True, classes="secret-kind")
        select.binding = FieldBinding(self.binding.path, "secret-kind", self.binding.optional)  # type: ignore[attr-defined]
        value = Input(self.value, compact=True, classes="field-input secret-value", placeholder=self.placeholder)
        value.binding = FieldBinding(self.binding.path, "secret-value", self.binding.optional)  # type: ignore[attr-defined]
        return Horizontal(show(select, self.kind), show(value, self.value), classes="secret")

    def reference(self) -> dict[str, str] | None:
        kind = self.query_one(".secret-kind", Select).value
        value = self.query_one(".secret-value", Input).value.strip()
        if kind in (NONE, Select.NULL):
            return None
        return {str(kind): value}


class Tick(Checkbox):
    """A checkbox that reads without colour: `[x]` when on, `[ ]` when off."""

    BUTTON_LEFT = "["
    BUTTON_RIGHT = "]"

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]
        return "x" if self.value else " "

    def watch_value(self) -> None:
        self.refresh()
