"""What every editing step shares: a title with the step, bound fields, live validation,
the screen's own errors, and Back / Next (Next refused, with the reason, while the screen
has errors). Screens say which answer-file fields they own with `OWNS` (regexes over the
engine's error field names); every error is owned by some screen, and all by review. An error
whose code is in `LATER` is shown but does not refuse Next: a later step owns it too and
settles it (a fabric NIC typed on Nodes before the fabric type is chosen on Fabric).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Footer, Input, Select, Static

from tui.i18n import problem_text
from tui.screens import STEPS
from tui.screens.localized import LocalizedScreen
from tui.widgets.fields import FieldRow, SecretRow, owns, shown_again


class WizardScreen(LocalizedScreen):
    STEP: ClassVar[str] = ""
    OWNS: ClassVar[tuple[str, ...]] = ()
    LATER: ClassVar[frozenset[str]] = frozenset()
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("ctrl+n", "next", "key.next", priority=True),
        Binding("ctrl+b", "back", "key.back", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__(classes=f"wizard step-{self.STEP}")
        self._owns = re.compile("|".join(f"(?:{p})" for p in self.OWNS) or "$^")

    # -- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self.title_text(), id="title", markup=False)
        with VerticalScroll(id="body"):
            yield from self.body()
        yield Static("", id="errors", markup=False)
        with Horizontal(id="nav"):
            yield from self.extra_buttons()
            yield Button(self.t("nav.back"), id="back", compact=True)
            yield Button(self.t("nav.next"), id="next", compact=True, variant="primary")
        yield Footer()

    def body(self) -> ComposeResult:
        yield from ()

    def extra_buttons(self) -> ComposeResult:
        yield from ()

    def title_text(self) -> str:
        number = STEPS.index(self.STEP) + 1
        return self.t("title.step", n=number, total=len(STEPS), name=self.t(f"step.{self.STEP}"))

    def on_mount(self) -> None:
        super().on_mount()
        self.app.draft.step = self.STEP
        self.revalidate()

    @property
    def draft(self) -> Any:
        return self.app.draft

    def data(self, *path: str | int, default: Any = None) -> Any:
        return self.draft.get(path, default)

    # -- live validation -----------------------------------------------------------------

    def my_errors(self) -> list[Any]:
        return [e for e in self.draft.validate() if self._owns.match(e.field)]

    def blocking(self, errors: list[Any]) -> list[Any]:
        """The errors that refuse Next here (not those a later step settles)."""
        return [e for e in errors if e.code not in self.LATER]

    def message_of(self, error: Any) -> str:
        """The engine's message, or the wizard's own hint when a row's text could not become data."""
        for row in self.query(FieldRow):
            if owns(row.binding.field, error.field):
                hint = row.hint()
                if hint:
                    return hint
        return error.message

    def problem(self, error: Any, with_line: bool = False) -> str:
        """An error framed in the wizard's language (`field X: ...`, `line N, field X: ...`)."""
        return problem_text(self.t, error, self.message_of(error), with_line)

    def revalidate(self) -> None:
        errors = self.my_errors()
        shown: set[int] = set()
        for row in self.query(FieldRow):
            messages = []
            for i, error in enumerate(errors):
                if owns(row.binding.field, error.field):
                    messages.append(error.message)
                    shown.add(i)
            hint = row.hint() if messages else None
            row.show_errors([hint] if hint else messages)
        rest = [e for i, e in enumerate(errors) if i not in shown]
        self.show_screen_errors(errors, rest)
        self.after_validation(errors)

    def show_screen_errors(self, errors: list[Any], rest: list[Any]) -> None:
        blocking = self.blocking(errors)
        if blocking:
            lines = [self.t("errors.count", count=len(blocking))]
        else:
            lines = [self.t("errors.later", count=len(errors)) if errors else self.t("errors.none")]
        lines += ["! " + self.problem(e) for e in rest]
        self.update_static("#errors", "\n".join(lines), invalid=bool(blocking))

    def update_static(self, selector: str, text: str, invalid: bool | None = None) -> None:
        """Update a text only when it changed: an update can cost a relayout, on every keystroke."""
        box = self.query_one(selector, Static)
        if invalid is not None:
            box.set_class(invalid, "-invalid")
        if getattr(box, "_text", None) != text:
            box._text = text  # type: ignore[attr-defined]
            box.update(text)

    def after_validation(self, errors: list[Any]) -> None:
        """Hook for screens that show more than fields (the node table, the YAML)."""

    def apply(self, widget: Any, raw: Any) -> None:
        binding = getattr(widget, "binding", None)
        if binding is None or shown_again(widget, raw):
            return
        if binding.kind.startswith("secret"):
            row = next(a for a in widget.ancestors if isinstance(a, SecretRow))
            value = row.reference()
        else:
            value = binding.to_value(raw)
        changed = self.draft.delete(binding.path) if value is None else self.draft.set(binding.path, value)
        if changed:
            self.value_changed(binding)
            self.revalidate()
            self.app.refresh_title()

    def value_changed(self, binding: Any) -> None:
        """Hook: a bound value changed (before validation)."""

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        self.apply(event.input, event.value)

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        self.apply(event.select, event.value)

    @on(Checkbox.Changed)
    def _checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.apply(event.checkbox, event.value)

    # -- navigation ----------------------------------------------------------------------

    def refuse_if_invalid(self) -> bool:
        """Say why the screen cannot be left forward; True when it was refused."""
        errors = self.blocking(self.my_errors())
        if not errors:
            return False
        self.app.bell()
        self.notify(
            self.t("next.refused", problem=self.problem(errors[0])),
            severity="error",
            title=self.t("next.refused.title"),
        )
        return True

    # The buttons call the actions by name, so a screen that overrides an action (review's
    # Next installs) gets the same behaviour from its button as from its key. A handler
    # decorated with `@on` is registered as the function itself: decorating `action_next`
    # here would run this class's version on every screen, overridden or not.
    @on(Button.Pressed, "#next")
    def _next_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()

    def action_next(self) -> None:
        if self.refuse_if_invalid():
            return
        self.app.goto(self.next_step())

    def action_back(self) -> None:
        index = STEPS.index(self.STEP)
        self.app.goto(STEPS[index - 1] if index else "welcome")

    def next_step(self) -> str:
        return STEPS[STEPS.index(self.STEP) + 1]
