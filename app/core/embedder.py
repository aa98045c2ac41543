"""Turn texts into EmbeddingGemma vectors.

:class:`Embedder` is the small interface the rest of the core uses;
:class:`LlamaEmbedder` implements it with llama.cpp. Vectors are float32 and
L2-normalised; at a Matryoshka dimension below 768 they are truncated first,
then normalised again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from app.core.engine.config import EngineConfig
from app.core.errors import GemseekError, TextTooLongError
from app.core.memory import give_back

if TYPE_CHECKING:
    from app.core.llama_backend import LlamaEncoder

log = logging.getLogger(__name__)

DIMENSIONS = (768, 512, 256, 128)
CONTEXT_TOKENS = 2048


def document_prompt(text: str, title: str | None = None) -> str:
    """The prompt EmbeddingGemma was trained with for documents."""
    return f"title: {title or 'none'} | text: {text}"


def query_prompt(text: str) -> str:
    """The prompt EmbeddingGemma was trained with for search queries."""
    return f"task: search result | query: {text}"


def truncate(vectors: np.ndarray, dimension: int) -> np.ndarray:
    """Keep the first ``dimension`` values of each row and L2-normalise (Matryoshka)."""
    v = np.asarray(vectors, dtype=np.float32)[..., :dimension]
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(norms, np.float32(1e-12))


class Embedder(Protocol):
    """What the core needs from an embedding model."""

    dimension: int
    fingerprint: str

    def token_count(self, text: str) -> int:
        """Tokens of ``text`` exactly as given, special tokens included."""
        ...

    def count_document_tokens(self, text: str, title: str | None = None) -> int:
        """Tokens the document prompt for ``text`` takes, special tokens included."""
        ...

    def embed_documents(
        self, texts: Sequence[str], titles: Sequence[str | None] | None = None, *, full: bool = False
    ) -> np.ndarray:
        """One normalised row per text, at ``dimension`` (full size if ``full``)."""
        ...

    def embed_query(self, text: str, *, full: bool = False) -> np.ndarray:
        """The normalised query vector, at ``dimension`` (full size if ``full``)."""
        ...


def pack_batches(lengths: Sequence[int], max_tokens: int, max_seqs: int) -> list[list[int]]:
    """Group text indices into batches of at most ``max_tokens`` tokens and ``max_seqs`` texts.

    Texts are taken longest first so that batches are filled evenly; a text
    longer than ``max_tokens`` gets a batch of its own.
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i in order:
        if current and (used + lengths[i] > max_tokens or len(current) >= max_seqs):
            batches.append(current)
            current, used = [], 0
        current.append(i)
        used += lengths[i]
    if current:
        batches.append(current)
    return batches


class LlamaEmbedder:
    """EmbeddingGemma through llama.cpp.

    Args:
        gguf: the converted model file.
        dimension: Matryoshka size of the returned vectors (768, 512, 256 or 128
            for EmbeddingGemma); None keeps the model's full size.
        threads: CPU threads for llama.cpp.
        batch_tokens: how many tokens to pack into one forward pass. Throughput
            is flat from one ~250-token chunk per pass upwards (bench/embed.py),
            while llama.cpp clears a 1 MB logits row per token of a context's
            batch when it makes it (a moment's peak), so batches stay small.
        fingerprint: identifies the model's outputs (see app.core.model).
        engine: how to run it (threads, buffer types, flash attention, GPU), as
            the engine probe chose for this machine; overrides ``threads``.
    """

    def __init__(
        self,
        gguf: Path,
        dimension: int | None = None,
        threads: int = 2,
        batch_tokens: int = 256,
        fingerprint: str = "",
        engine: EngineConfig | None = None,
    ) -> None:
        from app.core.llama_backend import LlamaEncoder

        options = engine.loader_options() if engine else {"threads": threads}
        self.engine = engine
        self._open_encoder = lambda: LlamaEncoder(Path(gguf), n_ctx=CONTEXT_TOKENS, batch_tokens=batch_tokens,
                                                  **options)
        self._encoder: LlamaEncoder | None = self._open_encoder()
        self.full_dimension = self._encoder.n_embd
        self._context_tokens = self._encoder.n_ctx
        self.dimension = dimension or self.full_dimension
        if not 0 < self.dimension <= self.full_dimension:
            self._encoder.close()
            raise ValueError(f"dimension must be between 1 and {self.full_dimension}")
        self.fingerprint = fingerprint
        self.reloads = 0  # times the model came back after it was unloaded
        self._lock = threading.Lock()  # one batch at a time through the context
        self._state = threading.Condition()  # the encoder's life: who is using it, when it was last used
        self._users = 0
        self._last_use = time.monotonic()
        self._closed = False

    @property
    def context_tokens(self) -> int:
        return self._context_tokens

    @contextmanager
    def _using(self) -> Iterator[LlamaEncoder]:
        """The encoder, loaded again if it was unloaded; it is not unloaded while a caller holds it."""
        with self._state:
            if self._closed:
                raise GemseekError("the embedder is closed")
            if self._encoder is None:
                self._encoder = self._open_encoder()
                self.reloads += 1
                self._state.notify_all()  # an idle watch waiting for the model to come back
            self._users += 1
            encoder = self._encoder
        try:
            yield encoder
        finally:
            with self._state:  # no notify: the idle watch finds the new time when its wait ends
                self._users -= 1
                self._last_use = time.monotonic()

    def reconfigure(self, *, threads: int, flash_attn: bool, streams: int = 1) -> None:
        """Decode with other context settings from now on (the probe tries several on one loaded model)."""
        with self._lock, self._using() as enc:
            enc.reconfigure(threads=threads, flash_attn=flash_attn, streams=streams)

    def tokenize(self, text: str) -> list[int]:
        """Token ids of an already prompted text, BOS and EOS included.

        Not under the batch lock: tokenizing only reads the vocabulary, so the
        indexer's chunking thread can do it while this embedder is busy embedding.
        """
        with self._using() as enc:
            return enc.tokenize(text)

    def token_count(self, text: str) -> int:
        return len(self.tokenize(text))

    def count_document_tokens(self, text: str, title: str | None = None) -> int:
        return len(self.tokenize(document_prompt(text, title)))

    def embed_documents(
        self, texts: Sequence[str], titles: Sequence[str | None] | None = None, *, full: bool = False
    ) -> np.ndarray:
        """Embed documents with the document prompt.

        Args:
            full: return full-size vectors whatever ``dimension`` is (for storage).
        """
        if titles is None:
            titles = [None] * len(texts)
        if len(titles) != len(texts):
            raise ValueError("texts and titles differ in length")
        prompts = [document_prompt(t, title) for t, title in zip(texts, titles)]
        return self._embed(prompts, self.full_dimension if full else self.dimension)

    def embed_query(self, text: str, *, full: bool = False) -> np.ndarray:
        return self._embed([query_prompt(text)], self.full_dimension if full else self.dimension)[0]

    def embed_prompts(self, prompts: Sequence[str], dimension: int | None = None) -> np.ndarray:
        """Embed texts that already carry their prompt (for tests against reference data)."""
        return self._embed(list(prompts), dimension or self.dimension)

    def _embed(self, prompts: list[str], dimension: int) -> np.ndarray:
        out = np.empty((len(prompts), self.full_dimension), dtype=np.float32)
        if not prompts:
            return out[:, :dimension]
        with self._lock, self._using() as enc:
            tokens = [enc.tokenize(p) for p in prompts]
            for i, toks in enumerate(tokens):
                if len(toks) > enc.n_ctx:
                    raise TextTooLongError(
                        f"text {i} is {len(toks)} tokens long with its prompt; "
                        f"the model reads at most {enc.n_ctx}"
                    )
            batches = pack_batches([len(t) for t in tokens], enc.batch_tokens, enc.max_seqs)
            for batch, vecs in zip(batches, enc.encode_batches([[tokens[i] for i in b] for b in batches])):
                out[batch] = vecs
        return truncate(out, dimension)

    def release_buffers(self) -> None:
        """Free the standing contexts' working memory until the next embedding; the model stays loaded, and the
        next call makes new contexts (milliseconds). For an indexer gone idle."""
        with self._lock, self._state:
            if self._encoder is not None:
                self._encoder.release_context()

    def unload(self) -> bool:
        """Unload the model unless it is in use (its weights leave this process unless another embedder shares
        them); the next call loads it again. True if it was unloaded."""
        with self._state:
            if self._users:
                return False
            return self._drop_encoder()

    @property
    def loaded(self) -> bool:
        return self._encoder is not None

    def warm(self) -> None:
        """Load the model now if it was unloaded (someone is about to search: spare the first query the wait)."""
        with self._using():
            pass

    def unload_when_idle(self, seconds: float) -> None:
        """From now on, unload the model once it has gone unused for ``seconds`` (a background thread)."""
        threading.Thread(target=self._unload_when_idle, args=(seconds,), name="model-idle", daemon=True).start()

    def _unload_when_idle(self, seconds: float) -> None:
        with self._state:
            while not self._closed:
                if self._encoder is None:
                    self._state.wait()  # until it is loaded again or closed
                    continue
                left = self._last_use + seconds - time.monotonic()
                if self._users or left > 0:
                    self._state.wait(left if left > 0 else seconds)
                    continue
                self._drop_encoder()
                give_back()  # the freed heap too, not only the weights
                log.info("model unloaded after %.0f s unused", seconds)

    def close(self) -> None:
        with self._lock, self._state:
            self._closed = True
            self._drop_encoder()
            self._state.notify_all()

    def _drop_encoder(self) -> bool:
        """Close the encoder (its context, and its hold on the model) if there is one; the caller holds _state."""
        if self._encoder is None:
            return False
        self._encoder.close()
        self._encoder = None
        return True
