"""Welcome: start a new site, open an answer file or an example, resume a draft; upgrade later."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Button, Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from installer.content import EXAMPLES_DIR
from tui.screens.localized import LocalizedScreen


class WelcomeScreen(LocalizedScreen):
    NAME = "welcome"
    CSS_PATH = "welcome.tcss"
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("n", "new", "key.new"),
        Binding("o", "open", "key.open"),
        Binding("r", "resume", "key.resume"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.drafts: list[Path] = []

    def compose(self) -> ComposeResult:
        examples = sorted(EXAMPLES_DIR.glob("*.yaml")) if EXAMPLES_DIR.is_dir() else []
        with Vertical(id="welcome"):
            yield Static(self.t("welcome.title"), id="welcome-title")
            yield Label(self.t("welcome.intro"), id="welcome-intro")
            yield Button(self.t("welcome.new"), id="new", variant="primary", compact=True)
            yield Button(self.t("welcome.open"), id="open", compact=True)
            yield Button(self.t("welcome.resume"), id="resume", compact=True, disabled=True)
            yield Button(self.t("welcome.upgrade"), id="upgrade", compact=True, disabled=True)
            yield Label(self.t("welcome.examples"), id="examples-label")
            yield OptionList(*(Option(p.name, id=str(p)) for p in examples), id="examples")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.look_for_drafts()

    @work(thread=True)
    def look_for_drafts(self) -> None:
        """Drafts are found after the first frame: finding them loads part of the engine."""
        from tui.draft import find_drafts

        drafts = find_drafts()
        self.app.call_from_thread(self.drafts_found, drafts)

    def drafts_found(self, drafts: list[Path]) -> None:
        self.drafts = drafts
        button = self.query_one("#resume", Button)
        button.disabled = not drafts
        if drafts:
            button.label = self.t("welcome.resume.named", name=drafts[0].parent.name, count=len(drafts))

    @on(Button.Pressed, "#new")
    def action_new(self) -> None:
        self.load_new()

    @work(thread=True, exclusive=True)
    def load_new(self) -> None:
        from tui.draft import SiteDraft

        draft = SiteDraft.new()  # loads the engine: off the UI thread
        self.app.call_from_thread(self.app.start_draft, draft, "site")

    @on(Button.Pressed, "#open")
    def action_open(self) -> None:
        from tui.screens.dialogs import PathDialog

        def chosen(path: str | None) -> None:
            if path:
                self.open_file(Path(path).expanduser())

        self.app.push_screen(PathDialog(self.t("open.title"), str(Path.cwd()) + "/", self.t("open.button")), chosen)

    @on(Button.Pressed, "#resume")
    def action_resume(self) -> None:
        if self.drafts:
            self.open_file(self.drafts[0])

    @on(OptionList.OptionSelected, "#examples")
    def example_chosen(self, event: OptionList.OptionSelected) -> None:
        self.open_file(Path(str(event.option.id)), example=True)

    def open_file(self, path: Path, example: bool = False) -> None:
        if self.app.open_path(path):
            draft = self.app.draft
            if example:
                draft.path = None  # an example is a starting point, never saved over
            self.app.start_draft(draft)
