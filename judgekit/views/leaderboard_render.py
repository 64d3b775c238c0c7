"""Leaderboards written out: markdown, CSV, HTML and JSON of a :class:`Leaderboard`.

The output is deterministic: rows are sorted (by the build), floats rounded to fixed decimals, and
the only dates are the runs' own.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..metrics.interval import Score
from ..metrics.registry import Metric, shown_on
from ..run_health import md_escape
from ..types import Frozen
from .format import digits_for, num, with_ci
from .leaderboard import DECIMALS, FORMATS, JudgeRow, Leaderboard
from .leaderboard_grades import EXPLANATION as GRADES_EXPLANATION
from .leaderboard_grades import grade_csv_columns, grade_table_rows


def _tokens(row: JudgeRow) -> str:
    if row.prompt_tokens is None and row.completion_tokens is None:
        return "-"
    return f"{row.prompt_tokens or 0:,} / {row.completion_tokens or 0:,}"


#: Arena-Hard's columns (its score and the style-controlled score, 90 % bootstrap intervals as show_result.py
#: prints them), shown when a systems run of arena_hard is on the board
ARENA_HEADER = ("Arena-Hard score [90% CI]", "style-controlled [90% CI]")


def _has_arena(board: Leaderboard) -> bool:
    return any(r.score is not None or r.style_controlled is not None for r in board.models)


def figure_columns(board: Leaderboard) -> list[Metric]:
    """The registered metrics with a column on this board: the built-in ones always, an optional
    one where some row has it."""
    return [m for m in shown_on("leaderboard")
            if not m.optional or any(m.name in j.figures for j in board.judges)]


def table_rows(board: Leaderboard) -> tuple[list[str], list[tuple[str | None, list[str]]]]:
    """Header and (split, cells) rows as shown in markdown and HTML."""
    out: list[tuple[str | None, list[str]]] = []
    if board.kind == "grades":
        return grade_table_rows(board)
    if board.kind == "winrate":
        arena = _has_arena(board)
        header = ["rank", "model", "annotator", "win rate", "standard error", "LC win rate [95% CI]",
                  *(ARENA_HEADER if arena else ()),
                  "discrete win rate", "n_wins", "n_wins_base", "n_draws", "n_total", "avg length", "date"]
        for r in board.models:
            out.append((r.annotator, [str(r.rank), r.model + (" (!)" if r.mismatch else ""), r.annotator,
                                      num(r.win_rate), num(r.standard_error), with_ci(r.lc_win_rate),
                                      *((with_ci(r.score), with_ci(r.style_controlled)) if arena else ()),
                                      num(r.discrete_win_rate), str(r.n_wins), str(r.n_wins_base),
                                      str(r.n_draws), str(r.n_total), num(r.avg_length, 1), r.date]))
        return header, out
    columns = figure_columns(board)
    header = ["rank", "judge", "template", f"{board.headline_name} [95% CI]", *board.also_names,
              *board.category_names, *[str(m.leaderboard) for m in columns], "n", "tokens in / out", "judge time (s)",
              "cost ($)", "date"]
    for j in board.judges:
        out.append((j.split, [str(j.rank), j.judge + (" (!)" if j.mismatch else ""), str(j.template or "-"),
                              with_ci(j.headline), *[with_ci(j.also.get(c), digits_for(c))
                                                      for c in board.also_names],
                              *[with_ci(j.categories.get(c)) for c in board.category_names],
                              *[with_ci(j.figures.get(m.name), m.digits) for m in columns], str(j.n_examples), _tokens(j), num(j.judge_seconds, 1),
                              num(j.cost_usd, 2), j.date]))
    return header, out


def _footer(board: Leaderboard) -> list[str]:
    lines = []
    for run_id, why in board.flagged():
        lines.append(f"(!) {run_id} does not match the suite's current definition or is not whole: {'; '.join(why)}")
    for e in board.excluded:
        lines.append(f"left out {e.run_id}: {'; '.join(e.reasons)}")
    lines += list(board.notes)
    return lines


def _explanation(board: Leaderboard) -> str:
    if board.kind == "grades":
        return GRADES_EXPLANATION
    if board.kind == "winrate":
        return ("Win rates as AlpacaEval computes them: preference in [1, 2] (2 = the model's output is better), "
                "0 and 1.5 are draws; win rate = mean(preference - 1) x 100, standard error = sem x 100, "
                "discrete win rate on preferences rounded to win / draw / loss. LC: AlpacaEval's length-controlled "
                "win rate (length_controlled_v1) with its standard error, for judgekit's own systems runs "
                "(`judgekit run --suite alpaca_eval`), which are sorted by it, as AlpacaEval 2 sorts; imported "
                "annotations have none. Imports (and Arena-Hard runs, whose win rate is "
                "Arena-Hard's score) are sorted by win rate within each annotator.")
    return ("Rates in percent with percentile-bootstrap 95% intervals over examples (both orders of a pair "
            "resampled together). Position preference: share of decisive verdicts that pick the first-shown "
            "response (50 = no preference). Judge time: wall time of the judging where recorded. "
            "Sorted by the headline within each split; equal headlines share a rank.")


def render_markdown(board: Leaderboard) -> str:
    header, rows = table_rows(board)
    out = [f"# {board.suite} leaderboard", "", _explanation(board), ""]
    group_name = "split" if board.kind == "judges" else "annotator"
    for group in dict.fromkeys(g for g, _ in rows):
        out.append(f"## {group_name} {md_escape(str(group))}" if group is not None else "## runs")
        out.append("")
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "|".join("---:" if i == 0 or i >= 3 else "---" for i in range(len(header))) + "|")
        for g, cells in rows:
            if g == group:
                out.append("| " + " | ".join(md_escape(c) for c in cells) + " |")
        out.append("")
    footer = _footer(board)
    if footer:
        out += [f"- {md_escape(line)}" for line in footer] + [""]
    return "\n".join(out)


def _csv_columns(board: Leaderboard) -> tuple[list[str], list[list[Any]]]:
    def trio(prefix: str, c: Score | None) -> list[Any]:
        return [None, None, None] if c is None else [c.value, c.ci_low, c.ci_high]

    def trio_names(prefix: str) -> list[str]:
        return [prefix, f"{prefix}_ci_low", f"{prefix}_ci_high"]

    if board.kind == "grades":
        return grade_csv_columns(board)
    if board.kind == "winrate":
        arena = _has_arena(board)
        names = ["annotator", "rank", "model", "win_rate", "standard_error", *trio_names("lc_win_rate"),
                 "lc_standard_error",
                 *([*trio_names("arena_hard_score"), *trio_names("style_controlled")] if arena else []),
                 "discrete_win_rate", "n_wins", "n_wins_base", "n_draws", "n_total", "n_dropped", "avg_length",
                 "date", "run_id", "mismatch"]
        rows = [[r.annotator, r.rank, r.model, r.win_rate, r.standard_error, *trio("", r.lc_win_rate),
                 r.lc_standard_error, *([*trio("", r.score), *trio("", r.style_controlled)] if arena else []),
                 r.discrete_win_rate, r.n_wins, r.n_wins_base, r.n_draws, r.n_total, r.n_dropped, r.avg_length,
                 r.date, r.run_id, "; ".join(r.mismatch)] for r in board.models]
        return names, rows
    names = ["split", "rank", "judge", "template", "source", *trio_names("headline")]
    for c in board.also_names:
        names += trio_names(c)
    for c in board.category_names:
        names += trio_names(c)
    columns = figure_columns(board)
    for m in columns:
        names += trio_names(m.name)
    names += ["n_examples", "prompt_tokens", "completion_tokens", "judge_seconds", "cost_usd", "date", "run_id",
              "mismatch"]
    rows = []
    for j in board.judges:
        row: list[Any] = [j.split, j.rank, j.judge, j.template, j.source, *trio("", j.headline)]
        for c in board.also_names:
            row += trio("", j.also.get(c))
        for c in board.category_names:
            row += trio("", j.categories.get(c))
        for m in columns:
            row += trio("", j.figures.get(m.name))
        row += [j.n_examples, j.prompt_tokens, j.completion_tokens, j.judge_seconds, j.cost_usd, j.date, j.run_id,
                "; ".join(j.mismatch)]
        rows.append(row)
    return names, rows


def render_csv(board: Leaderboard) -> str:
    names, rows = _csv_columns(board)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    for row in rows:
        w.writerow(["" if v is None else f"{v:.{DECIMALS}f}" if isinstance(v, float) else v for v in row])
    return buf.getvalue()


def _cells(obj: Any) -> Any:
    """The board's JSON with each score written as a cell (value, interval, n)."""
    if isinstance(obj, Score):
        return obj.brief()
    if isinstance(obj, JudgeRow):  # the registered metrics sit beside the row's other figures
        out = {k: _cells(getattr(obj, k)) for k in type(obj).model_fields if k != "figures"}
        return {**out, **{k: _cells(v) for k, v in obj.figures.items()}}
    if isinstance(obj, Frozen):
        return {k: _cells(getattr(obj, k)) for k in type(obj).model_fields}
    if isinstance(obj, dict):
        return {k: _cells(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_cells(v) for v in obj]
    return obj


def render_json(board: Leaderboard) -> str:
    doc = _cells(board)
    if board.kind != "grades":  # the grade fields only where they are used: other boards stay as they were
        doc.pop("grade_names", None)
        doc.pop("grades", None)
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


HTML_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1rem 1.5rem;color:#1f2328;max-width:100%}
table{border-collapse:collapse;margin:1rem 0;font-size:.85rem}
th,td{border:1px solid #d0d7de;padding:.25rem .4rem;text-align:right;vertical-align:top}
th{background:#f6f8fa;font-weight:600}td.t,th.t{text-align:left}td.t{overflow-wrap:anywhere;max-width:16rem}
td .ci{display:block;color:#57606a;font-size:.72rem;white-space:nowrap}
tr:nth-child(even) td{background:#fbfcfd}.note{color:#57606a;font-size:.85rem;max-width:80rem}
"""

#: columns holding names (left-aligned); every other column holds figures (right-aligned)
TEXT_COLUMNS = {"judge", "template", "model", "annotator", "source", "split", "run"}


def _html_cell(text: str) -> str:
    """A figure with its interval on a line of its own beneath it (half the width of one line)."""
    value, sep, interval = text.partition(" [")
    if sep and interval.endswith("]"):
        return f'{html.escape(value)}<span class="ci">[{html.escape(interval)}</span>'
    return html.escape(text)


def render_html(board: Leaderboard) -> str:
    """The leaderboard as one page readable at 1280 px: intervals beneath their figures, names
    left-aligned and allowed to wrap, and the columns no row fills (tokens, time or cost of
    replayed judges) left out."""
    header, rows = table_rows(board)
    esc = html.escape
    keep = [i for i, h in enumerate(header)
            if h in TEXT_COLUMNS or h == "rank" or any(cells[i] not in ("", "-") for _, cells in rows)]
    text = {i for i in keep if header[i] in TEXT_COLUMNS}
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{esc(board.suite)} leaderboard</title><style>{HTML_STYLE}</style></head><body>",
             f"<h1>{esc(board.suite)} leaderboard</h1>", f'<p class="note">{esc(_explanation(board))}</p>']
    group_name = "split" if board.kind == "judges" else "annotator"
    for group in dict.fromkeys(g for g, _ in rows):
        parts.append(f"<h2>{esc(group_name)} {esc(str(group))}</h2>" if group is not None else "<h2>runs</h2>")
        parts.append("<table><thead><tr>" + "".join(
            f'<th{" class=t" if i in text else ""}>{esc(header[i])}</th>' for i in keep) + "</tr></thead><tbody>")
        for g, cells in rows:
            if g == group:
                parts.append("<tr>" + "".join(
                    f'<td class="t">{esc(cells[i])}</td>' if i in text else f"<td>{_html_cell(cells[i])}</td>"
                    for i in keep) + "</tr>")
        parts.append("</tbody></table>")
    footer = _footer(board)
    if footer:
        parts.append("<ul>" + "".join(f'<li class="note">{esc(line)}</li>' for line in footer) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


RENDERERS: dict[str, Callable[[Leaderboard], str]] = {
    "md": render_markdown, "csv": render_csv, "html": render_html, "json": render_json}


def render(board: Leaderboard, fmt: str) -> str:
    if fmt not in RENDERERS:
        raise ConfigError(f"unknown leaderboard format {fmt!r}; known: {', '.join(FORMATS)}")
    return RENDERERS[fmt](board)


def write_leaderboard(board: Leaderboard, out_dir: str | Path, formats: Sequence[str]) -> list[Path]:
    """Write ``<out_dir>/<suite>.<fmt>`` for each format; return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = out / f"{board.suite}.{fmt}"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(render(board, fmt), encoding="utf-8", newline="\n")
        tmp.replace(path)
        paths.append(path)
    return paths
