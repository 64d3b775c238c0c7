from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console

from ..errors import ConfigError
from ..progress import NullProgress, RichProgress
from ..rankings import SYSTEM_AGGREGATIONS
from ..types import RetryPolicy, RunConfig
from ._endpoints import print_endpoints, print_no_answers
from ._judge_args import judge_config as make_judge_config
from ._judge_args import key_values, suite_targets
from ._output import headline_text, print_run
from ._systems import print_systems_report, systems_args, systems_options, with_lc_hub_inputs

RUN_EPILOG = """\b
Examples:
  judgekit run --suite judgebench --limit 20 --data ../shared/data
  judgekit run --suite judgebench --judge openai:gpt-4o-mini
  judgekit run --suite judgebench --split gpt --judge openai:Skywork/Skywork-Critic-Llama-3.1-8B \\
      --base-url http://localhost:8000/v1
  judgekit run --suite judgebench --judge vllm:/path/to/checkpoint --verdict logprob
  judgekit run --suite llmbar,pandalm --data ../shared/data --judge mock:"Output (a)" --template vanilla
  judgekit run --suite generic --data prefs.csv --judge openai:gpt-4o-mini \\
      --field prompt=instruction --field a=output_1 --field b=output_2 --field label=preference \\
      --label 1=A --label 2=B
"""


def _timeout(value: float | None) -> float | None:
    if value is None:
        return None
    from ..backends.openai_compat import check_timeout

    try:
        return check_timeout(value, "--timeout")
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("run", epilog=RUN_EPILOG)
@click.option("--suite", required=True, help="Suite name (see `judgekit list`) or a suite YAML path; "
              "several separated by commas (judgebench,rewardbench,llmbar), each as SUITE or SUITE:SPLIT.")
@click.option("--split", default=None, help="Split of the suite (judgebench: gpt or claude); with several "
              "suites, write SUITE:SPLIT instead.")
@click.option("--judge", "judges", multiple=True, help="BACKEND:MODEL: openai:MODEL (any OpenAI-compatible "
              "server), vllm:MODEL_OR_PATH (vLLM's offline engine), vllm-server:MODEL (judgekit starts vllm serve), "
              "hf:MODEL_OR_PATH (transformers), rm:MODEL (reward model), replay:FILE_OR_RUN_DIR (recorded "
              "judgments), mock:TEXT (answers TEXT, for dry runs). Default: SmolLM2-135M-Instruct on "
              "transformers, a weak judge that runs on any CPU. Given several times: a jury of those judges "
              "(see --jury-aggregation).")
@click.option("--jury", "jury_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Jury YAML: name, aggregation and members (each a judge config with an optional weight).")
@click.option("--jury-aggregation", type=click.Choice(["majority", "weighted", "mean_prob"]), default=None,
              help="How a jury's verdicts combine (default majority; a --jury file may name its own).")
@click.option("--judge-config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML judge config: backend, model, template, sampling, options.")
@click.option("--template", default=None, help="Prompt template name or .j2 path (default: the "
              "template a known judge was trained with, else the suite's default).")
@click.option("--data", default=None, help="Local data file or folder instead of the Hugging Face hub "
              "(default: $JUDGEKIT_DATA_DIR if set).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Judge only the first N examples.")
@click.option("--single-order", is_flag=True, help="Judge each pair in one order only (no swap).")
@click.option("--random-order", is_flag=True, help="With --single-order: each pair's order drawn "
              "from a hash of its content instead of the original order.")
@click.option("--base-url", "base_urls", multiple=True, help="OpenAI-compatible endpoint, e.g. "
              "http://localhost:8000/v1. Repeat it for several servers of the same model: requests go to "
              "the one with the fewest in flight, and one that fails is skipped until it answers again.")
@click.option("--api-key-env", default=None, help="Environment variable holding the API key "
              "(default OPENAI_API_KEY).")
@click.option("--temperature", type=float, default=None,
              help="Sampling temperature (default: the template's, usually 0 = greedy).")
@click.option("--max-tokens", type=click.IntRange(min=1), default=None,
              help="Most tokens the judge may generate per request (default: the template's).")
@click.option("--seed", type=int, default=None,
              help="Sampling seed sent to the backend (where it supports one); part of the cache key.")
@click.option("--samples", type=click.IntRange(min=1), default=1, show_default=True,
              help="Verdicts drawn per request (needs --temperature > 0); reports the majority-of-k accuracy "
              "curve and test-retest agreement from the stored samples.")
@click.option("--concurrency", type=click.IntRange(min=1), default=32, show_default=True,
              help="Requests in flight.")
@click.option("--max-retries", type=click.IntRange(min=0), default=6, show_default=True,
              help="Retries per request on 429, 5xx, timeouts and dropped connections, with exponential "
              "backoff honouring Retry-After; no retry starts after 10 minutes; a request that still fails "
              "is recorded as failed and retried by the next run.")
@click.option("--timeout", type=float, default=None, callback=lambda ctx, param, value: _timeout(value),
              help="Seconds one HTTP attempt may take (default 120; a finite number above 0).")
@click.option("--verdict", type=click.Choice(["generate", "logprob", "constrained"]), default=None,
              help="generate: parse generated text (default); logprob: read the label tokens' "
              "probabilities (one forward pass); constrained: generation restricted to the labels (vLLM).")
@click.option("--engine-arg", "engine_args", multiple=True, metavar="KEY=VALUE",
              help="vllm / vllm-server engine argument, repeatable, e.g. tensor_parallel_size=2, "
              "max_model_len=8192 (values are read as YAML).")
@click.option("--option", "backend_options", multiple=True, metavar="KEY=VALUE",
              help="Backend keyword argument, repeatable, e.g. device=cuda, batch_size=16, dtype=bfloat16.")
@click.option("--reparse", is_flag=True, help="replay: parse the recorded texts again instead of "
              "using the recorded decisions.")
@click.option("--run-id", default=None, help="Run folder name (default: derived from the configuration, "
              "so rerunning the same command resumes).")
@click.option("--results-dir", default="results", show_default=True)
@click.option("--cache", "cache_path", default=None, help="SQLite completion cache path.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the completion cache.")
@click.option("--field", "fields", multiple=True, metavar="NAME=COLUMN",
              help="generic suite: NAME=COLUMN, judgekit's field name "
              "(prompt, a, b, label, id, category; pointwise: response, score, reference, rubric) and the "
              "dataset's column. Repeat the option.")
@click.option("--label", "labels", multiple=True, metavar="VALUE=A|B|tie", help="generic suite: VALUE=A|B|tie, how the label column's "
              "values map to the gold verdict. Repeat the option.")
@click.option("--kind", type=click.Choice(["pairwise", "pointwise"]), default=None,
              help="generic suite: pairwise pairs (default) or pointwise grades.")
@click.option("--hub-dataset", default=None, help="generic suite: a Hugging Face dataset id to read instead of "
              "--data (with --hub-split, --hub-config, --revision).")
@click.option("--hub-split", default=None, help="generic suite: the hub dataset's split.")
@click.option("--hub-config", default=None, help="generic suite: the hub dataset's configuration.")
@click.option("--revision", default=None, help="generic suite: the hub dataset's revision (a commit hash "
              "pins it).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@systems_options
def run_cmd(suite: str, split: str | None, judges: tuple[str, ...], jury_file: Path | None,
            jury_aggregation: str | None, judge_config: Path | None,
            template: str | None, data: str | None, limit: int | None, single_order: bool,
            random_order: bool, base_urls: tuple[str, ...], api_key_env: str | None,
            temperature: float | None, max_tokens: int | None, seed: int | None, samples: int, concurrency: int,
            max_retries: int, timeout: float | None, verdict: str | None, engine_args: tuple[str, ...],
            backend_options: tuple[str, ...], reparse: bool, run_id: str | None,
            results_dir: str, cache_path: str | None, no_cache: bool, fields: tuple[str, ...],
            labels: tuple[str, ...], kind: str | None, hub_dataset: str | None, hub_split: str | None,
            hub_config: str | None, revision: str | None, quiet: bool, systems: tuple[str, ...] = (),
            baseline: str | None = None, instruction_difficulty: str | None = None,
            gold_ranking: str | None = None, oracle: str | None = None,
            gamed_annotations: str | None = None) -> None:
    """Judge a suite's pairs in both orders (or grade its responses, for pointwise suites) and report
    the suite's metrics and its published aggregation. Several suites run one after the other."""
    sampling = {k: v for k, v in {"temperature": temperature, "max_tokens": max_tokens,
                                  "seed": seed}.items() if v is not None}
    base_url: str | list[str] | None = (None if not base_urls else base_urls[0] if len(base_urls) == 1
                                        else list(base_urls))
    options: dict[str, Any] = {k: v for k, v in {"base_url": base_url, "api_key_env": api_key_env, "timeout": timeout,
                                 "reparse": reparse or None}.items() if v is not None}
    options.update(key_values(backend_options, "--option"))
    if engine_args:
        options["engine_args"] = key_values(engine_args, "--engine-arg")
    targets = suite_targets(suite, split)
    if run_id is not None and len(targets) > 1:
        raise ConfigError("--run-id names one run; with several suites leave it out (each run gets its own)")
    judge_cfgs = [make_judge_config(j, judge_config, template, sampling, options) for j in judges or (None,)]
    if verdict is not None:
        judge_cfgs = [c.model_copy(update={"verdict": verdict}) for c in judge_cfgs]
    judge_cfg = judge_cfgs[0]
    suite_args = generic_args(fields, labels, kind, hub_dataset, hub_split, hub_config, revision)
    suite_args.update(systems_args(systems, baseline, instruction_difficulty, gamed_annotations, gold_ranking, oracle))
    suite_args = with_lc_hub_inputs(suite_args, [name for name, _ in targets])
    configs = [RunConfig(
        suite=name, split=target_split, data=data, judge=judge_cfg, suite_args=suite_args,
        swap=False if single_order else None,
        single_order="random" if random_order else "original",
        limit=limit, samples=samples, run_id=run_id, results_dir=results_dir, cache=cache_path, use_cache=not no_cache,
        concurrency=concurrency, retry=RetryPolicy(max_retries=max_retries),
    ) for name, target_split in targets]
    console = Console()
    if jury_file is not None or len(judge_cfgs) > 1:
        from ._jury import jury_config, run_jury_cmd

        jury = jury_config(jury_file, judge_cfgs if judges else [], jury_aggregation)
        failed = sum(run_jury_cmd(c, jury, quiet, console) for c in configs)
        if failed:
            raise SystemExit(1)
        return
    from .. import runner  # the backends load only when a judge runs

    preps = [runner.prepare(c) for c in configs]  # every suite's data and template checked up front
    import asyncio

    failed = missing = 0
    headlines: list[tuple[str, str, str]] = []
    for prep in preps:
        unit = "responses" if prep.suite.kind == "pointwise" else "pairs"
        orders = "one grade each" if prep.suite.kind == "pointwise" else ("both orders" if prep.swap else "one order")
        console.print(f"[bold]{prep.suite.name}[/bold] split {prep.split}: {len(prep.examples)} {unit}, "
                      f"{prep.n_requests} requests ({orders}); "
                      f"judge {prep.backend.display_name}; "
                      + (f"template {prep.template.name} ({prep.template.hash})" if prep.backend.uses_template
                         else "no template (reward-model scores)"))
        progress = NullProgress() if quiet else RichProgress()
        result = asyncio.run(runner.execute(prep, progress))
        title = f"{prep.suite.name} / {prep.split} / {prep.backend.display_name}"
        if "no_answers" in result.extra:
            print_no_answers(result.metrics.n_failed, result.extra["no_answers"], console)
        elif result.report is not None and result.report.aggregation in SYSTEM_AGGREGATIONS:
            print_systems_report(result.report, title, console)
        else:
            print_run(result.metrics, result.report, title, console)
        if "sampling" in result.extra:
            from ._sampling import print_sampling

            print_sampling(result.extra["sampling"], console)
        print_endpoints(result.extra.get("backend_stats"), console)
        console.print(f"resumed {result.n_resumed}, from cache {result.n_cached}, sent {result.n_sent}")
        console.print(f"judgments: {result.run_dir / 'judgments.jsonl'}\nmetrics:   {result.run_dir / 'metrics.json'}")
        failed += result.n_failed
        if result.n_missing:
            missing += result.n_missing
            console.print(f"[red]{result.n_missing} of {prep.n_requests} requests have no judgment[/red]; "
                          "rerun the same command to judge them")
        if "no_answers" not in result.extra:
            headlines.append((f"{prep.suite.name}/{prep.split}", *headline_text(result.metrics, result.report)))
    if len(preps) > 1 and headlines:
        console.print("[bold]summary[/bold]")
        for name, what, value in headlines:
            console.print(f"  {name}: {what} {value}")
    if failed or missing:
        raise SystemExit(1)


def generic_args(fields: tuple[str, ...], labels: tuple[str, ...], kind: str | None, hub: str | None,
                 hub_split: str | None, hub_config: str | None, revision: str | None) -> dict[str, Any]:
    """The generic adapter's arguments from the command line (an empty dict when none is given)."""
    from ..adapters.generic import parse_mapping

    out: dict[str, Any] = {}
    if fields:
        out["fields"] = parse_mapping(fields, "--field")
    if labels:
        out["labels"] = parse_mapping(labels, "--label")
    if kind is not None:
        out["kind"] = kind
    for key, value in (("hub", hub), ("hub_split", hub_split), ("hub_config", hub_config), ("revision", revision)):
        if value is not None:
            out[key] = value
    return out
