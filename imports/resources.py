"""One django-import-export Resource per kind of sheet a district brings, with Chinese column
headers that are the same on the template, on export and on import (export → edit → import).

django-import-export runs the workflow: the dry run, new / changed / unchanged rows, the
transaction, the admin's confirm step, exports. What it cannot do is written here: reading each
cell with a plain-language reason when it is wrong (keyed by the column's header), natural keys
(unit code or path of names, a person's ID number by keyed hash or phone, a building's address),
lookups preloaded once per file instead of a query per row, checks across rows (duplicates, a
building in two grids), the user's scope, and tree-safe bulk writes of organization units.

The headers are a file format, not interface text: they stay Chinese whatever the language.
"""

import contextlib
import hashlib
import re
from collections import defaultdict

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import resources
from import_export.fields import Field

from grids.datum import Datum, to_wgs84
from grids.models import (
    Building,
    Grid,
    OpeningHours,
    ServiceStation,
    StationLevel,
    StationService,
)
from organization.models import (
    ALLOWED_FORMS,
    DEFAULT_FORM,
    PARENT_KIND,
    Department,
    DepartmentLevel,
    OrgForm,
    OrgUnit,
    Person,
    PoliticalStatus,
    Position,
    Role,
    UnitKind,
)
from organization.selectors import scope_root_units, units_visible_to
from organization.services import tree_lock
from resident_requests.models import Category, HandlingLevel

from . import hours as hours_text
from . import sheets

# What people write in a cell, for each choice (the first is what exports write).
KIND_WORDS = {
    UnitKind.DISTRICT: ["区委", "区"],
    UnitKind.STREET: ["街道", "街道党工委"],
    UnitKind.COMMUNITY: ["社区", "社区党委", "社区党总支"],
    UnitKind.GRID: ["网格", "网格党支部", "网格党小组"],
    UnitKind.BUILDING: ["楼栋", "楼栋党小组"],
    UnitKind.HOUSEHOLD: ["中心户", "党员中心户"],
}
FORM_WORDS = {
    OrgForm.DISTRICT_COMMITTEE: ["区委"],
    OrgForm.WORKING_COMMITTEE: ["党工委"],
    OrgForm.COMMITTEE: ["党委"],
    OrgForm.GENERAL_BRANCH: ["党总支"],
    OrgForm.BRANCH: ["党支部", "支部"],
    OrgForm.GROUP: ["党小组", "小组"],
    OrgForm.HOUSEHOLD: ["中心户"],
}
STATUS_WORDS = {
    PoliticalStatus.FULL_MEMBER: ["正式党员", "党员", "中共党员"],
    PoliticalStatus.PROBATIONARY: ["预备党员"],
    PoliticalStatus.ACTIVIST: ["入党积极分子", "积极分子"],
    PoliticalStatus.APPLICANT: ["入党申请人", "申请人"],
    PoliticalStatus.MASSES: ["群众"],
}
ROLE_WORDS = {
    Role.SECRETARY: ["书记"],
    Role.DEPUTY_SECRETARY: ["副书记"],
    Role.COMMITTEE_MEMBER: ["委员"],
    Role.GRID_LEADER: ["网格长"],
    Role.BUILDING_LEADER: ["楼栋长"],
    Role.HOUSEHOLD_HEAD: ["中心户户主", "户主"],
    Role.GROUP_LEADER: ["党小组长", "组长"],
}
STATION_LEVEL_WORDS = {
    StationLevel.DISTRICT: ["区", "区级"],
    StationLevel.STREET: ["街道", "街道级"],
    StationLevel.COMMUNITY: ["社区", "社区级"],
    StationLevel.GRID: ["网格", "网格级"],
}
DEPARTMENT_LEVEL_WORDS = {
    DepartmentLevel.DISTRICT: ["区级部门", "区级"],
    DepartmentLevel.STREET: ["街道办", "街道"],
}
HANDLING_LEVEL_WORDS = {
    HandlingLevel.GRID: ["网格"],
    HandlingLevel.COMMUNITY: ["社区"],
    HandlingLevel.STREET: ["街道"],
    HandlingLevel.DEPARTMENT: ["职能部门", "部门"],
}
DATUM_WORDS = {
    Datum.WGS84: ["wgs84", "wgs-84", "gps", "天地图"],
    Datum.GCJ02: ["gcj02", "gcj-02", "高德", "腾讯"],
    Datum.BD09: ["bd09", "bd-09", "百度"],
}


def _lookup(words: dict) -> dict[str, str]:
    table = {}
    for value, spellings in words.items():
        table[str(value).lower()] = value
        for spelling in spellings:
            table[spelling.lower()] = value
    return table


def word_of(words: dict, value) -> str:
    return words[value][0] if value in words else ""


def col(header: str) -> Field:
    return Field(column_name=header, attribute=None)


class Row:
    """One spreadsheet row being read: cell readers that record a plain reason under the
    column's header instead of raising, so one pass reports every problem of the row."""

    def __init__(self, data: dict, line: int):
        self.data = data
        self.line = line
        self.errors: dict[str, list[str]] = {}

    def has(self, column: str) -> bool:
        return column in self.data

    def error(self, column: str, message: str) -> None:
        self.errors.setdefault(column or NON_FIELD_ERRORS, []).append(str(message))

    def text(self, column: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = sheets.text(self.data.get(column))
        if required and not value:
            self.error(column, _("This column must be filled in."))
        elif max_length and len(value) > max_length:
            self.error(
                column,
                _("At most %(count)s characters (this has %(length)s).")
                % {"count": max_length, "length": len(value)},
            )
            value = value[:max_length]
        return value

    def read(self, column: str, reader, default=None, **kwargs):
        if sheets.text(self.data.get(column)) == "":
            return default
        try:
            value = reader(self.data.get(column), **kwargs)
        except ValueError as exc:
            self.error(column, str(exc))
            return default
        return default if value is None else value

    def choice(self, column: str, words: dict, *, required: bool = False, default=None):
        raw = sheets.text(self.data.get(column))
        if not raw:
            if required:
                self.error(column, _("This column must be filled in."))
            return default
        value = _lookup(words).get(raw.lower())
        if value is None:
            self.error(
                column,
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": raw, "choices": "、".join(w[0] for w in words.values())},
            )
            return default
        return value


class SheetResource(resources.ModelResource):
    kind = ""
    title = ""
    required_columns: tuple[str, ...] = ()
    example: dict[str, object] = {}
    # Writes organization units: the import holds the tree's lock, saves units with MPTT's
    # updates off and rebuilds the tree's left/right values once at the end.
    writes_tree = False
    # Exported sheets name people (audit as a personal data export).
    personal_data = False
    # District-wide lists (departments, categories): refused for staff scoped below the district.
    district_only = False
    # Columns read as one point (latitude, longitude), converted from the datum to WGS-84.
    point_columns: tuple[str, str] | None = None
    datum_column = "坐标系"

    class Meta:
        skip_diff = True  # new / changed / unchanged are worked out here (snapshots), cheaply
        report_skipped = False
        use_transactions = True
        clean_model_instances = False  # full_clean without per-row queries: validate_instance

    def __init__(self, *, user=None, datum: str = Datum.WGS84, progress=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.datum = datum
        self.progress = progress
        self.lines: list[int] = []
        self.notes: list[str] = []
        self.today = timezone.localdate()

    # --- Scope --------------------------------------------------------------------------

    def _load_scope(self) -> None:
        user = self.user
        if user is None or user.is_superuser:
            self.visible = None
            self.scope_names = ""
            return
        self.visible = set(units_visible_to(user).values_list("pk", flat=True))
        self.scope_names = "、".join(u.name for u in scope_root_units(user))

    def in_scope(self, unit_pk) -> bool:
        return self.visible is None or unit_pk in self.visible

    def out_of_scope(self, row: Row, column: str, what: str) -> None:
        row.error(
            column,
            _("“%(what)s” is outside your area: you may import only within %(scope)s.")
            % {"what": what, "scope": self.scope_names or _("no unit")},
        )

    def covers_district(self) -> bool:
        if self.visible is None:
            return True
        return OrgUnit.objects.filter(
            pk__in=self.visible, kind=UnitKind.DISTRICT, parent__isnull=True
        ).exists()

    # --- The workflow's hooks -----------------------------------------------------------

    def before_import(self, dataset, **kwargs):
        dataset.headers = [
            re.sub(r"[*＊\s]|（必填）|\(必填\)", "", h or "") for h in dataset.headers
        ]
        missing = [c for c in self.required_columns if c not in dataset.headers]
        if missing:
            known = [f.column_name for f in self.get_export_fields()]
            raise sheets.SheetError(
                _(
                    "This does not look like a %(title)s sheet: the columns %(missing)s are missing. The first row must hold the column names of the template: %(columns)s."
                )
                % {
                    "title": self.title,
                    "missing": "、".join(f"“{c}”" for c in missing),
                    "columns": "、".join(known),
                }
            )
        known = {f.column_name for f in self.get_export_fields()} | {self.datum_column}
        unknown = [h for h in dataset.headers if h and h not in known]
        if unknown:
            self.notes.append(
                _("These columns are not part of the template and were left out: %(columns)s.")
                % {"columns": "、".join(unknown)}
            )
        if len(dataset) > sheets.max_rows():
            raise sheets.too_many_rows()
        self.lines = list(range(2, len(dataset) + 2))
        order = self.row_order(dataset)
        if order is not None:
            rows = [dataset[i] for i in order]
            headers = dataset.headers
            dataset.wipe()
            dataset.headers = headers
            for values in rows:
                dataset.append(values)
            self.lines = [i + 2 for i in order]
        self._load_scope()
        if self.district_only and not self.covers_district():
            raise sheets.SheetError(
                _("Only district staff (the whole district's scope) may import the %(title)s.")
                % {"title": self.title}
            )
        self.prepare(dataset)
        self._refused = False

    def row_order(self, dataset) -> list[int] | None:
        """A different order to import the rows in (parents before children), or None."""
        return None

    def prepare(self, dataset) -> None:
        """Load, once, everything the rows will be looked up against."""

    def get_instance(self, instance_loader, row):
        return None

    def find(self, row: Row):
        """The existing object this row describes, by its natural key (None: a new one)."""
        return None

    def get_or_init_instance(self, instance_loader, row):
        self._row = Row(row, self.lines[self._index] if self._index < len(self.lines) else 0)
        instance = self.find(self._row)
        if instance is not None:
            return instance, False
        return self.init_instance(row), True

    def import_data(self, dataset, **kwargs):
        """Every import (the admin's dry run too) is all or nothing; sheets that write units
        hold the tree's lock throughout and save them with MPTT's updates off (finish() puts
        the tree's values right once, under the same lock)."""
        kwargs["rollback_on_validation_errors"] = True
        if not self.writes_tree:
            return super().import_data(dataset, **kwargs)
        with tree_lock(), OrgUnit.objects.disable_mptt_updates():
            return super().import_data(dataset, **kwargs)

    _refused = True  # until before_import has checked the headers and loaded the lookups

    def import_row(self, row, instance_loader, **kwargs):
        if self._refused:
            # The sheet as a whole was refused (its message is the import's base error):
            # its rows are not looked at one by one.
            result = self.get_row_result_class()()
            result.import_type = result.IMPORT_TYPE_SKIP
            return result
        self._index = kwargs["row_number"] - 1
        return super().import_row(row, instance_loader, **kwargs)

    def after_init_instance(self, instance, new, row, **kwargs):
        self._new = new
        self._before = None if new else self.snapshot(instance)
        self._extra_changed = False

    def snapshot(self, instance) -> tuple:
        return tuple(getattr(instance, name) for name in self.tracked)

    tracked: tuple[str, ...] = ()

    def import_instance(self, instance, row, **kwargs):
        self.apply(instance, self._row)
        if self._row.errors:
            raise ValidationError(self._row.errors)

    def apply(self, instance, row: Row) -> None:
        raise NotImplementedError

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors:
            return False
        return not self._new and not self._extra_changed and self.snapshot(instance) == self._before

    # Foreign keys are resolved from the preloaded lookups; checking them again in full_clean
    # would cost a query per key and row.
    clean_exclude: tuple[str, ...] = ()
    column_of: dict[str, str] = {}

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        if import_validation_errors:
            # apply() stopped at the row's own problems: the model's checks of a half-filled
            # instance would only add noise.
            raise ValidationError(import_validation_errors)
        errors = {}
        try:
            instance.full_clean(
                exclude=list(self.clean_exclude), validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                column = self.column_of.get(field, NON_FIELD_ERRORS)
                errors.setdefault(column, []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def after_import_row(self, row, row_result, **kwargs):
        if self.progress is not None:
            self.progress(kwargs["row_number"], len(self.lines))

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if not result.has_errors() and not result.has_validation_errors():
            self.finish(result, dry_run=self._is_dry_run(kwargs))
        self.report(result)

    def finish(self, result, *, dry_run: bool) -> None:
        """Writes that are done once for the whole sheet, after its rows."""

    def report(self, result) -> None:
        """What the admin page and the command show: counts and every problem in plain words."""
        problems = []
        for invalid in result.invalid_rows:
            line = self.lines[invalid.number - 1] if invalid.number <= len(self.lines) else None
            for column, messages in invalid.error_dict.items():
                for message in messages:
                    problems.append(
                        (line, "" if column == NON_FIELD_ERRORS else column, str(message))
                    )
        for error_row in result.error_rows:
            line = self.lines[error_row.number - 1] if error_row.number <= len(self.lines) else None
            for error in error_row.errors:
                problems.append((line, "", _unexpected(error.error)))
        for error in result.base_errors:
            problems.append((None, "", _unexpected(error.error)))
        problems.sort(key=lambda p: p[0] or 0)
        result.problems = problems
        result.notes = self.notes
        result.kind = self.kind
        result.title = str(self.title)

    # --- Coordinates --------------------------------------------------------------------

    def read_point(self, row: Row, *, required: bool = True) -> tuple[float | None, float | None]:
        lat_col, lng_col = self.point_columns
        lat = row.read(lat_col, sheets.decimal)
        lng = row.read(lng_col, sheets.decimal)
        if lat is None or lng is None:
            if required and lat_col not in row.errors and lng_col not in row.errors:
                row.error(lat_col if lat is None else lng_col, _("This column must be filled in."))
            return None, None
        datum = row.choice(self.datum_column, DATUM_WORDS, default=self.datum)
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            row.error(
                lat_col, _("Latitude and longitude are out of range: are the two columns swapped?")
            )
            return None, None
        lat, lng = to_wgs84(lat, lng, datum)
        lat, lng = round(lat, 6), round(lng, 6)
        if not sheets.in_district(lat, lng):
            row.error(
                lat_col,
                _(
                    "The point %(lat)s, %(lng)s is outside Jingkou district. Check the numbers, and that the coordinate system (%(datum)s) is the one the map gave them in."
                )
                % {"lat": lat, "lng": lng, "datum": Datum(datum).label},
            )
            return None, None
        return lat, lng

    # --- Templates ----------------------------------------------------------------------

    def export(self, queryset=None, **kwargs):
        dataset = super().export(queryset, **kwargs)
        if self.point_columns:
            # Exports are in WGS-84 and say so: a re-import is right whatever datum is chosen.
            dataset.append_col([Datum.WGS84] * len(dataset), header=self.datum_column)
        return dataset

    def template(self):
        import tablib

        headers = [f.column_name for f in self.get_export_fields()]
        if self.point_columns:
            headers.append(self.datum_column)
        dataset = tablib.Dataset(headers=headers)
        dataset.append([self.example.get(h, "") for h in headers])
        return dataset


def _unexpected(error) -> str:
    if isinstance(error, sheets.SheetError | ValidationError):
        return " ".join(error.messages) if isinstance(error, ValidationError) else error.message
    return _("The database refused the sheet (%(error)s). Nothing was imported.") % {
        "error": str(error)[:200]
    }


def rebuild_tree() -> int:
    """Recompute every unit's MPTT values from the parent links, as OrgUnit.objects.rebuild()
    would (roots and children in code order: MPTTMeta.order_insertion_by), writing only the
    rows whose values change, in one executemany. Returns how many rows changed.

    The caller holds the tree's lock (organization.services.tree_lock). mptt's own rebuild
    writes every row through one bulk_update whose CASE expressions take ~10 s for a district.
    """
    rows = list(
        OrgUnit.objects.order_by("code").values_list(
            "pk", "parent_id", "lft", "rght", "level", "tree_id"
        )
    )
    children: dict[int | None, list[int]] = defaultdict(list)
    stored = {}
    for pk, parent_id, lft, rght, level, tree_id in rows:
        children[parent_id].append(pk)
        stored[pk] = (lft, rght, level, tree_id)
    changes = []
    for tree_id, root in enumerate(children[None], start=1):
        counter = 1
        stack = [(root, 0, False)]
        lefts = {}
        while stack:
            pk, level, done = stack.pop()
            if done:
                values = (lefts[pk], counter, level, tree_id)
                if stored[pk] != values:
                    changes.append((*values, pk))
                counter += 1
                continue
            lefts[pk] = counter
            counter += 1
            stack.append((pk, level, True))
            stack.extend((child, level + 1, False) for child in reversed(children[pk]))
    if changes:
        table = OrgUnit._meta.db_table
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET lft = %s, rght = %s, level = %s, tree_id = %s WHERE id = %s",  # noqa: S608 - the model's own table name
                changes,
            )
    return len(changes)


class UnitLookup:
    """Every organization unit's code, kind and parent, loaded in one query."""

    def __init__(self):
        self.by_code: dict[str, tuple[int, str, int | None, str]] = {}
        self.code_of: dict[int, str] = {}
        for pk, code, kind, parent_id, name in OrgUnit.objects.values_list(
            "pk", "code", "kind", "parent_id", "name"
        ):
            self.by_code[code] = (pk, kind, parent_id, name)
            self.code_of[pk] = code

    def get(self, code: str):
        return self.by_code.get(code)


def _unit_ref(resource: SheetResource, row: Row, column: str, *, kinds=None, required=False):
    """The pk of the unit whose code is in `column`, checked for kind and scope."""
    code = row.text(column, required=required)
    if not code:
        return None
    found = resource.units.get(code)
    if found is None:
        row.error(column, _("There is no unit with the code “%(code)s”.") % {"code": code})
        return None
    pk, kind, _parent, name = found
    if kinds and kind not in kinds:
        row.error(
            column,
            _("“%(name)s” is a %(kind)s; a %(expected)s is needed here.")
            % {
                "name": name,
                "kind": UnitKind(kind).label,
                "expected": " / ".join(str(UnitKind(k).label) for k in kinds),
            },
        )
        return None
    if not resource.in_scope(pk):
        resource.out_of_scope(row, column, name)
        return None
    return pk


# =============================================================================================
# 组织架构: the five-level chain.
# =============================================================================================


class OrgUnitResource(SheetResource):
    kind = "org"
    title = gettext_lazy("organization tree")
    required_columns = ("编码", "名称", "层级")
    writes_tree = True
    tracked = ("name", "kind", "org_form", "parent_id", "code")
    clean_exclude = ("parent", "lft", "rght", "tree_id", "level")
    column_of = {"name": "名称", "code": "编码", "kind": "层级", "org_form": "组织形式"}
    example = {
        "编码": "JK-S1-C01-G01",
        "名称": "京口路第1网格党支部",
        "层级": "网格",
        "组织形式": "党支部",
        "上级编码": "JK-S1-C01",
        "上级路径": "中共京口区委/正东路街道党工委/京口路社区党委",
    }

    code = col("编码")
    name = col("名称")
    unit_kind = col("层级")
    org_form = col("组织形式")
    parent_code = col("上级编码")
    parent_path = col("上级路径")

    class Meta(SheetResource.Meta):
        model = OrgUnit
        fields = ("code", "name", "unit_kind", "org_form", "parent_code", "parent_path")
        export_order = fields
        # Bulk inserts, one level at a time (rows are imported top level first): no post_save
        # per unit, and each level's parents have their ids before their children go in.
        use_bulk = True
        batch_size = 1000

    def get_bulk_update_fields(self):
        return ["code", "name", "kind", "org_form", "parent", "updated_at"]

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # OrgUnit.clean() checks the parent's level through parent_id, which a parent inserted
        # in this same import does not have yet; apply() has made the same checks already.
        if import_validation_errors:
            raise ValidationError(import_validation_errors)
        errors = {}
        try:
            instance.clean_fields(exclude=list(self.clean_exclude))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(self.column_of.get(field, NON_FIELD_ERRORS), []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def row_order(self, dataset):
        rank = _lookup(KIND_WORDS)
        levels = {k: i for i, k in enumerate(UnitKind)}
        column = dataset.headers.index("层级")

        def level(i):
            kind = rank.get(sheets.text(dataset[i][column]).lower())
            return levels.get(kind, len(levels))

        return sorted(range(len(dataset)), key=level)

    def prepare(self, dataset):
        self.by_code = {u.code: u for u in OrgUnit.objects.all()}
        self.by_pk = {u.pk: u for u in self.by_code.values()}
        self.seen_codes: dict[str, int] = {}
        self.tree_changed = False

    def path_of(self, unit: OrgUnit | None) -> str:
        names = []
        while unit is not None:
            names.append(unit.name)
            unit = self.by_pk.get(unit.parent_id) if unit.parent_id else None
        return "/".join(reversed(names))

    def unit_by_path(self, path: str) -> OrgUnit | None:
        if not hasattr(self, "_paths"):
            self._paths = {self.path_of(u): u for u in self.by_pk.values()}
        return self._paths.get(path)

    def find(self, row):
        code = row.text("编码")
        unit = self.by_code.get(code)
        if unit is None and row.text("上级路径") and row.text("名称"):
            # A unit renamed its code: found by the full path of names instead.
            unit = self.unit_by_path(f"{row.text('上级路径')}/{row.text('名称')}")
        return unit

    def apply(self, unit, row):
        code = row.text("编码", required=True, max_length=32)
        name = row.text("名称", required=True, max_length=100)
        kind = row.choice("层级", KIND_WORDS, required=True)
        if code in self.seen_codes:
            row.error(
                "编码",
                _("The code “%(code)s” is already used in row %(line)s.")
                % {"code": code, "line": self.seen_codes[code]},
            )
        elif code:
            self.seen_codes[code] = row.line
            other = self.by_code.get(code)
            if other is not None and unit.pk and other.pk != unit.pk:
                row.error(
                    "编码",
                    _("The code “%(code)s” belongs to another unit, “%(name)s”.")
                    % {"code": code, "name": other.name},
                )
        parent = None
        parent_code, parent_path = row.text("上级编码"), row.text("上级路径")
        if parent_code:
            parent = self.by_code.get(parent_code)
            if parent is None:
                row.error(
                    "上级编码",
                    _(
                        "There is no unit with the code “%(code)s”, in the database or above this row."
                    )
                    % {"code": parent_code},
                )
        elif parent_path:
            parent = self.unit_by_path(parent_path)
            if parent is None:
                row.error("上级路径", _("No unit has the path “%(path)s”.") % {"path": parent_path})
        if kind and not row.errors.get("上级编码") and not row.errors.get("上级路径"):
            expected = PARENT_KIND.get(kind)
            if expected and parent is None:
                row.error(
                    "上级编码",
                    _("A %(kind)s must be placed under a %(expected)s: give its code.")
                    % {"kind": UnitKind(kind).label, "expected": UnitKind(expected).label},
                )
            elif parent is not None and parent.kind != expected:
                row.error(
                    "上级编码",
                    _("A %(kind)s cannot be placed under “%(parent)s”, a %(parent_kind)s.")
                    % {
                        "kind": UnitKind(kind).label,
                        "parent": parent.name,
                        "parent_kind": UnitKind(parent.kind).label,
                    },
                )
        form = row.choice("组织形式", FORM_WORDS) or (unit.org_form if unit.pk else "")
        if kind:
            form = form or DEFAULT_FORM[kind]
            if form not in ALLOWED_FORMS[kind]:
                row.error(
                    "组织形式",
                    _("A %(kind)s cannot be constituted as a %(form)s.")
                    % {"kind": UnitKind(kind).label, "form": OrgForm(form).label},
                )
        if unit.pk and kind and unit.kind != kind:
            row.error(
                "层级", _("An existing unit cannot change its level: add a new unit instead.")
            )
        # Scope: a new unit's parent, an existing unit itself (and where it moves to).
        if unit.pk and not self.in_scope(unit.pk):
            self.out_of_scope(row, "编码", unit.name)
        elif parent is not None and parent.pk and not self.in_scope(parent.pk):
            self.out_of_scope(row, "上级编码", parent.name)
        elif parent is None and kind == UnitKind.DISTRICT and self.visible is not None:
            self.out_of_scope(row, "层级", name)
        if row.errors:
            return
        unit.code, unit.name, unit.kind, unit.org_form = code, name, kind, form
        unit.parent = parent

    def save_instance(self, instance, is_create, row, **kwargs):
        if is_create or instance.parent_id != self._before[3]:
            self.tree_changed = True
        if instance.kind != self._level:
            self.flush()
            self._level = instance.kind
        if is_create:
            # Placeholders: rebuild_tree() computes the real values once every unit is in.
            instance.lft = instance.rght = instance.level = instance.tree_id = 0
        instance.updated_at = timezone.now()
        super().save_instance(instance, is_create, row, **kwargs)
        self.by_code[instance.code] = instance

    _level = None

    def flush(self) -> None:
        """Insert and update the pending units now (before the next level refers to them).
        Errors propagate: the row fails and the whole import is rolled back."""
        if self.create_instances:
            OrgUnit.objects.bulk_create(self.create_instances)
            self.create_instances.clear()
        if self.update_instances:
            OrgUnit.objects.bulk_update(self.update_instances, self.get_bulk_update_fields())
            self.update_instances.clear()

    def finish(self, result, *, dry_run):
        if self.tree_changed:
            rebuild_tree()

    # Export
    def filter_export(self, queryset, **kwargs):
        self.by_pk = dict(OrgUnit.objects.in_bulk())
        return queryset.order_by("tree_id", "lft")

    def dehydrate_code(self, unit):
        return unit.code

    def dehydrate_name(self, unit):
        return unit.name

    def dehydrate_unit_kind(self, unit):
        return word_of(KIND_WORDS, unit.kind)

    def dehydrate_org_form(self, unit):
        return word_of(FORM_WORDS, unit.org_form)

    def dehydrate_parent_code(self, unit):
        parent = self.by_pk.get(unit.parent_id)
        return parent.code if parent else ""

    def dehydrate_parent_path(self, unit):
        return self.path_of(self.by_pk.get(unit.parent_id)) if unit.parent_id else ""


# =============================================================================================
# 党员花名册: people with their political status, membership unit and posts.
# =============================================================================================

POSITION_RE = re.compile(r"^(.+?)\s*[@＠]\s*(.+)$")


class PersonResource(SheetResource):
    kind = "people"
    title = gettext_lazy("party member roster")
    required_columns = ("姓名", "手机号", "政治面貌")
    personal_data = True
    tracked = (
        "name",
        "phone",
        "political_status",
        "retired",
        "membership_unit_id",
        "id_number_hash",
        "id_number_tail",
    )
    clean_exclude = ("membership_unit", "user", "id_number_hash")
    column_of = {
        "name": "姓名",
        "phone": "手机号",
        "political_status": "政治面貌",
        "membership_unit": "组织关系所在单位编码",
        "id_number_tail": "身份证号",
    }
    example = {
        "姓名": "王建国",
        "身份证号": "32110219580101001X",
        "手机号": "13805110001",
        "政治面貌": "正式党员",
        "离退休": "是",
        "组织关系所在单位编码": "JK-S1-C01-G01",
        "职务": "书记@JK-S1-C01-G01",
    }

    person_name = col("姓名")
    id_number = col("身份证号")
    phone = col("手机号")
    political_status = col("政治面貌")
    retired = col("离退休")
    membership = col("组织关系所在单位编码")
    positions = col("职务")

    class Meta(SheetResource.Meta):
        model = Person
        fields = (
            "person_name",
            "id_number",
            "phone",
            "political_status",
            "retired",
            "membership",
            "positions",
        )
        export_order = fields
        use_bulk = True
        batch_size = 1000

    def get_bulk_update_fields(self):
        return [
            *self.tracked[:4],
            "membership_unit",
            "id_number_hash",
            "id_number_tail",
            "updated_at",
        ]

    def prepare(self, dataset):
        self.units = UnitLookup()
        people = list(Person.objects.all())
        self.by_hash = {p.id_number_hash: p for p in people if p.id_number_hash}
        self.by_phone: dict[str, list[Person]] = defaultdict(list)
        for person in people:
            self.by_phone[person.phone].append(person)
        self.visible_people = None
        if self.visible is not None:
            from organization.selectors import visible_q_for

            self.visible_people = set(
                Person.objects.filter(visible_q_for(Person, self.user)).values_list("pk", flat=True)
            )
        self.current: dict[int, dict[tuple[int, str], int]] = defaultdict(dict)
        self.secretary_of: dict[int, int] = {}
        for pk, person_id, unit_id, role in Position.objects.filter(
            end_date__isnull=True
        ).values_list("pk", "person_id", "unit_id", "role"):
            self.current[person_id][(unit_id, role)] = pk
            if role == Role.SECRETARY:
                self.secretary_of[unit_id] = person_id
        self.seen_hash: dict[str, int] = {}
        self.seen_phone: dict[str, int] = {}
        self.seen_secretary: dict[int, int] = {}
        self.wanted: list[tuple[Person, set[tuple[int, str]]]] = []
        self.has_positions = "职务" in dataset.headers

    def find(self, row):
        raw_id = row.text("身份证号")
        self._id_number = None
        if raw_id and not sheets.is_masked(raw_id):
            with contextlib.suppress(ValueError):  # reported by apply()
                self._id_number = sheets.normalize_id_number(raw_id)
        if self._id_number:
            person = self.by_hash.get(sheets.id_number_hash(self._id_number))
            if person is not None:
                return person
        for person in self.by_phone.get(row.text("手机号"), []):
            if not self._id_number or not person.id_number_hash:
                return person
        return None

    def apply(self, person, row):
        name = row.text("姓名", required=True, max_length=50)
        phone = row.text("手机号", required=True)
        status = row.choice("政治面貌", STATUS_WORDS, required=True)
        retired = row.read("离退休", sheets.yes_no, default=False)
        raw_id = row.text("身份证号")
        id_hash, tail = person.id_number_hash, person.id_number_tail
        if raw_id and not sheets.is_masked(raw_id):
            try:
                number = sheets.normalize_id_number(raw_id)
            except ValueError as exc:
                row.error("身份证号", str(exc))
            else:
                id_hash, tail = sheets.id_number_hash(number), number[-4:]
                if id_hash in self.seen_hash:
                    row.error(
                        "身份证号",
                        _("This ID number is already in row %(line)s: each person once.")
                        % {"line": self.seen_hash[id_hash]},
                    )
                self.seen_hash.setdefault(id_hash, row.line)
                owner = self.by_hash.get(id_hash)
                if owner is not None and owner.pk != person.pk:
                    row.error(
                        "身份证号", _("This ID number belongs to another person in the portal.")
                    )
        elif raw_id and not person.pk:
            row.error(
                "身份证号",
                _("A masked ID number (****) can only update a person already in the portal."),
            )
        if phone:
            if phone in self.seen_phone and not (raw_id and id_hash):
                row.error(
                    "手机号",
                    _(
                        "This phone number is already in row %(line)s: give the ID numbers to tell the two people apart."
                    )
                    % {"line": self.seen_phone[phone]},
                )
            self.seen_phone.setdefault(phone, row.line)
        if person.pk and self.visible_people is not None and person.pk not in self.visible_people:
            self.out_of_scope(row, "姓名", name)
        membership = _unit_ref(self, row, "组织关系所在单位编码")
        wanted = set()
        if self.has_positions:
            for item in sheets.split_list(row.data.get("职务")):
                match = POSITION_RE.match(item)
                role = _lookup(ROLE_WORDS).get(match.group(1).strip().lower()) if match else None
                if role is None:
                    row.error(
                        "职务",
                        _(
                            "Cannot read the post “%(item)s”: write it as post@unit code, e.g. 书记@JK-S1-C01; posts: %(roles)s."
                        )
                        % {"item": item, "roles": "、".join(w[0] for w in ROLE_WORDS.values())},
                    )
                    continue
                code = match.group(2).strip()
                found = self.units.get(code)
                if found is None:
                    row.error(
                        "职务", _("There is no unit with the code “%(code)s”.") % {"code": code}
                    )
                    continue
                if not self.in_scope(found[0]):
                    self.out_of_scope(row, "职务", found[3])
                    continue
                if role == Role.SECRETARY:
                    if found[0] in self.seen_secretary:
                        row.error(
                            "职务",
                            _(
                                "Row %(line)s already names the secretary of “%(unit)s”: a unit has one secretary."
                            )
                            % {"line": self.seen_secretary[found[0]], "unit": found[3]},
                        )
                    self.seen_secretary.setdefault(found[0], row.line)
                wanted.add((found[0], role))
        if row.errors:
            return
        person.name, person.phone, person.political_status = name, phone, status
        person.retired = retired
        person.membership_unit_id = membership
        person.id_number_hash, person.id_number_tail = id_hash, tail or ""
        if self.has_positions:
            if person.pk and set(self.current.get(person.pk, {})) != wanted:
                self._extra_changed = True
            self.wanted.append((person, wanted))

    def save_instance(self, instance, is_create, row, **kwargs):
        instance.updated_at = timezone.now()
        super().save_instance(instance, is_create, row, **kwargs)

    def finish(self, result, *, dry_run):
        """Posts: those listed and not held are started today, those held and no longer
        listed end today; a new secretary ends the term of the unit's current one."""
        if not self.has_positions:
            return
        end_ids: list[int] = []
        new: list[Position] = []
        for person, wanted in self.wanted:
            held = self.current.get(person.pk, {})
            for key, position_pk in held.items():
                if key not in wanted:
                    end_ids.append(position_pk)
            for unit_id, role in wanted - set(held):
                if role == Role.SECRETARY:
                    previous = self.secretary_of.get(unit_id)
                    if previous is not None and previous != person.pk:
                        end_ids.append(self.current[previous][(unit_id, role)])
                new.append(
                    Position(person_id=person.pk, unit_id=unit_id, role=role, start_date=self.today)
                )
        Position.objects.filter(pk__in=set(end_ids)).update(end_date=self.today)
        Position.objects.bulk_create(new, batch_size=1000)

    # Export
    def filter_export(self, queryset, **kwargs):
        self.code_of = dict(OrgUnit.objects.values_list("pk", "code"))
        self.posts: dict[int, list[str]] = defaultdict(list)
        for person_id, unit_id, role in (
            Position.objects.filter(end_date__isnull=True, person__in=queryset.values("pk"))
            .order_by("unit__tree_id", "unit__lft", "role")
            .values_list("person_id", "unit_id", "role")
        ):
            self.posts[person_id].append(f"{word_of(ROLE_WORDS, role)}@{self.code_of[unit_id]}")
        return queryset.order_by("pk")

    def dehydrate_person_name(self, person):
        return person.name

    def dehydrate_id_number(self, person):
        return sheets.masked_id(person.id_number_tail)

    def dehydrate_phone(self, person):
        return person.phone

    def dehydrate_political_status(self, person):
        return word_of(STATUS_WORDS, person.political_status)

    def dehydrate_retired(self, person):
        return "是" if person.retired else "否"

    def dehydrate_membership(self, person):
        return self.code_of.get(person.membership_unit_id, "")

    def dehydrate_positions(self, person):
        return "；".join(self.posts.get(person.pk, []))


# =============================================================================================
# 网格划分表: grids, their branch (支部建在网格上) and their leader.
# =============================================================================================


class GridResource(SheetResource):
    kind = "grids"
    title = gettext_lazy("grid list")
    required_columns = ("网格编码", "网格名称", "所属社区编码")
    writes_tree = True
    point_columns = ("中心纬度", "中心经度")
    tracked = (
        "name",
        "community_id",
        "leader_id",
        "households",
        "population",
        "center_lat",
        "center_lng",
    )
    clean_exclude = ("community", "unit", "leader")
    column_of = {
        "name": "网格名称",
        "code": "网格编码",
        "households": "户数",
        "population": "人口",
        "center_lat": "中心纬度",
        "center_lng": "中心经度",
        "unit": "网格编码",
        "community": "所属社区编码",
    }
    example = {
        "网格编码": "JK-S1-C01-G01",
        "网格名称": "京口路第1网格",
        "所属社区编码": "JK-S1-C01",
        "支部形式": "党支部",
        "网格长手机号": "13805110002",
        "户数": 320,
        "人口": 810,
        "中心纬度": 32.2071,
        "中心经度": 119.4468,
        "坐标系": "wgs84",
    }

    grid_code = col("网格编码")
    grid_name = col("网格名称")
    community = col("所属社区编码")
    branch_form = col("支部形式")
    leader_phone = col("网格长手机号")
    households = col("户数")
    population = col("人口")
    center_lat = col("中心纬度")
    center_lng = col("中心经度")

    class Meta(SheetResource.Meta):
        model = Grid
        fields = (
            "grid_code",
            "grid_name",
            "community",
            "branch_form",
            "leader_phone",
            "households",
            "population",
            "center_lat",
            "center_lng",
        )
        export_order = fields

    def prepare(self, dataset):
        self.units = {
            u.code: u for u in OrgUnit.objects.filter(kind__in=[UnitKind.COMMUNITY, UnitKind.GRID])
        }
        self.grids = {g.code: g for g in Grid.objects.all()}
        self.phones: dict[str, int] = {}
        for pk, phone in Person.objects.order_by("-pk").values_list("pk", "phone"):
            self.phones[phone] = pk
        self.seen: dict[str, int] = {}
        self.tree_changed = False

    def find(self, row):
        return self.grids.get(row.text("网格编码"))

    def apply(self, grid, row):
        code = row.text("网格编码", required=True, max_length=32)
        name = row.text("网格名称", required=True, max_length=100)
        if code in self.seen:
            row.error(
                "网格编码",
                _("The code “%(code)s” is already used in row %(line)s.")
                % {"code": code, "line": self.seen[code]},
            )
        self.seen.setdefault(code, row.line)
        community = None
        community_code = row.text("所属社区编码", required=True)
        if community_code:
            community = self.units.get(community_code)
            if community is None or community.kind != UnitKind.COMMUNITY:
                row.error(
                    "所属社区编码",
                    _("There is no community with the code “%(code)s”.") % {"code": community_code},
                )
                community = None
            elif not self.in_scope(community.pk):
                self.out_of_scope(row, "所属社区编码", community.name)
                community = None
        form = row.choice(
            "支部形式",
            {OrgForm.BRANCH: FORM_WORDS[OrgForm.BRANCH], OrgForm.GROUP: FORM_WORDS[OrgForm.GROUP]},
        )
        branch = self.units.get(code)
        if branch is not None:
            if branch.kind != UnitKind.GRID:
                row.error(
                    "网格编码",
                    _("“%(code)s” is the code of “%(name)s”, which is not a grid branch.")
                    % {"code": code, "name": branch.name},
                )
            elif community is not None and branch.parent_id != community.pk:
                row.error(
                    "所属社区编码",
                    _("The grid's party branch “%(name)s” belongs to another community.")
                    % {"name": branch.name},
                )
        elif code and not form:
            row.error(
                "支部形式",
                _(
                    "The grid “%(name)s” has no grid party branch or group yet (支部建在网格上). Write 党支部 or 党小组 here to set one up under its community, or import the organization tree first."
                )
                % {"name": name},
            )
        leader_id = grid.leader_id if grid.pk else None
        if row.has("网格长手机号"):
            leader_phone = row.text("网格长手机号")
            leader_id = None
            if leader_phone:
                leader_id = self.phones.get(leader_phone)
                if leader_id is None:
                    row.error(
                        "网格长手机号",
                        _(
                            "Nobody in the roster has the phone number %(phone)s: import the party member roster first."
                        )
                        % {"phone": leader_phone},
                    )
        households = row.read("户数", sheets.integer, default=0)
        population = row.read("人口", sheets.integer, default=0)
        lat, lng = self.read_point(row, required=False)
        if row.errors:
            return
        grid.code, grid.name, grid.community = code, name, community
        grid.leader_id, grid.households, grid.population = leader_id, households, population
        grid.center_lat, grid.center_lng = lat, lng
        self._branch = branch
        self._form = form
        if branch is not None:
            grid.unit = branch
            if form and branch.org_form != form:
                self._extra_changed = True

    def save_instance(self, instance, is_create, row, **kwargs):
        branch = self._branch
        if branch is None:
            suffix = "党小组" if self._form == OrgForm.GROUP else "党支部"
            branch = OrgUnit(
                kind=UnitKind.GRID,
                org_form=self._form,
                name=f"{instance.name}{suffix}",
                code=instance.code,
                parent=instance.community,
            )
            branch.full_clean(
                exclude=["parent", "lft", "rght", "tree_id", "level"], validate_unique=False
            )
            branch.save()
            self.units[branch.code] = branch
            self.tree_changed = True
        elif self._form and branch.org_form != self._form:
            branch.org_form = self._form
            branch.save(update_fields=["org_form", "updated_at"])
        instance.unit = branch
        super().save_instance(instance, is_create, row, **kwargs)

    def finish(self, result, *, dry_run):
        if self.tree_changed:
            rebuild_tree()

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("community", "unit", "leader").order_by("code")

    def dehydrate_grid_code(self, grid):
        return grid.code

    def dehydrate_grid_name(self, grid):
        return grid.name

    def dehydrate_community(self, grid):
        return grid.community.code

    def dehydrate_branch_form(self, grid):
        return word_of(FORM_WORDS, grid.unit.org_form)

    def dehydrate_leader_phone(self, grid):
        return grid.leader.phone if grid.leader_id else ""

    def dehydrate_households(self, grid):
        return grid.households

    def dehydrate_population(self, grid):
        return grid.population

    def dehydrate_center_lat(self, grid):
        return grid.center_lat if grid.center_lat is not None else ""

    def dehydrate_center_lng(self, grid):
        return grid.center_lng if grid.center_lng is not None else ""


# =============================================================================================
# 楼栋表: buildings, each in one grid.
# =============================================================================================


class BuildingResource(SheetResource):
    kind = "buildings"
    title = gettext_lazy("building list")
    required_columns = ("地址", "楼栋名称", "网格编码", "纬度", "经度")
    point_columns = ("纬度", "经度")
    tracked = ("name", "address", "grid_id", "unit_id", "lat", "lng", "households")
    clean_exclude = ("grid", "unit")
    column_of = {
        "name": "楼栋名称",
        "address": "地址",
        "lat": "纬度",
        "lng": "经度",
        "households": "户数",
    }
    example = {
        "地址": "京口路社区京口路新村1号楼",
        "楼栋名称": "1号楼",
        "网格编码": "JK-S1-C01-G01",
        "户数": 24,
        "纬度": 32.2069,
        "经度": 119.4472,
        "坐标系": "wgs84",
        "楼栋党小组编码": "JK-S1-C01-G01-B01",
    }

    address = col("地址")
    building_name = col("楼栋名称")
    grid = col("网格编码")
    households = col("户数")
    lat = col("纬度")
    lng = col("经度")
    group = col("楼栋党小组编码")

    class Meta(SheetResource.Meta):
        model = Building
        fields = ("address", "building_name", "grid", "households", "lat", "lng", "group")
        export_order = fields
        use_bulk = True
        batch_size = 1000

    def get_bulk_update_fields(self):
        fields = ["name", "address", "grid", "unit", "lat", "lng", "households", "updated_at"]
        return [*fields, "search_key", "sort_key"]

    def prepare(self, dataset):
        self.grids = {}
        self.community_name = {}
        for pk, code, unit_id, community in Grid.objects.values_list(
            "pk", "code", "unit_id", "community__name"
        ):
            self.grids[code] = (pk, unit_id)
            self.community_name[pk] = community
        self.grid_unit = {pk: unit_id for pk, unit_id in self.grids.values()}
        self.group_units = {
            code: (pk, parent_id, name)
            for pk, code, parent_id, name in OrgUnit.objects.filter(
                kind=UnitKind.BUILDING
            ).values_list("pk", "code", "parent_id", "name")
        }
        self.by_address = {b.address: b for b in Building.objects.all()}
        self.unit_taken = {b.unit_id: b.pk for b in self.by_address.values() if b.unit_id}
        self.seen: dict[str, tuple[int, str]] = {}
        self.seen_unit: dict[int, int] = {}

    def find(self, row):
        return self.by_address.get(row.text("地址"))

    def apply(self, building, row):
        address = row.text("地址", required=True, max_length=200)
        name = row.text("楼栋名称", required=True, max_length=100)
        grid_code = row.text("网格编码", required=True)
        grid = self.grids.get(grid_code) if grid_code else None
        if grid_code and grid is None:
            row.error(
                "网格编码",
                _("There is no grid with the code “%(code)s”: import the grid list first.")
                % {"code": grid_code},
            )
        if address in self.seen:
            line, other_grid = self.seen[address]
            if grid_code and other_grid != grid_code:
                row.error(
                    "网格编码",
                    _(
                        "Row %(line)s puts this building in the grid %(other)s: a building belongs to one grid only."
                    )
                    % {"line": line, "other": other_grid},
                )
            else:
                row.error("地址", _("This address is already in row %(line)s.") % {"line": line})
        elif address:
            self.seen[address] = (row.line, grid_code)
        if grid is not None and not self.in_scope(grid[1]):
            self.out_of_scope(row, "网格编码", grid_code)
            grid = None
        if building.pk and not self.in_scope(self.grid_unit.get(building.grid_id)):
            self.out_of_scope(row, "地址", address)
        households = row.read("户数", sheets.integer, default=0)
        lat, lng = self.read_point(row)
        unit_id = building.unit_id if building.pk else None
        if row.has("楼栋党小组编码"):
            unit_id = None
            group_code = row.text("楼栋党小组编码")
            if group_code:
                group = self.group_units.get(group_code)
                if group is None:
                    row.error(
                        "楼栋党小组编码",
                        _("There is no building party group with the code “%(code)s”.")
                        % {"code": group_code},
                    )
                elif grid is not None and group[1] != grid[1]:
                    row.error(
                        "楼栋党小组编码",
                        _("The building party group “%(name)s” belongs to another grid.")
                        % {"name": group[2]},
                    )
                elif (
                    self.unit_taken.get(group[0], building.pk) != building.pk
                    or group[0] in self.seen_unit
                ):
                    row.error(
                        "楼栋党小组编码",
                        _(
                            "The building party group “%(name)s” is already linked to another building."
                        )
                        % {"name": group[2]},
                    )
                else:
                    unit_id = group[0]
                    self.seen_unit[unit_id] = row.line
        if row.errors:
            return
        building.address, building.name, building.grid_id = address, name, grid[0]
        building.unit_id, building.households = unit_id, households
        building.lat, building.lng = lat, lng

    def save_instance(self, instance, is_create, row, **kwargs):
        instance.updated_at = timezone.now()
        # Bulk saves skip Building.save(), which keeps the building search's keys in step.
        instance.refresh_search_keys(self.community_name.get(instance.grid_id, ""))
        super().save_instance(instance, is_create, row, **kwargs)

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("grid", "unit").order_by("grid__code", "pk")

    def dehydrate_address(self, b):
        return b.address

    def dehydrate_building_name(self, b):
        return b.name

    def dehydrate_grid(self, b):
        return b.grid.code

    def dehydrate_households(self, b):
        return b.households

    def dehydrate_lat(self, b):
        return b.lat

    def dehydrate_lng(self, b):
        return b.lng

    def dehydrate_group(self, b):
        return b.unit.code if b.unit_id else ""


# =============================================================================================
# 党群服务站: stations with their hours, services and the grids they serve.
# =============================================================================================

PHONE_RE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?|\d{5})$")


def read_phone(row: Row, column: str) -> str:
    phone = re.sub(r"[\s()（）]", "", row.text(column))
    if phone and not PHONE_RE.match(phone):
        row.error(
            column,
            _(
                "“%(phone)s” is not a mainland phone number: give an 11-digit mobile number or a landline with its area code, e.g. 0511-84123456."
            )
            % {"phone": phone},
        )
    return phone


class StationResource(SheetResource):
    kind = "stations"
    title = gettext_lazy("station list")
    required_columns = ("名称", "级别", "所属单位编码", "地址", "纬度", "经度")
    point_columns = ("纬度", "经度")
    tracked = (
        "name",
        "level",
        "owner_unit_id",
        "address",
        "lat",
        "lng",
        "phone",
        "is_demonstration",
        "upgraded_year",
        "active",
        "description",
    )
    clean_exclude = ("owner_unit",)
    column_of = {
        "name": "名称",
        "level": "级别",
        "address": "地址",
        "lat": "纬度",
        "lng": "经度",
        "phone": "电话",
        "upgraded_year": "最近改造年份",
        "description": "简介",
        "owner_unit": "所属单位编码",
    }
    example = {
        "名称": "京口路社区党群服务中心",
        "级别": "社区",
        "所属单位编码": "JK-S1-C01",
        "地址": "京口区京口路18号",
        "电话": "0511-84123456",
        "开放时间": "周一至周五 8:30-12:00,14:00-17:30；周六 9:00-12:00",
        "服务项目": "政策咨询、助老服务、志愿服务",
        "服务网格": "JK-S1-C01-G01、JK-S1-C01-G02",
        "纬度": 32.2075,
        "经度": 119.4481,
        "坐标系": "wgs84",
        "示范中心": "否",
        "最近改造年份": 2021,
        "在用": "是",
        "简介": "一站式接待、全能型服务。",
    }

    station_name = col("名称")
    level = col("级别")
    owner = col("所属单位编码")
    address = col("地址")
    phone = col("电话")
    opening_hours = col("开放时间")
    services = col("服务项目")
    grids_served = col("服务网格")
    lat = col("纬度")
    lng = col("经度")
    demonstration = col("示范中心")
    upgraded_year = col("最近改造年份")
    active = col("在用")
    description = col("简介")

    class Meta(SheetResource.Meta):
        model = ServiceStation
        fields = (
            "station_name",
            "level",
            "owner",
            "address",
            "phone",
            "opening_hours",
            "services",
            "grids_served",
            "lat",
            "lng",
            "demonstration",
            "upgraded_year",
            "active",
            "description",
        )
        export_order = fields

    def prepare(self, dataset):
        self.units = UnitLookup()
        self.stations = {
            s.name: s
            for s in ServiceStation.objects.prefetch_related("hours", "services", "grids_served")
        }
        self.services_by_word = {}
        for service in StationService.objects.all():
            self.services_by_word[service.name] = service
            self.services_by_word[service.code] = service
        self.grid_ids = dict(Grid.objects.values_list("code", "pk"))
        self.seen: dict[str, int] = {}

    def find(self, row):
        return self.stations.get(row.text("名称"))

    def apply(self, station, row):
        name = row.text("名称", required=True, max_length=100)
        if name in self.seen:
            row.error(
                "名称", _("This station is already in row %(line)s.") % {"line": self.seen[name]}
            )
        self.seen.setdefault(name, row.line)
        level = row.choice("级别", STATION_LEVEL_WORDS, required=True)
        owner = _unit_ref(
            self,
            row,
            "所属单位编码",
            required=True,
            kinds=[ServiceStation.OWNER_KIND[level]] if level else None,
        )
        if station.pk and not self.in_scope(station.owner_unit_id):
            self.out_of_scope(row, "名称", name)
        address = row.text("地址", required=True, max_length=200)
        phone = read_phone(row, "电话")
        periods = row.read("开放时间", hours_text.parse, default=[])
        service_words = sheets.split_list(row.data.get("服务项目"))
        grid_ids = []
        for code in sheets.split_list(row.data.get("服务网格")):
            if code not in self.grid_ids:
                row.error(
                    "服务网格", _("There is no grid with the code “%(code)s”.") % {"code": code}
                )
            else:
                grid_ids.append(self.grid_ids[code])
        lat, lng = self.read_point(row)
        demonstration = row.read("示范中心", sheets.yes_no, default=False)
        active = row.read("在用", sheets.yes_no, default=True)
        year = row.read("最近改造年份", sheets.integer)
        if year is not None and not 1949 <= year <= 2100:
            row.error("最近改造年份", _("Enter the year of the last upgrade, e.g. 2022."))
        description = row.text("简介")
        if row.errors:
            return
        station.name, station.level, station.owner_unit_id = name, level, owner
        station.address, station.phone, station.lat, station.lng = address, phone, lat, lng
        station.is_demonstration, station.active, station.upgraded_year = (
            demonstration,
            active,
            year,
        )
        station.description = description
        self._periods, self._service_words, self._grid_ids = periods, service_words, grid_ids
        if station.pk:
            old_hours = sorted((h.weekday, h.opens, h.closes) for h in station.hours.all())
            old_services = {s.name for s in station.services.all()}
            old_grids = {g.pk for g in station.grids_served.all()}
            known = {
                self.services_by_word[w].name if w in self.services_by_word else w
                for w in service_words
            }
            if old_hours != periods or old_services != known or old_grids != set(grid_ids):
                self._extra_changed = True

    def after_save_instance(self, instance, row, **kwargs):
        services = []
        for word in self._service_words:
            service = self.services_by_word.get(word)
            if service is None:
                service = StationService.objects.create(
                    code=f"s-{hashlib.sha256(word.encode()).hexdigest()[:10]}", name=word[:60]
                )
                self.services_by_word[word] = service
                self.notes.append(_("A new station service was added: %(name)s.") % {"name": word})
            services.append(service)
        instance.services.set(services)
        instance.grids_served.set(self._grid_ids)
        OpeningHours.objects.filter(station=instance).delete()
        OpeningHours.objects.bulk_create(
            [
                OpeningHours(station=instance, weekday=d, opens=o, closes=c)
                for d, o, c in self._periods
            ]
        )

    def filter_export(self, queryset, **kwargs):
        self.code_of = dict(OrgUnit.objects.values_list("pk", "code"))
        return queryset.prefetch_related("hours", "services", "grids_served").order_by(
            "level", "name"
        )

    def dehydrate_station_name(self, s):
        return s.name

    def dehydrate_level(self, s):
        return word_of(STATION_LEVEL_WORDS, s.level)

    def dehydrate_owner(self, s):
        return self.code_of.get(s.owner_unit_id, "")

    def dehydrate_address(self, s):
        return s.address

    def dehydrate_phone(self, s):
        return s.phone

    def dehydrate_opening_hours(self, s):
        return hours_text.format_periods(s.hours.all())

    def dehydrate_services(self, s):
        return "、".join(sorted(x.name for x in s.services.all()))

    def dehydrate_grids_served(self, s):
        return "、".join(sorted(g.code for g in s.grids_served.all()))

    def dehydrate_lat(self, s):
        return s.lat

    def dehydrate_lng(self, s):
        return s.lng

    def dehydrate_demonstration(self, s):
        return "是" if s.is_demonstration else "否"

    def dehydrate_upgraded_year(self, s):
        return s.upgraded_year or ""

    def dehydrate_active(self, s):
        return "是" if s.active else "否"

    def dehydrate_description(self, s):
        return s.description


# =============================================================================================
# 职能部门 and 诉求分类: district-wide lists, for district staff only.
# =============================================================================================


class DepartmentResource(SheetResource):
    kind = "departments"
    title = gettext_lazy("department list")
    required_columns = ("编码", "名称")
    district_only = True
    personal_data = True
    tracked = (
        "code",
        "name",
        "level",
        "street_id",
        "contact_name",
        "contact_phone",
        "contact_email",
    )
    clean_exclude = ("street", "paired_communities")
    column_of = {
        "code": "编码",
        "name": "名称",
        "level": "级别",
        "contact_name": "联系人",
        "contact_phone": "联系电话",
        "contact_email": "联系邮箱",
    }
    example = {
        "编码": "D-CG",
        "名称": "区城市管理局",
        "级别": "区级部门",
        "所属街道编码": "",
        "联系人": "李明",
        "联系电话": "0511-85021234",
        "联系邮箱": "cgj@example.cn",
        "结对社区": "JK-S1-C01、JK-S1-C02",
    }

    dept_code = col("编码")
    dept_name = col("名称")
    level = col("级别")
    street = col("所属街道编码")
    contact_name = col("联系人")
    contact_phone = col("联系电话")
    contact_email = col("联系邮箱")
    paired = col("结对社区")

    class Meta(SheetResource.Meta):
        model = Department
        fields = (
            "dept_code",
            "dept_name",
            "level",
            "street",
            "contact_name",
            "contact_phone",
            "contact_email",
            "paired",
        )
        export_order = fields

    def prepare(self, dataset):
        self.units = UnitLookup()
        self.departments = {
            d.code: d for d in Department.objects.prefetch_related("paired_communities")
        }
        self.seen: dict[str, int] = {}

    def find(self, row):
        return self.departments.get(row.text("编码"))

    def apply(self, dept, row):
        code = row.text("编码", required=True, max_length=32)
        if code in self.seen:
            row.error(
                "编码",
                _("The code “%(code)s” is already used in row %(line)s.")
                % {"code": code, "line": self.seen[code]},
            )
        self.seen.setdefault(code, row.line)
        name = row.text("名称", required=True, max_length=100)
        level = row.choice("级别", DEPARTMENT_LEVEL_WORDS, default=DepartmentLevel.DISTRICT)
        street = _unit_ref(self, row, "所属街道编码", kinds=[UnitKind.STREET])
        contact_name = row.text("联系人", max_length=50)
        contact_phone = read_phone(row, "联系电话")
        contact_email = row.text("联系邮箱")
        paired = []
        for code_ in sheets.split_list(row.data.get("结对社区")):
            found = self.units.get(code_)
            if found is None or found[1] != UnitKind.COMMUNITY:
                row.error(
                    "结对社区",
                    _("There is no community with the code “%(code)s”.") % {"code": code_},
                )
            else:
                paired.append(found[0])
        if row.errors:
            return
        dept.code, dept.name, dept.level, dept.street_id = code, name, level, street
        dept.contact_name, dept.contact_phone, dept.contact_email = (
            contact_name,
            contact_phone,
            contact_email,
        )
        self._paired = paired
        if dept.pk and {u.pk for u in dept.paired_communities.all()} != set(paired):
            self._extra_changed = True

    def after_save_instance(self, instance, row, **kwargs):
        instance.paired_communities.set(self._paired)

    def filter_export(self, queryset, **kwargs):
        self.code_of = dict(OrgUnit.objects.values_list("pk", "code"))
        return queryset.prefetch_related("paired_communities").order_by("code")

    def dehydrate_dept_code(self, d):
        return d.code

    def dehydrate_dept_name(self, d):
        return d.name

    def dehydrate_level(self, d):
        return word_of(DEPARTMENT_LEVEL_WORDS, d.level)

    def dehydrate_street(self, d):
        return self.code_of.get(d.street_id, "")

    def dehydrate_contact_name(self, d):
        return d.contact_name

    def dehydrate_contact_phone(self, d):
        return d.contact_phone

    def dehydrate_contact_email(self, d):
        return d.contact_email

    def dehydrate_paired(self, d):
        return "、".join(sorted(u.code for u in d.paired_communities.all()))


class CategoryResource(SheetResource):
    kind = "categories"
    title = gettext_lazy("request categories")
    required_columns = ("编码", "名称")
    district_only = True
    tracked = (
        "code",
        "name",
        "parent_id",
        "default_level",
        "default_department_id",
        "hours_to_accept",
        "hours_to_resolve",
        "sort_order",
        "active",
    )
    clean_exclude = ("parent", "default_department")
    column_of = {
        "code": "编码",
        "name": "名称",
        "default_level": "默认处理层级",
        "hours_to_accept": "受理时限（小时）",
        "hours_to_resolve": "办结时限（小时）",
    }
    example = {
        "编码": "garbage",
        "名称": "垃圾清运",
        "上级分类编码": "environment",
        "默认处理层级": "网格",
        "默认部门编码": "D-CG",
        "受理时限（小时）": 24,
        "办结时限（小时）": 72,
        "排序": 1,
        "启用": "是",
    }

    cat_code = col("编码")
    cat_name = col("名称")
    parent = col("上级分类编码")
    level = col("默认处理层级")
    department = col("默认部门编码")
    hours_to_accept = col("受理时限（小时）")
    hours_to_resolve = col("办结时限（小时）")
    sort_order = col("排序")
    active = col("启用")

    class Meta(SheetResource.Meta):
        model = Category
        fields = (
            "cat_code",
            "cat_name",
            "parent",
            "level",
            "department",
            "hours_to_accept",
            "hours_to_resolve",
            "sort_order",
            "active",
        )
        export_order = fields

    def row_order(self, dataset):
        if "上级分类编码" not in dataset.headers:
            return None
        column = dataset.headers.index("上级分类编码")
        return sorted(range(len(dataset)), key=lambda i: bool(sheets.text(dataset[i][column])))

    def prepare(self, dataset):
        self.categories = {c.code: c for c in Category.objects.all()}
        self.departments = dict(Department.objects.values_list("code", "pk"))
        self.seen: dict[str, int] = {}

    def find(self, row):
        return self.categories.get(row.text("编码"))

    def apply(self, cat, row):
        code = row.text("编码", required=True, max_length=40)
        if code in self.seen:
            row.error(
                "编码",
                _("The code “%(code)s” is already used in row %(line)s.")
                % {"code": code, "line": self.seen[code]},
            )
        self.seen.setdefault(code, row.line)
        name = row.text("名称", required=True, max_length=60)
        parent = None
        parent_code = row.text("上级分类编码")
        if parent_code:
            parent = self.categories.get(parent_code)
            if parent is None:
                row.error(
                    "上级分类编码",
                    _("There is no category with the code “%(code)s”.") % {"code": parent_code},
                )
            elif parent.parent_id:
                row.error(
                    "上级分类编码",
                    _("Categories have two levels: “%(name)s” is already a second-level category.")
                    % {"name": parent.name},
                )
        level = row.choice("默认处理层级", HANDLING_LEVEL_WORDS, default=HandlingLevel.GRID)
        dept_code = row.text("默认部门编码")
        dept = self.departments.get(dept_code) if dept_code else None
        if dept_code and dept is None:
            row.error(
                "默认部门编码",
                _("There is no department with the code “%(code)s”.") % {"code": dept_code},
            )
        accept = row.read("受理时限（小时）", sheets.integer, default=24)
        resolve = row.read("办结时限（小时）", sheets.integer, default=72)
        order = row.read("排序", sheets.integer, default=0)
        active = row.read("启用", sheets.yes_no, default=True)
        if row.errors:
            return
        cat.code, cat.name, cat.parent = code, name, parent
        cat.default_level, cat.default_department_id = level, dept
        cat.hours_to_accept, cat.hours_to_resolve, cat.sort_order, cat.active = (
            accept,
            resolve,
            order,
            active,
        )

    def save_instance(self, instance, is_create, row, **kwargs):
        super().save_instance(instance, is_create, row, **kwargs)
        self.categories[instance.code] = instance

    def filter_export(self, queryset, **kwargs):
        self.dept_code = dict(Department.objects.values_list("pk", "code"))
        return queryset.select_related("parent").order_by("parent_id", "sort_order", "code")

    def dehydrate_cat_code(self, c):
        return c.code

    def dehydrate_cat_name(self, c):
        return c.name

    def dehydrate_parent(self, c):
        return c.parent.code if c.parent_id else ""

    def dehydrate_level(self, c):
        return word_of(HANDLING_LEVEL_WORDS, c.default_level)

    def dehydrate_department(self, c):
        return self.dept_code.get(c.default_department_id, "")

    def dehydrate_hours_to_accept(self, c):
        return c.hours_to_accept

    def dehydrate_hours_to_resolve(self, c):
        return c.hours_to_resolve

    def dehydrate_sort_order(self, c):
        return c.sort_order

    def dehydrate_active(self, c):
        return "是" if c.active else "否"


RESOURCES: dict[str, type[SheetResource]] = {
    r.kind: r
    for r in [
        OrgUnitResource,
        PersonResource,
        GridResource,
        BuildingResource,
        StationResource,
        DepartmentResource,
        CategoryResource,
    ]
}
