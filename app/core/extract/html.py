"""HTML (and the XHTML inside EPUB): headings, paragraphs, lists, tables, code; no boilerplate.

The standard library's tolerant tokenizer is enough: the goal is the visible
text in reading order with its structure, and it never gives up on broken
markup. Navigation, scripts, forms and similar chrome are dropped so that
every page of a documentation site does not share the same menu text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from app.core.documents import Block, Document
from app.core.extract.decode import decode_text

_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
    "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "header", "hgroup", "hr",
    "html", "legend", "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody",
    "tfoot", "thead", "tr", "ul",
} | set(_HEADINGS)  # fmt: skip
_SKIP_TAGS = {
    "applet", "aside", "button", "canvas", "datalist", "embed", "footer", "form", "iframe", "map",
    "math", "menu", "nav", "noscript", "object", "script", "select", "style",
    "svg", "template", "textarea",
}  # fmt: skip
_VOID_TAGS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta",
    "param", "source", "track", "wbr",
}  # fmt: skip
_AUTO_CLOSE = {"p", "li", "dt", "dd", "tr", "td", "th", "option"}
_SKIP_ROLES = {"navigation", "search", "banner", "contentinfo", "complementary"}
_SKIP_CLASSES = {
    "breadcrumb", "breadcrumbs", "footer", "headerlink", "nav", "navbar", "navigation",
    "navfooter", "navheader", "related", "sidebar", "skip-link", "sphinxsidebar", "toc",
}  # fmt: skip
_MAX_DEPTH = 2000
_BREAK = "\x00"  # stands for <br> in the text buffer; NUL never survives in page text
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)|encoding\s*=\s*["']([\w.:-]+)""",
                      re.IGNORECASE)  # fmt: skip


def _skips(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    if tag in _SKIP_TAGS:
        return True
    for name, value in attrs:
        if name == "hidden" or (name == "aria-hidden" and value == "true"):
            return True
        if name == "role" and value in _SKIP_ROLES:
            return True
        if name in ("class", "id") and value and _SKIP_CLASSES.intersection(value.split()):
            return True
    return False


class BlockParser(HTMLParser):
    """Collects :class:`Block` objects and the ``<title>`` while tokenizing."""

    def __init__(self, with_lines: bool = True) -> None:
        super().__init__(convert_charrefs=True)
        self.with_lines = with_lines
        self.blocks: list[Block] = []
        self.title_parts: list[str] | None = None
        self.title: str | None = None
        self._stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self._skipping = 0
        self._buf: list[str] = []
        self._buf_line: int | None = None
        self._pre = 0

    # -- the element stack -------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and self.title is None and not self._skipping:
            self.title_parts = []
            return
        if tag in _AUTO_CLOSE and self._stack and self._stack[-1][0] == tag:
            self._pop_to(len(self._stack) - 1)
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag == "br":
            self._buf.append(_BREAK)
        elif tag in ("td", "th") and "".join(self._buf).strip():
            self._buf.append(" | ")
        if tag in _VOID_TAGS or len(self._stack) >= _MAX_DEPTH:
            return
        skipped = _skips(tag, attrs) and tag != "html" and tag != "body"
        self._stack.append((tag, skipped))
        self._skipping += skipped
        self._pre += tag == "pre"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.title_parts is not None:
            self.title = " ".join("".join(self.title_parts).split()) or None
            self.title_parts = None
            return
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                self._pop_to(i)
                return

    def _pop_to(self, index: int) -> None:
        """Close the element at ``index`` and everything opened inside it."""
        if any(t in _BLOCK_TAGS for t, _ in self._stack[index:]):
            self._flush()
        for tag, skipped in self._stack[index:]:
            self._skipping -= skipped
            self._pre -= tag == "pre"
        del self._stack[index:]

    # -- text --------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        if self.title_parts is not None:
            self.title_parts.append(data)
            return
        if self._skipping:
            return
        if self._buf_line is None and data.strip():
            self._buf_line = self.getpos()[0] + data[: len(data) - len(data.lstrip())].count("\n")
        self._buf.append(data.replace(_BREAK, " "))

    def _flush(self) -> None:
        raw = "".join(self._buf)
        line = self._buf_line if self.with_lines else None
        self._buf, self._buf_line = [], None
        if not raw.strip():
            return
        heading = next((_HEADINGS[t] for t, _ in reversed(self._stack) if t in _HEADINGS), 0)
        if self._pre and not heading:
            code = raw.replace(_BREAK, "\n").strip("\n")
            self.blocks.append(Block(code, kind="code", line=line))
            return
        lines = (" ".join(part.split()) for part in raw.split(_BREAK))
        text = "\n".join(line for line in lines if line)
        if heading:
            self.blocks.append(Block(" ".join(text.split()), "heading", heading, line=line))
        elif text:
            self.blocks.append(Block(text, line=line))

    def close(self) -> None:
        super().close()
        self._flush()


def html_blocks(text: str, with_lines: bool = True) -> tuple[str | None, list[Block]]:
    """Parse HTML text; return its ``<title>`` (or first ``<h1>``) and its blocks."""
    parser = BlockParser(with_lines=with_lines)
    parser.feed(text)
    parser.close()
    title = parser.title or next(
        (b.text for b in parser.blocks if b.kind == "heading" and b.level == 1), None
    )
    return title, parser.blocks


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in ``<meta>`` or its XML declaration, if any."""
    m = _CHARSET.search(data[:4096])
    if not m:
        return None
    return (m.group(1) or m.group(2)).decode("ascii")


def extract_html(data: bytes) -> Document:
    """Extract an HTML or XHTML page."""
    title, blocks = html_blocks(decode_text(data, declared_charset(data)))
    return Document(title=title, blocks=blocks, kind="html")
