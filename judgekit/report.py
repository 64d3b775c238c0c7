"""`judgekit report`: one self-contained HTML file for a run (and runs to compare with it).

The page holds the headline metrics with their intervals, per-category bars with intervals,
the swap-consistency and position-preference chart, the length-bias plot, the reliability
diagram of soft verdicts, system rankings with intervals (win-rate suites), the invalid
verdicts with their raw text, and a sample of disagreements with the gold label. Plots are
drawn with matplotlib (the ``[plot]`` extra) and embedded as SVG data URIs; the page loads
nothing from the network and runs no script.

Every number comes from the metrics module (the run report of
:func:`judgekit.runner.score_rows`, the suite's aggregation, :mod:`judgekit.metrics.ranking`);
this module only lays them out.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .aggregations import SuiteReport
from .errors import ConfigError, JudgekitError, MissingDependencyError
from .manifest import RunManifest, require_manifest
from .metrics.interval import Score
from .metrics.pairwise import PairwiseMetrics
from .metrics.stats import wilson_interval
from .scoring import by_example, combined_verdict, score_rows, suite_report, win_credit
from .store import JUDGMENTS, read_judgments
from .types import Example, Frozen, Judgment, PairExample
from .views.format import html_with_ci as _fmt

log = logging.getLogger(__name__)

COLORS = ("#0969da", "#cf222e", "#1a7f37", "#8250df", "#bf8700", "#57606a", "#e16f24", "#1b7c83")


class ReportConfig(Frozen):
    run_dir: str
    compare: tuple[str, ...] = ()
    out: str = "report.html"
    data: str | None = None  # data folder to show prompts and responses (default: the runs' own --data)
    max_invalid: int = 50  # invalid verdicts listed per run
    n_disagreements: int = 20  # disagreements with the gold label sampled per run
    seed: int = 0  # which disagreements are sampled


@dataclass
class LoadedRun:
    run_dir: Path
    manifest: RunManifest
    rows: list[Judgment]
    metrics: Any
    report: SuiteReport | None
    examples: dict[str, Example] | None

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
    rows = list(read_judgments(Path(run_dir) / JUDGMENTS).values())
    if not rows:
        raise ConfigError(f"{run_dir}: the run holds no judgments")
    metrics = score_rows(rows, manifest)
    return LoadedRun(Path(run_dir), manifest, rows, metrics, suite_report(rows, manifest),
                     _examples(manifest, data))


def _examples(manifest: RunManifest, data: str | None) -> dict[str, Example] | None:
    """The run's examples (prompts and responses) where the data can be read locally."""
    from .adapters import load_examples
    from .suites import load_suite

    folder = data or (manifest.config or {}).get("data")
    suite = manifest.suite.name
    if not folder or not Path(folder).exists() or not suite or str(suite).startswith("import:"):
        return None
    try:
        loaded = load_examples(load_suite(suite), manifest.split, folder)
    except (JudgekitError, OSError) as exc:
        log.warning("cannot show the examples of %s: %s", manifest.run_id, exc)
        return None
    return {ex.id: ex for ex in loaded.examples}


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


def _err(scores: Sequence[Score | None]) -> tuple[list[float], np.ndarray]:
    values, lo, hi = [], [], []
    for s in scores:
        v = s.value if s is not None and s.value is not None else math.nan
        values.append(v)
        low = s.ci_low if s is not None else None
        high = s.ci_high if s is not None else None
        lo.append(v - low if low is not None and math.isfinite(v) else 0.0)
        hi.append(high - v if high is not None and math.isfinite(v) else 0.0)
    return values, np.array([lo, hi])


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


def _length_points(rows: Sequence[Judgment], bins: int = 5) -> tuple[list[float], list[tuple[int, int]],
                                                                    list[tuple[int, int]]]:
    """Per quantile bin of the relative length difference |len_a - len_b| / (len_a + len_b): its
    middle, (picks of the longer response, decisive verdicts), and the same for the gold labels."""
    judged = [j for j in rows if j.status == "ok" and j.winner in ("A", "B") and j.len_a is not None
              and j.len_b is not None and j.len_a != j.len_b]
    if len(judged) < bins:
        return [], [], []
    rel = np.array([abs(j.len_a - j.len_b) / (j.len_a + j.len_b) for j in judged])  # type: ignore[operator]
    edges = np.unique(np.quantile(rel, np.linspace(0, 1, bins + 1)))
    ids = np.clip(np.searchsorted(edges[1:-1], rel, side="right"), 0, len(edges) - 2)
    mids, judge, gold = [], [], []
    for b in range(len(edges) - 1):
        m = ids == b
        if not m.any():
            continue
        sel = [j for j, keep in zip(judged, m, strict=True) if keep]
        longer_a = [j.len_a > j.len_b for j in sel]  # type: ignore[operator]
        picks = sum((j.winner == "A") == la for j, la in zip(sel, longer_a, strict=True))
        labelled = [(j, la) for j, la in zip(sel, longer_a, strict=True) if j.label in ("A", "B")]
        g = sum((j.label == "A") == la for j, la in labelled)
        mids.append(float(np.median(rel[m])))
        judge.append((int(picks), len(sel)))
        gold.append((int(g), len(labelled)))
    return mids, judge, gold


def plot_length_bias(runs: Sequence[LoadedRun]) -> str | None:
    """Share of decisive verdicts that pick the longer response, by how much longer it is, with
    Wilson intervals; the gold labels' share as the dashed reference."""
    fig = _figure(7.5, 3.4)
    ax = fig.subplots()
    drawn = False
    for i, r in enumerate(runs):
        mids, judge, gold = _length_points(r.rows)
        if not mids:
            continue
        drawn = True
        color = COLORS[i % len(COLORS)]
        shares = [100 * k / n for k, n in judge]
        cis = [wilson_interval(k, n) for k, n in judge]
        err = np.array([[s - 100 * (lo or 0) for s, (lo, _) in zip(shares, cis, strict=True)],
                        [100 * (hi or 0) - s for s, (_, hi) in zip(shares, cis, strict=True)]])
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
    from .rankings import SYSTEM_AGGREGATIONS, system_win_rates

    agg = None if run.manifest.aggregation is None else run.manifest.aggregation.name
    if agg != "winrate" and agg not in SYSTEM_AGGREGATIONS:  # systems suites: the system is the category too
        return None
    if agg in SYSTEM_AGGREGATIONS:
        return system_win_rates(run.rows, run.manifest)
    from .metrics.ranking import win_rates  # scipy: loaded on first use

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
    err = np.array([[100 * (e.value - e.ci_low) if e.ci_low is not None else 0 for e in est],
                    [100 * (e.ci_high - e.value) if e.ci_high is not None else 0 for e in est]])
    ax.errorbar(values, np.arange(len(names)), xerr=err, fmt="o", capsize=3, color=COLORS[0])
    ax.axvline(50, color="black", linestyle="--", linewidth=1)
    ax.set_yticks(np.arange(len(names)), names, fontsize=8)
    ax.set_xlabel("win rate against the baseline % (tie = half)")
    ax.set_xlim(0, 100)
    ax.grid(axis="x", alpha=0.3)
    return _svg(fig)


# --------------------------------------------------------------------------- html


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], text_columns: int = 1) -> str:
    """A table; cells are HTML already escaped by the caller. The first ``text_columns`` columns are
    text (left-aligned), the others numbers."""
    def cls(i: int) -> str:
        return ' class="t"' if i < text_columns else ""

    head = "".join(f"<th{cls(i)}>{_esc(h)}</th>" for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(uri: str | None, alt: str, missing: str) -> str:
    if uri is None:
        return f'<p class="note">{_esc(missing)}</p>'
    return f'<figure><img src="{uri}" alt="{_esc(alt)}"><figcaption>{_esc(alt)}</figcaption></figure>'


def _soft(run: LoadedRun, name: str) -> Score | None:
    """A soft-verdict calibration figure (Brier, ECE), when the run has soft verdicts."""
    soft = run.pairwise.soft_calibration if run.pairwise is not None else None
    if soft is None:
        return None
    return soft.brier if name == "brier" else soft.ece


def headline_rows(runs: Sequence[LoadedRun]) -> list[list[str]]:
    def row(label: str, get: Any, digits: int = 2) -> list[str]:
        return [_esc(label), *[_fmt(get(r), digits) for r in runs]]

    out: list[list[str]] = []
    if any(r.report is not None for r in runs):
        names = sorted({r.report.headline_name for r in runs if r.report is not None})
        out.append(row(" / ".join(names), lambda r: r.report.headline if r.report else None))
    pw = [r for r in runs if r.pairwise is not None]
    if pw:
        policies = list(dict.fromkeys(p for r in pw for p in (r.pairwise.accuracy if r.pairwise else {})))
        for p in policies:
            out.append(row(f"accuracy % ({p} policy)",
                           lambda r, p=p: r.pairwise.accuracy[p].overall if r.pairwise and p in r.pairwise.accuracy
                           else None))
        out.append(row("swap consistency %", lambda r: r.pairwise.swap_consistency if r.pairwise else None))
        out.append(row("position preference % (first shown)",
                       lambda r: r.pairwise.position_preference if r.pairwise else None))
        out.append(row("prefers the longer response %", lambda r: r.pairwise.length_bias if r.pairwise else None))
        out.append(row("Cohen's kappa vs gold", lambda r: r.pairwise.cohen_kappa if r.pairwise else None, 4))
        if any(r.pairwise is not None and r.pairwise.soft_calibration is not None for r in pw):
            out.append(row("soft verdicts: Brier score", lambda r: _soft(r, "brier"), 4))
            out.append(row("soft verdicts: ECE", lambda r: _soft(r, "ece"), 4))
    out.append(row("invalid verdicts %", lambda r: r.metrics.invalid_rate))
    out.append([_esc("judgments / examples"), *[f"{r.metrics.n_judgments} / {r.metrics.n_examples}" for r in runs]])
    return out


def category_rows(runs: Sequence[LoadedRun]) -> tuple[list[str], list[list[str]]]:
    pw = [r for r in runs if r.pairwise is not None]
    cats: list[str] = []
    for r in pw:
        assert r.pairwise is not None
        cats += [c for c in r.pairwise.accuracy[r.pairwise.headline_policy].categories if c not in cats]
    rows = []
    for r in pw:
        assert r.pairwise is not None
        acc = r.pairwise.accuracy[r.pairwise.headline_policy]
        rows.append([_esc(r.name), *[_fmt(acc.categories.get(c)) for c in cats], _fmt(acc.overall)])
    return ["run", *cats, "overall"], rows


def _clip(text: str | None, n: int = 4000) -> str:
    if not text:
        return ""
    return text if len(text) <= n else text[:n] + f"\n... ({len(text) - n} more characters)"


def invalid_section(runs: Sequence[LoadedRun], limit: int) -> str:
    parts = []
    for r in runs:
        bad = sorted((j for j in r.rows if j.winner == "invalid" or j.status != "ok"),
                     key=lambda j: (j.example_id, j.order, j.sample))
        parts.append(f"<h3>{_esc(r.name)}: {len(bad)} invalid or failed of {len(r.rows)}</h3>")
        if not bad:
            continue
        rows = [[_esc(j.example_id), _esc(j.order), _esc(j.status), _esc(j.reason or j.error or ""),
                 f"<details><summary>{len(j.raw or '')} characters</summary><pre>{_esc(_clip(j.raw))}</pre></details>"
                 if j.raw else '<span class="note">(no text)</span>'] for j in bad[:limit]]
        parts.append(_table(["example", "order", "status", "reason", "raw judge output"], rows, 5))
        if len(bad) > limit:
            parts.append(f'<p class="note">{len(bad) - limit} more not shown.</p>')
    return "\n".join(parts)


def disagreements(run: LoadedRun, n: int, seed: int) -> list[tuple[str, list[Judgment], str]]:
    """A reproducible sample of examples whose combined verdict (the headline policy) is not the
    gold label: (example id, its judgments, the combined verdict)."""
    policy = run.manifest.protocol.headline_policy
    wrong: list[tuple[str, list[Judgment], str]] = []
    for ex_id, js in by_example(run.rows).items():
        if js[0].label is None:
            continue
        verdict = combined_verdict(js, policy)
        if verdict != js[0].label:
            wrong.append((ex_id, js, verdict))
    wrong.sort(key=lambda w: hashlib.sha256(f"{seed}:{w[0]}".encode()).hexdigest())
    return wrong[:n]


def disagreement_section(runs: Sequence[LoadedRun], n: int, seed: int) -> str:
    parts = []
    for r in runs:
        sample = disagreements(r, n, seed)
        if r.pairwise is None or not sample:
            continue
        policy = r.manifest.protocol.headline_policy
        parts.append(f"<h3>{_esc(r.name)}: {len(sample)} sampled disagreements ({_esc(policy)} policy)</h3>")
        for ex_id, js, verdict in sample:
            ex = (r.examples or {}).get(ex_id)
            orders = ", ".join(f"{j.order}: {j.winner}" for j in js)
            head = (f"<b>{_esc(ex_id)}</b> {_esc(js[0].category or '')}: gold <b>{_esc(js[0].label)}</b>, "
                    f"judge {_esc(verdict)} ({_esc(orders)})")
            body = []
            if isinstance(ex, PairExample):
                body.append(f"<p><b>prompt</b></p><pre>{_esc(_clip(ex.prompt, 1500))}</pre>")
                body.append('<div class="pair">'
                            f"<div><p><b>response A</b></p><pre>{_esc(_clip(ex.response_a, 1500))}</pre></div>"
                            f"<div><p><b>response B</b></p><pre>{_esc(_clip(ex.response_b, 1500))}</pre></div></div>")
            for j in js:
                if j.raw:
                    body.append(f"<p><b>judge output, order {_esc(j.order)}</b></p><pre>{_esc(_clip(j.raw, 2500))}</pre>")
            parts.append(f'<details class="case"><summary>{head}</summary>{"".join(body)}</details>')
    if not parts:
        return '<p class="note">No disagreement with a gold label (or no gold labels).</p>'
    return "\n".join(parts)


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem auto;max-width:1150px;
color:#1f2328;padding:0 1rem;line-height:1.4}
h1{font-size:1.6rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:right;vertical-align:top}
th{background:#f6f8fa}td:first-child,td.t,th.t{text-align:left}.ci{color:#57606a;font-size:.8em}
.note{color:#57606a;font-size:.85rem}figure{margin:.6rem 0}img{max-width:100%;height:auto}
figcaption{color:#57606a;font-size:.8rem}pre{white-space:pre-wrap;background:#f6f8fa;padding:.5rem;
font-size:.78rem;max-height:22rem;overflow:auto;text-align:left}
details.case{border:1px solid #d0d7de;border-radius:6px;padding:.3rem .6rem;margin:.4rem 0}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:.6rem}
"""


def render_html(runs: Sequence[LoadedRun], config: ReportConfig) -> str:
    main = runs[0]
    title = f"judgekit report: {main.suite} / {main.name}" + (f" and {len(runs) - 1} more" if len(runs) > 1 else "")
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_esc(title)}</title><style>{STYLE}</style></head><body>", f"<h1>{_esc(title)}</h1>"]
    run_rows = []
    for r in runs:
        m = r.manifest
        data = m.data
        run_rows.append([_esc(r.run_dir.name), _esc(f"{r.suite} / {m.split}"),
                         _esc(m.judge.display_name),
                         _esc(f"{m.template.name} ({m.template.hash})"),
                         _esc(str(data.get("sha256", data.get("revision", data.get("source", ""))))[:16]),
                         _esc(str(m.created_at or "")[:10])])
    out.append(_table(["run", "suite / split", "judge", "template", "data", "date"], run_rows, 6))
    boot = next((r.pairwise.bootstrap for r in runs if r.pairwise is not None), None)
    if boot is not None:
        out.append(f'<p class="note">Intervals: {boot.method} bootstrap, {boot.n_resamples} resamples of '
                   f"{_esc(boot.cluster)} (both orders of a pair together), seed {boot.seed}, level "
                   f"{100 * boot.level:g}%.</p>")

    out.append("<h2>Headline metrics</h2>")
    out.append(_table(["metric", *[r.name for r in runs]], headline_rows(runs)))
    for r in runs:
        if r.report is not None and r.report.counts:
            counts = ", ".join(f"{k} {v}" for k, v in r.report.counts.items())
            out.append(f'<p class="note">{_esc(r.name)}: {_esc(r.report.headline_name)}; {_esc(counts)}</p>')

    out.append("<h2>Per category</h2>")
    header, rows = category_rows(runs)
    if rows and len(header) > 2:
        out.append(_img(plot_categories(runs), "accuracy per category with 95% intervals", ""))
        out.append(_table(header, rows))
    else:
        out.append('<p class="note">This suite has no categories.</p>')

    out.append("<h2>Order effects: swap consistency and position preference</h2>")
    out.append(_img(plot_order_effects(runs), "swap consistency and share of verdicts for the first-shown "
                    "response, with 95% intervals", "No pairwise judgments."))
    out.append("<h2>Length bias</h2>")
    out.append(_img(plot_length_bias(runs), "share of decisive verdicts that pick the longer response, by "
                    "relative length difference (Wilson 95% intervals); dashed: the gold labels",
                    "Too few decisive verdicts on pairs of unequal length."))
    out.append("<h2>Calibration of soft verdicts</h2>")
    out.append(_img(plot_reliability(runs), "reliability diagram: observed share of gold A against the mean p(A) "
                    "of each bin (marker size: items in the bin)",
                    "No soft verdicts (p(A)) in these runs: judge with --verdict logprob to get them."))

    ranked_any = False
    for r in runs:
        ranked = rankings(r)
        if not ranked:
            continue
        if not ranked_any:
            out.append("<h2>System rankings</h2>")
            ranked_any = True
        out.append(f"<h3>{_esc(r.name)}</h3>")
        out.append(_img(plot_rankings(r, ranked), "win rate against the baseline with 95% bootstrap intervals "
                        "(clustered by item)", ""))
        out.append(_table(["system", "win rate %", "n"],
                          [[_esc(k), _fmt(e.scaled(100)),
                            str(e.n)] for k, e in ranked.items()]))
    if not ranked_any:
        out.append("<h2>System rankings</h2><p class=\"note\">This suite ranks no systems (it has gold labels, "
                   "not systems compared against a baseline).</p>")

    out.append("<h2>Invalid verdicts</h2>")
    out.append(invalid_section(runs, config.max_invalid))
    out.append("<h2>Disagreements with the gold label</h2>")
    out.append(f'<p class="note">A reproducible sample (seed {config.seed}) of examples whose combined verdict is '
               "not the gold label; open one to read the prompt, the responses and the judge's output.</p>")
    out.append(disagreement_section(runs, config.n_disagreements, config.seed))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def build_report(config: ReportConfig) -> Path:
    """Write the report; return its path."""
    runs = [load_run(d, config.data) for d in (config.run_dir, *config.compare)]
    text = render_html(runs, config)
    out = Path(config.out)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out


__all__ = ["ReportConfig", "build_report", "load_run", "render_html"]
