"""Done: where the kubeconfig and the run directory are, and what to do next."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Static

from tui.screens.localized import LocalizedScreen


class DoneScreen(LocalizedScreen):
    NAME = "done"
    CSS_PATH = "done.tcss"

    def compose(self) -> ComposeResult:
        app = self.app
        outcome = app.install_outcome
        loaded = app.loaded_site
        run_dir = outcome.run_dir if outcome else (app.install_progress.run_dir if app.install_progress else "")
        kubeconfig = app.engine.kubeconfig(loaded, run_dir) if loaded is not None else "-"
        path = str(app.draft.path) if app.draft is not None and app.draft.path else "site.yaml"
        yield Static(self.t("done.title"), id="title", markup=False)
        with VerticalScroll(id="done"):
            yield Static(self.t("done.ok"), id="done-ok", markup=False)
            yield Static(self.t("done.run_dir", path=run_dir or "-"), markup=False)
            yield Static(self.t("done.kubeconfig", path=kubeconfig), markup=False)
            yield Static(self.t("done.next", kubeconfig=kubeconfig, file=path), id="done-next", markup=False)
        with Horizontal(id="nav"):
            yield Button(self.t("done.quit"), id="quit", compact=True, variant="primary")
        yield Footer()

    @on(Button.Pressed, "#quit")
    async def quit(self) -> None:
        await self.app.action_quit()
