"""Entry point of the frozen app (PyInstaller).

The app starts its helpers as ``sys.executable -m app ...`` (model preparation)
and ``sys.executable -m convert ...`` (the converter); in a frozen build
``sys.executable`` is this program, so it understands those two forms too.
Extraction workers use multiprocessing, which needs ``freeze_support``.
"""

from __future__ import annotations

import multiprocessing
import sys


def main() -> int:
    multiprocessing.freeze_support()
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "-m" and args[1] in ("app", "convert"):
        module, args = args[1], args[2:]
    else:
        module = "app"
    if module == "convert":
        from convert.cli import main as convert_main

        return convert_main(args)
    from app.cli import main as app_main

    return app_main(args)


if __name__ == "__main__":
    sys.exit(main())
