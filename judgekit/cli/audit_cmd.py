from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console

from ..audit_gate import parse_limits
from ..progress import NullProgress, Progress, RichProgress
from ..types import RetryPolicy, RunConfig
from ._judge_args import judge_config as make_judge_config
from ._judge_args import key_values
from .run_cmd import generic_args


@click.command("audit")
@click.option("--suite", required=True, help="Suite name or YAML path (one suite).")
@click.option("--split", default=None)
@click.option("--judge", default=None, help="BACKEND:MODEL (default: the small default judge). A replay judge "
              "answers only the data-only probes (position, calibration, central tendency, self-preference).")
@click.option("--judge-config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--template", default=None)
@click.option("--data", default=None, help="Local data file or folder instead of the Hugging Face hub.")
@click.option("--limit", type=int, default=None, help="Audit only the first N examples.")
@click.option("--probe", "probes", multiple=True, help="Probe name, repeatable (default: every probe that "
              "applies to the suite's kind; `judgekit audit --list-probes` lists them).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the transforms and the bootstrap.")
@click.option("--temperature", type=float, default=0.7, show_default=True,
              help="stability: sampling temperature of the resample and the paraphrase.")
@click.option("--level", type=float, default=0.95, show_default=True,
              help="Joint confidence level of the flags (Bonferroni over the audit's effects).")
@click.option("--resamples", type=int, default=1000, show_default=True, help="Bootstrap resamples.")
@click.option("--judge-family", default=None, help="self_preference: the judge's model family (default: from its name).")
@click.option("--verdict", type=click.Choice(["generate", "logprob", "constrained"]), default=None)
@click.option("--base-url", default=None)
@click.option("--api-key-env", default=None)
@click.option("--option", "backend_options", multiple=True, metavar="KEY=VALUE")
@click.option("--engine-arg", "engine_args", multiple=True, metavar="KEY=VALUE")
@click.option("--field", "fields", multiple=True, help="generic suite: NAME=COLUMN.")
@click.option("--label", "labels", multiple=True, help="generic suite: VALUE=A|B|tie.")
@click.option("--kind", type=click.Choice(["pairwise", "pointwise"]), default=None)
@click.option("--concurrency", type=int, default=32, show_default=True)
@click.option("--max-retries", type=int, default=6, show_default=True)
@click.option("--results-dir", default="results", show_default=True)
@click.option("--cache", "cache_path", default=None)
@click.option("--no-cache", is_flag=True)
@click.option("--fail-on-flag", is_flag=True, help="Exit 1 when any effect is flagged (a CI gate).")
@click.option("--max-effect", "max_effects", multiple=True, metavar="PROBE[/VARIANT]=X",
              help="Exit 1 when the effect's distance from no effect exceeds X, e.g. verbosity=0.1, "
              "bandwagon/cue-worse=0.05, central_tendency=0.2. Repeatable.")
@click.option("--baseline-audit", type=click.Path(exists=True, path_type=Path), default=None,
              help="Another judge's audit (folder or audit.json) of the same suite: compare effect by effect, "
              "paired over examples, and exit 1 when this judge is significantly more biased by more than "
              "--max-increase.")
@click.option("--max-increase", type=float, default=0.0, show_default=True,
              help="With --baseline-audit: the allowed increase of an effect.")
@click.option("--stored-only", is_flag=True, help="Judge nothing: report from the judgments already stored "
              "(an interrupted audit, so far; effects use the examples judged both ways).")
@click.option("-q", "--quiet", is_flag=True)
def audit_cmd(suite: str, split: str | None, judge: str | None, judge_config: Path | None, template: str | None,
              data: str | None, limit: int | None, probes: tuple[str, ...], seed: int, temperature: float,
              level: float, resamples: int, judge_family: str | None, verdict: str | None, base_url: str | None,
              api_key_env: str | None, backend_options: tuple[str, ...], engine_args: tuple[str, ...],
              fields: tuple[str, ...], labels: tuple[str, ...], kind: str | None, concurrency: int,
              max_retries: int, results_dir: str, cache_path: str | None, no_cache: bool, fail_on_flag: bool,
              max_effects: tuple[str, ...], baseline_audit: Path | None, max_increase: float, stored_only: bool,
              quiet: bool) -> None:
    """Counterfactual bias probes: judge the suite's examples and perturbed copies of them (each probe's
    run stored next to the unperturbed run), and report each probe's effect with a bootstrap interval,
    a paired test and a flag; writes audit.json and report.html under RESULTS_DIR/audits/."""
    from ..audit import AuditConfig, run_audit
    from ..probes.report import table_markdown

    limits = parse_limits(max_effects)
    options: dict[str, Any] = {k: v for k, v in {"base_url": base_url, "api_key_env": api_key_env}.items()
                               if v is not None}
    options.update(key_values(backend_options, "--option"))
    if engine_args:
        options["engine_args"] = key_values(engine_args, "--engine-arg")
    judge_cfg = make_judge_config(judge, judge_config, template, {}, options)
    if verdict is not None:
        judge_cfg = judge_cfg.model_copy(update={"verdict": verdict})
    run = RunConfig(suite=suite, split=split, data=data, judge=judge_cfg, limit=limit, results_dir=results_dir,
                    suite_args=generic_args(fields, labels, kind, None, None, None, None), cache=cache_path,
                    use_cache=not no_cache, concurrency=concurrency, retry=RetryPolicy(max_retries=max_retries))
    cfg = AuditConfig(run=run, probes=probes, seed=seed, temperature=temperature, level=level,
                      n_resamples=resamples, judge_family=judge_family, judge=not stored_only)

    def progress() -> Progress:
        return NullProgress() if quiet else RichProgress()

    from .. import runner  # the backends load only when a judge runs

    result, out = run_audit(cfg, runner, progress)
    console = Console()
    console.print(f"[bold]audit[/bold] {result.suite}/{result.split}, judge {result.judge}")
    click.echo(table_markdown(result))
    console.print(f"intervals at {result.flag_level:.4f} each (Bonferroni over {result.n_flaggable} effects, "
                  f"joint {result.level:.2f})")
    click.echo(f"audit:  {out / 'audit.json'}\nreport: {out / 'report.html'}")
    failed = []
    if fail_on_flag:
        failed += [f"{e.probe}/{e.variant or ''}: flagged" for e in result.flagged]
    from ..audit_gate import baseline_gates, limit_gates

    failed += [f"{g.name}: {g.reason}" for g in limit_gates(result, limits) if g.failed]
    if baseline_audit is not None:
        from ..audit import load_audit

        other = load_audit(baseline_audit)
        gates = baseline_gates(result, other, max_increase=max_increase, level=level, n_resamples=resamples,
                               seed=seed)
        click.echo(f"\nagainst the baseline audit of {other.judge} (candidate - baseline, paired over examples):")
        click.echo("| probe | variant | candidate | baseline | difference | interval | p | worse |\n|---|---|---|---|---|---|---|---|")
        for g in gates:
            d = g.difference
            assert d is not None
            ci = "–" if d.ci_low is None else f"[{d.ci_low:+.3f}, {d.ci_high:+.3f}]"
            click.echo(f"| {g.probe} | {g.variant or ''} | {_f(g.candidate.value)} | {_f(g.baseline)} | "
                       f"{_f(d.value)} | {ci} | {'–' if d.p_value is None else f'{d.p_value:.2g}'} | "
                       f"{'WORSE' if g.failed else 'no'} |")
        failed += [f"{g.name}: more biased than the baseline" for g in gates if g.failed]
    if failed:
        console.print("[red]gate failed[/red]: " + "; ".join(failed))
        raise SystemExit(1)


def _f(x: float | None) -> str:
    return "–" if x is None else f"{x:+.3f}"
