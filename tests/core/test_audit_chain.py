"""The audit log is tamper-evident: a hash chain keyed outside the database (issue 10)."""

import datetime
import decimal
import itertools
import json

import pytest
from django.core.management import CommandError, call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qiservice.core import audit, audit_chain
from qiservice.core.models import AuditEvent, AuditLog


def raw(sql, params=()):
    """What someone with direct database access could do (on PostgreSQL they would first
    have to get past the append-only trigger, as the table's owner can)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # user triggers off (superuser)
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def write_some(world, n=5):
    rows = [
        audit.record(AuditEvent.VIEWED, world.ent_jimei, actor=world.people.admin, extra={"n": i}) for i in range(n)
    ]
    rows += AuditLog.objects.bulk_create(
        [
            AuditLog(
                event_type=AuditEvent.EXPORTED,
                actor_repr="批量",
                extra={"rows": i, "when": datetime.date(2026, 1, i + 1)},
            )
            for i in range(3)
        ]
    )
    return rows


def test_every_row_links_to_the_one_before(world):
    write_some(world)
    rows = list(AuditLog.objects.order_by("pk"))
    assert all(len(r.row_hash) == 64 for r in rows)
    assert rows[0].prev_hash == "" or AuditLog.objects.filter(pk__lt=rows[0].pk).exists()
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.row_hash
    verdict = audit_chain.verify(AuditLog)
    assert verdict.ok and verdict.checked == len(rows)
    call_command("verify_audit_chain")


def test_a_changed_row_is_found(world):
    rows = write_some(world)
    victim = rows[2]
    raw("UPDATE core_auditlog SET target_repr = %s WHERE id = %s", ["别的企业", victim.pk])
    verdict = audit_chain.verify(AuditLog)
    assert (verdict.broken_at, verdict.reason) == (victim.pk, "content")
    with pytest.raises(CommandError, match=f"row {victim.pk}"):
        call_command("verify_audit_chain")


def test_a_deleted_row_is_found(world):
    rows = write_some(world)
    raw("DELETE FROM core_auditlog WHERE id = %s", [rows[3].pk])
    verdict = audit_chain.verify(AuditLog)
    assert (verdict.broken_at, verdict.reason) == (rows[4].pk, "link")


def test_recomputing_the_hash_without_the_key_does_not_help(world, settings):
    rows = write_some(world)
    victim = rows[1]
    raw("UPDATE core_auditlog SET actor_repr = %s WHERE id = %s", ["无名氏", victim.pk])
    forged = AuditLog.objects.get(pk=victim.pk)
    settings.AUDIT_CHAIN_KEY = "the attacker's guess"
    forged_hash = audit_chain.digest(forged)
    raw("UPDATE core_auditlog SET row_hash = %s WHERE id = %s", [forged_hash, victim.pk])
    settings.AUDIT_CHAIN_KEY = ""
    assert audit_chain.verify(AuditLog).broken_at == victim.pk


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**15), 10**15)
    | st.floats(allow_nan=False, allow_infinity=False, width=64)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(st.text(min_size=1, max_size=10), json_values, max_size=4))
def test_any_recorded_content_verifies_after_the_round_trip(world, changes):
    """Whatever JSON a record holds (Chinese text, big and small numbers, nesting, dates,
    decimals), the hash computed at write time matches the row read back."""
    audit.record(
        AuditEvent.UPDATED,
        world.ent_jimei,
        actor=world.people.admin,
        changes=changes,
        extra={"on": datetime.date(2026, 10, 1), "amount": decimal.Decimal("12.50"), "备注": "国庆"},
        ip="10.0.0.8",
    )
    assert audit_chain.verify(AuditLog).ok


flat_values = st.dictionaries(
    st.text(max_size=8), st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.text(max_size=12), max_size=6
)


@settings(max_examples=80, deadline=None)
@given(value=flat_values | st.dictionaries(st.text(max_size=4), json_values, max_size=3))
def test_the_fast_path_for_flat_dicts_normalises_as_the_round_trip_does(value):
    """A snapshot of plain fields skips the JSON round trip; the result must not differ."""
    slow = audit_chain._without_nul(json.loads(json.dumps(value, cls=DjangoJSONEncoder)))
    assert audit_chain.normalise(value) == slow
    assert json.dumps(audit_chain.canonical(value), sort_keys=True) == json.dumps(
        canonical_without_fast_path(value), sort_keys=True
    )


def canonical_without_fast_path(value):
    if isinstance(value, float) and value.is_integer():
        return int(decimal.Decimal(repr(value)))
    if isinstance(value, dict):
        return {k: canonical_without_fast_path(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical_without_fast_path(v) for v in value]
    return value


def test_rows_inserted_in_bulk_as_values_join_the_chain(world):
    """The import's bulk path (dicts, no instances) chains its rows like any other write."""
    audit.record(AuditEvent.VIEWED, world.ent_jimei, actor=world.people.admin)
    now = timezone.now()
    written = AuditLog.objects.insert_values(
        {
            "event_type": AuditEvent.CREATED.value,
            "created_at": now,
            "actor_id": world.people.admin.pk,
            "actor_repr": "管理员\x00",
            "target_id": str(n),
            "changes": {"name": f"企业{n}", "n": n, "on": datetime.date(2026, 1, n + 1)},
            "extra": {"import": 7},
        }
        for n in range(5)
    )
    audit.record(AuditEvent.VIEWED, world.ent_jimei, actor=world.people.admin)
    assert written == 5
    rows = list(AuditLog.objects.order_by("pk"))
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.row_hash
    stored = AuditLog.objects.filter(event_type=AuditEvent.CREATED, extra={"import": 7}).order_by("pk")
    assert [r.target_id for r in stored] == ["0", "1", "2", "3", "4"]
    assert stored[1].changes == {"name": "企业1", "n": 1, "on": "2026-01-02"}
    assert stored[0].actor_repr == "管理员\ufffd" and stored[0].target_repr == "" and stored[0].ip_address is None
    assert audit_chain.verify(AuditLog).ok
