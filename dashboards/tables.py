"""The dashboard's tables: what the page shows, what each chart draws, and what every export
holds, built once from the selectors so the three can never disagree."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from organization.demo import DEMO_FIGURES


@dataclass
class Table:
    key: str  # in URLs and export file names: ascii, stable
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    # Optional link per row (the drill-down), same length as rows when set.
    links: list[str | None] = field(default_factory=list)
    note: str = ""

    def linked_rows(self):
        links = self.links or [None] * len(self.rows)
        return list(zip(self.rows, links, strict=True))


def percent(numerator, denominator) -> float | None:
    """A rate in per cent with one decimal, or None when there is nothing to divide by."""
    if not denominator:
        return None
    return round(100.0 * numerator / denominator, 1)


def hours(seconds) -> float | None:
    if seconds is None:
        return None
    return round(seconds / 3600.0, 1)


def party_table(figures) -> Table:
    """The party-building indicators, with the district's published figure beside each."""
    published = {
        "streets": DEMO_FIGURES["streets"],
        "grids": DEMO_FIGURES["grids"],
        "grid_branches": DEMO_FIGURES["grid_branches"],
        "grid_party_groups": DEMO_FIGURES["grid_party_groups"],
        "grids_without_branch_or_group": 0,
        "central_households": "740+",
        "party_members": "6,100+",
        "retired_branch_secretaries": DEMO_FIGURES["retired_branch_secretaries"],
        "party_member_grid_leaders": DEMO_FIGURES["party_member_grid_leaders"],
        "applicant_grid_leaders": DEMO_FIGURES["applicant_grid_leaders"],
        "stations": "160+",
    }
    labels = [
        ("streets", _("Streets (街道党工委)")),
        ("communities", _("Communities (社区党委/总支)")),
        ("grids", _("Social-governance grids")),
        ("grid_branches", _("Grid party branches")),
        ("grid_party_groups", _("Grid party groups")),
        ("grids_without_branch_or_group", _("Grids with neither a branch nor a party group")),
        ("building_groups", _("Building party groups")),
        ("central_households", _("Party-member central households")),
        ("resident_households", _("Resident households in the grids")),
        ("party_members", _("Party members")),
        ("retired_branch_secretaries", _("Retired party members serving as grid secretaries")),
        ("party_member_grid_leaders", _("Party-member grid leaders with membership in their grid")),
        ("applicant_grid_leaders", _("Non-party grid leaders who applied to join")),
        ("stations", _("Party-mass service stations")),
    ]
    rows = [[label, getattr(figures, key), published.get(key, "")] for key, label in labels]
    coverage = figures.coverage_percent
    rows.append(
        [
            _("Residents within 15 minutes of a station (%)"),
            coverage if coverage is not None else _("pending"),
            "",
        ]
    )
    return Table(
        key="party",
        title=_("Party building"),
        columns=[_("Indicator"), _("Value"), _("District's published figure")],
        rows=rows,
        note=_(
            "Published figures are the district's whole; below the district the value is the "
            "unit's own share."
        ),
    )


def party_children_table(children, link_for) -> Table:
    return Table(
        key="party_units",
        title=_("Party building by unit"),
        columns=[
            _("Unit"),
            _("Grids"),
            _("Grid party branches"),
            _("Grid party groups"),
            _("Central households"),
            _("Party members"),
            _("Stations"),
        ],
        rows=[
            [
                c.name,
                c.n_grids,
                c.n_branches,
                c.n_groups,
                c.n_households,
                c.n_members,
                c.n_stations,
            ]
            for c in children
        ],
        links=[link_for(c) for c in children],
    )


def handling_table(h) -> Table:
    def value(v):
        return "" if v is None else v

    return Table(
        key="handling",
        title=_("Request handling"),
        columns=[_("Indicator"), _("Value")],
        rows=[
            [_("Received"), h.received],
            [_("Accepted"), h.accepted],
            [_("Resolved"), h.resolved],
            [_("Closed"), h.closed],
            [_("Resolution rate (办结率, %)"), value(h.resolution_rate)],
            [_("On-time rate (按时办结率, %)"), value(h.on_time_rate)],
            [_("Average hours to accept"), value(h.avg_hours_to_accept)],
            [_("Average hours to resolve"), value(h.avg_hours_to_resolve)],
            [_("Satisfaction rate (满意率, %)"), value(h.satisfaction_rate)],
            [_("Open now"), h.open_now],
            [_("Overdue now"), h.overdue_now],
        ],
        note=_(
            "Counted over the requests received in the date range; open and overdue are as of "
            "now. Resolution rate: resolved over received, less rejected and merged ones. "
            "On-time rate: resolved by the deadline over resolved. Satisfaction rate: "
            "satisfied and basically satisfied over rated."
        ),
    )
