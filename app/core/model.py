"""Which GGUF is active, what it is, and how to build one.

Conversion runs the stand-alone converter (``python -m convert``) as a child
process and follows its JSON progress lines, so a crash in it cannot take
the app down and a cancel simply ends the child.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from app.core.atomic import write_json
from app.core.errors import GemseekError, ModelMissingError
from app.core.filelock import LockHeld, exclusive_lock
from app.core.paths import Paths
from app.core.progress import ERROR, Cancelled, CancelToken, Progress, Stage, converting, read_json_line
from app.core.reading import sha256_of

log = logging.getLogger(__name__)

QUANTIZATIONS = ("F32", "F16", "BF16", "MIX_BF16", "MIX_F16", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0")
AUTO_QUANTIZATION = "auto"  # the engine probe picks the type (app.core.engine)
QUANTIZATION_CHOICES = (AUTO_QUANTIZATION, *QUANTIZATIONS)
DEFAULT_QUANTIZATION = AUTO_QUANTIZATION
_SIDECAR_VERSION = 1


@dataclass(frozen=True)
class GgufInfo:
    """A converted model file and what identifies its outputs."""

    path: Path
    qtype: str
    size: int
    fingerprint: str  # first 16 hex digits of the file's sha256

    def to_json(self) -> dict:
        return {**asdict(self), "path": str(self.path)}


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def gguf_info(path: Path, qtype: str) -> GgufInfo:
    """Describe ``path``; the fingerprint is cached beside it and recomputed when the file changed."""
    st = path.stat()
    side = _sidecar(path)
    try:
        cached = json.loads(side.read_text(encoding="utf-8"))
        if (
            cached.get("version") == _SIDECAR_VERSION
            and cached.get("size") == st.st_size
            and cached.get("mtime_ns") == st.st_mtime_ns
        ):
            return GgufInfo(path, qtype, st.st_size, cached["fingerprint"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    fingerprint = sha256_of(path)[:16]
    record = {
        "version": _SIDECAR_VERSION,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "fingerprint": fingerprint,
        "qtype": qtype,
    }
    try:
        write_json(side, record)
    except OSError as exc:  # a read-only models folder still works, just slower
        log.warning("cannot cache the model fingerprint: %s", exc)
    return GgufInfo(path, qtype, st.st_size, fingerprint)


def installed_ggufs(paths: Paths) -> list[GgufInfo]:
    """Every converted model in the models folder, in QUANTIZATIONS order."""
    return [gguf_info(paths.gguf_file(q), q) for q in QUANTIZATIONS if paths.gguf_file(q).is_file()]


def active_gguf(paths: Paths, qtype: str) -> GgufInfo:
    """The model file for ``qtype``, or a clear error saying how to make it."""
    path = paths.gguf_file(qtype)
    if not path.is_file():
        raise ModelMissingError(
            f"no {qtype} model yet; run `gemseek model fetch` then `gemseek convert --type {qtype}`"
        )
    return gguf_info(path, qtype)


def remove_abandoned_partials(folder: Path) -> list[Path]:
    """Delete the half-written files (``.*.partial``) of conversions that were killed; return them.

    A conversion that is still running holds a lock on its file, so it is left
    alone (the converter also removes its files itself when it is stopped).
    """
    removed: list[Path] = []
    for part in folder.glob(".*.partial") if folder.is_dir() else ():
        try:
            with exclusive_lock(part):
                part.unlink()
        except (LockHeld, OSError):
            continue
        removed.append(part)
    if removed:
        log.info("removed %d files left by an interrupted conversion", len(removed))
    return removed


def converter_command() -> list[str]:
    """How to start the converter as a child process."""
    return [sys.executable, "-m", "convert"]


def convert_model(
    checkpoint: Path,
    qtype: str,
    out: Path,
    *,
    threads: int = 0,
    cancel: CancelToken | None = None,
) -> Iterator[Progress]:
    """Run the converter in a child process, yielding its progress.

    Raises:
        GemseekError: the converter refused the input or failed.
        Cancelled: ``cancel`` was set; the child is stopped and leaves no file.
    """
    if qtype not in QUANTIZATIONS:
        raise GemseekError(f"unknown quantization {qtype!r}; choose one of {', '.join(QUANTIZATIONS)}")
    cmd = [
        *converter_command(),
        "--checkpoint", str(checkpoint),
        "--type", qtype,
        "--out", str(out),
        "--threads", str(threads),
        "--progress", "json",
    ]
    log.info("running converter: %s", " ".join(cmd))
    error: str | None = None
    # stderr goes to a file: a pipe nobody reads could fill up and stall the child.
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errfile, subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=errfile, text=True, encoding="utf-8", errors="replace"
    ) as proc:
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if cancel is not None and cancel.cancelled:
                    raise Cancelled()
                rec = read_json_line(line)
                if rec is None:
                    log.debug("converter: %s", line.rstrip())
                    continue
                stage = rec.get("stage")
                if stage == ERROR:
                    error = rec.get("message") or "conversion failed"
                elif stage != Stage.DONE:
                    yield Progress(
                        stage=converting(stage),
                        done=int(rec.get("done", 0)),
                        total=rec.get("total"),
                        unit="B" if stage == "write" else "",
                        message=_STAGE_TEXT.get(stage, stage),
                    )
        finally:
            if proc.poll() is None:
                proc.terminate()
            proc.wait()
            errfile.seek(0)
            stderr = errfile.read()
    if error or proc.returncode != 0:
        detail = error or (stderr.strip().splitlines() or ["the converter stopped"])[-1]
        raise GemseekError(f"conversion to {qtype} failed: {detail}")
    gguf_info(out, qtype)  # fingerprint it now, while the file is warm in the page cache


_STAGE_TEXT = {
    "check": "Checking the checkpoint",
    "hash": "Recording source hashes",
    "write": "Writing GGUF",
    "quantize": "Quantizing with llama.cpp",
}
