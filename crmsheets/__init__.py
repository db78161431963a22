"""crmsheets: a customer spreadsheet (Excel or Google Sheets) used as a CRM, and kept
the owner's."""

__version__ = "0.1.0"

from .api import check_book, init_book, sync_book  # noqa: E402

__all__ = ["check_book", "init_book", "sync_book", "__version__"]
