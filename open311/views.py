"""Open311 GeoReport v2 endpoints under /open311/v2/, each in XML and JSON.

Thin: selectors read, services write, records.py shapes, formats.py writes. Errors take the
spec's shape with 403 (API key), 404 (unknown service, request, token or jurisdiction), 429
(rate limits) and 400 for the rest; reading is public and throttled per address like the
portal's public look-ups.
"""

import datetime
from functools import wraps

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from core.exceptions import ApplicationError
from core.validators import scrub_input
from resident_requests import ratelimit
from resident_requests.models import DESCRIPTION_MAX_LENGTH, Category

from . import records, selectors, services
from .formats import FORMATS, render, render_errors

MAX_PARAM = DESCRIPTION_MAX_LENGTH  # the longest field, a description


class BadInput(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _params(http_request):
    """The request's parameters without control characters (core.validators.scrub_input)."""
    return scrub_input(http_request.POST if http_request.method == "POST" else http_request.GET)


def open311_view(*methods):
    """Checks shared by every endpoint: format, method, jurisdiction, length of the input,
    the per-address throttle for reads; BadInput becomes an error in the spec's shape."""

    def decorate(view):
        @csrf_exempt
        @never_cache
        @wraps(view)
        def wrapper(http_request, *args, fmt, **kwargs):
            if fmt not in FORMATS:
                return render_errors(
                    "xml", 404, _("Unknown format %(fmt)s: use xml or json.") % {"fmt": fmt[:10]}
                )
            if http_request.method not in methods:
                response = render_errors(
                    fmt, 405, _("Use %(methods)s here.") % {"methods": ", ".join(methods)}
                )
                response["Allow"] = ", ".join(methods)
                return response
            params = _params(http_request)
            try:
                values = [v for _key, vs in params.lists() for v in vs]
                if any(len(v) > MAX_PARAM * 3 for v in values):
                    raise BadInput(400, _("A parameter is too long."))
                if any("\x00" in v for v in [*values, *kwargs.values()]):
                    raise BadInput(400, _("A parameter contains a null character."))
                jurisdiction = params.get("jurisdiction_id", "")
                if jurisdiction and jurisdiction != settings.OPEN311_JURISDICTION_ID:
                    raise BadInput(
                        404,
                        _("Unknown jurisdiction_id: this server answers for %(id)s.")
                        % {"id": settings.OPEN311_JURISDICTION_ID},
                    )
                if http_request.method == "GET" and ratelimit.hit(
                    "lookup_ip", ratelimit.client_ip(http_request)
                ):
                    raise BadInput(429, _("Too many requests. Wait a while and try again."))
                return view(http_request, *args, fmt=fmt, **kwargs)
            except BadInput as exc:
                return render_errors(fmt, exc.status, exc.message)

        return wrapper

    return decorate


def _absolute(http_request):
    return http_request.build_absolute_uri


# --- Discovery and services -----------------------------------------------------------------------


@open311_view("GET")
def discovery(http_request, fmt):
    changeset = Category.objects.aggregate(at=Max("updated_at"))["at"] or timezone.now()
    data = records.discovery(_absolute(http_request), changeset)
    return render(data, fmt, root="discovery")


@open311_view("GET")
def service_list(http_request, fmt):
    data = [records.service(category) for category in selectors.services_public()]
    return render(data, fmt, root="services")


@open311_view("GET")
def service_definition(http_request, fmt, service_code):
    category = selectors.service_by_code(service_code)
    if category is None:
        raise BadInput(404, _("Unknown service_code %(code)s.") % {"code": service_code[:40]})
    return render(records.service_definition(category), fmt, root="service_definition")


# --- Requests ---------------------------------------------------------------------------------------


def _when(text: str, name: str, *, end_of_day: bool = False) -> datetime.datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    value = None
    if "T" in text or " " in text:
        # A "+08:00" sent unencoded in a query string arrives as " 08:00".
        try:
            value = parse_datetime(text.replace(" ", "+") if "T" in text else text)
        except ValueError:
            value = None
    if value is None:
        try:
            day = parse_date(text)
        except ValueError:
            day = None
        if day is None:
            raise BadInput(
                400,
                _("%(name)s must be a date and time in ISO 8601, e.g. 2026-11-25T09:30:00+08:00.")
                % {"name": name},
            )
        value = datetime.datetime.combine(
            day, datetime.time.max if end_of_day else datetime.time.min
        )
    if not 1900 <= value.year <= 2999:
        raise BadInput(400, _("%(name)s is out of range.") % {"name": name})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _list(text: str) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


@open311_view("GET", "POST")
def requests(http_request, fmt):
    if http_request.method == "POST":
        return _request_post(http_request, fmt)
    params = http_request.GET
    public_ids = [pid.upper() for pid in _list(params.get("service_request_id", ""))]
    if len(public_ids) > selectors.MAX_RECORDS:
        raise BadInput(400, _("Ask for at most 1,000 service_request_id at once."))
    statuses = [s.lower() for s in _list(params.get("status", ""))]
    if any(s not in ("open", "closed") for s in statuses):
        raise BadInput(400, _("status must be open, closed or both, separated by a comma."))
    start = _when(params.get("start_date", ""), "start_date")
    end = _when(params.get("end_date", ""), "end_date", end_of_day=True)
    if not public_ids:
        # The spec's default window: the last 90 days, and never more than 90 days at once.
        if start and end and start > end:
            raise BadInput(400, _("start_date must be before end_date."))
        if start and end and end - start > datetime.timedelta(days=selectors.MAX_DAYS):
            raise BadInput(400, _("Ask for at most 90 days at once (start_date to end_date)."))
        if start is None and end is None:
            end = timezone.now()
        if start is None:
            start = end - datetime.timedelta(days=selectors.MAX_DAYS)
        if end is None:
            end = min(start + datetime.timedelta(days=selectors.MAX_DAYS), timezone.now())
    found = selectors.requests_public(
        public_ids=public_ids,
        service_codes=_list(params.get("service_code", "")),
        start=start,
        end=end,
        statuses=statuses,
    )
    data = [records.request_record(r, _absolute(http_request)) for r in found]
    return render(data, fmt, root="service_requests")


def _attributes(params) -> dict:
    attributes = {}
    for key in params:
        if key.startswith("attribute[") and key.endswith("]"):
            attributes[key[len("attribute[") : -1]] = params.get(key, "")
    return attributes


def _request_post(http_request, fmt):
    params = _params(http_request)
    key = selectors.api_key_for(params.get("api_key", ""))
    if key is None:
        message = (
            _("api_key is required to file a request: ask the portal's administrators for one.")
            if not params.get("api_key")
            else _("This api_key is not valid (unknown or revoked).")
        )
        raise BadInput(403, message)
    service_code = params.get("service_code", "").strip()
    if not service_code:
        raise BadInput(400, _("service_code is required."))
    filing = services.Filing(
        service_code=service_code,
        lat=params.get("lat", "").strip(),
        long=params.get("long", "").strip(),
        address_string=params.get("address_string", ""),
        address_id=params.get("address_id", "").strip(),
        attributes=_attributes(params),
        email=params.get("email", "").strip(),
        first_name=params.get("first_name", ""),
        last_name=params.get("last_name", ""),
        phone=params.get("phone", ""),
        description=params.get("description", ""),
        media_url=params.get("media_url", "").strip(),
    )
    try:
        submission = services.request_file(
            filing=filing, api_key=key, client_ip=ratelimit.client_ip(http_request)
        )
    except Category.DoesNotExist:
        raise BadInput(
            404, _("Unknown service_code %(code)s.") % {"code": service_code[:40]}
        ) from None
    except services.RateLimited as exc:
        raise BadInput(429, str(exc.message)) from exc
    except ApplicationError as exc:
        raise BadInput(400, str(exc.message)) from exc
    return render(
        [records.post_answer(submission.request)], fmt, root="service_requests", status=201
    )


@open311_view("GET")
def request_detail(http_request, fmt, service_request_id):
    request = selectors.request_public(service_request_id)
    if request is None:
        raise BadInput(
            404,
            _("Unknown service_request_id %(id)s.") % {"id": service_request_id[:24]},
        )
    data = [records.request_record(request, _absolute(http_request))]
    return render(data, fmt, root="service_requests")


@open311_view("GET")
def token_detail(http_request, fmt, token):
    submission = selectors.submission_by_token(token)
    if submission is None:
        raise BadInput(404, _("Unknown token."))
    data = [records.token_answer(submission)]
    return render(data, fmt, root="service_requests")


@open311_view("GET")
def request_updates(http_request, fmt):
    """mySociety's extension: status changes and notes of requests, oldest first."""
    params = http_request.GET
    start = _when(params.get("start_date", ""), "start_date")
    end = _when(params.get("end_date", ""), "end_date", end_of_day=True) or timezone.now()
    if start is None:
        start = end - datetime.timedelta(days=1)
    if start > end:
        raise BadInput(400, _("start_date must be before end_date."))
    if end - start > datetime.timedelta(days=selectors.MAX_DAYS):
        raise BadInput(400, _("Ask for at most 90 days at once (start_date to end_date)."))
    public_ids = [pid.upper() for pid in _list(params.get("service_request_id", ""))]
    events = selectors.request_updates(
        start=start, end=end, public_ids=public_ids[: selectors.MAX_RECORDS]
    )
    data = [records.request_update(event) for event in events]
    return render(data, fmt, root="service_requests_updates")
