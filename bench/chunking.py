"""Chunking speed on real documents, and which ones do not finish, with the real tokenizer.

    python bench/chunking.py DIR [--gguf FILE] [--limit-s 10] [--chunker-from GIT-REV]

Extracts every supported file under DIR, cuts it with the indexer's options
(title "both", headings in the title, outline, stub sections merged, 256/32
tokens) and the tokenizer of FILE (default: the active model of
GEMSEEK_HOME), and reports the total time, the slowest documents and every
document that did not return within --limit-s seconds. With --chunker-from,
app/core/chunking.py as it was at that git revision is measured instead (to
show a bug and its fix on the same documents). Writes bench/out/chunking.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out" / "chunking.json"


class _TooLong(Exception):
    pass


def _alarm(signum, frame) -> None:
    raise _TooLong()


def _chunker(rev: str | None):
    if not rev:
        from app.core import chunking

        return chunking
    source = subprocess.run(["git", "show", f"{rev}:app/core/chunking.py"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / "chunking_at_rev.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("chunking_at_rev", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", type=Path)
    p.add_argument("--gguf", type=Path)
    p.add_argument("--limit-s", type=float, default=10.0)
    p.add_argument("--chunker-from", metavar="REV")
    args = p.parse_args()

    from app.core import settings as settings_mod
    from app.core.extract import SkipFile, extract
    from app.core.indexer import IndexOptions, _title
    from app.core.llama_backend import LlamaEncoder
    from app.core.model_setup import active_type
    from app.core.paths import Paths

    paths = Paths.resolve()
    gguf = args.gguf or paths.gguf_file(active_type(paths, settings_mod.load(paths.settings_file)) or "Q8_0")
    enc = LlamaEncoder(gguf, threads=1, extra_bufts=False)  # only its tokenizer is used

    def count(text: str) -> int:
        return len(enc.tokenize(text))

    chunking = _chunker(args.chunker_from)
    o = IndexOptions()
    signal.signal(signal.SIGALRM, _alarm)
    rows, stuck = [], []
    for f in sorted(x for x in args.folder.rglob("*") if x.is_file()):
        try:
            doc = extract(f)
        except SkipFile:
            continue
        doc = dataclasses.replace(doc, title=_title(o.title, f.name, doc.title))
        signal.setitimer(signal.ITIMER_REAL, args.limit_s)
        t0 = time.perf_counter()
        try:
            chunks = chunking.chunk_document(doc, f.name, count, max_tokens=o.chunk_tokens,
                                             overlap_tokens=o.overlap_tokens, headings_in_title=o.headings_in_title,
                                             outline=o.outline, min_section_tokens=o.min_section_tokens)
        except _TooLong:
            stuck.append(str(f.relative_to(args.folder)))
            continue
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        took = time.perf_counter() - t0
        over = [c for c in chunks if c.tokens > o.chunk_tokens]
        rows.append({"file": str(f.relative_to(args.folder)), "chars": len(doc.text), "passages": len(chunks),
                     "tokens": sum(c.tokens for c in chunks), "seconds": round(took, 3), "over_budget": len(over)})
    rows.sort(key=lambda r: -r["seconds"])
    total = {"documents": len(rows) + len(stuck), "finished": len(rows), "did_not_return": stuck,
             "passages": sum(r["passages"] for r in rows), "tokens": sum(r["tokens"] for r in rows),
             "seconds": round(sum(r["seconds"] for r in rows), 1),
             "passages_over_budget": sum(r["over_budget"] for r in rows), "slowest": rows[:5]}
    print(json.dumps(total, indent=2))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(total, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
