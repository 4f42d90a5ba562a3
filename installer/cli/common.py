"""What the faces' commands share: output consoles, common options, loading an answer file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console

from installer.errors import InvalidAnswerFile
from installer.site import LoadedSite, load_site

EXIT_INVALID = 2

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

output_option = click.option(
    "--output",
    "-o",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts.",
)
file_option = click.option(
    "-f",
    "--file",
    "path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The answer file (site.yaml).",
)


def _print_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _load_or_exit(path: Path, output: str) -> LoadedSite:
    """Load an answer file; on any error show them all and exit 2. Touches no host."""
    try:
        return load_site(path)
    except InvalidAnswerFile as exc:
        if output == "json":
            _print_json({"valid": False, "file": str(path), "errors": [e.to_dict() for e in exc.errors]})
        else:
            for error in exc.errors:
                err.print(str(error), markup=False)
            count = len(exc.errors)
            err.print(f"{path}: {count} error{'s' if count != 1 else ''}; nothing was changed on any host.")
        sys.exit(EXIT_INVALID)
