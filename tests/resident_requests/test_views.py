"""The public pages and the members' pages, through the test client."""

import re

import pytest
from django.core import signing
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext

from resident_requests import ratelimit, services
from resident_requests.forms import new_form_token
from resident_requests.models import (
    DESCRIPTION_MAX_LENGTH,
    PhotoStage,
    Rating,
    RequestPhoto,
    ResidentRequest,
    Status,
)
from resident_requests.photos import MAX_PHOTO_BYTES, MAX_PHOTO_MB, photo_help_text

from .factories import PHONE, image_bytes, noise_jpeg, png_bomb, submit, upload

pytestmark = pytest.mark.django_db
NEW = reverse("resident_requests:new")
TRACK = reverse("resident_requests:track")


def form_data(w, **extra):
    data = {
        "name": "李阿姨",
        "phone": PHONE,
        "building_text": w.buildings[0].address,
        "building": w.buildings[0].pk,
        "address": "2单元门口",
        "category": w.category.pk,
        "description": "楼下路灯坏了一个星期，晚上很黑。",
        "consent": "on",
        "website": "",
        "form_token": new_form_token(),
        "confirm_new": "",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def post_form(client, w, files=None, ip="10.0.0.1", **extra):
    data = form_data(w, **extra)
    if files is not None:
        data["photos"] = files
    return client.post(NEW, data, REMOTE_ADDR=ip)


def test_form_page_renders_categories_in_two_levels(client, w):
    response = client.get(NEW)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<optgroup label="{w.category.parent.name}">' in html
    assert 'name="form_token"' in html and 'name="website"' in html
    assert "<script>" not in html.split("</main>")[0]  # no inline script in the page body


def test_whole_path_from_form_to_closed(client, w, django_user_model):
    response = post_form(client, w, files=[upload()])
    assert response.status_code == 302
    request = ResidentRequest.objects.get()
    assert response["Location"] == reverse(
        "resident_requests:submitted", args=[request.access_token]
    )
    page = client.get(response["Location"]).content.decode()
    assert request.code in page
    assert f"/{request.pk}/" not in response["Location"]
    assert request.photos.filter(stage=PhotoStage.SUBMISSION).count() == 1

    # The grid leader accepts and dispatches; the member takes and resolves on /member/.
    services.request_accept(request=request, actor=w.users["leader"])
    services.request_dispatch(request=request, actor=w.users["leader"], assignee=w.members[0])
    member = w.members[0].user
    client.force_login(member)
    orders = client.get(reverse("resident_requests:member_orders")).content.decode()
    assert request.category.name in orders
    detail_url = reverse("resident_requests:member_order", args=[request.code])
    assert client.post(detail_url, {"action": "take"}).status_code == 302
    response = client.post(
        detail_url,
        {
            "action": "resolve",
            "note": "已经换了新灯泡",
            "photos": [upload("done.png", image_bytes("PNG"), "image/png")],
        },
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.RESOLVED
    assert request.photos.filter(stage=PhotoStage.RESOLUTION).count() == 1
    client.logout()

    # The resident tracks it with the code and the phone's last 4 digits, and rates it.
    response = client.post(TRACK, {"code": request.code.lower(), "phone_last4": PHONE[-4:]})
    assert response.status_code == 302
    token_url = reverse("resident_requests:token", args=[request.access_token])
    assert response["Location"] == token_url
    page = client.get(token_url).content.decode()
    assert "已经换了新灯泡" in page
    assert PHONE not in page and "李阿姨" not in page  # no personal data in public
    response = client.post(token_url, {"rating": Rating.SATISFIED, "comment": "很及时"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.CLOSED and request.rating_comment == "很及时"
    assert 'name="rating"' not in client.get(token_url).content.decode()


def test_public_timeline_shows_staff_by_role_and_surname_and_no_internal_notes(client, w):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"], note="马上处理")
    services.request_escalate(
        request=request,
        actor=w.users["leader"],
        note="需社区协调",
        internal_note="内部备注：住户难缠",
    )
    page = client.get(
        reverse("resident_requests:token", args=[request.access_token])
    ).content.decode()
    assert "马上处理" in page
    assert "内部备注" not in page
    assert "王" in page and w.users["leader"].username not in page


def test_double_submit_creates_one_request(client, w):
    data = form_data(w)
    first = client.post(NEW, data)
    second = client.post(NEW, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert ResidentRequest.objects.count() == 1


def test_forged_or_expired_form_token_is_refused_and_keeps_the_text(client, w):
    response = post_form(client, w, form_token="forged")
    assert response.status_code == 200
    assert ResidentRequest.objects.count() == 0
    assert "楼下路灯坏了一个星期" in response.content.decode()


def test_honeypot_refuses_bots(client, w):
    response = post_form(client, w, website="http://spam.example")
    assert response.status_code == 200
    assert ResidentRequest.objects.count() == 0


# --- Bad input on every field: a clear message, never a 500, nothing half-saved ---------------

BAD_FIELDS = [
    ("phone", "12345678901"),
    ("phone", "1381234567"),
    ("phone", ""),
    ("name", ""),
    ("name", "李" * 51),
    ("description", ""),
    ("description", "长" * (DESCRIPTION_MAX_LENGTH + 1)),
    ("address", "址" * 201),
    ("category", "999999"),
    ("category", "abc"),
    ("consent", None),
    ("building_text", "火星基地99号"),
    ("building_text", ""),
]


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
def test_bad_input_is_refused_with_a_message_and_keeps_the_rest(client, w, field, value):
    extra = {field: value}
    if field == "building_text":
        extra["building"] = ""
    response = post_form(client, w, **extra)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="errorlist' in html
    assert ResidentRequest.objects.count() == 0
    assert RequestPhoto.objects.count() == 0
    if field != "name":
        assert 'value="李阿姨"' in html  # what the resident typed is still there


def test_parent_category_is_refused(client, w):
    response = post_form(client, w, category=w.category.parent_id)
    assert response.status_code == 200 and ResidentRequest.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("big.jpg", b"\xff\xd8\xff" + b"0" * (MAX_PHOTO_BYTES + 10), "image/jpeg"),
        ("notes.jpg", b"this is a text file, not a photo\n" * 20, "image/jpeg"),
        ("bomb.png", None, "image/png"),
        ("anim.gif", "gif", "image/gif"),
    ],
)
def test_bad_photos_are_refused_and_nothing_is_saved(client, w, name, data, content_type):
    if data is None:
        data = png_bomb()
    elif data == "gif":
        data = image_bytes("GIF")
    response = post_form(client, w, files=[upload("ok.jpg"), upload(name, data, content_type)])
    assert response.status_code == 200
    html = response.content.decode()
    assert name in html  # the message names the file
    assert 'value="李阿姨"' in html
    assert ResidentRequest.objects.count() == 0
    assert RequestPhoto.objects.count() == 0


def test_a_9_mb_phone_photo_sent_without_javascript_is_stored_scaled_down(client, w):
    data = noise_jpeg(3300, 2475)
    assert 8.5 * 2**20 < len(data) <= MAX_PHOTO_BYTES
    response = post_form(client, w, files=[upload("IMG_1234.jpg", data)])
    assert response.status_code == 302
    photo = ResidentRequest.objects.get().photos.get()
    assert max(photo.width, photo.height) <= 2048
    assert photo.image.size < len(data) / 2


def test_an_11_mb_photo_is_refused_saying_the_limit(client, w):
    data = noise_jpeg(3620, 2715)
    assert len(data) > MAX_PHOTO_BYTES
    response = post_form(client, w, files=[upload("IMG_5678.jpg", data)])
    assert response.status_code == 200
    html = response.content.decode()
    expected = gettext(
        "%(name)s is larger than %(mb)s MB. Each photo may be at most %(mb)s MB: "
        "choose a smaller one."
    ) % {"name": "IMG_5678.jpg", "mb": MAX_PHOTO_MB}
    assert escape(expected) in html
    assert escape(str(photo_help_text())) in html  # and the limit is said before sending
    assert 'value="李阿姨"' in html
    assert ResidentRequest.objects.count() == 0 and RequestPhoto.objects.count() == 0


def test_four_photos_are_refused(client, w):
    response = post_form(client, w, files=[upload(f"p{i}.jpg") for i in range(4)])
    assert response.status_code == 200 and ResidentRequest.objects.count() == 0


def test_photos_are_reencoded_without_exif(client, w):
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (32.0, 12.0, 0.0)}  # GPS latitude
    response = post_form(client, w, files=[upload("gps.jpg", image_bytes(exif=exif.tobytes()))])
    assert response.status_code == 302
    photo = RequestPhoto.objects.get()
    with Image.open(photo.image.path) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()
    with open(photo.image.path, "rb") as stored_file:
        assert b"SecretCam" not in stored_file.read()


def test_script_in_description_is_shown_as_text_everywhere(client, w, admin_client):
    script = "<script>alert('x')</script>路灯坏了"
    post_form(client, w, description=script)
    request = ResidentRequest.objects.get()
    pages = [
        client.get(reverse("resident_requests:token", args=[request.access_token])),
        admin_client.get(
            reverse("admin:resident_requests_residentrequest_change", args=[request.pk])
        ),
    ]
    client.force_login(w.members[0].user)
    services.request_accept(request=request, actor=w.users["leader"])
    services.request_dispatch(request=request, actor=w.users["leader"], assignee=w.members[0])
    pages.append(client.get(reverse("resident_requests:member_order", args=[request.code])))
    for page in pages:
        html = page.content.decode()
        assert "<script>alert(" not in html
        assert escape("<script>alert('x')</script>") in html


# --- "Me too" ----------------------------------------------------------------------------------


def test_similar_requests_are_offered_before_submitting(client, w):
    existing = submit(w, submitter_phone="13800000009")
    response = post_form(client, w)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="similar"' in html
    assert existing.code not in html and existing.access_token not in html
    assert ResidentRequest.objects.count() == 1
    ref = re.search(r'name="ref" value="([0-9a-f]+)"', html).group(1)
    response = client.post(
        reverse("resident_requests:support"),
        {
            "ref": ref,
            "building": w.buildings[0].pk,
            "category": w.category.pk,
            "phone": PHONE,
            "consent": "on",
        },
    )
    assert response.status_code == 200
    existing.refresh_from_db()
    assert existing.supporters_count == 1
    # Or the resident says theirs is different and submits it anyway.
    response = post_form(client, w, confirm_new="1")
    assert response.status_code == 302 and ResidentRequest.objects.count() == 2


def test_similar_lookup_json(client, w):
    submit(w)
    url = reverse("resident_requests:similar_lookup")
    token = new_form_token()
    query = {"building": w.buildings[3].pk, "category": w.category.pk, "token": token}
    data = client.get(url, query).json()
    assert len(data["results"]) == 1 and "ref" in data["results"][0]
    bad = {"building": "x", "category": "1", "token": token}
    assert client.get(url, bad).json() == {"results": []}


def test_building_autocomplete(client, w):
    data = client.get(reverse("resident_requests:buildings_lookup"), {"q": "测试小区"}).json()
    assert {r["id"] for r in data["results"]} >= {w.buildings[0].pk}
    assert client.get(reverse("resident_requests:buildings_lookup"), {"q": "x"}).json() == {
        "results": []
    }


# --- Tracking: guessing and rate limits --------------------------------------------------------


def test_wrong_phone_answers_exactly_like_an_unknown_code(client, w):
    request = submit(w)
    wrong_phone = client.post(TRACK, {"code": request.code, "phone_last4": "0000"})
    unknown = client.post(TRACK, {"code": "JK-20261125-AAAAAAAAA", "phone_last4": PHONE[-4:]})
    assert wrong_phone.status_code == unknown.status_code == 200

    def body(response):
        html = response.content.decode()
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
        html = html.replace(request.code, "CODE").replace("JK-20261125-AAAAAAAAA", "CODE")
        # The form keeps the digits typed, whichever they were.
        return html.replace('value="0000"', "DIGITS").replace(f'value="{PHONE[-4:]}"', "DIGITS")

    assert body(wrong_phone) == body(unknown)
    assert 'id="not-found"' in body(unknown)


def test_tracking_is_rate_limited(client, w, settings):
    settings.RESIDENT_REQUEST_RATE_LIMITS = {"track_ip": (3, 600)}
    request = submit(w)
    for _ in range(3):
        assert client.post(TRACK, {"code": "JK-X", "phone_last4": "1234"}).status_code == 200
    # Even the right pair is refused once the limit is used up.
    response = client.post(TRACK, {"code": request.code, "phone_last4": PHONE[-4:]})
    assert response.status_code == 429


def test_guessing_codes_finds_nothing(client, w):
    request = submit(w)
    day = request.code.split("-")[1]
    for guess in [f"JK-{day}-{'2' * 9}", request.code[:-1] + "Z", request.code[:-2]]:
        if guess == request.code:
            continue
        response = client.post(
            TRACK, {"code": guess, "phone_last4": PHONE[-4:]}, REMOTE_ADDR=guess[-3:]
        )
        assert response.status_code == 200 and 'id="not-found"' in response.content.decode()
    assert client.get(reverse("resident_requests:token", args=["x" * 43])).status_code == 404
    assert client.get(reverse("resident_requests:token", args=[str(request.pk)])).status_code == 404


def test_submissions_are_rate_limited_per_ip_and_per_phone(client, w, settings):
    settings.RESIDENT_REQUEST_RATE_LIMITS = {"submit_ip": (1, 3600), "submit_phone": (1, 86400)}
    assert post_form(client, w, confirm_new="1").status_code == 302
    # Same phone from another address: the phone's limit.
    response = post_form(client, w, confirm_new="1", ip="10.0.0.2")
    assert response.status_code == 429
    assert 'value="李阿姨"' in response.content.decode()
    # Another phone from the first address: its second attempt hits the address's limit.
    response = post_form(client, w, confirm_new="1", phone="13700000001")
    assert response.status_code == 429
    assert ResidentRequest.objects.count() == 1


def test_rate_limit_counter_expires(settings):
    settings.RESIDENT_REQUEST_RATE_LIMITS = {"track_ip": (1, 600)}
    assert not ratelimit.hit("track_ip", "1.2.3.4")
    assert ratelimit.hit("track_ip", "1.2.3.4")
    assert not ratelimit.hit("track_ip", "5.6.7.8")


# --- Members ------------------------------------------------------------------------------------


def test_member_pages_need_a_login_and_show_only_their_orders(client, w):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    services.request_dispatch(request=request, actor=w.users["leader"], assignee=w.members[0])
    url = reverse("resident_requests:member_order", args=[request.code])
    assert client.get(url).status_code == 302
    client.force_login(w.members[1].user)
    assert client.get(url).status_code == 404
    client.force_login(w.members[0].user)
    response = client.get(url)
    assert response.status_code == 200
    assert PHONE not in response.content.decode()
    response = client.post(url, {"action": "phone"})
    assert PHONE in response.content.decode()
    assert request.phone_disclosures.filter(user=w.members[0].user).count() == 1


def test_member_decline_needs_a_reason(client, w):
    request = submit(w)
    services.request_accept(request=request, actor=w.users["leader"])
    services.request_dispatch(request=request, actor=w.users["leader"], assignee=w.members[0])
    client.force_login(w.members[0].user)
    url = reverse("resident_requests:member_order", args=[request.code])
    client.post(url, {"action": "decline", "note": ""})
    request.refresh_from_db()
    assert request.status == Status.DISPATCHED
    client.post(url, {"action": "decline", "note": "出差一周"})
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED


def test_member_login_page(client, w):
    response = client.get(reverse("resident_requests:member_login"))
    assert response.status_code == 200


def test_signed_token_helper_roundtrip():
    token = new_form_token()
    assert signing.loads(token, salt="resident_requests.form_token")


def test_form_asks_the_kind_of_request_and_whether_it_may_be_public(client, w):
    html = client.get(NEW).content.decode()
    kinds = re.findall(r'<input type="radio" name="request_type" value="(\w+)"([^>]*)>', html)
    assert [value for value, _attrs in kinds] == ["help", "complaint", "suggestion", "inquiry"]
    assert [value for value, attrs in kinds if "checked" in attrs] == ["help"]
    box = re.search(r'<input type="checkbox" name="public_allowed"[^>]*>', html).group(0)
    assert "checked" not in box  # not public unless the resident says so


def test_kind_and_public_choice_are_stored(client, w):
    response = post_form(client, w, request_type="complaint", public_allowed="on")
    assert response.status_code == 302
    request = ResidentRequest.objects.get()
    assert (request.request_type, request.public_allowed) == ("complaint", True)


def test_without_the_new_fields_it_is_a_private_request_for_help(client, w):
    # A page opened before the fields existed (or a browser that sends nothing for them).
    assert post_form(client, w).status_code == 302
    request = ResidentRequest.objects.get()
    assert (request.request_type, request.public_allowed) == ("help", False)


def test_an_unknown_kind_is_refused_and_nothing_saved(client, w):
    response = post_form(client, w, request_type="praise")
    assert response.status_code == 200
    assert 'id="request-type"' in response.content.decode()
    assert response.context["form"].errors["request_type"]
    assert ResidentRequest.objects.count() == 0
