"""`judgekit validate`: gate a new judge checkpoint against a baseline before release.

For each suite, the candidate judge is run (resuming its stored run and reading the
completion cache, like ``judgekit run``), the baseline is a stored run folder or a judge
that is run the same way (a stored run of it is reused as is), and the two are compared on
the examples both judged, with paired tests from :mod:`judgekit.metrics.stats`:

- the suite's headline, the one :func:`judgekit.scoring.headline` names (its published
  aggregation's, else the accuracy under its headline policy), overall and per category, on
  the shared examples: paired bootstrap replicates of the difference from
  :func:`judgekit.scoring.headline_replicates` on the same draws, McNemar's exact test where the
  headline is a share of examples (:mod:`judgekit.views.validate_headline`);
- invalid verdicts: the share of examples with an invalid or failed verdict, paired the same way;
- position bias: |position preference - 50| in points, its difference by a paired bootstrap over
  examples (both judges' verdicts on an example resampled together).

A check fails when the candidate is significantly worse and, for the headline, the drop
(baseline minus candidate, in points) is larger than ``max_drop``; the invalid-verdict and
position-bias checks fail on any significant worsening. With audits, each probe's effect is
gated too (:mod:`judgekit.views.validate_probes`). The result is a verdict table, a markdown
summary (for a CI comment) and JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import ConfigError
from ..manifest import data_identity, read_manifest, require_manifest
from ..metrics.stats import PairedComparison, bootstrap_rows, compare_judges, rng_for
from ..progress import NullProgress, Progress
from ..scoring import by_example, verdicts
from ..store import JUDGMENTS, read_judgments
from ..suites import load_suite
from ..types import JudgeConfig, Judgment, RunConfig
from .format import num, p_cell
from .validate_headline import headline_checks
from .validate_model import AuditComparison, Check, SuiteComparison, ValidateConfig, ValidationResult
from .validate_probes import audit_comparison

__all__ = ["AuditComparison", "Check", "JudgedRun", "RunJudge", "SuiteComparison", "ValidateConfig",
           "ValidationResult", "compare_runs", "render_json", "render_markdown", "validate", "verdict_rows",
           "write_outputs"]


class JudgedRun(Protocol):
    """What validate needs of a finished run (the runner's RunResult)."""

    run_dir: Path
    n_failed: int


#: runs one judge on one suite (resuming its stored run); the CLI passes ``judgekit.runner.run``
RunJudge = Callable[[RunConfig, Progress], JudgedRun]


# --------------------------------------------------------------------------- paired tests (judgekit.metrics.stats)


def _paired(a: np.ndarray, b: np.ndarray, config: ValidateConfig, key: str) -> PairedComparison:
    """Paired comparison of per-example 0/1 outcomes: ``compare_judges`` (difference a - b)."""
    return compare_judges(a, b, n_resamples=config.n_resamples, seed=rng_for(config.seed, "validate", key),
                          level=1.0 - config.alpha)


def _bias_difference(units: np.ndarray, config: ValidateConfig) -> tuple[float, float | None, float | None,
                                                                         float | None]:
    """Paired bootstrap of |pref_c - 50| - |pref_b - 50| (points) over examples, from per-example rows
    [first-shown picks, decisive verdicts] of the candidate then the baseline: (value, low, high, p)."""
    def stat(s: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            pc = s[:, 0] / s[:, 1]
            pb = s[:, 2] / s[:, 3]
        return 100.0 * (np.abs(pc - 0.5) - np.abs(pb - 0.5))

    res = bootstrap_rows(units, stat, n_resamples=config.n_resamples,
                         seed=rng_for(config.seed, "validate", "position"), level=1.0 - config.alpha)
    s = res.samples[np.isfinite(res.samples)]
    p = float(min(1.0, 2 * min(np.mean(s <= 0), np.mean(s >= 0)))) if s.size else None
    return float(res.value), res.low, res.high, p


# --------------------------------------------------------------------------- runs


def _judge_name(j: JudgeConfig) -> str:
    return f"{j.backend}:{j.model}"


def _find_baseline_run(config: ValidateConfig, suite: str, split: str) -> Path | None:
    for d in config.baseline_runs:
        manifest = read_manifest(d)
        if manifest is None:
            raise ConfigError(f"--baseline {d}: not a run folder (no manifest.json)")
        if manifest.suite.name == suite and manifest.split == split:
            return Path(d)
    return None


def _run(config: ValidateConfig, judge: JudgeConfig, suite: str, split: str, progress: Progress,
         run_judge: RunJudge) -> Path:
    run_config = RunConfig(suite=suite, split=split, data=config.data, suite_args=config.suite_args, judge=judge,
                           limit=config.limit,
                           results_dir=config.results_dir, cache=config.cache, use_cache=config.use_cache,
                           concurrency=config.concurrency)
    result = run_judge(run_config, progress)
    if result.n_failed:
        raise ConfigError(f"{result.n_failed} requests of {suite}/{split} ({_judge_name(judge)}) failed; rerun "
                          f"the same command to retry them before validating")
    return result.run_dir


def _pct(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else 100.0 * x


# --------------------------------------------------------------------------- comparison


def compare_runs(baseline_dir: Path, candidate_dir: Path, config: ValidateConfig) -> SuiteComparison:
    """The checks of one suite: candidate against baseline on the examples both judged."""
    base_m = require_manifest(baseline_dir)
    cand_m = require_manifest(candidate_dir)
    suite, split = cand_m.suite.name, cand_m.split or ""
    base_data, cand_data = data_identity(base_m.data), data_identity(cand_m.data)
    if base_m.imported is None and base_data != cand_data:
        raise ConfigError(f"baseline run {baseline_dir.name} was made on other {suite}/{split} data than the "
                          f"candidate ({json.dumps(base_data, sort_keys=True)[:120]} vs "
                          f"{json.dumps(cand_data, sort_keys=True)[:120]}); rerun the baseline on the same data")
    base = by_example(read_judgments(baseline_dir / JUDGMENTS).values())
    cand = by_example(read_judgments(candidate_dir / JUDGMENTS).values())
    shared = sorted(set(base) & set(cand))
    notes: list[str] = []
    relabelled = [e for e in shared if base[e][0].label != cand[e][0].label]
    if relabelled:
        raise ConfigError(f"{len(relabelled)} examples have another gold label in the baseline run than in the "
                          f"candidate's (first: {relabelled[0]!r}); they are not the same items")
    if not shared:
        raise ConfigError(f"the baseline run {baseline_dir.name} and the candidate run {candidate_dir.name} "
                          "have no example in common")
    base_orders = {e: {j.order for j in base[e]} for e in shared}
    if any(base_orders[e] != {j.order for j in cand[e]} for e in shared):
        notes.append("the two runs judged some examples in different orders (swap settings differ)")
    # ---- the suite's headline (scoring.headline), overall and per category
    headline_name, head_checks, head_notes = headline_checks(base, cand, shared, cand_m, base_m, config)
    checks: list[Check] = list(head_checks)
    notes += head_notes
    level = 1.0 - config.alpha

    # ---- invalid (or failed) verdicts: share of examples with one
    c_inv = np.array([any(v == "invalid" for v in verdicts(cand[e])) for e in shared], dtype=int)
    b_inv = np.array([any(v == "invalid" for v in verdicts(base[e])) for e in shared], dtype=int)
    inv = _paired(c_inv, b_inv, config, "invalid")
    d = _pct(inv.difference.value)
    p = inv.mcnemar.p_value
    worse = d is not None and d > 0 and p < config.alpha
    checks.append(Check(
        metric="invalid verdicts", scope="overall", baseline=_pct(inv.accuracy_b), candidate=_pct(inv.accuracy_a),
        difference=d, ci_low=_pct(inv.difference.ci_low), ci_high=_pct(inv.difference.ci_high), ci_level=level,
        p_value=p, test="McNemar exact (examples with an invalid verdict)", n=len(shared), higher_is_better=False,
        status="fail" if worse else "pass",
        reason="significantly more examples with an invalid verdict" if worse else "no significant increase"))

    # ---- position bias: |preference for the first-shown response - 50|
    def pp_units(js: Sequence[Judgment]) -> tuple[int, int]:
        ok = [j for j in js if j.status == "ok" and j.shown_winner in ("A", "B")]
        return sum(j.shown_winner == "A" for j in ok), len(ok)

    units = np.array([[*pp_units(cand[e]), *pp_units(base[e])] for e in shared], dtype=np.int64)
    if units[:, 1].sum() and units[:, 3].sum():
        value, lo, hi, p_bias = _bias_difference(units, config)
        c_share = 100.0 * units[:, 0].sum() / units[:, 1].sum()
        b_share = 100.0 * units[:, 2].sum() / units[:, 3].sum()
        worse = value > 0 and p_bias is not None and p_bias < config.alpha
        checks.append(Check(
            metric="position bias", scope="overall", baseline=abs(b_share - 50.0), candidate=abs(c_share - 50.0),
            difference=value, ci_low=lo, ci_high=hi, ci_level=level, p_value=p_bias,
            test="paired bootstrap of |first-shown preference - 50|", n=len(shared), higher_is_better=False,
            status="fail" if worse else "pass",
            reason=(f"first-shown preference {b_share:.2f} % -> {c_share:.2f} %: significantly further from 50"
                    if worse else f"first-shown preference {b_share:.2f} % -> {c_share:.2f} %")))
    return SuiteComparison(suite=suite, split=split, baseline_run=baseline_dir.name, candidate_run=candidate_dir.name,
                           n_compared=len(shared), n_only_baseline=len(set(base) - set(cand)),
                           n_only_candidate=len(set(cand) - set(base)), checks=tuple(checks), notes=tuple(notes),
                           headline=headline_name)


# --------------------------------------------------------------------------- the command


def validate(config: ValidateConfig, run_judge: RunJudge, progress_factory: Any = NullProgress) -> ValidationResult:
    """Run the candidate (and, when given as a judge, the baseline) on every suite with ``run_judge``
    and compare."""
    if not config.baseline_runs and config.baseline_judge is None:
        raise ConfigError("validate needs a baseline: a stored run folder or a judge spec")
    audit = audit_comparison(config)  # the audits are read (and checked) before any judge runs
    comparisons = []
    for suite_name, split_name in config.targets:
        split, _ = load_suite(suite_name).split(split_name)
        base_dir = _find_baseline_run(config, suite_name, split)
        candidate = config.candidate
        if base_dir is None and config.baseline_judge is None:
            raise ConfigError(f"no baseline for {suite_name}/{split}: none of the --baseline run folders is a "
                              f"{suite_name} {split} run; pass its run folder or a baseline judge spec")
        if base_dir is None:
            assert config.baseline_judge is not None
            base_dir = _run(config, config.baseline_judge, suite_name, split, progress_factory(), run_judge)
        if candidate.template is None:  # judge with the baseline's prompt unless told otherwise
            tpl = require_manifest(base_dir).config_template()
            if tpl and not str(tpl).startswith("imported:"):
                candidate = candidate.model_copy(update={"template": tpl})
        cand_dir = _run(config, candidate, suite_name, split, progress_factory(), run_judge)
        comparisons.append(compare_runs(base_dir, cand_dir, config))
    baseline = (_judge_name(config.baseline_judge) if config.baseline_judge is not None
                else ", ".join(Path(d).name for d in config.baseline_runs))
    passed = all(c.passed for c in comparisons) and (audit is None or audit.passed)
    return ValidationResult(passed=passed, candidate=_judge_name(config.candidate), baseline=baseline,
                            max_drop=config.max_drop, alpha=config.alpha, suites=tuple(comparisons), audit=audit)


# --------------------------------------------------------------------------- output


def verdict_rows(result: ValidationResult) -> list[list[str]]:
    """One row per check: the suite (an audit's: "SUITE/SPLIT audit"), the metric (the headline's as
    "headline: NAME"), scope, baseline, candidate, "difference [CI]", p, n, verdict and why."""
    groups = [(f"{s.suite}/{s.split}", s.checks) for s in result.suites]
    if result.audit is not None:
        groups.append((f"{result.audit.suite}/{result.audit.split} audit", result.audit.checks))
    rows = []
    for where, checks in groups:
        for c in checks:
            k = c.digits
            ci = f"[{num(c.ci_low, k, sign=True)}, {num(c.ci_high, k, sign=True)}]" if c.ci_low is not None else ""
            rows.append([where, f"headline: {c.metric}" if c.headline else c.metric, c.scope, num(c.baseline, k),
                         num(c.candidate, k), f"{num(c.difference, k, sign=True)} {ci}".strip(), p_cell(c.p_value),
                         str(c.n), c.status.upper(), c.reason])
    return rows


HEADER = ["suite", "metric", "scope", "baseline", "candidate", "difference [CI]", "p", "n", "verdict", "why"]


def render_markdown(result: ValidationResult) -> str:
    status = "PASS" if result.passed else "FAIL"
    lines = [f"## judgekit validate: {status}", "",
             f"candidate `{result.candidate}` against baseline `{result.baseline}`; the suite's headline (the "
             f"one its leaderboard shows) fails when it is more than {result.max_drop:g} points lower and the drop "
             f"is significant (McNemar p < {result.alpha:g} where the headline is a share of examples, else its "
             f"paired bootstrap interval below 0); invalid verdicts and position bias fail on any significant "
             f"increase. Rates in percent; position bias in points away from 50; differences are candidate minus "
             f"baseline with {100 * (1 - result.alpha):g}% paired bootstrap intervals.", ""]
    if result.audit is not None:
        lines += ["Probe effects (audit rows) fail when an effect is further from no effect than its "
                        "--max-effect, or significantly more biased than the baseline audit's by more than the "
                        "allowed increase.", ""]
    lines.append("| " + " | ".join(HEADER) + " |")
    lines.append("|---|---|---|---:|---:|---:|---:|---:|---|---|")
    for row in verdict_rows(result):
        row[8] = f"**{row[8]}**" if row[8] == "FAIL" else row[8]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    lines.append("")
    for s in result.suites:
        extra = []
        if s.n_only_baseline or s.n_only_candidate:
            extra.append(f"{s.n_only_baseline} examples only in the baseline run, {s.n_only_candidate} only in the "
                         "candidate's (left out)")
        extra += list(s.notes)
        lines.append(f"- {s.suite}/{s.split}: {s.n_compared} examples compared; baseline run `{s.baseline_run}`, "
                     f"candidate run `{s.candidate_run}`" + ("; " + "; ".join(extra) if extra else ""))
    if result.audit is not None:
        lines.append(f"- {result.audit.suite}/{result.audit.split} audit: " + "; ".join(result.audit.notes))
    return "\n".join(lines) + "\n"


def render_json(result: ValidationResult) -> str:
    return json.dumps(result.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"


def write_outputs(result: ValidationResult, out_dir: str | Path) -> tuple[Path, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md, js = out / "validate.md", out / "validate.json"
    md.write_text(render_markdown(result), encoding="utf-8")
    js.write_text(render_json(result), encoding="utf-8")
    return md, js
