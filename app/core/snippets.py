"""Pick the part of a passage worth showing, and where the query's words are in it."""

from __future__ import annotations

import re

from app.core.fts_text import query_terms

WIDTH = 240


def _term_pattern(terms: list[str]) -> re.Pattern[str] | None:
    """Match query words loosely: 'indexing' also lights up 'indexed', but 'all' not 'allow'."""
    parts = []
    for t in sorted(set(terms), key=len, reverse=True):
        if len(t) <= 4:
            parts.append(re.escape(t) + r"(?:s|es)?(?!\w)")  # short words: whole, or a plural
        else:
            parts.append(re.escape(t[: max(4, len(t) - 3)]) + r"\w*")
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + ")", re.IGNORECASE)


def highlights(text: str, query: str) -> list[tuple[int, int]]:
    """(start, end) of every query word in ``text``."""
    pattern = _term_pattern(query_terms(query))
    return [m.span() for m in pattern.finditer(text)] if pattern else []


def make_snippet(text: str, query: str, width: int = WIDTH) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A window of about ``width`` characters with the most query words, and their spans in it."""
    flat = re.sub(r"\s+", " ", text).strip()
    spans = highlights(flat, query)
    if len(flat) <= width:
        return flat, tuple(spans)
    start = 0
    if spans:
        best, best_count = 0, -1
        for s, _ in spans:  # the window starting a little before each match; keep the richest
            lo = max(0, s - width // 4)
            count = sum(1 for a, b in spans if a >= lo and b <= lo + width)
            if count > best_count:
                best, best_count = lo, count
        start = best
    start = _word_start(flat, start)
    end = min(len(flat), start + width)
    if end < len(flat):
        space = flat.rfind(" ", start + width // 2, end)
        end = space if space > 0 else end
    snippet = flat[start:end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    shift = len(prefix) - start
    marks = tuple((a + shift, b + shift) for a, b in spans if a >= start and b <= end)
    return prefix + snippet + suffix, marks


def _word_start(text: str, pos: int) -> int:
    if pos <= 0:
        return 0
    space = text.find(" ", pos)
    return space + 1 if 0 <= space < pos + 20 else pos
