"""The volunteer teams a request can be dispatched to, as the requests app sees them.

The teams belong to party_work, an app built on requests (a layer above this one): this app
never imports it. party_work registers its `teams_for_request` here when Django starts
(PartyWorkConfig.ready), and the team model is the one the request's `assignee_team` names.
Without a registration no team is offered, and a dispatch to a team is refused as out of scope.
"""

from collections.abc import Callable

from django.db.models import Model, QuerySet

_teams_for_request: Callable[..., QuerySet] | None = None


def register_teams_for_request(selector: Callable[..., QuerySet]) -> None:
    """`selector(request)`: the active teams under the unit handling the request."""
    global _teams_for_request
    _teams_for_request = selector


def team_model() -> type[Model]:
    from .models import ResidentRequest

    return ResidentRequest._meta.get_field("assignee_team").related_model


def teams_for_request(request) -> QuerySet:
    """Teams `request` can be dispatched to (party_work.selectors.teams_for_request)."""
    if _teams_for_request is None:
        return team_model().objects.none()
    return _teams_for_request(request)
