from __future__ import annotations

import pytest

from app.core.errors import SettingsError
from app.core.settings import Settings
from app.core.shortcut import parse


@pytest.mark.parametrize("text,mods,key", [
    ("Ctrl+Alt+Space", {"ctrl", "alt"}, "space"),
    ("Meta+F5", {"super"}, "f5"),
    ("control + shift + k", {"ctrl", "shift"}, "k"),
])
def test_parse(text, mods, key):
    assert parse(text) == (frozenset(mods), key)


@pytest.mark.parametrize("text", ["Space", "Ctrl+Ctrl+K", "Hyper+K", "Ctrl+F13", "Ctrl+", "Ctrl+é", "Ctrl+PageUp"])
def test_not_shortcuts(text):
    with pytest.raises(ValueError):
        parse(text)


def test_settings_validate_the_hotkey():
    assert Settings().hotkey == "Ctrl+Alt+Space"
    assert Settings(hotkey="").hotkey == ""
    with pytest.raises(SettingsError, match="hotkey"):
        Settings(hotkey="Space")
