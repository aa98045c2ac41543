"""A big tree of real text for bench/tree.py: the eval corpus and /usr/share/doc, copied many times.

The files are real documents (the eval set's HTML, Markdown, code, PDFs and
office files; Debian's READMEs, changelogs unpacked from .gz, copyright files,
examples and pictures), each cut to at most 64 KB at a line end so the tree
stays near a gigabyte. Folders nest up to 14 deep, named with words from the
text (several languages, spaces, digits); a few are folders Gemseek skips
(.git, node_modules, __pycache__), as in a real home folder. Files are spread
unevenly (many folders with a few files, some with hundreds) and get
modification times spread over ten years. The same seed gives the same tree;
a hidden stamp file lets a second run reuse it.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import shutil
from pathlib import Path

from bench.corpus import corpus_dir

STAMP = ".gemseek-bench-tree.json"
MAX_BYTES = 64 * 1024
MAX_DEPTH = 14
SKIPPED_NAMES = (".git", "node_modules", "__pycache__")
_DOC = Path("/usr/share/doc")
_NAME_WORD = re.compile(r"[^\W\d_]{3,14}")


def make_tree(target: Path, files: int = 100_000, folders: int = 10_500, seed: int = 1) -> dict:
    """Build the tree under ``target`` (or reuse the one there); returns its description."""
    wanted = {"files": files, "folders": folders, "seed": seed, "version": 1}
    stamp = target / STAMP
    if stamp.is_file():
        got = json.loads(stamp.read_text())
        if {k: got.get(k) for k in wanted} == wanted:
            return got
    if target.exists():
        shutil.rmtree(target)
    rng = random.Random(seed)
    pool = _pool()
    words = _words(pool, rng)
    dirs = _folders(target, folders, words, rng)
    written, size = _files(dirs, files, pool, words, rng)
    info = {**wanted, "bytes": size, "files_written": written, "folders_made": len(dirs) - 1,
            "deepest": str(max(dirs, key=lambda d: len(d.parts))), "sources": len(pool)}
    stamp.write_text(json.dumps(info, indent=2))
    return info


def _pool() -> list[tuple[str, bytes]]:
    """(extension, content) of every source document, cut to :data:`MAX_BYTES`."""
    out: list[tuple[str, bytes]] = []
    sources = sorted(p for p in corpus_dir().rglob("*") if p.is_file())
    sources += sorted(p for p in _DOC.rglob("*") if p.is_file() and not p.is_symlink())
    for path in sources:
        try:
            data = path.read_bytes()
            ext = path.suffix.lower()
            if ext == ".gz":
                data, ext = gzip.decompress(data), ".txt"
        except (OSError, EOFError, gzip.BadGzipFile):
            continue
        if not ext or len(ext) > 6:
            ext = ".txt"  # README, copyright, changelog.Debian: plain text
        if len(data) > MAX_BYTES and ext not in (".pdf", ".docx", ".odt", ".png", ".gif"):
            cut = data.rfind(b"\n", 0, MAX_BYTES)
            data = data[: cut if cut > 0 else MAX_BYTES]
        if data:
            out.append((ext, data))
    return out


def _words(pool: list[tuple[str, bytes]], rng: random.Random) -> list[str]:
    """Words for folder and file names, drawn from the text itself (so in its languages)."""
    found: set[str] = set()
    for _ext, data in rng.sample(pool, min(400, len(pool))):
        found.update(w.lower() for w in _NAME_WORD.findall(data[:4000].decode("utf-8", "ignore")))
    return sorted(found)


def _folders(root: Path, count: int, words: list[str], rng: random.Random) -> list[Path]:
    """``count`` folders under ``root`` (made on disk), nesting up to :data:`MAX_DEPTH` deep."""
    dirs = [root]
    root.mkdir(parents=True)
    while len(dirs) <= count:
        parent = dirs[min(len(dirs) - 1, int(len(dirs) * rng.random() ** 0.7))]  # favour newer, deeper ones
        if len(parent.relative_to(root).parts) >= MAX_DEPTH:
            parent = rng.choice(dirs[:50])
        if rng.random() < 0.003:
            name = rng.choice(SKIPPED_NAMES)
        elif rng.random() < 0.2:
            name = f"{rng.choice(words)} {rng.randint(1990, 2026)}"
        else:
            name = "-".join(rng.sample(words, rng.randint(1, 2)))
        path = parent / name
        if path.exists():
            continue
        path.mkdir()
        dirs.append(path)
    return dirs


def _files(dirs: list[Path], count: int, pool: list[tuple[str, bytes]], words: list[str],
           rng: random.Random) -> tuple[int, int]:
    """Write ``count`` copies of pool documents under random names; returns (files, bytes)."""
    weights = [rng.paretovariate(1.2) for _ in dirs]  # a few folders hold hundreds of files, most a few
    now = 1_790_000_000
    size = 0
    for i, folder in enumerate(rng.choices(dirs, weights, k=count)):
        ext, data = rng.choice(pool)
        stem = "_".join(rng.sample(words, rng.randint(1, 3)))
        path = folder / f"{stem}-{i}{ext}"
        path.write_bytes(data)
        when = now - rng.randint(0, 10 * 365 * 86400)
        os.utime(path, (when, when))
        size += len(data)
    return count, size
