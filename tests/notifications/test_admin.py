"""The outbox in the admin: filters, the reason of each failure, "send again"."""

import pytest
from django.urls import reverse

from notifications.models import Notification, NotificationStatus
from organization.models import StaffRole
from tests.organization.factories import staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager", "robot_settings")]


def row(status, key, **extra):
    return Notification.objects.create(
        channel="wecom",
        template_key="request.submitted",
        context={"code": "JK-1", "grid": "网格", "category": "垃圾", "deadline": ""},
        status=status,
        idempotency_key=key,
        **extra,
    )


@pytest.fixture
def orgdept(settings):
    from tests.organization.factories import chain

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    district, *_ = chain()
    return staff_user(StaffRole.ORG_DEPARTMENT, unit=district)


def test_the_organization_department_sees_dead_rows_and_why(client, orgdept):
    row(NotificationStatus.DEAD, "a", attempts=5, last_error="HTTP 500 from robot.example")
    row(NotificationStatus.SENT, "b", attempts=1)
    client.force_login(orgdept)
    url = reverse("admin:notifications_notification_changelist")
    response = client.get(url, {"status__exact": "dead"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "HTTP 500 from robot.example" in body
    assert body.count('name="_selected_action"') == 1


def test_send_again_sends_a_dead_row(client, orgdept, webhook, django_capture_on_commit_callbacks):
    dead = row(NotificationStatus.DEAD, "c", attempts=5, last_error="HTTP 500")
    client.force_login(orgdept)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:notifications_notification_changelist"),
            {"action": "send_again", "_selected_action": [dead.pk]},
            follow=True,
        )
    assert response.status_code == 200
    dead.refresh_from_db()
    assert dead.status == NotificationStatus.SENT and dead.attempts == 1
    assert len(webhook.received) == 1


def test_other_roles_do_not_see_the_outbox(client):
    from tests.organization.factories import chain

    _district, street, _c, _g = chain()
    client.force_login(staff_user(StaffRole.STREET_STAFF, unit=street))
    response = client.get(reverse("admin:notifications_notification_changelist"))
    assert response.status_code == 403
