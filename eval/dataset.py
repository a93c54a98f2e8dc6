"""Evaluation pairs: a typed model and a JSON Lines loader that names the file and line of a bad pair."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SETS_DIR = Path(__file__).resolve().parent / "sets"
BUILTIN_SETS = ("default", "commons")


class Kind(StrEnum):
    FACTOID = "factoid"
    WHO_WHEN = "who_when"
    LIST = "list"
    WHY_HOW = "why_how"
    MULTI_DOCUMENT = "multi_document"
    UNANSWERABLE = "unanswerable"
    NEAR_MISS = "near_miss"  # names what the corpus discusses, asks for a fact it does not hold


UNANSWERABLE_KINDS = frozenset({Kind.UNANSWERABLE, Kind.NEAR_MISS})
Half = Literal["fit", "held-out"]


class EvalPair(BaseModel):
    """One question with its reference answer, the facts a correct answer states and the documents holding them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    question: str = Field(min_length=3)
    reference_answer: str
    key_facts: list[str] = Field(default_factory=list)
    source_ids: list[str] = Field(default_factory=list)
    kind: Kind
    corpus: str = Field(min_length=1)
    absent: list[list[str]] = Field(
        default_factory=list,
        description="Near-miss questions: term groups a sentence stating the asked fact would need one of each of; "
        "eval.absence checks that no sentence of the corpus has them all.",
    )

    @property
    def answerable(self) -> bool:
        return self.kind not in UNANSWERABLE_KINDS

    @model_validator(mode="after")
    def _consistent(self) -> EvalPair:
        if self.answerable and not (self.key_facts and self.source_ids):
            raise ValueError("an answerable pair needs key_facts and source_ids")
        if not self.answerable and (self.key_facts or self.source_ids):
            raise ValueError("an unanswerable pair has no key_facts or source_ids")
        if any(not f.strip() for f in self.key_facts):
            raise ValueError("a key fact is empty")
        return self


class DatasetError(ValueError):
    """A set file that cannot be read, or a pair in it that is not valid."""


def set_path(name_or_path: str | Path) -> Path:
    """A built-in set name (``default``, ``commons``) or a path to a ``.jsonl`` file."""
    text = str(name_or_path)
    if text in BUILTIN_SETS:
        return SETS_DIR / f"{text}.jsonl"
    return Path(text).expanduser()


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(map(str, first["loc"]))
    return f"{where}: {first['msg']}" if where else first["msg"]


def load_pairs(name_or_path: str | Path) -> list[EvalPair]:
    """Every pair of a set, in file order; raises ``DatasetError`` naming the file and line at fault."""
    path = set_path(name_or_path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such evaluation set")
    pairs: list[EvalPair] = []
    ids: set[str] = set()
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                pair = EvalPair.model_validate(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
            except ValidationError as exc:
                raise DatasetError(f"{path}:{number}: {_first_error(exc)}") from None
            if pair.id in ids:
                raise DatasetError(f"{path}:{number}: duplicate id {pair.id!r}")
            ids.add(pair.id)
            pairs.append(pair)
    if not pairs:
        raise DatasetError(f"{path}: no pairs")
    return pairs


HALVES_FILE = SETS_DIR / "halves.json"  # every built-in pair's half as first assigned, so that adding pairs moves none


def frozen_halves() -> dict[str, Half]:
    """The recorded half of every built-in pair (empty when the file is absent)."""
    return json.loads(HALVES_FILE.read_text(encoding="utf-8")) if HALVES_FILE.exists() else {}


def split_halves(pairs: list[EvalPair], recorded: dict[str, Half] | None = None) -> dict[str, Half]:
    """Each pair's half, "fit" (where thresholds are fitted and failures read) or "held-out" (where figures are
    reported). A pair keeps the half it was first given (``eval/sets/halves.json``); within each kind, new pairs
    ordered by the sha1 of their id go one by one to the smaller half, so both halves hold every kind."""
    recorded = frozen_halves() if recorded is None else recorded
    groups: dict[Kind, list[EvalPair]] = defaultdict(list)
    for pair in pairs:
        groups[pair.kind].append(pair)
    halves: dict[str, Half] = {}
    for group in groups.values():
        counts = {"fit": 0, "held-out": 0}
        for pair in group:
            if pair.id in recorded:
                halves[pair.id] = recorded[pair.id]
                counts[recorded[pair.id]] += 1
        for pair in sorted(
            (p for p in group if p.id not in recorded), key=lambda p: hashlib.sha1(p.id.encode()).hexdigest()
        ):
            half: Half = "fit" if counts["fit"] <= counts["held-out"] else "held-out"
            halves[pair.id] = half
            counts[half] += 1
    return halves


def set_name(name_or_path: str | Path) -> str:
    """A short label for a set: its built-in name or the file stem."""
    text = str(name_or_path)
    return text if text in BUILTIN_SETS else Path(text).stem
