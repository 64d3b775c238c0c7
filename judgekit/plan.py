"""A run's requests, made as they are sent: :class:`RequestPlan` renders them one example at a
time (so a run holds the requests in flight, never every rendered prompt), and :class:`IdSet`
holds a run's request ids compactly (8 bytes each) for resuming.

With ``samples`` > 1 each request is made ``samples`` times (sample k = 0..N-1; the id of sample
0 is the usual ``<example>#<order>``, later ones ``<example>#<order>~<k>``; with a fixed seed,
sample k is drawn with seed + k); see :mod:`judgekit.sampling`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .errors import ConfigError
from .prompts import Template
from .protocols import orders_for
from .types import Example, JudgeRequest, Order, PointExample, SamplingParams, VerdictMode, trusted_request


class IdSet:
    """A set of request ids held as 64-bit hashes in one sorted numpy array (8 bytes an id,
    against about 90 for a Python set of strings). Hashes come from Python's ``hash`` (fixed
    within a process, which is where an IdSet lives). Two ids of one run with the same hash would
    make them indistinguishable: :meth:`of` checks the ids it is built from and, if any two
    collide, keeps the strings instead."""

    __slots__ = ("_exact", "_hashes")

    def __init__(self, hashes: np.ndarray | None = None, exact: frozenset[str] | None = None) -> None:
        self._hashes = np.unique(hashes) if hashes is not None else np.empty(0, dtype=np.int64)
        self._exact = exact

    @classmethod
    def of(cls, ids: Callable[[], Iterable[str]]) -> IdSet:
        """The set of the distinct ids that ``ids()`` yields (a run's request ids); called again
        for the strings in the rare case that two of them share a hash."""
        return cls.of_hashes(np.fromiter((hash(i) for i in ids()), dtype=np.int64), ids)

    @classmethod
    def of_hashes(cls, hashes: np.ndarray, ids: Callable[[], Iterable[str]]) -> IdSet:
        """:meth:`of`, given the hashes of the ids already."""
        out = cls(hashes)
        if len(out._hashes) != len(hashes):  # a hash collision (about 1 in 10^5 at 10M ids): keep the ids
            return cls(exact=frozenset(ids()))
        return out

    def like(self, hashes: np.ndarray, ids: Callable[[], Iterable[str]]) -> IdSet:
        """A set with the same key rule as this one: ``hashes`` (of ids), or the ids themselves
        when this set keeps strings."""
        return IdSet(exact=frozenset(ids())) if self._exact is not None else IdSet(hashes)

    @property
    def exact(self) -> bool:
        return self._exact is not None

    def __len__(self) -> int:
        return len(self._exact) if self._exact is not None else len(self._hashes)

    def __contains__(self, request_id: object) -> bool:
        if self._exact is not None:
            return request_id in self._exact
        h = self._hashes
        if not len(h):
            return False
        key = hash(request_id)
        i = int(np.searchsorted(h, key))
        return i < len(h) and int(h[i]) == key

    def contains_hashes(self, hashes: np.ndarray) -> np.ndarray:
        """Membership of many hashes at once (hashed sets only)."""
        return np.isin(hashes, self._hashes)


@dataclass
class RequestPlan:
    """What every request of a run shares (template, sampling, verdict mode, samples);
    :meth:`requests` renders them one example at a time, in the run's order."""

    template: Template
    sampling: SamplingParams
    swap: bool
    single_order: str
    mode: VerdictMode = "generate"
    prefill: str | None = None
    choices: tuple[str, ...] = ()
    samples: int = 1

    @classmethod
    def make(cls, template: Template, sampling: SamplingParams, swap: bool, single_order: str,
             mode: VerdictMode = "generate", samples: int = 1) -> RequestPlan:
        prefill: str | None = None
        choices: tuple[str, ...] = ()
        if mode == "logprob":
            if template.spec.logprob is None:
                raise ConfigError(f"--verdict logprob: template {template.name!r} has no label tokens to read "
                                  "(no `logprob:` block in its sidecar); its verdict comes after a critique, "
                                  "so use --verdict generate")
            prefill, choices = template.spec.logprob.prefill, tuple(template.spec.logprob.choices)
            sampling = sampling.model_copy(update={"max_tokens": 1, "temperature": 0.0})
        elif mode == "constrained":
            choices = tuple(template.constrained_labels())
            sampling = sampling.model_copy(update={"max_tokens": 32, "temperature": 0.0})
        if samples < 1:
            raise ConfigError(f"--samples {samples}: expected 1 or more")
        if samples > 1 and mode != "generate":
            raise ConfigError(f"--samples {samples}: only generated verdicts are sampled; --verdict {mode} reads "
                              "label probabilities once (greedy), so there is nothing to draw again")
        if samples > 1 and sampling.temperature <= 0:
            raise ConfigError(f"--samples {samples} needs --temperature above 0: greedy decoding gives the same "
                              "verdict every time")
        return cls(template, sampling, swap, single_order, mode, prefill, choices, samples)

    def orders(self, ex: Example) -> list[Order]:
        if isinstance(ex, PointExample):  # a pointwise example is judged once, in its only order
            return ["AB"]
        return orders_for(ex, self.swap, self.single_order)  # type: ignore[arg-type]

    def ids(self, examples: Iterable[Example]) -> Iterator[str]:
        """Every request id, in the run's order (nothing rendered)."""
        for ex in examples:
            for order in self.orders(ex):
                rid = f"{ex.id}#{order}"
                yield rid
                for k in range(1, self.samples):
                    yield f"{rid}~{k}"

    def requests(self, examples: Iterable[Example], skip: IdSet | None = None
                 ) -> Iterator[tuple[JudgeRequest, Example]]:
        """Each request with its example, rendered as it is asked for, leaving out ids in ``skip``
        (an example's order is rendered only when one of its samples is wanted)."""
        template, sampling, n = self.template, self.sampling, self.samples
        skipping = skip is not None and len(skip) > 0
        for ex in examples:
            for order in self.orders(ex):
                rid = f"{ex.id}#{order}"
                ids = [rid] if n == 1 else [rid, *(f"{rid}~{k}" for k in range(1, n))]
                wanted: Iterable[int] = range(n)
                if skipping:
                    wanted = [k for k, i in enumerate(ids) if i not in skip]  # type: ignore[operator]
                    if not wanted:
                        continue
                swapped = order == "BA"
                messages, prompt = template.render(ex, swapped=swapped)
                references: tuple[str, ...] = ()
                if isinstance(ex, PointExample):
                    responses: tuple[str, ...] = (ex.response,)
                    references = tuple(ex.metadata.get("references") or ([ex.reference] if ex.reference else []))
                else:
                    responses = (ex.response_b, ex.response_a) if swapped else (ex.response_a, ex.response_b)
                # every value is of its field's type already (tested equal to JudgeRequest(...)); the
                # references from an example's metadata are checked by validating, if any is not a str
                make = trusted_request if not references or all(type(r) is str for r in references) else JudgeRequest
                for k in wanted:
                    s = sampling if not k or sampling.seed is None else sampling.model_copy(
                        update={"seed": sampling.seed + k})
                    yield make(
                        request_id=ids[k], example_id=ex.id, order=order, sample=k, messages=messages,
                        prompt=prompt, sampling=s, template=template.name, template_hash=template.hash,
                        mode=self.mode, prefill=self.prefill, choices=self.choices, question=ex.prompt,
                        responses=responses, references=references), ex


class _Examples(Protocol):
    def values(self) -> Iterable[Example]: ...
    def __getitem__(self, example_id: str) -> Example: ...


Examples = Mapping[str, Example] | _Examples  # a dict, or an adapters.stream.ExampleStream


class PlannedRequests:
    """A run's requests as a sized iterable: made by ``plan`` from ``examples`` each time it is
    iterated (what :attr:`judgekit.runner.PreparedRun.requests` holds unless a caller, the audit's
    probe runs, gives a list of its own; :class:`FixedRequests` wraps such a list)."""

    def __init__(self, plan: RequestPlan, examples: Examples) -> None:
        self.plan, self.examples = plan, examples
        # a streamed file's check hashed the ids already (saves reading it once more)
        known = getattr(examples, "request_id_hashes", None)
        hashes = known(plan.swap, plan.single_order, plan.samples) if known is not None else None
        self.ids = IdSet.of(self.request_ids) if hashes is None else IdSet.of_hashes(hashes, self.request_ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[JudgeRequest]:
        return (r for r, _ in self.plan.requests(self.examples.values()))

    def request_ids(self) -> Iterator[str]:
        return self.plan.ids(self.examples.values())

    def pending(self, skip: IdSet) -> Iterator[tuple[JudgeRequest, Example]]:
        """The requests not in ``skip``, in order, with their examples, rendered one at a time."""
        return self.plan.requests(self.examples.values(), skip)


class FixedRequests(PlannedRequests):
    """A given list of requests, with the same interface as :class:`PlannedRequests`."""

    def __init__(self, requests: Sequence[JudgeRequest], examples: Examples) -> None:
        self.requests, self.examples = requests, examples
        self.ids = IdSet.of(self.request_ids)

    def __iter__(self) -> Iterator[JudgeRequest]:
        return iter(self.requests)

    def request_ids(self) -> Iterator[str]:
        return (r.request_id for r in self.requests)

    def pending(self, skip: IdSet) -> Iterator[tuple[JudgeRequest, Example]]:
        return ((r, self.examples[r.example_id]) for r in self.requests if r.request_id not in skip)
