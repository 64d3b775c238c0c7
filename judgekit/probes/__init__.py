"""Counterfactual bias probes for `judgekit audit`, one per file.

A probe registers itself where it is defined, with ``@probes.register(NAME)`` from
judgekit/registry.py: adding a probe is adding one file here (or an entry point in the group
``judgekit.probes``). A name registered twice is an error that names both places.
"""

from __future__ import annotations

from ..registry import probes as _registry
from .base import Probe, Variant

#: the built-in probes in the order an audit runs and reports them (plugins follow, by name)
ORDER = ("position", "verbosity", "authority", "concreteness", "nested_instruction", "bandwagon", "refinement",
         "sentiment", "stability", "self_preference", "central_tendency", "anchoring", "calibration")


def probe_names() -> list[str]:
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(_registry.names(), key=lambda n: (rank.get(n, len(rank)), n))


def get_probe(name: str) -> Probe:
    probe: Probe = _registry.create(name)
    return probe


def probes_for(kind: str) -> list[Probe]:
    """Every registered probe that applies to a suite of this kind (pairwise or pointwise)."""
    return [p for p in (get_probe(n) for n in probe_names()) if kind in p.kinds]


__all__ = ["ORDER", "Probe", "Variant", "get_probe", "probe_names", "probes_for"]
