"""manage.py import_sheet and export_sheet."""

import pytest
from django.core.management import CommandError, call_command

from grids.datum import from_wgs84
from grids.models import Building
from ops.models import AuditEvent
from organization.models import OrgUnit
from tests.imports.conftest import csv_bytes

BUILDINGS = ["地址", "楼栋名称", "网格编码", "户数", "纬度", "经度"]


def _file(tmp_path, rows, headers=BUILDINGS, name="b.csv"):
    path = tmp_path / name
    path.write_bytes(csv_bytes(headers, rows))
    return str(path)


def test_import_sheet_with_datum_progress_and_user(district, superuser, tmp_path, capsys):
    lat, lng = from_wgs84(32.2069, 119.4472, "bd09")
    rows = [
        [f"京口路新村{i}号楼", f"{i}号楼", "JK-S1-C01-G01", "10", lat, lng] for i in range(1, 31)
    ]
    path = _file(tmp_path, rows)
    call_command("import_sheet", "buildings", path, "--datum", "bd09", "--user", superuser.username)
    out, err = capsys.readouterr()
    assert "30 rows: 30 new" in out
    assert "[##############################] 30/30" in err  # the progress bar, on stderr
    building = Building.objects.get(address="京口路新村1号楼")
    assert building.lat == pytest.approx(32.2069, abs=2e-6)
    assert AuditEvent.objects.get(object_type="imports.buildings").actor == superuser


def test_dry_run_writes_nothing_and_says_so(district, tmp_path, capsys):
    path = _file(tmp_path, [["甲1号楼", "1号楼", "JK-S1-C01-G01", "", "32.2", "119.45"]])
    call_command("import_sheet", "buildings", path, "--dry-run", "--no-progress")
    assert "Dry run: nothing was written" in capsys.readouterr().out
    assert not Building.objects.exists()


def test_failing_rows_are_printed_and_the_command_fails(district, tmp_path, capsys):
    rows = [
        ["甲1号楼", "1号楼", "JK-S1-C01-G01", "", "32.2", "119.45"],
        ["乙1号楼", "1号楼", "JK-NOPE", "", "32.2", "119.45"],
    ]
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_sheet", "buildings", _file(tmp_path, rows), "--no-progress")
    assert "row 3 · 网格编码" in capsys.readouterr().err
    assert not Building.objects.exists()


def test_a_street_user_is_held_to_their_street(district, street_user, tmp_path):
    rows = [["东街1号楼", "1号楼", "JK-S6-C01-G01", "", "32.2", "119.45"]]
    with pytest.raises(CommandError):
        call_command(
            "import_sheet",
            "buildings",
            _file(tmp_path, rows),
            "--user",
            street_user.username,
            "--no-progress",
        )
    assert not Building.objects.exists()


def test_unknown_user_and_unreadable_file(district, tmp_path):
    with pytest.raises(CommandError, match="no login"):
        call_command("import_sheet", "org", _file(tmp_path, [["a"] * 6]), "--user", "nobody")
    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF\x00\x01")
    with pytest.raises(CommandError, match="not a spreadsheet"):
        call_command("import_sheet", "org", str(path))
    assert OrgUnit.objects.count() == 7


def test_export_then_import_changes_nothing(district, tmp_path, capsys):
    path = str(tmp_path / "org.xlsx")
    call_command("export_sheet", "org", path)
    call_command("import_sheet", "org", path, "--no-progress")
    assert "7 rows: 0 new, 0 changed, 7 unchanged" in capsys.readouterr().out


def test_template_has_the_headers_and_one_example_row(tmp_path):
    import openpyxl

    path = tmp_path / "t.xlsx"
    call_command("export_sheet", "stations", str(path), "--template")
    rows = list(openpyxl.load_workbook(path).active.values)
    assert rows[0][:3] == ("名称", "级别", "所属单位编码") and len(rows) == 2
    assert rows[1][0] == "京口路社区党群服务中心"
