"""Gemseek's converter: an EmbeddingGemma checkpoint → a GGUF llama.cpp can load.

Stand-alone: it never imports ``app``; the app runs it as a child process
(``python -m convert``).
"""

CONVERTER_VERSION = "1.0.0"
