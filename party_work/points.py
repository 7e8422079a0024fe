"""Vanguard points (先锋积分): the rules, in this one place.

A party member earns, within a quarter:

| what | points | counted when |
|---|---|---|
| a request they took, resolved by its deadline and rated "satisfied" (满意) | REQUEST_POINTS | the request was resolved in the quarter |
| an hour of volunteer service in a team's activity (一抹党旗红) | HOUR_POINTS per hour | the activity's date is in the quarter |
| a visit to a household in contact (党员联户), at most one a day per household | VISIT_POINTS | the visit's date is in the quarter |

"Took" means the request was dispatched to them and they took it (taken_at is set); "on time"
means resolved_at is not later than resolve_deadline. Requests resolved late, or rated basically
satisfied or dissatisfied, earn nothing: the title rewards what residents were glad of. Staff then
award the 先锋榜样 title from the quarterly ranking per street (party_work.selectors.vanguard_ranking).
"""

from decimal import ROUND_HALF_UP, Decimal

REQUEST_POINTS = 10
HOUR_POINTS = 2
VISIT_POINTS = 3


def points_for(*, requests: int, hours: Decimal | float | int, visits: int) -> int:
    """The quarter's points from its three counts; half an hour earns half the hour's points,
    rounded half up to whole points."""
    hour_points = (Decimal(str(hours or 0)) * HOUR_POINTS).quantize(Decimal(1), ROUND_HALF_UP)
    return requests * REQUEST_POINTS + int(hour_points) + visits * VISIT_POINTS
