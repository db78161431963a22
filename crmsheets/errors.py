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


class GoogleAuthFailed(CrmError):
    """Signing in to Google failed. The message names files and accounts, never secrets."""

    @classmethod
    def refresh(cls, exc: Exception) -> GoogleAuthFailed:
        text = str(exc)
        if "invalid_grant" in text and ("expired" in text or "revoked" in text):
            return cls("Google refused the saved sign-in (expired or revoked). Run "
                       "crmsheets auth to sign in again.")
        if "invalid_grant" in text or "Invalid JWT" in text:
            return cls("Google refused the service-account key (it was deleted, or the "
                       "machine's clock is wrong). Make a new key for the service account "
                       "and run crmsheets auth --credentials NEW-KEY.json.")
        if "invalid_scope" in text:
            return cls("Google refused the access asked for (scope). Check that the Google "
                       "Sheets API is enabled for the key's project.")
        return cls("Could not get an access token from Google. Check the network, then run "
                   "crmsheets auth to see which credentials are used.")


class GoogleUnavailable(CrmError):
    exit_code = EXIT_TRY_LATER

    def __init__(self, why: str, maybe_written: bool = False, quota: bool = False):
        if quota:
            line = ("Google Sheets' quota is used up for now (60 requests a minute per "
                    "user, shared with your other tools); nothing was written. Run the sync "
                    "again in a few minutes.")
        elif maybe_written:
            line = (f"Google Sheets did not confirm a change ({why}); it may or may not have "
                    f"been made. Run the sync again: it finishes or repeats the work safely.")
        else:
            line = (f"Google Sheets is not answering ({why}); nothing was written. Run the "
                    f"sync again later.")
        super().__init__(line)


class SheetNotAvailable(CrmError):
    def __init__(self, sheet: str, who: str, status: int):
        if status == 404:
            line = (f"No Google Sheet {sheet}: check the address (the part after /d/ in "
                    f"the sheet's URL).")
        else:
            line = (f"{who} cannot open the Google Sheet {sheet}. Open the sheet, click "
                    f"Share, and add {who} as an Editor.")
        super().__init__(line)


class SheetTooBig(CrmError):
    pass


class PartlyWritten(CrmError):
    """A write to Google Sheets stopped between two calls (see backends/gsheet.py)."""

    exit_code = EXIT_TRY_LATER

    def __init__(self, sheet: str, why: str):
        super().__init__(
            f"{sheet} was written in part ({why}): only crmsheets' own tabs and columns, "
            f"no cell of yours. Run the sync again: it writes what is still missing.")


class CannotCreate(CrmError):
    def __init__(self, who: str):
        super().__init__(
            f"Google does not let {who} create spreadsheets (a service account has no "
            f"storage of its own). Create an empty sheet in your Google account, share it "
            f"with {who} as an Editor, then run: crmsheets init SHEET-URL")


class SheetProtected(CrmError):
    def __init__(self, title: str, who: str):
        super().__init__(
            f"Cells crmsheets writes in the Google Sheet {title!r} are protected, and {who} "
            f"may not edit them. In Google Sheets, Data > Protect sheets and ranges: add "
            f"{who} to the editors of that protection (or protect only your own columns), "
            f"then sync again.")
