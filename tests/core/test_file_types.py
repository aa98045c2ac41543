from __future__ import annotations

import pytest

from app.core.errors import SettingsError
from app.core.file_types import GROUPS, exclude_globs
from app.core.services import IndexService
from app.core.settings import Settings
from tests.helpers.fakes import FakeEmbedder


def test_every_group_has_suffixes_and_globs():
    for group in GROUPS:
        assert exclude_globs((group,)) and all(g.startswith("*.") for g in exclude_globs((group,)))
    assert "*.py" in exclude_globs(("code",)) and "*.pdf" in exclude_globs(("documents",))


def test_unknown_groups_are_refused():
    with pytest.raises(SettingsError, match="skip_types"):
        Settings(skip_types=("videos",))


def test_skipped_types_are_left_out_and_dropped_when_unchecked(paths, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "note.md").write_text("# Garden\n\nTomatoes need sun.")
    (docs / "retry.py").write_text("def retry():\n    return 1\n")
    settings = Settings(roots=(str(docs),))
    with IndexService(paths, settings, embedder=FakeEmbedder()) as service:
        service.sync()
        assert service.stats().files == 2
    with IndexService(paths, settings.replace(skip_types=("code",)), embedder=FakeEmbedder()) as service:
        service.sync()
        assert service.stats().files == 1
