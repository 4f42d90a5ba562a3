"""Pilot tests: the wizard driven from the keyboard, as an engineer on site would."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from textual.widgets import DataTable, Input, Log, Static

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
        assert engine.requests[-1].resume is True
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
