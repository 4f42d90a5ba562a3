"""Wizard benchmarks, printed as a table.

1. Start to first frame: `aicloud tui` (the wizard's welcome screen) against a bare Textual
   app showing one label, both in fresh Python processes in the same run (imports included),
   median of N runs each. Target: at most 1.5x the bare app.
2. Progress events: a scripted install of 64 hosts streams events from a worker thread at a
   fixed rate (500/s by default) into the real install screen; every event must be applied
   (none dropped) and the UI must keep up (wall time close to the ideal, small backlog).

Usage: .venv/bin/python bench/tui.py [--runs 5] [--rate 500] [--hosts 64] [--events 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIRST_FRAME = """
import time, sys
t0 = time.perf_counter()
{setup}
class Probe(App):
    pass
app = {make}
def frame():
    print(time.perf_counter() - t0)
    app.exit()
app.call_after_refresh(frame)
app.run(headless=True, size=(80, 24))
"""
BARE = FIRST_FRAME.format(
    setup="from textual.app import App\nfrom textual.widgets import Label\n"
    "class Bare(App):\n    def compose(self):\n        yield Label('aicloud')",
    make="Bare()",
).replace("app.call_after_refresh(frame)", "app.call_later(lambda: app.call_after_refresh(frame))")
WIZARD = FIRST_FRAME.format(
    setup="from textual.app import App\nfrom tui.app import AicloudApp",
    make="AicloudApp(locale='en')",
).replace("app.call_after_refresh(frame)", "app.call_later(lambda: app.call_after_refresh(frame))")


#: the same, entered through the click command (imports the `installer.cli` package first)
WIZARD_CLI = WIZARD.replace(
    "from tui.app import AicloudApp", "from installer.cli.tui import tui\nfrom tui.app import AicloudApp"
)


def first_frame(code: str, runs: int) -> float:
    """Median wall time from interpreter start to the first frame, in seconds."""
    times = []
    env = {**os.environ, "AICLOUD_HOME": tempfile.mkdtemp(prefix="aicloud-bench-")}
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60, check=True
        )
        assert out.stdout.strip(), out.stderr
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class StreamingEngine:
    """Emits a 64-host install's events at a fixed rate from the worker thread."""

    def __init__(self, hosts: int, events: int, rate: float):
        self.hosts, self.total, self.rate = [f"gpu{i:03d}" for i in range(hosts)], events, rate
        self.sent = 0
        self.elapsed = 0.0

    def install(self, loaded, request, on_event, stop):
        from installer.events import HostResult, PhaseStarted, RunFinished, RunStarted, TaskStarted
        from tui.engine import InstallOutcome

        on_event(RunStarted("bench", "/tmp/bench", ["os"], self.hosts))
        on_event(PhaseStarted("os", self.hosts, tasks=self.total // len(self.hosts) + 1))
        self.sent = 2
        start = time.perf_counter()
        task = ""
        for i in range(self.total):
            host = self.hosts[i % len(self.hosts)]
            if i % len(self.hosts) == 0:
                task = f"task {i // len(self.hosts)}"
                event = TaskStarted("os", task, self.hosts)
            else:
                event = HostResult("os", host, task, "changed" if i % 7 == 0 else "ok", "")
            on_event(event)
            self.sent += 1
            delay = start + (i + 1) / self.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        self.elapsed = time.perf_counter() - start
        on_event(RunFinished(True, "/tmp/bench"))
        self.sent += 1
        return InstallOutcome(True, "/tmp/bench", "succeeded")

    def run_summary(self, run_dir):
        return None  # the done screen then shows the run directory alone

    def kubeconfig(self, loaded):
        return None


async def stream(hosts: int, events: int, rate: float) -> dict[str, float]:
    from tui.app import AicloudApp

    engine = StreamingEngine(hosts, events, rate)
    app = AicloudApp(locale="en", engine=engine, start="install")
    backlog: list[int] = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.loaded_site = object()
        app.start_install(resume=False)
        start = time.perf_counter()
        while app.install_running:
            await asyncio.sleep(0.05)
            if app.install_progress is not None:
                backlog.append(engine.sent - app.install_progress.events)
        applied_at = time.perf_counter() - start
        await pilot.pause()
        applied = app.install_progress.events
    return {
        "sent": engine.sent,
        "applied": applied,
        "stream_s": engine.elapsed,
        "ui_done_s": applied_at,
        "max_backlog": max(backlog or [0]),
        "rate": rate,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--hosts", type=int, default=64)
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()

    bare = first_frame(BARE, args.runs)
    wizard = first_frame(WIZARD, args.runs)
    via_cli = first_frame(WIZARD_CLI, args.runs)
    result = asyncio.run(stream(args.hosts, args.events, args.rate))
    ideal = args.events / args.rate
    print(f"{'measure':<44} {'value':>12} {'target':>12}")
    print("-" * 70)
    print(f"{'bare Textual app, start to first frame':<44} {bare * 1000:>10.0f}ms {'':>12}")
    print(f"{'aicloud wizard, start to first frame':<44} {wizard * 1000:>10.0f}ms {'':>12}")
    print(f"{'  ratio':<44} {wizard / bare:>11.2f}x {'<= 1.50x':>12}")
    print(f"{'  through installer.cli.tui (today)':<44} {via_cli * 1000:>10.0f}ms {via_cli / bare:>11.2f}x")
    print(f"{f'events sent ({args.hosts} hosts, {args.rate:.0f}/s)':<44} {result['sent']:>12} {'':>12}")
    print(f"{'events applied by the UI':<44} {result['applied']:>12} {'= sent':>12}")
    print(f"{f'stream time (ideal {ideal:.1f}s)':<44} {result['stream_s']:>11.2f}s {'':>12}")
    print(f"{'UI caught up after':<44} {result['ui_done_s']:>11.2f}s {'~ stream':>12}")
    print(f"{'largest backlog (events queued, sampled)':<44} {result['max_backlog']:>12} {'< rate/2':>12}")
    print(f"{'achieved event rate':<44} {result['applied'] / max(result['ui_done_s'], 1e-9):>10.0f}/s {'>= 500/s':>12}")


if __name__ == "__main__":
    main()
