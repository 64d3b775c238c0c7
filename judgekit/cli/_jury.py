"""`judgekit run` with several judges: run each member, then show the jury beside them."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ..jury import JuryConfig, JuryReport, run_jury
from ..progress import NullProgress, Progress, RichProgress
from ..types import RunConfig
from ._output import print_run


def _pct(v: float | None, lo: float | None = None, hi: float | None = None) -> str:
    if v is None:
        return "-"
    return f"{v:.2f}" + (f"  [{lo:.2f}, {hi:.2f}]" if lo is not None and hi is not None else "")


def jury_table(r: JuryReport) -> Table:
    table = Table(title=f"jury ({r.aggregation}) and its members: {r.headline}", title_justify="left")
    for col, just in (("judge", "left"), ("weight", "right"), ("headline  95% CI", "right"), ("invalid", "right"),
                      ("n", "right")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for m in r.members:
        table.add_row(m.name + ("  (best member)" if m.name == r.best_member else ""), f"{m.weight:g}",
                      _pct(m.accuracy, m.ci_low, m.ci_high), str(m.n_invalid), str(m.n_examples))
    j = r.jury
    table.add_row(f"[bold]{j.name}[/bold]", "", f"[bold]{_pct(j.accuracy, j.ci_low, j.ci_high)}[/bold]",
                  str(j.n_invalid), str(j.n_examples))
    return table


def print_jury(r: JuryReport, console: Console) -> None:
    console.print(jury_table(r))
    a = r.agreement
    fk = "-" if a.fleiss_kappa is None else f"{a.fleiss_kappa:.4f}"
    ka = "-" if a.krippendorff_alpha is None else f"{a.krippendorff_alpha:.4f}"
    console.print(f"agreement across {a.n_raters} members: Fleiss' kappa {fk} ({a.n_complete} verdicts rated by "
                  f"all), Krippendorff's alpha {ka} ({a.n_units} verdicts)")
    c = r.versus_best
    d = c.difference
    lo = "-" if d.ci_low is None else f"{100 * d.ci_low:+.2f}"
    hi = "-" if d.ci_high is None else f"{100 * d.ci_high:+.2f}"
    what = "exact agreement with gold" if r.kind == "pointwise" else "accuracy"
    console.print(f"jury minus best member ({r.best_member}), {what}: {100 * (d.value or 0):+.2f} points "
                  f"[{lo}, {hi}] (paired bootstrap), McNemar {c.mcnemar.b} vs {c.mcnemar.c} discordant, "
                  f"p = {c.mcnemar.p_value:.3g}")


def run_jury_cmd(base: RunConfig, jury: JuryConfig, quiet: bool, console: Console) -> int:
    """Run the members and the jury; return the number of failed requests."""
    def progress() -> Progress:
        return NullProgress() if quiet else RichProgress()

    failed = 0

    def on_member(prep: Any, result: Any) -> None:
        nonlocal failed
        title = f"{prep.suite.name} / {prep.split} / {prep.backend.display_name}"
        print_run(result.metrics, result.report, title, console)
        console.print(f"resumed {result.n_resumed}, from cache {result.n_cached}, sent {result.n_sent}; "
                      f"run {result.run_dir}")
        failed += result.n_failed

    from .. import runner  # the backends load only when a judge runs

    res = run_jury(base, jury, runner, progress, on_member)
    print_run(res.metrics, res.suite_report, f"{base.suite} / {res.report.name}", console)
    print_jury(res.report, console)
    console.print(f"jury run: {res.run_dir}  (jury.json: members, agreement, comparison)")
    return failed


def jury_config(path: Any, judges: list[Any], aggregation: str | None) -> JuryConfig:
    """The jury from a --jury file and/or repeated --judge options (members in that order)."""
    from ..jury import JuryMember, load_jury

    base = load_jury(path) if path is not None else JuryConfig(members=())
    members = (*base.members, *(JuryMember(judge=j) for j in judges))
    update: dict[str, Any] = {"members": members}
    if aggregation is not None:
        update["aggregation"] = aggregation
    return base.model_copy(update=update)
