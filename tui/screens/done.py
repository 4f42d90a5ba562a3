"""Done: the run directory, what the run did (its summary), a kubeconfig only if one exists,
and what to do next."""

from __future__ import annotations

from typing import Any

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
        run_dir = outcome.run_dir if outcome else (app.install_progress.run_dir if app.install_progress else "")
        summary = app.engine.run_summary(run_dir) if run_dir else None
        kubeconfig = app.engine.kubeconfig(app.loaded_site) if app.loaded_site is not None else None
        path = str(app.draft.path) if app.draft is not None and app.draft.path else "site.yaml"
        yield Static(self.t("done.title"), id="title", markup=False)
        with VerticalScroll(id="done"):
            yield Static(self.t("done.ok"), id="done-ok", markup=False)
            yield Static(self.t("done.run_dir", path=run_dir or "-"), id="done-run-dir", markup=False)
            yield Static(self.summary_text(summary), id="done-summary", markup=False)
            if kubeconfig:
                yield Static(self.t("done.kubeconfig", path=kubeconfig), id="done-kubeconfig", markup=False)
            else:
                yield Static(self.t("done.no_kubeconfig"), id="done-kubeconfig", markup=False)
            steps = [self.t("done.next.kubectl", kubeconfig=kubeconfig)] if kubeconfig else []
            steps.append(self.t("done.next", file=path))
            yield Static("\n".join([self.t("done.next.title"), *steps]), id="done-next", markup=False)
        with Horizontal(id="nav"):
            yield Button(self.t("done.quit"), id="quit", compact=True, variant="primary")
        yield Footer()

    def summary_text(self, summary: Any) -> str:
        """Phases done and skipped (with the plan's reason), from the run's summary.json."""
        if summary is None:
            return self.t("done.summary_missing")
        none = self.t("done.phases.none")
        skipped = "; ".join(f"{phase} ({why})" if why else phase for phase, why in summary.skipped)
        return "\n".join(
            [
                self.t("done.phases.done", phases=", ".join(summary.done) or none),
                self.t("done.phases.skipped", phases=skipped or none),
            ]
        )

    @on(Button.Pressed, "#quit")
    async def quit(self) -> None:
        await self.app.action_quit()
