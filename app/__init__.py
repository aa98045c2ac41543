"""Gemseek: find your files by meaning, fully offline."""

__version__ = "0.1.0"
