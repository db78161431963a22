"""A loopback emulator of the Google endpoints crmsheets uses, for tests and benchmarks.

The real gspread and google-auth talk HTTP to it: crmsheets routes Google's hosts here
when CRMSHEETS_GOOGLE_ENDPOINT names it (see crmsheets/google/transport.py). It covers:

- the OAuth token endpoint: service-account JWTs (RS256, verified against the public
  key of a registered account) and refresh tokens of authorized users;
- the IAM credentials look-up google-auth makes after a token refresh (allowedLocations);
- Sheets v4: spreadsheets get and batchUpdate (the requests crmsheets and gspread send),
  values get / update / append / clear, values:batchGet / batchUpdate / batchClear;
- Drive v3: files create / get / list / delete.

It keeps real state (typed cells, sheets, grid sizes, formats, validations), refuses
calls without a valid token (401) and on sheets not shared with the caller (403), logs
every request (bytes in and out) and injects faults (status codes, slow answers).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
TOKEN_AUDIENCES = ("https://oauth2.googleapis.com/token",
                   "https://accounts.google.com/o/oauth2/token")
EPOCH = dt.date(1899, 12, 30)


# ---- keys ------------------------------------------------------------------------------

def service_account_key(email: str = "crm-sync@crmsheets-test.iam.gserviceaccount.com",
                        bits: int = 2048) -> tuple[dict, bytes]:
    """A service-account key file (as Google issues it) and its public key in PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    info = {
        "type": "service_account",
        "project_id": email.split("@")[1].split(".")[0],
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": email,
        "client_id": str(secrets.randbelow(10**21)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "universe_domain": "googleapis.com",
    }
    return info, public


def _b64url(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


# ---- A1 notation ---------------------------------------------------------------------

def col_letter(col: int) -> str:
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def quote_title(title: str) -> str:
    """Sheet titles as Google echoes them: bare when a plain word that is not a cell."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not re.fullmatch(
            r"[A-Za-z]{1,3}[0-9]+", title):
        return title
    return "'" + title.replace("'", "''") + "'"


@dataclass
class Rng:
    sheet: Sheet
    r1: int
    c1: int
    r2: int  # inclusive, 1-based
    c2: int
    whole: bool = False  # the reference named the sheet only

    def a1(self) -> str:
        start = f"{col_letter(self.c1)}{self.r1}"
        end = f"{col_letter(self.c2)}{self.r2}"
        cells = start if (self.r1, self.c1) == (self.r2, self.c2) else f"{start}:{end}"
        return f"{quote_title(self.sheet.title)}!{cells}"


class ApiError(Exception):
    def __init__(self, code: int, message: str, status: str, reason: str | None = None):
        super().__init__(message)
        self.code, self.message, self.status, self.reason = code, message, status, reason

    def body(self) -> dict:
        err = {"code": self.code, "message": self.message, "status": self.status}
        if self.reason:  # Drive's error shape names a reason
            err["errors"] = [{"message": self.message, "domain": "usageLimits",
                              "reason": self.reason}]
        return {"error": err}


def bad(message: str) -> ApiError:
    return ApiError(400, message, "INVALID_ARGUMENT")


# ---- state -----------------------------------------------------------------------------

@dataclass
class Sheet:
    sheet_id: int
    title: str
    rows: int = 1000
    cols: int = 26
    hidden: bool = False
    frozen_rows: int = 0
    frozen_cols: int = 0
    cells: dict[tuple[int, int], object] = field(default_factory=dict)  # (r, c) -> value
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    formats: dict[tuple[int, int], dict] = field(default_factory=dict)  # numberFormat
    validations: list[tuple[tuple[int, int, int, int], dict]] = field(default_factory=list)
    widths: dict[int, int] = field(default_factory=dict)
    bold_rows: set[int] = field(default_factory=set)
    merges: list[dict] = field(default_factory=list)

    def extent(self) -> tuple[int, int]:
        if not self.cells:
            return 0, 0
        return max(r for r, _ in self.cells), max(c for _, c in self.cells)

    def properties(self, index: int) -> dict:
        grid = {"rowCount": self.rows, "columnCount": self.cols}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        if self.frozen_cols:
            grid["frozenColumnCount"] = self.frozen_cols
        props = {"sheetId": self.sheet_id, "title": self.title, "index": index,
                 "sheetType": "GRID", "gridProperties": grid}
        if self.hidden:
            props["hidden"] = True
        return props


@dataclass
class Spreadsheet:
    sid: str
    title: str
    owner: str
    sheets: list[Sheet] = field(default_factory=list)
    shared: dict[str, str] = field(default_factory=dict)  # email -> "reader" | "writer"
    locale: str = "en_US"
    time_zone: str = "Etc/GMT"
    created: str = ""
    modified: str = ""
    version: int = 1
    # Protected ranges: (sheetId, r1, r2, c1, c2 (1-based, inclusive), editors).
    protected: list[tuple[int, int, int, int, int, set[str]]] = field(default_factory=list)

    def sheet(self, title: str) -> Sheet | None:
        for s in self.sheets:
            if s.title == title:
                return s
        return None

    def by_id(self, sheet_id: int) -> Sheet:
        for s in self.sheets:
            if s.sheet_id == sheet_id:
                return s
        raise bad(f"Invalid requests: No grid with id: {sheet_id}")


@dataclass
class Fault:
    """Answer the next `times` requests whose "METHOD path" contains `match` with
    `status` (after `delay` seconds; status 0 means answer normally after the delay)."""

    match: str = ""
    status: int = 503
    times: int = 1
    delay: float = 0.0
    body: dict | None = None


@dataclass
class Logged:
    method: str
    path: str
    query: dict
    status: int
    sent: int  # request bytes (body)
    received: int  # response bytes (body)
    who: str
    body: dict | None = None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


class _Server(ThreadingHTTPServer):
    """Closing it ends every connection and waits for their threads: a client that kept
    a connection alive leaves no thread behind (crmsheets forks only a process with one
    thread, and later tests check that it does)."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.connections: set[socket.socket] = set()

    def process_request(self, request, client_address) -> None:
        self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        self.connections.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        for conn in list(self.connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        super().server_close()


class Emulator:
    """State plus an HTTP server on 127.0.0.1. Use as a context manager."""

    def __init__(self, allow_service_account_create: bool = False):
        self.lock = threading.RLock()
        self.accounts: dict[str, bytes] = {}  # service-account email -> public key PEM
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> user email
        self.clients: dict[str, str] = {}  # OAuth client id -> secret
        self.codes: dict[str, tuple[str, str]] = {}  # auth code -> (email, client id)
        self.tokens: dict[str, tuple[str, float]] = {}  # access token -> (email, expiry)
        self.token_lifetime = 3600
        self.books: dict[str, Spreadsheet] = {}
        self.faults: list[Fault] = []
        self.log: list[Logged] = []
        self.allow_sa_create = allow_service_account_create
        self.on_request = None  # a callable(method, path) run before each answer (tests)
        self._caller_of = threading.local()  # who makes the request this thread answers
        self._server: ThreadingHTTPServer | None = None

    # -- set-up helpers for tests ------------------------------------------------------

    def add_service_account(self, info: dict, public_pem: bytes) -> None:
        self.accounts[info["client_email"]] = public_pem

    def add_user(self, email: str, client_id: str, client_secret: str) -> str:
        token = "1//" + secrets.token_urlsafe(40)
        self.refresh_tokens[token] = email
        self.clients[client_id] = client_secret
        return token

    def consent(self, email: str, client_id: str) -> str:
        """The owner clicked Allow on the consent page: an authorization code."""
        code = "4/" + secrets.token_urlsafe(30)
        self.codes[code] = (email, client_id)
        return code

    def create(self, title: str, owner: str = "owner@example.com",
               tabs: dict[str, list[list]] | None = None, share: dict[str, str] | None = None,
               sid: str | None = None, fit: bool = False) -> Spreadsheet:
        """A spreadsheet with these tabs. Grids are at least 1000 x 26 as Google makes
        them, or (fit) just the size of the data, as an owner trims a big import."""
        with self.lock:
            sid = sid or "1" + secrets.token_urlsafe(32)[:43].replace("-", "_")
            book = Spreadsheet(sid, title, owner, created=_now(), modified=_now())
            for i, (name, rows) in enumerate((tabs or {"Sheet1": []}).items()):
                sheet = Sheet(0 if i == 0 else self._new_sheet_id(book), name)
                width = max((len(r) for r in rows), default=0)
                sheet.rows = max(len(rows), 1) if fit else max(1000, len(rows))
                sheet.cols = max(width, 1) if fit else max(26, width)
                for r, row in enumerate(rows, 1):
                    for c, v in enumerate(row, 1):
                        if v is not None and v != "":
                            sheet.cells[(r, c)] = _plain(v)
                book.sheets.append(sheet)
            book.shared.update(share or {})
            self.books[sid] = book
            return book

    def protect(self, sid: str, title: str, editors=("owner@example.com",), rows=None,
                cols=None) -> None:
        """The owner protects a sheet (or rows/cols of it, 1-based inclusive pairs)."""
        book = self.books[sid]
        sheet = book.sheet(title)
        r1, r2 = rows or (1, 10**9)
        c1, c2 = cols or (1, 10**9)
        book.protected.append((sheet.sheet_id, r1, r2, c1, c2, set(editors) | {book.owner}))

    def _check_protection(self, book: Spreadsheet, sheet: Sheet, r1: int, r2: int, c1: int,
                          c2: int, whole_only: bool = False) -> None:
        """Refuse a non-editor's change to protected cells (whole_only: adding rows or
        columns, which only a whole-sheet protection forbids)."""
        who = getattr(self._caller_of, "who", "")
        for sheet_id, pr1, pr2, pc1, pc2, editors in book.protected:
            if whole_only and (pr1, pr2, pc1, pc2) != (1, 10**9, 1, 10**9):
                continue
            if sheet_id == sheet.sheet_id and who not in editors and r1 <= pr2 and \
                    pr1 <= r2 and c1 <= pc2 and pc1 <= c2:
                raise bad("You are trying to edit a protected cell or object. Please contact "
                          "the spreadsheet owner to remove protection if you need to edit.")

    def values(self, sid: str, title: str) -> list[list]:
        """A tab's grid as plain values (dates as serial numbers), trailing blanks cut."""
        sheet = self.books[sid].sheet(title)
        rows, cols = sheet.extent()
        grid = [[sheet.cells.get((r, c), "") for c in range(1, cols + 1)]
                for r in range(1, rows + 1)]
        return [_trim(row) for row in grid]

    def edit(self, sid: str, title: str, row: int, col: int, value) -> None:
        """An edit by the owner in the browser."""
        with self.lock:
            book = self.books[sid]
            book.sheet(title).cells[(row, col)] = value
            self._touch(book)

    def calls(self, prefix: str = "") -> list[Logged]:
        return [entry for entry in self.log if f"{entry.method} {entry.path}".startswith(prefix)
                or prefix in entry.path]

    def api_calls(self) -> list[Logged]:
        """Sheets and Drive calls (not tokens or IAM look-ups)."""
        return [e for e in self.log if e.path.startswith(("/v4/", "/drive/"))]

    # -- server ------------------------------------------------------------------------

    def __enter__(self) -> Emulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else each answer waits for a delayed ACK

            def log_message(self, *args):  # quiet
                pass

            def _any(self):
                emulator._handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

        self._server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- dispatch ----------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        parts = urllib.parse.urlsplit(h.path)
        path = urllib.parse.unquote(parts.path)
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        status, payload, who = 500, {}, ""
        fault = self._fault(f"{h.command} {path}")
        try:
            if fault and fault.delay:
                time.sleep(fault.delay)
            if fault and fault.status:
                status = fault.status
                payload = fault.body or _fault_body(fault.status)
            else:
                if self.on_request:
                    self.on_request(h.command, path)
                who, status, payload = self._route(h, path, query, raw)
        except ApiError as err:
            status, payload = err.code, err.body()
        except Exception as err:  # an emulator bug: say so, as Google would say 500
            status, payload = 500, {"error": {"code": 500, "message": f"emulator: {err!r}",
                                              "status": "INTERNAL"}}
        body = b"" if status == 204 else json.dumps(payload).encode()
        try:
            logged_body = json.loads(raw) if raw and raw[:1] in b"{[" else None
        except ValueError:
            logged_body = None
        with self.lock:
            self.log.append(Logged(h.command, path, query, status, len(raw), len(body), who,
                                   logged_body))
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json; charset=UTF-8")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
            pass

    def _fault(self, what: str) -> Fault | None:
        with self.lock:
            for f in self.faults:
                if f.match in what and f.times > 0:
                    f.times -= 1
                    if f.times == 0:
                        self.faults.remove(f)
                    return f
        return None

    def _route(self, h, path: str, query: dict, raw: bytes):
        method = h.command
        if path == "/token" and method == "POST":
            return "", 200, self._token(raw, h.headers.get("Authorization", ""))
        who = self._caller(h)
        self._caller_of.who = who
        m = re.fullmatch(r"/v1/projects/-/serviceAccounts/([^/]+)/allowedLocations", path)
        if m and method == "GET":
            return who, 200, {"encodedLocations": "0x0", "locations": []}
        body = json.loads(raw) if raw else {}
        if path.startswith("/drive/v3/files"):
            return (who,) + self._drive(method, path[len("/drive/v3/files"):], query, body, who)
        if path == "/v4/spreadsheets" and method == "POST":  # spreadsheets.create
            if who in self.accounts and not self.allow_sa_create:
                raise ApiError(403, "The caller does not have permission",
                               "PERMISSION_DENIED", reason="storageQuotaExceeded")
            book = self.create(body.get("properties", {}).get("title", "Untitled spreadsheet"),
                               owner=who)
            return who, 200, self._metadata(book)
        m = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(.*)", path)
        if not m:
            raise ApiError(404, f"Not found: {path}", "NOT_FOUND")
        sid, rest = m.groups()
        with self.lock:
            book = self._book(sid, who, write=method != "GET")
            out = self._sheets(book, method, rest, query, body)
            if method != "GET":
                self._touch(book)
        return who, 200, out

    def _touch(self, book: Spreadsheet) -> None:
        book.modified = _now()
        book.version += 1

    # -- auth --------------------------------------------------------------------------

    def _token(self, raw: bytes, basic: str = "") -> dict:
        form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
        if basic.startswith("Basic "):  # client credentials may come as HTTP Basic auth
            user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
            form.setdefault("client_id", urllib.parse.unquote(user))
            form.setdefault("client_secret", urllib.parse.unquote(password))
        grant = form.get("grant_type", "")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            email = self._verify_jwt(form.get("assertion", ""))
        elif grant == "authorization_code":
            email, client = self.codes.pop(form.get("code", ""), ("", ""))
            if not email or form.get("client_id") != client or self.clients.get(
                    client) != form.get("client_secret"):
                raise ApiError(400, "Malformed auth code.", "invalid_grant")
            refresh = self.add_user(email, client, self.clients[client])
            token = "ya29." + secrets.token_urlsafe(48)
            with self.lock:
                self.tokens[token] = (email, time.time() + self.token_lifetime)
            return {"access_token": token, "expires_in": self.token_lifetime,
                    "refresh_token": refresh, "scope": SHEETS_SCOPE, "token_type": "Bearer"}
        elif grant == "refresh_token":
            email = self.refresh_tokens.get(form.get("refresh_token", ""))
            if not email or self.clients.get(form.get("client_id", "")) != form.get(
                    "client_secret"):
                raise ApiError(400, "Token has been expired or revoked.", "invalid_grant")
        else:
            raise ApiError(400, "Invalid grant_type", "unsupported_grant_type")
        token = "ya29." + secrets.token_urlsafe(48)
        with self.lock:
            self.tokens[token] = (email, time.time() + self.token_lifetime)
        return {"access_token": token, "expires_in": self.token_lifetime,
                "token_type": "Bearer"}

    def _verify_jwt(self, assertion: str) -> str:
        try:
            head64, claims64, sig64 = assertion.split(".")
            header = json.loads(_b64url(head64))
            claims = json.loads(_b64url(claims64))
        except ValueError:
            raise ApiError(400, "Invalid JWT", "invalid_grant") from None
        public = self.accounts.get(claims.get("iss", ""))
        if header.get("alg") != "RS256" or public is None:
            raise ApiError(400, "Invalid JWT Signature.", "invalid_grant")
        key = serialization.load_pem_public_key(public)
        try:
            key.verify(_b64url(sig64), f"{head64}.{claims64}".encode(), padding.PKCS1v15(),
                       hashes.SHA256())
        except InvalidSignature:
            raise ApiError(400, "Invalid JWT Signature.", "invalid_grant") from None
        now = time.time()
        if claims.get("aud") not in TOKEN_AUDIENCES:
            raise ApiError(400, "Invalid JWT: audience", "invalid_grant")
        if not (claims.get("iat", 0) - 300 <= now <= claims.get("exp", 0) + 300):
            raise ApiError(400, "Invalid JWT: Token must be a short-lived token",
                           "invalid_grant")
        if SHEETS_SCOPE not in claims.get("scope", "").split():
            raise ApiError(400, "Invalid OAuth scope", "invalid_scope")
        return claims["iss"]

    def _caller(self, h) -> str:
        auth = h.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        with self.lock:
            who, expiry = self.tokens.get(token, ("", 0))
        if not who or expiry < time.time():
            raise ApiError(401, "Request had invalid authentication credentials. Expected "
                           "OAuth 2 access token, login cookie or other valid authentication "
                           "credential.", "UNAUTHENTICATED")
        return who

    def _book(self, sid: str, who: str, write: bool) -> Spreadsheet:
        book = self.books.get(sid)
        if book is None:
            raise ApiError(404, "Requested entity was not found.", "NOT_FOUND")
        role = "owner" if who == book.owner else book.shared.get(who)
        if role is None or (write and role == "reader"):
            raise ApiError(403, "The caller does not have permission", "PERMISSION_DENIED")
        return book

    # -- Drive ---------------------------------------------------------------------------

    def _drive(self, method: str, rest: str, query: dict, body: dict, who: str):
        with self.lock:
            if rest == "" and method == "POST":
                if who in self.accounts and not self.allow_sa_create:
                    raise ApiError(403, "The user's Drive storage quota has been exceeded.",
                                   "PERMISSION_DENIED", reason="storageQuotaExceeded")
                book = self.create(body.get("name", "Untitled spreadsheet"), owner=who)
                return 200, {"kind": "drive#file", "id": book.sid, "name": book.title,
                             "mimeType": "application/vnd.google-apps.spreadsheet"}
            if rest == "" and method == "GET":
                q = query.get("q", [""])[0]
                name = re.search(r'name\s*=\s*"((?:[^"\\]|\\.)*)"', q)
                files = [self._file(b, query) for b in self.books.values()
                         if self._visible(b, who) and (not name or b.title == name.group(1))]
                return 200, {"kind": "drive#fileList", "files": files}
            sid = rest.lstrip("/")
            book = self.books.get(sid)
            if book is None or not self._visible(book, who):
                raise ApiError(404, f"File not found: {sid}.", "NOT_FOUND")
            if method == "GET":
                return 200, self._file(book, query)
            if method == "DELETE":
                del self.books[sid]
                return 204, {}
        raise ApiError(404, "Not found", "NOT_FOUND")

    def _visible(self, book: Spreadsheet, who: str) -> bool:
        return who == book.owner or who in book.shared

    def _file(self, book: Spreadsheet, query: dict) -> dict:
        full = {"kind": "drive#file", "id": book.sid, "name": book.title,
                "mimeType": "application/vnd.google-apps.spreadsheet",
                "createdTime": book.created, "modifiedTime": book.modified,
                "version": str(book.version)}
        fields = query.get("fields", [""])[0]
        if fields.startswith("kind,nextPageToken,files("):
            fields = fields[len("kind,nextPageToken,files("):-1]
        if not fields:
            return {k: full[k] for k in ("kind", "id", "name", "mimeType")}
        return {k: full[k] for k in fields.split(",") if k in full}

    # -- Sheets ----------------------------------------------------------------------------

    def _sheets(self, book: Spreadsheet, method: str, rest: str, query: dict, body: dict):
        if rest == "" and method == "GET":
            return self._metadata(book)
        if rest == ":batchUpdate" and method == "POST":
            return self._batch_update(book, body)
        if rest == "/values:batchGet" and method == "GET":
            return {"spreadsheetId": book.sid, "valueRanges": [
                self._get(book, r, query) for r in query.get("ranges", [])]}
        if rest == "/values:batchUpdate" and method == "POST":
            option = body.get("valueInputOption")
            if option not in ("RAW", "USER_ENTERED"):
                raise bad("Invalid valueInputOption")
            responses = [self._put(book, d["range"], d.get("values", []), option)
                         for d in body.get("data", [])]
            out = {"spreadsheetId": book.sid,
                   "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
                   "totalUpdatedColumns": max((r.get("updatedColumns", 0) for r in responses),
                                              default=0),
                   "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
                   "totalUpdatedSheets": len({r["updatedRange"].rsplit("!", 1)[0]
                                              for r in responses})}
            out["responses"] = [dict(r, spreadsheetId=book.sid) for r in responses]
            return out
        if rest == "/values:batchClear" and method == "POST":
            return {"spreadsheetId": book.sid,
                    "clearedRanges": [self._clear(book, r) for r in body.get("ranges", [])]}
        m = re.fullmatch(r"/values/(.+?)(:append|:clear)?", rest)
        if m:
            ref, verb = m.groups()
            if verb == ":clear" and method == "POST":
                return {"spreadsheetId": book.sid, "clearedRange": self._clear(book, ref)}
            if verb == ":append" and method == "POST":
                return self._append(book, ref, body.get("values", []),
                                    query.get("valueInputOption", ["RAW"])[0])
            if verb is None and method == "GET":
                return self._get(book, ref, query)
            if verb is None and method == "PUT":
                out = self._put(book, ref, body.get("values", []),
                                query.get("valueInputOption", [""])[0])
                return dict(out, spreadsheetId=book.sid)
        raise ApiError(404, "Not found", "NOT_FOUND")

    def _metadata(self, book: Spreadsheet) -> dict:
        sheets = []
        for i, s in enumerate(book.sheets):
            entry = {"properties": s.properties(i)}
            if s.merges:
                entry["merges"] = s.merges
            sheets.append(entry)
        return {"spreadsheetId": book.sid,
                "properties": {"title": book.title, "locale": book.locale,
                               "autoRecalc": "ON_CHANGE", "timeZone": book.time_zone},
                "sheets": sheets,
                "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.sid}/edit"}

    def _range(self, book: Spreadsheet, ref: str) -> Rng:
        if "!" in ref:
            title, cells = ref.rsplit("!", 1)
        else:
            title, cells = ref, ""
        if title.startswith("'") and title.endswith("'"):
            title = title[1:-1].replace("''", "'")
        sheet = book.sheet(title)
        if sheet is None and not cells and re.fullmatch(r"[A-Za-z]*\d*(:[A-Za-z]*\d*)?", ref):
            sheet, cells = book.sheets[0], ref  # "A1:B2" alone: the first sheet
        if sheet is None:
            raise bad(f"Unable to parse range: {ref}")
        if not cells:
            return Rng(sheet, 1, 1, sheet.rows, sheet.cols, whole=True)
        m = re.fullmatch(r"([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?", cells)
        if not m or not (m.group(1) or m.group(2)):
            raise bad(f"Unable to parse range: {ref}")
        c1, r1, c2, r2 = m.groups()
        single = m.group(3) is None and m.group(4) is None
        if single:
            c2, r2 = c1, r1
        rng = Rng(sheet, int(r1) if r1 else 1, col_number(c1) if c1 else 1,
                  int(r2) if r2 else sheet.rows, col_number(c2) if c2 else sheet.cols)
        rng.r2, rng.c2 = min(rng.r2, sheet.rows), min(rng.c2, sheet.cols)
        if rng.r1 > sheet.rows or rng.c1 > sheet.cols:
            raise bad(f"Range ({quote_title(sheet.title)}!{cells}) exceeds grid limits. "
                      f"Max rows: {sheet.rows}, max columns: {sheet.cols}")
        return rng

    def _get(self, book: Spreadsheet, ref: str, query: dict) -> dict:
        rng = self._range(book, ref)
        sheet = rng.sheet
        render = query.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
        dates = query.get("dateTimeRenderOption", ["SERIAL_NUMBER"])[0]
        by_col = query.get("majorDimension", ["ROWS"])[0] == "COLUMNS"
        grid = []
        cells, formulas = sheet.cells, sheet.formulas
        for r in range(rng.r1, rng.r2 + 1):
            row = []
            for c in range(rng.c1, rng.c2 + 1):
                v = cells.get((r, c), "")
                if v != "" and render == "FORMULA" and (r, c) in formulas:
                    v = formulas[(r, c)]
                elif v != "" and render != "FORMULA":
                    v = _render(v, sheet.formats.get((r, c)), render, dates)
                row.append(v)
            grid.append(row)
        if by_col:
            grid = [list(col) for col in zip(*grid, strict=True)] if grid else []
        grid = [_trim(row) for row in grid]
        while grid and not grid[-1]:
            grid.pop()
        out = {"range": rng.a1(), "majorDimension": "COLUMNS" if by_col else "ROWS"}
        if grid:
            out["values"] = grid
        return out

    def _put(self, book: Spreadsheet, ref: str, values: list, option: str) -> dict:
        if option not in ("RAW", "USER_ENTERED"):
            raise bad("Invalid valueInputOption")
        rng = self._range(book, ref)
        sheet = rng.sheet
        height = len(values)
        width = max((len(r) for r in values), default=0)
        if not height:
            return {"updatedRange": rng.a1()}
        if rng.r1 + height - 1 > sheet.rows or rng.c1 + width - 1 > sheet.cols:
            if not rng.whole and (height > rng.r2 - rng.r1 + 1 or width > rng.c2 - rng.c1 + 1) \
                    and ":" in ref.rsplit("!", 1)[-1]:
                raise bad(f"Requested writing within range [{ref}], but tried writing to "
                          f"row [{rng.r1 + height - 1}]")
            raise bad(f"Range ({rng.a1()}) exceeds grid limits. Max rows: {sheet.rows}, "
                      f"max columns: {sheet.cols}")
        self._check_protection(book, sheet, rng.r1, rng.r1 + height - 1, rng.c1,
                               rng.c1 + width - 1)
        for i, row in enumerate(values):
            for j, v in enumerate(row):
                self._set(sheet, rng.r1 + i, rng.c1 + j, v, option)
        out = Rng(sheet, rng.r1, rng.c1, rng.r1 + height - 1, rng.c1 + width - 1)
        return {"updatedRange": out.a1(), "updatedRows": height, "updatedColumns": width,
                "updatedCells": sum(len(r) for r in values)}

    def _set(self, sheet: Sheet, r: int, c: int, v, option: str) -> None:
        key = (r, c)
        sheet.formulas.pop(key, None)
        if v is None or v == "":
            sheet.cells.pop(key, None)
            return
        if isinstance(v, str) and len(v) > 50000:
            raise bad("Your input contains more than the maximum of 50000 characters in a "
                      "single cell.")
        if option == "USER_ENTERED" and isinstance(v, str):
            v, fmt, formula = _parse_user_entered(v)
            if formula:
                sheet.formulas[key] = formula
            if fmt:
                sheet.formats[key] = fmt
        sheet.cells[key] = v

    def _clear(self, book: Spreadsheet, ref: str) -> str:
        rng = self._range(book, ref)
        sheet = rng.sheet
        self._check_protection(book, sheet, rng.r1, rng.r2, rng.c1, rng.c2)
        for key in [k for k in sheet.cells if rng.r1 <= k[0] <= rng.r2
                    and rng.c1 <= k[1] <= rng.c2]:
            sheet.cells.pop(key)
            sheet.formulas.pop(key, None)
        return rng.a1()

    def _append(self, book: Spreadsheet, ref: str, values: list, option: str) -> dict:
        rng = self._range(book, ref)
        sheet = rng.sheet
        table = self._table(sheet, rng)
        out = {"spreadsheetId": book.sid}
        if table:
            out["tableRange"] = table.a1()
            start_r, start_c = table.r2 + 1, table.c1
        else:
            start_r, start_c = rng.r1, rng.c1
        need = start_r + len(values) - 1
        if need > sheet.rows:  # append grows the grid as Google's does
            sheet.rows = need
        width = max((len(r) for r in values), default=0)
        if start_c + width - 1 > sheet.cols:
            sheet.cols = start_c + width - 1
        start = Rng(sheet, start_r, start_c, start_r, start_c)
        out["updates"] = dict(self._put(book, start.a1(), values, option),
                              spreadsheetId=book.sid)
        return out

    def _table(self, sheet: Sheet, rng: Rng) -> Rng | None:
        """The 'table' an append lands below: the connected block of values in the
        searched range (the one at a single-cell range's cell; else the last one)."""
        inside = {k for k in sheet.cells if rng.r1 <= k[0] <= rng.r2
                  and rng.c1 <= k[1] <= rng.c2}
        if not inside:
            return None
        seen: set = set()
        blocks = []
        for start in sorted(inside):
            if start in seen:
                continue
            block, todo = [], [start]
            seen.add(start)
            while todo:
                r, c = todo.pop()
                block.append((r, c))
                for nb in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                    if nb in inside and nb not in seen:
                        seen.add(nb)
                        todo.append(nb)
            blocks.append(block)
        single = (rng.r1, rng.c1) == (rng.r2, rng.c2)
        chosen = None
        for block in blocks:
            if single and (rng.r1, rng.c1) in block:
                chosen = block
        if chosen is None:
            if single:
                return None
            chosen = max(blocks, key=lambda b: (min(b), max(c for _, c in b)))
        rows = [r for r, _ in chosen]
        cols = [c for _, c in chosen]
        return Rng(sheet, min(rows), min(cols), max(rows), max(cols))

    # -- batchUpdate ----------------------------------------------------------------------

    def _batch_update(self, book: Spreadsheet, body: dict) -> dict:
        # All or nothing, as Google's: work on a copy, swap it in when every request passed.
        saved, book.sheets = book.sheets, [_clone(s) for s in book.sheets]
        replies = []
        try:
            for i, req in enumerate(body.get("requests", [])):
                (kind, arg), = req.items()
                handler = getattr(self, f"_req_{kind}", None)
                if handler is None:
                    raise bad(f"Invalid requests[{i}]: unsupported request {kind}")
                try:
                    replies.append(handler(book, arg) or {})
                except ApiError as err:
                    if not err.message.startswith("Invalid requests"):
                        err.message = f"Invalid requests[{i}].{kind}: {err.message}"
                    raise
            if body.get("includeSpreadsheetInResponse"):
                pass
        except BaseException:
            book.sheets = saved
            raise
        out = {"spreadsheetId": book.sid, "replies": replies}
        return out

    def _new_sheet_id(self, book: Spreadsheet) -> int:
        taken = {s.sheet_id for s in book.sheets}
        while True:
            n = secrets.randbelow(2**31 - 1)
            if n not in taken:
                return n

    def _req_addSheet(self, book: Spreadsheet, arg: dict) -> dict:
        props = arg.get("properties", {})
        title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
        if book.sheet(title):
            raise bad(f'A sheet with the name "{title}" already exists. Please enter '
                      f'another name.')
        sheet_id = props.get("sheetId")
        if sheet_id is None:
            sheet_id = self._new_sheet_id(book)
        elif any(s.sheet_id == sheet_id for s in book.sheets):
            raise bad(f"Sheet with id {sheet_id} already exists.")
        grid = props.get("gridProperties", {})
        sheet = Sheet(sheet_id, title, grid.get("rowCount", 1000), grid.get("columnCount", 26),
                      bool(props.get("hidden")), grid.get("frozenRowCount", 0))
        index = props.get("index", len(book.sheets))
        book.sheets.insert(index, sheet)
        return {"addSheet": {"properties": sheet.properties(book.sheets.index(sheet))}}

    def _req_deleteSheet(self, book: Spreadsheet, arg: dict) -> None:
        sheet = book.by_id(arg["sheetId"])
        if len(book.sheets) == 1:
            raise bad("You can't remove all the sheets in a document.")
        book.sheets.remove(sheet)

    def _req_updateSheetProperties(self, book: Spreadsheet, arg: dict) -> None:
        props = arg["properties"]
        sheet = book.by_id(props.get("sheetId", 0))
        fields = [f.strip() for f in arg.get("fields", "").split(",") if f.strip()]
        if fields == ["*"]:
            fields = ["title", "hidden", "index", "gridProperties"]
        grid = props.get("gridProperties", {})
        for f in fields:
            if f == "title":
                if book.sheet(props["title"]) not in (None, sheet):
                    raise bad(f'A sheet with the name "{props["title"]}" already exists.')
                sheet.title = props["title"]
            elif f == "hidden":
                hidden = bool(props.get("hidden"))
                if hidden and all(s.hidden or s is sheet for s in book.sheets):
                    raise bad("You can't hide all the sheets in a document.")
                sheet.hidden = hidden
            elif f == "index":
                book.sheets.remove(sheet)
                book.sheets.insert(min(props.get("index", 0), len(book.sheets)), sheet)
            elif f.startswith("gridProperties"):
                if "rowCount" in grid and f in ("gridProperties", "gridProperties/rowCount"):
                    self._resize(sheet, grid["rowCount"], sheet.cols)
                if "columnCount" in grid and f in ("gridProperties",
                                                   "gridProperties/columnCount"):
                    self._resize(sheet, sheet.rows, grid["columnCount"])
                if f in ("gridProperties", "gridProperties/frozenRowCount"):
                    sheet.frozen_rows = grid.get("frozenRowCount", 0)
                if f in ("gridProperties", "gridProperties/frozenColumnCount"):
                    sheet.frozen_cols = grid.get("frozenColumnCount", 0)

    def _resize(self, sheet: Sheet, rows: int, cols: int) -> None:
        if rows < 1 or cols < 1:
            raise bad("Invalid grid size")
        sheet.rows, sheet.cols = rows, cols
        for key in [k for k in sheet.cells if k[0] > rows or k[1] > cols]:
            sheet.cells.pop(key)

    def _req_updateSpreadsheetProperties(self, book: Spreadsheet, arg: dict) -> None:
        props = arg["properties"]
        for f in arg.get("fields", "").split(","):
            if f == "title":
                book.title = props["title"]
            elif f == "locale":
                book.locale = props["locale"]
            elif f == "timeZone":
                book.time_zone = props["timeZone"]

    def _req_appendDimension(self, book: Spreadsheet, arg: dict) -> None:
        sheet = book.by_id(arg["sheetId"])
        self._check_protection(book, sheet, 1, 10**9, 1, 10**9, whole_only=True)
        if arg["dimension"] == "ROWS":
            sheet.rows += arg["length"]
        else:
            sheet.cols += arg["length"]

    def _shift(self, sheet: Sheet, dim: str, start: int, delta: int) -> None:
        """Move cells at or after 1-based `start` along `dim` by `delta`."""
        axis = 0 if dim == "ROWS" else 1
        for store in (sheet.cells, sheet.formulas, sheet.formats):
            moved = {}
            for key in list(store):
                if key[axis] >= start:
                    v = store.pop(key)
                    new = list(key)
                    new[axis] += delta
                    moved[tuple(new)] = v
            store.update(moved)

    def _req_insertDimension(self, book: Spreadsheet, arg: dict) -> None:
        r = arg["range"]
        sheet = book.by_id(r.get("sheetId", 0))
        n = r["endIndex"] - r["startIndex"]
        self._shift(sheet, r["dimension"], r["startIndex"] + 1, n)
        if r["dimension"] == "ROWS":
            sheet.rows += n
        else:
            sheet.cols += n

    def _req_deleteDimension(self, book: Spreadsheet, arg: dict) -> None:
        r = arg["range"]
        sheet = book.by_id(r.get("sheetId", 0))
        start, end = r["startIndex"] + 1, r["endIndex"]
        axis = 0 if r["dimension"] == "ROWS" else 1
        for store in (sheet.cells, sheet.formulas, sheet.formats):
            for key in [k for k in store if start <= k[axis] <= end]:
                store.pop(key)
        self._shift(sheet, r["dimension"], end + 1, -(end - start + 1))
        if axis == 0:
            sheet.rows -= end - start + 1
        else:
            sheet.cols -= end - start + 1

    def _grid(self, book: Spreadsheet, g: dict) -> tuple[Sheet, int, int, int, int]:
        sheet = book.by_id(g.get("sheetId", 0))
        r1 = g.get("startRowIndex", 0) + 1
        r2 = g.get("endRowIndex", sheet.rows)
        c1 = g.get("startColumnIndex", 0) + 1
        c2 = g.get("endColumnIndex", sheet.cols)
        if r2 > sheet.rows or c2 > sheet.cols:
            raise bad(f"Range exceeds grid limits. Max rows: {sheet.rows}, max columns: "
                      f"{sheet.cols}")
        return sheet, r1, r2, c1, c2

    def _req_repeatCell(self, book: Spreadsheet, arg: dict) -> None:
        sheet, r1, r2, c1, c2 = self._grid(book, arg["range"])
        self._check_protection(book, sheet, r1, r2, c1, c2)
        cell = arg.get("cell", {}).get("userEnteredFormat", {})
        if "numberFormat" in cell:
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    sheet.formats[(r, c)] = cell["numberFormat"]
        if cell.get("textFormat", {}).get("bold"):
            sheet.bold_rows.update(range(r1, r2 + 1))

    def _req_setDataValidation(self, book: Spreadsheet, arg: dict) -> None:
        sheet, r1, r2, c1, c2 = self._grid(book, arg["range"])
        sheet.validations = [v for v in sheet.validations if v[0] != (r1, r2, c1, c2)]
        if arg.get("rule"):
            sheet.validations.append(((r1, r2, c1, c2), arg["rule"]))

    def _req_updateDimensionProperties(self, book: Spreadsheet, arg: dict) -> None:
        r = arg["range"]
        sheet = book.by_id(r.get("sheetId", 0))
        if r["dimension"] == "COLUMNS" and "pixelSize" in arg.get("properties", {}):
            for c in range(r["startIndex"] + 1, r["endIndex"] + 1):
                sheet.widths[c] = arg["properties"]["pixelSize"]


def _clone(sheet: Sheet) -> Sheet:
    return Sheet(sheet.sheet_id, sheet.title, sheet.rows, sheet.cols, sheet.hidden,
                 sheet.frozen_rows, sheet.frozen_cols, dict(sheet.cells), dict(sheet.formulas),
                 dict(sheet.formats), list(sheet.validations), dict(sheet.widths),
                 set(sheet.bold_rows), list(sheet.merges))


# ---- values ------------------------------------------------------------------------------

def _plain(v):
    if isinstance(v, dt.datetime):
        return (v - dt.datetime(1899, 12, 30)).total_seconds() / 86400
    if isinstance(v, dt.date):
        return (v - EPOCH).days
    return v


def _trim(row: list) -> list:
    end = len(row)
    while end and row[end - 1] == "":
        end -= 1
    return row[:end]


def _fault_body(status: int) -> dict:
    names = {408: "DEADLINE_EXCEEDED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
             502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
             401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED"}
    message = {429: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests "
                    "per minute per user' of service 'sheets.googleapis.com'.",
               503: "The service is currently unavailable."}.get(status, "Internal error")
    return {"error": {"code": status, "message": message,
                      "status": names.get(status, "UNKNOWN")}}


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def _parse_user_entered(text: str):
    """What the Sheets UI makes of typed text: (value, numberFormat or None, formula)."""
    s = text.strip()
    if s.startswith("="):
        return _evaluate(s[1:]), None, s
    if _NUMBER.fullmatch(s):
        n = float(s)
        return (int(n) if n.is_integer() and "." not in s and "e" not in s.lower() else n), \
            None, None
    m = _ISO_DATE.fullmatch(s)
    if m:
        try:
            day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return (day - EPOCH).days, {"type": "DATE", "pattern": "yyyy-mm-dd"}, None
        except ValueError:
            pass
    if s.upper() in ("TRUE", "FALSE"):
        return s.upper() == "TRUE", None, None
    return text, None, None


def _evaluate(expr: str):
    """Arithmetic formulas (=4/2); anything else evaluates to the error Sheets shows."""
    import ast
    import operator

    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.USub: operator.neg, ast.UAdd: operator.pos}

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            return ops[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in ops:
            return ops[type(node.op)](ev(node.operand))
        raise ValueError(expr)

    try:
        value = ev(ast.parse(expr, mode="eval"))
    except (ValueError, SyntaxError, ZeroDivisionError):
        return "#ERROR!"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _render(v, fmt: dict | None, render: str, dates: str):
    is_date = bool(fmt) and fmt.get("type") in ("DATE", "DATE_TIME")
    if is_date and isinstance(v, (int, float)) and not isinstance(v, bool):
        if render == "FORMATTED_VALUE" or dates == "FORMATTED_STRING":
            day = EPOCH + dt.timedelta(days=float(v))
            return day.strftime("%Y-%m-%d")
        return v
    if render == "FORMATTED_VALUE":
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, float):
            return repr(v) if not v.is_integer() else str(int(v))
        return str(v)
    return v


# ---- a stand-alone server, for scripts/bench ----------------------------------------------

def _serve(argv: list[str]) -> None:
    """python tests/google_emulator.py KEY.json BOOK.xlsx: serve BOOK's tabs as one
    spreadsheet shared with the key's service account; print {"url", "sid"} as JSON on
    one line, then answer until stdin closes."""
    import sys

    from python_calamine import CalamineWorkbook

    key_file, book_file = argv
    info = json.loads(open(key_file).read())
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    private = load_pem_private_key(info["private_key"].encode(), None)
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    wb = CalamineWorkbook.from_path(book_file)
    tabs = {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}
    emu = Emulator()
    emu.add_service_account(info, public)
    with emu:
        book = emu.create("Benchmark shop", tabs=tabs, share={info["client_email"]: "writer"},
                          fit=True)
        del tabs, wb
        print(json.dumps({"url": emu.url, "sid": book.sid}), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    import sys

    _serve(sys.argv[1:])
