"""Following a demand in the portal: the status in plain words, the people serving it, the
agreement and plan with "已知悉" (8.4.2 c), the files it may open, and a timeline without
anything internal to the service side."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qiservice.core.models import AuditEvent, AuditLog
from qiservice.demands import workflow
from qiservice.demands.choices import AttachmentStage
from qiservice.demands.models import Demand, ServicePlan
from qiservice.notifications.models import Notification
from tests.demands.conftest import RATINGS, preparation_data

from .helpers import DECLINE_REASON, INSTRUCTION, LEDGER_PROBLEM, PROGRESS, SECRET_FILE, pdf, submit, to_end, to_plan

# What preparation and escalation hold that the enterprise must not read.
PREPARATION_RISK = preparation_data()["risks"]["trade_secret"]
INTERNAL = [INSTRUCTION, PROGRESS, LEDGER_PROBLEM, SECRET_FILE, DECLINE_REASON, PREPARATION_RISK, "三坐标测量机校准"]


def portal_page(client, demand):
    response = client.get(f"/portal/demands/{demand.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_and_the_api_leave_out_everything_internal(world, login):
    demand = to_plan(world, submit(world, uploads=[pdf("我方资料.pdf")], uploads_are_secret=True))
    staff_page = login(world.people.admin).get(f"/demands/{demand.pk}/").content.decode()
    assert INSTRUCTION in staff_page and SECRET_FILE in staff_page  # they exist, for the agency

    client = login(world.people.enterprise_user)
    html = portal_page(client, demand)
    body = client.get(f"/api/portal/demands/{demand.pk}").json()
    text = json.dumps(body, ensure_ascii=False)
    for secret in INTERNAL:
        assert secret not in html, secret
        assert secret not in text, secret
    # The enterprise's own trade secret stays visible to it; the status in plain words.
    assert "我方资料.pdf" in html and "我方资料.pdf" in text
    assert "服务方案已制定" in html and "请阅读服务协议和服务方案" in html
    assert body["status_text"] == "服务方案已制定"
    titles = [e["title"] for e in body["timeline"] if e["kind"] == "status"]
    assert titles[:3] == ["提交需求", "服务专员开始服务准备", "服务专员确认需求"]
    assert "重新安排技术机构" in html  # a declined dispatch, without who or why
    assert "厦门市产品质量监督检验院" not in html and "厦门市产品质量监督检验院" not in text


def test_the_specialist_and_the_institution_are_named_with_their_contacts(world, login):
    demand = to_plan(world, submit(world), with_secrets=False)
    html = portal_page(login(world.people.enterprise_user), demand)
    assert "王建华" in html and 'href="tel:13900000000"' in html
    assert "厦门市计量检定测试院" in html and "0592-1234567" in html
    body = login(world.people.enterprise_user).get(f"/api/portal/demands/{demand.pk}").json()
    assert body["specialist"] == {"name": "王建华", "phone": "13900000000", "email": ""}
    assert body["institution"]["name"] == "厦门市计量检定测试院"


def test_others_trade_secrets_and_working_records_cannot_be_downloaded(world, login):
    demand = to_plan(world, submit(world), with_secrets=False)
    inst = world.people.institution_staff
    service = AttachmentStage.SERVICE
    secret = workflow.add_attachment(demand, pdf("内部.pdf"), by=inst, stage=service, is_trade_secret=True)
    working = workflow.add_attachment(demand, pdf("总结草稿.pdf"), by=inst, stage=AttachmentStage.SUMMARY)
    shared = workflow.add_attachment(demand, pdf("检测报告.pdf"), by=inst, stage=AttachmentStage.SERVICE)
    client = login(world.people.enterprise_user)
    for hidden in (secret, working):
        assert client.get(f"/portal/demands/{demand.pk}/attachments/{hidden.pk}/").status_code == 404
    response = client.get(f"/portal/demands/{demand.pk}/attachments/{shared.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert AuditLog.objects.filter(event_type=AuditEvent.DOWNLOADED, target_id=str(shared.pk)).exists()
    html = portal_page(client, demand)
    assert "检测报告.pdf" in html and "内部.pdf" not in html and "总结草稿.pdf" not in html


def test_acknowledging_the_plan_stamps_time_and_user_and_tells_the_service_side(world, login):
    demand = to_plan(world, submit(world), with_secrets=False)
    client = login(world.people.enterprise_user)
    html = portal_page(client, demand)
    assert "服务协议与服务方案" in html and "计量器具摸底" in html and 'data-testid="portal-acknowledge"' in html
    response = client.post(f"/portal/demands/{demand.pk}/acknowledge/", {"version": demand.version})
    assert response.status_code == 302
    plan = ServicePlan.objects.get(demand=demand)
    assert plan.acknowledged_by == world.people.enterprise_user and plan.acknowledged_at is not None
    assert plan.enterprise_informed_on == plan.acknowledged_at.astimezone().date() or plan.enterprise_informed_on
    assert plan.informed_by == world.people.enterprise_user
    entry = AuditLog.objects.filter(extra__what="acknowledge_plan").get()
    assert entry.actor == world.people.enterprise_user and "acknowledged_at" in entry.changes
    for user in (world.people.specialist, world.people.institution_staff):
        assert Notification.objects.filter(user=user, kind="plan_acknowledged", demand=demand).exists()
    html = portal_page(client, demand)
    assert 'data-testid="portal-acknowledged"' in html and "确认知悉服务协议和服务方案" in html
    assert 'data-testid="portal-acknowledge"' not in html
    # Assisted service may now start: the plan counts as told (8.4.2 c).
    workflow.start_service(demand, by=world.people.institution_staff)

    # Once only, through the API too.
    again = client.post(f"/api/portal/demands/{demand.pk}/acknowledge", {}, content_type="application/json")
    assert again.status_code == 422 and again.json()["detail"][0]["msg"] == "您已确认知悉该服务方案。"
    assert ServicePlan.objects.get(pk=plan.pk).acknowledged_at == plan.acknowledged_at


def test_acknowledging_through_the_api_with_a_stale_version_is_refused(world, login):
    demand = to_plan(world, submit(world), with_secrets=False)
    client = login(world.people.enterprise_user)
    stale = client.post(
        f"/api/portal/demands/{demand.pk}/acknowledge", {"version": demand.version - 1}, content_type="application/json"
    )
    assert stale.status_code == 409 and ServicePlan.objects.get(demand=demand).acknowledged_at is None
    ok = client.post(
        f"/api/portal/demands/{demand.pk}/acknowledge", {"version": demand.version}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["acknowledged_by"] == "ent_user"


def test_a_specialists_informed_stamp_is_kept_when_the_enterprise_acknowledges_later(world, login):
    demand = to_plan(world, submit(world), with_secrets=False)
    workflow.mark_informed(demand, by=world.people.specialist)
    html = portal_page(login(world.people.enterprise_user), demand)
    assert "服务方已于" not in html and 'data-testid="portal-acknowledge"' in html  # still theirs to acknowledge
    login(world.people.enterprise_user).post(f"/portal/demands/{demand.pk}/acknowledge/")
    plan = ServicePlan.objects.get(demand=demand)
    assert plan.informed_by == world.people.specialist and plan.acknowledged_by == world.people.enterprise_user


def test_the_service_side_cannot_acknowledge_for_the_enterprise(world):
    import pytest

    demand = to_plan(world, submit(world), with_secrets=False)
    from qiservice.portal import workflow as portal

    with pytest.raises(workflow.WorkflowError, match="只有该服务对象的用户"):
        portal.acknowledge_plan(demand, by=world.people.specialist)
    assert ServicePlan.objects.get(demand=demand).acknowledged_at is None


def test_after_the_service_the_page_links_the_evaluation_and_comes_back(world, login):
    demand = to_plan(world, submit(world), with_secrets=False)
    client = login(world.people.enterprise_user)
    client.post(f"/portal/demands/{demand.pk}/acknowledge/")
    to_end(world, demand)
    html = portal_page(client, demand)
    url = f"/e/demand/{demand.pk}/portal/?next=/portal/demands/{demand.pk}/"
    assert "请对本次服务进行满意度评价" in html and url in html
    assert f'href="/portal/demands/{demand.pk}/"' in client.get(url).content.decode()  # the way back
    response = client.post(url, RATINGS)
    assert response.status_code == 302 and response["Location"] == f"/portal/demands/{demand.pk}/"
    html = portal_page(client, demand)
    assert "总分 46 / 50" in html and "您已完成评价" in html
    assert client.get(f"/api/portal/demands/{demand.pk}").json()["evaluation_total"] == 46
    # An outside `next` is not followed.
    outside = client.get(f"/e/demand/{demand.pk}/portal/?next=https://evil.example/").content.decode()
    assert 'href="https://evil.example/"' not in outside


def test_the_evaluation_link_is_on_the_home_card_too(world, login):
    demand = to_plan(world, submit(world), with_secrets=False)
    client = login(world.people.enterprise_user)
    client.post(f"/portal/demands/{demand.pk}/acknowledge/")
    to_end(world, demand)
    home = client.get("/portal/").content.decode()
    assert "去评价" in home and f"/e/demand/{demand.pk}/portal/" in home
    card = client.get("/api/portal/demands").json()["items"][0]
    assert card["awaiting_evaluation"] is True and card["status_text"] == "服务已结束"


ATTACHMENT = st.tuples(
    st.sampled_from(["enterprise_user", "specialist", "institution_staff", "officer_jimei"]),
    st.booleans(),
    st.sampled_from([s.value for s in AttachmentStage]),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ATTACHMENT, max_size=6))
def test_the_enterprise_sees_its_own_files_and_the_others_shared_ones_only(world, rows):
    """Whoever uploaded it, secret or not, at any stage: the enterprise sees its own files,
    and the others' files that are neither trade secrets nor working records."""
    from django.db import transaction

    from qiservice.demands.models import Attachment
    from qiservice.portal.timeline import INTERNAL_STAGES, attachments_for_enterprise

    demand = Demand.objects.first() or submit(world)
    with transaction.atomic():
        expected = set()
        for index, (role, secret, stage) in enumerate(rows):
            a = Attachment.objects.create(
                demand=demand,
                stage=stage,
                file=f"attachments/x{index}.pdf",
                original_name=f"{index}.pdf",
                content_type="application/pdf",
                size=1,
                sha256="0" * 64,
                is_trade_secret=secret,
                uploaded_by=getattr(world.people, role),
            )
            if role == "enterprise_user" or (not secret and stage not in INTERNAL_STAGES):
                expected.add(a.pk)
        seen = set(attachments_for_enterprise(world.people.enterprise_user, demand).values_list("pk", flat=True))
        assert seen == expected
        transaction.set_rollback(True)
