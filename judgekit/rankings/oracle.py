"""System values calibrated to an oracle (human-labelled) slice of the judged items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..aggregations import ReportTable
from ..errors import DataError
from ..metrics.interval import Score
from .systems import _count


def read_oracle(path: str, keys: Mapping[str, int]) -> dict[tuple[str, int], float]:
    """Oracle (human) labels for some judged items: a CSV or JSONL file with ``system``, the item
    (``instruction``: its 0-based position in the suite, or ``uid`` for Arena-Hard) and ``label``
    (the system's gold credit against the baseline in [0, 1]: 1 better, 0 worse, 0.5 a tie; or a
    graded label rescaled by the user). Errors name the file, the line and the field."""
    import json as _json
    from pathlib import Path as _Path

    p = _Path(path)
    records: list[tuple[int, dict[str, Any]]] = []
    try:
        if p.suffix.lower() == ".jsonl":
            for line, text in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
                if text.strip():
                    try:
                        records.append((line, dict(_json.loads(text))))
                    except (ValueError, TypeError):
                        raise DataError("not a JSON object", path=path, line=line) from None
        else:
            import csv

            with open(p, encoding="utf-8", newline="") as f:
                records = list(enumerate(csv.DictReader(f), start=2))
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from None
    out: dict[tuple[str, int], float] = {}
    for line, rec in records:
        system = str(rec.get("system") or "").strip()
        if not system:
            raise DataError("missing", path=path, line=line, field="system")
        field = "instruction" if rec.get("instruction") not in (None, "") else "uid"
        item = str(rec.get(field) if rec.get(field) is not None else "").strip()
        if item not in keys:
            raise DataError(f"{item!r} is not a judged item of this run", path=path, line=line, field=field)
        try:
            label = float(rec.get("label"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise DataError(f"not a number: {rec.get('label')!r}", path=path, line=line, field="label") from None
        if not 0.0 <= label <= 1.0:
            raise DataError(f"{label} is outside [0, 1]", path=path, line=line, field="label")
        key = (system, keys[item])
        if key in out:
            raise DataError(f"a second label for {system} on item {item}", path=path, line=line, field=field)
        out[key] = label
    return out


def calibration_tables(scores: np.ndarray, systems: Sequence[str], oracle: Mapping[tuple[str, int], float],
                       where: str) -> tuple[list[ReportTable], list[str]]:
    """The systems' values calibrated to the oracle slice (cross-fitted isotonic regression of the oracle
    label on the judge's per-item score, pooled over systems: :func:`judgekit.metrics.calibration.
    calibrated_system_scores`), with 95 % intervals that include the calibration's own uncertainty,
    next to the uncalibrated values and the ranking before and after."""
    from ..metrics.calibration import calibrated_system_scores

    M = np.asarray(scores, dtype=float)
    s_list, y_list, sys_list = [], [], []
    used = 0
    for k, s in enumerate(systems):
        for i in np.flatnonzero(np.isfinite(M[:, k])).tolist():
            s_list.append(M[i, k])
            lab = oracle.get((s, i))
            y_list.append(np.nan if lab is None else lab)
            used += lab is not None
            sys_list.append(s)
    unmatched = len(oracle) - used
    notes = [f"calibrated to {used} oracle labels from {where}"
             + (f" ({unmatched} labels name items without a valid judge score and were not used)" if unmatched else "")]
    if used < 10:
        notes.append("too few oracle labels to calibrate (need 10)")
        return [], notes
    est = calibrated_system_scores(np.asarray(s_list), np.asarray(y_list), sys_list)
    raw = {s: e.raw_mean for s, e in est.items()}
    cal = {s: e.value for s, e in est.items()}

    def ranks(v: Mapping[str, float | None]) -> dict[str, int]:
        order = sorted(v, key=lambda s: (v[s] is None, -(v[s] or 0.0), s))
        return {s: r for r, s in enumerate(order, start=1)}

    rb, ra = ranks(raw), ranks(cal)
    rows = {s: {"uncalibrated": Score(value=None if e.raw_mean is None else 100 * e.raw_mean, n=e.n),
                "calibrated": Score(value=None if e.value is None else 100 * e.value, n=e.n,
                                    ci_low=None if e.ci_low is None else 100 * e.ci_low,
                                    ci_high=None if e.ci_high is None else 100 * e.ci_high, ci_level=e.ci_level,
                                    method="isotonic cross-fit, jackknife calibration variance", higher_is_better=True),
                "se_calibration": Score(value=None if e.se_calibration is None else 100 * e.se_calibration, n=e.n),
                "oracle_labels": _count(e.n_labelled), "rank_before": _count(rb[s]), "rank_after": _count(ra[s])}
            for s, e in sorted(est.items(), key=lambda kv: ra[kv[0]])}
    return [ReportTable(title=f"calibrated to the oracle slice ({used} labels)",
                        columns=("uncalibrated", "calibrated", "se_calibration", "oracle_labels", "rank_before",
                                 "rank_after"), rows=rows)], notes
