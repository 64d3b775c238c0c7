"""The `judgekit` command. Each subcommand only parses options, builds a config and
calls the library."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
from types import FrameType

import click

from .. import __version__
from ..errors import DISTRIBUTION, JudgekitError
from ..redact import install_log_filter, redact_text
from .audit_cmd import audit_cmd
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
    install_log_filter()


cli.add_command(run_cmd)
cli.add_command(score_cmd)
cli.add_command(list_cmd)
cli.add_command(import_cmd)
cli.add_command(leaderboard_cmd)
cli.add_command(validate_cmd)
cli.add_command(report_cmd)
cli.add_command(audit_cmd)


_terminated = False


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM takes Ctrl-C's path (asyncio cancels the run, which closes files, the cache and the
    backend and records the timing), then main() says so and exits 143."""
    global _terminated
    _terminated = True
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)
    else:
        raise KeyboardInterrupt


def main() -> None:
    with contextlib.suppress(ValueError):  # not in the main thread: leave SIGTERM alone
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        cli(standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):  # click turns Ctrl-C into Abort
        what = "Terminated (SIGTERM)" if _terminated else "Interrupted"
        click.echo(f"{what}. Finished judgments are saved; rerun the same command to resume.", err=True)
        sys.exit(143 if _terminated else 130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except JudgekitError as exc:
        click.secho(f"error: {redact_text(str(exc))}", fg="red", err=True)
        sys.exit(2)
    except OSError as exc:  # a path too long, a folder not writable, a full disk: no traceback
        name = str(exc.filename or "")
        if len(name) > 120:
            name = f"{name[:60]}...{name[-40:]} ({len(name)} characters)"
        click.secho(f"error: {name + ': ' if name else ''}{exc.strerror or exc}", fg="red", err=True)
        sys.exit(2)


__all__ = ["cli", "main"]
