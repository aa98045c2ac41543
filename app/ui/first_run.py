"""The first start: welcome, the model's licence, and the folders to index.

The model itself is fetched and converted by the index runner (a child process
does the conversion) as soon as the welcome is done; the main window's status
bar shows its progress, and search works on what is indexed so far.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from app.ui.settings_dialog import FolderList

TERMS_URL = "https://ai.google.dev/gemma/terms"


def suggested_folders() -> list[str]:
    """Documents and Desktop, where they exist."""
    found = []
    for where in (QStandardPaths.StandardLocation.DocumentsLocation, QStandardPaths.StandardLocation.DesktopLocation):
        folder = QStandardPaths.writableLocation(where)
        if folder and Path(folder).is_dir() and folder not in found and Path(folder) != Path.home():
            found.append(folder)
    return found


class FirstRunDialog(QDialog):
    """Welcome: what Gemseek does, the Gemma terms, which folders to index.

    Signals:
        chosen(tuple[str, ...]): the folders to index (empty: keep the samples for now).
    """

    chosen = Signal(tuple)

    def __init__(self, model_ready: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Gemseek")
        intro = QLabel(
            "<h2>Find your files by what they say</h2>"
            "<p>Gemseek reads the folders you choose and builds a search index on this computer. "
            "Nothing leaves it.</p>"
            + ("" if model_ready else
               "<p>First it gets the EmbeddingGemma model (1.2 GB, checked file by file) and converts it; "
               "the status bar shows the progress, and you can pause it.</p>")
            + f'<p>EmbeddingGemma is provided under the <a href="{TERMS_URL}">Gemma Terms of Use</a>.</p>'
            "<p><b>Which folders should Gemseek index?</b> Without any, it shows you its sample documents.</p>",
            wordWrap=True,
        )
        intro.setOpenExternalLinks(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.folders = FolderList(tuple(suggested_folders()))
        self.use_samples = QCheckBox("Start with the sample documents only")
        self.use_samples.toggled.connect(self.folders.setDisabled)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start")
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.folders)
        layout.addWidget(self.use_samples)
        layout.addWidget(buttons)

    def accept(self) -> None:
        self.chosen.emit(() if self.use_samples.isChecked() else self.folders.folders())
        super().accept()
