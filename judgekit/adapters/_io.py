"""Shared input handling for adapters: local files, the Hugging Face hub, and errors
that name the file, the line and the field."""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from ..errors import ConfigError, DataError, MissingDependencyError
from ..registry import adapters
from ..suites import HubSource, PartSpec, SplitSpec, SuiteSpec
from ..types import Example

DATA_DIR_ENV = "JUDGEKIT_DATA_DIR"


@dataclass(slots=True)
class Row:
    """One input record and where it came from, for error messages."""

    data: Mapping[str, Any]
    path: str
    line: int

    def get(self, name: str, *, types: type | tuple[type, ...] = str, required: bool = True) -> Any:
        if name not in self.data or self.data[name] is None:
            if required:
                raise DataError("missing", path=self.path, line=self.line, field=name)
            return None
        value = self.data[name]
        if isinstance(value, float) and not math.isfinite(value):  # JSON NaN / Infinity, a Parquet NaN
            raise DataError(f"{value!r} is not a value (NaN / Infinity); give the field a real value or "
                            "leave it out", path=self.path, line=self.line, field=name)
        if not isinstance(value, types):
            raise DataError(
                f"expected {_type_names(types)}, got {type(value).__name__} {value!r:.60}",
                path=self.path, line=self.line, field=name,
            )
        return value

    def error(self, message: str, field: str | None = None) -> DataError:
        return DataError(message, path=self.path, line=self.line, field=field)


def _type_names(types: type | tuple[type, ...]) -> str:
    if isinstance(types, type):
        return types.__name__
    return " or ".join(t.__name__ for t in types)


@dataclass
class LoadedData:
    examples: list[Example]
    provenance: dict[str, Any] = field(default_factory=dict)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _not_utf8(path: Path, line: int, exc: UnicodeDecodeError, column: int | None = None) -> DataError:
    bad = exc.object[exc.start:exc.start + 1].hex()
    where = f" at column {column}" if column is not None else ""
    return DataError(f"not UTF-8 (byte 0x{bad}{where}); judgekit reads UTF-8 only: re-save the file as UTF-8 "
                     f"(e.g. iconv -f latin1 -t utf-8 {path.name} > fixed{path.suffix})", path=str(path), line=line)


def decode_utf8(path: Path) -> str:
    """A whole file as text: UTF-8, a leading byte-order mark dropped; a DataError naming the line of
    the first byte that is not UTF-8."""
    blob = path.read_bytes()
    try:
        return blob.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = blob.count(b"\n", 0, exc.start) + 1
        column = exc.start - (blob.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _not_utf8(path, line, exc, column) from None


_decode_json = msgspec.json.Decoder().decode


def read_jsonl(path: Path, digest: Any = None) -> Iterator[Row]:
    """Yield each non-blank line of a JSONL file as a Row; a bad line raises DataError. With
    ``digest`` (a hashlib object), every byte read is fed to it too: read to the end, it holds
    the file's hash (what :func:`file_sha256` gives), without a pass of its own."""
    where = str(path)
    with open(path, "rb", buffering=1 << 20) as f:  # (a large file: 1 MB reads, not 8 KB ones)
        for lineno, raw in enumerate(f, start=1):
            if digest is not None:
                digest.update(raw)
            if lineno > 1:  # (the first line may start with a byte order mark: the way below)
                try:  # msgspec reads the bytes as they are, refusing what is not UTF-8 as decoding does
                    obj = _decode_json(raw)
                except Exception:  # blank, not UTF-8, not JSON msgspec reads: the way below decides
                    pass
                else:
                    if type(obj) is dict:
                        yield Row(obj, where, lineno)
                        continue
            try:
                text = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise _not_utf8(path, lineno, exc, exc.start + 1) from None
            if not text or text.isspace():  # blank (what `not text.strip()` says, without the copy)
                continue
            try:
                obj = _decode_json(text)  # msgspec: what json.loads gives for what it can read, faster
            except Exception:  # NaN, 1e400, a lone surrogate, bad JSON: json.loads decides (value or error)
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise DataError(f"invalid JSON ({exc.msg} at column {exc.colno})", path=str(path),
                                    line=lineno) from None
            if not isinstance(obj, dict):
                raise DataError(f"expected a JSON object, got {type(obj).__name__}", path=str(path),
                                line=lineno)
            yield Row(obj, where, lineno)


def resolve_local(suite: SuiteSpec, split: SplitSpec | PartSpec, data: str | os.PathLike[str] | None) -> Path | None:
    """The local file for a split: --data (file or folder), else $JUDGEKIT_DATA_DIR, else None (hub)."""
    root: Path | None = None
    if data is not None:
        p = Path(data)
        if p.is_file():
            return p
        if not p.is_dir():
            raise ConfigError(f"--data {p}: no such file or folder")
        root = p
    elif os.environ.get(DATA_DIR_ENV):
        root = Path(os.environ[DATA_DIR_ENV])
        if not root.is_dir():
            raise ConfigError(f"${DATA_DIR_ENV}={root}: no such folder")
    if root is None:
        return None
    rel = Path(split.local)
    candidates = [root / suite.name / rel, root / rel, root / rel.name]
    for c in candidates:
        if c.is_file():
            return c
    raise ConfigError(
        f"no local data for suite {suite.name!r} under {root}; looked for: "
        + ", ".join(str(c) for c in candidates)
    )


def input_rows(suite: SuiteSpec, split: SplitSpec,
               data: str | os.PathLike[str] | None) -> tuple[Iterator[Row], dict[str, Any]]:
    local = resolve_local(suite, split, data)
    if local is None:
        return hub_part_rows(suite, split.files()[""])
    provenance = {"source": "file", "path": str(local.resolve()), "sha256": file_sha256(local)}
    if local.suffix == ".json":
        raise ConfigError(f"{local}: expected a JSONL file (one JSON object per line)")
    return read_jsonl(local), provenance


# ----------------------------------------------------------------------------- any format, many parts


def read_records(path: Path) -> Iterator[Row]:
    """Rows of a local file by its suffix: .jsonl, .json (a list of objects, or an object whose
    values are lists of objects, as EvalBiasBench's), .csv / .tsv, .parquet."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from read_jsonl(path)
    elif suffix == ".json":
        yield from _read_json(path)
    elif suffix in (".csv", ".tsv"):
        import csv

        text = decode_utf8(path)  # a BOM is dropped, so the first column keeps its name
        reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if suffix == ".tsv" else ",")
        try:
            header = next(reader, None)
            start = reader.line_num + 1
            for values in reader:
                if values:  # a blank line is skipped (as csv.DictReader does)
                    rec: dict[Any, Any] = dict(zip(header or [], values, strict=False))
                    for name in (header or [])[len(values):]:
                        rec[name] = None
                    if header is not None and len(values) > len(header):
                        rec[None] = values[len(header):]
                    # the record's own first line: quoted newlines make records span several lines
                    yield Row(rec, str(path), start)
                start = reader.line_num + 1
        except csv.Error as exc:
            raise DataError(f"not valid CSV: {exc}", path=str(path), line=reader.line_num) from None
    elif suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise MissingDependencyError("pyarrow", "hub") from None
        table = pq.read_table(path)
        for i, rec in enumerate(table.to_pylist(), start=1):
            yield Row(rec, str(path), i)
    else:
        raise ConfigError(f"{path}: unknown file type {suffix!r}; expected .jsonl, .json, .csv, .tsv "
                          "or .parquet")


def _read_json(path: Path) -> Iterator[Row]:
    try:
        obj = json.loads(decode_utf8(path))
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON ({exc.msg} at column {exc.colno})", path=str(path),
                        line=exc.lineno) from None
    groups: list[tuple[str | None, Any]]
    if isinstance(obj, list):
        groups = [(None, obj)]
    elif isinstance(obj, dict) and all(isinstance(v, list) for v in obj.values()):
        groups = list(obj.items())
    else:
        raise DataError("expected a JSON list of objects (or an object of such lists)", path=str(path))
    index = 0
    for key, items in groups:
        for item in items:
            index += 1
            where = f"{path}[{key!r}]" if key is not None else str(path)
            if not isinstance(item, dict):
                raise DataError(f"item {index}: expected a JSON object, got {type(item).__name__}",
                                path=where)
            rec = dict(item)
            if key is not None:
                rec.setdefault("_group", key)
            # JSON files have no useful line numbers: the item's position (1-based) stands in.
            yield Row(rec, str(path), index)


def hub_part_rows(suite: SuiteSpec, part: PartSpec) -> tuple[Iterator[Row], dict[str, Any]]:
    """Rows of one part from the Hugging Face hub: a configured dataset (config, split) or one
    file of the repository (`hub_file`, read with the json/csv/parquet builder)."""
    if part.hub_id is not None:
        hub = HubSource(id=part.hub_id, revision=part.revision or "main")
    elif suite.hub is not None:
        hub = suite.hub
    else:
        raise ConfigError(f"suite {suite.name!r} has no hub source; pass --data PATH to a local copy "
                          f"(or set ${DATA_DIR_ENV})")
    if not part.hub_split:
        raise ConfigError(f"suite {suite.name!r}: {part.local} has no hub copy; pass --data PATH to a "
                          f"folder that holds it (or set ${DATA_DIR_ENV})")
    try:
        import datasets
    except ImportError:
        raise MissingDependencyError("datasets", "hub") from None
    kwargs: dict[str, Any] = {"split": part.hub_split, "revision": hub.revision}
    try:
        if part.hub_file is not None:
            builder = {".jsonl": "json", ".json": "json", ".csv": "csv",
                       ".parquet": "parquet"}.get(Path(part.hub_file).suffix, "json")
            url = f"hf://datasets/{hub.id}@{hub.revision}/{part.hub_file}"
            ds = datasets.load_dataset(builder, data_files={part.hub_split: url}, split=part.hub_split)
        elif part.hub_config is not None:
            ds = datasets.load_dataset(hub.id, part.hub_config, **kwargs)
        else:
            ds = datasets.load_dataset(hub.id, **kwargs)
    except Exception as exc:  # network, auth, missing split: all need the user's action
        raise ConfigError(
            f"could not load {hub.id} ({part.hub_file or part.hub_config or ''} split "
            f"{part.hub_split}, revision {hub.revision}) from the Hugging Face hub: {exc}. "
            f"Without network access, pass --data PATH to a local copy or set ${DATA_DIR_ENV}."
        ) from exc
    where = f"hf://{hub.id}@{hub.revision}/{part.hub_file or part.hub_config or ''}/{part.hub_split}"
    provenance = {"source": "hub", "hub_id": hub.id, "revision": hub.revision,
                  "config": part.hub_config, "file": part.hub_file, "split": part.hub_split,
                  "fingerprint": getattr(ds, "_fingerprint", None)}
    return (Row(dict(r), where, i) for i, r in enumerate(ds, start=1)), provenance


def rows_of_split(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None,
                  args: Mapping[str, Any], missing: str) -> tuple[list[Row], dict[str, Any]]:
    """The rows of a field-mapped suite (generic, qa): the hub dataset its args name (``hub``, with
    ``revision``, ``hub_split``, ``hub_config``) when no --data is given, else every local part of
    the split. ``missing``: the error when there is neither."""
    if args.get("hub") and data is None:
        part = PartSpec(hub_id=args["hub"], revision=args.get("revision", "main"),
                        hub_split=args.get("hub_split", "train"), hub_config=args.get("hub_config"), local="")
        rows_iter, provenance = hub_part_rows(suite, part)
        return list(rows_iter), provenance
    if data is None and not split.local:
        raise ConfigError(missing)
    parts, provenance = split_parts(suite, split, data)
    return [r for part in parts.values() for r in part], provenance


def split_parts(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None
                ) -> tuple[dict[str, list[Row]], dict[str, Any]]:
    """Every part of a split, local (--data, $JUDGEKIT_DATA_DIR) or from the hub, as lists of rows,
    with the provenance of each part."""
    parts = split.files()
    if data is not None and Path(data).is_file() and len(parts) > 1:
        raise ConfigError(f"--data {data}: suite {suite.name!r} reads several files "
                          f"({', '.join(parts)}); pass the folder that holds them")
    out: dict[str, list[Row]] = {}
    provenance: dict[str, Any] = {}
    for name, part in parts.items():
        if part.optional:
            try:
                local = resolve_local(suite, part, data)
            except ConfigError:
                local = None
            if local is None and not part.hub_split:
                provenance[name] = {"source": "missing (optional)"}
                continue
        else:
            local = resolve_local(suite, part, data)
        if local is None:
            rows, prov = hub_part_rows(suite, part)
        else:
            rows = read_records(local)
            prov = {"source": "file", "path": str(local.resolve()), "sha256": file_sha256(local)}
        out[name] = list(rows)
        provenance[name] = prov
    if len(parts) == 1:
        return out, next(iter(provenance.values()))
    sources = {p["source"] for p in provenance.values() if p["source"] != "missing (optional)"}
    return out, {"source": sources.pop() if len(sources) == 1 else "mixed", "parts": provenance}


def load_examples(suite: SuiteSpec, split: str | None = None,
                  data: str | os.PathLike[str] | None = None, limit: int | None = None) -> LoadedData:
    """Run the suite's adapter on one split."""
    split_name, split_spec = suite.split(split)
    loader = adapters.get(suite.adapter)
    loaded: LoadedData = loader(suite, split_spec, data)
    seen: dict[str, int] = {}
    for i, ex in enumerate(loaded.examples):
        if ex.id in seen:
            raise DataError(f"duplicate example id {ex.id!r} (also at example {seen[ex.id] + 1})",
                            path=str(loaded.provenance.get("path", suite.name)), line=i + 1, field="id")
        seen[ex.id] = i
    if not loaded.examples:
        raise DataError(f"no examples in split {split_name!r} of suite {suite.name!r}: the data is empty (or "
                        "holds no rows of this suite's kind); nothing to judge",
                        path=str(loaded.provenance.get("path", suite.name)))
    loaded.provenance["split"] = split_name
    loaded.provenance["n_examples"] = len(loaded.examples)
    if limit is not None:
        loaded.examples = loaded.examples[:limit]
        loaded.provenance["limit"] = limit
    return loaded


def system_files(paths: Sequence[str], suffixes: Sequence[str] = (".jsonl",), *, subfolder: str | None = None,
                 what: str = "files") -> list[Path]:
    """The files named by ``--systems``: each path a file, or a folder of files with one of
    ``suffixes`` (or its ``subfolder``, e.g. FastChat's and Arena-Hard's ``model_answer/``, where the
    folder holds one); a ConfigError naming the path when it is missing or holds none."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            sub = p / subfolder if subfolder and (p / subfolder).is_dir() else p
            files = sorted(f for f in sub.iterdir() if f.suffix.lower() in suffixes and f.is_file())
            if not files:
                raise ConfigError(f"--systems {p}: no {what}")
            out += files
        else:
            raise ConfigError(f"--systems {p}: no such file or folder")
    return out
