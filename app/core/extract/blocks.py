"""Helpers shared by the extractors: paragraph splitting and the final tidy-up."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import replace

from app.core.documents import Block, Document

# C0/C1 controls other than tab and newline: they confuse the tokenizer, SQLite
# FTS and terminals, and carry no meaning in extracted text.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BLANK_LINES_AT_START = re.compile(r"\A(?:[ \t\f\v]*\n)+")


def paragraphs(lines: Sequence[str], start: int = 0) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(index of first line, lines)`` for each run of non-blank lines.

    Args:
        lines: the file's lines without their newlines.
        start: index to begin at.
    """
    run: list[str] = []
    first = start
    for i in range(start, len(lines)):
        if lines[i].strip():
            if not run:
                first = i
            run.append(lines[i])
        elif run:
            yield first, run
            run = []
    if run:
        yield first, run


def clean_text(text: str) -> str:
    """Make text safe to store and tokenize: NFC, no stray controls, no lone surrogates."""
    if _CONTROLS.search(text):
        text = _CONTROLS.sub(" ", text.replace("\f", "\n"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, e.g. from a broken PDF
        text = text.encode("utf-8", errors="replace").decode("utf-8")
    return unicodedata.normalize("NFC", text)


def _tidy_block(block: Block) -> Block | None:
    text = clean_text(block.text)
    stripped_start = _BLANK_LINES_AT_START.match(text)
    line = block.line
    if stripped_start:
        if line is not None:
            line += stripped_start.group().count("\n")
        text = text[stripped_start.end() :]
    text = text.rstrip()
    if not text.strip():
        return None
    if text == block.text and line == block.line:
        return block
    return replace(block, text=text, line=line)


def tidy(doc: Document) -> Document:
    """Clean every block, drop empty ones, and tidy the title.

    Every extractor's output passes through here, so the promise in
    :class:`Block` (no leading or trailing blank lines) holds for all formats.
    """
    blocks = [b for b in map(_tidy_block, doc.blocks) if b is not None]
    title = " ".join(clean_text(doc.title).split()) if doc.title else None
    return replace(doc, title=title or None, blocks=blocks)
