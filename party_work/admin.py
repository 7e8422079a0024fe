"""Admin for party members' work, scoped like everything else (ScopedAdminMixin).

Domain actions (logging a visit, awarding the title, marking a session held, making a request of
a booking) call party_work.services; plain records use the admin's own forms.
"""

from django.contrib import admin, messages
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core import forms as core_forms
from core.admin_mixins import PersonalDataAuditMixin
from core.exceptions import ApplicationError
from core.privacy import mask_name, mask_phone
from organization.admin_mixins import ScopedAdminMixin
from organization.selectors import scope_q

from . import selectors, services
from .models import (
    Activity,
    CoBuildingUnit,
    HouseholdLink,
    HouseholdVisit,
    PostClaim,
    ReceptionBooking,
    ReceptionSession,
    Representative,
    ServiceProject,
    VanguardAward,
    VolunteerTeam,
)


def _report(modeladmin, request, done: int, errors: list[str], message: str) -> None:
    if done:
        modeladmin.message_user(request, message % {"count": done}, messages.SUCCESS)
    for error in errors[:5]:
        modeladmin.message_user(request, error, messages.ERROR)


@admin.register(VolunteerTeam)
class VolunteerTeamAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["name", "grid", "leader", "services", "n_members", "active"]
    list_filter = ["active"]
    search_fields = ["name", "grid__name", "services"]
    raw_id_fields = ["leader", "members", "grid"]
    list_select_related = ["grid", "leader"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("members"), ordering="member_count")
    def n_members(self, obj):
        return obj.member_count


@admin.register(Activity)
class ActivityAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["date", "title", "team", "place", "hours", "n_participants"]
    list_filter = ["date"]
    date_hierarchy = "date"
    search_fields = ["title", "team__name", "place"]
    raw_id_fields = ["team", "participants"]
    list_select_related = ["team"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(participant_count=Count("participants"))

    @admin.display(description=_("participants"), ordering="participant_count")
    def n_participants(self, obj):
        return obj.participant_count


@admin.register(PostClaim)
class PostClaimAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["person", "post", "grid", "start_date", "end_date"]
    list_filter = ["post", "end_date"]
    search_fields = ["person__name", "grid__name", "duty"]
    raw_id_fields = ["person", "grid"]
    list_select_related = ["person", "grid"]
    actions = ["hand_back_today"]

    @admin.action(description=_("Hand the selected posts back today"))
    def hand_back_today(self, request, queryset):
        done, errors = 0, []
        for claim in queryset:
            try:
                services.post_release(
                    claim=claim, end_date=timezone.localdate(), actor=request.user
                )
                done += 1
            except ApplicationError as exc:
                errors.append(f"{claim}: {exc}")
        _report(self, request, done, errors, _("%(count)s posts handed back."))


class DueVisitFilter(admin.SimpleListFilter):
    title = _("visits")
    parameter_name = "visit"

    def lookups(self, request, model_admin):
        return [("due", _("Not visited for 90 days"))]

    def queryset(self, request, queryset):
        if self.value() == "due":
            due = selectors.households_due_visit(user=request.user)
            return queryset.filter(pk__in=due.values("pk"))
        return queryset


class HouseholdVisitInline(admin.TabularInline):
    form = core_forms.ModelForm
    model = HouseholdVisit
    extra = 0
    fields = ["visited_on", "visitor", "note"]
    readonly_fields = fields
    can_delete = False
    max_num = 0
    ordering = ["-visited_on"]


@admin.register(HouseholdLink)
class HouseholdLinkAdmin(PersonalDataAuditMixin, ScopedAdminMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["address", "masked_name", "masked_phone", "central_household", "last_visit"]
    list_filter = [DueVisitFilter, "active"]
    search_fields = ["address", "contact_name", "central_household__name"]
    raw_id_fields = ["central_household", "building"]
    list_select_related = ["central_household"]
    inlines = [HouseholdVisitInline]
    readonly_fields = ["last_visit"]
    actions = ["visited_today"]
    # The list keeps the address (what a visit needs) and is audited; name and phone are masked.
    personal_data_fields = ("name", "phone", "address")
    personal_data_list_fields = ("address",)

    @admin.display(description=_("contact person"))
    def masked_name(self, obj):
        return mask_name(obj.contact_name)

    @admin.display(description=_("contact phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.contact_phone)

    @admin.action(description=_("Log a visit today"))
    def visited_today(self, request, queryset):
        done, errors = 0, []
        for link in queryset:
            try:
                services.household_visit_log(
                    link=link, visited_on=timezone.localdate(), actor=request.user
                )
                done += 1
            except ApplicationError as exc:
                errors.append(f"{link}: {exc}")
        _report(self, request, done, errors, _("%(count)s visits logged."))


@admin.register(HouseholdVisit)
class HouseholdVisitAdmin(PersonalDataAuditMixin, ScopedAdminMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["visited_on", "link", "visitor", "note"]
    # "link" shows the household's address.
    personal_data_fields = ("address",)
    personal_data_list_fields = ("address",)
    date_hierarchy = "visited_on"
    raw_id_fields = ["link", "visitor"]
    list_select_related = ["link", "visitor"]
    search_fields = ["link__address", "visitor__name"]

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Through the service, so the household's last visit moves with it.
        visit = services.household_visit_log(
            link=obj.link,
            visited_on=obj.visited_on,
            visitor=obj.visitor,
            note=obj.note,
            actor=request.user,
        )
        obj.pk = visit.pk


@admin.register(VanguardAward)
class VanguardAwardAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["person", "branch", "year", "quarter", "points", "awarded_by"]
    list_filter = ["year", "quarter"]
    search_fields = ["person__name", "branch__name"]
    raw_id_fields = ["person", "branch"]
    readonly_fields = ["branch", "points", "awarded_by"]
    list_select_related = ["person", "branch", "awarded_by"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        award = services.vanguard_award(
            person=obj.person,
            year=obj.year,
            quarter=obj.quarter,
            citation=obj.citation,
            actor=request.user,
        )
        obj.pk, obj.branch, obj.points = award.pk, award.branch, award.points


@admin.register(Representative)
class RepresentativeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["name", "kind", "level", "community", "workplace", "active"]
    list_filter = ["kind", "level", "active"]
    search_fields = ["name", "workplace", "community__name"]
    raw_id_fields = ["person"]
    list_select_related = ["community"]


class ReceptionBookingInline(admin.TabularInline):
    form = core_forms.ModelForm
    model = ReceptionBooking
    extra = 0
    fields = ["masked_name", "masked_phone", "topic", "request_link"]
    readonly_fields = fields
    can_delete = False
    max_num = 0
    show_change_link = True  # the booking's own page shows (and audits) the full name and phone

    @admin.display(description=_("name"))
    def masked_name(self, obj):
        return mask_name(obj.name)

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    @admin.display(description=_("request"))
    def request_link(self, obj):
        return _request_link(obj)


def _request_link(booking):
    if booking.pk is None:
        return ""
    if booking.request_id:
        return booking.request.code
    return format_html(
        '<a href="{}">{}</a>',
        reverse("party_work:booking_to_request", args=[booking.pk]),
        _("Make a request of it"),
    )


@admin.register(ReceptionSession)
class ReceptionSessionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["date", "community", "place", "capacity", "n_bookings", "status"]
    ordering = ["-date", "community__code"]
    list_filter = ["status", "date"]
    date_hierarchy = "date"
    search_fields = ["place", "community__name"]
    filter_horizontal = ["deputies"]
    raw_id_fields = ["station"]
    list_select_related = ["community"]
    inlines = [ReceptionBookingInline]
    actions = ["mark_held"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(booking_count=Count("bookings"))

    @admin.display(description=_("booked"), ordering="booking_count")
    def n_bookings(self, obj):
        return obj.booking_count

    @admin.action(description=_("Mark the selected sessions as held"))
    def mark_held(self, request, queryset):
        done, errors = 0, []
        for session in queryset:
            try:
                services.reception_session_hold(session=session, actor=request.user)
                done += 1
            except ApplicationError as exc:
                errors.append(f"{session}: {exc}")
        _report(self, request, done, errors, _("%(count)s sessions marked as held."))


@admin.register(ReceptionBooking)
class ReceptionBookingAdmin(PersonalDataAuditMixin, ScopedAdminMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["session", "masked_name", "masked_phone", "topic", "request_link"]
    list_filter = ["session__date"]
    search_fields = ["name", "topic"]
    list_select_related = ["session", "session__community", "request"]
    raw_id_fields = ["session"]
    readonly_fields = ["request"]
    personal_data_fields = ("name", "phone")

    @admin.display(description=_("name"))
    def masked_name(self, obj):
        return mask_name(obj.name)

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    @admin.display(description=_("request"))
    def request_link(self, obj):
        return _request_link(obj)


@admin.register(ServiceProject)
class ServiceProjectAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["title", "community", "year", "status", "beneficiaries"]
    list_filter = ["year", "status"]
    search_fields = ["title", "community__name"]
    list_select_related = ["community"]


@admin.register(CoBuildingUnit)
class CoBuildingUnitAdmin(PersonalDataAuditMixin, ScopedAdminMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["name", "kind", "street", "contact_name"]
    personal_data_fields = ("name", "phone")  # the unit's contact person
    list_filter = ["kind"]
    search_fields = ["name"]
    filter_horizontal = ["communities"]
    list_select_related = ["street"]

    def get_queryset(self, request):
        # Street staff see their street's units; community staff the units paired with them.
        qs = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return qs
        Pair = CoBuildingUnit.communities.through
        paired = Pair.objects.filter(cobuildingunit=OuterRef("pk")).filter(
            scope_q(request.user, "orgunit")
        )
        return qs.filter(Q(scope_q(request.user, "street")) | Q(Exists(paired)))
