"""The one type for a reported number: a value with its sample size and, where computed, its
confidence interval, test and counts. Every metric, suite report, leaderboard cell and report
figure is a :class:`Score`; :mod:`judgekit.views.format` writes them out."""

from __future__ import annotations

from typing import Any

from pydantic import model_serializer
from pydantic.functional_serializers import SerializerFunctionWrapHandler

from ..types import Frozen


class Score(Frozen):
    """One reported number.

    ``n`` is what the number is over (examples for accuracy, judgments for rates, decisive
    verdicts for preferences); ``count`` the numerator where the value is a share;
    ``n_invalid`` the invalid or failed verdicts within the number's scope; ``ci_low`` and
    ``ci_high`` the interval at ``ci_level``, on the value's own scale, made as ``method`` says
    (percentile-bootstrap, wilson, fisher-z, wald, ...; unset for the pairwise report's bootstrap,
    which metrics.json records once); ``p_value`` a two-sided test against the neutral value where
    one applies (50 % for a preference), and ``p_adjusted`` the same after a multiple-comparison
    adjustment across categories.
    """

    value: float | None
    n: int
    count: int | None = None  # numerator where the value is a share (correct, consistent, ...)
    higher_is_better: bool | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: float | None = None
    n_invalid: int | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    method: str | None = None  # how the interval was made

    @model_serializer(mode="wrap")
    def _omit_unset_method(self, handler: SerializerFunctionWrapHandler) -> Any:
        out = handler(self)
        if isinstance(out, dict) and out.get("method") is None:
            out.pop("method", None)
        return out

    def scaled(self, factor: float) -> Score:
        """The same number on another scale (a share as a percentage: ``scaled(100)``)."""
        def sc(x: float | None) -> float | None:
            return None if x is None else factor * x

        return self.model_copy(update={"value": sc(self.value), "ci_low": sc(self.ci_low),
                                       "ci_high": sc(self.ci_high)})

    def brief(self) -> dict[str, Any]:
        """The value, its interval and n (a leaderboard cell)."""
        return {"value": self.value, "ci_low": self.ci_low, "ci_high": self.ci_high, "n": self.n}
