"""Where AlpacaEval's length-controlled win rate gets its two hub inputs: the instruction
difficulties (``instruction_difficulty.csv``) and the length-gamed baselines' annotations
(``df_gamed.csv``), both in the hub dataset ``tatsu-lab/alpaca_eval`` (AlpacaEval's
``glm_winrate.py`` downloads them with ``hf_hub_download``).

The order: a file the user gives (``--instruction-difficulty``, ``--gamed-annotations``); else the
hub at the suite's pinned revision, first from the local hub cache (so ``HF_HUB_OFFLINE=1`` with a
filled cache works), then downloaded when the hub answers; else nothing, and the aggregation
estimates the difficulties from the systems ranked and fits without the gamed baselines, and says
so, with the reason the hub was not used. The paths found are recorded in the run's aggregation
arguments, so rescoring a stored run reads the same files and never goes to the network.
``huggingface_hub`` is imported lazily (``pip install 'judgekit-harness[hub]'``).
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

HUB_REPO = "tatsu-lab/alpaca_eval"
HUB_FILES = {"instruction_difficulty": "instruction_difficulty.csv", "gamed_annotations": "df_gamed.csv"}
CONNECT_TIMEOUT_S = 3.0


def _reachable(host: str, timeout: float) -> str | None:
    """None when a TCP connection to the hub opens; else why not."""
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError as exc:
        return f"the hub ({host}) is not reachable: {exc}"
    return None


def hub_files(revision: str, timeout: float = CONNECT_TIMEOUT_S) -> tuple[dict[str, str], str]:
    """Local paths of both hub files (``{arg name: path}``) and where they came from; ``({}, why
    not)`` when they could not be had."""
    try:
        import huggingface_hub
        from huggingface_hub import constants
    except ImportError:
        return {}, "huggingface_hub is not installed (pip install 'judgekit-harness[hub]')"
    paths: dict[str, str] = {}
    for key, name in HUB_FILES.items():
        cached = huggingface_hub.try_to_load_from_cache(HUB_REPO, name, revision=revision, repo_type="dataset")
        if isinstance(cached, str):
            paths[key] = cached
    if len(paths) == len(HUB_FILES):
        return paths, f"the local hub cache of {HUB_REPO} at revision {revision}"
    if constants.HF_HUB_OFFLINE:
        return {}, f"HF_HUB_OFFLINE is set and {HUB_REPO}'s files are not in the local hub cache"
    why = _reachable(urlparse(constants.ENDPOINT).hostname or "huggingface.co", timeout)
    if why is not None:
        return {}, why
    try:
        for key, name in HUB_FILES.items():
            paths[key] = huggingface_hub.hf_hub_download(HUB_REPO, name, repo_type="dataset", revision=revision,
                                                         etag_timeout=timeout)
    except Exception as exc:  # any hub or network error: the inputs are estimated instead, and the output says why
        return {}, f"downloading from the hub failed: {type(exc).__name__}: {exc}"
    return paths, f"the hub ({HUB_REPO} at revision {revision})"


def with_hub_inputs(agg_args: Mapping[str, Any], revision: str) -> dict[str, Any]:
    """The aggregation arguments with the hub's files for the inputs the user gave no file for, and
    ``lc_inputs_from`` (where they came from) or ``lc_hub_unavailable`` (why the hub was not used)."""
    out = dict(agg_args)
    wanted = [k for k in HUB_FILES if not out.get(k)]
    if not wanted:
        return out
    paths, source = hub_files(revision)
    if not paths:
        out["lc_hub_unavailable"] = source
        return out
    for k in wanted:
        out[k] = paths[k]
    out["lc_inputs_from"] = {k: source for k in wanted}
    return out
