"""Nodes: SSH access (secrets by reference only), the node table, one node's editor (name,
address, roles, labels, taints, fabric NICs), pasting a list of addresses, and Discover, which
fills the hardware columns as hosts answer."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, DataTable, Input, Label

from tui.screens.base import WizardScreen
from tui.widgets import entries
from tui.widgets.fields import EntriesRow, FieldBinding, FieldRow, SecretRow, Tick, show

NODE_FIELDS = r"nodes(\[\d+\](\.(name|address|roles|labels|taints|fabricNics|disks).*)?)?$"
#: the node editor's one-line rows: answer-file key, binding kind (`tui.widgets.entries`), label key
NODE_ENTRIES = (("labels", "labels"), ("taints", "taints"), ("fabricNics", "nics"))


class NodesScreen(WizardScreen):
    STEP = "nodes"
    CSS_PATH = "nodes.tcss"
    OWNS = (r"ssh", NODE_FIELDS, r"network\.managementCidr")
    # Settled on the Fabric step (fabric type and rails), which owns fabric NICs too.
    LATER = frozenset({"fabric_nics_without_fabric", "unknown_rail", "nic_outside_rail"})
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("ctrl+o", "add_node", "key.add_node", show=False),
        Binding("ctrl+r", "remove_node", "key.remove_node", show=False),
        Binding("ctrl+y", "paste_nodes", "key.paste_nodes", show=False),
        Binding("ctrl+g", "discover", "key.discover", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.current = 0
        self._stop = threading.Event()

    def body(self) -> ComposeResult:
        from installer.site.model import Role

        self.roles = [role.value for role in Role]
        kinds = [(self.t("secret.file"), "file"), (self.t("secret.env"), "env")]
        yield Label(self.t("nodes.ssh"), classes="section")
        with Horizontal(classes="pair"):
            yield FieldRow(FieldBinding(("ssh", "user")), self.t("nodes.ssh.user"), self.data("ssh", "user"))
            yield FieldRow(
                FieldBinding(("ssh", "port"), "int", True), self.t("nodes.ssh.port"), self.data("ssh", "port")
            )
        yield SecretRow(
            FieldBinding(("ssh", "privateKey")), self.t("nodes.ssh.key"), self.data("ssh", "privateKey"), kinds
        )
        yield SecretRow(
            FieldBinding(("ssh", "becomePassword"), optional=True),
            self.t("nodes.ssh.become"),
            self.data("ssh", "becomePassword"),
            [(self.t("secret.none"), "-"), *kinds],
        )
        yield FieldRow(
            FieldBinding(("network", "managementCidr")),
            self.t("networks.management"),
            self.data("network", "managementCidr"),
        )
        yield DataTable(id="nodes", cursor_type="row", zebra_stripes=True)
        yield Label("", id="editing", classes="section")
        yield FieldRow(FieldBinding(("nodes", 0, "name")), self.t("nodes.name"), "", id="node-name")
        yield FieldRow(FieldBinding(("nodes", 0, "address")), self.t("nodes.address"), "", id="node-address")
        with Horizontal(id="roles"):
            yield Label(self.t("nodes.roles"), classes="field-label")
            for role in self.roles:
                yield Tick(role, id=f"role-{role}", compact=True)
        for key, kind in NODE_ENTRIES:
            yield EntriesRow(
                FieldBinding(("nodes", 0, key), kind, True),
                self.t(f"nodes.{kind}"),
                None,
                placeholder=self.t(f"nodes.{kind}.placeholder"),
                id=f"node-{kind}",
                classes="field node-entries",  # classes replaces the default "field"
            )

    def extra_buttons(self) -> ComposeResult:
        # the shortcut is on the button: the footer has no room for four more keys at 80 columns
        yield Button(self.t("nodes.add") + " ^o", id="add", compact=True)
        yield Button(self.t("nodes.remove") + " ^r", id="remove", compact=True)
        yield Button(self.t("nodes.paste") + " ^y", id="paste", compact=True)
        yield Button(self.t("nodes.discover") + " ^g", id="discover", compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#nodes", DataTable)
        for key in ("mark", "name", "address", "roles", "reach", "gpus", "nics", "ram", "os"):
            table.add_column(self.t(f"nodes.col.{key}"), key=key)
        self.fill_table()
        self.edit(0)
        super().on_mount()

    # -- the table and the editor --------------------------------------------------------

    def fill_table(self) -> None:
        """Rows of the node table; cells are updated in place so the cursor stays where it is."""
        table = self.query_one("#nodes", DataTable)
        rows = [self.table_row(i, node) for i, node in enumerate(self.draft.nodes())]
        if table.row_count != len(rows):
            table.clear()
            for i, cells in enumerate(rows):
                table.add_row(*cells, key=str(i))
            if rows:
                table.move_cursor(row=min(self.current, len(rows) - 1))
            return
        columns = [c.key for c in table.ordered_columns]
        for i, cells in enumerate(rows):
            for column, value in zip(columns, cells, strict=True):
                if table.get_cell(str(i), column) != value:
                    table.update_cell(str(i), column, value, update_width=True)

    def table_row(self, i: int, node: Any) -> tuple[str, ...]:
        node = node if isinstance(node, dict) else {}
        prefix = f"nodes[{i}]"
        invalid = any(e.field == prefix or e.field.startswith(prefix + ".") for e in self.draft.validate())
        facts = self.app.discovered.get(str(node.get("name")))
        reach = "" if facts is None else (self.t("nodes.reach.ok") if facts.reachable else self.t("nodes.reach.no"))
        return (
            "!" if invalid else " ",
            str(node.get("name", "")),
            str(node.get("address", "")),
            ",".join(str(r) for r in node.get("roles") or []),
            reach,
            facts.gpus if facts else "",
            facts.nics if facts else "",
            facts.ram if facts else "",
            (facts.os or facts.error)[:16] if facts else "",
        )

    def edit(self, index: int) -> None:
        nodes = self.draft.nodes()
        for widget in (*self.query("#node-name, #node-address, .node-entries"), self.query_one("#roles")):
            widget.display = bool(nodes)
        if not nodes:
            self.query_one("#editing", Label).update(self.t("nodes.empty"))
            return
        self.current = index = max(0, min(index, len(nodes) - 1))
        node = nodes[index] if isinstance(nodes[index], dict) else {}
        self.query_one("#editing", Label).update(self.t("nodes.editing", n=index + 1, name=node.get("name", "")))
        rows = [("name", "str", "name"), ("address", "str", "address")]
        rows += [(key, kind, kind) for key, kind in NODE_ENTRIES]
        # Showing a node is not editing it: the values go in without Changed events.
        with self.prevent(Input.Changed, Checkbox.Changed):
            for key, kind, row_id in rows:
                row = self.query_one(f"#node-{row_id}", FieldRow)
                row.binding = FieldBinding(("nodes", index, key), kind, kind != "str")
                field_input = row.query_one(".field-input", Input)
                field_input.binding = row.binding
                value = node.get(key)
                field_input.value = entries.to_text(kind, value) if kind != "str" else str(value or "")
                show(field_input, field_input.value)
            roles = node.get("roles") or []
            for role in self.roles:
                self.query_one(f"#role-{role}", Checkbox).value = role in roles
        self.revalidate()

    @on(DataTable.RowHighlighted, "#nodes")
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row != event.data_table.cursor_row:
            return  # a stale event from before the table was refilled
        if event.cursor_row != self.current:
            self.edit(event.cursor_row)

    @on(Checkbox.Changed)
    def role_changed(self, event: Checkbox.Changed) -> None:
        if not (event.checkbox.id or "").startswith("role-") or not self.draft.nodes():
            return
        roles = [r for r in self.roles if self.query_one(f"#role-{r}", Checkbox).value]
        if self.draft.set(("nodes", self.current, "roles"), roles):
            self.revalidate()
            self.app.refresh_title()

    def after_validation(self, errors: list) -> None:
        if self.is_mounted and self.query("#nodes"):
            self.fill_table()

    # -- actions -------------------------------------------------------------------------

    @on(Button.Pressed, "#add")
    def action_add_node(self) -> None:
        self.current = self.draft.add_node({"name": self.free_name(), "address": "", "roles": ["worker"]})
        self.fill_table()
        self.edit(self.current)
        self.query_one("#node-address .field-input").focus()

    def free_name(self) -> str:
        names = {str(n.get("name")) for n in self.draft.nodes() if isinstance(n, dict)}
        return next(f"node{i:02d}" for i in range(1, 10_000) if f"node{i:02d}" not in names)

    @on(Button.Pressed, "#remove")
    def action_remove_node(self) -> None:
        self.draft.remove_node(self.current)
        self.fill_table()
        self.edit(self.current)
        self.app.refresh_title()

    @on(Button.Pressed, "#paste")
    def action_paste_nodes(self) -> None:
        from tui.screens.dialogs import PasteDialog

        self.app.push_screen(PasteDialog(), self.add_pasted)

    def add_pasted(self, text: str | None) -> None:
        for line in (text or "").splitlines():
            tokens = line.replace(",", " ").split()
            pairs = [(tokens[0], tokens[1])] if len(tokens) == 2 else [(None, t) for t in tokens]
            for name, address in pairs:
                self.draft.add_node({"name": name or self.free_name(), "address": address, "roles": ["worker"]})
        self.current = len(self.draft.nodes()) - 1
        self.fill_table()
        self.edit(self.current)
        self.app.refresh_title()

    @on(Button.Pressed, "#discover")
    def action_discover(self) -> None:
        from installer.errors import InvalidAnswerFile

        try:
            loaded = self.draft.loaded()
        except InvalidAnswerFile as exc:
            self.notify(self.t("discover.invalid", problem=self.problem(exc.errors[0])), severity="error")
            return
        self.notify(self.t("discover.started", count=len(loaded.site.nodes)))
        self.discover(loaded)

    @work(thread=True, exclusive=True, group="discover")
    def discover(self, loaded: Any) -> None:
        try:
            self.app.engine.discover(
                loaded, lambda facts: self.app.call_from_thread(self.host_found, facts), self._stop
            )
        except Exception as exc:  # DiscoveryError (e.g. the key cannot be read) or a bug: shown, not raised
            self.app.call_from_thread(self.notify, self.t("discover.failed", reason=str(exc)), severity="error")
        else:
            self.app.call_from_thread(self.notify, self.t("discover.done"))

    def host_found(self, facts: Any) -> None:
        self.app.discovered[facts.host] = facts
        self.fill_table()

    def on_unmount(self) -> None:
        self._stop.set()
