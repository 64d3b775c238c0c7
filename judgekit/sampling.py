"""Repeated sampling: N verdicts per request (``--samples N`` with a temperature).

Each sample is its own request (``sample`` = 0..N-1; the request id of sample 0 is the usual
``<example>#<order>``, later ones ``<example>#<order>~<k>``; made by ``judgekit.plan.RequestPlan``),
cached under its sample index,
so a rerun sends nothing and a run with more samples sends only the new ones. A backend
that can draw several completions in one call (``supports_n``: the OpenAI-compatible client)
gets all pending samples of a request in one call with ``n``; others get N calls. With a
fixed ``--seed``, sample k is drawn with seed + k (the same seed would draw the same text).

From the stored samples, without new calls, :func:`sampling_report` gives:

- pairwise: accuracy of the majority of the first k samples, k = 1..N (each order's first k
  samples, combined by the suite's headline policy: JudgeBench's vote over all of them), with
  bootstrap intervals; accuracy by the mean probability where the judge gives p(A);
- pointwise: the correlation of the mean of the first k grades with the gold grades;
- test-retest stability: agreement of single samples with each other (Fleiss' kappa and
  Krippendorff's alpha with the samples as raters of each request), and the share of requests
  whose samples all agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from .manifest import RunManifest
from .metrics.interval import Score
from .metrics.panel import CurvePoint, PanelAgreement, binomial_majority, panel_agreement, vote
from .metrics.stats import DEFAULT_RESAMPLES, DEFAULT_SEED, bootstrap_share, rng_for
from .protocols import combine
from .types import Frozen, JudgeRequest, Judgment, Winner

SAMPLES_FILE = "sampling.json"


def same_prompt(a: JudgeRequest, b: JudgeRequest) -> bool:
    """Two samples of one request (they may differ only in sample index, id and seed)."""
    return (a.example_id, a.order, a.messages, a.prompt, a.mode) == (b.example_id, b.order, b.messages, b.prompt,
                                                                    b.mode) and \
        a.sampling.model_copy(update={"seed": None}) == b.sampling.model_copy(update={"seed": None})


# --------------------------------------------------------------------------- the report


class PointwiseCurvePoint(Frozen):
    k: int
    pearson: float | None
    spearman: float | None
    n: int


class SamplingReport(Frozen):
    n_samples: int
    kind: str
    policy: str | None = None
    n_examples: int
    curve: list[CurvePoint] = []  # pairwise: accuracy (percent) of the majority of the first k samples
    mean_probability: Score | None = None  # pairwise: accuracy of the mean p(A), when the judge gives one
    pointwise_curve: list[PointwiseCurvePoint] = []  # pointwise: mean of the first k grades vs gold
    stability: PanelAgreement  # single samples as raters of each request
    all_agree: float | None  # percent of requests whose valid samples all agree


def _grouped(rows: Iterable[Judgment]) -> dict[str, dict[str, list[Judgment]]]:
    out: dict[str, dict[str, list[Judgment]]] = defaultdict(lambda: defaultdict(list))
    for j in rows:
        out[j.example_id][j.order].append(j)
    for orders in out.values():
        for lst in orders.values():
            lst.sort(key=lambda j: j.sample)
    return out


def _w(j: Judgment) -> Winner:
    return j.winner if j.status == "ok" else "invalid"


def sampling_report(rows: Iterable[Judgment], *, kind: str = "pairwise", policy: str = "judgebench",
                    n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                    expected_accuracy: float | None = None) -> SamplingReport:
    """See the module docstring. ``expected_accuracy`` (a fraction) adds the binomial
    prediction for independent draws to each curve point (single-order runs)."""
    grouped = _grouped(rows)
    units = [lst for orders in grouped.values() for lst in orders.values()]
    n = min((len(u) for u in units), default=0)
    if kind == "pointwise":
        stability = panel_agreement(np.array([[u[s].score if u[s].status == "ok" else None for u in units]
                                              for s in range(n)], dtype=object).reshape(n, len(units)),
                                    categories=sorted({j.score for u in units for j in u if j.score is not None}))
    else:
        stability = panel_agreement(np.array([[_w(u[s]) for u in units] for s in range(n)],
                                             dtype=object).reshape(n, len(units)))
    agree = [len({_w(j) for j in u[:n]} - {"invalid"}) == 1 and all(_w(j) != "invalid" for j in u[:n])
             for u in units]
    all_agree = 100.0 * float(np.mean(agree)) if agree else None
    if kind == "pointwise":
        from .metrics.pointwise import pearson, spearman

        labelled = [u for u in units if u[0].gold_score is not None]
        pcurve = []
        for k in range(1, n + 1):
            pairs = [(float(np.mean(s)), float(u[0].gold_score or 0)) for u in labelled
                     if (s := [j.score for j in u[:k] if j.status == "ok" and j.score is not None])]
            x = [a for a, _ in pairs]
            y = [b for _, b in pairs]
            pr = pearson(x, y, ci="none").value if len(pairs) > 2 else None
            sr = spearman(x, y, ci="none").value if len(pairs) > 2 else None
            pcurve.append(PointwiseCurvePoint(k=k, pearson=pr, spearman=sr, n=len(pairs)))
        return SamplingReport(n_samples=n, kind=kind, n_examples=len(grouped), pointwise_curve=pcurve,
                              stability=stability, all_agree=all_agree)
    labelled_ex = {e: o for e, o in grouped.items() if next(iter(o.values()))[0].label is not None}
    curve = []
    for k in range(1, n + 1):
        correct = []
        for orders in labelled_ex.values():
            label = next(iter(orders.values()))[0].label
            verdicts = [_w(j) for o in sorted(orders) for j in orders[o][:k]]
            correct.append(combine(policy, verdicts) == label)
        res = bootstrap_share(np.array(correct, dtype=bool), n_resamples=n_resamples,
                              seed=rng_for(seed, "samples", str(k)))
        curve.append(CurvePoint(k=k, accuracy=res.estimate(len(correct), scale=100.0),
                                expected=None if expected_accuracy is None
                                else 100.0 * binomial_majority(expected_accuracy, k)))
    mean_prob = None
    probs = [j.p_a for orders in labelled_ex.values() for lst in orders.values() for j in lst]
    if probs and all(p is not None for p in probs):
        correct = []
        for orders in labelled_ex.values():
            label = next(iter(orders.values()))[0].label
            ws = [_w(j) for lst in orders.values() for j in lst]
            ps = [j.p_a for lst in orders.values() for j in lst]
            correct.append(vote(ws, method="mean_prob", p_a=ps)[0] == label)
        res = bootstrap_share(np.array(correct, dtype=bool), n_resamples=n_resamples,
                              seed=rng_for(seed, "samples", "mean_prob"))
        mean_prob = res.estimate(len(correct), scale=100.0)
    return SamplingReport(n_samples=n, kind=kind, policy=policy, n_examples=len(grouped), curve=curve,
                          mean_probability=mean_prob, stability=stability, all_agree=all_agree)


def report_for_run(rows: Iterable[Judgment], manifest: RunManifest) -> SamplingReport:
    return sampling_report(rows, kind=manifest.kind, policy=manifest.protocol.headline_policy)
