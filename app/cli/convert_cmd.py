"""``gemseek convert``: build a GGUF of the chosen type from the fetched checkpoint."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.term import ProgressPrinter, human_bytes
from app.core import settings as settings_mod
from app.core.checkpoint import is_checkpoint_ready
from app.core.errors import ModelMissingError
from app.core.model import QUANTIZATIONS, convert_model, gguf_info
from app.core.paths import Paths


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "convert",
        help="convert the fetched checkpoint to a GGUF file",
        description="Convert the EmbeddingGemma checkpoint (see `gemseek model fetch`) to a GGUF "
        "file llama.cpp can run. F32, F16, BF16, Q8_0 and the mixed MIX_BF16 and MIX_F16 (BF16 or "
        "F16 blocks, a Q6_K token table, Q8_0 Dense layers) are written directly; Q6_K, Q5_K_M, "
        "Q4_K_M and Q4_0 are made by llama.cpp's quantizer from an F32 file.",
    )
    p.add_argument(
        "--type", default=None, choices=QUANTIZATIONS, type=str.upper, metavar="TYPE",
        help=f"output type: {', '.join(QUANTIZATIONS)} (default: the configured one; Q8_0 when that is auto)",
    )
    p.add_argument("--out", type=Path, metavar="FILE", help="where to write (default: the models folder)")
    p.add_argument("--checkpoint", type=Path, metavar="DIR", help="convert this checkpoint folder instead")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, paths: Paths) -> int:
    settings = settings_mod.load(paths.settings_file)
    qtype = args.type or (settings.quantization if settings.quantization in QUANTIZATIONS else "Q8_0")
    checkpoint = args.checkpoint or paths.checkpoint
    if args.checkpoint is None and not is_checkpoint_ready(paths):
        raise ModelMissingError("the checkpoint is not fetched yet; run `gemseek model fetch` first")
    out = (args.out or paths.gguf_file(qtype)).resolve()
    printer = ProgressPrinter()
    for p in convert_model(checkpoint, qtype, out, threads=settings.effective_threads()):
        printer(p)
    printer.close()
    info = gguf_info(out, qtype)
    print(f"{out}  ({qtype}, {human_bytes(info.size)}, fingerprint {info.fingerprint})")
    return 0
