"""A resident books a reception-day place on a phone (360 px), without any account."""

import pytest

from party_work.models import ReceptionBooking

from .factories import session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_booking_on_a_phone(phone_page, live_server):
    from tests.party_work.factories import place

    p = place()
    s = session(p.communities[0], place="京口路社区代表委员工作室", capacity=2)
    page = phone_page
    page.goto(f"{live_server.url}/reception/")
    # The stylesheet is served and applied: the places-left line is bold.
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.pw-places')).fontWeight") == "700"
    )
    page.click(f"a[href='/reception/{s.pk}/book/']")
    page.fill("input[name=name]", "王大爷")
    page.fill("input[name=phone]", "13912345678")
    page.fill("textarea[name=topic]", "小区停车难")
    page.click("form.pw-form button[type=submit]")
    page.wait_for_url(f"**/reception/{s.pk}/booked/")
    assert "京口路社区代表委员工作室" in page.content()
    assert ReceptionBooking.objects.filter(session=s, phone="13912345678").exists()
    # Nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The portal has no favicon yet: the browser's request for it is the one 404 allowed.
    assert [e for e in page.console_errors if "404" not in e] == []
