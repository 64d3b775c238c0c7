"""Metric declarations, one module each: the registry (:mod:`judgekit.metrics.registry`) imports
every module here the first time it is read, so a new metric shown in every output is one new
file with one ``@metric`` definition::

    # judgekit/metrics/declared/decisive.py
    from ..registry import metric

    @metric("decisive", label="decisive verdicts", higher_is_better=None)
    def decisive(js):  # one example's judgments -> (numerator, denominator)
        return sum(j.status == "ok" and j.winner in ("A", "B") for j in js), len(js)
"""
