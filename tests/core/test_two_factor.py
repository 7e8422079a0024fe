"""Two-factor sign-in everywhere (core.two_factor): admin, member and to-do sign-in, API token.

A user with a confirmed TOTP device is refused on the password alone and let in with the current
code; wrong codes count for django-axes' lockout; a session that skipped the code is anonymous;
with OTP_REQUIRED_FOR_PRIVILEGED the organization department and superusers set up a device
before any page opens.
"""

from base64 import b32decode

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core import two_factor
from ops.models import AuditAction, AuditEvent
from organization.models import StaffRole
from tests.organization.factories import chain, staff_user

PASSWORD = "pw-for-tests-123"
ADDRESS = "203.0.113.7"
# Pages with residents' personal data that a signed-in organization department opens.
PRIVATE_PAGES = ["/dashboard/", "/party-work/visits-due/", "/member/", "/todo/"]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    # django-otp slows a device down after a wrong code (1 s, 2 s, ...): off, so that a test can
    # give a wrong code and then the right one at once.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def orgdept():
    district, _street, _communities, _grids = chain()
    return staff_user(StaffRole.ORG_DEPARTMENT, unit=district, username="orgdept")


def device_for(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def code_now(device: TOTPDevice, *, key: bytes | None = None) -> str:
    value = totp(key or device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    return "000000" if code_now(device) != "000000" else "111111"


def is_signed_in(client) -> bool:
    """The organization department's dashboard opens (anonymous: sent to sign in)."""
    return client.get("/dashboard/").status_code == 200


def web_client() -> Client:
    client = Client(REMOTE_ADDR=ADDRESS)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- Member and to-do sign-in: a second page after the password ------------------------------

SIGN_INS = [
    ("/member/login/", "/member/"),
    ("/todo/login/", "/todo/"),
]


@pytest.mark.parametrize(("login", "after"), SIGN_INS)
def test_the_password_alone_does_not_sign_in_a_user_with_a_device(orgdept, login, after):
    device = device_for(orgdept)
    client = web_client()
    response = client.post(login, {"username": "orgdept", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/login/code/"
    # Half signed in: no page with personal data opens, the API neither.
    for page in PRIVATE_PAGES:
        assert client.get(page).status_code == 302, page
    assert client.get("/api/v1/notifications/").status_code in (401, 403)
    page = client.get("/login/code/")
    assert page.status_code == 200
    assert "one-time code" in page.content.decode()

    wrong = client.post("/login/code/", {"otp_token": wrong_code(device)})
    assert wrong.status_code == 200
    assert "wrong or has expired" in wrong.content.decode()
    assert not is_signed_in(client)

    right = client.post("/login/code/", {"otp_token": code_now(device)})
    assert right.status_code == 302
    assert right["Location"] == after
    assert client.get(after).status_code == 200
    assert is_signed_in(client)
    assert client.get("/api/v1/notifications/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=orgdept).count() == 1


def test_the_code_page_without_a_password_first_signs_nobody_in(orgdept):
    device = device_for(orgdept)
    client = web_client()
    response = client.post("/login/code/", {"otp_token": code_now(device)})
    assert response.status_code == 302
    assert not is_signed_in(client)


def test_a_half_finished_sign_in_expires_after_five_minutes(orgdept):
    device = device_for(orgdept)
    client = web_client()
    client.post("/todo/login/", {"username": "orgdept", "password": PASSWORD})
    session = client.session
    session[two_factor.PENDING_KEY]["at"] -= two_factor.PENDING_SECONDS + 1
    session.save()
    response = client.post("/login/code/", {"otp_token": code_now(device)})
    assert response.status_code == 302
    assert response["Location"] == "/todo/login/"  # the password again
    assert not is_signed_in(client)


def test_a_user_without_a_device_signs_in_with_the_password(orgdept):
    client = web_client()
    response = client.post("/member/login/", {"username": "orgdept", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/member/"
    assert is_signed_in(client)


def test_wrong_codes_lock_the_login_out_like_wrong_passwords(orgdept):
    device = device_for(orgdept)
    client = web_client()
    client.post("/member/login/", {"username": "orgdept", "password": PASSWORD})
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/login/code/", {"otp_token": wrong_code(device)}).status_code == 200
    assert client.post("/login/code/", {"otp_token": wrong_code(device)}).status_code == 429
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT).exists()
    # Locked: neither the password nor the right code gets in now.
    again = client.post("/member/login/", {"username": "orgdept", "password": PASSWORD})
    assert again.status_code == 429
    assert client.post("/login/code/", {"otp_token": code_now(device)}).status_code != 302
    assert not is_signed_in(client)


def test_wrong_passwords_and_wrong_codes_add_up(orgdept):
    device = device_for(orgdept)
    client = web_client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/member/login/", {"username": "orgdept", "password": "wrong-password"})
    client.post("/member/login/", {"username": "orgdept", "password": PASSWORD})
    assert client.post("/login/code/", {"otp_token": wrong_code(device)}).status_code == 429


# --- The admin: the code on the login form ----------------------------------------------------


def test_wrong_codes_on_the_admin_login_count_for_the_lockout(orgdept):
    device = device_for(orgdept)
    client = web_client()
    form = {"username": "orgdept", "password": PASSWORD, "next": "/admin/"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong = client.post("/admin/login/", {**form, "otp_token": wrong_code(device)})
        assert wrong.status_code == 200
    assert client.post("/admin/login/", form).status_code == 429  # no code: a failure too
    assert client.post("/admin/login/", {**form, "otp_token": code_now(device)}).status_code == 429
    assert client.get("/admin/").status_code == 302


def test_the_admin_login_with_the_code_opens_the_portals_pages_too(orgdept):
    device = device_for(orgdept)
    client = web_client()
    form = {"username": "orgdept", "password": PASSWORD, "next": "/admin/"}
    assert client.post("/admin/login/", form).status_code == 200
    assert not is_signed_in(client)
    assert client.post("/admin/login/", {**form, "otp_token": code_now(device)}).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert is_signed_in(client)


# --- A session that skipped the code ----------------------------------------------------------


def test_a_session_made_without_the_code_is_anonymous_everywhere(orgdept):
    device_for(orgdept)
    client = web_client()
    client.force_login(orgdept)  # as any sign-in path that forgot to ask would
    for page in PRIVATE_PAGES:
        assert client.get(page).status_code == 302, page
    assert client.get("/api/v1/notifications/").status_code in (401, 403)


# --- The API token ----------------------------------------------------------------------------


def token_post(client, **data):
    return client.post(
        "/api/v1/auth/token/", {"username": "orgdept", "password": PASSWORD, **data}, format="json"
    )


def test_the_api_token_needs_the_code_of_a_user_with_a_device(orgdept):
    device = device_for(orgdept)
    client = APIClient(REMOTE_ADDR=ADDRESS, HTTP_ACCEPT_LANGUAGE="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    without = token_post(client)
    assert without.status_code == 401
    assert "token" not in without.json()
    assert "two-factor" in without.json()["detail"]
    assert '"otp"' in without.json()["detail"]
    wrong = token_post(client, otp=wrong_code(device))
    assert wrong.status_code == 401
    assert "wrong or has expired" in wrong.json()["detail"]
    assert not Token.objects.filter(user=orgdept).exists()
    right = token_post(client, otp=code_now(device))
    assert right.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {right.json()['token']}")
    assert client.get("/api/v1/notifications/").status_code == 200


def test_wrong_api_codes_count_for_the_lockout(orgdept):
    device = device_for(orgdept)
    client = APIClient(REMOTE_ADDR=ADDRESS)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert token_post(client, otp=wrong_code(device)).status_code == 401
    assert token_post(client, otp=wrong_code(device)).status_code == 429
    assert token_post(client, otp=code_now(device)).status_code != 200
    assert not Token.objects.filter(user=orgdept).exists()


# --- Privileged users must set up a device (OTP_REQUIRED_FOR_PRIVILEGED) ---------------------


def test_privileged_users_without_a_device_are_sent_to_set_one_up(
    settings, orgdept, django_user_model
):
    old_token = Token.objects.create(user=orgdept)  # from before the setting was on
    settings.OTP_REQUIRED_FOR_PRIVILEGED = True
    root = django_user_model.objects.create_superuser("root", password=PASSWORD)
    for user in (orgdept, root):
        client = web_client()
        client.force_login(user)
        for page in [*PRIVATE_PAGES, "/admin/"]:
            response = client.get(page)
            assert response.status_code == 302, page
            assert response["Location"].startswith("/account/two-factor/?next="), page
        api = client.get("/api/v1/notifications/")
        assert api.status_code == 403
        assert "/account/two-factor/" in api.json()["detail"]
    # The token neither.
    refused = APIClient().post(
        "/api/v1/auth/token/", {"username": "orgdept", "password": PASSWORD}, format="json"
    )
    assert refused.status_code == 403
    assert "two-factor" in refused.json()["detail"]
    with_old_token = APIClient(HTTP_AUTHORIZATION=f"Token {old_token.key}")
    answer = with_old_token.get("/api/v1/notifications/")
    assert answer.status_code == 401
    assert "/account/two-factor/" in answer.json()["detail"]


def test_a_privileged_user_sets_up_a_device_and_goes_on(settings, orgdept):
    settings.OTP_REQUIRED_FOR_PRIVILEGED = True
    old_token = Token.objects.create(user=orgdept)
    client = web_client()
    client.force_login(orgdept)
    page = client.get("/account/two-factor/", {"next": "/dashboard/"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "otpauth://totp/" in html
    secret = page.context["secret"]
    assert secret in html
    device = TOTPDevice.objects.get(user=orgdept)
    assert not device.confirmed
    key = b32decode(secret)

    wrong = client.post("/account/two-factor/", {"otp_token": "12", "next": "/dashboard/"})
    assert wrong.status_code == 200
    assert "wrong or has expired" in wrong.content.decode()
    assert client.get("/dashboard/").status_code == 302

    done = client.post(
        "/account/two-factor/",
        {"otp_token": code_now(device, key=key), "next": "/dashboard/"},
    )
    assert done.status_code == 302
    assert done["Location"] == "/dashboard/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/dashboard/").status_code == 200
    # A token got with the password alone stops working.
    assert not Token.objects.filter(key=old_token.key).exists()
    # From now on the sign-in asks for the code.
    other = web_client()
    response = other.post("/member/login/", {"username": "orgdept", "password": PASSWORD})
    assert response["Location"] == "/login/code/"


def test_other_roles_and_the_setting_off_change_nothing(settings, orgdept):
    _district, _street, (community,), _grids = chain()
    community_staff = staff_user(StaffRole.COMMUNITY_STAFF, unit=community)
    settings.OTP_REQUIRED_FOR_PRIVILEGED = True
    client = web_client()
    client.force_login(community_staff)
    assert client.get("/todo/").status_code == 200
    settings.OTP_REQUIRED_FOR_PRIVILEGED = False
    client = web_client()
    client.force_login(orgdept)
    assert client.get("/dashboard/").status_code == 200


def test_the_setting_is_on_in_production_and_off_in_development():
    from tests.ops.test_settings import PRODUCTION_ENV, _manage

    assert settings.OTP_REQUIRED_FOR_PRIVILEGED is False  # the tests' DEBUG=true
    code = "from django.conf import settings as s; print(s.OTP_REQUIRED_FOR_PRIVILEGED)"
    result = _manage("shell", "-c", code, env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"
