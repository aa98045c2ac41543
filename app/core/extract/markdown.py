"""Markdown: ATX and setext headings, fenced code, paragraphs; links reduced to their text.

A line-based reader rather than a full CommonMark parser: search needs the
structure (headings, code, paragraphs, line numbers), not the rendering, and
this keeps a malformed file from ever failing.
"""

from __future__ import annotations

import re

from app.core.documents import Block, Document
from app.core.extract.decode import decode_text

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s+\S+")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_FRONT_MATTER_TITLE = re.compile(r"^title:\s*[\"']?(.*?)[\"']?\s*$", re.IGNORECASE)


def inline_text(text: str) -> str:
    """Reduce inline Markdown to what a reader sees: images to alt text, links to text."""
    text = _IMAGE.sub(r"\1", text)
    return _LINK.sub(r"\1", text)


def _front_matter(lines: list[str]) -> tuple[int, str | None]:
    """Skip YAML front matter (``---`` … ``---``); return where content starts and its title."""
    if not lines or lines[0].strip() != "---":
        return 0, None
    for end in range(1, min(len(lines), 200)):
        if lines[end].strip() in ("---", "..."):
            title = None
            for line in lines[1:end]:
                m = _FRONT_MATTER_TITLE.match(line)
                if m and m.group(1):
                    title = m.group(1)
                    break
            return end + 1, title
    return 0, None


class _Reader:
    """Walks the lines once, collecting blocks; one method per construct."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.blocks: list[Block] = []
        self.para: list[str] = []
        self.para_at = 0

    def flush(self) -> None:
        if self.para:
            text = inline_text("\n".join(self.para))
            self.blocks.append(Block(text, line=self.para_at + 1))
            self.para = []

    def fence(self, i: int, marker: str) -> int:
        """Read a fenced code block opened at line ``i``; return the line after it."""
        close = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
        j = i + 1
        while j < len(self.lines) and not close.match(self.lines[j]):
            j += 1
        body = "\n".join(self.lines[i + 1 : j])
        if body.strip():
            self.blocks.append(Block(body, kind="code", line=i + 2))
        return j + 1

    def heading(self, text: str, level: int, i: int) -> None:
        text = inline_text(text).strip()
        if text:
            self.blocks.append(Block(text, kind="heading", level=level, line=i + 1))

    def comment(self, i: int) -> int:
        """Skip an HTML comment starting at line ``i``; return the line after it."""
        j = i
        while j < len(self.lines) and "-->" not in self.lines[j]:
            j += 1
        rest = self.lines[j].split("-->", 1)[1] if j < len(self.lines) else ""
        if rest.strip():
            self.lines[j] = rest
            return j
        return j + 1

    def read(self, start: int) -> list[Block]:
        i = start
        while i < len(self.lines):
            line = self.lines[i]
            fence = _FENCE.match(line)
            atx = _ATX.match(line)
            setext = _SETEXT.match(line)
            if fence:
                self.flush()
                i = self.fence(i, fence.group(1))
                continue
            if line.lstrip().startswith("<!--"):
                self.flush()
                i = self.comment(i)
                continue
            if atx:
                self.flush()
                self.heading(atx.group(2) or "", len(atx.group(1)), i)
            elif setext and len(self.para) == 1:
                text, at = self.para[0], self.para_at
                self.para = []
                self.heading(text, 1 if setext.group(1)[0] == "=" else 2, at)
            elif setext or not line.strip() or _LINK_DEFINITION.match(line):
                self.flush()  # a blank line, a link definition or a thematic break
            else:
                if not self.para:
                    self.para_at = i
                self.para.append(_COMMENT.sub("", line))
            i += 1
        self.flush()
        return self.blocks


def extract_markdown(data: bytes) -> Document:
    """Extract a Markdown file; its title is the front-matter title or first top heading."""
    lines = decode_text(data).split("\n")
    start, title = _front_matter(lines)
    blocks = _Reader(lines).read(start)
    headings = [b for b in blocks if b.kind == "heading"]
    if title is None and headings:
        title = min(headings, key=lambda b: b.level).text
    return Document(title=title, blocks=blocks, kind="markdown")
