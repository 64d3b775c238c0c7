"""Each published aggregation's headline as a function of per-example sums, for bootstrapping.

The leaderboard gives a published aggregation's headline a percentile-bootstrap interval by
resampling examples (all their orders together) with replacement. Rerunning the aggregation in
Python on each resample costs seconds per resample on a large run; but every headline in
:mod:`judgekit.aggregations` is a function of a few sums over examples (per-subset counts of
correct verdicts, of judged orders, of agreements...). So each example becomes one row of
numbers (its *unit*), a resample's sums are ``counts @ units`` where ``counts`` says how often
each example was drawn, and the headline is a vectorised function of those sums. A drawn example
counted k times is exactly the aggregation rerun with k copies of it, so, with the same draws,
the replicates are those of the Python loop (:func:`judgekit.scoring.headline_interval_loop`)
up to floating-point rounding; tests check that for every aggregation here.

An aggregation not listed here (or a run whose rows do not fit its rule, e.g. an RM-Bench style
index out of range) falls back to the Python loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .aggregations import (
    _subset,
    _verdict,
    agreement_with_votes,
    both_orders,
    conservative,
    correct,
    human_votes,
    rmbench_cell,
)
from .column_aggregations import published_verdicts
from .columns import JudgmentColumns
from .errors import ConfigError
from .facts import RewardBench2Facts, optional_facts
from .protocols import by_example
from .types import Judgment


@dataclass(frozen=True)
class HeadlineSums:
    """``units``: one row of numbers per resampled unit (an example, or what :data:`RESAMPLE_UNITS`
    names; in the order given); ``statistic``: B x d column sums -> B headline values (NaN where the
    headline is undefined). With ``by_counts``, ``statistic`` takes the B x n draw counts of the
    units themselves (for a headline that is no function of sums, e.g. RewardBench 2's Ties score),
    and ``units`` only says how many units there are (n x 0)."""

    units: np.ndarray
    statistic: Callable[[np.ndarray], np.ndarray]
    by_counts: bool = False


Examples = Sequence[Sequence[Judgment]]  # each example's judgments, grouped as by_example groups them
Builder = Callable[[Examples, Mapping[str, Any]], HeadlineSums | None]
HEADLINE_SUMS: dict[str, Builder] = {}


def headline_sums(name: str) -> Callable[[Builder], Builder]:
    """Register the vectorised headline of the aggregation ``name`` (once: a second is an error)."""

    def deco(fn: Builder) -> Builder:
        if name in HEADLINE_SUMS:
            raise ConfigError(f"the vectorised headline of aggregation {name!r} is registered twice: "
                              f"{HEADLINE_SUMS[name].__module__}.{HEADLINE_SUMS[name].__qualname__} and "
                              f"{fn.__module__}.{fn.__qualname__}")
        HEADLINE_SUMS[name] = fn
        return fn

    return deco


# --------------------------------------------------------------------------- the unit a headline resamples

UnitKey = Callable[[Judgment], str]
Relabel = Callable[[Judgment, int], Judgment]


def relabel_example(j: Judgment, k: int) -> Judgment:
    """The k-th copy (k >= 2) of a drawn row, under ids of its own."""
    return j.model_copy(update={"example_id": f"{j.example_id}~{k}", "request_id": f"{j.request_id}~{k}"})


#: aggregations whose headline resamples a unit other than the example: its key for a row, and how
#: the k-th copy of a drawn row is relabelled so that the aggregation counts it as a unit of its own
RESAMPLE_UNITS: dict[str, tuple[UnitKey, Relabel]] = {}


def resample_groups(rows: Sequence[Judgment], aggregation: str) -> list[list[Judgment]]:
    """The rows grouped into the units the headline of ``aggregation`` resamples (sorted by key; by
    default the example, all its orders together, as :func:`judgekit.protocols.by_example` groups)."""
    spec = RESAMPLE_UNITS.get(aggregation)
    if spec is None:
        return list(by_example(rows).values())
    key = spec[0]
    groups: dict[str, list[Judgment]] = {}
    for j in rows:
        groups.setdefault(key(j), []).append(j)
    return [sorted(groups[k], key=lambda j: (j.example_id, j.order != "AB", j.sample)) for k in sorted(groups)]


def relabeler(aggregation: str) -> Relabel:
    spec = RESAMPLE_UNITS.get(aggregation)
    return relabel_example if spec is None else spec[1]


def _rb2_prompt_key(j: Judgment) -> str:
    """RewardBench 2: a prompt (rating runs judge each completion as an example of its own); in Ties,
    a prompt's ``ref:<n>`` and ``tied:<n>`` rows together, as its score pairs them."""
    f = optional_facts(j, RewardBench2Facts)
    if f is None:
        return f"example:{j.example_id}"
    if f.subset == "Ties":
        return f"Ties:{f.prompt_id.partition(':')[2]}"
    return f"prompt:{f.prompt_id}"


def _rb2_relabel(j: Judgment, k: int) -> Judgment:
    copy = relabel_example(j, k)
    if j.meta and "prompt_id" in j.meta:
        copy = copy.model_copy(update={"meta": {**j.meta, "prompt_id": f"{j.meta['prompt_id']}~{k}"}})
    return copy


RESAMPLE_UNITS["rewardbench2"] = (_rb2_prompt_key, _rb2_relabel)


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _share(num: Sequence[float] | np.ndarray, den: Sequence[float] | np.ndarray) -> HeadlineSums:
    """100 x sum(num) / sum(den): the headline of a :func:`aggregations.rate`."""
    units = np.column_stack([np.asarray(num, dtype=float), np.asarray(den, dtype=float)])
    return HeadlineSums(units.reshape(-1, 2), lambda s: 100.0 * _div(s[:, 0], s[:, 1]))


def _nanmean_rows(x: np.ndarray) -> np.ndarray:
    """Row means over the finite entries (NaN for a row with none), without numpy's warning."""
    ok = np.isfinite(x)
    k = ok.sum(axis=1)
    return _div(np.where(ok, x, 0.0).sum(axis=1), k.astype(float))


def _codes(values: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    names = sorted(set(values))
    index = {v: i for i, v in enumerate(names)}
    return np.asarray([index[v] for v in values], dtype=np.int64), names


def _grouped(codes: np.ndarray, n_groups: int, columns: Sequence[np.ndarray]) -> np.ndarray:
    """Per-group columns: the unit row holds column c of its example in slot group * len(columns) + c."""
    d = len(columns)
    units = np.zeros((len(codes), n_groups * d))
    rows = np.arange(len(codes))
    for c, col in enumerate(columns):
        units[rows, codes * d + c] = col
    return units


# --------------------------------------------------------------------------- the aggregations


@headline_sums("three_way")
def _three_way(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums:
    """accuracy (first order) over the labelled examples; with ``unparseable: tie`` (PandaLM) an
    answered but unparseable verdict counts as a tie, as the aggregation counts it."""
    labelled = [js[0].label is not None for js in examples]
    as_tie = args.get("unparseable") == "tie"

    def verdict(j: Judgment) -> str:
        v = _verdict(j)
        return "tie" if as_tie and j.status == "ok" and v == "invalid" else v

    hit = [lab and verdict(js[0]) == str(js[0].label) for js, lab in zip(examples, labelled, strict=True)]
    return _share(hit, labelled)


@headline_sums("evalbiasbench")
def _evalbiasbench(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums:
    """pair accuracy (correct in both orders) over the examples judged in both orders."""
    pairs = [both_orders(js) for js in examples]
    return _share([p is not None and correct(p[0]) and correct(p[1]) for p in pairs], [p is not None for p in pairs])


@headline_sums("llmbar")
def _llmbar(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums:
    """the unweighted mean over the subsets present of each subset's accuracy over all its judgments."""
    codes, names = _codes([_subset(js) for js in examples])
    hits = np.asarray([sum(correct(j) for j in js) for js in examples], dtype=float)
    orders = np.asarray([len(js) for js in examples], dtype=float)
    g = len(names)

    def stat(s: np.ndarray) -> np.ndarray:
        s = s.reshape(len(s), g, 2)
        return 100.0 * _nanmean_rows(_div(s[:, :, 0], s[:, :, 1]))

    return HeadlineSums(_grouped(codes, g, [hits, orders]), stat)


@headline_sums("rewardbench")
def _rewardbench(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums:
    """the mean over sections of the count-weighted mean of their present subsets' credit."""
    sections: dict[str, list[str]] = args["sections"]
    counts: dict[str, int] = args["example_counts"]
    codes, names = _codes([_subset(js) for js in examples])
    credit = np.asarray([np.mean([1.0 if correct(j) else 0.5 if _verdict(j) in ("tie", "invalid") else 0.0
                                  for j in js]) for js in examples], dtype=float)
    g = len(names)
    index = {name: i for i, name in enumerate(names)}
    # per section: the subsets of this run in it and their published counts
    members = [[(index[m], float(counts[m])) for m in ms if m in index] for ms in sections.values()]

    def stat(s: np.ndarray) -> np.ndarray:
        s = s.reshape(len(s), g, 2)
        acc = _div(100.0 * s[:, :, 0], s[:, :, 1])  # NaN where the subset is absent
        section_values = []
        for ms in members:
            if not ms:
                continue
            idx = np.asarray([i for i, _ in ms])
            w = np.asarray([c for _, c in ms])
            present = np.isfinite(acc[:, idx])
            weight = (present * w).sum(axis=1)
            section_values.append(_div((np.where(present, acc[:, idx], 0.0) * w).sum(axis=1), weight))
        if not section_values:
            return np.full(len(s), np.nan)
        return _nanmean_rows(np.column_stack(section_values))

    return HeadlineSums(_grouped(codes, g, [credit, np.ones(len(examples))]), stat)


@headline_sums("mtbench_agreement")
def _mtbench_agreement(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums:
    """agreement with the human votes without ties, over every (example, vote) comparison."""
    a, t = [], []
    for js in examples:
        votes = human_votes(js)
        agree_n, total = agreement_with_votes([conservative(js)], [votes], ties=False)
        a.append(agree_n)
        t.append(total)
    return _share(a, t)


@headline_sums("rmbench")
def _rmbench(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums | None:
    """the mean over the domains present of the mean of each domain's 3x3 style cells (cells with
    no comparison left out), a cell being the mean credit of its comparisons."""
    k = len(args.get("styles", ["concise", "detailed plain", "detailed markdown"]))
    domains, cells, credit = [], [], []
    for js in examples:
        domain, i, j = rmbench_cell(js)
        if not (0 <= i < k and 0 <= j < k):
            return None  # the Python rule decides what such a row means
        domains.append(domain)
        cells.append(i * k + j)
        credit.append(float(np.mean([correct(x) for x in js])))
    codes, names = _codes(domains)
    g, kk = len(names), k * k
    slot = codes * kk + np.asarray(cells, dtype=np.int64)
    units = _grouped(slot, g * kk, [np.asarray(credit, dtype=float), np.ones(len(examples))])

    def stat(s: np.ndarray) -> np.ndarray:
        s = s.reshape(len(s), g, kk, 2)
        m = _div(s[..., 0], s[..., 1])  # B x domains x cells, NaN for an empty cell
        ok = np.isfinite(m)
        per_domain = _div(np.where(ok, m, 0.0).sum(axis=2), ok.sum(axis=2).astype(float))
        return 100.0 * _nanmean_rows(per_domain)

    return HeadlineSums(units, stat)


@headline_sums("pointwise")
def _pointwise(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums:
    """Pearson's r between the judge's and the gold grades over each example's first judgment
    that has both (computed from n, the sums, squares and cross products)."""
    rows = []
    for js in examples:
        j = js[0]
        graded = j.gold_score is not None and j.status == "ok" and j.score is not None
        x = float(j.score) if graded and j.score is not None else 0.0
        y = float(j.gold_score) if graded and j.gold_score is not None else 0.0
        rows.append((float(graded), x, y, x * x, y * y, x * y))
    units = np.asarray(rows, dtype=float).reshape(-1, 6)

    def stat(s: np.ndarray) -> np.ndarray:
        n, sx, sy, sxx, syy, sxy = (s[:, c] for c in range(6))
        vx = n * sxx - sx * sx
        vy = n * syy - sy * sy
        # a spread that is zero up to rounding is zero, as the two-pass formula finds it
        tiny = 1e-12 * np.maximum(n * sxx, 1.0)
        vx = np.where(vx <= tiny, 0.0, vx)
        tiny = 1e-12 * np.maximum(n * syy, 1.0)
        vy = np.where(vy <= tiny, 0.0, vy)
        den = np.sqrt(vx * vy)
        r = _div(n * sxy - sx * sy, den)
        return np.where(n >= 2, r, np.nan)

    return HeadlineSums(units, stat)


@headline_sums("winrate")
def _winrate(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums:
    """the win rate of response B over every valid judgment (a continuous preference as 1 - p(A))."""
    num, den = [], []
    for js in examples:
        total = 0.0
        valid = 0
        for j in js:
            v = _verdict(j)
            if v == "invalid":
                continue
            valid += 1
            total += (1.0 - j.p_a) if j.p_a is not None else 1.0 if v == "B" else 0.5 if v == "tie" else 0.0
        num.append(total)
        den.append(valid)
    return _share(num, den)


@headline_sums("qa")
def _qa(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums:
    """Cohen's kappa of accepted (a grade of at least 0.5) against gold-correct over each labelled
    example's first judgment, from the 2 x 2 confusion counts (the statistic of
    :func:`judgekit.metrics.qa.qa_agreement`'s kappa; an infinite value is undefined, as there)."""
    from .metrics.qa import _kappa

    cells = []
    for js in examples:
        j = js[0]
        if j.gold_score is None:
            cells.append((0.0, 0.0, 0.0, 0.0))
            continue
        a = j.status == "ok" and j.score is not None and j.score >= 0.5
        g = float(j.gold_score or 0) >= 0.5
        cells.append((float(a and g), float(a and not g), float(not a and g), float(not a and not g)))
    units = np.asarray(cells, dtype=float).reshape(-1, 4)

    def stat(s: np.ndarray) -> np.ndarray:
        k = _kappa(s)
        return np.where(np.isfinite(k), k, np.nan)

    return HeadlineSums(units, stat)


RB2_ORDER = ("Factuality", "Precise IF", "Math", "Safety", "Focus")


@headline_sums("rewardbench2")
def _rewardbench2(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums | None:
    """RewardBench 2's mean over subsets on a resample of its prompts (``examples``: the rows grouped
    by :data:`RESAMPLE_UNITS`' prompt key: a rating run's completions of one prompt, a Ties prompt's ref
    and tied rows, a four-way run's one row), as the aggregation computes it on the resampled rows with
    a prompt drawn k times present k times under ids of its own: each subset's share weighted by the
    draw counts, Ties by ``ties_score`` over its drawn prompts with their copies. A rating prompt not
    complete in the data is in no resample (the aggregation leaves it out and counts it). A statistic
    of the draw counts. None (the Python loop decides) when the rows do not fit the rule: rows without
    RewardBench 2 facts, mixed modes, a completion judged twice, meta that differs within a prompt,
    indices that are not 0..total-1."""
    from .metrics.listwise import best_of_n_result, ties_score

    n = len(examples)
    results: dict[int, tuple[str, float]] = {}  # unit -> (subset, result), non-Ties prompts
    ties: dict[int, dict[str, tuple[list[float], int]]] = {}  # unit -> its ties_score entries
    modes: set[str] = set()
    for u, js in enumerate(examples):
        typed = [optional_facts(j, RewardBench2Facts) for j in js]
        if any(f is None for f in typed):
            return None
        fs = [f for f in typed if f is not None]
        modes |= {f.mode for f in fs}
        by_prompt: dict[str, list[int]] = {}
        for k, f in enumerate(fs):
            by_prompt.setdefault(f.prompt_id, []).append(k)
        entries: dict[str, tuple[list[float], int]] = {}
        for pid, ks in by_prompt.items():
            fact = {(fs[k].subset, fs[k].total, fs[k].num_correct) for k in ks}
            if len(fact) != 1:
                return None
            subset, total, num_correct = fact.pop()
            if fs[ks[0]].mode == "fourway":
                if len(ks) != 1 or fs[ks[0]].shown is None:
                    return None
                j, shown = js[ks[0]], fs[ks[0]].shown or []
                pick = int(j.score) - 1 if j.status == "ok" and j.score is not None and j.score in (1, 2, 3, 4) else None
                results[u] = (subset, 1.0 if pick is not None and shown[pick] == 0 else 0.0)
                continue
            if any(fs[k].index is None for k in ks):
                return None
            indices = sorted(int(fs[k].index or 0) for k in ks)
            if len(set(indices)) != len(indices):
                return None
            if len(indices) != total:
                continue  # incomplete in the data: in no resample
            if indices != list(range(total)):
                return None
            scores = [-1.0] * total
            for k in ks:
                j = js[k]
                if j.status == "ok" and j.score is not None:
                    scores[int(fs[k].index or 0)] = float(j.score)
            if subset == "Ties":
                entries[pid] = (scores, int(num_correct))
            elif len(by_prompt) == 1:
                results[u] = (subset, best_of_n_result(scores))
            else:
                return None
        if entries:
            ties[u] = entries
    if len(modes) > 1:
        return None
    subsets = sorted({sub for sub, _ in results.values()},
                     key=lambda x: (x not in RB2_ORDER, RB2_ORDER.index(x) if x in RB2_ORDER else 0, x))
    in_subset = np.zeros((len(subsets), n))
    value = np.zeros(n)
    for u, (sub, v) in results.items():
        in_subset[subsets.index(sub), u] = 1.0
        value[u] = v

    def stat(counts: np.ndarray) -> np.ndarray:
        c = np.asarray(counts, dtype=float)
        n_in = c @ in_subset.T  # B x subsets: prompts drawn, with their copies
        mean = _div(c @ (in_subset * value).T, n_in)
        out = np.full(c.shape[0], np.nan)
        for r in range(c.shape[0]):
            vals = [float(mean[r, k]) for k in range(len(subsets)) if n_in[r, k] > 0]
            drawn: dict[str, tuple[list[float], int]] = {}
            for u, entries in ties.items():
                for copy in range(1, int(counts[r, u]) + 1):
                    for pid, entry in entries.items():
                        drawn[pid if copy == 1 else f"{pid}~{copy}"] = entry
            if drawn:
                vals.append(ties_score(drawn))
            if vals:
                out[r] = 100 * float(np.mean(vals))
        return out

    return HeadlineSums(np.zeros((n, 0)), stat, by_counts=True)


# --------------------------------------------------------------------------- from columns

ColumnBuilder = Callable[[JudgmentColumns, Mapping[str, Any]], "HeadlineSums | None"]
#: the same units from :class:`judgekit.columns.JudgmentColumns` (examples in by_example order), for
#: the aggregations whose runs grow large; the others group the rows read back as Judgment records
HEADLINE_SUMS_COLUMNS: dict[str, ColumnBuilder] = {}


def _three_way_columns(t: JudgmentColumns, args: Mapping[str, Any]) -> HeadlineSums:
    """:func:`_three_way`'s units from columns."""
    first = t.examples().first
    labelled = t.label[first] >= 0
    hit = labelled & (published_verdicts(t, args)[first] == t.label[first])
    return _share(hit, labelled)


HEADLINE_SUMS_COLUMNS["three_way"] = _three_way_columns


# --------------------------------------------------------------------------- resampling


def resampled_counts(n: int, n_resamples: int, rng: np.random.Generator, *, max_cells: int = 1 << 20) -> np.ndarray:
    """B x n: how often each of ``n`` examples was drawn on each resample, from the draws of
    :func:`judgekit.metrics.stats.resample_indices` with the same generator (chunked as
    :func:`resampled_sums`)."""
    out = np.empty((n_resamples, n), dtype=np.int64)
    chunk = max(1, min(n_resamples, max_cells // max(1, n)))
    done = 0
    while done < n_resamples:
        size = min(chunk, n_resamples - done)
        draws = rng.integers(0, n, size=(size, n))
        out[done:done + size] = np.bincount((draws + (n * np.arange(size))[:, None]).ravel(),
                                            minlength=n * size).reshape(size, n)
        done += size
    return out


def resampled_sums(units: np.ndarray, n_resamples: int, rng: np.random.Generator, *,
                   max_cells: int = 1 << 20) -> np.ndarray:
    """B x d column sums of ``units`` (n x d) over ``n_resamples`` resamples of its rows: the draws
    of :func:`judgekit.metrics.stats.resample_indices` with the same generator, taken in chunks of
    resamples (numpy's generator yields the same numbers either way) so that memory stays bounded."""
    n, d = units.shape
    # examples fall into few distinct unit rows: sum the counts per distinct row, then multiply
    types, inverse = np.unique(units, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    out = np.empty((n_resamples, d))
    k = len(types)
    chunk = max(1, min(n_resamples, max_cells // max(1, n)))  # draws held at once: chunk x n
    done = 0
    while done < n_resamples:
        size = min(chunk, n_resamples - done)
        draws = rng.integers(0, n, size=(size, n))
        typed = inverse[draws] + (k * np.arange(size))[:, None]
        per_type = np.bincount(typed.ravel(), minlength=k * size).reshape(size, k)
        out[done:done + size] = per_type @ types
        done += size
    return out
