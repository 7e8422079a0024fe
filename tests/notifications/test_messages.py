import datetime

import pytest
from django.utils import timezone

from notifications.messages import SMS_SINGLE_LIMIT, TEMPLATES, TemplateError, render

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
}
SIGNATURE = "【京口党建】"
# This app's own templates (other apps register theirs in the same dict and test them).
OWN_KEYS = sorted(key for key in TEMPLATES if key.startswith(("request.", "digest.")))


@pytest.mark.parametrize("key", OWN_KEYS)
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


def test_deadlines_are_shown_in_local_time():
    deadline = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=datetime.UTC)  # 18:00 in Shanghai
    _title, text = render("request.deadline_soon", {**WORST_CASE, "deadline": deadline}, "zh-hans")
    assert "11月25日 18:00" in text


def test_a_row_missing_context_is_a_template_error_not_a_crash():
    with pytest.raises(TemplateError):
        render("request.submitted", {"code": "JK-1"}, "zh-hans")
    with pytest.raises(TemplateError):
        render("no.such.template", {}, "zh-hans")
