"""The answer "is it one of these?" to a first POST when similar requests are open nearby, as a
browser without JavaScript gets it: the offers, a short summary of the resident's own report,
and one button that sends it unchanged (its values in hidden fields); "change my report" shows
the whole form again with everything typed. The browser is simulated by reading the page's form
and posting what it holds."""

import re
from html import unescape

import pytest

from resident_requests.models import RequestType, ResidentRequest

from .factories import submit, upload
from .test_views import NEW, PHONE, form_data, post_form

pytestmark = pytest.mark.django_db


def page_form(html: str, form_id: str = "not-the-same") -> tuple[str, dict[str, list[str]]]:
    """The named section's <form>: its HTML and the values a browser would send from it (hidden
    inputs only: the buttons are added by the caller)."""
    section = html.split(f'id="{form_id}"', 1)[1].split("</section>", 1)[0]
    form = section.split("<form", 1)[1].split("</form>", 1)[0]
    values: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form):
        values.setdefault(name, []).append(unescape(value))
    return form, values


def offered(client, w, **extra) -> str:
    submit(w, submitter_phone="13800000009")  # someone else's, open, same building and kind
    response = post_form(client, w, **extra)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="similar"' in html and ResidentRequest.objects.count() == 1
    return html


def test_the_answer_sends_the_report_as_typed_with_one_button(client, w):
    html = offered(
        client,
        w,
        name="李阿姨 <b>",
        description='楼下路灯坏了 "一周" & 晚上很黑',
        public_allowed="on",
        request_type=RequestType.COMPLAINT,
    )
    # Not the whole form again: a summary to compare with the offers, and the hidden values.
    assert 'class="request-form"' not in html
    summary = html.split('class="report-summary"', 1)[1].split("</dl>", 1)[0]
    assert w.category.name in summary and w.buildings[0].address in summary
    assert "2单元门口" in summary
    assert "楼下路灯坏了 &quot;一周&quot; &amp; 晚上很黑" in summary  # escaped, as typed
    form, values = page_form(html)
    assert "<b>" not in form  # what was typed is escaped in the hidden values too
    assert values["confirm_new"] == ["1"] and values["name"] == ["李阿姨 <b>"]
    assert "edit" not in values and "photos" not in values
    response = client.post(NEW, {key: v for key, v in values.items()}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 302
    mine = ResidentRequest.objects.exclude(submitter_phone="13800000009").get()
    assert (mine.submitter_name, mine.submitter_phone) == ("李阿姨 <b>", PHONE)
    assert mine.description == '楼下路灯坏了 "一周" & 晚上很黑'
    assert (mine.building, mine.category, mine.address) == (w.buildings[0], w.category, "2单元门口")
    assert mine.public_allowed and mine.request_type == RequestType.COMPLAINT


def test_change_my_report_shows_the_whole_form_with_what_was_typed(client, w):
    html = offered(client, w, description="电梯三天没修好，老人上不去楼。")
    _form, values = page_form(html)
    response = client.post(NEW, {**values, "edit": "1"}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="request-form"' in page and 'id="similar"' not in page
    assert "电梯三天没修好，老人上不去楼。</textarea>" in page
    assert 'name="confirm_new" value="1"' in page  # sent from here, it is stored at once
    assert "has-error" not in page  # nothing was wrong with it
    assert ResidentRequest.objects.count() == 1
    # Changed and sent: stored, with the change.
    data = {**values, "description": "电梯坏了，三楼以上的老人下不了楼。"}
    response = client.post(NEW, data, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 302
    assert ResidentRequest.objects.filter(description="电梯坏了，三楼以上的老人下不了楼。").exists()


def test_photos_sent_with_the_first_post_are_asked_for_again_on_the_answer(client, w):
    html = offered(client, w, files=[upload()])
    form, values = page_form(html)
    assert 'type="file" name="photos"' in form and 'enctype="multipart/form-data"' in html
    response = client.post(NEW, {**values, "photos": [upload()]}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 302
    mine = ResidentRequest.objects.exclude(submitter_phone="13800000009").get()
    assert mine.photos.count() == 1


def test_without_photos_the_answer_asks_for_none(client, w):
    form, _values = page_form(offered(client, w))
    assert 'name="photos"' not in form


def test_the_answer_sent_twice_stores_one_request(client, w):
    _form, values = page_form(offered(client, w))
    first = client.post(NEW, values, REMOTE_ADDR="10.0.0.1")
    again = client.post(NEW, values, REMOTE_ADDR="10.0.0.1")  # a double tap on "send"
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert ResidentRequest.objects.count() == 2  # the other resident's and this one


def test_the_carried_values_are_only_the_forms_own_fields(client, w):
    html = offered(client, w, **{"is_staff": "1", "status": "closed"})
    _form, values = page_form(html)
    own = set(form_data(w)) | {
        "request_type",
        "public_allowed",
        "not_listed",
        "csrfmiddlewaretoken",
    }
    assert set(values) <= own
    assert "is_staff" not in values and "status" not in values


def test_the_answer_loads_no_map(client, w):
    """A slow connection downloads no map library for a page without a map."""
    html = offered(client, w)
    assert "leaflet" not in html and "request_form.js" not in html
    assert "leaflet" in client.get(NEW).content.decode()
