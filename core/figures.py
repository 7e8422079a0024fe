"""The district's published figures (the report of 29 April 2022, ../shared/DOMAIN.md).

One home for them: the dashboards show each beside the live count (dashboards.tables), and the
demo (load_demo: organization.demo, party_work.demo) builds data that matches them. Production
code reads them from here, never from a demo module.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """A figure as published: exact (295 grids) or a lower bound ("740+" central households)."""

    value: int
    at_least: bool = False

    def __str__(self) -> str:
        return f"{self.value:,}+" if self.at_least else str(self.value)

    def shown(self) -> int | str:
        """For a table cell: the number when exact, the published text ("6,100+") otherwise."""
        return str(self) if self.at_least else self.value

    def met_by(self, count: int) -> bool:
        """Whether a count agrees with the figure (equal, or at least the bound)."""
        return count >= self.value if self.at_least else count == self.value


# Party building (dashboards' "Party building" table), keyed like dashboards.selectors'
# party-building figures.
PARTY_BUILDING: dict[str, Figure] = {
    "streets": Figure(6),
    "grids": Figure(295),
    "grid_branches": Figure(270),
    "grid_party_groups": Figure(25),
    # Every grid has a branch (270) or a party group (25).
    "grids_without_branch_or_group": Figure(0),
    "central_households": Figure(740, at_least=True),
    "households_in_contact": Figure(70_000, at_least=True),
    "party_members": Figure(6_100, at_least=True),
    "retired_branch_secretaries": Figure(264),
    "party_member_grid_leaders": Figure(159),
    "applicant_grid_leaders": Figure(126),
    "stations": Figure(160, at_least=True),
}

# Party members' work (dashboards' "Party members at work" table), keyed like
# party_work.selectors.party_work_figures.
PARTY_WORK: dict[str, Figure] = {
    "teams": Figure(128),
    "claimed_posts": Figure(6_100, at_least=True),
    "central_households_in_contact": Figure(740, at_least=True),
    "households_in_contact": Figure(70_000, at_least=True),
    "deputies": Figure(700, at_least=True),
    # Service projects a year (为民服务项目).
    "projects": Figure(200, at_least=True),
    # Vanguard models named in the first quarter of 2022 (the report's year): shown beside the
    # chosen year's count, with its period.
    "vanguard_models_2022_q1": Figure(18),
    # Published figures the portal does not record (no model holds them): shown as published.
    "sanjie_sanwen_leaders": Figure(300, at_least=True),  # 三结三问: section-level leaders
    "sanjie_sanwen_matters": Figure(500, at_least=True),  # livelihood matters solved so far
    "running_branches": Figure(600, at_least=True),  # 奔跑支部
    "running_branches_difficulties": Figure(5_000, at_least=True),  # difficulties they solved
}
