from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from crmsheets.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def book(tmp_path):
    """Copy a fixture book into tmp_path: book("owner_features.xlsx") -> its new path."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copy(FIXTURES / name, target)
        return target

    return copy


def run_cli(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def values(path: Path, tab: str) -> list[list]:
    ws = load_workbook(path, data_only=False)[tab]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*?(?:/>|>.*?</(?:\w+:)?c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)\d+"')


def cells_outside(xml: bytes, owned_letters: set[str]) -> list[bytes]:
    """Every cell element of a sheet, as bytes, except those in the owned columns."""
    out = []
    for m in _CELL.finditer(xml):
        ref = _REF.search(m.group(0)[:80])
        if ref and ref.group(1).decode() in owned_letters:
            continue
        out.append(m.group(0))
    return out


def assert_lossless(before: Path, after: Path, owner_sheets: dict[str, set[str]]) -> None:
    """Every part crmsheets does not own is byte-identical; list parts only gained
    entries; owner sheets kept every cell outside the owned columns byte for byte.

    owner_sheets: part name of an owner sheet crmsheets writes to -> owned column letters.
    """
    old, new = parts(before), parts(after)
    lists = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
             "xl/styles.xml"}
    for name, data in old.items():
        assert name in new, f"part {name} was dropped"
        if name in owner_sheets:
            kept = cells_outside(new[name], owner_sheets[name])
            assert kept == cells_outside(data, owner_sheets[name]), f"{name}: owner cells changed"
            head = data.split(b"<sheetData")[0]
            assert _strip_dims(new[name].split(b"<sheetData")[0]) == _strip_dims(head) or \
                b"<cols>" in new[name], f"{name}: sheet properties changed"
            continue
        if name in lists:
            _assert_only_gained(name, data, new[name])
            continue
        assert new[name] == data, f"part {name} changed"
    with zipfile.ZipFile(before) as zb, zipfile.ZipFile(after) as za:
        for info in zb.infolist():
            if info.filename in lists or info.filename in owner_sheets:
                continue
            other = za.getinfo(info.filename)
            assert (other.CRC, other.compress_size, other.compress_type) == (
                info.CRC, info.compress_size, info.compress_type), \
                f"part {info.filename} was re-compressed"


def _strip_dims(head: bytes) -> bytes:
    return re.sub(rb"<(\w+:)?dimension[^>]*/>", b"", head)


_STYLE_LISTS = {b"numFmts": b"numFmt", b"fonts": b"font", b"fills": b"fill",
                b"borders": b"border", b"cellStyleXfs": b"xf", b"cellXfs": b"xf",
                b"cellStyles": b"cellStyle", b"dxfs": b"dxf"}


def _style_lists(xml: bytes) -> tuple[dict[bytes, list[bytes]], bytes]:
    """Each list of styles.xml with its entries, and the text outside the lists."""
    out = {}
    rest = xml
    for container, child in _STYLE_LISTS.items():
        m = re.search(rb"<(?:\w+:)?" + container + rb"\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?"
                      + container + rb">)", rest, re.S)
        if not m:
            continue
        out[container] = re.findall(rb"<(?:\w+:)?" + child + rb"\b(?:[^>]*/>|[^>]*>.*?</(?:\w+:)?"
                                    + child + rb">)", m.group(1) or b"", re.S)
        rest = rest[: m.start()] + rest[m.end():]
    return out, rest


def _assert_only_gained(name: str, old: bytes, new: bytes) -> None:
    """Each entry of the old list part is still there, at the same index."""
    if name == "xl/styles.xml":
        old_lists, old_rest = _style_lists(old)
        new_lists, new_rest = _style_lists(new)
        assert new_rest == old_rest, f"{name}: changed outside its lists"
        for container, entries in old_lists.items():
            assert new_lists[container][: len(entries)] == entries, \
                f"{name}: existing {container.decode()} entries changed"
        return
    pat = re.compile(rb"<(?:\w+:)?(?:sheet|Relationship|Override|Default|definedName)\b[^>]*>")
    o, n = pat.findall(old), pat.findall(new)
    remaining = iter(n)
    for item in o:
        assert any(item == x for x in remaining), f"{name}: entry {item[:80]!r} lost or changed"


@pytest.fixture(scope="session")
def service_key():
    """A service-account key file's contents and its public key (made once: RSA is slow)."""
    from google_emulator import service_account_key

    return service_account_key()


@pytest.fixture
def google(tmp_path, monkeypatch, service_key):
    """The loopback Google emulator, with crmsheets routed to it and signed in as a
    service account the emulator knows. google.upload(tabs) makes a shared sheet."""
    from google_emulator import Emulator

    info, public = service_key
    key_file = tmp_path / "service-account.json"
    key_file.write_text(json.dumps(info))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no real gspread files
    monkeypatch.setenv("APPDATA", str(tmp_path / "home" / ".config"))  # the same on Windows
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CRMSHEETS_CREDENTIALS", str(key_file))
    with Emulator() as emu:
        monkeypatch.setenv("CRMSHEETS_GOOGLE_ENDPOINT", emu.url)
        emu.add_service_account(info, public)
        emu.email = info["client_email"]
        emu.key_file = key_file

        def upload(tabs: dict, title: str = "Shop customers", share: str = "writer") -> str:
            book = emu.create(title, tabs=tabs,
                              share={info["client_email"]: share} if share else {})
            return f"https://docs.google.com/spreadsheets/d/{book.sid}/edit#gid=0"

        emu.upload = upload
        yield emu
