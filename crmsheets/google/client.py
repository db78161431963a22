"""Talking to Google: gspread's HTTP client with timeouts, bounded retries and a deadline.

gspread sets no timeout on its requests, and its BackOffHTTPClient retries for ever (its
stop check is dead code in 6.2.1), so crmsheets brings its own `request`: every call
has a connect and a read timeout, transient failures (408, 429, 5xx, timeouts, refused
connections) are retried with jittered exponential back-off, and the whole job has a
deadline. A write that Google may have applied (a timeout or 5xx on a structure change)
is not sent twice: only reads, the idempotent values:batchUpdate, and answers that
mean "not done" (429, a refused connection) are retried.

Routing: when CRMSHEETS_GOOGLE_ENDPOINT names a loopback address (the test emulator),
requests for Google's hosts go there instead. Nothing else changes: the same gspread
and google-auth code runs, with the same URLs in its hands.
"""

from __future__ import annotations

import os
import random
import time
import urllib.parse
from dataclasses import dataclass, field

import gspread
import requests
from google.auth import exceptions as auth_exceptions
from google.auth.transport.requests import AuthorizedSession, Request
from requests.adapters import HTTPAdapter

from ..errors import BadOption, GoogleAuthFailed, GoogleUnavailable

ENDPOINT_ENV = "CRMSHEETS_GOOGLE_ENDPOINT"
GOOGLE_HOSTS = ("sheets.googleapis.com", "www.googleapis.com", "oauth2.googleapis.com",
                "iamcredentials.googleapis.com", "accounts.google.com")
RETRY_STATUS = {408, 429, 500, 502, 503, 504}
SHEETS = "https://sheets.googleapis.com/v4/spreadsheets/"


@dataclass
class Policy:
    """How long to wait and how often to try. The defaults suit a scheduled sync."""

    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    attempts: int = 6
    deadline: float = 300.0  # seconds for the whole job's calls, back-off included
    backoff: float = 1.0  # first back-off ceiling; doubles each try
    backoff_cap: float = 32.0

    @classmethod
    def from_env(cls) -> Policy:
        """CRMSHEETS_GOOGLE_DEADLINE / _TIMEOUT / _BACKOFF (seconds) override the defaults."""
        policy = cls()
        for name, attr in (("CRMSHEETS_GOOGLE_DEADLINE", "deadline"),
                           ("CRMSHEETS_GOOGLE_TIMEOUT", "read_timeout"),
                           ("CRMSHEETS_GOOGLE_BACKOFF", "backoff")):
            if os.environ.get(name):
                try:
                    setattr(policy, attr, float(os.environ[name]))
                except ValueError:
                    raise BadOption(f"{name} must be a number of seconds, not "
                                    f"{os.environ[name]!r}.") from None
        return policy


@dataclass
class Call:
    method: str
    what: str  # "values:batchGet", "spreadsheets.get"...
    status: int
    sent: int
    received: int
    seconds: float


@dataclass
class Meter:
    """Every call made, for the summary and the benchmark."""

    calls: list[Call] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(c.sent for c in self.calls)

    @property
    def received(self) -> int:
        return sum(c.received for c in self.calls)


class _Route(HTTPAdapter):
    """Sends requests for Google's hosts to a loopback emulator instead."""

    __attrs__ = [*HTTPAdapter.__attrs__, "root"]  # kept when google-auth copies the session

    def __init__(self, root: str):
        super().__init__()
        self.root = root.rstrip("/")

    def send(self, request, **kwargs):
        parts = urllib.parse.urlsplit(request.url)
        request.url = self.root + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().send(request, **kwargs)


def routed_session(endpoint: str | None = None) -> requests.Session:
    session = requests.Session()
    endpoint = endpoint if endpoint is not None else os.environ.get(ENDPOINT_ENV, "")
    if endpoint:
        host = urllib.parse.urlsplit(endpoint).hostname or ""
        if host not in ("127.0.0.1", "localhost", "::1"):
            # Access tokens go wherever this points: only the loopback test emulator.
            raise BadOption(f"{ENDPOINT_ENV} must be a loopback address such as "
                            f"http://127.0.0.1:8080, not {endpoint!r}.")
        adapter = _Route(endpoint)
        for name in GOOGLE_HOSTS:
            session.mount(f"https://{name}/", adapter)
    return session


def _what(method: str, url: str) -> str:
    path = urllib.parse.urlsplit(url).path
    if "/values:" in path:
        return "values:" + path.rsplit(":", 1)[1]
    if "/values/" in path:
        return "values." + (path.rsplit(":", 1)[1] if ":" in path.rsplit("/", 1)[1]
                            else method.lower())
    if path.endswith(":batchUpdate"):
        return "spreadsheets:batchUpdate"
    if "/spreadsheets/" in path:
        return "spreadsheets.get"
    if "/drive/" in path:
        return "drive.files"
    return path


class HTTPClient(gspread.HTTPClient):
    """gspread's client with crmsheets' timeouts, retries, deadline and meter."""

    policy: Policy
    meter: Meter
    started: float

    def request(self, method, endpoint, params=None, data=None, json=None, files=None,
                headers=None):
        policy = self.policy
        # A structure change that may have been applied must not be sent twice.
        repeatable = method.upper() == "GET" or endpoint.endswith("values:batchUpdate")
        attempt = 0
        while True:
            attempt += 1
            left = policy.deadline - (time.monotonic() - self.started)
            if left <= 0:
                raise GoogleUnavailable(f"no answer within the {policy.deadline:.0f} s "
                                        f"deadline")
            began = time.monotonic()
            try:
                response = self.session.request(
                    method=method, url=endpoint, json=json, params=params, data=data,
                    files=files, headers=headers,
                    timeout=(min(policy.connect_timeout, left), min(policy.read_timeout, left)))
            except auth_exceptions.RefreshError as exc:
                raise GoogleAuthFailed.refresh(exc) from None
            except auth_exceptions.TransportError:
                why, retry = "could not reach Google to get an access token", True
            except requests.ConnectionError as exc:
                sent = not isinstance(exc, requests.ConnectTimeout) and "refused" not in str(exc)
                why = "could not connect to Google"
                retry = repeatable or not sent
            except requests.Timeout:
                why = f"no answer within {policy.read_timeout:.0f} s"
                retry = repeatable
            else:
                self.meter.calls.append(Call(
                    method.upper(), _what(method, endpoint), response.status_code,
                    len(response.request.body or b""), len(response.content),
                    time.monotonic() - began))
                if response.ok:
                    return response
                status = response.status_code
                if status not in RETRY_STATUS:
                    raise gspread.exceptions.APIError(response)
                if not (repeatable or status == 429):
                    raise GoogleUnavailable(f"HTTP {status}", maybe_written=True)
                why = (f"Google's quota is used up (HTTP 429, {attempt} tries)" if status == 429
                       else f"HTTP {status} from Google ({attempt} tries)")
                retry = True
            if not retry:
                raise GoogleUnavailable(why, maybe_written=method.upper() != "GET")
            pause = random.uniform(0, min(policy.backoff_cap, policy.backoff * 2 ** (attempt - 1)))
            elapsed = time.monotonic() - self.started
            if attempt >= policy.attempts or elapsed + pause >= policy.deadline:
                raise GoogleUnavailable(why, quota="429" in why)
            time.sleep(pause)


def client(credentials, policy: Policy | None = None, endpoint: str | None = None
           ) -> HTTPClient:
    """An HTTP client signed with `credentials`, routed as the environment says."""
    session = routed_session(endpoint)
    policy = policy or Policy.from_env()
    authed = AuthorizedSession(credentials, auth_request=Request(session),
                               refresh_timeout=policy.read_timeout)
    for prefix, adapter in session.adapters.items():
        authed.mount(prefix, adapter)
    http = HTTPClient(credentials, authed)
    http.policy = policy
    http.meter = Meter()
    http.started = time.monotonic()
    return http
