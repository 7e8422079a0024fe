"""The API's throttles count each caller as who they are: a signed-in caller as themselves (also
on the public endpoints), an address as the address nginx saw, never as a client's own
X-Forwarded-For."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

TOKEN_URL = "/api/v1/auth/token/"
NGINX_PROXY_CONF = Path(settings.BASE_DIR) / "deploy" / "nginx" / "jingkou_proxy.conf"


def exhaust_token_attempts(client, **extra):
    """The token endpoint allows 10 attempts a minute per address: the 11th is refused."""
    statuses = [client.post(TOKEN_URL, {}, **extra).status_code for _ in range(11)]
    assert statuses == [400] * 10 + [429]


@pytest.mark.django_db
def test_a_forged_forwarded_for_does_not_reset_the_throttle():
    assert not settings.BEHIND_PROXY  # the tests' settings: gunicorn reached directly
    client = APIClient(REMOTE_ADDR="203.0.113.5")
    exhaust_token_attempts(client)
    forged = client.post(TOKEN_URL, {}, HTTP_X_FORWARDED_FOR="198.51.100.77")
    assert forged.status_code == 429
    # Another address is counted on its own.
    assert APIClient(REMOTE_ADDR="203.0.113.6").post(TOKEN_URL, {}).status_code == 400


def num_proxies(behind_proxy: str) -> int | None:
    """DRF's NUM_PROXIES as the settings make it in a fresh process with BEHIND_PROXY given."""
    from tests.core.test_settings import _setting

    result = _setting(
        'REST_FRAMEWORK["NUM_PROXIES"]', {"DEBUG": "true", "BEHIND_PROXY": behind_proxy}
    )
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
def test_behind_nginx_the_throttle_counts_the_address_nginx_saw(settings):
    assert num_proxies("false") == 0
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies("true")}
    client = APIClient(REMOTE_ADDR="127.0.0.1")  # every call comes from nginx
    exhaust_token_attempts(client, HTTP_X_FORWARDED_FOR="203.0.113.5")
    # A client's own claim in front of nginx's entry (as a proxy that appends would pass it):
    forged = client.post(TOKEN_URL, {}, HTTP_X_FORWARDED_FOR="198.51.100.77, 203.0.113.5")
    assert forged.status_code == 429
    assert client.post(TOKEN_URL, {}, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 400


def test_nginx_sets_the_forwarded_for_header_instead_of_appending_to_it():
    directives = [
        line.split("#")[0].split()
        for line in NGINX_PROXY_CONF.read_text().splitlines()
        if "X-Forwarded-For" in line.split("#")[0]
    ]
    assert directives == [["proxy_set_header", "X-Forwarded-For", "$remote_addr;"]]


@pytest.mark.parametrize(
    "url", ["/api/v1/party-work/public/sessions/", "/api/v1/party-work/public/honour/"]
)
def test_public_party_work_reads_know_a_signed_in_caller(w, monkeypatch, url):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/minute"})
    anonymous = APIClient(REMOTE_ADDR="203.0.113.7")
    assert [anonymous.get(url).status_code for _ in range(3)] == [200, 200, 429]
    # From the same address, with a token: counted as the user, not as the address.
    token, _created = Token.objects.get_or_create(user=w.users["community"])
    signed_in = APIClient(REMOTE_ADDR="203.0.113.7")
    signed_in.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert [signed_in.get(url).status_code for _ in range(3)] == [200, 200, 200]
    # A token that is not one is refused, not ignored.
    signed_in.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert signed_in.get(url).status_code == 401
