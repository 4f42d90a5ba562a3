"""`aicloud tui [-f site.yaml]`: open the on-site wizard. Thin: the wizard lives in tui/."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("tui")
@click.option(
    "-f",
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Answer file (or a wizard draft) to open; without it the wizard starts at the welcome screen.",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh_CN"]),
    default=None,
    help="Language of the wizard (default: from LC_ALL / LC_MESSAGES / LANG; Ctrl+L switches).",
)
def tui(path: Path | None, lang: str | None) -> None:
    """Open the on-site wizard (a full-screen terminal UI; works at 80x24 and over a serial console)."""
    from tui.app import run

    run(path, locale=lang)
