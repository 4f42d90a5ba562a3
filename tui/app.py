"""The on-site wizard: `aicloud` (or `aicloud tui [-f site.yaml]`).

One `SiteDraft` is edited by a sequence of screens (see `tui.screens.STEPS`); the app owns
the draft, the catalogue (language), saving and navigation. Only one wizard screen lives at a
time (`switch_screen`): each screen is built from the draft, so switching language rebuilds the
current screen without losing anything.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from tui.draft import DraftError, SiteDraft
from tui.engine import Engine, RealEngine
from tui.i18n import Catalog, locale_from_env, problem_text
from tui.screens import screen_class


class EngineEvent(Message):
    """A run event from the install worker thread, delivered on the UI thread."""

    def __init__(self, event: Any):
        super().__init__()
        self.event = event


class InstallEnded(Message):
    def __init__(self, outcome: Any, error: str = ""):
        super().__init__()
        self.outcome = outcome
        self.error = error


class AicloudApp(App):
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("ctrl+s", "save", "key.save", priority=True),
        Binding("ctrl+l", "switch_language", "key.switch_language", priority=True),
        Binding("ctrl+q", "quit", "key.quit", priority=True),
    ]

    def __init__(
        self,
        path: Path | None = None,
        *,
        locale: str | None = None,
        engine: Engine | None = None,
        start: str | None = None,
    ):
        super().__init__()
        self.catalog = Catalog(locale or locale_from_env())
        self.engine: Engine = engine or RealEngine()
        self.start_path = path
        self.start_screen = start
        self.draft: Any = None  # a SiteDraft once the user picked where to start
        self.loaded_site: Any = None  # the LoadedSite being installed
        self.install_progress: Any = None
        self.install_outcome: Any = None
        self.install_running = False
        self.install_phase: str | None = None  # the one phase asked for, or None for the whole plan
        self.install_stop = threading.Event()
        self.discovered: dict[str, Any] = {}  # node name -> HostFacts, filled by Discover

    def t(self, key: str, **args: object) -> str:
        return self.catalog(key, **args)

    # -- start ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.localize_bindings(self)
        self.refresh_title()
        if self.start_path is not None and self.open_path(self.start_path):
            self.push_screen(screen_class(self.start_screen or self.draft.step)())
        else:
            self.push_screen(screen_class(self.start_screen or "welcome")())

    def open_path(self, path: Path) -> bool:
        try:
            self.draft = SiteDraft.open(path)
        except DraftError as exc:
            self.notify(self.t("open.failed", path=str(path), reason=str(exc)), severity="error", timeout=10)
            return False
        self.refresh_title()
        return True

    def start_draft(self, draft: SiteDraft, step: str | None = None) -> None:
        self.draft = draft
        self.refresh_title()
        self.goto(step or draft.step or "site")

    # -- navigation and language ---------------------------------------------------------

    def goto(self, name: str) -> None:
        self.switch_screen(screen_class(name)())

    def action_switch_language(self) -> None:
        self.catalog = self.catalog.other()
        self.localize_bindings(self)
        self.refresh_title()
        current = self.screen
        name = getattr(current, "NAME", None) or getattr(current, "STEP", None)
        if name and not current.is_modal:
            self.goto(name)
        else:
            self.localize_bindings(current)
            self.refresh_bindings()

    def localize_bindings(self, node: App | Screen) -> None:
        """Binding descriptions are catalogue keys (`key.<action>`); show them in the current language."""
        originals = node.__dict__.setdefault("_binding_keys", {})
        bindings = node._bindings.key_to_bindings
        for key, items in bindings.items():
            localized = []
            for binding in items:
                text_key = originals.setdefault((key, binding.action), binding.description)
                if text_key.startswith("key."):
                    binding = replace(binding, description=self.t(text_key))
                localized.append(binding)
            bindings[key] = localized
        node.refresh_bindings()

    def refresh_title(self) -> None:
        self.title = self.t("app.title")
        draft = self.draft
        if draft is None:
            self.sub_title = ""
            return
        where = str(draft.path) if draft.path else self.t("app.unsaved")
        self.sub_title = ("* " if draft.dirty else "") + where

    # -- install -------------------------------------------------------------------------

    def start_install(self, resume: bool, phase: str | None = None) -> None:
        """Run the engine's install of `self.loaded_site` in a worker thread; events arrive as messages.

        `phase` runs that phase only (`aicloud install --phase`). Resume asks for nothing: the
        engine repeats what the resumed run was asked, whichever face started it.
        """
        from tui.engine import InstallRequest
        from tui.progress import InstallProgress

        if self.install_running:
            return
        if self.install_progress is None or not resume:
            self.install_progress = InstallProgress()
        if not resume:
            self.install_phase = phase
        self.install_outcome = None
        self.install_stop = threading.Event()
        self.install_running = True
        self._install(InstallRequest(resume=True) if resume else InstallRequest(phase=self.install_phase))

    @work(thread=True, exclusive=True, group="install", exit_on_error=False)
    def _install(self, request: Any) -> None:
        from tui.engine import InstallRefused

        try:
            outcome = self.engine.install(self.loaded_site, request, self._post_event, self.install_stop)
        except InstallRefused as exc:  # the engine says what to do
            self.post_message(InstallEnded(None, self.t("install.refused", reason=str(exc))))
        except Exception as exc:  # the engine reports failures as events; this is a bug, shown not raised
            self.post_message(InstallEnded(None, self.t("install.refused", reason=f"{type(exc).__name__}: {exc}")))
        else:
            self.post_message(InstallEnded(outcome))

    def _post_event(self, event: Any) -> None:
        self.post_message(EngineEvent(event))

    def on_engine_event(self, message: EngineEvent) -> None:
        self.install_progress.apply(message.event)

    def on_install_ended(self, message: InstallEnded) -> None:
        self.install_running = False
        self.install_outcome = message.outcome
        if message.error:
            from installer.events import RunFinished

            self.install_progress.apply(
                RunFinished(ok=False, run_dir=self.install_progress.run_dir, message=message.error)
            )
            self.notify(message.error, severity="error", timeout=10)
        elif message.outcome is not None and self.install_progress.finished is None:
            from installer.events import RunFinished

            self.install_progress.apply(RunFinished(ok=message.outcome.ok, run_dir=message.outcome.run_dir))
        redraw = getattr(self.screen, "redraw", None)
        if redraw is not None:
            self.screen._drawn = -1
            redraw()

    # -- saving --------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.draft is None:
            self.notify(self.t("save.nothing"), severity="warning")
            return
        if self.draft.path is None and not self.draft.validate():
            from tui.screens.dialogs import PathDialog

            def chosen(path: str | None) -> None:
                if path:
                    self.save_to(Path(path))

            self.push_screen(
                PathDialog(self.t("save.as.title"), str(self.draft.default_path()), self.t("save.as.button")),
                chosen,
            )
            return
        self.save_to(self.draft.path)

    def save_to(self, path: Path | None) -> bool:
        """Save the answer file if valid; else keep a draft and say why the file was not written."""
        result = self.draft.save(path)
        if result.ok:
            self.notify(self.t("save.saved", path=str(result.path)))
            self.refresh_title()
            return True
        draft_path = self.draft.save_draft()
        first = result.errors[0]
        frame = getattr(self.screen, "problem", None)  # a wizard screen knows its rows' own hints
        problem = frame(first, with_line=True) if frame else problem_text(self.t, first, with_line=True)
        self.notify(
            self.t("save.refused", count=len(result.errors), problem=problem)
            + "\n"
            + self.t("save.draft", path=str(draft_path)),
            severity="warning",
            timeout=10,
        )
        self.refresh_title()
        return False

    async def action_quit(self) -> None:
        """Quit safely: unsaved changes are kept as a draft, never lost and never half-written."""
        self.install_stop.set()  # the engine stops at a safe point; the run can be resumed
        if self.draft is not None and self.draft.dirty:
            self.draft.save_draft()
        self.exit()


def run(path: Path | None = None, locale: str | None = None) -> None:
    """Run the wizard; an app that ended on an unexpected exception exits non-zero.

    Textual catches an exception raised in a handler, shows its traceback after leaving the
    screen and returns from `App.run` as if all were well, with only `return_code` set (1).
    Raising `SystemExit` here gives every caller (`aicloud`, `aicloud tui`, `python -m tui`)
    that exit status without each having to ask for it.
    """
    app = AicloudApp(path, locale=locale)
    app.run()
    if app.return_code:
        raise SystemExit(app.return_code)
