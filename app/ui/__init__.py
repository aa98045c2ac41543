"""The desktop app (PySide6). Only :mod:`app.main` imports this package."""
