"""core.audit: the apps below ops record displays of personal data there; ops writes the rows."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from core import audit
from ops.models import AuditAction, AuditEvent


@pytest.mark.django_db
def test_a_display_recorded_through_core_is_a_row_of_the_audit_log(django_user_model):
    user = django_user_model.objects.create_user("auditor", password="x")
    request = RequestFactory().get("/somewhere/")
    request.user = user
    audit.audit_personal_data_display(request, [user], ["name"], page="test")
    event = AuditEvent.objects.get(actor=user)
    assert event.action == AuditAction.PERSONAL_DATA_VIEW
    assert event.object_id == str(user.pk)


def test_without_a_registered_writer_a_display_is_refused_not_silently_unaudited(monkeypatch):
    monkeypatch.setattr(audit, "_recorder", None)
    with pytest.raises(ImproperlyConfigured):
        audit.audit_personal_data_display(None, [], ["name"])
