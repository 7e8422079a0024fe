"""The look-ups residents and staff reach a request by: the tracking code with the phone's last
four digits, a code typed loosely, a staff member's code look-up, the signed public link, the
building search (found by `make mutants` on resident_requests.selectors)."""

import pytest
from django.core import signing

from grids.models import Building
from resident_requests import selectors
from resident_requests.models import ResidentRequest

from .factories import PHONE, submit

pytestmark = pytest.mark.django_db

CODE = "JK-20261125-7KQ3MX2PA"  # an X in it: only dashes, underscores and spaces are dropped


def _with_code(w, code=CODE):
    request = submit(w)
    ResidentRequest.objects.filter(pk=request.pk).update(code=code)
    request.refresh_from_db()
    return request


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("jk 2026 1125 7kq3mx2pa", CODE),
        ("JK_2O26II25_7KQ3MX2PA", CODE),  # O for 0, I for 1 in the date, not in the rest
        ("ＪＫ－２０２６１１２５－７ＫＱ３ＭＸ２ＰＡ", CODE),  # full width
        ("JK-20261125-7KQ3MX2PO", "JK-20261125-7KQ3MX2PO"),
        ("a-b c_d", "ABCD"),  # not the shape of a code: compacted, upper case
        ("", ""),
        (None, ""),
    ],
)
def test_a_code_typed_loosely_is_read_as_the_stored_one(typed, expected):
    assert selectors.normalize_tracking_code(typed) == expected


def test_tracking_needs_the_code_and_the_last_four_ascii_digits_of_the_phone(w):
    request = _with_code(w)
    last4 = PHONE[-4:]

    assert selectors.request_for_tracking(code=CODE, phone_last4=last4) == request
    assert selectors.request_for_tracking(code="jk20261125 7kq3mx2pa", phone_last4=f" {last4} ")
    for wrong in ("", None, PHONE[-5:], PHONE[-3:], "0000", PHONE[-5:-1], "5a78", "１２３４"):
        assert selectors.request_for_tracking(code=CODE, phone_last4=wrong) is None, wrong
    # The same phone digits in full width, as a Chinese input method types them.
    full_width = last4.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert selectors.request_for_tracking(code=CODE, phone_last4=full_width) is None
    assert selectors.request_for_tracking(code="JK-20261125-7KQ3MX2PB", phone_last4=last4) is None


def test_staff_find_a_request_by_its_code_only_in_their_area(w):
    request = _with_code(w)  # grid A's

    assert selectors.request_for_code(w.users["leader"], f"  {CODE.lower()} ") == request
    assert selectors.request_for_code(w.users["leader_c"], CODE) is None
    assert selectors.request_for_code(w.users["leader"], "") is None
    assert selectors.request_for_code(w.users["leader"], None) is None


def test_the_signed_public_link_leads_to_its_request_and_nothing_else(w):
    request, other = submit(w), submit(w)
    signer = signing.Signer(salt=selectors.PUBLIC_REF_SALT)
    ref = selectors.public_ref(request)

    found = selectors.request_for_public_ref(ref)
    assert found == request
    assert found.building == w.buildings[0] and found.category.parent == w.category.parent
    assert selectors.request_for_public_ref(ref.replace(str(request.pk), str(other.pk), 1)) is None
    assert (
        selectors.request_for_public_ref(signing.Signer(salt="other").sign(str(other.pk))) is None
    )
    assert selectors.request_for_public_ref(signer.sign("abc")) is None
    assert selectors.request_for_public_ref("") is None


def test_a_public_link_longer_than_100_characters_is_refused_even_when_signed(w):
    request = submit(w)
    signer = signing.Signer(salt=selectors.PUBLIC_REF_SALT)
    suffix = len(signer.sign(""))  # the ":" and the signature

    def padded(length):  # the request's number with leading zeros, signed, `length` long
        return signer.sign(str(request.pk).rjust(length - suffix, "0"))

    assert len(padded(100)) == 100 and len(padded(101)) == 101
    assert selectors.request_for_public_ref(padded(100)) == request
    assert selectors.request_for_public_ref(padded(101)) is None


def test_the_building_search_gives_ten_by_default_or_the_number_asked(w):
    base = w.buildings[0]
    for n in range(12):
        Building.objects.create(
            grid=base.grid,
            name=f"{n + 20}号楼",
            address=f"梦溪园{n + 20}号楼",
            lat=base.lat,
            lng=base.lng,
        )

    assert selectors.buildings_matching("梦溪园").count() == 10
    assert len(selectors.buildings_matching("梦溪园", limit=3)) == 3
    assert {b.address for b in selectors.buildings_matching("梦溪园25号楼")} == {"梦溪园25号楼"}


def test_the_private_link_finds_its_request_by_a_token_of_any_allowed_length(w):
    """The column holds tokens up to 64 characters (earlier ones, imported or seeded rows, are
    longer than today's 43): a 64-character token still finds its request; an empty one, one
    too long or one with a NUL finds nothing and raises nothing."""
    request = submit(w)
    assert selectors.request_for_token(request.access_token) == request
    ResidentRequest.objects.filter(pk=request.pk).update(access_token="a" * 64)
    assert selectors.request_for_token("a" * 64) == request
    for token in ("", None, "a" * 65, "a" * 63 + "\x00"):
        assert selectors.request_for_token(token) is None
