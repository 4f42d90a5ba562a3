"""Networks: management, pod and service CIDRs, the control-plane VIP, DNS and NTP servers."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui.screens.base import WizardScreen
from tui.widgets.fields import FieldBinding, FieldRow


class NetworksScreen(WizardScreen):
    STEP = "networks"
    CSS_PATH = "networks.tcss"
    OWNS = (r"network",)

    def body(self) -> ComposeResult:
        rows = [
            ("managementCidr", "networks.management", "str", False),
            ("podCidr", "networks.pod", "str", True),
            ("serviceCidr", "networks.service", "str", True),
            ("controlPlaneVip", "networks.vip", "str", True),
            ("domain", "networks.domain", "str", True),
            ("dnsServers", "networks.dns", "list", False),
            ("ntpServers", "networks.ntp", "list", False),
        ]
        for key, label, kind, optional in rows:
            yield FieldRow(
                FieldBinding(("network", key), kind, optional),
                self.t(label),
                self.data("network", key),
                placeholder=self.t(f"{label}.placeholder") if self.app.catalog.has(f"{label}.placeholder") else "",
            )
        yield Static(self.t("networks.hint"), classes="hint", id="networks-hint")
