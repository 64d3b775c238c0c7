"""The runner streams (issue 10, Scale): requests are rendered as the workers need them (a run holds
the work in flight, not every rendered prompt), nothing finished is kept in memory, a crash in the
middle keeps every finished judgment and the rerun sends only what is missing; the files are the
ones the all-at-once path gives."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from judgekit import plan as plan_mod
from judgekit.backends.base import Backend, create_backend
from judgekit.errors import ConfigError
from judgekit.judging import make_judgment
from judgekit.plan import IdSet
from judgekit.progress import NullProgress
from judgekit.prompts import Template, load_template
from judgekit.resume import compact, scan
from judgekit.runner import execute, prepare, run
from judgekit.scoring import metrics_document, score_rows, suite_report
from judgekit.store import write_json_atomic
from judgekit.types import Completion, JudgeConfig, JudgeRequest, RunConfig


def write_pairs(path: Path, n: int) -> Path:
    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"q{i}", "prompt": f"question {i}", "a": f"answer a {i}", "b": f"answer b {i}",
                                "label": "AB"[i % 2] if i % 7 else "tie", "category": f"c{i % 3}"}) + "\n")
    return path


def verdict(req: JudgeRequest) -> str:
    """A deterministic judge that varies with the request (so the metrics are not constant)."""
    n = int(req.example_id[1:])
    return ("[[A>B]]", "[[B>A]]", "[[A=B]]", "no verdict")[(n * 7 + (req.order == "BA")) % 4]


def config(data: Path, results: Path, **kw: Any) -> RunConfig:
    judge = {k: kw.pop(k) for k in ("template", "sampling") if k in kw}
    return RunConfig(suite="generic", data=str(data), results_dir=str(results), use_cache=False, run_id="s",
                     concurrency=kw.pop("concurrency", 4), judge=JudgeConfig(backend="mock", model="x", **judge), **kw)


def run_with(cfg: RunConfig, responder: Any, backend: Backend | None = None) -> Any:
    prep = prepare(cfg)
    if backend is None:
        backend = create_backend("mock", "x", {})
        backend.responder = responder  # type: ignore[attr-defined]
    prep.backend = backend
    return prep, asyncio.run(execute(prep, NullProgress()))


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_requests_are_rendered_as_they_are_sent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan never holds more than its window: at most 4 batches per worker rendered ahead of
    the judge (plus the batches the workers hold); before streaming, all 800 were rendered first."""
    data = write_pairs(tmp_path / "pairs.jsonl", 400)
    rendered = 0
    original = Template.render

    def counting(self: Template, example: Any, swapped: bool = False) -> Any:
        nonlocal rendered
        rendered += 1
        return original(self, example, swapped)

    monkeypatch.setattr(Template, "render", counting)
    answered = 0
    lead: list[int] = []

    def responder(req: JudgeRequest) -> str:
        nonlocal answered
        answered += 1
        lead.append(rendered - answered)
        return verdict(req)

    prep, result = run_with(config(data, tmp_path / "r"), responder)
    assert result.n_sent == 800 and answered == 800 and prep.n_requests == 800
    assert rendered == 802  # every request once, plus the first example's two (checked in prepare)
    # queue of 4 batches x 4 workers, the 4 batches in the workers' hands, prepare's 2, the
    # producer's batch being filled (1 request)
    bound = plan_mod_window(workers=4, batch=1) + 4 + 2 + 1
    assert 0 < max(lead) <= bound, (max(lead), bound)


def plan_mod_window(workers: int, batch: int) -> int:
    from judgekit.runner import WINDOW_BATCHES

    return WINDOW_BATCHES * workers * batch


def test_bounded_lead_with_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same bound with batches of 8 and 2 workers: the lead does not grow with the run."""
    data = write_pairs(tmp_path / "pairs.jsonl", 600)
    rendered = answered = 0
    lead: list[int] = []
    original = Template.render

    def counting(self: Template, example: Any, swapped: bool = False) -> Any:
        nonlocal rendered
        rendered += 1
        return original(self, example, swapped)

    monkeypatch.setattr(Template, "render", counting)

    def responder(req: JudgeRequest) -> str:
        nonlocal answered
        answered += 1
        lead.append(rendered - answered)
        return verdict(req)

    backend = create_backend("mock", "x", {"batch_size": 8})
    backend.responder = responder  # type: ignore[attr-defined]
    _, result = run_with(config(data, tmp_path / "r", concurrency=2), responder, backend)
    assert result.n_sent == 1200
    assert max(lead) <= plan_mod_window(workers=2, batch=8) + 2 * 8 + 2 + 8, max(lead)
    assert max(lead) >= 8  # it does render ahead (a batch at least), so the bound is not vacuous


class Crash(RuntimeError):
    pass


def test_crash_mid_stream_keeps_finished_judgments_and_resumes(tmp_path: Path) -> None:
    data = write_pairs(tmp_path / "pairs.jsonl", 150)
    cfg = config(data, tmp_path / "r")
    calls = 0

    def crashing(req: JudgeRequest) -> str:
        nonlocal calls
        calls += 1
        if calls == 120:
            raise Crash("the judge process died")
        return verdict(req)

    with pytest.raises(Crash):
        run_with(cfg, crashing)
    jpath = tmp_path / "r" / "runs" / "s" / "judgments.jsonl"
    rows = [json.loads(line) for line in lines(jpath)]  # every line whole
    done = len(rows)  # the 119 answered before the crash, and any the other workers finished meanwhile
    assert 119 <= done < 300 and len({r["request_id"] for r in rows}) == done

    sent: list[str] = []

    def healthy(req: JudgeRequest) -> str:
        sent.append(req.request_id)
        return verdict(req)

    _, resumed = run_with(cfg, healthy)
    assert resumed.n_resumed == done and resumed.n_sent == 300 - done == len(sent)
    assert not set(sent) & {r["request_id"] for r in rows}  # nothing finished was sent again
    rows = [json.loads(line) for line in lines(jpath)]
    assert len(rows) == 300 and len({r["request_id"] for r in rows}) == 300 and resumed.n_missing == 0

    _, clean = run_with(config(data, tmp_path / "clean"), verdict)
    a = json.loads((tmp_path / "r" / "runs" / "s" / "metrics.json").read_text())
    b = json.loads((tmp_path / "clean" / "runs" / "s" / "metrics.json").read_text())
    assert a == b
    assert sorted(lines(jpath)) == sorted(lines(tmp_path / "clean" / "runs" / "s" / "judgments.jsonl"))


class FlakyBackend(Backend):
    """Answers like ``verdict``; the requests in ``fail`` come back as failed completions."""

    name = "mock"
    cacheable = False

    def __init__(self, fail: set[str]) -> None:
        super().__init__("x")
        self.fail = fail
        self.sent: list[str] = []

    def identity(self) -> dict[str, Any]:
        return {"backend": "mock", "model": "x", "responder": None}

    async def complete(self, requests: Sequence[JudgeRequest]) -> list[Completion]:
        self.sent.extend(r.request_id for r in requests)
        return [Completion(request_id=r.request_id, error="HTTP 500") if r.request_id in self.fail
                else Completion(request_id=r.request_id, text=verdict(r), latency_s=0.0) for r in requests]


def test_failed_requests_are_retried_and_the_file_keeps_one_row_each(tmp_path: Path) -> None:
    data = write_pairs(tmp_path / "pairs.jsonl", 30)
    cfg = config(data, tmp_path / "r")
    failing = {"q3#AB", "q7#BA", "q20#AB"}
    _, first = run_with(cfg, None, FlakyBackend(failing))
    assert first.n_failed == 3 and first.n_missing == 0
    jpath = tmp_path / "r" / "runs" / "s" / "judgments.jsonl"
    assert len(lines(jpath)) == 60
    again = FlakyBackend(set())
    _, second = run_with(cfg, None, again)
    assert sorted(again.sent) == sorted(failing)  # only the failed ones
    assert second.n_resumed == 57 and second.n_failed == 0 and second.n_missing == 0
    rows = [json.loads(line) for line in lines(jpath)]
    assert len(rows) == 60 and all(r["status"] == "ok" for r in rows)  # superseded rows compacted away
    _, clean = run_with(config(data, tmp_path / "clean"), verdict)
    assert (jpath.parent / "metrics.json").read_bytes() == (tmp_path / "clean" / "runs" / "s" / "metrics.json").read_bytes()
    assert sorted(lines(jpath)) == sorted(lines(tmp_path / "clean" / "runs" / "s" / "judgments.jsonl"))


def test_same_files_as_judging_every_request_at_once(tmp_path: Path) -> None:
    """The streamed run writes the judgments.jsonl and metrics.json that judging the fully rendered
    request list in order (the runner before streaming) gives, byte for byte."""
    data = write_pairs(tmp_path / "pairs.jsonl", 40)
    cfg = config(data, tmp_path / "r", concurrency=1)
    prep, result = run_with(cfg, verdict)
    # the reference: every request rendered up front, judged in order, each row written as the
    # store writes it, scored from the rows in memory
    ref = prepare(cfg)
    requests = list(ref.requests)
    assert len(requests) == 80 == result.n_requests
    rows = [make_judgment(r, ref.examples[r.example_id], Completion(request_id=r.request_id, text=verdict(r),
                                                                    latency_s=0.0), ref.template)
            for r in requests]
    expected_lines = [j.model_dump_json(exclude_none=True) for j in rows]
    run_dir = tmp_path / "r" / "runs" / "s"
    assert lines(run_dir / "judgments.jsonl") == expected_lines
    metrics = score_rows(rows, ref.manifest)
    write_json_atomic(tmp_path / "expected.json",
                      metrics_document(ref.manifest, metrics, len(rows), suite_report(rows, ref.manifest)))
    assert (run_dir / "metrics.json").read_bytes() == (tmp_path / "expected.json").read_bytes()
    assert result.metrics == metrics


def test_streamed_requests_equal_validated_ones(tmp_path: Path) -> None:
    """Samples (ids, seeds) as repeated sampling makes them; every request round-trips."""
    data = write_pairs(tmp_path / "pairs.jsonl", 3)
    cfg = config(data, tmp_path / "r", samples=3, sampling={"temperature": 0.7, "seed": 11})
    prep = prepare(cfg)
    reqs = list(prep.requests)
    assert [r.request_id for r in reqs][:4] == ["q0#AB", "q0#AB~1", "q0#AB~2", "q0#BA"]
    assert [r.sampling.seed for r in reqs][:3] == [11, 12, 13] and [r.sample for r in reqs][:3] == [0, 1, 2]
    for r in reqs:
        again = JudgeRequest.model_validate(r.model_dump())
        assert again == r and again.model_dump_json() == r.model_dump_json()
    assert len(prep.requests) == 18 == prep.manifest.n_requests


def test_a_template_error_stops_the_run_before_anything_is_sent(tmp_path: Path) -> None:
    """Rendering happens as the run goes; prepare still renders the first example, so a template
    that needs a field the data lacks fails up front, naming the example."""
    data = write_pairs(tmp_path / "pairs.jsonl", 3)
    j2 = tmp_path / "needs_ref.j2"
    j2.write_text("{{ question }} {{ reference }}")
    (tmp_path / "needs_ref.yaml").write_text(load_template("arena_hard").spec.model_dump_json())
    with pytest.raises(ConfigError, match="reference.*q0"):
        prepare(config(data, tmp_path / "r", template=str(j2)))
    assert not (tmp_path / "r").exists()


def test_a_render_error_mid_stream_stops_the_run_and_keeps_what_finished(tmp_path: Path) -> None:
    """An example further down that the template cannot render stops the run with the template's
    error (not a hang on the queue); the judgments before it are kept."""
    path = tmp_path / "pairs.jsonl"
    write_pairs(path, 50)
    j2 = tmp_path / "t.j2"
    j2.write_text("{{ question }} {{ response_a }} {{ response_b }} {{ 1 // (question | length - 11) }}")
    (tmp_path / "t.yaml").write_text(load_template("arena_hard").spec.model_dump_json())
    # "question 10" (11 characters) divides by zero; q0..q9 do not
    with pytest.raises(ConfigError, match="q10"):
        run_with(config(path, tmp_path / "r", template=str(j2), concurrency=1), verdict)
    rows = lines(tmp_path / "r" / "runs" / "s" / "judgments.jsonl")
    assert 1 <= len(rows) <= 20


def test_idset_is_a_set_of_ids_and_falls_back_to_strings_on_a_collision(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = [f"e{i}#{o}" for i in range(1000) for o in ("AB", "BA")]
    s = IdSet.of(lambda: iter(ids))
    assert len(s) == 2000 and not s.exact
    assert all(i in s for i in ids) and "e1000#AB" not in s and "e1#AB~1" not in s
    assert list(s.contains_hashes(np.array([hash("e5#BA"), hash("nope")], dtype=np.int64))) == [True, False]

    # two ids with one hash: the set keeps the strings, and stays exact
    real_hash = hash

    def colliding(x: object) -> int:
        return 42 if x in ("e1#AB", "e2#AB") else real_hash(x)

    monkeypatch.setattr(plan_mod, "hash", colliding, raising=False)
    s = IdSet.of(lambda: iter(ids))
    assert s.exact and len(s) == 2000 and "e1#AB" in s and "e2#AB" in s and "e1000#AB" not in s


def test_scan_and_compact_keep_the_latest_row_of_each_request(tmp_path: Path) -> None:
    data = write_pairs(tmp_path / "pairs.jsonl", 10)
    _, _ = run_with(config(data, tmp_path / "r"), verdict)
    jpath = tmp_path / "r" / "runs" / "s" / "judgments.jsonl"
    original = lines(jpath)
    failed = json.loads(original[3])
    failed.update(status="error", error="HTTP 500", winner="invalid", shown_winner="invalid")
    for k in ("verdict_label", "raw", "strength", "reason"):
        failed.pop(k, None)
    # an earlier failed row of request 3, then the torn start of another line
    text = "\n".join([json.dumps(failed)] + original) + "\n" + original[5][:40]
    jpath.write_text(text)
    prep = prepare(config(data, tmp_path / "r"))
    requests = prep.planned()
    ex = scan(jpath, requests.ids, requests.request_ids)
    assert ex.dirty and ex.n_rows == 20 and ex.n_ok == 20 and len(ex.done) == 20
    assert ex.n_invalid == sum(json.loads(line)["winner"] == "invalid" for line in original)
    assert compact(jpath) == 20
    assert lines(jpath) == original  # latest rows, file order, bytes unchanged, torn line gone
    foreign = json.loads(original[0])
    foreign["request_id"] = "zz#AB"
    jpath.write_text("\n".join(original + [json.dumps(foreign)]) + "\n")
    with pytest.raises(Exception, match="1 judgments for requests this run does not make"):
        scan(jpath, requests.ids, requests.request_ids)


def test_run_api_still_builds_every_request(tmp_path: Path) -> None:
    """``PreparedRun.requests`` iterates every request (rendered on the fly); ``run`` sends them all."""
    data = write_pairs(tmp_path / "pairs.jsonl", 5)
    prep = prepare(config(data, tmp_path / "r"))
    reqs = list(prep.requests)
    assert [r.request_id for r in reqs] == list(prep.planned().request_ids()) and len(reqs) == 10
    done = IdSet.of(lambda: iter(["q0#AB"]))
    assert [r.request_id for r, _ in prep.planned().pending(done)] == [r.request_id for r in reqs][1:]
    res = run(config(data, tmp_path / "r2"))
    assert res.n_sent == 10


def test_a_large_file_is_streamed_and_gives_the_same_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the size threshold the examples are read from the file as the run goes (checked once
    up front); the run is the one the held examples give, file for file."""
    from judgekit.adapters import stream as stream_mod

    data = write_pairs(tmp_path / "pairs.jsonl", 60)
    _, held = run_with(config(data, tmp_path / "held", concurrency=1, limit=50), verdict)
    monkeypatch.setattr(stream_mod, "STREAM_BYTES", 1)
    prep, streamed = run_with(config(data, tmp_path / "streamed", concurrency=1, limit=50), verdict)
    assert isinstance(prep.examples, stream_mod.ExampleStream) and len(prep.examples) == 50
    assert streamed.n_sent == held.n_sent == 100
    for name in ("judgments.jsonl", "metrics.json", ):
        assert (tmp_path / "streamed" / "runs" / "s" / name).read_bytes() == (
            tmp_path / "held" / "runs" / "s" / name).read_bytes(), name
    a = json.loads((tmp_path / "streamed" / "runs" / "s" / "manifest.json").read_text())
    b = json.loads((tmp_path / "held" / "runs" / "s" / "manifest.json").read_text())
    assert a["data"] == b["data"] and a["fingerprint"] == b["fingerprint"]
    assert a["data"]["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()  # hashed on the check's pass
    # the ids hashed in the check's pass are the run's request ids
    ids = list(prep.planned().request_ids())
    assert len(prep.planned().ids) == len(ids) == 100 and all(i in prep.planned().ids for i in ids)
    assert not prep.planned().ids.exact and "q50#AB" not in prep.planned().ids
    assert prep.examples["q7"].prompt == "question 7"  # a lookup still works (loading them)


@pytest.mark.parametrize("bad", [
    '{"id": "q1x", "prompt": "p", "a": "x", "b": "y", "label": "AB"}',  # unknown label
    '{"id": "q0", "prompt": "p", "a": "x", "b": "y", "label": "A"}',  # duplicate id
    '{"id": "q9", "prompt": "p", "a": "x", "label": "A"}',  # no response b
    '{"id": "q9", "prompt": NaN, "a": "x", "b": "y", "label": "A"}',  # not a value
    '{"id": "q9", "prompt": "p", "a": "x", "b": "y", "label": "A"',  # torn JSON
])
def test_a_streamed_file_is_checked_before_anything_is_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               bad: str) -> None:
    """A bad row anywhere stops a streamed run in prepare, with the error the held path gives
    (file, line, field)."""
    from judgekit.adapters import stream as stream_mod
    from judgekit.errors import DataError

    data = write_pairs(tmp_path / "pairs.jsonl", 2)
    with open(data, "a") as f:
        f.write(bad + "\n")
        f.write('{"id": "q10", "prompt": "p", "a": "x", "b": "y", "label": "A"}\n')
    with pytest.raises(DataError) as held:
        prepare(config(data, tmp_path / "r"))
    monkeypatch.setattr(stream_mod, "STREAM_BYTES", 1)
    with pytest.raises(DataError) as streamed:
        prepare(config(data, tmp_path / "r"))
    assert str(streamed.value) == str(held.value) and ":3:" in str(held.value)
    assert not (tmp_path / "r").exists()


def test_a_streamed_file_without_gold_labels_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from judgekit.adapters import stream as stream_mod
    from judgekit.errors import DataError

    path = tmp_path / "nolabel.jsonl"
    path.write_text("".join(json.dumps({"id": f"n{i}", "prompt": "p", "a": "x", "b": "y"}) + "\n" for i in range(3)))
    with pytest.raises(DataError) as held:
        prepare(config(path, tmp_path / "r"))
    monkeypatch.setattr(stream_mod, "STREAM_BYTES", 1)
    with pytest.raises(DataError, match="no example has a gold label.*all 3 rows") as streamed:
        prepare(config(path, tmp_path / "r"))
    assert str(streamed.value) == str(held.value)


def test_a_run_holds_the_work_in_flight_not_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Half-way through a streamed run of 3,000 pairs, the live requests, judgments and examples
    are bounded by the queue (4 batches per worker), not by the 6,000 requests of the run."""
    import gc

    from judgekit.adapters import stream as stream_mod
    from judgekit.types import Judgment, PairExample

    monkeypatch.setattr(stream_mod, "STREAM_BYTES", 1)
    data = write_pairs(tmp_path / "pairs.jsonl", 3000)
    kinds = (JudgeRequest, Judgment, PairExample)

    def count() -> dict[str, int]:
        objects = gc.get_objects()
        return {kind.__name__: sum(type(o) is kind for o in objects) for kind in kinds}

    gc.collect()
    before = count()  # what earlier tests in this process left alive
    live: dict[str, int] = {}
    answered = 0

    def responder(req: JudgeRequest) -> str:
        nonlocal answered
        answered += 1
        if answered == 3000:
            live.update({k: n - before[k] for k, n in count().items()})
        return verdict(req)

    prep, result = run_with(config(data, tmp_path / "r", concurrency=8), responder)
    assert result.n_sent == 6000 and isinstance(prep.examples, stream_mod.ExampleStream)
    window = 4 * 8 + 8 + 2  # queued batches, the workers' batches, the producer's
    assert 1 <= live["JudgeRequest"] <= window and live["Judgment"] <= 2, live  # 1: the one being answered
    assert live["PairExample"] <= window, live
