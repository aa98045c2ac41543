"""``gemseek`` (and ``gemseek gui``): the desktop app; ``gemseek quick``: its quick-search popup; ``gemseek quit``.

Without a display (a server, a CI machine) the app cannot open a window, so
Gemseek says so and runs the command-line demo instead.
"""

from __future__ import annotations

import argparse
import sys
import time

from app.cli import demo_cmd
from app.core import instance_socket
from app.core.filelock import LockHeld, exclusive_lock
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
    p = sub.add_parser("quit", help="quit the running Gemseek (window, tray and indexing)",
                       description="Ask the Gemseek running for this index to quit, and wait until it has.")
    p.add_argument("--wait", type=float, default=60.0, metavar="SECONDS",
                   help="how long to wait for it to finish (default: %(default)s)")
    p.set_defaults(func=run_quit)


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


def run_quit(args: argparse.Namespace, paths: Paths) -> int:
    """Ask the running app to quit; wait until its instance lock is free (every worker stopped)."""
    if instance_socket.ask(paths.data, "quit") is None:
        print("Gemseek is not running.")
        return 0
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        try:
            with exclusive_lock(paths.data / instance_socket.LOCK_NAME):
                print("Gemseek has quit.")
                return 0
        except LockHeld:
            time.sleep(0.2)
    print(f"gemseek: Gemseek was asked to quit but is still running after {args.wait:.0f} s", file=sys.stderr)
    return 1


def _demo_instead(reason: str, paths: Paths) -> int:
    print(f"gemseek: {reason}; running the command-line demo instead (see `gemseek --help`).",
          file=sys.stderr, flush=True)
    return demo_cmd.run(argparse.Namespace(query=[]), paths)
