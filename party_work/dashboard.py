"""Party members' work as a table of the dashboards (dashboards.tables.Table), for their page,
charts and exports: one row per indicator, with the district's published figure beside it.

Wiring (dashboards/boards.py, build_dashboard): `tables["party_work"] = party_work_table(unit)`;
the template shows it like the other tables.
"""

from django.utils.translation import gettext as _

from .selectors import party_work_figures

PUBLISHED = {
    "teams": "128",
    "claimed_posts": "6,100+",
    "central_households_in_contact": "740+",
    "households_in_contact": "70,000+",
    "deputies": "700+",
    "projects": "200+",
}


def party_work_table(unit, *, year: int | None = None, today=None, figures=None):
    """The table; `figures`: party_work_figures(unit, …) when the caller has them already."""
    from dashboards.tables import Table

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
    return Table(
        key="party_work",
        title=_("Party members at work, %(year)s") % {"year": figures.year},
        columns=[_("Indicator"), _("Value"), _("Published figure")],
        rows=[[label, getattr(figures, key), PUBLISHED.get(key, "")] for key, label in labels],
    )
