"""Fabric: none, InfiniBand or RoCE v2; rails, MTU and (RoCE) lossless QoS."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static

from tui.screens.base import WizardScreen
from tui.widgets import entries
from tui.widgets.fields import CheckRow, ChoiceRow, FieldBinding, FieldRow


def literal_choices(model: Any, field: str) -> list[str]:
    """The values a Literal field of an engine model allows (the model is the one source)."""
    return list(model.model_fields[field].annotation.__args__)


class FabricScreen(WizardScreen):
    STEP = "fabric"
    CSS_PATH = "fabric.tcss"
    OWNS = (r"fabric", r"nodes\[\d+\]$", r"nodes\[\d+\]\.fabricNics")

    def body(self) -> ComposeResult:
        from installer.site.model import Fabric, RoceQos

        types = [(self.t(f"fabric.type.{v}"), v) for v in literal_choices(Fabric, "type")]
        yield ChoiceRow(FieldBinding(("fabric", "type"), "choice"), self.t("fabric.type"), self.fabric_type(), types)
        yield FieldRow(FieldBinding(("fabric", "mtu"), "int", True), self.t("fabric.mtu"), self.data("fabric", "mtu"))
        yield FieldRow(
            FieldBinding(("fabric", "rails"), "list", True),
            self.t("fabric.rails"),
            ", ".join(str(r.get("cidr", "")) for r in self.data("fabric", "rails", default=[]) if isinstance(r, dict)),
            placeholder="10.20.0.0/24, 10.21.0.0/24",
        )
        yield Static(self.t("fabric.rails.hint"), classes="hint")
        with Vertical(id="qos"):
            yield Label(self.t("fabric.qos"), classes="section")
            qos = ("fabric", "qos")
            yield FieldRow(
                FieldBinding((*qos, "pfcPriority"), "int", True),
                self.t("fabric.qos.pfc"),
                self.data(*qos, "pfcPriority"),
            )
            yield FieldRow(
                FieldBinding((*qos, "dscp"), "int", True), self.t("fabric.qos.dscp"), self.data(*qos, "dscp")
            )
            yield CheckRow(
                FieldBinding((*qos, "ecn"), "bool"), self.t("fabric.qos.ecn"), self.data(*qos, "ecn", default=True)
            )
            trust = [(v, v) for v in literal_choices(RoceQos, "trust")]
            yield ChoiceRow(
                FieldBinding((*qos, "trust"), "choice"),
                self.t("fabric.qos.trust"),
                self.data(*qos, "trust", default="dscp"),
                trust,
            )
        yield Static("", id="fabric-nics", markup=False)

    def fabric_type(self) -> str:
        return str(self.data("fabric", "type", default="none"))

    def on_mount(self) -> None:
        super().on_mount()
        self.show_type()

    def show_type(self) -> None:
        self.query_one("#qos").display = self.fabric_type() == "roce"
        nics = [
            f"{n.get('name')}: {entries.to_text('nics', n.get('fabricNics'))}"
            for n in self.draft.nodes()
            if isinstance(n, dict) and n.get("fabricNics")
        ]
        text = self.t("fabric.nics", nics="\n".join(nics)) if nics else self.t("fabric.nics.none")
        self.query_one("#fabric-nics", Static).update(text)

    def value_changed(self, binding: Any) -> None:
        path = binding.path
        if path == ("fabric", "rails"):
            # the input holds CIDRs in rail order; the file holds {index, cidr} per rail
            cidrs = self.draft.get(path) or []
            rails = [{"index": i, "cidr": c} for i, c in enumerate(cidrs)]
            self.draft.set(path, rails) if rails else self.draft.delete(path)
        if path[:2] == ("fabric", "qos") and self.fabric_type() != "roce":
            self.draft.delete(("fabric", "qos"))
        if path == ("fabric", "type"):
            if self.fabric_type() != "roce":
                self.draft.delete(("fabric", "qos"))
            self.show_type()
