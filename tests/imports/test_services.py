"""Each kind of sheet: imports, dry run, re-import, corrections in place, row errors, scope, audit."""

import pytest

from grids.datum import from_wgs84
from grids.models import Building, Grid, OpeningHours, ServiceStation
from imports import services, sheets
from imports.resources import rebuild_tree
from ops.models import AuditEvent
from organization.models import Department, OrgForm, OrgUnit, Person, Position, Role, UnitKind
from organization.selectors import tree_problems
from resident_requests.models import Category
from tests.imports.conftest import csv_bytes, valid_id, xlsx_bytes

ORG = ["编码", "名称", "层级", "组织形式", "上级编码", "上级路径"]
PEOPLE = ["姓名", "身份证号", "手机号", "政治面貌", "离退休", "组织关系所在单位编码", "职务"]
GRIDS = [
    "网格编码",
    "网格名称",
    "所属社区编码",
    "支部形式",
    "网格长手机号",
    "户数",
    "人口",
    "中心纬度",
    "中心经度",
]
BUILDINGS = ["地址", "楼栋名称", "网格编码", "户数", "纬度", "经度", "楼栋党小组编码"]
STATIONS = [
    "名称",
    "级别",
    "所属单位编码",
    "地址",
    "电话",
    "开放时间",
    "服务项目",
    "服务网格",
    "纬度",
    "经度",
    "示范中心",
    "最近改造年份",
    "在用",
    "简介",
]
DEPARTMENTS = ["编码", "名称", "级别", "所属街道编码", "联系人", "联系电话", "联系邮箱", "结对社区"]
CATEGORIES = [
    "编码",
    "名称",
    "上级分类编码",
    "默认处理层级",
    "默认部门编码",
    "受理时限（小时）",
    "办结时限（小时）",
    "排序",
    "启用",
]


def run(kind, headers, rows, *, dry_run=False, fmt="csv", **kwargs):
    data = csv_bytes(headers, rows) if fmt == "csv" else xlsx_bytes(headers, rows)
    return services.sheet_import_file(kind=kind, data=data, dry_run=dry_run, **kwargs)


def counts(result):
    c = services.counts_of(result)
    return (c.new, c.updated, c.unchanged, c.failed)


def problems(result):
    return {(line, column) for line, column, _message in result.problems}


def message(result, line, column):
    return next(m for li, co, m in result.problems if li == line and co == column)


# --- The organization tree ------------------------------------------------------------------

ORG_ROWS = [
    # Children before their parents: the import puts each level before the next.
    ["JK-S1-C02-G01", "贺家弄第1网格党小组", "网格", "党小组", "JK-S1-C02", ""],
    ["JK-S1-C02", "贺家弄社区党委", "社区", "党委", "JK-S1", ""],
    ["JK-S1-C02-G01-B01", "贺家弄第1网格1号楼栋党小组", "楼栋", "", "JK-S1-C02-G01", ""],
    ["JK-S1-C02-G01-B01-H01", "贺家弄党员中心户1", "中心户", "", "JK-S1-C02-G01-B01", ""],
]


def test_org_tree_imports_in_any_row_order_and_the_tree_stays_valid(district):
    result = run("org", ORG, ORG_ROWS)
    assert services.result_ok(result), result.problems
    assert counts(result) == (4, 0, 0, 0)
    household = OrgUnit.objects.get(code="JK-S1-C02-G01-B01-H01")
    assert [u.code for u in household.get_ancestors()] == [
        "JK", "JK-S1", "JK-S1-C02", "JK-S1-C02-G01", "JK-S1-C02-G01-B01",
    ]  # fmt: skip
    assert OrgUnit.objects.get(code="JK-S1-C02-G01").org_form == OrgForm.GROUP
    assert OrgUnit.objects.get(code="JK-S1-C02-G01-B01").org_form == OrgForm.GROUP  # the default
    assert tree_problems() == []
    assert rebuild_tree() == 0  # the values written are those a rebuild computes


def test_dry_run_writes_nothing(district):
    before = list(OrgUnit.objects.order_by("pk").values_list("pk", "lft", "rght"))
    result = run("org", ORG, ORG_ROWS, dry_run=True)
    assert counts(result) == (4, 0, 0, 0)
    assert list(OrgUnit.objects.order_by("pk").values_list("pk", "lft", "rght")) == before
    assert not AuditEvent.objects.filter(object_type="imports.org").exists()


def test_reimporting_the_same_file_changes_nothing(district):
    run("org", ORG, ORG_ROWS)
    stamps = dict(OrgUnit.objects.values_list("code", "updated_at"))
    result = run("org", ORG, ORG_ROWS)
    assert counts(result) == (0, 0, 4, 0)
    assert dict(OrgUnit.objects.values_list("code", "updated_at")) == stamps


def test_a_corrected_file_updates_units_in_place(district):
    run("org", ORG, ORG_ROWS)
    pk = OrgUnit.objects.get(code="JK-S1-C02-G01").pk
    corrected = [list(r) for r in ORG_ROWS]
    corrected[0][1] = "贺家弄第1网格党支部"
    corrected[0][3] = "党支部"
    # The building group moves to another grid of the district (the fixture's 京口路 grid).
    corrected[2][4] = "JK-S1-C01-G01"
    result = run("org", ORG, corrected)
    assert counts(result) == (0, 2, 2, 0), result.problems
    grid = OrgUnit.objects.get(pk=pk)
    assert (grid.name, grid.org_form) == ("贺家弄第1网格党支部", OrgForm.BRANCH)
    moved = OrgUnit.objects.get(code="JK-S1-C02-G01-B01")
    assert moved.parent.code == "JK-S1-C01-G01"
    assert moved.get_descendants().get().code == "JK-S1-C02-G01-B01-H01"
    assert tree_problems() == []


def test_a_unit_is_found_by_its_path_of_names_when_its_code_changed(district):
    rows = [["JK-S1-C01-NEW", "京口路社区党委", "社区", "", "", "中共京口区委/正东路街道党工委"]]
    result = run("org", ORG, rows)
    assert counts(result) == (0, 1, 0, 0), result.problems
    assert OrgUnit.objects.get(pk=district["c1"].pk).code == "JK-S1-C01-NEW"


def test_org_row_errors_name_row_and_column_and_nothing_is_written(district):
    rows = [
        ["JK-S1-C03", "新社区党委", "社区", "", "JK-S1", ""],  # good, but not written
        ["JK-X-C01", "无主社区党委", "社区", "", "JK-NOPE", ""],  # unknown parent
        ["JK-S1-C01-G09", "第9网格党支部", "网格", "", "", ""],  # a grid without a parent
        ["JK-S1-C04", "错层社区党委", "社区", "", "JK-S1-C01", ""],  # under a community
        ["JK-S1-C05", "社区", "社区", "党支部", "JK-S1", ""],  # a community as a branch
        ["JK-S1-C03", "重复", "社区", "", "JK-S1", ""],  # the code again
        ["JK-S1-C06", "社区", "居委会", "", "JK-S1", ""],  # not a level
    ]
    count = OrgUnit.objects.count()
    result = run("org", ORG, rows)
    assert not services.result_ok(result)
    assert problems(result) == {
        (3, "上级编码"), (4, "上级编码"), (5, "上级编码"), (6, "组织形式"), (7, "编码"), (8, "层级"),
    }  # fmt: skip
    assert "JK-NOPE" in message(result, 3, "上级编码")
    assert "row 2" in message(result, 7, "编码")
    assert OrgUnit.objects.count() == count


# --- People ---------------------------------------------------------------------------------


def test_people_import_with_posts_and_only_a_hash_of_the_id_number(district):
    id_number = valid_id("32110219580101001")
    rows = [
        [
            "王建国",
            id_number,
            "13805110001",
            "正式党员",
            "是",
            "JK-S1-C01-G01",
            "书记@JK-S1-C01-G01",
        ],
        ["赵群众", "", "13805110002", "群众", "否", "", "网格长@JK-S6-C01-G01"],
    ]
    result = run("people", PEOPLE, rows, fmt="xlsx")
    assert counts(result) == (2, 0, 0, 0), result.problems
    wang = Person.objects.get(phone="13805110001")
    assert wang.id_number_tail == id_number[-4:]
    assert wang.id_number_hash == sheets.id_number_hash(id_number)
    assert id_number not in str(Person.objects.filter(pk=wang.pk).values().get())
    assert wang.membership_unit == district["g1"].unit and wang.retired
    assert Position.objects.get(person=wang, end_date__isnull=True).role == Role.SECRETARY
    zhao = Person.objects.get(phone="13805110002")
    assert zhao.positions.get().unit == district["g6"].unit


def test_a_person_is_matched_by_id_number_even_with_a_new_phone(district):
    id_number = valid_id("32110219580101001")
    run("people", PEOPLE, [["王建国", id_number, "13805110001", "正式党员", "", "", ""]])
    pk = Person.objects.get(phone="13805110001").pk
    result = run("people", PEOPLE, [["王建国", id_number, "13805119999", "正式党员", "是", "", ""]])
    assert counts(result) == (0, 1, 0, 0)
    person = Person.objects.get(pk=pk)
    assert (person.phone, person.retired) == ("13805119999", True)


def test_posts_follow_the_roster_and_a_new_secretary_ends_the_old_term(district):
    g1 = district["g1"].unit
    rows = [["王一", "", "13805110001", "正式党员", "", "JK-S1-C01-G01", "书记@JK-S1-C01-G01"]]
    run("people", PEOPLE, rows)
    rows = [
        ["王一", "", "13805110001", "正式党员", "", "JK-S1-C01-G01", "委员@JK-S1-C01-G01"],
        ["王二", "", "13805110002", "正式党员", "", "JK-S1-C01-G01", "书记@JK-S1-C01-G01"],
    ]
    result = run("people", PEOPLE, rows)
    assert counts(result) == (1, 1, 0, 0), result.problems
    current = set(
        Position.objects.filter(unit=g1, end_date__isnull=True).values_list("person__name", "role")
    )
    assert current == {
        ("王一", Role.COMMITTEE_MEMBER),
        ("王二", Role.SECRETARY),
        ("李网格", Role.GRID_LEADER),
    }
    assert Position.objects.filter(
        person__name="王一", role=Role.SECRETARY, end_date__isnull=False
    ).exists()
    assert counts(run("people", PEOPLE, rows)) == (0, 0, 2, 0)


def test_people_row_errors(district):
    id_number = valid_id("32110219580101001")
    rows = [
        ["王一", id_number, "13805110001", "正式党员", "", "", ""],
        ["王二", id_number, "13805110002", "正式党员", "", "", ""],  # the same ID number
        ["王三", "", "2345678", "正式党员", "", "", ""],  # not a mainland mobile
        ["王四", "", "13805110004", "群众", "", "JK-S1-C01-G01", ""],  # membership for a non-member
        ["王五", "", "13805110005", "党员", "", "", "校长@JK-S1"],  # not a post
        ["王六", "", "13805110006", "团员", "", "", ""],  # not a status
        [
            "王七",
            id_number[:-1] + ("1" if id_number[-1] != "1" else "2"),
            "13805110007",
            "群众",
            "",
            "",
            "",
        ],
    ]
    result = run("people", PEOPLE, rows)
    assert problems(result) == {
        (3, "身份证号"), (4, "手机号"), (5, "组织关系所在单位编码"), (6, "职务"), (7, "政治面貌"), (8, "身份证号"),
    }  # fmt: skip
    assert "row 2" in message(result, 3, "身份证号")
    assert "mainland China mobile" in message(result, 4, "手机号")
    assert not Person.objects.filter(name="王一").exists()


def test_a_masked_id_number_from_an_export_keeps_the_stored_hash(district):
    id_number = valid_id("32110219580101001")
    run("people", PEOPLE, [["王建国", id_number, "13805110001", "正式党员", "", "", ""]])
    exported = services.sheet_export(kind="people", fmt="csv").decode("utf-8-sig")
    assert id_number not in exported
    assert sheets.masked_id(id_number[-4:]) in exported
    result = services.sheet_import_file(kind="people", data=exported.encode(), dry_run=False)
    assert counts(result) == (0, 0, 2, 0), result.problems
    assert Person.objects.get(phone="13805110001").id_number_hash == sheets.id_number_hash(
        id_number
    )


# --- Grids and buildings --------------------------------------------------------------------


def test_grids_import_with_their_branch_and_leader(district):
    rows = [
        [
            "JK-S1-C01-G02",
            "京口路第2网格",
            "JK-S1-C01",
            "党小组",
            "13905110001",
            "320",
            "800",
            "32.2071",
            "119.4468",
        ],
        ["JK-S1-C01-G01", "京口路第1网格", "JK-S1-C01", "", "13905110001", "300", "750", "", ""],
    ]
    result = run("grids", GRIDS, rows)
    assert counts(result) == (1, 1, 0, 0), result.problems
    grid = Grid.objects.get(code="JK-S1-C01-G02")
    assert grid.unit.kind == UnitKind.GRID and grid.unit.parent == district["c1"]
    assert grid.unit.org_form == OrgForm.GROUP and grid.unit.name == "京口路第2网格党小组"
    assert grid.leader == district["leader"]
    assert Grid.objects.get(code="JK-S1-C01-G01").households == 300
    assert tree_problems() == []
    assert counts(run("grids", GRIDS, rows)) == (0, 0, 2, 0)


def test_grid_row_errors(district):
    rows = [
        ["JK-S1-C01-G03", "没有支部的网格", "JK-S1-C01", "", "", "", "", "", ""],  # no branch
        ["JK-S1-C01-G01", "京口路第1网格", "JK-S6-C01", "", "", "", "", "", ""],  # other community
        ["JK-S1-C01-G04", "网格", "JK-S1-C01", "党支部", "13900000000", "", "", "", ""],  # leader
        ["JK-S1-C01-G05", "网格", "JK-S1-C01", "党支部", "", "很多", "", "", ""],  # households
    ]
    result = run("grids", GRIDS, rows)
    assert problems(result) == {
        (2, "支部形式"),
        (3, "所属社区编码"),
        (4, "网格长手机号"),
        (5, "户数"),
    }
    assert "支部建在网格上" in message(result, 2, "支部形式")
    assert not Grid.objects.filter(code__in=["JK-S1-C01-G04", "JK-S1-C01-G05"]).exists()


def test_buildings_import_convert_the_datum_and_update_by_address(district):
    lat, lng = 32.2069, 119.4472
    g_lat, g_lng = from_wgs84(lat, lng, "gcj02")
    rows = [
        ["京口路新村1号楼", "1号楼", "JK-S1-C01-G01", "24", f"{g_lat:.7f}", f"{g_lng:.7f}", ""],
        ["东街2号楼", "2号楼", "JK-S6-C01-G01", "12", f"{g_lat:.7f}", f"{g_lng:.7f}", ""],
    ]
    result = run("buildings", BUILDINGS, rows, datum="gcj02")
    assert counts(result) == (2, 0, 0, 0), result.problems
    building = Building.objects.get(address="京口路新村1号楼")
    assert building.lat == pytest.approx(lat, abs=2e-6) and building.lng == pytest.approx(
        lng, abs=2e-6
    )
    # A 坐标系 column overrides the option, row by row; the address finds the same building.
    rows = [["京口路新村1号楼", "1号楼", "JK-S6-C01-G01", "30", lat, lng, "", "wgs84"]]
    result = run("buildings", [*BUILDINGS, "坐标系"], rows, datum="gcj02")
    assert counts(result) == (0, 1, 0, 0), result.problems
    building.refresh_from_db()
    assert (building.grid, building.households, building.lat) == (district["g6"], 30, lat)
    assert Building.objects.count() == 2


def test_building_row_errors(district):
    rows = [
        ["甲1号楼", "1号楼", "JK-S1-C01-G01", "", "32.20", "119.45", ""],
        ["甲1号楼", "1号楼", "JK-S6-C01-G01", "", "32.20", "119.45", ""],  # in two grids
        ["乙1号楼", "1号楼", "JK-S1-C01-G01", "", "31.23", "121.47", ""],  # Shanghai
        ["丙1号楼", "1号楼", "JK-NOPE", "", "32.20", "119.45", ""],  # unknown grid
        ["丁1号楼", "1号楼", "JK-S1-C01-G01", "", "", "119.45", ""],  # no latitude
        ["戊1号楼", "1号楼", "JK-S1-C01-G01", "", "32.20", "119.45", "JK-S1-C01"],  # not a group
    ]
    result = run("buildings", BUILDINGS, rows)
    assert problems(result) == {
        (3, "网格编码"),
        (4, "纬度"),
        (5, "网格编码"),
        (6, "纬度"),
        (7, "楼栋党小组编码"),
    }
    assert "one grid only" in message(result, 3, "网格编码")
    assert "outside Jingkou" in message(result, 4, "纬度")
    assert not Building.objects.exists()


# --- Stations, departments, categories ------------------------------------------------------


def test_stations_import_with_hours_services_and_grids(district):
    rows = [[
        "京口路社区党群服务中心", "社区", "JK-S1-C01", "京口区京口路18号", "0511-84123456",
        "周一至周五 8:30-12:00,14:00-17:30；周六 9:00-12:00", "政策咨询、助老服务", "JK-S1-C01-G01",
        "32.2075", "119.4481", "是", "2021", "是", "一站式接待。",
    ]]  # fmt: skip
    result = run("stations", STATIONS, rows)
    assert counts(result) == (1, 0, 0, 0), result.problems
    station = ServiceStation.objects.get(name="京口路社区党群服务中心")
    assert OpeningHours.objects.filter(station=station).count() == 11
    assert {s.name for s in station.services.all()} == {"政策咨询", "助老服务"}
    assert list(station.grids_served.all()) == [district["g1"]]
    assert station.is_demonstration and station.upgraded_year == 2021
    assert counts(run("stations", STATIONS, rows)) == (0, 0, 1, 0)
    rows[0][5] = "每天 8:30-17:30"
    assert counts(run("stations", STATIONS, rows)) == (0, 1, 0, 0)
    assert OpeningHours.objects.filter(station=station).count() == 7


def test_station_row_errors(district):
    base = ["站", "社区", "JK-S1-C01", "地址", "", "", "", "", "32.2", "119.45", "", "", "", ""]
    bad_phone = [*base]
    bad_phone[0], bad_phone[4] = "站1", "12345678"
    wrong_owner = [*base]
    wrong_owner[0], wrong_owner[2] = "站2", "JK-S1"  # a street for a community centre
    bad_hours = [*base]
    bad_hours[0], bad_hours[5] = "站3", "工作日上午"
    result = run("stations", STATIONS, [bad_phone, wrong_owner, bad_hours])
    assert problems(result) == {(2, "电话"), (3, "所属单位编码"), (4, "开放时间")}
    assert "not a mainland phone number" in message(result, 2, "电话")
    assert not ServiceStation.objects.exists()


def test_departments_and_categories_import(district):
    rows = [
        [
            "D-CG",
            "区城市管理局",
            "区级部门",
            "",
            "李明",
            "0511-85021234",
            "",
            "JK-S1-C01、JK-S6-C01",
        ]
    ]
    assert counts(run("departments", DEPARTMENTS, rows)) == (1, 0, 0, 0)
    dept = Department.objects.get(code="D-CG")
    assert set(dept.paired_communities.values_list("code", flat=True)) == {"JK-S1-C01", "JK-S6-C01"}
    rows = [
        ["garbage", "垃圾清运", "environment", "网格", "D-CG", "24", "72", "1", "是"],
        ["environment", "环境卫生", "", "社区", "", "", "", "", ""],
    ]
    result = run("categories", CATEGORIES, rows)
    assert counts(result) == (2, 0, 0, 0), result.problems
    garbage = Category.objects.get(code="garbage")
    assert garbage.parent.code == "environment" and garbage.default_department == dept
    rows = [["deep", "三级", "garbage", "", "", "", "", "", ""]]
    result = run("categories", CATEGORIES, rows)
    assert problems(result) == {(2, "上级分类编码")}


# --- Scope and audit ------------------------------------------------------------------------


def test_street_staff_import_only_into_their_street(district, street_user):
    rows = [
        ["JK-S1-C02", "贺家弄社区党委", "社区", "", "JK-S1", ""],
        ["JK-S6-C02", "月湖社区党委", "社区", "", "JK-S6", ""],
        ["JK-S7", "新街道党工委", "街道", "", "JK", ""],
    ]
    result = run("org", ORG, rows, user=street_user)
    assert problems(result) == {(3, "上级编码"), (4, "上级编码")}
    assert "outside your area" in message(result, 3, "上级编码")
    assert "正东路街道党工委" in message(result, 3, "上级编码")
    assert not OrgUnit.objects.filter(code="JK-S1-C02").exists()
    result = run("org", ORG, rows[:1], user=street_user)
    assert services.result_ok(result)
    buildings = [["东街9号楼", "9号楼", "JK-S6-C01-G01", "", "32.2", "119.45", ""]]
    assert problems(run("buildings", BUILDINGS, buildings, user=street_user)) == {(2, "网格编码")}


def test_district_lists_are_refused_to_street_staff(district, street_user):
    rows = [["D-CG", "区城市管理局", "", "", "", "", "", ""]]
    result = run("departments", DEPARTMENTS, rows, user=street_user)
    ((line, column, text),) = result.problems
    assert line is None and "Only district staff" in text
    assert not Department.objects.exists()


def test_street_staff_export_only_their_street(district, street_user):
    data = services.sheet_export(kind="org", user=street_user, fmt="csv").decode("utf-8-sig")
    assert "JK-S1-C01" in data and "JK-S6" not in data


def test_imports_and_exports_are_in_the_audit_log_with_row_counts(district, superuser):
    run("org", ORG, ORG_ROWS, user=superuser)
    event = AuditEvent.objects.get(object_type="imports.org")
    assert event.actor == superuser
    assert (
        "rows=4 new=4 updated=0 unchanged=0 failed=0" in event.detail and "imported" in event.detail
    )
    run("org", ORG, [["X", "无主", "社区", "", "JK-NOPE", ""]], user=superuser)
    refused = AuditEvent.objects.filter(object_type="imports.org").order_by("-id").first()
    assert "failed=1" in refused.detail and "nothing written" in refused.detail
    services.sheet_export(kind="people", user=superuser)
    export = AuditEvent.objects.get(object_type="imports.people")
    assert (
        export.action == services.EXPORT_ACTION
        and f"rows={Person.objects.count()}" in export.detail
    )


def test_street_staff_cannot_place_people_or_posts_outside_their_street(district, street_user):
    rows = [
        ["王一", "", "13805110001", "正式党员", "", "JK-S1-C01-G01", "委员@JK-S1-C01-G01"],
        ["王二", "", "13805110002", "正式党员", "", "JK-S6-C01-G01", ""],
        ["王三", "", "13805110003", "群众", "", "", "网格长@JK-S6-C01-G01"],
    ]
    result = run("people", PEOPLE, rows, user=street_user)
    assert problems(result) == {(3, "组织关系所在单位编码"), (4, "职务")}
    assert "东街第1网格党支部" in message(result, 3, "组织关系所在单位编码")
    assert not Person.objects.filter(phone__startswith="138051100").exists()
    assert services.result_ok(run("people", PEOPLE, rows[:1], user=street_user))


def test_an_export_says_wgs84_so_a_reimport_in_another_datum_moves_nothing(district):
    rows = [["甲1号楼", "1号楼", "JK-S1-C01-G01", "10", "32.2069", "119.4472", ""]]
    run("buildings", BUILDINGS, rows)
    exported = services.sheet_export(kind="buildings", fmt="csv")
    assert exported.decode("utf-8-sig").splitlines()[0].endswith(",坐标系")
    result = services.sheet_import_file(
        kind="buildings", data=exported, datum="gcj02", dry_run=False
    )
    assert counts(result) == (0, 0, 1, 0), result.problems
    assert Building.objects.get().lat == 32.2069


def test_imported_buildings_are_found_by_the_building_search(district):
    from grids.search import building_search_key

    rows = [["京口路新村5号楼", "5号楼", "JK-S1-C01-G01", "10", "32.2069", "119.4472", ""]]
    run("buildings", BUILDINGS, rows)
    building = Building.objects.get()
    assert building.search_key == building_search_key("京口路新村5号楼", "京口路社区党委")
    assert building.search_key
