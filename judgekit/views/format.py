"""Numbers and intervals as text, written once for the terminal, the leaderboards, the report and
validate. Rates (percent) get two decimals, ratios (kappa, correlations, errors) four."""

from __future__ import annotations

from ..metrics.interval import Score

#: columns holding ratios rather than percentages (four decimals)
RATIOS = frozenset({"kappa", "pearson", "spearman", "kendall_tau", "mean_abs_error"})


def digits_for(column: str) -> int:
    return 4 if column in RATIOS else 2


def num(x: float | int | None, digits: int = 2, sign: bool = False) -> str:
    """A number (an int as is), or "-" for a missing one."""
    if x is None:
        return "-"
    if isinstance(x, int):
        return str(x)
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def value(s: Score | None, digits: int = 2) -> str:
    """A score's value, or "-"."""
    if s is None or s.value is None:
        return "-"
    return f"{s.value:.{digits}f}"


def interval(s: Score | None, digits: int = 2, sign: bool = False) -> str:
    """"[low, high]", or "" when the score has no interval."""
    if s is None or s.ci_low is None or s.ci_high is None:
        return ""
    return f"[{num(s.ci_low, digits, sign)}, {num(s.ci_high, digits, sign)}]"


def with_ci(s: Score | None, digits: int = 2) -> str:
    """"value [low, high]", the value alone without an interval, "-" without a value."""
    if s is None or s.value is None:
        return "-"
    ci = interval(s, digits)
    return f"{value(s, digits)} {ci}" if ci else value(s, digits)


def ci_short(s: Score | None) -> str:
    """"low-high" with one decimal (narrow terminal columns)."""
    if s is None or s.ci_low is None or s.ci_high is None:
        return ""
    return f"{s.ci_low:.1f}-{s.ci_high:.1f}"


def html_with_ci(s: Score | None, digits: int = 2) -> str:
    """HTML: the value, its interval and its test's p-value in smaller grey type."""
    if s is None or s.value is None:
        return "-"
    text = value(s, digits)
    ci = interval(s, digits)
    if ci:
        text += f" <span class=ci>{ci}</span>"
    if s.p_value is not None:  # a test against the neutral value (50 % for a preference)
        p = "p < 0.001" if s.p_value < 0.001 else f"p = {s.p_value:.2g}"  # never "p = 0"
        text += f" <span class=ci>{p}</span>"
    return text


def format_p(p: float | None) -> str:
    """A p-value as printed: "p = " with three significant digits, "p < 0.001" below that (never
    "p = 0", which a p-value that underflows would print), "" when there is none."""
    if p is None:
        return ""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3g}"


def p_cell(p: float | None) -> str:
    """A p-value in a table's p column: "<0.001", three significant digits, or "-"."""
    if p is None:
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3g}"
