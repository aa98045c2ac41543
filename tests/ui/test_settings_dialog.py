from __future__ import annotations

import pytest

from app.core.embedder import DIMENSIONS
from app.core.errors import SettingsError
from app.core.settings import Settings
from app.ui.settings_dialog import UI_QUANTIZATIONS, SettingsDialog, load_tradeoffs


@pytest.fixture
def dialog(qtbot, tmp_path):
    d = SettingsDialog(Settings(roots=(str(tmp_path),), excludes=("*.log",)))
    qtbot.addWidget(d)
    return d


def test_every_choice_has_measured_tradeoffs():
    t = load_tradeoffs()
    assert {int(d) for d in t["dimension"]} == set(DIMENSIONS)
    assert set(UI_QUANTIZATIONS) <= set(t["quantization"])
    for q in t["quantization"].values():
        assert q["file_mb"] > 0 and q["tokens_per_s"] > 0 and 0.9 < q["cosine_mean"] <= 1


def test_ok_applies_edited_settings(qtbot, dialog, tmp_path):
    dialog.dimension.setCurrentIndex(dialog.dimension.findData(256))
    dialog.quantization.setCurrentIndex(dialog.quantization.findData("Q4_K_M"))
    dialog.excludes.setPlainText("*.log\n\n  node_modules  \n")
    dialog.max_mb.setValue(5)
    dialog.folders.add(str(tmp_path / "more"))
    dialog.types["code"].setChecked(False)
    dialog.gentle.setChecked(True)
    dialog.pause_on_battery.setChecked(True)
    dialog.start_at_login.setChecked(True)
    assert "256" in dialog.dimension_note.text() and "no re-embedding" in dialog.dimension_note.text()
    assert "Q4_K_M" in dialog.quantization_note.text() and "again" in dialog.quantization_note.text()
    with qtbot.waitSignal(dialog.applied) as blocker:
        dialog.accept()
    new = blocker.args[0]
    assert (new.dimension, new.quantization, new.max_file_mb) == (256, "Q4_K_M", 5)
    assert new.excludes == ("*.log", "node_modules")
    assert new.gentle and new.pause_on_battery and new.start_at_login
    assert new.skip_types == ("code",)
    assert new.roots == (str(tmp_path), str((tmp_path / "more").resolve()))


def test_cancel_and_unchanged_ok_apply_nothing(qtbot, dialog):
    dialog.dimension.setCurrentIndex(dialog.dimension.findData(128))
    with qtbot.assertNotEmitted(dialog.applied):
        dialog.reject()
    fresh = SettingsDialog(Settings())
    qtbot.addWidget(fresh)
    with qtbot.assertNotEmitted(dialog.applied):
        fresh.accept()


def test_invalid_settings_are_explained_and_not_applied(qtbot, dialog, monkeypatch):
    def bad():
        raise SettingsError("max_file_mb must be a whole number from 1 to 10000")

    monkeypatch.setattr(dialog, "edited", bad)
    dialog.show()
    with qtbot.assertNotEmitted(dialog.applied):
        dialog.accept()
    assert "max_file_mb" in dialog.error.text() and dialog.isVisible()


def test_removing_a_folder(qtbot, dialog, tmp_path):
    dialog.folders.list.setCurrentRow(0)
    dialog.folders.list.item(0).setSelected(True)
    dialog.folders.remove_selected()
    assert dialog.folders.folders() == ()
