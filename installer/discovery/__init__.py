"""Discovery: what is really in each host, read over SSH through pyinfra, read-only.

`discover(loaded_site)` returns a `Discovery` (one `NodeFacts` per reachable host, a
`HostError` per unreachable one) and writes it to the site's run directory. The facts live
in `facts.py`, the typed results in `model.py`, host keys in `hostkeys.py`. See docs/discovery.md.
"""

from installer.discovery.model import (
    Accelerator,
    Discovery,
    HostError,
    HostKeyEvent,
    Nic,
    NodeFacts,
    RdmaDevice,
    RdmaPort,
)
from installer.discovery.runner import DiscoveryError, discover, known_hosts_path, read_fact, run_dir

__all__ = [
    "Accelerator",
    "Discovery",
    "DiscoveryError",
    "HostError",
    "HostKeyEvent",
    "Nic",
    "NodeFacts",
    "RdmaDevice",
    "RdmaPort",
    "discover",
    "known_hosts_path",
    "read_fact",
    "run_dir",
]
