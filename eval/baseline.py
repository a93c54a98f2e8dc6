"""The plain LangChain RAG recipe, run beside parlqa on the same questions with the same model and embedder.

It follows LangChain's RAG tutorial: each document's text split by ``RecursiveCharacterTextSplitter`` (1000
characters, 200 overlap), a Chroma vector store, the top 4 chunks by similarity, the tutorial's "stuff" prompt, and
the retrieved documents as its citations. It never refuses except in the model's own words.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from langchain_core.documents import Document as LCDocument
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from corpus.loader import LoadReport, iter_documents
from corpus.types import Document
from qa.prompts import BASELINE_RAG_PROMPT

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 4
BATCH = 256
_DONT_KNOW = re.compile(
    r"\b(?:i|we) (?:do not|don't|cannot|can't) (?:know|find|say|answer)\b"
    r"|\bnot (?:mentioned|provided|specified|stated|given)\b"
    r"|\bdoes not (?:mention|provide|specify|state|say|contain)\b|\bno information\b",
    re.IGNORECASE,
)


def document_text(doc: Document) -> str:
    """The document as one page of text, as a web loader would give it: title, who asked and answered, dates,
    the question and the answer."""
    lines = [doc.display_title]
    if doc.asker:
        lines.append(f"Asked by {doc.asker.label()}" + (f" on {doc.date_asked:%d %B %Y}" if doc.date_asked else ""))
    if doc.department:
        lines.append(f"Question to the {doc.department}".replace("the the ", "the "))
    if doc.question:
        lines.append(doc.question)
    if doc.answerer:
        verb = "Statement by" if doc.kind == "written statement" else "Answered by"
        lines.append(
            f"{verb} {doc.answerer.label()}" + (f" on {doc.date_answered:%d %B %Y}" if doc.date_answered else "")
        )
    lines.append(doc.answer)
    return "\n".join(lines)


@dataclass(frozen=True)
class BaselineAnswer:
    text: str
    refused: bool
    cited: list[str]  # document ids of the retrieved chunks, in rank order
    context: str
    timings: dict[str, float]


class BaselineRAG:
    """Index ``paths`` once into its own Chroma collection under ``directory``, then answer like the tutorial."""

    def __init__(self, paths: Iterable[Path], directory: Path, embeddings, chat_model):
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.chat_model = chat_model
        paths = list(paths)
        stamp = hashlib.sha1("\n".join(f"{p}:{p.stat().st_size}" for p in paths).encode()).hexdigest()[:12]
        directory.mkdir(parents=True, exist_ok=True)
        self.store = Chroma(
            collection_name=f"baseline-{stamp}",
            embedding_function=embeddings,
            persist_directory=str(directory),
            collection_metadata={"hnsw:space": "cosine"},
        )
        self.documents = sum(1 for _ in iter_documents(paths, LoadReport()))  # what its index holds, for the report
        if self.store._collection.count() == 0:
            splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
            batch: list[LCDocument] = []
            for doc in iter_documents(paths, LoadReport()):
                page = LCDocument(page_content=document_text(doc), metadata={"doc_id": doc.id})
                batch.extend(splitter.split_documents([page]))
                if len(batch) >= BATCH:
                    self.store.add_documents(batch)
                    batch = []
            if batch:
                self.store.add_documents(batch)
        self.chain = ChatPromptTemplate.from_messages([("human", BASELINE_RAG_PROMPT)]) | chat_model | StrOutputParser()

    def ask(self, question: str) -> BaselineAnswer:
        started = time.perf_counter()
        docs = self.store.similarity_search(question, k=TOP_K)
        retrieved = time.perf_counter()
        context = "\n\n".join(d.page_content for d in docs)
        first = None
        parts = []
        for token in self.chain.stream({"question": question, "context": context}):
            if first is None:
                first = time.perf_counter()
            parts.append(token)
        done = time.perf_counter()
        text = "".join(parts).strip()
        timings = {"retrieve": retrieved - started, "first_token": (first or done) - started, "total": done - started}
        return BaselineAnswer(
            text=text,
            refused=bool(_DONT_KNOW.search(text)) or not text,
            cited=list(dict.fromkeys(d.metadata["doc_id"] for d in docs)),
            context=context,
            timings=timings,
        )
