"""The admin's import (upload → dry run → confirm) and export buttons."""

import io

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grids.models import Building
from ops.models import AuditEvent
from organization.models import Person
from tests.imports.conftest import csv_bytes, valid_id

BUILDINGS = ["地址", "楼栋名称", "网格编码", "户数", "纬度", "经度"]
GOOD = [
    ["甲1号楼", "1号楼", "JK-S1-C01-G01", "10", "32.2", "119.45"],
    ["甲2号楼", "2号楼", "JK-S1-C01-G01", "12", "32.2", "119.45"],
]


def _upload(client, rows, *, name="b.csv", datum="wgs84"):
    data = csv_bytes(BUILDINGS, rows)
    return client.post(
        reverse("admin:grids_building_import"),
        {
            "import_file": SimpleUploadedFile(name, data),
            "format": "0",
            "resource": "0",
            "datum": datum,
        },
    )


@pytest.fixture(autouse=True)
def _english(client):
    # The messages are asserted in English; the portal's default is Chinese.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def admin_client_(client, superuser):
    client.force_login(superuser)
    return client


def test_the_import_page_offers_the_template(admin_client_, district):
    page = admin_client_.get(reverse("admin:grids_building_import"))
    assert page.status_code == 200
    url = reverse("admin:grids_building_sheet_template")
    assert url.encode() in page.content
    response = admin_client_.get(url)
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][:6] == tuple(BUILDINGS) and len(rows) == 2


def test_dry_run_shows_the_failing_rows_and_writes_nothing(admin_client_, district):
    rows = [
        *GOOD,
        ["乙1号楼", "1号楼", "JK-NOPE", "", "32.2", "119.45"],
        ["丙1号楼", "1号楼", "JK-S1-C01-G01", "", "30", "119.45"],
    ]
    page = _upload(admin_client_, rows)
    assert page.status_code == 200
    result = page.context["result"]
    assert {(line, column) for line, column, _m in result.problems} == {
        (4, "网格编码"),
        (5, "纬度"),
    }
    assert "confirm_form" not in page.context
    text = page.content.decode()
    assert "row 4" in text and "JK-NOPE" in text and "outside Jingkou" in text
    assert not Building.objects.exists()


def test_confirmed_import_writes_every_row_once(admin_client_, district, superuser):
    page = _upload(admin_client_, GOOD)
    assert page.context["result"].totals["new"] == 2
    assert not Building.objects.exists()  # the dry run wrote nothing
    confirm = page.context["confirm_form"]
    assert confirm.initial["datum"] == "wgs84"
    response = admin_client_.post(reverse("admin:grids_building_process_import"), confirm.initial)
    assert response.status_code == 302
    assert Building.objects.count() == 2
    event = AuditEvent.objects.get(object_type="imports.buildings")
    assert event.actor == superuser and "new=2" in event.detail
    page = _upload(admin_client_, GOOD)
    assert page.context["result"].totals["skip"] == 2


def test_a_confirmation_whose_data_changed_meanwhile_writes_nothing(admin_client_, district):
    page = _upload(admin_client_, GOOD)
    confirm = page.context["confirm_form"].initial
    # Meanwhile the grid's code changed: the confirmed import fails as a whole.
    g = district["g1"]
    g.code = "JK-S1-C01-G99"
    g.save()
    response = admin_client_.post(reverse("admin:grids_building_process_import"), confirm)
    assert response.status_code == 200
    assert response.context["result"].problems
    assert not Building.objects.exists()


def test_a_file_that_is_not_a_sheet_is_a_form_error(admin_client_, district):
    response = admin_client_.post(
        reverse("admin:grids_building_import"),
        {
            "import_file": SimpleUploadedFile("x.pdf", b"%PDF\x00\x01"),
            "format": "0",
            "resource": "0",
        },
    )
    assert "not a spreadsheet" in str(response.context["form"].errors["import_file"])


def test_street_staff_see_rows_outside_their_street_refused(client, district, street_user):
    client.force_login(street_user)
    page = _upload(client, [*GOOD, ["东街1号楼", "1号楼", "JK-S6-C01-G01", "", "32.2", "119.45"]])
    ((line, column, message),) = page.context["result"].problems
    assert (line, column) == (4, "网格编码") and "outside your area" in message
    assert not Building.objects.exists()


def test_street_staff_cannot_import_the_tree(client, district, street_user):
    client.force_login(street_user)
    assert client.get(reverse("admin:organization_orgunit_import")).status_code == 403


def test_export_from_the_admin_is_the_scoped_list_and_audited(client, district, street_user):
    from tests.grids.factories import building

    building(district["g1"], address="甲1号楼")
    building(district["g6"], address="东街1号楼")
    client.force_login(street_user)
    response = client.post(reverse("admin:grids_building_export"), {"format": "1", "resource": "0"})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("地址,楼栋名称,网格编码")
    assert "甲1号楼" in text and "东街1号楼" not in text
    assert "rows=1" in AuditEvent.objects.get(object_type="imports.buildings").detail


def test_the_person_list_shows_only_a_masked_id_number(admin_client_, district):
    id_number = valid_id("32110219580101001")
    from imports import sheets

    person = Person.objects.create(
        name="王建国", phone="13805110001", political_status="full",
        id_number_hash=sheets.id_number_hash(id_number), id_number_tail=id_number[-4:],
    )  # fmt: skip
    page = admin_client_.get(reverse("admin:organization_person_changelist"))
    assert sheets.masked_id(id_number[-4:]).encode() in page.content
    change = admin_client_.get(reverse("admin:organization_person_change", args=[person.pk]))
    assert id_number.encode() not in change.content
    assert person.id_number_hash.encode() not in change.content


@pytest.mark.parametrize(
    "model",
    [
        "organization_orgunit",
        "organization_person",
        "organization_department",
        "grids_grid",
        "grids_building",
        "grids_servicestation",
        "resident_requests_category",
    ],
)
def test_every_district_list_has_import_and_export_buttons(admin_client_, district, model):
    page = admin_client_.get(reverse(f"admin:{model}_changelist"))
    assert page.status_code == 200
    assert reverse(f"admin:{model}_import").encode() in page.content
    assert reverse(f"admin:{model}_export").encode() in page.content
    assert admin_client_.get(reverse(f"admin:{model}_import")).status_code == 200
    assert admin_client_.get(reverse(f"admin:{model}_export")).status_code == 200
