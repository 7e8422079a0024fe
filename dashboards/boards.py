"""One dashboard: the figures of a unit's subtree for a filter, as tables, charts and map points.

The page, its charts and every export are built from the same `Dashboard`, so an export always
holds the numbers on the page. The number of SQL queries is fixed (about twenty), whatever the
number of units or requests: every figure is a database aggregate (over the daily summaries, or
live over the requests), and the per-unit rows are sums of at most one aggregate row per grid.
"""

import datetime
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.utils import formats, timezone
from django.utils.translation import pgettext

from organization.models import OrgForm, OrgUnit
from resident_requests.models import Channel, HandlingLevel

from . import selectors
from .links import RequestLinks
from .selectors import Handling, RequestFilter
from .tables import Table, handling_table, party_children_table, party_table, party_work_table


def score_weights() -> dict:
    """The weights live in one documented block: settings.DASHBOARD_SCORE_WEIGHTS."""
    return settings.DASHBOARD_SCORE_WEIGHTS


def wilson_lower(successes: int, total: int, z: float) -> float | None:
    """The lower bound (per cent) of the Wilson score interval of successes/total: what the
    rate is at least, with the confidence z stands for. None: nothing to divide by."""
    if not total:
        return None
    p = successes / total
    z2 = z * z
    centre = p + z2 / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    return 100.0 * max(0.0, (centre - margin) / (1 + z2 / total))


def party_work_index(work, days: int, weights: dict | None = None) -> float | None:
    """A grid's party work in the period against the targets (0–100): the mean of posts claimed
    now, visits and volunteer hours (targets per 30 days, scaled to the period), each capped at
    its target. None: the grid has no party work on record at all."""
    if work is None or not (work.claimed_posts or work.visits or work.volunteer_hours):
        return None
    targets = (weights or score_weights())["party_work_targets"]
    months = max(days, 1) / 30.0
    parts = [
        work.claimed_posts / targets["claimed_posts"],
        work.visits / (targets["visits_per_30_days"] * months),
        float(work.volunteer_hours) / (targets["hours_per_30_days"] * months),
    ]
    return round(100.0 * sum(min(1.0, part) for part in parts) / len(parts), 1)


def governance_score(
    h: Handling, weights: dict | None = None, *, party_index: float | None = None
) -> float | None:
    """双挂钩: the grid's score that counts in its branch's assessment (0–100).

    Request handling: the weighted mean of the rates the grid has data for, each taken as the
    lower bound of its Wilson interval (a grid with few requests cannot top the ranking on
    luck), less a penalty per request that went past its deadline, never below 0. Party work:
    `party_index` (party_work_index) with its share of the score. None: neither.
    """
    weights = weights or score_weights()
    z = weights.get("confidence_z", 1.96)
    parts = [
        (wilson_lower(h.resolved, h.valid, z), weights["resolution_rate"]),
        (wilson_lower(h.on_time, h.resolved, z), weights["on_time_rate"]),
        (wilson_lower(h.satisfied, h.rated, z), weights["satisfaction_rate"]),
    ]
    present = [(rate, weight) for rate, weight in parts if rate is not None and weight]
    handling = None
    if present:
        mean = sum(rate * weight for rate, weight in present) / sum(w for _, w in present)
        handling = max(0.0, mean - weights["overdue_penalty"] * h.late)
    share = weights.get("party_work", 0.0) if party_index is not None else 0.0
    if handling is None and party_index is None:
        return None
    return round((1 - share) * (handling or 0.0) + share * (party_index or 0.0), 1)


@dataclass
class Dashboard:
    unit: OrgUnit
    flt: RequestFilter
    party: selectors.PartyFigures
    handling: Handling
    tables: dict[str, Table] = field(default_factory=dict)
    charts: list[dict] = field(default_factory=list)
    map_points: list[dict] = field(default_factory=list)
    # The heat layer: requests received per building (the busiest HEAT_BUILDINGS) and per grid.
    heat: dict = field(default_factory=dict)
    # The headline figures' drill-through: {counter: the admin list of what it counts}.
    figure_links: dict[str, str] = field(default_factory=dict)


def _blank(value):
    return "" if value is None else value


def _heat_buildings(unit: OrgUnit, flt: RequestFilter, grid_ids: list[int]) -> list[dict]:
    """The heat layer's busiest buildings (selectors.received_by_building), kept in the cache
    for DASHBOARD_SUMMARY_MAX_AGE seconds, as current as the summaries the rest of the page
    reads: over a district's year of a million requests the grouping takes about a third of a
    second, which the page's other figures, read from the summaries, do not."""
    key = f"dashboards:heat:{unit.pk}:{flt.start}:{flt.end}:{flt.category_id or 0}"
    buildings = cache.get(key)
    if buildings is None:
        buildings = selectors.received_by_building(unit, flt, grid_ids)
        cache.set(key, buildings, settings.DASHBOARD_SUMMARY_MAX_AGE)
    return buildings


def build_dashboard(
    *, unit: OrgUnit, flt: RequestFilter, link_for: Callable[[OrgUnit | dict], str]
) -> Dashboard:
    # Party building and party members at work (issue 8): a fixed number of queries whatever the
    # unit's size, none while the organization has not changed since the last view.
    work, party, party_children = selectors.organization_figures(unit, flt.end.year)
    grids = selectors.grids_with_child(unit)
    grid_ids = [grid["pk"] for grid in grids]
    by_grid = selectors.handling_by_grid(unit, flt, grid_ids)
    open_now = selectors.open_by_grid(unit, flt, grid_ids)

    total = Handling()
    per_grid: dict[int, Handling] = {}
    per_child: dict[int, Handling] = {child.pk: Handling() for child in party_children}
    for grid in grids:
        h = Handling()
        h.add(by_grid.get(grid["pk"], {}))
        h.add(open_now.get(grid["pk"], {}))
        per_grid[grid["pk"]] = h
        total.add(by_grid.get(grid["pk"], {}))
        total.add(open_now.get(grid["pk"], {}))
        if grid["child_id"] in per_child:
            per_child[grid["child_id"]].add(by_grid.get(grid["pk"], {}))
            per_child[grid["child_id"]].add(open_now.get(grid["pk"], {}))

    board = Dashboard(unit=unit, flt=flt, party=party, handling=total)
    # Every count below links to the admin list of the requests it counts (dashboards.links).
    link = RequestLinks(flt)
    board.figure_links = {
        "received": link(unit.pk),
        "resolved": link(unit.pk, counted="resolved"),
        "overdue_now": link(unit.pk, counted="overdue_now"),
    }
    tables = board.tables
    tables["party"] = party_table(party)
    tables["party_work"] = party_work_table(unit, figures=work)
    tables["handling"] = handling_table(total, lambda counted: link(unit.pk, counted=counted))
    if party_children:
        tables["party_units"] = party_children_table(party_children, link_for)
        tables["units"] = Table(
            key="units",
            title=pgettext("dashboard", "Request handling by unit"),
            columns=[
                pgettext("dashboard", "Unit"),
                pgettext("dashboard", "Received"),
                pgettext("dashboard", "Resolved"),
                pgettext("dashboard", "Resolution rate (%)"),
                pgettext("dashboard", "On-time rate (%)"),
                pgettext("dashboard", "Satisfaction rate (%)"),
                pgettext("dashboard", "Open now"),
                pgettext("dashboard", "Overdue now"),
            ],
            rows=[
                [
                    child.name,
                    per_child[child.pk].received,
                    per_child[child.pk].resolved,
                    _blank(per_child[child.pk].resolution_rate),
                    _blank(per_child[child.pk].on_time_rate),
                    _blank(per_child[child.pk].satisfaction_rate),
                    per_child[child.pk].open_now,
                    per_child[child.pk].overdue_now,
                ]
                for child in party_children
            ],
            links=[link_for(child) for child in party_children],
            cell_links={
                index: {
                    1: link(child.pk),
                    2: link(child.pk, counted="resolved"),
                    6: link(child.pk, counted="open_now"),
                    7: link(child.pk, counted="overdue_now"),
                }
                for index, child in enumerate(party_children)
            },
        )

    period_format = "Y-m" if flt.period == "month" else "Y-m-d"
    trend = selectors.trend(unit, flt, grid_ids)
    trend_links = {}
    for index, row in enumerate(trend):
        first, last = _period_days(row["period"], flt)
        trend_links[index] = {
            1: link(unit.pk, start=first, end=last),
            2: link(unit.pk, start=first, end=last, counted="resolved"),
        }
    tables["trend"] = Table(
        key="trend",
        title=pgettext("dashboard", "Trend by month")
        if flt.period == "month"
        else pgettext("dashboard", "Trend by week"),
        columns=[
            pgettext("dashboard", "Month")
            if flt.period == "month"
            else pgettext("dashboard", "Week beginning"),
            pgettext("dashboard", "Received"),
            pgettext("dashboard", "Resolved"),
        ],
        rows=[
            [formats.date_format(row["period"], period_format), row["received"], row["resolved"]]
            for row in trend
        ],
        cell_links=trend_links,
    )
    channel_labels = dict(Channel.choices)
    channels = selectors.by_channel(unit, flt, by_grid, grid_ids)
    tables["channels"] = Table(
        key="channels",
        title=pgettext("dashboard", "By channel"),
        columns=[pgettext("dashboard", "Channel"), pgettext("dashboard", "Received")],
        rows=[
            [str(channel_labels.get(row["channel"], row["channel"])), row["received"]]
            for row in channels
        ],
        cell_links={
            index: {1: link(unit.pk, channel=row["channel"])} for index, row in enumerate(channels)
        },
    )
    categories = selectors.top_categories(unit, flt, grid_ids)
    tables["categories"] = Table(
        key="categories",
        title=pgettext("dashboard", "Top categories"),
        columns=[
            pgettext("dashboard", "Category"),
            pgettext("dashboard", "Received"),
            pgettext("dashboard", "Resolved"),
        ],
        rows=[
            [
                " › ".join(filter(None, [row["category__parent__name"], row["category__name"]])),
                row["received"],
                row["resolved"],
            ]
            for row in categories
        ],
        cell_links={
            index: {
                1: link(unit.pk, category_id=row["category_id"]),
                2: link(unit.pk, category_id=row["category_id"], counted="resolved"),
            }
            for index, row in enumerate(categories)
        },
    )
    levels = (HandlingLevel.COMMUNITY, HandlingLevel.STREET, HandlingLevel.DEPARTMENT)
    tables["levels"] = Table(
        key="levels",
        title=pgettext("dashboard", "Escalations by level"),
        columns=[pgettext("dashboard", "Highest level reached"), pgettext("dashboard", "Requests")],
        rows=[
            [str(HandlingLevel(level).label), getattr(total, f"level_{level}")] for level in levels
        ],
        cell_links={index: {1: link(unit.pk, level=level)} for index, level in enumerate(levels)},
        note=pgettext(
            "dashboard",
            "Requests received in the date range that climbed above the grid (分级响应).",
        ),
    )
    departments = selectors.escalations_by_department(unit, flt, grid_ids)
    tables["departments"] = Table(
        key="departments",
        title=pgettext("dashboard", "Escalations by department"),
        columns=[
            pgettext("dashboard", "Department"),
            pgettext("dashboard", "Called in (吹哨)"),
            pgettext("dashboard", "Reported in (报到)"),
            pgettext("dashboard", "Done"),
        ],
        rows=[
            [row["department__name"], row["called"], row["acknowledged"], row["done"]]
            for row in departments
        ],
        cell_links={
            index: {
                1: link.department_calls(unit.pk, row["department_id"]),
                2: link.department_calls(unit.pk, row["department_id"], "acknowledged"),
                3: link.department_calls(unit.pk, row["department_id"], "done"),
            }
            for index, row in enumerate(departments)
        },
    )

    weights = score_weights()
    # 双挂钩 both ways: the grid's party work in the period counts beside its request handling.
    work_by_grid = selectors.party_work_in_period(unit, flt.start, flt.end)
    days = (flt.end - flt.start).days + 1
    ranked = []
    for grid in grids:
        h = per_grid[grid["pk"]]
        work = work_by_grid.get(grid["pk"])
        index = party_work_index(work, days, weights)
        score = governance_score(h, weights, party_index=index)
        ranked.append((score, grid, h, work, index))
    ranked.sort(key=lambda item: (item[0] is None, -(item[0] or 0), item[1]["code"]))
    form_labels = dict(OrgForm.choices)
    tables["assessment"] = Table(
        key="assessment",
        title=pgettext("dashboard", "Assessment of grid branches (双挂钩)"),
        columns=[
            pgettext("dashboard", "Rank"),
            pgettext("dashboard", "Grid party branch or group"),
            pgettext("dashboard", "Form"),
            pgettext("dashboard", "Received"),
            pgettext("dashboard", "Resolution rate (%)"),
            pgettext("dashboard", "On-time rate (%)"),
            pgettext("dashboard", "Satisfaction rate (%)"),
            pgettext("dashboard", "Overdue"),
            pgettext("dashboard", "Claimed posts"),
            pgettext("dashboard", "Household visits"),
            pgettext("dashboard", "Volunteer hours"),
            pgettext("dashboard", "Party work index"),
            pgettext("dashboard", "Governance score"),
        ],
        rows=[
            [
                rank,
                grid["unit__name"],
                str(form_labels.get(grid["unit__org_form"], "")),
                h.received,
                _blank(h.resolution_rate),
                _blank(h.on_time_rate),
                _blank(h.satisfaction_rate),
                h.late,
                work.claimed_posts if work else 0,
                work.visits if work else 0,
                work.volunteer_hours if work else 0,
                _blank(index),
                _blank(score),
            ]
            for rank, (score, grid, h, work, index) in enumerate(ranked, start=1)
        ],
        cell_links={
            index: {3: link(grid["unit_id"]), 7: link(grid["unit_id"], counted="late")}
            for index, (_score, grid, _h, _work, _index) in enumerate(ranked)
        },
        note=pgettext(
            "dashboard",
            "Score: %(handling_share)s%% request handling, %(work_share)s%% party work. Request "
            "handling: the weighted mean of resolution rate (weight %(resolution)s), on-time rate "
            "(%(on_time)s) and satisfaction rate (%(satisfaction)s), each taken at the lower "
            "bound of its 95%% confidence interval so that a grid with few requests cannot top "
            "the ranking by luck, less %(penalty)s points per request that went past its "
            "deadline. Party work index: posts claimed (target %(posts)s), household visits "
            "(%(visits)s) and volunteer hours (%(hours)s per 30 days), each capped at its "
            "target. Grids with neither rank last.",
        )
        % {
            "handling_share": round(100 * (1 - weights["party_work"])),
            "work_share": round(100 * weights["party_work"]),
            "resolution": weights["resolution_rate"],
            "on_time": weights["on_time_rate"],
            "satisfaction": weights["satisfaction_rate"],
            "penalty": weights["overdue_penalty"],
            "posts": weights["party_work_targets"]["claimed_posts"],
            "visits": weights["party_work_targets"]["visits_per_30_days"],
            "hours": weights["party_work_targets"]["hours_per_30_days"],
        },
    )
    open_grids = [g for g in grids if per_grid[g["pk"]].open_now]
    open_grids.sort(key=lambda g: (-per_grid[g["pk"]].open_now, g["code"]))
    tables["open"] = Table(
        key="open",
        title=pgettext("dashboard", "Open requests by grid"),
        columns=[
            pgettext("dashboard", "Grid"),
            pgettext("dashboard", "Open now"),
            pgettext("dashboard", "Overdue now"),
        ],
        rows=[
            [g["name"], per_grid[g["pk"]].open_now, per_grid[g["pk"]].overdue_now]
            for g in open_grids
        ],
        cell_links={
            index: {
                1: link(g["unit_id"], counted="open_now"),
                2: link(g["unit_id"], counted="overdue_now"),
            }
            for index, g in enumerate(open_grids)
        },
    )
    board.map_points = [
        {
            "name": g["name"],
            "lat": g["center_lat"],
            "lng": g["center_lng"],
            "open": per_grid[g["pk"]].open_now,
            "overdue": per_grid[g["pk"]].overdue_now,
        }
        for g in open_grids
        if g["center_lat"] is not None and g["center_lng"] is not None
    ]
    board.heat = {
        "buildings": [
            {"name": b["building__name"], "lat": b["building__lat"], "lng": b["building__lng"],
             "received": b["received"]}
            for b in _heat_buildings(unit, flt, grid_ids)
        ],
        "grids": [
            {"name": g["name"], "lat": g["center_lat"], "lng": g["center_lng"],
             "received": per_grid[g["pk"]].received, "link": link(g["unit_id"])}
            for g in grids
            if per_grid[g["pk"]].received
            and g["center_lat"] is not None
            and g["center_lng"] is not None
        ],
    }  # fmt: skip
    board.charts = _charts(tables)
    return board


def _period_days(period, flt: RequestFilter) -> tuple[datetime.date, datetime.date]:
    """The days of a trend row (a week or month, cut to the filter's range)."""
    if isinstance(period, datetime.datetime):
        period = timezone.localtime(period).date() if timezone.is_aware(period) else period.date()
    if flt.period == "month":
        following = (period.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    else:
        following = period + datetime.timedelta(days=7)
    return max(period, flt.start), min(following - datetime.timedelta(days=1), flt.end)


def _column(table: Table, index: int) -> list:
    return [row[index] if row[index] != "" else None for row in table.rows]


def _charts(tables: dict[str, Table]) -> list[dict]:
    """What each chart draws, taken from its table (so the table is the chart's text form)."""
    charts = []

    def add(key, kind, series_columns, label_column=0):
        table = tables.get(key)
        if table is None:
            return
        charts.append(
            {
                "key": key,
                "kind": kind,
                "labels": [str(v) for v in _column(table, label_column)],
                "series": [
                    {"name": str(table.columns[i]), "data": _column(table, i)}
                    for i in series_columns
                ],
            }
        )

    add("units", "bar", [1, 2])
    add("party_units", "bar", [5])
    add("trend", "line", [1, 2])
    add("channels", "pie", [1])
    add("categories", "hbar", [1, 2])
    add("levels", "bar", [1])
    add("departments", "bar", [1, 2, 3])
    return charts
