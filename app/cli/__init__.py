"""Command-line front end: ``gemseek [--home DIR] COMMAND ...``.

A thin face over :mod:`app.core`: it parses arguments, renders progress and
turns :class:`~app.core.errors.GemseekError` into a one-line message and exit
status 1.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from app import __version__
from app.core.errors import GemseekError
from app.core.paths import Paths

log = logging.getLogger(__name__)

DESCRIPTION = """\
Gemseek finds your files by meaning, fully offline, with Google's
EmbeddingGemma-300M running on llama.cpp.

Without a command, Gemseek opens its search window (and tray icon). On its
first start it gets the model and indexes the folders you choose, or its
bundled sample documents until you choose some. Without a display it runs
the command-line demo instead."""

EPILOG = """\
environment:
  GEMSEEK_HOME     put every Gemseek file (models, settings, cache, data, logs) under this folder
  GEMSEEK_MODELS   keep the models in this folder instead (lets several homes share one copy)

The model is provided under the Gemma Terms of Use: https://ai.google.dev/gemma/terms"""


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand."""
    from app.cli import convert_cmd, demo_cmd, gui_cmd, index_cmds, model_cmds, search_cmd

    parser = argparse.ArgumentParser(
        prog="gemseek",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gemseek {__version__}")
    parser.add_argument(
        "--home",
        metavar="DIR",
        help="keep every Gemseek file under DIR (same as GEMSEEK_HOME)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to the terminal")
    desktop = parser.add_mutually_exclusive_group()
    desktop.add_argument("--install-desktop", action="store_true",
                         help="add Gemseek to this user's application menu (Linux), starting this very program")
    desktop.add_argument("--remove-desktop", action="store_true", help="take Gemseek out of the application menu")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    index_cmds.register(sub)
    search_cmd.register(sub)
    model_cmds.register(sub)
    convert_cmd.register(sub)
    demo_cmd.register(sub)
    gui_cmd.register(sub)
    parser.set_defaults(func=gui_cmd.run, gui_command="show")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    paths = Paths.resolve(args.home)
    from app.core.logs import setup_logging

    # Everything Gemseek writes (the catalog holds the text of private files) is for this user only.
    umask = os.umask(0o077) if os.name == "posix" else None
    try:
        paths.make_private()
        setup_logging(paths, verbose=args.verbose)
        if args.install_desktop or args.remove_desktop:
            return _desktop_entry(install=args.install_desktop)
        return int(args.func(args, paths) or 0)
    except GemseekError as exc:
        print(f"gemseek: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ngemseek: interrupted", file=sys.stderr)
        return 130
    finally:
        if umask is not None:
            os.umask(umask)  # main() also runs inside other programs (tests)


def _desktop_entry(*, install: bool) -> int:
    from app.core import desktop_entry

    if not sys.platform.startswith("linux"):
        print("gemseek: the menu entry is for Linux desktops; the macOS and Windows installers add their own",
              file=sys.stderr)
        return 1
    if install:
        entry = desktop_entry.install()
        print(f"Gemseek is in the application menu: {entry}")
    else:
        desktop_entry.remove()
        print("Gemseek is no longer in the application menu")
    return 0
