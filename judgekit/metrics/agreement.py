"""Agreement between verdicts and gold labels, and between raters.

Accuracy with explicit tie and invalid handling; Cohen's kappa (unweighted, linear and
quadratic weighted); Krippendorff's alpha for several raters; the confusion matrix;
per-class and macro precision, recall and F1 (JudgeLM's report); agreement with and
without ties (MT-Bench's human-agreement report); majority vote of several annotators.

All functions take plain sequences or arrays of labels. Labels are compared as given:
a verdict category the gold labels never use (such as ``invalid``) is simply another
category, which counts as disagreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from ..types import Frozen
from .interval import Score
from .stats import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    bootstrap_sums,
    cluster_sums,
    compress_rows,
    factorize,
    finite_or_none,
    percentile_interval,
)

Labels = Sequence[object] | np.ndarray


def accuracy(correct: Sequence[bool] | np.ndarray) -> float:
    """Share of correct items, in [0, 1]; NaN for no items."""
    arr = np.asarray(correct, dtype=bool)
    return float(arr.mean()) if arr.size else float("nan")


def _codes(y1: Labels, y2: Labels, labels: Sequence[object] | None) -> tuple[np.ndarray, np.ndarray, list[object]]:
    a = np.asarray(y1, dtype=object)
    b = np.asarray(y2, dtype=object)
    if a.shape != b.shape:
        raise ValueError(f"length mismatch: {a.size} vs {b.size}")
    cats = list(labels) if labels is not None else sorted(set(a.tolist()) | set(b.tolist()), key=_sort_key)
    index = {c: i for i, c in enumerate(cats)}
    ia = np.fromiter((index.get(x, -1) for x in a), dtype=np.int64, count=a.size)
    ib = np.fromiter((index.get(x, -1) for x in b), dtype=np.int64, count=b.size)
    return ia, ib, cats


def _sort_key(x: object) -> tuple[int, object]:
    # numbers before strings, each in natural order (sorted() of a mixed set would fail)
    return (0, x) if isinstance(x, (int, float, np.integer, np.floating)) else (1, str(x))


def confusion_matrix(y_true: Labels, y_pred: Labels, labels: Sequence[object] | None = None
                     ) -> tuple[np.ndarray, list[object]]:
    """Counts with gold in rows and predictions in columns (scikit-learn's layout), and the
    label order. Items whose gold or prediction is not in ``labels`` are left out."""
    ia, ib, cats = _codes(y_true, y_pred, labels)
    keep = (ia >= 0) & (ib >= 0)
    k = len(cats)
    cm = np.bincount(ia[keep] * k + ib[keep], minlength=k * k).reshape(k, k)
    return cm, cats


def kappa_from_confusion(cm: np.ndarray, weights: Literal["linear", "quadratic"] | None = None) -> np.ndarray:
    """Cohen's kappa of one or many confusion matrices (..., k, k); vectorised over leading
    axes so a bootstrap can pass B matrices at once. NaN where the expected disagreement is 0."""
    cm = np.asarray(cm, dtype=float)
    k = cm.shape[-1]
    n = cm.sum(axis=(-2, -1))
    rows = cm.sum(axis=-1)
    cols = cm.sum(axis=-2)
    if weights is None:
        w = 1.0 - np.eye(k)
    else:
        idx = np.arange(k)
        d = np.abs(idx[:, None] - idx[None, :]).astype(float)
        w = d if weights == "linear" else d**2
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = rows[..., :, None] * cols[..., None, :] / n[..., None, None]
        num = (w * cm).sum(axis=(-2, -1))
        den = (w * expected).sum(axis=(-2, -1))
        return np.where(den > 0, 1.0 - num / np.where(den > 0, den, 1.0), np.nan)


def cohen_kappa(y1: Labels, y2: Labels, labels: Sequence[object] | None = None,
                weights: Literal["linear", "quadratic"] | None = None) -> float:
    """Cohen's kappa between two label sequences, unweighted or weighted.

    Categories are the union of both sequences (or ``labels``); a verdict category the gold
    labels never use (such as ``invalid``) counts as disagreement. Weighted kappa (for
    ordinal scores) uses ``|i - j|`` (linear) or ``(i - j)^2`` (quadratic) over the
    categories' positions in ``labels`` (or in sorted order), as scikit-learn does. NaN when
    the expected disagreement is 0 (both raters constant and equal), as scikit-learn returns.
    """
    ia, ib, cats = _codes(y1, y2, labels)
    if ia.size == 0:
        return float("nan")
    keep = (ia >= 0) & (ib >= 0)
    k = len(cats)
    cm = np.bincount(ia[keep] * k + ib[keep], minlength=k * k).reshape(k, k)
    return float(kappa_from_confusion(cm, weights))


def krippendorff_alpha(reliability_data: Sequence[Sequence[object]] | np.ndarray,
                       level: Literal["nominal", "ordinal", "interval", "ratio"] = "nominal",
                       value_domain: Sequence[object] | None = None) -> float:
    """Krippendorff's alpha for any number of raters, with missing ratings.

    ``reliability_data`` is raters x units; a missing rating is ``None`` or NaN. Units with
    fewer than two ratings are not pairable and are left out. Computed from the coincidence
    matrix (Krippendorff 2011, "Computing Krippendorff's alpha-reliability"): for nominal
    data the distance is 0/1; ordinal, interval and ratio use Krippendorff's metric
    differences over ``value_domain`` (default: the sorted distinct values). NaN when there
    is no expected disagreement.
    """
    data = np.asarray(reliability_data, dtype=object)
    if data.ndim != 2:
        raise ValueError("reliability_data must be raters x units")
    flat = data.ravel()
    missing = np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in flat]).reshape(data.shape)
    present = sorted({v for v, m in zip(flat.tolist(), missing.ravel().tolist(), strict=True) if not m},
                     key=_sort_key)
    domain = list(value_domain) if value_domain is not None else present
    index = {v: i for i, v in enumerate(domain)}
    v_count = len(domain)
    codes = np.full(data.shape, -1, dtype=np.int64)
    for (r, u), val in np.ndenumerate(data):
        if not missing[r, u]:
            if val not in index:
                raise ValueError(f"value {val!r} not in value_domain")
            codes[r, u] = index[val]
    # units x values counts
    n_units = data.shape[1]
    rr, uu = np.nonzero(codes >= 0)
    counts = np.zeros((n_units, v_count))
    np.add.at(counts, (uu, codes[rr, uu]), 1.0)
    m_u = counts.sum(axis=1)
    pairable = m_u >= 2
    counts = counts[pairable]
    m_u = m_u[pairable]
    if counts.size == 0:
        return float("nan")
    inv = 1.0 / (m_u - 1.0)
    o = (counts * inv[:, None]).T @ counts - np.diag((counts * inv[:, None]).sum(axis=0))
    n_c = o.sum(axis=1)
    n = n_c.sum()
    delta2 = _metric(level, domain, n_c)
    d_o = float((o * delta2).sum())
    d_e = float((np.outer(n_c, n_c) * delta2).sum()) / (n - 1.0)
    if d_e == 0:
        return float("nan")
    return 1.0 - d_o / d_e


def _metric(level: str, domain: list[object], n_c: np.ndarray) -> np.ndarray:
    k = len(domain)
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "ordinal":
        cum = np.concatenate([[0.0], np.cumsum(n_c)])
        i = np.arange(k)
        lo = np.minimum(i[:, None], i[None, :])
        hi = np.maximum(i[:, None], i[None, :])
        # sum of n_g for g from lo to hi, minus half of the two end counts
        s = cum[hi + 1] - cum[lo] - (n_c[lo] + n_c[hi]) / 2.0
        return s**2
    v = np.asarray(domain, dtype=float)
    if level == "interval":
        return (v[:, None] - v[None, :]) ** 2
    if level == "ratio":
        with np.errstate(divide="ignore", invalid="ignore"):
            s = v[:, None] + v[None, :]
            return np.where(s != 0, ((v[:, None] - v[None, :]) / np.where(s != 0, s, 1.0)) ** 2, 0.0)
    raise ValueError(f"unknown level {level!r}; known: nominal, ordinal, interval, ratio")


class ClassReport(Frozen):
    precision: float
    recall: float
    f1: float
    support: int


class PRFReport(Frozen):
    """Per-class precision, recall and F1 and their unweighted (macro) means."""

    labels: list[str]
    per_class: dict[str, ClassReport]
    macro_precision: float
    macro_recall: float
    macro_f1: float
    n: int


def prf_from_confusion(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision, recall and F1 from one or many confusion matrices (..., k, k + e):
    gold classes in rows, predictions in columns, the first k columns being the same classes
    and any further columns predictions outside them (``invalid``), which count against
    recall only. A 0/0 is 0, as scikit-learn's ``zero_division=0``. Vectorised over leading
    axes so that a bootstrap can pass B matrices at once."""
    cm = np.asarray(cm, dtype=float)
    k = cm.shape[-2]
    tp = np.diagonal(cm[..., :, :k], axis1=-2, axis2=-1)
    pred = cm[..., :, :k].sum(axis=-2)
    true = cm.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(pred > 0, tp / np.where(pred > 0, pred, 1), 0.0)
        recall = np.where(true > 0, tp / np.where(true > 0, true, 1), 0.0)
        s = precision + recall
        f1 = np.where(s > 0, 2 * precision * recall / np.where(s > 0, s, 1), 0.0)
    return precision, recall, f1


def precision_recall_f1(y_true: Labels, y_pred: Labels, labels: Sequence[object] | None = None) -> PRFReport:
    """Per-class precision, recall and F1 and their macro averages (JudgeLM reports these).

    ``labels`` are the classes averaged over (default: the gold labels' classes); a prediction
    outside them (``invalid``) is a miss for recall but adds to no class's precision, as
    scikit-learn computes with ``labels=``. Items whose gold label is outside them are left
    out (scikit-learn would still count their predictions in a class's precision); with every
    gold label among ``labels`` the figures equal scikit-learn's. The macro F1 is the mean of the per-class F1 scores, not the F1 of the macro
    precision and recall.
    """
    cm, cats = class_confusion(y_true, y_pred, labels)
    precision, recall, f1 = prf_from_confusion(cm)
    true = cm.sum(axis=1)
    per = {str(c): ClassReport(precision=float(precision[i]), recall=float(recall[i]), f1=float(f1[i]),
                               support=int(true[i])) for i, c in enumerate(cats)}
    return PRFReport(labels=[str(c) for c in cats], per_class=per, macro_precision=float(precision.mean()),
                     macro_recall=float(recall.mean()), macro_f1=float(f1.mean()), n=int(cm.sum()))


def class_confusion(y_true: Labels, y_pred: Labels, labels: Sequence[object] | None = None
                    ) -> tuple[np.ndarray, list[object]]:
    """The k x (k + 1) confusion matrix :func:`prf_from_confusion` takes: gold in ``labels``
    (default: the gold labels' classes) in rows, predictions in the same classes and, in the
    last column, any prediction outside them."""
    t = np.asarray(y_true, dtype=object)
    p = np.asarray(y_pred, dtype=object)
    if t.shape != p.shape:
        raise ValueError(f"length mismatch: {t.size} vs {p.size}")
    cats = list(labels) if labels is not None else sorted(set(t.tolist()), key=_sort_key)
    index = {c: i for i, c in enumerate(cats)}
    k = len(cats)
    it = np.fromiter((index.get(x, -1) for x in t), dtype=np.int64, count=t.size)
    ip = np.fromiter((index.get(x, k) for x in p), dtype=np.int64, count=p.size)
    keep = it >= 0
    cm = np.bincount(it[keep] * (k + 1) + ip[keep], minlength=k * (k + 1)).reshape(k, k + 1)
    return cm, cats


def agreement(gold: Labels, pred: Labels, *, ties: bool = True, tie: object = "tie") -> tuple[float, int]:
    """MT-Bench's agreement: the share of items where the two raters give the same verdict.

    ``ties=True`` ("w/ tie") keeps every item, a tie being a verdict like any other;
    ``ties=False`` ("w/o tie") drops the items where either rater says ``tie``. Returns the
    share and the number of items it is over (NaN for none).
    """
    g = np.asarray(gold, dtype=object)
    p = np.asarray(pred, dtype=object)
    if g.shape != p.shape:
        raise ValueError(f"length mismatch: {g.size} vs {p.size}")
    keep = np.ones(g.shape, dtype=bool) if ties else (g != tie) & (p != tie)
    n = int(keep.sum())
    return (float(np.mean(g[keep] == p[keep])) if n else float("nan")), n


TieRule = Literal["wrong", "half", "drop"]


def pairwise_accuracy(gold: Labels, pred: Labels, *, pred_tie: TieRule = "wrong", gold_tie: Literal["match", "drop"] = "match",
                      invalid: Literal["wrong", "half", "drop"] = "wrong", tie: object = "tie",
                      invalid_label: object = "invalid") -> tuple[float, int]:
    """Accuracy of pairwise verdicts with explicit rules for ties and invalid verdicts.

    - ``gold_tie``: ``match`` keeps gold ties (a tie verdict is then correct), ``drop``
      leaves items with a gold tie out.
    - ``pred_tie`` (for items with a decisive gold label): a tie verdict is ``wrong``, earns
      ``half`` a point (AlpacaEval's and Arena-Hard's convention), or is dropped.
    - ``invalid``: an unparseable verdict is ``wrong`` (the honest default), ``half``
      (RewardBench scores a parse failure as 0.5) or dropped (reported separately by
      :func:`judgekit.metrics.bias.invalid_bounds`).

    Returns the accuracy and the number of items it is over.
    """
    g = np.asarray(gold, dtype=object)
    p = np.asarray(pred, dtype=object)
    if g.shape != p.shape:
        raise ValueError(f"length mismatch: {g.size} vs {p.size}")
    keep = np.ones(g.shape, dtype=bool)
    if gold_tie == "drop":
        keep &= g != tie
    score = (g == p).astype(float)
    decisive_gold = g != tie
    pt = decisive_gold & (p == tie)
    if pred_tie == "half":
        score[pt] = 0.5
    elif pred_tie == "drop":
        keep &= ~pt
    inv = p == invalid_label
    if invalid == "half":
        score[inv] = 0.5
    elif invalid == "drop":
        keep &= ~inv
    n = int(keep.sum())
    return (float(score[keep].mean()) if n else float("nan")), n


def majority_vote(ratings: Sequence[Sequence[object]] | np.ndarray) -> tuple[list[object | None], np.ndarray]:
    """The label most annotators gave each item (raters x items), ``None`` where no label
    has a strict plurality, and the number of annotators who gave the winning label."""
    data = np.asarray(ratings, dtype=object)
    out: list[object | None] = []
    support = np.zeros(data.shape[1], dtype=np.int64)
    for u in range(data.shape[1]):
        vals = [v for v in data[:, u].tolist() if v is not None and not (isinstance(v, float) and np.isnan(v))]
        counts: dict[object, int] = {}
        for v in vals:
            counts[v] = counts.get(v, 0) + 1
        if not counts:
            out.append(None)
            continue
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            out.append(None)
            support[u] = ranked[0][1]
        else:
            out.append(ranked[0][0])
            support[u] = ranked[0][1]
    return out, support


class ClassificationReport(Frozen):
    """A judge's verdicts against gold labels, every number with a bootstrap interval over
    items: accuracy, macro precision, recall and F1 (per-class F1 averaged), and Cohen's kappa.
    ``n_invalid`` predictions outside the classes count as wrong (see
    :func:`pairwise_accuracy` and :func:`judgekit.metrics.bias.invalid_bounds` for other rules).
    """

    labels: list[str]
    n: int
    n_invalid: int
    accuracy: Score
    macro_precision: Score
    macro_recall: Score
    macro_f1: Score
    cohen_kappa: Score
    per_class: dict[str, ClassReport]


def classification_report(y_true: Labels, y_pred: Labels, labels: Sequence[object] | None = None, *,
                          cluster: Sequence[object] | np.ndarray | None = None,
                          n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                          level: float = DEFAULT_LEVEL) -> ClassificationReport:
    """Accuracy, macro precision/recall/F1 and kappa with percentile bootstrap intervals.

    Every statistic is a function of the confusion matrix, so the bootstrap draws the
    confusion cells' multinomial counts directly (exact; see :mod:`judgekit.metrics.stats`),
    resampling items, or ``cluster`` groups of items.
    """
    cm, cats = class_confusion(y_true, y_pred, labels)
    k = len(cats)
    t = np.asarray(y_true, dtype=object)
    p = np.asarray(y_pred, dtype=object)
    index = {c: i for i, c in enumerate(cats)}
    it = np.fromiter((index.get(x, -1) for x in t), dtype=np.int64, count=t.size)
    ip = np.fromiter((index.get(x, k) for x in p), dtype=np.int64, count=p.size)
    keep = it >= 0
    cells = it[keep] * (k + 1) + ip[keep]
    onehot = np.zeros((cells.size, k * (k + 1)), dtype=np.int64)
    onehot[np.arange(cells.size), cells] = 1
    if cluster is not None:
        cl = factorize(np.asarray(cluster, dtype=object)[keep].tolist())[0]
        units = cluster_sums(cl, onehot)
    else:
        units = onehot
    types, counts = compress_rows(units)
    rng = np.random.default_rng(seed)
    total = (counts[:, None] * types).sum(axis=0)
    boot = bootstrap_sums(types, counts, n_resamples, rng) if n_resamples else np.zeros((0, total.size))

    def square(c: np.ndarray) -> np.ndarray:
        # k x (k + 1) -> (k + 1) x (k + 1) with an empty gold row for "outside": kappa counts
        # an out-of-class prediction as disagreement
        c = c.reshape(-1, k, k + 1)
        return np.concatenate([c, np.zeros((c.shape[0], 1, k + 1))], axis=1)

    def stats_of(sums: np.ndarray) -> dict[str, np.ndarray]:
        c = sums.reshape(-1, k, k + 1)
        n = c.sum(axis=(1, 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            acc = np.trace(c[:, :, :k], axis1=1, axis2=2) / n
        precision, recall, f1 = prf_from_confusion(c)
        return {"accuracy": acc, "macro_precision": precision.mean(axis=1), "macro_recall": recall.mean(axis=1),
                "macro_f1": f1.mean(axis=1), "cohen_kappa": kappa_from_confusion(square(sums))}

    point = stats_of(total[None, :].astype(float))
    reps = stats_of(boot) if n_resamples else None
    n = int(keep.sum())

    def est(name: str) -> Score:
        lo, hi = percentile_interval(reps[name], level) if reps is not None else (None, None)
        return Score(value=finite_or_none(point[name][0]), n=n, ci_low=lo, ci_high=hi,
                        ci_level=level if lo is not None else None,
                        method="percentile-bootstrap" if lo is not None else None)

    precision, recall, f1 = prf_from_confusion(cm)
    true = cm.sum(axis=1)
    per = {str(c): ClassReport(precision=float(precision[i]), recall=float(recall[i]), f1=float(f1[i]),
                               support=int(true[i])) for i, c in enumerate(cats)}
    return ClassificationReport(labels=[str(c) for c in cats], n=n, n_invalid=int((ip[keep] == k).sum()),
                                accuracy=est("accuracy"), macro_precision=est("macro_precision"),
                                macro_recall=est("macro_recall"), macro_f1=est("macro_f1"),
                                cohen_kappa=est("cohen_kappa"), per_class=per)
