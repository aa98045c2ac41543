"""``gemseek index``, ``watch`` and ``status``: build the index and keep it fresh."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from app.cli.term import ProgressPrinter, human_bytes
from app.core import instance_socket
from app.core import settings as settings_mod
from app.core.catalog import Catalog, IndexStats
from app.core.errors import GemseekError
from app.core.extract.ocr import UNAVAILABLE as OCR_UNAVAILABLE
from app.core.extract.ocr import available as ocr_available
from app.core.model_setup import active_type
from app.core.paths import Paths
from app.core.progress import Cancelled, CancelToken
from app.core.services import IndexService, index_size
from app.core.store import catalog_path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "index",
        help="index folders (added to the configured ones) and bring the index up to date",
        description="Add PATHs to the folders Gemseek indexes (if given), then index every configured "
        "folder: new and changed files are read, unchanged ones are not. Ctrl-C stops cleanly; "
        "the next run continues where this one stopped.",
    )
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="folders (or files) to add")
    p.add_argument("--ocr", action=argparse.BooleanOptionalAction, default=None,
                   help="read text in images and scanned PDF pages by OCR, or stop (seconds per page; "
                   "saved in the settings, off until turned on)")
    p.set_defaults(func=run_index)

    w = sub.add_parser(
        "watch",
        help="keep the index fresh in the foreground (for a service manager)",
        description="Catch up with changes made while Gemseek was not running, then follow the "
        "configured folders and index changes as they happen. Ctrl-C stops.",
    )
    w.set_defaults(func=run_watch)

    s = sub.add_parser("status", help="what is indexed, how big it is, and which files were skipped and why")
    s.add_argument("--json", action="store_true", help="print machine-readable JSON")
    s.set_defaults(func=run_status)


def _configured(paths: Paths, added: list[Path], ocr: bool | None = None) -> settings_mod.Settings:
    settings = settings_mod.load(paths.settings_file)
    before = settings
    if added:
        missing = [p for p in added if not p.exists()]
        if missing:
            raise GemseekError(f"no such file or folder: {missing[0]}")
        settings = settings.with_roots(added)
    if ocr is not None:
        if ocr and not ocr_available():
            raise GemseekError(f"OCR is not available: {OCR_UNAVAILABLE}")
        settings = settings.replace(ocr=ocr)
    if settings != before:
        settings_mod.save(settings, paths.settings_file)
    if not settings.roots:
        raise GemseekError("no folders to index yet; run `gemseek index FOLDER`")
    return settings


def run_index(args: argparse.Namespace, paths: Paths) -> int:
    settings = _configured(paths, list(args.paths), args.ocr)
    printer = ProgressPrinter()
    cancel = CancelToken()
    with IndexService(paths, settings, on_progress=printer) as service:
        try:
            service.sync(cancel=cancel)
        except (KeyboardInterrupt, Cancelled):
            printer.close()
            print("Stopped. Indexed files are kept; `gemseek index` continues from here.")
            return 130
        finally:
            printer.close()
        stats = service.store.catalog.stats()
    _summary(stats)
    return 0


def _summary(stats: IndexStats) -> None:
    print(f"{stats.files} files indexed ({stats.chunks} passages)", end="")
    if stats.skipped_files:
        print(f", {stats.skipped_files} skipped (see `gemseek status`)", end="")
    print(".")


def run_watch(args: argparse.Namespace, paths: Paths) -> int:
    settings = _configured(paths, [])
    printer = ProgressPrinter()
    with IndexService(paths, settings, on_progress=printer) as service:
        try:
            for batch, _ in service.watch():
                printer.close()
                if batch is None:
                    print(f"Watching {len(settings.roots)} folder(s); Ctrl-C stops.", flush=True)
                    continue
                n = len(batch.paths) + len(batch.rescan)
                print(f"{time.strftime('%H:%M:%S')} indexed {n} change(s)", flush=True)
        except KeyboardInterrupt:
            printer.close()
            print("Stopped watching.")
    return 0


def run_status(args: argparse.Namespace, paths: Paths) -> int:
    settings = settings_mod.load(paths.settings_file)
    # The catalog alone: counting never loads (or rebuilds) the vector index, which can be gigabytes.
    catalog = Catalog(catalog_path(paths), readonly=True) if catalog_path(paths).is_file() else None
    try:
        stats = catalog.stats() if catalog else IndexStats()
        skipped = catalog.skipped() if catalog else []
    finally:
        if catalog:
            catalog.close()
    status = {
        "roots": list(settings.roots),
        "missing_roots": [r for r in settings.roots if not Path(r).exists()],
        **stats.counts(),
        "index_bytes": index_size(paths),
        "index_folder": str(paths.data),
        "model": {"quantization": settings.quantization, "type": active_type(paths, settings),
                  "dimension": settings.dimension},
        "skipped": [{"path": p, "reason": r} for p, r in skipped],
        # what the desktop app running on this index shows (None when it is not running)
        "app": instance_socket.ask(paths.data, "state"),
    }
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    print("Folders:  " + (", ".join(status["roots"]) or "none yet (`gemseek index FOLDER`)"))
    for r in status["missing_roots"]:
        print(f"  missing: {r} (its files stay indexed until it is back)")
    print(f"Indexed:  {stats.files} files, {stats.chunks} passages, {human_bytes(status['index_bytes'])}"
          f" in {paths.data}")
    in_use = status["model"]["type"]
    kind = f"auto ({in_use or 'chosen on first use'})" if settings.quantization == "auto" else settings.quantization
    print(f"Model:    EmbeddingGemma {kind}, {settings.dimension} dimensions")
    last = stats.last_update
    print("Updated:  " + (time.strftime("%Y-%m-%d %H:%M", time.localtime(last)) if last else "never"))
    if status["app"]:
        print(f"App:      running (process {status['app'].get('pid')}), indexing: "
              f"{status['app'].get('indexing') or 'starting'}")
    if skipped:
        print(f"Skipped:  {len(skipped)} files left out, or indexed only in part")
        _print_skipped(skipped)
    return 0


def _print_skipped(skipped: list[tuple[str, str]], most: int = 30) -> None:
    """Every skipped file with its reason; past ``most``, a count per reason with a few examples
    (a photo folder would bury the few files that need a look; ``--json`` lists them all)."""
    if len(skipped) <= most:
        for path, reason in skipped:
            print(f"  {path}: {reason}")
        return
    by_reason: dict[str, list[str]] = {}
    for path, reason in skipped:
        by_reason.setdefault(reason, []).append(path)
    for reason, files in sorted(by_reason.items(), key=lambda kv: len(kv[1])):
        print(f"  {reason}: {len(files)} file{'s' if len(files) != 1 else ''}")
        for path in files[:3]:
            print(f"    {path}")
        if len(files) > 3:
            print(f"    … and {len(files) - 3} more (gemseek status --json lists them all)")
