"""The `judgekit` command. Each subcommand only parses options, builds a config and
calls the library."""

from __future__ import annotations

import logging
import sys

import click

from .. import __version__
from ..errors import DISTRIBUTION, JudgekitError
from .import_cmd import import_cmd
from .leaderboard_cmd import leaderboard_cmd
from .list_cmd import list_cmd
from .report_cmd import report_cmd
from .run_cmd import run_cmd
from .score_cmd import score_cmd
from .validate_cmd import validate_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", package_name=DISTRIBUTION,
                      message=f"judgekit %(version)s (distribution {DISTRIBUTION})")
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """judgekit: measure LLM judges.

    \b
    Examples (offline, from a checkout with ../shared/data beside it):
      judgekit list
      judgekit run --suite judgebench --limit 20 --data ../shared/data
      judgekit run --suite pandalm --data ../shared/data --judge mock:1 --template pandalm
      judgekit import pandalm ../shared/data/pandalm/gpt-3.5-turbo-testset-v1.json --data ../shared/data
      judgekit leaderboard results --suite judgebench --data ../shared/data --out results/leaderboards

    `judgekit COMMAND --help` shows each command's options and examples.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


cli.add_command(run_cmd)
cli.add_command(score_cmd)
cli.add_command(list_cmd)
cli.add_command(import_cmd)
cli.add_command(leaderboard_cmd)
cli.add_command(validate_cmd)
cli.add_command(report_cmd)


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
