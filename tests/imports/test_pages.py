"""The import pages, the report download, the progress partial, the queue path and the API."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from qiservice.enterprises.models import Enterprise
from qiservice.imports.choices import ImportStatus
from qiservice.imports.models import ImportJob

from .helpers import ENTERPRISE_HEADERS, credit_code, enterprise_row, workbook


def _upload(client, content, kind="enterprises", name="企业名单.xlsx"):
    return client.post(f"/imports/{kind}/upload/", {"file": SimpleUploadedFile(name, content)})


def _mixed(n=3):
    rows = [enterprise_row(i) for i in range(1, n + 1)]
    rows[1] = enterprise_row(2, 联系电话="123", 所在区="思明区")
    return workbook(rows)


def test_start_page_offers_templates_and_upload_to_staff_and_reading_to_the_auditor(world, login):
    page = login(world.people.officer_jimei).get("/imports/").content.decode()
    assert 'action="/imports/enterprises/upload/"' in page and 'action="/imports/demands/upload/"' in page
    assert "/imports/templates/demands.xlsx" in page
    page = login(world.people.auditor).get("/imports/").content.decode()
    assert "upload/" not in page and "您为只读用户" in page


def test_upload_shows_the_row_by_row_report_and_the_choices(world, login):
    client = login(world.people.officer_jimei)
    response = _upload(client, _mixed())
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/jobs/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "检查完成，待导入" in page
    assert "【联系电话】请输入有效的联系电话" in page and "【所在区】您只能导入本人所辖区（集美区）的服务对象。" in page
    assert 'data-testid="error-rows">1<' in page and 'data-testid="valid-rows">2<' in page
    assert "导入 2 行有效数据（跳过错误行）" in page
    assert 'value="all_or_nothing"' not in page  # not offered: a row has errors
    errors_only = client.get(response["Location"] + "?show=errors").content.decode()
    assert errors_only.count("<td>3</td>") == 1 and "<td>2</td>" not in errors_only


def test_report_pages_through_many_rows(world, login):
    client = login(world.people.officer_jimei)
    _upload(client, workbook([enterprise_row(i) for i in range(1, 61)]))
    job = ImportJob.objects.get()
    first = client.get(f"/imports/jobs/{job.pk}/").content.decode()
    assert "1 / 2" in first and "<td>51</td>" in first and "<td>52</td>" not in first
    second = client.get(f"/imports/jobs/{job.pk}/?page=2").content.decode()
    assert "<td>52</td>" in second and "<td>61</td>" in second
    assert 'value="all_or_nothing"' in first


def test_report_download_has_the_rows_and_a_result_column(world, login):
    client = login(world.people.officer_jimei)
    _upload(client, _mixed())
    job = ImportJob.objects.get()
    response = client.get(f"/imports/jobs/{job.pk}/report.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["行号", *ENTERPRISE_HEADERS, "结果"]
    assert [r[0] for r in rows[1:]] == [2, 3, 4]
    assert rows[1][2] == credit_code(1) and rows[1][-1] == "通过"
    assert rows[2][-1].startswith("【所在区】您只能导入本人所辖区") and "【联系电话】" in rows[2][-1]
    from qiservice.core.models import AuditLog

    assert AuditLog.objects.filter(event_type="downloaded", target_id=str(job.pk)).count() == 1


def test_commit_from_the_page_imports_and_reports(world, login):
    client = login(world.people.officer_jimei)
    job_url = _upload(client, _mixed())["Location"]
    job = ImportJob.objects.get()
    response = client.post(f"/imports/jobs/{job.pk}/commit/", {"mode": "valid_only"})
    assert response["Location"] == job_url
    page = client.get(job_url).content.decode()
    assert "导入完成" in page and 'data-testid="created-count">2<' in page
    assert Enterprise.objects.filter(credit_code__in=[credit_code(1), credit_code(3)]).count() == 2
    # All-or-nothing asked for anyway (a hand-made request) is refused with a message.
    client.post(f"/imports/jobs/{job.pk}/commit/", {"mode": "all_or_nothing"}, follow=True)
    assert Enterprise.objects.count() == 5


def test_big_files_run_on_the_queue_and_the_page_polls_progress(world, login, settings):
    settings.IMPORT_INLINE_KB = 0  # every file goes through the huey tasks (immediate in tests)
    client = login(world.people.officer_jimei)
    _upload(client, workbook([enterprise_row(i) for i in range(1, 4)]))
    job = ImportJob.objects.get()
    assert (job.status, job.rows_total, job.rows_done) == (ImportStatus.VALIDATED, 3, 3)
    client.post(f"/imports/jobs/{job.pk}/commit/", {"mode": "all_or_nothing"})
    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportStatus.DONE, 3)
    # While a job runs, its progress partial polls itself; when it ends, the page reloads.
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING, rows_done=1)
    partial = client.get(f"/imports/jobs/{job.pk}/progress/", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' in partial.content.decode() and "已处理 1 / 3 行" in partial.content.decode()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE)
    done = client.get(f"/imports/jobs/{job.pk}/progress/?was=running", headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true" and "hx-trigger" not in done.content.decode()


def test_refused_upload_shows_the_message_on_the_start_page(world, login):
    page = _upload(login(world.people.officer_jimei), b"a,b\n").content.decode()
    assert 'data-testid="upload-error">文件不是 Excel 工作簿（.xlsx）' in page


def test_jobs_are_private_to_their_owner_but_readable_by_admin_and_auditor(world, login):
    _upload(login(world.people.officer_jimei), _mixed())
    job = ImportJob.objects.get()
    assert login(world.people.officer_siming).get(f"/imports/jobs/{job.pk}/").status_code == 404
    for reader in (world.people.admin, world.people.auditor):
        page = login(reader).get(f"/imports/jobs/{job.pk}/").content.decode()
        assert "【联系电话】" in page and "选择导入方式" not in page
    assert (
        login(world.people.auditor).post(f"/imports/jobs/{job.pk}/commit/", {"mode": "valid_only"}).status_code == 403
    )
    assert Enterprise.objects.count() == 3


def test_api_upload_report_and_commit(world, login):
    client = login(world.people.officer_jimei)
    response = client.post("/api/imports/enterprises", {"file": SimpleUploadedFile("a.xlsx", _mixed())})
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["rows_total"], body["valid_rows"], body["error_rows"]) == ("validated", 3, 2, 1)
    assert body["report"]["rows"][1]["row"] == 3 and body["report"]["rows"][1]["status"] == "error"
    assert body["report"]["rows"][1]["errors"][0].startswith("【所在区】")
    only = client.get(f"/api/imports/jobs/{body['id']}?only_errors=true").json()
    assert [r["row"] for r in only["report"]["rows"]] == [3]
    refused = client.post(f"/api/imports/jobs/{body['id']}/commit", {"mode": "all_or_nothing"}, "application/json")
    assert refused.status_code == 422 and "不能选择" in refused.json()["detail"][0]["msg"]
    done = client.post(f"/api/imports/jobs/{body['id']}/commit", {"mode": "valid_only"}, "application/json")
    assert done.status_code == 202
    assert (done.json()["status"], done.json()["created_count"]) == ("done", 2)
    assert Enterprise.objects.count() == 5
    assert login(world.people.officer_siming).get(f"/api/imports/jobs/{body['id']}").status_code == 404
