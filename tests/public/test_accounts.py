"""Enterprise self-registration, the agency's verification, revocation (8.1.1, web)."""

import pytest
from django.test import Client

from qiservice.accounts.choices import Role
from qiservice.accounts.models import RoleAssignment, User
from qiservice.core.models import AuditEvent, AuditLog
from qiservice.enterprises.models import Enterprise
from qiservice.notifications.models import Notification
from qiservice.public import workflow
from qiservice.public.choices import AccountRequestStatus
from qiservice.public.models import EnterpriseAccountRequest

from ..complaints.helpers import served_demand

# A valid credit code of a Xiamen (湖里, 350206) enterprise not yet on the platform.
NEW_CODE = "91350206M0000009XY"


def form(**overrides):
    data = {
        "contact_name": "赵敏",
        "enterprise_name": "厦门集美精密机械有限公司",
        "credit_code": "91350211M0000001XX",
        "phone": "13812345678",
        "email": "",
        "username": "zhaomin",
        "password1": "Quality-2026-infra",
        "password2": "Quality-2026-infra",
    }
    data.update(overrides)
    return data


def register(client=None, **overrides):
    return (client or Client()).post("/public/register/", form(**overrides))


def test_new_code_is_valid():
    from qiservice.core.validators import validate_credit_code

    validate_credit_code(NEW_CODE)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"credit_code": "91350211M0000001XY"}, "统一社会信用代码校验位不正确"),
        ({"credit_code": "9135021"}, "统一社会信用代码应为18位"),
        ({"phone": "", "email": ""}, "请至少填写手机号或电子邮箱中的一项"),
        ({"phone": "12345"}, "请输入有效的联系电话"),
        ({"password2": "Other-2026-pass"}, "两次输入的密码不一致"),
        ({"password1": "12345678", "password2": "12345678"}, "这个密码太常见了"),
        ({"username": "ent_user"}, "该登录名已被使用"),
        ({"contact_name": ""}, "这个字段是必填项"),
    ],
)
def test_registration_explains_what_is_wrong_and_creates_nothing(world, overrides, message):
    users = User.objects.count()
    html = register(**overrides).content.decode()
    assert message in html
    assert User.objects.count() == users
    assert EnterpriseAccountRequest.objects.count() == 0


def test_a_registered_contact_is_logged_in_and_sees_only_the_pending_notice(world, login):
    client = Client()
    response = register(client)
    assert response["Location"] == "/public/pending/"
    user = User.objects.get(username="zhaomin")
    request = EnterpriseAccountRequest.objects.get(user=user)
    assert request.status == AccountRequestStatus.PENDING
    assert request.district == world.jimei  # read from the credit code's division code
    assert request.enterprise == world.ent_jimei
    assert not RoleAssignment.objects.filter(user=user).exists()
    assert "待审核" in client.get("/public/pending/").content.decode()
    assert "pending-panel" in client.get("/").content.decode()
    assert AuditLog.objects.filter(event_type=AuditEvent.CREATED, target_id=str(request.pk)).exists()


def test_registering_with_someone_elses_code_gives_no_access(world, login):
    demand = served_demand(world)
    client = Client()
    register(client)
    # Nothing of the enterprise: its demand is not found, lists are empty.
    assert client.get(f"/demands/{demand.pk}/").status_code == 404
    assert client.get(f"/api/demands/{demand.pk}").status_code == 404
    assert client.get("/api/demands").json()["items"] == []
    assert client.get(f"/enterprises/{world.ent_jimei.pk}/").status_code == 404
    assert client.get(f"/api/enterprises/{world.ent_jimei.pk}").status_code == 404
    assert demand.number not in client.get("/demands/").content.decode()


def test_approval_grants_exactly_that_enterprise_and_notifies(world, login):
    demand = served_demand(world)
    client = Client()
    register(client)
    request = EnterpriseAccountRequest.objects.get()
    response = login(world.people.officer_jimei).post(f"/public/accounts/{request.pk}/approve/", HTTP_HX_REQUEST="true")
    assert "已通过" in response.content.decode()
    roles = list(RoleAssignment.objects.filter(user=request.user).values_list("role", "enterprise_id"))
    assert roles == [(Role.ENTERPRISE_USER, world.ent_jimei.pk)]
    # The enterprise's demand, read in the portal (its users' view of a demand).
    assert client.get(f"/api/portal/demands/{demand.pk}").status_code == 200
    assert client.get(f"/enterprises/{world.ent_siming.pk}/").status_code == 404
    assert Notification.objects.filter(user=request.user, title="您的企业账户已通过审核").exists()
    assert AuditLog.objects.filter(
        event_type=AuditEvent.TRANSITION, target_id=str(request.pk), changes__status=["pending", "approved"]
    ).exists()


def test_staff_of_another_district_cannot_see_or_decide(world, login):
    register()
    request = EnterpriseAccountRequest.objects.get()
    officer = login(world.people.officer_siming)
    assert "赵敏" not in officer.get("/public/accounts/").content.decode()
    assert officer.post(f"/public/accounts/{request.pk}/approve/").status_code == 404
    assert login(world.people.specialist).post(f"/public/accounts/{request.pk}/approve/").status_code == 404
    assert login(world.people.auditor).post(f"/public/accounts/{request.pk}/approve/").status_code == 403
    request.refresh_from_db()
    assert request.status == AccountRequestStatus.PENDING
    assert "赵敏" in login(world.people.officer_jimei).get("/public/accounts/").content.decode()


def test_a_new_enterprise_is_created_by_the_verifier(world, login):
    register(credit_code=NEW_CODE, enterprise_name="厦门湖里新材料有限公司", username="newco")
    request = EnterpriseAccountRequest.objects.get()
    assert request.enterprise is None and request.district == world.huli
    admin = login(world.people.admin)
    queue = admin.get("/public/accounts/").content.decode()
    assert "新企业" in queue
    # The address is needed to create the enterprise: nothing changes without it.
    admin.post(f"/public/accounts/{request.pk}/approve/", {f"r{request.pk}-district": world.huli.pk})
    assert not Enterprise.objects.filter(credit_code=NEW_CODE).exists()
    request.refresh_from_db()
    assert request.status == AccountRequestStatus.PENDING
    admin.post(
        f"/public/accounts/{request.pk}/approve/",
        {f"r{request.pk}-district": world.huli.pk, f"r{request.pk}-address": "厦门市湖里区新材料路8号"},
    )
    enterprise = Enterprise.objects.get(credit_code=NEW_CODE)
    assert enterprise.name == "厦门湖里新材料有限公司" and enterprise.district == world.huli
    assert RoleAssignment.objects.filter(user=request.user, enterprise=enterprise).exists()


def test_rejection_needs_a_reason_which_the_requester_reads(world, login):
    client = Client()
    register(client)
    request = EnterpriseAccountRequest.objects.get()
    officer = login(world.people.officer_jimei)
    html = officer.post(f"/public/accounts/{request.pk}/reject/", {"reason": ""}, HTTP_HX_REQUEST="true")
    assert "请填写不予通过的原因" in html.content.decode()
    officer.post(f"/public/accounts/{request.pk}/reject/", {"reason": "经电话核实，该企业无此联系人。"})
    request.refresh_from_db()
    assert request.status == AccountRequestStatus.REJECTED
    assert "经电话核实，该企业无此联系人。" in client.get("/public/pending/").content.decode()
    assert not RoleAssignment.objects.filter(user=request.user).exists()


def test_several_contacts_and_revocation_takes_access_away_at_once(world, login):
    demand = served_demand(world)
    first, second = Client(), Client()
    register(first)
    register(second, username="second", contact_name="钱多")
    officer = world.people.officer_jimei
    for request in EnterpriseAccountRequest.objects.all():
        workflow.approve(request, by=officer)
    assert first.get(f"/api/portal/demands/{demand.pk}").status_code == 200
    assert second.get(f"/api/portal/demands/{demand.pk}").status_code == 200
    one = EnterpriseAccountRequest.objects.get(user__username="zhaomin")
    login(officer).post(f"/public/accounts/{one.pk}/revoke/", {"reason": "已离职"})
    # Same session, next request: no access any more; the other contact keeps theirs.
    assert first.get(f"/api/portal/demands/{demand.pk}").status_code == 404
    assert first.get(f"/demands/{demand.pk}/").status_code == 404
    assert second.get(f"/api/portal/demands/{demand.pk}").status_code == 200
    one.refresh_from_db()
    assert one.status == AccountRequestStatus.REVOKED and one.revoked_by == officer
    assert AuditLog.objects.filter(event_type=AuditEvent.DELETED, extra__reason="已离职").exists()


def test_a_decided_request_cannot_be_decided_again(world):
    register()
    request = EnterpriseAccountRequest.objects.get()
    workflow.approve(request, by=world.people.admin)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        workflow.reject(request, by=world.people.admin, reason="晚了")
    request.refresh_from_db()
    assert request.status == AccountRequestStatus.APPROVED
