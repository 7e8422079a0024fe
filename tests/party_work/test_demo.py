"""load_demo reproduces the published figures of party members' work (../shared/DOMAIN.md)."""

import pytest
from django.core.management import call_command

from organization.models import OrgUnit, UnitKind
from party_work import selectors
from party_work.demo import DEMO_FIGURES, REPORT_DAY
from party_work.models import ReceptionSession, SessionStatus, VanguardAward, VolunteerTeam

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """load_demo once for the module; the tests only read."""
    with django_db_blocker.unblock():
        call_command("load_demo", verbosity=0)
        yield
        call_command("flush", "--noinput", verbosity=0)


def test_the_published_figures(demo):
    district = OrgUnit.objects.get(kind=UnitKind.DISTRICT, parent__isnull=True)
    figures = selectors.party_work_figures(district)
    assert figures.teams == 128
    assert figures.claimed_posts >= 6100
    assert figures.central_households_in_contact >= 740
    assert figures.households_in_contact >= 70_000
    assert figures.deputies >= 700
    assert figures.projects >= 200
    assert VanguardAward.objects.filter(year=REPORT_DAY.year, quarter=1).count() == 18
    # Most households were visited within 90 days; the rest are on the to-do list.
    assert figures.households_visited_90_days + figures.households_due_visit == (
        figures.households_in_contact
    )
    assert 0 < figures.households_due_visit < figures.households_in_contact // 10
    assert figures.activities > 0 and figures.volunteer_hours > 0


def test_every_community_has_coming_sessions_on_the_20th(demo):
    coming = selectors.coming_sessions()
    assert {s.community_id for s in coming} == set(
        OrgUnit.objects.filter(kind=UnitKind.COMMUNITY).values_list("pk", flat=True)
    )
    assert {s.date.day for s in coming} == {20}
    assert ReceptionSession.objects.filter(status=SessionStatus.HELD).exists()


def test_a_second_run_changes_nothing(demo):
    teams = VolunteerTeam.objects.count()
    call_command("load_demo", verbosity=0)
    assert VolunteerTeam.objects.count() == teams == DEMO_FIGURES["teams"]
