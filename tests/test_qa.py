"""QA with references: SQuAD / TriviaQA normalisation, exact match, contains and token F1 on
hand-computed cases, agreement with gold labels, and the qa suite end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from judgekit import JudgeConfig, RunConfig, run
from judgekit.cli import cli
from judgekit.errors import ConfigError, DataError
from judgekit.metrics.qa import contains, exact_match, lexical_score, normalize_answer, qa_agreement, token_f1
from judgekit.types import JudgeRequest


@pytest.mark.parametrize(("text", "squad", "triviaqa"), [
    ("The  Eiffel Tower!", "eiffel tower", "eiffel tower"),
    ("an apple a day", "apple day", "apple day"),
    ("Theatre of the absurd", "theatre of absurd", "theatre of absurd"),  # "the" inside a word stays
    ("U.S.A.", "usa", "u s"),  # SQuAD deletes punctuation; TriviaQA makes it a space (then "a" is an article)
    ("rock_and_roll", "rockandroll", "rock and roll"),
    ("ÉCOLE Normale", "école normale", "école normale"),  # unicode lower-cased, accents kept
    ("\u2018Paris\u2019", "\u2018paris\u2019", "paris"),  # curly apostrophes: only TriviaQA strips them
    ("\u201cParis\u201d", "\u201cparis\u201d", "\u201cparis\u201d"),  # curly double quotes: neither
    ("A", "", ""),
    ("  tab\tand\nnewline ", "tab and newline", "tab and newline"),
])
def test_normalize_answer(text: str, squad: str, triviaqa: str) -> None:
    assert normalize_answer(text, "squad") == squad
    assert normalize_answer(text, "triviaqa") == triviaqa


def test_token_f1_hand_cases() -> None:
    # [cat, sat, on, mat] vs [cat, on, mat]: P = 3/4, R = 1
    assert token_f1("the cat sat on the mat", "a cat on a mat") == pytest.approx(2 * 0.75 / 1.75)
    assert token_f1("Paris Paris", "Paris") == pytest.approx(2 / 3)  # bag of tokens: one Paris in common
    assert token_f1("London", "Paris") == 0.0
    assert token_f1("", "Paris") == 0.0
    assert token_f1("The", "the") == 0.0  # nothing left after normalisation: no common token


def test_exact_match_and_contains() -> None:
    assert exact_match("The Beatles", "beatles") == 1.0
    assert exact_match("Paris.", "paris") == 1.0
    assert exact_match("Sao Paulo", "São Paulo") == 0.0
    assert contains("The answer is Paris, France", "paris") == 1.0
    assert contains("Parisian cafés", "Paris") == 0.0  # whole tokens only
    assert contains("New York City", "york city") == 1.0
    assert contains("anything", "the") == 0.0  # an empty reference never matches
    assert lexical_score("exact_match", "shakespeare", ["William Shakespeare", "Shakespeare"]) == 1.0
    assert lexical_score("f1", "William", ["William Shakespeare", "Bill"]) == pytest.approx(2 / 3)
    assert lexical_score("contains", "x", []) == 0.0


# --------------------------------------------------------------------------- agreement with gold


def test_qa_agreement_against_sklearn() -> None:
    from sklearn.metrics import cohen_kappa_score

    accepted = [1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0]
    gold = [1, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 0]
    m = qa_agreement([bool(a) for a in accepted], [bool(g) for g in gold], n_resamples=200)
    assert m.cohen_kappa.value == pytest.approx(cohen_kappa_score(accepted, gold), abs=1e-12)
    assert m.confusion == {"true_accept": 4, "false_accept": 2, "false_reject": 2, "true_reject": 4}
    assert m.accuracy.value == pytest.approx(100 * 8 / 12)
    assert m.false_accept.value == pytest.approx(100 * 2 / 12)
    assert m.false_reject_rate.value == pytest.approx(100 * 2 / 6)
    assert m.accuracy.ci_low is not None and m.accuracy.ci_low < m.accuracy.value < m.accuracy.ci_high


# --------------------------------------------------------------------------- the suite end to end

CASES = [  # question, references, answer, gold correct
    ("Capital of France?", ["Paris"], "Paris", True),
    ("Capital of France?", ["Paris"], "It is Paris.", True),
    ("Who wrote Hamlet?", ["William Shakespeare", "Shakespeare"], "shakespeare", True),
    ("Which band recorded Abbey Road?", ["The Beatles"], "Beatles", True),
    ("When did WWII end?", ["1945"], "It ended in 1944", False),
    ("Highest mountain?", ["Mount Everest"], "Not Mount Everest but K2", False),
    ("Largest city of Brazil?", ["São Paulo"], "Sao Paulo", True),
    ("Formula of water?", ["H2O"], "Water (H\u2082O)", True),
]


def _qa_file(tmp_path: Path) -> Path:
    path = tmp_path / "qa.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for i, (q, refs, ans, ok) in enumerate(CASES):
            f.write(json.dumps({"id": f"q{i}", "question": q, "references": refs, "answer": ans,
                                "correct": ok}, ensure_ascii=False) + "\n")
    return path


# accepted cases by judge (hand-checked against the module's rules; see the comments in CASES' order):
# exact_match: 0, 2, 3;  contains: 0-3 and 5 (a false accept);  f1 >= 0.5: 0-3, 5 (F1 4/7) and 6 (F1 1/2)
EXPECTED = {
    "exact_match": {"accepted": [0, 2, 3], "accuracy": 62.5, "kappa": (0.625 - 28 / 64) / (1 - 28 / 64),
                    "fa": 0.0, "fr": 37.5},
    "contains": {"accepted": [0, 1, 2, 3, 5], "accuracy": 62.5, "kappa": (0.625 - 36 / 64) / (1 - 36 / 64),
                 "fa": 12.5, "fr": 25.0},
    "f1": {"accepted": [0, 1, 2, 3, 5, 6], "accuracy": 75.0, "kappa": (0.75 - 40 / 64) / (1 - 40 / 64),
           "fa": 12.5, "fr": 12.5},
}


@pytest.mark.parametrize("method", list(EXPECTED))
def test_lexical_judges_on_the_qa_suite(tmp_path: Path, method: str) -> None:
    res = run(RunConfig(suite="qa", data=str(_qa_file(tmp_path)), results_dir=str(tmp_path / "r"),
                        judge=JudgeConfig(backend="lexical", model=method)))
    rows = [json.loads(x) for x in (res.run_dir / "judgments.jsonl").read_text().splitlines()]
    accepted = sorted(int(r["example_id"][1:]) for r in rows if r["score"] == 1.0)
    exp = EXPECTED[method]
    assert accepted == exp["accepted"]
    assert res.report is not None and res.report.aggregation == "qa"
    overall = res.report.table("judge vs gold correctness").rows["overall"]
    assert overall["accuracy"].value == pytest.approx(exp["accuracy"])
    assert overall["Cohen's kappa"].value == pytest.approx(exp["kappa"])
    assert res.report.headline.value == pytest.approx(exp["kappa"])
    assert overall["false accepts"].value == pytest.approx(exp["fa"])
    assert overall["false rejects"].value == pytest.approx(exp["fr"])


def test_llm_judge_with_the_reference_template(tmp_path: Path) -> None:
    seen: list[str] = []

    def respond(req: JudgeRequest) -> str:
        text = req.messages[-1].content
        seen.append(text)
        if "Shakespeare" in text:
            return "Correct"
        return "I am not sure." if "1944" in text else "incorrect"

    res = run(RunConfig(suite="qa", data=str(_qa_file(tmp_path)), results_dir=str(tmp_path / "r"),
                        judge=JudgeConfig(backend="mock", model="llm", options={"responder": respond})))
    hamlet = next(t for t in seen if "Hamlet" in t)
    assert "William Shakespeare\nShakespeare\n" in hamlet and "Model Response: shakespeare" in hamlet
    rows = {r["example_id"]: r for r in map(json.loads, (res.run_dir / "judgments.jsonl").read_text().splitlines())}
    assert rows["q2"]["score"] == 1.0 and rows["q0"]["score"] == 0.0
    assert rows["q4"]["winner"] == "invalid"  # unparseable: counted, not dropped
    assert res.report is not None and res.report.counts["unread as rejected"] == 1
    # accepted only q2: TA 1, FR 5, TR 2 (q4 unread counts as rejected) -> accuracy 3/8
    assert res.report.table("judge vs gold correctness").rows["overall"]["accuracy"].value == pytest.approx(37.5)


def test_qa_cli_and_bad_input(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["run", "--suite", "qa", "--data", str(_qa_file(tmp_path)), "--judge", "lexical:f1",
                                   "--results-dir", str(tmp_path / "r"), "-q"])
    assert out.exit_code == 0, out.output
    assert "Cohen's kappa" in out.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question": "q", "references": "r", "answer": "a", "correct": "maybe"}) + "\n")
    with pytest.raises(DataError, match=r"bad.jsonl:1: field 'correct'"):
        run(RunConfig(suite="qa", data=str(bad), results_dir=str(tmp_path / "r2"),
                      judge=JudgeConfig(backend="lexical", model="f1")))
    with pytest.raises(ConfigError, match="unknown lexical judge"):
        run(RunConfig(suite="qa", data=str(_qa_file(tmp_path)), results_dir=str(tmp_path / "r3"),
                      judge=JudgeConfig(backend="lexical", model="bleu")))


def test_qa_reads_a_hub_dataset_through_the_field_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--hub-dataset: the rows come from hub_part_rows (the hub itself cannot be reached here) with
    the dataset id, split and revision asked for, and the --field mapping renames the columns."""
    from judgekit.adapters import _io

    asked = {}

    def fake_hub(suite: object, part: object) -> tuple[object, dict]:
        asked.update(hub_id=part.hub_id, split=part.hub_split, revision=part.revision)  # type: ignore[attr-defined]
        rows = [_io.Row({"q": q, "golds": refs, "pred": ans, "human": int(ok)}, "hub:org/qa", i + 1)
                for i, (q, refs, ans, ok) in enumerate(CASES)]
        return iter(rows), {"source": "hub", "id": "org/qa", "revision": "abc123"}

    monkeypatch.setattr(_io, "hub_part_rows", fake_hub)  # rows_of_split reads the hub through it
    res = run(RunConfig(suite="qa", results_dir=str(tmp_path), judge=JudgeConfig(backend="lexical", model="f1"),
                        suite_args={"hub": "org/qa", "hub_split": "validation", "revision": "abc123",
                                    "fields": {"question": "q", "references": "golds", "answer": "pred",
                                               "correct": "human"}}))
    assert asked == {"hub_id": "org/qa", "split": "validation", "revision": "abc123"}
    assert res.report is not None
    overall = res.report.table("judge vs gold correctness").rows["overall"]
    assert overall["accuracy"].value == pytest.approx(EXPECTED["f1"]["accuracy"])


def test_a_jury_of_lexical_judges(tmp_path: Path) -> None:
    """PoLL's setting: a panel judging QA answers. Majority of exact_match, contains and f1: accepts
    where two or three accept (cases 0-3 and 5), which is the contains judge's set here."""
    import numpy as np
    from statsmodels.stats.inter_rater import fleiss_kappa

    from judgekit import runner
    from judgekit.jury import JuryConfig, JuryMember, run_jury

    jury = JuryConfig(members=tuple(JuryMember(judge=JudgeConfig(backend="lexical", model=m)) for m in EXPECTED))
    res = run_jury(RunConfig(suite="qa", data=str(_qa_file(tmp_path)), results_dir=str(tmp_path),
                             judge=JudgeConfig(backend="lexical", model="f1")), jury, runner)
    rows = [json.loads(x) for x in (res.run_dir / "judgments.jsonl").read_text().splitlines()]
    assert sorted(int(r["example_id"][1:]) for r in rows if r["score"] == 1.0) == [0, 1, 2, 3, 5]
    r = res.report
    assert r.kind == "pointwise" and r.headline == "Cohen's kappa vs gold (overall)"
    assert [m.accuracy for m in r.members] == pytest.approx([EXPECTED[m]["kappa"] for m in EXPECTED])
    assert r.jury.accuracy == pytest.approx(EXPECTED["contains"]["kappa"])
    assert r.best_member == "exact_match"  # tied with f1 on kappa: the first listed
    # right = grade equals gold: jury right on 0-4, exact match on 0, 2-5; discordant 1 and 5
    assert (r.versus_best.mcnemar.b, r.versus_best.mcnemar.c) == (1, 1)
    accepted = {m: set(EXPECTED[m]["accepted"]) for m in EXPECTED}
    table = np.array([[sum(i in a for a in accepted.values()), sum(i not in a for a in accepted.values())]
                      for i in range(len(CASES))])
    assert r.agreement.fleiss_kappa == pytest.approx(fleiss_kappa(table), abs=1e-12)
