"""Real text for benchmarks: the developers' eval corpus cut into ~1,000-character chunks.

Only formats readable without extractors are used (plain text, Markdown, reST,
source code, and HTML with its tags stripped); that is enough text to measure
embedding speed on.
"""

from __future__ import annotations

import html
import json
import re
import tarfile
import tempfile
from pathlib import Path

from bench.shared import shared_dir

EVAL_DIR = shared_dir() / "eval"
_SKIP = {".pdf", ".docx", ".odt"}


def eval_queries(eval_dir: Path = EVAL_DIR) -> list[str]:
    """The eval set's query texts, in file order."""
    lines = (eval_dir / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(x)["query"] for x in lines if x.strip()]


def corpus_dir(eval_dir: Path = EVAL_DIR) -> Path:
    """Unpack the set's corpus.tar.gz once into the temp folder and return the corpus root."""
    name = "gemseek-bench-corpus" if eval_dir == EVAL_DIR else f"gemseek-bench-corpus-{eval_dir.name}"
    target = Path(tempfile.gettempdir()) / name
    root = target / "corpus"
    if not root.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(eval_dir / "corpus.tar.gz") as tar:
            tar.extractall(target, filter="data")
    return root


def plain_text(path: Path) -> str:
    """A file's text: read as UTF-8, HTML with its tags, scripts and styles stripped."""
    return strip_markup(path.read_text(encoding="utf-8", errors="replace"), path.suffix)


def strip_markup(raw: str, suffix: str) -> str:
    """``raw`` without its HTML tags, scripts and styles when ``suffix`` is ``.html``; trimmed."""
    if suffix == ".html":
        raw = re.sub(r"(?is)<(script|style).*?</\1>", " ", raw)
        raw = html.unescape(re.sub(r"(?s)<[^>]+>", " ", raw))
        raw = re.sub(r"[ \t]+", " ", raw)
        raw = re.sub(r"\n\s*\n+", "\n\n", raw)
    return raw.strip()


def _windows(text: str, size: int = 1000) -> list[str]:
    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind("\n\n", start + size // 2, end)
            if cut < 0:
                cut = text.rfind(" ", start + size // 2, end)
            end = cut if cut > start else end
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
        start = end
    return out


def _fit(piece: str, count_tokens, max_tokens: int) -> list[str]:
    """Halve ``piece`` at a space until every part fits ``max_tokens``."""
    if count_tokens(piece) <= max_tokens:
        return [piece]
    mid = piece.rfind(" ", 0, len(piece) // 2 + 1)
    mid = mid if mid > 0 else len(piece) // 2
    return _fit(piece[:mid].strip(), count_tokens, max_tokens) + _fit(piece[mid:].strip(), count_tokens, max_tokens)


def chunks(
    limit: int | None = None, count_document_tokens=None, max_tokens: int = 256
) -> list[tuple[str, str]]:
    """(title, text) pairs in a fixed order.

    Args:
        limit: keep this many, spread evenly over the corpus.
        count_document_tokens: ``f(text, title) -> tokens of its document prompt``; when given,
            windows longer than ``max_tokens`` are split, as the indexer does.
    """
    root = corpus_dir()
    pairs = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in _SKIP):
        for piece in _windows(plain_text(path)):
            if count_document_tokens is None:
                pairs.append((path.stem, piece))
                continue
            for part in _fit(piece, lambda t, title=path.stem: count_document_tokens(t, title), max_tokens):
                pairs.append((path.stem, part))
    if limit and len(pairs) > limit:
        step = len(pairs) / limit
        pairs = [pairs[int(i * step)] for i in range(limit)]
    return pairs
