"""The portal's data in GeoReport v2 shapes: services, service definitions, request records and
(mySociety's extension) request updates, as plain dicts that formats.py writes as JSON or XML.

Personal data never appears here: no resident's name, phone or e-mail, the building's address
rather than the resident's own address line (with its room), free text only as
core.privacy.redact_text() gives it (the description only where the resident allowed public
display), and only photos a grid leader approved.
"""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import DeadlineBasis
from core.privacy import redact_text
from resident_requests.models import (
    OPEN_STATUSES,
    Category,
    HandlingLevel,
    RequestEvent,
    ResidentRequest,
    Status,
)

from . import selectors

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"

# The workflow's state in mySociety's extended statuses (FixMyStreet's Open311 extension).
EXTENDED_STATUS = {
    Status.SUBMITTED: "open",
    Status.ACCEPTED: "investigating",
    Status.DISPATCHED: "action_scheduled",
    Status.TAKEN: "in_progress",
    Status.RESOLVED: "fixed",
    Status.CLOSED: "fixed",
    Status.REJECTED: "no_further_action",
    Status.MERGED: "duplicate",
}
EXTENDED_STATUSES = sorted(set(EXTENDED_STATUS.values()) | {"internal_referral"})


def iso(value) -> str:
    """ISO 8601 with the time zone's offset, e.g. 2026-11-25T09:30:00+08:00."""
    if value is None:
        return ""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


def open_or_closed(status: str) -> str:
    return "open" if status in OPEN_STATUSES else "closed"


def extended_status(status: str, level: str) -> str:
    if status in OPEN_STATUSES and status != Status.SUBMITTED and level == HandlingLevel.DEPARTMENT:
        return "internal_referral"  # 街社吹哨、部门报到: the departments have it
    return EXTENDED_STATUS.get(status, "open")


def service_notice(category: Category) -> str:
    hours = {"accept": category.hours_to_accept, "resolve": category.hours_to_resolve}
    if category.deadline_basis == DeadlineBasis.WORKING:
        return (
            _(
                "Accepted within %(accept)d working hours and handled within %(resolve)d "
                "working hours of acceptance (weekends and public holidays do not count)."
            )
            % hours
        )
    return (
        _("Accepted within %(accept)d hours and handled within %(resolve)d hours of acceptance.")
        % hours
    )


def service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": f"{category.parent.name} › {category.name}. {service_notice(category)}",
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join([category.parent.name, category.name]),
        "group": category.parent.name,
    }


def service_definition(category: Category) -> dict:
    buildings = selectors.building_choices()
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": "building",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": _(
                    "The building where the problem is. Give it here, as address_id, as lat and "
                    "long, or as address_string."
                ),
                "order": 1,
                "description": _("Building"),
                "values": [{"key": str(pk), "name": address} for pk, address in buildings],
            },
            {
                "variable": True,
                "code": "address_detail",
                "datatype": "string",
                "required": False,
                "datatype_description": _("At most 200 characters."),
                "order": 2,
                "description": _("Where exactly, e.g. unit 2, 3rd floor, the stairwell, the gate"),
                "values": [],
            },
        ],
    }


def _agency(request: ResidentRequest) -> str:
    grid = request.grid
    if request.level == HandlingLevel.GRID:
        return grid.name
    if request.level == HandlingLevel.COMMUNITY:
        return grid.community.name
    street = grid.community.parent.name if grid.community.parent_id else ""
    if request.level == HandlingLevel.DEPARTMENT:
        names = [link.department.name for link in getattr(request, "departments_called", [])]
        return "、".join(names) or street
    return street


def _status_notes(request: ResidentRequest) -> str:
    return redact_text(_status_notes_as_written(request), names=[request.submitter_name])


def _status_notes_as_written(request: ResidentRequest) -> str:
    if request.status == Status.REJECTED:
        return request.reject_reason
    if request.status == Status.MERGED and request.merged_into_id:
        # The other request's public id: a tracking code is never published.
        return _("Reported already: handled together with %(code)s.") % {
            "code": request.merged_into.public_id
        }
    if request.status in (Status.RESOLVED, Status.CLOSED) and request.resolution_note:
        return request.resolution_note
    events = getattr(request, "public_events", None)
    return events[0].public_note if events else ""


def _media_url(request: ResidentRequest, build_absolute_uri) -> str | None:
    # Approved photos only (selectors prefetch no others). A media_url that a client filed is
    # not shown back: nobody has looked at what it shows.
    photos = getattr(request, "submission_photos", [])
    if photos:
        return build_absolute_uri(photos[0].image.url)
    return None


# Fields of a request record that GeoReport v2 says "may not be returned": left out when the
# portal has no value for them, rather than sent as "" (which a client would read as a value,
# and JSON schemas refuse where a date-time or a URL is expected).
OPTIONAL_IN_RECORD = ("expected_datetime", "address_id", "zipcode", "lat", "long", "media_url")


def _without_empty(record: dict, optional) -> dict:
    return {
        key: value
        for key, value in record.items()
        if key not in optional or value not in (None, "")
    }


def request_record(request: ResidentRequest, build_absolute_uri) -> dict:
    """One request as GET requests returns it, with the extended and detailed statuses."""
    building = request.building  # None when the resident's building is not in the list
    lat = request.lat if request.lat is not None or building is None else building.lat
    lng = request.lng if request.lng is not None or building is None else building.lng
    expected = request.resolve_deadline or request.accept_deadline
    record = {
        # The public id, never the tracking code: the code and the phone's last 4 digits open
        # the resident's own page, where the request is rated (and an "unsatisfied" reopens it).
        "service_request_id": request.public_id,
        "status": open_or_closed(request.status),
        "extended_status": extended_status(request.status, request.level),
        "detailed_status": request.status,
        "detailed_status_name": request.get_status_display(),
        "handling_level": request.level,
        "status_notes": _status_notes(request),
        "service_name": request.category.name,
        "service_code": request.category.code,
        # Only where the resident allowed public display, and then redacted: GeoReport v2
        # makes the field optional, so it is empty otherwise.
        "description": (
            redact_text(request.description, names=[request.submitter_name])
            if request.public_allowed
            else ""
        ),
        "agency_responsible": _agency(request),
        "service_notice": service_notice(request.category),
        "requested_datetime": iso(request.created_at),
        "updated_datetime": iso(request.updated_at),
        "expected_datetime": iso(expected) if request.status in OPEN_STATUSES else None,
        "address": building.address if building else request.grid.name,
        "address_id": str(request.building_id) if building else None,
        "zipcode": None,  # the portal has no postcodes
        "lat": lat,
        "long": lng,
        "media_url": _media_url(request, build_absolute_uri),
    }
    return _without_empty(record, OPTIONAL_IN_RECORD)


def post_answer(request: ResidentRequest) -> dict:
    """POST requests' answer. The request exists at once, so GeoReport v2 wants its
    service_request_id and no token ("should not be returned if service_request_id is
    returned"); account_id is left out: the portal has no accounts for residents."""
    return {
        "service_request_id": request.public_id,
        "service_notice": service_notice(request.category),
    }


def token_answer(submission) -> dict:
    """GET tokens/<token>: the request a token stands for."""
    return {"service_request_id": submission.request.public_id, "token": submission.token}


def request_update(event: RequestEvent) -> dict:
    """One line of a request's timeline as a mySociety request_update."""
    return {
        "update_id": str(event.pk),
        "service_request_id": event.request.public_id,
        "status": extended_status(event.to_status, event.to_level),
        "detailed_status": event.to_status,
        "updated_datetime": iso(event.created_at),
        "description": (
            redact_text(event.public_note, names=[event.request.submitter_name])
            or event.get_kind_display()
        ),
        # media_url is optional in mySociety's extension: no photo is published with an update.
    }


def discovery(build_absolute_uri, changeset) -> dict:
    base = build_absolute_uri("/open311/v2/")
    return {
        "changeset": iso(changeset),
        "contact": getattr(
            settings,
            "OPEN311_CONTACT",
            _("Jingkou district party committee, organization department (区委组织部)"),
        ),
        "key_service": _(
            "API keys for filing requests are issued by the portal's administrators (admin → "
            "Open311 API keys). Reading needs no key."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": iso(changeset),
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
