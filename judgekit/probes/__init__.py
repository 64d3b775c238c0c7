"""Counterfactual bias probes for `judgekit audit`, one per file.

A probe registers itself with the ``@register`` decorator where it is defined; adding a probe is
adding one file here (and its import below) or an entry point in the group ``judgekit.probes``.
A name registered twice is an error. (The registry moves to judgekit/registry.py's decorator
registration once that lands on main.)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import TypeVar

from ..errors import ConfigError
from .base import Probe, Variant

P = TypeVar("P", bound=type[Probe])

_PROBES: dict[str, type[Probe]] = {}
_BUILTINS = ("position", "verbosity", "authority", "bandwagon", "refinement", "sentiment", "stability",
             "self_preference", "central_tendency", "anchoring", "calibration")
_loaded = False


def register(cls: P) -> P:
    """Class decorator: make a Probe subclass available to `judgekit audit` under ``cls.name``."""
    name = cls.name
    if name in _PROBES and _PROBES[name] is not cls:
        raise ConfigError(f"probe {name!r} is registered twice ({_PROBES[name].__module__} and {cls.__module__})")
    _PROBES[name] = cls
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for mod in _BUILTINS:
        importlib.import_module(f"{__name__}.{mod}")
    for ep in entry_points(group="judgekit.probes"):
        ep.load()


def _ordered() -> list[type[Probe]]:
    """The built-in probes in their canonical order, then plugins by name (import order never matters)."""
    rank = {name: i for i, name in enumerate(_BUILTINS)}
    return sorted(_PROBES.values(), key=lambda c: (rank.get(c.name, len(rank)), c.name))


def probe_names() -> list[str]:
    _load()
    return [c.name for c in _ordered()]


def get_probe(name: str) -> Probe:
    _load()
    cls = _PROBES.get(name)
    if cls is None:
        raise ConfigError(f"unknown probe {name!r}; known probes: {', '.join(probe_names())}")
    return cls()


def probes_for(kind: str) -> list[Probe]:
    """Every registered probe that applies to a suite of this kind (pairwise or pointwise)."""
    _load()
    return [cls() for cls in _ordered() if kind in cls.kinds]


Factory = Callable[[], Probe]

__all__ = ["Probe", "Variant", "get_probe", "probe_names", "probes_for", "register"]
