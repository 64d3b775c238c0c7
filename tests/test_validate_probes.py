"""`judgekit validate` gates on probe effects: the candidate's audit against the baseline judge's audit
(paired over examples, judgekit.audit.compare_audits) and against absolute limits. Scripted judges
with implanted biases: a bandwagon follower fails against an unbiased baseline on the bandwagon
probe only; an unbiased judge with another seed passes; a first-position judge fails on the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from judgekit import runner
from judgekit.audit import AuditConfig, AuditResult, compare_audits, load_audit, run_audit
from judgekit.cli import cli
from judgekit.testing.biased_judges import BiasedJudge
from judgekit.types import JudgeConfig, RunConfig
from judgekit.views.validate import ValidateConfig, render_markdown, validate

from .test_audit import effect, examples

PROBES = ("position", "bandwagon")


def _judge(name: str, judge: BiasedJudge) -> JudgeConfig:
    return JudgeConfig(backend="mock", model=name, template="vanilla", options={"responder": judge})


def _audit(shared: Path, tmp: Path, name: str, judge: BiasedJudge) -> tuple[AuditResult, Path]:
    cfg = AuditConfig(run=RunConfig(suite="judgebench", split="gpt", data=str(shared), results_dir=str(tmp),
                                    judge=_judge(name, judge)), probes=PROBES)
    return run_audit(cfg, runner)


@pytest.fixture(scope="module")
def audits(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("validate-probes")
    gold = {k: e.label for k, e in examples(shared_data, "judgebench", "gpt").items()}
    judges = {"fair": BiasedJudge(gold), "fair2": BiasedJudge(gold, seed=1), "follower": BiasedJudge(gold, bandwagon=0.6)}
    return tmp, judges, {name: _audit(shared_data, tmp, name, j) for name, j in judges.items()}


def _config(tmp: Path, shared: Path, judges, done, candidate: str, **kw) -> ValidateConfig:  # type: ignore[no-untyped-def]
    base_run = tmp / "runs" / done["fair"][0].base_run
    return ValidateConfig(candidate=_judge(candidate, judges[candidate]), baseline_runs=(str(base_run),),
                          targets=(("judgebench", "gpt"),), data=str(shared), results_dir=str(tmp), n_resamples=500,
                          audit=str(done[candidate][1]), **kw)


def test_a_bandwagon_follower_fails_on_the_bandwagon_probe_only(audits, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    tmp, judges, done = audits
    cfg = _config(tmp, shared_data, judges, done, "follower", baseline_audit=str(done["fair"][1]))
    result = validate(cfg, runner.run)
    assert not result.passed
    (suite,) = result.suites
    assert suite.passed  # on the unperturbed pairs the follower answers as the fair judge does (same seed)
    assert result.audit is not None and not result.audit.passed
    rows = {(c.metric, c.scope): c for c in result.audit.checks}
    assert {k for k, c in rows.items() if c.status == "fail"} == {("probe bandwagon", "cue-worse"),
                                                                  ("probe bandwagon", "cue-better")}
    assert rows[("probe position", "overall")].status == "pass"
    # the figures are compare_audits' (the audit's own gate), at validate's level, with validate's resamples
    follower, fair = done["follower"][0], done["fair"][0]
    ref = {(c.probe, c.variant or "overall"): c
           for c in compare_audits(follower, fair, level=0.95, n_resamples=500, seed=0)}
    for (metric, scope), c in rows.items():
        r = ref[(metric.removeprefix("probe "), scope)]
        assert (c.difference, c.ci_low, c.ci_high, c.p_value) == (r.difference.value, r.difference.ci_low,
                                                                  r.difference.ci_high, r.difference.p_value)
        assert c.candidate == r.candidate and c.baseline == r.baseline and (c.status == "fail") == r.worse
    # and the difference is the mean of the per-example differences, by hand
    cw = rows[("probe bandwagon", "cue-worse")]
    f, b = effect(follower, "bandwagon", "cue-worse").per_example, effect(fair, "bandwagon", "cue-worse").per_example
    assert cw.difference == pytest.approx(np.mean([f[k] - b[k] for k in sorted(set(f) & set(b))]))
    assert cw.ci_low > 0 and cw.n == len(set(f) & set(b))
    md = render_markdown(result)
    assert "| judgebench/gpt audit | probe bandwagon | cue-worse |" in md and "**FAIL**" in md


def test_an_unbiased_judge_passes_and_limits_gate_the_effect(audits, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    tmp, judges, done = audits
    ok = validate(_config(tmp, shared_data, judges, done, "fair2", baseline_audit=str(done["fair"][1])), runner.run)
    assert ok.audit is not None and ok.audit.passed and len(ok.audit.checks) == 3
    follower = done["follower"][0]
    cue_worse = effect(follower, "bandwagon", "cue-worse").estimate.value
    limits = (("bandwagon/cue-worse", 0.05), ("position", 0.5))
    res = validate(_config(tmp, shared_data, judges, done, "follower", max_effects=limits), runner.run)
    assert res.audit is not None and res.audit.baseline_audit is None
    rows = {(c.metric, c.scope): c for c in res.audit.checks}
    assert set(rows) == {("probe bandwagon (limit)", "cue-worse"), ("probe position (limit)", "overall")}
    assert rows[("probe bandwagon (limit)", "cue-worse")].status == "fail" and cue_worse > 0.05
    assert rows[("probe bandwagon (limit)", "cue-worse")].difference == pytest.approx(cue_worse)  # distance from 0
    assert rows[("probe position (limit)", "overall")].status == "pass" and not res.passed


def _cli_audit(shared: Path, tmp: Path, judge: list[str]) -> Path:
    before = set((tmp / "audits").iterdir()) if (tmp / "audits").exists() else set()
    res = CliRunner().invoke(cli, ["audit", "--suite", "evalbiasbench", "--data", str(shared), "--template",
                                   "vanilla", "--results-dir", str(tmp), "-q", "--probe", "position", *judge])
    assert res.exit_code == 0, res.output
    (new,) = set((tmp / "audits").iterdir()) - before
    return new


def test_cli_exit_codes_for_the_probe_gate(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """exit 0 when the candidate's audit is no worse, 1 with the table of why when an effect grew, 2 when
    the audit options are incomplete or name no effect."""
    from judgekit.cli import main

    exs = examples(shared_data, "evalbiasbench", "test")
    script = tmp_path / "right.json"
    script.write_text(json.dumps({f"{k}#{o}": "Output (a)" if (e.label == "A") == (o == "AB") else "Output (b)"
                                  for k, e in exs.items() for o in ("AB", "BA")}))
    right = ["--judge", "mock:right", "--option", f"script={script}"]
    right_audit = _cli_audit(shared_data, tmp_path, right)
    first_audit = _cli_audit(shared_data, tmp_path, ["--judge", "mock:Output (a)"])
    base_run = tmp_path / "runs" / load_audit(right_audit).base_run

    def code(*args: str) -> tuple[int, str]:
        monkeypatch.setattr("sys.argv", ["judgekit", "validate", *right, "--baseline", str(base_run), "--suite",
                                         "evalbiasbench", "--data", str(shared_data), "--results-dir", str(tmp_path),
                                         "--out", str(tmp_path / "v"), "-q", *args])
        try:
            main()
            rc = 0
        except SystemExit as exc:
            rc = int(exc.code or 0)
        out = capsys.readouterr()
        return rc, out.out + out.err

    rc, out = code("--audit", str(right_audit), "--baseline-audit", str(right_audit))
    assert rc == 0, out
    assert "evalbiasbench/test audit" in out
    rc, out = code("--audit", str(first_audit), "--baseline-audit", str(right_audit))
    assert rc == 1, out
    assert "FAIL probe position, overall: more biased than the baseline" in " ".join(out.split())
    doc = json.loads((tmp_path / "v" / "validate.json").read_text())
    (row,) = doc["audit"]["checks"]
    assert row["status"] == "fail" and row["candidate"] == 1.0 and row["difference"] > 0.9 and row["ci_low"] > 0
    assert all(c["status"] == "pass" for c in doc["suites"][0]["checks"])  # the runs themselves are equal
    rc, out = code("--audit", str(first_audit), "--max-effect", "position=0.2")
    assert rc == 1 and "1.000 is more than 0.2 from 0" in out, out
    rc, out = code("--audit", str(first_audit))
    assert rc == 2 and "--audit: say what to gate on" in out and "Traceback" not in out
    rc, out = code("--audit", str(first_audit), "--max-effect", "nosuch=0.1")
    assert rc == 2 and "the audit reported no such effect (it has: position)" in out
    rc, out = code("--audit", str(first_audit), "--max-effect", "position")
    assert rc == 2 and "expected PROBE=NUMBER" in out
    rc, out = code("--audit", str(tmp_path / "runs"), "--max-effect", "position=0.1")
    assert rc == 2 and "no audit.json" in out and "Traceback" not in out


def test_readme_probe_gate_example(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The README's offline probe-gate example runs as written (with the shared data where it says
    ../shared/data), writes the audit folders it names, exits 1 and prints the table it shows."""
    import re
    import shlex

    from judgekit.cli import main

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("#### Gating on probe effects", 1)[1]
    block, shown = section.split("```bash\n", 1)[1].split("```", 1)[0], section.split("exits 1, at 100 columns:\n\n```\n", 1)[1].split("```", 1)[0]
    env = dict(re.findall(r'^(\w+)="([^"]+)"$', block, flags=re.M))
    commands = [line for line in block.replace("\\\n", " ").splitlines() if line.startswith("judgekit ")]
    assert len(commands) == 3
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    codes, out = [], ""
    for command in commands:
        for name, value in env.items():
            command = command.replace(f'"${name}"', shlex.quote(value))
        args = [a.replace("../shared/data", str(shared_data)) for a in shlex.split(command)[1:]]
        monkeypatch.setattr("sys.argv", ["judgekit", *args])
        try:
            main()
            codes.append(0)
        except SystemExit as exc:
            codes.append(int(exc.code or 0))
        out = capsys.readouterr().out
    assert codes == [0, 0, 1], out
    table = [line.rstrip() for line in out.splitlines() if line.startswith((" headline", " invalid", " position", " probe"))]
    expected = [line.rstrip() for line in shown.splitlines() if line.startswith((" headline", " invalid", " position", " probe"))]
    assert len(table) == 8 and table == expected
