"""The wizard starts an install on real lab hosts and shows the run's progress as it happens.

The app runs with the real engine (`RealEngine`, the default) on the lab's own answer file:
Review → Install → "Only preflight" (`aicloud install --phase preflight`: discovery and the
checks over SSH; no bundle needed, so nothing leaves the machine) → the install screen. The
lab is the smallest there is (one node and its deploy host), made under a `lab_names` name, so
it is torn down after the test, pass or fail.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import pytest
from textual.widgets import Button, Log, Static

# The engine (and pyinfra) is imported before any app starts: see tests/tui/conftest.py.
import installer.discovery
import installer.run  # noqa: F401
from installer import lab as engine
from tui.app import AicloudApp
from tui.progress import InstallProgress
from tui.screens.install import InstallScreen

pytestmark = pytest.mark.lab

SIZE = (80, 24)
RUN_TIMEOUT = 900  # seconds; discovery of two hosts takes a few, a loaded machine far more


def screen_name(app) -> str:
    return type(app.screen).__name__


async def install_preflight_from_the_wizard(site: Path) -> dict:
    """Drive the wizard like an engineer; return what was seen while the run was going."""
    app = AicloudApp(site, locale="en", start="review")
    seen: dict = {}
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.draft.validate() == [], "the lab's answer file is valid"
        await pilot.press("ctrl+n")  # Install >
        await pilot.pause()
        assert screen_name(app) == "InstallDialog"
        await pilot.press("down", "enter")  # Only preflight
        await pilot.pause()
        assert screen_name(app) == "InstallScreen"

        deadline = time.monotonic() + RUN_TIMEOUT
        while app.install_running and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert not app.install_running, f"the install did not finish within {RUN_TIMEOUT} s"
        await pilot.pause(0.3)  # the last redraw

        seen["progress"] = app.install_progress
        seen["outcome"] = app.install_outcome
        seen["log"] = list(app.screen.query_one("#log", Log).lines)
        seen["hosts_text"] = str(app.screen.query_one("#hosts", Static).render())
        seen["phases_text"] = str(app.screen.query_one("#phases", Static).render())
        seen["done_enabled"] = not app.screen.query_one("#done", Button).disabled
        await pilot.click("#done")
        await pilot.pause()
        seen["done_screen"] = screen_name(app)
        seen["done_texts"] = {s.id: str(s.render()) for s in app.screen.query(Static) if s.id}
    return seen


def test_the_wizard_runs_preflight_on_the_lab_with_progress_arriving_live(lab_names, lab_home, monkeypatch):
    monkeypatch.setenv("AICLOUD_HOME", str(lab_home))
    up = engine.up(lab_names(), 1, home=lab_home)
    hosts = [h.name for h in up.spec.hosts]
    assert len(hosts) == 2

    # Watch the screen as it is: each event as the app applies it, each frame of the grid it draws.
    applied: list[tuple[str, dict[str, str], str]] = []
    frames: list[str] = []
    apply, redraw = InstallProgress.apply, InstallScreen.redraw

    def applying(progress: InstallProgress, event) -> None:
        apply(progress, event)
        preflight = progress.phases.get("preflight")
        applied.append((type(event).__name__, dict(progress.hosts), preflight.status if preflight else ""))

    def redrawing(screen: InstallScreen) -> None:
        redraw(screen)
        frames.append(str(screen.query_one("#hosts", Static).render()))

    monkeypatch.setattr(InstallProgress, "apply", applying)
    monkeypatch.setattr(InstallScreen, "redraw", redrawing)

    seen = asyncio.run(install_preflight_from_the_wizard(up.paths.site))

    outcome, progress = seen["outcome"], seen["progress"]
    assert outcome is not None and outcome.ok, progress.failures
    run_dir = Path(outcome.run_dir)
    events = [json.loads(line) for line in (run_dir / "progress.jsonl").read_text().splitlines()]
    assert progress.events == len(events) == len(applied)  # every event the engine wrote reached the screen
    assert [name for name, _, _ in applied] == [e["event"] for e in events]  # one by one, in order
    results = [e for e in events if e["event"] == "HostResult"]
    assert {e["host"] for e in results} == set(hosts)
    assert {e["task"] for e in results} >= {"reachable", "os_supported", "ports_free"}  # the real checks

    # The phase and the hosts went pending -> running -> (each check ok) -> done, as events came.
    started = next(i for i, (name, _, _) in enumerate(applied) if name == "PhaseStarted")
    assert applied[started][1:] == (dict.fromkeys(hosts, "running"), "running")
    assert all(a[1][e["host"]] == "ok" for a, e in zip(applied, events, strict=True) if e["event"] == "HostResult")
    assert applied[-2][0] == "PhaseFinished" and applied[-2][1:] == (dict.fromkeys(hosts, "done"), "done")

    # ... and the grid on screen showed the hosts running before it showed them done.
    # (each name whole, never cut: the grid aligns them to the longest)
    def shows(frame: str, status: str) -> bool:
        return all(re.search(rf"(^|\s){re.escape(h)} +{status}\b", frame) for h in hosts)

    running = [i for i, f in enumerate(frames) if shows(f, "run")]
    done = [i for i, f in enumerate(frames) if shows(f, "done")]
    assert running and done and running[0] < done[0], frames
    assert shows(seen["hosts_text"], "done")
    assert seen["phases_text"].startswith("[ok] preflight")

    log = [line.strip() for line in seen["log"]]
    assert f"run {run_dir.name}: {run_dir}" in log
    assert "== preflight (2 hosts)" in log
    assert "== preflight: ok (0 changed)" in log

    assert seen["done_enabled"] and seen["done_screen"] == "DoneScreen"
    texts = seen["done_texts"]
    assert str(run_dir) in texts["done-run-dir"]
    assert texts["done-summary"].startswith("Phases done: preflight\n")
    assert "the Kubernetes phase is not part of this release" in texts["done-kubeconfig"]
    assert json.loads((run_dir / "preflight.json").read_text())["passed"] is True
