"""A new workbook for `crmsheets init`, written with openpyxl.

openpyxl is fine here: the book is new, so there is nothing of the owner's to lose.
Existing books are never saved through openpyxl (see excel.py).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..errors import BadOption, BookWriteFailed
from ..sample import TabSpec

FORMATS = {"date": "yyyy-mm-dd", "money": "#,##0.00"}


def write_new_book(path: Path, tabs: list[TabSpec]) -> None:
    if path.exists():
        raise BadOption(f"{path} already exists; crmsheets init never overwrites a workbook. "
                        f"Choose another name, or sync the one you have: crmsheets sync {path}")
    if path.suffix.lower() != ".xlsx":
        raise BadOption(f"init writes .xlsx files: name the book like {path.stem}.xlsx")
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for spec in tabs:
        ws = wb.create_sheet(spec.name)
        ws.append(spec.headers)
        for cell in ws[1]:
            cell.font = bold
        ws.freeze_panes = "A2"
        for i, width in enumerate(spec.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        for row in spec.rows:
            ws.append(row)
            for cell in ws[ws.max_row]:
                # Untrusted text stays text: openpyxl would store "=..." as a formula.
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
        last = max(len(spec.rows) + 1, 1000)
        for col, fmt in spec.formats.items():
            letter = get_column_letter(col + 1)
            for (cell,) in ws.iter_rows(min_row=2, max_row=len(spec.rows) + 1, min_col=col + 1,
                                        max_col=col + 1):
                cell.number_format = FORMATS[fmt]
            ws.column_dimensions[letter].number_format = FORMATS[fmt]
        for col, values in spec.choices.items():
            letter = get_column_letter(col + 1)
            dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                                allow_blank=True, showErrorMessage=False)
            dv.add(f"{letter}2:{letter}{last}")
            ws.add_data_validation(dv)
    try:
        wb.save(path)
    except OSError as exc:
        raise BookWriteFailed(str(path), exc.strerror or str(exc)) from None
