"""Importing checked files: valid rows only, or all or nothing; re-checked at import time."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone

from qiservice.core import audit_chain
from qiservice.core.models import AuditEvent, AuditLog
from qiservice.demands import workflow as demand_workflow
from qiservice.demands.models import Demand
from qiservice.enterprises.models import Enterprise
from qiservice.enterprises.workflow import save_enterprise
from qiservice.imports import rules
from qiservice.imports.choices import ImportStatus, RowStatus
from qiservice.imports.models import ImportJob
from tests.conftest import CODES

from .helpers import DEMAND_HEADERS, credit_code, demand_row, enterprise_row, workbook


def _mixed():
    return workbook([enterprise_row(1), enterprise_row(2, 联系电话="123"), enterprise_row(3)])


def test_valid_only_imports_exactly_the_good_rows(world, start, commit):
    job = start(world.people.officer_jimei, "enterprises", _mixed())
    job = commit(job, "valid_only")
    assert job.status == ImportStatus.DONE
    assert job.created_count == 2
    created = Enterprise.objects.filter(credit_code__in=[credit_code(1), credit_code(2), credit_code(3)])
    assert sorted(created.values_list("credit_code", flat=True)) == sorted([credit_code(1), credit_code(3)])
    one = created.get(credit_code=credit_code(1))
    assert (one.name, one.district, one.industry, one.size, one.contact_email, one.created_by) == (
        "厦门导入测试企业1有限公司",
        world.jimei,
        "C",
        "small",
        "e1@example.cn",
        world.people.officer_jimei,
    )
    statuses = dict(job.rows.values_list("row_number", "status"))
    assert statuses == {2: RowStatus.IMPORTED, 3: RowStatus.ERROR, 4: RowStatus.IMPORTED}


def test_all_or_nothing_is_not_offered_when_rows_have_errors(world, start, commit):
    job = start(world.people.officer_jimei, "enterprises", _mixed())
    with pytest.raises(ValidationError, match="不能选择“全部导入或全部不导入”"):
        commit(job, "all_or_nothing")
    assert Enterprise.objects.count() == 3


def test_all_or_nothing_imports_everything(world, start, commit):
    job = start(world.people.officer_jimei, "enterprises", workbook([enterprise_row(i) for i in range(1, 6)]))
    job = commit(job, "all_or_nothing")
    assert (job.status, job.created_count) == (ImportStatus.DONE, 5)
    assert Enterprise.objects.count() == 8


def test_all_or_nothing_imports_nothing_when_the_database_changed_since_the_check(world, start, commit):
    job = start(world.people.officer_jimei, "enterprises", workbook([enterprise_row(i) for i in range(1, 6)]))
    assert job.error_rows == 0
    # Someone registers the fourth enterprise between the dry run and the import.
    save_enterprise(
        Enterprise(
            name="抢先登记",
            credit_code=credit_code(4),
            district=world.jimei,
            address="地址",
            contact_name="王",
            contact_phone="13800000000",
        ),
        by=world.people.admin,
    )
    job = commit(job, "all_or_nothing")
    assert job.status == ImportStatus.VALIDATED
    assert "未导入任何数据" in job.message
    assert Enterprise.objects.count() == 4
    assert job.rows.get(row_number=5).errors == ["【统一社会信用代码】该代码已登记，服务对象库中已有该企业。"]
    assert (job.valid_rows, job.error_rows) == (4, 1)
    # The owner may still import the rows that are valid now.
    job = commit(job, "valid_only")
    assert (job.status, job.created_count) == (ImportStatus.DONE, 4)
    assert Enterprise.objects.count() == 8


def test_valid_only_rechecks_and_skips_a_row_that_became_a_duplicate(world, start, commit):
    job = start(world.people.officer_jimei, "enterprises", workbook([enterprise_row(1), enterprise_row(2)]))
    save_enterprise(
        Enterprise(
            name="抢先",
            credit_code=credit_code(2),
            district=world.jimei,
            address="a",
            contact_name="b",
            contact_phone="13800000000",
        ),
        by=world.people.admin,
    )
    job = commit(job, "valid_only")
    assert (job.status, job.created_count, job.error_rows) == (ImportStatus.DONE, 1, 1)
    assert job.rows.get(row_number=3).status == RowStatus.ERROR


def test_bulk_path_writes_the_same_audit_record_as_the_form(world, start, commit):
    job = start(world.people.officer_jimei, "enterprises", workbook([enterprise_row(1)]))
    commit(job, "all_or_nothing")
    imported = Enterprise.objects.get(credit_code=credit_code(1))
    record = AuditLog.objects.get(target_id=str(imported.pk), target_type__model="enterprise")
    by_form = save_enterprise(
        Enterprise(
            name="表单登记",
            credit_code=credit_code(2),
            district=world.jimei,
            address="a",
            contact_name="b",
            contact_phone="13800000000",
        ),
        by=world.people.officer_jimei,
    )
    form_record = AuditLog.objects.get(target_id=str(by_form.pk), target_type__model="enterprise")
    assert (record.event_type, record.actor) == (form_record.event_type, form_record.actor)
    assert set(record.changes) == set(form_record.changes)
    assert record.changes["credit_code"] == credit_code(1)
    assert record.extra == {"import": job.pk}
    # One record for the import itself, with its counts.
    summary = AuditLog.objects.get(target_type__model="importjob", target_id=str(job.pk))
    assert summary.event_type == AuditEvent.CREATED
    assert summary.extra == {
        "import": "enterprises",
        "mode": "all_or_nothing",
        "rows": 1,
        "created": 1,
        "errors": 0,
        "outcome": "done",
    }


def test_only_the_owner_imports_and_only_once(world, start, commit):
    job = start(world.people.officer_jimei, "enterprises", workbook([enterprise_row(1)]))
    with pytest.raises(PermissionDenied):
        commit(job, "valid_only", world.people.admin)
    commit(job, "valid_only")
    with pytest.raises(ValidationError, match="导入完成"):
        commit(job, "valid_only")
    assert Enterprise.objects.count() == 4


def test_auditor_and_specialist_may_not_import(world, start):
    for user in (world.people.auditor, world.people.specialist, world.people.enterprise_user):
        with pytest.raises(PermissionDenied):
            start(user, "enterprises", workbook([enterprise_row(1)]))


def test_district_officer_cannot_import_into_another_district(world, start, commit):
    job = start(world.people.officer_siming, "enterprises", workbook([enterprise_row(1, 所在区="集美区")]))
    assert job.rows.get().errors == ["【所在区】您只能导入本人所辖区（思明区）的服务对象。"]
    assert not job.may_commit
    with pytest.raises(ValidationError, match="没有可导入的有效行"):
        commit(job, "valid_only")
    assert Enterprise.objects.count() == 3


def test_imported_demands_are_registered_like_registered_ones(world, start, commit):
    rows = [
        demand_row(CODES["ent_jimei"], 需求类别="计量、检验检测", 来源="电话", 收集日期="2026-01-05"),
        demand_row(CODES["ent_jimei"], 需求类别="标准化", 来源="现场", 需求描述="第二个", 地址="另一地址"),
    ]
    job = start(world.people.officer_jimei, "demands", workbook(rows, headers=DEMAND_HEADERS, title="服务需求"))
    job = commit(job, "all_or_nothing")
    assert (job.status, job.created_count) == (ImportStatus.DONE, 2)
    first, second = Demand.objects.order_by("pk")
    year = timezone.localdate().year
    assert [first.number, second.number] == [f"QI-{year}-000001", f"QI-{year}-000002"]
    assert first.categories == ["metrology", "inspection_testing"]
    assert (first.source, first.collected_on, first.registered_by) == (
        "phone",
        dt.date(2026, 1, 5),
        world.people.officer_jimei,
    )
    assert (second.address, first.address) == ("另一地址", world.ent_jimei.address)
    assert first.status_changes.get().to_status == "registered"
    # The report names each demand's number.
    assert dict(job.rows.values_list("row_number", "object_id")) == {2: first.number, 3: second.number}
    # Deadlines as for a demand registered through the form.
    by_form = demand_workflow.register_demand(
        enterprise=world.ent_jimei,
        categories=["metrology"],
        source="phone",
        contact_name="王",
        contact_phone="13800000000",
        description="表单登记",
        collected_on=dt.date(2026, 1, 5),
        by=world.people.officer_jimei,
    )
    assert list(first.deadlines.values_list("stage", "started_on", "due_on")) == list(
        by_form.deadlines.values_list("stage", "started_on", "due_on")
    )
    created = AuditLog.objects.filter(target_type__model="demand", event_type=AuditEvent.CREATED)
    assert created.count() == 3


def test_demand_all_or_nothing_rolls_back_numbers_too(world, start, commit, monkeypatch):
    rows = [demand_row(CODES["ent_jimei"], 需求描述=f"需求{i}") for i in range(3)]
    job = start(world.people.officer_jimei, "demands", workbook(rows, headers=DEMAND_HEADERS, title="服务需求"))
    real = demand_workflow.register_demand
    calls = []

    def refuse_third(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise demand_workflow.WorkflowError("规则拒绝")
        return real(**kwargs)

    monkeypatch.setattr(demand_workflow, "register_demand", refuse_third)
    job = commit(job, "all_or_nothing")
    assert job.status == ImportStatus.VALIDATED
    assert Demand.objects.count() == 0
    assert job.rows.get(row_number=4).errors == ["规则拒绝"]
    monkeypatch.setattr(demand_workflow, "register_demand", real)
    # The refusal came from the rules, not the file: re-checked, every row is valid now,
    # and the numbers rolled back with the first attempt leave no gap.
    job = commit(job, "valid_only")
    assert job.created_count == 3
    year = timezone.localdate().year
    assert sorted(Demand.objects.values_list("number", flat=True)) == [f"QI-{year}-00000{i}" for i in (1, 2, 3)]


def _register(world, n):
    return save_enterprise(
        Enterprise(
            name="抢先登记",
            credit_code=credit_code(n),
            district=world.jimei,
            address="地址",
            contact_name="王",
            contact_phone="13800000000",
        ),
        by=world.people.admin,
    )


def _spoil_workbook(job):
    """Overwrite the uploaded workbook: an import that still works did not read it again."""
    with open(job.file.path, "wb") as handle:
        handle.write(b"not a workbook any more")


def test_the_import_takes_the_dry_runs_checked_rows_and_rechecks_the_database(
    world, start, commit, django_capture_on_commit_callbacks
):
    job = start(world.people.officer_jimei, "enterprises", workbook([enterprise_row(i) for i in range(1, 6)]))
    assert job.checked_rows and default_storage.exists(job.checked_rows.name)
    _spoil_workbook(job)
    _register(world, 3)  # taken between the dry run and the import
    enterprises, records = Enterprise.objects.count(), AuditLog.objects.count()

    job = commit(job, "all_or_nothing")
    assert job.status == ImportStatus.VALIDATED
    assert job.message == "重新检查时发现 1 行错误（数据库在检查后有变化），未导入任何数据。请查看报告。"
    assert job.rows.get(row_number=4).errors == ["【统一社会信用代码】该代码已登记，服务对象库中已有该企业。"]
    assert Enterprise.objects.count() == enterprises
    assert AuditLog.objects.count() == records + 1  # only the import's own record
    assert audit_chain.verify(AuditLog).ok

    with django_capture_on_commit_callbacks(execute=True):
        job = commit(job, "valid_only")
    assert (job.status, job.created_count, job.error_rows) == (ImportStatus.DONE, 4, 1)
    assert Enterprise.objects.count() == enterprises + 4
    imported = Enterprise.objects.get(credit_code=credit_code(5))
    assert (imported.name, imported.district, imported.contact_email, imported.created_by) == (
        "厦门导入测试企业5有限公司",
        world.jimei,
        "e5@example.cn",
        world.people.officer_jimei,
    )
    record = AuditLog.objects.get(target_type__model="enterprise", target_id=str(imported.pk))
    assert record.changes["credit_code"] == credit_code(5) and record.changes["district"] == world.jimei.pk
    assert dict(job.rows.values_list("row_number", "status")) == {
        2: RowStatus.IMPORTED,
        3: RowStatus.IMPORTED,
        4: RowStatus.ERROR,
        5: RowStatus.IMPORTED,
        6: RowStatus.IMPORTED,
    }
    assert audit_chain.verify(AuditLog).ok
    # The checked rows are spent: the file is gone.
    assert not job.checked_rows and not list(Path(job.file.path).parent.glob("*.checked.*"))


def test_a_code_registered_while_the_rows_are_written_refuses_all_or_nothing(world, start, commit, monkeypatch):
    """The race the re-check cannot see: the unique constraint catches it, nothing stays."""
    job = start(world.people.officer_jimei, "enterprises", workbook([enterprise_row(i) for i in range(1, 4)]))
    recheck = rules.Checker.recheck_chunk

    def recheck_then_someone_registers(self, chunk):
        rows = recheck(self, chunk)
        _register(world, 2)
        return rows

    monkeypatch.setattr(rules.Checker, "recheck_chunk", recheck_then_someone_registers)
    enterprises = Enterprise.objects.count()
    job = commit(job, "all_or_nothing")
    assert job.status == ImportStatus.VALIDATED and "未导入任何数据" in job.message
    assert job.rows.get(row_number=3).errors == ["【统一社会信用代码】该代码已登记，服务对象库中已有该企业。"]
    assert Enterprise.objects.count() == enterprises  # the other registration rolled back too
    assert audit_chain.verify(AuditLog).ok


def test_a_district_taken_from_the_importer_since_the_check_is_refused(world, start, commit):
    job = start(world.people.officer_jimei, "enterprises", workbook([enterprise_row(1)]))
    world.people.officer_jimei.role_assignments.update(district=world.siming)
    job = commit(job, "valid_only")
    assert job.rows.get().errors == ["【所在区】您只能导入本人所辖区（思明区）的服务对象。"]
    assert job.created_count == 0 and not Enterprise.objects.filter(credit_code=credit_code(1)).exists()


def test_a_job_checked_before_rows_were_kept_is_checked_again_from_its_workbook(world, start, commit):
    job = start(world.people.officer_jimei, "enterprises", _mixed())
    default_storage.delete(job.checked_rows.name)
    ImportJob.objects.filter(pk=job.pk).update(checked_rows="")
    job = commit(ImportJob.objects.get(pk=job.pk), "valid_only")
    assert (job.status, job.created_count, job.error_rows) == (ImportStatus.DONE, 2, 1)
    assert audit_chain.verify(AuditLog).ok
