"""Public pages: what anonymous visitors see, and what they never see."""

import datetime

from django.core.files.base import ContentFile
from django.test import Client

from qiservice.core.models import AuditEvent, AuditLog
from qiservice.institutions.models import ServiceItem
from qiservice.public import workflow
from qiservice.public.models import Policy

from .helpers import published_case


def make_policy(admin, *, title="关于推进质量基础设施一站式服务的实施意见", published=True, **kwargs):
    data = {
        "title": title,
        "issuing_body": "厦门市市场监督管理局",
        "document_number": "厦市监〔2026〕12号",
        "issued_on": datetime.date(2026, 5, 8),
        "qi_field": "metrology",
        "summary": "建设质量基础设施一站式服务站。",
        "body": "一、总体要求……",
        "is_published": published,
    }
    data.update(kwargs)
    return workflow.save_policy(Policy(**data), by=admin)


def test_anonymous_home_lists_the_five_fields_and_links_to_login(world):
    response = Client().get("/", follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/public/"
    for field in ("计量", "标准化", "检验检测", "认证认可", "质量管理"):
        assert f'<h3 class="h6 card-title">{field}</h3>' in html
    assert 'href="/login/"' in html
    assert 'id="sidebar"' not in html  # the light public layout has no sidebar


def test_logged_in_users_still_get_their_role_home(world, login):
    html = login(world.people.officer_jimei).get("/").content.decode()
    assert 'id="sidebar"' in html
    assert "资源概况" in html


def test_institution_pages_show_the_catalogue_but_no_internal_fields(world):
    ServiceItem.objects.create(institution=world.metrology, qi_field="metrology", name="停用项目", is_active=False)
    world.testing.is_active = False
    world.testing.save()
    client = Client()
    listing = client.get("/public/institutions/").content.decode()
    assert "厦门市计量检定测试院" in listing
    assert "厦门市产品质量监督检验院" not in listing  # out of the pool
    detail = client.get(f"/public/institutions/{world.metrology.pk}/").content.decode()
    assert "计量器具检定校准" in detail
    assert "停用项目" not in detail
    assert "联系人" not in detail  # the contact person's name is not public
    assert client.get(f"/public/institutions/{world.testing.pk}/").status_code == 404


def test_institutions_filter_by_field(world):
    html = Client().get("/public/institutions/?qi_field=inspection_testing").content.decode()
    assert "厦门市产品质量监督检验院" in html
    assert "厦门市计量检定测试院" not in html


def test_published_cases_are_shown_masked_and_unpublished_ones_not_at_all(world):
    case = published_case(world)
    hidden = published_case(world, published=False, title="未公开的案例标题")
    client = Client()
    listing = client.get("/public/cases/").content.decode()
    assert case.title in listing
    assert "某精密机械企业" in listing
    assert "未公开的案例标题" not in listing
    detail = client.get(f"/public/cases/{case.pk}/").content.decode()
    assert "测量结果可溯源" in detail
    for secret in (world.ent_jimei.name, world.ent_jimei.credit_code, "集美精密机械"):
        assert secret not in detail, secret
        assert secret not in listing
    assert client.get(f"/public/cases/{hidden.pk}/").status_code == 404
    home = client.get("/public/").content.decode()
    assert case.title in home and "未公开的案例标题" not in home


def test_policy_library_lists_only_published_with_search_and_field_filter(world):
    admin = world.people.admin
    make_policy(admin)
    make_policy(admin, title="标准化资助办法", qi_field="standardization", document_number="厦市监〔2026〕3号")
    draft = make_policy(admin, title="尚在起草的政策", published=False)
    client = Client()
    html = client.get("/public/policies/").content.decode()
    assert "关于推进质量基础设施一站式服务的实施意见" in html and "标准化资助办法" in html
    assert "尚在起草的政策" not in html
    by_field = client.get("/public/policies/?qi_field=standardization").content.decode()
    assert "标准化资助办法" in by_field and "一站式服务的实施意见" not in by_field
    by_number = client.get("/public/policies/?q=〔2026〕3号").content.decode()
    assert "标准化资助办法" in by_number and "一站式服务的实施意见" not in by_number
    by_body = client.get("/public/policies/?q=总体要求").content.decode()
    assert "一站式服务的实施意见" in by_body
    assert client.get(f"/public/policies/{draft.pk}/").status_code == 404
    assert client.get(f"/public/policies/{draft.pk}/file/").status_code == 404


def test_policy_pdf_is_served_through_the_view(world, login):
    policy = make_policy(world.people.admin)
    policy.file.save("x.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    response = Client().get(f"/public/policies/{policy.pk}/file/")
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert f"/public/policies/{policy.pk}/file/" in Client().get(f"/public/policies/{policy.pk}/").content.decode()


def test_admin_creates_a_policy_with_a_pdf_and_it_is_audited(world, login):
    client = login(world.people.admin)
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "title": "计量发展规划",
        "issuing_body": "厦门市人民政府",
        "document_number": "",
        "issued_on": "2026-01-15",
        "qi_field": "metrology",
        "summary": "",
        "body": "",
        "is_published": "on",
        "file": SimpleUploadedFile("规划.pdf", b"%PDF-1.7 body", content_type="application/pdf"),
    }
    response = client.post("/public/manage/policies/new/", data)
    policy = Policy.objects.get(title="计量发展规划")
    assert response.status_code == 302
    assert policy.file_name == "规划.pdf"
    assert AuditLog.objects.filter(event_type=AuditEvent.CREATED, target_id=str(policy.pk)).exists()
    assert "计量发展规划" in Client().get("/public/policies/").content.decode()


def test_policy_form_refuses_a_non_pdf_and_an_empty_body(world, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(world.people.admin)
    base = {"title": "T", "issuing_body": "B", "issued_on": "2026-01-15", "qi_field": "metrology"}
    bad_file = client.post(
        "/public/manage/policies/new/", {**base, "file": SimpleUploadedFile("a.pdf", b"MZ not a pdf")}
    ).content.decode()
    assert "请上传 PDF 文件。" in bad_file
    empty = client.post("/public/manage/policies/new/", base).content.decode()
    assert "请填写正文或上传 PDF 文件。" in empty
    assert Policy.objects.count() == 0


def test_only_the_admin_edits_policies(world, login):
    policy = make_policy(world.people.admin)
    response = login(world.people.officer_jimei).post(
        f"/public/manage/policies/{policy.pk}/edit/", {"title": "改了", "issuing_body": "x"}
    )
    assert response.status_code == 403
    policy.refresh_from_db()
    assert policy.title != "改了"
