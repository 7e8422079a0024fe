"""The morning digest's figures per community: open requests and, of them, the overdue ones
(found by `make mutants`: nothing told the overdue count from the on-time one)."""

import pytest

from resident_requests import selectors, services
from resident_requests.models import ResidentRequest

from .factories import submit

pytestmark = pytest.mark.django_db


def test_each_community_counts_its_open_requests_and_the_overdue_ones_among_them(w):
    on_time, late, also_late = submit(w), submit(w), submit(w)
    ResidentRequest.objects.filter(pk__in=[late.pk, also_late.pk]).update(overdue=True)
    rejected = submit(w)
    services.request_reject(request=rejected, actor=w.users["leader"], reason="重复")
    community = on_time.grid.community_id

    assert selectors.open_and_overdue_by_community()[community] == (3, 2)
