"""Arena-Hard-Auto's leaderboard from stored judgments of the ``arena_hard`` systems suite
(show_result.py at lmarena/arena-hard-auto 196f6b8): the score against the baseline with its bootstrap
interval, and the style-controlled Bradley-Terry score."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..aggregations import ReportTable, SuiteReport, invalid_counts, register
from ..facts import SystemFacts, optional_facts
from ..metrics.interval import Score
from ..types import Judgment
from .judge_quality import judge_quality_tables
from .systems import SystemRows, _count

ARENA_COLUMNS = ("score", "style_controlled", "n_battles", "n_questions", "dropped_questions")
ARENA_LEVEL = 0.90  # show_result.py reports the 5 % and 95 % bootstrap quantiles


def _shown_a_score(j: Judgment, weight: int) -> list[float] | None:
    """Arena-Hard's label_to_score for the first-shown answer: A>>B [1]*weight, A>B [1], A=B [0.5],
    B>A [0], B>>A [0]*weight; None for an invalid verdict or a failed request."""
    if j.status != "ok" or j.shown_winner == "invalid":
        return None
    if j.shown_winner == "tie":
        return [0.5]
    s = 1.0 if j.shown_winner == "A" else 0.0
    return [s] * (weight if j.strength == 2 else 1)


class ArenaBattles:
    """Each system's battles against the baseline in show_result.py's order: questions by position,
    per question the second game's scores (system shown first) then the first game's, from the system's
    side. A question whose two games are not both valid is dropped (Arena-Hard drops null judgments)."""

    def __init__(self, rows: Sequence[Judgment], weight: int = 3) -> None:
        sr = SystemRows(rows)
        self.baseline = sr.baseline
        self.systems = sr.systems()
        self.scores: dict[str, np.ndarray] = {}
        self.style: dict[str, np.ndarray] = {}  # per battle: [system features..., baseline features...]
        self.n_questions: dict[str, int] = {}
        self.dropped: dict[str, int] = {}
        self.per_question: dict[str, dict[int, float]] = {}  # the mean of each kept question's battles
        self.n_instructions = sr.n_instructions
        for s in self.systems:
            sc: list[float] = []
            st: list[list[float]] = []
            kept = dropped = 0
            for k in sorted(sr.by_system[s]):
                js = sr.by_system[s][k]
                g1 = next((j for j in js if j.order == "AB"), None)  # baseline shown first
                g2 = next((j for j in js if j.order == "BA"), None)  # system shown first
                s1 = None if g1 is None else _shown_a_score(g1, weight)
                s2 = None if g2 is None else _shown_a_score(g2, weight)
                if s1 is None or s2 is None:
                    dropped += 1
                    continue
                kept += 1
                battle = s2 + [1.0 - x for x in s1]
                sc += battle
                self.per_question.setdefault(s, {})[k] = float(np.mean(battle))
                facts = optional_facts(js[0], SystemFacts)
                if facts is not None and facts.style_a is not None and facts.style_b is not None:
                    st += [[*map(float, facts.style_b), *map(float, facts.style_a)]] * len(battle)
            self.scores[s] = np.asarray(sc, dtype=float)
            if st and len(st) == len(sc):
                self.style[s] = np.asarray(st, dtype=float)
            self.n_questions[s] = kept
            self.dropped[s] = dropped


def arena_hard_scores(battles: ArenaBattles, rounds: int = 100, seed: int = 0) -> dict[str, tuple[float, float, float]]:
    """show_result.py without style control: in each round each system's battles are resampled with
    replacement and averaged (the draws: per system in sorted order, ``rng.integers(0, n, (rounds, n))``);
    the score is the mean of the rounds, the interval their 5 % and 95 % quantiles (numpy's linear
    interpolation, as pandas')."""
    rng = np.random.default_rng(seed)
    boot: dict[str, np.ndarray] = {}
    for s in battles.systems:
        x = battles.scores[s]
        if x.size:
            boot[s] = x[rng.integers(0, x.size, size=(rounds, x.size))].mean(axis=1)
    return {s: (float(b.mean()), float(np.quantile(b, 0.05)), float(np.quantile(b, 0.95))) for s, b in boot.items()}


def style_design(battles: ArenaBattles) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    """show_result.py's style-controlled Bradley-Terry design: one column per system (the baseline's
    column, -1 on every battle, is dropped: only differences are identified), then the normalised length
    difference ``(l_s - l_b) / (l_s + l_b)`` and markdown density differences ``(d_s - d_b) / (d_s + d_b
    + 1)`` with ``d = count / (length + 1)``, each standardised (ddof 1) over all battles."""
    systems = [s for s in battles.systems if battles.scores[s].size and s in battles.style]
    if not systems or len(systems) != len([s for s in battles.systems if battles.scores[s].size]):
        return None
    y = np.concatenate([battles.scores[s] for s in systems])
    F = np.vstack([battles.style[s] for s in systems])
    half = F.shape[1] // 2
    m, b = F[:, :half], F[:, half:]
    feats = np.zeros_like(m)
    with np.errstate(divide="ignore", invalid="ignore"):
        feats[:, 0] = np.where(m[:, 0] + b[:, 0] > 0, (m[:, 0] - b[:, 0]) / (m[:, 0] + b[:, 0]), 0.0)
        md = m[:, 1:] / (m[:, :1] + 1)
        bd = b[:, 1:] / (b[:, :1] + 1)
        feats[:, 1:] = (md - bd) / (md + bd + 1)
    sd = feats.std(axis=0, ddof=1)
    feats = (feats - feats.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    onehot = np.zeros((y.size, len(systems)))
    start = 0
    for k, s in enumerate(systems):
        n = battles.scores[s].size
        onehot[start:start + n, k] = 1.0
        start += n
    return np.column_stack([onehot, feats]), y, systems


def style_controlled_scores(battles: ArenaBattles, rounds: int = 100, seed: int = 0
                            ) -> tuple[dict[str, tuple[float, float, float]], np.ndarray] | None:
    """show_result.py with ``--control-features length markdown``: the Bradley-Terry model with style
    covariates fitted (maximum likelihood, soft outcomes) on ``rounds`` resamples of all battles
    (``rng.integers(0, N, (rounds, N))``); each system's win probability against the baseline at equal
    style, sigmoid(its coefficient); reported as the median and the 5 % / 95 % quantiles over rounds;
    with the style coefficients' medians."""
    from ..metrics.stats import logistic_regression

    design = style_design(battles)
    if design is None:
        return None
    X, y, systems = design
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, y.size, size=(rounds, y.size))
    coefs = np.empty((rounds, X.shape[1]))
    for r in range(rounds):
        w = np.bincount(idx[r], minlength=y.size).astype(float)
        coefs[r] = logistic_regression(X, y, w).coef
    p = 1.0 / (1.0 + np.exp(-coefs[:, :len(systems)]))
    out = {s: (float(np.quantile(p[:, k], 0.5)), float(np.quantile(p[:, k], 0.05)), float(np.quantile(p[:, k], 0.95)))
           for k, s in enumerate(systems)}
    return out, np.quantile(coefs[:, len(systems):], 0.5, axis=0)


@register("arena_hard")
def arena_hard(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """Arena-Hard-Auto's leaderboard (show_result.py at lmarena/arena-hard-auto 196f6b8): each system's
    score against the baseline (percent; strong verdicts count ``weight`` times) with its 90 % bootstrap
    interval, and with ``style_control`` the style-controlled Bradley-Terry score and interval."""
    weight = int(args.get("weight", 3))
    rounds = int(args.get("rounds", 100))
    battles = ArenaBattles(rows, weight)
    plain = arena_hard_scores(battles, rounds)
    styled = style_controlled_scores(battles, rounds) if args.get("style_control", True) else None
    out: dict[str, dict[str, Score]] = {}

    def pct(t: tuple[float, float, float] | None, n: int) -> Score:
        if t is None:
            return Score(value=None, n=n, higher_is_better=True)
        return Score(value=100 * t[0], n=n, ci_low=100 * t[1], ci_high=100 * t[2], ci_level=ARENA_LEVEL,
                     higher_is_better=True)

    notes: list[str] = []
    for s in battles.systems:
        n = int(battles.scores[s].size)
        out[s] = {"score": pct(plain.get(s), n),
                  "style_controlled": pct(None if styled is None else styled[0].get(s), n),
                  "n_battles": _count(n), "n_questions": _count(battles.n_questions[s]),
                  "dropped_questions": _count(battles.dropped[s])}
        if battles.dropped[s]:
            notes.append(f"{s}: {battles.dropped[s]} questions dropped (a game without a valid verdict), as "
                         "Arena-Hard drops null judgments")
    if battles.baseline is not None:
        fifty = (0.5, 0.5, 0.5)
        out[battles.baseline] = {"score": pct(fifty, 0), "style_controlled": pct(fifty if styled else None, 0),
                                 "n_battles": _count(0), "n_questions": _count(0), "dropped_questions": _count(0)}
    if styled is not None:
        names = ("length", "header density", "list density", "bold density")
        notes.append("style coefficients (median over rounds): " + ", ".join(
            f"{nm} {c:+.3f}" for nm, c in zip(names, styled[1].tolist(), strict=False)))
    ordered = dict(sorted(out.items(), key=lambda kv: (kv[1]["score"].value is None, -(kv[1]["score"].value or 0),
                                                       kv[0])))
    top = next((s for s in ordered if s != battles.baseline), None)
    extra, more = judge_quality_tables(lambda: arena_item_scores(battles), rows, args)
    notes += more
    return SuiteReport(
        aggregation="arena_hard", headline_name=f"Arena-Hard score of the top system ({top})",
        headline=ordered[top]["score"] if top else Score(value=None, n=0),
        tables=(ReportTable(title=f"Arena-Hard leaderboard (against {battles.baseline})", columns=ARENA_COLUMNS,
                            rows=ordered), *extra),
        counts={**invalid_counts(rows), "systems": len(battles.systems)}, notes=tuple(notes))



def arena_item_scores(battles: ArenaBattles) -> tuple[np.ndarray, list[str]]:
    """Questions x systems: the mean of the system's kept battles on the question (NaN where dropped)."""
    M = np.full((battles.n_instructions, len(battles.systems)), np.nan)
    for k, s in enumerate(battles.systems):
        for q, v in battles.per_question.get(s, {}).items():
            M[q, k] = v
    return M, list(battles.systems)
