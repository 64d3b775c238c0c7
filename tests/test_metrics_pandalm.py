"""PandaLM's human-annotated test set (read directly from ../shared/data/pandalm; adapters
are another module's job): the published inter-annotator kappas and label distribution,
and the two recorded judges' accuracy and macro-F1 against the majority label, with
bootstrap intervals."""

from __future__ import annotations

import json
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score
from statsmodels.stats.contingency_tables import mcnemar

from judgekit.metrics.agreement import classification_report, cohen_kappa, krippendorff_alpha, majority_vote
from judgekit.metrics.bias import invalid_bounds
from judgekit.metrics.stats import compare_judges

GPT_LABELS = {"1": 1, "2": 2, "Tie": 0}  # anything else is an unparseable verdict


def _load(shared: Path, name: str) -> list[dict]:
    return json.loads((shared / "pandalm" / name).read_text())


@pytest.fixture(scope="module")
def pandalm(shared_data: Path) -> dict:
    test = _load(shared_data, "testset-v1.json")
    gpt = _load(shared_data, "gpt-3.5-turbo-testset-v1.json")
    panda = _load(shared_data, "pandalm-7b-testset-v1.json")
    assert [r["idx"] for r in test] == [r["idx"] for r in gpt] == [r["idx"] for r in panda]
    raters = [[r[f"annotator{i}"] for r in test] for i in (1, 2, 3)]
    gold, support = majority_vote(raters)
    return {"raters": raters, "gold": gold, "support": support,
            "gpt": [GPT_LABELS.get(str(r["gpt_result"]), "invalid") for r in gpt],
            "pandalm": [r["pandalm_result"] for r in panda]}


def test_published_inter_annotator_kappas(pandalm: dict) -> None:
    """PandaLM's README: Cohen's kappa 0.85 (#1-#2), 0.88 (#1-#3), 0.86 (#2-#3)."""
    r1, r2, r3 = pandalm["raters"]
    got = [cohen_kappa(r1, r2), cohen_kappa(r1, r3), cohen_kappa(r2, r3)]
    assert [round(k, 2) for k in got] == [0.85, 0.88, 0.86]
    assert got == pytest.approx([cohen_kappa_score(r1, r2), cohen_kappa_score(r1, r3), cohen_kappa_score(r2, r3)],
                                abs=1e-12)
    # Krippendorff's alpha of the three annotators, against the `krippendorff` package
    alpha = krippendorff_alpha(pandalm["raters"])
    ref = krippendorff.alpha(reliability_data=np.array(pandalm["raters"], dtype=float), level_of_measurement="nominal")
    assert alpha == pytest.approx(ref, abs=1e-12)
    assert 0.8 < alpha < 0.9  # in line with the pairwise kappas


def test_published_majority_label_counts(pandalm: dict) -> None:
    """PandaLM's README: 105 ties (0), 422 for response 1, 472 for response 2."""
    gold = pandalm["gold"]
    assert None not in gold  # every item has a majority
    assert {label: gold.count(label) for label in (0, 1, 2)} == {0: 105, 1: 422, 2: 472}
    assert np.bincount(pandalm["support"]).tolist()[2:] == [120, 879]  # 2-of-3 and unanimous


@pytest.mark.parametrize("judge", ["gpt", "pandalm"])
def test_recorded_judges_accuracy_and_macro_f1_with_intervals(pandalm: dict, judge: str) -> None:
    gold, pred = pandalm["gold"], pandalm[judge]
    rep = classification_report(gold, pred, labels=[0, 1, 2], n_resamples=1000, seed=0)
    coded = [-1 if p == "invalid" else p for p in pred]  # sklearn needs one label type
    assert rep.accuracy.value == pytest.approx(accuracy_score(gold, coded), abs=1e-12)
    assert rep.macro_f1.value == pytest.approx(f1_score(gold, coded, labels=[0, 1, 2], average="macro"), abs=1e-12)
    assert rep.cohen_kappa.value == pytest.approx(cohen_kappa_score(gold, coded), abs=1e-12)
    for est in (rep.accuracy, rep.macro_f1, rep.cohen_kappa):
        assert est.ci_low < est.value < est.ci_high  # type: ignore[operator]
        assert 0.02 < est.ci_high - est.ci_low < 0.12  # type: ignore[operator]
    assert rep.n == 999
    bounds = invalid_bounds(np.array(gold) == np.array(coded), np.array(coded) == -1)
    # the bounds, from sklearn on the items with a valid verdict and hand-counted invalid ones
    valid = [i for i, c in enumerate(coded) if c != -1]
    right = accuracy_score([gold[i] for i in valid], [coded[i] for i in valid], normalize=False)
    k_inv = 999 - len(valid)
    assert bounds.dropped == pytest.approx(right / len(valid), abs=1e-12)
    assert bounds.as_wrong == pytest.approx(right / 999, abs=1e-12) == pytest.approx(rep.accuracy.value, abs=1e-12)
    assert bounds.as_tie == pytest.approx((right + 0.5 * k_inv) / 999, abs=1e-12)
    assert bounds.as_correct == pytest.approx((right + k_inv) / 999, abs=1e-12)
    if judge == "gpt":
        assert rep.n_invalid == 25
    else:
        assert rep.n_invalid == 0


def test_the_two_judges_compared(pandalm: dict) -> None:
    gold = np.array(pandalm["gold"])
    gpt = np.array([-1 if p == "invalid" else p for p in pandalm["gpt"]])
    panda = np.array(pandalm["pandalm"])
    res = compare_judges(gpt == gold, panda == gold, n_resamples=2000, seed=0)
    assert res.difference.value == pytest.approx((gpt == gold).mean() - (panda == gold).mean())
    # McNemar's exact test against statsmodels, on the 2x2 table of right / wrong pairs
    a, b = gpt == gold, panda == gold
    table = [[int(np.sum(a & b)), int(np.sum(a & ~b))], [int(np.sum(~a & b)), int(np.sum(~a & ~b))]]
    assert res.mcnemar.p_value == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-9)
    assert res.difference.ci_low < res.difference.value < res.difference.ci_high  # type: ignore[operator]
