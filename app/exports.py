"""Tables as files people open in a spreadsheet: CSV and XLSX, written the same way for every export.

- CSV: UTF-8 with a byte-order mark, so Excel opens the Vietnamese text intact; CRLF line ends.
- XLSX: written by openpyxl (write-only mode): a bold, frozen header row; money as whole-đồng numbers;
  times as real date-time cells.
- Headers and labels are in the user's language; money is an integer number of đồng.
- Formula injection: a text cell starting with = + - @ (or a tab or carriage return) gets a leading
  apostrophe, so no spreadsheet runs it as a formula; in XLSX it is also stored as text, never as a
  formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.i18n import gettext as _
from app.pos.models import SaleStatus

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
RISKY_START = ("=", "+", "-", "@", "\t", "\r")
CSV_TIME = "%Y-%m-%d %H:%M"
XLSX_TIME = "dd/mm/yyyy hh:mm"
XLSX_MONEY = "#,##0"

Cell = str | int | dt.datetime | bool | None


@dataclass(frozen=True)
class Column:
    header: str  # translated
    money: bool = False
    width: int = 16


@dataclass(frozen=True)
class Table:
    kind: str
    columns: list[Column]
    rows: list[list[Cell]]


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    content: bytes


# --- pure: names, cells, writers ---


def safe_text(value: str) -> str:
    """Text a spreadsheet shows as it is: a leading apostrophe before = + - @ (and tab, CR), which a
    spreadsheet would otherwise read as the start of a formula."""
    return "'" + value if value.startswith(RISKY_START) else value


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _csv_cell(value: Cell) -> str | int:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        return value.strftime(CSV_TIME)
    return safe_text(value)


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_text(c.header) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table, sheet_title: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=sheet_title[:31] or "Sheet1")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=_xlsx_text(column.header))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        sheet.append(
            [_xlsx_cell(sheet, value, column) for value, column in zip(row, table.columns, strict=True)]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_text(value: str) -> str:
    return safe_text(ILLEGAL_CHARACTERS_RE.sub("", value))


def _xlsx_cell(sheet: object, value: Cell, column: Column) -> WriteOnlyCell | None:
    if value is None:
        return None
    if isinstance(value, bool):
        cell = WriteOnlyCell(sheet, value=_yes_no(value))
    elif isinstance(value, int):
        cell = WriteOnlyCell(sheet, value=value)
        if column.money:
            cell.number_format = XLSX_MONEY
    elif isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = XLSX_TIME
    else:
        cell = WriteOnlyCell(sheet, value=_xlsx_text(value))
        cell.data_type = "s"  # text, never a formula
    return cell


# --- labels (never a raw enum value in an export) ---


def sale_status_label(status: SaleStatus) -> str:
    return {
        SaleStatus.COMPLETED: _("Paid"),
        SaleStatus.PARTLY_REFUNDED: _("Partly refunded"),
        SaleStatus.REFUNDED: _("Refunded"),
    }[status]


def payment_method_label(method: str) -> str:
    return {"cash": _("Cash"), "vietqr": _("VietQR transfer"), "stripe": _("Card")}.get(
        method, _("Other payment")
    )
