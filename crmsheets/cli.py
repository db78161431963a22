"""The crmsheets command: parse, make one library call, render.

Exit codes: 0 done; 1 `check` found problems; 2 bad command line; 3 stopped by a
problem (one line says which and what to do); 75 the book is locked or changed while
syncing: try again later (for schedulers).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from functools import wraps

import click

from . import __version__
from .errors import EXIT_FOUND_PROBLEMS, CrmError
from .model import Issue

EPILOG = (
    "Exit codes: 0 done; 1 check found problems; 2 bad command line; 3 stopped by a "
    "problem (the message says what to do); 75 the workbook is open or changed while "
    "syncing, or Google Sheets is not answering: try again later. BOOK is an .xlsx file, "
    "a Google Sheet's URL, or gsheet:ID."
)


def _fail_cleanly(fn: Callable) -> Callable:
    """A CrmError becomes its one line on stderr and its exit code, never a traceback."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CrmError as exc:
            click.echo(f"crmsheets: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def _as_of(_ctx, _param, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: write it as YYYY-MM-DD") from None


AS_OF = click.option("--as-of", "as_of", metavar="YYYY-MM-DD", callback=_as_of,
                     help="Run as if today were this date; orders after it are ignored. "
                          "Default: today.")
JSON = click.option("--json", "as_json", is_flag=True,
                    help="Print a machine-readable summary instead of text.")
CREDENTIALS = click.option(
    "--credentials", metavar="FILE", default=None,
    help="Google Sheets only: a service-account key or OAuth client file. Default: "
         "$CRMSHEETS_CREDENTIALS, $GOOGLE_APPLICATION_CREDENTIALS, then gspread's "
         "files in ~/.config/gspread.")


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="crmsheets")
def main() -> None:
    """crmsheets: your customer spreadsheet as a CRM, and it stays yours.

    Checks every row, gives each contact a stable CRM ID, scores loyalty, finds
    duplicate contacts and follow-ups, and writes them into tabs of its own, without
    touching any cell of yours (the exceptions: a merge you approved, which can be
    undone, and contacts added from a Google Form's responses tab).

    \b
    Start here:
      crmsheets init shop.xlsx --sample   make a workbook with a made-up shop in it
      crmsheets check shop.xlsx           list the problems, change nothing
      crmsheets sync shop.xlsx            write CRM IDs, loyalty, Issues, Follow-ups
      crmsheets tasks shop.xlsx           what to do today
      crmsheets dedupe shop.xlsx          contacts that look like one person
      crmsheets unmerge shop.xlsx M1      undo a merge
      crmsheets auth SHEET-URL            set up a Google Sheet (then sync SHEET-URL)
    """


@main.command(epilog=EPILOG)
@click.argument("book")
@click.option("--sample", is_flag=True,
              help="Fill it with a made-up shop: a few hundred customers, a few thousand "
                   "orders over three years, some duplicates and some bad rows.")
@AS_OF
@CREDENTIALS
@_fail_cleanly
def init(book: str, sample: bool, as_of: dt.date | None, credentials: str | None) -> None:
    """Make a new workbook BOOK.xlsx with the Contacts, Orders, Interactions and
    Settings tabs (never overwrites a file). BOOK may be an empty Google Sheet shared
    with crmsheets' account (its URL), or gsheet:new to make one in your own account."""
    from .api import init_book

    counts, book = init_book(book, sample=sample, as_of=as_of, credentials=credentials)
    what = ", ".join(f"{name} {n:,} rows" for name, n in counts.items())
    click.echo(f"Made {book}: {what}.")
    click.echo(f"Next: crmsheets check {book}   (or open it, fill in Settings, then "
               f"crmsheets sync {book})")


@main.command(epilog=EPILOG)
@click.argument("book")
@AS_OF
@click.option("--dry-run", is_flag=True, help="Print what would be written; write nothing.")
@JSON
@click.option("--force", is_flag=True,
              help="Sync even if a lock file says the book is open in Excel or LibreOffice "
                   "(only when that lock file is left over from a crash).")
@click.option("-q", "--quiet", is_flag=True,
              help="Print nothing when all went well (for schedulers); problems still go "
                   "to stderr.")
@CREDENTIALS
@_fail_cleanly
def sync(book: str, as_of: dt.date | None, dry_run: bool, as_json: bool, force: bool,
         quiet: bool, credentials: str | None) -> None:
    """Check BOOK and write back: a CRM ID and loyalty figures for every contact, and
    the Issues, Duplicates, Loyalty and Follow-ups tabs; merge the duplicates whose
    Decision is merge.

    Only crmsheets' own columns and tabs are written; every other cell stays as it
    was. A second sync with no edits in between writes nothing. The previous version
    of the file is kept in a crmsheets-backups folder beside it.
    """
    from .api import sync_book

    result = sync_book(book, as_of=as_of, dry_run=dry_run, force=force,
                       credentials=credentials)
    summary = result.summary()
    if as_json:
        click.echo(json.dumps(summary | {"dry_run": dry_run}, indent=2, ensure_ascii=False))
        return
    if quiet:
        return
    _render_summary(summary, dry_run)


def _render_summary(s: dict, dry_run: bool) -> None:
    title = "Dry run of" if dry_run else "Synced"
    click.echo(f"{title} {s['book']} (as of {s['as_of']})")
    read = ", ".join(f"{tab} {n:,}" for tab, n in s["rows"].items())
    click.echo(f"  rows read:  {read}")
    if s["issues_by_code"]:
        kinds = ", ".join(f"{code} {n}" for code, n in s["issues_by_code"].items())
        click.echo(f"  issues:     {s['issues']} ({kinds})")
    else:
        click.echo("  issues:     none")
    if s["ignored"]:
        click.echo(f"  ignored:    {s['ignored']} (Status 'ignore' in the Issues tab)")
    if not s["changes"]:
        click.echo("  nothing changed: the book is up to date, nothing was written")
    _render_changes(s, dry_run)


def _render_changes(s: dict, dry_run: bool) -> None:
    label = "would write:" if dry_run else "wrote:     "
    for i, line in enumerate(s["changes"]):
        click.echo(f"  {label if i == 0 else ' ' * len(label)} {line}")
    for note in s["notes"]:
        click.echo(f"  note:       {note}")


@main.command(epilog=EPILOG)
@click.argument("book")
@AS_OF
@JSON
@click.option("--all", "show_all", is_flag=True, help="List ignored issues too.")
@CREDENTIALS
@_fail_cleanly
def check(book: str, as_of: dt.date | None, as_json: bool, show_all: bool,
          credentials: str | None) -> None:
    """Check BOOK and list its problems as a Tab/Row/Column/Problem table. Writes
    nothing. Exits 1 when it found problems (issues marked 'ignore' do not count)."""
    from .api import check_book

    result = check_book(book, as_of=as_of, credentials=credentials)
    ctx = result.ctx
    shown = [i for i in ctx.issues if show_all or i.key not in ctx.ignored]
    active = [i for i in ctx.issues if i.key not in ctx.ignored]
    if as_json:
        click.echo(json.dumps({"book": book, "issues": [_issue_json(i, ctx.ignored)
                                                        for i in shown],
                               "summary": result.summary()}, indent=2, ensure_ascii=False))
    else:
        _render_table(shown, book, len(ctx.issues) - len(active))
    if active:
        sys.exit(EXIT_FOUND_PROBLEMS)


def _issue_json(i: Issue, ignored: set[str]) -> dict:
    return {"code": i.code, "tab": i.tab, "row": i.row, "column": i.column, "value": i.value,
            "problem": i.message, "fix": i.fix, "key": i.key, "ignored": i.key in ignored}


def _render_table(issues: list[Issue], book: str, ignored: int) -> None:
    if not issues:
        tail = f" ({ignored} ignored)" if ignored else ""
        click.echo(f"No problems found in {book}{tail}.")
        return
    rows = [(i.tab, str(i.row), i.column or "-", i.message) for i in
            sorted(issues, key=lambda i: (i.tab, i.row, i.col, i.code))]
    head = ("Tab", "Row", "Column", "Problem")
    widths = [min(max(len(r[k]) for r in rows + [head]), 24) for k in range(3)]
    fmt = f"{{:<{widths[0]}}}  {{:>{widths[1]}}}  {{:<{widths[2]}}}  {{}}"
    click.echo(fmt.format(*head))
    for r in rows:
        click.echo(fmt.format(r[0][:24], r[1], r[2][:24], r[3]))
    tail = f", {ignored} ignored" if ignored else ""
    click.echo(f"\n{len(issues)} problems{tail}. Fix them in the book, or run "
               f"crmsheets sync {book} to list them in its Issues tab.")


@main.command(epilog=EPILOG)
@click.argument("book")
@AS_OF
@JSON
@CREDENTIALS
@_fail_cleanly
def tasks(book: str, as_of: dt.date | None, as_json: bool, credentials: str | None) -> None:
    """List the open follow-up tasks due by today (or --as-of), as the next sync will
    write them in the Follow-ups tab. Writes nothing."""
    from . import tasks as task_rules
    from .api import check_book

    result = check_book(book, as_of=as_of, credentials=credentials)
    today = result.ctx.as_of
    due = [r for r in result.ctx.tasks if task_rules.is_open(r, today)
           and (not isinstance(r[0], dt.date) or r[0] <= today)]
    if as_json:
        keys = ("due", "priority", "contact", "email", "phone", "task", "why", "status",
                "notes", "assigned_to", "closed_on", "key")
        click.echo(json.dumps([{k: (v.isoformat() if isinstance(v, dt.date) else v)
                                for k, v in zip(keys, r, strict=True)} for r in due],
                              indent=2, ensure_ascii=False))
        return
    if not due:
        click.echo(f"Nothing to do today ({today.isoformat()}).")
        return
    click.echo(f"{len(due)} open tasks due by {today.isoformat()}:")
    for r in due:
        when = r[0].isoformat() if isinstance(r[0], dt.date) else "-"
        click.echo(f"  {when}  {str(r[1]):<6}  {r[5]}")
        if r[9]:
            click.echo(f"{'':22}assigned to {r[9]}")


@main.command(epilog=EPILOG)
@click.argument("book")
@AS_OF
@JSON
@CREDENTIALS
@_fail_cleanly
def dedupe(book: str, as_of: dt.date | None, as_json: bool, credentials: str | None) -> None:
    """List the contacts that look like the same person, with the evidence, as the next
    sync will write them in the Duplicates tab. Writes nothing."""
    from .api import dedupe_book
    from .dedupe import evidence
    from .dedupe.match import GUARD_LIFTED

    ctx = dedupe_book(book, as_of=as_of, credentials=credentials).ctx
    groups = []
    for n, g in enumerate(ctx.groups, start=1):
        first = g.members[0]
        members = [{"crm_id": ctx.contacts[i].crm_id, "row": ctx.contacts[i].row,
                    "name": ctx.contacts[i].name,
                    "evidence": evidence(ctx.people[first], ctx.people[i]) if i != first
                    else []} for i in g.members]
        groups.append({"group": n, "confidence": round(100 * g.confidence), "rows": members})
    if as_json:
        click.echo(json.dumps({"book": book, "households_apart": ctx.households,
                               "groups": groups}, indent=2, ensure_ascii=False))
        return
    if not ctx.households:
        click.echo(f"{GUARD_LIFTED[0].upper()}{GUARD_LIFTED[1:]}.\n")
    if not groups:
        click.echo(f"No duplicate contacts found in {book}.")
        return
    for g in groups:
        rows = ", ".join(f"{m['crm_id']} {m['name']} (row {m['row']})" for m in g["rows"])
        click.echo(f"Group {g['group']} ({g['confidence']}%): {rows}")
        for m in g["rows"][1:]:
            click.echo(f"    {m['crm_id']}: {'; '.join(m['evidence'])}")
    rows = sum(len(g["rows"]) for g in groups)
    click.echo(f"\n{len(groups)} groups, {rows} rows. Nothing was written. crmsheets sync "
               f"{book} lists them in its Duplicates tab; type merge, not the same or later "
               "in the Decision column, and the next sync does it.")


@main.command(epilog=EPILOG)
@click.argument("book")
@click.argument("group")
@click.option("--dry-run", is_flag=True, help="Print what would be put back; write nothing.")
@JSON
@click.option("--force", is_flag=True,
              help="Even if a lock file says the book is open (a lock left by a crash).")
@CREDENTIALS
@_fail_cleanly
def unmerge(book: str, group: str, dry_run: bool, as_json: bool, force: bool,
            credentials: str | None) -> None:
    """Undo the merge GROUP (M1, M2..., the first column of the Merged tab): put the
    merged-away rows back exactly as they were and the surviving row's cells as they
    were before the merge. Those rows are then never suggested as duplicates again."""
    from .api import unmerge_book

    result = unmerge_book(book, group, dry_run=dry_run, force=force,
                          credentials=credentials)
    summary = result.summary()
    if as_json:
        click.echo(json.dumps(summary | {"dry_run": dry_run}, indent=2, ensure_ascii=False))
        return
    click.echo(f"{'Dry run of unmerge' if dry_run else 'Unmerged'} {group} in {book}")
    _render_changes(summary, dry_run)
    if not dry_run:
        click.echo(f"Next: crmsheets sync {book}   (refreshes loyalty figures and tabs)")


@main.command(epilog=EPILOG)
@click.argument("sheet", required=False, default="")
@CREDENTIALS
@_fail_cleanly
def auth(sheet: str, credentials: str | None) -> None:
    """Set up and check access to Google Sheets: say which credentials a sync uses
    and, given SHEET (its URL or gsheet:ID), whether they can read it.

    \b
    With an OAuth client file (credentials.json from the Google Cloud console), this
    opens a browser once to sign in to your Google account and saves the sign-in for
    later syncs. With a service-account key, share the sheet with the key's address
    (client_email) as an Editor. See docs/google-sheets.md.
    """
    from .api import check_access

    out = check_access(sheet, credentials)
    click.echo(f"credentials: {out['credentials']} ({out['account']})")
    if sheet:
        click.echo(f"can read the Google Sheet {out['title']!r} ({out['sheet']}) as "
                   f"{out['account']}: tabs {', '.join(out['tabs'])}")
    else:
        click.echo("give a sheet's URL to check that these credentials can open it")
