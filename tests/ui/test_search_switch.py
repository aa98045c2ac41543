"""Searching follows indexing, without a window: fakes for the search client and the window."""

from __future__ import annotations

from app.core.settings import Settings
from app.ui.search_switch import SearchSwitch


class FakeClient:
    def __init__(self) -> None:
        self.opened: list[str] = []
        self.closed = False

    def reopen(self, opener) -> None:
        self.opened.append(opener)

    def close(self) -> None:
        self.closed = True


class FakeWindow:
    searches = 0

    def search_again(self) -> None:
        self.searches += 1


def test_search_switches_only_to_an_index_of_other_settings(qtbot):
    client, window, start = FakeClient(), FakeWindow(), Settings()
    switch = SearchSwitch(client, lambda s: f"index {s.dimension}", start, window)
    switch.caught_up(start)  # the index searching already uses caught up: nothing to do
    assert client.opened == [] and window.searches == 0
    new = start.replace(dimension=256)
    with qtbot.waitSignal(switch.switched) as blocker:
        switch.caught_up(new)
    assert blocker.args == [new] and switch.settings == new
    assert client.opened == ["index 256"] and window.searches == 1
    switch.caught_up(new)
    assert client.opened == ["index 256"]
    switch.close()
    assert client.closed
