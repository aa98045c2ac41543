"""Build a checkpoint beside the real one, then swap it in atomically.

Files are written into a temporary sibling of ``paths.checkpoint`` and checked
as they are written; the folder replaces the installed one only when complete,
so a failed or cancelled fetch never damages a good copy.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from app.core.checkpoint import ManifestEntry, check_digest, check_size, hash_copy
from app.core.errors import FetchError
from app.core.filelock import LockHeld, exclusive_lock
from app.core.paths import Paths
from app.core.progress import CancelToken

log = logging.getLogger(__name__)

@contextmanager
def fetch_lock(paths: Paths) -> Iterator[None]:
    """Hold an exclusive lock on the models folder for one fetch.

    The operating system drops the lock when the process dies, so a killed
    fetch never leaves a stale lock behind.

    Raises:
        FetchError: another fetch holds the lock.
    """
    try:
        with exclusive_lock(paths.models / ".fetch.lock"):
            yield
    except LockHeld:
        raise FetchError(f"another Gemseek fetch is already running in {paths.models}") from None


def _prefix(target: Path, kind: str) -> str:
    return f".{target.name}.{kind}-"


def remove_leftovers(paths: Paths) -> None:
    """Delete staging, ready and old copies left by a fetch that was killed (hold the lock; recover first)."""
    target = paths.checkpoint
    for kind in ("staging", "ready", "old"):
        for leftover in target.parent.glob(_prefix(target, kind) + "*"):
            log.info("removing leftover %s", leftover)
            shutil.rmtree(leftover, ignore_errors=True)


def sweep_leftovers(paths: Paths) -> None:
    """Remove what a killed fetch left (after putting back a copy it interrupted), unless a fetch is running now.

    Cheap when there is nothing to remove; every start of model work calls it,
    so a staging copy of up to 1.2 GB does not linger beside a good checkpoint.
    """
    target = paths.checkpoint
    if not any(target.parent.glob(f".{target.name}.*-*")):
        return
    try:
        with exclusive_lock(paths.models / ".fetch.lock"):
            recover_install(paths)
            remove_leftovers(paths)
    except LockHeld:  # a fetch is at work; it sweeps for itself
        pass


def recover_install(paths: Paths) -> bool:
    """Put back a complete copy when an install was killed between its renames (hold the lock).

    With nothing at ``paths.checkpoint``, the newest complete new copy (``ready``)
    is moved there, else the copy that was installed before (``old``); the
    caller verifies it as usual. True when one was put back.
    """
    target = paths.checkpoint
    if target.exists():
        return False
    for kind in ("ready", "old"):
        found = sorted(target.parent.glob(_prefix(target, kind) + "*"), key=lambda p: p.stat().st_mtime_ns)
        if found:
            os.replace(found[-1], target)
            log.warning("an install of the checkpoint was interrupted; put back the %s copy", kind)
            return True
    return False


@contextmanager
def staging_dir(paths: Paths) -> Iterator[Path]:
    """A fresh folder beside ``paths.checkpoint``; removed on exit unless installed."""
    target = paths.checkpoint
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=_prefix(target, "staging"), dir=target.parent))
    try:
        yield staging
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def install(staging: Path, target: Path) -> None:
    """Replace ``target`` with ``staging`` using renames only.

    The complete copy is first renamed ``ready``, an existing copy is then
    renamed aside (``old``) and ``ready`` takes its place; the old one is
    deleted last. A kill at any moment leaves a complete copy that
    :func:`recover_install` puts back at ``target``.
    """
    ready = target.with_name(_prefix(target, "ready") + uuid.uuid4().hex[:8])
    os.replace(staging, ready)
    old = None
    try:
        if target.exists():
            old = target.with_name(_prefix(target, "old") + uuid.uuid4().hex[:8])
            os.replace(target, old)
        os.replace(ready, target)
    except OSError:
        if old is not None and not target.exists():
            os.replace(old, target)
        shutil.rmtree(ready, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_verified(
    src: BinaryIO,
    dest: Path,
    entry: ManifestEntry,
    cancel: CancelToken | None = None,
    where: str = "",
) -> Iterator[int]:
    """Copy ``src`` to ``dest`` while hashing; yield block sizes; refuse a mismatch.

    Raises:
        IntegrityError: the copy's size or sha256 differs from ``entry``
            (``dest`` is deleted).
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    try:
        with open(dest, "wb") as out:
            for n in hash_copy(src, out, digest, cancel):
                size += n
                yield n
        check_size(entry, size, where)
        check_digest(entry, digest.hexdigest(), where)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
