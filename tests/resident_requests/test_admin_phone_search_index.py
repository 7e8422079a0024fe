"""The admin's search by a phone's last 4 digits reads rr_phone_last4_idx on PostgreSQL.

At ten million requests a LIKE '%0002' read every row (2.7 s, README "Load and fault tests");
the search filters on the index's own expression, so the planner can use it. The search's
results are pinned in test_admin.test_search_by_code_and_phone.
"""

import pytest
from django.contrib import admin
from django.db import connection, transaction

from resident_requests.models import ResidentRequest

from .factories import submit

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _search(term):
    model_admin = admin.site._registry[ResidentRequest]
    queryset, _ = model_admin.get_search_results(None, ResidentRequest.objects.all(), term)
    return queryset


def test_the_last_four_digits_are_found_through_their_index(w):
    mine = submit(w, submitter_phone="13700000002")
    submit(w, submitter_phone="13700000003")

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = _search("0002").explain()
        found = list(_search("0002"))

    assert "rr_phone_last4_idx" in plan
    assert found == [mine]
