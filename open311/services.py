"""Writes of the Open311 app: issuing and revoking API keys, and filing a request.

A request filed through Open311 goes through the web form's own checks
(resident_requests.forms.RequestForm), its rate limits and resident_requests.services.request_submit,
exactly as one typed into the public form.
"""

import hashlib
import math
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from resident_requests import ratelimit
from resident_requests import services as request_services
from resident_requests.forms import RequestForm, new_form_token
from resident_requests.models import Category, ResidentRequest

from . import selectors
from .models import ApiKey, Submission

KEY_BYTES = 24


class RateLimited(ApplicationError):
    """Too many requests from this client or for this phone number."""


def key_digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


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


# The web form's field names, as Open311 clients call them.
OPEN311_NAMES = {
    "name": "first_name/last_name",
    "phone": "phone",
    "building_text": "address_string",
    "building": "address_id",
    "address": "attribute[address_detail]",
    "category": "service_code",
    "description": "description",
}


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

    # The web form's checks: name, phone, building, category, description.
    name = f"{filing.last_name.strip()}{filing.first_name.strip()}"
    form = RequestForm(
        data={
            "name": name,
            "phone": filing.phone,
            "building_text": building.address if building else filing.address_string,
            "building": building.pk if building else "",
            "address": attributes.get("address_detail", ""),
            "category": category.pk,
            "description": filing.description,
            "consent": "on",  # the client's terms of use (its API key) cover the consent
            "form_token": new_form_token(),  # required by the form; no double submit here
            "confirm_new": "1",
        }
    )
    if not form.is_valid():
        raise ApplicationError(
            _form_errors_open311(form),
            extra={OPEN311_NAMES.get(k, k): [str(e) for e in v] for k, v in form.errors.items()},
        )
    data = form.cleaned_data
    if ratelimit.hit("submit_ip", client_ip):
        raise RateLimited(_("Too many requests from this client. Wait a while and try again."))
    if ratelimit.hit("submit_phone", data["phone"]):
        raise RateLimited(
            _("Too many requests from this phone number today. Wait a while and try again.")
        )
    with transaction.atomic():
        request: ResidentRequest = request_services.request_submit(
            submitter_name=data["name"],
            submitter_phone=data["phone"],
            building=data["building_obj"],
            category=data["category"],
            description=data["description"],
            address=data["address"],
            lat=lat,
            lng=lng,
        )
        submission = Submission.objects.create(
            request=request, api_key=api_key, media_url=filing.media_url
        )
    api_key_touch(key=api_key)
    return submission


def _form_errors_open311(form) -> str:
    messages = []
    for field, errors in form.errors.items():
        for error in errors:
            if field == "__all__":
                messages.append(str(error))
            else:
                messages.append(f"{OPEN311_NAMES.get(field, field)}: {error}")
    return " ".join(messages)
