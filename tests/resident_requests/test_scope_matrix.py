"""The scope matrix: every role × every surface that lists or acts on requests × a request in
the role's scope and one outside it. Each surface must see and act exactly when the one rule
says so: `selectors.request_visible_q` (seeing) and `selectors.transitions_available` (acting).

The cases are generated: the transitions from `transitions.TRANSITIONS` (each surface a row
names), the URLs from the URLconf (every pattern that takes a request's code, the admin's object
id, an Open311 request id or a dashboard unit), so a new transition or endpoint is covered here
without editing this file; an endpoint this file cannot reach fails `test_every_request_url_is_in
_the_matrix` instead of going untested.
"""

import datetime
import itertools
from functools import partial

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.exceptions import OutOfScope
from organization.selectors import unit_is_visible
from resident_requests import selectors, services
from resident_requests.models import PhotoStage, RequestEvent, RequestPhoto, ResidentRequest
from resident_requests.transitions import TRANSITIONS, Surface, transitions_on
from tests.grids.factories import building, grid_for
from tests.organization.factories import chain

from .factories import member, submit

pytestmark = pytest.mark.django_db

ROLES = ["superuser", "org", "street", "community", "leader", "member", "dept"]
# The states a request is prepared in; a transition is tried on the first state in which
# anyone may run it (so a new transition needs no new line here).
STATES = [
    "submitted",
    "accepted",
    "dispatched",
    "taken",
    "resolved",
    "unrated_a_week",
    "community",
    # Escalation is run from the level that holds the request: the street's from here.
    "street",
    "departments",
    "no_building",
    "change_asked",
    "suspended",
]


# --- The world: the usual district, and a second district nobody of the world covers ---------


@pytest.fixture
def m(w):
    """The world `w`, a superuser, and a grid of another district (the out-of-scope place)."""
    User = get_user_model()
    w.users["superuser"] = User.objects.create_superuser("root", password="pw-for-tests-123")
    # A second superuser decides what the first one asks (nobody approves their own).
    w.root2 = User.objects.create_superuser("root2", password="pw-for-tests-123")
    w.users["member"] = w.members[0].user
    _district, _street, communities, grid_units = chain()
    w.far_grid = grid_for(grid_units[0])
    w.far_building = building(w.far_grid, north=5)
    w.far_member = member(w.far_grid.unit)
    w.far_community = communities[0]
    return w


def _prepare(w, state: str, *, far: bool) -> ResidentRequest:
    """A request in `state`: in the world's grid A (near) or in the other district (far). The
    superuser moves it along; the party member dispatched to takes it."""
    root = w.users["superuser"]
    if state == "no_building":
        return services.request_submit(
            submitter_name="李阿姨",
            submitter_phone="13912345678",
            building=None,
            category=w.category,
            description="路口的井盖松了。",
            address="幸福里12号门口",
            community=w.far_community if far else w.communities[0],
        )
    if far:
        request = services.request_submit(
            submitter_name="李阿姨",
            submitter_phone="13912345678",
            building=w.far_building,
            category=w.category,
            description="楼下路灯坏了一个星期。",
        )
    else:
        request = submit(w, building_index=0)
    if state == "submitted":
        return request
    services.request_accept(request=request, actor=root)
    assignee = w.far_member if far else w.members[0]
    if state in ("dispatched", "taken", "suspended"):
        services.request_dispatch(request=request, actor=root, assignee=assignee)
    if state in ("taken", "suspended"):
        services.request_take(request=request, actor=assignee.user)
    if state == "change_asked":
        services.request_extension_ask(
            request=request, actor=root, working_days=2, reason="等待配件"
        )
    if state == "suspended":
        services.request_suspension_ask(request=request, actor=root, reason="等待配件")
        services.request_change_approve(request=request, actor=w.root2)
    if state in ("resolved", "unrated_a_week"):
        services.request_resolve(request=request, actor=root, note="已处理。")
    if state == "unrated_a_week":
        ResidentRequest.objects.filter(pk=request.pk).update(
            resolved_at=timezone.now() - datetime.timedelta(days=8)
        )
    if state in ("community", "street", "departments"):
        services.request_escalate(request=request, actor=root, note="需上级协调")
    if state in ("street", "departments"):
        services.request_escalate(request=request, actor=root, note="需上级协调")
    if state == "departments":
        # Near: both departments called in; far: only the other one (not `dept`'s).
        departments = [w.other_department] if far else [w.department, w.other_department]
        services.request_escalate(
            request=request, actor=root, departments=departments, note="需上级协调"
        )
    request.refresh_from_db()
    return request


# For each (transition, surface): the first prepared state in which each role may run it, and
# the first in which anyone may. Worked out once per process (the rule and the prepared states
# are the same in every test); each test then prepares only the state it tries.
_FIRST_STATES: dict[tuple[str, str], tuple[dict[str, str], str]] = {}


def _state_for(w, transition, role, surface) -> str:
    """The first state in which `role` may run `transition` near on `surface`, else the first
    in which anyone may (then the role's refusal is what is tried)."""
    key = (transition.name, surface)
    if key not in _FIRST_STATES:
        first: dict[str, str] = {}
        fallback = None
        for state in STATES:
            request = _prepare(w, state, far=False)
            allowed = [r for r in ROLES if may(w.users[r], request, transition, surface)]
            for r in allowed:
                first.setdefault(r, state)
            if fallback is None and allowed:
                fallback = state
            if len(first) == len(ROLES):
                break
        assert fallback, f"no prepared state lets anyone run {transition.name}: add one"
        _FIRST_STATES[key] = (first, fallback)
    first, fallback = _FIRST_STATES[key]
    return first.get(role, fallback)


def _pair(w, state):
    return [_prepare(w, state, far=False), _prepare(w, state, far=True)]


def sees(user, request, *, assigned=False) -> bool:
    """The one rule."""
    return selectors.requests_visible_to(user, assigned=assigned).filter(pk=request.pk).exists()


def may(user, request, transition, surface) -> bool:
    return transition in selectors.transitions_available(user, request, surface=surface)


# --- The rule itself, pinned for the world ------------------------------------------------------


def test_the_rule_per_role(m):
    """Who sees which request, written out: the rule every surface below is compared with."""
    near, far = _pair(m, "submitted")
    other_community = submit(m, building_index=2)
    with_departments = _prepare(m, "departments", far=False)
    dispatched = _prepare(m, "dispatched", far=False)
    expected = {
        "superuser": {near, far, other_community, with_departments, dispatched},
        "org": {near, other_community, with_departments, dispatched},
        "street": {near, other_community, with_departments, dispatched},
        "community": {near, with_departments, dispatched},
        "leader": {near, with_departments, dispatched},
        "member": set(),
        "dept": {with_departments},
    }
    for role, seen in expected.items():
        user = m.users[role]
        for request in [near, far, other_community, with_departments, dispatched]:
            assert sees(user, request) == (request in seen), (role, request.code)
    # The member's own order, where members act (the API, the member pages).
    assert sees(m.users["member"], dispatched, assigned=True)
    assert not sees(m.users["member"], near, assigned=True)


# --- Lists and detail pages ---------------------------------------------------------------------


def _staff_client(user):
    client = Client()
    client.force_login(user)
    return client


def _api_client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_lists_and_details_show_exactly_what_the_rule_sees(m, role):
    user = m.users[role]
    requests = [*_pair(m, "submitted"), *_pair(m, "departments"), *_pair(m, "dispatched")]
    staff, api = _staff_client(user), _api_client(user)

    # Admin changelist and change page.
    response = staff.get(reverse("admin:resident_requests_residentrequest_changelist"))
    listed = (
        {r.code for r in response.context["cl"].result_list}
        if response.status_code == 200
        else set()
    )
    assert listed == {r.code for r in requests if sees(user, r)}
    for request in requests:
        url = reverse("admin:resident_requests_residentrequest_change", args=[request.pk])
        assert (staff.get(url).status_code == 200) == sees(user, request), request.code
        url = reverse("admin:resident_requests_residentrequest_history", args=[request.pk])
        assert (staff.get(url).status_code == 200) == sees(user, request), request.code
        # Requests are closed, never deleted: refused to whoever sees them, and to the rest.
        url = reverse("admin:resident_requests_residentrequest_delete", args=[request.pk])
        assert staff.post(url, {"post": "yes"}).status_code in (302, 403)
        assert ResidentRequest.objects.filter(pk=request.pk).exists()

    # API list and detail: the rule with the orders dispatched to the caller.
    response = api.get(reverse("api-request-list"), {"page_size": 100})
    listed = {row["code"] for row in response.json()["results"]}
    assert listed == {r.code for r in requests if sees(user, r, assigned=True)}
    for request in requests:
        response = api.get(reverse("api-request-detail", args=[request.code]))
        assert (response.status_code == 200) == sees(user, request, assigned=True), request.code
        if response.status_code != 200:
            assert response.status_code == 404

    # The member pages: the orders dispatched to the caller.
    response = staff.get(reverse("resident_requests:member_orders"))
    page = response.content.decode()
    for request in requests:
        mine = request.assignee_id is not None and request.assignee.user_id == user.pk
        assert (request.code in page) == mine, request.code
        url = reverse("resident_requests:member_order", args=[request.code])
        assert (staff.get(url).status_code == 200) == mine, request.code


def _acts_as_staff(user, request) -> bool:
    """The rule's unit part: staff of the request's area (not a department called in)."""
    try:
        selectors.request_staff_role(user, request)
    except OutOfScope:
        return False
    return True


@pytest.mark.parametrize("role", ROLES)
def test_admin_photo_approval_follows_the_rule(m, role):
    """Approving a photo for public display: staff of the request's area."""
    user, client = m.users[role], _staff_client(m.users[role])
    for request in _pair(m, "resolved"):
        photo = RequestPhoto.objects.create(
            request=request, stage=PhotoStage.SUBMISSION, width=64, height=48, image="x.jpg"
        )
        url = reverse(
            "admin:resident_requests_residentrequest_photo_public", args=[request.pk, photo.pk]
        )
        client.post(url, {"approved": "1"})
        photo.refresh_from_db()
        assert photo.public_approved == _acts_as_staff(user, request), (role, request.code)


# --- Every transition, on every surface the table names ------------------------------------------


def _admin_payload(w, transition, request, user):
    """A valid input for the admin's form of this shape (the department: one the user acts
    for, or any called in for a superuser)."""
    links = list(request.department_links.all())
    department = next(
        (
            link.department_id
            for link in links
            if user.is_superuser or link.department_id in (w.department.pk,)
        ),
        w.department.pk,
    )
    near = request.grid_id in {g.pk for g in w.grids}
    member_pk = request.assignee_id or (w.members[0].pk if near else w.far_member.pk)
    return {
        None: {},
        "note": {"note": "好的"},
        "reason": {"note": "不属于受理范围。"},
        "merge": {"into_code": "", "note": ""},
        "dispatch": {"assignee": member_pk},
        "escalate": {"note": "需要协调", "departments": [w.department.pk]},
        "resolve": {"note": "已处理。"},
        "department": {"department": department},
        "department_done": {"department": department, "note": "已处理。"},
        "building": {"building": w.buildings[0].pk},
        "decline": {"note": "出差了"},
        "callback": {"reached": "1", "satisfaction": "satisfied", "note": "已回访"},
        "extension": {"working_days": 2, "reason": "等待配件"},
        "suspension": {"reason": "等待居民在家"},
        "decision": {"note": "同意"},
    }[transition.form]


def _api_payload(w, transition, request, user):
    data = _admin_payload(w, transition, request, user)
    if transition.form == "reason":
        data = {"reason": data["note"]}
    if transition.form == "merge":
        data = {"into": data["into_code"]}
    return data


def _with_merge_target(w, transition, request, payload, key):
    if transition.form == "merge":
        target = submit(w, building_index=0) if request.grid_id == w.grids[0].pk else None
        if target is None:
            target = services.request_submit(
                submitter_name="王",
                submitter_phone="13700000009",
                building=w.far_building,
                category=w.category,
                description="同一个问题。",
            )
        payload = {**payload, key: target.code}
    return payload


def _check_acts(user, request, transition, surface, post):
    """Run the transition through the surface: it must record its event exactly when the rule
    lets the user run it, and change nothing otherwise."""
    allowed = may(user, request, transition, surface)
    events = RequestEvent.objects.filter(request=request)
    before, before_own = events.count(), events.filter(kind=transition.event).count()
    response = post()
    acted = events.filter(kind=transition.event).count() > before_own
    assert acted == allowed, (transition.name, user.username, request.code, request.status)
    if not allowed:
        assert events.count() == before
        assert ResidentRequest.objects.get(pk=request.pk).status == request.status
    return response


def _cases(surface):
    return [
        pytest.param(t.name, role, id=f"{t.name}-{role}")
        for t, role in itertools.product(transitions_on(surface), ROLES)
    ]


@pytest.mark.parametrize(("name", "role"), _cases(Surface.ADMIN))
def test_admin_transitions_show_and_act_exactly_as_the_rule_says(m, name, role):
    transition, user = TRANSITIONS[name], m.users[role]
    state = _state_for(m, transition, role, Surface.ADMIN)
    client = _staff_client(user)
    for request in _pair(m, state):
        url = reverse("admin:resident_requests_residentrequest_transition", args=[request.pk, name])
        page = client.get(
            reverse("admin:resident_requests_residentrequest_change", args=[request.pk])
        )
        shown = page.status_code == 200 and url in page.content.decode()
        assert shown == may(user, request, transition, Surface.ADMIN), (name, role, request.code)
        payload = _with_merge_target(
            m, transition, request, _admin_payload(m, transition, request, user), "into_code"
        )
        _check_acts(user, request, transition, Surface.ADMIN, partial(client.post, url, payload))


@pytest.mark.parametrize(("name", "role"), _cases(Surface.API))
def test_api_actions_act_exactly_as_the_rule_says(m, name, role):
    transition, user = TRANSITIONS[name], m.users[role]
    state = _state_for(m, transition, role, Surface.API)
    client = _api_client(user)
    for request in _pair(m, state):
        url = f"{reverse('api-request-detail', args=[request.code])}{transition.api_path}/"
        payload = _with_merge_target(
            m, transition, request, _api_payload(m, transition, request, user), "into"
        )
        allowed = may(user, request, transition, Surface.API)
        response = _check_acts(
            user,
            request,
            transition,
            Surface.API,
            partial(client.post, url, payload, format="json"),
        )
        status = response.status_code
        assert (status == 200) == allowed, (name, role, request.code, status)
        if not allowed:
            # Unseen: not found; seen but not allowed now: refused with a message.
            expected = {403, 409} if sees(user, request, assigned=True) else {404}
            assert status in expected, (name, role, request.code, status)


@pytest.mark.parametrize(("name", "role"), _cases(Surface.MEMBER))
def test_member_page_actions_act_exactly_as_the_rule_says(m, name, role):
    transition, user = TRANSITIONS[name], m.users[role]
    state = _state_for(m, transition, role, Surface.MEMBER)
    client = _staff_client(user)
    for request in _pair(m, state):
        url = reverse("resident_requests:member_order", args=[request.code])
        page = client.get(url)
        shown = page.status_code == 200 and f'value="{name}"' in page.content.decode()
        assert shown == may(user, request, transition, Surface.MEMBER), (name, role)
        payload = {"action": name, **_admin_payload(m, transition, request, user)}
        _check_acts(user, request, transition, Surface.MEMBER, partial(client.post, url, payload))


# --- Dashboards (drill-down, CSV/XLSX exports) and Open311 ---------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_dashboards_and_open311_follow_the_rule(m, role):
    user = m.users[role]
    client = _staff_client(user)
    near, far = _pair(m, "submitted")
    for request in (near, far):
        unit = request.grid.unit
        # The dashboards show a unit's figures to whom the unit's scope covers (the rule's
        # unit part): the drill-down page and each export of its tables.
        visible = user.is_staff and unit_is_visible(user, unit)
        page = client.get(reverse("dashboards:unit", args=[unit.pk]))
        assert (page.status_code == 200) == visible, (role, request.code, page.status_code)
        for fmt in ("csv", "xlsx"):
            url = reverse("dashboards:export", args=[unit.pk, "handling", fmt])
            assert (client.get(url).status_code == 200) == visible, (role, fmt)
        # The one-page summary, 每月一题 and the station planner: the same rule.
        for name in ("summary", "topics", "stations"):
            answer = client.get(reverse(f"dashboards:{name}", args=[unit.pk]))
            assert (answer.status_code == 200) == visible, (role, name, answer.status_code)
        if user.is_staff:  # 每月一题's one click: for a community in the user's scope only
            community = unit.parent
            seen = unit_is_visible(user, community)
            url = reverse("dashboards:topic_project", args=[community.pk])
            data = {"community": community.pk, "category": request.category_id, "month": "2026-11"}
            answer = client.post(url, data)
            assert (answer.status_code == 404) == (not seen), (role, answer.status_code)
            # ... and its other click, the topic of the next 温暖20 session: the same rule.
            url = reverse("dashboards:topic_reception", args=[community.pk])
            answer = client.post(url, data)
            assert (answer.status_code == 404) == (not seen), (role, answer.status_code)
        # Open311 is the public record: every request, redacted, to anyone.
        url = reverse(
            "open311:request", kwargs={"service_request_id": request.public_id, "fmt": "json"}
        )
        assert client.get(url).status_code == 200


# --- Every URL that takes a request is in the matrix ---------------------------------------------


def _patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


# The parameters by which a URL names a request (or the unit whose requests it shows).
REQUEST_PARAMETERS = {"code", "object_id", "service_request_id", "unit_id"}


def _covered(route: str, pattern: URLPattern) -> bool:
    name = pattern.name or ""
    if "residentrequest" in route:
        return name in {
            "resident_requests_residentrequest_change",
            "resident_requests_residentrequest_history",
            "resident_requests_residentrequest_delete",
            "resident_requests_residentrequest_transition",  # one case per admin transition
            "resident_requests_residentrequest_photo_public",
        } or (name, route.rsplit("/", 2)[-2]) in {
            ("", "<path:object_id>"),  # the admin's bare address: redirects to the change page
        }
    if name.startswith("api-request-"):
        action = name.removeprefix("api-request-")
        return action in {"list", "detail"} or any(
            action == t.api_path for t in transitions_on(Surface.API)
        )
    return name in {
        "member_order",
        "request",  # Open311's request
        "unit",
        "export",
        "summary",
        "topics",
        "topic_project",
        "topic_reception",
        "stations",
    }


def test_every_request_url_is_in_the_matrix():
    """A new page or endpoint that takes a request (or a unit's requests) must be one the
    cases above reach: an API action must be a transition of the table, any other new URL
    fails here until the matrix covers it."""
    missing = []
    for route, pattern in _patterns():
        parameters = set(pattern.pattern.regex.groupindex)
        if not parameters & REQUEST_PARAMETERS:
            continue
        if "object_id" in parameters and "residentrequest" not in route:
            continue  # another model's admin page
        if not _covered(route, pattern):
            missing.append((route, pattern.name))
    assert not missing, missing


def test_every_transition_of_a_surface_has_its_input():
    """Each surface turns each input shape of its transitions into its form; a new shape must
    get one (the admin's and the API's maps, the member page's inputs)."""
    from resident_requests import admin as rr_admin
    from resident_requests import api as rr_api
    from resident_requests import views as rr_views

    for transition in transitions_on(Surface.ADMIN):
        assert transition.one_click or transition.form in rr_admin.FORMS, transition.name
    for transition in transitions_on(Surface.API):
        assert transition.form in rr_api.SERIALIZERS, transition.name
    for transition in transitions_on(Surface.MEMBER):
        assert transition.form in rr_views.MEMBER_INPUTS, transition.name
