"""The run summary's lines about the judge's endpoints and about runs with no answer."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{1000 * value:.0f}"


def print_endpoints(stats: dict[str, Any] | None, console: Console) -> None:
    """Per-endpoint requests, answers, errors and latency percentiles (only with several endpoints
    or when one of them failed)."""
    endpoints = (stats or {}).get("endpoints") or []
    if not endpoints or (len(endpoints) == 1 and not endpoints[0]["errors"] and not endpoints[0]["times_out"]):
        return
    t = Table(title="endpoints (this invocation)", title_justify="left")
    for name, justify in (("endpoint", "left"), ("sent", "right"), ("answered", "right"), ("errors", "left"),
                          ("p50 ms", "right"), ("p90 ms", "right"), ("p99 ms", "right"), ("out", "right")):
        t.add_column(name, justify=justify)  # type: ignore[arg-type]
    for e in endpoints:
        errors = ", ".join(f"{k} {v}" for k, v in e["errors"].items()) or "-"
        lat = e["latency_s"]
        out = f"{e['times_out']}x {e['out_seconds']:.0f}s" if e["times_out"] else "-"
        t.add_row(e["url"], str(e["sent"]), str(e["ok"]), errors, _ms(lat["p50"]), _ms(lat["p90"]),
                  _ms(lat["p99"]), out)
    console.print(t)


def print_no_answers(n_rows: int, errors: list[tuple[str, int]], console: Console) -> None:
    """A run in which no request was answered: the causes, and no metrics table."""
    console.print(f"[red bold]no answers: all {n_rows} requests failed[/red bold], so there are no metrics. "
                  "Most common causes:")
    for message, count in errors:
        console.print(f"  [red]{count} x {message}[/red]")
    console.print("Fix the cause and rerun the same command: the failed requests are retried.")
