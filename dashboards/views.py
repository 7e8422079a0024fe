"""The organization department's dashboards: /dashboard/, its drill-down, exports, the
printable one-page summary and the planning pages (每月一题, the station planner)."""

import dataclasses
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError
from organization.models import UnitKind
from party_work import services as party_services

from . import planning, selectors
from .boards import build_dashboard
from .exports import FORMATS, export_filename, table_csv, table_xlsx
from .forms import DashboardFilterForm, MonthForm, default_month
from .services import summaries_refresh_if_stale


def _unit(user, unit_id):
    if unit_id is None:
        unit = selectors.dashboard_home_unit(user)
        if unit is None:
            raise PermissionDenied(
                _(
                    "Your account is not scoped to a unit of the organization tree, so there is "
                    "no dashboard to show. Ask the organization department for a scope."
                )
            )
        return unit
    unit = selectors.dashboard_unit_for(user, unit_id)
    if unit is None:
        raise Http404(_("No such unit in your scope."))
    return unit


def _board(request, unit_id):
    unit = _unit(request.user, unit_id)
    categories = selectors.request_categories()
    form = DashboardFilterForm(request.GET or None, categories=categories)
    flt = form.request_filter()
    if not form.is_bound:
        # Show the default range in the fields rather than empty date pickers.
        initial = {"start": flt.start, "end": flt.end, "period": flt.period}
        form = DashboardFilterForm(initial=initial, categories=categories)
    if flt.uses_summaries:
        summaries_refresh_if_stale()
    query = urlencode(
        {
            "start": flt.start.isoformat(),
            "end": flt.end.isoformat(),
            "category": flt.category_id or "",
            "period": flt.period,
        }
    )

    def link_for(child):
        return f"{reverse('dashboards:unit', args=[child.pk])}?{query}"

    board = build_dashboard(unit=unit, flt=flt, link_for=link_for)
    return unit, form, flt, query, board


@staff_member_required
def dashboard(request, unit_id=None):
    unit, form, flt, query, board = _board(request, unit_id)
    return render(
        request,
        "dashboards/dashboard.html",
        {
            "unit": unit,
            "form": form,
            "flt": flt,
            "query": query,
            "board": board,
            "tables": board.tables,
            "breadcrumb": selectors.breadcrumb_for(request.user, unit),
            "chart_data": board.charts,
            "map_data": {
                "points": board.map_points,
                "heat": board.heat,
                "labels": {
                    "open": _("Open requests by grid"),
                    "heat": _("Requests received (heat)"),
                    "received": _("received"),
                },
                "tile_url": settings.MAP_TILE_URL,
                "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
            },
        },
    )


@staff_member_required
def dashboard_export(request, unit_id, table, fmt):
    if fmt not in FORMATS:
        raise Http404(_("Exports are CSV or XLSX."))
    unit, form, flt, query, board = _board(request, unit_id)
    if table not in board.tables:
        raise Http404(_("No such table on this dashboard."))
    chosen = board.tables[table]
    if fmt == "csv":
        content = table_csv(chosen)
    else:
        content = table_xlsx(chosen, scope=unit.name, start=flt.start, end=flt.end)
    response = HttpResponse(content, content_type=FORMATS[fmt])
    filename = export_filename(scope=unit.name, table=chosen, start=flt.start, end=flt.end, fmt=fmt)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# The one-page summary keeps the longest tables to their first rows (the full tables are on the
# dashboard and in its exports): what fits on one A4 page for the monthly meeting.
SUMMARY_ROWS = {"units": 12, "categories": 8, "assessment": 8, "levels": 6}


def _first_rows(table, count):
    return dataclasses.replace(
        table,
        rows=table.rows[:count],
        links=table.links[:count] if table.links else [],
        note=table.note if len(table.rows) <= count else "",
    )


@staff_member_required
def dashboard_summary(request, unit_id):
    """The dashboard on one printable page: the headline figures and the first rows of the
    tables the monthly meeting discusses, for the same unit and filter as the dashboard."""
    unit, form, flt, query, board = _board(request, unit_id)
    sections = [
        (_first_rows(board.tables[key], count), len(board.tables[key].rows))
        for key, count in SUMMARY_ROWS.items()
        if key in board.tables
    ]
    return render(
        request,
        "dashboards/summary.html",
        {
            "unit": unit,
            "flt": flt,
            "query": query,
            "board": board,
            "sections": sections,
            "generated_at": timezone.localtime(),
        },
    )


# --- Planning pages: 每月一题 and the station planner ---------------------------------------------


@staff_member_required
def monthly_topics(request, unit_id):
    """Per community in scope, the request categories that recur in a month, with the
    suggestion to answer the top one with a service project, and how earlier projects did."""
    unit = _unit(request.user, unit_id)
    form = MonthForm(request.GET or None)
    month = default_month()
    communities = None  # bad month: the form shows why, and no figures
    if form.is_bound and form.is_valid():
        month = form.cleaned_data["month"]
    if not form.is_bound or form.is_valid():
        communities = planning.monthly_topics(unit, month)
    months = [planning.add_months(month, -n) for n in range(planning.MONTHS_COMPARED, -1, -1)]
    return render(
        request,
        "dashboards/topics.html",
        {
            "unit": unit,
            "form": form,
            "month": month,
            "months": months,
            "communities": communities,
            "breadcrumb": selectors.breadcrumb_for(request.user, unit),
        },
        status=200 if communities is not None else 400,
    )


def _topic_action(request, unit_id, act):
    """The 每月一题 page's one-click buttons: the community (in the user's scope, else 404), the
    month and the category from the form; `act(community, category, month)` does it and returns
    the success message, or raises ApplicationError. Back to the page for that month."""
    unit = _unit(request.user, unit_id)
    community = planning.topic_community(unit, request.POST.get("community"))
    if community is None:
        raise Http404(_("No such community in your scope."))
    form = MonthForm({"month": request.POST.get("month", "")})
    category = planning.topic_category(request.POST.get("category"))
    back = reverse("dashboards:topics", args=[unit.pk])
    if not form.is_valid() or category is None:
        messages.error(request, _("Choose a month and a category from the list."))
        return redirect(back)
    month = form.cleaned_data["month"]
    try:
        messages.success(request, act(community, category, month))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(f"{back}?{urlencode({'month': month.strftime('%Y-%m')})}")


@staff_member_required
@require_POST
def monthly_topic_project(request, unit_id):
    """One click: a draft service project for a community's recurring category in a month."""

    def act(community, category, month):
        project = party_services.service_project_from_topic(
            community=community,
            category=category,
            month=month,
            requests_count=planning.topic_requests_count(community, category, month),
            actor=request.user,
        )
        return _("Draft service project “%(title)s” created for %(community)s.") % {
            "title": project.title,
            "community": community.name,
        }

    return _topic_action(request, unit_id, act)


@staff_member_required
@require_POST
def monthly_topic_reception(request, unit_id):
    """One click: a community's recurring category of a month as the topic of its next 温暖20
    reception session."""

    def act(community, category, month):
        session = party_services.reception_topic_from_month(
            community=community, category=category, actor=request.user
        )
        return _(
            "“%(topic)s” is on the agenda of the 温暖20 reception of %(community)s on %(date)s."
        ) % {"topic": session.topic, "community": community.name, "date": session.date.isoformat()}

    return _topic_action(request, unit_id, act)


@staff_member_required
def station_planner(request, unit_id):
    """Where new stations would bring the most households within a 15-minute walk."""
    unit = _unit(request.user, unit_id)
    plan = None
    if unit.kind in (UnitKind.STREET, UnitKind.COMMUNITY):
        plan = planning.station_plan(unit)
    return render(
        request,
        "dashboards/stations.html",
        {
            "unit": unit,
            "plan": plan,
            "children": selectors.child_units(unit) if plan is None else [],
            "breadcrumb": selectors.breadcrumb_for(request.user, unit),
        },
    )
