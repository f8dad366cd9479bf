"""8.1.1 — an enterprise's user submits a demand online: Appendix A from its side, source
web, numbered, with deadlines and audit, routed to assignment; bad input changes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qiservice.core.models import AuditEvent, AuditLog
from qiservice.deadlines.models import Deadline
from qiservice.demands.choices import DemandSource, DemandStatus
from qiservice.demands.models import Attachment, Demand, DemandSequence
from qiservice.notifications.models import Notification
from qiservice.specialists.models import MatchingWeights
from tests.demands._ui import EXE, PDF

from .helpers import FORM

URL = "/portal/demands/new/"


def form_data(**overrides):
    data = dict(FORM)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def counts():
    return (Demand.objects.count(), Attachment.objects.count(), DemandSequence.objects.filter(last__gt=0).count())


def test_the_form_is_prefilled_from_the_enterprise_and_the_user(world, login):
    user = world.people.enterprise_user
    user.name, user.phone = "林小姐", "13700001234"
    user.save()
    html = login(user).get(URL).content.decode()
    assert 'value="林小姐"' in html and 'value="13700001234"' in html
    assert 'value="ent_user@example.cn"' in html
    assert f'value="{world.ent_jimei.address}"' in html
    assert world.ent_jimei.name in html
    assert 'type="checkbox" name="categories" value="metrology"' in html  # tick boxes
    assert html.count('name="categories"') == 6


def test_submitting_creates_a_web_demand_with_number_categories_deadlines_and_audit(world, login):
    client = login(world.people.enterprise_user)
    files = [SimpleUploadedFile("设备清单.pdf", PDF), SimpleUploadedFile("工艺参数.pdf", PDF)]
    response = client.post(URL, form_data(files=files, files_are_secret="on"))
    demand = Demand.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/portal/demands/{demand.pk}/submitted/"
    assert demand.source == DemandSource.WEB
    assert demand.number.startswith("QI-") and demand.status == DemandStatus.REGISTERED
    assert demand.categories == ["metrology", "inspection_testing"]
    assert demand.enterprise == world.ent_jimei and demand.district == world.jimei
    assert demand.registered_by == world.people.enterprise_user
    assert (demand.contact_name, demand.contact_phone, demand.contact_email) == (
        "林经理",
        "13912345678",
        "lin@jmjx.example.cn",
    )
    assert demand.specialist is None  # the agency assigns it, as any demand registered by others
    assert Deadline.objects.filter(demand=demand, stage="registration").exists()
    created = AuditLog.objects.get(event_type=AuditEvent.CREATED, target_id=str(demand.pk), target_repr=demand.number)
    assert created.actor == world.people.enterprise_user and created.changes["source"] == "web"
    attachments = list(demand.attachments.order_by("pk"))
    assert [a.original_name for a in attachments] == ["设备清单.pdf", "工艺参数.pdf"]
    assert all(a.is_trade_secret and a.stage == "registration" for a in attachments)
    # The district's agency hears of it.
    assert Notification.objects.filter(user=world.people.officer_jimei, kind="new_demand", demand=demand).exists()
    assert not Notification.objects.filter(user=world.people.officer_siming, demand=demand).exists()

    ack = client.get(response["Location"]).content.decode()
    assert demand.number in ack and "需求已提交" in ack
    assert "管理机构将根据需求类别和所在区，为您安排合适的服务专员。" in ack
    assert "设备清单.pdf" in ack


def test_with_automatic_assignment_the_demand_goes_to_the_matching_specialist(world, login):
    weights = MatchingWeights.current()
    weights.auto_assign = True
    weights.save()
    response = login(world.people.enterprise_user).post(URL, form_data(categories=["metrology"]))
    demand = Demand.objects.get()
    assert demand.specialist == world.sp_jimei
    assert Notification.objects.filter(user=world.people.specialist, kind="assignment", demand=demand).exists()
    ack = login(world.people.enterprise_user).get(response["Location"]).content.decode()
    assert "平台已为您匹配服务专员 王建华" in ack


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"categories": None}, "请至少选择一个需求类别。"),
        ({"description": "   "}, "请填写需求描述。"),
        ({"contact_phone": "12345"}, "请输入有效的联系电话"),
        ({"contact_email": "not-an-email"}, "请填写有效的电子邮箱。"),
        ({"categories": ["astrology"]}, "请选择有效的需求类别。"),
        ({"files": [SimpleUploadedFile("报价.pdf", EXE)]}, "文件内容与扩展名 .pdf 不符"),
        ({"files": [SimpleUploadedFile("setup.exe", EXE)]}, "只能上传 PDF"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_creates_nothing(world, login, overrides, message, settings):
    before = counts()
    response = login(world.people.enterprise_user).post(URL, form_data(**overrides))
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert counts() == before
    assert not list((settings.MEDIA_ROOT).rglob("*.*")) if settings.MEDIA_ROOT.exists() else True


def test_a_refused_second_file_leaves_no_demand_no_number_and_no_file(world, login, settings):
    files = [SimpleUploadedFile("好的.pdf", PDF), SimpleUploadedFile("坏的.pdf", EXE)]
    response = login(world.people.enterprise_user).post(URL, form_data(files=files))
    assert "附件“坏的.pdf”" in response.content.decode()
    assert counts() == (0, 0, 0)
    stored = [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()] if settings.MEDIA_ROOT.exists() else []
    assert stored == []


def test_submissions_are_rate_limited_per_user_with_a_429_in_chinese(world, login, monkeypatch):
    from qiservice.portal import views

    monkeypatch.setattr(views, "SUBMIT_LIMIT", 2)
    client = login(world.people.enterprise_user)
    for _ in range(2):
        assert client.post(URL, form_data()).status_code == 302
    response = client.post(URL, form_data())
    assert response.status_code == 429
    assert "提交过于频繁：每小时最多提交 2 条需求，请稍后再试。" in response.content.decode()
    assert Demand.objects.count() == 2
    # Bad input does not count.
    assert client.post(URL, form_data(description="")).status_code == 200


def test_the_rate_limit_counts_per_address_across_users(world, login, monkeypatch):
    from qiservice.portal import views
    from tests.conftest import make_user

    monkeypatch.setattr(views, "SUBMIT_LIMIT", 1)
    other = make_user("ent_user2", "enterprise_user", enterprise=world.ent_jimei)
    assert login(world.people.enterprise_user).post(URL, form_data()).status_code == 302
    response = login(other).post(URL, form_data())  # the same address (127.0.0.1)
    assert response.status_code == 429 and Demand.objects.count() == 1


def test_api_submission_is_the_same_rules_and_the_same_limit(world, login, monkeypatch):
    from qiservice.portal import views

    client = login(world.people.enterprise_user)
    payload = dict(FORM)
    response = client.post("/api/portal/demands", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    demand = Demand.objects.get(pk=body["id"])
    assert body["number"] == demand.number and demand.source == "web"
    assert "管理机构正在为您安排服务专员" in body["next_step"]

    bad = client.post("/api/portal/demands", dict(payload, categories=[]), content_type="application/json")
    assert bad.status_code == 422 and bad.json()["detail"][0]["msg"] == "请至少选择一个需求类别。"
    bad = client.post("/api/portal/demands", dict(payload, contact_phone="123"), content_type="application/json")
    assert bad.status_code == 422 and "联系电话" in bad.json()["detail"][0]["msg"]
    other = client.post(
        "/api/portal/demands", dict(payload, enterprise=world.ent_siming.pk), content_type="application/json"
    )
    assert other.status_code == 422 and other.json()["detail"][0]["msg"] == "请选择您所在的企业。"
    assert Demand.objects.count() == 1

    monkeypatch.setattr(views, "SUBMIT_LIMIT", 1)
    limited = client.post("/api/portal/demands", payload, content_type="application/json")
    assert limited.status_code == 429 and "提交过于频繁" in limited.json()["detail"]
    assert Demand.objects.count() == 1


def test_a_user_without_a_verified_enterprise_sees_an_empty_portal_and_cannot_submit(world, login):
    client = login(world.people.outsider)
    home = client.get("/portal/").content.decode()
    assert "您的账号尚未完成企业核实" in home and "目前没有可显示的需求" in home
    response = client.get(URL)
    assert response.status_code == 403 and "尚未完成企业核实" in response.content.decode()
    assert client.post(URL, form_data()).status_code == 403
    api = client.post("/api/portal/demands", dict(FORM), content_type="application/json")
    assert api.status_code == 403 and "尚未完成企业核实" in api.json()["detail"]
    assert client.get("/api/portal/demands").json()["items"] == []
    assert Demand.objects.count() == 0
