"""Whether a stored run is whole enough to rank: every request judged, none failed, its judgments
readable. The leaderboard treats an unhealthy run like one that does not match the suite's
definition (refused by default, left out under --skip-mismatched, flagged under
--include-mismatched); a run whose judgments cannot be read is always left out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .columns import JudgmentColumns
from .errors import DataError
from .types import Judgment


def health_reasons(manifest: Any, rows: Mapping[str, Judgment] | JudgmentColumns) -> list[str]:
    """Why a run's stored judgments are not a whole run (an empty list when they are); ``manifest``
    is a RunManifest (or a manifest.json mapping)."""
    reasons = []
    n_requests = manifest.get("n_requests") if isinstance(manifest, Mapping) else manifest.n_requests
    if isinstance(n_requests, int) and len(rows) < n_requests:
        reasons.append(f"incomplete: {len(rows)} of {n_requests} requests judged (rerun the same "
                       "`judgekit run` command to finish it)")
    failed = rows.n_failed if isinstance(rows, JudgmentColumns) else sum(j.status != "ok" for j in rows.values())
    if failed:
        total = n_requests if isinstance(n_requests, int) else len(rows)
        reasons.append(f"{failed} of {total} requests failed (rerun the same `judgekit run` command to "
                       "retry them)")
    return reasons


def check_health(runs: list[Any], reasons: dict[str, list[str]],
                 read: Callable[[Any], Mapping[str, Judgment] | JudgmentColumns]) -> set[str]:
    """Add each run's health problems to ``reasons`` (run_id -> reasons); return the run ids whose
    judgments cannot be read at all (a corrupt line: see ``judgekit score --repair``)."""
    unreadable = set()
    for run in runs:
        try:
            rows = read(run)
        except DataError as exc:
            reasons.setdefault(run.run_id, []).append(f"unreadable judgments: {exc}")
            unreadable.add(run.run_id)
            continue
        reasons.setdefault(run.run_id, []).extend(health_reasons(run.manifest, rows))
    return unreadable


def md_escape(text: str) -> str:
    """Text safe in a Markdown table cell or list item: HTML (``<script>``) is escaped, and so are
    what makes code spans, cell breaks and links (``](``); numbers and intervals stay as they are."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "\\`|":
        text = text.replace(ch, "\\" + ch)
    return text.replace("](", "]\\(")
