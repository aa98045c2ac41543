"""Guards against a Qt binding that corrupts Python's reference counts.

PySide6 6.12.0 under Python 3.11 drops a reference to ``None`` on every call
of a method returning void (and on every invalid QVariant it hands back); a
desktop app makes such calls constantly and dies with "deallocating None".
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QComboBox


def test_calls_keep_none_alive(qtbot):
    box = QComboBox()
    qtbot.addWidget(box)
    box.addItem("all folders", None)
    before = sys.getrefcount(None)
    for _ in range(1000):
        box.clearEditText()  # returns void
        box.currentData()  # an item whose data is None
    assert sys.getrefcount(None) >= before - 10
