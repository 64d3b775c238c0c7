"""Command-line arguments shared by `run` and `validate`: KEY=VALUE options, the judge config, suite targets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import ConfigError
from ..types import JudgeConfig
from ._files import yaml_mapping


def key_values(items: tuple[str, ...], flag: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"{flag} {item!r}: expected KEY=VALUE")
        try:
            out[key.replace("-", "_")] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{flag} {item!r}: value is not valid YAML: {exc}") from exc
    return out


def judge_config(judge: str | None, judge_config: Path | None, template: str | None,
                  sampling: dict[str, Any], options: dict[str, Any]) -> JudgeConfig:
    base: dict[str, Any] = {}
    if judge_config is not None:
        base = yaml_mapping(judge_config, "a mapping of judge settings")
    if judge is not None:
        from ..backends.base import parse_judge_spec

        backend, model = parse_judge_spec(judge)
        base.update(backend=backend, model=model)
    if "backend" not in base:
        from ..default_judge import default_judge

        base = {**default_judge().model_dump(exclude_defaults=True), **base}
    if template is not None:
        base["template"] = template
    base["sampling"] = {**base.get("sampling", {}), **sampling}
    base["options"] = {**base.get("options", {}), **options}
    try:
        return JudgeConfig.model_validate(base)
    except ValidationError as exc:
        raise ConfigError(f"{judge_config or '--judge'}: invalid judge config:\n{exc}") from exc


def suite_targets(suite: str, split: str | None) -> list[tuple[str, str | None]]:
    """``--suite a,b:split`` -> [(a, None), (b, split)]; --split applies to a single suite only."""
    names = [s.strip() for s in suite.split(",") if s.strip()]
    if not names:
        raise ConfigError("--suite: no suite named")
    if split is not None and len(names) > 1:
        raise ConfigError("--split applies to one suite; with several write SUITE:SPLIT (judgebench:claude)")
    out: list[tuple[str, str | None]] = []
    for name in names:
        base, sep, part = name.partition(":")
        # a suite YAML path may itself hold a colon only on Windows drives; paths end in .yaml
        if sep and not base.endswith((".yaml", ".yml")) and len(base) > 1:
            out.append((base, part or None))
        else:
            out.append((name, split))
    return out
