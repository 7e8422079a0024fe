"""Writes of the Open311 app: issuing and revoking API keys, and filing a request.

A request filed through Open311 is checked here, field by field, by the same rules and with
the same messages as the public form (name, phone, building, description), goes through the
same rate limits, and is made by resident_requests.services.request_submit, as one typed into
the public form.
"""

import math
import secrets
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.validators import validate_mainland_mobile
from grids.models import Building
from resident_requests import ratelimit
from resident_requests import services as request_services
from resident_requests.models import DESCRIPTION_MAX_LENGTH, Category, ResidentRequest
from resident_requests.selectors import buildings_matching

from . import selectors
from .models import ApiKey, Submission, key_digest

KEY_BYTES = 24


class RateLimited(ApplicationError):
    """Too many requests from this client or for this phone number."""


@transaction.atomic
def api_key_issue(*, name: str, contact: str = "") -> tuple[ApiKey, str]:
    """A new key for a client. Returns the key itself, which is never stored: show it once."""
    raw_key = secrets.token_urlsafe(KEY_BYTES)
    key = ApiKey(name=(name or "").strip(), contact=(contact or "").strip())
    key.prefix = raw_key[:8]
    key.digest = key_digest(raw_key)
    try:
        key.full_clean()
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), extra=exc.message_dict) from exc
    key.save()
    return key, raw_key


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """The key stops working at once; its row and the requests it filed stay."""
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
    return key


def api_key_touch(*, key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())


@dataclass
class Filing:
    """What a client sent with POST requests.{fmt}, still as text."""

    service_code: str
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    attributes: dict | None = None
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    description: str = ""
    media_url: str = ""


def _coordinate(text: str, name: str, bound: float) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not -bound <= value <= bound:
        raise ApplicationError(
            _("%(name)s must be a number between -%(bound)d and %(bound)d.")
            % {"name": name, "bound": bound}
        )
    return value


def _building_by_id(text: str, name: str):
    building = selectors.building_by_key(text)
    if building is None:
        raise ApplicationError(
            _(
                "%(name)s %(value)s is not a building of the portal: use a key from the service definition."
            )
            % {"name": name, "value": text[:40]}
        )
    return building


# The fields of a request as Open311 clients call them (in errors).
NAME = "first_name/last_name"
PHONE = "phone"
ADDRESS_STRING = "address_string"
ADDRESS_DETAIL = "attribute[address_detail]"
DESCRIPTION = "description"


@dataclass
class CheckedFiling:
    """A filing's request fields, checked: what request_submit takes."""

    name: str
    phone: str
    building: Building
    address: str
    description: str


class _Errors:
    """The messages of a filing's fields, by Open311 name, in the order they were found."""

    def __init__(self):
        self.by_field: dict[str, list[str]] = {}

    def check(self, field: str, check, *args, **kwargs):
        """check(*args, **kwargs), or None with its messages kept under `field`."""
        try:
            return check(*args, **kwargs)
        except ValidationError as exc:
            self.by_field.setdefault(field, []).extend(str(m) for m in exc.messages)
            return None

    def add(self, field: str, message) -> None:
        self.by_field.setdefault(field, []).append(str(message))

    def raise_any(self) -> None:
        if self.by_field:
            raise ApplicationError(
                " ".join(
                    f"{field}: {message}"
                    for field, messages in self.by_field.items()
                    for message in messages
                ),
                extra=self.by_field,
            )


def _text(value: str, *, max_length: int, min_length: int | None = None, required=True) -> str:
    """`value` stripped, within its length (the public form's rules and messages)."""
    field = forms.CharField(max_length=max_length, min_length=min_length, required=required)
    return field.clean(value)


def _phone(value: str) -> str:
    value = _text(value, max_length=20)
    value = "".join(ch for ch in value if not ch.isspace() and ch != "-")
    validate_mainland_mobile(value)
    return value


def _building_for_text(text: str, errors: _Errors) -> Building | None:
    """The one building an address names, as the public form finds it."""
    exact = list(Building.objects.filter(address=text)[:2])
    matches = exact or list(buildings_matching(text, limit=8))
    if len(matches) == 1:
        return matches[0]
    if matches:
        errors.add(ADDRESS_STRING, _("Several buildings match: pick yours from the list."))
    else:
        errors.add(
            ADDRESS_STRING,
            _(
                "We could not find that building. Type part of the road or estate name, "
                "e.g. 京口路, and pick it from the list, or tick “My building is not in "
                "the list” below."
            ),
        )
    return None


def _checked(filing: Filing, building: Building | None, attributes: dict) -> CheckedFiling:
    """The request's fields of `filing`, or ApplicationError naming every field that is wrong."""
    errors = _Errors()
    name = errors.check(
        NAME, _text, f"{filing.last_name.strip()}{filing.first_name.strip()}", max_length=50
    )
    phone = errors.check(PHONE, _phone, filing.phone)
    text = errors.check(
        ADDRESS_STRING,
        _text,
        building.address if building else filing.address_string,
        max_length=100,
        required=False,
    )
    address = errors.check(
        ADDRESS_DETAIL, _text, attributes.get("address_detail", ""), max_length=200, required=False
    )
    description = errors.check(
        DESCRIPTION, _text, filing.description, min_length=5, max_length=DESCRIPTION_MAX_LENGTH
    )
    if building is None and text is not None:
        if text:
            building = _building_for_text(text, errors)
        else:
            errors.add(
                ADDRESS_STRING,
                _("Type your building and pick it, or tick “My building is not in the list”."),
            )
    errors.raise_any()
    # With what the submission and its notifications read next (the grid's leader and units).
    building = Building.objects.select_related("grid__leader", "grid__unit", "grid__community").get(
        pk=building.pk
    )
    return CheckedFiling(
        name=name, phone=phone, building=building, address=address, description=description
    )


def request_file(*, filing: Filing, api_key: ApiKey, client_ip: str) -> Submission:
    """File a request for a resident through Open311. Raises ApplicationError (400),
    RateLimited (429) or Category.DoesNotExist (404 for an unknown service code)."""
    category = selectors.service_by_code(filing.service_code)
    if category is None:
        raise Category.DoesNotExist(filing.service_code)
    attributes = filing.attributes or {}

    building = None
    lat = lng = None
    if attributes.get("building"):
        building = _building_by_id(attributes["building"], "attribute[building]")
    elif filing.address_id:
        building = _building_by_id(filing.address_id, "address_id")
    if filing.lat or filing.long:
        lat = _coordinate(filing.lat, "lat", 90)
        lng = _coordinate(filing.long, "long", 180)
        if building is None:
            building = selectors.building_near(lat=lat, lng=lng)
            if building is None:
                raise ApplicationError(
                    _(
                        "No building of the portal lies within %(metres)d m of this point: give "
                        "address_id or attribute[building] from the service definition."
                    )
                    % {"metres": selectors.NEAR_METRES}
                )
    if building is None and not filing.address_string.strip():
        raise ApplicationError(
            _("Give a location: lat and long, address_string, address_id or attribute[building].")
        )
    if filing.email:
        try:
            validate_email(filing.email)
        except ValidationError as exc:
            raise ApplicationError(_("email is not a valid e-mail address.")) from exc
    if filing.media_url:
        try:
            URLValidator(schemes=["http", "https"])(filing.media_url)
        except ValidationError as exc:
            raise ApplicationError(_("media_url must be an http or https URL.")) from exc
        if len(filing.media_url) > 500:
            raise ApplicationError(_("media_url must be at most 500 characters."))

    data = _checked(filing, building, attributes)
    if ratelimit.hit("submit_ip", client_ip):
        raise RateLimited(_("Too many requests from this client. Wait a while and try again."))
    if ratelimit.hit("submit_phone", data.phone):
        raise RateLimited(
            _("Too many requests from this phone number today. Wait a while and try again.")
        )
    with transaction.atomic():
        request: ResidentRequest = request_services.request_submit(
            submitter_name=data.name,
            submitter_phone=data.phone,
            building=data.building,
            category=category,
            description=data.description,
            address=data.address,
            lat=lat,
            lng=lng,
        )
        submission = Submission.objects.create(
            request=request, api_key=api_key, media_url=filing.media_url
        )
    api_key_touch(key=api_key)
    return submission
