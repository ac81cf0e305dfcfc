"""The one error of ingestion: something that cannot become a source, with a message for the user."""

from __future__ import annotations


class SourceError(ValueError):
    """A file that cannot become a source; the message says why, for the user."""
