"""The SMS codes of "my requests", pinned where a mutation run of resident_requests/services.py
found no test holding them: a code is six random digits, belongs to its phone alone (another
phone's new code or wrong tries leave it be), works once, and the last try says it was the last.
"""

import pytest

from core.exceptions import ApplicationError
from notifications.messages import open_code
from notifications.models import Notification
from resident_requests import services
from resident_requests.models import PhoneVerification

pytestmark = pytest.mark.django_db

ANNA, BO = "13812345678", "13987654321"
EXPIRED = "验证码已失效（5分钟内有效），请重新获取。"


def _code(phone: str) -> str:
    """The code of the latest SMS to `phone`, as the resident reads it."""
    row = Notification.objects.filter(phone=phone, template_key="resident.phone_code").latest("pk")
    return open_code(row.context["otp_sealed"], row.context["otp_nonce"])


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _refused(phone: str, code: str) -> str:
    with pytest.raises(ApplicationError) as error:
        services.phone_verification_check(phone=phone, code=code)
    return str(error.value)


def test_codes_are_six_digits_drawn_from_a_million():
    codes = []
    for _ in range(40):
        services.phone_verification_start(phone=ANNA)
        codes.append(_code(ANNA))
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    # Forty draws below 1,000 out of a million would happen once in 10^120 runs.
    assert max(int(code) for code in codes) >= 1000
    assert len(set(codes)) > 30


def test_another_phone_s_new_code_leaves_this_one_working():
    services.phone_verification_start(phone=ANNA)
    anna = _code(ANNA)
    services.phone_verification_start(phone=BO)

    verification = services.phone_verification_check(phone=ANNA, code=anna)

    assert verification.phone == ANNA and verification.used_at is not None


def test_wrong_codes_typed_for_another_phone_cost_this_one_no_try():
    services.phone_verification_start(phone=ANNA)
    anna = _code(ANNA)
    for _ in range(services.PHONE_CODE_TRIES):
        message = _refused(BO, anna)
        assert message == EXPIRED

    assert PhoneVerification.objects.get(phone=ANNA).attempts == 0
    assert services.phone_verification_check(phone=ANNA, code=anna).phone == ANNA


def test_a_code_works_once():
    services.phone_verification_start(phone=ANNA)
    anna = _code(ANNA)
    services.phone_verification_check(phone=ANNA, code=anna)

    assert _refused(ANNA, anna) == EXPIRED


def test_the_last_wrong_try_says_it_was_the_last():
    services.phone_verification_start(phone=ANNA)
    wrong = _wrong(_code(ANNA))
    said = [_refused(ANNA, wrong) for _ in range(services.PHONE_CODE_TRIES)]

    assert said[-2] == "验证码不对，请核对短信后再试（还可以试1次）。"
    assert said[-1] == "验证码不对，已没有重试机会，请重新获取。"
    assert _refused(ANNA, wrong) == "验证码输错次数太多，请重新获取。"
