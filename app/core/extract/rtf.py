"""RTF through striprtf: a small pure-Python, BSD-licensed converter that handles
code pages, Unicode escapes and the groups that hold no text (fonts, pictures)."""

from __future__ import annotations

import re

from striprtf.striprtf import rtf_to_text

from app.core.documents import Block, Document
from app.core.extract.decode import normalize_newlines
from app.core.extract.errors import SkipFile

_TITLE = re.compile(r"\{\\title\s+([^{}]*)\}")


def extract_rtf(data: bytes) -> Document:
    """Extract an RTF document, one block per paragraph (and no line numbers: RTF
    source lines mean nothing to a reader)."""
    if not data.lstrip()[:5] == b"{\\rtf":
        raise SkipFile("damaged RTF: no RTF header")
    # RTF is 7-bit: 8-bit text arrives as \\'xx escapes that striprtf decodes with
    # the document's code page. Latin-1 maps any stray byte to some character.
    source = data.decode("latin-1")
    lines = normalize_newlines(rtf_to_text(source, errors="replace")).split("\n")
    blocks = [Block(line) for line in lines if line.strip()]  # one line per \par
    title = _TITLE.search(source)
    return Document(title=title.group(1).strip() if title else None, blocks=blocks, kind="rtf")
