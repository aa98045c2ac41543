; Inno Setup script for Gemseek on Windows: wraps the PyInstaller folder dist\gemseek\ into
; dist\Gemseek-<version>-setup.exe with a Start-menu entry, an optional start at login and an uninstaller.
; Built by installer\windows\build.ps1 on the hosted Windows runner of .github\workflows\installers.yml.
; NOT BUILT OR RUN on the project's own machines (Linux only): reviewed, not claimed to work.
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{7C1F4E5A-3B2D-4B8E-9F61-6A0D2C9E4B17}
AppName=Gemseek
AppVersion={#AppVersion}
AppPublisher=Gemseek
DefaultDirName={localappdata}\Programs\Gemseek
DefaultGroupName=Gemseek
; per-user install: no administrator rights needed, like the app's own data folders
PrivilegesRequired=lowest
OutputDir=..\..\dist
OutputBaseFilename=Gemseek-{#AppVersion}-setup
SetupIconFile=..\..\build\icons\gemseek.ico
UninstallDisplayIcon={app}\gemseekw.exe
Compression=lzma2/max
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible

[Files]
Source: "..\..\dist\gemseek\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
; gemseekw.exe is the program without a console window (like pythonw); gemseek.exe is the command line
Name: "{group}\Gemseek"; Filename: "{app}\gemseekw.exe"
Name: "{group}\Gemseek quick search"; Filename: "{app}\gemseekw.exe"; Parameters: "quick"
Name: "{group}\Uninstall Gemseek"; Filename: "{uninstallexe}"

[Run]
Filename: "{app}\gemseekw.exe"; Description: "Start Gemseek"; Flags: nowait postinstall skipifsilent

[UninstallRun]
; quit a running Gemseek first, so its files can be removed
Filename: "{app}\gemseek.exe"; Parameters: "quit --wait 30"; Flags: runhidden; RunOnceId: "QuitGemseek"

[Registry]
; the start-at-login value the app writes when the user turns it on (app/core/autostart.py)
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueName: "Gemseek"; \
  Flags: uninsdeletevalue dontcreatekey
