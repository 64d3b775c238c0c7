"""`judgekit report`: one self-contained HTML file for a run (and runs to compare with it).

The page holds the headline metrics with their intervals, per-category bars with intervals,
the swap-consistency and position-preference chart, the length-bias plot, the reliability
diagram of soft verdicts, system rankings with intervals (win-rate suites), the invalid
verdicts with their raw text, and a sample of disagreements with the gold label. Plots are
drawn with matplotlib (the ``[plot]`` extra) and embedded as SVG data URIs; the page loads
nothing from the network and runs no script.

Every number comes from the metrics module (the run report of
:func:`judgekit.scoring.score_rows`, the suite's aggregation, :mod:`judgekit.metrics.ranking`);
this module only lays them out.
"""

from __future__ import annotations

import hashlib
import heapq
import html
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..metrics.interval import Score
from ..metrics.pairwise_arrays import INVALID
from ..metrics.registry import Metric, shown_on
from ..scoring import applicable_policies, headline
from ..types import Frozen, Judgment, PairExample
from .format import html_with_ci as _fmt
from .report_grades import grade_rows, grade_table, plot_grades
from .report_plots import (
    LoadedRun,
    load_run,
    plot_categories,
    plot_length_bias,
    plot_order_effects,
    plot_rankings,
    plot_reliability,
    rankings,
)

log = logging.getLogger(__name__)

class ReportConfig(Frozen):
    run_dir: str
    compare: tuple[str, ...] = ()
    out: str = "report.html"
    data: str | None = None  # data folder to show prompts and responses (default: the runs' own --data)
    max_invalid: int = 50  # invalid verdicts listed per run
    n_disagreements: int = 20  # disagreements with the gold label sampled per run
    seed: int = 0  # which disagreements are sampled


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


#: the columns of a systems run's leaderboard shown in the report: (column in the suite's table, header)
SYSTEM_COLUMNS = {
    "alpaca_eval": (("win_rate", "win rate % [95% CI]"), ("lc_win_rate", "LC win rate % (length_controlled_v1)"),
                    ("lc_standard_error", "LC standard error"), ("n_total", "n")),
    "arena_hard": (("score", "Arena-Hard score % [90% CI]"), ("style_controlled", "style-controlled % [90% CI]"),
                   ("n_battles", "battles")),
}


def system_leaderboard(run: LoadedRun) -> str | None:
    """A systems run's leaderboard as its suite's aggregation computed it (:mod:`judgekit.rankings`):
    AlpacaEval's win rate, length-controlled win rate and its standard error; Arena-Hard's score and
    style-controlled score, with their intervals; the report's notes (how LC's inputs were obtained)
    beneath. None for other runs."""
    agg = None if run.manifest.aggregation is None else run.manifest.aggregation.name
    columns = SYSTEM_COLUMNS.get(str(agg))
    if columns is None or run.report is None or not run.report.tables:
        return None
    table = run.report.tables[0]

    def cell(s: Score | None) -> str:
        return str(s.count) if s is not None and s.count is not None else _fmt(s)

    rows = [[_esc(name), *[cell(row.get(key)) for key, _ in columns]] for name, row in table.rows.items()]
    notes = "".join(f'<p class="note">{_esc(n)}</p>' for n in run.report.notes)
    return _table(["system", *[h for _, h in columns]], rows) + notes


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


def _figure_rows(runs: Sequence[LoadedRun], metrics: Sequence[Metric], row: Any) -> list[list[str]]:
    """A row per registered metric (an optional one only where some run has a value)."""
    out = []
    for m in metrics:
        if m.optional and all(m.value(r.metrics) is None for r in runs):
            continue
        out.append(row(str(m.report), lambda r, m=m: m.value(r.metrics), m.digits))
    return out


def figure_category_tables(runs: Sequence[LoadedRun]) -> list[str]:
    """A table per registered per-category metric that some run has: runs by categories."""
    parts = []
    for m in shown_on("report"):
        per_run = {r.name: m.categories(r.metrics) for r in runs}
        cats = list(dict.fromkeys(c for cs in per_run.values() for c in cs))
        if not cats:
            continue
        rows = [[_esc(r.name), *[_fmt(per_run[r.name].get(c), m.digits) for c in cats], _fmt(m.value(r.metrics),
                                                                                          m.digits)]
                for r in runs]
        parts.append(f"<h3>{_esc(m.report)}</h3>" + _table(["run", *cats, "overall"], rows))
    return parts


def headline_rows(runs: Sequence[LoadedRun]) -> list[list[str]]:
    def row(label: str, get: Any, digits: int = 2) -> list[str]:
        return [_esc(label), *[_fmt(get(r), digits) for r in runs]]

    out: list[list[str]] = []
    # the one headline of each run, as the terminal, metrics.json and the leaderboard name it
    heads = {id(r): headline(r.metrics, r.report) for r in runs if r.report is not None or r.pairwise is not None}
    if heads:
        names = list(dict.fromkeys(name for name, _ in heads.values()))
        out.append(row("headline: " + " / ".join(names), lambda r: heads[id(r)][1] if id(r) in heads else None))
    pw = [r for r in runs if r.pairwise is not None]
    if pw:
        # the policies that apply (both orders for all but "first"; "judgebench" on JudgeBench only),
        # the headline's own row not repeated
        policies: list[str] = []
        for r in pw:
            assert r.pairwise is not None
            for p in applicable_policies(r.pairwise, r.report):
                if p not in policies and not (r.report is None and p == r.pairwise.headline_policy):
                    policies.append(p)
        for p in policies:
            out.append(row(f"accuracy % ({p} policy)",
                           lambda r, p=p: r.pairwise.accuracy[p].overall if r.pairwise and p in r.pairwise.accuracy
                           else None))
        out += _figure_rows(pw, [m for m in shown_on("report") if "pointwise" not in m.kinds], row)
    # the metrics that apply to every kind of run (the invalid rate, ...), for every run
    out += _figure_rows(runs, [m for m in shown_on("report") if "pointwise" in m.kinds], row)
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
        t = r.table
        bad_mask = (t.winner == INVALID) | ~t.ok
        ordered = t.examples().sorted_rows  # by example, order, sample (stable)
        bad_rows = ordered[bad_mask[ordered]]
        parts.append(f"<h3>{_esc(r.name)}: {len(bad_rows)} invalid or failed of {len(t)}</h3>")
        if not len(bad_rows):
            continue
        rows = [[_esc(j.example_id), _esc(j.order), _esc(j.status), _esc(j.reason or j.error or ""),
                 f"<details><summary>{len(j.raw or '')} characters</summary><pre>{_esc(_clip(j.raw))}</pre></details>"
                 if j.raw else '<span class="note">(no text)</span>'] for j in t.rows_at(bad_rows[:limit])]
        parts.append(_table(["example", "order", "status", "reason", "raw judge output"], rows, 5))
        if len(bad_rows) > limit:
            parts.append(f'<p class="note">{len(bad_rows) - limit} more not shown.</p>')
    return "\n".join(parts)


_LABEL_NAMES = np.asarray(["A", "B", "tie"], dtype=object)


def disagreements(run: LoadedRun, n: int, seed: int) -> list[tuple[str, list[Judgment], str]]:
    """A reproducible sample of examples whose combined verdict (the headline policy) is not the
    gold label: (example id, its judgments, the combined verdict)."""
    policy = run.manifest.protocol.headline_policy
    t = run.table
    ex = t.examples()
    label = t.label[ex.first]
    verdict = ex.combined(t.verdict, policy)
    wrong_k = np.flatnonzero((label >= 0) & (verdict != _LABEL_NAMES[np.maximum(label, 0)]))
    # sorted(...)[:n] without holding a digest per wrong example (heapq.nsmallest is documented equal to it)
    wrong = heapq.nsmallest(n, wrong_k.tolist(), key=lambda k: hashlib.sha256(f"{seed}:{ex.ids[k]}".encode()).hexdigest())
    return [(ex.ids[k], t.rows_at(ex.group(k)), str(verdict[k])) for k in wrong]


def disagreement_section(runs: Sequence[LoadedRun], n: int, seed: int) -> str:
    parts = []
    for r in runs:
        sample = disagreements(r, n, seed)
        if r.pairwise is None or not sample:
            continue
        examples = r.examples([ex_id for ex_id, _, _ in sample])
        policy = r.manifest.protocol.headline_policy
        parts.append(f"<h3>{_esc(r.name)}: {len(sample)} sampled disagreements ({_esc(policy)} policy)</h3>")
        for ex_id, js, verdict in sample:
            ex = examples.get(ex_id)
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
                         _esc(f"{m.template.name} ({m.template.hash})" if m.template.name else "none (reward model)"),
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
    out += figure_category_tables(runs)

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
        grades = grade_table(r)  # graded systems suites (mt_bench): mean grades, not win rates
        if grades is not None:
            if not ranked_any:
                out.append("<h2>System rankings</h2>")
                ranked_any = True
            out.append(f"<h3>{_esc(r.name)}</h3>")
            out.append(_img(plot_grades(grades), f"{grades.title}: mean grades with 95% bootstrap intervals over "
                            "questions", ""))
            out.append(_table(*grade_rows(grades, _fmt, _esc)))
            continue
        ranked = rankings(r)
        if not ranked:
            continue
        if not ranked_any:
            out.append("<h2>System rankings</h2>")
            ranked_any = True
        out.append(f"<h3>{_esc(r.name)}</h3>")
        out.append(_img(plot_rankings(r, ranked), "win rate against the baseline with 95% bootstrap intervals "
                        "(clustered by item)", ""))
        board = system_leaderboard(r)
        out.append(board if board is not None else _table(
            ["system", "win rate %", "n"], [[_esc(k), _fmt(e.scaled(100)), str(e.n)] for k, e in ranked.items()]))
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
