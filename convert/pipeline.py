"""The conversion as one call: checkpoint folder + type → GGUF file, atomically."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

from gguf import GGMLQuantizationType, LlamaFileType

from convert.errors import ConversionError
from convert.kquant import quantize_with_llama
from convert.source import SOURCE_FILES, Checkpoint
from convert.tensors import plan
from convert.vocab import load_vocab
from convert.writer import write_gguf


@dataclass(frozen=True)
class Recipe:
    """How each kind of tensor is stored in a file the converter writes itself.

    ``blocks`` is the type of the transformer blocks' 2-D weights (all the
    matrix work); ``token_table`` and ``dense``, when set, store the token
    embedding table (a lookup, two thirds of the parameters) and the two
    Dense layers (run once per text on the pooled vector) differently.
    1-D tensors are always F32.
    """

    ftype: LlamaFileType
    blocks: GGMLQuantizationType
    token_table: GGMLQuantizationType | None = None
    dense: GGMLQuantizationType | None = None


Q = GGMLQuantizationType
# Files the converter writes itself, one type everywhere or a mixed recipe.
DIRECT_TYPES = {
    "F32": Recipe(LlamaFileType.ALL_F32, Q.F32),
    "F16": Recipe(LlamaFileType.MOSTLY_F16, Q.F16),
    "BF16": Recipe(LlamaFileType.MOSTLY_BF16, Q.BF16),
    "Q8_0": Recipe(LlamaFileType.MOSTLY_Q8_0, Q.Q8_0),
    # The speed of BF16 (or F16) blocks in about the size of Q8_0, and closer to the
    # original than Q8_0 (bench/RESULTS.md, "Mixed recipes").
    "MIX_BF16": Recipe(LlamaFileType.MOSTLY_BF16, Q.BF16, token_table=Q.Q6_K, dense=Q.Q8_0),
    "MIX_F16": Recipe(LlamaFileType.MOSTLY_F16, Q.F16, token_table=Q.Q6_K, dense=Q.Q8_0),
}
# Types made by llama.cpp's quantizer from an F32 file (its mixes, e.g. Q4_K_M).
LLAMA_TYPES = {
    "Q6_K": LlamaFileType.MOSTLY_Q6_K,
    "Q5_K_M": LlamaFileType.MOSTLY_Q5_K_M,
    "Q4_K_M": LlamaFileType.MOSTLY_Q4_K_M,
    "Q4_0": LlamaFileType.MOSTLY_Q4_0,
}
TYPES = tuple(DIRECT_TYPES) + tuple(LLAMA_TYPES)

Report = Callable[[str, int, int], None]


def convert(
    checkpoint: Path,
    qtype: str,
    out: Path,
    *,
    threads: int = 0,
    report: Report = lambda stage, done, total: None,
) -> Path:
    """Convert ``checkpoint`` to a GGUF of type ``qtype`` at ``out``.

    The file appears only when complete: it is written under a temporary
    name in the same folder and renamed at the end. On any error nothing is
    left behind.
    """
    qtype = qtype.upper()
    if qtype not in TYPES:
        raise ConversionError(f"unknown type {qtype!r}; choose one of {', '.join(TYPES)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)

    report("check", 0, 1)
    ckpt = Checkpoint(Path(checkpoint))
    recipe = DIRECT_TYPES[qtype if qtype in DIRECT_TYPES else "F32"]
    tensors = plan(ckpt, recipe.blocks, recipe.token_table, recipe.dense)
    vocab = load_vocab(ckpt.folder, ckpt.hparams.vocab_size)
    report("check", 1, 1)
    hashes = list(_hash_sources(ckpt, report))

    _remove_stale_partials(out)
    try:
        _write(ckpt, qtype, recipe, out, vocab, tensors, hashes, threads, report)
    except OSError as exc:
        # numpy's tofile reports a short write without an errno ("8192 requested and 4016 written").
        if exc.errno in _NO_SPACE or (exc.errno is None and "written" in str(exc)):
            raise ConversionError(f"the disk holding {out.parent} is full, or a quota or file-size limit was "
                                  f"reached ({exc.strerror or exc}); free some space and convert again "
                                  "(nothing was written)") from exc
        raise
    return out


def _write(ckpt: Checkpoint, qtype: str, recipe: Recipe, out: Path, vocab, tensors, hashes, threads: int,
           report: Report) -> None:
    ftype = recipe.ftype
    with _atomic_output(out) as tmp:
        if qtype in DIRECT_TYPES:
            write_gguf(tmp, ckpt, vocab, tensors, ftype, hashes, lambda d, t: report("write", d, t))
        else:
            with _temp_path(out) as f32:
                write_gguf(f32, ckpt, vocab, tensors, ftype, hashes, lambda d, t: report("write", d, t))
                report("quantize", 0, 1)
                quantize_with_llama(f32, tmp, int(LLAMA_TYPES[qtype]), threads)
                report("quantize", 1, 1)


_NO_SPACE = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


def _hash_sources(ckpt: Checkpoint, report: Report):
    report("hash", 0, len(SOURCE_FILES))
    for i, item in enumerate(ckpt.source_hashes(), 1):
        report("hash", i, len(SOURCE_FILES))
        yield item


def _remove_stale_partials(final: Path) -> None:
    # Left by a conversion that was killed; they are never read. One that another
    # conversion is still writing is locked by it and stays.
    for stale in final.parent.glob(f".{final.name}.*.partial"):
        with contextlib.suppress(OSError), open(stale, "rb") as f:
            if _try_lock(f.fileno()):
                stale.unlink()


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; True if taken (always, where there is no flock)."""
    if fcntl is None:  # Windows: an open file cannot be deleted anyway
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def _temp_path(beside: Path):
    """Yield a hidden temporary path next to ``beside``, locked while it is written; it is always removed at
    the end (also on SIGTERM, which the command line turns into KeyboardInterrupt)."""
    fd, name = tempfile.mkstemp(dir=beside.parent, prefix=f".{beside.name}.", suffix=".partial")
    tmp = Path(name)
    try:
        _try_lock(fd)  # tells a sweep in another process that this one is alive
        umask = os.umask(0)  # mkstemp makes the file private; give it the usual permissions
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        yield tmp
    finally:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def _atomic_output(final: Path):
    """Yield a temporary path beside ``final``; move it into place only on success."""
    with _temp_path(final) as tmp:
        yield tmp
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, final)
