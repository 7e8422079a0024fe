"""The staff roles' permissions on party_work's models (added to organization.roles when Django
starts, see PartyWorkConfig.ready). What each role sees inside them is its scope."""

from organization.models import StaffRole

VIEW = ["view"]
EDIT = ["view", "add", "change"]

_EVERYTHING = [
    "volunteerteam",
    "activity",
    "postclaim",
    "householdlink",
    "householdvisit",
    "vanguardaward",
    "representative",
    "receptionsession",
    "receptionbooking",
    "serviceproject",
    "cobuildingunit",
]

ROLE_PERMISSIONS = {
    StaffRole.ORG_DEPARTMENT: {
        **{f"party_work.{m}": EDIT for m in _EVERYTHING},
        "party_work.vanguardaward": EDIT + ["delete"],
    },
    StaffRole.STREET_STAFF: {
        **{f"party_work.{m}": EDIT for m in _EVERYTHING},
        "party_work.vanguardaward": EDIT + ["delete"],
    },
    StaffRole.COMMUNITY_STAFF: {
        **{f"party_work.{m}": EDIT for m in _EVERYTHING},
        "party_work.vanguardaward": VIEW,
        "party_work.cobuildingunit": VIEW,
    },
    StaffRole.GRID_LEADER: {
        "party_work.volunteerteam": EDIT,
        "party_work.activity": EDIT,
        "party_work.postclaim": EDIT,
        "party_work.householdlink": EDIT,
        "party_work.householdvisit": EDIT,
        "party_work.vanguardaward": VIEW,
        "party_work.representative": VIEW,
        "party_work.receptionsession": VIEW,
        "party_work.serviceproject": VIEW,
    },
}
