"""Get the model ready to use: fetch the checkpoint, convert it, measure the engine, load the embedder."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Generator, Iterator

from app.core.checkpoint import is_checkpoint_ready
from app.core.embedder import LlamaEmbedder
from app.core.engine import active
from app.core.engine.machine import Machine
from app.core.engine.record import ProbeRecord
from app.core.engine.runner import ProbeRunner
from app.core.errors import ModelMissingError
from app.core.fetch import fetch_checkpoint, sweep_leftovers
from app.core.model import convert_model, gguf_info, remove_abandoned_partials
from app.core.paths import Paths
from app.core.progress import CancelToken, Progress
from app.core.settings import Settings

log = logging.getLogger(__name__)


def prepare_model(
    paths: Paths, settings: Settings, cancel: CancelToken | None = None, runner: ProbeRunner | None = None
) -> Iterator[Progress]:
    """Make sure this machine has a measured, working engine for ``settings``; do nothing if it has.

    Fetches the checkpoint and converts the types to measure when their files
    are missing (for "auto": only when none of them is there, or the checkpoint
    is at hand), then runs the engine probe in child processes. Files converted
    only to be measured, and not chosen, are removed again (Q8_0 stays: it runs
    everywhere).
    """
    remove_abandoned_partials(paths.gguf_dir)  # a conversion or fetch killed last time leaves up to 1.2 GB
    sweep_leftovers(paths)
    machine = Machine.current()
    if active.current(paths, settings, machine) is not None:
        return
    types = active.wanted_types(settings)
    missing = [q for q in types if not paths.gguf_file(q).is_file()]
    have_some = len(missing) < len(types)
    made: list[str] = []
    if missing and (is_checkpoint_ready(paths) or not have_some):
        if not is_checkpoint_ready(paths):
            yield from fetch_checkpoint(paths, "auto", cancel=cancel)
        for qtype in missing:
            yield from convert_model(paths.checkpoint, qtype, paths.gguf_file(qtype),
                                     threads=settings.effective_threads(), cancel=cancel)
            made.append(qtype)
    rec = yield from _probe(paths, settings, machine, runner)
    _remove_unchosen(paths, rec, made)


def _probe(paths: Paths, settings: Settings, machine: Machine,
           runner: ProbeRunner | None) -> Generator[Progress, None, ProbeRecord]:
    """Run the probe on a helper thread (it waits on child processes) and pass its progress on as it comes."""
    events: queue.Queue = queue.Queue()
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["record"] = active.probe(paths, settings, machine=machine, runner=runner, on_progress=events.put)
        except BaseException as exc:  # handed to the generator's thread
            outcome["error"] = exc
        finally:
            events.put(None)

    threading.Thread(target=work, name="gemseek-probe", daemon=True).start()
    while (p := events.get()) is not None:
        yield p
    if "error" in outcome:
        raise outcome["error"]
    return outcome["record"]


def _remove_unchosen(paths: Paths, rec: ProbeRecord, made: list[str]) -> None:
    chosen = rec.chosen.config.qtype if rec.chosen else None
    for qtype in made:
        if qtype not in (chosen, "Q8_0"):
            path = paths.gguf_file(qtype)
            log.info("removing %s: converted to be measured, not chosen", path.name)
            with contextlib.suppress(OSError):
                path.unlink()
                path.with_name(path.name + ".json").unlink()


def engine_record(paths: Paths, settings: Settings, on_progress: Callable[[Progress], None] = lambda p: None,
                  cancel: CancelToken | None = None, runner: ProbeRunner | None = None) -> ProbeRecord:
    """This machine's engine choice for ``settings``, preparing (fetch, convert, probe) if there is none."""
    rec = active.current(paths, settings)
    if rec is None:
        for p in prepare_model(paths, settings, cancel, runner):
            on_progress(p)
        rec = active.current(paths, settings)
    if rec is None or rec.chosen is None:  # the probe raises when nothing works; this is a race with a deletion
        raise active.EngineUnusableError("the engine choice could not be made; run `gemseek model probe`")
    return rec


def load_embedder(paths: Paths, settings: Settings, on_progress: Callable[[Progress], None] = lambda p: None,
                  runner: ProbeRunner | None = None, *, prepare: bool = True, batch_tokens: int = 256) -> LlamaEmbedder:
    """Open the model the way the probe found best on this machine, at the configured dimension.

    Args:
        prepare: fetch, convert and measure first when this machine has no engine
            choice yet; without it, raise ModelMissingError instead (the desktop
            app's search thread: the app prepares the model in a child process).
        batch_tokens: the standing batch size (see LlamaEmbedder): a searcher
            that embeds short queries needs less than an indexer.
    """
    if not prepare and active.current(paths, settings) is None:
        raise ModelMissingError("the model is not ready on this computer yet; Gemseek is preparing it")
    rec = engine_record(paths, settings, on_progress, runner=runner)
    config = rec.chosen.config
    info = gguf_info(paths.gguf_file(config.qtype), config.qtype)
    return LlamaEmbedder(info.path, dimension=settings.dimension, fingerprint=info.fingerprint, engine=config,
                         batch_tokens=batch_tokens)


def active_type(paths: Paths, settings: Settings) -> str | None:
    """The GGUF type in use for ``settings`` on this machine, without measuring anything (None if not known yet)."""
    if settings.quantization != active.AUTO:
        return settings.quantization
    rec = active.current(paths, settings)
    return rec.chosen.config.qtype if rec and rec.chosen else None


def model_fingerprint(paths: Paths, settings: Settings) -> str | None:
    """The fingerprint of the model file in use for ``settings``, without measuring (None if not known yet)."""
    qtype = active_type(paths, settings)
    path = paths.gguf_file(qtype) if qtype else None
    return gguf_info(path, qtype).fingerprint if path and path.is_file() else None
