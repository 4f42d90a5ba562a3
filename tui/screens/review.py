"""Review: the YAML that will be saved, every validation error inline, preflight results;
then save and install (the install screen runs exactly the saved file, as `aicloud install -f`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Button, DataTable, Static, TextArea

from tui.screens.base import WizardScreen


class ReviewScreen(WizardScreen):
    STEP = "review"
    CSS_PATH = "review.tcss"
    OWNS = (r".*",)

    def body(self) -> ComposeResult:
        yield TextArea(self.draft.answer_text(), read_only=True, id="yaml", show_line_numbers=True, soft_wrap=False)
        yield Static("", id="review-errors", markup=False)
        yield DataTable(id="preflight", cursor_type="row")

    def extra_buttons(self) -> ComposeResult:
        yield Button(self.t("review.preflight"), id="preflight-run", compact=True)
        yield Button(self.t("review.save"), id="save", compact=True)

    def on_mount(self) -> None:
        next_button = self.query_one("#next", Button)
        next_button.label = self.t("review.install")
        table = self.query_one("#preflight", DataTable)
        for key in ("severity", "host", "check", "found", "remedy"):
            table.add_column(self.t(f"preflight.col.{key}"), key=key)
        table.display = False
        super().on_mount()

    def show_screen_errors(self, errors: list[Any], rest: list[Any]) -> None:
        box = self.query_one("#errors", Static)
        box.set_class(bool(errors), "-invalid")
        box.update(self.t("review.valid") if not errors else self.t("errors.count", count=len(errors)))
        lines = ["! " + self.problem(e, with_line=True) for e in errors]
        detail = self.query_one("#review-errors", Static)
        detail.update("\n".join(lines))
        detail.display = bool(lines)

    @on(Button.Pressed, "#save")
    def save(self) -> None:
        self.app.action_save()

    @on(Button.Pressed, "#preflight-run")
    def run_preflight(self) -> None:
        from installer.errors import InvalidAnswerFile

        try:
            loaded = self.draft.loaded()
        except InvalidAnswerFile as exc:
            self.notify(self.t("review.invalid", count=len(exc.errors)), severity="error")
            return
        self.notify(self.t("preflight.started"))
        self.preflight(loaded)

    @work(thread=True, exclusive=True, group="preflight")
    def preflight(self, loaded: Any) -> None:
        try:
            rows = self.app.engine.preflight(loaded)
        except Exception as exc:  # DiscoveryError (e.g. the key cannot be read) or a bug: shown, not raised
            self.app.call_from_thread(self.notify, self.t("preflight.failed", reason=str(exc)), severity="error")
            return
        self.app.call_from_thread(self.show_preflight, rows)

    def show_preflight(self, rows: list[Any]) -> None:
        table = self.query_one("#preflight", DataTable)
        table.clear()
        for row in rows:
            table.add_row(self.t(f"preflight.mark.{row.severity}"), row.host, row.check, row.found, row.remedy)
        table.display = True
        failed = sum(r.severity == "fail" for r in rows)
        self.notify(
            self.t("preflight.done", count=len(rows), failed=failed), severity="error" if failed else "information"
        )

    # -- install -------------------------------------------------------------------------

    def action_next(self) -> None:
        if self.refuse_if_invalid():
            return
        if self.draft.path is None or self.draft.changed:  # an unchanged file is installed as it is
            self.save_then_install()
            return
        self.install()

    def save_then_install(self) -> None:
        from tui.screens.dialogs import PathDialog

        def chosen(path: str | None) -> None:
            if path and self.app.save_to(Path(path)):
                self.install()

        if self.draft.path is not None:
            chosen(str(self.draft.path))
        else:
            self.app.push_screen(
                PathDialog(self.t("save.as.title"), str(self.draft.default_path()), self.t("save.as.button")), chosen
            )

    def install(self) -> None:
        """Install the saved file, loaded again from disk: what `aicloud install -f` would run.

        As the CLI does, say which phases will run before starting; one phase may be chosen
        (`--phase`), e.g. preflight again after fixing a host."""
        from installer.errors import InvalidAnswerFile
        from installer.plan import build_plan
        from installer.site import load_site
        from tui.screens.dialogs import InstallDialog

        try:
            loaded = load_site(self.draft.path)
        except InvalidAnswerFile as exc:
            self.notify(self.problem(exc.errors[0], with_line=True), severity="error")
            return
        running = [p.phase for p in build_plan(loaded.site, loaded.release).phases if p.runs]

        def chosen(phase: str | None) -> None:
            if phase is None:
                return
            self.app.loaded_site = loaded
            self.app.start_install(resume=False, phase=phase or None)
            self.app.goto("install")

        self.app.push_screen(InstallDialog(loaded.release.version, len(loaded.site.nodes), running), chosen)
