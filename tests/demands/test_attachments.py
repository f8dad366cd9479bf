"""Attachments on the demand page: checked on their content, stored under a random name,
downloaded only through a permission check, every download audited."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qiservice.core.models import AuditLog
from qiservice.demands import workflow
from qiservice.demands.models import Attachment

from ._ui import EXE, PDF, PNG, act, flashed, page, post
from .conftest import agreement_data, preparation_data


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root):
    return [p for p in Path(root).rglob("*") if p.is_file()]


def upload(client, demand, name, content, **fields):
    data = {"file": SimpleUploadedFile(name, content), "stage": "service", "description": "", **fields}
    return post(client, demand, "attachments/upload/", data)


def accepted_by_institution(world, register):
    people = world.people
    sp = people.specialist
    demand = register()
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    workflow.confirm(demand, by=sp, mode="assisted", reason="需要协助")
    workflow.escalate(demand, by=sp, reason="需要协助", needs="校准")
    workflow.dispatch(demand, by=people.officer_jimei, institutions=[world.metrology])
    workflow.accept_dispatch(demand, by=people.institution_staff)
    return demand


def test_a_pdf_is_downloaded_by_the_assigned_people_and_every_download_is_audited(world, login, register):
    people = world.people
    demand = accepted_by_institution(world, register)
    sp = login(people.specialist)
    response = upload(sp, demand, "校准方案.pdf", PDF, description="首轮方案")
    assert "附件“校准方案.pdf”已上传。" in flashed(response)
    attachment = Attachment.objects.get(demand=demand)
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF)
    assert "校准方案.pdf" in page(sp, demand) and "首轮方案" in page(sp, demand)

    staff_url = f"/demands/{demand.pk}/attachments/{attachment.pk}/"
    portal_url = f"/portal/demands/{demand.pk}/attachments/{attachment.pk}/"
    # The enterprise's user downloads through the portal (sent there from the staff URL).
    assert login(people.enterprise_user).get(staff_url)["Location"] == portal_url
    for user in (people.specialist, people.institution_staff, people.officer_jimei, people.enterprise_user):
        response = login(user).get(portal_url if user == people.enterprise_user else staff_url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Disposition"].startswith("attachment;")
        assert "filename*=utf-8''%E6%A0%A1%E5%87%86%E6%96%B9%E6%A1%88.pdf" in response["Content-Disposition"]
    downloads = AuditLog.objects.filter(event_type="downloaded", target_id=str(attachment.pk))
    assert {d.actor for d in downloads} == {
        people.specialist,
        people.institution_staff,
        people.officer_jimei,
        people.enterprise_user,
    }
    assert login(people.specialist_siming).get(f"/demands/{demand.pk}/attachments/{attachment.pk}/").status_code == 404


def test_a_trade_secret_is_served_to_the_admin_and_the_assigned_people_only(world, login, register):
    people = world.people
    demand = accepted_by_institution(world, register)
    upload(login(people.specialist), demand, "工艺参数.pdf", PDF, is_trade_secret="on")
    secret = Attachment.objects.get(demand=demand)
    assert secret.is_trade_secret
    url = f"/demands/{demand.pk}/attachments/{secret.pk}/"
    for user in (people.officer_jimei, people.auditor):
        client = login(user)
        assert client.get(url).status_code == 404
        assert "工艺参数.pdf" not in page(client, demand), "not even its name"
    # The enterprise's user is sent to the portal's download, which refuses it too.
    enterprise = login(people.enterprise_user)
    assert enterprise.get(url, follow=True).status_code == 404
    assert "工艺参数.pdf" not in enterprise.get(f"/portal/demands/{demand.pk}/").content.decode()
    for user in (people.admin, people.specialist, people.institution_staff):
        response = login(user).get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    refused = (people.officer_jimei, people.auditor, people.enterprise_user)
    assert not AuditLog.objects.filter(event_type="downloaded", actor__in=refused).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("报告.pdf", PNG, "文件内容与扩展名 .pdf 不符"),
        ("setup.pdf", EXE, "文件内容与扩展名 .pdf 不符"),
        ("setup.exe", EXE, "只能上传 PDF、图片（JPG/PNG）、Word、Excel 或文本文件。"),
    ],
)
def test_a_file_whose_content_does_not_match_is_refused_and_nothing_is_stored(
    world, login, register, media, name, content, message
):
    demand = register()
    response = upload(login(world.people.specialist), demand, name, content)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_a_too_large_file_is_refused_and_nothing_is_stored(world, login, register, media, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    demand = register()
    response = upload(login(world.people.specialist), demand, "大文件.pdf", PDF + b"0" * (1024 * 1024))
    assert "文件不能超过 1 MB。" in response.content.decode()
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_a_path_traversal_name_is_stored_under_a_random_name(world, login, register, media):
    demand = register()
    upload(login(world.people.specialist), demand, "../../x.pdf", PDF)
    attachment = Attachment.objects.get()
    assert attachment.original_name == "x.pdf"
    assert ".." not in attachment.file.name and Path(attachment.file.name).stem != "x"
    (stored,) = stored_files(media)
    assert stored.resolve().is_relative_to(Path(media).resolve())
    assert stored.read_bytes() == PDF


def test_who_may_upload(world, login, register):
    demand = register()
    institution = login(world.people.institution_staff)
    assert institution.get(f"/demands/{demand.pk}/attachments/upload/").status_code == 404
    # The enterprise's user is sent to the portal, with nothing stored.
    response = upload(login(world.people.enterprise_user), demand, "a.pdf", PDF)
    assert response.status_code == 302 and response["Location"] == f"/portal/demands/{demand.pk}/"
    # And the rules refuse them a file on a demand they did not register.
    with pytest.raises(workflow.WorkflowError, match="您无权为该需求上传附件。"):
        workflow.add_attachment(
            demand, SimpleUploadedFile("a.pdf", PDF), by=world.people.enterprise_user, stage="other"
        )
    assert login(world.people.auditor).post(f"/demands/{demand.pk}/attachments/upload/").status_code == 403
    assert not Attachment.objects.exists()


def test_an_agreement_scan_marked_secret_is_kept_from_the_district_officer(world, login, register):
    people = world.people
    sp = people.specialist
    demand = register()
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    workflow.confirm(demand, by=sp, mode="direct", reason="直接")
    scan = SimpleUploadedFile("协议扫描.pdf", PDF)
    response = act(
        login(sp), demand, "sign_agreement", {**agreement_data(), "scan": scan, "scan_is_trade_secret": "on"}
    )
    assert response.status_code == 302
    agreement = demand.agreements.get()
    assert agreement.scan.is_trade_secret and agreement.scan.stage == "agreement"
    assert "协议扫描.pdf" in page(login(sp), demand)
    assert "协议扫描.pdf" not in page(login(people.officer_jimei), demand)


def test_a_refused_agreement_keeps_no_scan(world, login, register, media):
    sp = world.people.specialist
    demand = register()
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    workflow.confirm(demand, by=sp, mode="direct", reason="直接")
    client = login(sp)
    stale = demand.version
    workflow.add_note(demand, by=world.people.officer_jimei, kind="instruction", text="先等等")
    scan = SimpleUploadedFile("协议扫描.pdf", PDF)
    response = client.post(
        f"/demands/{demand.pk}/act/sign_agreement/", {**agreement_data(), "scan": scan, "version": stale}
    )
    assert "该需求已被他人更新" in response.content.decode()
    assert not Attachment.objects.exists() and stored_files(media) == []
    # A scan whose type is wrong refuses the agreement with the reason next to the field.
    scan = SimpleUploadedFile("协议扫描.pdf", PNG)
    response = act(client, demand, "sign_agreement", {**agreement_data(), "scan": scan})
    assert "文件内容与扩展名 .pdf 不符" in response.content.decode()
    assert not demand.agreements.exists() and stored_files(media) == []


def test_a_scan_stored_before_the_rules_refuse_the_agreement_is_removed(world, login, register, media, monkeypatch):
    sp = world.people.specialist
    demand = register()
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    workflow.confirm(demand, by=sp, mode="direct", reason="直接")

    def refuse(*args, **kwargs):
        assert Attachment.objects.count() == 1 and len(stored_files(media)) == 1, "the scan was stored first"
        raise workflow.WorkflowError("规则拒绝了该协议")

    monkeypatch.setattr(workflow, "sign_agreement", refuse)
    scan = SimpleUploadedFile("协议扫描.pdf", PDF)
    response = act(login(sp), demand, "sign_agreement", {**agreement_data(), "scan": scan})
    assert response.status_code == 200 and "规则拒绝了该协议" in response.content.decode()
    assert not Attachment.objects.exists() and stored_files(media) == []
