"""``gemseek demo`` (and ``gemseek`` alone): index, then search.

With no folders configured, it indexes the bundled sample documents (into an
index of their own, so they never mix with yours) and runs a few searches. Once
folders are configured (`gemseek index FOLDER`), it brings their index up to
date instead.
"""

from __future__ import annotations

import argparse
import sys

from app.cli.search_cmd import print_results
from app.cli.term import ProgressPrinter
from app.core import settings as settings_mod
from app.core.paths import Paths
from app.core.services import IndexService, SearchService, working_set

SAMPLE_QUERIES = (
    "speech honoring soldiers who died on a battlefield",
    "poem about a father riding through the night with his child",
    "save food for the winter instead of singing all summer",
    "a cat that has no name yet",
    "function that retries HTTP calls",
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="in the terminal: index the sample documents (or your folders) and search them",
        description="Without configured folders: index the bundled sample documents and run sample "
        "searches. With folders: bring their index up to date.",
    )
    p.add_argument("query", nargs="*", help="your own query for the samples")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, paths: Paths) -> int:
    settings = settings_mod.load(paths.settings_file)
    printer = ProgressPrinter()
    if settings.roots:
        with IndexService(paths, settings, on_progress=printer) as service:
            service.sync()
            printer.close()
            stats = service.store.catalog.stats()
        print(f"{stats.files} files indexed in {len(settings.roots)} folder(s). "
              'Search with: gemseek search "what you remember"')
        return 0

    demo_paths, demo_settings = working_set(paths, settings)
    samples = demo_settings.roots[0]
    with IndexService(demo_paths, demo_settings, on_progress=printer) as service:
        service.sync()
    printer.close()
    queries = [" ".join(args.query)] if getattr(args, "query", None) else list(SAMPLE_QUERIES)
    with SearchService(demo_paths, demo_settings) as service:
        for q in queries:
            print(f'\nSearch: "{q}"')
            results = service.search(q, 3)
            print_results(results, service.searcher.last_timings.get("total", 0.0), sys.stdout.isatty())
    print(f"\nThese were the sample documents in {samples}.")
    print('Index your own folders with: gemseek index FOLDER, then: gemseek search "what you remember"')
    return 0
