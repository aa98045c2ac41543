"""``gemseek demo``: prove the model works end to end on a few bundled sentences."""

from __future__ import annotations

import argparse
import time
import numpy as np

from app.cli.term import ProgressPrinter
from app.core import settings as settings_mod
from app.core.model_setup import load_embedder, prepare_model
from app.core.paths import Paths, resources_dir

SAMPLE_QUERY = "letter about the rent increase"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="embed a few bundled sentences and rank them against a query (the default)",
        description="Make sure the model is fetched and converted, then rank bundled "
        "sentences against a query by meaning.",
    )
    p.add_argument("query", nargs="?", default=SAMPLE_QUERY, help=f"what to look for (default: {SAMPLE_QUERY!r})")
    p.set_defaults(func=run)


def _sentences() -> list[str]:
    lines = (resources_dir() / "demo" / "sentences.txt").read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def run(args: argparse.Namespace, paths: Paths) -> int:
    query = getattr(args, "query", None) or SAMPLE_QUERY
    settings = settings_mod.load(paths.settings_file)
    printer = ProgressPrinter()
    for p in prepare_model(paths, settings):
        printer(p)
    printer.close()

    embedder = load_embedder(paths, settings)
    try:
        docs = _sentences()
        t0 = time.perf_counter()
        doc_vecs = embedder.embed_documents(docs)
        t1 = time.perf_counter()
        q = embedder.embed_query(query)
        t2 = time.perf_counter()
    finally:
        embedder.close()
    scores = doc_vecs @ q
    print(f'Query: "{query}"  ({settings.quantization}, {settings.dimension}-d)')
    for rank, i in enumerate(np.argsort(-scores), 1):
        print(f"{rank:2d}. {scores[i]:.3f}  {docs[i]}")
    print(
        f"Embedded {len(docs)} sentences in {(t1 - t0) * 1000:.0f} ms, "
        f"the query in {(t2 - t1) * 1000:.0f} ms."
    )
    return 0
