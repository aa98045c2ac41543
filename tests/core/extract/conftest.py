from __future__ import annotations

import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from app.core.documents import Document
from app.core.extract import extract
from bench.shared import shared_dir


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The eval corpus of real documents, unpacked once per session."""
    dest = tmp_path_factory.mktemp("corpus")
    with tarfile.open(shared_dir() / "eval" / "corpus.tar.gz") as tar:
        tar.extractall(dest, filter="data")
    return dest / "corpus"


@pytest.fixture
def extract_bytes(tmp_path: Path) -> Callable[..., Document]:
    """Write ``data`` to a file called ``name`` and extract it: ``extract_bytes(name, data)``."""

    def run(name: str, data: bytes, **kwargs) -> Document:
        path = tmp_path / name
        path.write_bytes(data)
        return extract(path, **kwargs)

    return run
