"""Question answering with reference answers: lexical judges and how well a judge agrees with
the gold correctness labels (Judging the Judges, Thakur et al. 2024).

Normalisation, as the benchmarks' own evaluation scripts do it:

- ``squad`` (SQuAD v1.1 ``evaluate-v1.1.py`` ``normalize_answer``): lower-case, delete ASCII
  punctuation (``string.punctuation``), replace the words a / an / the by a space, collapse
  whitespace. Non-ASCII punctuation (curly quotes, dashes) and accents are kept: "“Paris”" is
  not "Paris" under SQuAD's rule.
- ``triviaqa`` (TriviaQA ``utils/dataset_utils.py``/``evaluation``): underscores to spaces,
  lower-case, ASCII punctuation and the quote marks ‘ ’ ´ ` replaced by a space, articles
  removed, whitespace collapsed.

Judges (the answer against every reference; the best reference counts):

- ``exact_match``: the normalised answer equals a normalised reference;
- ``contains``: a normalised reference occurs in the normalised answer as a run of whole tokens;
- ``f1``: SQuAD's token F1 (bag of tokens); the judge accepts at F1 >= a threshold.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from typing import Literal

import numpy as np

from ..types import Frozen
from .interval import Score
from .stats import DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED, bootstrap_rows, rng_for

Normalization = Literal["squad", "triviaqa"]
LexicalMethod = Literal["exact_match", "contains", "f1"]

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_SQUAD_PUNCT = set(string.punctuation)
_TRIVIA_PUNCT = set(string.punctuation + "‘’´`")


def normalize_answer(text: str, style: Normalization = "squad") -> str:
    """The answer as the benchmark's evaluation script compares it (see the module docstring)."""
    if style == "squad":
        s = text.lower()
        s = "".join(ch for ch in s if ch not in _SQUAD_PUNCT)
        s = _ARTICLES.sub(" ", s)
        return " ".join(s.split())
    if style == "triviaqa":
        s = text.replace("_", " ").lower()
        s = "".join(" " if ch in _TRIVIA_PUNCT else ch for ch in s)
        s = _ARTICLES.sub(" ", s)
        return " ".join(s.split()).strip()
    raise ValueError(f"unknown normalisation {style!r}: squad or triviaqa")


def token_f1(prediction: str, reference: str, style: Normalization = "squad") -> float:
    """SQuAD's F1 of the normalised tokens (0 when they share none, as its script)."""
    pred = normalize_answer(prediction, style).split()
    ref = normalize_answer(reference, style).split()
    common = Counter(pred) & Counter(ref)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision = same / len(pred)
    recall = same / len(ref)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, reference: str, style: Normalization = "squad") -> float:
    return float(normalize_answer(prediction, style) == normalize_answer(reference, style))


def contains(prediction: str, reference: str, style: Normalization = "squad") -> float:
    ref = normalize_answer(reference, style)
    if not ref:
        return 0.0
    return float(f" {ref} " in f" {normalize_answer(prediction, style)} ")


_METHODS = {"exact_match": exact_match, "contains": contains, "f1": token_f1}


def lexical_score(method: LexicalMethod, prediction: str, references: Sequence[str],
                  style: Normalization = "squad") -> float:
    """The best score of ``prediction`` over the references (0 with no reference)."""
    fn = _METHODS.get(method)
    if fn is None:
        raise ValueError(f"unknown lexical judge {method!r}; known: {', '.join(_METHODS)}")
    return max((fn(prediction, r, style) for r in references), default=0.0)


# --------------------------------------------------------------------------- judge vs gold


class QAAgreement(Frozen):
    """A judge's accept / reject against gold correct / incorrect, in percent of the examples
    (kappa as a number in [-1, 1]); intervals by the percentile bootstrap over examples.

    ``false_accept``: the judge accepts an answer the gold label calls incorrect, as a share
    of all examples; ``false_reject``: rejects a correct one. ``false_accept_rate`` and
    ``false_reject_rate`` are the same counts over the incorrect and over the correct answers."""

    n: int
    accuracy: Score
    cohen_kappa: Score
    false_accept: Score
    false_reject: Score
    false_accept_rate: Score
    false_reject_rate: Score
    confusion: dict[str, int]  # true_accept, false_accept, false_reject, true_reject


def _kappa(s: np.ndarray) -> np.ndarray:
    ta, fa, fr, tr = (s[:, i] for i in range(4))
    n = ta + fa + fr + tr
    with np.errstate(divide="ignore", invalid="ignore"):
        po = (ta + tr) / n
        pe = ((ta + fa) * (ta + fr) + (fr + tr) * (fa + tr)) / (n * n)
        return (po - pe) / (1 - pe)


def qa_agreement(accepted: Sequence[bool] | np.ndarray, gold_correct: Sequence[bool] | np.ndarray, *,
                 n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                 level: float = DEFAULT_LEVEL) -> QAAgreement:
    a = np.asarray(accepted, dtype=bool)
    g = np.asarray(gold_correct, dtype=bool)
    if a.shape != g.shape:
        raise ValueError(f"length mismatch: {a.size} vs {g.size}")
    cells = np.column_stack([a & g, a & ~g, ~a & g, ~a & ~g]).astype(np.int64)
    n = int(a.size)

    def est(stat: object, key: str, scale: float = 100.0) -> Score:
        res = bootstrap_rows(cells, stat, n_resamples=n_resamples, seed=rng_for(seed, "qa", key),  # type: ignore[arg-type]
                             level=level)
        return res.estimate(n, scale=scale)

    def share(*cols: int) -> object:
        return lambda s: s[:, list(cols)].sum(axis=1) / s.sum(axis=1)

    def rate(num: int, other: int) -> object:
        return lambda s: s[:, num] / (s[:, num] + s[:, other])

    total = cells.sum(axis=0)
    return QAAgreement(
        n=n, accuracy=est(share(0, 3), "accuracy"), cohen_kappa=est(_kappa, "kappa", 1.0),
        false_accept=est(share(1), "false_accept"), false_reject=est(share(2), "false_reject"),
        false_accept_rate=est(rate(1, 3), "false_accept_rate"), false_reject_rate=est(rate(2, 0), "false_reject_rate"),
        confusion={"true_accept": int(total[0]), "false_accept": int(total[1]), "false_reject": int(total[2]),
                   "true_reject": int(total[3])})
