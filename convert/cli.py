"""``python -m convert``: the converter's own command line.

With ``--progress json`` every step is one JSON line on stdout
(``{"stage": ..., "done": ..., "total": ...}``) and the last line is
``{"stage": "done", "path": ...}`` or ``{"stage": "error", "message": ...}``;
this is how the app follows a conversion it runs as a child process.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from convert import CONVERTER_VERSION
from convert.errors import ConversionError
from convert.pipeline import TYPES, convert


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m convert",
        description="Convert an EmbeddingGemma sentence-transformers checkpoint to GGUF.",
    )
    p.add_argument("--version", action="version", version=f"gemseek-convert {CONVERTER_VERSION}")
    p.add_argument("--checkpoint", required=True, type=Path, help="checkpoint folder")
    p.add_argument("--type", default="Q8_0", choices=TYPES, type=str.upper, help="output type (default Q8_0)")
    p.add_argument("--out", required=True, type=Path, help="GGUF file to write")
    p.add_argument("--threads", type=int, default=0, help="threads for llama.cpp's quantizer (0: all)")
    p.add_argument("--progress", choices=("text", "json"), default="text")
    return p


def _interrupt_on_sigterm() -> None:
    """SIGTERM (the app cancelling) unwinds like Ctrl-C, so the half-written files are removed."""
    def stop(signum, frame):
        raise KeyboardInterrupt

    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, stop)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    as_json = args.progress == "json"
    _interrupt_on_sigterm()

    def emit(record: dict) -> None:
        if as_json:
            print(json.dumps(record), flush=True)

    def report(stage: str, done: int, total: int) -> None:
        if as_json:
            emit({"stage": stage, "done": done, "total": total})
        elif done == total:
            print(f"{stage}: done", file=sys.stderr, flush=True)

    try:
        out = convert(args.checkpoint, args.type, args.out, threads=args.threads, report=report)
    except ConversionError as exc:
        emit({"stage": "error", "message": str(exc)})
        print(f"convert: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        emit({"stage": "error", "message": "cancelled"})
        print("convert: cancelled; nothing was written", file=sys.stderr)
        return 130
    emit({"stage": "done", "path": str(out)})
    if not as_json:
        print(out)
    return 0
