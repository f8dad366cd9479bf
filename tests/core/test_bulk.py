"""core.bulk.insert_values: rows stored as the ORM would store them, in one statement."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from qiservice.core.bulk import insert_values
from qiservice.enterprises.models import Enterprise
from qiservice.imports.models import ImportJob, ImportRow
from tests.imports.helpers import credit_code

FIELDS = [f.attname for f in Enterprise._meta.concrete_fields if not f.primary_key]


def test_rows_are_stored_as_the_orm_stores_them_defaults_included(world):
    when = timezone.now() - datetime.timedelta(days=3)
    common = {
        "district_id": world.jimei.pk,
        "address": "厦门市集美区示例路8号",
        "contact_name": "张三",
        "contact_phone": "13800000001",
        "created_by_id": world.people.admin.pk,
    }
    by_orm = Enterprise(name="甲", credit_code=credit_code(1), **common)
    by_orm.save()
    rows = [{"name": "乙", "credit_code": credit_code(2), "created_at": when, "updated_at": when, **common}]
    assert insert_values(Enterprise, rows) == 1
    stored = Enterprise.objects.get(credit_code=credit_code(2))
    # Every field the row left out got the ORM's default, and the dict now says so.
    for name in ("industry", "size", "main_products", "contact_email", "profile_verified_at"):
        assert getattr(stored, name) == getattr(by_orm, name) == rows[0][name]
    assert stored.created_at == when and stored.district == world.jimei and stored.created_by == world.people.admin
    assert [getattr(stored, f) for f in FIELDS if f not in ("name", "credit_code", "created_at", "updated_at")] == [
        getattr(by_orm, f) for f in FIELDS if f not in ("name", "credit_code", "created_at", "updated_at")
    ]


def test_json_text_with_markup_and_many_rows_round_trip(world):
    job = ImportJob.objects.create(
        token="t" * 32, owner=world.people.admin, kind="enterprises", created_at=timezone.now()
    )
    rows = [
        {"job_id": job.pk, "row_number": n, "status": "error", "errors": [f"【联系电话】第{n}行\t'\"\\%s"]}
        for n in range(2, 2502)
    ]
    assert insert_values(ImportRow, rows) == 2500
    stored = dict(ImportRow.objects.filter(job=job).values_list("row_number", "errors"))
    assert len(stored) == 2500 and stored[7] == ["【联系电话】第7行\t'\"\\%s"]
    assert set(ImportRow.objects.filter(job=job).values_list("object_id", flat=True)) == {""}


def test_a_duplicate_is_djangos_integrity_error_and_nothing_of_the_call_is_kept(world):
    row = {
        "name": "丙",
        "credit_code": credit_code(3),
        "district_id": world.jimei.pk,
        "address": "a",
        "contact_name": "b",
        "contact_phone": "13800000000",
    }
    insert_values(Enterprise, [dict(row)])
    before = Enterprise.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_values(Enterprise, [dict(row, credit_code=credit_code(4)), dict(row)])
    assert Enterprise.objects.count() == before
    assert not Enterprise.objects.filter(credit_code=credit_code(4)).exists()
