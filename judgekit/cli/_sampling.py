"""Printing the repeated-sampling report (``judgekit run --samples N``)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..sampling import SamplingReport


def _n(x: float | None, digits: int = 4) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def print_sampling(r: SamplingReport, console: Console) -> None:
    if r.kind == "pointwise":
        table = Table(title=f"mean of the first k of {r.n_samples} grades vs gold", title_justify="left")
        for col in ("k", "Pearson", "Spearman", "n"):
            table.add_column(col, justify="right")
        for p in r.pointwise_curve:
            table.add_row(str(p.k), _n(p.pearson), _n(p.spearman), str(p.n))
    else:
        table = Table(title=f"majority of the first k of {r.n_samples} samples ({r.policy} policy): accuracy %",
                      title_justify="left")
        for col in ("k", "accuracy", "95% CI", "n"):
            table.add_column(col, justify="right")
        for c in r.curve:
            a = c.accuracy
            ci = "" if a.ci_low is None or a.ci_high is None else f"{a.ci_low:.2f}-{a.ci_high:.2f}"
            table.add_row(str(c.k), _n(a.value, 2), ci, str(a.n))
    console.print(table)
    if r.mean_probability is not None:
        m = r.mean_probability
        console.print(f"mean probability over all samples: accuracy {_n(m.value, 2)} % "
                      f"[{_n(m.ci_low, 2)}, {_n(m.ci_high, 2)}]")
    s = r.stability
    console.print(f"test-retest (samples as raters of {s.n_units} requests): Fleiss' kappa {_n(s.fleiss_kappa)}, "
                  f"Krippendorff's alpha {_n(s.krippendorff_alpha)}; all samples agree on {_n(r.all_agree, 2)} %")
