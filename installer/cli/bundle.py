"""`aicloud bundle build|verify|diff`: thin face over `installer.bundle` (progress bars with rich)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from installer import bundle as engine
from installer.errors import InvalidAnswerFile
from installer.release import OS_FAMILIES, available_releases, load_release

#: exit codes: 1 bundle incomplete or refused; 2 bad input (unknown release, bad BOM)
EXIT_REFUSED = 1
EXIT_INPUT = 2


class _Bars:
    """Turns engine events into rich progress bars (stderr), one per step."""

    def __init__(self, console: Console, enabled: bool):
        self.progress = Progress(
            TextColumn("{task.description:<20}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[item]}", style="dim"),
            TimeElapsedColumn(),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self.bytes = Progress(
            TextColumn("{task.description:<20}"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not enabled,
        )
        self.tasks: dict[str, tuple[Progress, TaskID]] = {}
        self.console = console

    def __call__(self, event: engine.BundleEvent) -> None:
        if isinstance(event, engine.StepStarted):
            bar = self.bytes if event.unit == "bytes" else self.progress
            if event.step in self.tasks:
                old_bar, old = self.tasks.pop(event.step)
                old_bar.remove_task(old)
            self.tasks[event.step] = (bar, bar.add_task(event.step, total=event.total or None, item=""))
        elif isinstance(event, engine.StepProgress) and event.step in self.tasks:
            bar, task = self.tasks[event.step]
            bar.update(task, completed=event.done, total=event.total or None, item=event.item[-40:])
        elif isinstance(event, engine.StepFinished) and event.step in self.tasks:
            bar, task = self.tasks[event.step]
            total = bar.tasks[[t.id for t in bar.tasks].index(task)].total or 1
            bar.update(task, completed=total, item=event.summary)
        elif isinstance(event, engine.ArtifactMissed):
            self.console.print(f"[yellow]missing[/] {event.artifact.kind} {event.artifact.ref}", highlight=False)

    def __enter__(self) -> _Bars:
        self.progress.start()
        self.bytes.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()
        self.bytes.stop()


def _fail(message: str, code: int) -> None:
    click.echo(f"aicloud bundle: {message}", err=True)
    sys.exit(code)


@click.group()
def bundle() -> None:
    """Build, verify and compare offline bundles."""


@bundle.command()
@click.option("--release", "version", required=True, help="Release version (see `aicloud releases`).")
@click.option(
    "--os",
    "os_families",
    multiple=True,
    required=True,
    type=click.Choice(OS_FAMILIES),
    help="OS family to carry packages for (repeatable).",
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Bundle directory.")
@click.option(
    "--from-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Directory with binaries, charts and an OCI layout `images/` to take artifacts from.",
)
@click.option("--offline", is_flag=True, help="Do not try upstream URLs or registries (OS mirrors still used).")
@click.option("--no-packages", is_flag=True, help="Do not fetch OS packages (they are listed as missing).")
@click.option("--mirror", help="apt mirror URL for the OS family (default: the distribution's).")
@click.option("--output", type=click.Choice(["text", "json"]), default="text")
def build(
    version: str,
    os_families: tuple[str, ...],
    out: Path,
    from_dir: Path | None,
    offline: bool,
    no_packages: bool,
    mirror: str | None,
    output: str,
) -> None:
    """Build or update the bundle of a release in OUT (incremental)."""
    try:
        release = load_release(version)
    except LookupError:
        _fail(f"no release {version!r}; known: {', '.join(available_releases())}", EXIT_INPUT)
    except InvalidAnswerFile as exc:
        _fail(str(exc).splitlines()[0], EXIT_INPUT)
    opts = engine.BuildOptions(
        out=out,
        os_families=list(os_families),
        from_dir=from_dir,
        online=not offline,
        packages=not no_packages,
        mirror=mirror,
    )
    console = Console(stderr=True)
    try:
        with _Bars(console, output == "text" and console.is_terminal) as bars:
            result = engine.build(release, opts, bars)
    except engine.BundleError as exc:
        _fail(str(exc), EXIT_REFUSED)
    manifest = result.manifest
    if output == "json":
        click.echo(
            json.dumps(
                {
                    "out": str(result.out),
                    "complete": result.complete,
                    "size": result.size,
                    "reused": result.reused,
                    "fetched": result.fetched,
                    "key_fingerprint": manifest.key_fingerprint,
                    "notes": result.notes,
                    "missing": [asdict(m) for m in manifest.missing],
                },
                indent=1,
            )
        )
    else:
        click.echo(
            f"bundle {result.out}: release {manifest.release}, {len(manifest.files)} files, "
            f"{result.size / 1e6:.1f} MB ({result.fetched} fetched, {result.reused} reused)"
        )
        click.echo(f"signed by key {manifest.key_fingerprint}")
        for note in result.notes:
            click.echo(f"note: {note}")
        if manifest.missing:
            click.echo(f"INCOMPLETE: {len(manifest.missing)} artifacts could not be fetched:")
            for item in manifest.missing:
                click.echo(f"  - {item.kind} {item.ref}\n      pinned at {item.pinned_at}\n      {item.reason}")
    if not result.complete:
        sys.exit(EXIT_REFUSED)


@bundle.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--fingerprint", help="Refuse unless the bundle is signed by this key (from the build's output).")
@click.option("--quiet", is_flag=True, help="Print only problems.")
def verify(directory: Path, fingerprint: str | None, quiet: bool) -> None:
    """Check every checksum and signature of the bundle in DIRECTORY."""
    console = Console(stderr=True)
    try:
        with _Bars(console, not quiet and console.is_terminal) as bars:
            result = engine.verify(directory, fingerprint=fingerprint, on_event=bars)
    except engine.BundleError as exc:
        _fail(str(exc), EXIT_REFUSED)
    if not result.ok:
        for problem in result.problems:
            click.echo(f"refused: {problem}", err=True)
        sys.exit(EXIT_REFUSED)
    if not quiet:
        m = result.manifest
        assert m is not None
        click.echo(
            f"ok: {directory}: release {m.release}, {result.files} files, {result.bytes / 1e6:.1f} MB, "
            f"signed by {m.key_fingerprint}"
        )


@bundle.command()
@click.argument("old")
@click.argument("new")
@click.option("--files", "show_files", is_flag=True, help="Also list changed files (bundles only).")
@click.option("--output", type=click.Choice(["text", "json"]), default="text")
def diff(old: str, new: str, show_files: bool, output: str) -> None:
    """What changed from OLD to NEW (each a bundle directory or a release version)."""
    try:
        result = engine.diff(old, new)
    except LookupError as exc:
        _fail(f"{exc.args[0]!r} is neither a bundle directory nor a release", EXIT_INPUT)
    except (engine.BundleError, InvalidAnswerFile) as exc:
        _fail(str(exc).splitlines()[0], EXIT_INPUT)
    changes = [c for c in result.changes if show_files or c.section != "file"]
    if output == "json":
        click.echo(
            json.dumps({"old": result.old, "new": result.new, "changes": [asdict(c) for c in changes]}, indent=1)
        )
        return
    click.echo(f"{result.old} -> {result.new}")
    if not changes:
        click.echo("no changes")
    mark = {"added": "+", "removed": "-", "changed": "~"}
    for c in changes:
        detail = {"added": c.new, "removed": c.old, "changed": f"{c.old} -> {c.new}"}[c.kind]
        click.echo(f"  {mark[c.kind]} {c.section:<9} {c.name}  {detail}")
    hidden = len(result.of("file")) if not show_files else 0
    if hidden:
        click.echo(f"  ({hidden} files differ; --files lists them)")


if __name__ == "__main__":
    bundle()
