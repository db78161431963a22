"""An .xlsx/.xlsm file: read with python-calamine, written part by part.

Reading takes one snapshot of the file's bytes: calamine reads the cells from it and
the writer later edits the same bytes, so both see one version of the book. Writing
changes only the parts that hold crmsheets' cells (the sheets with owned columns,
crmsheets' own tabs, and the lists that name them); every other part is copied byte
for byte. The new file goes to a temporary file beside the book, is flushed to disk,
and replaces the book only if the book is still the one that was read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from ..errors import BookChanged, BookLocked, BookNotFound, BookUnreadable, BookWriteFailed
from ..model import Book, Tab, WritePlan
from . import xlsxml, xlsxzip

BACKUP_DIR = "crmsheets-backups"
BACKUPS_KEPT = 5


class ExcelBook:
    def __init__(self, path: Path, force: bool = False):
        self.path = Path(path)
        self.location = str(path)
        self.force = force
        self._data: bytes | None = None

    # ---- locks and change detection --------------------------------------------------

    def lock_file(self) -> Path | None:
        """Excel's ~$NAME.xlsx or LibreOffice's .~lock.NAME.xlsx# beside the book."""
        folder, name = self.path.parent, self.path.name
        for lock in (f"~${name}", f".~lock.{name}#"):
            if (folder / lock).exists():
                return folder / lock
        return None

    def check_unlocked(self) -> None:
        if not self.force and (lock := self.lock_file()):
            raise BookLocked(self.location, lock.name)

    def _current(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            raise BookChanged(self.location) from None

    # ---- read ------------------------------------------------------------------------

    def read(self) -> Book:
        if not self.path.exists():
            raise BookNotFound(self.location)
        if self.path.suffix.lower() not in (".xlsx", ".xlsm"):
            raise BookUnreadable(f"crmsheets reads .xlsx and .xlsm files, not {self.path.suffix}",
                                 self.location)
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise BookUnreadable(exc.strerror or str(exc), self.location) from None
        self._data = data
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            self._parts = set(self._zip.namelist())
            self._wb_path = xlsxml.workbook_part(self._text("_rels/.rels"))
            self._sheets = {s.name: s for s in xlsxml.sheets(
                self._text(self._wb_path), self._text(xlsxml.rels_part(self._wb_path)),
                self._wb_path)}
            calamine = CalamineWorkbook.from_filelike(io.BytesIO(data))
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise BookUnreadable(f"it is not a valid workbook ({exc})", self.location) from None
        except BookUnreadable as exc:
            raise BookUnreadable(exc.why, self.location) from None
        except Exception as exc:  # calamine raises its own error types
            raise BookUnreadable(f"it is not a valid workbook ({exc})", self.location) from None
        self._calamine = calamine
        self._meta = {m.name: m for m in calamine.sheets_metadata
                      if m.typ == SheetTypeEnum.WorkSheet}
        return Book(self.location, names=list(self._meta), load=self._load_tab)

    def _load_tab(self, name: str) -> Tab:
        meta = self._meta[name]
        ref = self._sheets.get(name)
        # Readers show error cells (#N/A...) as empty, so the sheet's XML is searched for
        # them too. zlib lets go of the GIL: the search runs beside calamine's parse.
        found: list[bool] = []
        search = threading.Thread(target=lambda: found.append(
            bool(ref and ref.part) and self._mentions(ref.part, b't="e"')))
        search.start()
        try:
            sheet = self._calamine.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            merged = [((a + 1, b + 1), (c + 1, d + 1))
                      for (a, b), (c, d) in (sheet.merged_cell_ranges or [])]
        except Exception as exc:  # a damaged sheet: name it
            raise BookUnreadable(f"its tab {name} cannot be read ({exc})", self.location) from None
        finally:
            search.join()
        errors = xlsxml.error_cells(self._text(ref.part)) if found and found[0] else {}
        return Tab(name, rows, errors, meta.visible != SheetVisibleEnum.Visible, merged)

    def _mentions(self, part: str, needle: bytes) -> bool:
        """Does the part contain `needle`? Read in chunks: sheets can be large."""
        tail = b""
        with self._zip.open(part) as fh:
            while chunk := fh.read(1 << 22):
                if needle in tail + chunk[: len(needle)] or needle in chunk:
                    return True
                tail = chunk[-len(needle):]
        return False

    def _text(self, part: str) -> str:
        return self._zip.read(part).decode("utf-8")

    # ---- write -----------------------------------------------------------------------

    def apply(self, plan: WritePlan) -> list[str]:
        if self._data is None:
            raise RuntimeError("read() before apply()")
        self.check_unlocked()
        tmp = self.path.with_name(f".~crmsheets-{self.path.name}.tmp")
        # The backup is written by a thread while the parts are made, and the parts are
        # deflated by threads as soon as each is made: both let go of the GIL. Leaving
        # the block waits for the backup, written or failed, before anything else.
        with ThreadPoolExecutor(1) as io_pool, xlsxzip.Packer() as packer:
            backup_job = io_pool.submit(self._backup)
            self._changed_parts(plan, packer)
            new_data = xlsxzip.assemble(self._data, packer)
        try:
            backup = backup_job.result()
            with open(tmp, "wb") as fh:
                fh.write(new_data)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.chmod(tmp, os.stat(self.path).st_mode & 0o7777)
            except OSError:
                pass
            if self._current() != self._data:
                raise BookChanged(self.location)
            os.replace(tmp, self.path)
            _fsync_dir(self.path.parent)
        except OSError as exc:
            raise BookWriteFailed(self.location, exc.strerror or str(exc)) from None
        finally:
            if tmp.exists():
                tmp.unlink()
        self._data = new_data
        return [f"previous version kept as {backup}"]

    def _backup(self) -> Path:
        folder = self.path.parent / BACKUP_DIR
        folder.mkdir(exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        digest = hashlib.sha1(self._data).hexdigest()[:6]
        target = folder / f"{self.path.stem}.{stamp}-{digest}{self.path.suffix}"
        with open(target, "wb") as fh:
            fh.write(self._data)
            fh.flush()
            os.fsync(fh.fileno())
        mine = sorted(folder.glob(f"{self.path.stem}.*{self.path.suffix}"),
                      key=lambda p: p.stat().st_mtime)
        for old in mine[:-BACKUPS_KEPT]:
            old.unlink()
        return target

    def _changed_parts(self, plan: WritePlan, packer: xlsxzip.Packer) -> None:
        """Each part the plan changes, added to `packer`; an owner's sheet as soon as its
        owned columns are written, so that it is deflated while the rest is made."""
        texts: dict[str, str] = {}
        originals: dict[str, str] = {}

        def text(part: str) -> str:
            if part not in texts:
                texts[part] = originals[part] = self._text(part)
            return texts[part]

        styles = xlsxml.Styles()
        dated = any(isinstance(v, dt.date) for cw in plan.columns for v in cw.cells.values())
        if plan.tabs or dated:
            styles_part = self._styles_part()
            if styles_part:
                texts[styles_part], styles = xlsxml.ensure_styles(text(styles_part))
        for tab in dict.fromkeys(cw.tab for cw in plan.columns):
            writes = [cw for cw in plan.columns if cw.tab == tab and (cw.cells or cw.new)]
            if writes:
                part = self._sheets[tab].part
                texts[part] = xlsxml.set_columns(
                    text(part), [(cw.col, cw.cells, cw.header if cw.new else None)
                                 for cw in writes], writes[0].header_row, styles.date)
                if texts[part] != originals[part]:
                    packer.add(part, texts.pop(part).encode("utf-8"))
        if plan.tabs:
            wb, rels = self._wb_path, xlsxml.rels_part(self._wb_path)
            taken = set(self._parts)
            for tw in plan.tabs:
                ref = self._sheets.get(tw.name)
                if ref is None:
                    texts[wb], texts[rels], texts["[Content_Types].xml"], part = xlsxml.add_sheet(
                        text(wb), text(rels), text("[Content_Types].xml"), wb, tw.name,
                        tw.hidden, taken)
                    taken.add(part)
                else:
                    part = ref.part
                texts[part] = xlsxml.render_tab(tw, styles)
        # A list part that already had every entry it needed (styles on a second sync)
        # is not rewritten.
        for part, t in texts.items():
            if part not in originals or t != originals[part]:
                packer.add(part, t.encode("utf-8"))

    def _styles_part(self) -> str | None:
        rels = xlsxml.rels_targets(self._text(xlsxml.rels_part(self._wb_path)),
                                    os.path.dirname(self._wb_path))
        for part, typ in rels.values():
            if typ.endswith("/styles") and part in self._parts:
                return part
        return None


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
