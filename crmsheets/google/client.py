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
    # Seconds the job may spend waiting for Google (calls and back-off pauses, summed; the
    # job's own work between calls does not count).
    deadline: float = 300.0
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


class _Retry(Exception):
    def __init__(self, why: str):
        self.why = why


class HTTPClient(gspread.HTTPClient):
    """gspread's client with crmsheets' timeouts, retries, deadline and meter."""

    policy: Policy
    meter: Meter
    waited: float  # seconds spent in calls and pauses so far

    def request(self, method, endpoint, params=None, data=None, json=None, files=None,
                headers=None):
        policy = self.policy
        # A structure change that may have been applied must not be sent twice.
        repeatable = method.upper() == "GET" or endpoint.endswith("values:batchUpdate")
        attempt = 0
        while True:
            attempt += 1
            left = policy.deadline - self.waited
            if left <= 0:
                raise GoogleUnavailable(f"no answer within the {policy.deadline:.0f} s "
                                        f"deadline")
            began = time.monotonic()
            try:
                return self._once(method, endpoint, params, data, json, files, headers,
                                  left, attempt, repeatable)
            except _Retry as retry:
                why = retry.why
            finally:
                self.waited += time.monotonic() - began
            pause = random.uniform(0, min(policy.backoff_cap, policy.backoff * 2 ** (attempt - 1)))
            if attempt >= policy.attempts or self.waited + pause >= policy.deadline:
                raise GoogleUnavailable(why, quota="429" in why)
            time.sleep(pause)
            self.waited += pause

    def _once(self, method, endpoint, params, data, json, files, headers, left: float,
              attempt: int, repeatable: bool):
        """One try: the response, or _Retry(why) when another try may help."""
        policy = self.policy
        began = time.monotonic()
        try:
            response = self.session.request(
                method=method, url=endpoint, json=json, params=params, data=data,
                files=files, headers=headers,
                timeout=(min(policy.connect_timeout, left), min(policy.read_timeout, left)))
        except auth_exceptions.RefreshError as exc:
            raise GoogleAuthFailed.refresh(exc) from None
        except auth_exceptions.TransportError:
            raise _Retry("could not reach Google to get an access token") from None
        except requests.ConnectionError as exc:
            sent = not isinstance(exc, requests.ConnectTimeout) and "refused" not in str(exc)
            if repeatable or not sent:
                raise _Retry("could not connect to Google") from None
            raise GoogleUnavailable("the connection broke", maybe_written=True) from None
        except requests.Timeout:
            why = f"no answer within {policy.read_timeout:.0f} s"
            if repeatable:
                raise _Retry(why) from None
            raise GoogleUnavailable(why, maybe_written=True) from None
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
        raise _Retry(f"Google's quota is used up (HTTP 429, {attempt} tries)" if status == 429
                     else f"HTTP {status} from Google ({attempt} tries)")


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
    http.waited = 0.0
    return http
