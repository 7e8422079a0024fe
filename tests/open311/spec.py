"""The element lists of Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), written
from the specification's text, and the values it allows."""

DISCOVERY = {"changeset", "contact", "key_service", "endpoints"}
DISCOVERY_ENDPOINT = {"specification", "url", "changeset", "type", "formats"}

SERVICE = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
SERVICE_TYPES = {"realtime", "batch", "blackbox"}

SERVICE_DEFINITION = {"service_code", "attributes"}
ATTRIBUTE = {
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
}
ATTRIBUTE_VALUE = {"key", "name"}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}

# POST Service Request: the response. The spec's service_request_id and token exclude each
# other: the portal creates the request at once, so it answers the id (and no token, no
# account_id: residents have no accounts).
POST_RESPONSE = {"service_request_id", "service_notice"}

# GET Service Requests / GET Service Request: each record. The spec's "may not be returned"
# fields (REQUEST_OPTIONAL) are left out when the portal has no value for them.
REQUEST_OPTIONAL = {"expected_datetime", "address_id", "zipcode", "lat", "long", "media_url"}
REQUEST = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
REQUEST_ALWAYS = REQUEST - REQUEST_OPTIONAL
STATUSES = {"open", "closed"}

TOKEN = {"service_request_id", "token"}
ERROR = {"code", "description"}

# mySociety's extension (FixMyStreet): the detailed statuses and GET servicerequestupdates.
EXTENDED_STATUSES = {
    "open",
    "investigating",
    "in_progress",
    "action_scheduled",
    "fixed",
    "closed",
    "duplicate",
    "unable_to_fix",
    "not_councils_responsibility",
    "internal_referral",
    "no_further_action",
}
REQUEST_UPDATE = {
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
}

# The portal's own fields beside the spec's in a record (documented in README).
REQUEST_EXTENSIONS = {
    "extended_status",
    "detailed_status",
    "detailed_status_name",
    "handling_level",
}
REQUEST_UPDATE_EXTENSIONS = {"detailed_status", "media_url"}


# --- XML: the element names of each resource -------------------------------------------------------
# A shape is (required child names, {child name: its shape}) for an element with children, LEAF
# for an element with text only, or ("list", item name, item shape) for a wrapper of repeated items.
LEAF = "leaf"


def record(required, allowed, children=None):
    children = children or {}
    return (set(required), {name: children.get(name, LEAF) for name in allowed})


def repeated(item, shape):
    return ("list", item, shape)


XML_DISCOVERY = (
    "discovery",
    record(
        DISCOVERY,
        DISCOVERY,
        {
            "endpoints": repeated(
                "endpoint",
                record(
                    DISCOVERY_ENDPOINT,
                    DISCOVERY_ENDPOINT,
                    {"formats": repeated("format", LEAF)},
                ),
            )
        },
    ),
)
XML_SERVICES = ("services", repeated("service", record({"service_code"}, SERVICE)))
XML_SERVICE_DEFINITION = (
    "service_definition",
    record(
        SERVICE_DEFINITION,
        SERVICE_DEFINITION,
        {
            "attributes": repeated(
                "attribute",
                record(
                    ATTRIBUTE - {"values", "datatype_description"},
                    ATTRIBUTE,
                    {"values": repeated("value", record(ATTRIBUTE_VALUE, ATTRIBUTE_VALUE))},
                ),
            )
        },
    ),
)
XML_REQUESTS = (
    "service_requests",
    repeated(
        "request",
        record(
            {"service_request_id", "status", "service_code", "requested_datetime"},
            REQUEST | REQUEST_EXTENSIONS,
        ),
    ),
)
XML_POST_ANSWER = (
    "service_requests",
    repeated(
        "request", record(set(), {"service_request_id", "token", "service_notice", "account_id"})
    ),
)
XML_TOKEN = ("service_requests", repeated("request", record({"token"}, TOKEN)))
XML_ERRORS = ("errors", repeated("error", record(ERROR, ERROR)))
XML_REQUEST_UPDATES = (
    "service_requests_updates",
    repeated("request_update", record(REQUEST_UPDATE, REQUEST_UPDATE | REQUEST_UPDATE_EXTENSIONS)),
)


def xml_shape_errors(element, shape, path="") -> list[str]:
    """What is wrong with the element names under `element` (parsed XML) against `shape`."""
    path = f"{path}/{element.tag}"
    children = list(element)
    if shape == LEAF:
        return [f"{path}: unexpected child <{c.tag}>" for c in children]
    if shape[0] == "list":
        _kind, item, item_shape = shape
        problems = [
            f"{path}: <{c.tag}> where <{item}> is expected" for c in children if c.tag != item
        ]
        for child in children:
            if child.tag == item:
                problems += xml_shape_errors(child, item_shape, path)
        return problems
    required, allowed = shape
    names = [c.tag for c in children]
    problems = [f"{path}: unexpected <{n}>" for n in names if n not in allowed]
    problems += [f"{path}: <{n}> twice" for n in set(names) if names.count(n) > 1]
    problems += [f"{path}: <{n}> missing" for n in sorted(required - set(names))]
    for child in children:
        if child.tag in allowed:
            problems += xml_shape_errors(child, allowed[child.tag], path)
    return problems
