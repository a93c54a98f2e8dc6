"""Corpus: parliamentary documents, their metadata and the loaders that read them."""

from corpus.loader import LoadProblem, LoadReport, default_corpus_files, load_documents
from corpus.types import Document, DocumentKind, House, Member

__all__ = [
    "Document",
    "DocumentKind",
    "House",
    "LoadProblem",
    "LoadReport",
    "Member",
    "default_corpus_files",
    "load_documents",
]
