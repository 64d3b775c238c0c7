"""The alpaca_eval systems suite: AlpacaEval's leaderboard reproduced from its recorded annotations,
length_controlled_v1 against an independent reimplementation, resume, bad input."""

from __future__ import annotations

import csv
import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from judgekit import runner
from judgekit.cli import cli
from judgekit.errors import ConfigError, DataError
from judgekit.metrics import alpaca_glm
from judgekit.types import JudgeConfig, RunConfig

pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")

SYSTEMS = ["alpaca-7b", "alpaca-7b_concise", "alpaca-7b_verbose", "falcon-7b-instruct", "gemma-7b-it",
           "gpt-3.5-turbo-1106_concise", "gpt-3.5-turbo-1106_verbose", "phi-2-sft"]


@pytest.fixture(scope="module")
def replayed_run(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, Path]:
    """`judgekit run --suite alpaca_eval` with AlpacaEval's recorded GPT-4-Turbo annotations as the judge."""
    results = tmp_path_factory.mktemp("alpaca_results")
    res = shared_data / "alpaca_eval" / "results"
    out = CliRunner().invoke(cli, ["run", "--suite", "alpaca_eval", "--systems", str(res), "--judge",
                                   f"replay:{res}", "--results-dir", str(results), "-q"],
                             env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    [metrics] = list((results / "runs").glob("*/metrics.json"))
    return json.loads(metrics.read_text()), out.output, results


@pytest.fixture(scope="module")
def replayed(replayed_run: tuple[dict, str, Path]) -> tuple[dict, str]:
    return replayed_run[0], replayed_run[1]


def test_replay_reproduces_the_official_leaderboard(replayed: tuple[dict, str], shared_data: Path) -> None:
    doc, _ = replayed
    [table] = doc["suite_report"]["tables"]
    rows = table["rows"]
    with open(shared_data / "alpaca_eval" / "leaderboard_subset.csv", newline="") as f:
        official = {r[""]: r for r in csv.DictReader(f)}
    assert set(official) == set(SYSTEMS) | {"gpt4_1106_preview"}
    for name, ref in official.items():
        mine = rows[name]
        for col in ("win_rate", "standard_error", "discrete_win_rate"):
            assert round(mine[col]["value"], 4) == round(float(ref[col]), 4), (name, col)
        for col in ("n_wins", "n_wins_base", "n_draws", "n_total", "avg_length"):
            assert int(mine[col]["value"]) == int(ref[col]), (name, col)
    assert doc["suite_report"]["counts"]["judgments"] == 2 * (8 * 805 - 4)  # both orders; 4 outputs missing
    assert doc["suite_report"]["counts"]["missing_outputs"] == 4


def test_replay_prints_the_leaderboard_and_says_lc_is_estimated(replayed: tuple[dict, str]) -> None:
    doc, text = replayed
    # the printed rows carry the same figures: gemma-7b-it's win rate and counts
    line = next(ln for ln in text.splitlines() if "gemma-7b-it" in ln)
    assert "6.94" in line and "50/754/1/805" in line and "1115" in line
    assert "ESTIMATED" in text and "length_controlled_noreg" in text
    # the estimate lands within 2 points of AlpacaEval's published LC on every system (README's table)
    rows = doc["suite_report"]["tables"][0]["rows"]
    assert rows["gpt4_1106_preview"]["lc_win_rate"]["value"] == 50.0
    order = [s for s in rows if s != "gpt4_1106_preview"]
    assert order[0] == "gpt-3.5-turbo-1106_verbose"  # sorted by LC, as AlpacaEval 2 sorts


def test_lc_estimate_distance_from_official(replayed: tuple[dict, str], shared_data: Path) -> None:
    doc, _ = replayed
    rows = doc["suite_report"]["tables"][0]["rows"]
    with open(shared_data / "alpaca_eval" / "leaderboard_subset.csv", newline="") as f:
        official = {r[""]: float(r["length_controlled_winrate"]) for r in csv.DictReader(f)}
    diffs = {s: rows[s]["lc_win_rate"]["value"] - official[s] for s in SYSTEMS}
    # the figures the README states (estimated difficulty, no gamed baselines), to 2 decimals
    expected = {"gpt-3.5-turbo-1106_verbose": -1.70, "gpt-3.5-turbo-1106_concise": -1.13, "gemma-7b-it": -1.30,
                "alpaca-7b_verbose": -1.89, "alpaca-7b": 0.79, "phi-2-sft": -0.94, "alpaca-7b_concise": 0.54,
                "falcon-7b-instruct": -0.54}
    for s, d in expected.items():
        assert diffs[s] == pytest.approx(d, abs=0.006), s


# ----------------------------------------------------------------------------- length_controlled_v1


def _reference_lc(pref: np.ndarray, len_sys: np.ndarray, len_base: np.ndarray, difficulty: np.ndarray,
                  gamed: pd.DataFrame | None) -> tuple[float, float, np.ndarray]:
    """AlpacaEval's get_length_controlled_winrate for length_controlled_v1, rewritten with pandas
    DataFrames and sklearn's global metadata-routing switch as AlpacaEval's code does it."""
    import sklearn
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.metrics import make_scorer
    from sklearn.model_selection import GroupKFold

    df = pd.DataFrame({"preference": pref, "index": np.arange(pref.size)})
    delta = pd.Series(len_base) - pd.Series(len_sys)
    df["std_delta_len"] = delta / delta.std()
    df["preference"] = df["preference"].astype(float).replace({0.0: 1.5}) - 1
    df["instruction_difficulty"] = difficulty
    df["not_gamed_baseline"] = True
    test = df[["instruction_difficulty", "not_gamed_baseline"]].copy()
    test["std_delta_len"] = 0

    def design(d: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"tanh": np.tanh(d["std_delta_len"].astype(float)),
                             "instruction_difficulty": d["instruction_difficulty"].astype(float),
                             "ngb": d["not_gamed_baseline"].astype(float)})

    if gamed is not None:
        train = pd.concat([gamed, df], axis=0)
        sw = train["not_gamed_baseline"].astype(float) + (0.2 * (~train["not_gamed_baseline"])).astype(float) / 2
    else:
        train, sw = df, None
    X = design(train)
    X["preference"] = train["preference"].to_numpy()
    keep = X["preference"].notna().to_numpy()
    X = X[keep]
    sw = None if sw is None else sw[keep]

    def logloss_continuous(y_true, y_pred, true_prob, true_sample_weight=None):  # type: ignore[no-untyped-def]
        y = np.where(y_true == 1, true_prob, 1 - true_prob)
        p = np.clip(y_pred, 1e-15, 1 - 1e-15)
        ll = y * np.log(p) + (1 - y) * np.log(1 - p)
        if true_sample_weight is not None:
            ll = ll * true_sample_weight
        return -np.mean(ll)

    data = X.reset_index(drop=True).reset_index(drop=False, names=["group"])
    d1 = data.copy()
    d1["y"] = 1
    d0 = data.copy()
    d0["preference"] = 1 - d0["preference"]
    d0["y"] = 0
    dup = pd.concat([d1, d0], axis=0).reset_index(drop=True)
    true_prob = dup["preference"]
    if sw is None:
        true_sw = None
        weight = true_prob
    else:
        true_sw = np.concatenate([sw, sw])
        weight = true_prob * true_sw
    sklearn.set_config(enable_metadata_routing=True)
    try:
        scorer = make_scorer(logloss_continuous, response_method="predict_proba",
                             greater_is_better=False).set_score_request(true_sample_weight=True, true_prob=True)
        model = LogisticRegressionCV(cv=GroupKFold(n_splits=5), scoring=scorer, random_state=123, dual=False,
                                     penalty="l1", solver="liblinear", n_jobs=None, fit_intercept=False)
        model.set_fit_request(sample_weight=True)
        model.fit(X=dup.drop(columns=["preference", "y", "group"]), y=dup["y"], sample_weight=weight,
                  groups=dup["group"], true_sample_weight=true_sw, true_prob=true_prob)
    finally:
        sklearn.set_config(enable_metadata_routing=False)
    pred = model.predict_proba(design(test))[:, 1]
    return float(pred.mean() * 100), float(pd.Series(pred).sem() * 100), model.coef_[0]


@pytest.mark.parametrize("with_gamed", [False, True])
def test_length_controlled_v1_matches_a_reimplementation(shared_data: Path, with_gamed: bool) -> None:
    ann = json.loads((shared_data / "alpaca_eval" / "results" / "gemma-7b-it" / "weighted_alpaca_eval_gpt4_turbo"
                      / "annotations.json").read_text())[:300]
    pref = np.array([a["preference"] for a in ann], dtype=float)
    pref[7] = np.nan  # a missing preference: left out of the fit, counted
    ls = np.array([len(a["output_2"]) for a in ann], dtype=float)
    lb = np.array([len(a["output_1"]) for a in ann], dtype=float)
    rng = np.random.default_rng(5)
    difficulty = rng.normal(0, 1, pref.size)
    gamed = None
    gamed_df = None
    if with_gamed:
        n = 2 * pref.size
        idx = np.tile(np.arange(pref.size), 2)
        sdl = rng.normal(0, 1, n)
        gp = 1 / (1 + np.exp(-(0.2 - 1.5 * np.tanh(sdl) + 0.5 * difficulty[idx] + rng.normal(0, 1, n))))
        gamed_df = pd.DataFrame({"preference": gp, "index": idx, "std_delta_len": sdl,
                                 "instruction_difficulty": difficulty[idx], "not_gamed_baseline": False})
        gamed = alpaca_glm.GamedAnnotations(index=idx.tolist(), preference=gp.tolist(), std_delta_len=sdl.tolist(),
                                            instruction_difficulty=difficulty[idx].tolist())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        mine = alpaca_glm.length_controlled_v1(pref, ls, lb, difficulty, gamed)
        lc, se, coef = _reference_lc(pref, ls, lb, difficulty, gamed_df)
    assert mine.lc_win_rate == pytest.approx(lc, abs=1e-9)
    assert mine.lc_standard_error == pytest.approx(se, abs=1e-9)
    assert list(mine.weights.values()) == pytest.approx(list(coef), abs=1e-9)
    assert mine.n == 299 and mine.n_dropped == 1
    assert mine.glm == ("length_controlled_v1" if with_gamed else "length_controlled_noreg")


def test_estimated_difficulty_recovers_a_known_one() -> None:
    """Simulated systems with known instruction difficulties: the joint GLM's estimate tracks them."""
    rng = np.random.default_rng(11)
    n_ins, systems = 120, [f"s{k}" for k in range(20)]
    truth = rng.normal(0, 1.5, n_ins)
    truth -= truth[0]
    S, idx, P, LS, LB = [], [], [], [], []
    for k, s in enumerate(systems):
        ls = rng.integers(100, 2000, n_ins).astype(float)
        lb = rng.integers(100, 2000, n_ins).astype(float)
        d = (lb - ls) / np.std(lb - ls, ddof=1)
        p = 1 / (1 + np.exp(-(-1.0 + 0.1 * k - 0.8 * np.tanh(d) + truth)))
        S += [s] * n_ins
        idx.append(np.arange(n_ins))
        P.append(1 + rng.binomial(1, p).astype(float))
        LS.append(ls)
        LB.append(lb)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        est = alpaca_glm.estimate_instruction_difficulty(S, np.concatenate(idx), np.concatenate(P),
                                                         np.concatenate(LS), np.concatenate(LB), n_ins)
    assert est[0] == 0.0
    assert np.corrcoef(est, truth)[0, 1] > 0.7


def test_difficulty_and_gamed_files_errors(tmp_path: Path) -> None:
    f = tmp_path / "instruction_difficulty.csv"
    f.write_text("index,instruction_difficulty\n0,0.5\n1,oops\n")
    with pytest.raises(DataError, match=r"instruction_difficulty.csv:3: field 'instruction_difficulty'"):
        alpaca_glm.read_instruction_difficulty(f, 2)
    f.write_text("index,instruction_difficulty\n0,0.5\n")
    with pytest.raises(DataError, match="no difficulty for 1 of the 2"):
        alpaca_glm.read_instruction_difficulty(f, 2)
    f.write_text("index,instruction_difficulty\n0,0.5\n1,-0.25\n")
    assert alpaca_glm.read_instruction_difficulty(f, 2).tolist() == [0.5, -0.25]
    g = tmp_path / "df_gamed.csv"
    g.write_text("index,preference\n0,0.3\n")
    with pytest.raises(DataError, match=r"df_gamed.csv:2: field 'std_delta_len'"):
        alpaca_glm.read_gamed(g)


# ----------------------------------------------------------------------------- runs, resume, bad input


def _outputs(path: Path, name: str, items: list[tuple[str, str | None]]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    f = path / "model_outputs.json"
    f.write_text(json.dumps([{"instruction": i, "output": o, "generator": name, "dataset": "t"} for i, o in items]))
    return f


INSTR = [f"instruction {k}" for k in range(6)]


def _config(tmp_path: Path, systems: list[str], judge: str = "mock", model: str = "m",
            **extra: object) -> RunConfig:
    return RunConfig(suite="alpaca_eval", judge=JudgeConfig(backend=judge, model=model),
                     suite_args={"systems": systems, "aggregation_args": {"glm": None}, **extra},
                     results_dir=str(tmp_path / "results"), use_cache=False)


def test_both_orders_cancel_a_position_bias_and_empty_output_is_kept(tmp_path: Path) -> None:
    res = tmp_path / "res"
    _outputs(res / "gpt4_1106_preview", "gpt4_1106_preview", [(i, "baseline answer " * 3) for i in INSTR])
    _outputs(res / "sysA", "sysA", [(i, "" if k == 2 else "answer") for k, i in enumerate(INSTR)])
    result = runner.run(_config(tmp_path, [str(res / "sysA")]))
    assert result.n_requests == 12
    rows = result.report.tables[0].rows  # type: ignore[union-attr]
    # "m" always picks the first shown: baseline in AB, the system in BA -> every instruction a draw
    assert rows["sysA"]["win_rate"].value == 50.0
    assert rows["sysA"]["n_draws"].value == 6
    # the empty output is judged (6 instructions judged) and counts 0 in the average length
    assert rows["sysA"]["n_total"].value == 6
    assert rows["sysA"]["avg_length"].value == int(5 * len("answer") / 6)


def test_adding_a_system_later_judges_only_it(shared_data: Path, tmp_path: Path) -> None:
    res = shared_data / "alpaca_eval" / "results"
    replay = str(res)
    first = runner.run(_config(tmp_path, [str(res / "alpaca-7b"), str(res / "falcon-7b-instruct")],
                               judge="replay", model=replay))
    assert first.n_sent == 2 * 2 * 805
    second = runner.run(_config(tmp_path, [str(res / "alpaca-7b"), str(res / "falcon-7b-instruct"),
                                           str(res / "phi-2-sft")], judge="replay", model=replay))
    assert second.run_dir == first.run_dir
    assert second.n_resumed == 2 * 2 * 805 and second.n_sent == 2 * 805
    rows = second.report.tables[0].rows  # type: ignore[union-attr]
    assert round(rows["phi-2-sft"]["win_rate"].value, 4) == round(3.977567775217392, 4)


def test_bad_system_files_name_file_item_and_field(tmp_path: Path) -> None:
    res = tmp_path / "res"
    _outputs(res / "gpt4_1106_preview", "gpt4_1106_preview", [(i, "b") for i in INSTR])
    stray = _outputs(res / "stray", "stray", [(INSTR[0], "x"), ("not an AlpacaEval instruction", "y")])
    with pytest.raises(DataError, match=rf"{stray}:2: field 'instruction': instruction not in the suite's 6"):
        runner.prepare(_config(tmp_path, [str(res / "stray")]))
    dup = _outputs(res / "dup", "dup", [(INSTR[0], "x"), (INSTR[1], "y"), (INSTR[0], "z")])
    with pytest.raises(DataError, match=rf"{dup}:3: field 'instruction': a second output for the same "
                                        r"instruction \(the first is item 1\)"):
        runner.prepare(_config(tmp_path, [str(res / "dup")]))
    bad = _outputs(res / "bad", "bad", [(INSTR[0], "x")])
    bad.write_text(json.dumps([{"instruction": INSTR[0], "output": 3}]))
    with pytest.raises(DataError, match=rf"{bad}:1: field 'output': expected text"):
        runner.prepare(_config(tmp_path, [str(res / "bad")]))
    lone = _outputs(tmp_path / "elsewhere" / "sysB", "sysB", [(INSTR[0], "x")])
    with pytest.raises(ConfigError, match=r"baseline 'gpt4_1106_preview': not among --systems \(sysB\)"):
        runner.prepare(_config(tmp_path, [str(lone)], offline=True))
    with pytest.raises(ConfigError, match="no systems to judge"):
        runner.prepare(_config(tmp_path, [str(lone)], baseline="sysB"))


def test_missing_output_is_counted_not_judged(tmp_path: Path) -> None:
    res = tmp_path / "res"
    _outputs(res / "gpt4_1106_preview", "gpt4_1106_preview", [(i, "b" * 10) for i in INSTR])
    _outputs(res / "short", "short", [(i, "a" * 6) for i in INSTR[:4]])
    result = runner.run(_config(tmp_path, [str(res / "short")], judge="mock", model="M"))
    rows = result.report.tables[0].rows  # type: ignore[union-attr]
    assert rows["short"]["n_total"].value == 4
    assert rows["short"]["avg_length"].value == int(4 * 6 / 6)
    assert rows["gpt4_1106_preview"]["avg_length"].value == 10
    assert any("no output for 2 of the 6" in n for n in result.report.notes)  # type: ignore[union-attr]
    assert not math.isnan(rows["short"]["win_rate"].value)


# ----------------------------------------------------------------------------- leaderboard and report


def test_leaderboard_regenerates_the_run_and_guards_its_manifest(replayed_run: tuple[dict, str, Path],
                                                                 tmp_path: Path) -> None:
    import shutil

    doc, _, results = replayed_run
    out = CliRunner().invoke(cli, ["leaderboard", str(results), "--suite", "alpaca_eval", "--format", "csv,md",
                                   "--out", str(tmp_path / "lb")])
    assert out.exit_code == 0, (out.output, out.exception)
    with open(tmp_path / "lb" / "alpaca_eval.csv", newline="") as f:
        board = {r["model"]: r for r in csv.DictReader(f)}
    rows = doc["suite_report"]["tables"][0]["rows"]
    assert list(board) == list(rows)  # the same systems in the same order (by LC)
    for name, r in board.items():
        for col in ("win_rate", "standard_error", "discrete_win_rate", "lc_win_rate"):
            assert float(r[col]) == pytest.approx(rows[name][col]["value"], abs=5e-5), (name, col)
        for col in ("n_wins", "n_wins_base", "n_draws", "n_total"):
            assert int(r[col]) == int(rows[name][col]["value"])
    assert [int(r["rank"]) for r in board.values()] == list(range(1, 10))
    assert "ESTIMATED" in (tmp_path / "lb" / "alpaca_eval.md").read_text()
    # a stored run judged with another template than the suite's current one is refused
    copy = tmp_path / "copy"
    shutil.copytree(results / "runs", copy / "runs")
    [manifest] = list((copy / "runs").glob("*/manifest.json"))
    m = json.loads(manifest.read_text())
    m["template"]["hash"] = "0" * 16
    manifest.write_text(json.dumps(m))
    out = CliRunner().invoke(cli, ["leaderboard", str(copy), "--suite", "alpaca_eval", "--out", str(tmp_path / "x")])
    assert out.exit_code != 0
    assert "template alpaca_eval_gpt4_turbo hash 0000000000000000" in str(out.exception)


def test_report_ranks_the_systems_with_intervals(replayed_run: tuple[dict, str, Path], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    _, _, results = replayed_run
    [run] = list((results / "runs").iterdir())
    out = CliRunner().invoke(cli, ["report", str(run), "--out", str(tmp_path / "r.html")])
    assert out.exit_code == 0, (out.output, out.exception)
    page = (tmp_path / "r.html").read_text()
    assert "This suite ranks no systems" not in page
    # gemma-7b-it: win rate of B with ties half and soft preferences as probabilities = AlpacaEval's 6.94
    assert '<td class="t">gemma-7b-it</td>' in page
    row = page.split('<td class="t">gemma-7b-it</td>')[1].split("</tr>")[0]
    assert "6.94 <span class=ci>[" in row


def test_report_reads_a_systems_run_back_with_its_own_systems(replayed_run: tuple[dict, str, Path],
                                                               caplog: pytest.LogCaptureFixture) -> None:
    """The report shows examples of a systems run: the suite is reloaded with the run's --systems
    (it used to be reloaded without them, warned "cannot show the examples" and showed none)."""
    from judgekit.views.report_plots import load_run

    _, _, results = replayed_run
    [run] = list((results / "runs").iterdir())
    loaded = load_run(run)
    ids = list(dict.fromkeys(loaded.table.example_id))[:3]
    with caplog.at_level("WARNING"):
        examples = loaded.examples(ids)
    assert "cannot show the examples" not in caplog.text
    assert sorted(examples) == sorted(ids)
    first = examples[ids[0]]
    assert first.prompt and first.response_a is not None and first.response_b is not None


def test_report_shows_lc_as_the_rankings_module_computes_it(replayed_run: tuple[dict, str, Path],
                                                            tmp_path: Path) -> None:
    """The report's ranking section has AlpacaEval's length-controlled win rate and its standard error,
    the numbers of the run's metrics.json (the rankings module's, checked against the reimplementation
    above), and says how LC's inputs were obtained."""
    pytest.importorskip("matplotlib")
    doc, _, results = replayed_run
    [run] = list((results / "runs").iterdir())
    out = CliRunner().invoke(cli, ["report", str(run), "--out", str(tmp_path / "r.html")])
    assert out.exit_code == 0, (out.output, out.exception)
    page = (tmp_path / "r.html").read_text()
    assert "LC win rate % (length_controlled_v1)" in page and "LC standard error" in page
    rows = doc["suite_report"]["tables"][0]["rows"]
    for system in SYSTEMS:
        cells = re.findall(r"<td>(.*?)</td>", page.split(f'<td class="t">{system}</td>')[-1].split("</tr>")[0])
        win, lc, lc_se, n = cells
        assert win.startswith(f"{rows[system]['win_rate']['value']:.2f} <span class=ci>[")
        assert lc == f"{rows[system]['lc_win_rate']['value']:.2f}"
        assert lc_se == f"{rows[system]['lc_standard_error']['value']:.2f}"
        assert n == str(rows[system]["n_total"]["count"])
    assert "length-controlled win rate: ESTIMATED" in page
