"""validate's headline check: the candidate and the baseline compared on the headline that
:func:`judgekit.scoring.headline` names for the suite (LLMBar's mean of subsets, PandaLM's
first-order accuracy with unparseable = tie, RewardBench's mean of sections, a correlation for a
pointwise suite...; JudgeBench and suites without a published aggregation: the accuracy under the
headline policy).

Both runs are restricted to the examples both judged, grouped and ordered by example id (as
:func:`judgekit.scoring.by_example` orders them), and :func:`judgekit.scoring.headline_replicates`
computes the headline on each run with the same seed. Same seed, same number of examples: the same
bootstrap draws, so candidate replicate b minus baseline replicate b is a paired replicate of the
difference (the examples drawn together), and its percentile interval at 1 - alpha is the interval
the gate uses.

The test: where the headline is a share of examples (one right/wrong outcome per example: the
headline policy's accuracy, the first-order accuracy of PandaLM and JudgeLM, EvalBiasBench's pair
accuracy), McNemar's exact test on the paired outcomes, as before; otherwise the paired bootstrap:
the difference is significant when its interval excludes 0 (the p-value shown is the bootstrap's,
2 min(P*(d <= 0), P*(d >= 0))). Per category (the judgments' categories, when there are several), the
headline is recomputed on the category's examples, its interval Bonferroni-widened across the
categories and its p-value Holm-adjusted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..aggregations import aggregate
from ..headline_sums import HEADLINE_SUMS, resample_groups
from ..manifest import RunManifest
from ..metrics.stats import (
    PairedComparison,
    adjust_pvalues,
    compare_by_category,
    compare_judges,
    mcnemar_exact,
    percentile_interval,
    rng_for,
    simultaneous_level,
)
from ..protocols import is_correct
from ..rankings import SYSTEM_AGGREGATIONS
from ..scoring import combined_verdict, headline_replicates
from ..types import Judgment
from .format import format_p
from .validate_model import Check, Status, ValidateConfig

#: aggregations whose headline is a share of examples, one 0/1 outcome each (their vectorised
#: headline is ``100 * sum(hit) / sum(counted)`` over per-example units [hit, counted]): McNemar applies
PER_EXAMPLE_SHARES = frozenset({"three_way", "evalbiasbench"})
#: aggregations whose headline is a ratio (a correlation, a kappa) rather than a percentage
RATIO_HEADLINES = frozenset({"pointwise", "qa"})

Groups = Mapping[str, Sequence[Judgment]]
MCNEMAR = "McNemar exact"
BOOTSTRAP = "paired bootstrap of the headline (significant when the interval excludes 0)"


def headline_checks(base: Groups, cand: Groups, shared: Sequence[str], cand_m: RunManifest,
                    base_m: RunManifest, config: ValidateConfig) -> tuple[str | None, list[Check], list[str]]:
    """The headline's name, its checks (overall, then per category) and notes, on the shared examples."""
    spec = cand_m.aggregation
    notes: list[str] = []
    if spec is not None and spec.name in SYSTEM_AGGREGATIONS:
        notes.append(f"systems suite: its headline ({spec.name}) ranks systems; " + (
            f"the judge is compared on the accuracy under the {cand_m.protocol.headline_policy} policy"
            if cand_m.kind == "pairwise" else "only invalid verdicts are compared"))
        return _policy_checks(base, cand, shared, cand_m, config, notes) if cand_m.kind == "pairwise" else (
            None, [], notes)
    if spec is None:
        if cand_m.kind != "pairwise":
            notes.append("pointwise suite without a published aggregation: only invalid verdicts are compared")
            return None, [], notes
        return _policy_checks(base, cand, shared, cand_m, config, notes)
    if base_m.aggregation is not None and base_m.aggregation != spec:
        notes.append(f"the baseline run recorded other arguments of the {spec.name} aggregation; both runs are "
                     "scored with the candidate's")
    rows_c = [j for e in shared for j in cand[e]]
    rows_b = [j for e in shared for j in base[e]]
    report_c = aggregate(spec.name, rows_c, spec.args)
    name = report_c.headline_name
    scale = 0.01 if spec.name in RATIO_HEADLINES else 1.0  # --max-drop is in points: hundredths of a ratio
    level = 1.0 - config.alpha
    checks = [_replicate_check(name, "overall", rows_c, rows_b, spec.name, spec.args, config, level, scale)]
    cats = sorted({cat for e in shared if (cat := cand[e][0].category)})
    if len(cats) > 1:
        order = list(cand_m.protocol.category_order) or list(spec.args.get("subsets", []))
        cats.sort(key=lambda c: (order.index(c) if c in order else len(order), c))
        lvl = simultaneous_level(level, len(cats))
        per = [_replicate_check(name, c, [j for j in rows_c if j.category == c],
                                [j for j in rows_b if j.category == c], spec.name, spec.args, config, lvl, scale)
               for c in cats]
        adjusted = adjust_pvalues([np.nan if c.p_value is None else c.p_value for c in per], "holm")
        for c, p in zip(per, adjusted, strict=True):
            p_adj = None if not math.isfinite(p) else float(p)
            checks.append(_judge(c.model_copy(update={"p_value": p_adj, "test": c.test + " (Holm)"}), config, scale))
    if scale != 1.0:
        notes.append(f"the headline ({name}) is a ratio: differences are in its units and --max-drop "
                     f"{config.max_drop:g} points means {config.max_drop * scale:g}")
    return name, checks, notes


def _replicate_check(name: str, scope: str, rows_c: list[Judgment], rows_b: list[Judgment], aggregation: str,
                     args: Mapping[str, Any], config: ValidateConfig, level: float, scale: float) -> Check:
    """One headline check from the paired replicates (the test and status set by :func:`_judge`)."""
    head_c = aggregate(aggregation, rows_c, args).headline
    head_b = aggregate(aggregation, rows_b, args).headline
    reps_c = headline_replicates(rows_c, aggregation, args, config.n_resamples, config.seed)
    reps_b = headline_replicates(rows_b, aggregation, args, config.n_resamples, config.seed)
    diff = reps_c - reps_b
    low, high = percentile_interval(diff, level)
    finite = diff[np.isfinite(diff)]
    p_boot = float(min(1.0, 2 * min(np.mean(finite <= 0), np.mean(finite >= 0)))) if finite.size else None
    d = None if head_c.value is None or head_b.value is None else head_c.value - head_b.value
    test, p, n = BOOTSTRAP, p_boot, len({j.example_id for j in rows_c})  # n: the examples resampled
    outcomes = _per_example_outcomes(aggregation, rows_c, rows_b, args, head_c.value, head_b.value)
    if outcomes is not None:
        test, p, n = MCNEMAR, mcnemar_exact(*outcomes).p_value, len(outcomes[0])  # n: the examples counted
    check = Check(metric=name, scope=scope, baseline=head_b.value, candidate=head_c.value, difference=d,
                  ci_low=low, ci_high=high, ci_level=level, p_value=p, test=test,
                  n=n, higher_is_better=head_c.higher_is_better is not False,
                  status="n/a", reason="", headline=True, digits=2 if scale == 1.0 else 4)
    return check if scope != "overall" else _judge(check, config, scale)


def _per_example_outcomes(aggregation: str, rows_c: list[Judgment], rows_b: list[Judgment],
                          args: Mapping[str, Any], value_c: float | None, value_b: float | None
                          ) -> tuple[np.ndarray, np.ndarray] | None:
    """The paired 0/1 outcomes behind a per-example-share headline (on the examples both runs count),
    or None when the headline is not one or the outcomes do not give back both headlines exactly."""
    if aggregation not in PER_EXAMPLE_SHARES or value_c is None or value_b is None:
        return None
    units = [HEADLINE_SUMS[aggregation](resample_groups(rows, aggregation), args) for rows in (rows_c, rows_b)]
    if any(u is None or u.units.shape[1] != 2 for u in units):
        return None
    uc, ub = units[0].units, units[1].units  # type: ignore[union-attr]
    if uc.shape != ub.shape or not np.array_equal(uc[:, 1], ub[:, 1]) or not uc[:, 1].any():
        return None  # the runs count different examples (e.g. an order missing in one): the bootstrap decides
    counted = uc[:, 1] == 1
    hit_c, hit_b = uc[counted, 0].astype(bool), ub[counted, 0].astype(bool)
    if abs(100.0 * hit_c.mean() - value_c) > 1e-9 or abs(100.0 * hit_b.mean() - value_b) > 1e-9:
        return None
    return hit_c, hit_b


def _judge(check: Check, config: ValidateConfig, scale: float) -> Check:
    """Pass or fail: fail when the headline is more than --max-drop lower and the drop is significant
    (McNemar: p < alpha; the bootstrap: the interval lies below 0)."""
    d, p = check.difference, check.p_value
    if d is None or check.candidate is None or check.baseline is None:
        return check.model_copy(update={"status": "n/a", "reason": "the headline is undefined on these examples"})
    drop = -d if check.higher_is_better else d
    allowed = config.max_drop * scale
    if check.test.startswith(MCNEMAR):
        significant = p is not None and p < config.alpha
        why = f"{format_p(p)} (alpha {config.alpha:g})"
    else:
        below = check.ci_high if check.higher_is_better else (None if check.ci_low is None else -check.ci_low)
        significant = below is not None and below < 0
        why = (f"interval [{_n(check.ci_low)}, {_n(check.ci_high)}] excludes 0, bootstrap {format_p(p)}"
               if significant else f"interval [{_n(check.ci_low)}, {_n(check.ci_high)}] includes 0")
    status: Status
    if drop > allowed and significant:
        status, reason = "fail", f"{_amount(drop, scale)} worse (allowed {allowed:g}), {why}"
    elif drop > allowed:
        status, reason = "pass", f"{_amount(drop, scale)} worse but not significant ({why})"
    else:
        status, reason = "pass", "within the allowed drop" if drop > 0 else "not worse"
    return check.model_copy(update={"status": status, "reason": reason})


def _n(x: float | None) -> str:
    return "-" if x is None else f"{x:+.4g}"


def _amount(x: float, scale: float) -> str:
    return f"{x:.2f} points" if scale == 1.0 else f"{x:.4f}"


# --------------------------------------------------------------------------- the headline policy's accuracy


def _policy_checks(base: Groups, cand: Groups, shared: Sequence[str], cand_m: RunManifest, config: ValidateConfig,
                   notes: list[str]) -> tuple[str | None, list[Check], list[str]]:
    """Suites without a published aggregation: the accuracy under the headline policy, one outcome per
    labelled example, compared with McNemar and the paired bootstrap of ``compare_judges``."""
    policy = cand_m.protocol.headline_policy
    name = f"accuracy ({policy} policy)"
    labelled = [e for e in shared if cand[e][0].label is not None]
    if not labelled:
        notes.append("no labelled example: the headline is not compared")
        return name, [], notes
    level = 1.0 - config.alpha
    c_ok = np.array([is_correct(combined_verdict(cand[e], policy), cand[e][0].label) for e in labelled], dtype=int)
    b_ok = np.array([is_correct(combined_verdict(base[e], policy), base[e][0].label) for e in labelled], dtype=int)
    overall = compare_judges(c_ok, b_ok, n_resamples=config.n_resamples, level=level,
                             seed=rng_for(config.seed, "validate", "accuracy"))
    checks = [_accuracy_check(name, "overall", overall, overall.mcnemar.p_value, config, level)]
    cats = [cand[e][0].category or "" for e in labelled]
    if len(set(cats) - {""}) > 1:
        keep = np.array([c != "" for c in cats])
        per = compare_by_category(c_ok[keep], b_ok[keep], [c for c in cats if c], adjust="holm",
                                  n_resamples=config.n_resamples, seed=config.seed, level=level, simultaneous=True)
        order = list(cand_m.protocol.category_order)
        for cat in sorted(per, key=lambda c: (order.index(c) if c in order else len(order), c)):
            checks.append(_accuracy_check(name, cat, per[cat], per[cat].p_adjusted, config, level))
    return name, checks, notes


def _accuracy_check(name: str, scope: str, cmp: PairedComparison, p: float | None, config: ValidateConfig,
                    level: float) -> Check:
    def pct(x: float | None) -> float | None:
        return None if x is None or not math.isfinite(x) else 100.0 * x

    check = Check(metric=name, scope=scope, baseline=pct(cmp.accuracy_b), candidate=pct(cmp.accuracy_a),
                  difference=pct(cmp.difference.value), ci_low=pct(cmp.difference.ci_low),
                  ci_high=pct(cmp.difference.ci_high), ci_level=level, p_value=p,
                  test=MCNEMAR + (" (Holm)" if scope != "overall" else ""), n=cmp.n, higher_is_better=True,
                  status="n/a", reason="", headline=True)
    return _judge(check, config, 1.0)
