"""The probe's child process: load the model one way, embed the probe texts, report vectors and timings.

Run as ``gemseek model probe-worker`` with a JSON request on stdin; it
prints one JSON object per line on stdout:

    {"event": "loaded", "load_s": ..., "backend": "CPU", "offloaded": null, "system": "CPU : AVX2 = 1 | ..."}
    {"event": "start", "variant": 0}   (variants: threads, flash attention, streams)
    {"event": "tick"}   (after each pass over the passages and each query: still working)
    {"event": "result", "variant": 0, "vectors": "<base64 float32>", "tokens_per_s": ..., "query_ms": ..., ...}

A configuration that crashes llama.cpp kills only this process; the parent
(:mod:`app.core.engine.runner`) sees which variant had started and records it.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

Emit = Callable[[dict], None]

_OFFLOADED = re.compile(r"offloaded (\d+)/(\d+) layers to GPU")
_DEVICE = re.compile(r"using device (\S+) \(([^)]*)\)")


class _LoadLog(logging.Handler):
    """Keeps what llama.cpp says about devices while it loads the model."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.offloaded: tuple[int, int] | None = None
        self.devices: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if m := _OFFLOADED.search(msg):
            self.offloaded = (int(m.group(1)), int(m.group(2)))
        if m := _DEVICE.search(msg):
            self.devices.append(f"{m.group(1)} ({m.group(2)})")

    def backend(self) -> str:
        if self.offloaded and self.offloaded[0] > 0 and self.devices:
            return ", ".join(self.devices)
        return "CPU"


def serve(request: dict, emit: Emit) -> None:
    """Carry out one probe request (see the module docstring)."""
    from app.core.embedder import LlamaEmbedder
    from app.core.engine.config import EngineConfig

    native = logging.getLogger("app.llama_cpp")
    load_log = _LoadLog()
    native.addHandler(load_log)
    level, propagate = native.level, native.propagate
    native.setLevel(logging.DEBUG)  # what llama.cpp says of devices, for this handler only
    native.propagate = False
    variants = request["variants"]
    model = request["model"]
    first = variants[0]
    config = EngineConfig(model["qtype"], first["threads"], model["extra_bufts"], first["flash_attn"],
                          model["gpu_layers"], tuple(model["cpu_tensors"]))
    t0 = time.perf_counter()
    emb = LlamaEmbedder(Path(model["path"]), engine=config)
    emb.embed_prompts(["warm up"])
    native.removeHandler(load_log)
    native.setLevel(level)
    native.propagate = propagate
    import llama_cpp

    emit({"event": "loaded", "load_s": time.perf_counter() - t0, "backend": load_log.backend(),
          "offloaded": list(load_log.offloaded) if load_log.offloaded else None,
          # the kernels llama.cpp runs here (a run-time-dispatch build: those of the CPU variant it chose)
          "system": llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip()})
    passages, queries = request["passages"], request["queries"]
    tokens = sum(len(emb.tokenize(p)) for p in passages)
    for i, v in enumerate(variants):
        emit({"event": "start", "variant": i})
        streams = int(v.get("streams", 1))
        emb.reconfigure(threads=v["threads"], flash_attn=v["flash_attn"], streams=streams)
        t0 = time.perf_counter()
        docs = emb.embed_prompts(passages, dimension=emb.full_dimension)
        took = time.perf_counter() - t0
        first = (tokens / took, took)
        emit({"event": "tick"})
        asked = emb.embed_prompts(queries, dimension=emb.full_dimension)
        vectors = np.concatenate([docs, asked])
        # Streams share out a pass's batches: with the passages once (three batches), one stream would wait
        # for the other's last batch most of the time. Two copies per stream come close to what the indexer
        # hands over (64 passages at a time).
        copies = 2 * streams if streams > 1 else 1
        work = (passages * copies, tokens * copies)
        emit({"event": "result", "variant": i, **_timings(emb, work, queries, first, request, emit),
              "vectors": base64.b64encode(np.ascontiguousarray(vectors, dtype=np.float32).tobytes()).decode()})
    emb.close()


def _timings(emb, work: tuple[list[str], int], queries: list[str], first: tuple[float, float], request: dict,
             emit: Emit) -> dict:
    """Document throughput (the quickest of at least ``min_passes`` passes, two unless asked, the first of them
    the pass that gave the vectors: ``first`` is its tokens/s and seconds; ``work`` is a later pass's texts and
    their tokens) and query latency (the median of ``query_rounds`` rounds over the queries).

    Each pass and each query is followed by a ``tick``: the parent's time limit is for a sign of life, so a
    computer that is only slow (or busy with other work) is measured, not taken for a hung one.
    """
    min_seconds = float(request.get("min_seconds", 0.8))
    min_passes = int(request.get("min_passes", 2))
    texts, tokens = work
    rates, spent = [first[0]], first[1]
    while spent < min_seconds or len(rates) < min_passes:
        t0 = time.perf_counter()
        emb.embed_prompts(texts)
        took = time.perf_counter() - t0
        spent += took
        rates.append(tokens / took)
        emit({"event": "tick"})
    latencies = []
    for _ in range(int(request.get("query_rounds", 3))):
        for q in queries:
            t0 = time.perf_counter()
            emb.embed_prompts([q])
            latencies.append((time.perf_counter() - t0) * 1000)
            emit({"event": "tick"})
    return {"tokens_per_s": max(rates), "query_ms": statistics.median(latencies), "passes": len(rates),
            "rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main_stdio() -> int:
    """Read the request from stdin, answer on stdout (``gemseek model probe-worker``)."""
    request = json.loads(sys.stdin.read())

    def emit(record: dict) -> None:
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()

    serve(request, emit)
    return 0
