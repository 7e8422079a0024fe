import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_speaks_chinese_by_default(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "家门口的党群服务站" in body


def test_a_resident_can_switch_to_english_and_back(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, follow=True)
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Your party-mass service station, at your doorstep" in body
    response = client.post(
        reverse("set_language"), {"language": "zh-hans", "next": "/"}, follow=True
    )
    assert "家门口的党群服务站" in response.content.decode()


def test_a_browser_asking_for_english_still_gets_chinese_until_the_visitor_chooses(client):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-hans">' in response.content.decode()
