"""The probes' transforms (deterministic, seeded, recorded) and the audit's statistics against hand
computations and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from judgekit.errors import ConfigError
from judgekit.probes import get_probe, probe_names, probes_for
from judgekit.probes.bandwagon import CUE_RE
from judgekit.probes.base import Probe, base_id
from judgekit.probes.effects import (
    first_shift,
    flagged,
    instability,
    mean_effect,
    pick_score,
    sign_test,
    spread_ratio,
    target_shift,
)
from judgekit.probes.stability import paraphrase
from judgekit.probes.verbosity import FILLER, shorten
from judgekit.types import PairExample, PointExample

EX = PairExample(id="q1", prompt="What is 2+2? I do not know.", response_a="4.", response_b="It is 5, clearly.",
                 label="A")


def test_registry() -> None:
    names = probe_names()
    assert {"position", "verbosity", "authority", "bandwagon", "refinement", "sentiment", "stability",
            "self_preference", "central_tendency", "anchoring", "calibration"} <= set(names)
    assert {p.name for p in probes_for("pointwise")} == {"central_tendency", "anchoring"}
    assert "anchoring" not in {p.name for p in probes_for("pairwise")}
    with pytest.raises(ConfigError, match="known probes: .*position"):
        get_probe("nosuch")

    class Twin(Probe):
        name = "verbosity"
        description = paper = ""
        statistic = "target_shift"

    from judgekit.registry import probes

    with pytest.raises(ConfigError, match="registered twice"):
        probes.register("verbosity")(Twin)


@pytest.mark.parametrize("name", ["verbosity", "authority", "bandwagon", "refinement", "sentiment", "stability"])
def test_transforms_are_seeded_and_keep_the_content(name: str) -> None:
    probe = get_probe(name)
    for v in probe.variants():
        for order in ("AB", "BA"):
            a = probe.transform(EX, v, order, 0)  # type: ignore[arg-type]
            if a is None:
                continue
            assert a == probe.transform(EX, v, order, 0)  # type: ignore[arg-type]
            assert base_id(a.id) == ("q1", v.name)
            assert isinstance(a, PairExample) and a.label == EX.label
            if v.target == "worse":  # the better response untouched unless the variant shortens it
                assert a.response_a == EX.response_a or v.params.get("edit") == "better"
                assert EX.response_b.strip() in a.response_b or v.params.get("edit") == "better"
    record = probe.record(7)
    assert record["seed"] == 7 and record["name"] == name and len(record["variants"]) == len(probe.variants())


def test_verbosity_padding_is_content_free_and_sized() -> None:
    probe = get_probe("verbosity")
    for v in probe.variants()[:3]:
        out = probe.transform(EX, v, "AB", 0)
        assert isinstance(out, PairExample)
        added = out.response_b[len(EX.response_b):]
        want = max(80, round(len(EX.response_b) * v.params["added_fraction"]))
        assert len(added.strip()) >= want
        assert all(s in FILLER for s in added.strip().split(". ") for s in [s if s.endswith(".") else s + "."])
    assert shorten("One.\n\nTwo.\n\nIn summary, one and two.") == "One.\n\nTwo."
    assert shorten("One.\n\nIn summary, one.") is None  # too little would be left
    assert shorten("One.\n\nTwo.\n\nThree.") is None  # nothing safe to drop


def test_bandwagon_names_the_same_response_in_both_orders() -> None:
    probe = get_probe("bandwagon")
    for v in probe.variants():
        target = probe.target(EX, v)
        for order in ("AB", "BA"):
            out = probe.transform(EX, v, order, 0)  # type: ignore[arg-type]
            assert out is not None
            slot = CUE_RE.search(out.prompt).group(1)  # type: ignore[union-attr]
            shown = (EX.response_a, EX.response_b) if order == "AB" else (EX.response_b, EX.response_a)
            named = shown[0] if slot == "first" else shown[1]
            assert named == (EX.response_a if target == "A" else EX.response_b)
    assert probe.target(EX, probe.variants()[0]) == "B"  # cue-worse names the worse response


def test_paraphrase_rules() -> None:
    outs = {paraphrase("What is it? I do not know.", 0, f"k{i}") for i in range(12)}
    assert len(outs) > 2  # wrappers and contraction directions vary by example
    for o in outs:
        assert ("What's it? I don't know." in o) or ("What is it? I do not know." in o)
    assert "Do not" in paraphrase("Don't stop.", 0, "k1") or "Don't" in paraphrase("Don't stop.", 0, "k1")


def test_pick_score_and_target_shift_hand_case() -> None:
    assert pick_score(np.array(["A", "B", "tie", "invalid"], dtype=object),
                      np.array(["A", "A", "A", "A"], dtype=object)).tolist()[:3] == [1.0, 0.0, 0.5]
    # three examples, two orders; target B everywhere
    base = np.array(["A", "A", "A", "B", "B", "B"], dtype=object)
    pert = np.array(["B", "B", "A", "B", "A", "invalid"], dtype=object)
    target = np.array(["B"] * 6, dtype=object)
    ex = np.array([0, 0, 1, 1, 2, 2])
    est, flips, back, units = target_shift(base, pert, target, ex, n_resamples=200)
    # per example: (1 + 1) / 2 = 1, (0 + 0) / 2 = 0, (-1) / 1 = -1 (the invalid unit dropped)
    assert est.value == pytest.approx(0.0)
    assert (flips, back, units) == (2, 1, 5)
    assert est.n == 3
    assert est.p_value == pytest.approx(stats.binomtest(1, 2).pvalue)


def test_first_shift_and_instability_hand_case() -> None:
    shown = np.array(["A", "A", "A", "B", "tie", "invalid"], dtype=object)
    ex = np.array([0, 0, 1, 1, 2, 2])
    assert first_shift(shown, ex, n_resamples=100).value == pytest.approx((1 + 0 + 0) / 3)
    b = np.array(["A", "A", "B", "B"], dtype=object)
    r = np.array(["A", "B", "B", "B"], dtype=object)
    p = np.array(["B", "B", "A", "B"], dtype=object)
    est, agree_r, agree_p = instability(b, r, p, np.array([0, 0, 1, 1]), n_resamples=100)
    # example 0: flips (1,1) vs (0,1) -> 0.5; example 1: (1,0) vs (0,0) -> 0.5
    assert est.value == pytest.approx(0.5)
    assert agree_r == pytest.approx(0.75) and agree_p == pytest.approx(0.25)


def test_mean_effect_interval_and_sign_test() -> None:
    rng = np.random.default_rng(1)
    d = rng.choice([-1.0, 0.0, 1.0], p=[0.2, 0.4, 0.4], size=300)
    est = mean_effect(d, seed=3)
    assert est.value == pytest.approx(d.mean())
    se = d.std(ddof=1) / math.sqrt(d.size)
    assert est.ci_low == pytest.approx(d.mean() - 1.96 * se, abs=0.02)
    assert est.ci_high == pytest.approx(d.mean() + 1.96 * se, abs=0.02)
    assert sign_test(d) == pytest.approx(stats.binomtest(int((d > 0).sum()), int((d != 0).sum())).pvalue)
    assert flagged(est, 0.0) and flagged(est, 0.0, 0.05)
    assert not flagged(est, 0.0, est.p_value / 2)  # the paired test must agree too (alpha below p)


def test_spread_ratio_against_pitman_morgan() -> None:
    rng = np.random.default_rng(2)
    gold = rng.integers(1, 6, size=80).astype(float)
    judge = np.clip(np.round(3 + 0.6 * (gold - 3) + rng.normal(0, 0.5, 80)), 1, 5)
    est = spread_ratio(judge, gold, n_resamples=500)
    assert est.value == pytest.approx(judge.std(ddof=1) / gold.std(ddof=1))
    # Pitman-Morgan's t from the variance ratio F and the correlation r (Snedecor & Cochran, 1989)
    f = judge.var(ddof=1) / gold.var(ddof=1)
    r = np.corrcoef(judge, gold)[0, 1]
    n = gold.size
    t = (f - 1) * math.sqrt(n - 2) / (2 * math.sqrt(f * (1 - r * r)))
    assert est.p_value == pytest.approx(2 * stats.t.sf(abs(t), n - 2), rel=1e-6)
    assert est.ci_low < est.value < est.ci_high  # type: ignore[operator]


def test_pointwise_probe_applies_to_point_examples() -> None:
    pt = PointExample(id="p", prompt="q", response="r", score=4)
    a = get_probe("anchoring")
    low, high = a.variants()
    out = a.transform(pt, high, "AB", 0)
    assert isinstance(out, PointExample) and out.prompt.endswith("a score of 5.")
    assert a.transform(EX, low, "AB", 0) is None
