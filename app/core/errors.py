"""Typed errors: expected failures carry a message meant for the user."""

import errno

# The errnos of a write refused for want of space: a full disk, a quota, a file-size limit.
NO_SPACE = frozenset({errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)})


class GemseekError(Exception):
    """An expected failure; its message is shown to the user as is."""


class ModelMissingError(GemseekError):
    """The checkpoint or the GGUF the user asked for is not there yet."""


class IntegrityError(GemseekError):
    """A file does not match the size or sha256 it must have."""


class FetchError(GemseekError):
    """The model could not be fetched from the chosen source."""


class TextTooLongError(GemseekError):
    """A text does not fit the model's context window."""


class SettingsError(GemseekError):
    """A setting has a value it may not take."""


class DiskFullError(GemseekError):
    """A write failed for want of space (disk, quota or file-size limit); what was there before is kept."""
