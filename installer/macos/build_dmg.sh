#!/bin/sh
# Build Gemseek.app and Gemseek-<version>.dmg on macOS (Apple silicon), from the repository root:
#     sh installer/macos/build_dmg.sh
# NOT RUN on the project's own build machines (Linux only): written to be run by the hosted macOS
# runner of .github/workflows/installers.yml and reviewed, not claimed to work.
set -eu
cd "$(dirname "$0")/../.."
python3 -m venv .venv-dist
. .venv-dist/bin/activate
python -m pip install -e ".[installer]"
# llama.cpp for Apple silicon's baseline with Metal, shader library embedded (installer/engine.py)
ENGINE=$(python installer/engine.py | tail -n 1)
python installer/icons.py build/icons
ICONSET=build/gemseek.iconset
rm -rf "$ICONSET" && mkdir -p "$ICONSET"
for n in 16 32 64 128 256 512; do
  cp "build/icons/${n}x${n}/apps/io.github.gemseek.Gemseek.png" "$ICONSET/icon_${n}x${n}.png"
done
for n in 16 32 128 256; do
  d=$((n * 2))
  cp "build/icons/${d}x${d}/apps/io.github.gemseek.Gemseek.png" "$ICONSET/icon_${n}x${n}@2x.png"
done
iconutil -c icns -o build/gemseek.icns "$ICONSET"
GEMSEEK_ENGINE_LIBS="$ENGINE" GEMSEEK_ICON_DIR=build/icons GEMSEEK_ICNS=build/gemseek.icns \
  python -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller installer/gemseek.spec
VERSION=$(python -c "import sys; sys.path.insert(0, 'installer'); import manifest; print(manifest.version())")
# the same smoke test as on Linux, on the .app's program (CLI checks; no GUI checks on macOS yet)
python installer/build.py --skip-build --no-gui
rm -f "dist/Gemseek-$VERSION.dmg"
hdiutil create -volname Gemseek -srcfolder dist/Gemseek.app -ov -format UDZO "dist/Gemseek-$VERSION.dmg"
