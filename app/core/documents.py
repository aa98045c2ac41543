"""What extraction produces and chunking consumes: a document as a list of blocks.

The document's full text is its blocks' texts joined by a blank line
(:attr:`Document.text`); character offsets in search results refer to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

BLOCK_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Block:
    """A piece of a document that chunking keeps together when it can.

    Attributes:
        text: the block's text (no leading or trailing blank lines).
        kind: "heading", "text" (a paragraph or similar) or "code" (a
            definition or a run of source lines).
        level: for a heading, 1 for the top level, 2 below it, and so on.
        page: 1-based page number (PDF), else None.
        line: 1-based line in the source file where the block starts (text
            formats), else None.
    """

    text: str
    kind: str = "text"
    level: int = 0
    page: int | None = None
    line: int | None = None


@dataclass(frozen=True)
class Document:
    """A file's extracted text.

    Attributes:
        title: the document's own title (HTML <title>, first Markdown heading,
            PDF/Office metadata), or None; chunking falls back to the file name.
        blocks: the content in reading order.
        kind: the extractor that produced it ("text", "markdown", "code", "html",
            "pdf", "docx", ...), for the type filter and for display.
        note: why only part of the file was read (a scan longer than OCR reads), or None;
            the file is listed with it beside the skipped files.
    """

    title: str | None
    blocks: list[Block] = field(default_factory=list)
    kind: str = "text"
    note: str | None = None

    @property
    def text(self) -> str:
        return BLOCK_SEPARATOR.join(b.text for b in self.blocks)

    @property
    def size(self) -> int:
        """Characters of :attr:`text`, without building it."""
        return sum(len(b.text) for b in self.blocks) + len(BLOCK_SEPARATOR) * max(len(self.blocks) - 1, 0)

    def start(self, max_chars: int) -> Document:
        """The document's first ``max_chars`` characters (itself when it is no longer); a block cut short
        keeps its start."""
        if self.size <= max_chars:
            return self
        kept: list[Block] = []
        room = max_chars
        for b in self.blocks:
            if room <= 0:
                break
            kept.append(b if len(b.text) <= room else replace(b, text=b.text[:room]))
            room -= len(b.text) + len(BLOCK_SEPARATOR)
        return replace(self, blocks=kept)
