"""The desktop app's own memory on a big index: idle with the model loaded, idle after it is unloaded, and peak.

    python bench/gui_memory.py HOME DIM [--queries 10]

HOME is a point's home that `bench/search.py --keep` left (a catalog of
synthetic passages whose small files are under HOME/files, and its vector
index). Its settings get HOME/files as the one folder and DIM as the index
dimension; then the real app starts in a child process (`app.main.run_gui`,
offscreen: window, tray, indexing supervisor, search thread), catches up with
the folder, and answers --queries eval queries typed into its window. Then,
sampled from inside the app's process (VmRSS):

* ``rss_mb_idle_model_loaded``: 2 s after the last answer;
* ``rss_mb_idle``: once the index and search sides have both let the model go
  (MODEL_IDLE_S unused; ``unloaded_after_s`` from the last answer);
* ``warm_s`` and ``first_query_after_idle_ms``: the quick-search popup is shown
  (the search thread loads the model again) and a query is answered 1 s later;
* ``rss_mb_peak``: VmHWM over the whole run (start, catch-up, searches).

Prints one JSON object and writes it to bench/out/gui_memory.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.shared import run_child, status_mb

OUT = ROOT / "bench" / "out" / "gui_memory.json"


def _steps(controller, queries: list[str], report: dict):
    """The scenario, one wait at a time: each ``yield`` gives the event loop a turn."""
    from app.core import llama_backend
    from app.core.services import MODEL_IDLE_S

    def until(predicate, seconds: float, what: str):
        deadline = time.monotonic() + seconds
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            yield

    def pause(seconds: float):
        end = time.monotonic() + seconds
        yield from until(lambda: time.monotonic() >= end, seconds + 1, "a pause")

    window, panel = controller.window, controller.window.search
    answers: list[float] = []
    panel.searched.connect(lambda request, count, ms: answers.append(ms))
    started = time.monotonic()
    def caught_up() -> bool:
        if controller.indexing.state == "failed":  # e.g. another process indexes this home
            raise RuntimeError(f"indexing failed: {window.status.files.text()}")
        return window.status.state == "watching"

    yield from until(caught_up, 1800, "the catch-up")
    report["caught_up_s"] = round(time.monotonic() - started, 1)
    for q in queries:
        n = len(answers)
        panel.box.setText(q)
        panel.search_now()
        yield from until(lambda n=n: len(answers) > n, 120, "an answer")
    report["search_ms_median"] = round(sorted(answers)[len(answers) // 2], 1)
    report["native_models_loaded"] = llama_backend.loaded_models()
    last = time.monotonic()
    yield from pause(2)
    report["rss_mb_idle_model_loaded"] = round(status_mb("VmRSS"))
    yield from until(lambda: llama_backend.loaded_models() == 0, MODEL_IDLE_S + 120, "the model to be unloaded")
    report["unloaded_after_s"] = round(time.monotonic() - last, 1)
    yield from pause(1)
    report["rss_mb_idle"] = round(status_mb("VmRSS"))
    shown = time.monotonic()
    controller.show_quick()
    yield from until(lambda: llama_backend.loaded_models() == 1, 120, "the model to be loaded again")
    report["warm_s"] = round(time.monotonic() - shown, 2)
    yield from pause(1)
    quick = controller.quick.panel
    got: list[float] = []
    quick.searched.connect(lambda request, count, ms: got.append(ms))
    t = time.perf_counter()
    quick.box.setText("weekly meeting garden report")
    quick.search_now()
    yield from until(lambda: bool(got), 120, "the first answer after idle")
    report["first_query_after_idle_ms"] = round((time.perf_counter() - t) * 1000, 1)
    report["rss_mb_peak"] = round(status_mb("VmHWM"))
    report["model_idle_s"] = MODEL_IDLE_S


def child(home: Path, queries: int) -> int:
    from PySide6.QtCore import QTimer

    from app.core.paths import Paths
    from app.main import run_gui
    from bench.corpus import eval_queries

    report: dict = {"rss_mb_start": round(status_mb("VmRSS"))}
    timer = QTimer()

    def ready(controller) -> None:
        steps = _steps(controller, eval_queries()[:queries], report)

        def tick() -> None:
            try:
                next(steps)
            except StopIteration:
                timer.stop()
                controller.quit()
            except Exception as exc:  # report it, and let the app end
                report["error"] = f"{type(exc).__name__}: {exc}"
                timer.stop()
                controller.quit()

        timer.timeout.connect(tick)
        timer.start(20)

    status = run_gui(Paths.resolve(home), on_ready=ready)
    print(json.dumps(report), flush=True)
    return status or (1 if "error" in report else 0)


def prepare(home: Path, dim: int) -> None:
    """The home's settings: its files folder, the point's dimension; no first-run dialog."""
    from app.core import settings as settings_mod
    from app.core.paths import Paths

    paths = Paths.resolve(home)
    settings = settings_mod.load(paths.settings_file).replace(roots=(str(home / "files"),), dimension=dim)
    settings_mod.save(settings, paths.settings_file)
    (paths.config / "first-run-done").touch()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("home", type=Path)
    p.add_argument("dim", type=int)
    p.add_argument("--queries", type=int, default=10)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args.home, args.queries)
    prepare(args.home, args.dim)
    app = run_child(str(Path(__file__).resolve()), [str(args.home), str(args.dim), "--queries", str(args.queries)])
    report = {"dim": args.dim, **app, "load": os.getloadavg()}
    print(json.dumps(report), flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
