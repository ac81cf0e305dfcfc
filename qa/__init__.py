"""qa: answers from news sources as verbatim, cited quotes."""

from .config import Config
from .engine import Engine, QuestionError
from .sources import SourceError
from .types import Answer, Citation, Conflict, Passage, Quote, Source, SourceMeta

__all__ = ["Answer", "Citation", "Config", "Conflict", "Engine", "Passage", "QuestionError", "Quote", "Source",
           "SourceError", "SourceMeta"]
