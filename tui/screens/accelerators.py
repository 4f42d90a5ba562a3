"""Accelerators: vendor, model and expected count per node; pre-filled from discovery."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, Select, Static

from tui.screens.base import WizardScreen
from tui.widgets.fields import NONE, FieldBinding, FieldRow, show


class AcceleratorRow(FieldRow):
    """`node  [vendor] [model] [count]` for one node; errors of `nodes[i].accelerators` under it."""

    def __init__(self, index: int, name: str, value: Any, vendors: list[tuple[str, str]], **kwargs: Any):
        super().__init__(FieldBinding(("nodes", index, "accelerators")), name, "", **kwargs)
        self.index = index
        self.accelerators = value if isinstance(value, dict) else {}
        self.vendors = vendors

    def make_input(self) -> Horizontal:
        path = self.binding.path
        vendor = str(self.accelerators.get("vendor", NONE))
        values = [v for _, v in self.vendors]
        select_value = vendor if vendor in values else NONE
        select = Select(
            self.vendors,
            value=select_value,
            allow_blank=False,
            compact=True,
            classes="acc-vendor",
        )
        select.binding = FieldBinding((*path, "vendor"), "choice", True)  # type: ignore[attr-defined]
        model = Input(str(self.accelerators.get("model") or ""), compact=True, classes="field-input acc-model")
        model.binding = FieldBinding((*path, "model"), "str", True)  # type: ignore[attr-defined]
        count = Input(str(self.accelerators.get("count") or ""), compact=True, classes="acc-count")
        count.binding = FieldBinding((*path, "count"), "int", True)  # type: ignore[attr-defined]
        return Horizontal(show(select, select_value), show(model, model.value), show(count, count.value), classes="acc")


class AcceleratorsScreen(WizardScreen):
    STEP = "accelerators"
    CSS_PATH = "accelerators.tcss"
    OWNS = (r"nodes\[\d+\]\.accelerators", r"nodes$")

    def body(self) -> ComposeResult:
        from installer.vendors import VENDORS

        zh = self.app.catalog.locale.startswith("zh")
        vendors = [(self.t("accelerators.none"), NONE)]
        vendors += [(info.name_zh if zh else info.name_en, vendor.value) for vendor, info in VENDORS.items()]
        with Horizontal(classes="acc-head"):
            for key in ("node", "vendor", "model", "count"):
                yield Label(self.t(f"accelerators.col.{key}"), classes=f"acc-head-{key}")
        for i, node in enumerate(self.draft.nodes()):
            node = node if isinstance(node, dict) else {}
            yield AcceleratorRow(i, str(node.get("name", i)), node.get("accelerators"), vendors)
        yield Static(self.t("accelerators.hint"), classes="hint", id="acc-hint")

    def extra_buttons(self) -> ComposeResult:
        yield Button(self.t("accelerators.fill"), id="fill", compact=True)

    def value_changed(self, binding: Any) -> None:
        path = binding.path[:3]
        accelerators = self.draft.get(path)
        if isinstance(accelerators, dict) and ("vendor" not in accelerators or not accelerators):
            self.draft.delete(path)  # no vendor: the node has no accelerators

    @on(Button.Pressed, "#fill")
    def fill_from_discovery(self) -> None:
        discovered = getattr(self.app, "discovered", {})
        filled = 0
        for i, node in enumerate(self.draft.nodes()):
            facts = discovered.get(str(node.get("name"))) if isinstance(node, dict) else None
            if facts is not None and facts.accelerators:
                vendor, model, count = facts.accelerators
                found = {"vendor": vendor, "count": count, **({"model": model} if model else {})}
                filled += self.draft.set(("nodes", i, "accelerators"), found)
        self.notify(self.t("accelerators.filled", count=filled) if discovered else self.t("accelerators.no_facts"))
        if filled:
            self.app.goto(self.STEP)
