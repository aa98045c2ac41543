"""Helpers shared by the tests: fabricated checkpoints, wheels and a local package index."""
