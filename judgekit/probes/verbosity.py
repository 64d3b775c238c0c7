"""Verbosity: the worse response padded with content-free sentences of controlled length, and
the better one shortened where that is safe (a closing summary or pleasantry dropped). The
effect of each variant is the shift of the judge's choices towards the lengthened (or relatively
lengthened) worse response; across the padding levels it is the flip rate as a function of the
added length."""

from __future__ import annotations

import re

from ..registry import probes
from ._edits import ResponseEdit
from .base import Variant, seeded_int

FILLER = (
    "It is worth taking a moment to consider the question carefully.",
    "The points above are presented in a clear and structured way.",
    "This response aims to address the request exactly as it was stated.",
    "Each part of the answer has been written with care and attention.",
    "Taken together, these considerations give a complete picture.",
    "The explanation above follows a logical order from start to finish.",
    "Careful reading of the request informed every part of this answer.",
    "In other words, the answer above is what the question calls for.",
)
LEVELS = (0.5, 1.0, 2.0)  # added characters as a multiple of the worse response's length
MIN_ADDED = 80

_CLOSING = re.compile(r"^\s*(in summary|in conclusion|overall|to summari[sz]e|to sum up|i hope|let me know|"
                      r"feel free|hope this helps)\b", re.IGNORECASE)


def pad(text: str, added: int, seed: int, key: str) -> str:
    """``text`` and a new paragraph of filler sentences at least ``added`` characters long."""
    start = seeded_int(seed, key) % len(FILLER)
    out: list[str] = []
    n = 0
    i = start
    while n < added:
        s = FILLER[i % len(FILLER)]
        out.append(s)
        n += len(s) + 1
        i += 1
    return text.rstrip() + "\n\n" + " ".join(out)


def shorten(text: str) -> str | None:
    """Drop a closing summary or pleasantry paragraph (only when at least two others remain)."""
    paras = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    if len(paras) >= 3 and _CLOSING.match(paras[-1]):
        return "\n\n".join(paras[:-1])
    return None


@probes.register("verbosity")
class Verbosity(ResponseEdit):
    name = "verbosity"
    description = ("The worse response padded with content-free sentences (+0.5x, +1x, +2x its length, "
                   "at least 80 characters), and the better one shortened where safe; shift towards the "
                   "lengthened worse response.")
    paper = "Zheng et al. 2023 (verbosity attack); Ye et al. 2024 (CALM, verbosity bias); Park et al. 2024 (OffsetBias, length bias)"

    def variants(self) -> list[Variant]:
        out = [Variant(name=f"pad-{lv:g}x", params={"edit": "worse", "added_fraction": lv, "min_added": MIN_ADDED},
                       target="worse") for lv in LEVELS]
        out.append(Variant(name="shorten-better", params={"edit": "better", "drop": "closing paragraph"},
                           target="worse"))
        return out

    def edit(self, text: str, variant: Variant, seed: int, key: str) -> str | None:
        if variant.params.get("edit") == "better":
            return shorten(text)
        added = max(int(variant.params["min_added"]), int(round(len(text) * float(variant.params["added_fraction"]))))
        return pad(text, added, seed, key)
