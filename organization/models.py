"""The five-level party chain as one MPTT tree, the people in it, their posts, and staff scopes.

Writes that change the tree (insert, move, delete) go through organization.services, which
serializes them; reads that filter by subtree go through organization.selectors.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from mptt.models import MPTTModel, TreeForeignKey

from core.models import TimeStampedModel
from core.validators import validate_mainland_mobile


class UnitKind(models.TextChoices):
    DISTRICT = "district", _("District party committee (区委)")
    STREET = "street", _("Street party working committee (街道党工委)")
    COMMUNITY = "community", _("Community party committee (社区党委)")
    GRID = "grid", _("Grid party branch or group (网格党支部/党小组)")
    BUILDING = "building", _("Building party group (楼栋党小组)")
    HOUSEHOLD = "household", _("Party-member central household (党员中心户)")


# The chain, top to bottom: a unit's parent is always of the kind just above it.
KIND_ORDER = [k.value for k in UnitKind]
PARENT_KIND = {child: parent for parent, child in zip(KIND_ORDER, KIND_ORDER[1:], strict=False)}


class OrgForm(models.TextChoices):
    """What the party organization at a unit is formally constituted as."""

    DISTRICT_COMMITTEE = "district_committee", _("District committee (区委)")
    WORKING_COMMITTEE = "working_committee", _("Working committee (党工委)")
    COMMITTEE = "committee", _("Party committee (党委)")
    GENERAL_BRANCH = "general_branch", _("General branch (党总支)")
    BRANCH = "branch", _("Party branch (党支部)")
    GROUP = "group", _("Party group (党小组)")
    HOUSEHOLD = "household", _("Central household (中心户)")


ALLOWED_FORMS = {
    UnitKind.DISTRICT: {OrgForm.DISTRICT_COMMITTEE},
    UnitKind.STREET: {OrgForm.WORKING_COMMITTEE},
    UnitKind.COMMUNITY: {OrgForm.COMMITTEE, OrgForm.GENERAL_BRANCH},
    # "支部建在网格上": a grid has a branch, or a party group where it has too few members.
    UnitKind.GRID: {OrgForm.BRANCH, OrgForm.GROUP},
    UnitKind.BUILDING: {OrgForm.GROUP},
    UnitKind.HOUSEHOLD: {OrgForm.HOUSEHOLD},
}
DEFAULT_FORM = {
    UnitKind.DISTRICT: OrgForm.DISTRICT_COMMITTEE,
    UnitKind.STREET: OrgForm.WORKING_COMMITTEE,
    UnitKind.COMMUNITY: OrgForm.COMMITTEE,
    UnitKind.GRID: OrgForm.BRANCH,
    UnitKind.BUILDING: OrgForm.GROUP,
    UnitKind.HOUSEHOLD: OrgForm.HOUSEHOLD,
}


def kind_label(kind: str) -> str:
    return str(UnitKind(kind).label)


def check_parent_kind(kind: str, parent_kind: str | None) -> None:
    """Raise ValidationError unless a unit of `kind` may sit under a parent of `parent_kind`."""
    expected = PARENT_KIND.get(kind)
    if expected is None:
        if parent_kind is not None:
            raise ValidationError(
                _("A %(kind)s is the root of its tree and cannot be placed under a %(parent)s.")
                % {"kind": kind_label(kind), "parent": kind_label(parent_kind)},
                code="wrong_parent_kind",
            )
        return
    if parent_kind is None:
        raise ValidationError(
            _("A %(kind)s must be placed under a %(expected)s.")
            % {"kind": kind_label(kind), "expected": kind_label(expected)},
            code="missing_parent",
        )
    if parent_kind != expected:
        raise ValidationError(
            _("A %(kind)s cannot be placed under a %(parent)s: its parent must be a %(expected)s.")
            % {
                "kind": kind_label(kind),
                "parent": kind_label(parent_kind),
                "expected": kind_label(expected),
            },
            code="wrong_parent_kind",
        )


class OrgUnit(MPTTModel, TimeStampedModel):
    SCOPE_PATH = ""
    kind = models.CharField(_("level"), max_length=16, choices=UnitKind.choices, db_index=True)
    org_form = models.CharField(_("organization form"), max_length=24, choices=OrgForm.choices)
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32, unique=True)
    parent = TreeForeignKey(
        "self",
        verbose_name=_("parent unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    # A street's or community's outline (GeoJSON Polygon, WGS-84) for the base map drawn from
    # the portal's own data; where empty, the map derives it from the unit's buildings.
    boundary = models.JSONField(_("boundary (GeoJSON polygon)"), null=True, blank=True)

    class MPTTMeta:
        order_insertion_by = ["code"]

    class Meta:
        verbose_name = _("organization unit")
        verbose_name_plural = _("organization units")
        indexes = [models.Index(fields=["tree_id", "lft", "rght"], name="orgunit_range_idx")]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        parent_kind = None
        if self.parent_id:
            parent_kind = (
                self.parent.kind
                if self.parent
                else OrgUnit.objects.values_list("kind", flat=True).get(pk=self.parent_id)
            )
        check_parent_kind(self.kind, parent_kind)
        if self.kind and not self.org_form:
            self.org_form = DEFAULT_FORM[self.kind]
        if self.kind and self.org_form not in ALLOWED_FORMS[self.kind]:
            raise ValidationError(
                {
                    "org_form": _("A %(kind)s cannot be constituted as a %(form)s.")
                    % {"kind": kind_label(self.kind), "form": OrgForm(self.org_form).label}
                }
            )


class PoliticalStatus(models.TextChoices):
    FULL_MEMBER = "full", _("Full party member (正式党员)")
    PROBATIONARY = "probationary", _("Probationary member (预备党员)")
    ACTIVIST = "activist", _("Activist applying to join (入党积极分子)")
    APPLICANT = "applicant", _("Applicant (入党申请人)")
    MASSES = "masses", _("Non-party (群众)")


PARTY_MEMBER_STATUSES = [PoliticalStatus.FULL_MEMBER, PoliticalStatus.PROBATIONARY]


class Person(TimeStampedModel):
    SCOPE_PATH = "membership_unit"
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(
        _("mobile phone"), max_length=11, validators=[validate_mainland_mobile], db_index=True
    )
    political_status = models.CharField(
        _("political status"), max_length=16, choices=PoliticalStatus.choices, db_index=True
    )
    retired = models.BooleanField(_("retired"), default=False)
    # The 18-digit ID number (身份证号) is never stored: a keyed hash matches re-imports of the
    # roster to the same person, and the last four characters let staff tell namesakes apart.
    id_number_hash = models.CharField(
        _("ID number (keyed hash)"), max_length=64, null=True, blank=True, unique=True
    )
    id_number_tail = models.CharField(_("ID number, last 4"), max_length=4, blank=True)
    membership_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit holding membership (组织关系)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.CheckConstraint(
                condition=Q(membership_unit__isnull=True)
                | Q(political_status__in=["full", "probationary"]),
                name="person_membership_only_for_members",
                violation_error_message=_("Only party members hold membership in a unit."),
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_party_member(self) -> bool:
        return self.political_status in PARTY_MEMBER_STATUSES

    def clean(self):
        super().clean()
        if self.membership_unit_id and not self.is_party_member:
            raise ValidationError(
                {"membership_unit": _("Only party members hold membership in a unit.")}
            )


class Role(models.TextChoices):
    SECRETARY = "secretary", _("Secretary (书记)")
    DEPUTY_SECRETARY = "deputy_secretary", _("Deputy secretary (副书记)")
    COMMITTEE_MEMBER = "committee_member", _("Committee member (委员)")
    GRID_LEADER = "grid_leader", _("Grid leader (网格长)")
    BUILDING_LEADER = "building_leader", _("Building leader (楼栋长)")
    HOUSEHOLD_HEAD = "household_head", _("Central household head (中心户户主)")
    GROUP_LEADER = "group_leader", _("Party group leader (党小组长)")


class Position(TimeStampedModel):
    SCOPE_PATH = "unit"
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="positions"
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="positions"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices, db_index=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        constraints = [
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(role="secretary", end_date__isnull=True),
                name="one_current_secretary_per_unit",
                violation_error_message=_(
                    "This unit already has a current secretary: end that position first."
                ),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="position_ends_after_start",
                violation_error_message=_("A position cannot end before it starts."),
            ),
        ]

    def __str__(self):
        return f"{self.unit} · {self.get_role_display()} · {self.person}"


class DepartmentLevel(models.TextChoices):
    DISTRICT = "district", _("District department")
    STREET = "street", _("Street office")


class Department(TimeStampedModel):
    """A government department (职能部门) that reports when a street blows the whistle."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32, unique=True)
    level = models.CharField(_("level"), max_length=16, choices=DepartmentLevel.choices)
    street = models.ForeignKey(
        OrgUnit,
        verbose_name=_("street (for street offices)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="street_departments",
        limit_choices_to={"kind": UnitKind.STREET},
    )
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    # 结对服务清单: the communities this department is paired with.
    paired_communities = models.ManyToManyField(
        OrgUnit,
        verbose_name=_("paired communities (结对服务清单)"),
        blank=True,
        related_name="paired_departments",
        limit_choices_to={"kind": UnitKind.COMMUNITY},
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return self.name


class StaffRole(models.TextChoices):
    ORG_DEPARTMENT = "org_department", _("Organization department (区委组织部)")
    STREET_STAFF = "street_staff", _("Street staff")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    GRID_LEADER = "grid_leader", _("Grid leader")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")


class StaffScope(TimeStampedModel):
    """What a staff user may see and act on: the subtree under `unit` (or, for department
    staff, the requests escalated to `department`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_scopes",
    )
    role = models.CharField(_("role"), max_length=24, choices=StaffRole.choices)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="staff_scopes",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="staff_scopes",
    )

    class Meta:
        verbose_name = _("staff scope")
        verbose_name_plural = _("staff scopes")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role="department_staff", department__isnull=False, unit__isnull=True)
                    | (~Q(role="department_staff") & Q(unit__isnull=False, department__isnull=True))
                ),
                name="staffscope_unit_or_department",
                violation_error_message=_(
                    "Department staff are scoped to a department; everyone else to a unit."
                ),
            ),
            models.UniqueConstraint(fields=["user", "unit"], name="staffscope_unique_unit"),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.unit or self.department}"

    # The unit kind each role's scope sits on.
    ROLE_UNIT_KIND = {
        StaffRole.ORG_DEPARTMENT: UnitKind.DISTRICT,
        StaffRole.STREET_STAFF: UnitKind.STREET,
        StaffRole.COMMUNITY_STAFF: UnitKind.COMMUNITY,
        StaffRole.GRID_LEADER: UnitKind.GRID,
    }

    def clean(self):
        super().clean()
        if self.role == StaffRole.DEPARTMENT_STAFF:
            if not self.department_id or self.unit_id:
                raise ValidationError(_("Department staff are scoped to a department, not a unit."))
            return
        if not self.unit_id or self.department_id:
            raise ValidationError(_("This role is scoped to a unit, not a department."))
        expected = self.ROLE_UNIT_KIND[self.role]
        if self.unit.kind != expected:
            raise ValidationError(
                {
                    "unit": _("A %(role)s is scoped to a %(kind)s.")
                    % {"role": self.get_role_display(), "kind": kind_label(expected)}
                }
            )
