"""The answer-file commands: init, validate, plan, render, releases, schema, completion."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from installer.cli.common import EXIT_INVALID, _load_or_exit, _print_json, err, file_option, out, output_option
from installer.content import EXAMPLES_DIR
from installer.errors import InvalidAnswerFile
from installer.release import available_releases, load_release


@click.command()
@file_option
@output_option
def validate(path: Path, output: str) -> None:
    """Check an answer file: every field and rule, all errors at once.

    Touches no host. Exit 0 when valid, 2 when not; each error names file, line, column
    and field.
    """
    loaded = _load_or_exit(path, output)
    site = loaded.site
    if output == "json":
        _print_json(
            {
                "valid": True,
                "file": str(path),
                "site": site.metadata.name,
                "release": site.release,
                "nodes": len(site.nodes),
                "errors": [],
            }
        )
    else:
        out.print(f"{path}: valid — site {site.metadata.name}, {len(site.nodes)} nodes, release {site.release}")


@click.command()
@file_option
@output_option
def plan(path: Path, output: str) -> None:
    """Show which phases run on which hosts, with component versions from the release."""
    from installer.plan import build_plan

    loaded = _load_or_exit(path, output)
    result = build_plan(loaded.site, loaded.release)
    if output == "json":
        _print_json(result.to_dict())
        return
    table = Table(title=f"Plan for site {result.site}, release {result.release}", title_justify="left")
    # Never cut an identifier (host names, versions): a narrow terminal folds them instead.
    table.add_column("#", justify="right")
    table.add_column("phase", overflow="fold")
    table.add_column("hosts", overflow="fold")
    table.add_column("components", overflow="fold")
    for number, phase in enumerate(result.phases, 1):
        if phase.runs and phase.no_playbook:
            hosts = ", ".join(phase.hosts)
            table.add_row(str(number), phase.phase, f"{hosts} [yellow](no playbook yet: install stops here)[/]", "")
        elif phase.runs:
            hosts = ", ".join(phase.hosts)
            components = ", ".join(f"{c.name} {c.version}" for c in phase.components) or "-"
            table.add_row(str(number), phase.phase, hosts, components)
        else:
            table.add_row(str(number), f"[dim]{phase.phase}[/]", f"[dim]skipped: {phase.skip_reason}[/]", "")
    out.print(table)


@click.command()
@file_option
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write inventory.yml, group_vars/ and host_vars/ into.",
)
@output_option
def render(path: Path, out_dir: Path, output: str) -> None:
    """Write the Ansible inventory and variables derived from the answer file.

    Secrets stay references: they become Ansible lookups resolved at run time.
    """
    from installer.render import render as render_site

    loaded = _load_or_exit(path, output)
    files = render_site(loaded.site, loaded.release, out_dir, base=loaded.base_dir, source=str(path))
    if output == "json":
        _print_json({"files": [str(f) for f in files]})
    else:
        out.print(f"wrote {len(files)} files to {out_dir}/ (inventory.yml, group_vars/, host_vars/)")


@click.command()
@output_option
def releases(output: str) -> None:
    """List the releases this installer can install."""
    rows = []
    problems = []
    for version in available_releases():
        try:
            release = load_release(version)
        except InvalidAnswerFile as exc:
            problems.extend(str(e) for e in exc.errors)
            continue
        rows.append(
            {
                "version": release.version,
                "date": release.date,
                "kubernetes": release.kubernetes_version,
                "os": release.os,
                "accelerators": [v.value for v in release.accelerators],
                "phases": release.phases,
                "unpinned": [{"component": name, **item.model_dump()} for name, item in release.unpinned],
                "summary": release.summary,
            }
        )
    if output == "json":
        _print_json({"releases": rows, "errors": problems})
    else:
        table = Table()
        for column in ("release", "date", "kubernetes", "OS", "accelerators", "not yet pinned"):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(
                row["version"],
                row["date"],
                row["kubernetes"] or "-",
                ", ".join(row["os"]),
                ", ".join(row["accelerators"]) or "-",
                str(len(row["unpinned"])),
            )
        out.print(table)
        for problem in problems:
            err.print(problem, markup=False)
    if problems:
        sys.exit(EXIT_INVALID)


@click.command()
@click.option("--markdown", is_flag=True, help="The Markdown reference (docs/answer-file.md) instead.")
def schema(markdown: bool) -> None:
    """Print the JSON Schema of the answer file (for editors and CI)."""
    from installer.reference import answer_file_reference, site_schema_text

    click.echo(answer_file_reference() if markdown else site_schema_text(), nl=False)


@click.command()
@click.option(
    "-o",
    "--out",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write; default: print to standard output.",
)
@click.option(
    "--example",
    type=click.Choice(["starter", "lab", "single-gpu", "roce-4node", "ib-8node-ha"]),
    default="starter",
    show_default=True,
    help="What to start from.",
)
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
def init(target: Path | None, example: str, force: bool) -> None:
    """Write a commented answer file to start from."""
    from installer.starter import starter_text

    text = starter_text() if example == "starter" else (EXAMPLES_DIR / f"{example}.yaml").read_text()
    if target is None:
        click.echo(text, nl=False)
        return
    if target.exists() and not force:
        err.print(f"{target} exists; use --force to overwrite it.")
        sys.exit(EXIT_INVALID)
    target.write_text(text)
    out.print(f"wrote {target}; fill in the nodes, then: aicloud validate -f {target}")


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script, e.g. `eval "$(aicloud completion bash)"`."""
    from click.shell_completion import get_completion_class

    from installer.cli import main

    cls = get_completion_class(shell)
    click.echo(cls(main, {}, "aicloud", "_AICLOUD_COMPLETE").source())
