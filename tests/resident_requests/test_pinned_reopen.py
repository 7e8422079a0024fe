"""Reopening, pinned where a mutation run of resident_requests/services.py found no test
holding it: a second 不满意 counts a second reopening, and a request reopened at the
department level asks each department to report again, forgetting who reported last time."""

import pytest

from resident_requests import services
from resident_requests.models import EventKind, HandlingLevel, Rating, Status

from .factories import at_level, submit

pytestmark = pytest.mark.django_db


def test_every_dissatisfied_rating_counts_one_more_reopening(w):
    request = submit(w)
    leader, community = w.users["leader"], w.users["community"]
    services.request_accept(request=request, actor=leader)
    services.request_resolve(request=request, actor=leader, note="修好了")
    services.request_rate(request=request, rating=Rating.DISSATISFIED)
    request.refresh_from_db()
    services.request_resolve(request=request, actor=community, note="又修了一次")
    request.refresh_from_db()

    services.request_rate(request=request, rating=Rating.DISSATISFIED)

    request.refresh_from_db()
    assert request.reopened_count == 2
    assert request.events.filter(kind=EventKind.REOPENED).count() == 2


def test_reopened_with_the_departments_each_reports_again_from_scratch(w):
    request = at_level(w, HandlingLevel.DEPARTMENT)
    for department, user in ((w.department, "dept"), (w.other_department, "dept2")):
        services.department_report_done(
            request=request, department=department, actor=w.users[user], note="已处理"
        )
    request.refresh_from_db()
    assert request.status == Status.RESOLVED

    services.request_rate(request=request, rating=Rating.DISSATISFIED)

    links = list(request.department_links.values_list("reported_done_at", "reported_done_by"))
    assert links == [(None, None), (None, None)]
