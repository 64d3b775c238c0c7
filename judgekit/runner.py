"""One run: adapter -> requests -> cache -> backend -> parse -> judgments -> metrics.

Every judgment is appended to the run's judgments.jsonl as soon as it finishes;
rerunning the same configuration resumes the same run folder and sends only the
requests that are missing or failed.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .adapters import LoadedData, load_examples
from .aggregations import PointwiseMetrics, SuiteReport
from .backends.base import Backend, call_with_retries, create_backend
from .cache import CompletionCache, default_cache_path, request_key
from .errors import ConfigError
from .judging import PARSER_VERSION, make_judgment
from .manifest import JudgeRef, RunManifest, TemplateRef, jsonable, run_manifest, sha, slug
from .metrics.pairwise import PairwiseMetrics
from .progress import NullProgress, Progress
from .prompts import Template, load_template, template_for_model
from .protocols import orders_for
from .redact import register_options
from .sampling import SAMPLES_FILE, batches_for, expand_samples, report_for_run
from .scoring import metrics_document, score_rows, suite_report
from .store import JudgeClock, RunStore, run_dir_for, write_json_atomic
from .suites import AggregationSpec, SuiteSpec, load_suite
from .types import (
    Completion,
    Example,
    JudgeRequest,
    Order,
    PairExample,
    PointExample,
    RunConfig,
    SamplingParams,
    VerdictMode,
)

log = logging.getLogger(__name__)

@dataclass
class PreparedRun:
    config: RunConfig
    suite: SuiteSpec
    split: str
    data: LoadedData
    template: Template
    backend: Backend
    swap: bool
    requests: list[JudgeRequest]
    examples: dict[str, Example]
    run_id: str
    run_dir: Path
    manifest: RunManifest


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
    prefill: str | None = None
    choices: tuple[str, ...] = ()
    if mode == "logprob":
        if template.spec.logprob is None:
            raise ConfigError(f"--verdict logprob: template {template.name!r} has no label tokens to read "
                              "(no `logprob:` block in its sidecar); its verdict comes after a critique, "
                              "so use --verdict generate")
        prefill, choices = template.spec.logprob.prefill, tuple(template.spec.logprob.choices)
        sampling = sampling.model_copy(update={"max_tokens": 1, "temperature": 0.0})
    elif mode == "constrained":
        choices = tuple(template.constrained_labels())
        sampling = sampling.model_copy(update={"max_tokens": 32, "temperature": 0.0})
    requests = []
    for ex in examples:
        # a pointwise example is judged once, in its only order
        orders: list[Order] = (["AB"] if isinstance(ex, PointExample)
                               else orders_for(ex, swap, single_order))  # type: ignore[arg-type]
        for order in orders:
            swapped = order == "BA"
            messages, prompt = template.render(ex, swapped=swapped)
            references: tuple[str, ...] = ()
            if isinstance(ex, PointExample):
                responses: tuple[str, ...] = (ex.response,)
                references = tuple(ex.metadata.get("references") or ([ex.reference] if ex.reference else []))
            else:
                responses = (ex.response_b, ex.response_a) if swapped else (ex.response_a, ex.response_b)
            requests.append(JudgeRequest(
                request_id=f"{ex.id}#{order}", example_id=ex.id, order=order, messages=messages,
                prompt=prompt, sampling=sampling, template=template.name, template_hash=template.hash,
                mode=mode, prefill=prefill, choices=choices, question=ex.prompt, responses=responses,
                references=references))
    return requests


def with_args(suite: SuiteSpec, overrides: dict[str, Any]) -> SuiteSpec:
    """The suite with argument overrides; ``kind`` also switches the suite's kind and its default
    template (``args.templates[kind]``)."""
    if not overrides:
        return suite
    args = {**suite.args, **overrides}
    update: dict[str, Any] = {"args": args}
    kind = overrides.get("kind")
    if kind is not None:
        if kind not in ("pairwise", "pointwise"):
            raise ConfigError(f"kind {kind!r}: expected pairwise or pointwise")
        update["kind"] = kind
        update["default_template"] = args.get("templates", {}).get(kind, suite.default_template)
        aggregation = args.get("aggregations", {}).get(kind)
        if aggregation is not None:
            update["aggregation"] = AggregationSpec(name=aggregation)
    return suite.model_copy(update=update)


def _sampling_problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'sampling'} {e['input']!r}: "
                     + ("unknown setting" if e["type"] == "extra_forbidden" else e["msg"]) for e in exc.errors())


def prepare(config: RunConfig) -> PreparedRun:
    register_options(config.judge.options)  # masked in everything the run writes
    suite = with_args(load_suite(config.suite), config.suite_args)
    split, split_spec = suite.split(config.split)
    data = load_examples(suite, split, config.data, config.limit)
    wanted = PointExample if suite.kind == "pointwise" else PairExample
    examples: dict[str, Example] = {ex.id: ex for ex in data.examples if isinstance(ex, wanted)}
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
    requests = build_requests(list(examples.values()), template, sampling, swap, config.single_order, mode)
    requests = expand_samples(requests, config.samples)
    sampling = requests[0].sampling if requests else sampling

    identity = {
        "suite": suite.name, "split": split,
        "data": {k: v for k, v in data.provenance.items() if k != "path"},
        "backend": backend.identity(),
        "template": [template.name, template.hash] if backend.uses_template else None,
        "parser_version": PARSER_VERSION, "sampling": sampling.model_dump(mode="json"), "verdict": mode,
        "swap": swap, "single_order": config.single_order,
        **({"suite_args": jsonable(config.suite_args)} if config.suite_args else {}),
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


async def _judge(prep: PreparedRun, pending: list[JudgeRequest], store: RunStore,
                 cache: CompletionCache | None, progress: Progress, counts: dict[str, int],
                 clock: JudgeClock | None = None) -> None:
    backend, template = prep.backend, prep.template
    identity = backend.identity()

    def finish(req: JudgeRequest, completion: Completion, key: str | None) -> None:
        j = make_judgment(req, prep.examples[req.example_id], completion, template)
        store.append(j)
        if cache is not None and key is not None and not completion.cached:
            cache.put(key, completion)
        counts["failed" if j.status == "error" else "ok"] += 1
        progress.advance(invalid=j.winner == "invalid", failed=j.status == "error")

    to_send: list[tuple[JudgeRequest, str | None]] = []
    for req in pending:
        key = request_key(identity, req) if cache is not None else None
        hit = cache.get(key) if cache is not None and key is not None else None
        if hit is not None:
            counts["cached"] += 1
            finish(req, hit.model_copy(update={"request_id": req.request_id, "cached": True,
                                                "attempts": 0}), key)
        else:
            to_send.append((req, key))

    if backend.streams:  # the backend takes the whole run and yields batches as they finish
        await _judge_streamed(backend, to_send, finish, counts)
        return
    batches = batches_for(to_send, backend.batch_size, getattr(backend, "supports_n", False))
    queue: asyncio.Queue[list[tuple[JudgeRequest, str | None]]] = asyncio.Queue()
    for b in batches:
        queue.put_nowait(b)
    rng = random.Random(prep.run_id)  # backoff jitter only

    async def worker() -> None:
        while True:
            try:
                batch = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            completions = await call_with_retries(backend, [r for r, _ in batch], prep.config.retry, rng)
            counts["sent"] += len(batch)
            for (req, key), completion in zip(batch, completions, strict=True):
                finish(req, completion, key)
            if clock is not None:
                clock.update(counts["sent"])  # timing on disk as the run goes: survives a kill

    n_workers = max(1, min(prep.config.concurrency, len(batches)))
    await asyncio.gather(*(worker() for _ in range(n_workers)))


async def _judge_streamed(backend: Backend, to_send: list[tuple[JudgeRequest, str | None]], finish: Any,
                          counts: dict[str, int]) -> None:
    waiting = {req.request_id: (req, key) for req, key in to_send}
    if waiting:
        async for completions in backend.stream([req for req, _ in to_send]):
            for completion in completions:
                item = waiting.pop(completion.request_id, None)
                if item is not None:
                    counts["sent"] += 1
                    finish(item[0], completion, item[1])
    for req, key in waiting.values():  # the backend's stream ended without them: failed, retried on rerun
        finish(req, Completion(request_id=req.request_id, error=f"backend {backend.name} returned no completion"),
               key)


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
    existing = store.load(keep={r.request_id for r in prep.requests})
    done = {rid for rid, j in existing.items() if j.status == "ok"}
    pending = [r for r in prep.requests if r.request_id not in done]
    counts = {"ok": 0, "failed": 0, "cached": 0, "sent": 0}
    cache = None
    if prep.config.use_cache and prep.backend.cacheable and pending:
        cache = CompletionCache(prep.config.cache or default_cache_path())
    progress.start(total=len(prep.requests), completed=len(done),
                   invalid=sum(existing[r].winner == "invalid" for r in done),
                   description=f"{prep.suite.name}/{prep.split} {prep.backend.display_name}")
    # the judge's wall time (model loading included), what the leaderboard reports as cost
    clock = JudgeClock(store) if pending and prep.backend.timed else None
    try:
        if pending:
            await prep.backend.start(prep.run_dir)
            await _judge(prep, pending, store, cache, progress, counts, clock)
    finally:
        progress.stop()
        store.close()
        if cache is not None:
            cache.close()
        await prep.backend.aclose()
        if clock is not None and counts["sent"]:
            clock.update(counts["sent"], force=True)
        backend_stats = prep.backend.run_stats() if pending and counts["sent"] else None
        if backend_stats:
            record_backend_stats(store, backend_stats)
    rows = store.load(keep={r.request_id for r in prep.requests})
    metrics = score_rows(rows.values(), prep.manifest)
    report = suite_report(rows.values(), prep.manifest)
    store.write_metrics(metrics_document(prep.manifest, metrics, len(rows), report))
    extra: dict[str, Any] = {"backend_stats": backend_stats} if backend_stats else {}
    if rows and all(j.status == "error" for j in rows.values()):
        extra["no_answers"] = first_errors(rows.values())
    if prep.config.samples > 1:
        extra["sampling"] = report_for_run(rows.values(), prep.manifest)
        write_json_atomic(prep.run_dir / SAMPLES_FILE, extra["sampling"].model_dump(mode="json"))
    return RunResult(run_id=prep.run_id, run_dir=prep.run_dir, metrics=metrics,
                     n_requests=len(prep.requests), n_resumed=len(done), n_cached=counts["cached"],
                     n_sent=counts["sent"], n_failed=metrics.n_failed, report=report,
                     n_missing=len(prep.requests) - len(rows), extra=extra)


def record_backend_stats(store: RunStore, stats: dict[str, Any]) -> None:
    """This invocation's backend figures (per-endpoint counts, errors, latencies) in the manifest:
    ``backend_stats`` holds the latest invocation's, ``backend_stats_history`` the last 20."""
    import datetime

    from .manifest import BackendStats
    from .store import write_json_atomic

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
    from collections import Counter

    return Counter(j.error or "unknown error" for j in rows if j.status == "error").most_common(n)
