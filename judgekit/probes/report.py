"""The audit's HTML report: one self-contained file (no script, nothing loaded from the network),
every text from the data or the judge escaped."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..audit.models import AuditResult, FlipExample
    from .effects import ProbeEffect

CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
.flag{background:#fdd;font-weight:bold}pre{white-space:pre-wrap;max-height:20em;overflow:auto;background:#f6f6f6;padding:4px;margin:0}
.muted{color:#666}details{margin:.5em 0}"""


def fmt(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def fmt_p(p: float | None) -> str:
    if p is None:
        return "–"
    return f"{p:.2g}" if p >= 1e-4 else f"{p:.1e}"


def effect_row(e: ProbeEffect) -> list[str]:
    est = e.estimate
    ci = "–" if est.ci_low is None else f"[{fmt(est.ci_low)}, {fmt(est.ci_high)}]"
    flag = "FLAG" if e.flagged else ("–" if e.flagged is None else "no")
    flips = "–" if e.n_flips is None else f"{e.n_flips} / {e.n_reverse} of {e.n_units}"
    notes = ", ".join(f"{k} {fmt(v) if isinstance(v, float) else v}" for k, v in e.details.items() if v is not None)
    return [e.probe, e.variant or "", e.meaning, fmt(est.value), ci, fmt_p(est.p_value), str(est.n), flips, flag,
            notes]


HEADER = ["probe", "variant", "effect", "value", "interval", "p (paired)", "examples", "flips to / away", "flag",
          "notes"]


def table_markdown(result: AuditResult) -> str:
    """The audit table as Markdown (what the CLI prints and the README shows)."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for p in result.probes:
        if not p.effects:
            lines.append(f"| {p.name} | | skipped: {p.reason} | | | | | | | |")
        for e in p.effects:
            lines.append("| " + " | ".join(effect_row(e)) + " |")
    return "\n".join(lines)


def _texts(d: dict[str, Any]) -> str:
    return "".join(f"<div><b>{escape(k)}</b><pre>{escape(str(v))}</pre></div>" for k, v in d.items())


def _flip_html(f: FlipExample) -> str:
    return (f"<details><summary>{escape(f.example_id)} · order {escape(f.order)} · {escape(f.variant)}: "
            f"{escape(f.verdict_original)} → {escape(f.verdict_perturbed)}"
            f"{' (favoured: ' + escape(f.target) + ')' if f.target else ''}</summary>"
            f"<table><tr><th>original</th><th>perturbed</th></tr><tr><td>{_texts(f.original)}</td>"
            f"<td>{_texts(f.perturbed)}</td></tr><tr><td><b>judge</b><pre>{escape(f.raw_original or '')}</pre></td>"
            f"<td><b>judge</b><pre>{escape(f.raw_perturbed or '')}</pre></td></tr></table></details>")


def render_html(result: AuditResult) -> str:
    rows = []
    for p in result.probes:
        if not p.effects:
            rows.append(f"<tr><td>{escape(p.name)}</td><td colspan='9' class='muted'>skipped: "
                        f"{escape(p.reason or '')}</td></tr>")
        for e in p.effects:
            cells = "".join(f"<td>{escape(c)}</td>" for c in effect_row(e))
            rows.append(f"<tr class='{'flag' if e.flagged else ''}'>{cells}</tr>")
    probes = "".join(
        f"<h3>{escape(p.name)}</h3><p>{escape(p.description)}<br><span class='muted'>follows: {escape(p.paper)}; "
        f"run: {escape(p.run_id or '–')}</span></p>"
        + (f"<p>{len(p.flips)} example(s) that moved, both versions:</p>" + "".join(_flip_html(f) for f in p.flips)
           if p.flips else "")
        for p in result.probes)
    head = "".join(f"<th>{escape(h)}</th>" for h in HEADER)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>judgekit audit {escape(result.audit_id)}"
            f"</title><style>{CSS}</style></head><body><h1>judgekit audit</h1>"
            f"<p>suite <b>{escape(result.suite)}</b> / {escape(result.split)} · judge <b>{escape(result.judge)}</b>"
            f" · base run {escape(result.base_run)} · seed {result.seed}</p>"
            f"<p>Intervals: percentile bootstrap over examples at {result.flag_level:.4f} each, Bonferroni over the "
            f"{result.n_flaggable} flaggable effects (joint {result.level:.2f}); a flag means the interval excludes "
            f"the no-effect value. p: the paired test named per probe.</p>"
            f"<table><tr>{head}</tr>{''.join(rows)}</table><h2>Probes</h2>{probes}</body></html>")
