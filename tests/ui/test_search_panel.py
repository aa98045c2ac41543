"""The search box answers as you type, drops stale answers, and opens results from the keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication

from app.core import opening
from app.core.services import SearchService
from app.ui.launch import start
from app.ui.main_window import MainWindow
from app.ui.quick_search import QuickSearch
from app.ui.search_panel import SearchPanel
from app.ui.workers import SearchClient
from tests.helpers.fakes import FakeEmbedder


class UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def opened():
    """Route QDesktopServices.openUrl for file URLs to a catcher instead of the desktop."""
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    yield catcher.urls
    QDesktopServices.unsetUrlHandler("file")


@pytest.fixture
def panel(qtbot, client, indexed):
    panel = SearchPanel(client, roots=indexed[1].roots)
    qtbot.addWidget(panel)
    panel.show()
    return panel


def type_query(qtbot, panel: SearchPanel, text: str):
    with qtbot.waitSignal(panel.searched, timeout=10_000) as blocker:
        qtbot.keyClicks(panel.box, text)
    return blocker.args


def names(panel: SearchPanel) -> list[str]:
    return [panel.model.result(i).path.name for i in range(panel.model.rowCount())]


def test_typing_shows_results_with_the_best_first(qtbot, panel):
    request, count, _ms = type_query(qtbot, panel, "rent increase landlord")
    assert request.query == "rent increase landlord"
    assert count == panel.model.rowCount() > 0
    assert names(panel)[0] == "rent.txt"
    strong = sum(not panel.model.result(i).weak for i in range(count))
    assert panel.message.text().startswith(f"{count} files" if strong == count else f"{strong} matching file")
    assert "rent" in panel.preview.toPlainText()


def test_only_the_last_query_of_a_burst_is_answered(qtbot, panel):
    seen = []
    panel.searched.connect(lambda req, n, ms: seen.append(req.query))
    qtbot.keyClicks(panel.box, "tomatoes sun")
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    assert seen == ["tomatoes sun"]  # debounced: one request for eleven keystrokes
    assert names(panel)[0] == "garden.md"


def test_stale_answers_are_dropped(qtbot, client):
    answers = []
    client.answered.connect(lambda req, results, ms: answers.append(req.query))
    client.submit("rent")
    client.submit("soup onions")
    with qtbot.waitSignal(client.answered, timeout=10_000):
        last = client.submit("garden tomatoes")
    qtbot.wait(50)
    assert answers == [last.query]


def test_empty_query_clears_without_error(qtbot, panel):
    type_query(qtbot, panel, "soup")
    panel.box.clear()
    panel.search_now()
    assert panel.model.rowCount() == 0 and panel.message.text() == ""


def test_keyboard_moves_and_enter_opens(qtbot, panel, opened):
    type_query(qtbot, panel, "HTTP retry backoff")
    first = panel.current()
    qtbot.keyClick(panel.box, Qt.Key.Key_Down)
    assert panel.view.currentIndex().row() == 1
    qtbot.keyClick(panel.box, Qt.Key.Key_Up)
    assert panel.current() == first
    with qtbot.waitSignal(panel.opened) as blocker:
        qtbot.keyClick(panel.box, Qt.Key.Key_Return)
    assert blocker.args == [first.path]
    assert [Path(u.toLocalFile()) for u in opened] == [first.path]


def test_ctrl_enter_reveals_the_file_and_copy_path(qtbot, panel, opened, monkeypatch):
    monkeypatch.setattr(opening.shutil, "which", lambda name: None)  # no D-Bus tool: the folder opens
    type_query(qtbot, panel, "soup carrots")
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert [Path(u.toLocalFile()) for u in opened] == [panel.current().path.parent]
    panel.copy_path()
    assert QGuiApplication.clipboard().text() == str(panel.current().path)


def test_type_filter_limits_results(qtbot, panel):
    type_query(qtbot, panel, "retry garden soup rent")
    assert len(names(panel)) == 4
    with qtbot.waitSignal(panel.searched, timeout=10_000):
        panel.type_box.setCurrentIndex(panel.type_box.findText("Source code"))
    assert names(panel) == ["retry.py"]


def test_escape_is_reported(qtbot, panel):
    with qtbot.waitSignal(panel.escaped):
        qtbot.keyClick(panel.box, Qt.Key.Key_Escape)


def test_answers_say_how_much_is_indexed_while_indexing(qtbot, panel):
    panel.set_coverage("still indexing: 3 of 10 files done")
    type_query(qtbot, panel, "soup")
    assert panel.message.text().endswith("· still indexing: 3 of 10 files done")
    panel.set_coverage("")
    panel.box.clear()
    type_query(qtbot, panel, "garden")
    assert "indexing" not in panel.message.text()


def test_a_reveal_no_file_manager_answers_falls_back_to_the_folder(qtbot, opened, tmp_path):
    assert start(opening.Launch(argv=("false",), fallback=tmp_path))
    qtbot.waitUntil(lambda: [Path(u.toLocalFile()) for u in opened] == [tmp_path], timeout=10_000)
    assert start(opening.Launch(argv=("true",), fallback=tmp_path / "never"))
    assert start(opening.Launch(argv=("no-such-program-gemseek",), fallback=tmp_path / "missing"))
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=10_000)
    qtbot.wait(300)
    assert [Path(u.toLocalFile()) for u in opened] == [tmp_path, tmp_path / "missing"]  # "true" answered


def test_opening_a_planted_program_shows_it_instead(qtbot, panel, opened, monkeypatch):
    monkeypatch.setattr(opening.shutil, "which", lambda name: None)
    type_query(qtbot, panel, "soup carrots")
    target = panel.current().path
    target.chmod(0o755)  # an executable result: xdg-open might run it
    try:
        with qtbot.waitSignal(panel.opened):
            panel.open_current()
    finally:
        target.chmod(0o644)
    assert [Path(u.toLocalFile()) for u in opened] == [target.parent]
    assert "never starts a program" in panel.message.text()


def test_operators_work_in_the_box_and_a_malformed_one_is_explained(qtbot, panel):
    assert "type:pdf" in panel.box.toolTip() and "-word" in panel.box.toolTip()
    type_query(qtbot, panel, "retry garden soup rent type:py")
    assert names(panel) == ["retry.py"]
    panel.box.setText("rent after:someday")
    qtbot.waitUntil(lambda: "after: wants a date" in panel.message.text(), timeout=10_000)
    assert panel.model.rowCount() == 0


def test_find_similar_from_a_result(qtbot, panel):
    type_query(qtbot, panel, "HTTP retry backoff")
    first = panel.current()
    menu = panel.context_menu()
    labels = [a.text() for a in menu.actions() if a.text()]
    assert labels == ["Open", "Show in folder", "Copy path", "Find similar files"]
    with qtbot.waitSignal(panel.searched, timeout=10_000) as blocker:
        next(a for a in menu.actions() if a.text() == "Find similar files").trigger()
    assert panel.box.text() == f'like:"{first.path}"' and blocker.args[0].query == panel.box.text()
    assert first.path not in [panel.model.result(i).path for i in range(panel.model.rowCount())]
    assert panel.model.rowCount() > 0


def test_weaker_matches_are_counted_apart(qtbot, panel):
    import dataclasses

    from app.ui.workers import SearchRequest

    type_query(qtbot, panel, "soup carrots")
    results = [panel.model.result(i) for i in range(panel.model.rowCount())]
    mixed = [results[0]] + [dataclasses.replace(r, weak=True) for r in results[1:]]
    panel._show(SearchRequest(99, panel.box.text().strip()), mixed, 12.0)
    assert panel.message.text().startswith(f"1 matching file, {len(mixed) - 1} weaker")
    panel._show(SearchRequest(100, panel.box.text().strip()), [dataclasses.replace(r, weak=True) for r in results],
                12.0)
    assert panel.message.text().startswith("No strong match;")


class WarmCounting(FakeEmbedder):
    """Counts the search thread's requests to have the model loaded ahead of a query."""

    def __init__(self) -> None:
        super().__init__()
        self.warmed = 0

    def warm(self) -> None:
        self.warmed += 1


def test_showing_a_search_box_has_the_search_thread_load_its_model_before_the_first_keystroke(qtbot, indexed):
    paths, settings = indexed
    embedder = WarmCounting()
    client = SearchClient(lambda: SearchService(paths, settings, embedder))
    try:
        quick = QuickSearch(client)
        qtbot.addWidget(quick)
        quick.popup()  # no service open yet: the first query opens it with its model
        qtbot.wait(100)
        assert embedder.warmed == 0
        type_query(qtbot, quick.panel, "rent")
        quick.hide()
        quick.popup()  # shown again later: the model may have been unloaded meanwhile
        qtbot.waitUntil(lambda: embedder.warmed == 1, timeout=10_000)
        window = MainWindow(client)
        qtbot.addWidget(window)
        window.focus_search()
        qtbot.waitUntil(lambda: embedder.warmed == 2, timeout=10_000)
    finally:
        client.close()
