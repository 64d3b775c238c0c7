"""Juries: the vote, agreement across members, scripted judges with known error rates, and a
jury of JudgeBench's recorded judges replayed against JudgeBench's labels."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from judgekit import runner
from judgekit.cli import cli
from judgekit.errors import ConfigError
from judgekit.jury import JuryConfig, JuryMember, combine_members, load_jury, run_jury
from judgekit.metrics.panel import binomial_majority, fleiss_kappa, panel_agreement, vote
from judgekit.types import JudgeConfig, JudgeRequest, Judgment, RunConfig
from tests.conftest import output_files
from tests.test_replay_judgebench import published_scores

# --------------------------------------------------------------------------- the vote


@pytest.mark.parametrize(("winners", "kwargs", "expected"), [
    (["A", "A", "B"], {}, "A"),
    (["A", "B", "tie"], {}, "tie"),  # three-way split: no plurality
    (["A", "B"], {}, "tie"),  # even split stays a tie
    (["A", "B", "B", "A"], {}, "tie"),
    (["tie", "tie", "A"], {}, "tie"),  # a tie verdict is a vote like any other
    (["A", "invalid", "invalid"], {}, "A"),  # invalid abstains
    (["invalid", "invalid"], {}, "invalid"),
    (["A", "B", "B"], {"method": "weighted", "weights": [3.0, 1.0, 1.0]}, "A"),
    (["A", "B", "B"], {"method": "weighted", "weights": [2.0, 1.0, 1.0]}, "tie"),
    (["A", "B", "B"], {"method": "mean_prob", "p_a": [0.9, 0.4, 0.3]}, "A"),  # mean 0.5333
    (["A", "B"], {"method": "mean_prob", "p_a": [0.7, 0.3]}, "tie"),
    (["A", "B", "B"], {"method": "mean_prob"}, "B"),  # hard verdicts as 1, 0, 0 -> 1/3
    (["A", "invalid"], {"method": "mean_prob", "p_a": [0.6, None]}, "A"),
])
def test_vote(winners: list[str], kwargs: dict[str, Any], expected: str) -> None:
    assert vote(winners, **kwargs)[0] == expected  # type: ignore[arg-type]


def test_mean_prob_value() -> None:
    w, p = vote(["A", "B", "B"], method="mean_prob", p_a=[0.9, 0.4, 0.3])
    assert p == pytest.approx((0.9 + 0.4 + 0.3) / 3)


def test_binomial_majority() -> None:
    assert binomial_majority(0.7, 3) == pytest.approx(0.784)  # 0.7^3 + 3 * 0.7^2 * 0.3
    assert binomial_majority(0.7, 1) == pytest.approx(0.7)
    assert binomial_majority(0.7, 2) == pytest.approx(0.49)  # a 1-1 split is a tie, not right


# --------------------------------------------------------------------------- agreement


def test_fleiss_kappa_against_statsmodels() -> None:
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    rng = np.random.default_rng(3)
    for raters, cats in ((3, 2), (6, 3), (4, 4)):
        ratings = rng.integers(0, cats, size=(50, raters))
        ratings[:20] = ratings[:20, :1]  # some agreement
        table = np.stack([(ratings == c).sum(axis=1) for c in range(cats)], axis=1)
        assert fleiss_kappa(table) == pytest.approx(sm_fleiss(table, method="fleiss"), abs=1e-12)


def test_fleiss_kappa_hand_case() -> None:
    # two units, three raters: [3, 0] and [0, 3]: perfect agreement, P_e = 0.5 -> kappa 1
    assert fleiss_kappa([[3, 0], [0, 3]]) == pytest.approx(1.0)
    # [2, 1] on both units: P_i = (4 + 1 - 3) / 6 = 1/3, p = (2/3, 1/3), P_e = 5/9 -> (1/3 - 5/9) / (4/9) = -0.5
    assert fleiss_kappa([[2, 1], [2, 1]]) == pytest.approx(-0.5)


def test_panel_agreement_against_krippendorff() -> None:
    import krippendorff

    rng = np.random.default_rng(5)
    vals = np.array(["A", "B", "tie", "invalid"], dtype=object)
    data = vals[rng.choice(4, size=(4, 60), p=[0.45, 0.35, 0.1, 0.1])]
    data[:, :25] = data[0, :25]
    got = panel_agreement(data)
    codes = np.vectorize(lambda v: {"A": 0.0, "B": 1.0, "tie": 2.0}.get(v, np.nan))(data).astype(float)
    ref = krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal", value_domain=[0.0, 1.0, 2.0])
    assert got.krippendorff_alpha == pytest.approx(ref, abs=1e-12)
    complete = ~np.isnan(codes).any(axis=0)
    assert got.n_complete == int(complete.sum())
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    table, _ = aggregate_raters(codes[:, complete].T.astype(int), n_cat=3)
    assert got.fleiss_kappa == pytest.approx(sm_fleiss(table), abs=1e-12)


# --------------------------------------------------------------------------- combination


def _row(ex: str, order: str, winner: str, label: str = "A", status: str = "ok", sample: int = 0) -> Judgment:
    return Judgment(request_id=f"{ex}#{order}" + (f"#{sample}" if sample else ""), example_id=ex, order=order,
                    sample=sample, label=label, status=status,  # type: ignore[arg-type]
                    shown_winner=winner, winner=winner, template_hash="t")  # type: ignore[arg-type]


def test_combine_single_order_member_and_samples() -> None:
    both = {j.request_id: j for j in [_row("e", "AB", "A"), _row("e", "BA", "B")]}
    single = {j.request_id: j for j in [_row("e", "AB", "B")]}  # a reward model: one order
    sampled = {j.request_id: j for j in [_row("e", "AB", "A"), _row("e", "AB", "A", sample=1),
                                         _row("e", "AB", "B", sample=2), _row("e", "BA", "B"),
                                         _row("e", "BA", "B", sample=1), _row("e", "BA", "A", sample=2)]}
    out = combine_members([both, single, sampled])
    by = {j.order: j for j in out.rows}
    # AB: A, B (single), majority(A, A, B) = A -> A;  BA: B, B (single order reused), majority(B, B, A) = B -> B
    assert by["AB"].winner == "A" and by["BA"].winner == "B"
    assert by["BA"].shown_winner == "A"  # the shown frame of the BA order is flipped
    assert out.member_verdicts == [["A", "B"], ["B", "B"], ["A", "B"]]
    failed = {j.request_id: j for j in [_row("e", "AB", "invalid", status="error"), _row("e", "BA", "invalid",
                                                                                        status="error")]}
    out = combine_members([failed, single])
    assert [j.winner for j in out.rows] == ["B", "B"]  # the failed member abstains in both orders


# --------------------------------------------------------------------------- scripted judges


def _pairs(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "pairs.jsonl"
    with open(path, "w") as f:
        for i in range(n):
            good_first = i % 2 == 0
            a, b = (f"good {i}", f"bad {i}") if good_first else (f"bad {i}", f"good {i}")
            f.write(json.dumps({"id": f"q{i:05d}", "prompt": f"question {i}", "a": a, "b": b,
                                "label": "A" if good_first else "B"}) + "\n")
    return path


def _scripted(right: Any) -> Any:
    """A judge that picks the good response when right(model, example_id), else the bad one."""
    def respond(req: JudgeRequest) -> str:
        good = 0 if req.responses[0].startswith("good") else 1
        pick = good if right(req.example_id) else 1 - good
        return "Output (a)" if pick == 0 else "Output (b)"
    return respond


def _jury_of(rights: list[Any], aggregation: str = "majority") -> JuryConfig:
    return JuryConfig(aggregation=aggregation, members=tuple(  # type: ignore[arg-type]
        JuryMember(judge=JudgeConfig(backend="mock", model=f"judge{k}", template="vanilla",
                                     options={"responder": _scripted(r)}))
        for k, r in enumerate(rights)))


def _base(tmp_path: Path, data: Path, swap: bool | None = False) -> RunConfig:
    return RunConfig(suite="generic", data=str(data), results_dir=str(tmp_path / "results"), swap=swap,
                     judge=JudgeConfig(backend="mock", model="unused"))


def test_three_70_percent_judges_exact_binomial(tmp_path: Path) -> None:
    """1000 items whose right/wrong patterns over three judges occur in exactly the binomial
    shares (343 all right, 3 x 147 two right, 3 x 63 one right, 27 none): each judge is right on
    700, the majority on 343 + 441 = 784."""
    patterns: list[tuple[bool, bool, bool]] = []
    for bits in range(8):
        pat = tuple(bool(bits >> k & 1) for k in range(3))
        patterns += [pat] * round(1000 * 0.7 ** sum(pat) * 0.3 ** (3 - sum(pat)))  # type: ignore[list-item]
    assert len(patterns) == 1000
    rights = [lambda ex, k=k: patterns[int(ex[1:])][k] for k in range(3)]
    res = run_jury(_base(tmp_path, _pairs(tmp_path, 1000)), _jury_of(rights), runner)
    assert [m.accuracy for m in res.report.members] == [pytest.approx(70.0)] * 3
    assert res.report.jury.accuracy == pytest.approx(78.4)
    assert res.report.jury.accuracy == pytest.approx(100 * binomial_majority(0.7, 3))
    c = res.report.versus_best
    # the jury against member 0: member 0 right and the jury wrong = one right alone (63);
    # jury right, member 0 wrong = the other two right (147)
    assert (c.mcnemar.b, c.mcnemar.c) == (147, 63)
    assert c.difference.value == pytest.approx(0.084)
    assert c.difference.ci_low is not None and c.difference.ci_low > 0


def _draw(model: str, ex: str) -> float:
    return int.from_bytes(hashlib.sha256(f"{model}|{ex}".encode()).digest()[:8], "little") / 2 ** 64


def test_three_independent_70_percent_judges(tmp_path: Path) -> None:
    """Independent draws at 70 %: every member's interval covers 70, the jury's covers 78.4."""
    rights = [lambda ex, k=k: _draw(f"judge{k}", ex) < 0.7 for k in range(3)]
    res = run_jury(_base(tmp_path, _pairs(tmp_path, 2000)), _jury_of(rights), runner)
    for m in res.report.members:
        assert m.ci_low is not None and m.ci_high is not None
        assert m.ci_low <= 70.0 <= m.ci_high
    j = res.report.jury
    assert j.ci_low is not None and j.ci_high is not None
    assert j.ci_low <= 78.4 <= j.ci_high
    assert j.accuracy is not None and j.accuracy > max(m.accuracy or 0 for m in res.report.members)
    # independent members: agreement is what chance and their shared accuracy give, kappa near 0.16
    # (P_o = 0.7^3 + 0.3^3 ... ); at least, clearly positive and far below 1
    k = res.report.agreement.fleiss_kappa
    assert k is not None and 0.05 < k < 0.3


def test_adding_a_member_judges_only_it(tmp_path: Path) -> None:
    data = _pairs(tmp_path, 40)
    rights = [lambda ex, k=k: _draw(f"judge{k}", ex) < 0.7 for k in range(3)]
    first = run_jury(_base(tmp_path, data, swap=None), _jury_of(rights[:2]), runner)
    assert [r.n_sent for r in first.member_results] == [80, 80]
    second = run_jury(_base(tmp_path, data, swap=None), _jury_of(rights), runner)
    assert [r.n_sent for r in second.member_results] == [0, 0, 80]
    assert [r.n_resumed for r in second.member_results] == [80, 80, 0]
    assert second.run_id != first.run_id  # another jury, another row
    assert (first.run_dir / "jury.json").is_file() and (second.run_dir / "jury.json").is_file()


def test_jury_yaml_errors_name_file_and_field(tmp_path: Path) -> None:
    p = tmp_path / "jury.yaml"
    p.write_text("members:\n  - judge: mock:x\n    tempreature: 0.3\n")
    with pytest.raises(ConfigError, match=r"jury.yaml: members\[0\]\.tempreature"):
        load_jury(p)
    p.write_text("aggregation: median\nmembers:\n  - judge: mock:x\n  - judge: mock:y\n")
    with pytest.raises(ConfigError, match="jury.yaml: aggregation"):
        load_jury(p)
    p.write_text("name: small\naggregation: weighted\nmembers:\n  - judge: mock:x\n    weight: 2\n"
                 "  - {backend: mock, model: y, template: vanilla, sampling: {temperature: 0.5}}\n")
    jury = load_jury(p)
    assert jury.name == "small" and [m.weight for m in jury.members] == [2.0, 1.0]
    assert jury.members[1].judge.sampling == {"temperature": 0.5}


# --------------------------------------------------------------------------- JudgeBench, replayed


def _independent_jury(paths: list[Path]) -> tuple[float, float]:
    """JudgeBench's rule on the majority of the recorded decisions, written from the files; and
    Fleiss' kappa (statsmodels) over the members' un-swapped verdicts."""
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    flip = {"A>B": "B>A", "B>A": "A>B", "A=B": "A=B"}
    records = [{json.loads(x)["pair_id"]: json.loads(x) for x in p.read_text().splitlines() if x.strip()}
               for p in paths]
    correct = 0
    table = []
    for pid, rec in records[0].items():
        label = rec["label"]
        votes = 0
        for k in range(2):
            ds = [r[pid]["judgments"][k]["decision"] for r in records]
            ds = [flip.get(d, d) if k == 1 else d for d in ds]
            counts = {d: ds.count(d) for d in ("A>B", "B>A", "A=B")}
            table.append([counts["A>B"], counts["B>A"], counts["A=B"]])
            top = max(counts.values())
            leaders = [d for d, c in counts.items() if c == top]
            jury = leaders[0] if len(leaders) == 1 else "A=B"
            votes += 1 if jury == label else -1 if jury == flip[label] else 0
        correct += votes > 0
    return 100 * correct / len(records[0]), float(sm_fleiss(np.array(table)))


def test_jury_of_judgebench_judges(shared_data: Path, tmp_path: Path) -> None:
    files = [p for p in output_files(shared_data) if "gpt-4o" in p.name]
    assert len(files) == 6
    args = ["run", "--suite", "judgebench", "--split", "gpt", "--data", str(shared_data),
            "--results-dir", str(tmp_path), "-q"]
    for f in files:
        args += ["--judge", f"replay:{f}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    (jury_dir,) = (tmp_path / "runs").glob("judgebench-gpt-jury-*")
    report = json.loads((jury_dir / "jury.json").read_text())
    # every member's published accuracy, reproduced
    for member, path in zip(report["members"], files, strict=True):
        assert member["accuracy"] == pytest.approx(published_scores(path)["overall"], abs=1e-12)
    assert round(report["members"][0]["accuracy"], 2) == 65.71  # o1-mini, JudgeBench's paper
    expected, kappa = _independent_jury(files)
    assert report["jury"]["accuracy"] == pytest.approx(expected, abs=1e-12)
    assert report["agreement"]["fleiss_kappa"] == pytest.approx(kappa, abs=1e-12)
    metrics = json.loads((jury_dir / "metrics.json").read_text())
    assert metrics["accuracy"]["judgebench"]["overall"]["value"] == pytest.approx(expected, abs=1e-12)
    assert metrics["complete"] is True
    assert report["best_member"] == "o1-mini-2024-09-12"
    cmp_ = report["versus_best"]
    assert cmp_["difference"]["value"] == pytest.approx((expected - 65.71428571428571) / 100, abs=1e-12)
    assert f"{expected:.2f}" in result.output and "Fleiss' kappa" in result.output
    # the leaderboard shows the jury as a row beside its members
    out = tmp_path / "lb"
    lb = CliRunner().invoke(cli, ["leaderboard", str(tmp_path), "--suite", "judgebench", "--data",
                                  str(shared_data), "--out", str(out)])
    assert lb.exit_code == 0, lb.output
    md = (out / "judgebench.md").read_text()
    jury_line = next(line for line in md.splitlines() if "| jury-majority(" in line)
    assert f"| {expected:.2f} [" in jury_line
    assert sum(bool(re.match(r"\| \d+ \| ", line)) for line in md.splitlines()) == 7  # 6 members + the jury
    # and the report shows it beside a member
    member_dir = next(d for d in (tmp_path / "runs").iterdir() if "o1-mini" in d.name)
    rep = CliRunner().invoke(cli, ["report", str(jury_dir), "--compare", str(member_dir), "--out",
                                   str(tmp_path / "r.html")])
    assert rep.exit_code == 0, rep.output
    html = (tmp_path / "r.html").read_text()
    assert "jury-majority(o1-mini" in html and f"{expected:.2f}" in html


@pytest.mark.parametrize(("grades", "kwargs", "expected"), [
    ([1.0, 1.0, 0.0], {}, 1.0),
    ([1.0, 0.0], {}, 0.5),  # an even split: the mean of the tied grades
    ([5.0, 4.0, 4.0, 2.0], {}, 4.0),
    ([5.0, 3.0, None], {"method": "mean_prob"}, 4.0),
    ([5.0, 2.0], {"method": "weighted", "weights": [2.0, 1.0]}, 4.0),
    ([None, None], {}, None),
])
def test_vote_grades(grades: list[float | None], kwargs: dict[str, Any], expected: float | None) -> None:
    from judgekit.metrics.panel import vote_grades

    assert vote_grades(grades, **kwargs) == expected
