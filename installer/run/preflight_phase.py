"""The `preflight` phase of an install: discovery and preflight checks (pyinfra), not Ansible.

Findings become host results: a failing check fails its host (a site-wide one fails every
host), warnings are shown and do not stop the install.
"""

from __future__ import annotations

from collections.abc import Callable

from installer.events import Event, HostResult
from installer.site.load import LoadedSite


def run_preflight_phase(
    loaded: LoadedSite, hosts: list[str], run_id: str, emit: Callable[[Event], None]
) -> tuple[dict[str, str], dict[str, str]]:
    from installer.discovery import discover
    from installer.preflight import preflight

    discovery = discover(loaded, run_id=run_id)
    result = preflight(loaded.site, discovery)
    outcome = {host: "done" for host in hosts}
    messages: dict[str, str] = {}
    for finding in result.findings:
        targets = hosts if finding.host == "site" else [finding.host] if finding.host in outcome else []
        text = finding.found + (f"; {finding.remedy}" if finding.remedy else "")
        for host in targets:
            status = "failed" if finding.severity == "fail" else "ok"
            emit(HostResult("preflight", host, finding.check, status, text if finding.severity != "pass" else ""))
            if finding.severity == "fail":
                outcome[host] = "failed"
                messages[host] = "; ".join(filter(None, [messages.get(host), f"{finding.check}: {text}"]))
    return outcome, messages
