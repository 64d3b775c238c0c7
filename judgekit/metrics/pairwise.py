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

The judgments are turned into arrays once (:class:`PairwiseArrays`, in :mod:`.pairwise_arrays`;
the shares and their intervals are :mod:`.pairwise_shares`); everything after that
is vectorised, so a million judgments take about a second. Conflict policies are applied
through :func:`judgekit.protocols.combine` itself, once per distinct tuple of verdicts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from pydantic import SerializerFunctionWrapHandler, model_serializer

from ..protocols import POLICIES, combine
from ..types import Frozen, Judgment
from .agreement import kappa_from_confusion
from .bias import longer_choices
from .calibration import SoftCalibration, soft_calibration
from .interval import Score
from .pairwise_arrays import INVALID, WINNERS, PairwiseArrays
from .pairwise_shares import _Ctx, _first_per_group, _nan_to_none, _share_p, _type_counts, _unique_inverse
from .registry import Figure, omit_empty
from .stats import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    adjust_pvalues,
    bootstrap_from_types,
    compress_rows,
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
    registered: dict[str, Figure] = {}  # the registered metrics (judgekit.metrics.registry); omitted when none

    @model_serializer(mode="wrap")
    def _omit_no_registered(self, handler: SerializerFunctionWrapHandler) -> Any:
        return omit_empty(handler(self), "registered")

    @property
    def headline(self) -> Score:
        return self.accuracy[self.headline_policy].overall


# --------------------------------------------------------------------------- the report


def pairwise_metrics(judgments: Iterable[Judgment], *, headline_policy: str = "judgebench",
                     category_order: Sequence[str] | None = None,
                     policies: Sequence[str] | None = None, n_resamples: int = DEFAULT_RESAMPLES,
                     seed: int = DEFAULT_SEED, level: float = DEFAULT_LEVEL) -> PairwiseMetrics:
    return pairwise_metrics_from_arrays(PairwiseArrays.from_judgments(judgments), headline_policy=headline_policy,
                                        category_order=category_order, policies=policies,
                                        n_resamples=n_resamples, seed=seed, level=level)


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
    # row -> example; int32 where it fits (every figure below is an exact count: only memory changes)
    group = np.cumsum(first, dtype=np.int32 if n_rows < 2**31 else np.int64) - 1
    del first
    n_ex = int(starts.size)
    label_e = arr.label[starts]
    cat_e = arr.category[starts]
    verdict = np.where(arr.ok, arr.winner, INVALID)

    def per_example(x: np.ndarray) -> np.ndarray:
        """Sums over each example's rows (rows are sorted by example): n_ex (x d)."""
        x = np.asarray(x)
        wide = np.int64 if x.dtype == bool else None  # bools summed as int64, without an int64 copy of them
        if n_rows == 0:
            return np.zeros((0,) + x.shape[1:], dtype=wide or x.dtype)
        return np.add.reduceat(x, starts, axis=0, dtype=wide)

    has_invalid_e = per_example(verdict == INVALID) > 0
    sizes = np.diff(np.concatenate([starts, [n_rows]]))
    orders = int(sizes.max()) if n_ex else 0

    seen = [arr.category_names[c] for c in sorted(set(cat_e.tolist()) - {-1})]
    order_names = [c for c in (category_order or []) if c in seen]
    order_names += [c for c in seen if c not in order_names]
    cat_code = {name: arr.category_names.index(name) for name in order_names}

    # ---- accuracy under each policy: combine once per distinct (verdict tuple, label)
    def positional(values: np.ndarray, base: int) -> np.ndarray:
        """Each example's sum of values[row] * base ** (the row's position in the example), summed
        position by position (no per-row temporaries)."""
        out = np.zeros(n_ex, dtype=np.int64)
        for p in range(orders):
            has = np.flatnonzero(sizes > p)
            out[has] += values[starts[has] + p].astype(np.int64) * base ** p
        return out

    if orders <= 20:
        key_e = positional(verdict + 1, 5)
        tuple_key = key_e * 4 + (label_e + 1)
        del key_e
        uniq, inv = _unique_inverse(tuple_key)
        del tuple_key

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
        del first_ab, first_ba, ab_rows, ba_rows, g_ab, i_ab, g_ba, i_ba, v1, v2
        consistency = ctx.share(np.column_stack([consistent, np.ones(consistent.size)]), ("swap_consistency",),
                                n_invalid=inval)
    del is_ab, has_ab, has_ba, two

    # ---- position preference (shown frame, valid decisive verdicts), overall and per category
    ok_rows = arr.ok
    decisive = ok_rows & ((arr.shown == 0) | (arr.shown == 1))
    first_shown = ok_rows & (arr.shown == 0)
    pp_units = per_example(np.column_stack([first_shown, decisive]))
    n_invalid_rows = int((ok_rows & (arr.winner == INVALID)).sum())
    n_failed = int((~ok_rows).sum())
    k_first, n_dec = int(first_shown.sum()), int(decisive.sum())
    del first_shown, decisive
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
    inv_units = per_example(np.column_stack([ok_rows & (arr.winner == INVALID), ok_rows]))
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
            ckey = positional(cell, 17)
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
        lb_units = per_example(np.column_stack([picks_longer, dec_ex]))
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
