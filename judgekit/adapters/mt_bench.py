"""MT-Bench single-answer grading (Zheng et al., 2023), as FastChat's ``llm_judge`` runs it
(``gen_judgment.py --mode single``): 80 questions of two turns (``question.jsonl``: ``question_id,
category, turns``), systems' answers in FastChat's ``model_answer/<model>.jsonl`` (``question_id,
model_id, choices[0].turns``), and GPT-4's reference answers (``reference_answer/gpt-4.jsonl``, same
format) for the categories FastChat's ``NEED_REF_CATS`` names (math, reasoning, coding).

Each answer becomes two pointwise examples, one per turn: turn 1 shows the first question and answer
(FastChat's single-v1, or single-math-v1 with the reference), turn 2 the whole two-turn conversation
and asks for the grade of the second answer (single-v1-multi-turn / single-math-v1-multi-turn). The
example's metadata holds what those prompts need (``turn, question_1, question_2, answer_1, answer_2,
ref_answer_1, ref_answer_2``); the template ``mt_bench_single_v1`` picks the prompt from them. As
FastChat, a system is named by its file (``<model>.jsonl``), and a question with other than two turns
is graded on turn 1 only.

``--systems PATH`` is an answer file or a ``model_answer/`` folder (or the folder holding one). The
questions and references are found beside the ``model_answer/`` folder (FastChat's
``data/mt_bench/`` layout) or under ``--data`` (``mt_bench/question.jsonl`` and
``mt_bench/reference_answer_gpt-4.jsonl`` or ``reference_answer/gpt-4.jsonl``). Bad input stops with
an error naming the file, the line and the field: a question id that is not one of the questions',
two answers to one question, a missing or non-text turn, a system without an answer to some question
(FastChat's ``check_data`` refuses that too), a reference-guided question without a reference, a
system file that does not exist. An empty answer is kept (length 0) and graded as it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataError
from ..registry import adapters
from ..suites import SplitSpec, SuiteSpec
from ..types import Example, PointExample
from ._io import DATA_DIR_ENV, LoadedData, Row, file_sha256, read_jsonl

NEED_REF_CATS = ("math", "reasoning", "coding")  # FastChat common.py (and arena-hard-200, not in MT-Bench)
TURNS_FIELD = "choices[0].turns"


@dataclass(frozen=True)
class Question:
    question_id: str
    category: str
    turns: tuple[str, ...]
    line: int


def _qid(row: Row) -> str:
    return str(row.get("question_id", types=(int, str)))


def _turns(row: Row, n_wanted: int | None = None) -> tuple[str, ...]:
    """``choices[0].turns`` of a FastChat answer: a list of texts (None = an empty answer)."""
    choices = row.data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise row.error("missing: expected choices: [{\"turns\": [answer to turn 1, answer to turn 2]}]", "choices")
    turns = choices[0].get("turns")
    if not isinstance(turns, list):
        raise row.error(f"missing or not a list ({type(turns).__name__})", TURNS_FIELD)
    out = []
    for k, t in enumerate(turns, start=1):
        if t is None:
            t = ""
        if not isinstance(t, str):
            raise row.error(f"turn {k}: expected text, got {type(t).__name__}", TURNS_FIELD)
        out.append(t)
    if n_wanted is not None and len(out) < n_wanted:
        raise row.error(f"{len(out)} turn(s) answered; question {_qid(row)} has {n_wanted}", TURNS_FIELD)
    return tuple(out)


def read_questions(path: Path) -> dict[str, Question]:
    """question_id -> the question, in file order; errors name the file, the line and the field."""
    out: dict[str, Question] = {}
    for row in read_jsonl(path):
        qid = _qid(row)
        if qid in out:
            raise row.error(f"question {qid} appears twice (also line {out[qid].line})", "question_id")
        turns = row.get("turns", types=list)
        if not turns or not all(isinstance(t, str) for t in turns):
            raise row.error("expected a non-empty list of texts", "turns")
        out[qid] = Question(qid, str(row.get("category")), tuple(turns), row.line)
    if not out:
        raise DataError("no questions in the file", path=str(path))
    return out


def read_answers(path: Path, questions: dict[str, Question], *, complete: bool = True) -> dict[str, tuple[str, ...]]:
    """question_id -> the answer's turns, from one FastChat answer file. With ``complete`` every
    question must be answered (FastChat's check_data)."""
    out: dict[str, tuple[str, ...]] = {}
    first: dict[str, int] = {}
    for row in read_jsonl(path):
        qid = _qid(row)
        q = questions.get(qid)
        if q is None:
            raise row.error(f"question_id {qid} is not one of the {len(questions)} questions", "question_id")
        if qid in out:
            raise row.error(f"a second answer to question {qid} (the first is on line {first[qid]})", "question_id")
        out[qid] = _turns(row, len(q.turns))
        first[qid] = row.line
    if not out:
        raise DataError("no answers in the file", path=str(path))
    missing = [qid for qid in questions if qid not in out]
    if complete and missing:
        shown = ", ".join(missing[:10]) + (", ..." if len(missing) > 10 else "")
        raise DataError(f"no answer to {len(missing)} of the {len(questions)} questions ({shown}); MT-Bench grades "
                        "every system on every question", path=str(path), field="question_id")
    return out


def answer_files(paths: list[str]) -> list[Path]:
    """The ``<model>.jsonl`` answer files named by --systems: files, ``model_answer/`` folders, or
    folders holding one."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            sub = p / "model_answer" if (p / "model_answer").is_dir() else p
            files = sorted(sub.glob("*.jsonl"))
            if not files:
                raise ConfigError(f"--systems {p}: no <model>.jsonl answer files (FastChat's model_answer/)")
            out += files
        else:
            raise ConfigError(f"--systems {p}: no such file or folder")
    return out


def _data_root(data: str | os.PathLike[str] | None) -> Path | None:
    if data is not None:
        p = Path(data)
        if not p.exists():
            raise ConfigError(f"--data {p}: no such file or folder")
        return p if p.is_dir() else p.parent
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else None


def _find(files: list[Path], data: str | os.PathLike[str] | None, names: tuple[str, ...], what: str) -> Path:
    """A file beside the answers' model_answer/ folder (FastChat's layout), else under --data."""
    candidates: list[Path] = []
    for f in files:
        candidates += [f.parent.parent / n for n in names]
    root = _data_root(data)
    if root is not None:
        candidates += [base / n for base in (root / "mt_bench", root) for n in names]
    for c in dict.fromkeys(candidates):
        if c.is_file():
            return c
    raise ConfigError(f"mt_bench: no {what} ({' or '.join(names)}) beside the answers' model_answer/ folder"
                      + (f" nor under {root}" if root is not None else "; pass --data FOLDER"))


@adapters.register("mt_bench")
def load(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None) -> LoadedData:
    args = suite.args
    files = answer_files([str(p) for p in args.get("systems") or []])
    if not files:
        raise ConfigError("no systems to grade: pass their FastChat answers (model_answer/<model>.jsonl) with "
                          "--systems PATH")
    qfile = _find(files, data, (Path(split.local).name,), "questions")
    questions = read_questions(qfile)
    ref_cats = tuple(args.get("reference_categories") or NEED_REF_CATS)
    need_ref = [q for q in questions.values() if q.category in ref_cats]
    refs: dict[str, tuple[str, ...]] = {}
    rfile: Path | None = None
    if need_ref:
        rfile = _find(files, data, ("reference_answer_gpt-4.jsonl", "reference_answer/gpt-4.jsonl"),
                      "reference answers")
        refs = read_answers(rfile, questions, complete=False)
        missing = [q.question_id for q in need_ref if q.question_id not in refs]
        if missing:
            raise DataError(f"no reference answer to question(s) {', '.join(missing)} (categories "
                            f"{', '.join(ref_cats)} are graded against a reference)", path=str(rfile),
                            field="question_id")
    systems: dict[str, tuple[Path, dict[str, tuple[str, ...]]]] = {}
    for f in files:
        name = f.stem  # FastChat names a system by its answer file
        if name in systems:
            raise DataError(f"system {name!r} is given twice (also {systems[name][0]})", path=str(f))
        systems[name] = (f, read_answers(f, questions))
    n = len(questions)
    examples: list[Example] = []
    prov: dict[str, Any] = {}
    for name in sorted(systems):
        path, answers = systems[name]
        for k, q in enumerate(questions.values()):
            ans = answers[q.question_id]
            ref = refs.get(q.question_id) if q.category in ref_cats else None
            for turn in (1, 2) if len(q.turns) == 2 else (1,):
                meta: dict[str, Any] = {"turn": turn}
                if turn == 2:
                    meta.update(question_1=q.turns[0], question_2=q.turns[1], answer_1=ans[0], answer_2=ans[1])
                if ref is not None:
                    meta["ref_answer_1"] = ref[0]
                    if turn == 2:
                        meta["ref_answer_2"] = ref[1]
                meta["aggregate"] = {"system": name, "instruction": k, "n_instructions": n,
                                     "uid": q.question_id, "turn": turn, "question_category": q.category}
                examples.append(PointExample(id=f"{name}/{q.question_id}/{turn}", prompt=q.turns[turn - 1],
                                             response=ans[turn - 1], category=name, metadata=meta))
        prov[name] = {"path": str(path.resolve()), "sha256": file_sha256(path)}
    # the questions and references by name and content, not by folder (a run whose data moved is the same
    # run; the manifest's config keeps the paths given); the systems under "systems", which is no part
    # of the run's identity (adding one later resumes the run)
    provenance: dict[str, Any] = {
        "source": "systems", "n_instructions": n, "questions": {"file": qfile.name, "sha256": file_sha256(qfile)},
        **({"references": {"file": rfile.name, "sha256": file_sha256(rfile)}} if rfile else {}),
        "reference_categories": list(ref_cats), "systems": prov}
    return LoadedData(examples, provenance)
