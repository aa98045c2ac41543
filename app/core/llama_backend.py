"""A thin owner of llama.cpp's native model and context for embedding.

Only this module talks to ``llama_cpp``'s low-level API. One
:class:`LlamaEncoder` owns one context; use it from one thread at a time (the
embedder serialises calls). Encoders of the same file with the same load
options share one native model (its weights are read-only once loaded, and
llama.cpp lets several contexts decode on one model at once), so the desktop
app's indexing and searching sides hold the weights once.
"""

from __future__ import annotations

import ctypes
import logging
import os
import struct
import threading
from collections.abc import Sequence
from pathlib import Path

import llama_cpp
import numpy as np

from app.core.errors import GemseekError
from app.core.gguf_layout import tensor_span
from app.core.llama_libs import cpu_buffer_type, load_backends
from app.core.resident import ReleasablePages, drop_scratch

log = logging.getLogger(__name__)

_GGML_LOG_LEVELS = {1: logging.DEBUG, 2: logging.DEBUG, 3: logging.INFO, 4: logging.ERROR}
_log_hook: list[object] = []  # keeps the C callback alive for the life of the process
_init_lock = threading.Lock()


def initialize() -> None:
    """Route llama.cpp's chatter into our logger (not the terminal), load its backends, initialise it; once."""
    _install_log_hook()


def _install_log_hook() -> None:
    """Route llama.cpp's chatter into our logger instead of the terminal (again, if other code in this process
    set a callback of its own since: the converter's quantizer silences llama.cpp while it works)."""
    with _init_lock:
        if _log_hook:
            llama_cpp.llama_log_set(_log_hook[0], ctypes.c_void_p(0))  # one pointer written: cheaper than asking
            return
        native = logging.getLogger("app.llama_cpp")

        @llama_cpp.llama_log_callback
        def forward(level, text, user_data):
            msg = text.decode("utf-8", "replace").rstrip()
            if msg:
                native.log(_GGML_LOG_LEVELS.get(level, logging.DEBUG), "%s", msg)

        _log_hook.append(forward)
        llama_cpp.llama_log_set(forward, ctypes.c_void_p(0))
        load_backends()
        llama_cpp.llama_backend_init()


class LlamaEncoder:
    """Tokenize texts and compute their pooled embeddings with llama.cpp.

    llama.cpp reserves (and clears, so it becomes resident) a logits buffer of
    vocabulary size, 1 MB for EmbeddingGemma, for every token of a batch, and
    keeps it for the life of the context, though an embedding model never
    writes it. So a standing context is sized for ``batch_tokens`` and made
    with its buffer at full size, which is then dropped from resident memory
    at once (:func:`~app.core.resident.drop_scratch`); contexts are made one
    at a time, so only one such buffer is ever resident. A longer text gets a
    context of its own (creating one takes about 10 ms), one at a time too.

    With ``streams`` > 1, :meth:`encode_batches` decodes that many batches at
    once, each on its own context with its share of the threads: on two cores,
    two one-thread streams embed about a quarter more tokens per second
    than one two-thread stream (bench/RESULTS.md). A single batch (a query) uses all
    the threads.

    Args:
        path: a GGUF embedding model.
        n_ctx: the longest text, in tokens.
        threads: CPU threads for decoding.
        batch_tokens: the size of an ordinary batch, in tokens.
        max_seqs: the most texts packed into one batch.
        streams: how many batches :meth:`encode_batches` decodes at once.
        extra_bufts: let llama.cpp put weights in its extra CPU buffer types
            (AMX, repacked layouts); off keeps every weight in the plain CPU buffer.
        flash_attn: use flash attention.
        gpu_layers: layers to offload to a GPU (0: none; 999: all).
        cpu_tensors: regular expressions of tensor names kept in the plain CPU
            buffer even when extra buffer types are on.

    Which of these a machine can use is the engine probe's business
    (:mod:`app.core.engine`): some builds crash on some CPUs with some of them.
    """

    def __init__(
        self,
        path: Path,
        n_ctx: int = 2048,
        threads: int = 2,
        batch_tokens: int = 256,
        max_seqs: int = 16,
        *,
        streams: int = 1,
        extra_bufts: bool = True,
        flash_attn: bool = True,
        gpu_layers: int = 0,
        cpu_tensors: Sequence[str] = (),
    ) -> None:
        _install_log_hook()
        if not Path(path).is_file():
            raise GemseekError(f"model file not found: {path}")
        self._model_key, self._model = _MODELS.acquire(Path(path), gpu_layers, extra_bufts, tuple(cpu_tensors))
        self._vocab = llama_cpp.llama_model_get_vocab(self._model)
        self._logit_row_bytes = 4 * llama_cpp.llama_vocab_n_tokens(self._vocab)
        self.n_embd = llama_cpp.llama_model_n_embd_out(self._model) or llama_cpp.llama_model_n_embd(self._model)
        self.n_ctx = min(n_ctx, llama_cpp.llama_model_n_ctx_train(self._model))
        self.batch_tokens = min(batch_tokens, self.n_ctx)
        self.max_seqs = min(max_seqs, llama_cpp.llama_max_parallel_sequences())
        self.flash_attn = flash_attn
        self._open_streams(threads, streams)
        self._making = threading.Lock()  # one context made (its logits buffer resident) at a time
        self._long = threading.Lock()  # one long text's context at a time
        self._closed = False
        self._lookup = _token_table_pages(Path(path))
        self._lookup.release()

    def reconfigure(self, *, threads: int, flash_attn: bool, streams: int = 1) -> None:
        """Use other context settings from the next batch on (the model stays loaded)."""
        self._close_streams()
        self.flash_attn = flash_attn
        self._open_streams(threads, streams)

    def _open_streams(self, threads: int, streams: int) -> None:
        """Each stream's token batch, and a place for its standing context (made by its first batch)."""
        self.threads = max(1, threads)
        self.streams = max(1, min(streams, self.threads))
        self._ctxs: list = [None] * self.streams
        self._batches = [llama_cpp.llama_batch_init(self.n_ctx, 0, 1) for _ in range(self.streams)]

    def _close_streams(self) -> None:
        self._free_contexts()
        for b in self._batches:
            llama_cpp.llama_batch_free(b)

    def _new_context(self, tokens: int):
        cparams = llama_cpp.llama_context_default_params()
        cparams.n_ctx = tokens
        # n_ubatch must equal n_batch: an encoder needs each text whole in one ubatch,
        # and llama.cpp aborts the process (GGML_ASSERT) otherwise.
        cparams.n_batch = cparams.n_ubatch = tokens
        # llama.cpp sizes its first logits buffer by this: as large as an ordinary batch, so that the buffer
        # is made, cleared and dropped here, not grown and cleared again by a later batch. (It must divide
        # the batch: llama.cpp reserves its graph with the tokens split evenly over the sequences, and
        # aborts otherwise. A long text's context, a multiple of 64 tokens, keeps max_seqs.)
        most = llama_cpp.llama_max_parallel_sequences()
        cparams.n_seq_max = tokens if self.max_seqs <= tokens <= most else self.max_seqs
        cparams.n_threads = cparams.n_threads_batch = self.threads
        cparams.embeddings = True
        cparams.pooling_type = llama_cpp.LLAMA_POOLING_TYPE_MEAN
        cparams.flash_attn_type = (
            llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED if self.flash_attn else llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
        )
        cparams.kv_unified = True
        with self._making:
            ctx = llama_cpp.llama_init_from_model(self._model, cparams)
            if not ctx:
                raise GemseekError("llama.cpp could not create a context for the model")
            self._drop_logits(ctx, cparams.n_seq_max)
        return ctx

    def _drop_logits(self, ctx, outputs: int) -> None:
        """Drop the context's logits buffer (at least ``outputs`` rows of it) from resident memory."""
        base = llama_cpp.llama_get_logits(ctx)
        if base:
            drop_scratch(ctypes.cast(base, ctypes.c_void_p).value or 0, outputs * self._logit_row_bytes)

    # -- tokens -----------------------------------------------------------
    def tokenize(self, text: str) -> list[int]:
        """Token ids of ``text`` with BOS/EOS, special-token text kept literal."""
        data = text.encode("utf-8", "surrogatepass")
        n_max = len(data) + 8
        buf = (llama_cpp.llama_token * n_max)()
        n = llama_cpp.llama_tokenize(self._vocab, data, len(data), buf, n_max, True, False)
        if n < 0:  # buffer too small: -n is the size needed
            n_max = -n
            buf = (llama_cpp.llama_token * n_max)()
            n = llama_cpp.llama_tokenize(self._vocab, data, len(data), buf, n_max, True, False)
        if n < 0:
            raise GemseekError("llama.cpp could not tokenize a text")
        return list(buf[:n])

    # -- embeddings -------------------------------------------------------
    def encode(self, sequences: Sequence[Sequence[int]]) -> np.ndarray:
        """Pooled embeddings (rows, float32, not normalised) of token sequences decoded as one batch.

        The caller keeps the total token count within ``n_ctx`` and the
        count of sequences within ``max_seqs``.
        """
        return self._encode_on(0, sequences, self.threads)

    def encode_batches(self, batches: Sequence[Sequence[Sequence[int]]]) -> list[np.ndarray]:
        """:meth:`encode` of each batch, ``streams`` batches at a time (each on a thread of its own)."""
        if self.streams == 1 or len(batches) < 2:
            return [self.encode(b) for b in batches]
        out: list = [None] * len(batches)
        # The largest batches first, so that the streams finish close together (the last one to finish
        # keeps the others waiting)
        pending = iter(sorted(range(len(batches)), key=lambda i: -sum(len(s) for s in batches[i])))
        take = threading.Lock()
        errors: list[BaseException] = []
        threads = max(1, self.threads // self.streams)

        def stream(slot: int) -> None:
            while not errors:
                with take:
                    i = next(pending, None)
                if i is None:
                    return
                try:
                    out[i] = self._encode_on(slot, batches[i], threads)
                except BaseException as exc:  # handed to the caller below
                    errors.append(exc)
                    return

        helpers = [threading.Thread(target=stream, args=(k,), name=f"embed-stream-{k}", daemon=True)
                   for k in range(1, min(self.streams, len(batches)))]
        for t in helpers:
            t.start()
        stream(0)
        for t in helpers:
            t.join()
        if errors:
            raise errors[0]
        return out

    def _encode_on(self, slot: int, sequences: Sequence[Sequence[int]], threads: int) -> np.ndarray:
        total = sum(len(s) for s in sequences)
        if total > self.n_ctx or len(sequences) > self.max_seqs:
            raise ValueError(f"batch of {len(sequences)} sequences / {total} tokens is too large")
        try:
            if total <= self.batch_tokens:
                if not self._ctxs[slot]:
                    self._ctxs[slot] = self._new_context(self.batch_tokens)
                return self._decode(self._ctxs[slot], self._batches[slot], sequences, total, threads)
            with self._long:
                self._free_context(slot)
                ctx = self._new_context(-(-total // 64) * 64)
                try:
                    return self._decode(ctx, self._batches[slot], sequences, total, threads)
                finally:
                    llama_cpp.llama_free(ctx)
        finally:
            self._lookup.release()  # the rows this batch read need not stay resident

    def release_context(self) -> None:
        """Drop the standing contexts and their buffers; the next batch makes new ones."""
        self._free_contexts()

    def _free_contexts(self) -> None:
        for slot in range(len(self._ctxs)):
            self._free_context(slot)

    def _free_context(self, slot: int) -> None:
        if self._ctxs[slot]:
            llama_cpp.llama_free(self._ctxs[slot])
            self._ctxs[slot] = None

    def _decode(self, ctx, b, sequences: Sequence[Sequence[int]], total: int, threads: int) -> np.ndarray:
        i = 0
        for seq_id, seq in enumerate(sequences):
            for pos, tok in enumerate(seq):
                b.token[i] = tok
                b.pos[i] = pos
                b.n_seq_id[i] = 1
                b.seq_id[i][0] = seq_id
                b.logits[i] = True
                i += 1
        b.n_tokens = total
        llama_cpp.llama_set_n_threads(ctx, threads, threads)
        rc = llama_cpp.llama_decode(ctx, b)
        if rc != 0:
            raise GemseekError(f"llama.cpp failed to embed a batch (code {rc})")
        out = np.empty((len(sequences), self.n_embd), dtype=np.float32)
        for seq_id in range(len(sequences)):
            ptr = llama_cpp.llama_get_embeddings_seq(ctx, seq_id)
            if not ptr:
                raise GemseekError("llama.cpp returned no embedding for a sequence")
            out[seq_id] = np.ctypeslib.as_array(ptr, shape=(self.n_embd,))
        self._drop_logits(ctx, total)  # a batch larger than any before grew (and cleared) the buffer
        return out

    def meta(self, key: str) -> str | None:
        """A metadata value of the model, as text."""
        buf = ctypes.create_string_buffer(4096)
        n = llama_cpp.llama_model_meta_val_str(self._model, key.encode(), buf, len(buf))
        return buf.value.decode("utf-8", "replace") if n >= 0 else None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._close_streams()
        _MODELS.release(self._model_key)

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()


class _SharedModels:
    """The native models this process has loaded, each held once however many encoders use it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[tuple, list] = {}  # key -> [model, users, overrides kept alive]

    def acquire(self, path: Path, gpu_layers: int, extra_bufts: bool, cpu_tensors: tuple[str, ...]) -> tuple:
        """The model of ``path`` loaded with these options (loading it unless loaded) and its key, to release it
        with later."""
        st = path.stat()
        key = (os.path.realpath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, gpu_layers, extra_bufts,
               cpu_tensors)
        with self._lock:
            entry = self._open.get(key)
            if entry is None:
                mparams = llama_cpp.llama_model_default_params()
                mparams.n_gpu_layers = gpu_layers
                mparams.use_extra_bufts = extra_bufts
                overrides = _buft_overrides(cpu_tensors)  # must outlive the load
                if overrides is not None:
                    mparams.tensor_buft_overrides = ctypes.cast(overrides, ctypes.c_void_p)
                model = llama_cpp.llama_model_load_from_file(str(path).encode(), mparams)
                if not model:
                    raise GemseekError(f"llama.cpp could not load {path} (see the log for details)")
                entry = self._open[key] = [model, 0, overrides]
            entry[1] += 1
        return key, entry[0]

    def release(self, key: tuple) -> None:
        """One user fewer; the last one frees the model."""
        with self._lock:
            entry = self._open[key]
            entry[1] -= 1
            if entry[1] == 0:
                del self._open[key]
                llama_cpp.llama_model_free(entry[0])

    def loaded(self) -> int:
        """How many native models are loaded now."""
        with self._lock:
            return len(self._open)


_MODELS = _SharedModels()


def loaded_models() -> int:
    """How many native models this process holds now (encoders of one file with one set of options share one)."""
    return _MODELS.loaded()


class _BuftOverride(ctypes.Structure):
    _fields_ = [("pattern", ctypes.c_char_p), ("buft", ctypes.c_void_p)]


def _buft_overrides(patterns: Sequence[str]):
    """A NULL-terminated array of llama_model_tensor_buft_override pinning ``patterns`` to the CPU buffer."""
    if not patterns:
        return None
    arr = (_BuftOverride * (len(patterns) + 1))()
    cpu = cpu_buffer_type()
    for i, pattern in enumerate(patterns):
        arr[i].pattern = pattern.encode()
        arr[i].buft = cpu
    return arr


def _token_table_pages(path: Path) -> ReleasablePages:
    span = None
    try:
        span = tensor_span(path, "token_embd.weight")
    except (OSError, ValueError, struct.error) as exc:
        log.debug("cannot find the token table in %s: %s", path, exc)
    return ReleasablePages(path, *span) if span else ReleasablePages(path, 0, 0)
