"""The mt_bench single-grading suite against FastChat's llm_judge (lm-sys/FastChat 0e6d3e4,
fastchat/llm_judge): the four single prompts rendered as common.py's run_judge_single formats them,
chosen per category and turn as gen_judgment.py chooses them; grades parsed as common.py parses
them; and the leaderboard equal to a pandas reimplementation of show_result.py's
display_result_single, with bootstrap intervals recomputed here from the same question resamples."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from judgekit.cli import cli
from judgekit.errors import ConfigError, DataError

pd = pytest.importorskip("pandas")

SYSTEMS = {"alpha-7b": 7, "beta-13b": 5, "gamma-70b": 3}  # name -> the scripted judge's typical grade
NEED_REF_CATS = ["math", "reasoning", "coding"]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _answers(questions: list[dict], model: str) -> list[dict]:
    return [{"question_id": q["question_id"], "answer_id": f"{model}-{q['question_id']}", "model_id": model,
             "choices": [{"index": 0, "turns": [f"{model} on {q['question_id']}: first answer {{x}}",
                                                 "" if q["question_id"] == 85 else f"{model}: second answer"]}],
             "tstamp": 0.0} for q in questions]


def fastchat_rating(judgment: str) -> float:
    """common.py run_judge_single: one_score_pattern, then its backup, else -1."""
    import ast

    match = re.search(re.compile(r"\[\[(\d+\.?\d*)\]\]"), judgment)
    if not match:
        match = re.search(re.compile(r"\[(\d+\.?\d*)\]"), judgment)
    return ast.literal_eval(match.groups()[0]) if match else -1


@pytest.fixture(scope="module")
def mt(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Three systems' answers (FastChat's model_answer/ layout) graded by a scripted judge: known
    grades, some written [g] only (FastChat's backup pattern), some unparseable (-1)."""
    tmp = tmp_path_factory.mktemp("mt_bench")
    questions = _jsonl(shared_data / "mt_bench" / "question.jsonl")
    for m in SYSTEMS:
        _write_jsonl(tmp / "model_answer" / f"{m}.jsonl", _answers(questions, m))
    rng = np.random.default_rng(12)
    script: dict[str, str] = {}
    for m, typical in SYSTEMS.items():
        for q in questions:
            for turn in (1, 2):
                g = int(np.clip(typical + rng.integers(-2, 3), 1, 10))
                r = rng.random()
                text = ("I cannot grade this." if r < 0.06 else f"Fine work. Rating: [{g}]" if r < 0.15
                        else f"Explanation... Rating: [[{g}]]. (Not [3].)")
                script[f"{m}/{q['question_id']}/{turn}#AB"] = text
    (tmp / "script.json").write_text(json.dumps(script))
    args = ["run", "--suite", "mt_bench", "--systems", str(tmp / "model_answer"), "--data", str(shared_data),
            "--judge", "mock:unused", "--option", f"script={tmp / 'script.json'}", "--results-dir",
            str(tmp / "results"), "--no-cache", "-q"]
    out = CliRunner().invoke(cli, args, env={"COLUMNS": "200"})
    assert out.exit_code == 0, (out.output, out.exception)
    [run_dir] = list((tmp / "results" / "runs").glob("*"))
    return {"tmp": tmp, "questions": questions, "script": script, "output": out.output, "run_dir": run_dir,
            "doc": json.loads((run_dir / "metrics.json").read_text()), "args": args}


def _fastchat_judgments(mt: dict) -> pd.DataFrame:
    """What gen_judgment.py --mode single writes (model, question_id, turn, score), one row per match."""
    rows = [{"model": m, "question_id": q["question_id"], "turn": t,
             "score": fastchat_rating(mt["script"][f"{m}/{q['question_id']}/{t}#AB"])}
            for m in SYSTEMS for q in mt["questions"] for t in (1, 2)]
    return pd.DataFrame(rows)


def test_leaderboard_equals_show_result(mt: dict) -> None:
    """show_result.py display_result_single, reimplemented: df[score != -1]; per turn and overall
    groupby(model).mean(), sorted by score."""
    df_all = _fastchat_judgments(mt)
    df = df_all[["model", "score", "turn"]]
    df = df[df["score"] != -1]
    df_1 = df[df["turn"] == 1].groupby(["model", "turn"]).mean()
    df_2 = df[df["turn"] == 2].groupby(["model", "turn"]).mean()
    df_3 = df[["model", "score"]].groupby(["model"]).mean().sort_values(by="score", ascending=False)
    table = mt["doc"]["suite_report"]["tables"][0]
    rows = table["rows"]
    assert list(rows) == df_3.index.tolist()  # best overall first
    for m in SYSTEMS:
        assert rows[m]["turn_1"]["value"] == pytest.approx(df_1.loc[(m, 1), "score"], abs=1e-12)
        assert rows[m]["turn_2"]["value"] == pytest.approx(df_2.loc[(m, 2), "score"], abs=1e-12)
        assert rows[m]["overall"]["value"] == pytest.approx(df_3.loc[m, "score"], abs=1e-12)
        assert rows[m]["n_scored"]["value"] == int((df.model == m).sum())
        assert rows[m]["n_invalid"]["value"] == int(((df_all.model == m) & (df_all.score == -1)).sum()) > 0
    doc = mt["doc"]
    top = df_3.index[0]
    assert doc["suite_report"]["headline"]["value"] == pytest.approx(df_3.loc[top, "score"], abs=1e-12)
    assert doc["suite_report"]["counts"]["invalid"] == int((df_all.score == -1).sum())
    # printed: the overall score of each system with two decimals
    for m in SYSTEMS:
        line = next(ln for ln in mt["output"].splitlines() if f" {m} " in ln)
        assert f"{df_3.loc[m, 'score']:.2f}" in line


def test_intervals_resample_questions(mt: dict) -> None:
    """The 95 % intervals: the same 1,000 resamples of the 80 questions for every system, each mean
    recomputed over the kept grades of the resampled questions (a question drawn twice counts twice)."""
    from judgekit.metrics.stats import rng_for

    df = _fastchat_judgments(mt)
    df = df[df["score"] != -1]
    qids = [q["question_id"] for q in mt["questions"]]
    pos = {qid: k for k, qid in enumerate(qids)}
    draws = rng_for(0, "mt_bench", "questions").integers(0, len(qids), size=(1000, len(qids)))
    rows = mt["doc"]["suite_report"]["tables"][0]["rows"]
    for m in SYSTEMS:
        for column, sub in (("overall", df[df.model == m]), ("turn_1", df[(df.model == m) & (df.turn == 1)]),
                            ("turn_2", df[(df.model == m) & (df.turn == 2)])):
            k = sub.question_id.map(pos).to_numpy()
            scores = sub.score.to_numpy(dtype=float)
            reps = []
            for d in draws:
                weight = np.bincount(d, minlength=len(qids))[k]  # how often each kept grade's question was drawn
                reps.append((weight * scores).sum() / weight.sum())
            lo, hi = np.quantile(reps, [0.025, 0.975])
            got = rows[m][column]
            assert got["ci_low"] == pytest.approx(lo, abs=1e-12) and got["ci_high"] == pytest.approx(hi, abs=1e-12)
            assert got["ci_low"] < got["value"] < got["ci_high"]


def test_prompts_and_references_as_fastchat(mt: dict, shared_data: Path) -> None:
    """Every example renders as run_judge_single formats its match: single-v1 / single-math-v1 on turn 1,
    the multi-turn prompts on turn 2, the reference ones exactly for NEED_REF_CATS."""
    from judgekit.adapters.mt_bench import NEED_REF_CATS as ours
    from judgekit.prompts import load_template
    from judgekit.runner import with_args
    from judgekit.suites import load_suite

    assert list(ours) == NEED_REF_CATS
    from judgekit.adapters import load_examples

    suite = with_args(load_suite("mt_bench"), {"systems": [str(mt["tmp"] / "model_answer" / "beta-13b.jsonl")]})
    examples = load_examples(suite, None, str(shared_data)).examples
    assert len(examples) == 160
    prompts = {p["name"]: p for p in _jsonl(shared_data / "mt_bench" / "judge_prompts.jsonl")}
    refs = {r["question_id"]: r for r in _jsonl(shared_data / "mt_bench" / "reference_answer_gpt-4.jsonl")}
    answers = {a["question_id"]: a for a in _answers(mt["questions"], "beta-13b")}
    template = load_template("mt_bench_single_v1")
    used = set()
    for q in mt["questions"]:
        for turn in (1, 2):
            [ex] = [e for e in examples if e.id == f"beta-13b/{q['question_id']}/{turn}"]
            ref, multi = (refs[q["question_id"]] if q["category"] in NEED_REF_CATS else None), turn == 2
            name = ("single-math-v1" if ref else "single-v1") + ("-multi-turn" if multi else "")
            used.add(name)
            kwargs = {}
            if ref is not None:
                kwargs["ref_answer_1"] = ref["choices"][0]["turns"][0]
                if multi:
                    kwargs["ref_answer_2"] = ref["choices"][0]["turns"][1]
            a = answers[q["question_id"]]["choices"][0]["turns"]
            if multi:
                user = prompts[name]["prompt_template"].format(question_1=q["turns"][0], question_2=q["turns"][1],
                                                              answer_1=a[0], answer_2=a[1], **kwargs)
            else:
                user = prompts[name]["prompt_template"].format(question=q["turns"][0], answer=a[0], **kwargs)
            (system, message), _ = template.render(ex)
            assert (system.content, message.content) == (prompts[name]["system_prompt"], user), (q["question_id"], turn)
            assert ex.metadata["aggregate"]["turn"] == turn and ex.category == "beta-13b"
    assert used == {"single-v1", "single-math-v1", "single-v1-multi-turn", "single-math-v1-multi-turn"}
    empty = next(e for e in examples if e.id == "beta-13b/85/2")
    assert empty.response == ""  # an empty answer is kept and graded as it is


@pytest.mark.parametrize("text", ["Rating: [[7]]", "[[7.5]] then [[2]]", "no double brackets: [6]", "[8] but [[3]]",
                                  "[[10]]", "[[11]]", "[[0]]", "none here", "[[ 5 ]]", "Rating: 7/10", "[[7.]]"])
def test_grades_parse_as_fastchat(text: str) -> None:
    from judgekit.prompts import load_template

    v = load_template("mt_bench_single_v1").parse(text)
    expected = fastchat_rating(text)
    if expected == -1:
        assert v.winner == "invalid" and v.score is None
    else:
        assert v.winner == "A" and v.score == pytest.approx(float(expected))


def test_rerun_and_added_system_judge_only_whats_new(mt: dict, shared_data: Path) -> None:
    """Stored and resumable: the same command sends nothing; a fourth system judges only its 160 grades,
    and its leaderboard row joins the others'."""
    again = CliRunner().invoke(cli, mt["args"], env={"COLUMNS": "200"})
    assert again.exit_code == 0, again.output
    assert "resumed 480, from cache 0, sent 0" in again.output
    tmp = mt["tmp"]
    _write_jsonl(tmp / "model_answer" / "delta-1b.jsonl", _answers(mt["questions"], "delta-1b"))
    try:
        more = CliRunner().invoke(cli, mt["args"], env={"COLUMNS": "200"})
        assert more.exit_code == 0, more.output
        assert "resumed 480, from cache 0, sent 160" in more.output
        assert [p.name for p in (tmp / "results" / "runs").iterdir()] == [mt["run_dir"].name]
        doc = json.loads((mt["run_dir"] / "metrics.json").read_text())
        rows = doc["suite_report"]["tables"][0]["rows"]
        assert set(rows) == {*SYSTEMS, "delta-1b"}
        # the script has no line for it: the mock answers "unused", no grade, every one invalid and counted
        assert (rows["delta-1b"]["n_scored"]["value"], rows["delta-1b"]["n_invalid"]["value"]) == (0, 160)
        assert rows["delta-1b"]["overall"]["value"] is None and list(rows)[-1] == "delta-1b"
    finally:
        (tmp / "model_answer" / "delta-1b.jsonl").unlink()


def _load(shared_data: Path | None, *files: Path) -> None:
    from judgekit.adapters import load_examples
    from judgekit.runner import with_args
    from judgekit.suites import load_suite

    load_examples(with_args(load_suite("mt_bench"), {"systems": [str(f) for f in files]}), None,
                  None if shared_data is None else str(shared_data))


def test_bad_answer_files_name_file_line_field(shared_data: Path, tmp_path: Path) -> None:
    questions = _jsonl(shared_data / "mt_bench" / "question.jsonl")
    good = _answers(questions, "m")
    f = tmp_path / "model_answer" / "m.jsonl"
    _write_jsonl(f, [*good[:3], {**good[3], "question_id": 999}, *good[4:]])
    with pytest.raises(DataError, match=r"m.jsonl:4: field 'question_id': question_id 999 is not one of the 80 "):
        _load(shared_data, f)
    _write_jsonl(f, [*good, good[5]])
    with pytest.raises(DataError, match=r"m.jsonl:81: field 'question_id': a second answer to question 86 "
                                        r"\(the first is on line 6\)"):
        _load(shared_data, f)
    one_turn = {**good[9], "choices": [{"index": 0, "turns": ["only the first"]}]}
    _write_jsonl(f, [*good[:9], one_turn, *good[10:]])
    with pytest.raises(DataError, match=r"m.jsonl:10: field 'choices\[0\].turns': 1 turn\(s\) answered; question 90 "
                                        "has 2"):
        _load(shared_data, f)
    _write_jsonl(f, [*good[:2], {k: v for k, v in good[2].items() if k != "choices"}, *good[3:]])
    with pytest.raises(DataError, match=r"m.jsonl:3: field 'choices': missing"):
        _load(shared_data, f)
    _write_jsonl(f, [*good[:2], {**good[2], "choices": [{"turns": ["a", 7]}]}, *good[3:]])
    with pytest.raises(DataError, match=r"m.jsonl:3: field 'choices\[0\].turns': turn 2: expected text, got int"):
        _load(shared_data, f)
    _write_jsonl(f, good[:78])
    with pytest.raises(DataError, match=r"m.jsonl: field 'question_id': no answer to 2 of the 80 questions "
                                        r"\(159, 160\)"):
        _load(shared_data, f)
    with pytest.raises(ConfigError, match=r"--systems .*nope.jsonl: no such file or folder"):
        _load(shared_data, tmp_path / "nope.jsonl")


def test_missing_reference_names_the_reference_file(shared_data: Path, tmp_path: Path) -> None:
    root = tmp_path / "data" / "mt_bench"
    questions = _jsonl(shared_data / "mt_bench" / "question.jsonl")
    _write_jsonl(root / "question.jsonl", questions)
    refs = [r for r in _jsonl(shared_data / "mt_bench" / "reference_answer_gpt-4.jsonl") if r["question_id"] != 111]
    _write_jsonl(root / "reference_answer" / "gpt-4.jsonl", refs)  # FastChat's own layout
    f = _write_jsonl(root / "model_answer" / "m.jsonl", _answers(questions, "m"))
    with pytest.raises(DataError, match=r"gpt-4.jsonl: field 'question_id': no reference answer to question\(s\) 111"):
        _load(None, f)  # found beside model_answer/ (no --data)


def test_leaderboard_and_report_from_stored_runs(mt: dict, tmp_path: Path) -> None:
    """`judgekit leaderboard` regenerates the per-turn and overall grades with their intervals from the
    stored judgments; `judgekit report` shows the same ranking."""
    from judgekit.metrics.interval import Score
    from judgekit.views.format import with_ci

    out = CliRunner().invoke(cli, ["leaderboard", str(mt["tmp"] / "results"), "--suite", "mt_bench", "--format",
                                   "json,md,csv", "--out", str(tmp_path)], env={"COLUMNS": "200"})
    assert out.exit_code == 0, (out.output, out.exception)
    board = json.loads((tmp_path / "mt_bench.json").read_text())
    assert board["kind"] == "grades" and board["grade_names"] == ["overall", "turn_1", "turn_2"]
    rows = mt["doc"]["suite_report"]["tables"][0]["rows"]
    got = {r["model"]: r for r in board["grades"]}
    md = (tmp_path / "mt_bench.md").read_text()
    # (a system added by an earlier test, graded all invalid, ranks last)
    assert [r["model"] for r in sorted(board["grades"], key=lambda r: r["rank"]) if r["model"] in SYSTEMS] == list(rows)
    for m in SYSTEMS:
        for c in ("overall", "turn_1", "turn_2"):
            for k in ("value", "ci_low", "ci_high"):
                assert got[m]["grades"][c][k] == pytest.approx(rows[m][c][k], abs=5e-5)
            assert with_ci(Score(**{k: rows[m][c][k] for k in ("value", "ci_low", "ci_high", "n")})) in md
        assert (got[m]["n_scored"], got[m]["n_invalid"]) == (rows[m]["n_scored"]["value"], rows[m]["n_invalid"]["value"])
    report = tmp_path / "report.html"
    out = CliRunner().invoke(cli, ["report", str(mt["run_dir"]), "--out", str(report)])
    assert out.exit_code == 0, (out.output, out.exception)
    text = report.read_text()
    section = text[text.index("<h2>System rankings</h2>"):text.index("<h2>Invalid verdicts</h2>")]
    for m in SYSTEMS:
        assert f"<td class=\"t\">{m}</td><td>{rows[m]['overall']['value']:.2f} " in section


def test_leaderboard_refuses_a_partial_run(mt: dict, shared_data: Path, tmp_path: Path) -> None:
    """The same manifest guard as the other systems suites: a run that is not whole is refused (or
    left out with --skip-mismatched)."""
    import shutil

    results = tmp_path / "results"
    shutil.copytree(mt["tmp"] / "results", results)
    swap = {str(mt["tmp"] / "results"): str(results), "mock:unused": "mock:[[4]]"}
    args = [swap.get(a, a) for a in mt["args"]]
    out = CliRunner().invoke(cli, [*args, "--limit", "10"], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    out = CliRunner().invoke(cli, ["leaderboard", str(results), "--suite", "mt_bench", "--out", str(tmp_path / "lb")])
    assert out.exit_code != 0 and "partial run (--limit 10)" in out.output + str(out.exception)
    out = CliRunner().invoke(cli, ["leaderboard", str(results), "--suite", "mt_bench", "--skip-mismatched", "--format",
                                   "json", "--out", str(tmp_path / "lb")])
    assert out.exit_code == 0, out.output
    board = json.loads((tmp_path / "lb" / "mt_bench.json").read_text())
    assert {r["annotator"] for r in board["grades"]} == {"unused"} and len(board["excluded"]) == 1


def test_readme_quotes_this_run(mt: dict) -> None:
    """The README's MT-Bench example is this scripted run: its rows are the run's figures."""
    from judgekit.metrics.interval import Score
    from judgekit.views.format import with_ci

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    rows = mt["doc"]["suite_report"]["tables"][0]["rows"]
    for k, (m, row) in enumerate(rows.items(), start=1):
        cells = [with_ci(Score(**{f: row[c][f] for f in ("value", "ci_low", "ci_high", "n")}))
                 for c in ("overall", "turn_1", "turn_2")]
        expected = f"{k} {m:<12} " + "  ".join(cells) + f"  {row['n_scored']['value']:8.0f}  {row['n_invalid']['value']:9.0f}"
        assert expected in readme, expected


def test_run_identity_follows_content_not_folder(mt: dict, shared_data: Path, tmp_path: Path) -> None:
    """The questions and references enter the run's identity by content: the same data in another
    folder is the same run; a changed question is another."""
    import shutil

    from judgekit import runner
    from judgekit.types import JudgeConfig, RunConfig

    copy = tmp_path / "copy"
    shutil.copytree(shared_data / "mt_bench", copy / "mt_bench")

    def run_id(data: Path) -> str:
        cfg = RunConfig(suite="mt_bench", data=str(data), judge=JudgeConfig(backend="mock", model="[[5]]"),
                        suite_args={"systems": [str(mt["tmp"] / "model_answer" / "alpha-7b.jsonl")]},
                        results_dir=str(tmp_path / "r"), use_cache=False)
        return runner.prepare(cfg).run_id

    first = run_id(shared_data)
    assert run_id(copy) == first
    q = copy / "mt_bench" / "question.jsonl"
    q.write_text(q.read_text().replace("Compose an engaging travel blog", "Compose a travel blog"))
    assert run_id(copy) != first
