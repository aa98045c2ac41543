"""A stand-in for ``gemseek model probe-worker`` that behaves as the test tells it (GEMSEEK_FAKE_PROBE).

GEMSEEK_FAKE_PROBE is JSON: type → behaviour, with keys
  tps, query_ms      what it measures (tokens/s is scaled by threads: ×1 for 2, ×0.6 for 1)
  flash_off_tps      tokens/s with flash attention off
  screen_tps         tokens/s when asked for a single pass (the probe's screening)
  streams_gain       tokens/s is multiplied by this with more than one stream (default 1)
  crash_load         die with SIGSEGV while loading (all configurations of the type)
  crash_extra        die with SIGSEGV in the first measurement when extra buffer types are on
  crash_threads      die with SIGSEGV in a measurement with this many threads
  hang_threads       never answer in a measurement with this many threads
  slow_ticks         [count, seconds]: measure slowly, saying "tick" every so many seconds, count times
  abort_extra        print a GGML_ASSERT and abort when extra buffer types are on
  wrong              return vectors unrelated to the reference
  noise              add this much noise to the reference vectors
  gpu_backend        what a GPU load reports as its backend (default: "CPU", i.e. not offloaded)
  crash_gpu          die while loading on the GPU
  log                a file to append each measurement's type, threads, flash attention, how much it was asked to
                     measure (passes, query rounds) and streams
It answers with the probe texts' reference vectors, so fidelity is real arithmetic.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import sys
import threading

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from app.core.engine.probe import probe_texts


def emit(record: dict) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def die() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def main() -> int:
    request = json.loads(sys.stdin.read())
    model = request["model"]
    rules = json.loads(os.environ.get("GEMSEEK_FAKE_PROBE", "{}")).get(model["qtype"], {})
    if rules.get("crash_load") or (model["gpu_layers"] and rules.get("crash_gpu")):
        die()
    backend = rules.get("gpu_backend", "CPU") if model["gpu_layers"] else "CPU"
    emit({"event": "loaded", "load_s": 0.1, "backend": backend, "offloaded": None})
    ref = probe_texts()["reference"]
    rng = np.random.default_rng(0)
    for i, v in enumerate(request["variants"]):
        emit({"event": "start", "variant": i})
        extra = model["extra_bufts"] and not model["cpu_tensors"]
        if extra and rules.get("abort_extra"):
            sys.stderr.write("ggml/src/ggml-cpu/amx/mmq.cpp:2422: GGML_ASSERT(false) failed\n")
            sys.stderr.flush()
            os.abort()
        if (extra and rules.get("crash_extra")) or v["threads"] == rules.get("crash_threads"):
            die()
        if v["threads"] == rules.get("hang_threads"):
            threading.Event().wait()
        count, seconds = rules.get("slow_ticks", (0, 0.0))
        for _ in range(count):
            threading.Event().wait(seconds)
            emit({"event": "tick"})
        if rules.get("wrong"):
            vectors = rng.standard_normal(ref.shape).astype(np.float32)
        else:
            vectors = ref + rules.get("noise", 0.0) * rng.standard_normal(ref.shape).astype(np.float32)
        tps = rules.get("tps", 500.0) if v["flash_attn"] else rules.get("flash_off_tps", rules.get("tps", 500.0))
        if request.get("min_passes", 2) == 1 and "screen_tps" in rules:
            tps = rules["screen_tps"]
        tps *= 1.0 if v["threads"] == 2 else 0.6
        if v.get("streams", 1) > 1:
            tps *= rules.get("streams_gain", 1.0)
        if model["gpu_layers"] and backend != "CPU":
            tps *= rules.get("gpu_speedup", 3.0)
        if rules.get("log"):
            with open(rules["log"], "a", encoding="utf-8") as log:
                log.write(json.dumps([model["qtype"], v["threads"], v["flash_attn"], request.get("min_passes", 2),
                                      request.get("query_rounds", 3), v.get("streams", 1)]) + "\n")
        emit({"event": "result", "variant": i, "tokens_per_s": tps, "query_ms": rules.get("query_ms", 20.0),
              "passes": 2, "rss_mb": 600.0,
              "vectors": base64.b64encode(np.ascontiguousarray(vectors, dtype=np.float32).tobytes()).decode()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
