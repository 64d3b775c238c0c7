"""Suite definitions: benchmarks/<suite>.yaml, data only."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from .errors import ConfigError
from .resources import data_dir
from .types import Frozen


class HubSource(Frozen):
    id: str
    revision: str = "main"


class PartSpec(Frozen):
    """One file of a split: a hub (config, split) and the same data's path in a local folder."""

    hub_split: str = ""  # empty: the part has no hub copy (local only)
    # Path of the split's file relative to a local data folder for this suite.
    local: str
    hub_config: str | None = None  # the hub dataset's configuration (subset) name, if it has several
    hub_file: str | None = None  # a single file in the hub repository (read with the `json` builder)
    hub_id: str | None = None  # another hub dataset than the suite's (same revision rules)
    revision: str | None = None  # with hub_id: its pinned revision
    optional: bool = False  # a missing optional part is skipped (e.g. MT-Bench reference answers)


class SplitSpec(Frozen):
    hub_split: str = ""
    local: str = ""
    hub_config: str | None = None
    hub_file: str | None = None
    # A split made of several files (LLMBar's subsets): part name -> file. The part name is the
    # examples' subset unless the adapter says otherwise.
    parts: dict[str, PartSpec] = Field(default_factory=dict)
    size: int | None = None  # documented number of examples, shown by `judgekit list`
    template: str | None = None  # this split's default template, where it differs from the suite's

    @model_validator(mode="after")
    def _one_source(self) -> SplitSpec:
        if not self.parts and not self.local:
            raise ValueError("a split needs `local` (and `hub_split` where the hub has it), or `parts`")
        return self

    def files(self) -> dict[str, PartSpec]:
        """The split's parts; a single-file split is one part named ''."""
        if self.parts:
            return dict(self.parts)
        return {"": PartSpec(hub_split=self.hub_split, local=self.local, hub_config=self.hub_config,
                             hub_file=self.hub_file)}


class AggregationSpec(Frozen):
    """The suite's published aggregation (judgekit/aggregations/) and its arguments."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)


DEFAULT_HEADLINE_POLICY = "judgebench"


class ProtocolSpec(Frozen):
    swap: bool = True
    headline_policy: str = DEFAULT_HEADLINE_POLICY


class SuiteSpec(Frozen):
    name: str
    description: str = ""
    adapter: str
    kind: Literal["pairwise", "pointwise"] = "pairwise"
    hub: HubSource | None = None
    splits: dict[str, SplitSpec]
    default_split: str
    default_template: str = "arena_hard"
    protocol: ProtocolSpec = ProtocolSpec()
    args: dict[str, Any] = Field(default_factory=dict)
    aggregation: AggregationSpec | None = None
    metrics: tuple[str, ...] = ()  # what the suite reports, for `judgekit list`
    path: str | None = None  # where the definition was read from

    def split(self, name: str | None) -> tuple[str, SplitSpec]:
        """The named split (the default when None)."""
        name = name or self.default_split
        if name not in self.splits:
            raise ConfigError(
                f"suite {self.name!r} has no split {name!r}; its splits: {', '.join(self.splits)}"
            )
        return name, self.splits[name]


def headline_policy(suite: SuiteSpec | None) -> str:
    """The conflict policy whose accuracy is a suite's headline (the one place that decides it;
    a run with no suite, such as an import without one, gets the default)."""
    return suite.protocol.headline_policy if suite is not None else DEFAULT_HEADLINE_POLICY


def suite_names() -> list[str]:
    return sorted(p.stem for p in data_dir("benchmarks").glob("*.yaml"))


def load_suite(name_or_path: str) -> SuiteSpec:
    path = Path(name_or_path)
    if not (path.suffix in (".yaml", ".yml") and path.is_file()):
        path = data_dir("benchmarks") / f"{name_or_path}.yaml"
        if not path.is_file():
            raise ConfigError(
                f"unknown suite {name_or_path!r}; known suites: {', '.join(suite_names())}"
            )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    try:
        return SuiteSpec.model_validate({**raw, "path": str(path)})
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid suite definition:\n{exc}") from exc
