"""Install: per-phase progress bars, a per-host status grid, the log following the current task,
failures with the engine's message (which says what to fix), Stop and Resume.

Events are folded into `app.install_progress` as they arrive (cheap, none dropped); this
screen redraws from it at most ten times a second, so 64 hosts streaming do not flood the UI.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Log, Static

from tui.screens.localized import LocalizedScreen

BAR = 10
HOST_WORDS = ("pending", "running", "ok", "changed", "done", "skipped", "failed", "unreachable")
GRID_GAP = 2  # cells between two columns of the host grid
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
        self._drawn, self._drawn_width = -1, -1
        progress = self.app.install_progress
        if progress is not None:
            self.query_one("#log", Log).write_lines(self.log_line(*line) for line in progress.log)
            progress.take_new_log()
        self.redraw()
        self.set_interval(self.REFRESH_SECONDS, self.redraw)

    # -- drawing -------------------------------------------------------------------------

    def redraw(self) -> None:
        progress = self.app.install_progress
        width = self.grid_width()  # the host grid's columns depend on it
        if progress is None or (progress.events, width) == (self._drawn, self._drawn_width):
            return
        self._drawn, self._drawn_width = progress.events, width
        self.query_one("#phases", Static).update(self.phases_text(progress))
        self.query_one("#hosts", Static).update(self.hosts_text(progress, width))
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
                    self.t(
                        "install.failure",
                        phase=f.phase,
                        host=self.host_name(progress, f.host),
                        task=f.task,
                        message=f.message,
                    )
                    for f in last
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
            filled = int(phase.fraction * BAR)  # full only when the phase is
            line = f"{MARKS.get(phase.status, '[??]')} {phase.name:<12} [{'#' * filled}{'.' * (BAR - filled)}]"
            if phase.status == "running" and phase.tasks:
                line += f" {min(phase.tasks_started, phase.tasks)}/{phase.tasks}"
            elif phase.status == "running" and phase.tasks_started:  # how many in all is not known
                line += " " + self.t("install.tasks_seen", count=phase.tasks_started)
            elif phase.status != "pending":
                line += " " + self.t(f"status.{phase.status}")
            text.append(line + "\n", style=PHASE_STYLE.get(phase.status, ""))
        return text

    def grid_width(self) -> int:
        """Cells the host grid may use (0 before the first layout: one column then)."""
        return self.query_one("#hosts", Static).content_size.width

    def hosts_text(self, progress, width: int) -> Text:
        """`name status` per node, in as many columns as fit. A name is never cut: names are
        aligned to the longest one that fits the width, and a longer one wraps."""
        hosts = list(progress.hosts.items())
        if not hosts:
            return Text()
        word_width = max(cell_len(self.t(f"host.{w}")) for w in HOST_WORDS)
        fits = [cell_len(host) for host, _ in hosts if not width or cell_len(host) + 1 + word_width <= width]
        name_width = max(fits, default=0)
        cell = name_width + 1 + word_width
        columns = max(1, (width + GRID_GAP) // (cell + GRID_GAP)) if len(fits) == len(hosts) else 1
        text = Text()
        for i, (host, status) in enumerate(hosts):
            word = self.t(f"host.{status}")
            last = i % columns == columns - 1 or i == len(hosts) - 1
            entry = host + " " * max(name_width - cell_len(host) + 1, 1) + word
            if not last:
                entry += " " * (word_width - cell_len(word) + GRID_GAP)
            text.append(entry, style=HOST_STYLE.get(status, ""))
            text.append("\n" if last else "")
        return text

    def host_name(self, progress, host: str) -> str:
        """A host as the log and the failures name it: the controller is no node, and says so."""
        return self.t("host.controller") if progress.is_controller(host) else host

    def log_line(self, level: str, key: str, args: dict[str, object]) -> str:
        progress = self.app.install_progress
        host = args.get("host")
        if isinstance(host, str) and progress is not None and progress.is_controller(host):
            args = {**args, "host": self.t("host.controller")}
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
