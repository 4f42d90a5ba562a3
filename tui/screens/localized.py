"""The base of every screen: texts and binding descriptions from the catalogue.

Kept apart from `base.py` so the welcome screen imports nothing from the engine: the first
frame must not wait for pydantic or package metadata.
"""

from __future__ import annotations

from textual.screen import Screen


class LocalizedScreen(Screen):
    """A screen whose binding descriptions come from the catalogue (`key.<action>`)."""

    def on_mount(self) -> None:
        self.app.localize_bindings(self)

    def t(self, key: str, **args: object) -> str:
        return self.app.t(key, **args)
