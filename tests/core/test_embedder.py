"""LlamaEmbedder on a tiny converted model, checked against a numpy forward pass."""

from __future__ import annotations

import shutil
import threading
import time

import numpy as np
import pytest

from app.core import embedder as embedder_module
from app.core import llama_backend
from app.core.embedder import LlamaEmbedder, document_prompt, pack_batches, query_prompt, truncate
from app.core.errors import GemseekError, TextTooLongError
from tests.convert.reference_forward import embed as reference_embed

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Semantic search finds files by meaning rather than by exact words. " * 2,
    "Le renard brun saute.",
]


@pytest.fixture(scope="module")
def f32(tiny_gguf):
    e = LlamaEmbedder(tiny_gguf("F32"), threads=1)
    yield e
    e.close()


def test_prompts():
    assert document_prompt("body", "Title") == "title: Title | text: body"
    assert document_prompt("body", None) == "title: none | text: body"
    assert document_prompt("body", "") == "title: none | text: body"
    assert query_prompt("rent") == "task: search result | query: rent"


def test_documents_match_a_numpy_forward_pass(f32, tiny_checkpoint):
    got = f32.embed_documents(TEXTS, ["Fox", None, "Renard"])
    for text, title, row in zip(TEXTS, ["Fox", None, "Renard"], got):
        tokens = f32.tokenize(document_prompt(text, title))
        want = reference_embed(tiny_checkpoint, tokens)
        assert float(row @ want) > 0.99999


def test_query_uses_the_query_prompt(f32, tiny_checkpoint):
    q = f32.embed_query("brown fox")
    want = reference_embed(tiny_checkpoint, f32.tokenize("task: search result | query: brown fox"))
    assert float(q @ want) > 0.99999
    other = reference_embed(tiny_checkpoint, f32.tokenize(document_prompt("brown fox")))
    assert float(q @ other) < 0.9999  # a different prompt gives a different vector


def test_vectors_are_unit_length_and_batching_does_not_change_them(f32):
    together = f32.embed_documents(TEXTS)
    alone = np.stack([f32.embed_documents([t])[0] for t in TEXTS])
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    # Flash attention keeps K/V in F16, so packing changes the last digits only.
    assert np.min(np.sum(together * alone, axis=1)) > 0.99999


def test_released_buffers_come_back_with_the_same_vectors(tiny_gguf):
    e = LlamaEmbedder(tiny_gguf("F32"), threads=1, batch_tokens=16)  # a query-sized standing batch
    try:
        before = e.embed_documents(TEXTS)  # the longer texts get a context of their own
        e.release_buffers()
        assert e._encoder._ctxs == [None]  # its output buffer is gone until the next call
        np.testing.assert_allclose(e.embed_documents(TEXTS), before, atol=1e-6)
        e.release_buffers()
        e.release_buffers()  # nothing to release: fine
    finally:
        e.close()


def test_matryoshka_truncates_then_renormalises(tiny_gguf, f32):
    full = f32.embed_documents(TEXTS)
    small = LlamaEmbedder(tiny_gguf("F32"), dimension=32, threads=1)
    try:
        got = small.embed_documents(TEXTS)
        assert got.shape == (3, 32)
        np.testing.assert_allclose(got, truncate(full, 32), atol=1e-6)
        np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
        assert small.embed_query("fox").shape == (32,)
        assert small.embed_documents(TEXTS, full=True).shape == (3, 64)
    finally:
        small.close()


def test_too_long_text_is_an_error_not_a_silent_cut(f32):
    limit = f32.context_tokens  # the tiny model reads 256 tokens
    with pytest.raises(TextTooLongError, match=rf"text 1 is \d+ tokens long .* at most {limit}"):
        f32.embed_documents(["short", "word " * 400])


def test_empty_input(f32):
    assert f32.embed_documents([]).shape == (0, 64)


def test_titles_must_pair_with_texts(f32):
    with pytest.raises(ValueError):
        f32.embed_documents(["a", "b"], ["only one"])


def test_pack_batches_respects_both_limits():
    lengths = [300, 10, 200, 600, 50, 50, 50]
    batches = pack_batches(lengths, max_tokens=512, max_seqs=3)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert len(b) <= 3
        assert len(b) == 1 or sum(lengths[i] for i in b) <= 512
    assert [3] in batches  # longer than the budget: alone


def test_streams_embed_batches_side_by_side_and_get_the_same_vectors(tiny_gguf, f32):
    from app.core.engine.config import EngineConfig

    many = [f"{t} ({i})" for i in range(6) for t in TEXTS]  # more than one batch of the tiny model's 256 tokens
    alone = f32.embed_documents(many)
    e = LlamaEmbedder(tiny_gguf("F32"), engine=EngineConfig("F32", threads=2, streams=2))
    try:
        np.testing.assert_allclose(e.embed_documents(many), alone, atol=1e-6)
        assert all(e._encoder._ctxs)  # the second stream decoded batches too, on a context of its own
        np.testing.assert_allclose(e.embed_query("brown fox"), f32.embed_query("brown fox"), atol=1e-6)
    finally:
        e.close()


def test_a_failure_in_one_stream_reaches_the_caller(tiny_gguf, monkeypatch):
    from app.core.engine.config import EngineConfig

    e = LlamaEmbedder(tiny_gguf("F32"), engine=EngineConfig("F32", threads=2, streams=2))
    try:
        enc = e._encoder
        real = enc._encode_on

        def failing(slot, sequences, threads):
            if slot == 1:
                raise GemseekError("llama.cpp failed to embed a batch (code -3)")
            return real(slot, sequences, threads)

        monkeypatch.setattr(enc, "_encode_on", failing)
        with pytest.raises(GemseekError, match="code -3"):
            e.embed_documents([f"{t} ({i})" for i in range(6) for t in TEXTS])
    finally:
        e.close()


def test_engine_options_reach_llama_cpp(tiny_gguf, caplog):
    import logging

    from app.core.engine.config import EngineConfig

    caplog.set_level(logging.DEBUG, logger="app.llama_cpp")
    config = EngineConfig("F32", threads=1, extra_bufts=False, flash_attn=False, cpu_tensors=("^dense_2\\.weight$",))
    e = LlamaEmbedder(tiny_gguf("F32"), engine=config)
    try:
        assert e.engine == config
        overridden = [r.getMessage() for r in caplog.records if "buffer type overridden" in r.getMessage()]
        assert len(overridden) == 1 and "dense_2.weight" in overridden[0]  # only the pinned tensor
        plain = e.embed_documents(TEXTS)
        e.reconfigure(threads=2, flash_attn=True)  # other context settings, same model: (nearly) the same vectors
        assert np.all(np.sum(e.embed_documents(TEXTS) * plain, axis=1) > 0.99999)
    finally:
        e.close()


def test_llama_cpp_s_log_comes_back_to_ours_after_the_converter_silenced_it(tiny_gguf, caplog):
    import logging

    import llama_cpp

    from convert import kquant

    caplog.set_level(logging.DEBUG, logger="app.llama_cpp")
    LlamaEmbedder(tiny_gguf("F32")).close()
    with kquant._llama_log_errors_only(llama_cpp):  # what an in-process K-quant conversion does
        pass
    caplog.clear()
    e = LlamaEmbedder(tiny_gguf("F32"))  # (shares the loaded model: only its context has something to say)
    e.embed_query("a context is made")
    e.close()
    assert any(r.name == "app.llama_cpp" for r in caplog.records)


def test_the_converter_puts_back_the_llama_cpp_log_callback_it_found(tiny_gguf, tmp_path):
    import ctypes

    import llama_cpp

    from convert import kquant

    def current() -> int | None:
        callback, data = llama_cpp.llama_log_callback(), ctypes.c_void_p()
        llama_cpp.llama_log_get(ctypes.byref(callback), ctypes.byref(data))
        return ctypes.cast(callback, ctypes.c_void_p).value

    LlamaEmbedder(tiny_gguf("F32")).close()  # sets the app's callback
    ours = current()
    assert ours
    kquant.quantize_with_llama(tiny_gguf("F32"), tmp_path / "q.gguf", 7, 1)  # 7 = Q8_0
    assert (tmp_path / "q.gguf").stat().st_size > 0
    assert current() == ours


def test_embedders_of_one_file_share_one_native_model_and_can_embed_at_once(tiny_gguf, f32):
    before = llama_backend.loaded_models()
    a = LlamaEmbedder(tiny_gguf("F32"), threads=1)
    b = LlamaEmbedder(tiny_gguf("F32"), threads=1, batch_tokens=16)  # a searcher's smaller batch
    try:
        assert llama_backend.loaded_models() == before  # f32's model, held once more by each
        assert a._encoder._model == b._encoder._model == f32._encoder._model
        want = {"a": a.embed_documents(TEXTS), "b": b.embed_documents(TEXTS)}  # one at a time
        got: dict[str, list] = {"a": [], "b": []}

        def run(name: str, e: LlamaEmbedder) -> None:
            for _ in range(20):
                got[name].append(e.embed_documents(TEXTS))

        threads = [threading.Thread(target=run, args=(n, e)) for n, e in (("a", a), ("b", b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for name, runs in got.items():
            assert len(runs) == 20
            for rows in runs:  # both at once on one model: the same numbers as one at a time
                np.testing.assert_allclose(rows, want[name], atol=1e-6)
        a.close()
        np.testing.assert_allclose(b.embed_documents(TEXTS), want["b"], atol=1e-6)  # the model outlives a
    finally:
        a.close()
        b.close()
    assert llama_backend.loaded_models() == before


def test_an_embedder_unused_for_a_while_unloads_its_model_and_loads_it_again_when_needed(tiny_gguf, tmp_path,
                                                                                         monkeypatch):
    trimmed = []
    monkeypatch.setattr(embedder_module, "give_back", lambda: trimmed.append(1))
    before = llama_backend.loaded_models()
    own = tmp_path / "own.gguf"  # a file no other test has open
    shutil.copy(tiny_gguf("F16"), own)
    e = LlamaEmbedder(own, threads=1)
    try:
        want = e.embed_documents(TEXTS)
        assert llama_backend.loaded_models() == before + 1
        e.unload_when_idle(0.3)
        deadline = time.monotonic() + 10
        while e.loaded and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not e.loaded
        assert llama_backend.loaded_models() == before  # the weights are gone from the process
        assert trimmed  # and the heap it freed
        np.testing.assert_allclose(e.embed_documents(TEXTS), want, atol=1e-6)  # back, with the same vectors
        assert e.reloads == 1
        while e.loaded and time.monotonic() < deadline:
            time.sleep(0.05)
        assert e.token_count("hello") > 0  # tokenizing loads it too
        e.warm()
        assert e.loaded and e.reloads == 2
        with e._using():
            assert not e.unload()  # never while in use
        assert e.unload() and not e.loaded
    finally:
        e.close()
    with pytest.raises(GemseekError):
        e.embed_query("closed")
    assert llama_backend.loaded_models() == before
