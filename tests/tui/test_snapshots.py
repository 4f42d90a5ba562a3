"""Snapshots of every screen at 80x24, in English and Simplified Chinese.

Update after an intended change with `pytest tests/tui --snapshot-update` and review the SVGs
(`tests/tui/__snapshots__/`); a failed comparison writes an HTML diff report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.fakes import FakeEngine
from tests.tui.test_install_screen import bundle_run, long_named_site
from tui.app import AicloudApp

LOCALES = ("en", "zh_CN")
EDIT_STEPS = ("site", "nodes", "networks", "fabric", "accelerators", "kubernetes", "platform", "review")


@pytest.mark.parametrize("locale", LOCALES)
def test_welcome(snap_compare, locale: str) -> None:
    assert snap_compare(AicloudApp(locale=locale, engine=FakeEngine()), terminal_size=(80, 24))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("step", EDIT_STEPS)
def test_edit_step(snap_compare, roce_file: Path, step: str, locale: str) -> None:
    app = AicloudApp(roce_file, locale=locale, engine=FakeEngine(), start=step)
    assert snap_compare(app, terminal_size=(80, 24))


@pytest.mark.parametrize("locale", LOCALES)
def test_nodes_with_an_invalid_address(snap_compare, roce_file: Path, locale: str) -> None:
    app = AicloudApp(roce_file, locale=locale, engine=FakeEngine(), start="nodes")

    async def break_an_address(pilot) -> None:
        field = pilot.app.screen.query_one("#node-address Input")
        field.value = "10.1.0.300"
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=break_an_address)


async def _install(pilot) -> None:
    app = pilot.app
    from installer.site import load_site

    app.loaded_site = load_site(app.draft.path)
    app.start_install(resume=False)
    await app.workers.wait_for_complete()
    await pilot.pause()
    # The screen redraws from the progress model on a timer; draw now so the snapshot does not
    # depend on how loaded the machine is.
    if hasattr(app.screen, "redraw"):
        app.screen.redraw()
    await pilot.pause()


@pytest.mark.parametrize("locale", LOCALES)
def test_install_with_a_failed_host(snap_compare, roce_file: Path, locale: str) -> None:
    app = AicloudApp(roce_file, locale=locale, engine=FakeEngine(fail_host="gpu03"), start="install")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_install)


@pytest.mark.parametrize("locale", LOCALES)
def test_install_with_long_host_names_while_the_bundle_phase_runs(
    snap_compare, tmp_path: Path, lab_file: Path, locale: str
) -> None:
    """Whole host names, one row per node (the controller has none), a bar part way."""
    site = long_named_site(tmp_path / "work" / "long.yaml", lab_file)
    app = AicloudApp(site, locale=locale, engine=FakeEngine(), start="install")

    async def running(pilot) -> None:
        from tui.progress import InstallProgress

        pilot.app.install_progress = progress = InstallProgress()
        pilot.app.install_running = True  # as while the engine's worker runs
        for event in bundle_run(tasks=6):
            progress.apply(event)
        pilot.app.screen.redraw()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=running)


@pytest.mark.parametrize("locale", LOCALES)
def test_done(snap_compare, roce_file: Path, locale: str) -> None:
    app = AicloudApp(roce_file, locale=locale, engine=FakeEngine(), start="install")

    async def install_then_done(pilot) -> None:
        await _install(pilot)
        pilot.app.draft.path = Path("/srv/aicloud/roce-4node.yaml")  # the same text on every machine
        pilot.app.goto("done")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=install_then_done)
