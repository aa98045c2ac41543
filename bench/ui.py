"""Desktop app speed: cold start to a usable search box, and keystroke-to-results latency.

    python bench/ui.py [--queries 30] [--key-interval-ms 80]

Uses the real model and an index of ../shared/eval's dev corpus (copied from
bench/out/quality-home when bench/quality.py has built one, else indexed
here). Runs offscreen (no display needed).

* Cold start: a fresh process is timed from its launch to the first turn of
  the event loop with the window shown (the search box takes keys from then
  on), and to the first answer of a query typed at once.
* Keystroke to results: each eval query is typed into the real window one
  key every ``--key-interval-ms``; the latency is from the last key press to
  the results of the whole query painted in the list.

Prints the numbers and writes bench/out/ui.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.corpus import corpus_dir, eval_queries

OUT = ROOT / "bench" / "out"
HOME = OUT / "ui-home"
QUALITY_HOME = OUT / "quality-home"


def models_env() -> dict:
    env = dict(os.environ)
    if "GEMSEEK_MODELS" not in env:
        from app.core.paths import Paths

        env["GEMSEEK_MODELS"] = str(Paths.resolve().models)
    return env


def prepare_home(env: dict) -> None:
    """An indexed home at 768-d with the dev corpus as its folder."""
    if HOME.exists():
        shutil.rmtree(HOME)
    if (QUALITY_HOME / "data" / "index" / "catalog.sqlite").is_file():
        shutil.copytree(QUALITY_HOME / "config", HOME / "config")
        shutil.copytree(QUALITY_HOME / "data" / "index", HOME / "data" / "index")
        settings = json.loads((HOME / "config" / "settings.json").read_text())
        settings["dimension"] = 768
        (HOME / "config" / "settings.json").write_text(json.dumps(settings))
    else:
        subprocess.run([sys.executable, "-m", "app", "--home", str(HOME), "index", str(corpus_dir())],
                       env=env, check=True, cwd=ROOT)
    (HOME / "config" / "first-run-done").touch()


def cold_start(env: dict) -> dict:
    launched = time.time()
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(launched)], env=env,
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    if out.returncode != 0:
        raise SystemExit(f"cold-start child failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(launched: float) -> int:
    """Start the real app; report when the box is usable and when the first answer came."""
    from PySide6.QtCore import QTimer

    from app.core.paths import Paths
    from app.main import run_gui

    report: dict = {}

    def ready(controller) -> None:
        report["window_ready_s"] = round(time.time() - launched, 3)
        panel = controller.window.search
        panel.searched.connect(lambda *_: first_answer(controller))
        panel.box.setText("letter about the rent increase")
        panel.search_now()
        QTimer.singleShot(120_000, controller.quit)

    def first_answer(controller) -> None:
        if "first_results_s" not in report:
            report["first_results_s"] = round(time.time() - launched, 3)
            controller.quit()

    run_gui(Paths.resolve(HOME), on_ready=ready)
    print(json.dumps(report), flush=True)
    return 0


def keystrokes(n_queries: int, interval_ms: int) -> dict:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from app.core import settings as settings_mod
    from app.core.paths import Paths
    from app.main import build_app

    app = QApplication.instance() or QApplication([])
    paths = Paths.resolve(HOME)
    settings = settings_mod.load(paths.settings_file)
    controller = build_app(paths, settings, QIcon())
    controller.start(first_run=False)
    window, panel = controller.window, controller.window.search
    wait_until(app, lambda: window.status.state == "watching", 600)
    queries = eval_queries()
    warm = "warm up the model"
    panel.box.setText(warm)
    wait_until(app, lambda: panel.message.text().endswith("ms") or "No matching" in panel.message.text(), 60)

    typist = Typist(panel, queries[:n_queries], interval_ms)
    latencies, engine_ms = typist.run()
    done: list[bool] = []
    controller.stopped.connect(lambda: done.append(True))
    controller.quit()
    wait_until(app, lambda: bool(done), 60)
    QTimer.singleShot(0, app.quit)
    latencies.sort()
    return {
        "queries": len(latencies),
        "key_interval_ms": interval_ms,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[max(0, round(0.95 * len(latencies)) - 1)], 1),
        "max_ms": round(latencies[-1], 1),
        "search_engine_median_ms": round(statistics.median(engine_ms), 1),
    }


class Typist:
    """Types each query into the box, one key per timer tick, from inside the event loop.

    Typing from a timer (not from QTest.qWait) keeps the real app's situation:
    the GUI thread sits in its event loop, which lets the search thread run.
    """

    def __init__(self, panel, queries: list[str], interval_ms: int) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        self.panel, self.queries, self.interval = panel, queries, interval_ms
        self.loop = QEventLoop()
        self.timer = QTimer(interval=interval_ms)
        self.timer.timeout.connect(self._key)
        self.pause = QTimer(singleShot=True, interval=300)  # between queries
        self.pause.timeout.connect(self.timer.start)
        self.latencies: list[float] = []
        self.engine_ms: list[float] = []
        self.current = -1
        self.typed = 0
        self.last_key = 0.0
        panel.searched.connect(self._answered)

    def run(self) -> tuple[list[float], list[float]]:
        self._next()
        self.loop.exec()
        return sorted(self.latencies), self.engine_ms

    def _next(self) -> None:
        self.current += 1
        if self.current >= len(self.queries):
            self.loop.quit()
            return
        self.panel.box.clear()
        self.panel.search_now()
        self.typed = 0
        self.pause.start()

    def _key(self) -> None:
        from PySide6.QtTest import QTest

        query = self.queries[self.current]
        QTest.keyClicks(self.panel.box, query[self.typed])
        self.last_key = time.perf_counter()
        self.typed += 1
        if self.typed == len(query):
            self.timer.stop()

    def _answered(self, request, count, ms) -> None:
        if self.current >= len(self.queries) or self.typed < len(self.queries[self.current]):
            return
        if request.query != self.queries[self.current].strip():
            return
        self.panel.view.viewport().repaint()  # count the painting of the list too
        self.latencies.append((time.perf_counter() - self.last_key) * 1000)
        self.engine_ms.append(ms)
        self._next()


def wait_until(app, predicate, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the app")
        app.processEvents()
        time.sleep(0.002)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--queries", type=int, default=30)
    p.add_argument("--key-interval-ms", type=int, default=80)
    p.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args.child)
    env = models_env()
    os.environ.update(env)
    prepare_home(env)
    results = {"cold_start": [cold_start(env) for _ in range(3)]}
    print("cold start:", json.dumps(results["cold_start"]), flush=True)
    results["keystroke"] = keystrokes(args.queries, args.key_interval_ms)
    print("keystroke to results:", json.dumps(results["keystroke"]), flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ui.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {OUT / 'ui.json'}", flush=True)
    os._exit(0)  # skip interpreter teardown: PySide6 can crash destroying Qt objects at exit


if __name__ == "__main__":
    raise SystemExit(main())
