"""Token-aware chunking: one self-contained chunk per short answer, paragraph/sentence splits for long ones."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import tiktoken
from langchain_text_splitters import RecursiveCharacterTextSplitter

from corpus.dates import long_date
from corpus.types import Document
from index.records import RecordMeta
from parlqa.offline import seed_tiktoken_cache

SEPARATORS = ["\n\n", "\n", ". ", "; ", ", ", " ", ""]


@dataclass(frozen=True)
class Chunk:
    """A passage of one document, as embedded and stored."""

    id: str
    doc_id: str
    ordinal: int
    text: str  # header + question + body: what is stored, shown and searched by BM25
    header_chars: int  # len of the header prefix of ``text``
    body_start: int  # offset of the body in the document's answer text
    dense_text: str  # what the encoder reads: real title, question, body (no names or dates)
    metadata: dict[str, str | int | float | bool]

    @property
    def body(self) -> str:
        return self.text[self.header_chars :]


@lru_cache(maxsize=4)
def get_encoding(name: str) -> tiktoken.Encoding:
    seed_tiktoken_cache()
    return tiktoken.get_encoding(name)


def count_tokens(text: str, encoding: str = "cl100k_base") -> int:
    return len(get_encoding(encoding).encode(text, disallowed_special=()))


def chunk_header(doc: Document) -> str:
    """'Title | Answered by Name (Party), Department, 21 December 2016' — short, for every chunk."""
    parts = [doc.display_title]
    who = doc.answerer.label() if doc.answerer else None
    verb = "Statement by" if doc.kind == "written statement" else "Answered by"
    detail = ", ".join(p for p in (f"{verb} {who}" if who else None, doc.department) if p)
    when = doc.effective_date
    if when:
        detail = f"{detail}, {long_date(when)}" if detail else long_date(when)
    if detail:
        parts.append(detail)
    return " | ".join(parts) + "\n"


def chunk_metadata(doc: Document) -> dict[str, str | int | float | bool]:
    """Document metadata as Chroma accepts it (no None values; dates also as sortable integers)."""
    return RecordMeta.of_document(doc).stored()


def chunk_id(doc_id: str, ordinal: int, text: str) -> str:
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    return f"{doc_id}:{ordinal:03d}:{digest}"


class Chunker:
    """Split documents into chunks of at most ``chunk_tokens`` tokens (header included)."""

    MAX_QUESTION_TOKENS = 48

    def __init__(self, chunk_tokens: int = 256, chunk_overlap: int = 32, encoding: str = "cl100k_base"):
        if chunk_overlap >= chunk_tokens:
            raise ValueError("chunk_overlap must be smaller than chunk_tokens")
        self.chunk_tokens = chunk_tokens
        self.chunk_overlap = chunk_overlap
        self.encoding_name = encoding
        self._encoding = get_encoding(encoding)

    def _tokens(self, text: str) -> int:
        return len(self._encoding.encode(text, disallowed_special=()))

    def _splitter(self, budget: int) -> RecursiveCharacterTextSplitter:
        return RecursiveCharacterTextSplitter(
            separators=SEPARATORS,
            keep_separator="end",
            chunk_size=budget,
            chunk_overlap=min(self.chunk_overlap, budget // 4),
            length_function=self._tokens,
            strip_whitespace=True,
        )

    def chunk(self, doc: Document) -> list[Chunk]:
        header = chunk_header(doc)
        meta = chunk_metadata(doc)
        question = f"Q: {doc.question}\nA: " if doc.question else ""
        fixed_tokens = self._tokens(header)
        if fixed_tokens + self._tokens(question + doc.answer) <= self.chunk_tokens:
            return [self._make(doc, 0, header, question, doc.answer, body_start=0, meta=meta)]
        # Long answers: every piece repeats the (shortened) question so it stands on its own.
        room = self.chunk_tokens - fixed_tokens
        if question:
            shortened = self._shorten(doc.question or "", min(self.MAX_QUESTION_TOKENS, room // 3))
            question = f"Q: {shortened}\nA: " if shortened else ""
        budget = room - self._tokens(question)
        if budget < 16:
            question, budget = "", room
        budget = max(budget, 16)
        chunks: list[Chunk] = []
        cursor = 0
        for part in self._splitter(budget).split_text(doc.answer):
            start = doc.answer.find(part, cursor)
            if start < 0:
                start = doc.answer.find(part)
            cursor = max(start, 0) + 1
            chunks.append(self._make(doc, len(chunks), header, question, part, body_start=start, meta=meta))
        return chunks

    def _shorten(self, text: str, max_tokens: int) -> str:
        if max_tokens < 8:
            return ""
        tokens = self._encoding.encode(text, disallowed_special=())
        if len(tokens) <= max_tokens:
            return text
        return self._encoding.decode(tokens[:max_tokens]).rstrip() + "…"

    @staticmethod
    def _make(doc: Document, ordinal: int, header: str, question: str, body: str, body_start: int, meta: dict) -> Chunk:
        prefix = header + question
        text = prefix + body
        chunk_meta = dict(meta, ordinal=ordinal, header_chars=len(prefix), body_start=body_start)
        return Chunk(
            id=chunk_id(doc.id, ordinal, text),
            doc_id=doc.id,
            ordinal=ordinal,
            text=text,
            header_chars=len(prefix),
            body_start=body_start,
            metadata=chunk_meta,
            dense_text=(f"{doc.title}\n" if doc.title else "") + question + body,
        )
