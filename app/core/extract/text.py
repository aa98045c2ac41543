"""Plain text: paragraphs, underlined headings and man-page section headings."""

from __future__ import annotations

import itertools
import re

from app.core.documents import Block, Document
from app.core.extract.blocks import paragraphs
from app.core.extract.decode import decode_text

_UNDERLINE = re.compile(r"^([=\-~^*#+`'\":.])\1+\s*$")
_PLAIN_LEVELS = {"=": 1, "-": 2}
# "OPENSSL-DGST(1SSL)      OpenSSL      OPENSSL-DGST(1SSL)": what `man` prints first.
_MAN_HEADER = re.compile(r"^(\S+)\(\w+\)\s{2,}.*\s\1\(\w+\)\s*$")
_MAX_HEADING = 100


def underline_char(title: str, underline: str) -> str | None:
    """The character ``underline`` repeats if it underlines ``title``, else None.

    Only a line of one repeated punctuation character, roughly as long as the
    title (and at least three long unless the title is shorter), counts; a
    shorter rule is a separator.
    """
    m = _UNDERLINE.match(underline)
    title = title.strip()
    if not m or not title or len(title) > _MAX_HEADING or title[0] in " \t":
        return None
    if _UNDERLINE.match(title):
        return None
    length = len(underline.strip())
    if length < 0.6 * len(title) or (length < 3 and length < len(title)):
        return None
    return m.group(1)


def _is_man_heading(lines: list[str], i: int) -> bool:
    """Whether ``lines[i]`` is a man-page section heading ("NAME", "描述").

    Such a heading starts at column 0, is in capitals (or in a script without
    case), and the line below is indented body text.
    """
    line = lines[i]
    if i + 1 >= len(lines) or not line or line[0].isspace() or len(line) > 40:
        return False
    below = lines[i + 1]
    if not below[:1].isspace() or not below.strip():
        return False
    return (
        line == line.upper() and line[-1] not in ".,;:!?。，：" and any(c.isalpha() for c in line)
    )


def plain_blocks(lines: list[str]) -> list[Block]:
    """Split a plain text file into headings and paragraphs, each with its line."""
    blocks: list[Block] = []
    for first, run in paragraphs(lines):
        pending: list[str] = []
        pending_at = first
        i = 0
        while i < len(run):
            heading, used = _heading_at(run, i)
            if heading is None:
                if not pending:
                    pending_at = first + i
                pending.append(run[i])
                i += 1
                continue
            if pending:
                blocks.append(Block("\n".join(pending), line=pending_at + 1))
                pending = []
            text, level = heading
            blocks.append(Block(text, kind="heading", level=level, line=first + i + 1))
            i += used
        if pending:
            blocks.append(Block("\n".join(pending), line=pending_at + 1))
    return blocks


def _heading_at(run: list[str], i: int) -> tuple[tuple[str, int] | None, int]:
    """A heading starting at ``run[i]`` and how many lines it spans, or (None, 1)."""
    overlined = i == 0 and len(run) >= 3 and underline_char(run[1], run[0])
    if overlined and run[2].strip() == run[0].strip():  # overline, title, underline
        return (run[1].strip(), 1), 3
    if i == 0 and len(run) >= 2:
        char = underline_char(run[0], run[1])
        if char:
            return (run[0].strip(), _PLAIN_LEVELS.get(char, 3)), 2
    if _is_man_heading(run, i):
        return (run[i].strip(), 1), 1
    return None, 1


def _man_title(lines: list[str], blocks: list[Block]) -> str | None:
    """For a rendered man page, the NAME line ("chsh - change login shell")."""
    if not lines or not _MAN_HEADER.match(lines[0]):
        return None
    for heading, body in itertools.pairwise(blocks):
        if heading.kind == "heading" and body.kind == "text":
            return " ".join(body.text.split())
    return None


def extract_text(data: bytes) -> Document:
    """Extract a plain text file (notes, logs, READMEs, man pages rendered as text)."""
    lines = decode_text(data).split("\n")
    blocks = plain_blocks(lines)
    title = _man_title(lines, blocks)
    if title is None and blocks and blocks[0].kind == "heading":
        title = blocks[0].text
    return Document(title=title, blocks=blocks, kind="text")
