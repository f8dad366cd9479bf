import pytest
from django.db import connection, transaction

from qiservice.core import audit
from qiservice.core.models import AuditEvent, AuditLog


def test_the_audit_log_cannot_be_changed_or_deleted_through_the_app(world):
    entry = audit.record(AuditEvent.VIEWED, world.ent_jimei, actor=world.people.admin)
    entry.target_repr = "forged"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditLog.objects.filter(pk=entry.pk).update(target_repr="forged")
    with pytest.raises(PermissionError):
        AuditLog.objects.all().delete()
    assert AuditLog.objects.get(pk=entry.pk).target_repr == world.ent_jimei.name


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_changes_to_the_audit_log_for_any_client(world):
    from django.db import DatabaseError

    entry = audit.record(AuditEvent.VIEWED, world.ent_jimei, actor=world.people.admin)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditlog SET target_repr = 'forged' WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditlog WHERE id = %s", [entry.pk])
    assert AuditLog.objects.filter(pk=entry.pk, target_repr=world.ent_jimei.name).exists()


def test_the_django_admin_offers_no_way_to_edit_the_log(world):
    from django.test import Client

    world.people.admin.is_staff = world.people.admin.is_superuser = True
    world.people.admin.save()
    client = Client()
    client.force_login(world.people.admin)
    entry = audit.record(AuditEvent.VIEWED, world.ent_jimei, actor=world.people.admin)
    assert client.get("/admin/core/auditlog/").status_code == 200
    assert client.get("/admin/core/auditlog/add/").status_code == 403
    assert client.post(f"/admin/core/auditlog/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditLog.objects.filter(pk=entry.pk).exists()


def test_admin_corrections_are_audited(world):
    from django.test import Client

    world.people.admin.is_staff = world.people.admin.is_superuser = True
    world.people.admin.save()
    client = Client()
    client.force_login(world.people.admin)
    page = client.get(f"/admin/enterprises/enterprise/{world.ent_jimei.pk}/change/")
    form = page.context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(
        {"district": world.jimei.pk, "address": "更正后的地址", "contacts-TOTAL_FORMS": 0, "contacts-INITIAL_FORMS": 0}
    )
    data.pop("profile_verified_at", None)
    response = client.post(f"/admin/enterprises/enterprise/{world.ent_jimei.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditLog.objects.filter(event_type=AuditEvent.UPDATED, target_id=str(world.ent_jimei.pk)).latest("pk")
    assert entry.changes["address"][1] == "更正后的地址"
    assert entry.extra == {"via": "admin"}


def test_admins_and_auditors_filter_the_log(world, login):
    audit.record(AuditEvent.VIEWED, world.ent_jimei, actor=world.people.specialist)
    audit.record(AuditEvent.VIEWED, world.ent_siming, actor=world.people.admin)
    client = login(world.people.auditor)
    page = client.get("/audit/", {"actor": "sp_jimei"})
    rows = list(page.context["page"].object_list)
    assert [r.target_repr for r in rows] == [world.ent_jimei.name]
    by_event = client.get("/audit/", {"event_type": "viewed"}).context["page"].paginator.count
    assert by_event == 2
    api = client.get("/api/audit-log", {"event_type": "viewed"}).json()
    assert api["count"] == 2
