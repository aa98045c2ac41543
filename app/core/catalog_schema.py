"""The catalog's schema as numbered migrations, applied in order in one transaction each.

``PRAGMA user_version`` holds the number of the last migration applied. Never
edit a migration that has shipped: add the next one.
"""

from __future__ import annotations

import sqlite3

from app.core.errors import GemseekError
from app.core.fts_text import fts_body

MIGRATIONS: tuple[str, ...] = (
    # 1: files, chunks, full-text index, vectors
    """
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        path BLOB NOT NULL UNIQUE,
        display TEXT NOT NULL,
        ext TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        content_hash TEXT,
        status TEXT NOT NULL CHECK (status IN ('indexed', 'skipped')),
        reason TEXT,
        kind TEXT,
        title TEXT,
        indexed_at REAL NOT NULL
    );
    CREATE INDEX files_hash ON files(content_hash);
    CREATE INDEX files_status ON files(status);
    -- AUTOINCREMENT: a chunk id is never reused, so a stale vector-index entry
    -- can never point at a different chunk.
    CREATE TABLE chunks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        text_hash TEXT NOT NULL,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        char_start INTEGER NOT NULL,
        char_end INTEGER NOT NULL,
        page INTEGER,
        line INTEGER,
        tokens INTEGER NOT NULL
    );
    CREATE INDEX chunks_file ON chunks(file_id);
    CREATE INDEX chunks_hash ON chunks(text_hash);
    CREATE VIRTUAL TABLE chunks_fts USING fts5(
        body, title, tokenize = 'porter unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
        DELETE FROM chunks_fts WHERE rowid = old.id;
    END;
    CREATE TABLE vectors (
        text_hash TEXT NOT NULL,
        model TEXT NOT NULL,
        vec BLOB NOT NULL,
        PRIMARY KEY (text_hash, model)
    ) WITHOUT ROWID;
    CREATE TABLE state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO state(key, value) VALUES ('generation', 0);
    """,
    # 2: an epoch, random, made once per catalog: a vector index saved for another catalog
    # (deleted and made again, or put back from a copy) can tell it is not its own.
    """
    INSERT OR IGNORE INTO state(key, value) VALUES ('epoch', abs(random()));
    """,
    # 3: the full-text index keeps no copy of the text (it was stored twice, in chunks and in the FTS table):
    # its content is a view of chunks, and triggers keep it in step. What it indexes is gemseek_fts_body of the
    # text (CJK spaced out; see register_functions), so the triggers and the view use that function too.
    # Removed passages are counted, so that a big removal can be followed by a compaction.
    """
    DROP TRIGGER chunks_fts_delete;
    DROP TABLE chunks_fts;
    CREATE VIEW chunks_fts_source AS
        SELECT id, gemseek_fts_body(text) AS body, gemseek_fts_body(title) AS title FROM chunks;
    CREATE VIRTUAL TABLE chunks_fts USING fts5(
        body, title, content = 'chunks_fts_source', content_rowid = 'id',
        tokenize = 'porter unicode61 remove_diacritics 2'
    );
    INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild');
    CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
        INSERT INTO chunks_fts(rowid, body, title)
        VALUES (new.id, gemseek_fts_body(new.text), gemseek_fts_body(new.title));
    END;
    CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
        INSERT INTO chunks_fts(chunks_fts, rowid, body, title)
        VALUES ('delete', old.id, gemseek_fts_body(old.text), gemseek_fts_body(old.title));
    END;
    -- How many passages were removed since the catalog was last compacted (app.core.catalog_space).
    INSERT OR IGNORE INTO state(key, value) VALUES ('removed_since_compaction', 0);
    CREATE TRIGGER chunks_removed AFTER DELETE ON chunks BEGIN
        UPDATE state SET value = value + 1 WHERE key = 'removed_since_compaction';
    END;
    CREATE TRIGGER chunks_fts_update AFTER UPDATE OF text, title ON chunks BEGIN
        INSERT INTO chunks_fts(chunks_fts, rowid, body, title)
        VALUES ('delete', old.id, gemseek_fts_body(old.text), gemseek_fts_body(old.title));
        INSERT INTO chunks_fts(rowid, body, title)
        VALUES (new.id, gemseek_fts_body(new.text), gemseek_fts_body(new.title));
    END;
    """,
    # 4: vectors in an ordinary (rowid) table. WITHOUT ROWID keeps at most ~1 KB of a row in its page at the
    # 4 KB page size; a 768-d float16 vector (1.5 KB) spilled the rest to an overflow page of its own, so each
    # took 4.7 KB on disk. Inline, two to a page, they take 2.1 KB with the (text_hash, model) index.
    """
    CREATE TABLE vectors_inline (
        text_hash TEXT NOT NULL,
        model TEXT NOT NULL,
        vec BLOB NOT NULL,
        PRIMARY KEY (text_hash, model)
    );
    INSERT INTO vectors_inline(text_hash, model, vec) SELECT text_hash, model, vec FROM vectors;
    DROP TABLE vectors;
    ALTER TABLE vectors_inline RENAME TO vectors;
    """,
    # 5: a change log: the chunks whose place in a vector index may have changed, by the generation their
    # change commits as (the one write() moves to). A vector index catches up by reading the log from its own
    # generation on instead of comparing every id. 'changes_from': the log holds every change after it.
    """
    CREATE TABLE chunk_changes (
        generation INTEGER NOT NULL,
        chunk_id INTEGER NOT NULL,
        PRIMARY KEY (generation, chunk_id)
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO state(key, value) SELECT 'changes_from', value FROM state WHERE key = 'generation';
    CREATE TRIGGER chunk_changes_insert AFTER INSERT ON chunks BEGIN
        INSERT OR IGNORE INTO chunk_changes(generation, chunk_id)
        VALUES ((SELECT value + 1 FROM state WHERE key = 'generation'), new.id);
    END;
    CREATE TRIGGER chunk_changes_delete AFTER DELETE ON chunks BEGIN
        INSERT OR IGNORE INTO chunk_changes(generation, chunk_id)
        VALUES ((SELECT value + 1 FROM state WHERE key = 'generation'), old.id);
    END;
    CREATE TRIGGER chunk_changes_rehash AFTER UPDATE OF text_hash ON chunks BEGIN
        INSERT OR IGNORE INTO chunk_changes(generation, chunk_id)
        VALUES ((SELECT value + 1 FROM state WHERE key = 'generation'), new.id);
    END;
    CREATE TRIGGER vector_changes_insert AFTER INSERT ON vectors BEGIN
        INSERT OR IGNORE INTO chunk_changes(generation, chunk_id)
        SELECT (SELECT value + 1 FROM state WHERE key = 'generation'), id FROM chunks WHERE text_hash = new.text_hash;
    END;
    CREATE TRIGGER vector_changes_delete AFTER DELETE ON vectors BEGIN
        INSERT OR IGNORE INTO chunk_changes(generation, chunk_id)
        SELECT (SELECT value + 1 FROM state WHERE key = 'generation'), id FROM chunks WHERE text_hash = old.text_hash;
    END;
    """,
)


def register_functions(db: sqlite3.Connection) -> None:
    """Give a connection the SQL functions the schema uses; call before anything else.

    ``gemseek_fts_body`` is what the full-text index holds of a text. The
    delete trigger must hand FTS5 the very tokens it indexed, so changing
    :func:`app.core.fts_text.fts_body` needs a migration that rebuilds the
    index (``INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')``). A
    connection without the function (the sqlite3 shell) can still search, but
    deleting a chunk there fails rather than leave the index wrong.
    """
    db.create_function("gemseek_fts_body", 1, fts_body, deterministic=True)


def migrate(db: sqlite3.Connection, upto: int = len(MIGRATIONS)) -> None:
    """Bring the database up to the newest schema (or to schema ``upto``: tests make older catalogs with it)."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise GemseekError(
            f"the index was made by a newer Gemseek (schema {version}, this one knows {len(MIGRATIONS)})"
        )
    for number in range(version + 1, upto + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(MIGRATIONS[number - 1]):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def _statements(script: str) -> list[str]:
    """Split a migration into statements (triggers contain semicolons, so track BEGIN/END)."""
    out, current, depth = [], [], 0
    for line in script.strip().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        current.append(line)
        upper = stripped.upper()
        if upper.endswith(" BEGIN"):
            depth += 1
        elif upper.startswith("END;"):
            depth -= 1
        if stripped.endswith(";") and depth == 0:
            out.append("\n".join(current))
            current = []
    if current:
        out.append("\n".join(current))
    return out
