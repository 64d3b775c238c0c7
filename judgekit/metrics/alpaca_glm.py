"""AlpacaEval's length-controlled win rate, ``length_controlled_v1``, as AlpacaEval computes it.

From ``alpaca_eval/metrics/glm_winrate.py`` (tatsu-lab/alpaca_eval, commit cd543a1), for one
system against the baseline:

- features of each instruction: ``std_delta_len = (len(baseline) - len(system)) / sd`` (sd with
  ddof 1 over the system's instructions), the instruction's difficulty (a fixed number per
  instruction), and ``not_gamed_baseline`` (1 for the system's own rows);
- the GLM ``preference ~ tanh(std_delta_len) + instruction_difficulty + not_gamed_baseline - 1``
  (no intercept), with the preference in [0, 1] (AlpacaEval's preference minus 1) as a soft label:
  every row appears twice, once as class 1 with weight ``p * w`` and once as class 0 with weight
  ``(1 - p) * w``;
- regularised towards the baseline by adding the annotations of two length-gamed versions of the
  baseline (``not_gamed_baseline`` 0) with weight 0.2 / 2 each (``w = 1`` for the system's rows);
- fitted by scikit-learn's ``LogisticRegressionCV`` (L1, liblinear, no intercept,
  ``random_state=123``, the 10 default Cs) with 5-fold ``GroupKFold`` (both copies of a row in the
  same fold) scored by the weighted continuous log loss;
- the LC win rate is the mean over the system's instructions of the prediction with the length
  term at 0, times 100; its standard error the standard error of the mean of those predictions.

The two inputs AlpacaEval downloads from the hub (``instruction_difficulty.csv`` and the gamed
baselines' ``df_gamed.csv``) are read from files the user gives. Without them,
:func:`estimate_instruction_difficulty` estimates the difficulties from the systems being ranked,
as AlpacaEval's ``notebooks/instruction_difficulty.ipynb`` derived them (a joint GLM with a
coefficient per instruction), and without gamed annotations the fit is not regularised
(AlpacaEval's ``length_controlled_noreg``); the caller says so in its output.

scikit-learn is imported lazily (``pip install 'judgekit-harness[rankings]'``).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, MissingDependencyError
from ..types import Frozen

FEATURES = ("np.tanh(std_delta_len)", "instruction_difficulty", "not_gamed_baseline.astype(float)")
REGULARIZE_LAMBDA = 0.2  # length_controlled_v1's weight of the two gamed baselines together
N_SPLITS = 5
RANDOM_STATE = 123


class GamedAnnotations(Frozen):
    """Annotations of the length-gamed baselines (AlpacaEval's ``df_gamed.csv``): one row each."""

    index: list[int]
    preference: list[float]  # in [0, 1]
    std_delta_len: list[float]
    instruction_difficulty: list[float]


class LengthControlledV1(Frozen):
    lc_win_rate: float  # percent
    lc_standard_error: float | None  # percent
    weights: dict[str, float]  # the GLM's coefficients, named as AlpacaEval names them
    n: int  # instructions with a preference (training rows of the system)
    n_dropped: int  # missing preferences
    regularized: bool  # gamed baselines were given
    glm: str  # length_controlled_v1, or length_controlled_noreg without the gamed baselines


def _sklearn() -> Any:
    try:
        import sklearn  # noqa: F401
        from sklearn import linear_model, metrics, model_selection
    except ImportError:
        raise MissingDependencyError("scikit-learn", "rankings") from None
    return sklearn, linear_model, metrics, model_selection


def _logloss_continuous(y_true: np.ndarray, y_pred: np.ndarray, true_prob: np.ndarray,
                        true_sample_weight: np.ndarray | None = None) -> float:
    """AlpacaEval's ``logloss_continuous``: the log loss against the soft labels (sklearn only sees the
    duplicated 0/1 rows, so the soft label of each row is passed alongside)."""
    y = np.where(np.asarray(y_true) == 1, true_prob, 1 - np.asarray(true_prob))
    p = np.clip(np.asarray(y_pred, dtype=float), 1e-15, 1 - 1e-15)
    if p.ndim == 2:
        p = p[:, 1]
    ll = y * np.log(p) + (1 - y) * np.log(1 - p)
    if true_sample_weight is not None:
        ll = ll * np.asarray(true_sample_weight)
    return float(-np.mean(ll))


def fit_soft_logistic_cv(X: np.ndarray, p: np.ndarray, sample_weight: np.ndarray | None = None, *,
                         n_splits: int = N_SPLITS, random_state: int = RANDOM_STATE) -> np.ndarray:
    """AlpacaEval's ``fit_LogisticRegressionCV(..., is_ytrue_proba=True)``: coefficients (no intercept)
    of an L1 logistic regression on soft labels ``p``, its strength picked by ``n_splits``-fold
    cross-validation over rows."""
    sklearn, linear_model, metrics, model_selection = _sklearn()
    X = np.asarray(X, dtype=float)
    p = np.asarray(p, dtype=float)
    n = p.size
    X2 = np.vstack([X, X])
    y2 = np.concatenate([np.ones(n, dtype=int), np.zeros(n, dtype=int)])
    true_prob = np.concatenate([p, 1 - p])
    groups = np.concatenate([np.arange(n), np.arange(n)])
    if sample_weight is None:
        true_sw = None
        sw = true_prob
    else:
        w = np.asarray(sample_weight, dtype=float)
        true_sw = np.concatenate([w, w])
        sw = true_prob * true_sw
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = metrics.make_scorer(_logloss_continuous, response_method="predict_proba",
                                     greater_is_better=False).set_score_request(true_sample_weight=True,
                                                                                true_prob=True)
        model = linear_model.LogisticRegressionCV(
            cv=model_selection.GroupKFold(n_splits=n_splits), scoring=scorer, random_state=random_state,
            dual=False, penalty="l1", solver="liblinear", n_jobs=None, fit_intercept=False)
        model.set_fit_request(sample_weight=True)
        model.fit(X2, y2, sample_weight=sw, groups=groups, true_sample_weight=true_sw, true_prob=true_prob)
    return np.asarray(model.coef_[0], dtype=float)


def _expit(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0, -x))


def length_controlled_v1(preference: Sequence[float] | np.ndarray, len_system: Sequence[float] | np.ndarray,
                         len_baseline: Sequence[float] | np.ndarray, difficulty: Sequence[float] | np.ndarray,
                         gamed: GamedAnnotations | None = None) -> LengthControlledV1:
    """``length_controlled_v1`` for one system. ``preference`` is AlpacaEval's (in [1, 2], 2 = the
    system better; 0 is a draw, NaN missing), one per instruction with the lengths of both outputs
    and the instruction's difficulty. Missing preferences are left out of the fit (and counted) but
    the prediction averages over every instruction given, as AlpacaEval's does."""
    pref = np.asarray(preference, dtype=float)
    l_sys = np.asarray(len_system, dtype=float)
    l_base = np.asarray(len_baseline, dtype=float)
    diff = np.asarray(difficulty, dtype=float)
    if not (pref.shape == l_sys.shape == l_base.shape == diff.shape):
        raise DataError(f"misaligned inputs: {pref.size} preferences, {l_sys.size} / {l_base.size} lengths, "
                        f"{diff.size} difficulties")
    if not np.all(np.isfinite(diff)):
        raise DataError("an instruction without a difficulty (NaN)")
    pref = np.where(pref == 0.0, 1.5, pref) - 1.0  # AlpacaEval: 0 is a draw; then in [0, 1]
    pref = np.where((pref >= 0) & (pref <= 1), pref, np.nan)
    delta = l_base - l_sys
    sd = float(np.std(delta, ddof=1)) if delta.size > 1 else 0.0
    std_delta = delta / sd if sd > 0 else np.zeros_like(delta)
    X = np.column_stack([np.tanh(std_delta), diff, np.ones_like(diff)])
    keep = np.isfinite(pref)
    n = int(keep.sum())
    if n < N_SPLITS:
        raise DataError(f"length-controlled win rate needs at least {N_SPLITS} preferences, got {n}")
    Xtr, ptr, w = X[keep], pref[keep], None
    if gamed is not None:
        G = np.column_stack([np.tanh(np.asarray(gamed.std_delta_len, dtype=float)),
                             np.asarray(gamed.instruction_difficulty, dtype=float), np.zeros(len(gamed.index))])
        gp = np.asarray(gamed.preference, dtype=float)
        gk = np.isfinite(gp)
        # AlpacaEval: pd.concat([df_gamed, df]); the gamed rows first, weight lambda / 2 each
        Xtr = np.vstack([G[gk], Xtr])
        ptr = np.concatenate([gp[gk], ptr])
        w = np.concatenate([np.full(int(gk.sum()), REGULARIZE_LAMBDA / 2), np.ones(n)])
    coef = fit_soft_logistic_cv(Xtr, ptr, w)
    X0 = X.copy()
    X0[:, 0] = 0.0  # np.tanh(0): no length difference
    pred = _expit(X0 @ coef)
    se = float(np.std(pred, ddof=1) / math.sqrt(pred.size) * 100) if pred.size > 1 else None
    return LengthControlledV1(lc_win_rate=float(pred.mean() * 100), lc_standard_error=se,
                              weights=dict(zip(FEATURES, map(float, coef), strict=True)), n=n,
                              n_dropped=int(pref.size - n), regularized=gamed is not None,
                              glm="length_controlled_v1" if gamed is not None else "length_controlled_noreg")


def estimate_instruction_difficulty(system: Sequence[str], instruction: Sequence[int] | np.ndarray,
                                    preference: Sequence[float] | np.ndarray, len_system: Sequence[float] | np.ndarray,
                                    len_baseline: Sequence[float] | np.ndarray, n_instructions: int) -> np.ndarray:
    """Instruction difficulties estimated from the systems being ranked, as AlpacaEval's notebook
    derived its published ones: one GLM over every system's preferences with a bias and a length
    slope per system and a coefficient per instruction (``C(generator_2):tanh(std_delta_len) +
    C(generator_2) + C(index) + not_gamed_baseline - 1``, the same L1 cross-validated fit); the
    instruction coefficients (the first instruction's fixed at 0) are the difficulties. An
    instruction no system has a preference for gets 0."""
    sys_arr = np.asarray(system, dtype=object)
    idx = np.asarray(instruction, dtype=int)
    pref = np.asarray(preference, dtype=float)
    pref = np.where(pref == 0.0, 1.5, pref) - 1.0
    l_sys = np.asarray(len_system, dtype=float)
    l_base = np.asarray(len_baseline, dtype=float)
    names = sorted(set(sys_arr.tolist()))
    cols: list[np.ndarray] = []
    std_delta = np.zeros(pref.size)
    for s in names:
        m = sys_arr == s
        d = l_base[m] - l_sys[m]
        sd = float(np.std(d, ddof=1)) if d.size > 1 else 0.0
        std_delta[m] = d / sd if sd > 0 else 0.0
    for s in names:  # per-system length slope
        cols.append(np.where(sys_arr == s, np.tanh(std_delta), 0.0))
    for s in names:  # per-system bias
        cols.append((sys_arr == s).astype(float))
    dummies = np.zeros((pref.size, max(n_instructions - 1, 0)))
    on = idx > 0
    dummies[np.flatnonzero(on), idx[on] - 1] = 1.0  # instruction 0 is the reference level
    X = np.column_stack([*cols, dummies, np.ones(pref.size)])
    keep = np.isfinite(pref) & (pref >= 0) & (pref <= 1)
    coef = fit_soft_logistic_cv(X[keep], pref[keep])
    out = np.zeros(n_instructions)
    out[1:] = coef[2 * len(names): 2 * len(names) + n_instructions - 1]
    return out


# ----------------------------------------------------------------------------- AlpacaEval's hub files


def _csv_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return list(enumerate(csv.DictReader(f), start=2))
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=str(path)) from None


def _num(path: Path, line: int, rec: Mapping[str, str], fld: str) -> float:
    raw = rec.get(fld)
    if raw is None:
        raise DataError("missing column", path=str(path), line=line, field=fld)
    try:
        return float(raw) if raw.strip() else math.nan
    except ValueError:
        raise DataError(f"not a number: {raw!r}", path=str(path), line=line, field=fld) from None


def read_instruction_difficulty(path: str | Path, n_instructions: int) -> np.ndarray:
    """AlpacaEval's ``instruction_difficulty.csv`` (columns ``index, instruction_difficulty``; the
    first column is the instruction's position in the evaluation set)."""
    path = Path(path)
    out = np.full(n_instructions, np.nan)
    for line, rec in _csv_rows(path):
        key = "index" if "index" in rec else next(iter(rec))
        try:
            k = int(float(rec[key]))
        except (TypeError, ValueError):
            raise DataError(f"not an instruction index: {rec[key]!r}", path=str(path), line=line, field=key) from None
        if not 0 <= k < n_instructions:
            raise DataError(f"instruction index {k} outside 0..{n_instructions - 1}", path=str(path), line=line,
                            field=key)
        out[k] = _num(path, line, rec, "instruction_difficulty")
    missing = np.flatnonzero(~np.isfinite(out))
    if missing.size:
        raise DataError(f"no difficulty for {missing.size} of the {n_instructions} instructions "
                        f"(first: index {int(missing[0])})", path=str(path), field="instruction_difficulty")
    return out


def read_gamed(path: str | Path, difficulty: np.ndarray | None = None) -> GamedAnnotations:
    """AlpacaEval's ``df_gamed.csv``: the gamed baselines' rows (``index, preference, std_delta_len``,
    ``instruction_difficulty``; the preference already in [0, 1]). A missing difficulty column takes
    the instruction's difficulty from ``difficulty``."""
    path = Path(path)
    idx: list[int] = []
    pref: list[float] = []
    sdl: list[float] = []
    dif: list[float] = []
    for line, rec in _csv_rows(path):
        k = int(_num(path, line, rec, "index"))
        idx.append(k)
        pref.append(_num(path, line, rec, "preference"))
        sdl.append(_num(path, line, rec, "std_delta_len"))
        if "instruction_difficulty" in rec:
            dif.append(_num(path, line, rec, "instruction_difficulty"))
        elif difficulty is not None and 0 <= k < difficulty.size:
            dif.append(float(difficulty[k]))
        else:
            raise DataError("missing column (and no instruction difficulty to take it from)", path=str(path),
                            line=line, field="instruction_difficulty")
    if not idx:
        raise DataError("no rows", path=str(path))
    return GamedAnnotations(index=idx, preference=pref, std_delta_len=sdl, instruction_difficulty=dif)
