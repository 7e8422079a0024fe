"""API URLs of party_work, mounted under /api/v1/party-work/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("teams", api.TeamViewSet, basename="pw-team")
router.register("claimed-posts", api.PostClaimViewSet, basename="pw-claim")
router.register("households", api.HouseholdLinkViewSet, basename="pw-household")
router.register("deputies", api.RepresentativeViewSet, basename="pw-deputy")
router.register("sessions", api.SessionViewSet, basename="pw-session")
router.register("projects", api.ProjectViewSet, basename="pw-project")
router.register("co-building-units", api.CoBuildingViewSet, basename="pw-cobuilding")
router.register("activities", api.ActivityViewSet, basename="pw-activity")

urlpatterns = [
    path(
        "party-work/public/sessions/", api.ComingSessionsView.as_view(), name="pw-public-sessions"
    ),
    path("party-work/public/honour/", api.HonourView.as_view(), name="pw-public-honour"),
    path("party-work/ranking/", api.RankingView.as_view(), name="pw-ranking"),
    path("party-work/figures/", api.FiguresView.as_view(), name="pw-figures"),
    path("party-work/", include(router.urls)),
]
