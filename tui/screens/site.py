"""Site and release: the site's name and description, and which release to install."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui.screens.base import WizardScreen
from tui.widgets.fields import ChoiceRow, FieldBinding, FieldRow


class SiteScreen(WizardScreen):
    STEP = "site"
    CSS_PATH = "site.tcss"
    OWNS = (r"$", r"apiVersion", r"kind", r"metadata", r"release")

    def body(self) -> ComposeResult:
        from installer.release import available_releases

        yield FieldRow(FieldBinding(("metadata", "name")), self.t("site.name"), self.data("metadata", "name"))
        yield Static(self.t("site.name.hint"), classes="hint")
        yield FieldRow(
            FieldBinding(("metadata", "description"), optional=True),
            self.t("site.description"),
            self.data("metadata", "description"),
        )
        releases = [(v, v) for v in reversed(available_releases())]
        yield ChoiceRow(FieldBinding(("release",), "choice"), self.t("site.release"), self.data("release"), releases)
        yield Static("", id="release-summary", markup=False)

    def after_validation(self, errors: list) -> None:
        from installer.release import load_release

        release = self.data("release")
        try:
            info = load_release(str(release))
        except Exception:  # an unknown release is reported by validation already
            text = ""
        else:
            text = self.t(
                "site.release.summary",
                summary=info.summary,
                date=info.date,
                kubernetes=info.kubernetes_version or "-",
                os=", ".join(info.os),
            )
        self.query_one("#release-summary", Static).update(text)
