"""Install: per-phase progress bars, a per-host status grid, the log following the current task,
failures with the engine's message (which says what to fix), Stop and Resume.

Events are folded into `app.install_progress` as they arrive (cheap, none dropped); this
screen redraws from it at most ten times a second, so 64 hosts streaming do not flood the UI.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Log, Static

from tui.screens.localized import LocalizedScreen

BAR = 10
MARKS = {"pending": "[  ]", "running": "[>>]", "done": "[ok]", "failed": "[!!]", "skipped": "[--]"}
PHASE_STYLE = {"running": "bold", "done": "green", "failed": "bold red reverse", "skipped": "dim"}
HOST_STYLE = {
    "failed": "bold red reverse",
    "unreachable": "bold red reverse",
    "running": "bold",
    "changed": "yellow",
    "ok": "green",
    "done": "green",
    "pending": "dim",
}


class InstallScreen(LocalizedScreen):
    NAME = "install"
    CSS_PATH = "install.tcss"
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("ctrl+t", "stop", "key.stop", priority=True),
        Binding("ctrl+r", "resume", "key.resume_install", priority=True),
    ]
    REFRESH_SECONDS = 0.1

    def compose(self) -> ComposeResult:
        yield Static(self.t("install.title"), id="title", markup=False)
        with Horizontal(id="progress"):
            yield Static("", id="phases")
            with VerticalScroll(id="hosts-box"):
                yield Static("", id="hosts")
        yield Static("", id="failures", markup=False)
        yield Log(id="log", max_lines=2000)
        with Horizontal(id="nav"):
            yield Button(self.t("install.stop"), id="stop", compact=True, variant="error")
            yield Button(self.t("install.resume"), id="resume", compact=True, disabled=True)
            yield Button(self.t("install.done"), id="done", compact=True, variant="primary", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self._drawn = -1
        progress = self.app.install_progress
        if progress is not None:
            self.query_one("#log", Log).write_lines(self.log_line(*line) for line in progress.log)
            progress.take_new_log()
        self.redraw()
        self.set_interval(self.REFRESH_SECONDS, self.redraw)

    # -- drawing -------------------------------------------------------------------------

    def redraw(self) -> None:
        progress = self.app.install_progress
        if progress is None or progress.events == self._drawn:
            return
        self._drawn = progress.events
        self.query_one("#phases", Static).update(self.phases_text(progress))
        self.query_one("#hosts", Static).update(self.hosts_text(progress))
        new = progress.take_new_log()
        if new:
            self.query_one("#log", Log).write_lines(self.log_line(*line) for line in new)
        failures = progress.failures
        box = self.query_one("#failures", Static)
        box.display = bool(failures)
        if failures:
            last = failures[-3:]
            box.update(
                "\n".join(
                    self.t("install.failure", phase=f.phase, host=f.host, task=f.task, message=f.message) for f in last
                )
            )
        running = self.app.install_running
        self.query_one("#stop", Button).disabled = not running
        self.query_one("#resume", Button).disabled = running or progress.ok is not False
        self.query_one("#done", Button).disabled = running or progress.ok is not True
        title = self.t("install.title")
        if progress.finished is not None:
            title += " - " + self.t("install.ok" if progress.ok else "install.failed")
        elif progress.current_phase:
            title += f" - {progress.current_phase}: {progress.current_task}"
        self.query_one("#title", Static).update(title)

    def phases_text(self, progress) -> Text:
        text = Text()
        for phase in progress.phases.values():
            filled = round(phase.fraction * BAR)
            line = f"{MARKS.get(phase.status, '[??]')} {phase.name:<12} [{'#' * filled}{'.' * (BAR - filled)}]"
            if phase.tasks and phase.status == "running":
                line += f" {min(phase.tasks_started, phase.tasks)}/{phase.tasks}"
            elif phase.status != "pending":
                line += " " + self.t(f"status.{phase.status}")
            text.append(line + "\n", style=PHASE_STYLE.get(phase.status, ""))
        return text

    def hosts_text(self, progress) -> Text:
        text = Text()
        for i, (host, status) in enumerate(progress.hosts.items()):
            word = self.t(f"host.{status}")
            text.append(f"{host[:10]:<10} {word:<5}", style=HOST_STYLE.get(status, ""))
            text.append("\n" if i % 2 else "  ")
        return text

    def log_line(self, level: str, key: str, args: dict[str, object]) -> str:
        return ("!! " if level == "fail" else "   ") + self.t(f"log.{key}", **args)

    # -- actions -------------------------------------------------------------------------

    @on(Button.Pressed, "#stop")
    def action_stop(self) -> None:
        if self.app.install_running:
            self.app.install_stop.set()
            self.notify(self.t("install.stopping"))

    @on(Button.Pressed, "#resume")
    def action_resume(self) -> None:
        progress = self.app.install_progress
        if self.app.install_running or progress is None or progress.ok is not False:
            return
        self.app.start_install(resume=True)
        self._drawn = -1

    @on(Button.Pressed, "#done")
    def finished(self) -> None:
        self.app.goto("done")
