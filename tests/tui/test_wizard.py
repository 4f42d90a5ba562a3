"""Pilot tests: the wizard driven from the keyboard, as an engineer on site would."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from textual.widgets import DataTable, Input, Log, OptionList, Static

from installer.site import load_site
from tests.tui.fakes import RUN_DIR, FakeEngine
from tui.app import AicloudApp
from tui.widgets.fields import FieldRow

SIZE = (80, 24)


def sync(test):
    """Run an async test without an async pytest plugin (none is a project dependency)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return run


async def type_into(pilot, selector: str, text: str) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.pause()
    await pilot.press(*text)
    await pilot.pause()


def row(app, selector: str) -> FieldRow:
    return app.screen.query_one(selector, FieldRow)


def screen_name(app) -> str:
    return type(app.screen).__name__


async def start_new_site(pilot) -> None:
    await pilot.press("n")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    assert screen_name(pilot.app) == "SiteScreen"


@sync
async def test_fill_a_three_node_site_see_an_error_appear_and_clear_save_and_reload(tmp_path: Path):
    app = AicloudApp(locale="en", engine=FakeEngine())
    async with app.run_test(size=SIZE) as pilot:
        await start_new_site(pilot)
        await type_into(pilot, "FieldRow Input", "rack7")
        assert app.draft.get(("metadata", "name")) == "rack7"
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen_name(app) == "NodesScreen"

        await pilot.press("ctrl+o")  # add a third node; its address is empty, so invalid
        await pilot.pause()
        assert len(app.draft.nodes()) == 3
        await type_into(pilot, "#node-address Input", "10.0.0.300")
        address = row(app, "#node-address")
        assert address.has_class("-invalid")
        message = str(address.query_one(".field-message", Static).render())
        assert "is not an IPv4 address" in message
        assert str(address.query_one(".field-label").render()).startswith("! ")

        await pilot.press("ctrl+n")  # refused while the screen is invalid
        await pilot.pause()
        assert screen_name(app) == "NodesScreen"

        await type_into(pilot, "#node-address Input", "10.0.0.12")
        assert not address.has_class("-invalid")
        assert app.draft.validate() == []
        table = app.screen.query_one("#nodes", DataTable)
        assert table.row_count == 3

        for expected in (
            "NetworksScreen",
            "FabricScreen",
            "AcceleratorsScreen",
            "KubernetesScreen",
            "PlatformScreen",
            "ReviewScreen",
        ):
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert screen_name(app) == expected

        await pilot.press("ctrl+s")  # not saved before: asks where
        await pilot.pause()
        target = tmp_path / "rack7.yaml"
        app.screen.query_one("#path", Input).value = str(target)  # typing a long path adds nothing
        await pilot.press("enter")
        await pilot.pause()

    loaded = load_site(target)  # an ordinary, valid answer file: what `aicloud install -f` reads
    assert [n.name for n in loaded.site.nodes] == ["deploy", "gpu01", "node01"]
    assert loaded.site.metadata.name == "rack7"
    assert "# every server; exactly one has role deploy" in target.read_text()  # comments survive

    reopened = AicloudApp(target, locale="en", engine=FakeEngine())
    async with reopened.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert screen_name(reopened) == "SiteScreen"  # an answer file opens at the first step
        assert reopened.draft.validate() == []
        assert len(reopened.draft.nodes()) == 3
        reopened.goto("review")
        await pilot.pause()
        assert "rack7" in reopened.screen.query_one("#yaml").text


@sync
async def test_an_invalid_site_is_never_saved_but_kept_as_a_draft_and_resumed(wizard_home: Path):
    app = AicloudApp(locale="en", engine=FakeEngine())
    async with app.run_test(size=SIZE) as pilot:
        await start_new_site(pilot)
        await type_into(pilot, "FieldRow Input", "Bad Name")
        assert row(app, "FieldRow").has_class("-invalid")
        app.draft.path = Path("should-not-exist.yaml").resolve()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not Path("should-not-exist.yaml").exists()
        drafts = list(wizard_home.glob("sites/*/tui-draft.yaml"))
        assert len(drafts) == 1

    again = AicloudApp(locale="en", engine=FakeEngine())
    async with again.run_test(size=SIZE) as pilot:
        await pilot.press("r")  # resume the newest draft
        await pilot.pause()
        assert screen_name(again) == "SiteScreen"
        assert again.draft.get(("metadata", "name")) == "Bad Name"
        await type_into(pilot, "FieldRow Input", "good-name")
        assert again.draft.validate() == []


@sync
async def test_discover_fills_the_hardware_columns_and_the_accelerators(lab_file: Path):
    app = AicloudApp(lab_file, locale="en", engine=FakeEngine(), start="nodes")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#nodes", DataTable)
        assert "8x H100" in [str(c) for c in table.get_row_at(1)]
        app.goto("accelerators")
        await pilot.pause()
        await pilot.click("#fill")
        await pilot.pause()
        assert app.draft.get(("nodes", 1, "accelerators")) == {
            "vendor": "nvidia",
            "count": 8,
            "model": "H100 SXM5 80GB",
        }


@sync
async def test_install_shows_progress_events_and_resumes_after_a_failure(lab_file: Path):
    engine = FakeEngine(fail_host="lab-node2")
    app = AicloudApp(lab_file, locale="en", engine=engine, start="review")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+n")  # Install: the saved file, loaded again from disk
        await pilot.pause()
        assert screen_name(app) == "InstallDialog"  # which phases will run, as the CLI asks
        await pilot.press("enter")  # the whole plan
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen_name(app) == "InstallScreen"
        progress = app.install_progress
        assert progress.events == len(engine.events)  # every event arrived, none dropped
        assert progress.phases["preflight"].status == "done"
        assert progress.phases["os"].status == "failed"
        assert progress.hosts["lab-node2"] == "failed"
        failures = str(app.screen.query_one("#failures", Static).render())
        assert "lab-node2" in failures and "systemctl start chrony" in failures
        assert "FAIL" in str(app.screen.query_one("#hosts", Static).render())
        assert any("os task" in line for line in app.screen.query_one("#log", Log).lines)

        await pilot.press("ctrl+r")  # Resume
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert engine.requests[-1].resume is True and engine.requests[0].phase is None
        assert app.install_progress.ok is True
        await pilot.click("#done")
        await pilot.pause()
        assert screen_name(app) == "DoneScreen"
        assert RUN_DIR in " ".join(str(s.render()) for s in app.screen.query(Static))


@sync
async def test_switching_language_keeps_the_work_and_changes_the_texts(lab_file: Path):
    app = AicloudApp(lab_file, locale="en", engine=FakeEngine(), start="networks")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_into(pilot, "FieldRow Input", "10.89.10.0/23")
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert "网络" in str(app.screen.query_one("#title", Static).render())
        assert app.draft.get(("network", "managementCidr")) == "10.89.10.0/23"
        assert app.screen.query_one("FieldRow Input", Input).value == "10.89.10.0/23"
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert "Networks" in str(app.screen.query_one("#title", Static).render())


@sync
async def test_install_asks_first_and_can_run_one_phase_and_resume_leaves_the_selection_to_the_engine(lab_file: Path):
    engine = FakeEngine(fail_host="lab-node2")
    app = AicloudApp(lab_file, locale="en", engine=engine, start="review")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        options = app.screen.query_one("#install-phases", OptionList)
        texts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert texts == [
            "All phases of the plan: preflight, bundle, os, runtime",  # the lab plan's running phases
            "Only preflight",
            "Only bundle",
            "Only os",
            "Only runtime",
        ]
        await pilot.press("escape")  # back out: nothing starts
        await pilot.pause()
        assert screen_name(app) == "ReviewScreen" and engine.requests == []

        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")  # only os
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen_name(app) == "InstallScreen"
        assert engine.requests[-1].phase == "os" and app.install_progress.ok is False
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        # Resume asks for nothing of its own: the engine repeats what the resumed run was asked
        # (its stored selection; tests/unit/test_run_engine.py resumes across the two faces).
        assert (engine.requests[-1].phase, engine.requests[-1].resume) == (None, True)


@sync
async def test_done_shows_the_real_runs_directory_and_summary_and_no_kubeconfig(lab_site_with_a_key: Path):
    from tui.engine import RealEngine

    app = AicloudApp(lab_site_with_a_key, locale="en", engine=RealEngine(), start="install")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.loaded_site = load_site(lab_site_with_a_key)
        app.start_install(resume=False, phase="fabric")  # the one phase that needs no host on the lab file
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.install_progress.ok is True
        await pilot.click("#done")
        await pilot.pause()
        assert screen_name(app) == "DoneScreen"
        run_dir = app.install_outcome.run_dir
        assert (Path(run_dir) / "summary.json").is_file()
        text = {s.id: str(s.render()) for s in app.screen.query(Static) if s.id}
        assert run_dir in text["done-run-dir"]
        assert text["done-summary"] == "Phases done: none\nSkipped: fabric (fabric.type is none)"
        assert "the Kubernetes phase is not part of this release" in text["done-kubeconfig"]
        assert "kubectl" not in text["done-next"]
        await pilot.press("ctrl+l")
        await pilot.pause()
        text = {s.id: str(s.render()) for s in app.screen.query(Static) if s.id}
        assert text["done-summary"] == "已完成的阶段:无\n已跳过:fabric (fabric.type is none)"
        assert "尚不包含 Kubernetes 阶段" in text["done-kubeconfig"]


@sync
async def test_done_shows_the_kubeconfig_and_kubectl_when_the_file_exists(lab_file: Path):
    engine = FakeEngine(kubeconfig="/var/lib/aicloud-test/kubeconfig")
    app = AicloudApp(lab_file, locale="en", engine=engine, start="install")
    async with app.run_test(size=SIZE) as pilot:
        app.loaded_site = load_site(lab_file)
        app.start_install(resume=False)
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.goto("done")
        await pilot.pause()
        text = {s.id: str(s.render()) for s in app.screen.query(Static) if s.id}
        assert text["done-kubeconfig"] == "kubeconfig: /var/lib/aicloud-test/kubeconfig"
        assert "kubectl --kubeconfig /var/lib/aicloud-test/kubeconfig get nodes" in text["done-next"]
        assert text["done-summary"].startswith("Phases done: preflight, bundle, os\nSkipped: accelerators")


async def edit_node(pilot, index: int) -> None:
    table = pilot.app.screen.query_one("#nodes", DataTable)
    table.focus()
    table.move_cursor(row=index)
    await pilot.pause()
    assert pilot.app.screen.current == index


def message_of(app, selector: str) -> str:
    return str(row(app, selector).query_one(".field-message", Static).render())


def last_notification(app) -> str:
    return list(app._notifications)[-1].message


@sync
async def test_node_labels_taints_and_fabric_nics_are_edited_validated_saved_and_reloaded(roce_file: Path):
    app = AicloudApp(roce_file, locale="en", engine=FakeEngine(), start="nodes")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await edit_node(pilot, 1)  # gpu02

        await type_into(pilot, "#node-labels Input", "aicloud.io/pool=training, zone")
        assert row(app, "#node-labels").has_class("-invalid")
        assert message_of(app, "#node-labels") == "! 'zone' is not key=value"  # the wizard's own hint
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen_name(app) == "NodesScreen"
        assert last_notification(app) == "Fix this first: field nodes[1].labels: 'zone' is not key=value"
        await type_into(pilot, "#node-labels Input", "aicloud.io/pool=training, zone=a")
        assert not row(app, "#node-labels").has_class("-invalid")

        await type_into(pilot, "#node-taints Input", "gpu=true:NoSchedul")
        assert row(app, "#node-taints").has_class("-invalid")
        assert "NoSchedule" in message_of(app, "#node-taints")  # the engine's message: the valid choices
        await type_into(pilot, "#node-taints Input", "gpu=true:NoSchedule, maintenance:NoExecute")
        assert not row(app, "#node-taints").has_class("-invalid")

        await type_into(pilot, "#node-nics Input", "ens0f0np0 0 10.20.0.12/24, ens1f0np0 1 10.99.0.12/24")
        assert row(app, "#node-nics").has_class("-invalid")
        assert "outside rail 1" in message_of(app, "#node-nics")  # an engine rule, live
        await type_into(pilot, "#node-nics Input", "ens0f0np0 0 10.20.0.12/24, ens1f0np0 1 10.21.0.12/24")
        assert not row(app, "#node-nics").has_class("-invalid")
        assert app.draft.validate() == []

        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not app.draft.dirty

    saved = load_site(roce_file).site.nodes[1]
    assert saved.labels == {"aicloud.io/pool": "training", "zone": "a"}
    assert [(t.key, t.value, t.effect.value) for t in saved.taints] == [
        ("gpu", "true", "NoSchedule"),
        ("maintenance", "", "NoExecute"),
    ]
    assert [(n.name, n.rail, str(n.address)) for n in saved.fabric_nics] == [
        ("ens0f0np0", 0, "10.20.0.12/24"),
        ("ens1f0np0", 1, "10.21.0.12/24"),
    ]
    text = roce_file.read_text()  # flow style kept where the file had it
    assert "    labels: {aicloud.io/pool: training, zone: a}\n" in text
    assert "      - key: gpu\n        value: 'true'\n        effect: NoSchedule\n" in text
    assert "      - {name: ens1f0np0, rail: 1, address: 10.21.0.12/24}\n" in text
    assert "10.22.0.12/24" not in text
    assert "# Four 8-GPU servers on a RoCE v2 fabric" in text  # the file's comments survive

    reopened = AicloudApp(roce_file, locale="en", engine=FakeEngine(), start="nodes")
    async with reopened.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await edit_node(pilot, 1)
        screen = reopened.screen
        assert screen.query_one("#node-labels Input", Input).value == "aicloud.io/pool=training, zone=a"
        assert screen.query_one("#node-taints Input", Input).value == "gpu=true:NoSchedule, maintenance:NoExecute"
        nics = screen.query_one("#node-nics Input", Input).value
        assert nics == "ens0f0np0 0 10.20.0.12/24, ens1f0np0 1 10.21.0.12/24"
        assert not reopened.draft.dirty  # showing a node changes nothing


@sync
async def test_a_fabric_nic_before_the_fabric_is_chosen_is_settled_on_the_fabric_step(lab_file: Path):
    app = AicloudApp(lab_file, locale="zh_CN", engine=FakeEngine(), start="nodes")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await edit_node(pilot, 1)
        await type_into(pilot, "#node-nics Input", "ib0 0")
        assert message_of(app, "#node-nics").startswith("! 'ib0 0' 不是“名称 轨道 地址”的形式")
        await pilot.press("ctrl+n")  # text that is not data refuses Next here
        await pilot.pause()
        assert screen_name(app) == "NodesScreen"
        assert last_notification(app).startswith("请先修正:字段 nodes[1].fabricNics:'ib0 0' 不是")

        await type_into(pilot, "#node-nics Input", "ib0 0 10.20.0.11/24")
        assert "fabric.type is none" in message_of(app, "#node-nics")  # the engine's rule, shown here
        errors = str(app.screen.query_one("#errors", Static).render())
        assert errors.startswith("暂时可以继续")
        await pilot.press("ctrl+n")  # ... and settled on the Fabric step
        await pilot.pause()
        assert screen_name(app) == "NetworksScreen"
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen_name(app) == "FabricScreen"
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen_name(app) == "FabricScreen"
        assert "fabric.type is none" in last_notification(app)


@sync
async def test_the_install_button_on_review_asks_what_to_install_as_ctrl_n_does(lab_file: Path):
    engine = FakeEngine()
    app = AicloudApp(lab_file, locale="en", engine=engine, start="review")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click("#next")  # "Install >"
        await pilot.pause()
        assert screen_name(app) == "InstallDialog"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.click("#back")
        await pilot.pause()
        assert screen_name(app) == "PlatformScreen" and engine.requests == []


def run_cli_headless(monkeypatch, args: list[str], auto_pilot):
    """`aicloud <args>` as a user runs it, the wizard headless and driven by `auto_pilot`."""
    from click.testing import CliRunner
    from textual.app import App

    from installer.cli import main

    def headless_run(self, **kwargs):
        return App.run(self, headless=True, size=SIZE, auto_pilot=auto_pilot)

    monkeypatch.setattr(AicloudApp, "run", headless_run)
    return CliRunner().invoke(main, args)


def test_an_unexpected_exception_in_the_wizard_makes_aicloud_tui_exit_non_zero(lab_file: Path, monkeypatch):
    from tui.screens.review import ReviewScreen

    def broken(self) -> None:
        raise RuntimeError("a bug in the wizard")

    monkeypatch.setattr(ReviewScreen, "install", broken)

    async def press_install(pilot) -> None:
        pilot.app.goto("review")
        await pilot.pause()
        await pilot.click("#next")
        await pilot.pause()

    result = run_cli_headless(monkeypatch, ["tui", "-f", str(lab_file)], press_install)
    assert result.exit_code == 1


def test_quitting_the_wizard_exits_zero(lab_file: Path, monkeypatch):
    async def quit_(pilot) -> None:
        await pilot.press("ctrl+q")

    assert run_cli_headless(monkeypatch, ["tui", "-f", str(lab_file)], quit_).exit_code == 0


@sync
async def test_installing_an_unchanged_file_leaves_it_byte_for_byte_as_it_was(lab_file: Path):
    import os

    # formatting the wizard's writer would change: a rewrite could not go unnoticed
    lab_file.write_text(lab_file.read_text().replace("nodes:\n", "nodes:      # the servers   \n", 1))
    os.utime(lab_file, (1_000_000_000, 1_000_000_000))
    before = lab_file.read_bytes()
    engine = FakeEngine()
    app = AicloudApp(lab_file, locale="en", engine=engine)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert screen_name(app) == "SiteScreen"
        for _ in range(2):
            await pilot.press("ctrl+n")  # every step shown, nothing edited
            await pilot.pause()
        await type_into(pilot, "FieldRow Input", "10.89.99.0/24")  # networks: typed, then put back
        await type_into(pilot, "FieldRow Input", "10.89.10.0/24")
        for _ in range(5):
            await pilot.press("ctrl+n")
            await pilot.pause()
        assert screen_name(app) == "ReviewScreen"
        assert not app.draft.changed
        await pilot.press("ctrl+s")  # saving an unchanged file writes nothing either
        await pilot.pause()
        await pilot.click("#next")  # Install
        await pilot.pause()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen_name(app) == "InstallScreen" and engine.requests
    assert lab_file.read_bytes() == before
    assert lab_file.stat().st_mtime == 1_000_000_000


@sync
async def test_installing_after_an_edit_saves_the_file_first(lab_file: Path):
    engine = FakeEngine()
    app = AicloudApp(lab_file, locale="en", engine=engine, start="networks")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_into(pilot, "FieldRow Input", "10.89.10.0/23")
        app.goto("review")
        await pilot.pause()
        await pilot.click("#next")
        await pilot.pause()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen_name(app) == "InstallScreen"
    assert load_site(lab_file).site.network.management_cidr.compressed == "10.89.10.0/23"
