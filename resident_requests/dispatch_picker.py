"""The member picker of a dispatch (派单): who can take a request, with what helps to choose.

For each party member who can take the request (services.members_for_dispatch): their open
orders, how many of those are overdue, their claimed posts (认岗领责) that fit the request's
category, and the distance from their household to the request's building. Everything comes
in ONE query, whatever the number of members or orders (correlated subqueries, no join that
multiplies rows).

The claimed posts and the central households (党员中心户) belong to party_work, an app above this
one: party_work registers `annotate(request, members)` here when Django starts
(PartyWorkConfig.ready), which adds `claimed_posts` (int) and `central_household` (bool: the
member's household is the central household linked to the request's building). Without a
registration both are 0 / False.

The order: the central household linked to the building first (it knows the residents), then
the lowest score, then the name. The score (lower is better):

    score = open orders + 2 × overdue orders + distance in km (1 km when unknown)
            − 2 × claimed posts that fit the category

so a free member next door with a fitting post comes before a busy one across the street.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from grids.models import Building
from organization.models import Person

from .models import OPEN_STATUSES, ResidentRequest

_annotators: list[Callable[[ResidentRequest, QuerySet], QuerySet]] = []

UNKNOWN_DISTANCE_KM = 1.0


def register_dispatch_hints(annotate: Callable[[ResidentRequest, QuerySet], QuerySet]) -> None:
    """`annotate(request, members)`: `members` with `claimed_posts` and `central_household`."""
    _annotators[:] = [annotate]


@dataclass
class Candidate:
    person: Person
    open_orders: int
    overdue_orders: int
    claimed_posts: int
    central_household: bool
    distance_m: float | None

    @property
    def score(self) -> float:
        km = UNKNOWN_DISTANCE_KM if self.distance_m is None else self.distance_m / 1000
        return self.open_orders + 2 * self.overdue_orders + km - 2 * self.claimed_posts

    @property
    def label(self) -> str:
        """The picker's option: the facts, short."""
        parts = [
            _("%(open)d open, %(overdue)d overdue")
            % {"open": self.open_orders, "overdue": self.overdue_orders}
        ]
        if self.claimed_posts:
            parts.append(_("%(count)d fitting posts") % {"count": self.claimed_posts})
        if self.distance_m is not None:
            parts.append(_("%(metres)d m away") % {"metres": round(self.distance_m)})
        name = self.person.name
        if self.central_household:
            name = _("%(name)s (central household of this building)") % {"name": name}
        return f"{name} · {' · '.join(parts)}"


def _orders_count(extra: Q) -> Coalesce:
    rows = (
        ResidentRequest.objects.filter(Q(assignee_id=OuterRef("pk")) & extra)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def _household_building(field: str) -> Subquery:
    """A member's household's building: the building whose party group the member's unit is,
    or whose party group holds the member's household (a household's parent)."""
    buildings = Building.objects.filter(
        Q(unit_id=OuterRef("membership_unit_id"))
        | Q(unit_id=OuterRef("membership_unit__parent_id"))
    )
    return Subquery(buildings.order_by("pk").values(field)[:1])


def _metres(lat1, lng1, lat2, lng2) -> float:
    d_lat = math.radians(lat2 - lat1)
    d_lng = math.radians(lng2 - lng1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000 * math.hypot(d_lat, d_lng)


def dispatch_candidates(request: ResidentRequest, members: QuerySet[Person]) -> list[Candidate]:
    """`members` (those who can take `request`) with their facts, best suggestion first: one
    query."""
    queryset = members.annotate(
        open_orders=_orders_count(Q(status__in=OPEN_STATUSES)),
        overdue_orders=_orders_count(Q(status__in=OPEN_STATUSES, overdue=True)),
        home_lat=_household_building("lat"),
        home_lng=_household_building("lng"),
    )
    for annotate in _annotators:
        queryset = annotate(request, queryset)
    building = request.building if request.building_id else None
    candidates = []
    for person in queryset:
        distance = None
        if building is not None and person.home_lat is not None and person.home_lng is not None:
            distance = _metres(building.lat, building.lng, person.home_lat, person.home_lng)
        candidates.append(
            Candidate(
                person=person,
                open_orders=person.open_orders,
                overdue_orders=person.overdue_orders,
                claimed_posts=getattr(person, "claimed_posts", 0) or 0,
                central_household=bool(getattr(person, "central_household", False)),
                distance_m=distance,
            )
        )
    candidates.sort(key=lambda c: (not c.central_household, c.score, c.person.name, c.person.pk))
    return candidates
