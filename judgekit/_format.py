"""Number formats shared by the terminal, validate's outputs and the report."""

from __future__ import annotations


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
