"""`aicloud`: the command line face of the engine. Thin: it asks installer/ and shows answers.

Bare `aicloud` on a terminal opens the on-site wizard. Subcommands are imported only when
used, so the wizard and quick commands start fast.

Exit codes: 0 success; 1 a check failed or the environment is missing something;
2 invalid input (answer file, options); 130 interrupted.
"""

from __future__ import annotations

import importlib
import sys

import click

#: command name -> "module:attribute" of its click command
COMMANDS = {
    "init": "installer.cli.site:init",
    "validate": "installer.cli.site:validate",
    "plan": "installer.cli.site:plan",
    "render": "installer.cli.site:render",
    "releases": "installer.cli.site:releases",
    "schema": "installer.cli.site:schema",
    "completion": "installer.cli.site:completion",
    "discover": "installer.cli.discover:discover",
    "preflight": "installer.cli.discover:preflight",
    "install": "installer.cli.install:install_command",
    "bundle": "installer.cli.bundle:bundle",
    "lab": "installer.cli.lab:lab",
    "tui": "installer.cli.tui:tui",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        return getattr(importlib.import_module(module), attribute)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="aicloud", prog_name="aicloud")
@click.pass_context
def main(ctx: click.Context) -> None:
    """aicloud turns bare-metal GPU servers into a private AI cloud, on site, offline.

    \b
    Start here:
      aicloud                          the on-site wizard (on a terminal)
      aicloud init -o site.yaml        write a commented answer file to fill in
      aicloud validate -f site.yaml    check it (touches no host)
      aicloud plan -f site.yaml        see what would be installed where
      aicloud install -f site.yaml     install it
    """
    if ctx.invoked_subcommand is not None:
        return
    if sys.stdin.isatty() and sys.stdout.isatty():
        ctx.invoke(main.get_command(ctx, "tui"))
    else:
        click.echo(ctx.get_help())
