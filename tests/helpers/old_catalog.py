"""A catalog as Gemseek made it before the full-text index stopped keeping a copy of the text (schema 2).

Schema 2 came from the shipped migrations 1 and 2; its passages went into the
FTS table from Python, text and title through ``fts_body``, the way
``Catalog.store_file`` wrote them then.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import numpy as np

from app.core.catalog_schema import migrate
from app.core.fts_text import fts_body

OLD_SCHEMA = 2


def make_old_catalog(path: Path, files: dict[str, list[tuple[str, str]]], model: str = "fake-bow-1") -> None:
    """Write a schema-2 catalog at ``path``: ``files`` maps a path to its passages' (title, text)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    migrate(db, upto=OLD_SCHEMA)
    db.execute("BEGIN")
    for n, (name, passages) in enumerate(files.items()):
        file_id = db.execute(
            "INSERT INTO files(path, display, ext, size, mtime_ns, content_hash, status, kind, indexed_at)"
            " VALUES (?, ?, 'txt', 10, ?, ?, 'indexed', 'text', ?)",
            (name.encode(), name, n + 1, f"content-{n}", time.time()),
        ).lastrowid
        for seq, (title, text) in enumerate(passages):
            text_hash = f"h{n}-{seq}"
            cid = db.execute(
                "INSERT INTO chunks(file_id, seq, text_hash, title, text, char_start, char_end, line, tokens)"
                " VALUES (?, ?, ?, ?, ?, 0, ?, 1, 10)",
                (file_id, seq, text_hash, title, text, len(text)),
            ).lastrowid
            db.execute("INSERT INTO chunks_fts(rowid, body, title) VALUES (?, ?, ?)",
                       (cid, fts_body(text), fts_body(title)))
            vec = np.zeros(768, dtype=np.float16)
            vec[(n * 7 + seq) % 768] = 1
            db.execute("INSERT INTO vectors(text_hash, model, vec) VALUES (?, ?, ?)", (text_hash, model, vec.tobytes()))
    db.execute("COMMIT")
    db.close()
