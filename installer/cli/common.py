"""What the faces' commands share: output consoles, common options, loading an answer file."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from rich.console import Console

from installer.errors import InvalidAnswerFile
from installer.site import LoadedSite, load_site

# The exit codes of every command, in one place. Engine runs end with an outcome; only the
# CLI turns it into a code.
EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_FOR_OUTCOME = {
    "succeeded": EXIT_OK,
    "failed": EXIT_FAILED,
    "refused": EXIT_INVALID,
    "interrupted": EXIT_INTERRUPTED,
}


class _Console(Console):
    """A console whose reader may go away (`aicloud install ... | head -3`). rich's default
    answer to a closed pipe is SystemExit(1), which in the middle of a run killed the run;
    here the rest of the output goes to /dev/null and the work goes on, its exit code its own."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        _reader_gone(self)


out = _Console(highlight=False, soft_wrap=True)
err = _Console(stderr=True, highlight=False, soft_wrap=True)

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


def _reader_gone(console: Console) -> None:
    """The reader of `console` went away (`aicloud ... | head`): send the rest of its output to
    /dev/null, so neither the work nor the interpreter's last flush stops on it."""
    try:
        fd = console.file.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def say(console: Console, text: str, **kwargs: object) -> None:
    """Print plain text (never rich markup: user and engine text may hold `[`, `:name:`); an
    output that is gone is no reason to stop."""
    kwargs.setdefault("markup", False)
    kwargs.setdefault("emoji", False)
    kwargs.setdefault("highlight", False)
    try:
        console.print(text, **kwargs)  # type: ignore[arg-type]
    except BrokenPipeError:  # a plain Console (ours handle it themselves)
        _reader_gone(console)


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
