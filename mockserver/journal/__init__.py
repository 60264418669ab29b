"""The bounded request journal and the masking of secrets in it and in the logs."""

from mockserver.journal.journal import DEFAULT_SIZE, Entry, Journal
from mockserver.journal.masking import Masker, mask_secret
from mockserver.journal.middleware import OPERATION_KEY, JournalMiddleware

__all__ = [
    "DEFAULT_SIZE",
    "OPERATION_KEY",
    "Entry",
    "Journal",
    "JournalMiddleware",
    "Masker",
    "mask_secret",
]
