"""reStructuredText: underlined (and overlined) section titles, literal blocks, paragraphs.

Title levels in reST are not fixed by the character: the first style met is
level 1, the next new one level 2, and so on, as docutils does.
"""

from __future__ import annotations

import re

from app.core.documents import Block, Document
from app.core.extract.blocks import paragraphs
from app.core.extract.decode import decode_text
from app.core.extract.text import underline_char

_DIRECTIVE = re.compile(r"^\.\.\s+(?:\|[^|]+\|\s+)?([\w:-]+)::(.*)$")
_CODE_DIRECTIVES = {"code", "code-block", "sourcecode", "literalinclude", "doctest"}
_OPTION = re.compile(r"^\s+:[\w -]+:")
_HYPERLINK = re.compile(r"`([^`<]+?)\s*<[^>]*>`_{1,2}")
_ROLE = re.compile(r":[\w:+.-]+:`([^`]*?)(?:\s*<[^>]*>)?`")
_LITERAL = re.compile(r"``(.+?)``")


def inline_text(text: str) -> str:
    """Reduce inline reST markup to its visible text."""
    text = _HYPERLINK.sub(r"\1", text)
    text = _ROLE.sub(r"\1", text)
    return _LITERAL.sub(r"\1", text)


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.styles: list[tuple[str, bool]] = []
        self.blocks: list[Block] = []
        self.literal = False  # the previous paragraph announced a literal block

    def level(self, char: str, overline: bool) -> int:
        if (char, overline) not in self.styles:
            self.styles.append((char, overline))
        return self.styles.index((char, overline)) + 1

    def paragraph(self, first: int, run: list[str]) -> None:
        if self.literal and run[0][:1].isspace():
            self.blocks.append(Block("\n".join(run), kind="code", line=first + 1))
            return
        self.literal = False
        i = 0
        while i < len(run):
            heading, used = self.heading_at(run, i)
            if heading is None:
                break
            self.blocks.append(Block(heading[0], "heading", heading[1], line=first + i + 1))
            i += used
        if i < len(run):
            rest, kind = self.body(run[i:])
            if rest:
                text = "\n".join(rest)
                text = inline_text(text) if kind == "text" else text
                self.blocks.append(Block(text, kind, line=first + i + 1))

    def heading_at(self, run: list[str], i: int) -> tuple[tuple[str, int] | None, int]:
        """A section title at ``run[i]`` (with or without overline) and its line count."""
        if i + 2 < len(run) and run[i + 2].strip() == run[i].strip():
            char = underline_char(run[i + 1], run[i])
            if char:
                return (inline_text(run[i + 1].strip()), self.level(char, True)), 3
        if i + 1 < len(run):
            char = underline_char(run[i], run[i + 1])
            if char:
                return (inline_text(run[i].strip()), self.level(char, False)), 2
        return None, 1

    def body(self, run: list[str]) -> tuple[list[str], str]:
        """The lines of a paragraph worth indexing and their kind.

        Directive and option lines go (images, badges, targets, comments); a
        trailing ``::`` or a code directive announces a literal block.
        """
        directive = _DIRECTIVE.match(run[0])
        if directive:
            self.literal = directive.group(1) in _CODE_DIRECTIVES
            rest = [line for line in run[1:] if not _OPTION.match(line)]
            return rest, "code" if self.literal else "text"
        if run[0].startswith(".."):  # a comment or a hyperlink target
            return [], "text"
        if run[-1].rstrip().endswith("::"):
            self.literal = True
            last = run[-1].rstrip()[:-2].rstrip()
            run = run[:-1] + ([last + ":"] if last else [])
        return run, "text"

    def read(self) -> list[Block]:
        for first, run in paragraphs(self.lines):
            self.paragraph(first, run)
        return self.blocks


def extract_rst(data: bytes) -> Document:
    """Extract a reStructuredText file; its title is the first section title."""
    blocks = _Reader(decode_text(data).split("\n")).read()
    title = next((b.text for b in blocks if b.kind == "heading"), None)
    return Document(title=title, blocks=blocks, kind="rst")
