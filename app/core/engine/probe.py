"""Measure the ways of running the model on this machine, in child processes, and choose one.

Stages, so that the probe stays short (about a minute on a slow 2-core
machine, seconds on a fast one):

1. Each candidate type with llama.cpp's defaults (its extra buffer types on,
   flash attention, as many threads as physical cores; the GPU first when the
   build has one), screened: one pass over the passages (which gives the
   vectors to check) and one round of queries. A type that crashes, hangs or computes vectors too far
   from the original model's is tried again without what may have caused it:
   where llama.cpp has AMX kernels, with some tensors kept out of the AMX
   buffer, then with no extra buffer types at all.
2. The fastest type again, fully measured, with the other thread counts,
   with flash attention off, and with one-thread streams decoding batches side
   by side; the runner-up, if within 20 % of it (a single
   pass is a rough measure), fully measured at the default.

Every vector a child returns is compared with the original model's vectors
of the same texts (``resources/engine-probe.json``); a configuration passes
only within its type's bounds (:data:`~app.core.engine.config.BOUNDS`).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from app.core.engine.config import BOUNDS, FAITHFUL, EngineConfig
from app.core.engine.machine import Machine
from app.core.engine.record import ProbeRecord, Trial, choose
from app.core.engine.runner import Outcome, ProbeRunner
from app.core.paths import resources_dir
from app.core.progress import Progress, Stage

# Tensors to keep out of the AMX buffer when a quantized type crashes with it: first the
# two Dense layers (run on the pooled vector, a shape unlike the blocks'), then the
# feed-forward weights (their 1152-wide rows are the one dimension here that is not a
# multiple of 256).
AMX_PINS = (("^dense_[23]\\.weight$",), ("ffn_(gate|up|down)\\.weight$",))
_AMX_TYPES = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0")
# The first stage measures each configuration once over the passages and once over the queries (on a slow
# 2-core machine, a type without fast kernels takes ~10 s a pass); the second measures properly.
SCREEN = {"min_seconds": 0, "min_passes": 1, "query_rounds": 1}
MEASURE = {"min_seconds": 0.8, "min_passes": 2, "query_rounds": 2}
SECOND_STAGE_SHARE = 0.8
SECOND_STAGE_TYPES = 2  # on a CPU where every type runs alike (a Zen 1: all within 10 %), not all of them again


@dataclass(frozen=True)
class Candidate:
    """A GGUF file to measure."""

    qtype: str
    path: Path
    fingerprint: str
    size: int


def probe_texts() -> dict:
    """The probe's passages and queries (prompts included) and the original model's vectors of them."""
    data = json.loads((resources_dir() / "engine-probe.json").read_text(encoding="utf-8"))
    n = len(data["passages"]) + len(data["queries"])
    ref = np.frombuffer(base64.b64decode(data["reference_f32_b64"]), dtype=np.float32).reshape(n, -1)
    return {"passages": data["passages"], "queries": data["queries"], "reference": ref}


def fidelity(vectors: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(mean, min) cosine of ``vectors`` to ``reference``, the worse of 768-d and 128-d (Matryoshka)."""
    means, mins = [], []
    for dim in (reference.shape[1], 128):
        a = vectors[:, :dim] / np.linalg.norm(vectors[:, :dim], axis=1, keepdims=True)
        b = reference[:, :dim] / np.linalg.norm(reference[:, :dim], axis=1, keepdims=True)
        cos = np.sum(a * b, axis=1)
        means.append(float(cos.mean()))
        mins.append(float(cos.min()))
    return min(means), min(mins)


class Prober:
    """Runs the stages above over ``candidates`` and returns a :class:`ProbeRecord`.

    Args:
        machine: what it runs on (its thread choices, AMX, GPU).
        runner: starts the child processes.
        threads: a fixed thread count (the user's setting), or 0 to measure.
        allowed: the types the choice may fall on (the faithful ones for "automatic").
        on_progress: called with a :class:`Progress` before each child starts.
    """

    def __init__(self, machine: Machine, runner: ProbeRunner | None = None, *, threads: int = 0,
                 allowed: tuple[str, ...] = FAITHFUL,
                 on_progress: Callable[[Progress], None] = lambda p: None) -> None:
        self.machine = machine
        self.runner = runner or ProbeRunner()
        self.threads = [threads] if threads else machine.thread_choices()
        self.allowed = allowed
        self.on_progress = on_progress
        texts = probe_texts()
        self._reference = texts.pop("reference")
        self._texts = texts
        self._step = 0
        self._steps = 0

    def run(self, candidates: list[Candidate], key: str, prefer: str | None = None, *,
            quick: bool = False) -> ProbeRecord:
        """Measure ``candidates``; ``quick`` stops after the first stage (a safe configuration, not the fastest)."""
        started = time.monotonic()
        self._steps = len(candidates) * (2 if self.machine.gpu_offload else 1) + 1
        trials: list[Trial] = []
        firsts: dict[str, Trial] = {}
        for c in candidates:
            for trial in self._first_stage(c):
                trials.append(trial)
                if trial.ok and (c.qtype not in firsts or (trial.tokens_per_s or 0) > (firsts[c.qtype].tokens_per_s
                                                                                          or 0)):
                    firsts[c.qtype] = trial
        if not quick:
            trials += self._second_stage(candidates, firsts)
        chosen, why = choose(trials, self.allowed, prefer)
        by_type = {c.qtype: c for c in candidates}
        return ProbeRecord(
            key=key, machine=self.machine.to_json(), trials=tuple(trials), chosen=chosen,
            fingerprint=by_type[chosen.config.qtype].fingerprint if chosen else "", why=why,
            seconds=round(time.monotonic() - started, 1), created=datetime.now(UTC).isoformat(
                timespec="seconds"), fingerprints={c.qtype: c.fingerprint for c in candidates})

    # -- stages ----------------------------------------------------------
    def _first_stage(self, c: Candidate) -> list[Trial]:
        t0 = self.threads[0]
        out: list[Trial] = []
        if self.machine.gpu_offload:
            out += self._measure(c, EngineConfig(c.qtype, t0, gpu_layers=999), [(t0, True, 1)])
        plain = self._measure(c, EngineConfig(c.qtype, t0), [(t0, True, 1)])
        out += plain
        if plain[0].ok:
            if self.machine.amx and c.qtype in _AMX_TYPES:  # what AMX gives, beside the same without it
                out += self._measure(c, EngineConfig(c.qtype, t0, extra_bufts=False), [(t0, True, 1)])
            return out
        fallbacks = [EngineConfig(c.qtype, t0, cpu_tensors=pins) for pins in AMX_PINS] if (
            self.machine.amx and c.qtype in _AMX_TYPES) else []
        fallbacks.append(EngineConfig(c.qtype, t0, extra_bufts=False))
        for config in fallbacks:
            self._steps += 1
            trial = self._measure(c, config, [(t0, True, 1)])
            out += trial
            if trial[0].ok and config.extra_bufts is False:
                break
        return out

    def _second_stage(self, candidates: list[Candidate], firsts: dict[str, Trial]) -> list[Trial]:
        ranked = sorted((t for t in firsts.values() if t.config.qtype in self.allowed),
                        key=lambda t: -(t.tokens_per_s or 0))
        if not ranked:
            return []
        top = ranked[0].tokens_per_s or 0
        close = [t for t in ranked if (t.tokens_per_s or 0) >= SECOND_STAGE_SHARE * top][:SECOND_STAGE_TYPES]
        by_type = {c.qtype: c for c in candidates}
        out: list[Trial] = []
        for n, first in enumerate(close):
            base = (first.config.threads, first.config.flash_attn, 1)
            if n:  # a runner-up: measured fully at the default only (threads and flash attention act alike on it)
                variants = [base]
            else:
                # The base again before and after the others, in the same child: measurements next to
                # each other in time compare fairly on a machine whose speed drifts. Streams: as many
                # one-thread streams as threads (on two cores, ~25 % more tokens/s than one two-thread stream).
                variants = [base, *((t, True, 1) for t in self.threads[1:]), (first.config.threads, False, 1),
                            *((t, True, t) for t in self.threads if t > 1), base]
            out += self._measure(by_type[first.config.qtype], first.config, variants, MEASURE)
        return out

    # -- one child -------------------------------------------------------
    def _measure(self, c: Candidate, config: EngineConfig, variants: list[tuple[int, bool, int]],
                 how: dict = SCREEN) -> list[Trial]:
        self._step += 1
        self.on_progress(Progress(Stage.ENGINE, min(self._step, self._steps), max(self._steps, self._step), "",
                                  f"Measuring the engine on this computer: {config.qtype}"))
        model = {"qtype": c.qtype, "path": str(c.path), "extra_bufts": config.extra_bufts,
                 "gpu_layers": config.gpu_layers, "cpu_tensors": list(config.cpu_tensors)}
        wanted = [{"threads": n, "flash_attn": flash, "streams": streams} for n, flash, streams in variants]
        outcomes = self.runner.run(model, wanted, {**self._texts, **how})
        return [dataclasses.replace(self._trial(c, config, o), screen=how is SCREEN) for o in outcomes]

    def _trial(self, c: Candidate, base: EngineConfig, o: Outcome) -> Trial:
        config = EngineConfig(base.qtype, int(o.variant["threads"]), base.extra_bufts, bool(o.variant["flash_attn"]),
                              base.gpu_layers, base.cpu_tensors, int(o.variant.get("streams", 1)))
        file_mb = round(c.size / 1e6, 1)
        backend = o.loaded.get("backend", "CPU") if o.loaded else "CPU"
        if o.result is None:
            return Trial(config, False, o.failure, file_mb=file_mb, backend=backend)
        r = o.result
        try:
            vectors = np.frombuffer(base64.b64decode(r["vectors"]), dtype=np.float32).reshape(self._reference.shape)
        except (KeyError, ValueError):
            return Trial(config, False, "the child returned no usable vectors", file_mb=file_mb, backend=backend)
        mean, low = fidelity(vectors, self._reference)
        want_mean, want_min = BOUNDS.get(config.qtype, (0.9, 0.8))
        ok = bool(np.isfinite(mean)) and mean >= want_mean and low >= want_min
        if config.gpu_layers and backend == "CPU":
            ok, reason = False, "asked for the GPU, but llama.cpp ran it on the CPU"
        else:
            reason = "" if ok else (f"vectors too far from the original model (cosine mean {mean:.5f}, "
                                    f"min {low:.5f}; {config.qtype} needs {want_mean} / {want_min})")
        return Trial(config, ok, reason, round(r["tokens_per_s"], 1), round(r["query_ms"], 2), round(mean, 6),
                     round(low, 6), round(r["rss_mb"], 1) if r.get("rss_mb") else None, file_mb, backend)
