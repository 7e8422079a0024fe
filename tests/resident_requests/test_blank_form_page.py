"""The blank form's page is rendered once per process (language, pickers, map settings) and then
served with each visitor's own CSRF token and form token (issue 15: the form page renders from a
cached page). What a resident sees and can send must not change."""

import re

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import Client, RequestFactory
from django.urls import reverse

from resident_requests import views
from resident_requests.models import ResidentRequest

pytestmark = pytest.mark.django_db
NEW = reverse("resident_requests:new")
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')


def tokens(html: str) -> tuple[set[str], str]:
    return set(CSRF_RE.findall(html)), TOKEN_RE.search(html).group(1)


def test_every_page_has_its_own_tokens_and_sends(w):
    client = Client(enforce_csrf_checks=True)
    first = client.get(NEW).content.decode()
    second = client.get(NEW).content.decode()
    assert "placeholder" not in first
    (csrf_first, token_first), (csrf_second, token_second) = tokens(first), tokens(second)
    assert len(csrf_first) == 1 and len(csrf_second) == 1  # the form's and the language switch's
    assert token_first != token_second and csrf_first != csrf_second
    assert first.replace(token_first, "").replace(*csrf_first, "") == second.replace(
        token_second, ""
    ).replace(*csrf_second, "")
    # The page's tokens send the form, once (the form token is then spent).
    data = {
        "csrfmiddlewaretoken": next(iter(csrf_first)),
        "form_token": token_first,
        "name": "李阿姨",
        "phone": "13912345678",
        "building_text": w.buildings[0].address,
        "building": w.buildings[0].pk,
        "address": "2单元",
        "category": w.category.pk,
        "description": "楼下路灯坏了一个星期。",
        "consent": "on",
        "confirm_new": "1",
        "website": "",
    }
    assert client.post(NEW, data).status_code == 302
    assert client.post(NEW, data).status_code == 302  # a double click: the same request
    assert ResidentRequest.objects.filter(submitter_phone="13912345678").count() == 1


def test_the_english_page_is_kept_apart(w, settings):
    client = Client()
    chinese = client.get(NEW).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(NEW).content.decode()
    assert 'lang="zh-hans"' in chinese and "Report a problem where you live" not in chinese
    assert 'lang="en"' in english and "Report a problem where you live" in english


def test_an_address_with_a_query_keeps_it_in_the_language_switch(w):
    html = Client().get(NEW + "?from=station").content.decode()
    assert 'name="next" type="hidden" value="/requests/new/?from=station"' in html
    html = Client().get(NEW).content.decode()
    assert 'name="next" type="hidden" value="/requests/new/"' in html


def test_a_waiting_message_is_shown(w):
    def request():
        http_request = RequestFactory().get(NEW)
        SessionMiddleware(lambda r: None).process_request(http_request)
        MessageMiddleware(lambda r: None).process_request(http_request)
        return http_request

    Client().get(NEW)  # the page is in memory
    http_request = request()
    get_messages(http_request).add(30, "您的请求已超时，请重新填写。")
    html = views.request_new(http_request).content.decode()
    assert "您的请求已超时，请重新填写。" in html
    # A page without a message waiting is the kept page again, without it.
    assert "您的请求已超时" not in views.request_new(request()).content.decode()
