"""Hugging Face transformers judges: batched generation, or one forward pass per request
for logprob verdicts. CUDA when present, otherwise CPU. Needs ``judgekit-harness[hf]``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..registry import backends
from ..types import Completion, JudgeRequest, VerdictMode
from ._local import check_model, choice_token_ids, ensure_installed, prompt_ids, require, resolve_device
from .base import Backend


def load_causal_lm(model: str, *, revision: str | None, dtype: str, device: str, trust_remote_code: bool,
                   gguf_file: str | None) -> tuple[Any, Any]:
    transformers = require("transformers", "hf")
    torch = require("torch", "hf")
    kwargs: dict[str, Any] = {"revision": revision, "trust_remote_code": trust_remote_code}
    if gguf_file:
        kwargs["gguf_file"] = gguf_file
    tokenizer = transformers.AutoTokenizer.from_pretrained(model, **kwargs)
    torch_dtype = dtype if dtype == "auto" else getattr(torch, dtype)
    lm = transformers.AutoModelForCausalLM.from_pretrained(model, dtype=torch_dtype, **kwargs)
    lm.to(device).eval()
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, lm


@backends.register("hf")
class HFBackend(Backend):
    name = "hf"
    verdict_modes: tuple[VerdictMode, ...] = ("generate", "logprob")

    def __init__(self, model: str, *, revision: str | None = None, dtype: str = "auto",
                 device: str | None = None, batch_size: int | None = None, trust_remote_code: bool = False,
                 gguf_file: str | None = None, model_id: str | None = None) -> None:
        super().__init__(model)
        ensure_installed("transformers", "hf")
        check_model(self.name, model, revision=revision)
        #: the model's name in run ids, tables and titles when ``model`` is a local copy of a hub model
        self.model_id = model_id
        self.revision = revision
        self.dtype = dtype
        self.device = resolve_device(device)
        # On a CPU a batch saves nothing (the matmuls already fill the cores) and padding to the
        # longest prompt wastes compute, so one request at a time; on a GPU, batches of 8.
        self.batch_size = batch_size or (1 if self.device == "cpu" else 8)
        self.gguf_file = gguf_file
        self.tokenizer, self.lm = load_causal_lm(model, revision=revision, dtype=dtype, device=self.device,
                                                 trust_remote_code=trust_remote_code, gguf_file=gguf_file)

    @property
    def display_name(self) -> str:
        return self.model_id or self.model

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "revision": self.revision,
                "commit": getattr(self.lm.config, "_commit_hash", None), "dtype": str(self.lm.dtype),
                "gguf_file": self.gguf_file}

    async def complete(self, requests: Sequence[JudgeRequest]) -> list[Completion]:
        # Local compute: run in the event loop's thread; the runner writes each batch's
        # judgments as soon as it returns.
        out: dict[str, Completion] = {}
        by_mode: dict[str, list[JudgeRequest]] = {}
        for r in requests:
            by_mode.setdefault(r.mode, []).append(r)
        for mode, reqs in by_mode.items():
            done = self._logprobs(reqs) if mode == "logprob" else self._generate(reqs)
            out.update((c.request_id, c) for c in done)
        return [out[r.request_id] for r in requests]

    def _batch(self, id_lists: list[list[int]]) -> tuple[Any, Any, Any]:
        """Left-padded input ids, attention mask and position ids (so padding shifts nothing)."""
        torch = require("torch", "hf")
        width = max(len(ids) for ids in id_lists)
        pad = self.tokenizer.pad_token_id
        input_ids = torch.full((len(id_lists), width), pad, dtype=torch.long)
        mask = torch.zeros((len(id_lists), width), dtype=torch.long)
        for i, ids in enumerate(id_lists):
            input_ids[i, width - len(ids):] = torch.tensor(ids, dtype=torch.long)
            mask[i, width - len(ids):] = 1
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        return input_ids.to(self.device), mask.to(self.device), positions.to(self.device)

    def _logprobs(self, reqs: list[JudgeRequest]) -> list[Completion]:
        torch = require("torch", "hf")
        ids = [prompt_ids(self.tokenizer, r) for r in reqs]
        choice_ids = [choice_token_ids(self.tokenizer, r, i) for r, i in zip(reqs, ids, strict=True)]
        input_ids, mask, positions = self._batch(ids)
        with torch.inference_mode():
            # only the last position's logits are needed (saves the LM head over the whole prompt)
            logits = self.lm(input_ids=input_ids, attention_mask=mask, position_ids=positions,
                             logits_to_keep=1).logits[:, -1, :]
            logprobs = torch.log_softmax(logits.float(), dim=-1).cpu()
        return [Completion(request_id=r.request_id, prompt_tokens=len(i), completion_tokens=0,
                           choice_logprobs={c: float(logprobs[k, t]) for c, t in zip(r.choices, cids, strict=True)})
                for k, (r, i, cids) in enumerate(zip(reqs, ids, choice_ids, strict=True))]

    def _generate(self, reqs: list[JudgeRequest]) -> list[Completion]:
        torch = require("torch", "hf")
        out = []
        # one generate() call per distinct sampling configuration
        groups: dict[Any, list[JudgeRequest]] = {}
        for r in reqs:
            groups.setdefault(r.sampling, []).append(r)
        for sampling, group in groups.items():
            ids = [prompt_ids(self.tokenizer, r) for r in group]
            input_ids, mask, _ = self._batch(ids)
            kwargs: dict[str, Any] = {"max_new_tokens": sampling.max_tokens,
                                      "pad_token_id": self.tokenizer.pad_token_id}
            if sampling.temperature > 0:
                kwargs.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p)
                if sampling.seed is not None:
                    torch.manual_seed(sampling.seed)
            else:
                kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
            if sampling.stop:
                kwargs.update(stop_strings=list(sampling.stop), tokenizer=self.tokenizer)
            with torch.inference_mode():
                gen = self.lm.generate(input_ids=input_ids, attention_mask=mask, **kwargs)
            new = gen[:, input_ids.shape[1]:].cpu()
            eos = self.tokenizer.eos_token_id
            for r, row, prompt in zip(group, new, ids, strict=True):
                tokens = [int(t) for t in row if int(t) != self.tokenizer.pad_token_id]
                finish = "stop" if eos is not None and eos in tokens else "length"
                text = self.tokenizer.decode(tokens, skip_special_tokens=True)
                for s in sampling.stop or ():
                    if s in text:
                        text, finish = text[:text.index(s)], "stop"
                out.append(Completion(request_id=r.request_id, text=text, finish_reason=finish,
                                      prompt_tokens=len(prompt), completion_tokens=len(tokens)))
        return out

    async def aclose(self) -> None:
        self.lm = None
