"""The lab: a simulated air-gapped site on one machine (podman hosts booting systemd).

Engine only: no click, no rich. The faces call `up`, `down`, `status`, `stop_host` and
`start_host` and show the typed results; every failure is a `LabError` with a one-line message.
See docs/lab.md.
"""

from installer.lab.engine import (
    DownResult,
    HostStatus,
    LabEvent,
    LabPaths,
    LabStatus,
    UpResult,
    aicloud_home,
    down,
    lab_paths,
    start_host,
    status,
    stop_host,
    up,
)
from installer.lab.errors import CommandFailed, LabError, LabNotFound, MissingPrerequisite
from installer.lab.layout import DEFAULT_NAME, DEFAULT_NODES, InvalidLabName, LabSpec

__all__ = [
    "DEFAULT_NAME",
    "DEFAULT_NODES",
    "CommandFailed",
    "DownResult",
    "HostStatus",
    "InvalidLabName",
    "LabError",
    "LabEvent",
    "LabNotFound",
    "LabPaths",
    "LabSpec",
    "LabStatus",
    "MissingPrerequisite",
    "UpResult",
    "aicloud_home",
    "down",
    "lab_paths",
    "start_host",
    "status",
    "stop_host",
    "up",
]
