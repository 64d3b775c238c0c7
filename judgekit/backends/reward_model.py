"""Reward models (``AutoModelForSequenceClassification`` with one output): each response
is scored in the conversation ``[user: question, assistant: response]`` written with the
model's chat template; the verdict is the score difference (equal scores: a tie). The
verdict cannot depend on the order, so a run judges each pair once. Needs ``judgekit-harness[hf]``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import ConfigError
from ..registry import backends
from ..types import Completion, JudgeRequest
from ._local import check_model, ensure_installed, require, resolve_device
from .base import Backend


@backends.register("rm")
class RewardModelBackend(Backend):
    name = "rm"
    order_independent = True
    uses_template = False

    def __init__(self, model: str, *, revision: str | None = None, dtype: str = "auto",
                 device: str | None = None, batch_size: int = 8, trust_remote_code: bool = False,
                 max_length: int | None = None) -> None:
        super().__init__(model)
        ensure_installed("transformers", "hf")
        check_model(self.name, model, revision=revision)
        transformers = require("transformers", "hf")
        torch = require("torch", "hf")
        self.revision = revision
        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.max_length = max_length
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(
            model, revision=revision, trust_remote_code=trust_remote_code)
        if getattr(self.tokenizer, "chat_template", None) is None:
            raise ConfigError(f"reward model {model}: its tokenizer has no chat template to write "
                              "(question, response) conversations with")
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.tokenizer.padding_side = "right"
        torch_dtype = dtype if dtype == "auto" else getattr(torch, dtype)
        self.rm = transformers.AutoModelForSequenceClassification.from_pretrained(
            model, revision=revision, trust_remote_code=trust_remote_code, dtype=torch_dtype)
        if self.rm.config.pad_token_id is None:
            self.rm.config.pad_token_id = self.tokenizer.pad_token_id
        self.rm.to(self.device).eval()

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "revision": self.revision,
                "commit": getattr(self.rm.config, "_commit_hash", None), "dtype": str(self.rm.dtype),
                "max_length": self.max_length}

    def score_texts(self, conversations: list[list[dict[str, str]]]) -> list[float]:
        torch = require("torch", "hf")
        texts = [self.tokenizer.apply_chat_template(c, tokenize=False) for c in conversations]
        enc = self.tokenizer(texts, add_special_tokens=False, padding=True, return_tensors="pt",
                             truncation=self.max_length is not None, max_length=self.max_length)
        with torch.inference_mode():
            logits = self.rm(input_ids=enc["input_ids"].to(self.device),
                             attention_mask=enc["attention_mask"].to(self.device)).logits
        return [float(x) for x in logits[:, 0].float().cpu()]

    async def complete(self, requests: Sequence[JudgeRequest]) -> list[Completion]:
        conversations = []
        for r in requests:
            if r.question is None or not r.responses:
                raise ConfigError("the rm backend needs the question and the responses (both of a pair, or the "
                                  "one response of a pointwise item)")
            conversations += [[{"role": "user", "content": r.question}, {"role": "assistant", "content": resp}]
                              for resp in r.responses]
        scores = self.score_texts(conversations)
        out, start = [], 0
        for r in requests:  # a pair gets [first, second]; a pointwise item its one score
            out.append(Completion(request_id=r.request_id, scores=scores[start:start + len(r.responses)]))
            start += len(r.responses)
        return out

    async def aclose(self) -> None:
        self.rm = None
