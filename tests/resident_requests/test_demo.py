import random

import pytest

from resident_requests import demo
from resident_requests.models import Category, ResidentRequest, Status

pytestmark = pytest.mark.django_db


class Ctx:
    def rng(self, part):
        return random.Random(f"1:{part}")

    def progress(self, message):
        pass


def test_demo_requests_cover_every_state_and_a_second_run_changes_nothing(w):
    demo.load(Ctx())
    states = set(ResidentRequest.objects.values_list("status", flat=True))
    assert states == set(Status.values)
    assert Category.objects.filter(parent__isnull=False).count() >= 20
    # Spread over the past months, with a timeline that starts at submission.
    request = ResidentRequest.objects.order_by("created_at").first()
    assert request.events.order_by("created_at").first().created_at == request.created_at
    count = ResidentRequest.objects.count()
    demo.load(Ctx())
    assert ResidentRequest.objects.count() == count


def test_demo_ratings_keep_a_dissatisfied_first_rating_and_match_the_counters(w):
    from django.db.models import Count, Q, Sum

    from resident_requests.models import SATISFIED_RATINGS, EventKind, RequestRating

    demo.load(Ctx())
    reopened = ResidentRequest.objects.filter(reopened_count__gt=0, status=Status.CLOSED)
    assert reopened.exists()
    request = reopened.first()
    kinds = list(request.events.order_by("created_at", "id").values_list("kind", flat=True))
    assert kinds.count(EventKind.RATED) == 2 and EventKind.REOPENED in kinds
    counted = ResidentRequest.objects.aggregate(
        rated=Sum("rated_count"), sat=Sum("satisfied_count")
    )
    rows = RequestRating.objects.aggregate(
        rated=Count("pk"), sat=Count("pk", filter=Q(rating__in=SATISFIED_RATINGS))
    )
    assert (counted["rated"], counted["sat"]) == (rows["rated"], rows["sat"])
    assert rows["sat"] < rows["rated"]  # the demo's 满意率 is below 100 %
