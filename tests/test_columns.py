"""The columnar read path (judgekit.columns, judgekit.column_aggregations) against the object path
(read_judgments -> Judgment records -> the aggregations): the same rows in the same order, the same
errors for bad lines, and the same metrics.json, suite report and headline interval on stored runs of
every kind (imported JudgeBench, PandaLM, LLMBar and AlpacaEval files from the shared data, QA and
RewardBench 2 runs, and random rows for every published aggregation)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

from judgekit import JudgeConfig, RunConfig, run
from judgekit import columns as columns_mod
from judgekit.aggregations import aggregate
from judgekit.column_aggregations import COLUMN_AGGREGATIONS, aggregate_columns
from judgekit.columns import JudgmentColumns, _Row, read_columns
from judgekit.errors import DataError
from judgekit.importers import ImportOptions, import_run
from judgekit.manifest import require_manifest
from judgekit.metrics.pairwise import pairwise_metrics, pairwise_metrics_from_arrays
from judgekit.metrics.pairwise_arrays import LABEL_CODE, W_CODE
from judgekit.scoring import (
    headline_interval,
    headline_replicates,
    metrics_document,
    score_rows,
    suite_report,
)
from judgekit.store import JUDGMENTS, read_judgments
from judgekit.types import Judgment

from .conftest import output_files
from .test_headline_sums import CASES


def _write(path: Path, rows: list[Judgment]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for j in rows:
            f.write(j.model_dump_json(exclude_none=True) + "\n")
    return path


def _nan(x: float | None) -> float:
    return math.nan if x is None else float(x)


def check_columns(t: JudgmentColumns, rows: list[Judgment]) -> None:
    """Every column of ``t`` is the field of the records, row for row, and the rows read back are
    the records."""
    assert len(t) == len(rows)
    assert t.request_id == [j.request_id for j in rows]
    assert t.example_id == [j.example_id for j in rows]
    assert t.category == [j.category for j in rows]
    assert t.prompt_tokens == [j.prompt_tokens for j in rows]
    assert t.completion_tokens == [j.completion_tokens for j in rows]
    assert t.order.tolist() == [{"AB": 0, "BA": 1}[j.order] for j in rows]
    assert t.sample.tolist() == [j.sample for j in rows]
    assert t.label.tolist() == [LABEL_CODE[j.label] for j in rows]
    assert t.ok.tolist() == [j.status == "ok" for j in rows]
    assert t.winner.tolist() == [W_CODE[j.winner] for j in rows]
    assert t.shown.tolist() == [W_CODE[j.shown_winner] for j in rows]
    for name in ("p_a", "len_a", "len_b", "score", "gold_score"):
        np.testing.assert_array_equal(getattr(t, name), np.asarray([_nan(getattr(j, name)) for j in rows]))
    assert [repr(j) for j in t.judgments()] == [repr(j) for j in rows]  # repr: NaN equals NaN


# --------------------------------------------------------------------------- the struct


def test_the_msgspec_struct_has_judgments_fields_and_defaults() -> None:
    """_Row mirrors Judgment field for field (a field added to one and not the other fails here)."""
    info = msgspec.inspect.type_info(_Row)
    fields = {f.name: f for f in info.fields}  # type: ignore[attr-defined]
    assert list(fields) == [n for n in _Row.__struct_fields__]
    assert set(fields) == set(Judgment.model_fields)
    for name, f in Judgment.model_fields.items():
        assert fields[name].required == f.is_required(), name
        if not f.is_required():
            assert fields[name].default == f.default, name
    assert info.forbid_unknown_fields  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- bad and odd lines

GOOD = {"request_id": "e1#AB", "example_id": "e1", "order": "AB", "status": "ok", "shown_winner": "A",
        "winner": "A", "template_hash": "t", "label": "A", "category": "c"}


def _line(**changes: Any) -> bytes:
    row = {**GOOD, **changes}
    return json.dumps({k: v for k, v in row.items() if v is not ...}).encode() + b"\n"


def _second(**changes: Any) -> bytes:
    return _line(request_id="e2#AB", example_id="e2", **changes)


ODD_FILES: dict[str, bytes] = {
    "plain": _line() + _second(),
    "blank and padded lines": b"\n" + _line() + b"   \n\t\n" + b"  " + _second().rstrip(b"\n") + b"  \n",
    "CRLF line ends": _line().replace(b"\n", b"\r\n") + _second().replace(b"\n", b"\r\n"),
    "vertical tab line": _line() + b"\x0b\n" + _second(),
    "torn last line": _line() + _second()[:30],
    "torn multi-byte last line": _line() + _second(category="caf\u00e9").replace(b"\\u00e9", "\u00e9".encode())[:-4],
    "valid last line without newline": _line() + _second().rstrip(b"\n"),
    "bad middle line": _line() + b"{not json\n" + _second(),
    "invalid UTF-8 in the middle": _line() + b'{"request_id": "\xff"}\n' + _second(),
    "unknown field": _line() + _second(extra_field=1),
    "missing field": _line() + _second(template_hash=...),
    "wrong type": _line() + _second(sample="x"),
    "wrong literal": _line() + _second(order="CD"),
    "null in a required field": _line() + _second(winner=None),
    "lax: number in a string": _line(sample="2") + _second(len_a="17"),
    "lax: integral float for an int": _line(sample=1.0) + _second(prompt_tokens=3.0),
    "lax: 0/1 for a bool": _line(cached=1) + _second(cached=0),
    "lax: bool for a float": _line(p_a=True) + _second(),
    "fractional float for an int": _line() + _second(sample=1.5),
    "NaN literal": _line() + _second().replace(b'"category": "c"', b'"p_a": NaN, "category": "c"'),
    "huge int": _line(prompt_tokens=10**30) + _second(),
    "duplicate key": _line() + _second().replace(b'"category": "c"', b'"category": "c", "category": "d"'),
    "two objects on one line": _line().rstrip(b"\n") + _second(),
    "an object across two lines": _line().replace(b'"order": "AB",', b'"order":\n"AB",') + _second(),
    "lone surrogate escape": _line(raw="\ud800") + _second(),
    "deep meta": _line(meta={"a": json.loads("[" * 300 + "]" * 300)}) + _second(),
    "not an object": _line() + b"[1, 2]\n" + _second(),
    "superseded rows": _line(winner="B") + _second() + _line(winner="tie") + _second(winner="invalid"),
    "empty": b"",
    "only blank lines": b"\n\n  \n",
}


def _outcome(fn: Any, path: Path, strict: bool) -> tuple[str, Any]:
    try:
        rows = fn(path, strict=strict)
    except DataError as exc:
        return "error", str(exc)
    return "rows", rows


@pytest.mark.parametrize("block", [1 << 24, 7])  # one block; a block every few bytes (lines cut across reads)
@pytest.mark.parametrize("name", list(ODD_FILES))
def test_odd_and_bad_lines_as_read_judgments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                                             block: int) -> None:
    monkeypatch.setattr(columns_mod, "_BLOCK", block)
    path = tmp_path / JUDGMENTS
    path.write_bytes(ODD_FILES[name])
    for strict in (False, True):
        kind, expected = _outcome(read_judgments, path, strict)
        got_kind, got = _outcome(read_columns, path, strict)
        assert got_kind == kind, (name, strict, got)
        if kind == "error":
            assert got == expected
            assert f"{path}:" in got  # file and line
        else:
            check_columns(got, list(expected.values()))


def test_the_bad_cases_are_what_they_say(tmp_path: Path) -> None:
    """The table above exercises both outcomes: errors naming the line and field, lax rows accepted."""
    path = tmp_path / JUDGMENTS
    path.write_bytes(ODD_FILES["wrong type"])
    with pytest.raises(DataError, match=r":2: not a judgment row: .*\(field sample\)"):
        read_columns(path)
    path.write_bytes(ODD_FILES["lax: number in a string"])
    t = read_columns(path)
    assert t.sample.tolist() == [2, 0] and t.len_a[1] == 17.0
    path.write_bytes(ODD_FILES["torn last line"])
    assert len(read_columns(path)) == 1
    with pytest.raises(DataError, match=":2: "):
        read_columns(path, strict=True)
    path.write_bytes(ODD_FILES["superseded rows"])
    t = read_columns(path)
    assert t.request_id == ["e1#AB", "e2#AB"] and t.winner.tolist() == [W_CODE["tie"], W_CODE["invalid"]]


def test_a_missing_file_is_no_rows(tmp_path: Path) -> None:
    assert len(read_columns(tmp_path / "none.jsonl")) == 0 == len(read_judgments(tmp_path / "none.jsonl"))


def test_rows_read_back_notice_a_rewritten_file(tmp_path: Path) -> None:
    path = tmp_path / JUDGMENTS
    path.write_bytes(ODD_FILES["plain"])
    t = read_columns(path)
    path.write_bytes(_second() + _line())  # compacted in another order by another process
    with pytest.raises(DataError, match="changed while it was read"):
        t.rows_at([0])


# --------------------------------------------------------------------------- random rows, every aggregation


@pytest.mark.parametrize(("case", "name", "rows", "args"), CASES, ids=[c[0] for c in CASES])
def test_random_rows_same_metrics_report_and_replicates(tmp_path: Path, case: str, name: str, rows: list[Judgment],
                                                        args: dict[str, Any]) -> None:
    path = _write(tmp_path / JUDGMENTS, rows)
    objects = list(read_judgments(path).values())
    t = read_columns(path)
    check_columns(t, objects)
    assert aggregate_columns(name, t, args) == aggregate(name, objects, args)
    if name != "pointwise":
        assert pairwise_metrics_from_arrays(t.pairwise_arrays()) == pairwise_metrics(objects)
    np.testing.assert_array_equal(headline_replicates(t, name, args, n_resamples=30, seed=5),
                                  headline_replicates(objects, name, args, n_resamples=30, seed=5))


def _three_way_rows(seed: int, n: int) -> list[Judgment]:
    """Pairs with every case three_way tells apart: samples, one or both orders (BA alone too),
    failed requests, unparseable verdicts, unlabelled examples, empty and missing categories,
    rows superseded by later ones."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ex = f"x{rng.randrange(10 ** 6)}-{i}"
        label = rng.choice(["A", "B", "tie", None])
        cat = rng.choice(["c1", "c2", "", None])
        orders = rng.choice([["AB", "BA"], ["AB", "BA"], ["AB"], ["BA"]])
        for order in orders:
            for sample in range(rng.choice([1, 1, 2])):
                status = "error" if rng.random() < 0.07 else "ok"
                winner = "invalid" if status == "error" else rng.choice(["A", "B", "tie", "invalid"])
                out.append(Judgment(request_id=f"{ex}#{order}#{sample}", example_id=ex, order=order,  # type: ignore[arg-type]
                                    sample=sample, category=cat, label=label, status=status,  # type: ignore[arg-type]
                                    shown_winner=winner, winner=winner, template_hash="t", len_a=rng.randrange(50),  # type: ignore[arg-type]
                                    len_b=rng.randrange(50), prompt_tokens=rng.choice([None, 5])))
    rng.shuffle(out)
    return out + [j.model_copy(update={"winner": "B"}) for j in out[:5]]


@pytest.mark.parametrize("unparseable", [None, "tie"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_three_way_from_columns(tmp_path: Path, seed: int, unparseable: str | None) -> None:
    args = {} if unparseable is None else {"unparseable": unparseable}
    path = _write(tmp_path / JUDGMENTS, _three_way_rows(seed, 150))
    objects = list(read_judgments(path).values())
    t = read_columns(path)
    assert "three_way" in COLUMN_AGGREGATIONS
    report = aggregate_columns("three_way", t, args)
    assert report == aggregate("three_way", objects, args)
    assert report.counts["unlabelled examples"] > 0 and report.counts["failed"] > 0
    np.testing.assert_array_equal(headline_replicates(t, "three_way", args, n_resamples=50, seed=seed),
                                  headline_replicates(objects, "three_way", args, n_resamples=50, seed=seed))


# --------------------------------------------------------------------------- stored runs


def same_run_outputs(run_dir: Path) -> dict[str, Any]:
    """metrics.json and the leaderboard's headline interval, by the object path and the columnar
    path: byte-identical. Returns the document."""
    manifest = require_manifest(run_dir)
    objects = list(read_judgments(run_dir / JUDGMENTS).values())
    t = read_columns(run_dir / JUDGMENTS)
    check_columns(t, objects)
    docs, intervals = [], []
    for rows in (objects, t):
        metrics = score_rows(rows, manifest)
        report = suite_report(rows, manifest)
        docs.append(json.dumps(metrics_document(manifest, metrics, len(rows), report), indent=2))
        intervals.append(headline_interval(rows, manifest, n_resamples=50, report=report))
    assert docs[0] == docs[1]
    assert intervals[0] == intervals[1]
    # what `judgekit score` wrote is the same document
    assert json.loads((run_dir / "metrics.json").read_text()) == json.loads(docs[0])
    return json.loads(docs[1])


def test_judgebench_imports(shared_data: Path, tmp_path: Path) -> None:
    files = output_files(shared_data)
    assert len(files) == 7
    for k, path in enumerate(files):
        doc = same_run_outputs(import_run("judgebench", [str(path)], ImportOptions(results_dir=str(tmp_path / f"r{k}"))))
        assert doc["n_judgments"] >= 540


def test_judgebench_replay_run(shared_data: Path, tmp_path: Path) -> None:
    path = next(p for p in output_files(shared_data) if "o1-mini" in p.name)
    res = run(RunConfig(suite="judgebench", split="gpt", data=str(shared_data), results_dir=str(tmp_path),
                        judge=JudgeConfig(backend="replay", model=str(path))))
    doc = same_run_outputs(res.run_dir)
    assert round(doc["headline"]["value"], 2) == 65.71


@pytest.mark.parametrize("name", ["gpt-3.5-turbo-testset-v1.json", "pandalm-7b-testset-v1.json"])
def test_pandalm_imports(shared_data: Path, tmp_path: Path, name: str) -> None:
    run_dir = import_run("pandalm", [str(shared_data / "pandalm" / name)],
                         ImportOptions(data=str(shared_data), results_dir=str(tmp_path)))
    doc = same_run_outputs(run_dir)
    if name.startswith("gpt"):  # PandaLM's published 0.7107 (unparseable = tie), from columns
        assert f"{doc['headline']['value']:.2f}" == "71.07"


def test_llmbar_import(shared_data: Path, tmp_path: Path) -> None:
    items = json.loads((shared_data / "llmbar" / "Dataset" / "LLMBar" / "Natural" / "dataset.json").read_text())
    rng = random.Random(5)
    data = [{**it, "results": [{"swap = False": {"completion": ["x", "stop"], "winner": rng.choice(["1", "2", None])},
                                "swap = True": {"completion": ["y", "stop"], "winner": rng.choice(["1", "2", None])}}]}
            for it in items]
    folder = tmp_path / "Dataset" / "LLMBar" / "Natural" / "evaluators" / "ChatGPT" / "Vanilla"
    folder.mkdir(parents=True)
    (folder / "result.json").write_text(json.dumps(data))
    same_run_outputs(import_run("llmbar", [str(folder / "result.json")], ImportOptions(results_dir=str(tmp_path / "r"))))


def test_alpaca_eval_annotations_import(shared_data: Path, tmp_path: Path) -> None:
    files = sorted((shared_data / "alpaca_eval" / "results").glob("*/weighted_alpaca_eval_gpt4_turbo/annotations.json"))
    assert files
    same_run_outputs(import_run("alpaca_eval", [str(files[0])], ImportOptions(results_dir=str(tmp_path))))


def test_qa_runs(tmp_path: Path) -> None:
    from .test_qa import _qa_file

    for method in ("exact_match", "f1"):
        res = run(RunConfig(suite="qa", data=str(_qa_file(tmp_path)), results_dir=str(tmp_path / method),
                            judge=JudgeConfig(backend="lexical", model=method)))
        same_run_outputs(res.run_dir)


def test_rewardbench2_runs(tmp_path: Path) -> None:
    from .test_rewardbench2 import DATA, _fourway_judge, _rating_judge

    for suite, judge in (("rewardbench2", _rating_judge), ("rewardbench2_4way", _fourway_judge)):
        res = run(RunConfig(suite=suite, data=str(DATA), results_dir=str(tmp_path / suite),
                            judge=JudgeConfig(backend="mock", model="m", options={"responder": judge})))
        same_run_outputs(res.run_dir)


# --------------------------------------------------------------------------- the report's views


def _old_length_points(rows: list[Judgment], bins: int = 5) -> tuple[list[float], list[tuple[int, int]],
                                                                    list[tuple[int, int]]]:
    """report_plots._length_points before the columnar read (over Judgment records): the reference."""
    judged = [j for j in rows if j.status == "ok" and j.winner in ("A", "B") and j.len_a is not None
              and j.len_b is not None and j.len_a != j.len_b]
    if len(judged) < bins:
        return [], [], []
    rel = np.array([abs(j.len_a - j.len_b) / (j.len_a + j.len_b) for j in judged])  # type: ignore[operator]
    edges = np.unique(np.quantile(rel, np.linspace(0, 1, bins + 1)))
    ids = np.clip(np.searchsorted(edges[1:-1], rel, side="right"), 0, len(edges) - 2)
    mids, judge, gold = [], [], []
    for b in range(len(edges) - 1):
        m = ids == b
        if not m.any():
            continue
        sel = [j for j, keep in zip(judged, m, strict=True) if keep]
        longer_a = [j.len_a > j.len_b for j in sel]  # type: ignore[operator]
        picks = sum((j.winner == "A") == la for j, la in zip(sel, longer_a, strict=True))
        labelled = [(j, la) for j, la in zip(sel, longer_a, strict=True) if j.label in ("A", "B")]
        g = sum((j.label == "A") == la for j, la in labelled)
        mids.append(float(np.median(rel[m])))
        judge.append((int(picks), len(sel)))
        gold.append((int(g), len(labelled)))
    return mids, judge, gold


def _old_disagreements(rows: list[Judgment], policy: str, n: int, seed: int) -> list[tuple[str, list[Judgment], str]]:
    import hashlib

    from judgekit.scoring import by_example, combined_verdict

    wrong = []
    for ex_id, js in by_example(rows).items():
        if js[0].label is None:
            continue
        verdict = combined_verdict(js, policy)
        if verdict != js[0].label:
            wrong.append((ex_id, js, verdict))
    wrong.sort(key=lambda w: hashlib.sha256(f"{seed}:{w[0]}".encode()).hexdigest())
    return wrong[:n]


def _old_invalid_section(name: str, rows: list[Judgment], limit: int) -> str:
    """report.invalid_section before the columnar read, for one run: the reference."""
    from judgekit.views.report import _clip, _esc, _table

    bad = sorted((j for j in rows if j.winner == "invalid" or j.status != "ok"),
                 key=lambda j: (j.example_id, j.order, j.sample))
    parts = [f"<h3>{_esc(name)}: {len(bad)} invalid or failed of {len(rows)}</h3>"]
    if bad:
        cells = [[_esc(j.example_id), _esc(j.order), _esc(j.status), _esc(j.reason or j.error or ""),
                  f"<details><summary>{len(j.raw or '')} characters</summary><pre>{_esc(_clip(j.raw))}</pre></details>"
                  if j.raw else '<span class="note">(no text)</span>'] for j in bad[:limit]]
        parts.append(_table(["example", "order", "status", "reason", "raw judge output"], cells, 5))
        if len(bad) > limit:
            parts.append(f'<p class="note">{len(bad) - limit} more not shown.</p>')
    return "\n".join(parts)


@pytest.mark.parametrize("seed", [4, 5])
def test_report_views_from_columns_on_random_rows(tmp_path: Path, seed: int) -> None:
    from judgekit.protocols import POLICIES
    from judgekit.scoring import by_example, combined_verdict
    from judgekit.views.report_plots import _length_points

    path = _write(tmp_path / JUDGMENTS, _three_way_rows(seed, 300))
    objects = list(read_judgments(path).values())
    t = read_columns(path)
    points = _length_points(t)
    assert points == _old_length_points(objects) and points[0]
    groups = list(by_example(objects).values())
    for policy in POLICIES:
        assert t.examples().combined(t.verdict, policy).tolist() == [combined_verdict(js, policy) for js in groups]


def test_report_views_on_stored_runs(shared_data: Path, tmp_path: Path) -> None:
    """Length-bias points, the invalid verdicts listed and the sampled disagreements of real runs
    (JudgeBench joined with its data, so with lengths; PandaLM) equal the record-based views."""
    from judgekit.views.report import disagreements, invalid_section
    from judgekit.views.report_plots import _length_points, load_run

    run_dirs = [import_run("judgebench", [str(p)], ImportOptions(data=str(shared_data), split="gpt",
                                                                results_dir=str(tmp_path / f"j{k}")))
                for k, p in enumerate(output_files(shared_data)) if "claude" not in p.name.lower()][:3]
    run_dirs.append(import_run("pandalm", [str(shared_data / "pandalm" / "gpt-3.5-turbo-testset-v1.json")],
                               ImportOptions(data=str(shared_data), results_dir=str(tmp_path / "p"))))
    n_bad = 0
    for run_dir in run_dirs:
        r = load_run(run_dir)
        objects = list(read_judgments(run_dir / JUDGMENTS).values())
        n_bad += sum(j.winner == "invalid" or j.status != "ok" for j in objects)
        assert _length_points(r.table) == _old_length_points(objects)
        assert invalid_section([r], 7) == _old_invalid_section(r.name, objects, 7)
        for seed in (0, 1):
            got = disagreements(r, 20, seed)
            want = _old_disagreements(objects, r.manifest.protocol.headline_policy, 20, seed)
            assert [(e, js, v) for e, js, v in got] == want
        assert want  # some disagreement to compare
    assert n_bad > 7  # invalid verdicts to list, more than the limit
