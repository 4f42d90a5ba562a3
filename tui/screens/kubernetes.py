"""Kubernetes and storage: CNI, API server port, pinned version; the default storage class."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label

from tui.screens.base import WizardScreen
from tui.screens.fabric import literal_choices
from tui.widgets.fields import ChoiceRow, FieldBinding, FieldRow


class KubernetesScreen(WizardScreen):
    STEP = "kubernetes"
    CSS_PATH = "kubernetes.tcss"
    OWNS = (r"kubernetes", r"storage")

    def body(self) -> ComposeResult:
        from installer.site.model import Kubernetes, Storage

        k8s = ("kubernetes",)
        yield Label(self.t("kubernetes.section"), classes="section")
        cni = [(v, v) for v in literal_choices(Kubernetes, "cni")]
        yield ChoiceRow(
            FieldBinding((*k8s, "cni"), "choice"),
            self.t("kubernetes.cni"),
            self.data(*k8s, "cni", default="calico"),
            cni,
        )
        yield FieldRow(
            FieldBinding((*k8s, "apiServerPort"), "int", True),
            self.t("kubernetes.port"),
            self.data(*k8s, "apiServerPort"),
            placeholder="6443",
        )
        yield FieldRow(
            FieldBinding((*k8s, "version"), "str", True),
            self.t("kubernetes.version"),
            self.data(*k8s, "version"),
            placeholder=self.t("kubernetes.version.placeholder"),
        )
        yield Label(self.t("storage.section"), classes="section")
        types = [(self.t(f"storage.type.{v}"), v) for v in literal_choices(Storage, "type")]
        yield ChoiceRow(
            FieldBinding(("storage", "type"), "choice"),
            self.t("storage.type"),
            self.data("storage", "type", default="local-path"),
            types,
        )
        yield FieldRow(
            FieldBinding(("storage", "localPath"), "str", True),
            self.t("storage.local_path"),
            self.data("storage", "localPath"),
            placeholder="/var/lib/aicloud/local-path",
            id="local-path",
        )
        with Vertical(id="nfs"):
            yield FieldRow(
                FieldBinding(("storage", "nfs", "server")),
                self.t("storage.nfs.server"),
                self.data("storage", "nfs", "server"),
            )
            yield FieldRow(
                FieldBinding(("storage", "nfs", "path")),
                self.t("storage.nfs.path"),
                self.data("storage", "nfs", "path"),
            )

    def on_mount(self) -> None:
        super().on_mount()
        self.show_type()

    def show_type(self) -> None:
        kind = self.data("storage", "type", default="local-path")
        self.query_one("#nfs").display = kind == "nfs"
        self.query_one("#local-path").display = kind == "local-path"

    def value_changed(self, binding: Any) -> None:
        if binding.path == ("storage", "type"):
            if self.data("storage", "type") != "nfs":
                self.draft.delete(("storage", "nfs"))
            self.show_type()
