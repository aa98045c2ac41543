"""Use the built program the way a person would, and check everything from outside its process.

Each check runs the built artifact (the frozen folder, or the AppImage) in a
throw-away home and looks at it only through what it shows: exit status and
output, ``gemseek status --json`` (which asks the running app what its
windows show), window titles read with xdotool on a virtual X screen, the
processes left behind. Nothing here imports the program under test.

Needs, for the GUI and engine checks (installer/build.py installs them on
Debian when missing): Xvfb, xdotool, trayer (a tray for the icon to sit
in), qemu-user (to hide AVX-512 and newer from the program).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# A query of the bundled samples and the sample it must find first (resources/samples).
QUERY = ("a cat that has no name yet", "wagahai-wa-neko-de-aru.txt")


@dataclass
class Report:
    """What the checks found: failures (each a line and details) and the figures measured on the way."""

    failures: list[str] = field(default_factory=list)
    figures: dict = field(default_factory=dict)

    def check(self, name: str, ok: bool, details: str = "") -> bool:
        print(f"{'ok  ' if ok else 'FAIL'} {name}", flush=True)
        if not ok:
            self.failures.append(f"{name}\n{details}".rstrip())
        return ok


def _env(home: Path, models: Path | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GEMSEEK_", "QT_", "APPIMAGE", "APPDIR"))}
    env.update({"HOME": str(home), "GEMSEEK_HOME": str(home / "gemseek"), "XDG_DATA_HOME": str(home / "share"),
                "XDG_CONFIG_HOME": str(home / "config"), **extra})
    env.pop("XDG_RUNTIME_DIR", None)
    if models:
        env["GEMSEEK_MODELS"] = str(models)
    return env


def run(program: list[str], args: list[str], env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*program, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False)


# -- command line ----------------------------------------------------------------------------------
def cli(program: list[str], report: Report, models: Path | None = None, label: str = "") -> None:
    """``--version``, ``--help``, ``model status --json``, ``status --json``, the converter, and the demo."""
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(Path(tmp), models, QT_QPA_PLATFORM="offscreen")
        checks: dict[str, tuple[list[str], Callable]] = {
            "--version": (["--version"], lambda p: p.stdout.startswith("gemseek ")),
            "--help": (["--help"], lambda p: "search" in p.stdout and "quick" in p.stdout),
            "model status --json": (["model", "status", "--json"], lambda p: "checkpoint" in json.loads(p.stdout)),
            "status --json": (["status", "--json"], lambda p: json.loads(p.stdout)["files"] == 0),
            "-m convert --help": (["-m", "convert", "--help"], lambda p: "--type" in p.stdout),
        }
        if models:
            checks[f"demo {QUERY[0]}"] = (["demo", QUERY[0]], lambda p: p.stdout.split(" 1. ")[1].split()[0]
                                          .endswith(QUERY[1]))
        for name, (args, ok) in checks.items():
            proc = run(program, args, env, timeout=1800)
            try:
                good = proc.returncode == 0 and bool(ok(proc)) and "Traceback" not in proc.stderr
            except (ValueError, KeyError, IndexError):
                good = False
            report.check(f"{label}gemseek {name}", good,
                         f"exit {proc.returncode}\n{proc.stdout[-800:]}\n{proc.stderr[-2000:]}")


# -- the engine inside the bundle ------------------------------------------------------------------
def engine_run(program: list[str], gguf: Path, qtype: str, timeout: float = 900, env: dict | None = None,
               quick: bool = False) -> dict:
    """Embed the probe's texts with ``program``'s own llama.cpp (its probe worker); vectors, speed, kernels."""
    import numpy as np

    from app.core.engine.probe import fidelity, probe_texts
    from app.core.engine.runner import ProbeRunner

    texts = probe_texts()
    reference = texts.pop("reference")
    runner = ProbeRunner([*program, "model", "probe-worker"], env=env, load_timeout=timeout,
                         variant_timeout=timeout)
    model = {"qtype": qtype, "path": str(gguf), "extra_bufts": True, "gpu_layers": 0, "cpu_tensors": []}
    outcome = runner.run(model, [{"threads": os.cpu_count() or 2, "flash_attn": True}],
                         {**texts, "min_seconds": 0.0 if quick else 2.0, "query_rounds": 1 if quick else 3})[0]
    if outcome.result is None:
        return {"ok": False, "failure": outcome.failure}
    import base64

    vectors = np.frombuffer(base64.b64decode(outcome.result["vectors"]), dtype=np.float32).reshape(reference.shape)
    mean, low = fidelity(vectors, reference)
    return {"ok": True, "cos_mean": mean, "cos_min": low, "tokens_per_s": outcome.result["tokens_per_s"],
            "query_ms": outcome.result["query_ms"], "system": outcome.loaded.get("system", "")}


def frozen_env(program: Path) -> dict[str, str]:
    """The environment PyInstaller's bootloader gives the frozen program once it has restarted itself.

    On Linux a frozen folder's program sets its library path and then
    replaces itself (``execve``) with a fresh start of itself. Under
    ``qemu-x86_64`` that second start would run on the real CPU, outside the
    emulator; started with the environment the restart sets, the program
    skips the restart and stays inside it. The environment is read from a
    real start (``/proc/PID/environ``), not guessed.
    """
    proc = subprocess.Popen([str(program), "model", "probe-worker"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def read() -> dict[str, str] | None:
            try:
                raw = Path(f"/proc/{proc.pid}/environ").read_bytes()
            except OSError:
                return None
            env = dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)
            return env if "_PYI_PARENT_PROCESS_LEVEL" in env else None

        env = _wait(read, 60, every=0.05) or {}
    finally:
        proc.kill()
        proc.wait()
    return {k: v for k, v in env.items() if k.startswith(("_PYI_", "LD_LIBRARY_PATH"))}


def under_qemu(cpu: str, frozen: Path) -> tuple[list[str], dict[str, str]]:
    """The command and environment that run the frozen program on an emulated ``cpu``, children included."""
    return [shutil.which("qemu-x86_64") or "qemu-x86_64", "-cpu", cpu, str(frozen)], frozen_env(frozen)


def engine(frozen: Path, models: Path, report: Report, rounds: int = 3) -> None:
    """The bundle's engine: faithful natively and with AVX-512 hidden (qemu, Haswell), and as fast as the
    llama.cpp pip compiled for this very CPU, measured in turns in one run."""
    from app.core.engine.config import BOUNDS

    qtype = "Q8_0"
    gguf = models / "gguf" / f"embeddinggemma-300m-{qtype}.gguf"
    if not gguf.is_file():
        report.check(f"engine: {gguf} exists", False, "convert it first: gemseek model prepare --type Q8_0")
        return
    want_mean, want_min = BOUNDS[qtype]
    bundle = [str(frozen)]
    native = [sys.executable, "-m", "app"]
    runs: dict[str, list[dict]] = {"bundle": [], "native": []}
    for _ in range(rounds):
        for name, program in (("native", native), ("bundle", bundle)):
            runs[name].append(engine_run(program, gguf, qtype))
    for name, results in runs.items():
        good = [r for r in results if r["ok"]]
        report.check(f"engine ({name}): {qtype} embeds the probe texts", len(good) == len(results),
                     "\n".join(r.get("failure", "") for r in results))
        if good:
            r = good[0]
            report.check(f"engine ({name}): vectors within {qtype} fidelity ({r['cos_mean']:.5f} / {r['cos_min']:.5f})",
                         r["cos_mean"] >= want_mean and r["cos_min"] >= want_min)
            report.figures[f"{name}_tokens_per_s"] = [round(x["tokens_per_s"], 1) for x in good]
            report.figures[f"{name}_query_ms"] = [round(x["query_ms"], 2) for x in good]
            report.figures[f"{name}_system"] = r["system"]
            report.figures[f"{name}_cos"] = [round(r["cos_mean"], 6), round(r["cos_min"], 6)]
    if report.figures.get("bundle_tokens_per_s") and report.figures.get("native_tokens_per_s"):
        ratio = (statistics.median(report.figures["bundle_tokens_per_s"])
                 / statistics.median(report.figures["native_tokens_per_s"]))
        report.figures["bundle_vs_native"] = round(ratio, 3)
        print(f"     bundle {statistics.median(report.figures['bundle_tokens_per_s']):.0f} vs native "
              f"{statistics.median(report.figures['native_tokens_per_s']):.0f} tokens/s = {ratio:.2f}×")
    if not report.check("engine: qemu-x86_64 is there to hide CPU features", shutil.which("qemu-x86_64") is not None,
                        "install Debian's qemu-user"):
        return
    # Haswell: AVX2 and nothing newer (no AVX-512, VNNI, BF16, AMX), the floor the issue names. Nehalem
    # (SSE4.2, no AVX at all) shows the emulator really hides what the host has: its kernels must change.
    # The whole program (the demo below) runs on the Haswell only, the floor the README promises: emulating
    # SSE-only kernels through a whole indexing run takes hours. (A part compiled for an AVX-2-only build
    # machine could still use an instruction a Haswell lacks; the x86-64-v2 flags of bundle_python avoid that.)
    for cpu, must_have, must_lack in (("Haswell", "AVX2 = 1", "AVX512"), ("Nehalem", "SSSE3 = 1", "AVX")):
        command, env = under_qemu(cpu, frozen)
        r = engine_run(command, gguf, qtype, timeout=3600, env=env, quick=True)
        name = f"engine ({cpu} under qemu)"
        if report.check(f"{name}: embeds the probe texts", r["ok"], r.get("failure", "")):
            kernels = r["system"].strip()
            report.check(f"{name}: its kernels ({kernels})", must_have in kernels and must_lack not in kernels)
            report.check(f"{name}: vectors within {qtype} fidelity ({r['cos_mean']:.5f} / {r['cos_min']:.5f})",
                         r["cos_mean"] >= want_mean and r["cos_min"] >= want_min)
            report.figures[f"qemu_{cpu.lower()}"] = {"cos": [round(r["cos_mean"], 6), round(r["cos_min"], 6)],
                                                     "system": kernels, "tokens_per_s": round(r["tokens_per_s"], 1)}
        if cpu != "Haswell":
            continue
        # the whole program on that CPU: extraction, embedding, the vector index (hnswlib), search. The
        # engine is pinned (Q8_0, 2 threads) as a user can in Settings, so the probe measures one type
        # instead of five: under the emulator every pass is tens of times slower, and choosing between
        # types is tested natively.
        with tempfile.TemporaryDirectory() as tmp:
            demo_env = _env(Path(tmp), models, QT_QPA_PLATFORM="offscreen")
            pinned_engine(Path(demo_env["GEMSEEK_HOME"]), qtype)
            demo = subprocess.run([*command, "demo", QUERY[0]], capture_output=True, text=True, timeout=7200,
                                  env={**demo_env, **env}, check=False)
        top = demo.stdout.split(" 1. ")[1].split()[0] if " 1. " in demo.stdout else ""
        report.check(f"{name}: gemseek demo finds {QUERY[1]} first", demo.returncode == 0 and top.endswith(QUERY[1]),
                     f"exit {demo.returncode}\n{demo.stdout[-800:]}\n{demo.stderr[-2000:]}")


def pinned_engine(home: Path, qtype: str, threads: int = 2) -> None:
    """Settings in ``home`` that fix the model type and thread count (the probe then measures only them)."""
    from app.core import settings as settings_mod
    from app.core.paths import Paths

    path = Paths.resolve(home).settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    settings_mod.save(settings_mod.Settings(quantization=qtype, threads=threads), path)


# -- the desktop app on a virtual screen -----------------------------------------------------------
@contextlib.contextmanager
def virtual_screen() -> Iterator[str]:
    """An Xvfb screen with a system tray on it (trayer); yields its DISPLAY."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        display = ":" + f.readline().strip()
    tray = subprocess.Popen(["trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
                             "--height", "24", "--SetDockType", "true"], env={**os.environ, "DISPLAY": display},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield display
    finally:
        for p in (tray, xvfb):
            p.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(10)


def _windows(display: str, title: str) -> list[str]:
    proc = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title], capture_output=True, text=True,
                          env={**os.environ, "DISPLAY": display}, check=False)
    return proc.stdout.split()


def _wait(what: Callable[[], object], timeout: float, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def _screenshot(display: str, path: Path) -> bool:
    """Grab the whole virtual screen with Qt (from this environment, not the program under test)."""
    code = ("import sys; from PySide6.QtGui import QGuiApplication; app = QGuiApplication(sys.argv[:1]); "
            "ok = QGuiApplication.primaryScreen().grabWindow(0).save(sys.argv[1]); sys.exit(0 if ok else 1)")
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    return subprocess.run([sys.executable, "-c", code, str(path)], env=env, check=False, timeout=60).returncode == 0


def _processes_of(marker: str) -> list[str]:
    """Processes whose command line or environment mention ``marker`` (the throw-away home)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            blob = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in blob:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            found.append(f"{proc.name}: {command[:200]}")
    return found


def gui(program: list[str], models: Path, report: Report, shots: Path, label: str = "",
        extra_env: dict | None = None) -> None:
    """Start the app on a virtual screen as on a first start and drive it from outside."""
    with tempfile.TemporaryDirectory(prefix="gemseek-smoke-") as tmp, virtual_screen() as display:
        home = Path(tmp)
        env = _env(home, models, DISPLAY=display, **(extra_env or {}))
        log = (home / "app.log").open("w")
        app = subprocess.Popen(program, env=env, stdout=log, stderr=subprocess.STDOUT)

        def state() -> dict | None:
            proc = run(program, ["status", "--json"], env, timeout=300)
            try:
                return json.loads(proc.stdout).get("app")
            except ValueError:
                return None

        try:
            window = _wait(lambda: _windows(display, "^Gemseek$"), 300)
            report.check(f"{label}GUI: the search window opens", bool(window), _tail(home / "app.log"))
            report.check(f"{label}GUI: the first-run dialog appears",
                         bool(_wait(lambda: _windows(display, "^Welcome to Gemseek$"), 60)))
            s = _wait(state, 60)
            report.check(f"{label}GUI: the running app answers gemseek status --json", bool(s))
            report.check(f"{label}GUI: the tray icon is shown", bool(s and s["tray"]["visible"]), json.dumps(s))
            ready = _wait(lambda: (st := state()) and st["indexing"] == "watching" and st, 3600, every=5)
            report.check(f"{label}GUI: the samples are indexed (model fetched, converted, measured on first start)",
                         bool(ready), json.dumps(ready) + "\n" + _tail(home / "app.log"))
            if window:
                xdo = {**os.environ, "DISPLAY": display}
                subprocess.run(["xdotool", "windowfocus", "--sync", window[0]], env=xdo, check=False, timeout=30)
                subprocess.run(["xdotool", "type", "--delay", "60", QUERY[0]], env=xdo, check=False, timeout=120)
                answered = _wait(lambda: (st := state()) and st["window"]["results"] and
                                 st["window"]["query"] == QUERY[0] and st, 120)
                first = answered["window"]["results"][0] if answered else ""
                report.check(f"{label}GUI: typing '{QUERY[0]}' lists {QUERY[1]} first", first.endswith(QUERY[1]),
                             json.dumps(answered))
                shots.mkdir(parents=True, exist_ok=True)
                shot = shots / f"smoke-{label.strip(': ').replace(' ', '-') or 'bundle'}.png"
                report.check(f"{label}GUI: screenshot {shot.name}", _screenshot(display, shot))
            quick = run(program, ["quick"], env, timeout=300)
            report.check(f"{label}GUI: gemseek quick hands over and exits", quick.returncode == 0, quick.stderr[-800:])
            shown = _wait(lambda: (st := state()) and st["quick"]["visible"], 60)
            report.check(f"{label}GUI: the quick-search popup shows in the running app",
                         bool(shown) and bool(_windows(display, "^Gemseek quick search$")))
            quit_ = run(program, ["quit", "--wait", "120"], env, timeout=300)
            report.check(f"{label}GUI: gemseek quit ends the app", quit_.returncode == 0 and app.wait(60) == 0,
                         quit_.stdout + quit_.stderr)
            left = _wait(lambda: not _processes_of(str(home)), 30)
            report.check(f"{label}GUI: no process of it is left (extraction child, model job)", bool(left),
                         "\n".join(_processes_of(str(home))))
        finally:
            if app.poll() is None:
                app.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    app.wait(30)
            for line in _processes_of(str(home)):
                with contextlib.suppress(OSError, ValueError):
                    os.kill(int(line.split(":")[0]), signal.SIGKILL)
            log.close()


def _tail(path: Path, n: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""
