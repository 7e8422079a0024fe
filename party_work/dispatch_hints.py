"""What party_work adds to the requests app's member picker (resident_requests.dispatch_picker):
each member's claimed posts (认岗领责) that fit the request's category, and whether the member's
household is the central household (党员中心户) linked to the request's building. Registered
when Django starts (PartyWorkConfig.ready)."""

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import HouseholdLink, PostClaim, PostKind

# The posts that fit a request category, by the category's code or its parent's (the demo's
# two-level categories: 环境卫生 env-…, 市政设施 muni-…, 物业服务 prop-…, 公共安全 safety-…, 民生服务
# life-…, 邻里关系 neigh-…). A category named nowhere here fits no post.
POSTS_FOR_CATEGORY = {
    "env": [PostKind.ENVIRONMENT, PostKind.CIVILITY],
    "muni": [PostKind.SAFETY, PostKind.BUILDING_LEADER],
    "prop": [PostKind.BUILDING_LEADER],
    "safety": [PostKind.SAFETY],
    "life": [PostKind.ELDERLY, PostKind.POLICY],
    "life-consult": [PostKind.POLICY],
    "neigh": [PostKind.MEDIATION, PostKind.CIVILITY],
}


def posts_for_category(category) -> list[str]:
    if category.code in POSTS_FOR_CATEGORY:
        return POSTS_FOR_CATEGORY[category.code]
    parent_code = category.parent.code if category.parent_id else ""
    return POSTS_FOR_CATEGORY.get(parent_code, [])


def annotate_members(request, members):
    """`members` with `claimed_posts` (current claims that fit the request's category) and
    `central_household` (their household keeps contact with the request's building)."""
    today = timezone.localdate()
    claims = (
        PostClaim.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today),
            person_id=OuterRef("pk"),
            start_date__lte=today,
            post__in=posts_for_category(request.category),
        )
        .order_by()
        .values("person_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    members = members.annotate(
        claimed_posts=Coalesce(Subquery(claims, output_field=IntegerField()), Value(0))
    )
    if request.building_id is None:
        return members.annotate(central_household=Value(False))
    links = HouseholdLink.objects.filter(
        central_household_id=OuterRef("membership_unit_id"),
        building_id=request.building_id,
        active=True,
    )
    return members.annotate(central_household=Exists(links))
