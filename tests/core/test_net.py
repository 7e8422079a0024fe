from django.test import RequestFactory

from resident_requests.ratelimit import client_ip


def test_behind_nginx_each_resident_has_their_own_address(settings):
    settings.BEHIND_PROXY = True
    factory = RequestFactory()
    a = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="10.1.1.1")
    b = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="10.2.2.2")
    assert client_ip(a) == "10.1.1.1"
    assert client_ip(b) == "10.2.2.2"


def test_a_forged_forwarded_for_header_is_ignored(settings):
    settings.BEHIND_PROXY = False
    request = RequestFactory().get(
        "/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4", HTTP_X_REAL_IP="5.6.7.8"
    )
    assert client_ip(request) == "203.0.113.9"
