"""In a browser at 1366 px: log into the admin, download the template, upload three good rows
and two bad ones, read the dry run, fix the two rows, upload again and confirm."""

import csv
import io

import openpyxl
import pytest

from grids.models import Building
from tests.organization.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _csv(rows) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


@pytest.fixture
def wide_page(browser, live_server):
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    yield page
    context.close()


def test_template_dry_run_fix_and_confirm(wide_page, live_server, district, tmp_path):
    page = wide_page
    user = UserFactory(username="importer", is_superuser=True)
    user.save()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/grids/building/")
    page.fill("#id_username", "importer")
    page.fill("#id_password", "pw-for-tests-123")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/grids/building/")

    page.click("a.import_link")
    with page.expect_download() as download:
        page.click("#sheet-template-xlsx")
    path = tmp_path / "template.xlsx"
    download.value.save_as(path)
    headers = [c.value for c in next(openpyxl.load_workbook(path).active.iter_rows(max_row=1))]
    assert headers[:6] == ["地址", "楼栋名称", "网格编码", "户数", "纬度", "经度"]

    good = [
        ["京口路新村1号楼", "1号楼", "JK-S1-C01-G01", "24", "32.2069", "119.4472"],
        ["京口路新村2号楼", "2号楼", "JK-S1-C01-G01", "24", "32.2071", "119.4475"],
        ["东街1号楼", "1号楼", "JK-S6-C01-G01", "18", "32.1620", "119.5750"],
    ]
    bad = [
        ["京口路新村3号楼", "3号楼", "JK-S1-C01-G77", "24", "32.2072", "119.4477"],  # no such grid
        ["京口路新村4号楼", "4号楼", "JK-S1-C01-G01", "24", "3.22", "119.4478"],  # a slip: 3.22
    ]
    header = headers[:6]

    def upload(rows, name):
        page.set_input_files(
            "#id_import_file",
            {"name": name, "mimeType": "text/csv", "buffer": _csv([header, *rows])},
        )
        page.click("input[type=submit]")
        page.wait_for_selector("#sheet-result")

    upload([*good, *bad], "楼栋表.csv")
    problems = page.locator("#sheet-problems tbody tr")
    assert problems.count() == 2
    first, second = problems.nth(0).inner_text(), problems.nth(1).inner_text()
    assert "5" in first and "网格编码" in first and "JK-S1-C01-G77" in first
    assert "6" in second and "纬度" in second
    assert page.locator("input[name=confirm]").count() == 0
    page.screenshot(path=str(tmp_path / "dry-run.png"), full_page=True)
    assert not Building.objects.exists()

    bad[0][2] = "JK-S1-C01-G01"
    bad[1][4] = "32.2073"
    upload([*good, *bad], "楼栋表-改.csv")
    assert page.locator("#sheet-problems").count() == 0
    assert page.inner_text("#count-new") == "5"
    assert not Building.objects.exists()  # still only a check
    page.click("input[name=confirm]")
    page.wait_for_url("**/admin/grids/building/")
    assert page.locator(".messagelist .success").count() == 1
    assert Building.objects.count() == 5
    assert page.console_errors == []
