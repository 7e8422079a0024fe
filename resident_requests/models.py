"""Resident requests (群众诉求 / 点单), their categories, photos, departments and timeline.

Every status change goes through resident_requests.services; nothing else writes `status`.
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Right
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import ChoiceLabels, DeadlineBasis, TimeStampedModel
from core.validators import validate_mainland_mobile
from grids.models import LAT_VALIDATORS, LNG_VALIDATORS, Building, Grid
from organization.models import Department, Person

# Crockford-like alphabet without look-alikes (no 0/O, 1/I/L): easy to read out on the phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# 31**9 ≈ 2**44.6: at least 40 random bits, so codes cannot be enumerated.
CODE_RANDOM_LENGTH = 9
# A resident's description: the Open311 GeoReport v2 limit, for the web form, the API and Open311.
DESCRIPTION_MAX_LENGTH = 4000


def new_tracking_code(now=None) -> str:
    """JK-20261125-7KQ3MX2PA: the date for people, a random part for security."""
    day = timezone.localdate(now or timezone.now())
    random_part = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_RANDOM_LENGTH))
    return f"JK-{day:%Y%m%d}-{random_part}"


# The id that public lists (Open311) show instead of the tracking code: 31**14 ≈ 2**69.
PUBLIC_ID_LENGTH = 14


def new_public_id() -> str:
    """7KQ3MX2PA8BCWR: random, unrelated to the tracking code. Published by Open311 as
    service_request_id, so that a public list of requests never hands out the tracking code
    (which, with the phone's last 4 digits, opens the resident's page and its rating)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(PUBLIC_ID_LENGTH))


def new_access_token() -> str:
    """256 random bits, URL-safe: the key of a link sent to the resident (track and rate)."""
    return secrets.token_urlsafe(32)


class HandlingLevel(models.TextChoices):
    GRID = "grid", _("Grid (网格)")
    COMMUNITY = "community", _("Community (社区)")
    STREET = "street", _("Street (街道)")
    DEPARTMENT = "department", _("Departments (职能部门)")


# Escalation climbs this list one step at a time: 分级响应.
LEVEL_ORDER = [level.value for level in HandlingLevel]


def next_level(level: str) -> str | None:
    index = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[index + 1] if index + 1 < len(LEVEL_ORDER) else None


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    WALK_IN = "walk_in", _("Walk-in at a station")
    PATROL = "patrol", _("Found by the grid on patrol (网格发现)")
    PHONE = "phone", _("Phone")
    RECEPTION_DAY = "reception_day", _("Reception day (温暖20)")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted (待受理)")
    ACCEPTED = "accepted", _("Accepted (已受理)")
    REJECTED = "rejected", _("Rejected (不予受理)")
    MERGED = "merged", _("Merged as a duplicate")
    DISPATCHED = "dispatched", _("Dispatched (已派单)")
    TAKEN = "taken", _("Taken (已接单)")
    RESOLVED = "resolved", _("Resolved (已办结)")
    CLOSED = "closed", pgettext_lazy("request status", "Closed")


# Still waiting for someone to act: the states escalation, deadlines and "me too" apply to.
OPEN_STATUSES = [Status.SUBMITTED, Status.ACCEPTED, Status.DISPATCHED, Status.TAKEN]
FINAL_STATUSES = [Status.REJECTED, Status.MERGED, Status.CLOSED]


class RequestType(models.TextChoices):
    """What the resident wants (诉求类型): the four kinds 12345 lines use."""

    HELP = "help", _("Asking for help (求助)")
    COMPLAINT = "complaint", _("Complaint (投诉)")
    SUGGESTION = "suggestion", _("Suggestion (建议)")
    INQUIRY = "inquiry", _("Question (咨询)")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied (满意)")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied (基本满意)")
    DISSATISFIED = "dissatisfied", _("Dissatisfied (不满意)")


# 满意 and 基本满意: what the satisfaction rate (满意率) counts as satisfied.
SATISFIED_RATINGS = [Rating.SATISFIED, Rating.BASICALLY_SATISFIED]


class Category(TimeStampedModel):
    """Two levels (环境卫生 › 垃圾清运); requests use second-level categories."""

    name = models.CharField(_("name"), max_length=60)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    default_level = models.CharField(
        _("default handling level"),
        max_length=16,
        choices=HandlingLevel.choices,
        default=HandlingLevel.GRID,
    )
    default_department = models.ForeignKey(
        Department,
        verbose_name=_("default department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="default_for_categories",
    )
    hours_to_accept = models.PositiveSmallIntegerField(
        _("hours to accept"), default=24, validators=[MinValueValidator(1)]
    )
    hours_to_resolve = models.PositiveSmallIntegerField(
        _("hours to resolve"), default=72, validators=[MinValueValidator(1)]
    )
    deadline_basis = models.CharField(
        _("deadlines count"),
        max_length=8,
        choices=DeadlineBasis.choices,
        default=DeadlineBasis.CLOCK,
        help_text=_(
            "Working hours count only working days (not weekends or public holidays, but the "
            "调休 weekend days that are worked), in the holiday calendar."
        ),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("request category")
        verbose_name_plural = _("request categories")
        ordering = ["sort_order", "code"]

    def __str__(self):
        if self.parent_id:
            return f"{self.parent.name} › {self.name}"
        return self.name

    def clean(self):
        super().clean()
        if self.parent_id:
            if self.parent_id == self.pk:
                raise ValidationError({"parent": _("A category cannot be its own parent.")})
            if self.parent.parent_id:
                raise ValidationError(
                    {"parent": _("Categories have two levels: choose a top-level parent.")}
                )


class ResidentRequest(TimeStampedModel):
    """A resident's request (群众点单), from submission to closing."""

    SCOPE_PATH = "grid__unit"

    # rr_created_idx (created_at, id) serves every ordering by date: no separate index.
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    code = models.CharField(
        _("tracking code"), max_length=24, unique=True, editable=False, default=new_tracking_code
    )
    # Public lists (Open311's service_request_id) show this, never the tracking code.
    public_id = models.CharField(
        _("public id"), max_length=24, unique=True, editable=False, default=new_public_id
    )
    access_token = models.CharField(
        _("access token"), max_length=64, unique=True, editable=False, default=new_access_token
    )
    # The one-time token of the form that created it: a double submit finds this row again.
    submission_token = models.CharField(
        _("form token"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.WEB
    )
    submitter_name = models.CharField(_("name"), max_length=50)
    submitter_phone = models.CharField(
        _("mobile phone"), max_length=11, validators=[validate_mainland_mobile], db_index=True
    )
    # Indexed by the composite indexes in Meta (rr_building_cat_idx, rr_grid_created_idx…):
    # single-column FK indexes would only slow down writes on a table of millions.
    # Empty when the resident's building is not in the list ("my building is not listed"): the
    # place is then the typed `address` and/or the pin (`lat`, `lng`), and the grid was found
    # from the pin or, failing that, the community's triage queue took it (level community).
    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        related_name="requests",
        db_index=False,
        null=True,
        blank=True,
    )
    # Copied from the building so that scoped lists filter without a join through buildings.
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="requests",
        db_index=False,
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True, validators=LAT_VALIDATORS)
    lng = models.FloatField(_("longitude"), null=True, blank=True, validators=LNG_VALIDATORS)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="requests",
        db_index=False,
    )
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX_LENGTH)
    request_type = models.CharField(
        _("kind of request"), max_length=16, choices=RequestType.choices, default=RequestType.HELP
    )
    # The resident's choice on the form ("may this be shown publicly", default no). Even then a
    # public surface shows only core.privacy.redact_text() of the description, never as typed.
    public_allowed = models.BooleanField(_("may be shown publicly"), default=False)
    # Staff's approval for the public map of problems (/problems/), on top of the resident's
    # choice: request_public_map_set() sets it, only when public_allowed.
    public_approved_at = models.DateTimeField(
        _("shown on the public map since"), null=True, blank=True, editable=False
    )
    # Progress messages by SMS (accepted, dispatched, escalated, resolved); the receipt and the
    # request to rate are always sent. The resident can turn them off on the tracking page.
    progress_sms = models.BooleanField(_("progress messages by SMS"), default=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    level = models.CharField(
        _("handling level"),
        max_length=16,
        choices=HandlingLevel.choices,
        default=HandlingLevel.GRID,
    )
    assignee = models.ForeignKey(
        Person,
        verbose_name=_("assigned party member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
        db_index=False,
    )
    # Dispatched to a volunteer team: its leader is the assignee who takes the order.
    assignee_team = models.ForeignKey(
        "party_work.VolunteerTeam",
        verbose_name=_("volunteer team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
    )
    departments = models.ManyToManyField(
        Department,
        verbose_name=_("departments involved"),
        through="RequestDepartment",
        blank=True,
        related_name="requests",
    )
    accept_deadline = models.DateTimeField(_("accept by"), null=True, blank=True)
    resolve_deadline = models.DateTimeField(_("resolve by"), null=True, blank=True)
    # 挂起: set while an approved suspension pauses the resolve deadline's clock (the deadline
    # moves by the paused span when handling resumes); empty otherwise.
    suspended_since = models.DateTimeField(_("suspended since"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("last escalated at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    resolution_note = models.TextField(_("what was done"), max_length=2000, blank=True)
    reject_reason = models.TextField(_("reason for rejecting"), max_length=2000, blank=True)
    supporters_count = models.PositiveIntegerField(_("supporters (me too)"), default=0)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    rating = models.CharField(
        _("rating"), max_length=24, choices=Rating.choices, blank=True, default=""
    )
    rating_comment = models.TextField(_("rating comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    # The resolutions rated and those rated satisfied (RequestRating, one per resolution), kept
    # here by the services so that the dashboards count them without a join: `rating` above is
    # only the latest, and a 不满意 followed by a 满意 after reopening counts 1 of 2.
    rated_count = models.PositiveSmallIntegerField(_("resolutions rated"), default=0, db_default=0)
    satisfied_count = models.PositiveSmallIntegerField(
        _("resolutions rated satisfied"), default=0, db_default=0
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        db_index=False,
    )
    # Staff who entered a walk-in, patrol, phone or reception-day request.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("resident request")
        verbose_name_plural = _("resident requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The admin's default order, scoped by grid (grid leaders) or not (wider scopes).
            models.Index(fields=["grid", "-created_at"], name="rr_grid_created_idx"),
            # grid_id in the key: a scoped page's ids come from an index-only scan, without
            # visiting the rows of other grids (see admin.CappedCountPaginator).
            models.Index(fields=["-created_at", "-id", "grid"], name="rr_created_grid_idx"),
            models.Index(fields=["status", "-created_at", "grid"], name="rr_status_grid_idx"),
            models.Index(fields=["level", "status"], name="rr_level_status_idx"),
            models.Index(fields=["category", "status"], name="rr_category_status_idx"),
            # The dashboards for one category, computed live from the requests: an index-only
            # scan of that category's date range with every column the figures count.
            models.Index(
                fields=["category", "created_at"],
                include=[
                    "grid",
                    "status",
                    "channel",
                    "level",
                    "accepted_at",
                    "resolved_at",
                    "resolve_deadline",
                    "rated_count",
                    "satisfied_count",
                    "id",
                ],
                name="rr_category_created_idx",
            ),
            models.Index(
                fields=["resolve_deadline"],
                name="rr_overdue_open_idx",
                condition=Q(status__in=["submitted", "accepted", "dispatched", "taken"]),
            ),
            # The dashboards' open requests by grid: an index-only scan, however many are
            # open (id for COUNT, the rest for "overdue now", "late in the date range" and the
            # category filter).
            models.Index(
                fields=["grid", "resolve_deadline"],
                include=["id", "created_at", "overdue", "category", "suspended_since"],
                name="rr_open_grid_idx",
                condition=Q(status__in=["submitted", "accepted", "dispatched", "taken"]),
            ),
            models.Index(fields=["overdue", "status"], name="rr_overdue_status_idx"),
            models.Index(fields=["building", "category", "status"], name="rr_building_cat_idx"),
            models.Index(fields=["assignee", "status"], name="rr_assignee_status_idx"),
            # The admin's search by a phone's last 4 digits (admin.phone_last4_q): a LIKE
            # '%1234' reads every row; this finds the ~1 in 10,000 that end so, newest first.
            models.Index(
                Right("submitter_phone", 4), F("created_at").desc(), name="rr_phone_last4_idx"
            ),
            # The public map of problems: only the approved rows, by grid (a street's or a
            # community's grids are each one short range), newest first.
            models.Index(
                fields=["grid", "-created_at"],
                name="rr_public_map_idx",
                condition=Q(public_allowed=True, public_approved_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")),
                name="rr_not_merged_into_itself",
                violation_error_message=_("A request cannot be merged into itself."),
            ),
            models.CheckConstraint(
                condition=Q(rating="") | Q(rated_at__isnull=False),
                name="rr_rating_has_time",
            ),
        ]

    def __str__(self):
        return self.code

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class RequestSupporter(models.Model):
    """A resident who said "me too" on an open request; they get its updates too."""

    request = models.ForeignKey(
        ResidentRequest,
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        related_name="supporters",
    )
    # Indexed: "my requests" looks supporters up by phone.
    phone = models.CharField(
        _("mobile phone"), max_length=11, validators=[validate_mainland_mobile], db_index=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("supporter")
        verbose_name_plural = _("supporters")
        constraints = [
            models.UniqueConstraint(fields=["request", "phone"], name="rr_supporter_once")
        ]

    def __str__(self):
        return f"{self.request_id} · {self.phone[-4:]}"


class RequestDepartment(models.Model):
    """A department called in by the street (街社吹哨、部门报到), with its own deadlines."""

    request = models.ForeignKey(
        ResidentRequest,
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        related_name="department_links",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="request_links",
    )
    created_at = models.DateTimeField(_("called in at"), auto_now_add=True, db_index=True)
    acknowledge_deadline = models.DateTimeField(_("acknowledge by"))
    done_deadline = models.DateTimeField(_("report done by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at (报到)"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reported_done_at = models.DateTimeField(_("reported done at"), null=True, blank=True)
    reported_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported done by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    done_note = models.TextField(_("what the department did"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("department involved")
        verbose_name_plural = _("departments involved")
        constraints = [
            models.UniqueConstraint(fields=["request", "department"], name="rr_department_once")
        ]
        indexes = [
            models.Index(fields=["department", "reported_done_at"], name="rr_dept_open_idx"),
        ]

    def __str__(self):
        return f"{self.request} · {self.department}"


class ChangeKind(models.TextChoices):
    EXTENSION = "extension", _("Extension (延期)")
    SUSPENSION = "suspension", _("Suspension (挂起)")


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    # Asked while the request was at another level or status it has since left.
    LAPSED = "lapsed", _("Lapsed (the request moved on)")


class DeadlineChange(models.Model):
    """An application for more time (延期) or a pause (挂起), asked by whoever handles the
    request and decided by the level above (services.request_change_decide)."""

    request = models.ForeignKey(
        ResidentRequest,
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        related_name="deadline_changes",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ChangeKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    reason = models.TextField(_("reason"), max_length=500)
    working_days = models.PositiveSmallIntegerField(_("working days"), null=True, blank=True)
    # The request's level and status when asked: a decision needs them unchanged.
    level = models.CharField(_("handling level"), max_length=16, choices=HandlingLevel.choices)
    request_status = models.CharField(_("request status"), max_length=16, choices=Status.choices)
    # The lowest rank (0 grid, 1 community, 2 street, 3 district) of a unit whose staff may
    # decide: the level above the applicant's.
    approver_rank = models.PositiveSmallIntegerField(_("decided from rank"))
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    asked_role = models.CharField(_("asked as"), max_length=60, blank=True)
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), max_length=2000, blank=True)
    # An extension: the resolve deadline before and after it.
    previous_deadline = models.DateTimeField(_("deadline before"), null=True, blank=True)
    new_deadline = models.DateTimeField(_("deadline after"), null=True, blank=True)
    # A suspension: when handling resumed.
    resumed_at = models.DateTimeField(_("resumed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("extension or suspension")
        verbose_name_plural = _("extensions and suspensions")
        ordering = ["asked_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status="pending"),
                name="rr_change_one_pending",
            ),
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(kind="suspension", status="approved", resumed_at__isnull=True),
                name="rr_change_one_suspension",
            ),
            models.CheckConstraint(
                condition=Q(kind="suspension") | Q(working_days__gte=1),
                name="rr_change_extension_days",
            ),
        ]
        indexes = [
            # The approvers' to-do: the pending ones (few) by rank.
            models.Index(
                fields=["approver_rank", "asked_at"],
                condition=Q(status="pending"),
                name="rr_change_pending_idx",
            ),
        ]

    def __str__(self):
        return f"{self.request_id} · {self.get_kind_display()} · {self.get_status_display()}"


class PhotoStage(models.TextChoices):
    SUBMISSION = "submission", _("Submitted by the resident")
    RESOLUTION = "resolution", _("Taken when resolved")


MAX_PHOTOS_PER_STAGE = 3


def _photo_path(instance, filename):
    # Random names: photo URLs reveal neither the request nor the original file name.
    return f"requests/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{filename.rsplit('.', 1)[-1]}"


class RequestPhoto(ChoiceLabels):
    """A photo, already decoded and re-encoded (no EXIF, no GPS) by the service."""

    request = models.ForeignKey(
        ResidentRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="photos"
    )
    stage = models.CharField(_("stage"), max_length=16, choices=PhotoStage.choices)
    image = models.ImageField(_("image"), upload_to=_photo_path)
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    # Never public until the grid leader approves it (a face, a door number, a car plate…).
    public_approved = models.BooleanField(_("approved for public display"), default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.image.name


class EventKind(models.TextChoices):
    """What happened. The notifications app decides whom to tell from the kind."""

    SUBMITTED = "submitted", _("Submitted")
    SUPPORTED = "supported", _("Someone else reported it too (me too)")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged into another request")
    DISPATCHED = "dispatched", _("Dispatched to a party member")
    TAKEN = "taken", _("Taken by the party member")
    DECLINED = "declined", _("Declined by the party member")
    ESCALATED = "escalated", _("Escalated")
    DEPARTMENT_CALLED = "department_called", _("Department called in (吹哨)")
    DEPARTMENT_ACKNOWLEDGED = "department_acknowledged", _("Department reported in (报到)")
    DEPARTMENT_DONE = "department_done", _("Department reported its part done")
    RESOLVED = "resolved", _("Resolved")
    RATED = "rated", _("Rated by the resident")
    REOPENED = "reopened", _("Reopened after a dissatisfied rating")
    # 回访: staff called the resident after the resolution (their note is internal).
    CALLED_BACK = "called_back", _("The community called back")
    CALLBACK_NOT_REACHED = "callback_not_reached", _("Call-back: the resident was not reached")
    CLOSED = "closed", pgettext_lazy("request event", "Closed")
    OVERDUE = "overdue", _("Deadline passed")
    # Staff set the building of a request whose building was not in the list.
    LOCATED = "located", _("Place checked: building set")
    # 延期 and 挂起: asked by the handler, decided by the level above (DeadlineChange).
    EXTENSION_ASKED = "extension_asked", _("Extension asked (延期申请)")
    SUSPENSION_ASKED = "suspension_asked", _("Suspension asked (挂起申请)")
    CHANGE_REFUSED = "change_refused", _("Extension or suspension refused")
    EXTENDED = "extended", _("Time to handle extended (延期)")
    SUSPENDED = "suspended", _("Handling paused (挂起)")
    RESUMED = "resumed", _("Handling resumed")


# Staff-only steps: not on the resident's pages (the decision is, when it is a yes).
INTERNAL_EVENT_KINDS = [
    EventKind.EXTENSION_ASKED,
    EventKind.SUSPENSION_ASKED,
    EventKind.CHANGE_REFUSED,
]


class ActorRole(models.TextChoices):
    """Who acted, beside the staff roles (organization.models.StaffRole), for the timeline."""

    RESIDENT = "resident", _("Resident")
    PARTY_MEMBER = "party_member", _("Party member")
    SYSTEM = "system", _("System")
    ADMINISTRATOR = "administrator", _("Administrator")


def actor_role_label(code: str) -> str:
    from organization.models import StaffRole

    for choices in (ActorRole, StaffRole):
        if code in choices.values:
            return str(choices(code).label)
    return code


class RequestEvent(ChoiceLabels):
    """One line of a request's timeline. Append-only: rows are never updated or deleted."""

    request = models.ForeignKey(
        ResidentRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("what happened"), max_length=32, choices=EventKind.choices)
    # None: the resident (public pages) or the system (deadlines, automatic closing).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Frozen at the time of the event, for the public timeline ("网格长 王"): an ActorRole or
    # StaffRole value; actor_role_label() gives its name.
    actor_role = models.CharField(_("role"), max_length=60, blank=True)
    actor_surname = models.CharField(_("surname"), max_length=10, blank=True)
    from_status = models.CharField(
        _("from status"), max_length=16, choices=Status.choices, blank=True
    )
    to_status = models.CharField(_("to status"), max_length=16, choices=Status.choices, blank=True)
    from_level = models.CharField(
        _("from level"), max_length=16, choices=HandlingLevel.choices, blank=True
    )
    to_level = models.CharField(
        _("to level"), max_length=16, choices=HandlingLevel.choices, blank=True
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assignee = models.ForeignKey(
        Person,
        verbose_name=_("party member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    public_note = models.TextField(_("public note"), max_length=2000, blank=True)
    internal_note = models.TextField(_("internal note"), max_length=2000, blank=True)
    # The resolve deadline this step set (an extension, a resumption): the resident's timeline
    # names it in the reader's language.
    deadline = models.DateTimeField(_("new deadline"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["request", "created_at"], name="rr_event_request_idx")]

    def __str__(self):
        return f"{self.request_id} · {self.get_kind_display()}"

    # save() below only refuses changes: a new event is written by core.rows.insert_row's
    # compiled INSERT, one on every transition.
    plain_insert = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("Timeline events cannot be changed."))
        super().save(*args, **kwargs)

    @property
    def actor_role_display(self) -> str:
        return actor_role_label(self.actor_role)

    @property
    def public_actor(self) -> str:
        """ "网格长 王": role and surname, never a full name."""
        return f"{self.actor_role_display} {self.actor_surname}".strip()

    @property
    def public_text(self) -> str:
        """The note a resident reads, in the reader's language: an extension, a suspension and
        a resumption in plain words ("处理时间延长到 12月10日：等待配件"). Their reason is stored
        already redacted (core.privacy.redact_text) by the services."""
        day = ""
        if self.deadline is not None:
            day = date_format(timezone.localtime(self.deadline), "MONTH_DAY_FORMAT")
        if self.kind == EventKind.EXTENDED:
            return _("Time to handle extended to %(day)s: %(reason)s") % {
                "day": day,
                "reason": self.public_note,
            }
        if self.kind == EventKind.SUSPENDED:
            return _("Handling paused, the time limit stopped: %(reason)s") % {
                "reason": self.public_note
            }
        if self.kind == EventKind.RESUMED:
            return _("Handling resumed: to be done by %(day)s.") % {"day": day}
        return self.public_note


class RatingSource(models.TextChoices):
    RESIDENT = "resident", _("The resident")
    CALLBACK = "callback", _("The community's call-back (回访)")


class RequestRating(models.Model):
    """How satisfied the resident was with one resolution of a request (满意度): their own
    rating, or what they said on a call-back (回访) when they have not rated. One row per
    resolution, never overwritten by a later resolution's: the satisfaction rate counts each.
    The resident's rating replaces the call-back's of the same resolution."""

    request = models.ForeignKey(
        ResidentRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="ratings"
    )
    # Which resolution: the request's reopened_count while it was resolved (0: the first).
    resolution = models.PositiveSmallIntegerField(_("resolution"))
    rating = models.CharField(_("rating"), max_length=24, choices=Rating.choices)
    source = models.CharField(
        _("given by"), max_length=16, choices=RatingSource.choices, default=RatingSource.RESIDENT
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["request", "resolution"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "resolution"], name="rr_one_rating_per_resolution"
            )
        ]

    def __str__(self):
        return f"{self.request_id} · {self.resolution} · {self.rating}"


class ReplyTemplate(TimeStampedModel):
    """常用答复: a text staff pick and edit when they resolve or reject."""

    title = models.CharField(_("title"), max_length=60)
    text = models.TextField(_("text"), max_length=2000)
    for_status = models.CharField(
        _("used when"),
        max_length=16,
        choices=[
            (Status.RESOLVED, Status.RESOLVED.label),
            (Status.REJECTED, Status.REJECTED.label),
        ],
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category (empty: any)"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reply_templates",
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reply template (常用答复)")
        verbose_name_plural = _("reply templates (常用答复)")
        ordering = ["for_status", "title"]

    def __str__(self):
        return self.title


class PhoneDisclosure(models.Model):
    """Who saw a resident's full phone number, when, on which request."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    request = models.ForeignKey(
        ResidentRequest,
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        related_name="phone_disclosures",
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("phone number disclosure")
        verbose_name_plural = _("phone number disclosures")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user_id} · {self.request_id} · {self.created_at:%Y-%m-%d %H:%M}"


class PhoneVerification(models.Model):
    """A 6-digit code sent by SMS so that a resident can list their requests by phone number.

    Only a keyed hash of the code is stored; the row dies after PHONE_CODE_TTL or
    PHONE_CODE_TRIES wrong answers, and retention deletes old rows.
    """

    phone = models.CharField(_("mobile phone"), max_length=11, db_index=True)
    code_hash = models.CharField(_("code (hashed)"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("phone verification code")
        verbose_name_plural = _("phone verification codes")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.phone[:3]}****{self.phone[-4:]} · {self.created_at:%Y-%m-%d %H:%M}"
