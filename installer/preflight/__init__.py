"""Preflight: the answer file checked against what discovery found, before anything is changed.

A check is a plain function `(site, discovery) -> list[Finding]`, registered with `@check`
under its own name; a check named in the output is the function of that name in
`installer/preflight/checks.py`. Checks never print: the faces decide how findings look.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from installer.discovery.model import Discovery
from installer.site.model import Site
from installer.state import write_atomic

Severity = Literal["pass", "warn", "fail"]
SEVERITY_ORDER = {"fail": 0, "warn": 1, "pass": 2}


@dataclass(frozen=True)
class Finding:
    host: str  # a node name, or "site" for checks across hosts
    check: str  # the name of the function that made it
    severity: Severity
    found: str  # what is true now, in words a field engineer uses
    remedy: str = ""  # what to do about it; empty for a pass

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


Check = Callable[[Site, Discovery], list[Finding]]
CHECKS: dict[str, Check] = {}


def check(function: Check) -> Check:
    """Register a preflight check under its function name."""
    CHECKS[function.__name__] = function
    return function


@dataclass(frozen=True)
class PreflightResult:
    site: str
    run_id: str
    run_dir: str
    findings: tuple[Finding, ...]

    @property
    def failed(self) -> bool:
        return any(f.severity == "fail" for f in self.findings)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def to_dict(self) -> dict[str, object]:
        return {
            "site": self.site,
            "run_id": self.run_id,
            "run_dir": self.run_dir,
            "passed": not self.failed,
            "counts": {s: self.count(s) for s in ("fail", "warn", "pass")},
            "findings": [f.to_dict() for f in self.findings],
        }


def run_checks(site: Site, discovery: Discovery, only: list[str] | None = None) -> list[Finding]:
    """Every registered check (or those named in `only`), findings sorted fail, warn, pass."""
    findings: list[Finding] = []
    for name, function in CHECKS.items():
        if only is None or name in only:
            findings.extend(function(site, discovery))
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.host, f.check))


def preflight(site: Site, discovery: Discovery) -> PreflightResult:
    """Run the checks and write `preflight.json` next to `discovery.json` in the run directory."""
    result = PreflightResult(
        site.metadata.name, discovery.run_id, discovery.run_dir, tuple(run_checks(site, discovery))
    )
    write_atomic(Path(discovery.run_dir) / "preflight.json", json.dumps(result.to_dict(), indent=2) + "\n")
    return result


# The checks register themselves on import; they need `check` and `Finding` defined above.
from installer.preflight import checks as _checks  # noqa: E402, F401

__all__ = ["CHECKS", "Finding", "PreflightResult", "Severity", "check", "preflight", "run_checks"]
