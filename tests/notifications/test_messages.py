import datetime

import pytest
from django.utils import timezone

from notifications.messages import (
    SMS_PART_LIMIT,
    SMS_SINGLE_LIMIT,
    TEMPLATES,
    TemplateError,
    open_code,
    render,
    seal_code,
)

# The longest values real messages carry: a tracking code, a long grid and category name, a
# short link on a portal address of 23 characters (README: PORTAL_BASE_URL).
WORST_CASE = {
    "code": "JK-20261125-7KQ3MX2PA",
    "grid": "恒美嘉园社区第12网格",
    "category": "违章搭建",
    "level": "department",
    "deadline": timezone.make_aware(datetime.datetime(2026, 12, 31, 18, 30)).isoformat(),
    "link": "https://jkdj.jingkou.cn/n/" + "x" * 22,
    "unit": "恒美嘉园社区",
    "date": "2026-12-31",
    "open": 128,
    "overdue": 12,
    # Who handles a dispatched request, as residents read it: a role and a surname.
    "handler_role": "volunteer",
    "handler_surname": "欧",
    # Staff's free text quoted in a message, redacted and cut to its excerpt length.
    "note": "请今天下午去看一下，住户白天在家，联系物业一起处理。谢谢配合",
    "reason": "这周在外地出差，回不来，请派给别人处理吧",
}
SIGNATURE = "【京口党建】"
# This app's own templates (other apps register theirs in the same dict and test them).
OWN_KEYS = sorted(key for key in TEMPLATES if key.startswith(("request.", "digest.")))
# The receipt carries the tracking code (21 characters) and a link (48): two SMS parts.
TWO_PART_KEYS = ["request.receipt", "request.dispatched_note"]


@pytest.mark.parametrize("key", [k for k in OWN_KEYS if k not in TWO_PART_KEYS])
def test_every_chinese_message_fits_one_sms_with_the_signature(key):
    _title, text = render(key, WORST_CASE, "zh-hans")
    assert len(SIGNATURE + text) <= SMS_SINGLE_LIMIT, text
    # Translated, not the English msgid.
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text.replace(WORST_CASE["grid"], "")), text


@pytest.mark.parametrize("key", OWN_KEYS)
def test_english_is_available_and_fits_one_plain_sms(key):
    _title, text = render(key, WORST_CASE, "en")
    assert len(text) <= 160, text
    for value in WORST_CASE.values():
        text = text.replace(str(value), "")
    assert text.isascii(), text


@pytest.mark.parametrize("key", TWO_PART_KEYS)
def test_the_receipt_fits_two_sms_parts_with_the_code_and_the_link(key):
    _title, text = render(key, WORST_CASE, "zh-hans")
    assert len(SIGNATURE + text) <= 2 * SMS_PART_LIMIT, text
    assert WORST_CASE["code"] in text and WORST_CASE["link"] in text


def test_a_dispatch_names_the_handler_by_role_and_surname_only():
    context = {**WORST_CASE, "handler_role": "party_member", "handler_surname": "王"}
    _title, text = render("request.progress_dispatched", context, "en")
    assert "party member 王" in text


def test_a_one_time_code_is_sealed_in_the_row_and_opened_to_send(settings):
    sealed = seal_code("012345")
    assert "012345" not in str(sealed)
    assert open_code(sealed["otp_sealed"], sealed["otp_nonce"]) == "012345"
    _title, text = render("resident.phone_code", sealed, "en")
    assert "012345" in text and len(SIGNATURE + text) <= 160
    # Another SECRET_KEY (a copy of the table elsewhere) opens something else.
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert open_code(sealed["otp_sealed"], sealed["otp_nonce"]) != "012345"


def test_deadlines_are_shown_in_local_time():
    deadline = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=datetime.UTC)  # 18:00 in Shanghai
    _title, text = render("request.deadline_soon", {**WORST_CASE, "deadline": deadline}, "zh-hans")
    assert "11月25日 18:00" in text


def test_a_row_missing_context_is_a_template_error_not_a_crash():
    with pytest.raises(TemplateError):
        render("request.submitted", {"code": "JK-1"}, "zh-hans")
    with pytest.raises(TemplateError):
        render("no.such.template", {}, "zh-hans")
