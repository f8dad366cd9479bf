"""Large exports: the background job, its progress page, the owner-only download, expiry,
and the API (file, 202 job, status, file)."""

import datetime
import os

import pytest
from django.utils import timezone

from qiservice.core.models import AuditEvent, AuditLog
from qiservice.exports import workflow
from qiservice.exports.choices import ExportStatus
from qiservice.exports.models import ExportJob

from .conftest import open_xlsx, rows_of


@pytest.fixture
def small_threshold(settings):
    settings.EXPORT_BACKGROUND_ROWS = 4


def test_large_export_runs_in_the_background_and_only_its_owner_downloads_it(
    world, login, demands, small_threshold, django_capture_on_commit_callbacks
):
    officer = login(world.people.officer_jimei)
    # GET does not queue anything: it offers the background export.
    page = officer.get("/exports/ledger.xlsx?entry_from=2026-11-01")
    assert page.status_code == 200
    assert "共 6 行" in page.content.decode() and ExportJob.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post("/exports/ledger.xlsx?entry_from=2026-11-01")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exports/jobs/{job.pk}/"
    assert job.owner == world.people.officer_jimei
    assert job.export_name == "ledger" and job.params == {"entry_from": ["2026-11-01"]}
    # The queue (immediate in tests) has written the file: progress reached the total.
    assert job.status == ExportStatus.DONE
    assert job.rows_done == job.rows_total == 6
    assert job.expires_at - job.finished_at == datetime.timedelta(days=7)
    assert job.file.name.startswith(f"exports/{world.people.officer_jimei.pk}/")

    detail = officer.get(job.get_absolute_url()).content.decode()
    assert "6 / 6 行（100%）" in detail and f"/exports/jobs/{job.pk}/file/" in detail
    # The htmx poll stops once the job is finished.
    partial = officer.get(job.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
    assert 'id="job-progress"' in partial and "every 2s" not in partial and "<html" not in partial

    download = officer.get(f"/exports/jobs/{job.pk}/file/")
    header, rows = rows_of(open_xlsx(download).active)
    assert header[0] == "需求编号" and len(rows) == 6
    assert {r[0] for r in rows} == {demands["jimei_a"].number, demands["jimei_b"].number}

    # Nobody else reaches the job or its file, not even the agency admin.
    for other in (world.people.admin, world.people.officer_siming):
        assert login(other).get(job.get_absolute_url()).status_code == 404
        assert login(other).get(f"/exports/jobs/{job.pk}/file/").status_code == 404
        assert f"/exports/jobs/{job.pk}/" not in login(other).get("/exports/jobs/").content.decode()

    exported = AuditLog.objects.get(event_type=AuditEvent.EXPORTED, extra__job=job.pk)
    assert exported.actor == world.people.officer_jimei and exported.extra["rows"] == 6
    assert AuditLog.objects.filter(event_type=AuditEvent.DOWNLOADED, target_id=str(job.pk)).count() == 1

    mine = officer.get("/exports/jobs/").content.decode()
    assert "工作台账" in mine and "已完成" in mine


def test_progress_page_polls_while_running(world, login):
    job = ExportJob.objects.create(
        owner=world.people.admin, export_name="demands", status=ExportStatus.RUNNING, rows_total=200, rows_done=50
    )
    page = login(world.people.admin).get(job.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert '<progress class="export-progress w-100" max="100" value="25"' in page
    assert "50 / 200 行（25%）" in page


def test_a_job_whose_rows_are_out_of_reach_fails_with_a_chinese_message(world, demands):
    job = ExportJob.objects.create(
        owner=world.people.officer_jimei, export_name="ledger_demand", params={"demand": [str(demands["siming"].pk)]}
    )
    workflow.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert job.error == "导出失败：您已无权查看这些数据。"
    assert not job.file
    assert not AuditLog.objects.filter(event_type=AuditEvent.EXPORTED, extra__job=job.pk).exists()


def test_expired_files_are_deleted(world, login, demands, small_threshold, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        login(world.people.admin).post("/exports/ledger.xlsx")
    job = ExportJob.objects.get()
    path = job.file.path
    assert os.path.exists(path)
    assert workflow.purge_expired(now=timezone.now() + datetime.timedelta(days=6)) == 0
    assert os.path.exists(path)
    assert workflow.purge_expired(now=timezone.now() + datetime.timedelta(days=8)) == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED and not job.file and not os.path.exists(path)
    assert login(world.people.admin).get(f"/exports/jobs/{job.pk}/file/").status_code == 404


def test_api_small_export_is_the_file(world, login, demands):
    response = login(world.people.officer_jimei).get("/api/exports/demands?sort=number")
    assert response.status_code == 200
    _header, rows = rows_of(open_xlsx(response).active)
    assert [r[0] for r in rows] == sorted([demands["jimei_a"].number, demands["jimei_b"].number])


def test_api_large_export_is_a_job(world, login, demands, small_threshold, django_capture_on_commit_callbacks):
    client = login(world.people.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/api/exports/ledger")
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert response.json()["rows_total"] == 9
    status = client.get(f"/api/exports/jobs/{job_id}").json()
    assert status["status"] == "done" and status["rows_done"] == 9
    assert status["file_url"] == f"/api/exports/jobs/{job_id}/file"
    _header, rows = rows_of(open_xlsx(client.get(status["file_url"])).active)
    assert len(rows) == 9
    assert login(world.people.auditor).get(f"/api/exports/jobs/{job_id}").status_code == 404
    assert login(world.people.auditor).get(f"/api/exports/jobs/{job_id}/file").status_code == 404


def test_api_invalid_filter_is_422_in_chinese(world, login, demands):
    client = login(world.people.admin)
    before = AuditLog.objects.count()
    response = client.get("/api/exports/ledger?entry_to=yesterday")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "entry_to"]
    assert "日期" in response.json()["detail"][0]["msg"]
    assert AuditLog.objects.count() == before
