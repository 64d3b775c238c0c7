"""The judge as a ranker of systems, against a gold ranking (JuStRank, Gera et al. 2025)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..aggregations import ReportTable
from ..errors import DataError
from ..metrics.interval import Score


def read_gold_ranking(path: str) -> dict[str, float]:
    """A gold system ranking (e.g. Chatbot Arena Elo): a CSV with a system column (``system``, ``model``
    or ``name``) and a score column (``score``, ``elo``, ``rating`` or ``rank``; a rank is turned into a
    score, 1 best). Errors name the file, the line and the field."""
    import csv

    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from None
    if not rows:
        raise DataError("no rows", path=path)
    cols = list(rows[0])
    name_col = next((c for c in ("system", "model", "name") if c in cols), None)
    score_col = next((c for c in ("score", "elo", "rating", "rank") if c in cols), None)
    if name_col is None or score_col is None:
        raise DataError(f"expected a system column (system, model or name) and a score column (score, elo, rating "
                        f"or rank); found {', '.join(cols)}", path=path, line=1)
    out: dict[str, float] = {}
    for line, r in enumerate(rows, start=2):
        name = (r.get(name_col) or "").strip()
        if not name:
            raise DataError("empty", path=path, line=line, field=name_col)
        if name in out:
            raise DataError(f"system {name!r} appears twice", path=path, line=line, field=name_col)
        try:
            v = float(r.get(score_col) or "")
        except ValueError:
            raise DataError(f"not a number: {r.get(score_col)!r}", path=path, line=line, field=score_col) from None
        out[name] = -v if score_col == "rank" else v
    return out


def ranker_tables(scores: np.ndarray, systems: Sequence[str], gold: Mapping[str, float], where: str,
                  n_resamples: int = 1000, seed: int = 0) -> tuple[list[ReportTable], list[str]]:
    """How the judge ranks the systems against a gold ranking (JuStRank, Gera et al. 2025), from its
    per-item system scores (``scores``: items x systems, NaN where a system has no score for an item):
    Kendall's tau-b and Spearman's rho of the systems' mean scores with the gold scores, 95 % bootstrap
    intervals resampling items; pairwise system-order accuracy (the share of system pairs the gold
    ranking orders that the judge orders the same way); decisiveness (the Beta(alpha, alpha) CDF fitted
    to the judge's pairwise system win rates against the gold ones, from Elo-scale gold scores); and
    each system's bias, raw and beyond decisiveness."""
    from ..metrics.ranking import (
        decisiveness,
        elo_win_matrix,
        rank_agreement_bootstrap,
        score_win_matrix,
        system_bias,
    )

    notes: list[str] = []
    keep = [k for k, s in enumerate(systems) if s in gold]
    missing = [s for s in systems if s not in gold]
    if missing:
        notes.append(f"not in the gold ranking {where}, left out of the comparison: {', '.join(missing)}")
    names = [systems[k] for k in keep]
    if len(names) < 3:
        notes.append(f"judge as ranker: only {len(names)} ranked systems are in the gold ranking (need 3)")
        return [], notes
    M = np.asarray(scores, dtype=float)[:, keep]
    agreement = rank_agreement_bootstrap(M, names, gold, n_resamples=n_resamples, seed=seed)
    with np.errstate(invalid="ignore"):
        point = np.nanmean(M, axis=0)
    g = np.array([gold[s] for s in names])
    iu, ju = np.triu_indices(len(names), 1)
    gs = np.sign(g[iu] - g[ju])
    js = np.sign(point[iu] - point[ju])
    ordered = gs != 0
    pair_acc = float(np.mean(js[ordered] == gs[ordered])) if ordered.any() else None
    J = score_win_matrix(M)
    G = elo_win_matrix(dict(zip(names, g.tolist(), strict=True)), names)
    np.fill_diagonal(G, np.nan)
    dec = decisiveness(J, G)
    bias = system_bias(J, G, names, dec.alpha)

    def est(e: Any) -> Score:
        return Score(value=e.value, n=e.n, ci_low=e.ci_low, ci_high=e.ci_high, ci_level=e.ci_level,
                     higher_is_better=True)

    overall = {"judge ranking": {
        "kendall_tau": est(agreement.kendall_tau), "spearman": est(agreement.spearman),
        "pairwise_accuracy": Score(value=None if pair_acc is None else 100 * pair_acc, n=int(ordered.sum()),
                                   count=int(np.sum(js[ordered] == gs[ordered])), higher_is_better=True),
        "decisiveness_alpha": Score(value=dec.alpha, n=dec.n_pairs, higher_is_better=None)}}
    per_system = {s: {"judge_score": Score(value=float(point[k]), n=int(np.isfinite(M[:, k]).sum())),
                      "gold_score": Score(value=float(g[k]), n=0),
                      "bias": Score(value=bias[s].raw, n=bias[s].n_opponents, higher_is_better=None),
                      "bias_beyond_decisiveness": Score(value=bias[s].beyond_decisiveness, n=bias[s].n_opponents,
                                                        higher_is_better=None)}
                  for k, s in enumerate(names)}
    return [ReportTable(title=f"judge as ranker (against {where})",
                        columns=("kendall_tau", "spearman", "pairwise_accuracy", "decisiveness_alpha"), rows=overall),
            ReportTable(title="per-system bias (JuStRank)",
                        columns=("judge_score", "gold_score", "bias", "bias_beyond_decisiveness"),
                        rows=per_system)], notes
