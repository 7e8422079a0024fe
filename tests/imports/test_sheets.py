"""Reading a file: every way a file can be wrong ends in one plain message and nothing written."""

import openpyxl
import pytest
from django.utils.translation import gettext as _

from imports import services, sheets
from organization.models import OrgUnit, Person
from tests.imports.conftest import csv_bytes, xlsx_bytes

PEOPLE = ["姓名", "身份证号", "手机号", "政治面貌", "离退休", "组织关系所在单位编码", "职务"]


def _refusal(data, kind="people", **kwargs):
    with pytest.raises(sheets.SheetError) as exc:
        services.sheet_import_file(kind=kind, data=data, dry_run=False, **kwargs)
    return exc.value.message


def test_a_file_that_is_not_a_spreadsheet_is_refused(district):
    before = Person.objects.count()
    message = _refusal(b"%PDF-1.4\x00\x01\x02 binary")
    assert message == sheets.not_a_sheet().message
    assert Person.objects.count() == before


def test_a_broken_xlsx_says_it_cannot_be_opened(district):
    message = _refusal(b"PK\x03\x04 not really a zip")
    assert "could not be opened as an Excel workbook" in message


def test_an_old_xls_file_is_asked_to_be_saved_as_xlsx(district):
    message = _refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert ".xlsx" in message and ".xls)" in message


@pytest.mark.parametrize("data", [b"", b"\n\n", xlsx_bytes([], [])])
def test_an_empty_sheet_is_refused(district, data):
    message = _refusal(data)
    assert "empty" in message


def test_headers_without_rows_are_refused(district):
    message = _refusal(csv_bytes(PEOPLE, []))
    assert message == _("The sheet has a header row but no data rows below it.")


def test_wrong_headers_name_the_missing_columns_and_write_nothing(district):
    data = csv_bytes(["name", "phone"], [["王一", "13812345678"]])
    result = services.sheet_import_file(kind="people", data=data, dry_run=False)
    assert not services.result_ok(result)
    (problem,) = result.problems
    assert problem[0] is None
    assert "“姓名”" in problem[2] and "“手机号”" in problem[2] and "“政治面貌”" in problem[2]
    assert not Person.objects.filter(phone="13812345678").exists()


def test_too_many_rows_are_refused_with_the_limit(district, settings):
    settings.IMPORT_MAX_ROWS = 100
    rows = [[f"王{i}", "", f"138{i:08d}", "群众", "", "", ""] for i in range(101)]
    message = _refusal(csv_bytes(PEOPLE, rows))
    assert "more than 100 rows" in message
    assert not Person.objects.filter(phone__startswith="138000").exists()


def test_a_hundred_thousand_rows_stop_at_the_limit_without_reading_them_all(district):
    header = ",".join(PEOPLE) + "\n"
    body = "".join(f"王{i},,138{i:08d},群众,,,\n" for i in range(100_000))
    message = _refusal((header + body).encode())
    assert f"more than {sheets.max_rows():,} rows" in message


def test_a_formula_is_refused_naming_its_cell(district):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(PEOPLE)
    sheet.append(["王一", "", "13812345678", "群众", "", "", ""])
    sheet.append(["王二", "", "=B2+1", "群众", "", "", ""])
    import io

    out = io.BytesIO()
    book.save(out)
    message = _refusal(out.getvalue())
    assert "Row 3" in message and "“手机号”" in message and "formula" in message
    assert not Person.objects.filter(name__in=["王一", "王二"]).exists()


def test_a_gbk_csv_from_excel_is_read(district):
    data = csv_bytes(
        PEOPLE,
        [["王建国", "", "13812345678", "正式党员", "是", "JK-S1-C01-G01", ""]],
        encoding="gbk",
    )
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = services.sheet_import_file(kind="people", data=data, dry_run=False)
    assert services.result_ok(result), result.problems
    person = Person.objects.get(phone="13812345678")
    assert person.name == "王建国" and person.retired


def test_text_that_is_neither_utf8_nor_gbk_is_refused(district):
    # Bytes that no GB18030 decoder accepts (0x80 and 0xFF are not valid lead bytes).
    message = _refusal(b"\xff\xfe\x80\x80,\x80\xff\n")
    assert "neither UTF-8 nor GBK" in message


def test_excel_numbers_read_as_text(district):
    # A phone typed into Excel is stored as the number 13812345678.0.
    data = xlsx_bytes(PEOPLE, [["王一", None, 13812345678, "群众", None, None, None]])
    result = services.sheet_import_file(kind="people", data=data, dry_run=False)
    assert services.result_ok(result), result.problems
    assert Person.objects.filter(phone="13812345678").exists()


def test_unknown_kind_and_datum_are_refused(district):
    from core.exceptions import ApplicationError

    with pytest.raises(ApplicationError):
        services.sheet_import_file(kind="nope", data=csv_bytes(PEOPLE, [["a"] * 7]))
    with pytest.raises(ApplicationError):
        services.sheet_import_file(kind="people", data=csv_bytes(PEOPLE, [["a"] * 7]), datum="utm")
    assert OrgUnit.objects.count() == 7


def test_id_number_check_digit():
    from tests.imports.conftest import valid_id

    good = valid_id("32110219580101001")
    assert sheets.normalize_id_number(good.lower()) == good.upper()
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValueError):
        sheets.normalize_id_number(wrong)
    with pytest.raises(ValueError):
        sheets.normalize_id_number("12345")
