"""Keyboard shortcuts as people write them: "Ctrl+Alt+Space"."""

from __future__ import annotations

MODIFIERS = ("ctrl", "alt", "shift", "super")
NAMED_KEYS = ("space", "enter", "return", "tab", "escape", "esc")


def parse(shortcut: str) -> tuple[frozenset[str], str]:
    """``"Ctrl+Alt+Space"`` → ({"ctrl", "alt"}, "space").

    Raises:
        ValueError: with a sentence saying what a valid shortcut looks like.
    """
    parts = [p.strip().lower() for p in shortcut.split("+")]
    *mods, key = parts
    mods = ["super" if m in ("meta", "win", "cmd") else "ctrl" if m == "control" else m for m in mods]
    if not key or any(m not in MODIFIERS for m in mods) or len(set(mods)) != len(mods):
        raise ValueError(f"{shortcut!r} is not a shortcut like Ctrl+Alt+Space")
    if not mods:
        raise ValueError(f"{shortcut!r} needs at least one of Ctrl, Alt, Shift or Super")
    function_key = key[0] == "f" and key[1:].isdigit() and 1 <= int(key[1:]) <= 12
    if not ((len(key) == 1 and key.isascii() and key.isalnum()) or key in NAMED_KEYS or function_key):
        raise ValueError(f"{shortcut!r}: the key must be a letter, a digit, Space, Enter, Tab, Esc or F1-F12")
    return frozenset(mods), key
