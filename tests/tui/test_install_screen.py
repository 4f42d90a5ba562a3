"""The install screen as drawn: host names whole, no controller row, bars that move."""

from __future__ import annotations

from pathlib import Path

import yaml
from textual.widgets import Log, Static

from installer.events import HostResult, PhaseFinished, PhaseStarted, RunFinished, RunStarted, TaskStarted
from installer.site import load_site
from tests.tui.fakes import RUN_DIR, ScriptedEngine
from tests.tui.test_wizard import SIZE, sync
from tui.app import AicloudApp

NODES = ["deploy", "gpu-node-01a", "gpu-node-01b", "gpu-node-rack07-slot12-accelerated-training-0042"]
BUNDLE_CHECK = "Every checksum and signature of the bundle is valid"


def long_named_site(path: Path, lab_file: Path) -> Path:
    data = yaml.safe_load(lab_file.read_text())
    nodes = data["nodes"]
    for node, name in zip(nodes, NODES, strict=False):
        node["name"] = name
    data["nodes"] = nodes[: len(NODES)]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def bundle_run(tasks: int = 0) -> list[object]:
    """The bundle phase as the real engine plays it: the controller checks the bundle first."""
    events: list[object] = [RunStarted("r1", RUN_DIR, ["bundle"], NODES), PhaseStarted("bundle", NODES, tasks=tasks)]
    events += [TaskStarted("bundle", BUNDLE_CHECK), HostResult("bundle", "localhost", BUNDLE_CHECK, "changed")]
    for n in range(3):
        events.append(TaskStarted("bundle", f"apt source {n}"))
        events += [HostResult("bundle", host, f"apt source {n}", "ok") for host in NODES]
    return events


async def install(pilot) -> None:
    app = pilot.app
    app.loaded_site = load_site(app.draft.path)
    app.start_install(resume=False)
    await app.workers.wait_for_complete()
    await pilot.pause()
    app.screen.redraw()
    await pilot.pause()


def grid(app) -> str:
    return str(app.screen.query_one("#hosts", Static).render())


@sync
async def test_the_host_grid_shows_every_name_whole_and_no_row_for_the_controller(tmp_path: Path, lab_file: Path):
    site = long_named_site(tmp_path / "work" / "long.yaml", lab_file)
    app = AicloudApp(site, locale="en", engine=ScriptedEngine(bundle_run()), start="install")
    async with app.run_test(size=SIZE) as pilot:
        await install(pilot)
        text = grid(app)
        lines = text.splitlines()
        for name in NODES:
            assert name in text  # never cut: gpu-node-01a and gpu-node-01b stay apart
        assert "gpu-node-01" + " " not in text
        assert len(lines) == len(NODES)  # one row per node: no localhost, no controller
        assert "localhost" not in text and "controller" not in text
        assert "   changed controller: " + BUNDLE_CHECK in app.screen.query_one("#log", Log).lines


@sync
async def test_the_host_grid_puts_short_names_side_by_side_when_they_fit(lab_file: Path):
    app = AicloudApp(lab_file, locale="zh_CN", engine=ScriptedEngine([]), start="install")
    async with app.run_test(size=(120, 24)) as pilot:
        await pilot.pause()
        from tui.progress import InstallProgress

        progress = InstallProgress()
        progress.apply(RunStarted("r1", RUN_DIR, ["os"], ["n1", "n2", "n3"]))
        text = app.screen.hosts_text(progress, 40).plain
        assert text.splitlines() == ["n1 等待    n2 等待    n3 等待"]  # columns by cell width, not characters
        assert app.screen.hosts_text(progress, 12).plain.splitlines() == ["n1 等待", "n2 等待", "n3 等待"]


@sync
async def test_a_phase_bar_fills_as_tasks_go_before_the_phase_ends(lab_file: Path):
    for tasks, count in ((0, "task 4"), (4, "4/4")):
        events = bundle_run(tasks)
        app = AicloudApp(lab_file, locale="en", engine=ScriptedEngine(events[:-3]), start="install")
        async with app.run_test(size=SIZE) as pilot:
            await install(pilot)
            bars = str(app.screen.query_one("#phases", Static).render()).splitlines()
            bundle = next(line for line in bars if " bundle " in line)
            filled = bundle.split("[")[2].count("#")
            assert 0 < filled < 10, bundle  # moving, and not full while the phase runs
            assert bundle.endswith(count), bundle
            app.install_progress.apply(PhaseFinished("bundle", True, dict.fromkeys(NODES, "done")))
            app.install_progress.apply(RunFinished(True, RUN_DIR))
            app.screen.redraw()
            bundle = next(
                line
                for line in str(app.screen.query_one("#phases", Static).render()).splitlines()
                if " bundle " in line
            )
            assert "[##########]" in bundle
