"""Take the README's screenshots of the real app on the bundled samples.

    python docs/take_screenshots.py

Runs under Xvfb (``xvfb-run``, from Debian's ``xvfb`` package) when there is no
display, so the windows are drawn by the X11 platform as on a desktop; falls
back to Qt's offscreen platform without it. Uses the real model from the
default models folder (or ``GEMSEEK_MODELS``) and a throw-away home. Writes
docs/main-window.png, quick-search.png, settings.png, first-run.png,
ocr-result.png (a scanned letter, a PNG made here, found by OCR) and
find-similar.png (the files most like the Gettysburg Address).
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

    folder = user_home / "Documents" / "Letters and samples"  # the samples, plus a scanned letter
    shutil.copytree(resources_dir() / "samples", folder)
    _scanned_letter(folder / "letter-from-the-landlord.png")
    controller = build_app(paths, Settings(roots=(str(folder),), ocr=True), icon)
    controller.start(first_run=False)
    window = controller.window
    window.resize(1100, 680)
    wait_for(lambda: window.status.state == "watching")
    panel = window.search
    panel.box.setText("poem about a father riding through the night with his child")
    wait_for(lambda: panel.model.rowCount() > 0)
    settle()
    window.grab().save(str(DOCS / "main-window.png"))

    panel.box.setText("the letter about the rent increase")
    wait_for(lambda: panel.model.rowCount() > 0 and panel.current() is not None
             and panel.current().path.suffix == ".png")
    settle()
    window.grab().save(str(DOCS / "ocr-result.png"))

    panel.box.setText(f'like:"{folder / "gettysburg-address.txt"}"')
    wait_for(lambda: panel.model.rowCount() > 0 and panel.current() is not None
             and panel.current().path.name != "gettysburg-address.txt")
    settle()
    window.grab().save(str(DOCS / "find-similar.png"))

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


LETTER = """Harbour Lane Properties
14 Quay Street, Bristol

Dear Ms Okafor,

We are writing to let you know that the rent for your flat
at 3 Mill Road will increase from 950 to 1,010 pounds a
month from 1 March, in line with the terms of your lease.

The increase covers the new boiler and the higher cost of
building insurance. Your deposit is not affected.

If you have any questions, please call the office.

Yours sincerely,
J. Whitfield, Lettings Manager"""


def _scanned_letter(path: Path) -> None:
    """A letter as a phone scan gives it: a picture of the page, a little tilted, on grey paper."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    page = Image.new("L", (1240, 1100), 246)
    try:
        font = ImageFont.truetype("DejaVuSerif.ttf", 30)
    except OSError:  # no DejaVu on this system
        font = ImageFont.load_default(size=30)
    ImageDraw.Draw(page).multiline_text((90, 90), LETTER, fill=30, font=font, spacing=14)
    page.rotate(0.8, fillcolor=246, resample=Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(0.6)) \
        .save(path)


if __name__ == "__main__":
    raise SystemExit(main())
