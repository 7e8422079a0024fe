"""The resident's own pages: the receipt after the form, tracking by a loosely typed code, turning
progress messages off, and "my requests" by phone number with a code by SMS."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from core.privacy import mask_phone
from notifications.messages import open_code
from notifications.models import Notification
from ops.services import requests_anonymize_expired
from resident_requests import services, views
from resident_requests.forms import new_form_token
from resident_requests.models import PhoneVerification, ResidentRequest

from .factories import PHONE, submit

pytestmark = pytest.mark.django_db
TRACK = reverse("resident_requests:track")
MINE = reverse("resident_requests:mine")
MINE_CODE = reverse("resident_requests:mine_code")
OTHER_PHONE = "13700000009"


def html(response) -> str:
    return response.content.decode()


def sms_code(phone: str = PHONE) -> str:
    """The code of the latest SMS to `phone`, as the resident reads it."""
    row = Notification.objects.filter(phone=phone, template_key="resident.phone_code").latest("pk")
    return open_code(row.context["otp_sealed"], row.context["otp_nonce"])


def ask_code(client, phone: str = PHONE, **extra):
    return client.post(MINE, {"phone": phone}, **extra)


def verified(client, phone: str = PHONE):
    assert ask_code(client, phone).status_code == 302
    response = client.post(MINE_CODE, {"code": sms_code(phone)})
    assert response.status_code == 302 and response["Location"] == MINE
    return client


# --- The receipt ---------------------------------------------------------------------------------


def test_after_the_form_the_receipt_with_the_code_is_in_the_outbox(client, w):
    data = {
        "name": "李阿姨",
        "phone": PHONE,
        "building_text": w.buildings[0].address,
        "building": w.buildings[0].pk,
        "category": w.category.pk,
        "description": "楼下路灯坏了一个星期，晚上很黑。",
        "consent": "on",
        "form_token": new_form_token(),
        "confirm_new": "1",
    }
    response = client.post(reverse("resident_requests:new"), data)
    assert response.status_code == 302
    request = ResidentRequest.objects.get()
    (row,) = Notification.objects.filter(template_key="request.receipt")
    assert row.phone == PHONE and row.request_id == request.pk
    assert row.context["code"] == request.code
    # Its link opens the resident's own tracking page.
    target = client.get(urlsplit(row.context["link"]).path)
    assert target["Location"] == reverse("resident_requests:token", args=[request.access_token])


# --- Tracking by a loosely typed code ------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code.replace("-", "").lower(),  # jk20261125abcdefghj
        lambda code: " ".join(code.split("-")),  # JK 20261125 ABCDEFGHJ
        lambda code: f"  {code.lower()} ",
        lambda code: code.replace("-", " - "),
        # Full-width, as a Chinese input method may type it.
        lambda code: "".join(chr(ord(ch) + 0xFEE0) if ch.isalnum() else ch for ch in code),
    ],
)
def test_the_code_may_be_typed_without_dashes_with_spaces_or_in_lower_case(client, w, typed):
    request = submit(w)
    response = client.post(TRACK, {"code": typed(request.code), "phone_last4": PHONE[-4:]})
    assert response.status_code == 302
    assert response["Location"] == reverse("resident_requests:token", args=[request.access_token])


def test_a_failed_look_up_keeps_the_code_and_the_digits_typed(client, w):
    request = submit(w)
    typed = request.code.lower()[:-1] + "z"
    response = client.post(TRACK, {"code": typed, "phone_last4": "4321"})
    assert response.status_code == 200 and 'id="not-found"' in html(response)
    assert f'value="{typed}"' in html(response) and 'value="4321"' in html(response)


def test_a_malformed_phone_digit_field_says_what_to_type(client, w):
    submit(w)
    response = client.post(TRACK, {"code": "JK-X", "phone_last4": "12a4"})
    assert response.status_code == 200
    assert gettext("Enter the last 4 digits of your phone, e.g. 5678.") in html(response)


def test_the_tracking_page_links_to_my_requests_and_so_does_the_home_page(client, db):
    assert f'href="{MINE}"' in html(client.get(TRACK))
    assert f'href="{MINE}"' in html(client.get(reverse("home")))


# --- Progress messages on or off -----------------------------------------------------------------


def test_the_resident_turns_progress_messages_off_and_on_with_one_button(client, w):
    request = submit(w)
    page = reverse("resident_requests:token", args=[request.access_token])
    assert 'name="progress_sms" value="off"' in html(client.get(page))
    response = client.post(page, {"progress_sms": "off"}, follow=True)
    request.refresh_from_db()
    assert not request.progress_sms
    assert 'name="progress_sms" value="on"' in html(response)
    # An opted-out resident is not told of the acceptance.
    services.request_accept(request=request, actor=w.users["leader"])
    assert not Notification.objects.filter(
        phone=PHONE, template_key="request.progress_accepted"
    ).exists()
    client.post(page, {"progress_sms": "on"})
    request.refresh_from_db()
    assert request.progress_sms


def test_the_button_is_gone_once_the_request_is_finished(client, w):
    request = submit(w)
    services.request_reject(request=request, actor=w.users["leader"], reason="不属于社区事务")
    page = reverse("resident_requests:token", args=[request.access_token])
    assert 'name="progress_sms"' not in html(client.get(page))


# --- My requests by phone ------------------------------------------------------------------------


def test_a_code_by_sms_then_the_phones_requests_with_their_private_or_public_links(client, w):
    mine = submit(w)
    followed = submit(w, submitter_phone=OTHER_PHONE, building_index=2)
    services.request_support(request=followed, phone=PHONE)
    others = submit(w, submitter_phone="13600000001", building_index=1)
    assert 'name="phone"' in html(client.get(MINE))

    response = ask_code(client)
    assert response.status_code == 302 and response["Location"] == MINE_CODE
    step2 = html(client.get(MINE_CODE))
    assert PHONE not in step2 and PHONE[-4:] in step2  # the number masked
    verification = PhoneVerification.objects.get(phone=PHONE)
    code = sms_code()
    assert re.fullmatch(r"\d{6}", code)
    # Neither the code table nor the outbox holds the code in clear.
    assert code not in verification.code_hash
    row = Notification.objects.get(template_key="resident.phone_code")
    assert code not in str(row.context) and row.phone == PHONE

    response = client.post(MINE_CODE, {"code": code}, follow=True)
    page = html(response)
    assert mine.code in page and followed.code in page and others.code not in page
    assert reverse("resident_requests:token", args=[mine.access_token]) in page
    # A request this phone only said "me too" to links to its public view, not to its own
    # resident's private page.
    assert followed.access_token not in page
    assert "/requests/p/" in page
    assert str(mine.category) in page and w.buildings[0].address in page
    verification.refresh_from_db()
    assert verification.used_at is not None


def test_the_same_answer_whether_or_not_the_phone_has_requests(client, w):
    submit(w)

    def answer(phone):
        response = ask_code(client, phone)
        step2 = client.get(MINE_CODE)
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html(step2))
        return response.status_code, response["Location"], text.replace(mask_phone(phone), "X")

    assert answer(PHONE) == answer(OTHER_PHONE)
    assert Notification.objects.filter(template_key="resident.phone_code").count() == 2


def test_a_phone_without_requests_sees_that_none_were_found(client, w):
    submit(w)
    page = html(verified(client, OTHER_PHONE).get(MINE))
    assert 'id="no-requests"' in page


@pytest.mark.parametrize("phone", ["12345678901", "1381234567", "abc", "+1 555 0100", ""])
def test_a_phone_that_is_not_a_mainland_mobile_is_refused_and_nothing_is_sent(client, w, phone):
    response = ask_code(client, phone)
    assert response.status_code == 200 and 'class="errorlist' in html(response)
    assert not PhoneVerification.objects.exists()
    assert not Notification.objects.filter(template_key="resident.phone_code").exists()


def test_a_wrong_code_says_so_and_counts_a_try(client, w):
    submit(w)
    ask_code(client)
    right = sms_code()
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    response = client.post(MINE_CODE, {"code": wrong})
    assert response.status_code == 200
    message = gettext("The code is wrong. Check the SMS and try again (%(left)s tries left).")
    assert message % {"left": services.PHONE_CODE_TRIES - 1} in html(response)
    assert PhoneVerification.objects.get().attempts == 1
    assert client.session.get(views.MY_PHONE_KEY) is None
    # A code of the wrong shape is not a try.
    response = client.post(MINE_CODE, {"code": "12ab"})
    assert gettext("The code has 6 digits: type the digits from the SMS.") in html(response)
    assert PhoneVerification.objects.get().attempts == 1


def test_five_wrong_tries_kill_the_code(client, w):
    submit(w)
    ask_code(client)
    right = sms_code()
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(services.PHONE_CODE_TRIES):
        client.post(MINE_CODE, {"code": wrong})
    response = client.post(MINE_CODE, {"code": right})
    assert gettext("Too many wrong codes. Ask for a new code.") in html(response)
    assert client.session.get(views.MY_PHONE_KEY) is None
    assert PhoneVerification.objects.get().used_at is None


def test_an_expired_code_is_refused(client, w):
    submit(w)
    ask_code(client)
    PhoneVerification.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.post(MINE_CODE, {"code": sms_code()})
    assert gettext(
        "This code is no longer valid (a code works for 5 minutes). Ask for a new one."
    ) in html(response)
    assert client.session.get(views.MY_PHONE_KEY) is None


def test_a_new_code_replaces_the_old_one(client, w):
    ask_code(client)
    first = sms_code()
    response = client.post(MINE_CODE, {"resend": "1"})
    assert response.status_code == 302
    second = sms_code()
    assert PhoneVerification.objects.count() == 2
    if first != second:
        assert 'class="errorlist' in html(client.post(MINE_CODE, {"code": first}))
    assert client.post(MINE_CODE, {"code": second}).status_code == 302


def test_codes_are_rate_limited_per_phone_and_per_address(client, w, settings):
    settings.RESIDENT_REQUEST_RATE_LIMITS = {
        "phone_code_phone": (2, 3600),
        "phone_code_ip": (2, 3600),
        "phone_verify_ip": (20, 3600),
    }
    for _ in range(2):
        assert ask_code(client, REMOTE_ADDR="10.0.0.1").status_code == 302
    # The same phone from another address: the phone's limit.
    assert ask_code(client, REMOTE_ADDR="10.0.0.2").status_code == 429
    # Another phone from the first address: the address's limit (2 used).
    assert ask_code(client, OTHER_PHONE, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert PhoneVerification.objects.count() == 2


def test_code_tries_are_rate_limited_per_address(client, w, settings):
    settings.RESIDENT_REQUEST_RATE_LIMITS = {"phone_verify_ip": (2, 3600)}
    ask_code(client)
    for _ in range(2):
        assert client.post(MINE_CODE, {"code": "000000"}).status_code == 200
    assert client.post(MINE_CODE, {"code": sms_code()}).status_code == 429
    assert client.session.get(views.MY_PHONE_KEY) is None


def test_the_verified_phone_is_kept_for_30_minutes(client, w, monkeypatch):
    request = submit(w)
    verified(client)
    assert request.code in html(client.get(MINE))
    later = views.time.time() + views.MY_PHONE_SECONDS + 1
    monkeypatch.setattr(views.time, "time", lambda: later)
    page = html(client.get(MINE))
    assert request.code not in page and 'name="phone"' in page


def test_done_forgets_the_phone_on_this_device(client, w):
    request = submit(w)
    verified(client)
    client.post(reverse("resident_requests:mine_leave"))
    assert request.code not in html(client.get(MINE))


def test_the_code_page_without_a_phone_sends_back_to_step_one(client, db):
    assert client.get(MINE_CODE)["Location"] == MINE
    assert client.post(MINE_CODE, {"code": "123456"})["Location"] == MINE


def test_the_list_takes_a_fixed_number_of_queries(client, w):
    submit(w)
    verified(client)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(MINE).status_code == 200
        return len(captured)

    few = count()
    for i in range(6):
        submit(w, building_index=i % 3, category=w.other_category if i % 2 else w.category)
        services.request_support(request=submit(w, submitter_phone=f"1360000{i:04d}"), phone=PHONE)
    assert count() == few


def test_the_retention_round_deletes_old_codes(client, w):
    ask_code(client)
    long_ago = timezone.now() - services.PHONE_CODE_KEEP - datetime.timedelta(minutes=1)
    PhoneVerification.objects.update(created_at=long_ago)
    old_sms = Notification.objects.get(template_key="resident.phone_code")
    Notification.objects.filter(pk=old_sms.pk).update(created_at=long_ago, status="sent")
    ask_code(client, OTHER_PHONE)
    result = requests_anonymize_expired()
    assert result.phone_codes == 1
    assert list(PhoneVerification.objects.values_list("phone", flat=True)) == [OTHER_PHONE]
    # The SMS that carried the old code keeps neither the phone nor the sealed code; the new one
    # is untouched.
    old_sms.refresh_from_db()
    assert old_sms.status == "sent" and (old_sms.phone, old_sms.context) == ("", {})
    new_sms = Notification.objects.get(template_key="resident.phone_code", phone=OTHER_PHONE)
    assert new_sms.context["otp_sealed"]


# --- In a real browser, at a phone's width -------------------------------------------------------


@pytest.mark.browser
def test_my_requests_by_phone_at_360_px(
    transactional_db, settings, tmp_path, phone_page, live_server
):
    from .factories import world as make_world

    settings.MEDIA_ROOT = tmp_path / "media"
    w = make_world()
    request = submit(w)
    page = phone_page
    page.goto(f"{live_server.url}{TRACK}")
    page.click("#forgot-code a")
    page.fill("#id_phone", PHONE)
    page.locator("form.track-form button[type=submit]").click()
    page.wait_for_url(f"**{MINE_CODE}")
    page.fill("#id_code", sms_code())
    page.screenshot(path=str(tmp_path / "code.png"), full_page=True)
    page.locator("form.track-form button[type=submit]").click()
    page.wait_for_url(f"**{MINE}")
    card = page.locator("a.my-request")
    assert card.count() == 1 and request.code in card.inner_text()
    # Nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "mine.png"), full_page=True)
    card.click()
    page.wait_for_url(f"**/requests/t/{request.access_token}/")
    page.locator("#progress-sms button").click()
    page.wait_for_selector('#progress-sms button[value="on"]')
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "detail.png"), full_page=True)
    request.refresh_from_db()
    assert not request.progress_sms
    assert page.console_errors == []
