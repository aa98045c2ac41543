"""Render the app icon (resources/icons/gemseek.svg) at the sizes desktops and installers want.

    python installer/icons.py OUT_DIR

Writes ``OUT_DIR/NxN/apps/io.github.gemseek.Gemseek.png`` (the hicolor theme's
layout, which the Linux bundles carry and ``gemseek --install-desktop``
copies), plus ``gemseek.ico`` on Windows (its installer and program icon).
Rendered by Qt's own SVG renderer at build time, so the repository holds one
drawing, not a pile of bitmaps.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
APP_ID = "io.github.gemseek.Gemseek"


def render(out: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QImageWriter, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841 (Qt needs one)
    svg = QSvgRenderer(str(ROOT / "resources" / "icons" / "gemseek.svg"))
    if not svg.isValid():
        raise SystemExit("resources/icons/gemseek.svg is not a drawing Qt can render")
    made = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        svg.render(painter)
        painter.end()
        path = out / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path), "PNG"):
            raise SystemExit(f"could not write {path}")
        made.append(path)
    if sys.platform == "win32" and b"ico" in [bytes(f) for f in QImageWriter.supportedImageFormats()]:
        ico = out / "gemseek.ico"
        image = QImage(str(out / "256x256" / "apps" / f"{APP_ID}.png"))
        if image.save(str(ico), "ICO"):
            made.append(ico)
    return made


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    for p in render(Path(sys.argv[1])):
        print(p)
