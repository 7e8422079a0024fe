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
