"""The converter's one error type: its message is meant for the user."""


class ConversionError(Exception):
    """The input cannot be converted (not EmbeddingGemma, missing or damaged files, bad type)."""
