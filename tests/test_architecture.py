"""The rules between the packages: STYLE.md's import arrows (import-linter, contracts in
pyproject.toml), a clean lint, and the model types the app and the converter share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.core.model import AUTO_QUANTIZATION, QUANTIZATION_CHOICES, QUANTIZATIONS
from convert.pipeline import TYPES

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "5 kept, 0 broken" in out.stdout


def test_lint_is_clean():
    ruff = Path(sys.executable).with_name("ruff")
    out = subprocess.run([str(ruff), "check", "app", "convert", "tests", "bench", "bootstrap.py"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_app_offers_exactly_the_types_the_converter_makes():
    # The app never imports convert (it runs it as a child process), so nothing else keeps the lists in step.
    assert len(set(QUANTIZATIONS)) == len(QUANTIZATIONS)
    assert set(QUANTIZATIONS) == set(TYPES)
    # "auto" is the app's own choice (the engine probe picks a type) and never reaches the converter.
    assert set(QUANTIZATION_CHOICES) - set(TYPES) == {AUTO_QUANTIZATION}
    assert len(QUANTIZATION_CHOICES) == len(QUANTIZATIONS) + 1


def test_the_gui_process_never_loads_opencv():
    # The OCR library's OpenCV may load only in the extraction child (a full OpenCV build links a Qt 5 of
    # its own and repoints Qt's plugin path). Importing the whole app and asking whether OCR is available
    # must not load it.
    code = ("import sys, app.main, app.ui.settings_dialog, app.cli\n"
            "from app.core.extract.ocr import available\n"
            "assert available()\n"
            "ocr = ('cv2', 'rapidocr', 'onnxruntime')\n"
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ocr)\n"
            "assert not loaded, loaded\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
