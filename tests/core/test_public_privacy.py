"""Public means public: personal details planted in every free-text field never reach a page
or an answer that a stranger can open.

The test plants a name, a mobile (also spaced and dashed), a landline, an identity card number,
a room and an e-mail address into what residents and staff type, then walks the whole URLconf
as an anonymous visitor: every pattern with its parameters filled from the planted objects
(ids, codes, signed references of other people's requests), the links on the home and station
pages, the form and its look-ups with a valid form token, "me too", Open311 in JSON and XML and
every /api/v1/ endpoint. A new URL with a parameter this test cannot fill fails it until it is
given values here or listed as not public, with the reason.
"""

import contextlib
import itertools
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from open311 import services as open311_services
from party_work.models import PostClaim, ReceptionBooking
from resident_requests import selectors, services
from resident_requests.forms import new_form_token
from resident_requests.models import RequestPhoto
from tests.grids.factories import station
from tests.party_work.factories import link, session, team
from tests.resident_requests.factories import image_bytes, world

NAME = "张桂英"
MOBILE = "13912345678"
SUPPORTER_MOBILE = "13698765432"
LANDLINE = "0511-85021234"
ID_NUMBER = "32110219800101123X"
ROOM = "302室"
EMAIL = "guiying.zhang@example.com"
PLANTED = (
    f"我是9号楼{ROOM}的{NAME}，电话{MOBILE}（或 139 1234 5678、139-1234-5678），"
    f"座机{LANDLINE}，身份证{ID_NUMBER}，邮箱{EMAIL}"
)
# Staff text that is about no request (a station's description, a post's duty): nobody's
# name is known there, so redact_text() recognises a name by its context (居民…, 联系人…,
# …阿姨); a bare name in such text is the limit of what it can find.
PLANTED_STAFF = (
    f"联系居民{NAME}（{NAME[0]}阿姨），9号楼{ROOM}，电话{MOBILE}（或 139 1234 5678），"
    f"座机{LANDLINE}，身份证{ID_NUMBER}，邮箱{EMAIL}"
)
# What must never appear: each planted value, the mobile as people also write it, the given
# name, the local part of the landline and the e-mail's user.
SECRETS = [
    NAME,
    "桂英",
    MOBILE,
    "139 1234 5678",
    "139-1234-5678",
    SUPPORTER_MOBILE,
    LANDLINE,
    "85021234",
    ID_NUMBER,
    "19800101",
    ROOM,
    EMAIL,
    "guiying.zhang",
]

# Not walked, and why. Every other pattern is requested as an anonymous visitor.
SKIPPED_PREFIXES = {
    "admin/": "the staff admin: login required (its own tests check scopes)",
    "member/": "party members' pages: login required",
    # Uploaded files, served by Django only with DEBUG (nginx in production): photos under
    # random names, re-encoded without EXIF; the pages walked link only approved ones.
    "media/": "uploaded files, not text",
}
NOT_PUBLIC = {
    # The resident's own private link (its 256-bit token is their key) and the page that
    # shows it right after submitting: they see their own name and text there, by design.
    "resident_requests:token": "the resident's own private link",
    "resident_requests:submitted": "the resident's own page after submitting",
    # A short link redirects to its target; the targets are walked themselves (the public
    # view) or are the resident's private link above.
    "notifications:short_link": "a redirect to a page walked (or excluded) on its own",
    # Staff pages with an object id: login or staff scope required.
    "party_work:household_visit": "staff only",
    "party_work:booking_to_request": "staff only",
    "dashboards:export": "staff only",
}
# Too few URLs checked means the walk broke, not that the portal is private.
# (243 checked, 84 of them answering 200, when this was written.)
MIN_URLS = 120
MIN_OK = 50


@pytest.fixture
def planted(db, settings, tmp_path):
    """A district with personal details in every free-text field."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Walking is not abuse: no rate limits here (they have their own tests).
    settings.RESIDENT_REQUEST_RATE_LIMITS = {
        key: (10**6, 60)
        for key in (
            "submit_ip",
            "submit_phone",
            "track_ip",
            "support_ip",
            "lookup_ip",
            "similar_ip",
            "similar_token",
        )
    }
    w = world()
    leader = w.users["leader"]

    def submit(**extra):
        return services.request_submit(
            submitter_name=extra.pop("submitter_name", NAME),
            submitter_phone=extra.pop("submitter_phone", MOBILE),
            building=w.buildings[extra.pop("building_index", 0)],
            category=extra.pop("category", w.category),
            description=PLANTED,
            address=PLANTED[:200],
            public_allowed=extra.pop("public_allowed", True),
            **extra,
        )

    # Open, with supporters and photos (one approved); its "me too" is public.
    open_one = submit()
    services.request_accept(request=open_one, actor=leader, note=PLANTED)
    services.request_support(request=open_one, phone=SUPPORTER_MOBILE)
    for approved in (True, False):
        RequestPhoto.objects.create(
            request=open_one,
            stage="submission",
            image=SimpleUploadedFile(f"{NAME}{MOBILE}.jpg", image_bytes()),
            public_approved=approved,
        )
    # Resolved with a note and rated with a comment (closed).
    rated = submit(submitter_phone="13712340001")
    services.request_accept(request=rated, actor=leader)
    services.request_resolve(request=rated, actor=leader, note=PLANTED)
    services.request_rate(request=rated, rating="satisfied", comment=PLANTED[:500])
    # Resolved, waiting for a rating.
    resolved = submit(submitter_phone="13712340002")
    services.request_accept(request=resolved, actor=leader)
    services.request_resolve(request=resolved, actor=leader, note=PLANTED)
    # Rejected with a reason.
    rejected = submit(submitter_phone="13712340003")
    services.request_reject(request=rejected, actor=leader, reason=PLANTED)
    # Dispatched to a member with a note; merged as a duplicate.
    dispatched = submit(submitter_phone="13712340004")
    services.request_accept(request=dispatched, actor=leader)
    services.request_dispatch(request=dispatched, actor=leader, assignee=w.members[0], note=PLANTED)
    merged = submit(submitter_phone="13712340005")
    services.request_merge(request=merged, into=open_one, actor=leader, note=PLANTED)
    # Not allowed in public, the same text.
    private = submit(submitter_phone="13712340006", public_allowed=False)
    requests = [open_one, rated, resolved, rejected, dispatched, merged, private]
    # On the public map of problems (/problems/): every request that allowed it, approved.
    for request in requests:
        if request.public_allowed:
            services.request_public_map_set(request=request, actor=leader, approved=True)

    # Filed through Open311 by a client, with its own name, phone and e-mail fields.
    key, raw_key = open311_services.api_key_issue(name="12345", contact=LANDLINE)
    Client().post(
        "/open311/v2/requests.json",
        {
            "api_key": raw_key,
            "service_code": w.category.code,
            "address_id": str(w.buildings[1].pk),
            "first_name": NAME[1:],
            "last_name": NAME[0],
            "phone": "13712340007",
            "email": EMAIL,
            "description": PLANTED,
            "attribute[address_detail]": PLANTED[:200],
        },
    )

    # Staff free text: a station's description, a claimed post's duty, a team, a session.
    stations = [
        station(w.communities[0], description=PLANTED_STAFF, grids=[w.grids[0]]),
        station(
            w.grids[0].unit, north=1, description=PLANTED_STAFF, grids=[w.grids[0], w.grids[1]]
        ),
    ]
    PostClaim.objects.create(
        person=w.members[0],
        grid=w.grids[0],
        post="elderly",
        duty=PLANTED_STAFF[:200],
        start_date=timezone.localdate(),
    )
    team(w.grids[0], members=[w.members[0]])
    # A 温暖20 topic typed in the admin (free text, shown on /reception/).
    coming = session(w.communities[0], topic=PLANTED_STAFF[:100])
    ReceptionBooking.objects.create(session=coming, name=NAME, phone=MOBILE, topic=PLANTED)
    household_link = link(
        _household(w), address=PLANTED[:200], contact_name=NAME, contact_phone=MOBILE
    )
    return {
        "w": w,
        "requests": requests,
        "stations": stations,
        "session": coming,
        "household_link": household_link,
        "open311_key": key,
    }


def _household(w):
    from organization.models import UnitKind
    from tests.organization.factories import unit

    return unit(UnitKind.HOUSEHOLD, unit(UnitKind.BUILDING, w.grids[0].unit))


def _patterns(resolvers, prefix="", namespaces=()):
    """(route as written, qualified name, parameter names) of every pattern, recursively."""
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            ns = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            pattern = entry.pattern
            names = set(getattr(pattern, "converters", {}) or {})
            names |= set(pattern.regex.groupindex)
            qualified = ":".join([*namespaces, entry.name]) if entry.name else None
            yield prefix + str(pattern), qualified, sorted(names)


def _parameter_values(p) -> dict:
    """Values for path parameters: by qualified pattern name, else by parameter name."""
    w = p["w"]
    requests = p["requests"]
    grid_ids = [g.pk for g in w.grids]
    by_name = {
        "grids:station_detail": {"pk": [s.pk for s in p["stations"]]},
        "party_work:grid_duty": {"pk": grid_ids},
        "party_work:reception_book": {"pk": [p["session"].pk]},
        "party_work:reception_booked": {"pk": [p["session"].pk]},
        "resident_requests:public": {"ref": [selectors.public_ref(r) for r in requests]},
        "dashboards:unit": {"unit_id": [w.street.pk, w.communities[0].pk]},
        "dashboards:summary": {"unit_id": [w.street.pk, w.communities[0].pk]},
        "dashboards:topics": {"unit_id": [w.street.pk, w.communities[0].pk]},
        "dashboards:topic_project": {"unit_id": [w.street.pk]},
        "dashboards:topic_reception": {"unit_id": [w.street.pk]},
        "dashboards:stations": {"unit_id": [w.street.pk, w.communities[0].pk]},
        "open311:service": {"service_code": [w.category.code]},
        # Open311 publishes the public id (a tracking code answers 404): both are walked.
        "open311:request": {
            "service_request_id": [r.public_id for r in requests] + [r.code for r in requests]
        },
        "open311:token": {"token": ["x" * 20]},
    }
    by_parameter = {
        "fmt": ["json", "xml"],
        "format": ["json"],
        # DRF routers' detail views (stations, units, categories, requests by code, …).
        "pk": [s.pk for s in p["stations"]] + grid_ids + [p["household_link"].pk],
        "code": [r.code for r in requests],
        "community_id": [c.pk for c in w.communities],
    }
    return by_name, by_parameter


# Query strings worth adding to list endpoints (filters that select the planted objects).
def _queries(p) -> dict:
    w = p["w"]
    return {
        "open311:requests": [
            {},
            {"status": "open"},
            {"status": "closed"},
            {"service_code": w.category.code},
            {"service_request_id": ",".join(r.public_id for r in p["requests"])},
        ],
        "open311:updates": [
            {"service_request_id": ",".join(r.public_id for r in p["requests"])},
            {
                "start_date": (timezone.now() - timezone.timedelta(days=2)).isoformat(),
                "end_date": (timezone.now() + timezone.timedelta(days=1)).isoformat(),
            },
        ],
        "party_work:reception_list": [{}, {"community": w.communities[0].pk}],
        "pw-public-sessions": [{}, {"community": w.communities[0].pk}],
        "grids:station_list": [{}, {"q": "测试"}],
        "resident_requests:buildings_lookup": [{"q": w.buildings[0].address[:4]}],
        **{
            name: [
                {},
                {"status": "open"},
                {"status": "resolved"},
                {"street": w.street.pk, "category": w.category.pk},
                {"community": w.communities[0].pk},
            ]
            for name in ("resident_requests:problems", "api-problems-geojson")
        },
    }


def _text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", errors="replace")
    if "json" in response.get("Content-Type", ""):
        with contextlib.suppress(ValueError):  # \u escapes would hide a name from a search
            text += json.dumps(json.loads(text), ensure_ascii=False)
    return text


class Walk:
    def __init__(self):
        self.client = Client()
        self.checked: dict[str, int] = {}

    def get(self, url, params=None):
        response = self.client.get(url, params or {})
        self.check(f"GET {url} {params or ''}", response)
        return response

    def post(self, url, data):
        response = self.client.post(url, data)
        self.check(f"POST {url}", response)
        return response

    def check(self, label, response):
        text = _text(response)
        leaked = [s for s in SECRETS if s in text]
        assert not leaked, f"{label} ({response.status_code}) shows {leaked}"
        self.checked[label] = response.status_code


LINK = re.compile(r'href="(/[^"#]*)"')


def _same_site_links(html: str) -> set[str]:
    links = set()
    for href in LINK.findall(html):
        href = href.replace("&amp;", "&")
        if href.startswith(("/static/", "/media/", "/admin/", "/member/", "//")):
            continue
        links.add(href)
    return links


@pytest.mark.django_db
def test_no_planted_personal_detail_reaches_a_public_page(planted):
    walk = Walk()
    by_name, by_parameter = _parameter_values(planted)
    queries = _queries(planted)
    unresolved = []
    for route, name, parameters in _patterns(get_resolver().url_patterns):
        if route.lstrip("^").startswith(tuple(SKIPPED_PREFIXES)):
            continue
        if name in NOT_PUBLIC:
            continue
        if name is None and parameters:
            unresolved.append((route, parameters))
            continue
        values = [by_name.get(name, {}).get(p) or by_parameter.get(p) for p in parameters]
        if any(v is None for v in values):
            unresolved.append((route, name, parameters))
            continue
        for combination in itertools.product(*values):
            kwargs = dict(zip(parameters, combination, strict=True))
            if name is None:
                url = "/" + route.lstrip("^").rstrip("$")
            else:
                try:
                    url = reverse(name, kwargs=kwargs)
                except NoReverseMatch:  # a value that this pattern refuses
                    unresolved.append((route, name, kwargs))
                    continue
            for query in queries.get(name, [{}]):
                walk.get(url, query)
    assert not unresolved, (
        "URL patterns with parameters this test cannot fill: give them values in "
        f"_parameter_values or list them in NOT_PUBLIC with the reason: {unresolved}"
    )

    # Links found on the home page, the station list and the station pages, one level deep.
    pages = ["/", reverse("grids:station_list")] + [
        reverse("grids:station_detail", args=[s.pk]) for s in planted["stations"]
    ]
    for page in pages:
        for href in _same_site_links(walk.get(page).content.decode()):
            walk.get(href)

    # The form and its helpers, with the page's own token.
    w = planted["w"]
    form = walk.get(reverse("resident_requests:new")).content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', form).group(1)
    for building in w.buildings:
        for category in (w.category, w.other_category):
            response = walk.get(
                reverse("resident_requests:similar_lookup"),
                {"building": building.pk, "category": category.pk, "token": token},
            )
            assert response.status_code == 200
    # The form sent for the same building and kind: the server-rendered "me too" box.
    response = walk.post(
        reverse("resident_requests:new"),
        {
            "name": "李四",
            "phone": "13700009999",
            "building_text": w.buildings[0].address,
            "building": w.buildings[0].pk,
            "category": w.category.pk,
            "description": "楼道灯也坏了好几天",
            "consent": "on",
            "request_type": "help",
            "form_token": new_form_token(),
        },
    )
    assert 'id="similar"' in response.content.decode()
    ref = re.search(r'name="ref" value="([0-9a-f]+)"', response.content.decode()).group(1)
    # "Me too", and the public view it leads to.
    done = walk.post(
        reverse("resident_requests:support"),
        {
            "ref": ref,
            "building": w.buildings[0].pk,
            "category": w.category.pk,
            "phone": "13700009999",
            "consent": "on",
        },
    )
    assert done.status_code == 200
    for href in _same_site_links(done.content.decode()):
        walk.get(href)

    ok = [label for label, status in walk.checked.items() if status == 200]
    assert len(walk.checked) >= MIN_URLS, f"only {len(walk.checked)} URLs checked"
    assert len(ok) >= MIN_OK, f"only {len(ok)} URLs answered 200"
    # The public surfaces themselves answered (not only redirects to a login page).
    for must in ("/open311/v2/requests.json", "/open311/v2/requests.xml", "/requests/p/"):
        assert any(must in label for label in ok), must
    assert any("/api/v1/stations/" in label for label in ok)
    # The map of problems answered, with the planted requests on it (their public ids).
    for url in (reverse("resident_requests:problems"), reverse("api-problems-geojson")):
        text = _text(walk.get(url))
        assert planted["requests"][0].public_id in text, url
