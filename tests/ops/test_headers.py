"""Security headers on every page, and the Content Security Policy without inline scripts."""

import re

import pytest
from django.test import Client, override_settings


def _directives(header: str) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


@pytest.mark.django_db
def test_every_page_sends_the_security_headers(client):
    response = client.get("/privacy/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_content_security_policy_allows_no_inline_script(client):
    csp = _directives(client.get("/privacy/")["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["style-src"]


@pytest.mark.django_db
def test_the_admin_login_page_carries_the_policy_and_has_no_inline_script(client):
    response = client.get("/admin/login/")
    assert "Content-Security-Policy" in response
    html = response.content.decode()
    # Every <script> must load a file: an inline one would be blocked by the policy.
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag


@pytest.mark.django_db
def test_each_response_has_a_request_id_and_keeps_the_one_nginx_gave(client):
    first = client.get("/privacy/")["X-Request-ID"]
    second = client.get("/privacy/")["X-Request-ID"]
    assert first and second and first != second
    given = "0123456789abcdef0123456789abcdef"
    assert client.get("/privacy/", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    # A header that is not a plain token is replaced, not echoed.
    assert client.get("/privacy/", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"] != "<script>"


@pytest.mark.django_db
@override_settings(
    SECURE_SSL_REDIRECT=True,
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_HSTS_PRELOAD=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
)
def test_in_production_http_is_redirected_and_https_gets_hsts_and_secure_cookies(django_user_model):
    client = Client()
    plain = client.get("/privacy/")
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    secure = client.get("/privacy/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    login_page = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")
    csrf = login_page.cookies["csrftoken"]
    assert csrf["secure"]
    django_user_model.objects.create_user("boss", password="pw-for-tests-123", is_staff=True)
    response = client.post(
        "/admin/login/",
        {"username": "boss", "password": "pw-for-tests-123", "next": "/admin/"},
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"]


@pytest.mark.django_db
def test_the_health_probes_are_never_redirected_to_https():
    with override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["portal.example.org"]):
        response = Client().get("/healthz", HTTP_HOST="10.0.0.7")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.urls("tests.ops.error_urls")
def test_when_the_database_is_down_the_resident_gets_a_plain_page_saying_send_again():
    from django.utils.translation import gettext

    response = Client(raise_request_exception=False).post("/submit/", {"x": "1"})
    assert response.status_code == 500
    html = response.content.decode()
    assert gettext("Please try again in a minute") in html
    assert gettext("Back to the start page") in html
    assert "<script" not in html


@pytest.mark.django_db
def test_only_the_api_documentation_gets_inline_styles_and_never_inline_scripts(client):
    docs = _directives(client.get("/api/redoc/")["Content-Security-Policy"])
    assert "'unsafe-inline'" in docs["style-src"]
    assert docs["script-src"] == ["'self'"]
    page = _directives(client.get("/privacy/")["Content-Security-Policy"])
    assert "'unsafe-inline'" not in page["style-src"]
