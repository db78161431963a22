"""Errors that stop a job. Every message a user can see for a fatal error lives here.

Problems in rows are not errors: they are Issue records (see validate.py). These
exceptions are for "cannot continue", and each carries one line that says what is
wrong and what to do next. The CLI prints that line and exits with the class's code.
"""

from __future__ import annotations

# Exit codes, documented in the README and in `crmsheets --help`.
EXIT_OK = 0
EXIT_FOUND_PROBLEMS = 1  # `check` found problems in rows
EXIT_USAGE = 2  # click's own code for a bad command line
EXIT_STOPPED = 3  # the job stopped: the book cannot be used as it is
EXIT_TRY_LATER = 75  # the book is locked or changed under us (sysexits EX_TEMPFAIL)


class CrmError(Exception):
    """A problem that stops the job. str(error) is the one line the user sees."""

    exit_code = EXIT_STOPPED


class BookNotFound(CrmError):
    def __init__(self, path: str):
        super().__init__(
            f"No workbook at {path}. Check the path, or make one with: crmsheets init {path}"
        )


class BookUnreadable(CrmError):
    def __init__(self, why: str, path: str = "the workbook"):
        self.why = why
        super().__init__(
            f"Cannot read {path}: {why}. Open it in Excel or LibreOffice and save it as .xlsx."
        )


class MissingTab(CrmError):
    def __init__(self, wanted: str, aliases: list[str], found: list[str]):
        found_text = ", ".join(found) if found else "no tabs at all"
        super().__init__(
            f"No {wanted} tab: looked for {' / '.join(aliases)} and found {found_text}. "
            f"Rename your {wanted.lower()} tab to {wanted}, or put its name in Settings "
            f"under '{wanted} tab'."
        )


class MissingColumn(CrmError):
    def __init__(self, tab: str, wanted: str, aliases: list[str], found: list[str]):
        found_text = ", ".join(repr(h) for h in found if h) or "no headers"
        super().__init__(
            f"Tab {tab} has no {wanted} column: looked for {' / '.join(aliases)} in its "
            f"header row and found {found_text}. Add a {wanted} column header, then sync again."
        )


class TabNameTaken(CrmError):
    def __init__(self, name: str):
        super().__init__(
            f"The tab {name} belongs to you, not to crmsheets (its first row is not "
            f"crmsheets' header). Rename it, then sync again: crmsheets writes its own {name} tab."
        )


class BookLocked(CrmError):
    exit_code = EXIT_TRY_LATER

    def __init__(self, path: str, lock: str):
        super().__init__(
            f"{path} is open in Excel or LibreOffice (lock file {lock}). Close it and try "
            f"again, or add --force if that lock file is left over from a crash."
        )


class BookChanged(CrmError):
    exit_code = EXIT_TRY_LATER

    def __init__(self, path: str):
        super().__init__(
            f"{path} changed while crmsheets was syncing it; nothing was written. "
            f"Run the sync again."
        )


class BookWriteFailed(CrmError):
    def __init__(self, path: str, why: str):
        super().__init__(f"Could not write {path}: {why}. The workbook was left as it was.")


class BadOption(CrmError):
    pass


class UnknownMergeGroup(CrmError):
    def __init__(self, group: str, known: list[str]):
        listed = ", ".join(known) if known else "none: nothing has been merged in this book"
        super().__init__(
            f"No merge group {group!r} in the Merged tab (groups there: {listed}). "
            f"The group is the first column of the Merged tab, such as M1."
        )
