from __future__ import annotations

import pytest

from app.core.embedder import DIMENSIONS
from app.core.errors import SettingsError
from app.core.settings import Settings
from app.ui.settings_dialog import UI_QUANTIZATIONS, SettingsDialog, languages_text, load_tradeoffs, ocr_text


@pytest.fixture
def dialog(qtbot, tmp_path):
    d = SettingsDialog(Settings(roots=(str(tmp_path),), excludes=("*.log",)))
    qtbot.addWidget(d)
    return d


def test_every_choice_has_measured_tradeoffs():
    t = load_tradeoffs()
    assert {int(d) for d in t["dimension"]} == set(DIMENSIONS)
    assert set(UI_QUANTIZATIONS) - {"auto"} <= set(t["quantization"])
    assert t["quantization_measured_on"]
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
    assert "measured on" in dialog.quantization_note.text()
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
    with qtbot.assertNotEmitted(fresh.applied):
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


def test_the_engine_in_use_is_shown_and_automatic_is_the_default(qtbot, tmp_path):
    from app.core.engine.config import EngineConfig
    from app.core.engine.record import ProbeRecord, Trial

    chosen = Trial(EngineConfig("MIX_BF16", 1, flash_attn=False), True, tokens_per_s=812.0, query_ms=29.4,
                   cos_mean=0.99981, cos_min=0.99974)
    record = ProbeRecord("k", {}, (chosen,), chosen, "fp", "fastest of 7 working configurations", 21.6, "today")
    d = SettingsDialog(Settings(), engine=record)
    qtbot.addWidget(d)
    assert d.quantization.currentData() == "auto"
    text = d.engine_note.text()
    assert "MIX_BF16 · 1 thread · CPU" in text and "812 tokens/s" in text and "0.99981" in text
    assert "Fastest of 7" in text
    assert "measures MIX_BF16, BF16, MIX_F16, F16 and Q8_0" in d.quantization_note.text()
    d.quantization.setCurrentIndex(d.quantization.findData("Q8_0"))  # a power user's override
    d.threads.setValue(1)
    assert "measures it on this computer" in d.quantization_note.text()
    with qtbot.waitSignal(d.applied) as blocker:
        d.accept()
    assert (blocker.args[0].quantization, blocker.args[0].threads) == ("Q8_0", 1)
    unmeasured = SettingsDialog(Settings())
    qtbot.addWidget(unmeasured)
    assert "Not measured on this computer yet" in unmeasured.engine_note.text()


def test_ocr_is_off_by_default_and_its_measured_cost_is_shown(qtbot, dialog):
    assert not dialog.ocr.isChecked() and dialog.ocr.isEnabled()
    t = load_tradeoffs()
    assert f"about {t['ocr']['cpu_s_per_page']:.0f} CPU seconds per page" in dialog.ocr_note.text()
    assert t["ocr"]["measured_on"] in dialog.ocr_note.text()
    dialog.ocr.setChecked(True)
    with qtbot.waitSignal(dialog.applied) as blocker:
        dialog.accept()
    assert blocker.args[0].ocr is True


def test_the_ocr_note_names_the_languages_as_measured(dialog):
    accuracy = load_tradeoffs()["ocr"]["languages"]
    assert languages_text(accuracy) in dialog.ocr_note.text()
    assert languages_text({"ja": 0.998, "de": 0.95, "tr": 0.7, "ko": 0.01, "ru": 0.04}) == (
        "Reads German and Japanese (90 % or more of the characters of test pages); reads Turkish in part; "
        "does not read Korean and Russian.")
    assert languages_text({}) == ""
    older = {"s_per_page": 5.48, "measured_on": "AMD EPYC", "ndcg10_ocr": 0.9, "ndcg10_text": 0.9}
    assert ocr_text({"ocr": older}) == (
        "Reads PNG, JPEG, TIFF, WebP and BMP images and PDF pages that have no text layer: about 5.5 s per page "
        "(measured on AMD EPYC; yours may differ).\nSearch quality on scanned copies of the test PDFs: nDCG@10 "
        "0.900 (with their text layer 0.900).")


def test_ocr_cannot_be_turned_on_where_its_library_is_missing(qtbot, monkeypatch):
    from app.ui import settings_dialog

    monkeypatch.setattr(settings_dialog, "ocr_available", lambda: False)
    d = SettingsDialog(Settings())
    qtbot.addWidget(d)
    assert not d.ocr.isEnabled() and "not installed" in d.ocr_note.text()


def test_the_dialog_fits_the_screen_and_scrolls_what_does_not(qtbot, dialog):
    from PySide6.QtWidgets import QScrollArea

    screen = dialog.screen().availableGeometry()
    assert dialog.height() <= screen.height() and dialog.width() <= screen.width()
    scroll = dialog.findChild(QScrollArea)
    assert scroll is not None and scroll.widget().isAncestorOf(dialog.ocr_note)
