"""Triage in the admin: scoped lists, masked phones, disclosures, transition pages."""

import pytest
from django.urls import reverse

from core.privacy import mask_phone
from resident_requests import services
from resident_requests.models import (
    EventKind,
    HandlingLevel,
    PhoneDisclosure,
    ReplyTemplate,
    RequestType,
    ResidentRequest,
    Status,
)

from .factories import PHONE, at_level, submit, upload

pytestmark = pytest.mark.django_db
LIST = reverse("admin:resident_requests_residentrequest_changelist")


def change_url(request):
    return reverse("admin:resident_requests_residentrequest_change", args=[request.pk])


def transition_url(request, name):
    return reverse("admin:resident_requests_residentrequest_transition", args=[request.pk, name])


def listed_codes(client):
    response = client.get(LIST)
    assert response.status_code == 200
    return {r.code for r in response.context["cl"].result_list}


def test_each_role_lists_only_its_scope(client, w):
    a = submit(w, building_index=0)
    b = submit(w, building_index=1)
    c = submit(w, building_index=2)
    escalated = at_level(w, HandlingLevel.DEPARTMENT, building_index=2)
    expected = {
        "org": {a.code, b.code, c.code, escalated.code},
        "street": {a.code, b.code, c.code, escalated.code},
        "community": {a.code, b.code},
        "community2": {c.code, escalated.code},
        "leader": {a.code},
        "leader_b": {b.code},
        "dept": {escalated.code},
    }
    for who, codes in expected.items():
        client.force_login(w.users[who])
        assert listed_codes(client) == codes, who


def test_out_of_scope_detail_and_transition_pages_are_not_found(client, w):
    request = submit(w, building_index=2)
    client.force_login(w.users["leader"])
    assert client.get(change_url(request)).status_code in (302, 404)
    response = client.post(transition_url(request, "accept"))
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == Status.SUBMITTED


def test_list_masks_phones_and_detail_records_each_display(client, w):
    request = submit(w)
    client.force_login(w.users["leader"])
    html = client.get(LIST).content.decode()
    assert PHONE not in html and mask_phone(PHONE) in html
    assert not PhoneDisclosure.objects.exists()
    html = client.get(change_url(request)).content.decode()
    assert PHONE in html
    client.get(change_url(request))
    disclosures = PhoneDisclosure.objects.filter(request=request, user=w.users["leader"])
    assert disclosures.count() == 2


def test_search_by_code_and_phone(client, w):
    request = submit(w)
    other = submit(w, submitter_phone="13700000002")
    client.force_login(w.users["community"])
    for term, found in [
        (request.code.lower(), {request.code}),
        (PHONE, {request.code}),
        ("0002", {other.code}),
        ("JK-19990101", set()),
    ]:
        response = client.get(LIST, {"q": term})
        assert {r.code for r in response.context["cl"].result_list} == found, term


def test_filters_and_overdue_highlight(client, w):
    from django.utils import timezone

    late = submit(w)
    ResidentRequest.objects.filter(pk=late.pk).update(
        overdue=True, accept_deadline=timezone.now() - timezone.timedelta(hours=1)
    )
    submit(w, category=w.other_category)
    client.force_login(w.users["community"])
    response = client.get(LIST, {"overdue": "yes"})
    assert [r.code for r in response.context["cl"].result_list] == [late.code]
    assert "rr-overdue" in response.content.decode()
    response = client.get(LIST, {"category": w.other_category.pk})
    assert len(response.context["cl"].result_list) == 1
    for params in [
        {"status": "submitted"},
        {"level": "grid"},
        {"grid": w.grids[0].pk},
        {"street": w.street.pk},
    ]:
        assert client.get(LIST, params).status_code == 200


def test_changelist_query_count_does_not_grow_with_rows(client, w, django_assert_max_num_queries):
    for _ in range(3):
        submit(w)
    client.force_login(w.users["community"])
    client.get(LIST)
    with django_assert_max_num_queries(20) as few:
        client.get(LIST)
    for _ in range(20):
        submit(w)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(LIST)


def test_bulk_accept_from_the_list(client, w):
    mine = [submit(w), submit(w)]
    accepted = at_level(w, HandlingLevel.GRID)
    client.force_login(w.users["leader"])
    response = client.post(
        LIST,
        {
            "action": "accept_selected",
            "_selected_action": [r.pk for r in [*mine, accepted]],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert set(
        ResidentRequest.objects.filter(pk__in=[r.pk for r in mine]).values_list("status", flat=True)
    ) == {Status.ACCEPTED}
    assert accepted.events.filter(kind=EventKind.ACCEPTED).count() == 1  # not twice


def test_admin_carries_a_request_through_every_state(client, w):
    request = submit(w)
    client.force_login(w.users["leader"])
    page = client.get(change_url(request)).content.decode()
    assert transition_url(request, "accept") in page
    client.post(transition_url(request, "accept"))
    # Dispatch page lists the grid's members only.
    response = client.get(transition_url(request, "dispatch"))
    choices = list(response.context["form"].fields["assignee"].queryset)
    assert choices == [w.members[0]]
    client.post(transition_url(request, "dispatch"), {"assignee": w.members[0].pk})
    request.refresh_from_db()
    assert request.status == Status.DISPATCHED and request.assignee == w.members[0]
    # The leader escalates; the community resolves with a reply template.
    client.post(transition_url(request, "escalate"), {"note": "需社区协调"})
    request.refresh_from_db()
    assert request.level == HandlingLevel.COMMUNITY
    template = ReplyTemplate.objects.create(
        title="已处理", text="已上门处理完毕。", for_status=Status.RESOLVED
    )
    client.force_login(w.users["community"])
    response = client.post(
        transition_url(request, "resolve"),
        {"template": template.pk, "note": "", "photos": [upload("a.jpg"), upload("b.jpg")]},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.RESOLVED and request.resolution_note == "已上门处理完毕。"
    assert request.photos.count() == 2


def test_admin_resolve_refuses_a_bad_photo_with_a_message(client, w):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    client.force_login(w.users["leader"])
    response = client.post(
        transition_url(request, "resolve"),
        {"note": "好了", "photos": [upload("x.jpg", b"not an image", "image/jpeg")]},
    )
    assert response.status_code == 200 and "x.jpg" in response.content.decode()
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED and not request.photos.exists()


def test_stale_transition_in_admin_shows_a_message(client, w):
    request = submit(w)
    client.force_login(w.users["leader"])
    services.request_accept(request=request, actor=w.users["community"])
    response = client.post(transition_url(request, "accept"), follow=True)
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any(request.code in m for m in messages)
    assert request.events.filter(kind=EventKind.ACCEPTED).count() == 1


def test_reject_needs_a_reason_in_admin(client, w):
    request = submit(w)
    client.force_login(w.users["leader"])
    response = client.post(transition_url(request, "reject"), {"note": ""})
    assert response.status_code == 200 and response.context["form"].errors
    request.refresh_from_db()
    assert request.status == Status.SUBMITTED


def test_department_staff_report_in_and_done_from_the_admin(client, w):
    request = at_level(w, HandlingLevel.DEPARTMENT)
    client.force_login(w.users["dept"])
    page = client.get(change_url(request)).content.decode()
    assert transition_url(request, "acknowledge") in page
    assert transition_url(request, "dispatch") not in page
    client.post(transition_url(request, "acknowledge"), {"department": w.department.pk})
    client.post(
        transition_url(request, "department_done"),
        {"department": w.department.pk, "note": "已修复"},
    )
    link = request.department_links.get(department=w.department)
    assert link.acknowledged_at and link.reported_done_at
    # Not the other department's part.
    response = client.post(
        transition_url(request, "department_done"),
        {"department": w.other_department.pk, "note": "x"},
    )
    assert response.status_code == 200 and response.context["form"].errors


def test_staff_enter_a_walk_in_request(client, w):
    client.force_login(w.users["leader"])
    response = client.post(
        reverse("admin:resident_requests_residentrequest_add"),
        {
            "channel": "walk_in",
            "submitter_name": "张大爷",
            "submitter_phone": "13600000000",
            "building": w.buildings[0].pk,
            "address": "",
            "category": w.category.pk,
            "request_type": "complaint",
            "description": "到服务站反映楼道灯不亮",
        },
    )
    assert response.status_code == 302
    request = ResidentRequest.objects.get()
    assert request.channel == "walk_in" and request.created_by == w.users["leader"]
    assert request.request_type == "complaint" and not request.public_allowed
    assert request.events.get().actor == w.users["leader"]


def test_change_page_shows_the_kind_and_the_public_choice(client, w):
    request = submit(w, request_type=RequestType.COMPLAINT, public_allowed=True)
    client.force_login(w.users["leader"])
    page = client.get(change_url(request))
    html = page.content.decode()
    row_class = "field-request_type field-public_allowed field-public_approved_at"
    assert f'class="form-row {row_class}"' in html
    row = html.split(row_class, 1)[1].split("form-row", 1)[0]
    assert str(RequestType.COMPLAINT.label) in row
    assert 'alt="True"' in row  # the admin's "yes" icon for public_allowed
