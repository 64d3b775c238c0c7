"""Name -> factory registries with lazy imports and entry-point plugins.

Built-in entries are registered as "module:attribute" strings so that importing
judgekit never imports a heavy dependency; third-party packages add entries
through the entry-point groups ``judgekit.backends`` and ``judgekit.adapters``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from .errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str, group: str, builtins: dict[str, str]) -> None:
        self.kind = kind
        self.group = group
        self._lazy: dict[str, str] = dict(builtins)
        self._loaded: dict[str, Callable[..., T]] = {}
        self._plugins_scanned = False

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        def deco(factory: Callable[..., T]) -> Callable[..., T]:
            self._loaded[name] = factory
            return factory

        return deco

    def _scan_plugins(self) -> None:
        if self._plugins_scanned:
            return
        self._plugins_scanned = True
        for ep in entry_points(group=self.group):
            self._lazy.setdefault(ep.name, ep.value)

    def names(self) -> list[str]:
        self._scan_plugins()
        return sorted(set(self._lazy) | set(self._loaded))

    def get(self, name: str) -> Callable[..., T]:
        if name in self._loaded:
            return self._loaded[name]
        self._scan_plugins()
        target = self._lazy.get(name)
        if target is None:
            known = ", ".join(self.names())
            raise ConfigError(f"unknown {self.kind} {name!r}; known {self.kind}s: {known}")
        module_name, _, attr = target.partition(":")
        module = importlib.import_module(module_name)
        factory: Callable[..., T] = getattr(module, attr)
        self._loaded[name] = factory
        return factory

    def create(self, name: str, *args: Any, **kwargs: Any) -> T:
        return self.get(name)(*args, **kwargs)


backends: Registry[Any] = Registry(
    "backend",
    "judgekit.backends",
    {
        "openai": "judgekit.backends.openai_compat:OpenAIBackend",
        "replay": "judgekit.backends.replay:ReplayBackend",
        "mock": "judgekit.backends.mock:MockBackend",
        "hf": "judgekit.backends.hf:HFBackend",
        "rm": "judgekit.backends.reward_model:RewardModelBackend",
        "vllm": "judgekit.backends.vllm:VLLMBackend",
        "vllm-server": "judgekit.backends.vllm_server:VLLMServerBackend",
    },
)

adapters: Registry[Any] = Registry(
    "adapter",
    "judgekit.adapters",
    {
        "judgebench": "judgekit.adapters.judgebench:load",
        "rewardbench": "judgekit.adapters.rewardbench:load",
        "llmbar": "judgekit.adapters.llmbar:load",
        "evalbiasbench": "judgekit.adapters.evalbiasbench:load",
        "mtbench_human": "judgekit.adapters.mtbench_human:load",
        "pandalm": "judgekit.adapters.pandalm:load",
        "judgelm": "judgekit.adapters.judgelm:load",
        "rmbench": "judgekit.adapters.rmbench:load",
        "feedback_bench": "judgekit.adapters.feedback_bench:load",
        "generic": "judgekit.adapters.generic:load",
        "alpaca_eval": "judgekit.adapters.alpaca_eval:load",
        "arena_hard": "judgekit.adapters.arena_hard:load",
    },
)
