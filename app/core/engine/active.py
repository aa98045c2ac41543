"""Which engine configuration this machine uses: the probe's cached choice, or a new probe.

``current`` answers from the cache without running anything; ``probe``
measures (in child processes) and records. Nothing here loads a model in
this process: only a configuration that passed in a child is ever handed to
:class:`~app.core.embedder.LlamaEmbedder`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.core.engine import record as records
from app.core.engine.config import AUTO_TYPES, FAITHFUL
from app.core.engine.machine import Machine
from app.core.engine.probe import Candidate, Prober
from app.core.engine.record import ProbeRecord
from app.core.engine.runner import ProbeRunner
from app.core.errors import GemseekError
from app.core.model import gguf_info
from app.core.paths import Paths
from app.core.progress import Progress
from app.core.settings import Settings

log = logging.getLogger(__name__)

AUTO = "auto"


class EngineUnusableError(GemseekError):
    """Every configuration the probe tried crashed, hung or computed wrong vectors."""


def wanted_types(settings: Settings) -> tuple[str, ...]:
    """The GGUF types to measure: the automatic candidates, or the one the user chose."""
    return AUTO_TYPES if settings.quantization == AUTO else (settings.quantization,)


def record_key(machine: Machine, settings: Settings) -> str:
    return machine.key(records.RECORD_VERSION, settings.quantization, settings.threads)


def current(paths: Paths, settings: Settings, machine: Machine | None = None) -> ProbeRecord | None:
    """The recorded choice for this machine and these settings, if its model file is still the one measured."""
    machine = machine or Machine.current()
    rec = records.load(paths.models, record_key(machine, settings))
    if rec is None or rec.chosen is None:
        return None
    path = paths.gguf_file(rec.chosen.config.qtype)
    if not path.is_file() or gguf_info(path, rec.chosen.config.qtype).fingerprint != rec.fingerprint:
        return None
    return rec


def candidates(paths: Paths, types: tuple[str, ...]) -> list[Candidate]:
    """The GGUF files of ``types`` that exist."""
    out = []
    for qtype in types:
        path = paths.gguf_file(qtype)
        if path.is_file():
            info = gguf_info(path, qtype)
            out.append(Candidate(qtype, path, info.fingerprint, info.size))
    return out


def probe(
    paths: Paths,
    settings: Settings,
    *,
    machine: Machine | None = None,
    runner: ProbeRunner | None = None,
    on_progress: Callable[[Progress], None] = lambda p: None,
) -> ProbeRecord:
    """Measure the configurations of the types present, record the outcome, and return it.

    Raises:
        EngineUnusableError: nothing passed; the record (with every reason) is kept for ``model status``.
    """
    machine = machine or Machine.current()
    found = candidates(paths, wanted_types(settings))
    if not found:
        raise GemseekError(f"no model file to measure ({', '.join(wanted_types(settings))}); "
                           "run `gemseek model prepare`")
    allowed = FAITHFUL if settings.quantization == AUTO else (settings.quantization,)
    key = record_key(machine, settings)
    previous = records.load(paths.models, key)
    prefer = previous.chosen.config.qtype if previous and previous.chosen else None
    env = paths.child_env()
    prober = Prober(machine, runner or ProbeRunner(env=env), threads=settings.threads, allowed=allowed,
                    on_progress=on_progress)
    rec = prober.run(found, key, prefer)
    where = records.save(paths.models, rec)
    if rec.chosen is None:
        reasons = "; ".join(f"{t.config.label()}: {t.reason}" for t in rec.trials[:6])
        raise EngineUnusableError(f"the model cannot run on this computer with this llama.cpp build ({reasons}); "
                                  f"every attempt is in {where} and the log in {paths.logs}")
    log.info("engine chosen in %.1f s: %s (%s)", rec.seconds, rec.chosen.config.label(), rec.why)
    return rec
