"""`python -m app` runs the command-line front end."""

from app.cli import main

raise SystemExit(main())
