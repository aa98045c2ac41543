"""Fixtures for the desktop app's tests: offscreen Qt, a small real index, a fake embedder."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt starts: CI has no display

from pathlib import Path

import pytest

from app.core.paths import Paths
from app.core.services import IndexService, SearchService
from app.core.settings import Settings
from app.ui.workers import SearchClient
from tests.helpers.fakes import FakeEmbedder

DOCS = {
    "rent.txt": "Dear tenant, the rent increase takes effect in March. The landlord.",
    "retry.py": "def fetch_with_retry(url):\n    \"\"\"Retry HTTP calls with backoff.\"\"\"\n    return url\n",
    "garden.md": "# Garden notes\n\nTomatoes need sun and water every morning.",
    "recipe.md": "# Soup\n\nOnions, carrots and a pinch of salt simmer for an hour.",
}


def make_docs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def docs(tmp_path) -> Path:
    return make_docs(tmp_path / "docs")


@pytest.fixture
def indexed(paths: Paths, docs: Path) -> tuple[Paths, Settings]:
    """A home whose settings index ``docs``, indexed with the fake embedder."""
    settings = Settings(roots=(str(docs),))
    with IndexService(paths, settings, embedder=FakeEmbedder()) as service:
        service.sync()
    return paths, settings


@pytest.fixture
def client(qtbot, indexed):
    paths, settings = indexed
    c = SearchClient(lambda: SearchService(paths, settings, FakeEmbedder()))
    yield c
    c.close()
