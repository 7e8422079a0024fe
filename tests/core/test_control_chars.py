"""Control characters (\\x0b, \\x1b…) never get in: one \\x0b in a description made the public
Open311 feed not well-formed. Every input boundary (the resident's form, the staff's forms, the
API, Open311's POST) strips them; tab, newline and carriage return stay."""

import importlib
import inspect
import json
import xml.etree.ElementTree as ET

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.test import Client
from rest_framework import serializers
from rest_framework.test import APIClient

from core.api import CleanInputSerializerMixin
from core.forms import CleanInputMixin
from core.validators import scrub_input, strip_control_chars
from open311 import services as open311_services
from resident_requests.models import ResidentRequest
from tests.resident_requests.factories import world as make_world
from tests.resident_requests.test_views import NEW, form_data

HOSTILE = "楼道灯坏了\x0b，\x1b[31m晚上很黑\x00。\t第二行\r\n第三行"
CLEAN = "楼道灯坏了，[31m晚上很黑。\t第二行\r\n第三行"

PROJECT_APPS = [
    "core",
    "organization",
    "grids",
    "notifications",
    "resident_requests",
    "open311",
    "party_work",
    "dashboards",
    "imports",
    "ops",
]


@pytest.fixture
def w(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_world()


def test_strip_keeps_tab_newline_and_carriage_return_only():
    every_c0 = "".join(chr(c) for c in range(32))
    assert strip_control_chars(f"a{every_c0}b") == "a\t\n\rb"
    assert strip_control_chars(HOSTILE) == CLEAN


def test_scrub_input_cleans_a_querydict_keeping_its_lists_and_mutability():
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    data.setlist("tags", ["a\x0b", "b\x1b"])
    clean = scrub_input(data)
    assert clean.getlist("tags") == ["a", "b"]
    assert clean._mutable
    assert scrub_input({"x": ["\x07y", {"z": "\x0c"}], "n": 3}) == {"x": ["y", {"z": ""}], "n": 3}


def _project_classes(base, module_names=("forms", "admin", "api", "views")):
    found = set()
    for app in PROJECT_APPS:
        for module_name in module_names:
            try:
                module = importlib.import_module(f"{app}.{module_name}")
            except ModuleNotFoundError:
                continue
            for _name, value in inspect.getmembers(module, inspect.isclass):
                if issubclass(value, base) and value.__module__.split(".")[0] in PROJECT_APPS:
                    found.add(value)
    return found


def test_every_project_form_strips_control_characters():
    project_forms = _project_classes(forms.BaseForm)
    assert len(project_forms) > 15
    missing = sorted(f.__qualname__ for f in project_forms if not issubclass(f, CleanInputMixin))
    missing = [m for m in missing if m not in {"Form", "ModelForm"}]
    assert missing == []


def test_every_project_serializer_strips_control_characters():
    project_serializers = _project_classes(serializers.BaseSerializer)
    assert len(project_serializers) > 15
    missing = sorted(
        s.__qualname__
        for s in project_serializers
        if not issubclass(s, CleanInputSerializerMixin) and s.__qualname__ != "Serializer"
    )
    assert missing == []


def test_every_project_admin_form_strips_control_characters():
    project_admins = [
        model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PROJECT_APPS
    ]
    assert len(project_admins) > 15
    missing = []
    for model_admin in project_admins:
        for part in [
            model_admin,
            *(inline(model_admin.model, admin.site) for inline in model_admin.inlines),
        ]:
            if not issubclass(part.form, CleanInputMixin):
                missing.append(type(part).__qualname__)
    assert missing == []
    assert apps.get_app_config("resident_requests")  # the registry above was the project's


def test_resident_form_stores_the_description_without_control_characters(w):
    response = Client().post(
        NEW,
        form_data(w, description=HOSTILE, address="2单元\x0b门口", public_allowed="on"),
        REMOTE_ADDR="10.9.0.1",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    request = ResidentRequest.objects.get()
    assert request.description == CLEAN
    assert request.address == "2单元门口"
    assert_feed_parses(request.public_id)


def test_api_entry_stores_the_description_without_control_characters(w):
    client = APIClient()
    client.force_authenticate(w.users["leader"])
    body = {
        "submitter_name": "赵大爷\x1b",
        "submitter_phone": "13700001111",
        "building": w.buildings[0].pk,
        "category": w.category.pk,
        "description": HOSTILE,
    }
    response = client.post("/api/v1/requests/", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    request = ResidentRequest.objects.get(code=response.json()["code"])
    assert request.description == CLEAN
    assert request.submitter_name == "赵大爷"


def test_open311_post_stores_the_description_without_control_characters(w):
    _key, api_key = open311_services.api_key_issue(name="12345 hotline", contact="0511-12345")
    response = Client().post(
        "/open311/v2/requests.json",
        {
            "api_key": api_key,
            "service_code": w.category.code,
            "address_id": str(w.buildings[0].pk),
            "first_name": "阿姨\x0b",
            "last_name": "李",
            "phone": "13912345678",
            "description": HOSTILE,
        },
    )
    assert response.status_code == 201, response.content
    request = ResidentRequest.objects.get(public_id=response.json()[0]["service_request_id"])
    assert request.description == CLEAN
    assert request.submitter_name == "李阿姨"
    ResidentRequest.objects.filter(pk=request.pk).update(public_allowed=True)
    assert_feed_parses(request.public_id)


def assert_feed_parses(public_id):
    response = Client().get("/open311/v2/requests.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 (our own feed; raises if not well-formed)
    descriptions = [
        r.findtext("description")
        for r in root.iter("request")
        if r.findtext("service_request_id") == public_id
    ]
    assert descriptions and "晚上很黑" in descriptions[0]
