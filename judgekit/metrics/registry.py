"""The metric registry: a run-level figure declared once, shown everywhere.

A metric is one :class:`Metric`: its name (the key in metrics.json and the leaderboard's CSV and
JSON), its label, the judgment kinds and suites it applies to, whether higher is better, how it
is computed from the judgment rows and, optionally, per category. The terminal table, metrics.json,
the leaderboard (markdown, CSV, HTML, JSON) and the HTML report read the registry; declaring a
metric is the only edit::

    from judgekit.metrics.registry import metric

    @metric("decisive", label="decisive verdicts", higher_is_better=None)
    def decisive(js):  # one example's judgments -> (numerator, denominator) of a share
        return sum(j.status == "ok" and j.winner in ("A", "B") for j in js), len(js)

A ``share`` metric (the default) gives, per example, the numerator and denominator of a share;
the registry sums them, shows the share in percent and adds a percentile-bootstrap interval over
examples (both orders of a pair resampled together, a seeded stream of the metric's own). A
``score`` metric is a function ``(rows, MetricInput) -> Score | None`` that makes its own interval.
With ``per_category`` the same computation is run on each category's examples
(:func:`judgekit.protocols.by_category`).

Metrics are declared in the modules of ``judgekit/metrics/declared/``, which the registry imports
(pkgutil, in name order) the first time it is read: a new metric is one new file there (or a
``@metric`` in any module already imported, or a plugin through the ``judgekit.metrics`` entry
points). The built-in figures of the pairwise report (swap consistency, position preference,
length bias, invalid verdicts, accuracy bounds, Cohen's kappa, soft-verdict calibration) are
declared in ``declared/_pairwise_report.py``, in the order they are shown; they are computed
together, vectorised, by :func:`judgekit.metrics.pairwise.pairwise_metrics`, so they ``read`` their
value from that report instead of computing it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast

import numpy as np

from ..protocols import by_category, by_example
from ..registry import Registry, where
from ..types import Frozen, Judgment
from .interval import Score
from .stats import DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED, bootstrap_rows, ratio, rng_for

T = TypeVar("T")
Kind = Literal["pairwise", "pointwise"]
Shape = Literal["share", "score"]
#: how the terminal writes a figure: ``plain`` "value [interval] unit"; ``decisive`` adds "of n
#: decisive verdicts" and the test's p; ``count`` "k of n (share %)"; ``bounds`` and ``soft`` the
#: pairwise report's accuracy bounds and soft-verdict calibration
TerminalStyle = Literal["plain", "decisive", "count", "bounds", "soft"]


class Figure(Frozen):
    """A registered metric's value on a run: overall and, for a per-category metric, per category."""

    overall: Score
    categories: dict[str, Score] = {}


def omit_empty(dumped: Any, key: str) -> Any:
    """A model's dump without ``key`` when it is empty (so metrics.json without registered metrics
    is what it always was)."""
    if isinstance(dumped, dict) and not dumped.get(key):
        dumped.pop(key, None)
    return dumped


@dataclass(frozen=True)
class MetricInput:
    """What a metric's computation sees besides the rows."""

    kind: str = "pairwise"
    suite: str | None = None
    aggregation: str | None = None
    n_resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED
    level: float = DEFAULT_LEVEL


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    higher_is_better: bool | None
    kinds: tuple[str, ...] = ("pairwise",)
    suites: tuple[str, ...] | None = None  # suite or aggregation names; None: every suite
    shape: Shape = "share"
    compute: Callable[..., Any] | None = None  # None: a built-in, read from the run's report
    read: Callable[[Any], Any] | None = None  # the built-ins: the value in the pairwise report
    per_category: bool = False
    digits: int = 2
    unit: str = "%"  # "" for a ratio
    terminal: str | None = None  # the terminal's label (None: not printed); default: the label
    terminal_style: TerminalStyle = "plain"
    missing: str | None = None  # the terminal's text when the run has no value (None: no line)
    leaderboard: str | None = None  # the leaderboard's column header (None: no column)
    report: str | None = None  # the report's row label (None: no row)
    optional: bool = True  # shown on a leaderboard / report only where some run has a value
    defined_at: str = field(default="", compare=False)

    def applies(self, kind: str | None, suite: str | None = None, aggregation: str | None = None) -> bool:
        """Whether the metric is computed for (and shown on) a run of this kind and suite."""
        if kind is not None and kind not in self.kinds:
            return False
        return self.suites is None or suite in self.suites or (aggregation is not None and aggregation in self.suites)

    def value(self, metrics: Any) -> Any:
        """The metric's overall value on a run's metrics (a Score, or None when the run has none)."""
        if self.read is not None:
            return self.read(metrics)
        fig = (getattr(metrics, "registered", None) or {}).get(self.name)
        return None if fig is None else fig.overall

    def categories(self, metrics: Any) -> dict[str, Score]:
        fig = (getattr(metrics, "registered", None) or {}).get(self.name)
        return {} if fig is None else dict(fig.categories)


#: built-ins and new metrics are declared in the modules of judgekit/metrics/declared/ (imported the first time
#: the registry is read, so a new metric is one new file there); plugins through the judgekit.metrics entry points
metric_registry: Registry[Any] = Registry("metric", "judgekit.metrics", "judgekit.metrics.declared",
                                          listing="known metrics")


def metric(name: str, *, label: str | None = None, higher_is_better: bool | None = True,
           kinds: Iterable[str] = ("pairwise",), suites: Iterable[str] | None = None, shape: Shape = "share",
           per_category: bool = False, digits: int = 2, unit: str | None = None, terminal: str | None | bool = True,
           leaderboard: str | None | bool = True, report: str | None | bool = True
           ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a metric where its computation is written (see the module docstring). ``terminal``,
    ``leaderboard`` and ``report``: True shows it under its label, a string under that text,
    False not at all."""
    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        text = label or name
        u = ("%" if shape == "share" else "") if unit is None else unit

        def shown(where_: str | None | bool, default: str) -> str | None:
            return default if where_ is True else None if where_ is False or where_ is None else where_

        m = Metric(name=name, label=text, higher_is_better=higher_is_better, kinds=tuple(kinds),
                   suites=None if suites is None else tuple(suites), shape=shape, compute=fn,
                   per_category=per_category, digits=digits, unit=u, terminal=shown(terminal, text),
                   leaderboard=shown(leaderboard, text),
                   report=shown(report, f"{text} %" if u == "%" else text), defined_at=where(fn))
        register(m)
        return fn

    return deco


def register(m: Metric) -> Metric:
    """Add a metric (an error naming both places if its name is taken)."""
    metric_registry._add(m.name, cast(Any, m), m.defined_at or where(m.compute or m.read))
    return m


def unregister(name: str) -> None:
    """Remove a metric (tests that declare a throwaway one)."""
    metric_registry.remove(name)


def all_metrics() -> list[Metric]:
    """Every registered metric, built-ins first, in the order they were declared."""
    return [cast(Metric, metric_registry.get(name)) for name in metric_registry.ordered()]


# --------------------------------------------------------------------------- computing


def _share(examples: Sequence[Sequence[Judgment]], fn: Callable[..., Any], m: Metric, inp: MetricInput,
           key: tuple[str, ...]) -> Score:
    units = [u for u in (fn(js) for js in examples) if u is not None]
    arr = np.asarray(units, dtype=float).reshape(-1, 2)
    num, den = float(arr[:, 0].sum()), float(arr[:, 1].sum())
    scale = 100.0 if m.unit == "%" else 1.0
    if not den:
        return Score(value=None, n=0, count=None, higher_is_better=m.higher_is_better)
    lo = hi = None
    if inp.n_resamples:
        res = bootstrap_rows(arr, ratio, n_resamples=inp.n_resamples, seed=rng_for(inp.seed, "metric", *key),
                             level=inp.level)
        lo = None if res.low is None else scale * res.low
        hi = None if res.high is None else scale * res.high
    count = int(num) if float(num).is_integer() else None
    return Score(value=scale * num / den, n=int(den) if float(den).is_integer() else len(units), count=count,
                 higher_is_better=m.higher_is_better, ci_low=lo, ci_high=hi,
                 ci_level=inp.level if lo is not None else None, method="percentile-bootstrap")


def _same(items: list[T]) -> list[T]:
    return items


def compute_metric(m: Metric, rows: Sequence[Judgment], inp: MetricInput,
                   category_order: Sequence[str] | None = None) -> Figure | None:
    """A registered metric on a run's rows (None for a built-in, which the pairwise report holds)."""
    fn = m.compute
    if fn is None:
        return None
    if m.shape == "share":
        examples = list(by_example(rows).values())

        def one(exs: Sequence[Sequence[Judgment]], *key: str) -> Score:
            return _share(exs, fn, m, inp, (m.name, *key))

        overall = one(examples)
        cats: dict[str, Score] = {}
        if m.per_category:
            groups = by_category(_same, order=category_order, overall=None)(examples)
            cats = {name: one(exs, name) for name, exs in groups.items()}
        return Figure(overall=overall, categories=cats)
    score = fn(list(rows), inp)
    cats = {}
    if m.per_category:
        groups_rows = by_category(_same, order=category_order, overall=None)(rows)
        cats = {name: s for name, rs in groups_rows.items() if (s := fn(rs, inp)) is not None}
    return None if score is None else Figure(overall=score, categories=cats)


def computed_metrics(inp: MetricInput) -> list[Metric]:
    """The registered (not built-in) metrics that apply to the run: those computed on its rows."""
    return [m for m in all_metrics() if m.compute is not None and m.applies(inp.kind, inp.suite, inp.aggregation)]


def registered_figures(rows: Sequence[Judgment], inp: MetricInput,
                       category_order: Sequence[str] | None = None) -> dict[str, Figure]:
    """Every registered (not built-in) metric that applies to the run, computed on its rows."""
    out: dict[str, Figure] = {}
    for m in computed_metrics(inp):
        fig = compute_metric(m, rows, inp, category_order)
        if fig is not None:
            out[m.name] = fig
    return out


def shown_on(where_: Literal["terminal", "leaderboard", "report"], kind: str | None = None) -> list[Metric]:
    """The metrics an output shows, in order (``kind``: only those that apply to that kind)."""
    return [m for m in all_metrics() if getattr(m, where_) is not None and (kind is None or kind in m.kinds)]


# --------------------------------------------------------------------------- the built-ins


def builtin(name: str, label: str, *, kinds: tuple[str, ...] = ("pairwise",), read: Callable[[Any], Any],
             terminal: str | None, style: TerminalStyle = "plain", missing: str | None = None,
             leaderboard: str | None = None, report: str | None = None, digits: int = 2, unit: str = "%",
             optional: bool = False, higher_is_better: bool | None = None) -> None:
    register(Metric(name=name, label=label, higher_is_better=higher_is_better, kinds=kinds, read=read,
                    digits=digits, unit=unit, terminal=terminal, terminal_style=style, missing=missing,
                    leaderboard=leaderboard, report=report, optional=optional,
                    defined_at=f"{sys._getframe(1).f_globals.get('__name__', '?')} (built-in {name})"))
