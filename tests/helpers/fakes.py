"""A deterministic stand-in for the embedding model, for fast tests.

It embeds a bag of hashed words, so texts that share words are similar and
the rest are nearly orthogonal: enough for search to behave like search,
without llama.cpp.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np

from app.core.embedder import document_prompt, truncate

_TOKEN = re.compile(r"\w+|[^\w\s]")


class FakeEmbedder:
    fingerprint = "fake-bow-1"
    full_dimension = 768

    def __init__(self, dimension: int = 768) -> None:
        self.dimension = dimension
        self.embedded: list[str] = []  # every document text embedded, in order

    def token_count(self, text: str) -> int:
        return len(_TOKEN.findall(text)) + 2

    def count_document_tokens(self, text: str, title: str | None = None) -> int:
        return self.token_count(document_prompt(text, title))

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.full_dimension, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            h = zlib.crc32(word.encode())
            v[h % self.full_dimension] += 1.0 if (h >> 16) & 1 else -1.0
        v[zlib.crc32(text.encode()) % self.full_dimension] += 0.01  # never all zero
        return v

    def embed_documents(
        self, texts: Sequence[str], titles: Sequence[str | None] | None = None, *, full: bool = False
    ) -> np.ndarray:
        titles = list(titles) if titles is not None else [None] * len(texts)
        self.embedded.extend(texts)
        if not texts:
            return np.empty((0, self.full_dimension if full else self.dimension), dtype=np.float32)
        rows = np.stack([self._vector(f"{title or ''} {text}") for text, title in zip(texts, titles)])
        return truncate(rows, self.full_dimension if full else self.dimension)

    def embed_query(self, text: str, *, full: bool = False) -> np.ndarray:
        return truncate(self._vector(text)[None, :], self.full_dimension if full else self.dimension)[0]

    def close(self) -> None:
        pass


def engine_choice_when_present(paths):
    """An ``engine_choice`` for the app that says "measured" as soon as the type's file exists (fake models)."""
    from app.core.engine.config import EngineConfig
    from app.core.engine.record import ProbeRecord, Trial

    def choice(settings):
        qtype = "Q8_0" if settings.quantization == "auto" else settings.quantization
        if not paths.gguf_file(qtype).is_file():
            return None
        trial = Trial(EngineConfig(qtype, 2), True, tokens_per_s=1000.0, query_ms=20.0, cos_mean=0.9999,
                      cos_min=0.999)
        return ProbeRecord("fake", {}, (trial,), trial, "fake", "the only one", 0.0, "today")

    return choice


def write_engine_record(paths, settings, qtype: str):
    """Record an engine choice for ``qtype``'s file as if this machine had measured it (the file must exist)."""
    from app.core.engine import active, record
    from app.core.engine.config import EngineConfig
    from app.core.engine.machine import Machine
    from app.core.engine.record import ProbeRecord, Trial
    from app.core.model import gguf_info

    info = gguf_info(paths.gguf_file(qtype), qtype)
    trial = Trial(EngineConfig(qtype, 1), True, tokens_per_s=1000.0, query_ms=20.0, cos_mean=0.9999, cos_min=0.999)
    key = active.record_key(Machine.current(), settings)
    rec = ProbeRecord(key, {}, (trial,), trial, info.fingerprint, "written by a test", 0.0, "today",
                      fingerprints={qtype: info.fingerprint})
    record.save(paths.models, rec)
    return rec
