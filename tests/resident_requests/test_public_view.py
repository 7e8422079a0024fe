"""Public means public: the "me too" box and look-up, joining a request, the supporters' public
view of it, and photo approval. Strangers see what, where (the building), when and how far;
never a name, a phone, a room or the resident's own words."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.privacy import redaction_marker
from notifications.models import Notification, ShortLink
from resident_requests import selectors, services
from resident_requests.forms import new_form_token
from resident_requests.models import RequestPhoto, ResidentRequest

from .factories import image_bytes, submit

SIMILAR = reverse("resident_requests:similar_lookup")
SUPPORT = reverse("resident_requests:support")
SECRET_TEXT = "我是9号楼302室的张桂英，请打我电话13612345678"
SECRETS = ["302", "张桂英", "桂英", "13612345678", "5678"]


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def lookup(client, w, **extra):
    query = {
        "building": w.buildings[0].pk,
        "category": w.category.pk,
        "token": new_form_token(),
        **extra,
    }
    return client.get(SIMILAR, query)


# Database ids in attributes and URL paths ("302" as an <option value>, /stations/5678/) are not
# the resident's room or phone: on PostgreSQL the sequences grow over the whole test run. Nor
# are the random hex names of stored photos (one was "…016cad26e3023c680be3c.jpg").
_IDS = re.compile(r'"\d+"|/\d+/|[0-9a-f]{16,}')


def assert_no_secrets(body: str):
    text = _IDS.sub("", body)
    for secret in SECRETS:
        assert secret not in text, secret


# --- The look-up --------------------------------------------------------------------------------


def test_lookup_shows_no_free_text_of_a_private_request(client, w):
    request = submit(w, submitter_name="张桂英", description=SECRET_TEXT)
    response = lookup(client, w)
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["excerpt"] == ""
    assert row["category"] == w.category.name and row["address"] == w.buildings[0].address
    assert_no_secrets(response.content.decode())
    assert request.code not in response.content.decode()


def test_lookup_shows_only_redacted_text_of_a_public_request(client, w):
    submit(w, submitter_name="张桂英", description=SECRET_TEXT, public_allowed=True)
    (row,) = lookup(client, w).json()["results"]
    assert redaction_marker() in row["excerpt"]
    assert "请打我电话" in row["excerpt"]
    assert_no_secrets(row["excerpt"])


def test_lookup_dates_are_local_dates(client, w):
    request = submit(w)
    # 23:30 UTC is 07:30 the next morning in Jingkou.
    utc_late = datetime.datetime(2026, 5, 1, 23, 30, tzinfo=datetime.UTC)
    ResidentRequest.objects.filter(pk=request.pk).update(created_at=utc_late)
    (row,) = lookup(client, w).json()["results"]
    assert row["created"] == "2026-05-02"


def test_requests_untouched_for_a_month_are_not_offered(client, w):
    stale = submit(w)
    fresh = submit(w, submitter_phone="13800000001")
    long_ago = timezone.now() - datetime.timedelta(days=31)
    ResidentRequest.objects.filter(pk=stale.pk).update(updated_at=long_ago)
    stale.events.update(created_at=long_ago)
    refs = {row["ref"] for row in lookup(client, w).json()["results"]}
    assert refs == {selectors.support_ref(fresh)}
    # A fresh event (staff looked at it) makes it current again.
    services.request_accept(request=stale, actor=w.users["leader"])
    refs = {row["ref"] for row in lookup(client, w).json()["results"]}
    assert selectors.support_ref(stale) in refs


@pytest.mark.parametrize("token", [None, "", "made-up", "x" * 200])
def test_lookup_without_the_forms_token_answers_nothing(client, w, token):
    submit(w)
    query = {"building": w.buildings[0].pk, "category": w.category.pk}
    if token is not None:
        query["token"] = token
    response = client.get(SIMILAR, query)
    assert response.status_code == 403
    assert response.json()["results"] == [] and response.json()["error"]


def test_lookup_is_rate_limited_per_address_and_per_token(client, w, settings):
    submit(w)
    settings.RESIDENT_REQUEST_RATE_LIMITS = {"similar_token": (2, 3600)}
    token = new_form_token()
    assert lookup(client, w, token=token).status_code == 200
    assert lookup(client, w, token=token).status_code == 200
    assert lookup(client, w, token=token).status_code == 429
    assert lookup(client, w).status_code == 200  # a new page, a new token
    settings.RESIDENT_REQUEST_RATE_LIMITS = {"similar_ip": (0, 600)}
    response = lookup(client, w)
    assert response.status_code == 429 and response.json()["results"] == []


def test_the_form_page_box_shows_no_free_text(client, w):
    submit(w, submitter_name="张桂英", description=SECRET_TEXT)
    client.get(reverse("resident_requests:new"))
    data = {
        "name": "李四",
        "phone": "13700009999",
        "building_text": w.buildings[0].address,
        "building": w.buildings[0].pk,
        "category": w.category.pk,
        "description": "楼道灯也坏了好几天",
        "consent": "on",
        "form_token": new_form_token(),
        "request_type": "help",
    }
    response = client.post(reverse("resident_requests:new"), data)
    html = response.content.decode()
    assert 'id="similar"' in html
    assert_no_secrets(html)
    # The phone the resident typed is carried into the "me too" form: not asked twice.
    assert 'name="phone" value="13700009999"' in html


# --- Joining, and the public view ---------------------------------------------------------------


def join(client, w, request, phone="13700001111"):
    return client.post(
        SUPPORT,
        {
            "ref": selectors.support_ref(request),
            "building": w.buildings[0].pk,
            "category": w.category.pk,
            "phone": phone,
            "consent": "on",
        },
    )


def test_a_supporter_gets_the_public_id_and_link_not_the_tracking_code(client, w):
    """The tracking code and the phone's last four digits open the resident's own page (and
    its rating): a supporter gets the request's public reference instead."""
    request = submit(w, submitter_name="张桂英", description=SECRET_TEXT)
    response = join(client, w, request)
    assert response.status_code == 200
    html = response.content.decode()
    assert request.public_id in html
    assert request.code not in html
    assert "1 person besides the first has this problem" in html  # counted, not "0"
    assert request.access_token not in html
    public_path = reverse("resident_requests:public", args=[selectors.public_ref(request)])
    assert public_path in html
    assert_no_secrets(html)

    # And by text message, through the outbox, to the supporter's phone only.
    (sms,) = Notification.objects.filter(template_key="request.supported")
    assert sms.phone == "13700001111"
    token = sms.context["link"].rstrip("/").rsplit("/", 1)[-1]
    assert ShortLink.objects.get(token=token).target == public_path
    assert request.access_token not in str(sms.context)


def test_the_public_view_shows_what_where_and_how_far_and_nothing_personal(client, w):
    request = submit(
        w, submitter_name="张桂英", description=SECRET_TEXT, address="2单元302", public_allowed=True
    )
    services.request_accept(
        request=request, actor=w.users["leader"], note="已联系张桂英，电话13612345678，302室"
    )
    hidden = RequestPhoto.objects.create(
        request=request, stage="submission", image=SimpleUploadedFile("a.jpg", image_bytes())
    )
    shown = RequestPhoto.objects.create(
        request=request,
        stage="submission",
        image=SimpleUploadedFile("b.jpg", image_bytes()),
        public_approved=True,
    )
    url = reverse("resident_requests:public", args=[selectors.public_ref(request)])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert w.category.name in html and w.buildings[0].address in html
    assert timezone.localdate(request.created_at).isoformat() in html
    assert "已联系" in html and redaction_marker() in html  # the note, redacted
    assert shown.image.url in html and hidden.image.url not in html
    assert_no_secrets(html)
    assert request.access_token not in html and "2单元" not in html
    # Its public reference, not the tracking code that opens the resident's own page.
    assert request.public_id in html and request.code not in html


@pytest.mark.parametrize("ref", ["1", "x" * 300, "1:forged", "\x00"])
def test_the_public_view_cannot_be_walked_by_number(client, w, ref):
    request = submit(w)
    assert client.get(f"/requests/p/{ref}/").status_code == 404
    assert client.get(f"/requests/p/{request.pk}/").status_code == 404


# --- Photo approval ------------------------------------------------------------------------------


def test_the_grid_leader_approves_a_photo_for_public_display(client, w):
    request = submit(w)
    photo = RequestPhoto.objects.create(
        request=request, stage="submission", image=SimpleUploadedFile("a.jpg", image_bytes())
    )
    public = reverse("resident_requests:public", args=[selectors.public_ref(request)])
    assert photo.image.url not in client.get(public).content.decode()
    url = reverse(
        "admin:resident_requests_residentrequest_photo_public", args=[request.pk, photo.pk]
    )
    # Staff of another grid cannot.
    client.force_login(w.users["leader_c"])
    client.post(url, {"approved": "1"})
    photo.refresh_from_db()
    assert not photo.public_approved

    client.force_login(w.users["leader"])
    change = reverse("admin:resident_requests_residentrequest_change", args=[request.pk])
    assert re.search(rf'formaction="[^"]*/photo/{photo.pk}/public/"', client.get(change).text)
    assert client.post(url, {"approved": "1"}).status_code == 302
    photo.refresh_from_db()
    assert photo.public_approved and photo.approved_by == w.users["leader"]
    client.logout()
    assert photo.image.url in client.get(public).content.decode()

    client.force_login(w.users["leader"])
    client.post(url, {"approved": "0"})
    photo.refresh_from_db()
    assert not photo.public_approved and photo.approved_by is None


@pytest.mark.parametrize("count", [1, 5])
def test_lookup_queries_do_not_grow_with_the_results(client, w, count, django_assert_num_queries):
    for i in range(count):
        submit(w, submitter_phone=f"1380000{i:04d}", public_allowed=bool(i % 2))
    # The building, the category, the similar requests (with their building and category).
    with django_assert_num_queries(3):
        rows = lookup(client, w).json()["results"]
    assert len(rows) == count
