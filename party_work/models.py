"""Party members at work in the grids: volunteer teams and their activities, posts claimed in
grids (认岗领责), central households' contact with resident households (党员联户), vanguard
awards (先锋榜样), deputies and 温暖20 reception days, service projects and co-building units.

Writes go through party_work.services; reads through party_work.selectors. The vanguard point
rules live in party_work.points.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.privacy import mask_name
from core.validators import validate_mainland_mobile
from grids.models import Building, Grid, ServiceStation
from organization.models import OrgUnit, Person, UnitKind

RECEPTION_DAY = 20  # 温暖20: deputies receive residents on the 20th of each month


def next_reception_date(today: datetime.date | None = None) -> datetime.date:
    """The coming 20th (today if today is the 20th)."""
    today = today or timezone.localdate()
    if today.day <= RECEPTION_DAY:
        return today.replace(day=RECEPTION_DAY)
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return datetime.date(year, month, RECEPTION_DAY)


# --- Volunteer teams and activities ----------------------------------------------------------


class VolunteerTeam(TimeStampedModel):
    """A grid volunteer team (网格志愿服务队) with party members as its backbone."""

    SCOPE_PATH = "grid__unit"

    name = models.CharField(_("name"), max_length=100)
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="volunteer_teams"
    )
    leader = models.ForeignKey(
        Person,
        verbose_name=_("team leader"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
    )
    members = models.ManyToManyField(
        Person, verbose_name=_("members"), blank=True, related_name="volunteer_teams"
    )
    services = models.CharField(
        _("services offered"),
        max_length=300,
        help_text=_("Separate the services with commas, e.g. 助老, 维修, 环境整治."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("volunteer team")
        verbose_name_plural = _("volunteer teams")
        ordering = ["grid_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "name"], name="pw_team_name_per_grid")
        ]

    def __str__(self):
        return self.name

    @property
    def service_list(self) -> list[str]:
        return [s.strip() for s in self.services.replace("，", ",").split(",") if s.strip()]


class Activity(TimeStampedModel):
    """A volunteer activity (一抹党旗红): who served, where, when and for how long."""

    SCOPE_PATH = "team__grid__unit"

    team = models.ForeignKey(
        VolunteerTeam, verbose_name=_("team"), on_delete=models.CASCADE, related_name="activities"
    )
    title = models.CharField(_("title"), max_length=100)
    date = models.DateField(_("date"), db_index=True)
    place = models.CharField(_("place"), max_length=200)
    participants = models.ManyToManyField(
        Person, verbose_name=_("participants"), blank=True, related_name="activities"
    )
    hours = models.DecimalField(
        _("hours per participant"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(24)],
    )

    class Meta:
        verbose_name = _("volunteer activity")
        verbose_name_plural = _("volunteer activities")
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"{self.date} · {self.title}"


# --- Posts claimed in grids (认岗领责) -----------------------------------------------------------


class PostKind(models.TextChoices):
    BUILDING_LEADER = "building_leader", _("Building leader (楼栋长)")
    ENVIRONMENT = "environment", _("Environment watch (环境监督)")
    MEDIATION = "mediation", _("Neighbour mediation (邻里调解)")
    SAFETY = "safety", _("Safety patrol (安全巡查)")
    ELDERLY = "elderly", _("Help for older residents (助老帮扶)")
    CIVILITY = "civility", _("Civility guide (文明劝导)")
    POLICY = "policy", _("Policy explainer (政策宣传)")
    OTHER = "other", _("Other duty")


class PostClaim(TimeStampedModel):
    """A party member claims a post or duty in a grid (认岗领责)."""

    SCOPE_PATH = "grid__unit"

    person = models.ForeignKey(
        Person, verbose_name=_("party member"), on_delete=models.CASCADE, related_name="post_claims"
    )
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="post_claims"
    )
    post = models.CharField(_("post or duty"), max_length=24, choices=PostKind.choices)
    duty = models.CharField(_("what it involves"), max_length=200, blank=True)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("claimed post")
        verbose_name_plural = _("claimed posts (认岗领责)")
        ordering = ["grid_id", "post", "id"]
        indexes = [models.Index(fields=["grid", "end_date"], name="pw_claim_grid_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="pw_claim_ends_after_start",
                violation_error_message=_("A claimed post cannot end before it starts."),
            ),
            models.UniqueConstraint(
                fields=["person", "grid", "post"],
                condition=Q(end_date__isnull=True),
                name="pw_claim_once_current",
                violation_error_message=_("This member already holds this post in this grid."),
            ),
        ]

    def __str__(self):
        return f"{self.grid} · {self.get_post_display()} · {self.person}"

    def clean(self):
        super().clean()
        if self.person_id and not self.person.is_party_member:
            raise ValidationError({"person": _("Only party members claim posts in a grid.")})


# --- Central households and their resident households (党员联户) -------------------------------


class HouseholdLink(TimeStampedModel):
    """A resident household that a party-member central household keeps contact with."""

    SCOPE_PATH = "central_household"

    central_household = models.ForeignKey(
        OrgUnit,
        verbose_name=_("central household (党员中心户)"),
        on_delete=models.CASCADE,
        related_name="household_links",
        limit_choices_to={"kind": UnitKind.HOUSEHOLD},
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="household_links",
    )
    address = models.CharField(_("address"), max_length=200)
    contact_name = models.CharField(_("contact person"), max_length=50)
    contact_phone = models.CharField(
        _("contact phone"), max_length=11, blank=True, validators=[validate_mainland_mobile]
    )
    # The date of the latest logged visit, kept by household_visit_log for the 90-day list.
    last_visit = models.DateField(_("last visit"), null=True, blank=True)
    active = models.BooleanField(_("in contact"), default=True)

    class Meta:
        verbose_name = _("household in contact")
        verbose_name_plural = _("households in contact (党员联户)")
        ordering = ["central_household_id", "address"]
        indexes = [
            models.Index(fields=["active", "last_visit"], name="pw_link_visit_idx"),
        ]

    def __str__(self):
        return self.address

    def clean(self):
        super().clean()
        if self.central_household_id and self.central_household.kind != UnitKind.HOUSEHOLD:
            raise ValidationError(
                {"central_household": _("Choose a party-member central household.")}
            )


class HouseholdVisit(models.Model):
    """A visit (走访) to a household in contact. Logged, never edited."""

    SCOPE_PATH = "link__central_household"

    link = models.ForeignKey(
        HouseholdLink, verbose_name=_("household"), on_delete=models.CASCADE, related_name="visits"
    )
    visited_on = models.DateField(_("visited on"), db_index=True)
    visitor = models.ForeignKey(
        Person,
        verbose_name=_("visited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="household_visits",
    )
    note = models.CharField(_("what was talked about"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("household visit")
        verbose_name_plural = _("household visits")
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["visitor", "visited_on"], name="pw_visit_visitor_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["link", "visited_on"],
                name="pw_visit_once_a_day",
                violation_error_message=_("A visit to this household is already logged that day."),
            )
        ]

    def __str__(self):
        return f"{self.visited_on} · {self.link}"

    def clean(self):
        super().clean()
        if self.visited_on and self.visited_on > timezone.localdate():
            raise ValidationError(
                {"visited_on": _("A visit cannot be logged for a day that has not come yet.")}
            )


# --- Vanguard recognition (先锋榜样) -------------------------------------------------------------


class VanguardAward(TimeStampedModel):
    """The 先锋榜样 title, awarded by staff for a quarter; shown on the public honour page."""

    SCOPE_PATH = "branch"

    person = models.ForeignKey(
        Person, verbose_name=_("party member"), on_delete=models.CASCADE, related_name="awards"
    )
    # The member's branch when awarded: the honour page shows the name and this, nothing else.
    branch = models.ForeignKey(
        OrgUnit, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000)])
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    points = models.PositiveIntegerField(_("points in the quarter"), default=0)
    citation = models.CharField(_("citation"), max_length=200, blank=True)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("awarded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("vanguard model (先锋榜样)")
        verbose_name_plural = _("vanguard models (先锋榜样)")
        ordering = ["-year", "-quarter", "branch_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "year", "quarter"],
                name="pw_award_once_per_quarter",
                violation_error_message=_("This member already holds the title for this quarter."),
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="pw_award_quarter_valid"
            ),
        ]

    def __str__(self):
        return f"{self.year} Q{self.quarter} · {self.person}"


# --- Deputies and the 温暖20 reception days -------------------------------------------------------


class DeputyKind(models.TextChoices):
    PARTY_CONGRESS = "party_congress", _("Party-congress deputy (党代表)")
    PEOPLES_CONGRESS = "peoples_congress", _("People's-congress deputy (人大代表)")
    CPPCC = "cppcc", _("CPPCC member (政协委员)")


class DeputyLevel(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCIAL = "provincial", _("Provincial")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street (township)")


class Representative(TimeStampedModel):
    """One of the 两代表一委员, attached to a community's studio (社区工作室)."""

    SCOPE_PATH = "community"

    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("deputy of"), max_length=20, choices=DeputyKind.choices)
    level = models.CharField(_("level"), max_length=12, choices=DeputyLevel.choices)
    community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("community studio"),
        on_delete=models.PROTECT,
        related_name="representatives",
        limit_choices_to={"kind": UnitKind.COMMUNITY},
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("person record (if any)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deputy_roles",
    )
    workplace = models.CharField(_("workplace"), max_length=100, blank=True)
    active = models.BooleanField(_("serving"), default=True)

    class Meta:
        verbose_name = _("deputy (两代表一委员)")
        verbose_name_plural = _("deputies (两代表一委员)")
        ordering = ["community_id", "kind", "name"]

    def __str__(self):
        return f"{self.name} · {self.get_kind_display()}"


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class ReceptionSession(TimeStampedModel):
    """A 温暖20 reception: deputies on duty in a community's studio or station."""

    SCOPE_PATH = "community"

    community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="reception_sessions",
        limit_choices_to={"kind": UnitKind.COMMUNITY},
    )
    date = models.DateField(_("date"), default=next_reception_date, db_index=True)
    start_time = models.TimeField(_("from"), default=datetime.time(9, 0))
    end_time = models.TimeField(_("until"), default=datetime.time(11, 30))
    place = models.CharField(_("studio or station"), max_length=200)
    station = models.ForeignKey(
        ServiceStation,
        verbose_name=_("service station"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reception_sessions",
    )
    deputies = models.ManyToManyField(
        Representative, verbose_name=_("deputies on duty"), related_name="sessions"
    )
    capacity = models.PositiveSmallIntegerField(
        _("places"), default=12, validators=[MinValueValidator(1)]
    )
    status = models.CharField(
        _("status"), max_length=12, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    summary = models.TextField(_("what was raised (summary)"), max_length=2000, blank=True)
    # The month's recurring request category (每月一题), put on the agenda from the dashboard's
    # monthly topics page; public on the reception page (a category name, no personal data).
    topic = models.CharField(_("topic on the agenda"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("reception session (温暖20)")
        verbose_name_plural = _("reception sessions (温暖20)")
        ordering = ["date", "start_time", "community_id"]
        indexes = [models.Index(fields=["community", "date"], name="pw_session_comm_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="pw_session_ends_after_start",
                violation_error_message=_("A session must end after it starts."),
            ),
        ]

    def __str__(self):
        return f"{self.date} · {self.community} · {self.place}"

    def clean(self):
        super().clean()
        if self.community_id and self.community.kind != UnitKind.COMMUNITY:
            raise ValidationError({"community": _("Choose a community.")})


class ReceptionBooking(TimeStampedModel):
    """A resident's place at a session, with what they want to raise."""

    SCOPE_PATH = "session__community"

    session = models.ForeignKey(
        ReceptionSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="bookings",
    )
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(
        _("mobile phone"), max_length=11, validators=[validate_mainland_mobile]
    )
    topic = models.TextField(_("what you want to raise"), max_length=500)
    # The request staff made of it (channel "reception day"), once they did.
    request = models.OneToOneField(
        "resident_requests.ResidentRequest",
        verbose_name=_("request made of it"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reception_booking",
    )

    class Meta:
        verbose_name = _("reception booking")
        verbose_name_plural = _("reception bookings")
        ordering = ["session_id", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "phone"],
                name="pw_booking_phone_once",
                violation_error_message=_("This phone number already has a place at this session."),
            )
        ]

    def __str__(self):
        # Shown in the session's inline, the admin's history and log: the name masked.
        return f"{self.session} · {mask_name(self.name)}"


# --- Service projects and co-building units ------------------------------------------------------


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


class ServiceProject(TimeStampedModel):
    """A community party organization's service project (为民服务项目)."""

    SCOPE_PATH = "community"

    community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="service_projects",
        limit_choices_to={"kind": UnitKind.COMMUNITY},
    )
    year = models.PositiveSmallIntegerField(
        _("year"), db_index=True, validators=[MinValueValidator(2000)]
    )
    title = models.CharField(_("title"), max_length=150)
    status = models.CharField(
        _("status"), max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED
    )
    beneficiaries = models.PositiveIntegerField(_("residents who benefit"), default=0)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    # 每月一题: the request category and month this project answers (both empty for projects
    # not started from the monthly topics page); the requests are those of the community in
    # that category and month, and the page compares their number before and after.
    topic_category = models.ForeignKey(
        "resident_requests.Category",
        verbose_name=_("request category it answers"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_projects",
    )
    topic_month = models.DateField(_("month of the requests it answers"), null=True, blank=True)

    class Meta:
        verbose_name = _("service project (为民服务项目)")
        verbose_name_plural = _("service projects (为民服务项目)")
        ordering = ["-year", "community_id", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "topic_category", "topic_month"],
                condition=Q(topic_category__isnull=False),
                name="pw_project_one_per_topic",
                violation_error_message=_(
                    "This community already has a project for this category and month."
                ),
            ),
            models.CheckConstraint(
                condition=Q(topic_category__isnull=True, topic_month__isnull=True)
                | Q(topic_category__isnull=False, topic_month__isnull=False),
                name="pw_project_topic_month_complete",
                violation_error_message=_("A project's topic needs both a category and a month."),
            ),
        ]

    def __str__(self):
        return f"{self.year} · {self.title}"


class CoBuildingKind(models.TextChoices):
    COMPANY = "company", _("Company")
    SCHOOL = "school", _("School")
    AGENCY = "agency", _("Government agency")
    HOSPITAL = "hospital", _("Hospital")
    SOCIAL = "social", _("Social organization")
    OTHER = "other", _("Other")


class CoBuildingUnit(TimeStampedModel):
    """共建单位: a unit outside the party hierarchy that co-builds with communities (八共八联).

    It belongs to a street's big working committee (街道大工委); community staff see it through
    the communities it is paired with.
    """

    SCOPE_PATH = "street"

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=CoBuildingKind.choices)
    street = models.ForeignKey(
        OrgUnit,
        verbose_name=_("street"),
        on_delete=models.PROTECT,
        related_name="co_building_units",
        limit_choices_to={"kind": UnitKind.STREET},
    )
    communities = models.ManyToManyField(
        OrgUnit,
        verbose_name=_("paired communities"),
        blank=True,
        related_name="co_building_partners",
        limit_choices_to={"kind": UnitKind.COMMUNITY},
    )
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    commitments = models.CharField(_("what it commits to"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("co-building unit (共建单位)")
        verbose_name_plural = _("co-building units (共建单位)")
        ordering = ["street_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["street", "name"], name="pw_cobuild_name_per_street")
        ]

    def __str__(self):
        return self.name
