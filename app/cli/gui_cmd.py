"""``gemseek`` (and ``gemseek gui``): the desktop app; ``gemseek quick``: its quick-search popup.

Without a display (a server, a CI machine) the app cannot open a window, so
Gemseek says so and runs the command-line demo instead.
"""

from __future__ import annotations

import argparse
import sys

from app.cli import demo_cmd
from app.core.paths import Paths


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="open the search window (the default)",
                       description="Open Gemseek's search window; it keeps running in the tray.")
    p.add_argument("--hidden", action="store_true", help="start in the tray without showing the window "
                   "(how Gemseek starts at login)")
    p.set_defaults(func=run, gui_command="show")
    p = sub.add_parser("quick", help="show the quick-search popup (starts Gemseek if needed)",
                       description="Ask the running Gemseek to show its quick-search popup, starting it "
                       "if needed. Bind this to a keyboard shortcut in your desktop's settings.")
    p.set_defaults(func=run, gui_command="quick")


def run(args: argparse.Namespace, paths: Paths) -> int:
    from app.main import has_display, missing_desktop_libraries

    if not has_display():
        return _demo_instead("no display found, so the search window cannot open", paths)
    missing = missing_desktop_libraries()
    if missing:
        return _demo_instead(f"the search window needs system libraries that are missing: {' '.join(missing)} "
                             f"(Debian/Ubuntu: sudo apt install {' '.join(missing)})", paths)
    try:
        from app.main import run_gui
    except ImportError as exc:  # Qt's libraries are missing on this system
        return _demo_instead(f"the desktop app cannot start ({exc})", paths)
    return run_gui(paths, getattr(args, "gui_command", "show"), hidden=getattr(args, "hidden", False))


def _demo_instead(reason: str, paths: Paths) -> int:
    print(f"gemseek: {reason}; running the command-line demo instead (see `gemseek --help`).",
          file=sys.stderr, flush=True)
    return demo_cmd.run(argparse.Namespace(query=[]), paths)
