"""The emulator answers as Google does: real recorded Sheets and Drive traffic (the
gspread project's cassettes, kept in ../shared/sheets-cassettes) is replayed against it
and the answers compared: status codes, echoed ranges, updated counts, cleared ranges,
table ranges, values, error codes. Ids, timestamps, the sheetId of added sheets and
formatting defaults are not compared (they are Google's to choose)."""

from __future__ import annotations

import json
import urllib.parse

import pytest
import requests
from conftest import SHARED
from google_emulator import Emulator

CASSETTES = SHARED / "sheets-cassettes"
FILES = sorted(CASSETTES.glob("*.json")) if CASSETTES.is_dir() else []
IGNORED = {"spreadsheetId", "id", "createdTime", "modifiedTime", "defaultFormat",
           "spreadsheetTheme", "spreadsheetUrl", "message", "errors", "details"}


def _subset(recorded, got, where: str, ids: dict[int, int]) -> list[str]:
    """Every deterministic value Google sent is in the emulator's answer."""
    out = []
    if isinstance(recorded, dict):
        if not isinstance(got, dict):
            return [f"{where}: expected an object, got {got!r}"]
        for key, value in recorded.items():
            if key in IGNORED:
                continue
            if key == "sheetId" and value in ids:
                value = ids[value]
            if key not in got:
                out.append(f"{where}.{key}: missing (Google sent {value!r})")
                continue
            if key == "sheetId" and value not in ids.values() and value != got[key]:
                continue  # an added sheet's id: Google's to choose
            out.extend(_subset(value, got[key], f"{where}.{key}", ids))
    elif isinstance(recorded, list):
        if not isinstance(got, list) or len(got) != len(recorded):
            return [f"{where}: expected {recorded!r}, got {got!r}"]
        for i, (a, b) in enumerate(zip(recorded, got, strict=True)):
            out.extend(_subset(a, b, f"{where}[{i}]", ids))
    elif recorded != got:
        out.append(f"{where}: Google sent {recorded!r}, the emulator {got!r}")
    return out


def _map_ids(obj, ids: dict[int, int], files: dict[str, str]):
    if isinstance(obj, dict):
        return {k: (ids.get(v, v) if k == "sheetId" else _map_ids(v, ids, files))
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [_map_ids(v, ids, files) for v in obj]
    return obj


@pytest.mark.skipif(not FILES, reason=f"no recorded Google traffic at {CASSETTES} "
                                      f"(../shared/sheets-cassettes is kept beside the repo)")
@pytest.mark.parametrize("cassette", FILES, ids=lambda p: p.stem)
def test_emulator_answers_as_google_did(cassette, service_key):
    info, public = service_key
    interactions = json.loads(cassette.read_text())["interactions"]
    with Emulator(allow_service_account_create=True) as emu:
        emu.add_service_account(info, public)
        token = emu._token(urllib.parse.urlencode({
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": _assertion(info)}).encode())["access_token"]
        for it in interactions:  # someone else's sheet the recording was refused
            path = urllib.parse.urlsplit(it["request"]["uri"]).path
            if it["response"]["status"]["code"] == 403 and "/v4/spreadsheets/" in path:
                emu.create("Private", owner="someone-else@example.com",
                           sid=path.split("/")[3])
        files: dict[str, str] = {}  # recorded Drive id -> the emulator's
        ids: dict[int, int] = {}  # recorded sheetId of an added sheet -> the emulator's
        problems: list[str] = []
        for n, it in enumerate(interactions):
            req, resp = it["request"], it["response"]
            uri = req["uri"]
            for old, new in files.items():
                uri = uri.replace(old, new)
            parts = urllib.parse.urlsplit(uri)
            body = req["body"]
            if body:
                body = json.dumps(_map_ids(json.loads(body), ids, files)).encode()
            got = requests.request(req["method"], emu.url + parts.path
                                   + (f"?{parts.query}" if parts.query else ""),
                                   data=body, timeout=30, headers={
                                       "Authorization": f"Bearer {token}",
                                       "Content-Type": "application/json"})
            where = f"#{n} {req['method']} {urllib.parse.unquote(parts.path)}"
            want = resp["status"]["code"]
            if got.status_code != want:
                problems.append(f"{where}: status {got.status_code}, Google sent {want} "
                                f"({got.text[:200]})")
                continue
            text = resp["body"]["string"]
            if not text.strip():
                continue
            recorded, answer = json.loads(text), got.json()
            if "/drive/v3/files" in parts.path and req["method"] == "POST":
                files[recorded["id"]] = answer["id"]
            for a, b in zip(recorded.get("replies", []), answer.get("replies", []), strict=False):
                if "addSheet" in a and "addSheet" in b:
                    ids[a["addSheet"]["properties"]["sheetId"]] = \
                        b["addSheet"]["properties"]["sheetId"]
            problems.extend(_subset(recorded, answer, where, ids))
        assert not problems, "\n".join(problems[:20])


def _assertion(info: dict) -> str:
    import time

    from google.auth import crypt, jwt

    now = int(time.time())
    signer = crypt.RSASigner.from_service_account_info(info)
    return jwt.encode(signer, {
        "iss": info["client_email"], "aud": info["token_uri"], "iat": now, "exp": now + 3600,
        "scope": "https://www.googleapis.com/auth/spreadsheets "
                 "https://www.googleapis.com/auth/drive"}).decode()
