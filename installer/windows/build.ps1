# Build Gemseek's Windows installer from the repository root:  powershell installer\windows\build.ps1
# NOT RUN on the project's own build machines (Linux only): written for the hosted Windows runner of
# .github\workflows\installers.yml and reviewed, not claimed to work.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")
python -m venv .venv-dist
.\.venv-dist\Scripts\python -m pip install -e ".[installer]"
# llama.cpp with every x86-64 CPU variant as a loadable backend (installer\engine.py; needs Visual Studio's C++)
$engine = (.\.venv-dist\Scripts\python installer\engine.py | Select-Object -Last 1)
.\.venv-dist\Scripts\python installer\icons.py build\icons
$env:GEMSEEK_ENGINE_LIBS = $engine
$env:GEMSEEK_ICON_DIR = "build\icons"
$env:GEMSEEK_ICO = (Resolve-Path "build\icons\gemseek.ico").Path
.\.venv-dist\Scripts\python -m PyInstaller --noconfirm --clean --distpath dist --workpath build\pyinstaller installer\gemseek.spec
.\.venv-dist\Scripts\python installer\build.py --skip-build --no-gui
$version = (.\.venv-dist\Scripts\python -c "import sys; sys.path.insert(0, 'installer'); import manifest; print(manifest.version())")
& "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" "/DAppVersion=$version" installer\windows\gemseek.iss
