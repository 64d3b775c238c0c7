"""One run: adapter -> requests -> cache -> backend -> parse -> judgments -> metrics.

Every judgment is appended to the run's judgments.jsonl as soon as it finishes;
rerunning the same configuration resumes the same run folder and sends only the
requests that are missing or failed.
"""

from __future__ import annotations

import asyncio
import datetime
import itertools
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .adapters import LoadedData, load_examples
from .adapters.stream import ExampleStream, stream_examples
from .aggregations import PointwiseMetrics, SuiteReport
from .backends.base import Backend, call_with_retries, create_backend
from .bulk import frozen_gc
from .cache import CompletionCache, default_cache_path, request_key
from .columns import ColumnCollector
from .errors import ConfigError
from .judging import PARSER_VERSION, judgment_line, make_judgment
from .manifest import BackendStats, JudgeRef, RunManifest, TemplateRef, jsonable, run_manifest, sha, slug
from .metrics.pairwise import PairwiseMetrics
from .plan import FixedRequests, IdSet, PlannedRequests, RequestPlan
from .progress import NullProgress, Progress
from .prompts import Template, load_template, template_for_model
from .redact import register_options
from .resume import compact, count_rows, scan
from .sampling import SAMPLES_FILE, report_for_run
from .scoring import score_run
from .store import JudgeClock, RunStore, read_judgments, run_dir_for, write_json_atomic
from .suites import SuiteSpec, load_suite, with_args
from .types import (
    Completion,
    Example,
    JudgeRequest,
    PairExample,
    PointExample,
    RunConfig,
    SamplingParams,
    VerdictMode,
)


@dataclass
class PreparedRun:
    config: RunConfig
    suite: SuiteSpec
    split: str
    data: LoadedData
    template: Template
    backend: Backend
    swap: bool
    # the run's requests: made from the examples as the run goes (never all held), or a given list
    requests: PlannedRequests | list[JudgeRequest]
    examples: dict[str, Example] | ExampleStream  # a large local file's examples are read, not held
    run_id: str
    run_dir: Path
    manifest: RunManifest

    @property
    def n_requests(self) -> int:
        return len(self.requests)

    def planned(self) -> PlannedRequests:
        return self.requests if isinstance(self.requests, PlannedRequests) else FixedRequests(
            self.requests, self.examples)


@dataclass
class RunResult:
    run_id: str
    run_dir: Path
    metrics: PairwiseMetrics | PointwiseMetrics
    n_requests: int
    n_resumed: int = 0
    n_cached: int = 0
    n_sent: int = 0
    n_failed: int = 0
    n_missing: int = 0  # requests with no judgment row at the end (never expected; exit status 1)
    extra: dict[str, Any] = field(default_factory=dict)
    report: SuiteReport | None = None  # the suite's published aggregation, when it has one


# --------------------------------------------------------------------------- preparation


def resolve_template(config: RunConfig, suite: SuiteSpec, backend: Backend,
                     split_default: str | None = None) -> Template:
    name = config.judge.template
    if name is None:
        name = template_for_model(backend.model) or template_for_model(backend.display_name)
        if name is not None and load_template(name).spec.kind != suite.kind:
            name = None  # the judge's own template grades the other way: use the suite's
    return load_template(name or split_default or suite.default_template)


def build_requests(examples: Sequence[Example], template: Template, sampling: SamplingParams,
                   swap: bool, single_order: str, mode: VerdictMode = "generate") -> list[JudgeRequest]:
    """Every request for these examples, rendered at once (the runner streams: :class:`RequestPlan`)."""
    plan = RequestPlan.make(template, sampling, swap, single_order, mode)
    return [r for r, _ in plan.requests(examples)]


def _sampling_problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'sampling'} {e['input']!r}: "
                     + ("unknown setting" if e["type"] == "extra_forbidden" else e["msg"]) for e in exc.errors())


def prepare(config: RunConfig) -> PreparedRun:
    register_options(config.judge.options)  # masked in everything the run writes
    suite = with_args(load_suite(config.suite), config.suite_args)
    split, split_spec = suite.split(config.split)
    wanted = PointExample if suite.kind == "pointwise" else PairExample
    # a large local file is read as the run goes (checked once up front), not held
    streamed = stream_examples(suite, split, config.data, config.limit, wanted)
    examples: dict[str, Example] | ExampleStream
    if streamed is not None:
        examples, data = streamed[0], LoadedData([], streamed[1])
    else:
        data = load_examples(suite, split, config.data, config.limit)
        examples = {ex.id: ex for ex in data.examples if isinstance(ex, wanted)}
    backend = create_backend(config.judge.backend, config.judge.model, config.judge.options)
    template = resolve_template(config, suite, backend, split_spec.template)
    if template.spec.kind != suite.kind:
        raise ConfigError(f"template {template.name!r} is {template.spec.kind} but suite {suite.name!r} is "
                          f"{suite.kind}; pick a {suite.kind} template with --template "
                          f"(the suite's default is {split_spec.template or suite.default_template!r})")
    try:
        sampling = SamplingParams(**{**template.spec.sampling, **config.judge.sampling})
    except ValidationError as exc:
        raise ConfigError(f"judge sampling: {_sampling_problems(exc)}; the sampling settings are: "
                          f"{', '.join(SamplingParams.model_fields)}") from None
    swap = config.swap if config.swap is not None else (suite.protocol.swap and not backend.order_independent)
    mode = config.judge.verdict
    if mode not in backend.verdict_modes:
        raise ConfigError(f"backend {config.judge.backend!r} cannot give {mode!r} verdicts; it supports: "
                          f"{', '.join(backend.verdict_modes)}")
    plan = RequestPlan.make(template, sampling, swap, config.single_order, mode, config.samples)
    sampling = plan.sampling
    # requests are rendered as the run goes: render the first example's now, so that a template
    # that needs a field the data lacks stops the run here, before anything is sent
    for _ in plan.requests(itertools.islice(examples.values(), 1)):
        pass
    requests = PlannedRequests(plan, examples)

    # A systems suite's run is the same run whichever systems it holds (adding one later judges only it),
    # and scoring inputs do not change a judgment: neither is part of the run's identity.
    unstable = ("systems", "aggregation_args")
    unstable_data = ("path", "systems", "n_examples") if data.provenance.get("source") == "systems" else ("path",)
    identity = {
        "suite": suite.name, "split": split,
        "data": {k: v for k, v in data.provenance.items() if k not in unstable_data},
        "backend": backend.identity(),
        "template": [template.name, template.hash] if backend.uses_template else None,
        "parser_version": PARSER_VERSION, "sampling": sampling.model_dump(mode="json"), "verdict": mode,
        "swap": swap, "single_order": config.single_order,
        **({"suite_args": jsonable({k: v for k, v in config.suite_args.items() if k not in unstable})}
           if set(config.suite_args) - set(unstable) else {}),
        **({"samples": config.samples} if config.samples > 1 else {}),
    }
    fingerprint = sha(identity)
    run_id = config.run_id or f"{suite.name}-{split}-{slug(backend.display_name)}-{fingerprint[:8]}"
    run_dir = run_dir_for(config.results_dir, run_id)
    manifest = run_manifest(
        run_id=run_id, fingerprint=fingerprint, suite=suite, split=split, data=data.provenance,
        judge=JudgeRef(display_name=backend.display_name, identity=jsonable(backend.identity()),
                       config=jsonable(config.judge.model_dump())),
        # a reward model scores the bare conversation: no template was used, none is recorded
        template=TemplateRef(name=template.name if backend.uses_template else None,
                             hash=template.hash if backend.uses_template else None,
                             parser_version=PARSER_VERSION, verdict=mode),
        sampling=sampling.model_dump(mode="json"), swap=swap, single_order=config.single_order,
        n_requests=len(requests), config=jsonable(config.model_dump()))
    return PreparedRun(config, suite, split, data, template, backend, swap, requests, examples, run_id,
                       run_dir, manifest)


# --------------------------------------------------------------------------- judging


WINDOW_BATCHES = 4  # batches rendered ahead per worker: what a run holds beyond the requests in flight

Item = tuple[JudgeRequest, Example, str | None]


async def _judge(prep: PreparedRun, pending: Iterator[tuple[JudgeRequest, Example]], n_pending: int,
                 store: RunStore, cache: CompletionCache | None, progress: Progress, counts: dict[str, int],
                 clock: JudgeClock | None = None, present: IdSet | None = None) -> None:
    """Judge the pending requests, streaming: a producer renders them (answering cache hits) into a
    bounded queue of batches that ``concurrency`` workers send; each judgment is appended to the
    store as it finishes, and none is kept."""
    backend, template = prep.backend, prep.template
    identity = backend.identity()
    retried = present is not None and len(present) > 0

    def finish(req: JudgeRequest, ex: Example, completion: Completion, key: str | None) -> None:
        fast = judgment_line(req, ex, completion, template)  # the row's bytes, without the record
        if fast is not None:
            store.append_line(fast[0], fast[2])
            winner, failed = fast[1], False
        else:
            j = make_judgment(req, ex, completion, template)
            store.append(j)
            winner, failed = j.winner, j.status == "error"
        if cache is not None and key is not None and not completion.cached:
            cache.put(key, completion)
        counts["failed" if failed else "ok"] += 1
        if retried and req.request_id in present:  # type: ignore[operator]
            counts["again"] += 1  # a failed request judged again: its old row is superseded
        progress.advance(invalid=winner == "invalid", failed=failed)

    def to_send() -> Iterator[Item]:
        for req, ex in pending:
            key = request_key(identity, req) if cache is not None else None
            hit = cache.get(key) if cache is not None and key is not None else None
            if hit is None:
                yield req, ex, key
                continue
            counts["cached"] += 1
            finish(req, ex, hit.model_copy(update={"request_id": req.request_id, "cached": True,
                                                   "attempts": 0}), key)

    if backend.streams:  # the backend takes the whole run and yields batches as they finish
        await _judge_streamed(backend, list(to_send()), finish, counts)
        return
    # a backend that draws several samples in one call gets each request's pending samples together
    grouped = getattr(backend, "supports_n", False) and prep.config.samples > 1
    size = max(1, backend.batch_size)
    n_workers = max(1, min(prep.config.concurrency, -(-n_pending // size)))
    queue: asyncio.Queue[list[Item] | None] = asyncio.Queue(maxsize=WINDOW_BATCHES * n_workers)
    rng = random.Random(prep.run_id)  # backoff jitter only

    async def produce() -> None:
        batch: list[Item] = []
        for item in to_send():
            if batch and (len(batch) == size if not grouped else
                          (item[0].example_id, item[0].order) != (batch[0][0].example_id, batch[0][0].order)):
                await queue.put(batch)
                batch = []
            batch.append(item)
        if batch:
            await queue.put(batch)
        for _ in range(n_workers):
            await queue.put(None)  # no more batches

    async def worker() -> None:
        while (batch := await queue.get()) is not None:
            completions = await call_with_retries(backend, [r for r, _, _ in batch], prep.config.retry, rng)
            counts["sent"] += len(batch)
            for (req, ex, key), completion in zip(batch, completions, strict=True):
                finish(req, ex, completion, key)
            if clock is not None:
                clock.update(counts["sent"])  # timing on disk as the run goes: survives a kill

    # one failure (a worker's error, a render error, Ctrl-C) stops the others: nothing waits on a
    # queue that no one reads
    tasks = [asyncio.ensure_future(produce()), *(asyncio.ensure_future(worker()) for _ in range(n_workers))]
    try:
        await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()


async def _judge_streamed(backend: Backend, to_send: list[Item], finish: Any, counts: dict[str, int]) -> None:
    waiting = {req.request_id: (req, ex, key) for req, ex, key in to_send}
    if waiting:
        async for completions in backend.stream([req for req, _, _ in to_send]):
            for completion in completions:
                item = waiting.pop(completion.request_id, None)
                if item is not None:
                    counts["sent"] += 1
                    finish(item[0], item[1], completion, item[2])
    for req, ex, key in waiting.values():  # the backend's stream ended without them: failed, retried on rerun
        finish(req, ex, Completion(request_id=req.request_id,
                                   error=f"backend {backend.name} returned no completion"), key)


def run(config: RunConfig, progress: Progress | None = None) -> RunResult:
    """Run (or resume) one evaluation and write its judgments, manifest and metrics."""
    prep = prepare(config)
    return asyncio.run(execute(prep, progress or NullProgress()))


async def execute(prep: PreparedRun, progress: Progress) -> RunResult:
    store = RunStore(prep.run_dir)
    with store.locked():  # a second process on this run folder stops here, naming this one
        return await _execute(prep, progress, store)


async def _execute(prep: PreparedRun, progress: Progress, store: RunStore) -> RunResult:
    store.open_run(prep.manifest.to_json())
    requests = prep.planned()
    path, exact = store.judgments_path, requests.ids.exact
    # what the folder holds already, read once without keeping the judgments
    existing = scan(path, requests.ids, requests.request_ids)
    if existing.dirty:  # superseded rows or a torn last line: one row per request before appending
        compact(path, exact)
    n_pending = prep.n_requests - len(existing.done)
    # a run judged in one go (no row before it): its columns are taken as the rows are written, so
    # that scoring it at the end does not read judgments.jsonl back
    collector = ColumnCollector() if n_pending and not (path.is_file() and path.stat().st_size) else None
    if collector is not None:
        store.sink = collector.add
    counts = {"ok": 0, "failed": 0, "cached": 0, "sent": 0, "again": 0}
    cache = None
    if prep.config.use_cache and prep.backend.cacheable and n_pending:
        cache = CompletionCache(prep.config.cache or default_cache_path())
    progress.start(total=prep.n_requests, completed=len(existing.done), invalid=existing.n_invalid,
                   description=f"{prep.suite.name}/{prep.split} {prep.backend.display_name}")
    # the judge's wall time (model loading included), what the leaderboard reports as cost
    clock = JudgeClock(store) if n_pending and prep.backend.timed else None
    try:
        if n_pending:
            await prep.backend.start(prep.run_dir)
            pending = requests.pending(existing.done)
            with frozen_gc():  # what was made before judging is not rescanned by the collector
                await _judge(prep, pending, n_pending, store, cache, progress, counts, clock, existing.present)
    finally:
        progress.stop()
        try:
            store.close()  # buffered rows reach the file (a full disk raises here, after the rest)
        finally:
            if cache is not None:
                cache.close()
            await prep.backend.aclose()
            if clock is not None and counts["sent"]:
                clock.update(counts["sent"], force=True)
            backend_stats = prep.backend.run_stats() if n_pending and counts["sent"] else None
            if backend_stats:
                record_backend_stats(store, backend_stats)
    if counts["again"]:  # a request judged again (a failed one retried): keep its latest row only
        compact(path, exact)
    columns = None
    if collector is not None and store.sink_complete and not counts["again"]:
        columns = collector.columns(path)  # every row of the file, as read_columns would read them
        n_rows = len(columns)
    else:
        n_rows = count_rows(path)  # one row per request now: what the file holds, not what was meant to be
    del collector
    metrics, report = score_run(prep.run_dir, rows=columns)  # no judgment is held for scoring
    extra: dict[str, Any] = {"backend_stats": backend_stats} if backend_stats else {}
    if n_rows and not existing.n_ok + counts["ok"]:  # every row failed: say why
        extra["no_answers"] = first_errors(read_judgments(path).values())
    if prep.config.samples > 1:
        extra["sampling"] = report_for_run(read_judgments(path).values(), prep.manifest)
        write_json_atomic(prep.run_dir / SAMPLES_FILE, extra["sampling"].model_dump(mode="json"))
    return RunResult(run_id=prep.run_id, run_dir=prep.run_dir, metrics=metrics,
                     n_requests=prep.n_requests, n_resumed=len(existing.done), n_cached=counts["cached"],
                     n_sent=counts["sent"], n_failed=metrics.n_failed, report=report,
                     n_missing=prep.n_requests - n_rows, extra=extra)


def record_backend_stats(store: RunStore, stats: dict[str, Any]) -> None:
    """This invocation's backend figures (per-endpoint counts, errors, latencies) in the manifest:
    ``backend_stats`` holds the latest invocation's, ``backend_stats_history`` the last 20."""
    manifest = store.read_manifest()
    if manifest is None:
        return
    entry = BackendStats.model_validate(
        {"at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), **jsonable(stats)}
    ).model_dump(mode="json")
    manifest["backend_stats"] = entry
    manifest["backend_stats_history"] = [*manifest.get("backend_stats_history", []), entry][-20:]
    write_json_atomic(store.manifest_path, manifest)


def first_errors(rows: Any, n: int = 3) -> list[tuple[str, int]]:
    """The most common failure messages of a run's failed rows, with their counts."""
    return Counter(j.error or "unknown error" for j in rows if j.status == "error").most_common(n)
