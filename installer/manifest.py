"""What goes into the frozen app beyond the Python code PyInstaller finds by itself.

Kept apart from the spec so that a test (tests/installer) can check the lists
against what the app really reads at run time, without building anything.
"""

from __future__ import annotations

# Packages whose data files (not Python modules) the app reads at run time: llama-cpp-python's
# libraries (unless the portable engine replaces them), gguf's, and the OCR models.
DATA_PACKAGES = ("llama_cpp", "gguf", "rapidocr")

# Packages with data files the app never reads, and why (a dependency added later must go in one
# list or the other: tests/installer/test_manifest.py).
NO_DATA_NEEDED = {
    "PySide6": "PyInstaller's own hooks collect the Qt plugins and translations",
    "shiboken6": "PyInstaller's own hooks",
    "numpy": "PyInstaller's own hooks",
    "hnswlib": "a compiled module only",
    "watchdog": "Python modules only",
    "platformdirs": "Python modules only",
    "safetensors": "a compiled module; the converter reads the checkpoint, not package data",
    "sentencepiece": "the converter reads the checkpoint's own tokenizer file",
    "pypdfium2": "PyInstaller's contrib hook collects PDFium",
    "pypdfium2_raw": "PyInstaller's contrib hook collects PDFium",
    "charset_normalizer": "Python modules and a compiled speed-up",
    "striprtf": "Python modules only",
    "include": "llama-cpp-python's C headers, for building against llama.cpp",
    "lib": "llama-cpp-python's CMake package files and pkg-config, for building against llama.cpp",
    "onnxruntime": "PyInstaller's contrib hook",
    "cv2": "PyInstaller's contrib hook (the headless build: no Qt of its own)",
}

# Modules the app never imports, left out to keep the download small. The optional PyTorch
# reference pipeline is for benchmarks; the Qt modules below are not used by any window.
EXCLUDES = (
    "torch", "sentence_transformers", "transformers", "sklearn", "scipy", "pandas", "matplotlib",
    "huggingface_hub", "tokenizers", "IPython", "tkinter", "pytest", "hypothesis", "PyInstaller",
    "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets", "PySide6.QtWebEngineQuick", "PySide6.QtWebChannel",
    "PySide6.QtQuick", "PySide6.QtQml", "PySide6.QtQuickWidgets", "PySide6.QtQuick3D", "PySide6.Qt3DCore",
    "PySide6.QtMultimedia", "PySide6.QtMultimediaWidgets", "PySide6.QtPdf", "PySide6.QtPdfWidgets",
    "PySide6.QtCharts", "PySide6.QtDataVisualization", "PySide6.QtGraphs", "PySide6.QtNetworkAuth",
    "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtSql", "PySide6.QtTest", "PySide6.QtXml",
    "PySide6.QtDesigner", "PySide6.QtHelp", "PySide6.QtUiTools", "PySide6.QtBluetooth", "PySide6.QtPositioning",
    "PySide6.QtSensors", "PySide6.QtSerialPort", "PySide6.QtTextToSpeech", "PySide6.QtRemoteObjects",
    "PySide6.QtScxml", "PySide6.QtStateMachine", "PySide6.QtSpatialAudio", "PySide6.QtHttpServer",
    "PySide6.QtWebSockets", "PySide6.QtConcurrent", "PySide6.QtPrintSupport",
)

# Shared libraries dropped after analysis (file-name prefixes): Qt libraries pulled in only by Qt
# plugins Gemseek never loads.
QT_EXCLUDES = (
    "libQt6Quick", "libQt6Qml", "libQt6Pdf", "libQt6WebEngine", "libQt6Multimedia", "libQt6OpenGL",
    "libQt6VirtualKeyboard", "libQt6Sql", "libQt6Designer", "libQt6ShaderTools", "libQt63D",
)

# Qt plugin folders and files (under PySide6/Qt/plugins/) left out: Gemseek draws with QtWidgets on X11
# (xcb), Wayland or offscreen, talks to itself over local sockets (no TLS, no network status), and takes
# keyboard input through the compose and IBus input methods.
QT_PLUGIN_EXCLUDES = (
    "egldeviceintegrations/", "generic/", "networkinformation/", "tls/", "platforms/libqeglfs",
    "platforms/libqlinuxfb", "platforms/libqminimal", "platforms/libqvnc", "platforms/libqvkkhrdisplay",
    "platforminputcontexts/libqtvirtualkeyboardplugin",
)
# Qt's own translations (7 MB): Gemseek's windows are in English and load no translator, so Qt's
# dialogs and buttons stay in English with them.
QT_TRANSLATIONS = "PySide6/Qt/translations/"

# Hidden imports: modules the app reaches through "python -m" children or imports by name.
HIDDEN_IMPORTS = ("app.cli", "convert.cli", "app.main", "app.ui.controller", "app.core.extract.worker")

APP_ID = "io.github.gemseek.Gemseek"


def version() -> str:
    """The app's version, read from its source without importing it (the spec runs outside the app)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "app" / "__init__.py").read_text(encoding="utf-8")
    return text.split('__version__ = "', 1)[1].split('"', 1)[0]
