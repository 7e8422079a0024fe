"""Staff login: lockout after repeated failures (django-axes), optional TOTP, session expiry."""

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ops.models import AuditAction, AuditEvent

PASSWORD = "pw-for-tests-123"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("staffer", password=PASSWORD, is_staff=True)


def _login(client, username, password, **extra):
    return client.post(
        "/admin/login/",
        {"username": username, "password": password, "next": "/admin/", **extra},
        REMOTE_ADDR="203.0.113.9",
    )


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_login_out_and_are_logged(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _login(client, "staffer", "wrong-password")
        assert response.status_code == 200  # the form again, with its error
    locked = _login(client, "staffer", "wrong-password")
    assert locked.status_code == 429
    # Even the right password is refused while the lock lasts.
    assert _login(client, "staffer", PASSWORD).status_code == 429
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count(AuditAction.LOGIN_FAILED) >= settings.AXES_FAILURE_LIMIT
    assert AuditAction.LOCKED_OUT in actions
    assert AuditAction.LOGIN not in actions


@pytest.mark.django_db
def test_the_lock_is_per_login_and_address_so_others_still_get_in(client, staff, django_user_model):
    django_user_model.objects.create_user("colleague", password=PASSWORD, is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "staffer", "wrong-password")
    assert _login(Client(), "colleague", PASSWORD).status_code == 302
    other_address = Client().post(
        "/admin/login/",
        {"username": "staffer", "password": PASSWORD, "next": "/admin/"},
        REMOTE_ADDR="198.51.100.20",
    )
    assert other_address.status_code == 302


@pytest.mark.django_db
def test_a_good_login_is_audited_and_staff_sessions_expire(client, staff):
    response = _login(client, "staffer", PASSWORD)
    assert response.status_code == 302
    assert client.session.get_expiry_age() == settings.STAFF_SESSION_SECONDS
    event = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert event.actor_username == "staffer"
    assert event.ip_address == "203.0.113.9"
    client.post("/admin/logout/")
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=staff).exists()


@pytest.mark.django_db
def test_the_test_clients_logins_still_work(staff):
    client = Client()
    assert client.login(username="staffer", password=PASSWORD)
    assert client.get("/admin/").status_code == 200
    other = Client()
    other.force_login(staff)
    assert other.get("/admin/").status_code == 200


def _device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _current_code(device: TOTPDevice) -> str:
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


@pytest.mark.django_db
def test_staff_with_a_totp_device_must_give_the_code(client, staff):
    device = _device(staff)
    without = _login(client, "staffer", PASSWORD)
    assert without.status_code == 200
    assert not without.wsgi_request.user.is_authenticated
    good = _login(client, "staffer", PASSWORD, otp_token=_current_code(device))
    assert good.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_wrong_one_time_code_is_refused(client, staff):
    device = _device(staff)
    wrong_code = "000000" if _current_code(device) != "000000" else "111111"
    wrong = _login(client, "staffer", PASSWORD, otp_token=wrong_code)
    assert wrong.status_code == 200
    assert not wrong.wsgi_request.user.is_authenticated
    assert wrong.context["form"].non_field_errors()


@pytest.mark.django_db
def test_staff_without_a_device_log_in_with_the_password_alone(client, staff):
    assert _login(client, "staffer", PASSWORD).status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_session_that_skipped_the_second_factor_does_not_open_the_admin(staff):
    _device(staff)
    client = Client()
    client.force_login(staff)  # a session made without the one-time code
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
