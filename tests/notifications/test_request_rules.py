"""Who is told what, driven through the request workflow's own services (eager tasks)."""

import datetime

import pytest
from django.utils import timezone

from notifications import services
from notifications.messages import SMS_PART_LIMIT, SMS_SINGLE_LIMIT, render
from notifications.models import Notification
from organization.models import Position, Role
from resident_requests import deadlines
from resident_requests import messages as request_messages
from resident_requests import services as workflow
from resident_requests.models import EventKind, HandlingLevel, ResidentRequest, Status

from .factories import RESIDENT_PHONE, submit, world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager")]


@pytest.fixture
def sms_only(settings):
    settings.NOTIFICATIONS_ROUTES = {"resident": ["sms"], "staff": ["sms"], "department": ["sms"]}
    settings.PORTAL_BASE_URL = "https://jk.example.cn"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins
    return settings


@pytest.fixture
def w(sms_only):
    return world()


def phones(template_key: str) -> set[str]:
    return set(
        Notification.objects.filter(template_key=template_key)
        .exclude(channel="inbox")
        .values_list("phone", flat=True)
    )


def texts() -> list[str]:
    return [services.message_for(n).text for n in Notification.objects.all()]


def test_a_new_request_tells_its_grid_leader_and_the_communitys_duty_staff(w):
    request = submit(w)
    assert phones("request.submitted") == {w.leader.phone, "13900000003"}
    row = (
        Notification.objects.filter(template_key="request.submitted")
        .exclude(channel="inbox")
        .first()
    )
    assert row.request_id == request.pk and request.code in services.message_for(row).text


def test_no_message_and_no_context_holds_the_residents_phone(w):
    request = submit(w)
    workflow.request_accept(request=request, actor=w.grid_leader_user)
    workflow.request_resolve(request=request, actor=w.grid_leader_user, note="已清运")
    # The address of the resident's own messages only: receipt, progress, request to rate.
    assert set(
        Notification.objects.filter(phone=RESIDENT_PHONE).values_list("template_key", flat=True)
    ) == {"request.receipt", "request.progress_accepted", "request.resolved"}
    for notification in Notification.objects.all():
        assert RESIDENT_PHONE not in str(notification.context)
    assert not any(RESIDENT_PHONE in text or RESIDENT_PHONE[-4:] in text for text in texts())


def test_dispatch_tells_the_member_with_a_short_link_to_the_order(w, client):
    request = submit(w)
    workflow.request_accept(request=request, actor=w.grid_leader_user)
    workflow.request_dispatch(request=request, actor=w.grid_leader_user, assignee=w.member)
    (row,) = Notification.objects.filter(template_key="request.dispatched").exclude(channel="inbox")
    assert row.phone == w.member.phone and row.recipient_person == w.member
    link = row.context["link"]
    assert link.startswith("https://jk.example.cn/n/")
    response = client.get(link.removeprefix("https://jk.example.cn"))
    assert response.status_code == 302
    assert response["Location"] == f"/member/orders/{request.code}/"


def test_escalation_tells_the_staff_of_the_new_level(w):
    request = submit(w)
    workflow.request_escalate(request=request, actor=w.grid_leader_user, note="需上级协调")
    assert phones("request.escalated") == {"13900000003"}  # community staff
    workflow.request_escalate(request=request, actor=w.community_user, note="需上级协调")
    assert phones("request.escalated") == {"13900000003", "13900000004"}  # + street staff


def test_resolved_tells_the_resident_with_a_link_to_rate_it(w, client):
    request = submit(w)
    workflow.request_accept(request=request, actor=w.grid_leader_user)
    workflow.request_resolve(request=request, actor=w.grid_leader_user, note="已清运")
    (row,) = Notification.objects.filter(template_key="request.resolved").exclude(channel="inbox")
    assert row.phone == RESIDENT_PHONE and row.recipient_person is None
    response = client.get(row.context["link"].removeprefix("https://jk.example.cn"))
    assert response["Location"] == f"/requests/t/{request.access_token}/"


def test_an_unknown_short_link_is_not_found(client, db):
    assert client.get("/n/not-a-token").status_code == 404


def test_a_missed_acceptance_deadline_flags_overdue_tells_up_one_level_and_escalates(w):
    request = submit(w)
    Notification.objects.all().delete()
    ResidentRequest.objects.filter(pk=request.pk).update(
        accept_deadline=timezone.now() - datetime.timedelta(minutes=5)
    )
    result = deadlines.deadlines_check()
    assert result["overdue"] == 1 and result["escalated"] == 1
    request.refresh_from_db()
    # Escalated by the workflow's own service: a new level, fresh deadlines.
    assert request.level == HandlingLevel.COMMUNITY and request.status == Status.SUBMITTED
    kinds = list(request.events.values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.OVERDUE, EventKind.ESCALATED]
    assert phones("request.overdue") == {w.leader.phone}
    assert phones("request.overdue_supervise") == {"13900000003"}
    assert phones("request.escalated") == {"13900000003"}
    # Handled once: the next round finds nothing new.
    assert deadlines.deadlines_check()["overdue"] == 0


def test_a_passed_resolve_deadline_tells_the_member_and_the_community(w):
    request = submit(w)
    workflow.request_accept(request=request, actor=w.grid_leader_user)
    workflow.request_dispatch(request=request, actor=w.grid_leader_user, assignee=w.member)
    ResidentRequest.objects.filter(pk=request.pk).update(
        resolve_deadline=timezone.now() - datetime.timedelta(minutes=1)
    )
    result = deadlines.deadlines_check()
    assert result == {**result, "overdue": 1, "escalated": 0}
    request.refresh_from_db()
    assert request.overdue and request.level == HandlingLevel.GRID
    assert phones("request.overdue") == {w.member.phone}
    assert phones("request.overdue_supervise") == {"13900000003"}


def test_a_reminder_goes_out_24_hours_before_a_deadline_once(w):
    request = submit(w)
    workflow.request_accept(request=request, actor=w.grid_leader_user)
    workflow.request_dispatch(request=request, actor=w.grid_leader_user, assignee=w.member)
    now = timezone.now()
    ResidentRequest.objects.filter(pk=request.pk).update(
        accepted_at=now - datetime.timedelta(hours=50),
        resolve_deadline=now + datetime.timedelta(hours=23),
    )
    assert deadlines.deadlines_check()["reminded"] == 1
    assert phones("request.deadline_soon") == {w.member.phone}
    assert deadlines.deadlines_check()["reminded"] == 0


def test_no_reminder_when_the_deadline_was_set_less_than_a_day_ahead(w):
    submit(w)  # accept within 24 hours: the new-request message already says by when
    assert deadlines.deadlines_check()["reminded"] == 0


def test_the_morning_digest_goes_to_each_community_secretary(w):
    secretary = Position.objects.create(
        person=w.leader, unit=w.community, role=Role.SECRETARY, start_date=datetime.date(2026, 1, 1)
    ).person
    submit(w)
    late = submit(w)
    ResidentRequest.objects.filter(pk=late.pk).update(overdue=True)
    assert deadlines.daily_digests_send() == 1
    (row,) = Notification.objects.filter(template_key="digest.daily").exclude(channel="inbox")
    assert row.phone == secretary.phone
    assert services.message_for(row).text.endswith("未办结诉求2件，其中超期1件。")
    assert deadlines.daily_digests_send() == 0  # once a day


def test_a_fault_in_the_notifications_never_undoes_the_residents_request(w, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("bug in a rule")

    monkeypatch.setattr(request_messages, "event_messages_write", broken)
    request = submit(w)
    assert ResidentRequest.objects.filter(pk=request.pk).exists()
    assert request.events.count() == 1 and Notification.objects.count() == 0


# --- The resident's receipt and progress messages ------------------------------------------------

SUPPORTER_PHONE = "13711112222"
SIGNATURE = "【京口党建】"
RESIDENT_KEYS = [
    "request.receipt",
    "request.progress_accepted",
    "request.progress_dispatched",
    "request.progress_escalated",
    "request.resolved",
    "request.resolved_follower",
]


def keys_for(phone: str) -> list[str]:
    rows = Notification.objects.filter(phone=phone).order_by("pk")
    return [key for key in rows.values_list("template_key", flat=True) if key in RESIDENT_KEYS]


def english(row: Notification) -> str:
    return render(row.template_key, row.context, "en")[1]


def a_full_life(w, **extra):
    """Submitted, "me too", accepted, dispatched to the member, escalated twice, resolved."""
    request = submit(w, **extra)
    workflow.request_support(request=request, phone=SUPPORTER_PHONE)
    workflow.request_accept(request=request, actor=w.grid_leader_user, note="马上安排 张三家")
    workflow.request_dispatch(
        request=request, actor=w.grid_leader_user, assignee=w.member, note="找李党员"
    )
    workflow.request_escalate(request=request, actor=w.grid_leader_user, note="网格处理不了")
    workflow.request_escalate(request=request, actor=w.community_user, note="需上级协调")
    workflow.request_resolve(request=request, actor=w.street_user, note="已清运，张三满意")
    return request


def test_the_resident_gets_a_receipt_with_the_code_and_the_private_link(w, client):
    request = submit(w)
    (row,) = Notification.objects.filter(template_key="request.receipt")
    assert row.phone == RESIDENT_PHONE and row.channel == "sms" and row.request_id == request.pk
    text = english(row)
    assert request.code in text and row.context["link"] in text
    response = client.get(row.context["link"].removeprefix("https://jk.example.cn"))
    assert response["Location"] == f"/requests/t/{request.access_token}/"


def test_progress_reaches_the_resident_and_the_supporters_at_each_step(w):
    request = a_full_life(w)
    progress = ["accepted", "dispatched", "escalated", "escalated"]
    assert keys_for(RESIDENT_PHONE) == [
        "request.receipt",
        *[f"request.progress_{step}" for step in progress],
        "request.resolved",
    ]
    # The supporter: the same progress, never the receipt or the private link to rate.
    assert keys_for(SUPPORTER_PHONE) == [
        *[f"request.progress_{step}" for step in progress],
        "request.resolved_follower",
    ]
    for row in Notification.objects.filter(phone=SUPPORTER_PHONE):
        assert request.access_token not in str(row.context)
        assert "link" not in row.context or row.template_key == "request.supported"


def test_a_dispatch_names_the_member_by_role_and_surname_and_escalation_names_the_level(w):
    request = a_full_life(w)
    (dispatched,) = Notification.objects.filter(
        template_key="request.progress_dispatched", phone=RESIDENT_PHONE
    )
    text = english(dispatched)
    assert "party member 李" in text and w.member.name not in text  # 李党员
    escalated = Notification.objects.filter(
        template_key="request.progress_escalated", phone=RESIDENT_PHONE
    ).order_by("pk")
    assert ["the community" in english(r) for r in escalated] == [True, False]
    assert "the street office" in english(escalated[1])
    assert request.code in text


def test_an_opted_out_resident_gets_no_progress_but_the_receipt_and_the_request_to_rate(w):
    from resident_requests import services as request_services

    request = submit(w)
    workflow.request_support(request=request, phone=SUPPORTER_PHONE)
    request_services.request_set_progress_sms(request=request, enabled=False)
    workflow.request_accept(request=request, actor=w.grid_leader_user)
    assert keys_for(RESIDENT_PHONE) == ["request.receipt"]
    assert keys_for(SUPPORTER_PHONE) == ["request.progress_accepted"]  # supporters still hear
    workflow.request_resolve(request=request, actor=w.grid_leader_user, note="已清运")
    assert keys_for(RESIDENT_PHONE) == ["request.receipt", "request.resolved"]
    # Turned on again: the next step is told.
    request_services.request_set_progress_sms(request=request, enabled=True)
    workflow.request_rate(request=request, rating="dissatisfied")  # reopened, one level up
    assert keys_for(RESIDENT_PHONE)[-1] == "request.progress_escalated"


def test_no_resident_message_holds_a_name_a_phone_or_free_text(w):
    a_full_life(w)  # 张三, 13812345678, "楼下垃圾三天没人清运" (factories.submit)
    private = [
        "张三",
        RESIDENT_PHONE,
        RESIDENT_PHONE[-4:],
        SUPPORTER_PHONE,
        "楼下垃圾",
        "马上安排",
        "找李党员",
        "李党员",
        "网格处理不了",
        "已清运",
    ]
    rows = Notification.objects.filter(phone__in=[RESIDENT_PHONE, SUPPORTER_PHONE])
    assert rows.count() >= 11
    for row in rows:
        texts = [render(row.template_key, row.context, lang)[1] for lang in ("en", "zh-hans")]
        for value in private:
            assert value not in str(row.context), (row.template_key, value)
            assert all(value not in text for text in texts), (row.template_key, value)


def test_every_resident_message_fits_one_sms_in_chinese(w, settings):
    """Rendered as sent (Chinese), with a real code and short link on a 23-character portal
    address: one SMS each, the receipt two parts (its code and link leave no room for words)."""
    settings.PORTAL_BASE_URL = "https://jkdj.jingkou.cn"
    a_full_life(w)
    rows = Notification.objects.filter(phone__in=[RESIDENT_PHONE, SUPPORTER_PHONE])
    assert {row.template_key for row in rows} >= set(RESIDENT_KEYS)
    for row in rows:
        text = SIGNATURE + services.message_for(row).text
        limit = 2 * SMS_PART_LIMIT if row.template_key == "request.receipt" else SMS_SINGLE_LIMIT
        assert len(text) <= limit, text
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text.replace(SIGNATURE, "")), text
