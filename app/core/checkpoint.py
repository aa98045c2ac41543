"""The EmbeddingGemma-300M checkpoint: which files it has and whether a folder holds them intact.

Every file is pinned by size and sha256 in :data:`MANIFEST`. Hashing 1.2 GB
takes a while, so a successful verification leaves a small stamp
(``.verified.json``) recording each file's size, mtime and hash; status checks
trust the stamp while size and mtime are unchanged and rehash otherwise.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from app.core.atomic import write_json
from app.core.errors import IntegrityError
from app.core.paths import Paths
from app.core.progress import CancelToken, Progress, Stage

log = logging.getLogger(__name__)

GEMMA_TERMS_URL = "https://ai.google.dev/gemma/terms"
STAMP_NAME = ".verified.json"
STAMP_VERSION = 1
BLOCK_SIZE = 1 << 20


class ManifestEntry(NamedTuple):
    """One file of the checkpoint: path relative to its folder, size, sha256 (hex)."""

    relpath: str
    size: int
    sha256: str


Manifest = tuple[ManifestEntry, ...]

# fmt: off
MANIFEST: Manifest = (
    ManifestEntry("model.safetensors", 1211486072, "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"),
    ManifestEntry("2_Dense/model.safetensors", 9437272, "c327f2acb00149676ade24a75e11eb6ebbd367f9ee050267ba56829d2979f702"),
    ManifestEntry("3_Dense/model.safetensors", 9437272, "ffb6cc5162e11e2ce6bc2367e121ee3bbbc4e82e1ee26826bd7573d4948d81b8"),
    ManifestEntry("tokenizer.json", 33385008, "6852f8d561078cc0cebe70ca03c5bfdd0d60a45f9d2e0e1e4cc05b68e9ec329e"),
    ManifestEntry("tokenizer.model", 4689074, "1299c11d7cf632ef3b4e11937501358ada021bbdf7c47638d13c0ee982f2e79c"),
    ManifestEntry("tokenizer_config.json", 1155346, "9076840490613047bc9115963ee96b7702018b0d26ba644240bf856efda93118"),
    ManifestEntry("config.json", 1488, "8f863f76e2d9c710cc833dc92efa898c9adfd41031c786507cc6b0e49c2e3e68"),
    ManifestEntry("config_sentence_transformers.json", 997, "8eadac15526f83d8950aa8d962a7f4f6e3d678bea71689960194561f33a5f64f"),
    ManifestEntry("modules.json", 573, "5b5649645fb756dad1a8e2efe7872d3bb32bc00b93c95f276dd17f474eedccdc"),
    ManifestEntry("1_Pooling/config.json", 312, "35bbd47d7fdf1e378db6130bcc668b09d1aa67a7bbf7c8f89a9c71f4cc8ebcc6"),
    ManifestEntry("2_Dense/config.json", 134, "0661e5e0b67b8f8408ab31ab5d073a78972fc1dc24a49992a64796557e4f9e53"),
    ManifestEntry("3_Dense/config.json", 134, "8c4575c49353d63fb907878856ba94384635c3b2711fd5b7439e7f71888c66fc"),
    ManifestEntry("sentence_bert_config.json", 58, "5ea26221ce733ace29a3897360e7c6ac8816b2ca0f7306657d69e594fece7325"),
    ManifestEntry("special_tokens_map.json", 662, "2f7b0adf4fb469770bb1490e3e35df87b1dc578246c5e7e6fc76ecf33213a397"),
    ManifestEntry("added_tokens.json", 35, "50b2f405ba56a26d4913fd772089992252d7f942123cc0a034d96424221ba946"),
    ManifestEntry("generation_config.json", 133, "1fb1efd221c1ca88a736d1b36cb47d754c177677e222acb3b1e5424c5d664870"),
)
# fmt: on


def manifest_bytes(manifest: Manifest = MANIFEST) -> int:
    """Total size of the files in ``manifest``."""
    return sum(entry.size for entry in manifest)


def hash_copy(
    src: BinaryIO,
    dst: BinaryIO | None,
    digest: Any,
    cancel: CancelToken | None = None,
) -> Iterator[int]:
    """Copy ``src`` to ``dst`` (when given) block by block, feeding ``digest``.

    Yields the length of each block so callers can report progress; checks
    ``cancel`` before every block.
    """
    while True:
        if cancel is not None:
            cancel.check()
        block = src.read(BLOCK_SIZE)
        if not block:
            return
        digest.update(block)
        if dst is not None:
            dst.write(block)
        yield len(block)


def check_size(entry: ManifestEntry, got: int, where: str = "") -> None:
    """Raise :class:`IntegrityError` unless ``got`` is the size ``entry`` must have."""
    if got != entry.size:
        raise IntegrityError(f"{entry.relpath}{where}: expected {entry.size} bytes, got {got}")


def check_digest(entry: ManifestEntry, got: str, where: str = "") -> None:
    """Raise :class:`IntegrityError` unless ``got`` is the sha256 ``entry`` must have."""
    if got != entry.sha256:
        raise IntegrityError(f"{entry.relpath}{where}: expected sha256 {entry.sha256}, got {got}")


def check_complete(folder: Path, manifest: Manifest = MANIFEST) -> None:
    """Raise :class:`IntegrityError` if a file is missing or has the wrong size (no hashing)."""
    for entry in manifest:
        path = folder / entry.relpath
        if not path.is_file():
            raise IntegrityError(f"{entry.relpath}: missing from {folder}")
        check_size(entry, path.stat().st_size, f" in {folder}")


def verify_checkpoint(
    folder: str | os.PathLike[str],
    manifest: Manifest = MANIFEST,
    cancel: CancelToken | None = None,
) -> Iterator[Progress]:
    """Hash every file of ``folder`` against ``manifest``, then stamp it as verified.

    Always rehashes (the stamp is only written, never trusted, here).

    Raises:
        IntegrityError: a file is missing or differs; the message names it.
        Cancelled: ``cancel`` was set.
    """
    folder = Path(folder)
    check_complete(folder, manifest)
    total = manifest_bytes(manifest)
    done = 0
    yield Progress(Stage.VERIFY, done, total, "B", "Verifying the checkpoint")
    for entry in manifest:
        digest = hashlib.sha256()
        with open(folder / entry.relpath, "rb") as fh:
            for n in hash_copy(fh, None, digest, cancel):
                done += n
                yield Progress(Stage.VERIFY, done, total, "B", f"Verifying {entry.relpath}")
        check_digest(entry, digest.hexdigest(), f" in {folder}")
    write_stamp(folder, manifest)


def write_stamp(folder: Path, manifest: Manifest = MANIFEST) -> None:
    """Record that ``folder`` matches ``manifest`` as of now (call only after verifying)."""
    files = {}
    for entry in manifest:
        st = (folder / entry.relpath).stat()
        files[entry.relpath] = {
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "sha256": entry.sha256,
        }
    data = {"version": STAMP_VERSION, "files": files}
    try:
        write_json(folder / STAMP_NAME, data, indent=1)
    except OSError as exc:  # a read-only folder is still a good checkpoint
        log.warning("cannot write the verification stamp in %s: %s", folder, exc)


def stamp_matches(folder: Path, manifest: Manifest = MANIFEST) -> bool:
    """Whether ``folder``'s stamp vouches for every file of ``manifest`` (no hashing)."""
    try:
        data = json.loads((folder / STAMP_NAME).read_text(encoding="utf-8"))
        if data.get("version") != STAMP_VERSION:
            return False
        files = data["files"]
        for entry in manifest:
            rec = files[entry.relpath]
            st = (folder / entry.relpath).stat()
            if (rec["sha256"], rec["size"], rec["mtime_ns"]) != (
                entry.sha256,
                st.st_size,
                st.st_mtime_ns,
            ) or st.st_size != entry.size:
                return False
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return True


def checkpoint_status(paths: Paths, manifest: Manifest = MANIFEST) -> dict[str, Any]:
    """Describe the installed checkpoint without hashing it.

    Returns:
        ``path`` (str), ``present`` (every file is there), ``verified`` (the
        stamp vouches for every file), ``files`` (how many manifest files are
        there) and ``bytes`` (their total size).
    """
    folder = paths.checkpoint
    count = size = 0
    for entry in manifest:
        path = folder / entry.relpath
        if path.is_file():
            count += 1
            size += path.stat().st_size
    present = count == len(manifest)
    return {
        "path": str(folder),
        "present": present,
        "verified": present and stamp_matches(folder, manifest),
        "files": count,
        "bytes": size,
    }


def is_checkpoint_ready(paths: Paths, manifest: Manifest = MANIFEST) -> bool:
    """Whether a verified checkpoint is installed (trusts the stamp; no hashing)."""
    return stamp_matches(paths.checkpoint, manifest)
