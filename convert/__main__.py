"""`python -m convert` runs the converter's command line."""

from convert.cli import main

raise SystemExit(main())
