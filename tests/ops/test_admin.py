"""The audit log: fed by logins, admin changes and phone disclosures; read-only; org department only."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from ops.models import AuditAction, AuditEvent
from ops.services import audit_record
from organization.models import StaffRole
from resident_requests.models import PhoneDisclosure
from tests.organization.factories import chain, staff_user

from .factories import Place, resident_request

LIST = "/admin/ops/auditevent/"


@pytest.fixture
def world():
    district, street, (community,), _ = chain()
    return {
        "orgdept": staff_user(StaffRole.ORG_DEPARTMENT, unit=district),
        "street": staff_user(StaffRole.STREET_STAFF, unit=street),
        "community": staff_user(StaffRole.COMMUNITY_STAFF, unit=community),
    }


@pytest.mark.django_db
def test_the_organization_department_reads_the_audit_log(client, world):
    audit_record(action=AuditAction.LOGIN, actor=world["street"])
    client.force_login(world["orgdept"])
    listing = client.get(LIST)
    assert listing.status_code == 200
    assert world["street"].username in listing.content.decode()
    assert client.get("/admin/").context["available_apps"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["street", "community"])
def test_other_staff_cannot_open_the_audit_log(client, world, who):
    audit_record(action=AuditAction.LOGIN, actor=world["street"])
    client.force_login(world[who])
    assert client.get(LIST).status_code == 403


@pytest.mark.django_db
def test_nobody_can_add_change_or_delete_audit_events(client, world, django_user_model):
    event = audit_record(action=AuditAction.LOGIN, actor=world["street"])
    root = django_user_model.objects.create_superuser("root", password="pw-for-tests-123")
    for user in (world["orgdept"], root):
        client.force_login(user)
        assert client.get(f"{LIST}add/").status_code == 403
        change = client.post(f"{LIST}{event.pk}/change/", {"detail": "edited"})
        assert change.status_code == 403
        assert client.post(f"{LIST}{event.pk}/delete/", {"post": "yes"}).status_code == 403
        bulk = client.post(
            LIST, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
        )
        assert bulk.status_code in (200, 302)
    event.refresh_from_db()
    assert event.detail == ""
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_itself_refuses_to_change_audit_rows():
    event = audit_record(action=AuditAction.LOGIN)
    for sql in (
        "UPDATE ops_auditevent SET detail = 'x' WHERE id = %s",
        "DELETE FROM ops_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, detail="").exists()


@pytest.mark.django_db
def test_admin_changes_and_phone_displays_reach_the_audit_log(world):
    place = Place()
    req = resident_request(place)
    LogEntry.objects.log_actions(
        user_id=world["community"].pk,
        queryset=[req],
        action_flag=CHANGE,
        change_message="Changed status.",
        single_object=True,
    )
    PhoneDisclosure.objects.create(user=world["community"], request=req)
    events = {e.action: e for e in AuditEvent.objects.filter(actor=world["community"])}
    assert events[AuditAction.ADMIN_CHANGE].object_id == str(req.pk)
    assert (
        events[AuditAction.ADMIN_CHANGE].object_type
        == ContentType.objects.get_for_model(req).app_label + ".residentrequest"
    )
    assert events[AuditAction.PERSONAL_DATA_VIEW].object_repr == req.code


@pytest.mark.django_db
def test_a_bulk_admin_delete_is_audited_row_by_row(world):
    place = Place()
    reqs = [resident_request(place), resident_request(place)]
    LogEntry.objects.log_actions(
        user_id=world["orgdept"].pk, queryset=reqs, action_flag=3, change_message=""
    )
    deleted = AuditEvent.objects.filter(action=AuditAction.ADMIN_DELETE, actor=world["orgdept"])
    assert sorted(deleted.values_list("object_id", flat=True)) == sorted(str(r.pk) for r in reqs)
