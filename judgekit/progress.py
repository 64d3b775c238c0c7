"""Progress display: a rich live bar with rate, ETA and the invalid count, or nothing."""

from __future__ import annotations

import time
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as _RichProgress
from rich.table import Column
from rich.text import Text


class Progress(Protocol):
    def start(self, total: int, completed: int, invalid: int, description: str) -> None: ...
    def advance(self, *, invalid: bool, failed: bool) -> None: ...
    def stop(self) -> None: ...


class NullProgress:
    def start(self, total: int, completed: int, invalid: int, description: str) -> None:
        pass

    def advance(self, *, invalid: bool, failed: bool) -> None:
        pass

    def stop(self) -> None:
        pass


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f}/s" if speed else "-/s", style="progress.data.speed")


class _EtaColumn(TimeRemainingColumn):
    def render(self, task: Task) -> Text:
        return Text("eta ") + super().render(task)


class _CountsColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"invalid {task.fields.get('invalid', 0)} failed {task.fields.get('failed', 0)}")


_MIN_BAR = 10


def columns(width: int, total: int = 0) -> tuple[ProgressColumn, ...]:
    """The bar's columns for a terminal ``width`` wide and ``total`` requests: the counts, rate,
    elapsed time and ETA always whole, a bar of at least 10 characters; the description (suite,
    split and judge, already printed above the bar) only where there is room for it."""
    d = len(str(max(total, 1)))
    fixed = (2 * d + 1) + len("1,234.5/s") + len("0:00:00") + len("eta 0:00:00") + len(f"invalid {'9' * d} failed {'9' * d}")
    room = width - fixed - 6 - 1  # the spaces between those six columns, and one before them
    tail = (BarColumn(bar_width=None), MofNCompleteColumn(), _RateColumn(), TimeElapsedColumn(), _EtaColumn(),
            _CountsColumn())
    if room >= 20 + 1 + 2 * _MIN_BAR:
        desc = min(40, room - 2 * _MIN_BAR - 1)
        return (TextColumn("[bold]{task.description}",
                           table_column=Column(width=desc, no_wrap=True, overflow="ellipsis")),
                BarColumn(bar_width=room - desc - 1), *tail[1:])
    return (BarColumn(bar_width=max(_MIN_BAR, room)), *tail[1:])


UPDATE_EVERY_S = 0.05  # the bar's counts are handed to rich at most this often (it redraws 10 times a second)


class RichProgress:
    """A live bar on stderr; refreshes at most 10 times a second, whatever the rate. Judgments
    are counted here and handed to rich at most every :data:`UPDATE_EVERY_S` seconds: rich's
    own update costs about 10 us, as much as judgekit's whole pipeline spends on a judgment."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._bar: _RichProgress | None = None
        self._task: TaskID | None = None
        self.invalid = 0
        self.failed = 0
        self._pending = 0  # judgments counted here, not yet handed to rich
        self._due = 0.0  # when they are next handed over

    def start(self, total: int, completed: int, invalid: int, description: str) -> None:
        self.invalid = invalid
        self._bar = _RichProgress(*columns(self.console.width, total), console=self.console, refresh_per_second=10,
                                  transient=False, expand=False)
        self._bar.start()
        self._task = self._bar.add_task(description, total=total, completed=completed,
                                         invalid=invalid, failed=0)

    def advance(self, *, invalid: bool, failed: bool) -> None:
        if self._bar is None or self._task is None:
            return
        self.invalid += invalid and not failed
        self.failed += failed
        self._pending += 1
        now = time.monotonic()
        if now >= self._due:
            self._hand_over(now)

    def _hand_over(self, now: float) -> None:
        if self._bar is not None and self._task is not None and self._pending:
            self._bar.update(self._task, advance=self._pending, invalid=self.invalid, failed=self.failed)
        self._pending = 0
        self._due = now + UPDATE_EVERY_S

    def stop(self) -> None:
        if self._bar is not None:
            self._hand_over(time.monotonic())  # the last counts are on the bar it leaves
            self._bar.stop()
            self._bar = None
