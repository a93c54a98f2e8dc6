"""Token-aware chunks: bounds in tokens, deterministic ids, self-contained headers, offsets into the answer."""

from __future__ import annotations

import pytest
from conftest import shared_sample_lines

from corpus import load_documents
from corpus.jsonl_loader import record_to_document
from index.chunking import Chunker, count_tokens

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def default_docs():
    return load_documents()[0]


@pytest.mark.parametrize("size", [96, 160, 256, 384])
def test_chunks_respect_the_token_bound(default_docs, size):
    chunker = Chunker(chunk_tokens=size, chunk_overlap=16)
    for doc in default_docs:
        chunks = chunker.chunk(doc)
        assert chunks
        for chunk in chunks:
            # the splitter may exceed the bound only for a single unbreakable word run; these texts have none
            assert count_tokens(chunk.text) <= size + 2, (doc.id, chunk.ordinal, count_tokens(chunk.text))


def test_short_answer_stays_one_chunk_with_question_and_header():
    import json

    line = next(line for line in shared_sample_lines(500, step=50) if json.loads(line)["metadata_level"] == "complete")
    doc = record_to_document(json.loads(line), "sample")
    chunks = Chunker(chunk_tokens=2048).chunk(doc)
    assert len(chunks) == 1
    text = chunks[0].text
    assert text.startswith(doc.display_title)
    assert f"Answered by {doc.answerer.name}" in text.splitlines()[0]
    assert doc.question in text and doc.answer in text
    dense = chunks[0].dense_text  # no title of its own: the question opens the encoder's text, no names or dates
    assert dense == f"Q: {doc.question}\nA: {doc.answer}" or dense == f"{doc.title}\nQ: {doc.question}\nA: {doc.answer}"


def test_long_answers_split_on_boundaries_and_every_chunk_has_the_header(default_docs):
    chunker = Chunker(chunk_tokens=128, chunk_overlap=16)
    doc = next(d for d in default_docs if d.id.startswith("002_"))
    chunks = chunker.chunk(doc)
    assert len(chunks) > 3
    header = chunks[0].text.splitlines()[0]
    assert header == "Offences against Children | Answered by Edward Timpson, Department for Education, 14 July 2015"
    for chunk in chunks:
        assert chunk.text.startswith(header + "\n")
        assert chunk.text[chunk.header_chars :] == chunk.body
        assert doc.answer[chunk.body_start : chunk.body_start + len(chunk.body)] == chunk.body
        assert chunk.body.rstrip()[-1] in '.;:!?)”’"' or chunk.body == chunks[-1].body or " " in chunk.body
        assert chunk.metadata["doc_id"] == doc.id and chunk.metadata["title"] == "Offences against Children"
        # the encoder reads title, question and body; the names and dates line is for BM25 and display
        assert chunk.dense_text.startswith("Offences against Children\n") and chunk.dense_text.endswith(chunk.body)
        assert "Edward Timpson" not in chunk.dense_text.replace(chunk.body, "")


def test_chunk_ids_are_deterministic_and_change_with_content(default_docs):
    first = [c.id for d in default_docs for c in Chunker(200, 20).chunk(d)]
    second = [c.id for d in default_docs for c in Chunker(200, 20).chunk(d)]
    assert first == second and len(set(first)) == len(first)
    doc = default_docs[0]
    edited = doc.model_copy(update={"answer": doc.answer + " An added sentence."})
    assert Chunker(200, 20).chunk(edited)[-1].id != Chunker(200, 20).chunk(doc)[-1].id
    assert all(c.id.startswith(f"{doc.id}:") for c in Chunker(200, 20).chunk(doc))


def test_overlap_must_be_smaller_than_chunk():
    with pytest.raises(ValueError):
        Chunker(chunk_tokens=64, chunk_overlap=64)
