"""Our converter + llama.cpp reproduce the original PyTorch model (reference fixtures)."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from app.core.embedder import truncate
from bench.shared import shared_dir, status_mb

pytestmark = pytest.mark.real_model

FIXTURES = shared_dir() / "fixtures" / "embeddinggemma-reference"

# (mean, min) cosine to the reference, at every Matryoshka size. The first six are
# the model issue's targets. Q5_K_M and Q4_0 have none there: they must stay at what
# llama.cpp's own converter reaches (fixture README: 0.9946/0.9884 and 0.9642/0.9074),
# less a margin for run-to-run noise of quantized matmuls. (Our files were checked
# byte-identical to llama.cpp's converter output; see bench/RESULTS.md.)
THRESHOLDS = {
    "F32": (0.99999, 0.9999),
    "F16": (0.99999, 0.9999),
    "BF16": (0.99995, 0.9999),
    # The mixed recipes must stay at least as close as Q8_0 (0.99964 / 0.99919 measured).
    "MIX_BF16": (0.9997, 0.9993),
    "MIX_F16": (0.9997, 0.9993),
    "Q8_0": (0.9995, 0.998),
    "Q6_K": (0.997, 0.99),
    "Q5_K_M": (0.994, 0.985),
    "Q4_K_M": (0.983, 0.965),
    "Q4_0": (0.963, 0.90),
}


@pytest.fixture(scope="module")
def reference():
    data = json.loads((FIXTURES / "texts.json").read_text(encoding="utf-8"))
    return data, np.load(FIXTURES / "reference-768.npy")


def test_token_ids_match_the_hugging_face_tokenizer(real_gguf, safe_embedder, reference):
    data, _ = reference
    e = safe_embedder(real_gguf("Q8_0"), "Q8_0")
    try:
        mismatched = [i for i, (t, ids) in enumerate(zip(data["texts"], data["ref_token_ids"])) if e.tokenize(t) != ids]
    finally:
        e.close()
    assert len(data["texts"]) == 223
    assert mismatched == []


@pytest.mark.parametrize("qtype", list(THRESHOLDS))
def test_embeddings_match_the_reference(real_gguf, safe_embedder, reference, qtype):
    data, ref = reference
    e = safe_embedder(real_gguf(qtype), qtype)
    try:
        got = e.embed_prompts(data["texts"])
    finally:
        e.close()
    want_mean, want_min = THRESHOLDS[qtype]
    for dim in (768, 512, 256, 128):
        cos = np.sum(truncate(got, dim) * truncate(ref, dim), axis=1)
        assert cos.mean() >= want_mean, f"{qtype} {dim}-d mean cosine {cos.mean():.5f}"
        assert cos.min() >= want_min, f"{qtype} {dim}-d min cosine {cos.min():.5f}"


@pytest.mark.parametrize("qtype", ["F32", "F16", "BF16"])  # the unquantized model; Q8_0 moves ~0.002
def test_model_card_example(real_gguf, safe_embedder, qtype):
    e = safe_embedder(real_gguf(qtype), qtype)
    try:
        q = e.embed_query("Which planet is known as the Red Planet?")
        docs = e.embed_documents([
            "Venus is often called Earth's twin because of its similar size and proximity.",
            "Mars, known for its reddish appearance, is often referred to as the Red Planet.",
            "Jupiter, the largest planet in our solar system, has a prominent red spot.",
            "Saturn, famous for its rings, is sometimes mistaken for the Red Planet.",
        ])
    finally:
        e.close()
    np.testing.assert_allclose(docs @ q, [0.3008, 0.6361, 0.4927, 0.4889], atol=0.002)


def test_streams_give_the_same_vectors_as_one_context(real_gguf, safe_embedder, reference):
    # Two contexts decoding side by side on the one model, ordinary batches and long texts (contexts of their
    # own) among them, exactly as one context one batch after another.
    import dataclasses

    from app.core.embedder import LlamaEmbedder

    data, _ = reference
    one = safe_embedder(real_gguf("Q8_0"), "Q8_0")
    two = LlamaEmbedder(real_gguf("Q8_0"), engine=dataclasses.replace(one.engine, threads=2, streams=2))
    try:
        assert max(len(one.tokenize(t)) for t in data["texts"]) > 1000  # long texts are among them
        np.testing.assert_array_equal(two.embed_prompts(data["texts"]), one.embed_prompts(data["texts"]))
    finally:
        one.close()
        two.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_llama_cpp_s_logits_buffer_does_not_stay_resident(real_gguf, safe_embedder):
    # llama.cpp clears a 1 MB logits row per token of a batch, which an embedding model never uses: 250 MB for
    # an ordinary batch, kept by every context, until the encoder dropped it.
    e = safe_embedder(real_gguf("Q8_0"), "Q8_0")
    try:
        e.embed_documents(["a short text"])
        e.release_buffers()  # no context: what one costs is measured from here
        before = status_mb("VmRSS")
        e.embed_documents(["word " * 230])  # one batch of about 240 tokens
        e.embed_documents(["word " * 230, "another " * 10])
        grown = status_mb("VmRSS") - before
        assert grown < 60, f"resident memory grew {grown:.0f} MB"
    finally:
        e.close()
