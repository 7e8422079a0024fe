"""A filing is checked field by field with the public form's rules and messages, each message
named by the Open311 field it is about, every wrong field at once."""

import json

from resident_requests.models import ResidentRequest

BASE = "/open311/v2/"


def errors(client, body) -> str:
    response = client.post(f"{BASE}requests.json", body)
    assert response.status_code == 400, response.content
    return json.loads(response.content)[0]["description"]


def test_each_wrong_field_is_named_as_open311_calls_it(w, client, filing):
    text = errors(
        client,
        {**filing, "phone": "12345", "description": "灯坏", "first_name": "", "last_name": ""},
    )
    assert text.startswith("first_name/last_name: ")
    assert " phone: " in text
    assert "5" in text.split(" description: ")[1]  # at least 5 characters, in the portal's language
    assert not ResidentRequest.objects.exists()


def test_an_address_string_that_names_no_building_is_refused_under_its_name(w, client, filing):
    del filing["address_id"]
    text = errors(client, {**filing, "address_string": "没有这条路999号"})
    assert text.startswith("address_string: ")
    assert not ResidentRequest.objects.exists()


def test_a_filing_by_address_string_is_stored_with_the_detail(w, client, filing):
    del filing["address_id"]
    body = {
        **filing,
        "address_string": w.buildings[1].address,
        "attribute[address_detail]": "  3单元  ",
        "phone": "139 1234-5670",
    }
    response = client.post(f"{BASE}requests.json", body)
    assert response.status_code == 201, response.content
    request = ResidentRequest.objects.get()
    assert request.building == w.buildings[1]
    assert request.address == "3单元"
    assert request.submitter_phone == "13912345670"
    assert request.submitter_name == "李阿姨"
