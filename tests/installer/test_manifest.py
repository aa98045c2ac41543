"""What the installers bundle, checked without building them (the build itself: python installer/build.py)."""

from __future__ import annotations

import importlib.metadata as md
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "installer"))
import manifest  # noqa: E402

CODE = (".py", ".pyc", ".pyi", ".so", ".pyd", ".dylib", ".dll", ".typed")


def runtime_requirements() -> list[str]:
    """The app's own dependencies (not test, installer or benchmark extras) installed in this environment."""
    names = []
    for req in md.requires("gemseek") or []:
        if "extra ==" in req:
            continue
        name = re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0]
        try:
            md.distribution(name)
        except md.PackageNotFoundError:  # a marker left it out on this Python
            continue
        names.append(name)
    return names


def data_files(dist_name: str) -> dict[str, list[str]]:
    """Import package → its files that are not code (models, tables, templates …)."""
    out: dict[str, list[str]] = {}
    for f in md.distribution(dist_name).files or []:
        parts = f.parts
        if len(parts) < 2 or parts[0] == ".." or parts[0].endswith((".dist-info", ".data")) or ".libs" in parts[0]:
            continue
        name = f.name
        if name.endswith(CODE) or ".so." in name or "LICENSE" in name.upper() or name.startswith("__pycache__"):
            continue
        if "__pycache__" in parts or "tests" in parts:
            continue
        out.setdefault(parts[0], []).append(str(f))
    return out


@pytest.mark.parametrize("dist_name", runtime_requirements())
def test_every_dependency_s_data_files_are_bundled_or_known_not_to_be_needed(dist_name):
    decided = set(manifest.DATA_PACKAGES) | set(manifest.NO_DATA_NEEDED)
    for package, files in data_files(dist_name).items():
        assert package in decided, (f"{dist_name} ships data files under {package}/ ({files[:3]}): add {package} to "
                                    "DATA_PACKAGES (the app reads them) or NO_DATA_NEEDED (with why) in "
                                    "installer/manifest.py")


def test_the_spec_bundles_what_the_app_reads_from_its_resources():
    spec = (ROOT / "installer" / "gemseek.spec").read_text(encoding="utf-8")
    assert '(str(root / "resources"), "resources")' in spec  # the whole resources/ folder
    for path in ("engine-probe.json", "tradeoffs.json", "samples", "icons/gemseek.svg",
                 "linux/io.github.gemseek.Gemseek.desktop"):
        assert (ROOT / "resources" / path).exists(), path
    assert "manifest.DATA_PACKAGES" in spec and "manifest.HIDDEN_IMPORTS" in spec
    compile(spec, "gemseek.spec", "exec")


def test_the_frozen_entry_understands_the_children_the_app_starts():
    """The app starts `sys.executable -m app …` and `-m convert …`; a frozen build is that executable."""
    from app.core.engine.runner import worker_command

    assert worker_command()[1:3] == ["-m", "app"]
    entry = (ROOT / "installer" / "entry.py").read_text(encoding="utf-8")
    assert '("app", "convert")' in entry and "freeze_support()" in entry
    for module in manifest.HIDDEN_IMPORTS:
        path = ROOT / module.replace(".", "/")
        assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), module


def test_the_portable_engine_is_built_for_every_x86_64_cpu():
    import engine

    if sys.platform != "darwin":
        assert {"-DGGML_NATIVE=OFF", "-DGGML_BACKEND_DL=ON", "-DGGML_CPU_ALL_VARIANTS=ON"} <= set(engine.OPTIONS)


def test_the_macos_and_windows_builds_call_scripts_that_exist():
    workflow = (ROOT / ".github" / "workflows" / "installers.yml").read_text(encoding="utf-8")
    for script in ("installer/macos/build_dmg.sh", "installer\\windows\\build.ps1"):
        assert script in workflow
        assert (ROOT / script.replace("\\", "/")).is_file()
    iss = (ROOT / "installer" / "windows" / "gemseek.iss").read_text(encoding="utf-8")
    assert "gemseekw.exe" in iss and "{uninstallexe}" in iss  # Start menu, uninstaller
    spec = (ROOT / "installer" / "gemseek.spec").read_text(encoding="utf-8")
    assert 'name="gemseekw"' in spec and '"LSUIElement": True' in spec


def test_the_qt_plugins_the_app_runs_with_are_kept():
    needed = ("platforms/libqxcb.so", "platforms/libqwayland.so", "platforms/libqoffscreen.so",
              "platforminputcontexts/libcomposeplatforminputcontextplugin.so",
              "platforminputcontexts/libibusplatforminputcontextplugin.so", "iconengines/libqsvgicon.so",
              "imageformats/libqsvg.so", "platformthemes/libqgtk3.so", "xcbglintegrations/libqxcb-glx-integration.so")
    for plugin in needed:
        assert not plugin.startswith(manifest.QT_PLUGIN_EXCLUDES), plugin
    assert "platforms/libqvnc.so".startswith(manifest.QT_PLUGIN_EXCLUDES)  # the list does match real names


def test_qt_translations_are_left_out_only_because_the_app_loads_none():
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "app").rglob("*.py"))
    assert "QTranslator" not in sources and "installTranslator" not in sources
