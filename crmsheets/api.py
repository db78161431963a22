"""What the CLI, an Excel button or a Python script calls: one function per job."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .backends import open_backend
from .sample import sample_book, starter
from .sync import Result, cyclic_gc_paused, run, stage_dedupe, stage_read, sync, unmerge


def init_book(path: str | Path, sample: bool = False, as_of: dt.date | None = None,
              credentials: str | None = None) -> tuple[dict[str, int], str]:
    """Make a new workbook (or fill an empty Google Sheet, or make one: gsheet:new);
    return the number of data rows per tab, and where the book is."""
    from .backends.gsheet import is_google

    tabs = sample_book(as_of or dt.date.today()) if sample else starter()
    if is_google(str(path)):
        from .backends.gsheet import GoogleSheet

        if str(path).strip() in ("gsheet:new", "gsheet:"):
            sheet = GoogleSheet.create("crmsheets customers", credentials)
        else:
            sheet = GoogleSheet(str(path), credentials)
        sheet.fill(tabs)
        return {t.name: len(t.rows) for t in tabs}, sheet.location
    from .backends.excel_new import write_new_book  # openpyxl: only init needs it

    write_new_book(Path(path), tabs)
    return {t.name: len(t.rows) for t in tabs}, str(path)


def sync_book(location: str | Path, as_of: dt.date | None = None, dry_run: bool = False,
              force: bool = False, credentials: str | None = None) -> Result:
    """`location`: a .xlsx path, a Google Sheet's URL or gsheet:ID."""
    return sync(open_backend(str(location), force=force, credentials=credentials),
                as_of=as_of, dry_run=dry_run)


def check_book(location: str | Path, as_of: dt.date | None = None,
               credentials: str | None = None) -> Result:
    with cyclic_gc_paused():
        return run(open_backend(str(location), credentials=credentials).read(), as_of)


def dedupe_book(location: str | Path, as_of: dt.date | None = None,
                credentials: str | None = None) -> Result:
    """The duplicate groups the next sync would list (reading and matching only)."""
    with cyclic_gc_paused():
        return run(open_backend(str(location), credentials=credentials).read(), as_of,
                   stages=[stage_read, stage_dedupe])


def unmerge_book(location: str | Path, group: str, dry_run: bool = False,
                 force: bool = False, credentials: str | None = None) -> Result:
    """Undo merge `group` (M1, M2... as in the book's Merged tab)."""
    return unmerge(open_backend(str(location), force=force, credentials=credentials), group,
                   dry_run=dry_run)


def check_access(location: str, credentials: str | None = None,
                 interactive: bool = True) -> dict:
    """Who the credentials are, and whether they can open the Google Sheet (if given)."""
    from .google import auth

    found = auth.find(credentials, interactive=interactive)
    out = {"account": found.who, "credentials": found.source}
    if location:
        from .backends.gsheet import GoogleSheet

        sheet = GoogleSheet(location, credentials=credentials)
        book = sheet.read()
        out |= {"sheet": sheet.location, "title": sheet.title, "tabs": book.names}
    return out
