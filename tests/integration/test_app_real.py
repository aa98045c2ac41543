"""The desktop app end to end on the real model: first start on the bundled samples, then search."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import dataclasses
import shutil

import pytest
from PySide6.QtGui import QIcon

from app.core import llama_backend
from app.core.paths import Paths
from app.core.settings import Settings
from app.main import build_app

pytestmark = pytest.mark.real_model


@pytest.fixture
def home(tmp_path, real_paths, real_gguf) -> Paths:
    """A fresh home whose models folder holds the checkpoint and a Q8_0 file made by today's converter."""
    models = tmp_path / "models"
    (models / "gguf").mkdir(parents=True)
    (models / "embeddinggemma-300m").symlink_to(real_paths.checkpoint)
    shutil.copy(real_gguf("Q8_0"), models / "gguf" / "embeddinggemma-300m-Q8_0.gguf")
    return dataclasses.replace(Paths.resolve(tmp_path / "home"), models=models)


def test_first_start_indexes_the_samples_and_answers_as_you_type(qtbot, home):
    models_before = llama_backend.loaded_models()
    controller = build_app(home, Settings(), QIcon())
    controller.start(first_run=False)
    panel = controller.window.search
    qtbot.waitUntil(lambda: controller.window.status.state == "watching", timeout=600_000)
    assert "9 files" in controller.window.status.files.text()
    expected = {
        "poem about a father riding through the night with his child": "erlkoenig.md",
        "a cat that has no name yet": "wagahai-wa-neko-de-aru.txt",
        "the ant and the grasshopper": "la-cigale-et-la-fourmi.html",
    }
    for query, name in expected.items():
        panel.box.clear()
        with qtbot.waitSignal(panel.searched, timeout=60_000):
            qtbot.keyClicks(panel.box, query)
        assert panel.current().path.name == name, query
        assert panel.preview.toPlainText().strip()
    assert llama_backend.loaded_models() == models_before + 1  # indexing and searching share the weights
    controller.quit()
    qtbot.waitUntil(lambda: controller.done, timeout=60_000)
    controller.window.deleteLater()
