"""A dashboard table as a CSV or XLSX file, named after the scope and the date range (written by
core.exports, which keeps every text cell a text)."""

import re

from openpyxl.utils import get_column_letter

from core.exports import csv_bytes, xlsx_bytes

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
    return csv_bytes([[str(c) for c in table.columns], *table.rows])


def table_xlsx(table: Table, *, scope: str, start, end) -> bytes:
    about = [[str(table.title)], [scope], [f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}"]]
    if table.note:
        about.append([str(table.note)])

    def setup(sheet, index):
        if index:
            return
        sheet.freeze_panes = "A2"
        for column_index, column in enumerate(table.columns, start=1):
            width = max(
                [len(str(column))] + [len(str(row[column_index - 1])) for row in table.rows]
            )
            sheet.column_dimensions[get_column_letter(column_index)].width = min(60, 4 + 2 * width)

    return xlsx_bytes(
        [(table.key, [[str(c) for c in table.columns], *table.rows]), ("about", about)],
        setup=setup,
    )
