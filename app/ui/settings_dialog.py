"""Settings: folders, exclusions, size limit, embedding dimension, quantization, threads.

The dialog edits a copy; OK validates it with :class:`~app.core.settings.Settings`
(a bad value is explained and nothing is applied) and emits ``applied``. The
dimension and quantization choices show what they cost and give, from the
measurements in ``resources/tradeoffs.json`` (see bench/RESULTS.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLayout,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.embedder import DIMENSIONS
from app.core.errors import SettingsError
from app.core.extract.ocr import UNAVAILABLE as OCR_UNAVAILABLE
from app.core.extract.ocr import available as ocr_available
from app.core.file_types import GROUPS
from app.core.model import AUTO_QUANTIZATION, QUANTIZATIONS
from app.core.paths import resources_dir
from app.core.settings import Settings
from app.ui import hotkey

UI_QUANTIZATIONS = (AUTO_QUANTIZATION, *(q for q in QUANTIZATIONS if q not in ("F32", "BF16")))


def load_tradeoffs(path: Path | None = None) -> dict:
    """The measured trade-offs shown next to the dimension and quantization choices."""
    path = path or resources_dir() / "tradeoffs.json"
    return json.loads(path.read_text(encoding="utf-8"))


def dimension_text(dim: int, tradeoffs: dict) -> str:
    d = tradeoffs["dimension"][str(dim)]
    return (f"{dim}: vector index {d['index_mb_per_10k_chunks']:.0f} MB per 10,000 passages\n"
            f"search p95 {d['search_p95_ms_100k']:.0f} ms at 100,000 passages · quality (nDCG@10) {d['ndcg10']:.3f}")


def engine_text(engine) -> str:
    """What the engine probe measured and chose on this computer (a ProbeRecord, or None)."""
    if engine is None or engine.chosen is None:
        return "Not measured on this computer yet: Gemseek measures it before it first indexes."
    c = engine.chosen
    return (f"In use on this computer: {c.config.label()} on {c.backend}\n"
            f"{c.tokens_per_s:.0f} tokens/s while indexing · query {c.query_ms:.0f} ms · "
            f"fidelity {c.cos_mean:.5f}\n{engine.why[0].upper()}{engine.why[1:]}.")


def quantization_text(qtype: str, tradeoffs: dict) -> str:
    q = tradeoffs["quantization"][qtype]
    where = tradeoffs.get("quantization_measured_on", "one test machine")
    return (f"{qtype}: model {q['file_mb']:.0f} MB · {q['tokens_per_s']:.0f} tokens/s while indexing · "
            f"query {q['query_ms']:.0f} ms (measured on {where}; yours may differ)\n"
            f"fidelity {q['cosine_mean']:.4f} (mean cosine to the original model)")


_LANGUAGES = {"de": "German", "en": "English", "es": "Spanish", "fr": "French", "it": "Italian", "ja": "Japanese",
              "ko": "Korean", "pt": "Portuguese", "ru": "Russian", "tr": "Turkish", "uk": "Ukrainian", "zh": "Chinese"}


def _names(codes: list[str]) -> str:
    names = sorted(_LANGUAGES.get(c, c) for c in codes)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def languages_text(accuracy: dict[str, float]) -> str:
    """Which languages OCR reads, from the share of characters it read right on test pages
    (bench/ocr_languages.py): 90 % or more is read, under half is not read, the rest partly."""
    read = [c for c, a in accuracy.items() if a >= 0.9]
    partly = [c for c, a in accuracy.items() if 0.5 <= a < 0.9]
    not_read = [c for c, a in accuracy.items() if a < 0.5]
    parts = [f"Reads {_names(read)} (90 % or more of the characters of test pages)"] if read else []
    parts += [f"reads {_names(partly)} in part"] if partly else []
    parts += [f"does not read {_names(not_read)}"] if not_read else []
    return "; ".join(parts) + "." if parts else ""


def ocr_text(tradeoffs: dict, available: bool = True) -> str:
    """What reading pictures costs and gives, as measured (bench/ocr.py, bench/ocr_languages.py), for the note
    under the OCR box."""
    if not available:
        return f"Not available here: {OCR_UNAVAILABLE}."
    o = tradeoffs.get("ocr")
    if not o:
        return "Reads PNG, JPEG, TIFF, WebP and BMP images and PDF pages that have no text layer."
    cost = (f"{o['cpu_s_per_page']:.0f} CPU seconds per page" if "cpu_s_per_page" in o  # a busy machine's wall
            else f"{o['s_per_page']:.1f} s per page")  # clock says more of the machine than of OCR
    text = (f"Reads PNG, JPEG, TIFF, WebP and BMP images and PDF pages that have no text layer: about "
            f"{cost} (measured on {o['measured_on']}; yours may differ).")
    if "ndcg10_ocr" in o:
        text += (f"\nSearch quality on scanned copies of the test PDFs: nDCG@10 {o['ndcg10_ocr']:.3f} "
                 f"(with their text layer {o['ndcg10_text']:.3f}).")
    languages = languages_text(o.get("languages", {}))
    return f"{text}\n{languages}" if languages else text


class FolderList(QWidget):
    """The folders to index, with Add and Remove buttons."""

    def __init__(self, folders: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.addItems(list(folders))
        self.list.setMaximumHeight(110)
        add = QPushButton("Add folder…")
        remove = QPushButton("Remove")
        add.clicked.connect(self.ask_folder)
        remove.clicked.connect(self.remove_selected)
        buttons = QVBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.list, 1)
        row.addLayout(buttons)

    def folders(self) -> tuple[str, ...]:
        return tuple(self.list.item(i).text() for i in range(self.list.count()))

    def add(self, folder: str) -> None:
        folder = str(Path(folder).expanduser().resolve())
        if folder not in self.folders():
            self.list.addItem(folder)

    def ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder to index", str(Path.home()))
        if folder:
            self.add(folder)

    def remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))


class SettingsDialog(QDialog):
    """Edit the settings; OK applies them without a restart.

    Signals:
        applied(Settings): the new, validated settings.
    """

    applied = Signal(object)

    def __init__(self, settings: Settings, tradeoffs: dict | None = None, parent: QWidget | None = None, *,
                 engine=None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.setWindowTitle("Gemseek settings")
        self.settings = settings
        self.tradeoffs = tradeoffs or load_tradeoffs()
        self.folders = FolderList(settings.roots)
        self.excludes = QPlainTextEdit("\n".join(settings.excludes))
        self.excludes.setPlaceholderText("One pattern per line, e.g. *.log or node_modules")
        self.excludes.setMaximumHeight(90)
        self.max_mb = QSpinBox(minimum=1, maximum=10_000, suffix=" MB", value=settings.max_file_mb)
        self.types: dict[str, QCheckBox] = {}
        for group, label in GROUPS.items():
            box = QCheckBox(label)
            box.setChecked(group not in settings.skip_types)
            self.types[group] = box
        self.dimension = QComboBox()
        for dim in DIMENSIONS:
            self.dimension.addItem(str(dim), dim)
        self.dimension.setCurrentIndex(self.dimension.findData(settings.dimension))
        self.dimension_note = QLabel()
        self.quantization = QComboBox()
        for q in UI_QUANTIZATIONS:
            self.quantization.addItem("automatic (measured on this computer)" if q == AUTO_QUANTIZATION else q, q)
        if self.quantization.findData(settings.quantization) < 0:
            self.quantization.addItem(settings.quantization, settings.quantization)
        self.quantization.setCurrentIndex(self.quantization.findData(settings.quantization))
        self.quantization_note = QLabel()
        self.engine_note = QLabel(engine_text(engine), wordWrap=True)
        self.threads = QSpinBox(minimum=0, maximum=256, value=settings.threads, specialValueText="automatic")
        self.ocr = QCheckBox("Read text in images and scanned PDFs (OCR)")
        self.ocr.setChecked(settings.ocr)
        self.ocr.setEnabled(ocr_available() or settings.ocr)
        self.ocr_note = QLabel(ocr_text(self.tradeoffs, ocr_available()), wordWrap=True)
        self.gentle = QCheckBox("Gentle: index at idle priority, so other programs stay fast")
        self.gentle.setChecked(settings.gentle)
        self.pause_on_battery = QCheckBox("Pause indexing on battery power")
        self.pause_on_battery.setChecked(settings.pause_on_battery)
        self.start_at_login = QCheckBox("Start Gemseek in the tray when I log in")
        self.start_at_login.setChecked(settings.start_at_login)
        self.hotkey = QKeySequenceEdit(QKeySequence(settings.hotkey))
        self.hotkey.setMaximumSequenceLength(1)
        self.hotkey.setClearButtonEnabled(True)
        where = hotkey.platform_support()
        shortcut = QLabel(
            ("This shortcut opens quick search from any application (this desktop allows it). "
             if where else
             "This desktop (Wayland or macOS) does not let applications have a global shortcut. ")
            + "Anywhere, you can also bind the command <code>gemseek quick</code> to a key in your "
            "desktop's keyboard settings.", wordWrap=True)
        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet("color: palette(link)")
        self.dimension.currentIndexChanged.connect(self._explain)
        self.quantization.currentIndexChanged.connect(self._explain)
        self._explain()

        form = QFormLayout()
        form.addRow("Folders to index", self.folders)
        form.addRow("Leave out", self.excludes)
        form.addRow("Skip files larger than", self.max_mb)
        for i, box in enumerate(self.types.values()):
            form.addRow("File types to index" if i == 0 else "", box)
        form.addRow("", self.ocr)
        form.addRow("", self.ocr_note)
        form.addRow("Embedding dimension", self.dimension)
        form.addRow("", self.dimension_note)
        form.addRow("Model quantization", self.quantization)
        form.addRow("", self.quantization_note)
        form.addRow("CPU threads", self.threads)
        form.addRow("Engine", self.engine_note)
        form.addRow("", self.gentle)
        form.addRow("", self.pause_on_battery)
        form.addRow("", self.start_at_login)
        form.addRow("Quick-search shortcut", self.hotkey)
        form.addRow("", shortcut)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        content = QWidget()
        content.setLayout(form)
        form.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # wrapped notes never get clipped
        scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._fit(content)

    def _fit(self, content: QWidget) -> None:
        """As tall as the settings need, but never taller than the screen: a small screen scrolls them."""
        screen = self.screen().availableGeometry() if self.screen() else None
        want = content.minimumSizeHint().expandedTo(content.sizeHint())
        width, height = want.width() + 40, want.height() + 90  # margins, the error line and the buttons
        if screen is not None:
            width, height = min(width, screen.width() - 40), min(height, screen.height() - 60)
        self.resize(width, height)

    def _explain(self) -> None:
        dim, qtype = self.dimension.currentData(), self.quantization.currentData()
        note = dimension_text(dim, self.tradeoffs)
        note += ("\nResults are re-scored with the stored full-size vectors,\n"
                 "so a smaller index costs memory and recall, hardly quality.")
        if dim != self.settings.dimension:
            note += "\nChanging it rebuilds the vector index from stored vectors\nin the background (no re-embedding)."
        self.dimension_note.setText(note)
        if qtype == AUTO_QUANTIZATION:
            note = ("automatic: Gemseek measures MIX_BF16, BF16, MIX_F16, F16 and Q8_0 on this computer and keeps\n"
                    "the fastest that stays as close to the original model as Q8_0 (see Engine below).")
        else:
            note = quantization_text(qtype, self.tradeoffs) if qtype in self.tradeoffs["quantization"] else qtype
        if qtype != self.settings.quantization:
            note += ("\nChanging it converts the model, measures it on this computer, and embeds every\n"
                     "passage again in the background.")
        self.quantization_note.setText(note)

    def edited(self) -> Settings:
        """The settings as edited (raises SettingsError when a value is not valid)."""
        excludes = tuple(line.strip() for line in self.excludes.toPlainText().splitlines() if line.strip())
        return self.settings.replace(
            roots=self.folders.folders(),
            excludes=excludes,
            max_file_mb=self.max_mb.value(),
            skip_types=tuple(group for group, box in self.types.items() if not box.isChecked()),
            ocr=self.ocr.isChecked(),
            dimension=self.dimension.currentData(),
            quantization=self.quantization.currentData(),
            threads=self.threads.value(),
            gentle=self.gentle.isChecked(),
            pause_on_battery=self.pause_on_battery.isChecked(),
            start_at_login=self.start_at_login.isChecked(),
            hotkey=self.hotkey.keySequence().toString(QKeySequence.SequenceFormat.PortableText),
        )

    def accept(self) -> None:
        try:
            new = self.edited()
        except SettingsError as exc:
            self.error.setText(str(exc))
            return
        if new != self.settings:
            self.applied.emit(new)
        super().accept()
