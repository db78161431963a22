"""Which Google credentials a job uses, found the way gspread users expect.

In order: `--credentials FILE`; the CRMSHEETS_CREDENTIALS or GOOGLE_APPLICATION_CREDENTIALS
environment variable; gspread's own files in its config folder (~/.config/gspread, or
%APPDATA%\\gspread on Windows): service_account.json, then a signed-in user's
authorized_user.json (made by `crmsheets auth` from an OAuth client's credentials.json).

A file can be a service-account key, an OAuth client ("installed app") file, or a saved
user sign-in. Only `crmsheets auth` opens a browser; a scheduled sync never waits for a
person. Messages name files and accounts, never keys or tokens.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import GoogleAuthFailed

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
ENV_VARS = ("CRMSHEETS_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS")


def config_dir() -> Path:
    """gspread's own folder, found as gspread finds it (so one set-up serves both)."""
    if os.name == "nt" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "gspread"
    return Path.home() / ".config" / "gspread"


def default_files() -> dict[str, Path]:
    folder = config_dir()
    return {"service_account": folder / "service_account.json",
            "authorized_user": folder / "authorized_user.json",
            "client": folder / "credentials.json"}


@dataclass
class Found:
    credentials: object  # google.auth.credentials.Credentials
    who: str  # the account's email (service account) or "your Google account"
    source: str  # where they came from, in words


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GoogleAuthFailed(f"No credentials file at {path}.") from None
    except (OSError, ValueError, UnicodeDecodeError):
        raise GoogleAuthFailed(f"{path} is not a Google credentials file (it is not "
                               f"JSON). Download the key again from the Google Cloud "
                               f"console.") from None


def from_file(path: Path, source: str, interactive: bool = False) -> Found:
    info = _read_json(path)
    kind = info.get("type") or next((k for k in ("installed", "web") if k in info), "")
    if not kind and {"refresh_token", "client_id"} <= set(info):
        kind = "authorized_user"  # as gspread and google-auth save a sign-in (no "type")
    if kind == "service_account":
        from google.oauth2 import service_account

        try:
            creds = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
        except (ValueError, KeyError):
            raise GoogleAuthFailed(f"{path} is a damaged service-account key: make a new "
                                   f"key in the Google Cloud console.") from None
        return Found(creds, info.get("client_email", "the service account"), source)
    if kind == "authorized_user":
        from google.oauth2.credentials import Credentials

        try:
            creds = Credentials.from_authorized_user_info(info, scopes=SCOPES)
        except ValueError:
            raise GoogleAuthFailed(f"{path} is a damaged saved sign-in: run crmsheets auth "
                                   f"to sign in again.") from None
        return Found(creds, info.get("account") or "your Google account", source)
    if kind in ("installed", "web"):
        cache = default_files()["authorized_user"]
        if cache.exists():
            return from_file(cache, f"saved sign-in {cache}")
        if not interactive:
            raise GoogleAuthFailed(f"{path} is an OAuth client file and nobody has signed "
                                   f"in with it yet: run crmsheets auth once, on a machine "
                                   f"with a browser.")
        return sign_in(info, path)
    raise GoogleAuthFailed(f"{path} is not a service-account key or an OAuth client file "
                           f"(its \"type\" is {kind or 'missing'}).")


def sign_in(client_info: dict, path: Path) -> Found:
    """The installed-app flow in the owner's browser; the sign-in is saved for later jobs."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    from .client import routed_session

    flow = InstalledAppFlow.from_client_config(client_info, SCOPES)
    for prefix, adapter in routed_session().adapters.items():  # the test emulator, if set
        flow.oauth2session.mount(prefix, adapter)
    try:
        creds = flow.run_local_server(port=0, open_browser=True, timeout_seconds=300)
    except Exception as exc:  # the owner closed the browser, refused access...
        raise GoogleAuthFailed(f"Signing in with {path} did not finish "
                               f"({type(exc).__name__}). Run crmsheets auth again.") from None
    cache = default_files()["authorized_user"]
    cache.parent.mkdir(parents=True, exist_ok=True)
    data = {"type": "authorized_user", **json.loads(creds.to_json(strip=["token"]))}
    fd = os.open(cache, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    return Found(creds, "your Google account", f"sign-in saved to {cache}")


def find(explicit: str | Path | None = None, interactive: bool = False) -> Found:
    """The credentials a job uses, or a one-line error saying how to set them up."""
    if explicit:
        return from_file(Path(explicit), f"--credentials {explicit}", interactive)
    for var in ENV_VARS:
        if os.environ.get(var):
            return from_file(Path(os.environ[var]), f"${var}", interactive)
    files = default_files()
    if files["service_account"].exists():
        return from_file(files["service_account"], str(files["service_account"]))
    if files["authorized_user"].exists():
        return from_file(files["authorized_user"], f"saved sign-in {files['authorized_user']}")
    if files["client"].exists():
        return from_file(files["client"], str(files["client"]), interactive)
    raise GoogleAuthFailed(
        "No Google credentials found. Give a service-account key with --credentials "
        "KEY.json (or CRMSHEETS_CREDENTIALS=KEY.json), or put it at "
        f"{files['service_account']}; see docs/google-sheets.md.")
