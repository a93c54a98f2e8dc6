"""The embedding backends load offline from packaged weights and agree closely."""

from __future__ import annotations

import numpy as np
import pytest

from index.embedding import EmbeddingModelError, load_embeddings, resolve_embedding_model

TEXTS = [
    "In 2013 the government set up the Early Intervention Foundation.",
    "The Local Social Work Improvement Fund of £23 million can be used flexibly by local authorities.",
    "To ask the Secretary of State for Education, what steps she is taking to protect children at risk of abuse.",
    "Pension Credit take-up letters were trialled with local authorities.",
]


@pytest.mark.parametrize(("backend", "least_cosine"), [("onnx", 0.998), ("onnx-int8", 0.98)])
def test_onnx_backends_match_the_sentence_transformers_model(backend, least_cosine):
    torch_vectors = np.asarray(load_embeddings("packaged:all-MiniLM-L6-v2", "torch").embed_documents(TEXTS))
    onnx_vectors = np.asarray(load_embeddings("packaged:all-MiniLM-L6-v2", backend).embed_documents(TEXTS))
    assert torch_vectors.shape == onnx_vectors.shape == (4, 384)
    np.testing.assert_allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(torch_vectors * onnx_vectors, axis=1)) > least_cosine
    # the same neighbours: each text is closest to itself under both
    assert (np.argmax(onnx_vectors @ torch_vectors.T, axis=1) == np.arange(4)).all()


def test_query_and_document_vectors_agree():
    encoder = load_embeddings("packaged:all-MiniLM-L6-v2", "onnx-int8")
    assert np.allclose(encoder.embed_query(TEXTS[0]), encoder.embed_documents(TEXTS[:1])[0], atol=1e-5)


def test_local_model_folder_and_unknown_names():
    folder = resolve_embedding_model("packaged:all-MiniLM-L6-v2")
    assert resolve_embedding_model(folder) == folder
    vectors = load_embeddings(folder, "torch").embed_documents(TEXTS[:1])
    assert len(vectors[0]) == 384
    with pytest.raises(EmbeddingModelError, match="unknown packaged"):
        resolve_embedding_model("packaged:no-such-model")


def test_int8_encoder_is_built_once_from_the_packaged_file(tmp_path):
    from index.embedding import packaged_onnx, quantized_encoder

    source = packaged_onnx("packaged:all-MiniLM-L6-v2")
    built = quantized_encoder(source, tmp_path)
    assert built.parent == tmp_path and built.stat().st_size < source.stat().st_size * 1.2
    modified = built.stat().st_mtime_ns
    assert quantized_encoder(source, tmp_path) == built and built.stat().st_mtime_ns == modified
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == [built.name]


def test_long_texts_are_cut_at_max_tokens():
    short = load_embeddings("packaged:all-MiniLM-L6-v2", "onnx-int8", 32, 16)
    long_text = TEXTS[2] + " " + " ".join(TEXTS)
    # only the first 16 word pieces are read: the tail changes nothing
    assert np.allclose(short.embed_query(long_text), short.embed_query(TEXTS[2] + " unrelated words"), atol=1e-5)
