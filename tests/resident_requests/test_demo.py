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
