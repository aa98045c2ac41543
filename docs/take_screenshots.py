"""Take the README's screenshots of the real app on the bundled samples.

    python docs/take_screenshots.py

Runs under Xvfb (``xvfb-run``, from Debian's ``xvfb`` package) when there is no
display, so the windows are drawn by the X11 platform as on a desktop; falls
back to Qt's offscreen platform without it. Uses the real model from the
default models folder (or ``GEMSEEK_MODELS``) and a throw-away home. Writes
docs/main-window.png, quick-search.png, settings.png and first-run.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT))


def main() -> int:
    if not os.environ.get("DISPLAY") and "GEMSEEK_SCREENSHOT_CHILD" not in os.environ:
        env = {**os.environ, "GEMSEEK_SCREENSHOT_CHILD": "1"}
        if shutil.which("xvfb-run"):
            cmd = ["xvfb-run", "-a", "-s", "-screen 0 1400x900x24 -dpi 96", sys.executable, __file__]
        else:
            env["QT_QPA_PLATFORM"] = "offscreen"
            cmd = [sys.executable, __file__]
        return subprocess.call(cmd, env=env)
    return shoot()


def shoot() -> int:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from app.core.paths import Paths, resources_dir
    from app.core.settings import Settings
    from app.main import build_app

    user_home = Path(tempfile.mkdtemp(prefix="gemseek-user-"))  # a new user's Documents and Desktop
    for folder in ("Documents", "Desktop"):
        (user_home / folder).mkdir()
    os.environ.setdefault("GEMSEEK_MODELS", str(Paths.resolve().models))  # before HOME moves
    os.environ["HOME"] = str(user_home)
    app = QApplication([sys.argv[0]])
    app.setApplicationName("Gemseek")
    icon = QIcon(str(resources_dir() / "icons" / "gemseek.svg"))
    app.setWindowIcon(icon)
    home = Path(tempfile.mkdtemp(prefix="gemseek-shots-"))
    paths = Paths.resolve(home)

    def settle(ms: int = 400) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait_for(predicate, seconds: float = 600) -> None:
        deadline = time.monotonic() + seconds
        while not predicate():
            if time.monotonic() > deadline:
                raise SystemExit("timed out")
            settle(100)

    controller = build_app(paths, Settings(), icon)
    controller.start(first_run=False)
    window = controller.window
    window.resize(1100, 680)
    wait_for(lambda: window.status.state == "watching")
    panel = window.search
    panel.box.setText("poem about a father riding through the night with his child")
    wait_for(lambda: panel.model.rowCount() > 0)
    settle()
    window.grab().save(str(DOCS / "main-window.png"))

    controller.show_quick()
    quick = controller.quick
    quick.panel.box.setText("function that retries HTTP calls")
    wait_for(lambda: quick.panel.model.rowCount() > 0)
    settle()
    quick.grab().save(str(DOCS / "quick-search.png"))
    quick.hide()

    controller.show_settings()
    settle()
    controller.settings_dialog.grab().save(str(DOCS / "settings.png"))
    controller.settings_dialog.reject()

    from app.core.progress import Progress
    from app.ui.first_run import FirstRunDialog
    from app.ui.model_job import ModelJob

    # The welcome as a new user sees it while the model downloads (the job is not started here:
    # the shot shows one progress step, not a real 1.2 GB download).
    job = ModelJob(paths, "Q8_0")
    welcome = FirstRunDialog(model_ready=False, job=job)
    welcome.model_progress.on_progress(Progress("download", 412_000_000, 1_147_303_689, "B",
                                                "Downloading the checkpoint"))
    welcome.show()
    settle()
    welcome.grab().save(str(DOCS / "first-run.png"))
    welcome.close()

    controller.quit()
    wait_for(lambda: controller.done, 60)
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(user_home, ignore_errors=True)
    print("wrote", ", ".join(p.name for p in sorted(DOCS.glob("*.png"))), flush=True)
    os._exit(0)  # skip interpreter teardown with live Qt objects


if __name__ == "__main__":
    raise SystemExit(main())
