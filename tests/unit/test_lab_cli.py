"""`aicloud lab` face: engine errors become one line on stderr and exit 1; status has JSON output."""

import json

from click.testing import CliRunner

from installer import lab as engine
from installer.cli.lab import lab
from installer.lab import HostStatus, LabStatus, MissingPrerequisite


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:  # click >= 8.2 keeps stderr apart by default
        return CliRunner()


def test_missing_podman_is_one_line_on_stderr_with_exit_1(monkeypatch):
    def fail(*args, **kwargs):
        raise MissingPrerequisite("missing podman, runc", ("podman", "runc"))

    monkeypatch.setattr(engine, "up", fail)
    result = _runner().invoke(lab, ["up", "--nodes", "2", "--name", "t1"])
    assert result.exit_code == 1
    assert result.stderr == "aicloud lab: missing podman, runc; install it with: apt-get install -y podman runc\n"
    assert "Traceback" not in result.output


def test_bad_lab_name_is_one_line_with_exit_1():
    result = _runner().invoke(lab, ["up", "--name", "Not_A_Label"])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "lower-case letters" in result.stderr


def test_nodes_out_of_range_is_a_usage_error():
    result = _runner().invoke(lab, ["up", "--nodes", "0"])
    assert result.exit_code == 2


def test_status_json_is_the_typed_status(monkeypatch):
    labs = [
        LabStatus(
            "t1",
            "aicloud-lab-t1",
            "10.89.10.0/24",
            "/x/lab/t1",
            (HostStatus("t1-deploy", "deploy", "10.89.10.10", "running"),),
        )
    ]
    monkeypatch.setattr(engine, "status", lambda: labs)
    result = _runner().invoke(lab, ["status", "--output", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data[0]["name"] == "t1" and data[0]["hosts"][0] == {
        "name": "t1-deploy",
        "role": "deploy",
        "address": "10.89.10.10",
        "state": "running",
    }


def test_stop_passes_the_short_host_name_and_lab(monkeypatch):
    seen = {}

    def stop(host, name):
        seen.update(host=host, name=name)
        return HostStatus("t1-node2", "node", "10.89.10.12", "exited")

    monkeypatch.setattr(engine, "stop_host", stop)
    result = _runner().invoke(lab, ["stop", "node2", "--name", "t1"])
    assert result.exit_code == 0 and seen == {"host": "node2", "name": "t1"}
    assert "t1-node2 is exited" in result.stdout


def test_status_of_a_stale_lab_says_it_and_what_to_run(monkeypatch):
    stale = LabStatus("t2", "aicloud-lab-t2", "10.89.11.0/24", None, (), ("t2-node1-containerd",), stale=True)
    seen = {}

    def status(name=None):
        seen["name"] = name
        return [stale]

    monkeypatch.setattr(engine, "status", status)
    result = _runner().invoke(lab, ["status", "--name", "t2"])
    assert result.exit_code == 0 and seen == {"name": "t2"}
    assert result.stdout == (
        "t2: stale, no hosts; left: network aicloud-lab-t2 (10.89.11.0/24), 1 volume(s); "
        "remove with: aicloud lab down --name t2\n"
    )


def test_status_of_a_lab_that_does_not_exist_is_exit_1(monkeypatch):
    monkeypatch.setattr(engine, "status", lambda name=None: [])
    result = _runner().invoke(lab, ["status", "--name", "nope"])
    assert result.exit_code == 1 and "no lab nope" in result.stderr


def test_a_closed_output_stops_only_the_showing_not_up(monkeypatch):
    import installer.cli.lab as face

    events = []

    def up(name, nodes, *, login, on_event):
        for step in ("network", "start", "ready"):
            on_event(engine.LabEvent(step, step))
            events.append(step)
        raise SystemExit(0)  # the work is done; what `up` shows afterwards is not under test here

    def closed(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(engine, "up", up)
    monkeypatch.setattr(face.click, "echo", closed)
    result = _runner().invoke(lab, ["up", "--name", "t3", "--nodes", "1"])
    assert events == ["network", "start", "ready"]
    assert result.exit_code == 0, result.exception


def test_up_passes_the_login_user_and_sudo_mode(monkeypatch):
    seen = {}

    def up(name, nodes, *, login, on_event):
        seen["login"] = login
        raise engine.LabError("stop here")

    monkeypatch.setattr(engine, "up", up)
    result = _runner().invoke(lab, ["up", "--name", "t4", "--login-user", "ops", "--sudo", "password"])
    assert result.exit_code == 1
    assert (seen["login"].user, seen["login"].sudo) == ("ops", "password")
    bad = _runner().invoke(lab, ["up", "--name", "t4", "--login-user", "Bad User"])
    assert bad.exit_code == 1 and "login user" in bad.stderr
