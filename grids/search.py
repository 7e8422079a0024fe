"""How residents' spellings of a building become one search key ("京口路新村五号楼" = "5栋" =
"5号楼"), used both when a building is indexed and when a query is read.

A key is the address with Chinese numerals as digits, full-width as half-width, case folded,
spaces and punctuation dropped, "社区" and a leading "江苏省镇江市京口区" dropped, every number
marked by a leading "~" (so "5栋" never matches inside "15栋") and 栋/幢/号楼/座/号/楼/# after a
number written as 栋. The community's name follows after "|": a community's name alone finds
its buildings.
"""

import re
import unicodedata
from dataclasses import dataclass

NUMBER_MARK = "~"
COMMUNITY_MARK = "|"
BUILDING_WORD = "栋"
# Raw input read at most (a name and an address fit well inside), and words compared at most.
MAX_QUERY_CHARS = 100
MAX_TOKENS = 8
SORT_DIGITS = 6

_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_DIGIT |= {"八": 8, "九": 9}
_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_NUMBER = re.compile(f"[{''.join(_DIGIT)}{''.join(_UNIT)}]+")
# "号楼" before "号" and "楼"; a space between the number and the word is allowed.
_BUILDING = re.compile(r"([0-9]+)\s*(?:号楼|栋|幢|座|号|楼|#)")
_DIGITS = re.compile(r"[0-9]+")
# A number with the words after it up to the next number ("~5栋", "~2单元"), or plain words.
_TOKEN = re.compile(rf"{NUMBER_MARK}[0-9]+[^{NUMBER_MARK}0-9]*|[^{NUMBER_MARK}]+")
_STOP_WORDS = ("社区",)
_WITHIN_BUILDING = re.compile(rf"{NUMBER_MARK}[0-9]+(?:单元|室|层|户)")
# What every address in the district starts with, typed or not: it tells nothing apart.
_PLACE_PREFIX = re.compile(r"^(?:\s*(?:江苏省|江苏|镇江市|镇江|京口区))+")
_COMMUNITY_SUFFIXES = ("党总支", "党委", "党支部")


def chinese_number(text: str) -> int:
    """二十三 → 23, 十二 → 12, 一百零五 → 105; 二〇二二 (digit by digit) → 2022."""
    if not any(ch in _UNIT for ch in text):
        return int("".join(str(_DIGIT[ch]) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch in _UNIT:
            total += (current or 1) * _UNIT[ch]
            current = 0
        else:
            current = current * 10 + _DIGIT[ch] if current else _DIGIT[ch]
    return total + current


def normalize(text: str) -> str:
    """The key of a piece of text (an address, a community's name, or what a resident typed)."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = _PLACE_PREFIX.sub("", text.strip())
    text = _CN_NUMBER.sub(lambda m: str(chinese_number(m.group())), text)
    text = _BUILDING.sub(rf"\1{BUILDING_WORD}", text)
    for word in _STOP_WORDS:
        text = text.replace(word, "")
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    # Separators ("5-2", "5 2") end a number; then they go.
    text = _DIGITS.sub(lambda m: f"{NUMBER_MARK}{int(m.group())} ", text)
    return "".join(text.split())


def community_key(name: str) -> str:
    """京口路社区党委 → 京口路."""
    name = (name or "").strip()
    for suffix in _COMMUNITY_SUFFIXES:
        name = name.removesuffix(suffix)
    return normalize(name)


def building_search_key(address: str, community_name: str = "") -> str:
    key = normalize(address)
    community = community_key(community_name)
    return f"{key}{COMMUNITY_MARK}{community}" if community else key


def building_sort_key(address: str) -> str:
    """The address's key with its numbers zero-padded: 1号楼, 2号楼 … 10号楼 in that order."""
    key = normalize(address)
    return _DIGITS.sub(lambda m: m.group().zfill(SORT_DIGITS), key).replace(NUMBER_MARK, "")


@dataclass(frozen=True)
class Query:
    key: str  # the whole query's key
    tokens: tuple[str, ...]  # its words and numbers, each of which a match must contain
    # The key as people shorten it: "京口路5号楼" for 京口路新村5号楼 (an estate named after its
    # road is called by the road's name). None when the query is no such short form.
    expanded: str | None = None


# A road's (路, 街, 巷) name right before a number: where "新村" is left out.
_ROAD_BEFORE_NUMBER = re.compile(rf"([路街巷])(?={NUMBER_MARK}[0-9])")


def parse_query(text: str) -> Query | None:
    """What to look for, or None when there is too little to search on (one character, junk)."""
    key = normalize((text or "")[:MAX_QUERY_CHARS])
    if len(key.replace(NUMBER_MARK, "")) < 2:
        return None
    tokens = tuple(dict.fromkeys(_TOKEN.findall(key)))[:MAX_TOKENS]
    # A unit, floor or flat typed after the building ("5号楼2单元") is more than most addresses
    # hold: not required, though an address that has it matches the whole query and comes first.
    required = tuple(t for t in tokens if not _WITHIN_BUILDING.fullmatch(t))
    tokens = required or tokens
    expanded = _ROAD_BEFORE_NUMBER.sub(r"\1新村", key)
    return Query(key=key, tokens=tokens, expanded=expanded if expanded != key else None)
