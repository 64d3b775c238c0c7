"""Each suite's published aggregation: the numbers a benchmark's own paper or leaderboard
reports, computed from judgekit's judgment rows.

Every aggregation is a pure function ``(rows, args) -> SuiteReport`` over the stored
judgments (one row per example and order, un-swapped into the example's own frame) and the
arguments the suite's YAML gives it. Facts about an example that a rule needs beyond its
label and category (an RM-Bench pair's styles, MT-Bench's turn and human votes) travel in
``Judgment.meta``. An invalid verdict or a failed request is never dropped: it is a verdict
that agrees with nothing, and each report counts them.

Rates are in percent; kappa and correlations are ratios.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .errors import ConfigError
from .metrics.agreement import cohen_kappa, precision_recall_f1
from .metrics.correlation import kendall_tau, pearson_r, rankdata, spearman_rho
from .metrics.interval import Score
from .registry import Registry
from .types import Frozen, Judgment, Winner

# ----------------------------------------------------------------------------- report model


class ReportTable(Frozen):
    """A table of scores: row name -> column name -> Score."""

    title: str
    columns: tuple[str, ...]
    rows: dict[str, dict[str, Score]]


class SuiteReport(Frozen):
    aggregation: str
    headline_name: str  # e.g. "overall accuracy"
    headline: Score
    tables: tuple[ReportTable, ...] = ()
    counts: dict[str, int] = {}
    notes: tuple[str, ...] = ()

    def table(self, title: str) -> ReportTable:
        for t in self.tables:
            if t.title == title:
                return t
        raise KeyError(title)


Aggregation = Callable[[Sequence[Judgment], Mapping[str, Any]], SuiteReport]
#: the built-ins below register with ``@register``; plugins through the ``judgekit.aggregations`` entry points
aggregations: Registry[SuiteReport] = Registry("aggregation", "judgekit.aggregations", listing="known")
register = aggregations.register


def aggregate(name: str, rows: Iterable[Judgment], args: Mapping[str, Any] | None = None) -> SuiteReport:
    """Run the named aggregation over judgment rows."""
    from . import rankings  # noqa: F401 - the systems suites' leaderboards register from their own module
    return aggregations.get(name)(list(rows), dict(args or {}))


# ----------------------------------------------------------------------------- helpers


def _verdict(j: Judgment) -> Winner:
    return j.winner if j.status == "ok" else "invalid"


def by_example(rows: Iterable[Judgment]) -> dict[str, list[Judgment]]:
    """Rows grouped by example, each group in order AB, BA (then by sample), examples by id."""
    groups: dict[str, list[Judgment]] = defaultdict(list)
    for j in rows:
        groups[j.example_id].append(j)
    # the stable sort of all rows by (example, order, sample), one small group at a time
    out: dict[str, list[Judgment]] = {}
    for key in sorted(groups):
        js = groups[key]
        if len(js) > 1:
            js.sort(key=lambda j: (j.order != "AB", j.sample))
        out[key] = js
    return out


def rate(flags: Sequence[bool] | Sequence[float], higher_is_better: bool | None = True) -> Score:
    """Mean of 0/1 (or fractional) credits, in percent; count is the number of full credits."""
    n = len(flags)
    if n == 0:
        return Score(value=None, n=0, count=0, higher_is_better=higher_is_better)
    arr = np.asarray(flags, dtype=float)
    return Score(value=float(100.0 * arr.mean()), n=n, count=int((arr == 1.0).sum()),
                 higher_is_better=higher_is_better)


def mean_of(scores: Sequence[Score], higher_is_better: bool | None = True) -> Score:
    """Unweighted mean of scores (skipping empty ones); n is the total of their n."""
    vals = [s.value for s in scores if s.value is not None]
    return Score(value=float(np.mean(vals)) if vals else None, n=sum(s.n for s in scores),
                 higher_is_better=higher_is_better)


def ratio(value: float, n: int, higher_is_better: bool | None = True) -> Score:
    return Score(value=None if math.isnan(value) else float(value), n=n, higher_is_better=higher_is_better)


def correct(j: Judgment) -> bool:
    return j.label is not None and _verdict(j) == j.label


def both_orders(js: Sequence[Judgment]) -> tuple[Judgment, Judgment] | None:
    ab = ba = None
    for j in js:  # the first of each order
        if j.order == "AB":
            if ab is None:
                ab = j
        elif j.order == "BA" and ba is None:
            ba = j
    return (ab, ba) if ab is not None and ba is not None else None


def agree(pair: tuple[Judgment, Judgment]) -> bool:
    """Positional agreement: the same valid verdict in both orders (un-swapped)."""
    a, b = _verdict(pair[0]), _verdict(pair[1])
    return a == b and a != "invalid"


def same_verdict(pair: tuple[Judgment, Judgment]) -> bool:
    """Positional agreement as LLMBar's evaluate.py counts it (``equal += output_True ==
    output_False``): the same verdict in both orders, where two unparseable ones (None == None)
    are the same too."""
    return _verdict(pair[0]) == _verdict(pair[1])


def invalid_counts(rows: Sequence[Judgment]) -> dict[str, int]:
    return {"judgments": len(rows), "invalid": sum(j.status == "ok" and j.winner == "invalid" for j in rows),
            "failed": sum(j.status != "ok" for j in rows)}


def _meta(j: Judgment, key: str, default: Any = None) -> Any:
    return (j.meta or {}).get(key, default)


def _subset(js: Sequence[Judgment]) -> str:
    return js[0].category or ""


# ----------------------------------------------------------------------------- RewardBench


@register("rewardbench")
def rewardbench(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """RewardBench (Lambert et al., 2024). Per-subset accuracy, the four section scores as the
    example-count-weighted mean of their subsets' accuracies with RewardBench's published counts
    (math-prm counted as 984 so that it weighs as much as the code subsets), and the overall score
    as the mean of the sections.

    A judgment scores 1 when it picks the chosen response, 0 when it picks the rejected one and
    0.5 for a tie or an unparseable output, as RewardBench scores generative judges; with both
    orders judged, a pair's credit is the mean over its orders.
    """
    sections: dict[str, list[str]] = args["sections"]
    counts: dict[str, int] = args["example_counts"]
    credit: dict[str, list[float]] = defaultdict(list)
    for js in by_example(rows).values():
        per = [1.0 if correct(j) else 0.5 if _verdict(j) in ("tie", "invalid") else 0.0 for j in js]
        credit[_subset(js)].append(float(np.mean(per)))
    subsets = {name: rate(values) for name, values in sorted(credit.items())}
    section_scores: dict[str, dict[str, Score]] = {}
    for section, members in sections.items():
        present = [m for m in members if m in subsets and subsets[m].value is not None]
        if not present:
            continue
        weight = sum(counts[m] for m in present)
        value = sum((subsets[m].value or 0.0) * counts[m] for m in present) / weight
        section_scores[section] = {"score": Score(value=value, n=sum(subsets[m].n for m in present),
                                                  higher_is_better=True)}
    overall = mean_of([s["score"] for s in section_scores.values()])
    unknown = sorted(set(subsets) - {m for ms in sections.values() for m in ms})
    notes = (f"subsets outside RewardBench's sections (in no section score): {', '.join(unknown)}",) if unknown else ()
    return SuiteReport(
        aggregation="rewardbench", headline_name="RewardBench score (mean of sections)", headline=overall,
        tables=(ReportTable(title="sections", columns=("score",), rows={**section_scores, "overall": {"score": overall}}),
                ReportTable(title="subsets", columns=("accuracy",),
                            rows={k: {"accuracy": v} for k, v in subsets.items()})),
        counts=invalid_counts(rows), notes=notes)


# ----------------------------------------------------------------------------- LLMBar, EvalBiasBench


LLMBAR_STRICT = "agreement (both parseable)"


def _order_report(groups: Mapping[str, list[list[Judgment]]], *, llmbar_agreement: bool = False
                  ) -> dict[str, dict[str, Score]]:
    """Per group: accuracy averaged over both orders, positional agreement, both orders correct.
    With ``llmbar_agreement``, "agreement" follows LLMBar's rule (two unparseable verdicts agree)
    and the stricter figure (the same valid verdict) comes beside it as LLMBAR_STRICT."""
    table: dict[str, dict[str, Score]] = {}
    for name, examples in groups.items():
        per_order = [correct(j) for js in examples for j in js]
        pairs = [p for p in (both_orders(js) for js in examples) if p is not None]
        table[name] = {
            "accuracy": rate(per_order),
            "agreement": rate([(same_verdict if llmbar_agreement else agree)(p) for p in pairs]),
        }
        if llmbar_agreement:
            table[name][LLMBAR_STRICT] = rate([agree(p) for p in pairs])
        table[name]["both correct"] = rate([correct(p[0]) and correct(p[1]) for p in pairs])
    return table


@register("llmbar")
def llmbar(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """LLMBar (Zeng et al., 2024): per subset, accuracy averaged over both orders, positional
    agreement and the share judged correctly in both orders, as LLMBar's evaluate.py counts them:
    agreement is the same verdict in both orders, two unparseable ones included; the stricter
    figure (the same parseable verdict) is reported beside it. Groups (Adversarial) are the
    unweighted mean of their subsets, as the paper's Average; the overall row is the unweighted
    mean of every subset present."""
    groups: dict[str, list[list[Judgment]]] = defaultdict(list)
    for js in by_example(rows).values():
        groups[_subset(js)].append(js)
    order = [s for s in args.get("subsets", []) if s in groups] + sorted(set(groups) - set(args.get("subsets", [])))
    table = _order_report({k: groups[k] for k in order}, llmbar_agreement=True)
    columns = ("accuracy", "agreement", LLMBAR_STRICT, "both correct")
    for group, members in args.get("groups", {}).items():
        present = [m for m in members if m in table]
        if present:
            table[group] = {c: mean_of([table[m][c] for m in present]) for c in columns}
    table["overall"] = {c: mean_of([table[m][c] for m in order]) for c in columns}
    return SuiteReport(aggregation="llmbar", headline_name="accuracy (mean of subsets, both orders)",
                       headline=table["overall"]["accuracy"],
                       tables=(ReportTable(title="subsets", columns=columns, rows=table),),
                       counts=invalid_counts(rows))


@register("evalbiasbench")
def evalbiasbench(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """EvalBiasBench (Park et al., 2024, OffsetBias): per bias type, pair accuracy (correct in both
    orders), agreement (the same verdict in both orders) and single-order accuracy; overall over
    all items."""
    groups: dict[str, list[list[Judgment]]] = defaultdict(list)
    every: list[list[Judgment]] = []
    for js in by_example(rows).values():
        groups[_subset(js)].append(js)
        every.append(js)
    order = [s for s in args.get("subsets", []) if s in groups] + sorted(set(groups) - set(args.get("subsets", [])))
    raw = _order_report({**{k: groups[k] for k in order}, "overall": every})
    table = {k: {"pair accuracy": v["both correct"], "agreement": v["agreement"], "accuracy": v["accuracy"]}
             for k, v in raw.items()}
    return SuiteReport(aggregation="evalbiasbench", headline_name="pair accuracy (correct in both orders)",
                       headline=table["overall"]["pair accuracy"],
                       tables=(ReportTable(title="bias types", columns=("pair accuracy", "agreement", "accuracy"),
                                           rows=table),),
                       counts=invalid_counts(rows))


# ----------------------------------------------------------------------------- MT-Bench agreement


def conservative(js: Sequence[Judgment]) -> Winner:
    """MT-Bench's pairwise rule with swapping: a win only when both orders agree, otherwise a tie;
    one order alone is its own verdict. An unparseable verdict stays invalid."""
    verdicts = [_verdict(j) for j in js]
    if "invalid" in verdicts:
        return "invalid"
    return verdicts[0] if all(v == verdicts[0] for v in verdicts) else "tie"


def agreement_with_votes(judge: Sequence[Winner], votes: Sequence[Sequence[str]], *, ties: bool) -> tuple[int, int]:
    """MT-Bench's agreement between a judge and humans: each (example, human vote) is one comparison.
    Without ties, examples the judge calls a tie and human votes that are ties are left out."""
    agree_n = total = 0
    for v, human in zip(judge, votes, strict=True):
        if not ties and v == "tie":
            continue
        for h in human:
            if not ties and h == "tie":
                continue
            total += 1
            agree_n += v == h
    return agree_n, total


@register("mtbench_agreement")
def mtbench_agreement(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """MT-Bench human judgments (Zheng et al., 2023): agreement between the judge and the human
    votes, with and without ties, per turn and overall. The judge's verdict on a pair combines its
    two orders conservatively (inconsistent = tie); the human votes come from ``meta.human_votes``
    (the gold label alone when there are none)."""
    examples = list(by_example(rows).values())
    by_turn: dict[str, list[list[Judgment]]] = defaultdict(list)
    for js in examples:
        turn = _meta(js[0], "turn")
        by_turn[f"turn {turn}" if turn else "pairs"].append(js)
    table: dict[str, dict[str, Score]] = {}
    for name, group in [*sorted(by_turn.items()), ("overall", examples)]:
        judge = [conservative(js) for js in group]
        votes = [_meta(js[0], "human_votes") or ([js[0].label] if js[0].label else []) for js in group]
        row = {}
        for col, ties in (("with ties", True), ("without ties", False)):
            a, t = agreement_with_votes(judge, votes, ties=ties)
            row[col] = Score(value=100.0 * a / t if t else None, n=t, count=a, higher_is_better=True)
        table[name] = row
    return SuiteReport(aggregation="mtbench_agreement", headline_name="agreement with humans (without ties)",
                       headline=table["overall"]["without ties"],
                       tables=(ReportTable(title="agreement", columns=("with ties", "without ties"), rows=table),),
                       counts=invalid_counts(rows))


# ----------------------------------------------------------------------------- three-way (ties): PandaLM, JudgeLM


CLASSES: tuple[str, ...] = ("A", "B", "tie")


def macro_prf(gold: Sequence[str], pred: Sequence[str], classes: Sequence[str] = CLASSES
              ) -> tuple[float, float, float]:
    """Macro-averaged precision, recall and F1 over the gold classes (as scikit-learn's
    ``precision_recall_fscore_support(..., labels=classes, average="macro", zero_division=0)``).
    A prediction outside the classes (``invalid``) is wrong for its gold class's recall and
    enters no class's precision. Computed by :func:`judgekit.metrics.agreement.precision_recall_f1`
    (the one implementation), which leaves out an item whose gold label is not a class."""
    rep = precision_recall_f1(gold, pred, labels=classes)
    return rep.macro_precision, rep.macro_recall, rep.macro_f1


STRICT_TITLE = "strict: unparseable = invalid"


@register("three_way")
def three_way(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """Agreement with a gold label that may be a tie, as PandaLM and JudgeLM report it: accuracy,
    macro precision / recall / F1 over (A, B, tie), Cohen's kappa, on each example's first judged
    order (the published protocol judges one order); with both orders, also consistency (the same
    verdict in both orders, JudgeLM's measure: ties count, and two unparseable outputs count as the
    same, as JudgeLM's parser turns both into a draw; a failed request is never consistent) and the
    same figures on the second order. With ``unparseable: tie`` (PandaLM), an unparseable output is a
    tie, as PandaLM's compute_metrics.py counts it, and the strict figures come in a table of their own."""
    grouped = by_example(rows)
    examples = [js for js in grouped.values() if js[0].label is not None]
    table: dict[str, dict[str, Score]] = {}
    # PandaLM's compute_metrics.py counts an unparseable judge output ("garbage") as a tie
    # (`args.unparseable: tie`); the strict figures (unparseable = invalid) come in their own table.
    unparseable_as_tie = args.get("unparseable") == "tie"

    def published(j: Judgment) -> str:
        v = _verdict(j)
        return "tie" if unparseable_as_tie and j.status == "ok" and v == "invalid" else v

    def figures(verdicts: list[str], gold: list[str]) -> dict[str, Score]:
        n = len(gold)
        p, r, f = macro_prf(gold, verdicts) if n else (math.nan,) * 3
        return {
            "accuracy": rate([v == g for v, g in zip(verdicts, gold, strict=True)]),
            "precision": ratio(100 * p, n), "recall": ratio(100 * r, n), "F1": ratio(100 * f, n),
            "kappa": ratio(cohen_kappa(gold, verdicts) if n else math.nan, n),
        }

    gold = [str(js[0].label) for js in examples]
    table["first order"] = figures([published(js[0]) for js in examples], gold)
    pairs = [(both_orders(js), str(js[0].label)) for js in examples]
    two = [(p, g) for p, g in pairs if p is not None]
    if two:
        table["second order"] = figures([published(p[1]) for p, _ in two], [g for _, g in two])
        # a failed request (no output at all) is never consistent with anything; two unparseable
        # outputs are (JudgeLM's parser makes both a draw)
        consistency = rate([p[0].status == "ok" and p[1].status == "ok" and published(p[0]) == published(p[1])
                            for p, _ in two])
    else:
        consistency = Score(value=None, n=0, higher_is_better=True)
    by_cat: dict[str, list[list[Judgment]]] = defaultdict(list)
    for js in examples:
        if js[0].category:
            by_cat[js[0].category].append(js)
    for cat, group in sorted(by_cat.items()):
        table[f"first order: {cat}"] = figures([published(js[0]) for js in group], [str(js[0].label) for js in group])
    counts = invalid_counts(rows)
    counts["unlabelled examples"] = len(grouped) - len(examples)
    columns = ("accuracy", "precision", "recall", "F1", "kappa")
    tables = [ReportTable(title="agreement with gold", columns=columns, rows=table)]
    if unparseable_as_tie:
        strict = {"first order": figures([_verdict(js[0]) for js in examples], gold)}
        if two:
            strict["second order"] = figures([_verdict(p[1]) for p, _ in two], [g for _, g in two])
        tables.append(ReportTable(title=STRICT_TITLE, columns=columns, rows=strict))
    if two:
        tables.append(ReportTable(title="order", columns=("consistency",),
                                  rows={"both orders": {"consistency": consistency}}))
    name = "accuracy (first order, unparseable = tie)" if unparseable_as_tie else "accuracy (first order)"
    return SuiteReport(aggregation="three_way", headline_name=name,
                       headline=table["first order"]["accuracy"], tables=tuple(tables), counts=counts)


# ----------------------------------------------------------------------------- RM-Bench


def style_matrix(cells: Mapping[tuple[int, int], Sequence[float]], size: int = 3) -> np.ndarray:
    """The accuracy matrix: rows are the chosen response's style, columns the rejected one's."""
    m = np.full((size, size), np.nan)
    for (i, j), values in cells.items():
        if values:
            m[i, j] = float(np.mean(values))
    return m


def hard_normal_easy(m: np.ndarray) -> tuple[float, float, float]:
    """RM-Bench's means: hard = above the diagonal (chosen plainer than rejected), normal = the
    diagonal, easy = below it."""
    k = m.shape[0]
    upper = m[np.triu_indices(k, 1)]
    lower = m[np.tril_indices(k, -1)]
    return float(np.mean(upper)), float(np.mean(np.diag(m))), float(np.mean(lower))


@register("rmbench")
def rmbench(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """RM-Bench (Liu et al., 2025): each prompt has chosen and rejected responses in three styles
    (concise, detailed plain, detailed markdown); every (chosen style, rejected style) pair is one
    comparison. Per domain, the 3x3 accuracy matrix and its hard (upper triangle), normal
    (diagonal) and easy (lower triangle) means; the domain score is the mean of the nine cells;
    the overall figures are the means over domains. A comparison's credit is the share of its
    judged orders that pick the chosen response (a tie or an invalid verdict earns nothing, as a
    reward model's equal scores do not count as correct)."""
    styles = list(args.get("styles", ["concise", "detailed plain", "detailed markdown"]))
    k = len(styles)
    cells: dict[str, dict[tuple[int, int], list[float]]] = defaultdict(lambda: defaultdict(list))
    for js in by_example(rows).values():
        domain = _meta(js[0], "domain") or js[0].category or ""
        i, j = int(_meta(js[0], "chosen_style")), int(_meta(js[0], "rejected_style"))
        cells[domain][(i, j)].append(float(np.mean([correct(x) for x in js])))
    domains = [d for d in args.get("domains", []) if d in cells] + sorted(set(cells) - set(args.get("domains", [])))
    summary: dict[str, dict[str, Score]] = {}
    matrices: list[ReportTable] = []
    for d in domains:
        m = style_matrix(cells[d], k)
        hard, normal, easy = hard_normal_easy(m)
        n_pairs = sum(len(v) for v in cells[d].values())
        summary[d] = {"hard": ratio(100 * hard, n_pairs), "normal": ratio(100 * normal, n_pairs),
                      "easy": ratio(100 * easy, n_pairs), "average": ratio(100 * float(np.nanmean(m)), n_pairs)}
        matrices.append(ReportTable(
            title=f"{d}: chosen style (rows) vs rejected style (columns)", columns=tuple(styles),
            rows={styles[i]: {styles[j]: Score(value=None if math.isnan(m[i, j]) else 100 * float(m[i, j]),
                                               n=len(cells[d].get((i, j), [])), higher_is_better=True)
                              for j in range(k)} for i in range(k)}))
    cols = ("hard", "normal", "easy", "average")
    summary["overall"] = {c: mean_of([summary[d][c] for d in domains]) for c in cols}
    return SuiteReport(aggregation="rmbench", headline_name="average (mean over domains)",
                       headline=summary["overall"]["average"],
                       tables=(ReportTable(title="domains", columns=cols, rows=summary), *matrices),
                       counts=invalid_counts(rows))


# ----------------------------------------------------------------------------- pointwise


# Pearson, Spearman (with its average ranks) and Kendall's tau-b: the one implementation in
# metrics/correlation.py, under the names this module has always offered.
ranks = rankdata
pearson = pearson_r
spearman = spearman_rho
kendall_tau_b = kendall_tau


class PointwiseMetrics(Frozen):
    n_examples: int
    n_judgments: int
    n_invalid: int
    n_failed: int
    pearson: Score
    spearman: Score
    kendall_tau: Score
    exact: Score
    within_one: Score
    mean_abs_error: Score
    invalid_rate: Score


def pointwise_metrics(rows: Iterable[Judgment]) -> PointwiseMetrics:
    """Agreement of the judge's grades with the gold grades: Pearson, Spearman and Kendall's tau-b
    over the examples with a grade, exact and within-one agreement and the mean absolute error.
    Exact and within-one count an unread grade as a miss (over every labelled example); the
    correlations use the graded examples only (their n says how many)."""
    rows = list(rows)
    first = [js[0] for js in by_example(rows).values()]
    labelled = [j for j in first if j.gold_score is not None]
    graded = [j for j in labelled if j.status == "ok" and j.score is not None]
    judge = [float(j.score) for j in graded if j.score is not None]
    gold = [float(j.gold_score) for j in graded if j.gold_score is not None]
    n = len(graded)
    ok = [j for j in rows if j.status == "ok"]
    n_invalid = sum(j.score is None for j in ok)
    exact = [j in graded and j.score == j.gold_score for j in labelled]
    within = [j in graded and abs(float(j.score or 0) - float(j.gold_score or 0)) <= 1.0 for j in labelled]
    mae = float(np.mean(np.abs(np.asarray(judge) - np.asarray(gold)))) if n else math.nan
    return PointwiseMetrics(
        n_examples=len(first), n_judgments=len(rows), n_invalid=n_invalid, n_failed=len(rows) - len(ok),
        pearson=ratio(pearson(judge, gold), n), spearman=ratio(spearman(judge, gold), n),
        kendall_tau=ratio(kendall_tau_b(judge, gold), n),
        exact=rate(exact), within_one=rate(within),
        mean_abs_error=ratio(mae, n, higher_is_better=False),
        invalid_rate=Score(value=100.0 * n_invalid / len(ok) if ok else None, n=len(ok), count=n_invalid,
                           higher_is_better=False))


@register("pointwise")
def pointwise(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """Pointwise grading (Prometheus' Feedback-Bench style): correlations with the gold grades,
    exact and within-one agreement, overall and per category."""
    groups: dict[str, list[Judgment]] = defaultdict(list)
    for j in rows:
        if j.category:
            groups[j.category].append(j)
    cols = ("pearson", "spearman", "kendall_tau", "exact", "within_one", "mean_abs_error")
    table: dict[str, dict[str, Score]] = {}
    for name, group in [("overall", list(rows)), *sorted(groups.items())]:
        m = pointwise_metrics(group)
        table[name] = {c: getattr(m, c) for c in cols}
    overall = pointwise_metrics(rows)
    return SuiteReport(aggregation="pointwise", headline_name="Pearson correlation with gold",
                       headline=overall.pearson,
                       tables=(ReportTable(title="agreement with gold grades", columns=cols, rows=table),),
                       counts={"judgments": overall.n_judgments, "invalid": overall.n_invalid,
                               "failed": overall.n_failed})


# ----------------------------------------------------------------------------- win rates (no gold)


@register("winrate")
def winrate(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """The win rate of response B (the evaluated model) against response A (the reference model),
    per category (the model) and overall, over every valid judgment: a win is 1, a tie 0.5, a
    loss 0, and a continuous preference (AlpacaEval's) counts as its probability, 1 - p(A). As
    AlpacaEval and Arena-Hard report it without gold labels; unparseable verdicts are left out and
    counted."""
    def credit(j: Judgment) -> float | None:
        v = _verdict(j)
        if v == "invalid":
            return None
        if j.p_a is not None:
            return 1.0 - j.p_a
        return 1.0 if v == "B" else 0.5 if v == "tie" else 0.0

    groups: dict[str, list[Judgment]] = defaultdict(list)
    for j in rows:
        groups[j.category or ""].append(j)
    table: dict[str, dict[str, Score]] = {}
    for name, group in [*sorted(groups.items()), ("overall", list(rows))]:
        credits = [c for c in (credit(j) for j in group) if c is not None]
        decisive = [j for j in group if _verdict(j) in ("A", "B")]
        table[name or "all"] = {
            "win rate": Score(value=100.0 * float(np.mean(credits)) if credits else None, n=len(credits),
                              higher_is_better=None),
            "ties": rate([_verdict(j) == "tie" for j in group], higher_is_better=None),
            "invalid": rate([_verdict(j) == "invalid" for j in group], higher_is_better=False),
            "first-shown wins": rate([j.shown_winner == "A" for j in decisive], higher_is_better=None),
        }
    return SuiteReport(aggregation="winrate", headline_name="win rate of response B (overall)",
                       headline=table["overall"]["win rate"],
                       tables=(ReportTable(title="win rates", columns=("win rate", "ties", "invalid", "first-shown wins"),
                                           rows=table),),
                       counts=invalid_counts(rows))


# ----------------------------------------------------------------------------- question answering


def _estimate_score(e: Score, higher_is_better: bool | None) -> Score:
    return e.model_copy(update={"higher_is_better": higher_is_better})


@register("qa")
def qa(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """QA with references ("Judging the Judges"): the judge accepts an answer when its grade is at
    least 0.5; against the gold correctness label: accuracy, Cohen's kappa (the headline: the
    number that paper trusts), false accepts and false rejects (percent of all examples, and as
    rates over the incorrect and the correct answers), overall and per category. An unread verdict
    or a failed request counts as not accepted (and is counted)."""
    from .metrics.qa import qa_agreement

    first = [js[0] for js in by_example(rows).values()]
    labelled = [j for j in first if j.gold_score is not None]
    groups: dict[str, list[Judgment]] = defaultdict(list)
    for j in labelled:
        if j.category:
            groups[j.category].append(j)
    cols = ("accuracy", "Cohen's kappa", "false accepts", "false rejects", "false accept rate", "false reject rate")
    table: dict[str, dict[str, Score]] = {}
    for name, group in [("overall", labelled), *sorted(groups.items())]:
        accepted = [j.status == "ok" and j.score is not None and j.score >= 0.5 for j in group]
        m = qa_agreement(accepted, [float(j.gold_score or 0) >= 0.5 for j in group])
        table[name] = dict(zip(cols, (
            _estimate_score(m.accuracy, True), _estimate_score(m.cohen_kappa, True),
            _estimate_score(m.false_accept, False), _estimate_score(m.false_reject, False),
            _estimate_score(m.false_accept_rate, False), _estimate_score(m.false_reject_rate, False)), strict=True))
    counts = invalid_counts(rows)
    counts["unread as rejected"] = sum(j.status != "ok" or j.score is None for j in labelled)
    return SuiteReport(aggregation="qa", headline_name="Cohen's kappa vs gold (overall)",
                       headline=table["overall"]["Cohen's kappa"],
                       tables=(ReportTable(title="judge vs gold correctness", columns=cols, rows=table),),
                       counts=counts)


# ----------------------------------------------------------------------------- RewardBench 2


@register("rewardbench2")
def rewardbench2(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """RewardBench 2 (judgekit.metrics.listwise): per subset, the share of prompts whose chosen
    completion is best (a tie at the top shared), Ties by its own weighted rule, overall the mean
    of the subsets. Rating runs (one row per completion): an unread rating counts as -1, as
    RewardBench 2's code records a failed rating, and is counted; a prompt with a completion not
    judged (a --limit run) is left out and counted. Four-way runs (one row per prompt): the pick
    names a shown position, mapped back through the recorded order; an invalid pick is wrong and
    counted; the share of picks per shown position is reported with intervals."""
    from .metrics.listwise import best_of_n_report, best_of_n_result, listwise_position_bias

    results: dict[str, dict[str, float]] = defaultdict(dict)
    ties: dict[str, tuple[list[float], int]] = {}
    counts = invalid_counts(rows)
    notes: list[str] = []
    tables: list[ReportTable] = []
    modes = {_meta(j, "mode") for j in rows}
    if modes == {"fourway"}:
        picks: list[int | None] = []
        for j in rows:
            shown = _meta(j, "shown")
            pick = int(j.score) - 1 if j.status == "ok" and j.score is not None and j.score in (1, 2, 3, 4) else None
            picks.append(pick)
            results[_meta(j, "subset")][_meta(j, "prompt_id")] = 1.0 if pick is not None and shown[pick] == 0 else 0.0
        bias = listwise_position_bias(picks)
        counts["invalid picks"] = bias.n_invalid
        tables.append(ReportTable(title="position bias: share of picks per shown position", columns=("picks %",),
                                  rows={p.position: {"picks %": Score(value=p.share.value, n=p.share.n, count=p.picks,
                                                                      ci_low=p.share.ci_low, ci_high=p.share.ci_high,
                                                                      ci_level=p.share.ci_level, p_value=bias.p_value,
                                                                      higher_is_better=None)}
                                        for p in bias.positions}))
    elif modes == {"rating"}:
        prompts: dict[str, list[Judgment]] = defaultdict(list)
        for j in rows:
            prompts[_meta(j, "prompt_id")].append(j)
        unread = incomplete = 0
        for pid, js in prompts.items():
            total = _meta(js[0], "total")
            if len({_meta(j, "index") for j in js}) != total:
                incomplete += 1
                continue
            scores = [-1.0] * total
            for j in js:
                if j.status == "ok" and j.score is not None:
                    scores[_meta(j, "index")] = float(j.score)
                else:
                    unread += 1
            subset = _meta(js[0], "subset")
            if subset == "Ties":
                ties[pid] = (scores, int(_meta(js[0], "num_correct")))
            else:
                results[subset][pid] = best_of_n_result(scores)
        counts["unread ratings (scored -1)"] = unread
        if incomplete:
            counts["prompts left out (not every completion judged)"] = incomplete
            notes.append(f"{incomplete} prompts left out: not every completion was judged")
    else:
        raise ConfigError(f"rewardbench2: rows of modes {sorted(map(str, modes))}; expected rating or fourway rows")
    order = ["Factuality", "Precise IF", "Math", "Safety", "Focus"]
    ordered = {s: results[s] for s in [*order, *sorted(set(results) - set(order))] if s in results}
    report = best_of_n_report(ordered, ties or None, n_resamples=int(args.get("n_resamples", 1000)))
    table = {name: {"score": Score(value=s.score.value, n=s.n_prompts, ci_low=s.score.ci_low,
                                   ci_high=s.score.ci_high, ci_level=s.score.ci_level, higher_is_better=True)}
             for name, s in report.subsets.items()}
    o = report.overall
    table["overall (mean of subsets)"] = {"score": Score(value=o.value, n=o.n, ci_low=o.ci_low, ci_high=o.ci_high,
                                                         ci_level=o.ci_level, higher_is_better=True)}
    return SuiteReport(aggregation="rewardbench2", headline_name="RewardBench 2 score (mean of subsets)",
                       headline=table["overall (mean of subsets)"]["score"],
                       tables=(ReportTable(title="RewardBench 2", columns=("score",), rows=table), *tables),
                       counts=counts, notes=tuple(notes))
