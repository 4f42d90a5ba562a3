"""The install screen's model: events folded into phases, hosts and log lines, none dropped."""

from __future__ import annotations

from installer.events import HostResult, PhaseFinished, PhaseStarted, PhaseVerified, RunFinished, RunStarted
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
