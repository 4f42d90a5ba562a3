"""One module per screen, with its .tcss beside it. `STEPS` is the wizard's order."""

from __future__ import annotations

from importlib import import_module

#: the editing steps, in order; welcome comes before and install/done after
STEPS: tuple[str, ...] = ("site", "nodes", "networks", "fabric", "accelerators", "kubernetes", "platform", "review")
SCREENS: dict[str, str] = {
    "welcome": "WelcomeScreen",
    **{step: f"{step.capitalize()}Screen" for step in STEPS},
    "install": "InstallScreen",
    "done": "DoneScreen",
}


def screen_class(name: str) -> type:
    """The screen class of a step, imported on first use (so the first frame stays fast)."""
    return getattr(import_module(f"tui.screens.{name}"), SCREENS[name])
