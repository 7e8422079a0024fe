"""The dashboard's tables: what the page shows, what each chart draws, and what every export
holds, built once from the selectors so the three can never disagree."""

from dataclasses import dataclass, field

from django.utils.translation import gettext, pgettext

from core.figures import PARTY_BUILDING, PARTY_WORK
from party_work.selectors import party_work_figures


@dataclass
class Table:
    key: str  # in URLs and export file names: ascii, stable
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    # Optional link per row (the drill-down), same length as rows when set.
    links: list[str | None] = field(default_factory=list)
    note: str = ""
    # Optional drill-through per data cell: {row index: {column index: the admin list of the
    # requests the cell counts}} (dashboards.links).
    cell_links: dict[int, dict[int, str]] = field(default_factory=dict)

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
    published = {key: figure.shown() for key, figure in PARTY_BUILDING.items()}
    labels = [
        ("streets", pgettext("dashboard", "Streets (街道党工委)")),
        ("communities", pgettext("dashboard", "Communities (社区党委/总支)")),
        ("grids", pgettext("dashboard", "Social-governance grids")),
        ("grid_branches", pgettext("dashboard", "Grid party branches")),
        ("grid_party_groups", pgettext("dashboard", "Grid party groups")),
        (
            "grids_without_branch_or_group",
            pgettext("dashboard", "Grids with neither a branch nor a party group"),
        ),
        ("building_groups", pgettext("dashboard", "Building party groups")),
        ("central_households", pgettext("dashboard", "Party-member central households")),
        (
            "households_in_contact",
            pgettext("dashboard", "Resident households in contact with central households"),
        ),
        ("resident_households", pgettext("dashboard", "Resident households in the grids")),
        ("party_members", pgettext("dashboard", "Party members")),
        (
            "retired_branch_secretaries",
            pgettext("dashboard", "Retired party members serving as grid secretaries"),
        ),
        (
            "party_member_grid_leaders",
            pgettext("dashboard", "Party-member grid leaders with membership in their grid"),
        ),
        (
            "applicant_grid_leaders",
            pgettext("dashboard", "Non-party grid leaders who applied to join"),
        ),
        ("stations", pgettext("dashboard", "Party-mass service stations")),
    ]
    rows = [[label, getattr(figures, key), published.get(key, "")] for key, label in labels]
    coverage = figures.coverage_percent
    rows.append(
        [
            pgettext("dashboard", "Residents within 15 minutes of a station (%)"),
            coverage if coverage is not None else pgettext("dashboard", "pending"),
            "",
        ]
    )
    return Table(
        key="party",
        title=pgettext("dashboard", "Party building"),
        columns=[
            pgettext("dashboard", "Indicator"),
            pgettext("dashboard", "Value"),
            pgettext("dashboard", "District's published figure"),
        ],
        rows=rows,
        note=pgettext(
            "dashboard",
            "Published figures are the district's whole; below the district the value is the "
            "unit's own share.",
        ),
    )


def party_children_table(children, link_for) -> Table:
    return Table(
        key="party_units",
        title=pgettext("dashboard", "Party building by unit"),
        columns=[
            pgettext("dashboard", "Unit"),
            pgettext("dashboard", "Grids"),
            pgettext("dashboard", "Grid party branches"),
            pgettext("dashboard", "Grid party groups"),
            pgettext("dashboard", "Central households"),
            pgettext("dashboard", "Party members"),
            pgettext("dashboard", "Stations"),
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


# The handling table's rows that count requests, by row index: what each counts.
HANDLING_COUNTED = {
    0: None,
    1: "accepted",
    2: "resolved",
    3: "closed",
    9: "open_now",
    10: "overdue_now",
}


def handling_table(h, link=None) -> Table:
    """`link(counted)`: the admin list of the requests a row counts (dashboards.links)."""

    def value(v):
        return "" if v is None else v

    return Table(
        key="handling",
        title=pgettext("dashboard", "Request handling"),
        columns=[pgettext("dashboard", "Indicator"), pgettext("dashboard", "Value")],
        rows=[
            [pgettext("dashboard", "Received"), h.received],
            [pgettext("dashboard", "Accepted"), h.accepted],
            [pgettext("dashboard", "Resolved"), h.resolved],
            [pgettext("dashboard", "Closed"), h.closed],
            [pgettext("dashboard", "Resolution rate (办结率, %)"), value(h.resolution_rate)],
            [pgettext("dashboard", "On-time rate (按时办结率, %)"), value(h.on_time_rate)],
            [pgettext("dashboard", "Average hours to accept"), value(h.avg_hours_to_accept)],
            [pgettext("dashboard", "Average hours to resolve"), value(h.avg_hours_to_resolve)],
            [pgettext("dashboard", "Satisfaction rate (满意率, %)"), value(h.satisfaction_rate)],
            [pgettext("dashboard", "Open now"), h.open_now],
            [pgettext("dashboard", "Overdue now"), h.overdue_now],
        ],
        note=pgettext(
            "dashboard",
            "Counted over the requests received in the date range; open and overdue are as of "
            "now. Resolution rate: resolved over received, less rejected and merged ones. "
            "On-time rate: resolved by the deadline over resolved. Satisfaction rate: "
            "satisfied and basically satisfied over rated.",
        ),
        cell_links={row: {1: link(counted=counted)} for row, counted in HANDLING_COUNTED.items()}
        if link
        else {},
    )


def party_work_table(unit, *, year: int | None = None, today=None, figures=None) -> Table:
    """Party members' work (party_work.selectors.party_work_figures) for the page, its charts
    and exports: one row per indicator, with the district's published figure beside it.
    `figures`: party_work_figures(unit, …) when the caller has them already."""
    _ = gettext
    figures = figures or party_work_figures(unit, year=year, today=today)
    labels = [
        ("teams", _("Grid volunteer teams")),
        ("team_members", _("Members of volunteer teams")),
        ("claimed_posts", _("Posts claimed in grids (认岗领责)")),
        ("central_households_in_contact", _("Central households in contact (党员联户)")),
        ("households_in_contact", _("Resident households in contact")),
        ("households_visited_90_days", _("Households visited in the last 90 days")),
        ("households_due_visit", _("Households not visited for 90 days")),
        ("deputies", _("Deputies (两代表一委员)")),
        ("sessions_held", _("Reception sessions held this year (温暖20)")),
        ("sessions_coming", _("Reception sessions coming")),
        ("bookings", _("Residents booked this year")),
        ("projects", _("Service projects this year (为民服务项目)")),
        ("projects_completed", _("Service projects completed this year")),
        ("activities", _("Volunteer activities this year")),
        ("volunteer_hours", _("Volunteer hours this year")),
        ("co_building_units", _("Co-building units (共建单位)")),
        ("vanguard_models", _("Vanguard models this year (先锋榜样)")),
    ]
    # The district's published figures of party members' work (core.figures), as published.
    published = {key: str(figure) for key, figure in PARTY_WORK.items()}
    published["vanguard_models"] = _("%(count)s (2022 Q1)") % {
        "count": PARTY_WORK["vanguard_models_2022_q1"]
    }
    rows = [[label, getattr(figures, key), published.get(key, "")] for key, label in labels]
    # What the report published and no model of the portal records: as published, no live value.
    not_recorded = _("not recorded")
    rows += [
        [label, not_recorded, published[key]]
        for key, label in [
            ("sanjie_sanwen_leaders", _("Section-level leaders in 三结三问")),
            ("sanjie_sanwen_matters", _("Livelihood matters solved through 三结三问")),
            ("running_branches", _("Running branches (奔跑支部)")),
            ("running_branches_difficulties", _("Difficulties solved by running branches")),
        ]
    ]
    return Table(
        key="party_work",
        title=_("Party members at work, %(year)s") % {"year": figures.year},
        columns=[_("Indicator"), _("Value"), _("Published figure")],
        rows=rows,
        note=_(
            "Figures for one year: the year in which the chosen date range ends (choose a range "
            "in 2022 to compare with the report of April 2022)."
        ),
    )
