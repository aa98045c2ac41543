"""Answer a query: vector search and keyword search, fused, grouped per file.

The query is embedded once at full size. The vector index (at the configured
dimension) proposes candidate chunks, FTS5 proposes keyword matches, and every
candidate is then scored exactly with its stored full-size vector, so a
smaller index dimension costs memory, not ranking quality. Keyword evidence
adds a bounded bonus on top of the semantic score instead of a rank fusion
that lets keyword-blind files (paraphrases, other languages) fall behind.

Measured on the eval set (bench/RESULTS.md), keyword evidence only hurts
natural-language queries, so its weight depends on the query: full for a
short query of a few terms ("cachegrind", "pip hash"), half for a longer one
that names an identifier (``fetch_with_retry``, ``IDNA2008``, ``file.txt``),
and none for a sentence.
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.catalog import ChunkHit, Filters, display_path, path_from_key, path_key
from app.core.embedder import Embedder
from app.core.errors import GemseekError
from app.core.fts_text import match_expression, phrase_expression, query_terms
from app.core.query import ParsedQuery, parse_query
from app.core.snippets import make_snippet
from app.core.store import Store

MODES = ("hybrid", "vector", "keyword")
RECALL_TERMS = 3  # words of a plain-language query used only to propose candidates


@dataclass(frozen=True)
class SearchOptions:
    vector_candidates: int = 100
    keyword_candidates: int = 100
    keyword_weight: float = 0.1  # bonus for the best keyword match of a keyword-style query, in cosine units
    # A result is a weak match when its score is under weak_floor, or not weak_margin above the background
    # (the median score of the files ranked 11th to 30th: what an unrelated file scores for this query).
    # Calibrated on the dev set with bench/weak_matches.py, checked on the held-out set (bench/RESULTS.md).
    weak_floor: float = 0.34
    weak_margin: float = 0.06


@dataclass(frozen=True)
class Result:
    """One file, with the passage that matched best."""

    path: Path
    display: str
    score: float
    snippet: str
    highlights: tuple[tuple[int, int], ...]  # (start, end) in snippet
    char_start: int  # the passage's place in the extracted text
    char_end: int
    page: int | None
    line: int | None
    title: str
    kind: str | None
    ext: str
    modified: float  # seconds since the epoch
    passage: str = ""  # the whole matching passage, for a preview
    weak: bool = False  # shown below the real matches, as a weaker one (see SearchOptions)

    def to_json(self) -> dict:
        return {
            "path": self.display,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "highlights": [list(h) for h in self.highlights],
            "location": {"char_start": self.char_start, "char_end": self.char_end, "page": self.page,
                         "line": self.line},
            "title": self.title,
            "type": self.kind or self.ext,
            "modified": self.modified,
            "weak": self.weak,
        }


class Searcher:
    """Searches a :class:`Store` (opened read-only, so indexing can go on)."""

    def __init__(self, store: Store, embedder: Embedder | None, options: SearchOptions = SearchOptions()) -> None:
        self.store = store
        self.embedder = embedder
        self.options = options
        self.last_timings: dict[str, float] = {}

    def search(self, query: str, limit: int = 10, filters: Filters = Filters(), mode: str = "hybrid") -> list[Result]:
        """The best ``limit`` files for ``query``; an empty query finds nothing.

        ``query`` may hold operators (see :mod:`app.core.query`): they become
        rules on top of ``filters``, and the rest is searched as usual. A query
        of rules only lists the newest files that follow them.

        Raises:
            QueryError: an operator is malformed.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        query = query.strip()
        if not query or limit <= 0:
            return []
        parsed = parse_query(query)
        if parsed.operators:  # without any, the query goes on exactly as typed
            filters = with_rules(filters, parsed)
            if parsed.like:
                return self.similar(Path(parsed.like).expanduser(), limit, filters)
            query = parsed.text
            if not query:
                self.store.refresh()
                return self._newest(limit, filters)
        t = time.perf_counter()
        timings: dict[str, float] = {}
        self.store.refresh()
        dense: dict[int, float] = {}
        keyword: dict[int, float] = {}
        if mode != "keyword":
            if self.embedder is None:
                raise ValueError("vector search needs an embedder")
            q = self.embedder.embed_query(query, full=True)
            timings["embed"] = time.perf_counter() - t
            dense = self._vector_candidates(q, filters)
            timings["vector"] = time.perf_counter() - t
        if mode != "vector":
            # A question in plain words gets no keyword weight in hybrid mode (see the
            # module docstring); the newest passages with its longest words still
            # propose candidates, which the vector index can miss (a passage unlike
            # any other, just saved). Newest, not best-ranked: that costs the same at
            # a million passages as at a thousand.
            plain = mode == "hybrid" and keyword_style(query) == 0
            keyword = self._keyword_candidates(query, filters, most=RECALL_TERMS if plain else None, newest=plain)
            timings["keyword"] = time.perf_counter() - t
        if mode == "hybrid" and keyword:
            extra = [c for c in keyword if c not in dense]
            dense.update(self._exact(q, extra))
        scores = self._fuse(dense, keyword, mode, query)
        if mode == "hybrid" and self.store.pending_vectors():
            # A keyword-style query's candidates are BM25-ranked already; a plain one's are only the newest.
            ranked = None if plain else keyword
            scores.update(self._not_embedded_yet(query, filters, scores, ranked))
        if mode == "keyword":  # BM25 scores are on another scale, and a keyword search asks for the words
            results = self._group(scores, query, limit, filters)
        else:  # files ranked down to 30th tell how an unrelated file scores for this query
            ranked = self._group(scores, query, max(limit, BACKGROUND[1]), filters)
            results = self.mark_weak(ranked)[:limit]
        timings["total"] = time.perf_counter() - t
        self.last_timings = timings
        return results

    # -- candidates --------------------------------------------------------
    def _vector_candidates(self, q: np.ndarray, filters: Filters) -> dict[int, float]:
        allowed = None
        if filters.active:
            ok = set(self.store.catalog.allowed_chunk_ids(filters).tolist())
            if not ok:
                return {}
            allowed = ok.__contains__
        ids, _ = self.store.vectors.search(q, self.options.vector_candidates, allowed)
        return self._exact(q, ids.tolist())

    def _exact(self, q: np.ndarray, chunk_ids: list[int]) -> dict[int, float]:
        """Cosine with the stored full-size vectors (re-ranks what the index proposed)."""
        if not chunk_ids:
            return {}
        ids, vecs = self.store.catalog.chunk_vectors(chunk_ids, self.store.model)
        if len(ids) == 0:
            return {}
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return dict(zip(ids.tolist(), (vecs @ q).tolist()))

    def _keyword_candidates(self, query: str, filters: Filters, most: int | None = None,
                            newest: bool = False) -> dict[int, float]:
        match = match_expression(query, most)
        if match is None:
            return {}
        return dict(self.store.catalog.fts_search(match, self.options.keyword_candidates, filters, newest=newest))

    def _not_embedded_yet(self, query: str, filters: Filters, scores: dict[int, float],
                          ranked: dict[int, float] | None = None) -> dict[int, float]:
        """Keyword matches among passages that have no vector yet (indexing embeds after it reads): ranked by
        BM25 and placed just under the best semantic score, so a file is found by its words until its meaning
        is in."""
        if ranked is None:
            ranked = self._keyword_candidates(query, filters)
        waiting = {c: s for c, s in ranked.items() if c not in scores and c not in self.store.vectors}
        top = max(ranked.values(), default=0.0)
        if not waiting or top <= 0:
            return {}
        ceiling = 0.9 * max(scores.values(), default=0.5)
        return {c: ceiling * s / top for c, s in waiting.items()}

    # -- scoring -----------------------------------------------------------
    def _fuse(self, dense: dict[int, float], keyword: dict[int, float], mode: str, query: str) -> dict[int, float]:
        if mode == "vector":
            return dense
        if mode == "keyword":
            return keyword
        top = max(keyword.values(), default=0.0)
        w = self.options.keyword_weight * keyword_style(query)
        return {
            cid: score + (w * keyword[cid] / top if top > 0 and cid in keyword else 0.0)
            for cid, score in dense.items()
        }

    def similar(self, path: Path, limit: int = 10, filters: Filters = Filters()) -> list[Result]:
        """The files whose content is closest to ``path``'s (itself left out), each with its closest passage.

        Uses the stored vectors only: the file's passages are averaged into one
        direction, and every other passage is scored against it.

        Raises:
            GemseekError: ``path`` is not indexed (or has no vectors yet).
        """
        self.store.refresh()
        catalog = self.store.catalog
        record = next((r for r in map(catalog.get_file, dict.fromkeys(path_key(p) for p in (
            path.absolute(), path.resolve()))) if r is not None), None)
        if record is None or record.status != "indexed":
            why = f" (skipped: {record.reason})" if record is not None and record.reason else ""
            raise GemseekError(f"{path} is not in the index{why}")
        own = catalog.chunk_ids_of_file(record.id)
        ids, vecs = catalog.chunk_vectors(own, self.store.model)
        if len(ids) == 0:
            raise GemseekError(f"{path} has no vectors for the model in use yet; try again when indexing is done")
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        centre = vecs.mean(axis=0)
        centre /= max(float(np.linalg.norm(centre)), 1e-12)
        mine = set(own)
        if filters.active:
            ok = set(catalog.allowed_chunk_ids(filters).tolist()) - mine
            reachable, allowed = len(ok), ok.__contains__
        else:
            own_indexed = sum(c in self.store.vectors for c in mine)
            reachable, allowed = len(self.store.vectors) - own_indexed, (lambda c: c not in mine)
        k = min(self.options.vector_candidates * 2, reachable)  # hnswlib cannot return more than pass the filter
        if k == 0:
            return []
        found, _ = self.store.vectors.search(centre, k, allowed)
        scores = self._exact(centre, found.tolist())
        return self._group(scores, "", limit, filters)

    def mark_weak(self, results: list[Result]) -> list[Result]:
        """Mark the results that are weak matches (see :class:`SearchOptions`); the order stays."""
        bar = weak_bar([r.score for r in results], self.options.weak_floor, self.options.weak_margin)
        return [dataclasses.replace(r, weak=r.score < bar) for r in results]

    def _newest(self, limit: int, filters: Filters) -> list[Result]:
        """The files that follow ``filters``, newest first, each with its first passage."""
        hits = self.store.catalog.chunk_hits(self.store.catalog.newest_first_chunks(filters, limit), filters)
        ordered = sorted(hits.values(), key=lambda h: -h.mtime_ns)
        return [_result(0.0, hit, "") for hit in ordered]

    def _group(self, scores: dict[int, float], query: str, limit: int, filters: Filters) -> list[Result]:
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        hits = self.store.catalog.chunk_hits([cid for cid, _ in ranked], filters)
        best: dict[int, tuple[float, ChunkHit]] = {}
        for cid, score in ranked:
            hit = hits.get(cid)
            if hit is None or hit.file_id in best:
                continue  # gone since the index was saved, filtered out, or a lesser chunk of a file
            best[hit.file_id] = (score, hit)
            if len(best) == limit:
                break
        return [_result(score, hit, query) for score, hit in best.values()]


BACKGROUND = (10, 30)  # the ranks (0-based, end excluded) whose median score is the query's background


def weak_bar(scores: list[float], floor: float, margin: float) -> float:
    """The score a result of a ranked list needs to be a real match: ``floor``, and ``margin`` above the median
    of the scores ranked 11th to 30th when there are any."""
    tail = sorted(scores, reverse=True)[BACKGROUND[0]:BACKGROUND[1]]
    if not tail:
        return floor
    return max(floor, float(np.median(tail)) + margin)


def with_rules(filters: Filters, q: ParsedQuery) -> Filters:
    """``filters`` narrowed by the rules of a parsed query (both hold: a type must pass both type lists)."""
    types = filters.types & q.types if filters.types and q.types else filters.types or q.types
    if filters.types and q.types and not types:
        types = frozenset({"\0none"})  # two type lists with nothing in common: nothing passes
    after = max((t for t in (filters.after_ns, q.after_ns) if t is not None), default=None)
    before = min((t for t in (filters.before_ns, q.before_ns) if t is not None), default=None)
    return Filters(
        types=types, folders=filters.folders, after_ns=after, before_ns=before,
        folder_names=filters.folder_names + q.folders,
        match_all=filters.match_all + tuple(e for e in map(phrase_expression, q.phrases) if e),
        match_none=filters.match_none + tuple(e for e in map(phrase_expression, q.excluded) if e),
    )


_IDENTIFIER = re.compile(r"\w_\w|[a-z][A-Z]|\w\.\w|[A-Za-z]\d|\d[A-Za-z]")


def keyword_style(query: str) -> float:
    """How much a query asks for exact words (1) rather than meaning (0)."""
    if len(query_terms(query)) <= 3:
        return 1.0
    return 0.5 if any(_IDENTIFIER.search(w) for w in query.split()) else 0.0


def _result(score: float, hit: ChunkHit, query: str) -> Result:
    snippet, marks = make_snippet(hit.text, query)
    return Result(
        path=path_from_key(hit.path),
        display=display_path(hit.path),
        score=float(score),
        snippet=snippet,
        highlights=marks,
        char_start=hit.char_start,
        char_end=hit.char_end,
        page=hit.page,
        line=hit.line,
        title=hit.title,
        kind=hit.kind,
        ext=hit.ext,
        modified=hit.mtime_ns / 1e9,
        passage=hit.text,
    )
