"""The generic systems suite (prompt, system, output rows in JSONL / CSV / Parquet): a scripted judge
whose verdicts are known; the win rates and counts equal AlpacaEval's get_winrate formulas computed
here with pandas, the Arena-Hard score equals show_result.py's bootstrap (same draws), the pointwise
mean grades equal a pandas groupby; bad input names the file, the line and the field."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from judgekit.cli import cli
from judgekit.errors import ConfigError, DataError

pd = pytest.importorskip("pandas")

PROMPTS = [f"Question {k}: how does thing {k} work?" for k in range(30)]
SYSTEMS = {"base": 0, "strong": 1, "weak": -1}
LABELS = ["A>>B", "A>B", "A=B", "B>A", "B>>A"]
MAP = ["--field", "prompt=instruction", "--field", "system=generator", "--field", "output=response"]


def _output(system: str, k: int) -> str:
    """Outputs of varied length, some with markdown (lists, bold, a header) for Arena-Hard's style features."""
    if (system, k) == ("weak", 4):
        return ""
    text = f"{system} answer {k} " + "x" * ((7 * k + len(system)) % 23)
    if k % 3 == 0:
        text += "\n- point one\n- point two"
    if system == "strong" and k % 2 == 0:
        text += " **key idea**"
    if system == "base" and k % 5 == 0:
        text = "# Title\n" + text
    return text


def _write(tmp: Path) -> list[Path]:
    """base and strong in one CSV (mapped column names), weak in a Parquet file."""
    f1 = tmp / "outputs.csv"
    with f1.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["instruction", "generator", "response"])
        for s in ("base", "strong"):
            for k, p in enumerate(PROMPTS):
                w.writerow([p, s, _output(s, k)])
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    f2 = tmp / "weak.parquet"
    pq.write_table(pa.table({"instruction": PROMPTS, "generator": ["weak"] * len(PROMPTS),
                             "response": [_output("weak", k) for k in range(len(PROMPTS))]}), f2)
    return [f1, f2]


@pytest.fixture(scope="module")
def pairwise(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("generic_systems")
    files = _write(tmp)
    rng = np.random.default_rng(5)
    script: dict[str, str] = {}
    labels: dict[tuple[str, int, str], str | None] = {}
    for s in ("strong", "weak"):
        probs = [0.05, 0.15, 0.2, 0.35, 0.25] if s == "strong" else [0.3, 0.3, 0.2, 0.1, 0.1]
        for k in range(len(PROMPTS)):
            for order in ("AB", "BA"):
                if rng.random() < 0.07:
                    script[f"{s}/{k}#{order}"], labels[(s, k, order)] = "no verdict", None
                    continue
                lab = LABELS[rng.choice(5, p=probs)]
                script[f"{s}/{k}#{order}"], labels[(s, k, order)] = f"My final verdict: [[{lab}]]", lab
    (tmp / "script.json").write_text(json.dumps(script))
    args = ["run", "--suite", "generic_systems", *[a for f in files for a in ("--systems", str(f))], *MAP,
            "--baseline", "base", "--judge", "mock:x", "--option", f"script={tmp / 'script.json'}",
            "--results-dir", str(tmp / "results"), "--no-cache", "-q"]
    out = CliRunner().invoke(cli, args, env={"COLUMNS": "200"})
    assert out.exit_code == 0, (out.output, out.exception)
    [run_dir] = list((tmp / "results" / "runs").glob("*"))
    return {"tmp": tmp, "files": files, "labels": labels, "output": out.output, "args": args, "run_dir": run_dir,
            "doc": json.loads((run_dir / "metrics.json").read_text())}


def _system_pref(label: str | None, order: str) -> float:
    """AlpacaEval's preference (1 the baseline better, 2 the system) from Arena-Hard's label in its game."""
    if label is None:
        return np.nan
    first = 1.0 if label.startswith("A>") else 0.0 if label.startswith("B>") else 0.5  # the first shown wins
    system_won = first if order == "BA" else 1.0 - first
    return 1.0 + system_won


def test_win_rates_equal_alpaca_formulas(pairwise: dict) -> None:
    rows = pairwise["doc"]["suite_report"]["tables"][0]["rows"]
    for s in ("strong", "weak"):
        prefs = pd.Series([np.nanmean([_system_pref(pairwise["labels"][(s, k, o)], o) for o in ("AB", "BA")])
                           if any(pairwise["labels"][(s, k, o)] for o in ("AB", "BA")) else np.nan
                           for k in range(len(PROMPTS))]).dropna()
        assert rows[s]["win_rate"]["value"] == pytest.approx((prefs - 1).mean() * 100, abs=1e-9)
        assert rows[s]["standard_error"]["value"] == pytest.approx((prefs - 1).sem() * 100, abs=1e-9)
        n_wins, n_base, n_draws = int((prefs > 1.5).sum()), int((prefs < 1.5).sum()), int((prefs == 1.5).sum())
        assert [rows[s][c]["value"] for c in ("n_wins", "n_wins_base", "n_draws", "n_total")] == \
            [n_wins, n_base, n_draws, len(prefs)]
        assert rows[s]["discrete_win_rate"]["value"] == pytest.approx((n_wins + n_draws / 2) / len(prefs) * 100)
        assert rows[s]["avg_length"]["value"] == int(np.mean([len(_output(s, k)) for k in range(len(PROMPTS))]))
    assert rows["base"]["win_rate"]["value"] == 50.0
    assert rows["strong"]["win_rate"]["value"] > 50 > rows["weak"]["win_rate"]["value"]
    assert list(rows) == ["strong", "base", "weak"]  # ranked by win rate
    line = next(ln for ln in pairwise["output"].splitlines() if " strong " in ln)
    assert f"{rows['strong']['win_rate']['value']:.2f}" in line


def test_arena_score_equals_show_result(pairwise: dict) -> None:
    """show_result.py without style control: per system its battles' scores (game 2 then game 1, strong
    verdicts x3, a question without both games valid dropped), resampled 100 times, mean and 5/95 %."""
    weight = {"A>>B": [1] * 3, "A>B": [1], "A=B": [0.5], "B>A": [0], "B>>A": [0] * 3}
    rng = np.random.default_rng(0)
    rows = pairwise["doc"]["suite_report"]["tables"][1]["rows"]
    for s in ("strong", "weak"):
        scores: list[float] = []
        for k in range(len(PROMPTS)):
            g1, g2 = pairwise["labels"][(s, k, "AB")], pairwise["labels"][(s, k, "BA")]
            if g1 is None or g2 is None:
                continue
            scores += weight[g2] + [1 - x for x in weight[g1]]
        x = pd.Series(scores, dtype=float)
        boots = pd.Series([x.iloc[d].mean() for d in rng.integers(0, len(x), size=(100, len(x)))])
        assert rows[s]["score"]["value"] == pytest.approx(100 * boots.mean(), abs=1e-9)
        assert rows[s]["score"]["ci_low"] == pytest.approx(100 * boots.quantile(0.05), abs=1e-9)
        assert rows[s]["score"]["ci_high"] == pytest.approx(100 * boots.quantile(0.95), abs=1e-9)
        assert rows[s]["n_battles"]["value"] == len(x)


def test_added_system_judges_only_it(pairwise: dict) -> None:
    tmp = pairwise["tmp"]
    extra = tmp / "later.jsonl"
    extra.write_text("".join(json.dumps({"instruction": p, "generator": "later", "response": f"later {k}"}) + "\n"
                             for k, p in enumerate(PROMPTS)))
    out = CliRunner().invoke(cli, [*pairwise["args"], "--systems", str(extra)], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert f"resumed {4 * len(PROMPTS)}, from cache 0, sent {2 * len(PROMPTS)}" in out.output
    assert [p.name for p in (tmp / "results" / "runs").iterdir()] == [pairwise["run_dir"].name]


def test_pointwise_mean_grades(tmp_path: Path) -> None:
    from judgekit.metrics.stats import rng_for

    files = _write(tmp_path)
    grades = {s: [((3 * k + 2 * len(s)) % 10) + 1 for k in range(len(PROMPTS))] for s in SYSTEMS}
    script = {f"{s}/{k}#AB": ("?" if (s, k) == ("strong", 2) else f"Rating: [[{g}]]")
              for s, gs in grades.items() for k, g in enumerate(gs)}
    (tmp_path / "script.json").write_text(json.dumps(script))
    out = CliRunner().invoke(cli, ["run", "--suite", "generic_systems", "--kind", "pointwise",
                                   *[a for f in files for a in ("--systems", str(f))], *MAP, "--judge", "mock:x",
                                   "--option", f"script={tmp_path / 'script.json'}", "--results-dir",
                                   str(tmp_path / "r"), "--no-cache", "-q"], env={"COLUMNS": "200"})
    assert out.exit_code == 0, (out.output, out.exception)
    [m] = list((tmp_path / "r" / "runs").glob("*/metrics.json"))
    rows = json.loads(m.read_text())["suite_report"]["tables"][0]["rows"]
    df = pd.DataFrame([{"system": s, "k": k, "score": g} for s, gs in grades.items() for k, g in enumerate(gs)
                       if (s, k) != ("strong", 2)])
    means = df.groupby("system")["score"].mean()
    draws = rng_for(0, "system_scores", "questions").integers(0, len(PROMPTS), size=(1000, len(PROMPTS)))
    for s in SYSTEMS:
        assert rows[s]["mean_score"]["value"] == pytest.approx(means[s], abs=1e-12)
        sub = df[df.system == s]
        reps = [(np.bincount(d, minlength=len(PROMPTS))[sub.k] * sub.score).sum()
                / np.bincount(d, minlength=len(PROMPTS))[sub.k].sum() for d in draws]
        assert rows[s]["mean_score"]["ci_low"] == pytest.approx(np.quantile(reps, 0.025), abs=1e-12)
        assert rows[s]["mean_score"]["ci_high"] == pytest.approx(np.quantile(reps, 0.975), abs=1e-12)
    assert rows["strong"]["n_invalid"]["value"] == 1 and rows["strong"]["n_scored"]["value"] == len(PROMPTS) - 1
    assert list(rows) == means.sort_values(ascending=False).index.tolist()


def _load(args: dict, *files: Path) -> list:
    from judgekit.adapters import load_examples
    from judgekit.runner import with_args
    from judgekit.suites import load_suite

    suite = with_args(load_suite("generic_systems"), {"systems": [str(f) for f in files], **args})
    return load_examples(suite, None, None).examples


def test_errors_name_file_line_field(tmp_path: Path) -> None:
    f = tmp_path / "o.jsonl"
    rows = [{"prompt": p, "system": s, "output": _output(s, k)} for s in SYSTEMS for k, p in enumerate(PROMPTS)]

    def write(rs: list[dict]) -> None:
        f.write_text("".join(json.dumps(r) + "\n" for r in rs))

    write(rows)
    examples = _load({"baseline": "base"}, f)
    assert len(examples) == 2 * len(PROMPTS)
    empty = next(e for e in examples if e.id == "weak/4")
    assert empty.response_b == ""  # kept, length 0
    write([*rows[:5], {"prompt": PROMPTS[0], "system": "base", "text": "x"}, *rows[5:]])
    with pytest.raises(DataError, match=r"o.jsonl:6: field 'output': missing; columns here: prompt, system, text; "
                                        r"map judgekit's field 'output' to one with --field output=COLUMN"):
        _load({"baseline": "base"}, f)
    write([*rows, rows[31]])
    with pytest.raises(DataError, match=r"o.jsonl:91: field 'system': a second output of system 'strong' for the same "
                                        r"prompt \(the first is .*o.jsonl:32\)"):
        _load({"baseline": "base"}, f)
    write([r for r in rows if not (r["system"] == "weak" and r["prompt"] == PROMPTS[7])])
    with pytest.raises(DataError, match=r"o.jsonl:8: field 'prompt': system 'weak' has no output for 1 of the 30 "
                                        "prompts; the first is this line's prompt 'Question 7"):
        _load({"baseline": "base"}, f)
    write(rows)
    with pytest.raises(ConfigError, match=r"--baseline 'gpt4' is not among the systems \(base, strong, weak\)"):
        _load({"baseline": "gpt4"}, f)
    with pytest.raises(ConfigError, match=r"name it with --baseline \(systems here: base, strong, weak\)"):
        _load({}, f)
    assert len(_load({"kind": "pointwise"}, f)) == 3 * len(PROMPTS)
    with pytest.raises(ConfigError, match=r"--systems .*missing.csv: no such file or folder"):
        _load({"baseline": "base"}, tmp_path / "missing.csv")


def test_leaderboard_regenerates_win_rates(pairwise: dict, tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["leaderboard", str(pairwise["tmp"] / "results"), "--suite", "generic_systems",
                                   "--format", "json", "--out", str(tmp_path)])
    assert out.exit_code == 0, (out.output, out.exception)
    board = json.loads((tmp_path / "generic_systems.json").read_text())
    rows = json.loads((pairwise["run_dir"] / "metrics.json").read_text())["suite_report"]["tables"][0]["rows"]
    got = {r["model"]: r for r in board["models"]}
    assert set(got) == set(rows)
    for s, row in rows.items():
        assert got[s]["win_rate"] == pytest.approx(row["win_rate"]["value"], abs=5e-5)
        assert got[s]["n_total"] == row["n_total"]["value"]


def test_readme_quotes_this_run(pairwise: dict) -> None:
    readme = " ".join((Path(__file__).resolve().parent.parent / "README.md").read_text().split())
    wr = pairwise["doc"]["suite_report"]["tables"][0]["rows"]
    arena = pairwise["doc"]["suite_report"]["tables"][1]["rows"]

    def fmt(s: dict) -> str:
        return f"{s['value']:.2f} [{s['ci_low']:.1f}, {s['ci_high']:.1f}]"

    assert f"win rates strong {fmt(wr['strong']['win_rate'])}, weak {fmt(wr['weak']['win_rate'])}" in readme
    assert (f"standard errors {wr['strong']['standard_error']['value']:.2f} / {wr['weak']['standard_error']['value']:.2f}, "
            f"{wr['strong']['n_total']['value']:.0f} and {wr['weak']['n_total']['value']:.0f} prompts") in readme
    assert f"Arena-Hard scores strong {fmt(arena['strong']['score'])}, weak {fmt(arena['weak']['score'])}" in readme
    assert (f"style-controlled scores strong {fmt(arena['strong']['style_controlled'])}, "
            f"weak {fmt(arena['weak']['style_controlled'])}") in readme


def test_style_controlled_score_equals_an_independent_fit(pairwise: dict) -> None:
    """show_result.py's style control (--control-features length markdown) on the generic systems run:
    the battles as test_arena_score_equals_show_result builds them, each with the normalised length and
    markdown-density differences of its two answers (lengths in characters), standardised; a Bradley-Terry
    logistic regression without intercept (soft outcomes as two weighted rows) fitted by scikit-learn on
    judgekit's 100 resamples (rng.integers(0, N, (100, N)), seed 0); the median and 5 / 95 % quantiles of
    sigmoid(each system's coefficient)."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    from judgekit.adapters.arena_hard import markdown_counts

    weight = {"A>>B": [1] * 3, "A>B": [1], "A=B": [0.5], "B>A": [0], "B>>A": [0] * 3}
    systems = ["strong", "weak"]
    ys, onehot, feats = [], [], []
    for i, s in enumerate(systems):
        for k in range(len(PROMPTS)):
            g1, g2 = pairwise["labels"][(s, k, "AB")], pairwise["labels"][(s, k, "BA")]
            if g1 is None or g2 is None:
                continue
            battle = weight[g2] + [1 - x for x in weight[g1]]
            m_text, b_text = _output(s, k), _output("base", k)
            m = np.array([len(m_text), *markdown_counts(m_text)], dtype=float)
            b = np.array([len(b_text), *markdown_counts(b_text)], dtype=float)
            f = [(m[0] - b[0]) / (m[0] + b[0]) if m[0] + b[0] > 0 else 0.0]
            md, bd = m[1:] / (m[0] + 1), b[1:] / (b[0] + 1)
            f += list((md - bd) / (md + bd + 1))
            for y in battle:
                ys.append(float(y))
                onehot.append([1.0 if j == i else 0.0 for j in range(len(systems))])
                feats.append(f)
    F = np.asarray(feats)
    assert (F.std(axis=0) > 0).sum() >= 3  # length, lists and bold vary (headers only in the baseline)
    sd = F.std(axis=0, ddof=1)
    X = np.column_stack([np.asarray(onehot), (F - F.mean(axis=0)) / np.where(sd > 0, sd, 1.0)])
    y = np.asarray(ys)
    idx = np.random.default_rng(0).integers(0, len(y), size=(100, len(y)))
    probs = []
    for r in range(100):
        w = np.bincount(idx[r], minlength=len(y)).astype(float)
        fit = linear_model.LogisticRegression(C=np.inf, fit_intercept=False, tol=1e-12, max_iter=10_000)
        fit.fit(np.vstack([X, X]), np.r_[np.ones(len(y)), np.zeros(len(y))], sample_weight=np.r_[w * y, w * (1 - y)])
        probs.append(1 / (1 + np.exp(-fit.coef_[0][: len(systems)])))
    P = np.asarray(probs)
    rows = pairwise["doc"]["suite_report"]["tables"][1]["rows"]
    for i, s in enumerate(systems):
        sc = rows[s]["style_controlled"]
        assert sc["value"] == pytest.approx(100 * np.quantile(P[:, i], 0.5), abs=1e-3)
        assert sc["ci_low"] == pytest.approx(100 * np.quantile(P[:, i], 0.05), abs=1e-3)
        assert sc["ci_high"] == pytest.approx(100 * np.quantile(P[:, i], 0.95), abs=1e-3)
    # style matters here: the controlled score is not the plain one
    assert abs(rows["strong"]["style_controlled"]["value"] - rows["strong"]["score"]["value"]) > 0.1
