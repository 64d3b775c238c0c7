"""The runner's buffered appends (store.append_line): a row is in the file before the task that
wrote it waits for anything, and a write that fails later (a full disk) stops the run at the next row."""

from __future__ import annotations

import asyncio
import errno
from pathlib import Path

import pytest

from judgekit.store import RunStore


def _lines(store: RunStore) -> list[bytes]:
    return store.judgments_path.read_bytes().splitlines() if store.judgments_path.exists() else []


def test_rows_reach_the_file_when_the_writer_yields(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    seen: list[int] = []

    async def writer() -> None:
        for i in range(5):
            store.append_line(b'{"i": %d}' % i)
        await asyncio.sleep(0)  # the task waits (for a backend, say): everything it wrote is in the file
        seen.append(len(_lines(store)))
        store.append_line(b'{"i": 5}')
        await asyncio.sleep(0)
        seen.append(len(_lines(store)))

    asyncio.run(writer())
    assert seen == [5, 6]
    store.close()
    assert _lines(store) == [b'{"i": %d}' % i for i in range(6)]


def test_without_an_event_loop_each_row_is_written_at_once(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.append_line(b'{"i": 0}')
    assert _lines(store) == [b'{"i": 0}']
    store.close()


class _FullDisk:
    """A file whose flush fails, as on a full disk."""

    def __init__(self, real: object) -> None:
        self.real = real

    def write(self, b: bytes) -> int:
        return len(b)

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def fileno(self) -> int:
        return self.real.fileno()  # type: ignore[attr-defined]

    def close(self) -> None:
        self.real.close()  # type: ignore[attr-defined]


def test_a_failed_deferred_flush_stops_the_next_append_and_close_raises(tmp_path: Path) -> None:
    store = RunStore(tmp_path)

    async def writer() -> None:
        store.append_line(b'{"i": 0}')
        store._fh = _FullDisk(store._fh)  # type: ignore[assignment]
        store.append_line(b'{"i": 1}')  # buffered; the flush after the yield fails
        await asyncio.sleep(0)
        store.append_line(b'{"i": 2}')

    with pytest.raises(OSError, match="No space left"):
        asyncio.run(writer())
    with pytest.raises(OSError, match="No space left"):
        store.close()  # what is still buffered cannot be written either: said, not swallowed
    store.close()  # closed once: nothing left to do
