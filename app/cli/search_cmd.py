"""``gemseek search``: ranked files for what you remember, with the passage that matched."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from app.core import settings as settings_mod
from app.core.catalog import Filters
from app.core.errors import GemseekError
from app.core.paths import Paths
from app.core.search import MODES, Result
from app.core.services import SearchService, folder_filter

BOLD, DIM, RESET = "\033[1m", "\033[2m", "\033[0m"
MARK = "\033[1;33m"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "search",
        help="find files by meaning",
        description="Rank indexed files by how well they match QUERY (by meaning and by words), "
        "each with its best passage. QUERY may hold operators: \"exact phrase\" (must appear), -word "
        "(must not), type:pdf, in:folder-name, after:2025-01-31, before:2025-12-31; a QUERY of operators "
        "only lists the newest files that follow them.",
    )
    p.add_argument("query", nargs="?", help="what you remember (not needed with --queries-file)")
    p.add_argument("-n", "--limit", type=int, default=10, help="how many files (default 10)")
    p.add_argument("--type", help="only these file types, e.g. pdf,md (extensions or kinds)")
    p.add_argument("--in", dest="folders", action="append", type=Path, metavar="DIR",
                   help="only files under DIR (repeatable)")
    p.add_argument("--after", help="only files modified on or after DATE (YYYY-MM-DD)")
    p.add_argument("--mode", choices=MODES, default="hybrid",
                   help="hybrid (default), vector (meaning only) or keyword (words only)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--queries-file", type=Path, metavar="FILE",
                   help="answer every line of FILE (text, or JSON with a \"query\" field); one JSON line each")
    p.set_defaults(func=run)

    s = sub.add_parser(
        "similar",
        help="find the files most like a file",
        description="Rank indexed files by how close their content is to FILE's (from the stored vectors; "
        "nothing is embedded), each with its closest passage. FILE itself is left out.",
    )
    s.add_argument("file", type=Path, metavar="FILE", help="an indexed file")
    s.add_argument("-n", "--limit", type=int, default=10, help="how many files (default 10)")
    s.add_argument("--type", help="only these file types, e.g. pdf,md (extensions or kinds)")
    s.add_argument("--in", dest="folders", action="append", type=Path, metavar="DIR",
                   help="only files under DIR (repeatable)")
    s.add_argument("--after", help="only files modified on or after DATE (YYYY-MM-DD)")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=run_similar)


def _filters(args: argparse.Namespace) -> Filters:
    types = frozenset(t.strip().lower().lstrip(".") for t in (args.type or "").split(",") if t.strip())
    after = None
    if args.after:
        try:
            after = int(datetime.fromisoformat(args.after).timestamp() * 1e9)
        except ValueError:
            raise GemseekError(f"--after wants a date like 2024-05-31, not {args.after!r}") from None
    return Filters(types=types, folders=folder_filter(args.folders or []), after_ns=after)


def _queries(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise GemseekError(f"cannot read {path}: {exc.strerror or exc}") from None
    out = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                line = json.loads(line)["query"]
            except (ValueError, KeyError, TypeError):
                raise GemseekError(f"{path}: a JSON line without a \"query\" field: {line[:60]}") from None
        out.append(line)
    return out


def run(args: argparse.Namespace, paths: Paths) -> int:
    if not args.query and not args.queries_file:
        raise GemseekError("give a QUERY, or --queries-file FILE")
    if args.limit < 1:
        raise GemseekError("--limit must be at least 1")
    filters = _filters(args)
    settings = settings_mod.load(paths.settings_file)
    with SearchService(paths, settings, need_model=args.mode != "keyword") as service:
        if args.queries_file:
            for q in _queries(args.queries_file):
                results = service.search(q, args.limit, filters, args.mode)
                print(json.dumps({"query": q, "results": [r.to_json() for r in results]}, ensure_ascii=False))
            return 0
        t0 = time.perf_counter()
        results = service.search(args.query, args.limit, filters, args.mode)
        elapsed = time.perf_counter() - t0
    if args.json:
        print(json.dumps({"query": args.query, "results": [r.to_json() for r in results]}, ensure_ascii=False,
                         indent=2))
        return 0
    print_results(results, elapsed, sys.stdout.isatty())
    return 0


def run_similar(args: argparse.Namespace, paths: Paths) -> int:
    if args.limit < 1:
        raise GemseekError("--limit must be at least 1")
    filters = _filters(args)
    settings = settings_mod.load(paths.settings_file)
    with SearchService(paths, settings, need_model=False) as service:
        t0 = time.perf_counter()
        results = service.searcher.similar(args.file.expanduser(), args.limit, filters)
        elapsed = time.perf_counter() - t0
    if args.json:
        print(json.dumps({"similar_to": str(args.file), "results": [r.to_json() for r in results]},
                         ensure_ascii=False, indent=2))
        return 0
    print_results(results, elapsed, sys.stdout.isatty())
    return 0


def print_results(results: list[Result], elapsed: float, color: bool) -> None:
    if not results:
        print("No matching files.")
        return
    for i, r in enumerate(results, 1):
        if r.weak and (i == 1 or not results[i - 2].weak):
            print(f"    {DIM if color else ''}— weaker matches —{RESET if color else ''}")
        where = f"page {r.page}" if r.page else (f"line {r.line}" if r.line else "")
        head = f"{i:2d}. {r.display}"
        print((BOLD + head + RESET) if color else head, end="")
        print(f"  ({where}, score {r.score:.3f})" if where else f"  (score {r.score:.3f})")
        print("    " + _highlight(r.snippet, r.highlights, color))
    print(f"{len(results)} files in {elapsed * 1000:.0f} ms")


def _highlight(text: str, marks: tuple[tuple[int, int], ...], color: bool) -> str:
    out, pos = [], 0
    for a, b in marks:
        out.append(text[pos:a])
        out.append(f"{MARK}{text[a:b]}{RESET}" if color else f"[{text[a:b]}]")
        pos = b
    out.append(text[pos:])
    return "".join(out)
