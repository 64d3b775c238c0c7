"""Arena-Hard-Auto v0.1 (Li et al., 2024): 500 hard prompts (``question.jsonl``: ``uid, category,
cluster, prompt``) and systems' answers (``model_answer/<model>.jsonl``: ``uid, model, messages``, the
assistant's answer in ``messages[-1].content.answer``; FastChat's older ``choices[0].turns[0].content``
is read too). Each system is judged against the baseline (``gpt-4-0314``) in two games per question:
game 1 shows the baseline first (order AB), game 2 the system first (BA).

``--systems PATH`` is an answer file or a ``model_answer/`` folder; the baseline is found by name among
them or beside them; the questions are ``question.jsonl`` next to the ``model_answer/`` folder or under
``--data`` (``arena_hard/arena-hard-v0.1/question.jsonl``). Errors name the file, the line and the
field: a uid that is not one of the questions', two answers to one question, a missing answer text.
A question a system did not answer is not judged and is counted. Each example carries the style
features Arena-Hard's style control uses (answer length and markdown header, list and bold counts,
code blocks removed first, as ``utils/add_markdown_info.py`` counts them; the length is the answer's
``metadata.token_len`` when the file has it, else its length in characters).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataError
from ..facts import SystemFacts
from ..registry import adapters
from ..suites import SplitSpec, SuiteSpec
from ..types import Example, PairExample
from ._io import DATA_DIR_ENV, LoadedData, file_sha256, read_jsonl

log = logging.getLogger(__name__)

DEFAULT_BASELINE = "gpt-4-0314"
CODE = re.compile("```([^`]*)```")


def markdown_counts(text: str) -> list[int]:
    """Arena-Hard's markdown counts (headers, list items, bold spans) after removing code blocks."""
    for block in CODE.findall(text):
        text = text.replace(block, "")
    headers = sum(len(re.findall(rf"^#{{{k}}}\s", text, re.MULTILINE)) for k in range(1, 7))
    lists = len(re.findall(r"^\s*\d+\.\s", text, re.MULTILINE)) + len(re.findall(r"^\s*[-*+]\s", text, re.MULTILINE))
    bold = len(re.findall(r"\*\*[^*\n]+\*\*", text)) + len(re.findall(r"__[^_\n]+__", text))
    return [headers, lists, bold]


def _answer(row: Any) -> str:
    msgs = row.data.get("messages")
    if isinstance(msgs, list) and msgs:
        content = msgs[-1].get("content") if isinstance(msgs[-1], dict) else None
        if isinstance(content, dict) and isinstance(content.get("answer"), str):
            return str(content["answer"])
        if isinstance(content, str):
            return content
        raise row.error("no answer text (messages[-1].content.answer)", "messages")
    choices = row.data.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        turns = choices[0].get("turns")
        if isinstance(turns, list) and turns and isinstance(turns[0], dict) and isinstance(turns[0].get("content"), str):
            return str(turns[0]["content"])
    raise row.error("missing answer (messages or choices)", "messages")


def read_answers(path: Path, questions: dict[str, int] | None) -> tuple[str, dict[str, tuple[str, float]]]:
    """(model name, uid -> (answer, length for style control)) of one answer file."""
    out: dict[str, tuple[str, float]] = {}
    first: dict[str, int] = {}
    models: set[str] = set()
    for row in read_jsonl(path):
        uid = row.get("uid", types=(str, int))
        uid = str(uid)
        if questions is not None and uid not in questions:
            raise row.error(f"uid {uid!r} is not one of the {len(questions)} questions", "uid")
        if uid in out:
            raise row.error(f"a second answer to question {uid} (the first is on line {first[uid]})", "uid")
        text = _answer(row)
        meta = row.data.get("metadata")
        tok = meta.get("token_len") if isinstance(meta, dict) else None
        out[uid] = (text, float(tok) if isinstance(tok, (int, float)) else float(len(text)))
        first[uid] = row.line
        if isinstance(row.data.get("model"), str):
            models.add(row.data["model"])
    if not out:
        raise DataError("no answers in the file", path=str(path))
    if len(models) > 1:
        raise DataError(f"answers of several models in one file ({', '.join(sorted(models))})", path=str(path),
                        field="model")
    return (models.pop() if models else path.stem), out


def _files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            sub = p / "model_answer" if (p / "model_answer").is_dir() else p
            files = sorted(sub.glob("*.jsonl"))
            if not files:
                raise ConfigError(f"--systems {p}: no <model>.jsonl answer files")
            out += files
        else:
            raise ConfigError(f"--systems {p}: no such file or folder")
    return out


def _questions_file(files: list[Path], data: str | os.PathLike[str] | None, split: SplitSpec) -> Path:
    candidates = [f.parent.parent / "question.jsonl" for f in files]
    root = Path(data) if data is not None else (Path(os.environ[DATA_DIR_ENV]) if os.environ.get(DATA_DIR_ENV)
                                                else None)
    if root is not None:
        rel = Path(split.local)
        candidates += [root if root.is_file() else root / "arena_hard" / rel, root / rel]
    for c in candidates:
        if c.is_file():
            return c
    raise ConfigError("arena_hard: no question.jsonl beside the answers' model_answer/ folder"
                      + (f" nor under --data {root}" if root is not None else "; pass --data FOLDER"))


@adapters.register("arena_hard")
def load(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None) -> LoadedData:
    args = suite.args
    baseline_name = str(args.get("baseline") or DEFAULT_BASELINE)
    files = _files([str(p) for p in args.get("systems") or []])
    if not files:
        raise ConfigError("no systems to judge: pass their model_answer/<model>.jsonl with --systems PATH")
    qfile = _questions_file(files, data, split)
    questions: dict[str, int] = {}
    prompts: list[str] = []
    for row in read_jsonl(qfile):
        uid = str(row.get("uid", types=(str, int)))
        if uid in questions:
            raise row.error(f"question {uid} appears twice", "uid")
        questions[uid] = len(prompts)
        prompts.append(row.get("prompt"))
    systems: dict[str, tuple[Path, dict[str, tuple[str, float]]]] = {}
    for f in files:
        name, answers = read_answers(f, questions)
        if name in systems:
            raise DataError(f"system {name!r} is given twice (also {systems[name][0]})", path=str(f), field="model")
        systems[name] = (f, answers)
    if baseline_name not in systems:
        sibling = next((f.parent / f"{baseline_name}.jsonl" for f in files
                        if (f.parent / f"{baseline_name}.jsonl").is_file()), None)
        if sibling is None:
            raise ConfigError(f"baseline {baseline_name!r}: not among --systems ({', '.join(systems)}) and no "
                              f"{baseline_name}.jsonl beside them; pass its answers with --systems or name another "
                              "with --baseline")
        systems[baseline_name] = (sibling, read_answers(sibling, questions)[1])
    base_path, base = systems.pop(baseline_name)
    if not systems:
        raise ConfigError("no systems to judge besides the baseline: pass more answer files with --systems")
    examples: list[Example] = []
    prov: dict[str, Any] = {}
    n = len(questions)
    for name in sorted(systems):
        path, answers = systems[name]
        missing = 0
        for uid, k in questions.items():
            if uid not in answers or uid not in base:
                missing += 1
                continue
            a_text, a_len = base[uid]
            b_text, b_len = answers[uid]
            examples.append(PairExample(
                id=f"{name}/{uid}", prompt=prompts[k], response_a=a_text, response_b=b_text, category=name,
                metadata={"aggregate": SystemFacts(system=name, baseline=baseline_name, instruction=k,
                                                   n_instructions=n, uid=uid,
                                                   style_a=[a_len, *markdown_counts(a_text)],
                                                   style_b=[b_len, *markdown_counts(b_text)]).stored()}))
        if missing:
            log.warning("%s: %d of the %d questions have no answer (or no baseline answer); not judged", path,
                        missing, n)
        prov[name] = {"path": str(path.resolve()), "sha256": file_sha256(path), "n_missing": missing}
    provenance = {"source": "systems", "n_instructions": n,
                  "baseline": {"name": baseline_name, "path": str(base_path.resolve()),
                               "sha256": file_sha256(base_path)},
                  "questions": {"path": str(qfile.resolve()), "sha256": file_sha256(qfile)}, "systems": prov}
    return LoadedData(examples, provenance)
