"""The commented starter answer file `aicloud init` writes."""

from __future__ import annotations

from pathlib import Path

from installer.release import available_releases

TEMPLATE = Path(__file__).parent / "templates" / "site.yaml"


def default_release() -> str:
    """The newest full (non-lab) release, else the newest of any kind."""
    versions = available_releases()
    full = [v for v in versions if "lab" not in v]
    return (full or versions)[-1]


def starter_text(release: str | None = None) -> str:
    """The template with the newest release and the path of the JSON Schema for editors."""
    from installer.reference import SCHEMA_FILE

    return TEMPLATE.read_text().format(release=release or default_release(), schema=SCHEMA_FILE)
