"""Find corpus files under the given paths and load them, reporting each bad file once and going on."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from corpus.jsonl_loader import iter_jsonl_documents
from corpus.text_layouts import parse_text_document
from corpus.types import Document

log = logging.getLogger(__name__)

DEFAULT_CORPUS_DIR = Path(__file__).resolve().parent / "documents"
TEXT_SUFFIXES = (".txt", ".md")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")
# Program files met in a folder are passed over (counted, not reported as bad input): a folder that holds a
# Python package beside its documents is still a good folder.
CODE_SUFFIXES = (".py", ".pyc", ".pyo", ".pyi", ".pyd", ".so")
CODE_FOLDERS = ("__pycache__",)
MAX_TEXT_BYTES = 5_000_000


@dataclass(frozen=True)
class LoadProblem:
    """A file (or some of its lines) that could not be loaded, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class LoadReport:
    """What a load found: files read, documents, problems and warnings."""

    files: int = 0
    documents: int = 0
    code_files: int = 0  # program files found in folders and passed over
    problems: list[LoadProblem] = field(default_factory=list)
    warnings: list[LoadProblem] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.problems)


def default_corpus_files() -> list[Path]:
    """The five documents shipped in ``corpus/documents/``."""
    return sorted(DEFAULT_CORPUS_DIR.glob("*.txt"))


def _is_jsonl(path: Path) -> bool:
    return path.name.lower().endswith(JSONL_SUFFIXES)


def _is_text(path: Path) -> bool:
    return path.suffix.lower() in TEXT_SUFFIXES


def _is_code(relative: Path) -> bool:
    return relative.suffix.lower() in CODE_SUFFIXES or any(part in CODE_FOLDERS for part in relative.parts)


def discover_files(paths: Iterable[Path], report: LoadReport | None = None) -> tuple[list[Path], list[LoadProblem]]:
    """Expand folders into their corpus files (sorted); name the paths that do not exist or are not corpus files.

    In a folder, hidden files are passed over in silence and program files are counted in ``report.code_files``;
    a program file named on its own is a problem like any other file that is not a document.
    """
    found: list[Path] = []
    problems: list[LoadProblem] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                relative = child.relative_to(path)
                if any(part.startswith(".") for part in relative.parts):
                    continue
                if _is_code(relative):
                    if report is not None:
                        report.code_files += 1
                    continue
                if _is_jsonl(child) or _is_text(child):
                    found.append(child)
                else:
                    problems.append(LoadProblem(str(child), "not a corpus file (expected .txt, .md, .jsonl)"))
        elif path.is_file():
            if _is_jsonl(path) or _is_text(path):
                found.append(path)
            else:
                problems.append(LoadProblem(str(path), "not a corpus file (expected .txt, .md, .jsonl)"))
        else:
            problems.append(LoadProblem(str(path), "no such file or folder"))
    return found, problems


def _read_text_file(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise ValueError(f"file is too large ({size:,} bytes; the limit is {MAX_TEXT_BYTES:,})")
    raw = path.read_bytes()
    if not raw.strip():
        raise ValueError("file is empty")
    if len(raw) > MAX_TEXT_BYTES:
        raise ValueError(f"file is too large ({len(raw):,} bytes; the limit is {MAX_TEXT_BYTES:,})")
    if b"\x00" in raw[:8192]:
        raise ValueError("file is binary, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 (byte {exc.start})") from exc
    if not text.strip():
        raise ValueError("file has no text")
    return text


def _load_text(path: Path, report: LoadReport) -> Iterator[Document]:
    try:
        text = _read_text_file(path)
    except (OSError, ValueError) as exc:
        report.problems.append(LoadProblem(str(path), str(exc)))
        return
    doc, recognised = parse_text_document(path, text)
    if not doc.answer.strip():
        report.problems.append(LoadProblem(str(path), "no text after removing boilerplate"))
        return
    if not recognised:
        report.warnings.append(LoadProblem(str(path), "layout not recognised; indexed as a plain document"))
    yield doc


def _load_jsonl(path: Path, report: LoadReport) -> Iterator[Document]:
    bad: list[str] = []
    good = 0
    try:
        for number, item in iter_jsonl_documents(path):
            if isinstance(item, Document):
                good += 1
                yield item
            else:
                bad.append(f"line {number}: {item}")
    except (OSError, EOFError, UnicodeDecodeError, zlib.error) as exc:
        reason = "not valid UTF-8" if isinstance(exc, UnicodeDecodeError) else f"unreadable ({exc})"
        bad.append(reason)
    if bad and good == 0:
        reason = bad[0] if len(bad) == 1 else f"no valid records; {len(bad)} bad ({bad[0]})"
        report.problems.append(LoadProblem(str(path), reason))
    elif not bad and good == 0:
        report.problems.append(LoadProblem(str(path), "file is empty"))
    elif bad:
        report.warnings.append(
            LoadProblem(str(path), f"{len(bad)} bad record(s) skipped, {good} loaded (first: {bad[0]})")
        )


def _utf8_name(path: Path) -> bool:
    """Whether the path is UTF-8 (undecodable bytes in a name become lone surrogates, which cannot be stored)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def iter_documents(paths: Iterable[Path], report: LoadReport) -> Iterator[Document]:
    """Stream Documents from files and folders; problems and warnings are added to ``report``."""
    files, problems = discover_files(paths, report)
    report.problems.extend(problems)
    for path in files:
        report.files += 1
        if not _utf8_name(path):
            report.problems.append(LoadProblem(str(path), "file name is not valid UTF-8"))
            continue
        loader = _load_jsonl if _is_jsonl(path) else _load_text
        for doc in loader(path, report):
            report.documents += 1
            yield doc


def load_documents(paths: Iterable[Path] | None = None) -> tuple[list[Document], LoadReport]:
    """Load every Document under ``paths`` (the default corpus when None); later duplicates of an id win."""
    report = LoadReport()
    chosen = list(paths) if paths else default_corpus_files()
    by_id: dict[str, Document] = {}
    for doc in iter_documents(chosen, report):
        if doc.id in by_id:
            report.warnings.append(
                LoadProblem(doc.source_name(), f"document id {doc.id!r} seen twice; the later one is kept")
            )
        by_id[doc.id] = doc
    return list(by_id.values()), report
