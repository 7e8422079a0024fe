"""我的待办 (/todo/): each role sees exactly what it must act on, by deadline, with markers, in
a fixed number of queries; the members' order list gets the same markers and order."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from resident_requests import services
from resident_requests.models import HandlingLevel, ResidentRequest, Status
from resident_requests.selectors import requests_visible_to, transitions_available
from resident_requests.todo import todo_count, todo_for

from .factories import at_level, submit

pytestmark = pytest.mark.django_db
TODO = reverse("resident_requests:todo")


def rows_of(user):
    return {(row.action, row.code) for row in todo_for(user).rows}


def assert_runnable(user):
    """Every row is a request the user sees (the one visibility rule) and a transition the user
    may run now (transitions_available), the call-back (回访) included."""
    for row in todo_for(user).rows:
        request = ResidentRequest.objects.get(pk=row.request_id)
        assert requests_visible_to(user, assigned=True).filter(pk=request.pk).exists()
        names = {t.name for t in transitions_available(user, request)}
        assert row.action in names, (row.action, row.code, names)


def dispatched(w, *, building_index=0, member_index=0):
    request = at_level(w, HandlingLevel.GRID, building_index=building_index)
    leader = w.users[["leader", "leader_b", "leader_c"][building_index]]
    services.request_dispatch(request=request, actor=leader, assignee=w.members[member_index])
    request.refresh_from_db()
    return request


def test_grid_leader_sees_accept_and_dispatch_in_its_grid_only(w):
    new = submit(w, building_index=0)
    accepted = at_level(w, HandlingLevel.GRID, building_index=0)
    other_grid = submit(w, building_index=1)
    other_accepted = at_level(w, HandlingLevel.GRID, building_index=1)
    up = at_level(w, HandlingLevel.COMMUNITY, building_index=0)  # now the community's

    assert rows_of(w.users["leader"]) == {("accept", new.code), ("dispatch", accepted.code)}
    assert rows_of(w.users["leader_b"]) == {
        ("accept", other_grid.code),
        ("dispatch", other_accepted.code),
    }
    # The community acts on what is at its level, not on the grids' own work.
    assert rows_of(w.users["community"]) == {("dispatch", up.code)}
    assert rows_of(w.users["community2"]) == set()
    assert rows_of(w.users["dept"]) == set()
    for who in ("leader", "leader_b", "community"):
        assert_runnable(w.users[who])


def test_an_overdue_order_is_the_leaders_to_escalate(w):
    late = dispatched(w)
    on_time = dispatched(w)
    ResidentRequest.objects.filter(pk=late.pk).update(
        resolve_deadline=timezone.now() - datetime.timedelta(hours=1)
    )
    assert rows_of(w.users["leader"]) == {("escalate", late.code)}
    assert on_time.code not in {code for _a, code in rows_of(w.users["leader"])}
    assert_runnable(w.users["leader"])


def test_department_sees_its_report_in_then_its_part_to_do(w):
    request = at_level(w, HandlingLevel.DEPARTMENT, building_index=2)
    assert rows_of(w.users["dept"]) == {("acknowledge", request.code)}
    assert rows_of(w.users["dept2"]) == {("acknowledge", request.code)}
    assert rows_of(w.users["leader_c"]) == set()
    assert rows_of(w.users["street"]) == set()  # waiting on the departments
    assert_runnable(w.users["dept"])

    services.department_acknowledge(request=request, department=w.department, actor=w.users["dept"])
    assert rows_of(w.users["dept"]) == {("department_done", request.code)}
    assert rows_of(w.users["dept2"]) == {("acknowledge", request.code)}
    assert_runnable(w.users["dept"])


def test_member_sees_its_orders_to_take_then_to_report_done(w):
    mine = dispatched(w, member_index=0)
    other = dispatched(w, building_index=1, member_index=1)
    member, other_member = w.members[0].user, w.members[1].user
    assert rows_of(member) == {("take", mine.code)}
    assert rows_of(other_member) == {("take", other.code)}
    assert_runnable(member)

    services.request_take(request=mine, actor=member)
    assert rows_of(member) == {("resolve", mine.code)}
    assert_runnable(member)
    row = todo_for(member).rows[0]
    assert row.url == reverse("resident_requests:member_order", args=[mine.code])


def test_community_calls_back_resolved_requests_not_rated(w):
    request = dispatched(w)
    member = w.members[0].user
    services.request_take(request=request, actor=member)
    services.request_resolve(request=request, actor=member, note="已修好。")
    assert rows_of(w.users["community"]) == {("callback", request.code)}
    assert rows_of(w.users["community2"]) == set()
    assert rows_of(w.users["leader"]) == set()
    assert_runnable(w.users["community"])
    request.refresh_from_db()
    services.request_rate(request=request, rating="satisfied")
    assert rows_of(w.users["community"]) == set()


def test_markers_by_deadline_and_soonest_first(w, settings):
    now = timezone.now()
    later, soon, overdue = (submit(w) for _ in range(3))
    for request, hours in ((later, 50), (soon, 5), (overdue, -2)):
        ResidentRequest.objects.filter(pk=request.pk).update(
            accept_deadline=now + datetime.timedelta(hours=hours)
        )
    rows = todo_for(w.users["leader"]).rows
    assert [r.code for r in rows] == [overdue.code, soon.code, later.code]
    assert [r.marker.key for r in rows] == ["overdue", "soon", "later"]

    settings.TODO_DUE_SOON_HOURS = 72
    assert [r.marker.key for r in todo_for(w.users["leader"]).rows] == ["overdue", "soon", "soon"]


def test_page_lists_rows_with_links_and_counts_in_the_title(client, w):
    accepted = at_level(w, HandlingLevel.GRID)
    new = submit(w)
    ResidentRequest.objects.filter(pk=new.pk).update(
        accept_deadline=timezone.now() - datetime.timedelta(hours=1)
    )
    client.force_login(w.users["leader"])
    response = client.get(TODO)
    assert response.status_code == 200
    html = response.content.decode()
    with translation.override("zh-hans"):
        title = gettext("My to-do (%(count)s)") % {"count": 2}
    assert f"<title>{title}" in html
    assert html.index(new.code) < html.index(accepted.code)  # the overdue one first
    change = reverse("admin:resident_requests_residentrequest_change", args=[new.pk])
    dispatch = reverse(
        "admin:resident_requests_residentrequest_transition", args=[accepted.pk, "dispatch"]
    )
    assert f'href="{change}"' in html and f'href="{dispatch}"' in html
    assert "todo-overdue" in html and new.building.address in html
    assert todo_count(w.users["leader"]) == 2


def test_query_count_does_not_grow_with_the_data(client, w):
    submit(w)
    at_level(w, HandlingLevel.GRID)
    user = w.users["leader"]
    client.force_login(user)
    client.get(TODO)
    with CaptureQueriesContext(connection) as few:
        assert len(todo_for(user).rows) == 2
    with CaptureQueriesContext(connection) as page_few:
        client.get(TODO)
    for _ in range(8):
        submit(w)
        at_level(w, HandlingLevel.GRID)
        dispatched(w)
    with CaptureQueriesContext(connection) as many:
        assert len(todo_for(user).rows) == 18
    with CaptureQueriesContext(connection) as page_many:
        client.get(TODO)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(page_many.captured_queries) == len(page_few.captured_queries)


def test_anonymous_is_sent_to_sign_in(client, w):
    response = client.get(TODO)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("resident_requests:todo_login"))
    member = w.members[0].user
    response = client.post(
        response["Location"], {"username": member.username, "password": "pw-for-tests-123"}
    )
    assert response.status_code == 302 and response["Location"] == TODO


def test_admin_header_and_index_lead_to_the_todo(client, w):
    submit(w)
    client.force_login(w.users["leader"])
    html = client.get(reverse("admin:index")).content.decode()
    assert f'href="{TODO}"' in html
    with translation.override("zh-hans"):
        entry = gettext("My to-do (%(count)s)") % {"count": 1}
    assert entry in html
    changelist = reverse("admin:resident_requests_residentrequest_changelist")
    assert f'href="{TODO}"' in client.get(changelist).content.decode()


def test_member_orders_show_codes_and_markers_oldest_deadline_first(client, w):
    now = timezone.now()
    overdue, later = dispatched(w), dispatched(w)  # the later one dispatched last
    ResidentRequest.objects.filter(pk=later.pk).update(resolve_deadline=now + timedelta_h(60))
    ResidentRequest.objects.filter(pk=overdue.pk).update(resolve_deadline=now - timedelta_h(3))
    client.force_login(w.members[0].user)
    html = client.get(reverse("resident_requests:member_orders")).content.decode()
    assert html.index(overdue.code) < html.index(later.code)
    assert 'class="todo-marker todo-overdue"' in html
    assert 'class="todo-marker todo-later"' in html


def timedelta_h(hours):
    return datetime.timedelta(hours=hours)


@pytest.mark.browser
def test_leader_follows_a_todo_row_to_dispatch_at_1366(
    transactional_db, settings, tmp_path, browser, live_server
):
    from .factories import world as make_world

    settings.MEDIA_ROOT = tmp_path / "media"
    w = make_world()
    accepted = at_level(w, HandlingLevel.GRID)
    submit(w)  # an acceptance waiting too
    leader = w.users["leader"]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", leader.username)
        page.fill("#id_password", "pw-for-tests-123")
        page.click("input[type=submit]")
        page.click(f"#user-tools a[href='{TODO}']")
        assert "（2）" in page.title() or "(2)" in page.title()
        page.screenshot(path=str(tmp_path / "todo-1366.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        row = page.locator(f"li.todo-row[data-code='{accepted.code}'][data-action='dispatch']")
        row.locator("a.todo-action").click()
        page.select_option("#id_assignee", str(w.members[0].pk))
        page.click("input[type=submit].default")
        page.wait_for_selector(".messagelist .success")
        accepted.refresh_from_db()
        assert accepted.status == Status.DISPATCHED
        page.goto(f"{live_server.url}{TODO}")
        assert page.locator("li.todo-row").count() == 1  # only the acceptance is left
        assert errors == []
    finally:
        context.close()


@pytest.mark.browser
def test_todo_reads_at_a_phones_width(
    transactional_db, settings, tmp_path, phone_page, live_server
):
    from .factories import world as make_world

    settings.MEDIA_ROOT = tmp_path / "media"
    w = make_world()
    for hours in (-3, 5, 60):
        request = submit(w)
        ResidentRequest.objects.filter(pk=request.pk).update(
            accept_deadline=timezone.now() + datetime.timedelta(hours=hours)
        )
    page = phone_page
    page.goto(f"{live_server.url}{reverse('resident_requests:todo_login')}?next={TODO}")
    page.fill("#id_username", w.users["leader"].username)
    page.fill("#id_password", "pw-for-tests-123")
    page.click("form.member-login button[type=submit]")
    page.wait_for_selector("li.todo-row")
    assert page.locator("li.todo-row").count() == 3
    assert [
        page.locator("li.todo-row .todo-marker").nth(i).get_attribute("class") for i in range(3)
    ] == [
        "todo-marker todo-overdue",
        "todo-marker todo-soon",
        "todo-marker todo-later",
    ]
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "todo-360.png"), full_page=True)
    assert page.console_errors == []


def test_superuser_acts_as_every_handler_and_department(w, django_user_model):
    new = submit(w, building_index=2)
    accepted = at_level(w, HandlingLevel.COMMUNITY, building_index=1)
    with_departments = at_level(w, HandlingLevel.DEPARTMENT)
    admin = django_user_model.objects.create_superuser("boss", password="pw-for-tests-123")
    assert rows_of(admin) == {
        ("accept", new.code),
        ("dispatch", accepted.code),
        ("acknowledge", with_departments.code),  # one row per department called in
    }
    assert len(todo_for(admin).rows) == todo_for(admin).total == 4
    assert_runnable(admin)
