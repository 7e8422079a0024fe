"""Masking of personal data for lists and public pages."""

import re


def mask_phone(phone: str | None) -> str:
    """138****5678: enough to recognise a number, not enough to call it."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


# A mainland mobile number inside free text ("电话13812345678"): what anonymization blanks.
PHONE_IN_TEXT_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
PHONE_MASK = "***********"


def scrub_phones(text: str | None) -> str:
    """The text with every mobile number in it starred out (personal-data retention)."""
    return PHONE_IN_TEXT_RE.sub(PHONE_MASK, text or "")


def mask_name(name: str | None) -> str:
    """张** — the surname only, as staff and public pages show residents."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


# --- Redaction of free text shown in public ----------------------------------------------------
#
# Every public surface (the "me too" box, the public view of a request, Open311, the anonymous
# API, station pages) shows free text only through redact_text(): residents write "我是9号楼302室
# 的张桂英…请打我电话136…" into descriptions, and staff copy such details into their notes.

# Full-width digits, letters and the signs numbers are written with, mapped one character to one
# character, so that positions found in the mapped text are positions in the original.
_FULL_WIDTH = {
    **{0xFF10 + i: ord("0") + i for i in range(10)},
    **{0xFF21 + i: ord("A") + i for i in range(26)},
    **{0xFF41 + i: ord("a") + i for i in range(26)},
    0xFF0B: ord("+"),  # ＋
    0xFF0D: ord("-"),  # －
    0x2014: ord("-"),  # —
    0x2013: ord("-"),  # –
    0x2212: ord("-"),  # −
    0xFF08: ord("("),  # （
    0xFF09: ord(")"),  # ）
    0xFF20: ord("@"),  # ＠
    0xFF0E: ord("."),  # ．
    0x3002: ord("."),  # 。 (in "qq。com")
    0x3000: ord(" "),  # ideographic space
}

_SEP = r"[ \t\-.]?"  # one space, dash or dot between groups of digits
_NOT_DIGIT_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_DIGIT_AFTER = r"(?![0-9])"

_PATTERNS = [
    # E-mail addresses (spaces around the @ too).
    re.compile(
        r"[A-Za-z0-9._%+\-]+\s*@\s*[A-Za-z0-9\-]+(?:\s*\.\s*[A-Za-z0-9\-]+)*\s*\.\s*[A-Za-z]{2,}"
    ),
    # Identity card numbers: 18 digits (the last may be X), written in groups or not; 15 old ones.
    re.compile(
        _NOT_DIGIT_BEFORE
        + r"[1-9](?:"
        + _SEP
        + r"[0-9]){16}"
        + _SEP
        + r"[0-9Xx]"
        + r"(?![0-9A-Za-z])"
    ),
    re.compile(_NOT_DIGIT_BEFORE + r"[1-9][0-9]{14}" + _NOT_DIGIT_AFTER),
    # Mainland mobiles, with +86 / 0086 / (+86) before them, in groups of digits or not.
    re.compile(
        r"(?:\(?(?:\+|00)\s*86\)?[ \t\-]*)?"
        + _NOT_DIGIT_BEFORE
        + r"1[3-9][0-9](?:"
        + _SEP
        + r"[0-9]){8}"
        + _NOT_DIGIT_AFTER
    ),
    # Landlines with an area code: 0511-8888 8888, (0511)88888888, 0511 85021234, 025-1234567.
    re.compile(
        r"(?:\(\s*0[1-9][0-9]{1,2}\s*\)|" + _NOT_DIGIT_BEFORE + r"0[1-9][0-9]{1,2})"
        r"[ \t\-]*[2-9][0-9]{2,3}[ \t\-]?[0-9]{4}" + _NOT_DIGIT_AFTER
    ),
    # Local numbers without an area code: 8 digits (Zhenjiang's), 8888 8888 or 8888-8888; not
    # a date written 20260501.
    re.compile(
        _NOT_DIGIT_BEFORE
        + r"(?!(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])(?![0-9]))"
        + r"[2-9][0-9]{3}[ \t\-]?[0-9]{4}"
        + _NOT_DIGIT_AFTER
    ),
    # Any other long run of digits (bank cards, numbers in odd groupings): 11 digits or more.
    re.compile(_NOT_DIGIT_BEFORE + r"[0-9](?:" + _SEP + r"[0-9]){10,}" + _NOT_DIGIT_AFTER),
    # Rooms: 302室, 302 房, 1203号房, 302户.
    re.compile(_NOT_DIGIT_BEFORE + r"[0-9]{1,4}\s*(?:室|房间|房|号房|户)"),
    # Building-unit-room: 3-302, 9-2-302, 9#302.
    re.compile(
        _NOT_DIGIT_BEFORE
        + r"[0-9]{1,3}(?:\s*[-#]\s*[0-9]{1,3}){0,2}\s*[-#]\s*[0-9]{3,4}"
        + _NOT_DIGIT_AFTER
    ),
    # A room after the building or the unit: 2单元302, 9号楼302, 9栋 1203, 5幢2单元301号.
    re.compile(
        r"(?<=号楼|单元|[0-9]栋|[0-9]幢|[0-9]楼|[0-9]座)\s*[0-9]{3,4}(?:\s*号)?"
        r"(?![0-9年月日天元块个人次岁%路])"
    ),
]

# Never hidden: the portal's own tracking codes (JK-20261125-7KQ3MX2PA), which staff quote.
_KEEP = re.compile(r"JK-[0-9]{8}-[0-9A-Z]{9}", re.IGNORECASE)

# Frequent surnames, for names that staff text introduces ("居民张桂英反映", "联系人：李明").
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱"
    "严覃武戴莫孔向汤殷"
)
_HAN = r"[\u4e00-\u9fff]"
_NAME_PATTERNS = [
    re.compile(
        r"(?:我是|我叫|本人|居民|住户|业主|老人|联系人|姓名|名叫)[:：\s]*(?P<x>["
        + _SURNAMES
        + r"]"
        + _HAN
        + r"{1,2})"
    ),
    re.compile(
        r"["
        + _SURNAMES
        + r"]"
        + _HAN
        + r"{1,2}(?=阿姨|大爷|大妈|奶奶|爷爷|老人|先生|女士|师傅|同志)"
    ),
]


def redaction_marker() -> str:
    from django.utils.translation import gettext

    return gettext("[hidden]")


def _name_variants(names) -> list[str]:
    """Each name as given, and a Chinese name's given part (张桂英 → 桂英) when it has two
    characters or more: neighbours call people by it."""
    variants = set()
    for name in names:
        name = "".join((name or "").split())
        if len(name) < 2:
            continue
        variants.add(name)
        if re.fullmatch(_HAN + r"{3,4}", name):
            variants.add(name[1:])
    # Longest first, so that 张桂英 goes as a whole before 桂英.
    return sorted(variants, key=len, reverse=True)


def redact_text(text: str | None, *, names=()) -> str:
    """The text with phone numbers, landlines, identity card numbers, e-mail addresses, room
    numbers and the given people's names replaced by a marker ("[已隐去]"). Dates, durations,
    amounts and building numbers on their own ("5号楼") stay as written."""
    if not text:
        return ""
    text = str(text)
    mapped = text.translate(_FULL_WIDTH)
    spans: list[tuple[int, int]] = []
    for name in _name_variants(names):
        # The name, also written with spaces between its characters.
        pattern = r"\s*".join(re.escape(ch) for ch in name.translate(_FULL_WIDTH))
        spans += [m.span() for m in re.finditer(pattern, mapped, flags=re.IGNORECASE)]
    for pattern in [*_PATTERNS, *_NAME_PATTERNS]:
        # A pattern with a group "x" finds its words in context and hides only the group.
        group = "x" if "x" in pattern.groupindex else 0
        spans += [m.span(group) for m in pattern.finditer(mapped)]
    kept = [m.span() for m in _KEEP.finditer(mapped)]
    spans = [
        (a, b) for a, b in spans if not any(a < k_end and k_start < b for k_start, k_end in kept)
    ]
    if not spans:
        return text
    spans.sort()
    merged: list[list[int]] = []
    for start, end in spans:
        if start == end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    marker = redaction_marker()
    out, position = [], 0
    for start, end in merged:
        # Keep the spaces a pattern took at its edges: "电话 [已隐去]" reads better.
        while start < end and text[start].isspace():
            start += 1
        out.append(text[position:start])
        out.append(marker)
        position = end
    out.append(text[position:])
    return "".join(out)
