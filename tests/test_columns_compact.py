"""The compact columns of judgekit.columns (issue 10: 10 million judgments in 2 GB): request ids
held as 64-bit hashes (two ids with one hash stay two requests), example ids as codes into their
sorted distinct ids (numpy strings, or Python strings for ids numpy does not sort alike), floats as
float32 only where exact, and what a row costs in memory."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from judgekit.columns import JudgmentColumns, _id_array, _latest_rows, read_columns, token_sum
from judgekit.store import JUDGMENTS, read_judgments
from judgekit.types import Judgment

from .test_columns import _write, check_columns


def _reference_latest(ids: list[str]) -> list[int]:
    """read_judgments' rule: the latest row of each request, in the order of its first row."""
    latest: dict[str, int] = {}
    for i, rid in enumerate(ids):
        latest[rid] = i
    return list(latest.values())


@pytest.mark.parametrize("seed", range(8))
def test_latest_rows_with_colliding_hashes(seed: int) -> None:
    """Hashes forced to collide (a few values for many ids): the ids read back tell the requests
    apart, and the rows kept are read_judgments'."""
    rng = random.Random(seed)
    ids = [f"r{rng.randrange(40)}" for _ in range(300)]
    fake = {rid: rng.randrange(5) for rid in set(ids)}  # 40 ids on 5 hash values
    hashes = np.asarray([fake[r] for r in ids], dtype=np.int64)
    asked: list[int] = []

    def ids_at(idx: np.ndarray) -> list[str]:
        asked.extend(idx.tolist())
        return [ids[i] for i in idx.tolist()]

    keep = _latest_rows(hashes, ids_at)
    assert keep is not None and keep.tolist() == _reference_latest(ids)
    assert asked  # the shared hashes were checked against the ids


def test_latest_rows_distinct_ids_on_one_hash_are_kept_apart() -> None:
    ids = ["a", "b", "a", "c"]
    keep = _latest_rows(np.asarray([7, 7, 7, 3], dtype=np.int64), lambda idx: [ids[i] for i in idx.tolist()])
    assert keep is not None and keep.tolist() == [2, 1, 3]


def test_latest_rows_without_repeats_reads_nothing_back() -> None:
    def ids_at(idx: np.ndarray) -> list[str]:
        raise AssertionError("no id should be read back")

    assert _latest_rows(np.asarray([4, 1, 9], dtype=np.int64), ids_at) is None


ODD_IDS = ["b", "a", "a\x00", "a\x00b", "\U0001f600", "\U0010ffff", "\uffff", "é", "Z", "", "a b", "10", "9"]


@pytest.mark.parametrize("ids", [ODD_IDS, [i for i in ODD_IDS if "\x00" not in i]])
def test_example_ids_sort_as_python_sorts_them(tmp_path: Path, ids: list[str]) -> None:
    """The example codes follow Python's order of the ids (numpy strings where they sort alike; a
    NUL character falls back to Python strings), and the grouping is by_example's."""
    rows = [Judgment(request_id=f"{ex}#{o}", example_id=ex, order=o, status="ok", shown_winner="A",
                     winner="A" if o == "AB" else "B", template_hash="t", label="A", category="c")
            for ex in ids for o in ("AB", "BA")]
    random.Random(0).shuffle(rows)
    path = _write(tmp_path / JUDGMENTS, rows)
    t = read_columns(path)
    assert t.example_names.tolist() == sorted(set(ids))
    assert t.example_names.dtype == (object if any("\x00" in i for i in ids) else np.dtypes.StringDType())
    check_columns(t, list(read_judgments(path).values()))
    ex = t.examples()
    assert [ex.ids[k] for k in range(len(ex))] == sorted(set(ids))
    for k in range(len(ex)):
        assert {t.example_id[i] for i in ex.group(k).tolist()} == {ex.ids[k]}


def test_id_array_keeps_lone_surrogates_as_python_strings() -> None:
    a = _id_array(["x", "\ud800y"])
    assert a.dtype == object and a.tolist() == ["x", "\ud800y"]


def test_floats_are_float32_only_where_exact(tmp_path: Path) -> None:
    rows = [Judgment(request_id=f"e{i}#AB", example_id=f"e{i}", order="AB", status="ok", shown_winner="A",
                     winner="A", template_hash="t", len_a=1000 + i, len_b=2**25 + 1 if i == 3 else 7,
                     p_a=0.1 * i if i else None, score=0.5)
            for i in range(6)]
    t = read_columns(_write(tmp_path / JUDGMENTS, rows))
    held = t._floats
    assert held["len_a"] is not None and held["len_a"].dtype == np.float32  # integers below 2**24: exact
    assert held["len_b"] is not None and held["len_b"].dtype == np.float64  # 2**25 + 1 is not a float32
    assert held["p_a"] is not None and held["p_a"].dtype == np.float64  # 0.1 is not a float32
    assert held["score"] is not None and held["score"].dtype == np.float32
    assert held["gold_score"] is None  # absent from every row: not held
    assert t.len_b.tolist() == [7, 7, 7, 2**25 + 1, 7, 7]
    assert t.p_a[1] == 0.1 and np.isnan(t.p_a[0]) and t.p_a.dtype == np.float64
    assert np.isnan(t.gold_score).all() and t.gold_score.shape == (6,)


def test_token_sums(tmp_path: Path) -> None:
    rows = [Judgment(request_id=f"e{i}#AB", example_id=f"e{i}", order="AB", status="ok", shown_winner="A",
                     winner="A", template_hash="t", prompt_tokens=[None, 5, 2**40, None][i],
                     completion_tokens=None)
            for i in range(4)]
    t = read_columns(_write(tmp_path / JUDGMENTS, rows))
    assert token_sum(t, "prompt_tokens") == 5 + 2**40 == token_sum(rows, "prompt_tokens")
    assert token_sum(t, "completion_tokens") is None is token_sum(rows, "completion_tokens")
    assert t.prompt_tokens == [None, 5, 2**40, None]
    m = JudgmentColumns.from_judgments(rows)
    assert token_sum(m, "prompt_tokens") == 5 + 2**40


def test_a_row_costs_under_64_bytes_held(tmp_path: Path) -> None:
    """What the columns hold per row (numpy arrays; the sorted distinct example ids included), on a
    run of two orders per pair with lengths and token counts: under 64 bytes (it was about 550 with
    Python strings for the ids and categories)."""
    rows = [Judgment(request_id=f"pair-{i}#{o}", example_id=f"pair-{i}", order=o, status="ok",
                     shown_winner="A", winner="A" if o == "AB" else "B", template_hash="t", label="A",
                     category=f"cat{i % 4}", len_a=600 + i % 7, len_b=590, prompt_tokens=400 + i % 9)
            for i in range(20_000) for o in ("AB", "BA")]
    t = read_columns(_write(tmp_path / JUDGMENTS, rows))
    arrays = [v for v in vars(t).values() if isinstance(v, np.ndarray)]
    arrays += [a for a in t._floats.values() if a is not None]
    arrays += [a for held in t._tokens.values() if held is not None for a in held]
    held = sum(a.nbytes for a in arrays)
    assert held / len(t) < 64, held / len(t)
    assert len(t) == 40_000 and t.example_names.dtype == np.dtypes.StringDType()
