"""core.privacy.redact_text: what residents and staff write, as strangers may read it."""

import pytest
from django.utils import translation

from core.privacy import redact_text, redaction_marker

NAME = "张桂英"

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        # The issue's own example.
        (
            "我是9号楼302室的张桂英，楼道灯坏了，请打我电话13612345678",
            ["302", "张桂英", "13612345678"],
        ),
        ("电话 139 1234 5678 找我", ["139 1234 5678", "5678"]),
        ("电话139-1234-5678", ["139-1234-5678"]),
        ("+86 139 1234 5678", ["1234 5678", "+86"]),
        ("008613912345678", ["13912345678"]),
        ("（+86）13912345678", ["13912345678"]),
        ("手机：１３９１２３４５６７８", ["１３９１２３４５６７８"]),
        ("座机0511-8888 8888", ["8888 8888"]),
        ("座机(0511)88888888", ["88888888"]),
        ("座机（０５１１）８５０２１２３４", ["８５０２１２３４"]),
        ("座机 0511 85021234", ["85021234"]),
        ("打85021234就行", ["85021234"]),
        ("打8502-1234就行", ["8502-1234"]),
        ("身份证321102198001011234", ["321102198001011234", "19800101"]),
        ("身份证号32110219800101123X。", ["32110219800101123X", "123X"]),
        ("身份证 321102 19800101 123x", ["19800101", "123x"]),
        ("老身份证321102800101123", ["321102800101123"]),
        ("邮箱 zhang.guiying@qq.com", ["zhang.guiying", "qq.com"]),
        ("邮箱 zhang @ 163 . com", ["zhang", "163"]),
        ("邮箱ｚｈａｎｇ＠１６３．ｃｏｍ", ["ｚｈａｎｇ"]),
        ("住2单元302", ["302"]),
        ("住9号楼302", ["302"]),
        ("住3-302", ["3-302"]),
        ("住9-2-1203", ["1203"]),
        ("302房漏水", ["302"]),
        ("1203号房", ["1203"]),
        ("５号楼３０２室", ["３０２"]),
        ("9栋 1203号", ["1203"]),
        ("桂英说灯坏了", ["桂英"]),  # the given name alone, as neighbours say it
        ("张 桂 英 反映", ["张 桂 英"]),
        # Names that staff text introduces, without knowing whose they are.
        ("居民李秀兰反映噪音", ["李秀兰"]),
        ("联系人：王明", ["王明"]),
        ("陈桂芳阿姨家门口", ["陈桂芳"]),
    ],
)
def test_personal_details_are_hidden(text, secrets):
    redacted = redact_text(text, names=[NAME])
    assert redaction_marker() in redacted
    for secret in secrets:
        assert secret not in redacted, (text, redacted)


@pytest.mark.parametrize(
    "text",
    [
        "2026年5月修过一次",
        "坏了3天了",
        "5号楼门口的路灯",
        "2单元门口",
        "换灯泡花了1200元",
        "2026-05-01 09:30 来看过",
        "第302路公交站旁",
        "5号楼2026年修过",
        "3楼楼道",
        "已与 JK-20261205-J2QPEN9UY 一并办理",
        "张阿姨说灯坏了",  # a surname only: what the public timeline shows of staff too
        "20260501那天",
        "",
    ],
)
def test_ordinary_text_survives(text):
    assert redact_text(text, names=[NAME]) == text


def test_the_text_around_stays_as_written():
    redacted = redact_text("楼道灯坏了，请打１３９１２３４５６７８。谢谢！")
    assert redacted == f"楼道灯坏了，请打{redaction_marker()}。谢谢！"


def test_a_marker_for_each_detail_and_none_for_nothing():
    assert redact_text(None) == ""
    redacted = redact_text("13912345678 和 13812345678")
    assert redacted.count(redaction_marker()) == 2


def test_the_marker_is_translated():
    with translation.override("zh-hans"):
        marker = redaction_marker()
    # "[hidden]" until the lead merges the translations, then "[已隐去]": never empty.
    assert marker.startswith("[") and marker.endswith("]")
