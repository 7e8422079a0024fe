"""Triage in the admin: scoped request lists, and one page per transition.

Every transition button leads to a small form (or a one-click POST) that calls
resident_requests.services; the admin never writes a status itself. The list is built for a
large table: no full count, no facet counts, joined columns fetched in the same query, and the
scope resolved to a list of grids first so PostgreSQL can use the (grid, created_at) index.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Right
from django.db.models.lookups import Exact
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import forms as core_forms
from core.admin_mixins import PersonalDataAuditMixin
from core.exceptions import ApplicationError
from core.privacy import mask_phone
from grids.models import Building, Grid
from organization.models import Department, OrgUnit, UnitKind
from organization.selectors import department_ids_of, scope_q, subtree_q

from . import selectors, services
from .dispatch_picker import dispatch_candidates
from .forms import MultiplePhotoField
from .models import (
    OPEN_STATUSES,
    Category,
    DeadlineChange,
    HandlingLevel,
    PhoneDisclosure,
    Rating,
    ReplyTemplate,
    RequestDepartment,
    RequestEvent,
    RequestPhoto,
    RequestType,
    ResidentRequest,
    Status,
    actor_role_label,
    next_level,
)
from .photos import PhotoRejected, photos_clean
from .transitions import TRANSITIONS, Surface

# Counting a filtered list stops here: "10,000+" is as useful as the exact figure and cheap.
COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """For million-row lists: counts at most COUNT_CAP + 1 rows, and fetches a page in two steps,
    first the page's ids (an index-only scan over (created_at, id, grid)), then those rows with
    their joins, so rows of other grids are never read from the table."""

    @cached_property
    def count(self):
        query = self.object_list
        if not hasattr(query, "query"):
            return len(query)
        return query.order_by()[: COUNT_CAP + 1].count()

    def page(self, number):
        query = self.object_list
        if not hasattr(query, "values_list"):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = list(query.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        rows = {row.pk: row for row in query.filter(pk__in=ids).order_by()}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def visible_requests(user, queryset):
    """The admin's scope: the one rule (selectors.request_visible_q), its grids resolved first
    (a short list of ids) for the (grid, created_at) index."""
    return queryset.filter(selectors.request_visible_q(user, grids_first=True))


# --- Filters ------------------------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("On time"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(overdue=True, status__in=OPEN_STATUSES)
        if self.value() == "no":
            return queryset.exclude(overdue=True, status__in=OPEN_STATUSES)
        return queryset


class DepartmentReportFilter(admin.SimpleListFilter):
    """For department staff: the open requests their departments were called in on and have
    not reported in on yet (部门报到), or reported in on but not yet done."""

    title = _("our department")
    parameter_name = "report"

    def lookups(self, request, model_admin):
        if not request.user.is_superuser and not department_ids_of(request.user):
            return []
        return [
            ("waiting", _("Waiting for our 报到")),
            ("working", _("Reported in, our part not done")),
        ]

    def queryset(self, request, queryset):
        if self.value() not in ("waiting", "working"):
            return queryset
        links = RequestDepartment.objects.filter(
            request_id=OuterRef("pk"),
            reported_done_at__isnull=True,
            acknowledged_at__isnull=self.value() == "waiting",
        )
        if not request.user.is_superuser:
            links = links.filter(department_id__in=department_ids_of(request.user))
        return queryset.filter(Exists(links), status__in=OPEN_STATUSES)


class LocationFilter(admin.SimpleListFilter):
    """Requests whose building was not in the list: staff check the place and set the building."""

    title = _("location")
    parameter_name = "location"

    def lookups(self, request, model_admin):
        return [("check", _("Needs checking (no building)")), ("building", _("At a building"))]

    def queryset(self, request, queryset):
        if self.value() == "check":
            return queryset.filter(building__isnull=True)
        if self.value() == "building":
            return queryset.filter(building__isnull=False)
        return queryset


class CategoryFilter(admin.SimpleListFilter):
    title = _("category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [
            (c.pk, str(c))
            for c in Category.objects.select_related("parent").order_by("sort_order", "code")
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            category_id = int(self.value())
        except ValueError:
            return queryset.none()
        # The category and, for a top-level one, its sub-categories: as the dashboard counts.
        return queryset.filter(selectors.category_subtree_q(category_id))


class GridFilter(admin.SimpleListFilter):
    title = _("grid")
    parameter_name = "grid"

    def lookups(self, request, model_admin):
        grids = Grid.objects.filter(scope_q(request.user, "unit")).order_by("code")
        return [(g.pk, g.name) for g in grids[:400]]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            return queryset.filter(grid_id=int(self.value()))
        except ValueError:
            return queryset.none()


class UnitFilter(admin.SimpleListFilter):
    """Requests of the grids under a unit of the organization tree (the dashboard's links).
    Within the list's scope: a unit outside the user's scope lists nothing."""

    title = _("unit")
    parameter_name = "unit"

    def _unit(self, request):
        try:
            pk = int(self.value())
        except (TypeError, ValueError):
            return None
        return OrgUnit.objects.filter(scope_q(request.user), pk=pk).first()

    def lookups(self, request, model_admin):
        if not self.value():
            return []  # offered only by the dashboard's links, not in the sidebar
        unit = self._unit(request)
        return [(self.value(), unit.name if unit else gettext("No such unit in your scope"))]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        unit = self._unit(request)
        if unit is None:
            return queryset.none()
        grid_ids = list(Grid.objects.filter(subtree_q(unit, "unit")).values_list("pk", flat=True))
        return queryset.filter(grid_id__in=grid_ids)


class CountedFilter(admin.SimpleListFilter):
    """What a figure of the dashboard counts (resolved, on time, overdue now…): the same
    conditions as the figure (selectors.REQUEST_FIGURES)."""

    title = _("counted as")
    parameter_name = "counted"

    def lookups(self, request, model_admin):
        return [(name, label) for name, (_q, label) in selectors.REQUEST_FIGURES.items()]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if self.value() not in selectors.REQUEST_FIGURES:
            return queryset.none()
        return queryset.filter(selectors.figure_q(self.value()))


class DepartmentCalledFilter(admin.ListFilter):
    """Requests a department was called in on (吹哨) in a time range, and optionally that it
    acknowledged (报到) or reported done: the dashboard's "by department" links. Its parameters
    come from those links; the sidebar shows what is applied and how to clear it."""

    title = _("department called in")
    parameters = ("department", "called_gte", "called_lt", "called_state")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.used = {}
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                self.used[name] = value[-1] if isinstance(value, list) else value

    def has_output(self):
        return bool(self.used)

    def expected_parameters(self):
        return list(self.parameters)

    def _department(self):
        try:
            return Department.objects.filter(pk=int(self.used.get("department", ""))).first()
        except ValueError:
            return None

    def choices(self, changelist):
        department = self._department()
        yield {
            "selected": True,
            "query_string": changelist.get_query_string(),
            "display": department.name if department else gettext("No such department"),
        }
        yield {
            "selected": False,
            "query_string": changelist.get_query_string(remove=self.parameters),
            "display": gettext("All"),
        }

    def queryset(self, request, queryset):
        if not self.used:
            return queryset
        department = self._department()
        times = {}
        for name in ("called_gte", "called_lt"):
            if self.used.get(name):
                times[name] = parse_datetime(self.used[name].replace(" ", "+"))
                if times[name] is None:
                    return queryset.none()
        state = self.used.get("called_state") or None
        if department is None or (state and state not in selectors.DEPARTMENT_CALL_STATES):
            return queryset.none()
        return queryset.filter(
            selectors.department_called_q(
                department.pk,
                called_from=times.get("called_gte"),
                called_before=times.get("called_lt"),
                state=state,
            )
        )


class StreetFilter(admin.SimpleListFilter):
    title = _("street")
    parameter_name = "street"

    def lookups(self, request, model_admin):
        streets = OrgUnit.objects.filter(scope_q(request.user), kind=UnitKind.STREET)
        return [(s.pk, s.name) for s in streets.order_by("code")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            street = OrgUnit.objects.get(pk=int(self.value()), kind=UnitKind.STREET)
        except (ValueError, OrgUnit.DoesNotExist):
            return queryset.none()
        grid_ids = list(Grid.objects.filter(subtree_q(street, "unit")).values_list("pk", flat=True))
        return queryset.filter(grid_id__in=grid_ids)


# --- Inlines (read-only) ------------------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    form = core_forms.ModelForm
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Whoever may see the request (already scoped) sees its timeline, photos, departments.
        return request.user.has_perm("resident_requests.view_residentrequest")


class RequestEventInline(ReadOnlyInline):
    model = RequestEvent
    fields = [
        "created_at",
        "kind",
        "actor_display",
        "status_change",
        "level_change",
        "public_note",
        "internal_note",
    ]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    verbose_name_plural = _("timeline")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "department", "assignee")

    @admin.display(description=_("by"))
    def actor_display(self, event):
        parts = [event.actor_role_display]
        if event.actor:
            parts.append(event.actor.get_full_name() or event.actor.username)
        if event.department:
            parts.append(str(event.department))
        if event.assignee:
            parts.append(f"→ {event.assignee}")
        return " · ".join(p for p in parts if p)

    @admin.display(description=_("status"))
    def status_change(self, event):
        if event.from_status and event.from_status != event.to_status:
            return f"{event.get_from_status_display()} → {event.get_to_status_display()}"
        return event.get_to_status_display()

    @admin.display(description=_("level"))
    def level_change(self, event):
        if event.from_level and event.from_level != event.to_level:
            return f"{event.get_from_level_display()} → {event.get_to_level_display()}"
        return event.get_to_level_display()


class RequestPhotoInline(ReadOnlyInline):
    model = RequestPhoto
    fields = ["stage", "preview", "created_at", "public_display"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("approved_by")

    @admin.display(description=_("photo"))
    def preview(self, photo):
        return format_html('<a href="{0}"><img src="{0}" width="160" alt=""></a>', photo.image.url)

    @admin.display(description=_("public display"))
    def public_display(self, photo):
        # A button of the change form posted elsewhere (forms cannot nest): the photo's row.
        url = reverse(
            "admin:resident_requests_residentrequest_photo_public",
            args=[photo.request_id, photo.pk],
        )
        if photo.public_approved:
            by = photo.approved_by.get_username() if photo.approved_by else ""
            return format_html(
                '{} <button type="submit" class="button" formaction="{}" name="approved" '
                'value="0" formnovalidate>{}</button>',
                gettext("Shown in public (approved by %(user)s).") % {"user": by},
                url,
                gettext("Withdraw"),
            )
        return format_html(
            '{} <button type="submit" class="button" formaction="{}" name="approved" '
            'value="1" formnovalidate>{}</button>',
            gettext("Not shown in public."),
            url,
            gettext("Approve for public display"),
        )


class RequestDepartmentInline(ReadOnlyInline):
    model = RequestDepartment
    fields = [
        "department",
        "created_at",
        "acknowledge_deadline",
        "acknowledged_at",
        "done_deadline",
        "reported_done_at",
        "done_note",
    ]
    readonly_fields = fields


class DeadlineChangeInline(ReadOnlyInline):
    """延期 and 挂起: each application, its decision and what it changed."""

    model = DeadlineChange
    fields = [
        "kind",
        "status",
        "reason",
        "working_days",
        "asked_at",
        "asked_role",
        "decided_at",
        "decision_note",
        "new_deadline",
        "resumed_at",
    ]
    readonly_fields = fields


# --- Transition forms ---------------------------------------------------------------------------


class NoteForm(core_forms.Form):
    """The base of the transition forms: `build` makes the form for a request, `arguments` turns
    its data into the service's keyword arguments (transitions.Transition.arguments)."""

    note = forms.CharField(
        label=_("Note shown to the resident"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )

    @classmethod
    def build(cls, data, files, *, request_obj, user, admin_site):
        return cls(data)

    def arguments(self) -> dict:
        return {"note": self.cleaned_data.get("note", "")}


class TemplateNoteForm(NoteForm):
    template = forms.ModelChoiceField(
        label=_("Reply template (常用答复)"), queryset=ReplyTemplate.objects.none(), required=False
    )

    def __init__(self, *args, for_status, category, **kwargs):
        super().__init__(*args, **kwargs)
        templates = ReplyTemplate.objects.filter(active=True, for_status=for_status).filter(
            Q(category__isnull=True) | Q(category=category) | Q(category=category.parent_id)
        )
        self.fields["template"].queryset = templates
        self.fields["template"].widget.attrs["data-reply-templates"] = "1"
        self.template_texts = {t.pk: t.text for t in templates}

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("note") and cleaned.get("template"):
            cleaned["note"] = cleaned["template"].text
        return cleaned


class RejectForm(TemplateNoteForm):
    @classmethod
    def build(cls, data, files, *, request_obj, user, admin_site):
        form = cls(data, for_status=Status.REJECTED, category=request_obj.category)
        form.fields["note"].label = _("Reason for rejecting (shown to the resident)")
        form.fields["note"].required = False
        return form

    def arguments(self) -> dict:
        return {"reason": self.cleaned_data.get("note", "")}


class ResolveForm(TemplateNoteForm):
    photos = MultiplePhotoField(label=_("Photos (optional, up to 3)"))

    @classmethod
    def build(cls, data, files, *, request_obj, user, admin_site):
        return cls(data, files, for_status=Status.RESOLVED, category=request_obj.category)

    def arguments(self) -> dict:
        try:
            photos = photos_clean(self.cleaned_data.get("photos") or [])
        except PhotoRejected as exc:
            raise ApplicationError(exc.message) from exc
        return {"note": self.cleaned_data.get("note", ""), "photos": photos}


class DispatchForm(NoteForm):
    """A party member or a volunteer team (its leader takes the order): exactly one."""

    assignee = forms.ModelChoiceField(label=_("Party member"), queryset=None, required=False)
    team = forms.ModelChoiceField(
        label=_("or a volunteer team"),
        queryset=None,
        required=False,
        help_text=_("The team's leader takes the order for the team."),
    )

    def __init__(self, *args, request_obj, **kwargs):
        from .teams import teams_for_request

        super().__init__(*args, **kwargs)
        self.fields["note"].label = _("Note for the member (sent to them, not shown in public)")
        members = services.members_for_dispatch(request_obj)
        self.fields["assignee"].queryset = members
        # Best suggestion first, with what helps to choose (dispatch_picker: one query).
        self.picker = dispatch_candidates(request_obj, members)
        self.fields["assignee"].choices = [("", "---------")] + [
            (c.person.pk, c.label) for c in self.picker
        ]
        self.fields["team"].queryset = teams_for_request(request_obj)

    @classmethod
    def build(cls, data, files, *, request_obj, user, admin_site):
        return cls(data, request_obj=request_obj)

    def clean(self):
        data = super().clean()
        if bool(data.get("assignee")) == bool(data.get("team")):
            raise forms.ValidationError(_("Choose either a party member or a volunteer team."))
        return data

    def arguments(self) -> dict:
        data = self.cleaned_data
        return {"assignee": data.get("assignee"), "team": data.get("team"), "note": data["note"]}


class EscalateForm(NoteForm):
    internal_note = forms.CharField(
        label=_("Internal note"), required=False, max_length=2000, widget=forms.Textarea
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments that must report (报到)"),
        queryset=Department.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, request_obj, **kwargs):
        super().__init__(*args, **kwargs)
        # Required by the service (transitions: note_required), which says so when it is empty.
        self.fields["note"].label = _("Reason for escalating (shown to the resident)")
        target = next_level(request_obj.level)
        if target != HandlingLevel.DEPARTMENT and request_obj.level != HandlingLevel.DEPARTMENT:
            del self.fields["departments"]
        else:
            paired = Department.objects.filter(
                paired_communities=request_obj.grid.community_id
            ).values_list("pk", flat=True)
            initial = set(paired)
            if request_obj.category.default_department_id:
                initial = {request_obj.category.default_department_id}
            self.fields["departments"].initial = list(initial)

    @classmethod
    def build(cls, data, files, *, request_obj, user, admin_site):
        return cls(data, request_obj=request_obj)

    def arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "note": data.get("note", ""),
            "internal_note": data.get("internal_note", ""),
            "departments": list(data.get("departments") or []),
        }


class SetBuildingForm(core_forms.Form):
    """The building of a request whose building was not in the list, once staff know it."""

    def __init__(self, *args, user, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        # Only buildings in the user's area; searched as in the building admin (autocomplete).
        self.fields["building"] = forms.ModelChoiceField(
            label=_("Building"),
            queryset=Building.objects.filter(scope_q(user, "grid__unit")),
            help_text=_("Type part of the address to search; only buildings in your area."),
            widget=AutocompleteSelect(
                ResidentRequest._meta.get_field("building"),
                admin_site,
                attrs={"style": "width: 32em"},
            ),
        )

    @classmethod
    def build(cls, data, files, *, request_obj, user, admin_site):
        return cls(data, user=user, admin_site=admin_site)

    def arguments(self) -> dict:
        return {"building": self.cleaned_data["building"]}


class MergeForm(NoteForm):
    into_code = forms.CharField(
        label=_("Tracking code of the request it duplicates"), max_length=24
    )

    def arguments(self) -> dict:
        return {"into_code": self.cleaned_data["into_code"], "note": self.cleaned_data["note"]}


class DepartmentForm(NoteForm):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none())

    def __init__(self, *args, request_obj, user, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Department.objects.filter(request_links__request=request_obj)
        if not user.is_superuser:
            qs = qs.filter(pk__in=department_ids_of(user))
        self.fields["department"].queryset = qs
        if qs.count() == 1:
            self.fields["department"].initial = qs.first().pk

    @classmethod
    def build(cls, data, files, *, request_obj, user, admin_site):
        return cls(data, request_obj=request_obj, user=user)

    def arguments(self) -> dict:
        return {"department": self.cleaned_data["department"], "note": self.cleaned_data["note"]}


class CallbackForm(core_forms.Form):
    """回访: reached or not; reached, how satisfied the resident is (不满意 reopens it)."""

    reached = forms.TypedChoiceField(
        label=_("Did you reach the resident?"),
        choices=[("1", _("Reached")), ("0", _("Not reached"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(
        label=_("How satisfied is the resident? (when reached)"),
        choices=[("", "---------"), *Rating.choices],
        required=False,
        help_text=_("Dissatisfied reopens the request one level up."),
    )
    note = forms.CharField(
        label=_("Note (internal, never shown to the public)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )

    @classmethod
    def build(cls, data, files, *, request_obj, user, admin_site):
        return cls(data)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reached") and not cleaned.get("satisfaction"):
            self.add_error("satisfaction", _("Say how satisfied the resident is."))
        return cleaned

    def arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "reached": data["reached"],
            "satisfaction": data["satisfaction"] if data["reached"] else "",
            "note": data["note"],
        }


class ExtensionForm(core_forms.Form):
    """延期: how many more working days, and why (the level above decides)."""

    working_days = forms.IntegerField(label=_("More working days"), min_value=1)
    reason = forms.CharField(
        label=_("Reason (the resident reads it, without personal data)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    @classmethod
    def build(cls, data, files, *, request_obj, user, admin_site):
        form = cls(data)
        _most, days = services.extension_limits()
        form.fields["working_days"].max_value = days
        form.fields["working_days"].widget.attrs["max"] = days
        form.fields["working_days"].help_text = _(
            "At most %(days)s working days; at most %(count)s extensions per request."
        ) % {"days": days, "count": _most}
        return form

    def arguments(self) -> dict:
        return {
            "working_days": self.cleaned_data["working_days"],
            "reason": self.cleaned_data["reason"],
        }


class SuspensionForm(core_forms.Form):
    """挂起: why handling must wait (for parts, for the resident)."""

    reason = forms.CharField(
        label=_("Reason (the resident reads it, without personal data)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    @classmethod
    def build(cls, data, files, *, request_obj, user, admin_site):
        return cls(data)

    def arguments(self) -> dict:
        return {"reason": self.cleaned_data["reason"]}


class DecisionForm(NoteForm):
    """The level above decides on the pending application, which the form shows."""

    @classmethod
    def build(cls, data, files, *, request_obj, user, admin_site):
        form = cls(data)
        form.fields["note"].label = _("Note (staff read it; required to refuse)")
        change = selectors.pending_change_of(request_obj)
        if change is not None:
            asked = _("%(kind)s asked by %(role)s: %(reason)s") % {
                "kind": change.get_kind_display(),
                "role": actor_role_label(change.asked_role),
                "reason": change.reason,
            }
            if change.working_days:
                asked += " " + _("(%(days)s working days)") % {"days": change.working_days}
            form.fields["note"].help_text = asked
        return form


# The form of each input shape of the transitions table (transitions.Transition.form); the
# transitions themselves, their order and who may run them come from the table.
FORMS = {
    "note": NoteForm,
    "reason": RejectForm,
    "merge": MergeForm,
    "dispatch": DispatchForm,
    "escalate": EscalateForm,
    "resolve": ResolveForm,
    "department": DepartmentForm,
    "department_done": DepartmentForm,
    "building": SetBuildingForm,
    "callback": CallbackForm,
    "extension": ExtensionForm,
    "suspension": SuspensionForm,
    "decision": DecisionForm,
}


def _admin_transition(name):
    transition = TRANSITIONS.get(name)
    if transition is None or Surface.ADMIN not in transition.surfaces:
        return None
    return transition


@admin.register(ResidentRequest)
class ResidentRequestAdmin(PersonalDataAuditMixin, admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = [
        "code",
        "category_name",
        "grid",
        "status_display",
        "level",
        "age",
        "deadline",
        "assignee",
        "assignee_team",
        "phone_masked",
        "supporters_count",
    ]
    list_filter = [
        "status",
        "level",
        CategoryFilter,
        OverdueFilter,
        DepartmentReportFilter,
        LocationFilter,
        StreetFilter,
        GridFilter,
        "channel",
        CountedFilter,
        UnitFilter,
        DepartmentCalledFilter,
    ]
    list_select_related = ["category", "grid", "assignee", "assignee_team"]
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = CappedCountPaginator
    search_fields = ["code"]
    search_help_text = _(
        "A tracking code, an Open311 id, a whole phone number or its last 4 digits."
    )
    ordering = ["-created_at", "-id"]
    actions = ["accept_selected", "dispatch_selected", "show_on_public_map", "hide_from_public_map"]
    change_form_template = "admin/resident_requests/residentrequest/change_form.html"
    personal_data_fields = ("name", "phone", "address")

    class Media:
        css = {"all": ["resident_requests/admin.css"]}

    inlines = [
        RequestDepartmentInline,
        DeadlineChangeInline,
        RequestPhotoInline,
        RequestEventInline,
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("code", "public_id"),
                    ("status", "level"),
                    "category",
                    ("request_type", "public_allowed", "public_approved_at"),
                    "description",
                    ("building", "grid"),
                    ("address", "map_point"),
                    "channel",
                    ("submitter_name", "full_phone"),
                    ("assignee", "assignee_team"),
                    ("accept_deadline", "resolve_deadline", "overdue", "suspended_since"),
                    "supporters_count",
                ]
            },
        ),
        (
            _("Result"),
            {
                "fields": [
                    "resolution_note",
                    "reject_reason",
                    ("rating", "rating_comment"),
                    "merged_into",
                    "reopened_count",
                ]
            },
        ),
        (
            _("Dates"),
            {
                "classes": ["collapse"],
                "fields": [
                    "created_at",
                    "accepted_at",
                    "dispatched_at",
                    "taken_at",
                    "escalated_at",
                    "resolved_at",
                    "closed_at",
                ],
            },
        ),
    ]
    add_fields = [
        "channel",
        "submitter_name",
        "submitter_phone",
        "building",
        "address",
        "category",
        "request_type",
        "description",
    ]

    # --- Scope and lists ------------------------------------------------------------------------

    def get_queryset(self, request):
        return visible_requests(request.user, super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        term = "".join(search_term.split()).upper()
        if not term:
            return queryset, False
        if term.isdigit() and len(term) == 11:
            return queryset.filter(submitter_phone=term), False
        if term.isdigit() and len(term) == 4:
            # The expression of rr_phone_last4_idx, so PostgreSQL reads that index.
            return queryset.filter(Exact(Right("submitter_phone", 4), term)), False
        # The public id is what Open311 clients (e.g. the 12345 hotline) know a request by.
        return queryset.filter(Q(code__startswith=term) | Q(public_id=term)), False

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [f for fs in self.fieldsets for row in fs[1]["fields"] for f in _flat(row)]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": self.add_fields})]
        return self.fieldsets

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # the timeline is the record: requests are closed, never deleted

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "building":
            kwargs["queryset"] = db_field.related_model.objects.filter(
                scope_q(request.user, "grid__unit")
            ).select_related("grid")
        if db_field.name == "category":
            kwargs["queryset"] = Category.objects.filter(active=True, parent__isnull=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None and "channel" in form.base_fields:
            form.base_fields["channel"].initial = "walk_in"
        if obj is None and "building" in form.base_fields:
            # Staff entering a request pick the building; "not in the list" is the public form's.
            form.base_fields["building"].required = True
        return form

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied  # everything on an existing request goes through transitions
        data = form.cleaned_data
        created = services.request_submit(
            actor=request.user,
            channel=data["channel"],
            submitter_name=data["submitter_name"],
            submitter_phone=data["submitter_phone"],
            building=data["building"],
            category=data["category"],
            description=data["description"],
            address=data.get("address", ""),
            request_type=data.get("request_type") or RequestType.HELP,
        )
        obj.pk = created.pk
        obj.code = created.code

    def save_related(self, request, form, formsets, change):
        pass

    # --- Columns --------------------------------------------------------------------------------

    @admin.display(description=_("category"), ordering="category__name")
    def category_name(self, obj):
        return obj.category.name

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj):
        return format_html(
            '<span class="rr-status rr-{}">{}</span>', obj.status, obj.get_status_display()
        )

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, obj):
        delta = timezone.now() - obj.created_at
        if delta.days:
            return gettext("%(days)d d") % {"days": delta.days}
        return gettext("%(hours)d h") % {"hours": delta.seconds // 3600}

    @admin.display(description=_("deadline"))
    def deadline(self, obj):
        if obj.status not in OPEN_STATUSES:
            return "—"
        due = obj.accept_deadline if obj.status == Status.SUBMITTED else obj.resolve_deadline
        if due is None:
            return "—"
        text = timezone.localtime(due).strftime("%m-%d %H:%M")
        if obj.suspended_since is not None:  # 挂起: the clock is stopped
            return format_html("{} ({})", text, gettext("suspended"))
        if obj.overdue or due < timezone.now():
            return format_html('<strong class="rr-overdue">⚠ {}</strong>', text)
        return text

    @admin.display(description=_("map point"))
    def map_point(self, obj):
        # For a request whose building was not in the list, the place to check.
        if obj.lat is None or obj.lng is None:
            return "—" if obj.building_id else gettext("Location to be checked")
        return f"{obj.lat:.6f}, {obj.lng:.6f}"

    @admin.display(description=_("phone"))
    def phone_masked(self, obj):
        return mask_phone(obj.submitter_phone)

    @admin.display(description=_("mobile phone"))
    def full_phone(self, obj):
        # Shown on the detail page only; render_change_form records who saw it.
        return obj.submitter_phone

    # --- Detail page, with the disclosure record and the transition buttons --------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The audit row of this display is written first (PersonalDataAuditMixin); the requests
        # app keeps its own PhoneDisclosure record too, which is then not copied a second time.
        response = super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )
        if change and obj is not None and request.method == "GET":
            services.phone_disclosure_record(request=obj, actor=request.user)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if obj is not None:
            extra_context["transitions"] = self._available(request, obj)
            if any(t["name"] == "dispatch" for t in extra_context["transitions"]):
                extra_context["dispatch_picker"] = dispatch_candidates(
                    obj, services.members_for_dispatch(obj)
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def _available(self, request, obj):
        """The transitions this user may run now (selectors.transitions_available), as buttons;
        the services check everything again."""
        return [
            {
                "name": t.name,
                "label": t.label_for(obj),
                "one_click": t.one_click,
                "url": reverse(
                    "admin:resident_requests_residentrequest_transition", args=[obj.pk, t.name]
                ),
            }
            for t in selectors.transitions_available(request.user, obj, surface=Surface.ADMIN)
        ]

    def get_urls(self):
        return [
            path(
                "<path:object_id>/photo/<int:photo_id>/public/",
                self.admin_site.admin_view(self.photo_public_view),
                name="resident_requests_residentrequest_photo_public",
            ),
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name="resident_requests_residentrequest_transition",
            ),
            *super().get_urls(),
        ]

    def photo_public_view(self, request, object_id, photo_id):
        """Approve a photo for public display (no face, door number or car plate), or
        withdraw the approval."""
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        change_url = reverse("admin:resident_requests_residentrequest_change", args=[obj.pk])
        if request.method != "POST":
            return redirect(change_url)
        photo = obj.photos.filter(pk=photo_id).first()
        if photo is None:
            raise Http404
        approved = request.POST.get("approved") == "1"
        try:
            services.photo_public_set(photo=photo, actor=request.user, approved=approved)
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("The photo is now shown in public.")
                if approved
                else gettext("The photo is no longer shown in public."),
                level=messages.SUCCESS,
            )
        return redirect(change_url)

    def transition_view(self, request, object_id, name):
        transition = _admin_transition(name)
        if transition is None:
            raise Http404
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        change_url = reverse("admin:resident_requests_residentrequest_change", args=[obj.pk])
        try:
            # What the user may not run now is refused here, with the reason (the same check
            # as the buttons' and, under the row lock, the service's).
            selectors.transition_role(request.user, obj, transition.name)
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return redirect(change_url)
        form = self._transition_form(transition, request, obj)
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                services.transition_run(
                    name=transition.name,
                    request=obj,
                    actor=request.user,
                    arguments=form.arguments() if form else {},
                )
            except ApplicationError as exc:
                if form is None:
                    self.message_user(request, exc.message, level=messages.ERROR)
                    return redirect(change_url)
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    gettext("Request %(code)s: %(action)s done.")
                    % {"code": obj.code, "action": transition.label_for(obj)},
                    level=messages.SUCCESS,
                )
                return redirect(change_url)
        if form is None:  # one-click transitions are POST only
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": f"{transition.label_for(obj)} · {obj.code}",
            "form": form,
            "change_url": change_url,
            "action_label": transition.label_for(obj),
            "template_texts": getattr(form, "template_texts", {}),
            "dispatch_picker": getattr(form, "picker", None),
            "has_view_permission": True,
        }
        return TemplateResponse(
            request, "admin/resident_requests/residentrequest/transition.html", context
        )

    def _transition_form(self, transition, request, obj):
        """The transition's form (None: one click, a POST without input)."""
        if transition.one_click or transition.form is None:
            return None
        post = request.method == "POST"
        return FORMS[transition.form].build(
            request.POST if post else None,
            request.FILES if post else None,
            request_obj=obj,
            user=request.user,
            admin_site=self.admin_site,
        )

    # --- Bulk action from the list --------------------------------------------------------------

    @admin.action(description=_("Accept the selected requests"), permissions=["change"])
    def accept_selected(self, request, queryset):
        done, failed = 0, []
        for obj in queryset.select_related("grid__unit"):
            try:
                services.transition_run(
                    name="accept", request=obj, actor=request.user, arguments={}
                )
                done += 1
            except ApplicationError as exc:
                failed.append(exc.message)
        if done:
            self.message_user(
                request,
                gettext("%(count)d requests accepted.") % {"count": done},
                level=messages.SUCCESS,
            )
        for message in failed[:10]:
            self.message_user(request, message, level=messages.WARNING)

    @admin.action(
        description=_("Dispatch the selected requests to one member or team"),
        permissions=["change"],
    )
    def dispatch_selected(self, request, queryset):
        """Each selected request through the dispatch service (the same checks as one by one);
        the page then says, per request, what was done and what was refused and why."""
        form = BulkDispatchForm(
            request.POST if "apply" in request.POST else None, user=request.user
        )
        if "apply" not in request.POST or not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": gettext("Dispatch the selected requests"),
                "form": form,
                "requests": list(queryset.select_related(None).only("pk", "code")),
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(
                request, "admin/resident_requests/residentrequest/bulk_dispatch.html", context
            )
        arguments = {
            "assignee": form.cleaned_data.get("assignee"),
            "team": form.cleaned_data.get("team"),
            "note": form.cleaned_data.get("note", ""),
        }
        for obj in queryset.select_related("grid__unit", "grid__community").order_by("pk"):
            try:
                services.transition_run(
                    name="dispatch", request=obj, actor=request.user, arguments=arguments
                )
            except ApplicationError as exc:
                self.message_user(
                    request,
                    gettext("%(code)s refused: %(reason)s")
                    % {"code": obj.code, "reason": exc.message},
                    level=messages.WARNING,
                )
            else:
                self.message_user(
                    request, gettext("%(code)s dispatched.") % {"code": obj.code}, messages.SUCCESS
                )
        return None

    def _public_map_set(self, request, queryset, *, approved: bool):
        done, failed = 0, []
        for obj in queryset:
            try:
                services.request_public_map_set(request=obj, actor=request.user, approved=approved)
                done += 1
            except ApplicationError as exc:
                failed.append(exc.message)
        if done:
            message = (
                gettext("%(count)d requests are shown on the public map of problems.")
                if approved
                else gettext("%(count)d requests are no longer on the public map of problems.")
            )
            self.message_user(request, message % {"count": done}, level=messages.SUCCESS)
        for message in failed[:10]:
            self.message_user(request, message, level=messages.WARNING)

    @admin.action(
        description=_("Show on the public map (if the resident allowed it)"),
        permissions=["change"],
    )
    def show_on_public_map(self, request, queryset):
        self._public_map_set(request, queryset, approved=True)

    @admin.action(description=_("Take off the public map"), permissions=["change"])
    def hide_from_public_map(self, request, queryset):
        self._public_map_set(request, queryset, approved=False)


class BulkDispatchForm(core_forms.Form):
    """One party member or one volunteer team for every selected request (each dispatch is
    checked by the service as if made alone)."""

    assignee = forms.ModelChoiceField(label=_("Party member"), queryset=None, required=False)
    team = forms.ModelChoiceField(label=_("or a volunteer team"), queryset=None, required=False)
    note = forms.CharField(
        label=_("Note for the member (sent to them, not shown in public)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    def __init__(self, *args, user, **kwargs):
        from organization.models import PARTY_MEMBER_STATUSES, Person

        from .teams import team_model

        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = Person.objects.filter(
            scope_q(user, "membership_unit"), political_status__in=PARTY_MEMBER_STATUSES
        ).order_by("name")
        teams = team_model()
        self.fields["team"].queryset = teams.objects.filter(
            scope_q(user, getattr(teams, "SCOPE_PATH", "grid__unit")), active=True
        ).order_by("name")

    def clean(self):
        data = super().clean()
        if bool(data.get("assignee")) == bool(data.get("team")):
            raise forms.ValidationError(_("Choose either a party member or a volunteer team."))
        return data


def _flat(row):
    return row if isinstance(row, tuple | list) else [row]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = [
        "__str__",
        "code",
        "default_level",
        "default_department",
        "hours_to_accept",
        "hours_to_resolve",
        "deadline_basis",
        "active",
    ]
    list_filter = ["parent", "default_level", "deadline_basis", "active"]
    list_select_related = ["parent", "default_department"]
    search_fields = ["name", "code"]


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    form = core_forms.ModelForm
    list_display = ["title", "for_status", "category", "active"]
    list_filter = ["for_status", "active"]
    list_select_related = ["category__parent"]
    search_fields = ["title", "text"]


@admin.register(PhoneDisclosure)
class PhoneDisclosureAdmin(admin.ModelAdmin):
    """Who saw which resident's full phone number: read-only, for audits."""

    form = core_forms.ModelForm

    list_display = ["created_at", "user", "request"]
    list_select_related = ["user", "request"]
    search_fields = ["request__code", "user__username"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = CappedCountPaginator

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(request__in=visible_requests(request.user, ResidentRequest.objects.all()))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
