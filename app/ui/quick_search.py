"""The quick-search popup: frameless, centred, focused on show; Enter opens, Esc hides."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from app.ui.search_panel import SearchPanel
from app.ui.workers import SearchClient


class QuickSearch(QFrame):
    """A Spotlight-style popup over the same search thread as the main window."""

    def __init__(self, client: SearchClient, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint
                         | Qt.WindowType.WindowStaysOnTopHint)
        self.setObjectName("QuickSearch")
        self.setWindowTitle("Gemseek quick search")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.panel = SearchPanel(client, preview=False, filters=False, parent=self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.panel)
        self.panel.escaped.connect(self.hide)
        self.panel.opened.connect(lambda _: self.hide())
        self.resize(640, 420)

    def state(self) -> dict:
        return {"visible": self.isVisible(), **self.panel.state()}

    def show_coverage(self, text: str) -> None:
        """Say with each answer how much is indexed so far (empty once the index is complete)."""
        self.panel.set_coverage(text)

    def popup(self) -> None:
        """Show centred on the screen under the pointer, with the query selected for retyping."""
        screen = QGuiApplication.screenAt(self.cursor().pos()) or QGuiApplication.primaryScreen()
        if screen is not None:
            geo = screen.availableGeometry()
            self.move(geo.center().x() - self.width() // 2, geo.top() + geo.height() // 5)
        self.show()
        self.raise_()
        self.activateWindow()
        self.panel.take_focus(Qt.FocusReason.PopupFocusReason)
