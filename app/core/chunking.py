"""Cut a document into chunks that fit the model, following its structure.

Pure functions: a :class:`~app.core.documents.Document` and a token counter
in, :class:`Chunk` records out. A chunk never exceeds ``max_tokens`` with its
prompt (``title: … | text: …``), headings start new chunks, paragraphs and code
definitions are kept whole when they fit, and a chunk that had to be cut in
the middle of a section repeats the end of the previous one (overlap) so that
no sentence loses its context.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from app.core.documents import BLOCK_SEPARATOR, Block, Document
from app.core.embedder import document_prompt

Counter = Callable[[str], int]

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|\n")
_SPACE = re.compile(r"\s+")
_SAFETY = 2  # tokens: joining pieces can merge or split a token at the seam
_LEAST_TEXT = 16  # tokens a passage's title must leave for its text


@dataclass(frozen=True)
class Chunk:
    text: str
    title: str
    char_start: int  # offsets into Document.text
    char_end: int
    page: int | None
    line: int | None
    tokens: int  # with the prompt and special tokens


@dataclass(frozen=True)
class _Piece:
    """A block, or part of one, with its place in the document text."""

    text: str
    start: int
    page: int | None
    line: int | None
    tokens: int


def chunk_document(
    doc: Document,
    name: str,
    count: Counter,
    *,
    max_tokens: int = 256,
    overlap_tokens: int = 32,
    headings_in_title: bool = True,
    outline: bool = False,
    min_section_tokens: int = 0,
) -> list[Chunk]:
    """Chunks of ``doc``, titled by its title (or ``name``, the file name) and section heading.

    Args:
        count: tokens of a string as the model sees it (special tokens included).
        max_tokens: the most tokens a chunk may take with its prompt.
        overlap_tokens: how much of a cut section the next chunk repeats.
        headings_in_title: add the current section heading to the chunk title.
        outline: add one chunk listing the document's headings (what it is about as
            a whole), when it has several.
        min_section_tokens: a section shorter than this joins the next one, so that
            a stub ("AUTHOR: Written by …") is not a passage of its own.
    """
    doc_title = (doc.title or name).strip() or name
    text = doc.text
    specials = count("")  # BOS and EOS, counted once per chunk, not per piece
    pieces_count: Counter = lambda s: max(1, count(s) - specials)  # noqa: E731
    chunks: list[Chunk] = []
    sections = list(_sections(doc))
    if min_section_tokens:
        sections = _merge_short(sections, min_section_tokens, pieces_count)
    room = max_tokens - count(document_prompt("", None)) - _SAFETY
    if room < 4:
        raise ValueError(f"max_tokens={max_tokens} leaves no room for text beside the prompt")
    least = min(_LEAST_TEXT, room // 2)  # what a title must leave for the text
    doc_title = _shorten(doc_title, max_tokens - _SAFETY - least, count)
    for heading, pieces in sections:
        title = f"{doc_title} — {heading}" if headings_in_title and heading and heading != doc_title else doc_title
        budget = max_tokens - count(document_prompt("", title)) - _SAFETY
        if budget < least:  # an absurdly long heading: fall back to the document title
            title = doc_title
            budget = max_tokens - count(document_prompt("", title)) - _SAFETY
        fitted = [p for piece in pieces for p in _fit(piece, budget, overlap_tokens, pieces_count)]
        chunks.extend(_pack(text, fitted, title, budget, max_tokens, overlap_tokens, count, pieces_count))
    if outline:
        chunks.extend(_outline(doc, doc_title, max_tokens, count))
    return chunks


def _shorten(title: str, most: int, count: Counter) -> str:
    """``title``, cut at a word (with an ellipsis) so that its prompt takes at most ``most`` tokens."""
    if count(document_prompt("", title)) <= most:
        return title
    lo, hi = 0, len(title)  # the longest prefix that fits, by bisection: a title can be long
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(document_prompt("", title[:mid].rstrip() + "…")) <= most:
            lo = mid
        else:
            hi = mid - 1
    cut = title[:lo]
    if " " in cut.strip():
        cut = cut[: cut.rstrip().rfind(" ")]
    return (cut.rstrip() + "…") if cut.strip() else "…"


def _merge_short(
    sections: list[tuple[str | None, list[_Piece]]], minimum: int, count: Counter
) -> list[tuple[str | None, list[_Piece]]]:
    """Join each section shorter than ``minimum`` tokens to the one after it (the last to the one before)."""
    out: list[tuple[str | None, list[_Piece]]] = []
    carry: tuple[str | None, list[_Piece]] | None = None
    for heading, pieces in sections:
        if carry is not None:
            heading, pieces = carry[0], carry[1] + pieces
            carry = None
        if sum(count(p.text) for p in pieces) < minimum:
            carry = (heading, pieces)
        else:
            out.append((heading, pieces))
    if carry is not None:
        if out:
            heading, pieces = out.pop()
            carry = (heading, pieces + carry[1])
        out.append(carry)
    return out


def _outline(doc: Document, title: str, max_tokens: int, count: Counter) -> list[Chunk]:
    """One chunk made of the headings, as many as fit; located at the first heading."""
    offset, first, lines = 0, None, []
    for block in doc.blocks:
        if block.kind == "heading" and block.text.strip():
            first = first or (offset, block)
            candidate = "\n".join([*lines, block.text.strip()])
            if count(document_prompt(candidate, title)) > max_tokens:
                break
            lines.append(block.text.strip())
        offset += len(block.text) + len(BLOCK_SEPARATOR)
    if len(lines) < 2 or first is None:
        return []
    body = "\n".join(lines)
    start, block = first
    return [Chunk(body, title, start, start + len(block.text), block.page, block.line,
                  count(document_prompt(body, title)))]


def _sections(doc: Document) -> Iterator[tuple[str | None, list[_Piece]]]:
    """Group blocks under their heading; the heading text itself leads its section."""
    offset = 0
    heading: str | None = None
    pieces: list[_Piece] = []
    for block in doc.blocks:
        start = offset
        offset += len(block.text) + len(BLOCK_SEPARATOR)
        if not block.text.strip():
            continue
        if block.kind == "heading":
            if pieces:
                yield heading, pieces
            heading, pieces = block.text.strip(), []
        pieces.append(_piece(block, start))
    if pieces:
        yield heading, pieces


def _piece(block: Block, start: int) -> _Piece:
    return _Piece(block.text, start, block.page, block.line, -1)


def _fit(piece: _Piece, budget: int, small: int, count: Counter) -> list[_Piece]:
    """Split a piece that exceeds ``budget`` into sentences (then words, then characters).

    Parts are merged back up to ``small`` tokens, so that packing has units
    about the size of the overlap to work with.
    """
    tokens = count(piece.text)
    if tokens <= budget or len(piece.text) < 2:
        return [_Piece(piece.text, piece.start, piece.page, piece.line, tokens)]
    text = piece.text
    spans = _split_once(text)
    if len(spans) == 1:  # one enormous word: cut it in half
        spans = [(0, len(text) // 2), (len(text) // 2, len(text))]
    out: list[_Piece] = []
    groups = _group(spans, max(1, min(small, budget)), tokens / len(text))
    if len(groups) == 1:  # the estimate put it all back together: cut at every span instead
        groups = spans
    # Every group is shorter than the piece, so the recursion ends.
    line, seen = piece.line, 0
    for a, b in groups:
        if line is not None:  # counted as we go: counting from the start each time is quadratic
            line += text.count("\n", seen, a)
            seen = a
        out.extend(_fit(_Piece(text[a:b], piece.start + a, piece.page, line, -1), budget, small, count))
    return out


def _split_once(text: str) -> list[tuple[int, int]]:
    """(start, end) spans between sentence ends and newlines, else between spaces."""
    for pattern in (_SENTENCE_END, _SPACE):
        spans, pos = [], 0
        for m in pattern.finditer(text):
            if m.start() > pos:
                spans.append((pos, m.start()))
            pos = m.end()
        if pos < len(text):
            spans.append((pos, len(text)))
        if len(spans) > 1:
            return spans
    return [(0, len(text))]


def _group(spans: list[tuple[int, int]], limit: int, per_char: float) -> list[tuple[int, int]]:
    """Merge neighbouring spans (with the text between them) while they come to about ``limit`` tokens.

    Sizes are estimated from the piece's own tokens per character, not
    counted: a long line of words has hundreds of thousands of spans, and
    counting each growing group would tokenize it over and over. The exact
    count comes after, once per group (in :func:`_fit`) and once per chunk.
    """
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        j = i + 1
        while j < len(spans) and (spans[j][1] - spans[i][0]) * per_char <= limit:
            j += 1
        out.append((spans[i][0], spans[j - 1][1]))
        i = j
    return out


def _pack(
    text: str,
    pieces: list[_Piece],
    title: str,
    budget: int,
    max_tokens: int,
    overlap: int,
    count: Counter,
    piece_count: Counter,
) -> list[Chunk]:
    """Fill chunks with whole pieces; a chunk cut mid-section repeats the end of the one before.

    Terminates by construction: every chunk holds at least one piece that no
    earlier chunk held (``fresh`` only moves forward), and the overlap is what
    gives way when the two do not fit together. The work is linear: each
    chunk's pieces are summed once and its exact size is counted once, plus
    once more for each piece that has to leave it.
    """
    pieces = list(pieces)
    out: list[Chunk] = []
    start = fresh = 0  # the chunk starts at ``start``; pieces before ``fresh`` are in a chunk already
    while fresh < len(pieces):
        used = sum(p.tokens for p in pieces[start:fresh])
        if used + pieces[fresh].tokens > budget:
            start, used = fresh, 0  # the overlap alone would crowd out the new text: drop it
        end = fresh
        while end < len(pieces) and (end == fresh or used + pieces[end].tokens <= budget):
            used += pieces[end].tokens
            end += 1
        chunk = _measure(text, pieces, start, end, title, count)
        # Piece counts only plan a chunk; joining pieces can cost a token at each seam.
        while chunk.tokens > max_tokens:
            if end - fresh > 1:
                end -= 1
            elif start < fresh:
                start = fresh
            elif not _split_piece(pieces, fresh, piece_count):
                break  # a single character over the budget: nothing smaller exists
            else:
                end = fresh + 1
            chunk = _measure(text, pieces, start, end, title, count)
        out.append(chunk)
        fresh = end
        start = _tail_start(pieces, start, end, overlap)
    return out


def _tail_start(pieces: list[_Piece], start: int, end: int, overlap: int) -> int:
    """Where the next chunk starts: the last pieces of this one, up to ``overlap`` tokens."""
    total, i = 0, end
    while i > start and total + pieces[i - 1].tokens <= overlap:
        i -= 1
        total += pieces[i].tokens
    return i


def _split_piece(pieces: list[_Piece], i: int, count: Counter) -> bool:
    """Cut ``pieces[i]`` in two at the space (or character) nearest its middle; False if it cannot be cut."""
    p = pieces[i]
    if len(p.text) < 2:
        return False
    text, mid = p.text, len(p.text) // 2
    space = text.rfind(" ", 0, mid)
    a_end, b_off = (len(text[:space].rstrip()), space + 1) if space > 0 else (mid, mid)
    if a_end == 0 or not text[b_off:].strip():  # all the spaces are at one end: cut in the middle
        a_end, b_off = mid, mid
    b_off += len(text[b_off:]) - len(text[b_off:].lstrip())
    a, b = text[:a_end], text[b_off:]
    if not a or not b:
        a, b, b_off = text[:mid], text[mid:], mid
    b_start = p.start + b_off
    b_line = p.line + text.count("\n", 0, b_off) if p.line is not None else None
    pieces[i : i + 1] = [
        _Piece(a, p.start, p.page, p.line, count(a)),
        _Piece(b, b_start, p.page, b_line, count(b)),
    ]
    return True


def _measure(text: str, pieces: list[_Piece], start: int, end: int, title: str, count: Counter) -> Chunk:
    """The chunk spanning ``pieces[start:end]`` in the document text, with its exact token count."""
    first, last = pieces[start], pieces[end - 1]
    a, b = first.start, last.start + len(last.text)
    body = text[a:b]
    return Chunk(body, title, a, b, first.page, first.line, count(document_prompt(body, title)))
