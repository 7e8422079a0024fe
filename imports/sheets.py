"""Reading a district's spreadsheets: XLSX or CSV (UTF-8 or Excel's GBK), with the checks that
turn a bad file into one plain message before any row is looked at.

Also the cell readers the resources share (text, numbers, yes/no, coordinates in any datum)
and the keyed hash of an ID number, which is all the portal keeps of it.
"""

import csv
import hashlib
import hmac
import io
import re

import tablib
from django.conf import settings
from django.utils.translation import gettext as _
from import_export.formats import base_formats
from openpyxl.styles import Font

from core.exceptions import ApplicationError
from core.exports import csv_bytes, unguard, xlsx_bytes
from core.validators import strip_control_chars

# A district's largest list (its buildings) is ~20,000 rows; beyond this a file is a mistake
# (a whole column selected and filled down) or needs splitting, and would hold the tree's lock
# for minutes.
DEFAULT_MAX_ROWS = 50_000


def max_rows() -> int:
    return getattr(settings, "IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)


# Jingkou with a margin (settings.DISTRICT_BOUNDS: south, west, north, east in WGS-84): a point
# outside is a typo or a point in the wrong datum, not a building of the district.
DEFAULT_DISTRICT_BOUNDS = (32.08, 119.36, 32.30, 119.72)

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old .xls (and .doc) container


class SheetError(ApplicationError):
    """The file as a whole cannot be imported (not a sheet, empty, too long, wrong columns)."""


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # Excel stores typed-in phone numbers and codes as numbers: 13812345678.0
        return str(int(value))
    # A cell the portal's own export guarded against formulas comes back as it was typed.
    return strip_control_chars(unguard(str(value).strip()))


def read_xlsx(data: bytes) -> tablib.Dataset:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise SheetError(
            _(
                "This file could not be opened as an Excel workbook (.xlsx). Save it again from Excel as .xlsx, or as CSV."
            )
        ) from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows()
        dataset = tablib.Dataset()
        header = next(rows, None)
        if header is None:
            raise SheetError(_("The sheet is empty: there is no header row and no data."))
        dataset.headers = [_cell_text(cell.value) for cell in header]
        width = len(dataset.headers)
        for line, row in enumerate(rows, start=2):
            values = []
            for column, cell in enumerate(row[:width]):
                if cell.data_type == "f" or (
                    isinstance(cell.value, str) and cell.value.startswith("=")
                ):
                    raise SheetError(
                        _(
                            "Row %(line)s, column “%(column)s” holds a formula (%(formula)s). Formulas are not imported: in Excel copy the sheet and paste it as values only, then upload again."
                        )
                        % {
                            "line": line,
                            "column": dataset.headers[column] if column < width else column + 1,
                            "formula": str(cell.value)[:40],
                        }
                    )
                values.append(cell.value)
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue  # blank lines at the end of a sheet
            values += [None] * (width - len(values))
            dataset.append(values)
            if len(dataset) > max_rows():
                raise too_many_rows()
    finally:
        book.close()
    return dataset


def too_many_rows() -> SheetError:
    return SheetError(
        _(
            "The file has more than %(limit)s rows. Split it into files of at most %(limit)s rows and import them one after another."
        )
        % {"limit": f"{max_rows():,}"}
    )


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without Excel's BOM), else GB18030 — what Excel writes for “CSV” on a
    Chinese Windows — which also reads GBK and GB2312."""
    if b"\x00" in data[:4096]:
        raise not_a_sheet()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError(
        _(
            "The CSV file is neither UTF-8 nor GBK text. Save it from Excel as “CSV UTF-8”, or upload the .xlsx file."
        )
    )


def not_a_sheet() -> SheetError:
    return SheetError(
        _(
            "This file is not a spreadsheet. Upload an Excel workbook (.xlsx) or a CSV file, e.g. the template from this page."
        )
    )


def read_csv(data: bytes) -> tablib.Dataset:
    text = decode_text(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    dataset = tablib.Dataset()
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise SheetError(_("The sheet is empty: there is no header row and no data."))
        dataset.headers = [h.strip() for h in header]
        width = len(header)
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            dataset.append((row + [""] * width)[:width])
            if len(dataset) > max_rows():
                raise too_many_rows()
    except csv.Error as exc:
        raise not_a_sheet() from exc
    return dataset


def read_sheet(data: bytes) -> tablib.Dataset:
    """The first sheet of an XLSX file or a CSV file, told apart by their content."""
    if not data:
        raise SheetError(_("The file is empty."))
    if data.startswith(XLSX_MAGIC):
        dataset = read_xlsx(data)
    elif data.startswith(OLE_MAGIC):
        raise SheetError(
            _(
                "This is an old Excel file (.xls). Open it in Excel and save it as .xlsx, then upload that."
            )
        )
    else:
        dataset = read_csv(data)
    if not dataset.headers or not any(dataset.headers):
        raise SheetError(_("The sheet is empty: there is no header row and no data."))
    if len(dataset) == 0:
        raise SheetError(_("The sheet has a header row but no data rows below it."))
    return dataset


class SpreadsheetFormat(base_formats.Format):
    """The admin's one import format: an XLSX or CSV file, recognised by its content, so that
    nobody has to pick a format (or an encoding) to upload a sheet."""

    def __init__(self, encoding=None):
        self.encoding = encoding

    def get_title(self):
        return "xlsx / csv"

    def create_dataset(self, in_stream):
        return read_sheet(in_stream)

    def can_import(self):
        return True

    def get_extension(self):
        return "xlsx"


class XLSXFormat(base_formats.XLSX):
    """Exports and templates as .xlsx, written by core.exports: every text cell a string, none a
    formula."""

    def export_data(self, dataset, **kwargs):
        def setup(sheet, index):
            sheet.freeze_panes = "A2"
            for cell in sheet[1]:
                cell.font = Font(bold=True)

        return xlsx_bytes([(dataset.title or "Sheet1", _rows(dataset))], setup=setup)


class CSVFormat(base_formats.CSV):
    """Exports as CSV with a BOM, so that Excel opens the Chinese headers correctly, written by
    core.exports (no cell a formula)."""

    def export_data(self, dataset, **kwargs):
        return csv_bytes(_rows(dataset)).decode("utf-8")


def _rows(dataset: tablib.Dataset) -> list:
    return [list(dataset.headers or []), *(list(row) for row in dataset)]


def export_bytes(dataset: tablib.Dataset, fmt: str) -> bytes:
    if fmt == "csv":
        return CSVFormat().export_data(dataset).encode("utf-8")
    return XLSXFormat().export_data(dataset)


# --- Cells ----------------------------------------------------------------------------------

YES = {"是", "y", "yes", "true", "1", "√", "✓", "有"}
NO = {"否", "n", "no", "false", "0", "", "无"}


def text(value) -> str:
    return _cell_text(value)


def integer(value, *, default: int | None = 0) -> int | None:
    raw = _cell_text(value).replace(",", "")
    if raw == "":
        return default
    try:
        number = float(raw)
    except ValueError:
        raise ValueError(_("Enter a whole number, e.g. 120.")) from None
    if not number.is_integer() or number < 0:
        raise ValueError(_("Enter a whole number, e.g. 120."))
    return int(number)


def decimal(value) -> float | None:
    raw = _cell_text(value)
    if raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValueError(_("Enter a number, e.g. 32.2051.")) from None


def yes_no(value, *, default: bool = False) -> bool:
    raw = _cell_text(value).lower()
    if raw == "":
        return default
    if raw in YES:
        return True
    if raw in NO:
        return False
    raise ValueError(_("Enter 是 (yes) or 否 (no)."))


def split_list(value) -> list[str]:
    """A list in one cell: 政策咨询、助老服务 / a;b / one per line."""
    return [part.strip() for part in re.split(r"[、,，;；\n]+", _cell_text(value)) if part.strip()]


def in_district(lat: float, lng: float) -> bool:
    south, west, north, east = getattr(settings, "DISTRICT_BOUNDS", DEFAULT_DISTRICT_BOUNDS)
    return south <= lat <= north and west <= lng <= east


# --- ID numbers -----------------------------------------------------------------------------

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
ID_RE = re.compile(r"^\d{17}[\dX]$")


def normalize_id_number(value: str) -> str:
    """The 18-character resident ID number (公民身份号码), checked with its GB 11643 check digit."""
    raw = re.sub(r"\s", "", _cell_text(value)).upper()
    if not ID_RE.match(raw):
        raise ValueError(_("An ID number has 18 characters: 17 digits and a last digit or X."))
    total = sum(int(d) * w for d, w in zip(raw[:17], ID_WEIGHTS, strict=True))
    if ID_CHECK[total % 11] != raw[-1]:
        raise ValueError(
            _("This ID number is mistyped: its last character does not match the others.")
        )
    return raw


def id_number_hash(id_number: str) -> str:
    """HMAC-SHA256 keyed with SECRET_KEY: the same number always gives the same hash (re-imports
    find the person), and the hash cannot be turned back into the number without the key."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"id-number:{id_number}".encode(), hashlib.sha256
    ).hexdigest()


def masked_id(tail: str) -> str:
    return f"{'*' * 14}{tail}" if tail else ""


def is_masked(value: str) -> bool:
    return "*" in _cell_text(value)
