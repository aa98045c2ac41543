"""The search box, its filters, the results list and the preview pane.

Typing restarts a short single-shot timer; when it fires the query and the
filters are captured as a :class:`SearchRequest` and sent to the search
thread. Only the newest answer is shown (older ones are dropped by
:class:`~app.ui.workers.SearchClient`).
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.core.catalog import Filters
from app.core.query import HINT as QUERY_HINT
from app.core.search import Result
from app.core.services import folder_filter
from app.core.snippets import highlights
from app.ui.launch import open_file, reveal_file
from app.ui.result_delegate import ResultDelegate
from app.ui.results_model import ResultsModel, marked_html
from app.ui.workers import SearchClient, SearchRequest

SIMILAR_KEYS = "Ctrl+Shift+F"
DEBOUNCE_MS = 15  # coalesces bursts (paste, key repeat); a query takes ~30 ms and stale ones are skipped

TYPE_GROUPS: tuple[tuple[str, frozenset[str]], ...] = (
    ("All types", frozenset()),
    ("Documents (PDF, Word, ODT, RTF, EPUB)", frozenset({"pdf", "docx", "odt", "rtf", "epub"})),
    ("Text and notes", frozenset({"text", "markdown", "rst", "txt", "md"})),
    ("Source code", frozenset({"code"})),
    ("Web pages", frozenset({"html"})),
    ("Images and scans (OCR)", frozenset({"image", "scan"})),
)

DATE_RANGES: tuple[tuple[str, float | None], ...] = (
    ("Any time", None),
    ("Past day", 86400),
    ("Past week", 7 * 86400),
    ("Past month", 31 * 86400),
    ("Past year", 366 * 86400),
)


class SearchPanel(QWidget):
    """Query box, filters, results and (optionally) a preview.

    Signals:
        searched(SearchRequest, int, float): an answer was shown (request, result count, ms).
        opened(Path): a result was opened.
        escaped(): Esc was pressed in the box (the quick-search popup hides itself).
    """

    searched = Signal(object, int, float)
    opened = Signal(object)
    escaped = Signal()

    def __init__(self, client: SearchClient, *, preview: bool = True, filters: bool = True,
                 roots: tuple[str, ...] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.box = QLineEdit(placeholderText="Describe what you are looking for…")
        self.box.setClearButtonEnabled(True)
        self.box.setAccessibleName("Search")
        self.box.setToolTip(f"Describe it in your own words. Operators: {QUERY_HINT}")
        self.model = ResultsModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(ResultDelegate(self.view))
        self.view.setUniformItemSizes(False)  # the first weak match is taller: it carries the divider
        self.view.setAccessibleName("Results")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.coverage = ""  # while indexing: how much of the folders the answers cover
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.search_now)
        self.box.textChanged.connect(lambda _: self._timer.start())
        self.box.returnPressed.connect(self._enter_in_box)
        self.box.installEventFilter(self)
        self.view.activated.connect(self._open_index)
        self.view.installEventFilter(self)
        client.answered.connect(self._show)
        client.failed.connect(self._show_error)

        self.type_box = QComboBox()
        self.folder_box = QComboBox()
        self.date_box = QComboBox()
        for label, kinds in TYPE_GROUPS:
            self.type_box.addItem(label, kinds)
        for label, seconds in DATE_RANGES:
            self.date_box.addItem(label, seconds)
        self.set_roots(roots)
        for box in (self.type_box, self.folder_box, self.date_box):
            box.currentIndexChanged.connect(self.search_now)

        layout = QVBoxLayout(self)
        layout.addWidget(self.box)
        if filters:
            row = QHBoxLayout()
            for box in (self.type_box, self.folder_box, self.date_box):
                row.addWidget(box)
            row.addStretch(1)
            layout.addLayout(row)
        self.preview = QTextBrowser() if preview else None
        if self.preview is not None:
            self.preview.setOpenLinks(False)
            split = QSplitter()
            split.addWidget(self.view)
            split.addWidget(self.preview)
            split.setStretchFactor(0, 3)
            split.setStretchFactor(1, 2)
            layout.addWidget(split, 1)
            self.view.selectionModel().currentChanged.connect(self._show_preview)
        else:
            layout.addWidget(self.view, 1)
        layout.addWidget(self.message)

        QShortcut(QKeySequence("Ctrl+Shift+C"), self, activated=self.copy_path)
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.reveal_current)
        QShortcut(QKeySequence(SIMILAR_KEYS), self, activated=self.find_similar)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)

    # -- requests ----------------------------------------------------------
    def take_focus(self, reason: Qt.FocusReason = Qt.FocusReason.OtherFocusReason) -> None:
        """Ready for typing: the box focused with its query selected, and the search thread's model loaded."""
        self.box.setFocus(reason)
        self.box.selectAll()
        self.client.warm()

    def set_roots(self, roots: tuple[str, ...]) -> None:
        current = self.folder_box.currentData()
        self.folder_box.blockSignals(True)
        self.folder_box.clear()
        self.folder_box.addItem("All folders", None)
        for r in roots:
            self.folder_box.addItem(Path(r).name or r, r)
        i = self.folder_box.findData(current)
        self.folder_box.setCurrentIndex(max(0, i))
        self.folder_box.blockSignals(False)

    def filters(self) -> Filters:
        folder = self.folder_box.currentData()
        seconds = self.date_box.currentData()
        return Filters(
            types=self.type_box.currentData() or frozenset(),
            folders=folder_filter([Path(folder)]) if folder else (),
            after_ns=int((time.time() - seconds) * 1e9) if seconds else None,
        )

    def search_now(self) -> None:
        self._timer.stop()
        query = self.box.text().strip()
        if not query:
            self.client.submit("")  # drops any answer still on its way
            self.model.set_results([])
            self.message.clear()
            self._show_preview()
            return
        self.client.submit(query, self.filters())

    def _show(self, request: SearchRequest, results: list[Result], ms: float) -> None:
        if request.query != self.box.text().strip():
            return  # the box changed since; its own answer is coming
        self.model.set_results(results)
        if results:
            self.view.setCurrentIndex(self.model.index(0))
            strong = sum(not r.weak for r in results)
            text = (f"{len(results)} files · {ms:.0f} ms" if strong == len(results) else
                    f"{strong} matching file{'s' * (strong != 1)}, {len(results) - strong} weaker · {ms:.0f} ms"
                    if strong else
                    f"No strong match; {len(results)} weaker files · {ms:.0f} ms")
        else:
            text = "No matching files." if request.query else ""
            self._show_preview()
        self.message.setText(f"{text} · {self.coverage}" if self.coverage and text else text)
        self.searched.emit(request, len(results), ms)

    def _show_error(self, request: SearchRequest, message: str) -> None:
        if request.query != self.box.text().strip():
            return  # another box's question (the quick popup shares the search thread)
        self.model.set_results([])
        self.message.setText(message)

    def set_coverage(self, text: str) -> None:
        """Say how much is indexed so far (empty once the index is complete)."""
        self.coverage = text

    def state(self) -> dict:
        """What the panel shows, for the running app's ``state`` answer: the query and the files listed."""
        rows = [self.model.result(i) for i in range(self.model.rowCount())]
        return {"query": self.box.text(), "results": [str(r.path) for r in rows if r is not None],
                "message": self.message.text()}

    # -- results -----------------------------------------------------------
    def current(self) -> Result | None:
        return self.model.result(self.view.currentIndex().row())

    def open_current(self) -> None:
        r = self.current()
        if r is None:
            return
        launch = open_file(r.path)
        if launch is None:
            self.message.setText(f"Could not open {r.path}")
            return
        if launch.note:
            self.message.setText(f"{r.path.name} {launch.note}")
        self.opened.emit(r.path)

    def reveal_current(self) -> None:
        r = self.current()
        if r is not None and reveal_file(r.path) is None:
            self.message.setText(f"Could not show {r.path} in its folder")

    def find_similar(self) -> None:
        """Search for the files most like the current result (``like:`` in the box, so it can be edited)."""
        r = self.current()
        if r is not None:
            self.box.setText(f'like:"{r.path}"')
            self.search_now()

    def context_menu(self) -> QMenu | None:
        """The menu for the current result: open, show in folder, copy the path, find similar files."""
        if self.current() is None:
            return None
        menu = QMenu(self)
        menu.addAction("Open", self.open_current)
        menu.addAction("Show in folder", self.reveal_current)
        menu.addAction("Copy path", self.copy_path)
        menu.addSeparator()
        similar = menu.addAction("Find similar files", self.find_similar)
        similar.setShortcut(QKeySequence(SIMILAR_KEYS))
        return menu

    def _context_menu(self, pos) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            self.view.setCurrentIndex(index)
        menu = self.context_menu()
        if menu is not None:
            menu.exec(self.view.viewport().mapToGlobal(pos))

    def copy_path(self) -> None:
        r = self.current()
        if r is not None:
            QGuiApplication.clipboard().setText(str(r.path))
            self.message.setText(f"Copied {r.path}")

    def _open_index(self, index: QModelIndex) -> None:
        self.view.setCurrentIndex(index)
        self.open_current()

    def _enter_in_box(self) -> None:
        if self._timer.isActive():
            self.search_now()
            return
        mods = QGuiApplication.keyboardModifiers()
        (self.reveal_current if mods & Qt.KeyboardModifier.ControlModifier else self.open_current)()

    def _show_preview(self, *_: object) -> None:
        if self.preview is None:
            return
        r = self.current()
        if r is None:
            self.preview.clear()
            return
        where = f"page {r.page}" if r.page else (f"line {r.line}" if r.line else "")
        head = f"<h3>{marked_html(r.path.name, [])}</h3><p><i>{marked_html(r.title, [])}</i>"
        head += f"<br>{marked_html(str(r.path.parent), [])}{' · ' + where if where else ''}</p>"
        body = r.passage or r.snippet
        spans = highlights(body, self.box.text())
        self.preview.setHtml(head + "<p>" + marked_html(body, spans).replace("\n", "<br>") + "</p>")

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress:
            return False
        key = event.key()
        if obj is self.box and key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.model.rowCount():
            row = self.view.currentIndex().row() + (1 if key == Qt.Key.Key_Down else -1)
            row = max(0, min(self.model.rowCount() - 1, row))
            self.view.setCurrentIndex(self.model.index(row))
            return True
        if key == Qt.Key.Key_Escape:
            self.escaped.emit()
            return True
        if obj is self.view and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                self.reveal_current()
            else:
                self.open_current()
            return True
        return False

