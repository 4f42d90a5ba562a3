"""Load an answer file: read, parse with positions, validate fields, then the rules.

Nothing here touches a host. Every problem found is raised at once in one
`InvalidAnswerFile`, each error with file, line, column and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from installer.errors import InvalidAnswerFile
from installer.release import Release, available_releases, load_release
from installer.site.model import Site
from installer.site.rules import check_rules
from installer.validation import validate_document
from installer.yamlpos import YamlDocument, load_yaml_file, parse_text


@dataclass(frozen=True)
class LoadedSite:
    site: Site
    release: Release
    document: YamlDocument

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths in the answer file are relative to."""
        return Path(self.document.path).resolve().parent


def load_site(path: Path | str) -> LoadedSite:
    return validate_site_document(load_yaml_file(path))


def load_site_text(text: str, name: str = "site.yaml") -> LoadedSite:
    return validate_site_document(parse_text(name, text))


def validate_site_document(doc: YamlDocument) -> LoadedSite:
    site = validate_document(doc, Site)
    try:
        release = load_release(site.release)
    except LookupError:
        known = ", ".join(available_releases()) or "none installed"
        raise InvalidAnswerFile(
            [doc.error(("release",), f"{site.release!r} is not a known release (known: {known})", "unknown_release")]
        ) from None
    errors = [doc.error(v.loc, v.message, v.code) for v in check_rules(site, release)]
    if errors:
        raise InvalidAnswerFile(errors)
    return LoadedSite(site, release, doc)
