from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from app.core.search import Result
from app.ui.results_model import ResultsModel, Role, marked_html, relevance


def result(name: str, score: float = 0.5, snippet: str = "the rent <increase>", page=None) -> Result:
    return Result(path=Path("/docs") / name, display=f"/docs/{name}", score=score, snippet=snippet,
                  highlights=((4, 8),), char_start=0, char_end=10, page=page, line=None, title=name,
                  kind="text", ext="txt", modified=0.0, passage=snippet)


def test_model_passes_qtmodeltester(qtmodeltester):
    model = ResultsModel()
    model.set_results([result("a.txt"), result("b.pdf", 0.3, page=4), result("c.md", 0.7)])
    qtmodeltester.check(model)
    model.set_results([])
    qtmodeltester.check(model)


def test_roles_give_what_the_view_draws():
    model = ResultsModel()
    model.set_results([result("letter.txt", 0.6, page=3)])
    index = model.index(0)
    assert index.data() == "letter.txt"
    assert index.data(Qt.ItemDataRole.ToolTipRole) == "/docs/letter.txt"
    assert index.data(Role.PATH) == str(Path("/docs/letter.txt"))
    assert index.data(Role.SNIPPET_HTML) == "the <b>rent</b> &lt;increase&gt;"
    details = index.data(Role.DETAILS)
    assert "page 3" in details and "●●●" in details
    assert model.result(1) is None


def test_marked_html_escapes_and_bolds_in_order():
    assert marked_html("a<b & c", [(4, 5), (0, 1)]) == "<b>a</b>&lt;b <b>&amp;</b> c"
    assert marked_html("abc", [(0, 2), (1, 3)]) == "<b>ab</b>c"  # overlapping spans: first wins


def test_relevance_cue_rises_with_score():
    assert [relevance(s) for s in (0.2, 0.45, 0.7)] == ["●○○", "●●○", "●●●"]


def test_weak_matches_are_marked_and_the_first_carries_the_divider(qtbot):
    import dataclasses

    from PySide6.QtWidgets import QListView, QStyleOptionViewItem

    from app.ui.result_delegate import ResultDelegate

    model = ResultsModel()
    strong = [result("a.txt", 0.7), result("b.txt", 0.6)]
    weak = [dataclasses.replace(result(n, 0.3), weak=True) for n in ("c.txt", "d.txt")]
    model.set_results(strong + weak)
    assert [model.index(i).data(Role.WEAK) for i in range(4)] == [False, False, True, True]
    assert [model.index(i).data(Role.FIRST_WEAK) for i in range(4)] == [False, False, True, False]
    view = QListView()
    qtbot.addWidget(view)
    delegate = ResultDelegate(view)
    option = QStyleOptionViewItem()
    option.initFrom(view)
    heights = [delegate.sizeHint(option, model.index(i)).height() for i in range(4)]
    assert heights[2] > heights[1] == heights[3]  # room for "Weaker matches" above the first weak one
