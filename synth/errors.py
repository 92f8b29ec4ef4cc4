"""One tree of errors. The CLI turns any SynthError into a message and exit code 1.

SynthError
  InputError          a file (or standard input) that cannot be read as a meeting
  StoreError          the store cannot be opened, read or written
    NoStoreError
    NotAStoreError
    StoreVersionError
  ConfigError         a setting is missing or has a value that cannot work
  ModelError          the language model or embedding model failed
  NotFoundError       a meeting, passage or other named thing is not in the store
"""

from __future__ import annotations

from .redact import without_secrets
from .text import escaped_name

__all__ = [
    "ConfigError",
    "InputError",
    "ModelError",
    "NoStoreError",
    "NotAStoreError",
    "NotFoundError",
    "StoreError",
    "StoreVersionError",
    "SynthError",
]


class SynthError(Exception):
    """Base of every error synth reports to a person. Its message never holds a secret: any key
    or token synth was given is masked when the error is made."""

    def __init__(self, *args: object) -> None:
        if args and isinstance(args[0], str):
            args = (without_secrets(args[0]), *args[1:])
        super().__init__(*args)


class InputError(SynthError):
    """A file (or standard input) that cannot be read as a meeting."""

    def __init__(self, source: str, message: str, line: int | None = None):
        self.source = source
        self.line = line
        self.reason = message
        shown = escaped_name(source)  # a name with a newline cannot forge a second line of output
        where = f"{shown}:{line}" if line else shown
        super().__init__(f"{where}: {message}")


class StoreError(SynthError):
    """The store cannot be opened, read or written."""


class NoStoreError(StoreError):
    """Nothing has been stored yet (no folder, or no synth data on the Chroma server)."""


class NotAStoreError(StoreError):
    """The store path is a file, or a folder that holds other things than a synth store: synth
    neither reads it as a store nor writes into it (unless told to create a store there)."""


class StoreVersionError(StoreError):
    """The store was written by a version of synth this one cannot read."""


class ConfigError(SynthError):
    """A setting is missing or has a value that cannot work."""


class ModelError(SynthError):
    """The language model or embedding model failed."""


class NotFoundError(SynthError):
    """A meeting, passage or other named thing is not in the store."""
