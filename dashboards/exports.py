"""A dashboard table as a CSV or XLSX file, named after the scope and the date range."""

import csv
import io
import re

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from .tables import Table

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_filename(*, scope: str, table: Table, start, end, fmt: str) -> str:
    """正东路街道党工委_assessment_2026-01-01_2026-03-31.xlsx"""
    safe_scope = re.sub(r"[\\/:*?\"<>|\s]+", "_", scope).strip("_")
    return f"{safe_scope}_{table.key}_{start:%Y-%m-%d}_{end:%Y-%m-%d}.{fmt}"


def table_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(c) for c in table.columns])
    for row in table.rows:
        writer.writerow(row)
    # The byte-order mark lets spreadsheet programs read the Chinese text as UTF-8.
    return out.getvalue().encode("utf-8-sig")


def table_xlsx(table: Table, *, scope: str, start, end) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = table.key[:31]
    sheet.append([str(c) for c in table.columns])
    for row in table.rows:
        sheet.append([cell if isinstance(cell, int | float) else str(cell) for cell in row])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(table.columns, start=1):
        width = max([len(str(column))] + [len(str(row[index - 1])) for row in table.rows])
        sheet.column_dimensions[get_column_letter(index)].width = min(60, 4 + 2 * width)
    about = book.create_sheet("about")
    about.append([str(table.title)])
    about.append([scope])
    about.append([f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}"])
    if table.note:
        about.append([str(table.note)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
