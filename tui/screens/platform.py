"""Platform components: scheduler, training operators, monitoring, the admin password reference."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui.screens.base import WizardScreen
from tui.widgets.fields import CheckRow, FieldBinding, SecretRow

COMPONENTS = ("volcano", "trainingOperator", "mpiOperator", "monitoring")


class PlatformScreen(WizardScreen):
    STEP = "platform"
    CSS_PATH = "platform.tcss"
    OWNS = (r"platform",)

    def body(self) -> ComposeResult:
        for key in COMPONENTS:
            yield CheckRow(
                FieldBinding(("platform", key), "bool"),
                self.t(f"platform.{key}"),
                self.data("platform", key, default=True),
            )
            yield Static(self.t(f"platform.{key}.hint"), classes="hint")
        yield SecretRow(
            FieldBinding(("platform", "adminPassword"), optional=True),
            self.t("platform.admin_password"),
            self.data("platform", "adminPassword"),
            [(self.t("secret.none"), "-"), (self.t("secret.env"), "env"), (self.t("secret.file"), "file")],
        )
        yield Static(self.t("platform.admin_password.hint"), classes="hint")
