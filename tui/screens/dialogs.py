"""Small modal dialogs: a path to open or save to, a pasted list of node addresses, and what
to install (the whole plan or one phase, as `aicloud install [--phase]`)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option


class PathDialog(ModalScreen[str | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[Binding]] = [Binding("escape", "cancel", "key.cancel")]

    def __init__(self, title: str, value: str, button: str):
        super().__init__()
        self.title_text, self.value, self.button = title, value, button

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(self.value, id="path", compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.button, id="ok", variant="primary", compact=True)
                yield Button(self.app.t("dialog.cancel"), id="cancel", compact=True)

    def on_mount(self) -> None:
        self.app.localize_bindings(self)

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def ok(self) -> None:
        self.dismiss(self.query_one("#path", Input).value.strip() or None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class PasteDialog(ModalScreen[str | None]):
    """Paste node addresses, one per line (`address` or `name address`)."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[Binding]] = [Binding("escape", "cancel", "key.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog paste"):
            yield Label(self.app.t("paste.title"), classes="dialog-title")
            yield Label(self.app.t("paste.help"), classes="dialog-help")
            yield TextArea(id="addresses", soft_wrap=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.app.t("paste.add"), id="ok", variant="primary", compact=True)
                yield Button(self.app.t("dialog.cancel"), id="cancel", compact=True)

    def on_mount(self) -> None:
        self.app.localize_bindings(self)

    @on(Button.Pressed, "#ok")
    def ok(self) -> None:
        self.dismiss(self.query_one("#addresses", TextArea).text)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


ALL_PHASES = "*"  # the option id of "the whole plan" (no phase is called that)


class InstallDialog(ModalScreen[str | None]):
    """Confirm the install, as the CLI asks before it starts: the phases that will run, or only one.

    Dismissed with "" for the whole plan, a phase name for that phase only, None to go back.
    """

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[Binding]] = [Binding("escape", "cancel", "key.cancel")]

    def __init__(self, release: str, nodes: int, phases: list[str]):
        super().__init__()
        self.release, self.nodes, self.phases = release, nodes, phases

    def compose(self) -> ComposeResult:
        t = self.app.t
        options = [Option(t("install.confirm.all", phases=", ".join(self.phases)), id=ALL_PHASES)]
        options += [Option(t("install.confirm.only", phase=phase), id=phase) for phase in self.phases]
        with Vertical(classes="dialog install-choice"):
            yield Label(t("install.confirm.title", release=self.release, nodes=self.nodes), classes="dialog-title")
            yield Static(t("install.confirm.help"), classes="dialog-help", markup=False)
            yield OptionList(*options, id="install-phases")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("dialog.cancel"), id="cancel", compact=True)

    def on_mount(self) -> None:
        self.app.localize_bindings(self)
        self.query_one("#install-phases", OptionList).focus()

    @on(OptionList.OptionSelected, "#install-phases")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss("" if event.option.id == ALL_PHASES else event.option.id)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
