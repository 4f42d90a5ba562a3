"""The install screen's model: events folded into phases, hosts and log lines, none dropped."""

from __future__ import annotations

import itertools

from installer.events import (
    HostResult,
    PhaseFinished,
    PhaseStarted,
    PhaseVerified,
    RunFinished,
    RunStarted,
    TaskStarted,
)
from tui.i18n import Catalog
from tui.progress import InstallProgress


def words(progress: InstallProgress, locale: str = "en") -> list[str]:
    t = Catalog(locale)
    return [t(f"log.{key}", **args) for _, key, args in progress.log]


def test_a_rerun_shows_a_phase_verified_unchanged_as_done_and_says_where_it_runs_again():
    progress = InstallProgress()
    hosts = ["deploy", "node1", "node2"]
    progress.apply(RunStarted("r2", "/runs/r2", ["os", "runtime"], hosts))
    progress.apply(PhaseVerified("os", hosts, {}, dict.fromkeys(hosts, "r1")))
    assert progress.phases["os"].status == "done"
    assert progress.hosts == dict.fromkeys(hosts, "done")

    progress.apply(PhaseVerified("runtime", ["node1"], {"node2": "drifted: containerd config changed"}))
    assert progress.phases["runtime"].status == "pending"  # it still runs on node2
    progress.apply(PhaseStarted("runtime", ["node2"]))
    assert progress.hosts == {"deploy": "done", "node1": "done", "node2": "running"}
    progress.apply(HostResult("runtime", "node2", "containerd uses the registry", "changed"))
    progress.apply(PhaseFinished("runtime", True, {"node2": "done"}, changed=1))
    progress.apply(RunFinished(True, "/runs/r2"))

    assert progress.events == 7 and progress.ok is True
    assert words(progress) == [
        "run r2: /runs/r2",
        "[os] unchanged on deploy, node1, node2 (verified on each node)",
        "[runtime] unchanged on node1 (verified on each node)",
        "[runtime] runs on node2: drifted: containerd config changed",
        "== runtime (1 hosts)",
        "changed node2: containerd uses the registry",
        "== runtime: ok (1 changed)",
        "finished",
    ]
    assert words(progress, "zh_CN")[1] == "[os] deploy, node1, node2 上未变化(已在各节点核实)"


def test_a_first_install_has_nothing_recorded_and_the_phase_simply_runs():
    progress = InstallProgress()
    progress.apply(RunStarted("r1", "/runs/r1", ["os"], ["node1"]))
    progress.apply(PhaseVerified("os", [], {"node1": "no record of this phase on the node"}))
    assert progress.phases["os"].status == "pending" and progress.hosts == {"node1": "pending"}
    assert words(progress) == ["run r1: /runs/r1"]


def test_a_phase_bar_moves_with_every_host_task_result_when_the_tasks_per_host_are_known():
    progress = InstallProgress()
    progress.apply(RunStarted("r1", "/runs/r1", ["os"], ["node1", "node2"]))
    progress.apply(PhaseStarted("os", ["node1", "node2"], tasks=3))
    phase = progress.phases["os"]
    seen = [phase.fraction]
    for task in ("a", "b", "c"):
        progress.apply(TaskStarted("os", task))
        for host in ("node1", "node2"):
            progress.apply(HostResult("os", host, task, "ok" if host == "node1" else "skipped"))
            seen.append(phase.fraction)
    assert seen[0] == 0.0
    assert seen[1:5] == [1 / 6, 2 / 6, 3 / 6, 4 / 6]  # completed host-tasks / (tasks x hosts)
    assert all(a < b for a, b in itertools.pairwise(seen))
    assert seen[-1] < 1.0  # full only once the phase is done
    progress.apply(PhaseFinished("os", True, {"node1": "done", "node2": "done"}))
    assert phase.fraction == 1.0


def test_a_phase_bar_moves_with_every_task_started_when_the_tasks_are_not_known():
    progress = InstallProgress()
    progress.apply(RunStarted("r1", "/runs/r1", ["runtime"], ["node1"]))
    progress.apply(PhaseStarted("runtime", ["node1"]))  # tasks=0: the engine did not say
    phase = progress.phases["runtime"]
    assert phase.fraction == 0.0
    seen = []
    for n in range(40):
        progress.apply(TaskStarted("runtime", f"task {n}"))
        progress.apply(HostResult("runtime", "node1", f"task {n}", "ok"))
        seen.append(phase.fraction)
    assert seen[0] > 0.0
    assert all(a < b for a, b in itertools.pairwise(seen))  # never stuck, never full
    assert seen[-1] < 1.0
    progress.apply(PhaseFinished("runtime", True, {"node1": "done"}))
    assert phase.fraction == 1.0


def test_the_controller_is_not_a_host_of_the_grid_nor_of_a_phase_but_its_failure_is_reported():
    progress = InstallProgress()
    progress.apply(RunStarted("r1", "/runs/r1", ["bundle"], ["deploy", "node1"]))
    progress.apply(PhaseStarted("bundle", ["deploy", "node1", "localhost"], tasks=1))
    progress.apply(TaskStarted("bundle", "Every checksum and signature of the bundle is valid"))
    progress.apply(HostResult("bundle", "localhost", "Every checksum and signature of the bundle is valid", "ok"))
    assert progress.phases["bundle"].fraction == 0.0  # the controller's result is not a node's
    progress.apply(HostResult("bundle", "localhost", "The bundle directory is given", "failed", "set bundle_dir"))
    progress.apply(PhaseFinished("bundle", False, {"deploy": "failed", "node1": "failed", "localhost": "failed"}))

    assert list(progress.hosts) == ["deploy", "node1"]
    assert [(f.host, f.message) for f in progress.failures] == [("localhost", "set bundle_dir")]
    assert progress.is_controller("localhost") and not progress.is_controller("node1")
