"""Reads for the two planning pages (selectors, kept apart from the dashboard's own):
每月一题 (the request categories that recur per community in a month, and whether the projects
started from them made a difference) and the station planner (where a new station would bring
the most households into the 15-minute circle).
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count, Q
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from grids import geo
from grids import selectors as grid_selectors
from organization.models import OrgUnit, UnitKind
from organization.selectors import subtree_q
from party_work.models import ServiceProject
from resident_requests.models import Category, ResidentRequest

# --- 每月一题: the categories that recur ----------------------------------------------------------

# The chosen month and this many before it, side by side.
MONTHS_COMPARED = 3
# Months after a project's month that the before/after comparison counts (and as many before).
MONTHS_AFTER_PROJECT = 3
# Recurring categories shown per community.
TOPICS_PER_COMMUNITY = 5


def add_months(month: datetime.date, n: int) -> datetime.date:
    """The first day of the month `n` months after `month` (n may be negative)."""
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


def _month_start(month: datetime.date) -> datetime.datetime:
    tz = timezone.get_current_timezone()
    return datetime.datetime(month.year, month.month, 1, tzinfo=tz)


def _as_month(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


@dataclass
class TopicRow:
    """One category in one community: requests, repeat buildings and reopened requests per
    month, the chosen month last."""

    category_id: int
    category_name: str
    requests: list[int]
    repeat_buildings: list[int]
    reopened: list[int]
    project: ServiceProject | None = None

    @property
    def cells(self) -> list[tuple[int, int, int]]:
        """(requests, repeat buildings, reopened) per month, for the table."""
        return list(zip(self.requests, self.repeat_buildings, self.reopened, strict=True))

    @property
    def this_month(self) -> int:
        return self.requests[-1]

    @property
    def rank_key(self):
        return (-self.requests[-1], -self.repeat_buildings[-1], -self.reopened[-1])


@dataclass
class ProjectEffect:
    """Requests of a project's category in its community, in the months before its month and
    in the months after it (only months already begun count)."""

    project: ServiceProject
    before: int
    after: int
    months_before: int
    months_after: int


@dataclass
class CommunityTopics:
    community_id: int
    community_name: str
    topics: list[TopicRow] = field(default_factory=list)
    effects: list[ProjectEffect] = field(default_factory=list)

    @property
    def suggestion(self) -> TopicRow | None:
        """The top recurring category with no project yet: the suggested 为民服务项目."""
        return next((t for t in self.topics if t.project is None and t.this_month), None)


def _requests_under(unit: OrgUnit):
    return ResidentRequest.objects.filter(
        subtree_q(unit, "grid__unit"), category__isnull=False, merged_into__isnull=True
    )


def monthly_topics(unit: OrgUnit, month: datetime.date) -> list[CommunityTopics]:
    """Per community under `unit`, the categories with requests in `month` ranked by requests,
    then repeat buildings (a building with two or more requests of the category in the month),
    then reopened requests, each with the MONTHS_COMPARED months before. Six queries whatever
    the number of communities, categories or requests: the counting is done by the database."""
    month = month.replace(day=1)
    months = [add_months(month, -n) for n in range(MONTHS_COMPARED, -1, -1)]
    start, end = _month_start(months[0]), _month_start(add_months(month, 1))
    communities = list(
        OrgUnit.objects.filter(subtree_q(unit), kind=UnitKind.COMMUNITY)
        .order_by("code")
        .values_list("pk", "name")
    )
    window = _requests_under(unit).filter(created_at__gte=start, created_at__lt=end)
    per_month = (
        window.annotate(month=TruncMonth("created_at"))
        .values("grid__community_id", "category_id", "category__name", "month")
        .annotate(n=Count("pk"), reopened=Count("pk", filter=Q(reopened_count__gt=0)))
        .order_by()
    )
    # Buildings with two or more requests of a category in a month: one row per such building.
    repeats = Counter(
        (community_id, category_id, _as_month(m))
        for community_id, category_id, m in window.filter(building__isnull=False)
        .annotate(month=TruncMonth("created_at"))
        .values("grid__community_id", "category_id", "month", "building_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=2)
        .values_list("grid__community_id", "category_id", "month")
        .order_by()
    )
    index = {m: i for i, m in enumerate(months)}
    rows: dict[tuple[int, int], TopicRow] = {}
    for r in per_month:
        key = (r["grid__community_id"], r["category_id"])
        row = rows.get(key)
        if row is None:
            row = rows[key] = TopicRow(
                category_id=r["category_id"],
                category_name=r["category__name"],
                requests=[0] * len(months),
                repeat_buildings=[0] * len(months),
                reopened=[0] * len(months),
            )
        i = index[_as_month(r["month"])]
        row.requests[i] += r["n"]
        row.reopened[i] += r["reopened"]
    for (community_id, category_id, m), n in repeats.items():
        if (community_id, category_id) in rows:
            rows[(community_id, category_id)].repeat_buildings[index[m]] += n

    projects = list(
        ServiceProject.objects.filter(
            subtree_q(unit, "community"), topic_category__isnull=False
        ).order_by("topic_month", "pk")
    )
    by_topic = {(p.community_id, p.topic_category_id, p.topic_month): p for p in projects}
    result = []
    for community_id, name in communities:
        topics = sorted(
            (row for (c, _), row in rows.items() if c == community_id and row.this_month),
            key=lambda row: (row.rank_key, row.category_name),
        )[:TOPICS_PER_COMMUNITY]
        for row in topics:
            row.project = by_topic.get((community_id, row.category_id, month))
        result.append(
            CommunityTopics(community_id=community_id, community_name=name, topics=topics)
        )
    _add_effects(unit, result, projects)
    return result


def _add_effects(unit: OrgUnit, result: list[CommunityTopics], projects) -> None:
    """Before/after counts of every project started here: one grouped query for all."""
    if not projects:
        return
    this_month = timezone.localdate().replace(day=1)
    first = add_months(min(p.topic_month for p in projects), -MONTHS_AFTER_PROJECT)
    last = add_months(max(p.topic_month for p in projects), MONTHS_AFTER_PROJECT + 1)
    counts = Counter()
    for r in (
        _requests_under(unit)
        .filter(
            created_at__gte=_month_start(first),
            created_at__lt=_month_start(last),
            category_id__in={p.topic_category_id for p in projects},
            grid__community_id__in={p.community_id for p in projects},
        )
        .annotate(month=TruncMonth("created_at"))
        .values("grid__community_id", "category_id", "month")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[(r["grid__community_id"], r["category_id"], _as_month(r["month"]))] += r["n"]
    by_community = {c.community_id: c for c in result}
    for p in projects:
        key = p.community_id, p.topic_category_id
        before_months = [add_months(p.topic_month, -n) for n in range(1, MONTHS_AFTER_PROJECT + 1)]
        after_months = [
            m
            for m in (add_months(p.topic_month, n) for n in range(1, MONTHS_AFTER_PROJECT + 1))
            if m <= this_month
        ]
        if p.community_id in by_community:
            by_community[p.community_id].effects.append(
                ProjectEffect(
                    project=p,
                    before=sum(counts[(*key, m)] for m in before_months),
                    after=sum(counts[(*key, m)] for m in after_months),
                    months_before=len(before_months),
                    months_after=len(after_months),
                )
            )


def topic_community(unit: OrgUnit, community_id) -> OrgUnit | None:
    """A community under `unit` (the view has checked `unit` is in the user's scope)."""
    return (
        OrgUnit.objects.filter(subtree_q(unit), kind=UnitKind.COMMUNITY, pk=community_id).first()
        if str(community_id).isdigit()
        else None
    )


def topic_category(category_id) -> Category | None:
    return Category.objects.filter(pk=category_id).first() if str(category_id).isdigit() else None


def topic_requests_count(community: OrgUnit, category: Category, month: datetime.date) -> int:
    return (
        _requests_under(community)
        .filter(
            category=category,
            created_at__gte=_month_start(month),
            created_at__lt=_month_start(add_months(month, 1)),
        )
        .count()
    )


# --- The station planner -----------------------------------------------------------------------

# Requests of the last this many days count towards a candidate's "requests nearby".
REQUEST_DAYS = 365
CANDIDATES_SHOWN = 10


def circle_straight_metres() -> float:
    """The straight-line radius of the 15-minute circle, from grids.geo's one walking model."""
    return geo.SERVICE_CIRCLE_MINUTES * geo.WALKING_METRES_PER_MINUTE / geo.DETOUR_FACTOR


class _BucketIndex:
    """Points bucketed in square cells as wide as the circle's radius (local flat metres): the
    points within the radius of any place lie in its cell and the eight around it."""

    def __init__(self, lat: np.ndarray, lng: np.ndarray, radius: float, origin_lat: float):
        self.radius = radius
        self.lat, self.lng = lat, lng
        self.m_lat = np.pi * geo.EARTH_RADIUS_M / 180.0
        self.m_lng = self.m_lat * np.cos(np.radians(origin_lat))
        self.cells: dict[tuple[int, int], np.ndarray] = {}
        if lat.size == 0:
            return
        cx, cy = self._cell(lat, lng)
        order = np.lexsort((cy, cx))
        keys = np.column_stack([cx[order], cy[order]])
        bounds = np.flatnonzero(np.any(np.diff(keys, axis=0), axis=1)) + 1
        for chunk in np.split(order, bounds):
            self.cells[(int(cx[chunk[0]]), int(cy[chunk[0]]))] = chunk

    def _cell(self, lat, lng):
        x = np.floor(np.asarray(lng) * self.m_lng / self.radius).astype(np.int64)
        y = np.floor(np.asarray(lat) * self.m_lat / self.radius).astype(np.int64)
        return x, y

    def within(self, lat: float, lng: float) -> np.ndarray:
        """Indexes of the points within the radius (straight line) of (lat, lng)."""
        x, y = (int(v) for v in self._cell(lat, lng))
        near = [
            self.cells[(x + dx, y + dy)]
            for dx in (-1, 0, 1)
            for dy in (-1, 0, 1)
            if (x + dx, y + dy) in self.cells
        ]
        if not near:
            return np.empty(0, dtype=np.int64)
        idx = np.concatenate(near)
        d = geo.straight_metres_array(lat, lng, self.lat[idx], self.lng[idx])
        return idx[d <= self.radius]


@dataclass
class StationCandidate:
    rank: int
    building_id: int
    address: str
    grid_name: str
    # Households (and buildings) brought within 15 minutes that the earlier picks did not cover.
    households_gained: int
    buildings_gained: int
    requests_nearby: int
    walking_minutes_now: float
    household_percent_after: float


@dataclass
class StationPlan:
    unit: OrgUnit
    summary: grid_selectors.CoverageRow
    candidates: list[StationCandidate]
    requests_counted_since: datetime.date


def station_plan(unit: OrgUnit, *, limit: int = CANDIDATES_SHOWN) -> StationPlan:
    """Buildings under `unit` beyond a 15-minute walk, as places for a new station, chosen
    greedily: the one that brings the most uncovered households within 15 minutes, then the
    best given that one, and so on. Ties go to the most requests of the last year within its
    circle. Uses grids' walking model and coverage (building_walking_minutes); each candidate's
    circle is found through a bucket index, not by comparing every pair of buildings."""
    minutes = grid_selectors.building_walking_minutes(unit)
    summary = grid_selectors.coverage_summary_of(minutes, unit)
    radius = circle_straight_metres()
    since = timezone.now() - datetime.timedelta(days=REQUEST_DAYS)
    uncovered = np.flatnonzero(~minutes.covered)
    if uncovered.size == 0:
        return StationPlan(unit, summary, [], timezone.localdate(since))
    lat, lng = minutes.lats[uncovered], minutes.lngs[uncovered]
    households = minutes.households[uncovered].astype(float)
    index = _BucketIndex(lat, lng, radius, float(lat.mean()))
    # Requests of the last year under the unit, placed where the resident said or at the building.
    points = np.array(
        list(
            ResidentRequest.objects.filter(subtree_q(unit, "grid__unit"), created_at__gte=since)
            .annotate(plat=Coalesce("lat", "building__lat"), plng=Coalesce("lng", "building__lng"))
            .filter(plat__isnull=False, plng__isnull=False)
            .values_list("plat", "plng")
        ),
        dtype=float,
    ).reshape(-1, 2)
    request_index = _BucketIndex(points[:, 0], points[:, 1], radius, float(lat.mean()))
    # Every candidate's circle as one flat array (members) with its owner, so that a round of the
    # greedy choice is one bincount rather than a loop over candidates.
    circles = [index.within(a, b) for a, b in zip(lat.tolist(), lng.tolist(), strict=True)]
    owners = np.repeat(np.arange(uncovered.size), [c.size for c in circles])
    members = np.concatenate(circles)
    nearby = np.array(
        [request_index.within(a, b).size for a, b in zip(lat.tolist(), lng.tolist(), strict=True)]
    )
    still = np.ones(uncovered.size, dtype=bool)
    covered_households = float(summary.covered_households)
    total = float(summary.households) or 1.0
    picks = []
    for _ in range(min(limit, uncovered.size)):
        open_members = still[members]
        gain_h = np.bincount(
            owners, weights=households[members] * open_members, minlength=uncovered.size
        )
        gain_b = np.bincount(owners, weights=open_members, minlength=uncovered.size)
        gain_b[[p[0] for p in picks]] = -1  # never the same place twice
        if gain_b.max() <= 0:
            break
        # Most households first, then most buildings, then most requests nearby.
        best = int(np.lexsort((nearby, gain_b, gain_h))[-1])
        covered_households += gain_h[best]
        picks.append((best, int(gain_h[best]), int(gain_b[best]), covered_households))
        still[circles[best]] = False
    ids = [int(minutes.building_ids[uncovered[best]]) for best, *_ in picks]
    buildings = grid_selectors.buildings_with_grid(ids)
    candidates = [
        StationCandidate(
            rank=rank,
            building_id=pk,
            address=buildings[pk].address,
            grid_name=buildings[pk].grid.name,
            households_gained=gain_h,
            buildings_gained=gain_b,
            requests_nearby=int(nearby[best]),
            walking_minutes_now=round(float(minutes.minutes[uncovered[best]]), 1),
            household_percent_after=round(100 * after / total, 1),
        )
        for rank, (pk, (best, gain_h, gain_b, after)) in enumerate(
            zip(ids, picks, strict=True), start=1
        )
        if pk in buildings
    ]
    return StationPlan(unit, summary, candidates, timezone.localdate(since))
