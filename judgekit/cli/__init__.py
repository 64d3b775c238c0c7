"""The `judgekit` command. Each subcommand only parses options, builds a config and
calls the library."""

from __future__ import annotations

import logging
import sys

import click

from ..errors import JudgekitError
from .audit_cmd import audit_cmd
from .import_cmd import import_cmd
from .leaderboard_cmd import leaderboard_cmd
from .list_cmd import list_cmd
from .report_cmd import report_cmd
from .run_cmd import run_cmd
from .score_cmd import score_cmd
from .validate_cmd import validate_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """judgekit: measure LLM judges."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


cli.add_command(run_cmd)
cli.add_command(score_cmd)
cli.add_command(list_cmd)
cli.add_command(import_cmd)
cli.add_command(leaderboard_cmd)
cli.add_command(validate_cmd)
cli.add_command(report_cmd)
cli.add_command(audit_cmd)


def main() -> None:
    try:
        cli(standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):  # click turns Ctrl-C into Abort
        click.echo("Interrupted. Finished judgments are saved; rerun the same command to resume.",
                   err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except JudgekitError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(2)


__all__ = ["cli", "main"]
