#!/usr/bin/env python3
"""BM25 keyword baseline for the held-out set (SQLite FTS5), made the same way as the dev set's.

Usage:
    python3 bench/eval2/bm25_baseline.py [--corpus-tar bench/eval2/corpus.tar.gz]
                                         [--queries bench/eval2/queries.jsonl]
                                         [--out bench/eval2/baseline-bm25.jsonl] [--depth 10]

* Text: the same extraction that build.py uses for manifest.tsv: HTML with tags stripped and
  script/style dropped, PDF through pypdfium2 (the dev set used pdftotext, which this machine
  lacks), DOCX/ODT text from the XML inside the zip, everything else read as UTF-8.
* Index: one FTS5 column per file, tokenize='porter unicode61 remove_diacritics 2'. File names
  are not indexed.
* Query: the query's words (\\w+) are OR-ed and ranked by bm25(). FTS5 does not segment Chinese,
  Japanese or Korean, so BM25 can hardly match those files.
"""
import argparse
import json
import os
import re
import sqlite3
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import build


def load_manifest(path):
    with open(path, encoding="utf-8") as f:
        cols = next(f).rstrip("\n").split("\t")
        return [dict(zip(cols, line.rstrip("\n").split("\t"))) for line in f if line.strip()]


def build_index(corpus_dir, manifest):
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE docs USING fts5(path UNINDEXED, body, "
                "tokenize='porter unicode61 remove_diacritics 2')")
    for r in manifest:
        text = build.file_text(os.path.join(corpus_dir, r["relpath"]), r["format"]) or ""
        con.execute("INSERT INTO docs(path, body) VALUES (?, ?)", (r["relpath"], text))
    con.commit()
    return con


def search(con, query, k):
    words = re.findall(r"\w+", query)
    if not words:
        return []
    expr = " OR ".join('"' + w.replace('"', "") + '"' for w in words)
    rows = con.execute("SELECT path FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (expr, k))
    return [p for (p,) in rows]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus-tar", default=os.path.join(HERE, "corpus.tar.gz"))
    ap.add_argument("--manifest", default=os.path.join(HERE, "manifest.tsv"))
    ap.add_argument("--queries", default=os.path.join(HERE, "queries.jsonl"))
    ap.add_argument("--out", default=os.path.join(HERE, "baseline-bm25.jsonl"))
    ap.add_argument("--depth", type=int, default=10)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        with tarfile.open(a.corpus_tar) as t:
            t.extractall(d, filter="data") if hasattr(tarfile, "data_filter") else t.extractall(d)
        con = build_index(os.path.join(d, "corpus"), load_manifest(a.manifest))
    with open(a.queries, encoding="utf-8") as f, open(a.out, "w", encoding="utf-8") as out:
        for line in f:
            if line.strip():
                q = json.loads(line)
                out.write(json.dumps({"id": q["id"], "results": search(con, q["query"], a.depth)}) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
