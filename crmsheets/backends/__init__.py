"""Backends: the only code that touches a file or the network.

Every backend reads a whole book into a `Book` snapshot and realises a `WritePlan` with
the fewest writes it can, all or nothing, refusing when the book changed under it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..errors import BadOption
from ..model import Book, WritePlan


class Backend(Protocol):
    location: str

    def read(self) -> Book: ...

    def apply(self, plan: WritePlan) -> list[str]:
        """Write the plan; return lines saying where things went (backup...)."""
        ...


def open_backend(location: str, force: bool = False, credentials: str | None = None
                 ) -> Backend:
    """The backend for a path (Excel) or a Google Sheet (its URL, or gsheet:ID)."""
    from .gsheet import is_google

    if is_google(location):
        from .gsheet import GoogleSheet

        return GoogleSheet(location, credentials=credentials)
    if credentials:
        raise BadOption("--credentials is for Google Sheets; this book is a file.")
    from .excel import ExcelBook

    return ExcelBook(Path(location), force=force)
