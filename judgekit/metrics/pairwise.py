"""The pairwise report: accuracy under every conflict policy, overall and per category,
swap consistency, position preference, invalid rate, Cohen's kappa, length bias, the
bounds invalid verdicts put on accuracy, and the calibration of soft verdicts; every
number with its n, its invalid count and a bootstrap confidence interval.

Rates are in percent (JudgeBench publishes two decimals); kappa is a ratio.

Intervals are percentile bootstrap intervals (default 1,000 resamples, seed 0, 95 %)
that resample examples with replacement, so both orders of a pair travel together. Every
statistic here is a function of small per-example counts, so the resampling is done
exactly and cheaply over the distinct kinds of example (:mod:`judgekit.metrics.stats`).
Each number draws from its own seeded stream, so adding a metric never moves another's
interval. Per-category intervals are marginal (each holds at the stated level on its own);
per-category position-preference tests carry Holm-adjusted p-values.

The judgments are turned into arrays once (:class:`PairwiseArrays`); everything after that
is vectorised, so a million judgments take about a second. Conflict policies are applied
through :func:`judgekit.protocols.combine` itself, once per distinct tuple of verdicts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from ..protocols import POLICIES, combine
from ..types import Frozen, Judgment
from .agreement import kappa_from_confusion
from .bias import longer_choices
from .calibration import SoftCalibration, soft_calibration
from .interval import Score
from .stats import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    adjust_pvalues,
    binomial_test,
    bootstrap_from_types,
    clustered_share_test,
    compress_rows,
    ratio,
    rng_for,
)


class PolicyAccuracy(Frozen):
    overall: Score
    categories: dict[str, Score]


class BootstrapSpec(Frozen):
    """How the intervals were made (recorded in metrics.json so they can be reproduced)."""

    method: str = "percentile"
    n_resamples: int
    seed: int
    level: float
    cluster: str = "example_id"
    category_intervals: str = "marginal"
    category_p_adjust: str = "holm"


class AccuracyBounds(Frozen):
    """Headline-policy accuracy (percent) under each treatment of invalid or failed
    verdicts: as the wrong verdict (lower bound), as a tie, left out (examples with any
    invalid verdict dropped), and as the right verdict (upper bound)."""

    policy: str
    invalid_as_wrong: Score
    invalid_as_tie: Score
    invalid_dropped: Score
    invalid_as_correct: Score


class PairwiseMetrics(Frozen):
    n_examples: int
    n_judgments: int
    n_invalid: int
    n_failed: int
    orders: int
    headline_policy: str
    accuracy: dict[str, PolicyAccuracy]
    swap_consistency: Score | None
    position_preference: Score
    invalid_rate: Score
    cohen_kappa: Score
    bootstrap: BootstrapSpec | None = None
    position_preference_by_category: dict[str, Score] = {}
    length_bias: Score | None = None  # % of decisive verdicts on unequal-length pairs that pick the longer
    accuracy_bounds: AccuracyBounds | None = None
    soft_calibration: SoftCalibration | None = None  # p(A) against gold, when the judge gives one

    @property
    def headline(self) -> Score:
        return self.accuracy[self.headline_policy].overall


# --------------------------------------------------------------------------- judgments as arrays

WINNERS = ("A", "B", "tie", "invalid")
W_CODE = {w: i for i, w in enumerate(WINNERS)}
INVALID = W_CODE["invalid"]
TIE = W_CODE["tie"]
LABEL_CODE = {"A": 0, "B": 1, "tie": 2, None: -1}


@dataclass(frozen=True)
class PairwiseArrays:
    """Judgment rows as parallel arrays, sorted by example, then order (AB first), then
    sample. Codes: winners A=0, B=1, tie=2, invalid=3; labels A=0, B=1, tie=2, none=-1;
    orders AB=0, BA=1; categories index ``category_names`` (-1: none)."""

    example: np.ndarray
    order: np.ndarray
    category: np.ndarray
    category_names: list[str]
    label: np.ndarray
    ok: np.ndarray
    winner: np.ndarray
    shown: np.ndarray
    len_a: np.ndarray
    len_b: np.ndarray
    p_a: np.ndarray

    @classmethod
    def from_judgments(cls, judgments: Iterable[Judgment]) -> PairwiseArrays:
        rows = list(judgments)
        n = len(rows)
        if not n:
            e = np.zeros(0, dtype=np.int64)
            f = np.zeros(0)
            return cls(e, e, e, [], e, e.astype(bool), e, e, f, f, f)

        def col(name: str) -> list:
            return list(map(attrgetter(name), rows))

        def coded(name: str, table: dict) -> np.ndarray:
            return np.fromiter(map(table.__getitem__, map(attrgetter(name), rows)), dtype=np.int64, count=n)

        cat = col("category")
        cat_names = sorted({c for c in set(cat) if c})
        cat_index: dict[str | None, int] = {c: i for i, c in enumerate(cat_names)}
        cat_index.update({None: -1, "": -1})
        return cls.build(
            example=_codes(col("example_id")), order=coded("order", {"AB": 0, "BA": 1}),
            sample=np.fromiter(map(attrgetter("sample"), rows), dtype=np.int64, count=n),
            category=np.fromiter(map(cat_index.__getitem__, cat), dtype=np.int64, count=n),
            category_names=cat_names, label=coded("label", LABEL_CODE),
            ok=coded("status", {"ok": 1, "error": 0}).astype(bool), winner=coded("winner", W_CODE),
            shown=coded("shown_winner", W_CODE), len_a=np.array(col("len_a"), dtype=float),
            len_b=np.array(col("len_b"), dtype=float), p_a=np.array(col("p_a"), dtype=float))

    @classmethod
    def build(cls, *, example: np.ndarray, order: np.ndarray, sample: np.ndarray | None = None,
              category: np.ndarray, category_names: Sequence[str], label: np.ndarray, ok: np.ndarray,
              winner: np.ndarray, shown: np.ndarray, len_a: np.ndarray | None = None,
              len_b: np.ndarray | None = None, p_a: np.ndarray | None = None) -> PairwiseArrays:
        """From unsorted code arrays (see the class docstring); sorts them."""
        n = len(example)
        smp = np.zeros(n, dtype=np.int64) if sample is None else np.asarray(sample)
        ex = np.asarray(example, dtype=np.int64)
        od = np.asarray(order, dtype=np.int64)
        span_s = int(smp.max()) + 1 if n else 1
        if n and (int(ex.max()) + 1) * 2 * span_s < 2**62 and int(ex.min()) >= 0 and int(smp.min()) >= 0:
            idx = np.argsort((ex * 2 + od) * span_s + smp, kind="stable")  # one key: faster than lexsort
        else:
            idx = np.lexsort((smp, od, ex))
        nan = np.full(n, np.nan)

        def take(a: np.ndarray | None, default: np.ndarray) -> np.ndarray:
            return (default if a is None else np.asarray(a))[idx]

        return cls(example=np.asarray(example)[idx], order=np.asarray(order)[idx],
                   category=np.asarray(category)[idx], category_names=list(category_names),
                   label=np.asarray(label)[idx], ok=np.asarray(ok, dtype=bool)[idx],
                   winner=np.asarray(winner)[idx], shown=np.asarray(shown)[idx],
                   len_a=take(len_a, nan).astype(float), len_b=take(len_b, nan).astype(float),
                   p_a=take(p_a, nan).astype(float))


def _codes(values: Sequence[str]) -> np.ndarray:
    """Codes in sorted order of the values, so the report does not depend on row order."""
    index = {v: i for i, v in enumerate(sorted(set(values)))}
    return np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))


# --------------------------------------------------------------------------- the report


def _nan_to_none(x: float) -> float | None:
    return None if math.isnan(x) else x


def _share_p(units: np.ndarray) -> float | None:
    """p-value of a share against 0.5 from per-example [numerator, denominator] rows: exact
    binomial when no example has more than one verdict, else cluster-robust (the two orders
    of a pair are not independent verdicts)."""
    units = units[units[:, 1] > 0]
    if units.size == 0:
        return None
    if int(units[:, 1].max()) <= 1:
        return _nan_to_none(binomial_test(int(units[:, 0].sum()), int(units[:, 1].sum())))
    return _nan_to_none(clustered_share_test(units[:, 0], units[:, 1]))


def pairwise_metrics(judgments: Iterable[Judgment], *, headline_policy: str = "judgebench",
                     category_order: Sequence[str] | None = None,
                     policies: Sequence[str] | None = None, n_resamples: int = DEFAULT_RESAMPLES,
                     seed: int = DEFAULT_SEED, level: float = DEFAULT_LEVEL) -> PairwiseMetrics:
    return pairwise_metrics_from_arrays(PairwiseArrays.from_judgments(judgments), headline_policy=headline_policy,
                                        category_order=category_order, policies=policies,
                                        n_resamples=n_resamples, seed=seed, level=level)


class _Ctx:
    """What every metric of one report shares: the seed, the resample count, the level."""

    def __init__(self, n_resamples: int, seed: int, level: float) -> None:
        self.n_resamples, self.seed, self.level = n_resamples, seed, level

    def share(self, units: np.ndarray, key: tuple[str, ...], *, percent: bool = True,
              higher_is_better: bool | None = True, n: int | None = None, count: int | None = None,
              n_invalid: int | None = None, p_value: float | None = None) -> Score:
        """A share from per-unit [numerator, denominator] rows, with its bootstrap interval."""
        types, counts = _type_counts(np.asarray(units, dtype=np.int64).reshape(-1, 2))
        return self.share_of_types(types, counts[0], key, percent=percent, higher_is_better=higher_is_better, n=n,
                                   count=count, n_invalid=n_invalid, p_value=p_value)

    def share_of_types(self, types: np.ndarray, counts: np.ndarray, key: tuple[str, ...], *, percent: bool = True,
                       higher_is_better: bool | None = True, n: int | None = None, count: int | None = None,
                       n_invalid: int | None = None, p_value: float | None = None) -> Score:
        keep = counts > 0
        types, counts = types[keep], counts[keep]
        num, den = int(counts @ types[:, 0]), int(counts @ types[:, 1])
        scale = 100.0 if percent else 1.0
        value = scale * (num / den) if den else None
        lo = hi = None
        if den and self.n_resamples:
            res = bootstrap_from_types(types, counts, ratio, n_resamples=self.n_resamples,
                                       rng=rng_for(self.seed, *key), level=self.level)
            lo = None if res.low is None else scale * res.low
            hi = None if res.high is None else scale * res.high
        return Score(value=value, n=den if n is None else n, count=num if count is None else count,
                     higher_is_better=higher_is_better, ci_low=lo, ci_high=hi,
                     ci_level=self.level if lo is not None else None, n_invalid=n_invalid, p_value=p_value)


def _unique_inverse(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` for non-negative integer keys, by counting
    when their range is small (it is for verdict tuples and confusion cells)."""
    if keys.size and int(keys.min()) >= 0 and int(keys.max()) < max(1 << 20, 4 * keys.size):
        present = np.flatnonzero(np.bincount(keys))
        lookup = np.empty(int(present[-1]) + 1, dtype=np.int64)
        lookup[present] = np.arange(present.size)
        return present, lookup[keys]
    uniq, inv = np.unique(keys, return_inverse=True)
    return uniq, inv.ravel()


def _first_per_group(sorted_groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a sorted array and the index of each one's first occurrence."""
    if sorted_groups.size == 0:
        return sorted_groups, np.zeros(0, dtype=np.int64)
    first = np.concatenate([[True], sorted_groups[1:] != sorted_groups[:-1]])
    idx = np.flatnonzero(first)
    return sorted_groups[idx], idx


def _type_counts(units: np.ndarray, cat: np.ndarray | None = None, n_cat: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The possible [numerator, denominator] unit types and how many units of each there are,
    overall (row 0 when ``cat`` is None) or per category (row c + 1 for category c, row 0 for
    none): one bincount, no sorting."""
    num = units[:, 0]
    den = units[:, 1]
    big_n = int(num.max()) + 1 if num.size else 1
    big_d = int(den.max()) + 1 if den.size else 1
    width = big_n * big_d
    key = num * big_d + den
    if cat is None:
        counts = np.bincount(key, minlength=width)[None, :]
    else:
        counts = np.bincount((cat + 1) * width + key, minlength=(n_cat + 1) * width).reshape(n_cat + 1, width)
    grid = np.arange(width)
    return np.column_stack([grid // big_d, grid % big_d]), counts


def pairwise_metrics_from_arrays(arr: PairwiseArrays, *, headline_policy: str = "judgebench",
                                 category_order: Sequence[str] | None = None,
                                 policies: Sequence[str] | None = None, n_resamples: int = DEFAULT_RESAMPLES,
                                 seed: int = DEFAULT_SEED, level: float = DEFAULT_LEVEL) -> PairwiseMetrics:
    ctx = _Ctx(n_resamples, seed, level)
    n_rows = int(arr.example.size)
    policies = list(policies or POLICIES)
    if headline_policy not in policies:
        policies.insert(0, headline_policy)

    # groups: one per example, rows already sorted (example, order, sample)
    if n_rows:
        first = np.concatenate([[True], arr.example[1:] != arr.example[:-1]])
    else:
        first = np.zeros(0, dtype=bool)
    starts = np.flatnonzero(first)
    group = np.cumsum(first) - 1
    n_ex = int(starts.size)
    label_e = arr.label[starts]
    cat_e = arr.category[starts]
    verdict = np.where(arr.ok, arr.winner, INVALID)

    def per_example(x: np.ndarray) -> np.ndarray:
        """Sums over each example's rows (rows are sorted by example): n_ex (x d)."""
        x = np.asarray(x)
        if x.dtype == bool:
            x = x.astype(np.int64)
        if n_rows == 0:
            return np.zeros((0,) + x.shape[1:], dtype=x.dtype)
        return np.add.reduceat(x, starts, axis=0)

    has_invalid_e = per_example(verdict == INVALID) > 0
    sizes = np.diff(np.concatenate([starts, [n_rows]]))
    orders = int(sizes.max()) if n_ex else 0

    seen = [arr.category_names[c] for c in sorted(set(cat_e.tolist()) - {-1})]
    order_names = [c for c in (category_order or []) if c in seen]
    order_names += [c for c in seen if c not in order_names]
    cat_code = {name: arr.category_names.index(name) for name in order_names}

    # ---- accuracy under each policy: combine once per distinct (verdict tuple, label)
    pos = np.arange(n_rows) - starts[group] if n_rows else np.zeros(0, dtype=np.int64)
    if orders <= 20:
        key_e = per_example((verdict + 1) * 5 ** pos)
        tuple_key = key_e * 4 + (label_e + 1)
        uniq, inv = _unique_inverse(tuple_key)

        def decode(k: int) -> tuple[list[str], int]:
            lab, code = k % 4 - 1, k // 4
            vs = []
            while code:
                vs.append(WINNERS[code % 5 - 1])
                code //= 5
            return vs, lab
        decoded = [decode(int(k)) for k in uniq]
    else:  # very many samples per example: one tuple per example
        inv = np.arange(n_ex)
        decoded = [([WINNERS[v] for v in verdict[s:s + z]], int(label_e[k]))
                   for k, (s, z) in enumerate(zip(starts.tolist(), sizes.tolist(), strict=True))]

    labels_str = ["A", "B", "tie"]

    def correct_under(policy: str, replace_invalid: str | None = None) -> np.ndarray:
        flags = np.zeros(len(decoded), dtype=bool)
        for t, (vs, lab) in enumerate(decoded):
            if lab < 0:
                continue
            gold = labels_str[lab]
            if replace_invalid is not None:
                sub = {"label": gold, "tie": "tie", "wrong": "B" if gold == "A" else "A"}[replace_invalid]
                vs = [sub if v == "invalid" else v for v in vs]
            flags[t] = combine(policy, vs) == gold  # type: ignore[arg-type]
        return flags[inv]

    accuracy_by_policy: dict[str, PolicyAccuracy] = {}
    # examples without a gold label (imported Arena-Hard / AlpacaEval runs) are not scored
    labelled_e = (label_e >= 0).astype(np.int64)
    n_cat = len(arr.category_names)
    invalid_by_cat = np.bincount(cat_e + 1, weights=has_invalid_e, minlength=n_cat + 1).astype(np.int64)
    for policy in policies:
        correct = correct_under(policy)
        types, counts = _type_counts(np.column_stack([correct, labelled_e]), cat_e, n_cat)
        overall = ctx.share_of_types(types, counts.sum(axis=0), ("accuracy", policy),
                                     n_invalid=int(has_invalid_e.sum()))
        cats = {name: ctx.share_of_types(types, counts[code + 1], ("accuracy", policy, name),
                                         n_invalid=int(invalid_by_cat[code + 1]))
                for name, code in cat_code.items()}
        accuracy_by_policy[policy] = PolicyAccuracy(overall=overall, categories=cats)

    # ---- accuracy bounds from invalid verdicts (headline policy)
    bounds = None
    if n_ex:
        valid_e = ~has_invalid_e

        def bound(flags: np.ndarray, name: str, keep: np.ndarray | None = None) -> Score:
            k = np.ones(n_ex, dtype=bool) if keep is None else keep
            return ctx.share(np.column_stack([flags[k], labelled_e[k]]), ("bounds", headline_policy, name),
                             n_invalid=int((has_invalid_e & (labelled_e > 0))[k].sum()))

        bounds = AccuracyBounds(
            policy=headline_policy,
            invalid_as_wrong=bound(correct_under(headline_policy, "wrong"), "wrong"),
            invalid_as_tie=bound(correct_under(headline_policy, "tie"), "tie"),
            invalid_dropped=bound(correct_under(headline_policy), "dropped", valid_e),
            invalid_as_correct=bound(correct_under(headline_policy, "label"), "correct"))

    # ---- swap consistency over examples judged in both orders
    is_ab = arr.order == 0
    has_ab = per_example(is_ab) > 0
    has_ba = per_example(~is_ab) > 0
    two = has_ab & has_ba
    consistency = None
    if two.any():
        first_ab = np.full(n_ex, -1, dtype=np.int64)
        first_ba = np.full(n_ex, -1, dtype=np.int64)
        ab_rows = np.flatnonzero(is_ab)
        ba_rows = np.flatnonzero(~is_ab)
        g_ab, i_ab = _first_per_group(group[ab_rows])
        g_ba, i_ba = _first_per_group(group[ba_rows])
        first_ab[g_ab] = verdict[ab_rows[i_ab]]
        first_ba[g_ba] = verdict[ba_rows[i_ba]]
        v1, v2 = first_ab[two], first_ba[two]
        consistent = (v1 == v2) & (v1 != INVALID)
        inval = int(((v1 == INVALID) | (v2 == INVALID)).sum())
        consistency = ctx.share(np.column_stack([consistent, np.ones(consistent.size)]), ("swap_consistency",),
                                n_invalid=inval)

    # ---- position preference (shown frame, valid decisive verdicts), overall and per category
    ok_rows = arr.ok
    decisive = ok_rows & ((arr.shown == 0) | (arr.shown == 1))
    first_shown = ok_rows & (arr.shown == 0)
    pp_units = per_example(np.column_stack([first_shown, decisive]).astype(np.int64))
    n_invalid_rows = int((ok_rows & (arr.winner == INVALID)).sum())
    n_failed = int((~ok_rows).sum())
    k_first, n_dec = int(first_shown.sum()), int(decisive.sum())
    position = ctx.share(pp_units, ("position_preference",), higher_is_better=None,
                         n_invalid=n_invalid_rows + n_failed, p_value=_share_p(pp_units))
    if not n_dec:
        position = Score(value=None, n=0, count=k_first, higher_is_better=None, n_invalid=n_invalid_rows + n_failed)
    by_cat: dict[str, Score] = {}
    for name, code in cat_code.items():
        m = cat_e == code
        u = pp_units[m]
        rows_m = m[group]
        by_cat[name] = ctx.share(u, ("position_preference", name), higher_is_better=None,
                                 n_invalid=int((rows_m & (verdict == INVALID)).sum()), p_value=_share_p(u))
    if by_cat:
        adj = adjust_pvalues([s.p_value if s.p_value is not None else math.nan for s in by_cat.values()], "holm")
        by_cat = {k: v.model_copy(update={"p_adjusted": _nan_to_none(float(a))})
                  for (k, v), a in zip(by_cat.items(), adj, strict=True)}

    # ---- invalid rate over valid requests (failed requests are counted apart)
    inv_units = per_example(np.column_stack([ok_rows & (arr.winner == INVALID), ok_rows]).astype(np.int64))
    invalid_rate = ctx.share(inv_units, ("invalid_rate",), higher_is_better=False, n_invalid=n_invalid_rows)
    if not ok_rows.any():
        invalid_rate = Score(value=None, n=0, count=n_invalid_rows, higher_is_better=False, n_invalid=n_invalid_rows)

    # ---- Cohen's kappa of every labelled verdict against its gold label
    labelled = arr.label >= 0
    kappa = Score(value=None, n=int(labelled.sum()), higher_is_better=True, n_invalid=0)
    if labelled.any():
        # each example's (gold, verdict) cells as one positional key, as for the policies;
        # the distinct keys become 16-cell count vectors (the example's confusion counts)
        cell = np.where(labelled, arr.label * 4 + verdict + 1, 0)  # 0: an unlabelled row adds nothing
        if orders <= 14:
            ckey = per_example(cell * 17 ** pos)
            ukeys, kinv = _unique_inverse(ckey[per_example(labelled) > 0])
            kcounts = np.bincount(kinv, minlength=ukeys.size)
            types = np.zeros((ukeys.size, 16), dtype=np.int64)
            rest = ukeys.copy()
            while np.any(rest):
                digit = rest % 17
                has = digit > 0
                np.add.at(types, (np.flatnonzero(has), digit[has] - 1), 1)
                rest //= 17
            units = types
            counts = kcounts
        else:
            onehot = np.zeros((n_rows, 16), dtype=np.int64)
            onehot[np.flatnonzero(labelled), cell[labelled] - 1] = 1
            ex_cells = per_example(onehot)
            types, counts = compress_rows(ex_cells[ex_cells.sum(axis=1) > 0])
            units = types
        kstat = lambda s: kappa_from_confusion(s.reshape(-1, 4, 4))  # noqa: E731
        res = bootstrap_from_types(types, counts, kstat, n_resamples=n_resamples, rng=rng_for(seed, "cohen_kappa"),
                                   level=level) if n_resamples else None
        value = float(kappa_from_confusion((counts[:, None] * units).sum(axis=0).reshape(4, 4)))
        kappa = Score(value=_nan_to_none(value), n=int(labelled.sum()), higher_is_better=True,
                      ci_low=None if res is None else res.low, ci_high=None if res is None else res.high,
                      ci_level=level if res is not None and res.low is not None else None,
                      n_invalid=int((verdict[labelled] == INVALID).sum()))

    # ---- length bias: decisive valid verdicts (example frame) on pairs of unequal length
    length = None
    have_len = np.isfinite(arr.len_a) & np.isfinite(arr.len_b) & (arr.len_a != arr.len_b)
    picks_longer, dec_ex = longer_choices(arr.winner == 0, ok_rows & ((arr.winner == 0) | (arr.winner == 1)),
                                          arr.len_a, arr.len_b)
    if dec_ex.any():
        lb_units = per_example(np.column_stack([picks_longer, dec_ex]).astype(np.int64))
        length = ctx.share(lb_units, ("length_bias",), higher_is_better=None,
                           n_invalid=int((have_len & (verdict == INVALID)).sum()), p_value=_share_p(lb_units))

    # ---- soft verdicts: p(A) against decisive gold labels
    soft = None
    has_p = ok_rows & np.isfinite(arr.p_a) & ((arr.label == 0) | (arr.label == 1))
    if has_p.sum() >= 2:
        soft = soft_calibration(arr.p_a[has_p], (arr.label[has_p] == 0).astype(float), cluster=group[has_p],
                                n_resamples=n_resamples, seed=rng_for(seed, "soft_calibration"), level=level)

    return PairwiseMetrics(
        n_examples=n_ex,
        n_judgments=n_rows,
        n_invalid=n_invalid_rows,
        n_failed=n_failed,
        orders=orders,
        headline_policy=headline_policy,
        accuracy=accuracy_by_policy,
        swap_consistency=consistency,
        position_preference=position,
        invalid_rate=invalid_rate,
        cohen_kappa=kappa,
        bootstrap=BootstrapSpec(n_resamples=n_resamples, seed=seed, level=level),
        position_preference_by_category=by_cat,
        length_bias=length,
        accuracy_bounds=bounds,
        soft_calibration=soft,
    )
