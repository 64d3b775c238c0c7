"""What local-model backends (hf, rm, vllm, vllm-server) share: turning a request into
token ids with the model's own chat template, and finding the label tokens whose
probabilities decide a logprob verdict. One implementation, so every backend sees
exactly the same tokens (and their logprob verdicts agree)."""

from __future__ import annotations

import importlib
import importlib.util
import os
from typing import Any

from ..errors import ConfigError, MissingDependencyError
from ..types import JudgeRequest


def require(module: str, extra: str, package: str | None = None) -> Any:
    """Import an optional dependency, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if exc.name and exc.name.split(".")[0] != module.split(".")[0]:
            raise  # the package is there but one of its own imports failed: show that
        raise MissingDependencyError(package or module, extra) from None


def ensure_installed(module: str, extra: str, package: str | None = None) -> None:
    """Say which extra installs an optional dependency without importing it (importing vLLM or
    torch takes seconds; a missing extra should be said at once, before any other check)."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise MissingDependencyError(package or module, extra)


def prompt_text(tokenizer: Any, req: JudgeRequest) -> tuple[str, bool]:
    """The text the model continues and whether the tokenizer should add special tokens.

    Chat requests go through the model's chat template (which writes any BOS itself), raw
    completion prompts are tokenised with the tokenizer's special tokens, as vLLM does."""
    if req.prompt is not None:
        text, special = req.prompt, True
    else:
        if getattr(tokenizer, "chat_template", None) is None:
            raise ConfigError("the model's tokenizer has no chat template; use a completion-format "
                              "template or a model with a chat template")
        text = tokenizer.apply_chat_template([{"role": m.role, "content": m.content} for m in req.messages],
                                             tokenize=False, add_generation_prompt=True)
        special = False
    return text + (req.prefill or ""), special


def prompt_ids(tokenizer: Any, req: JudgeRequest) -> list[int]:
    text, special = prompt_text(tokenizer, req)
    return list(tokenizer(text, add_special_tokens=special).input_ids)


def choice_token_ids(tokenizer: Any, req: JudgeRequest, ids: list[int]) -> list[int]:
    """The first token of each label continuation, as the model would write it after the
    prompt (tokenised in context, so merges with the prefill are respected)."""
    text, special = prompt_text(tokenizer, req)
    out = []
    for choice in req.choices:
        full = list(tokenizer(text + choice, add_special_tokens=special).input_ids)
        if full[:len(ids)] == ids and len(full) > len(ids):
            out.append(full[len(ids)])
        else:
            alone = tokenizer(choice, add_special_tokens=False).input_ids
            if not alone:
                raise ConfigError(f"label {choice!r} tokenises to nothing")
            out.append(alone[0])
    if len(set(out)) != len(out):
        raise ConfigError(f"labels {list(req.choices)} share a first token; a logprob verdict cannot "
                          "tell them apart with this tokenizer")
    return out


def resolve_device(device: str | None) -> str:
    if device:
        return device
    torch = require("torch", "hf")
    return "cuda" if torch.cuda.is_available() else "cpu"


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "") in ("1", "true", "True")


def _looks_like_path(model: str) -> bool:
    """A hub id is ``name`` or ``namespace/name``; anything else (absolute, relative with ./ or ../,
    ~, more than one slash, a .gguf file) or anything that exists on disk is a local path."""
    return (model.startswith(("/", "./", "../", "~", ".\\")) or model.count("/") > 1
            or model.endswith(".gguf") or os.path.exists(model))


def check_model(backend: str, model: str, *, revision: str | None = None, gguf_ok: bool = False,
                hub_timeout: float = 5.0) -> None:
    """Fail at once with one line when ``model`` cannot be loaded, before any engine starts:
    a local path that does not exist or is not a model folder, or a hub id that is neither in
    the local Hugging Face cache nor reachable (offline, or unknown to the hub).

    Raises ConfigError (the CLI prints it in one line and exits 2)."""
    spec = f"{backend}:{model}"
    if _looks_like_path(model):
        path = os.path.expanduser(model)
        if not os.path.exists(path):
            raise ConfigError(f"{spec}: no such file or folder {path!r}; pass a model folder (with a "
                              "config.json) or a Hugging Face hub id such as Qwen/Qwen2.5-0.5B-Instruct")
        if os.path.isdir(path):
            if not any(os.path.isfile(os.path.join(path, f)) for f in ("config.json", "params.json")):
                raise ConfigError(f"{spec}: {path!r} is not a model folder (it has no config.json)")
        elif not (gguf_ok and path.endswith(".gguf")):
            raise ConfigError(f"{spec}: {path!r} is a file; pass a model folder (with a config.json)"
                              + (" or a .gguf file" if gguf_ok else ""))
        return
    try:
        import huggingface_hub
        from huggingface_hub.errors import (
            GatedRepoError,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )
    except ImportError:
        return  # the backend's own import says which extra to install
    cached = huggingface_hub.try_to_load_from_cache(model, "config.json", revision=revision)
    if isinstance(cached, str):
        return
    if hub_offline():
        raise ConfigError(f"{spec}: not in the local Hugging Face cache and HF_HUB_OFFLINE is set; "
                          "download it where the hub is reachable, or pass a local model folder")
    try:
        huggingface_hub.model_info(model, revision=revision, timeout=hub_timeout)
    except GatedRepoError as exc:
        raise ConfigError(f"{spec}: the model is gated on the Hugging Face hub; accept its licence and "
                          f"log in (hf auth login) ({_first_line(exc)})") from None
    except RevisionNotFoundError:
        raise ConfigError(f"{spec}: the hub has no revision {revision!r} of this model") from None
    except RepositoryNotFoundError:
        raise ConfigError(f"{spec}: no such model on the Hugging Face hub (a private one needs "
                          "hf auth login); a local checkpoint is a folder path such as ./ckpt") from None
    except Exception as exc:  # connection refused, DNS, timeout, proxy: the hub cannot be reached
        raise ConfigError(f"{spec}: not in the local Hugging Face cache and the hub cannot be reached "
                          f"({_first_line(exc)}); download it where the hub is reachable, or pass a "
                          "local model folder") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
