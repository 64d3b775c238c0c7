"""The runs a report shows (:func:`load_run`: manifest, judgments, metrics, suite report,
examples) and their plots, drawn with matplotlib (the ``[plot]`` extra) as SVG data URIs."""

from __future__ import annotations

import base64
import io
import logging
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..aggregations import SuiteReport
from ..columns import JudgmentColumns, read_columns
from ..errors import ConfigError, JudgekitError, MissingDependencyError
from ..manifest import RunManifest, require_manifest
from ..metrics.bias import longer_choices
from ..metrics.interval import Score
from ..metrics.pairwise import PairwiseMetrics
from ..metrics.stats import wilson_interval
from ..scoring import score_rows, suite_report, win_credit
from ..store import JUDGMENTS
from ..types import Example, Judgment

log = logging.getLogger(__name__)

COLORS = ("#0969da", "#cf222e", "#1a7f37", "#8250df", "#bf8700", "#57606a", "#e16f24", "#1b7c83")


@dataclass
class LoadedRun:
    run_dir: Path
    manifest: RunManifest
    table: JudgmentColumns
    metrics: Any
    report: SuiteReport | None
    data: str | None = None  # the data folder the examples are read from (None: the run's own --data)

    def examples(self, ids: Collection[str]) -> dict[str, Example]:
        """The examples (prompts and responses) with these ids, where the data can be read locally;
        read only when asked for (the report asks for its sample of disagreements, if it has one),
        and only those kept."""
        if not ids:
            return {}
        return _examples(self.manifest, self.data, set(ids)) or {}

    @property
    def rows(self) -> list[Judgment]:
        """Every judgment as a record (read back from the file on first use: the views that work
        from :attr:`table` never need them)."""
        return self.table.judgments()

    @property
    def name(self) -> str:
        judge = self.manifest.judge.display_name or self.run_dir.name
        split = self.manifest.split
        return f"{judge} ({split})" if split else str(judge)

    @property
    def suite(self) -> str:
        return self.manifest.suite.name

    @property
    def pairwise(self) -> PairwiseMetrics | None:
        return self.metrics if isinstance(self.metrics, PairwiseMetrics) else None


def load_run(run_dir: str | Path, data: str | None = None) -> LoadedRun:
    manifest = require_manifest(run_dir)
    table = read_columns(Path(run_dir) / JUDGMENTS)
    if not len(table):
        raise ConfigError(f"{run_dir}: the run holds no judgments")
    metrics = score_rows(table, manifest)
    return LoadedRun(Path(run_dir), manifest, table, metrics, suite_report(table, manifest), data)


def _examples(manifest: RunManifest, data: str | None, ids: set[str]) -> dict[str, Example] | None:
    """The run's examples (prompts and responses) where the data can be read locally."""
    from ..adapters import load_examples
    from ..adapters.stream import select_examples
    from ..suites import load_suite, with_args

    config = manifest.config or {}
    folder = data or config.get("data")
    suite = manifest.suite.name
    suite_args = dict(config.get("suite_args") or {})
    local = bool(folder and Path(folder).exists()) or bool(suite_args.get("systems"))  # a systems suite reads --systems
    if not local or not suite or str(suite).startswith("import:"):
        return None
    try:
        # the run's own suite arguments (a systems suite's --systems and --baseline, a generic
        # suite's --field mapping): without them such a suite's data cannot be read back
        spec = with_args(load_suite(suite), suite_args)
        selected = select_examples(spec, manifest.split, folder, ids)  # only these rows, where the adapter can
        if selected is not None:
            return selected
        loaded = load_examples(spec, manifest.split, folder)
    except (JudgekitError, OSError) as exc:
        log.warning("cannot show the examples of %s: %s", manifest.run_id, exc)
        return None
    return {ex.id: ex for ex in loaded.examples if ex.id in ids}


# --------------------------------------------------------------------------- plots


def _figure(width: float = 7.5, height: float = 3.6) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise MissingDependencyError("matplotlib", "plot") from exc
    fig = Figure(figsize=(width, height), dpi=100)
    return fig


def _svg(fig: Any) -> str:
    """The figure as an SVG data URI (deterministic: no date, fixed hash salt)."""
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "judgekit", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _err(scores: Sequence[Score | None]) -> tuple[list[float], list[list[float]]]:
    """Values and their [below, above] error bars. Plain lists: matplotlib converts a (2, 1) array's
    rows to scalars, which NumPy deprecates (a warning with a single bar)."""
    values, lo, hi = [], [], []
    for s in scores:
        v = s.value if s is not None and s.value is not None else math.nan
        values.append(v)
        low = s.ci_low if s is not None else None
        high = s.ci_high if s is not None else None
        lo.append(v - low if low is not None and math.isfinite(v) else 0.0)
        hi.append(high - v if high is not None and math.isfinite(v) else 0.0)
    return values, [lo, hi]


def plot_categories(runs: Sequence[LoadedRun]) -> str | None:
    """Grouped bars: headline-policy accuracy per category and overall, one bar per run, CI whiskers."""
    pw = [r for r in runs if r.pairwise is not None]
    if not pw:
        return None
    cats: list[str] = []
    for r in pw:
        assert r.pairwise is not None
        cats += [c for c in r.pairwise.accuracy[r.pairwise.headline_policy].categories if c not in cats]
    groups = [*cats, "overall"]
    fig = _figure(max(6.0, 1.1 * len(groups) * max(1, len(pw)) ** 0.5 + 2), 3.6)
    ax = fig.subplots()
    width = 0.8 / len(pw)
    x = np.arange(len(groups))
    for i, r in enumerate(pw):
        assert r.pairwise is not None
        acc = r.pairwise.accuracy[r.pairwise.headline_policy]
        scores = [acc.categories.get(c) for c in cats] + [acc.overall]
        values, err = _err(scores)
        ax.bar(x + (i - (len(pw) - 1) / 2) * width, values, width, yerr=err, capsize=3, label=r.name,
               color=COLORS[i % len(COLORS)], error_kw={"elinewidth": 1})
    ax.set_xticks(x, groups)
    ax.set_ylabel(f"accuracy % ({pw[0].pairwise.headline_policy if pw[0].pairwise else ''})")
    ax.set_ylim(0, 100)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left", framealpha=0.8)
    return _svg(fig)


def plot_order_effects(runs: Sequence[LoadedRun]) -> str | None:
    """Swap consistency and position preference (first-shown share) per run, with intervals."""
    pw = [r for r in runs if r.pairwise is not None]
    if not pw:
        return None
    fig = _figure(7.5, max(2.0, 0.45 * len(pw) + 1.4))
    ax1, ax2 = fig.subplots(1, 2, sharey=True)
    y = np.arange(len(pw))[::-1]
    cons = [r.pairwise.swap_consistency if r.pairwise else None for r in pw]
    pref = [r.pairwise.position_preference if r.pairwise else None for r in pw]
    for ax, scores, title in ((ax1, cons, "swap consistency %"), (ax2, pref, "first-shown response picked %")):
        values, err = _err(scores)
        ax.barh(y, values, xerr=err, capsize=3, color=[COLORS[i % len(COLORS)] for i in range(len(pw))],
                error_kw={"elinewidth": 1})
        ax.set_xlim(0, 100)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    ax2.axvline(50, color="black", linestyle="--", linewidth=1)
    ax2.text(51, y.max() + 0.45, "no preference", fontsize=7)
    ax1.set_yticks(y, [r.name for r in pw], fontsize=8)
    return _svg(fig)


def _length_points(rows: JudgmentColumns | Sequence[Judgment], bins: int = 5
                   ) -> tuple[list[float], list[tuple[int, int]], list[tuple[int, int]]]:
    """Per quantile bin of the relative length difference |len_a - len_b| / (len_a + len_b): its
    middle, (picks of the longer response, decisive verdicts), and the same for the gold labels
    (counted from the columns: the plot draws one point per bin, whatever the size of the run)."""
    t = rows if isinstance(rows, JudgmentColumns) else JudgmentColumns.from_judgments(rows)
    len_a, len_b = t.len_a, t.len_b  # (each a float64 array made when asked for: taken once)
    ok = t.ok & np.isfinite(len_a) & np.isfinite(len_b)
    la, lb = len_a[ok], len_b[ok]
    del len_a, len_b
    winner, label = t.winner[ok], t.label[ok]
    picks, judged = longer_choices(winner == 0, (winner == 0) | (winner == 1), la, lb)
    g_picks, g_counts = longer_choices(label == 0, (label == 0) | (label == 1), la, lb)
    if int(judged.sum()) < bins:
        return [], [], []
    la, lb, picks, g_picks, g_counts = la[judged], lb[judged], picks[judged], g_picks[judged], g_counts[judged]
    rel = np.abs(la - lb) / (la + lb)
    edges = np.unique(np.quantile(rel, np.linspace(0, 1, bins + 1)))
    ids = np.clip(np.searchsorted(edges[1:-1], rel, side="right"), 0, len(edges) - 2)
    mids, judge, gold = [], [], []
    for b in range(len(edges) - 1):
        m = ids == b
        if not m.any():
            continue
        mids.append(float(np.median(rel[m])))
        judge.append((int(picks[m].sum()), int(m.sum())))
        gold.append((int(g_picks[m].sum()), int(g_counts[m].sum())))
    return mids, judge, gold


def plot_length_bias(runs: Sequence[LoadedRun]) -> str | None:
    """Share of decisive verdicts that pick the longer response, by how much longer it is, with
    Wilson intervals; the gold labels' share as the dashed reference."""
    fig = _figure(7.5, 3.4)
    ax = fig.subplots()
    drawn = False
    for i, r in enumerate(runs):
        mids, judge, gold = _length_points(r.table)
        if not mids:
            continue
        drawn = True
        color = COLORS[i % len(COLORS)]
        shares = [100 * k / n for k, n in judge]
        cis = [wilson_interval(k, n) for k, n in judge]
        err = [[s - 100 * (lo or 0) for s, (lo, _) in zip(shares, cis, strict=True)],
               [100 * (hi or 0) - s for s, (_, hi) in zip(shares, cis, strict=True)]]
        ax.errorbar(mids, shares, yerr=err, marker="o", capsize=3, color=color, label=r.name)
        if any(n for _, n in gold):
            ax.plot(mids, [100 * k / n if n else math.nan for k, n in gold], linestyle="--", color=color,
                    alpha=0.6, label=f"gold labels ({r.name})")
    if not drawn:
        return None
    ax.axhline(50, color="black", linewidth=0.8, alpha=0.5)
    ax.set_xlabel("relative length difference |len A - len B| / (len A + len B), median of each quantile bin")
    ax.set_ylabel("picks the longer response %")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    return _svg(fig)


def plot_reliability(runs: Sequence[LoadedRun]) -> str | None:
    """Reliability diagram of soft verdicts (p(A) against the gold label), from the run report."""
    soft = [(i, r, s) for i, r in enumerate(runs)
            if r.pairwise is not None and (s := r.pairwise.soft_calibration) is not None]
    if not soft:
        return None
    fig = _figure(4.8, 4.4)
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="black", linestyle="--", linewidth=1, label="perfect calibration")
    for i, r, s in soft:
        bins = [b for b in s.reliability.bins if b.count]
        sizes = [20 + 180 * b.count / max(1, s.reliability.n) for b in bins]
        ax.plot([b.mean_predicted for b in bins], [b.observed for b in bins], color=COLORS[i % len(COLORS)],
                label=f"{r.name}: ECE {s.ece.value:.3f}")
        ax.scatter([b.mean_predicted for b in bins], [b.observed for b in bins], s=sizes,
                   color=COLORS[i % len(COLORS)], alpha=0.7)
    ax.set_xlabel("mean p(A) in bin")
    ax.set_ylabel("share with gold A")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    return _svg(fig)


def rankings(run: LoadedRun) -> dict[str, Any] | None:
    """Systems ranked by their win rate against the baseline, with intervals clustered by item
    (win-rate suites: AlpacaEval and Arena-Hard imports, the model is the category)."""
    from ..rankings import SYSTEM_AGGREGATIONS, system_win_rates

    agg = None if run.manifest.aggregation is None else run.manifest.aggregation.name
    if agg in SYSTEM_AGGREGATIONS:  # systems suites: the system is the category, AlpacaEval's own win rate
        return system_win_rates(run.rows, run.manifest)
    if agg != "winrate":
        return None
    from ..metrics.ranking import win_rates  # scipy: loaded on first use

    valid = [j for j in run.rows if j.status == "ok" and j.winner != "invalid"]
    if not valid:
        return None
    outcome = [math.nan if (c := win_credit(j.winner, j.p_a)) is None else c for j in valid]
    est = win_rates([j.category or "" for j in valid], outcome, item=[j.example_id for j in valid])
    return dict(sorted(est.items(), key=lambda kv: (-(kv[1].value or 0.0), kv[0])))


def plot_rankings(run: LoadedRun, ranked: dict[str, Any]) -> str:
    fig = _figure(7.0, max(2.0, 0.35 * len(ranked) + 1.2))
    ax = fig.subplots()
    names = list(ranked)[::-1]
    est = [ranked[n] for n in names]
    values = [100 * (e.value or 0.0) for e in est]
    err = [[100 * (e.value - e.ci_low) if e.ci_low is not None else 0.0 for e in est],
           [100 * (e.ci_high - e.value) if e.ci_high is not None else 0.0 for e in est]]
    ax.errorbar(values, np.arange(len(names)), xerr=err, fmt="o", capsize=3, color=COLORS[0])
    ax.axvline(50, color="black", linestyle="--", linewidth=1)
    ax.set_yticks(np.arange(len(names)), names, fontsize=8)
    ax.set_xlabel("win rate against the baseline % (tie = half)")
    ax.set_xlim(0, 100)
    ax.grid(axis="x", alpha=0.3)
    return _svg(fig)
