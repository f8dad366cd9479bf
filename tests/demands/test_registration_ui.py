"""The registration form (8.1, Appendix A) at /demands/new/ and its enterprise picker."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from qiservice.core.validators import credit_code_check_character
from qiservice.demands import workflow
from qiservice.demands.choices import AssignmentStatus, DemandStatus, TargetStatus
from qiservice.demands.models import Demand, SpecialTask, TaskTarget
from qiservice.enterprises.models import Enterprise

URL = "/demands/new/"


def valid_code(body="91350211MA0000009"):
    return body + credit_code_check_character(body)


def demand_data(world, **overrides):
    data = {
        "enterprise_mode": "existing",
        "enterprise": world.ent_jimei.pk,
        "categories": ["metrology", "quality_management"],
        "source": "phone",
        "contact_name": "张经理",
        "contact_phone": "0592-6001234",
        "contact_email": "",
        "description": "新购三坐标测量机，需要建立校准周期并梳理测量管理体系。",
        "address": "",
        "collected_on": timezone.localdate().isoformat(),
    }
    data.update(overrides)
    return data


def new_enterprise_data(world, **overrides):
    data = demand_data(world, enterprise_mode="new", enterprise="")
    data.update(
        {
            "new-name": "厦门当场登记光电有限公司",
            "new-credit_code": valid_code(),
            "new-district": world.jimei.pk,
            "new-address": "厦门市集美区软件园三期A1",
            "new-contact_name": "",
            "new-contact_phone": "",
        }
    )
    data.update(overrides)
    return data


def counts():
    return Demand.objects.count(), Enterprise.objects.count()


def test_the_form_shows_every_appendix_a_field_with_filler_and_date_read_only(world, login):
    page = login(world.people.specialist).get(URL).content.decode()
    for label in ("服务对象", "地址", "需求类别", "来源", "联系人", "联系电话", "需求描述", "填表人", "日期"):
        assert label in page
    for category in ("计量服务", "标准化服务", "检验检测服务", "认证认可服务", "质量管理服务", "其他"):
        assert category in page
    for source in ("现场", "电话", "网络", "其他"):
        assert source in page
    assert f'value="{world.people.specialist.display_name}" readonly disabled' in page
    assert f'value="{timezone.localdate():%Y-%m-%d}" readonly disabled' in page
    assert "保存后自动生成" in page


def test_a_specialist_registers_a_demand_that_is_numbered_and_theirs(world, login):
    client = login(world.people.specialist)
    response = client.post(URL, demand_data(world))
    demand = Demand.objects.get()
    assert response.status_code == 302
    assert response["Location"] == demand.get_absolute_url()
    assert demand.number == f"QI-{timezone.localdate().year}-000001"
    assert demand.registered_by == world.people.specialist
    assert demand.registered_on == timezone.localdate()
    assert demand.specialist == world.sp_jimei, "a registering specialist serves the demand"
    assert demand.assignments.get().status == AssignmentStatus.ACCEPTED
    assert demand.categories == ["metrology", "quality_management"]
    assert demand.source == "phone"
    assert demand.address == world.ent_jimei.address, "the address defaults to the enterprise's"
    assert demand.status == DemandStatus.REGISTERED

    listing = client.get("/demands/", follow=True).content.decode()
    assert demand.number in listing
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == [f"需求已登记，编号 {demand.number}。"]


def test_an_officer_registers_demands_numbered_in_sequence_without_a_specialist(world, login):
    client = login(world.people.officer_jimei)
    client.post(URL, demand_data(world, address="厦门市集美区另一地址8号", contact_email="zhang@example.cn"))
    client.post(URL, demand_data(world, categories=["other"], source="onsite"))
    first, second = Demand.objects.order_by("pk")
    year = timezone.localdate().year
    assert (first.number, second.number) == (f"QI-{year}-000001", f"QI-{year}-000002")
    assert first.registered_by == world.people.officer_jimei and first.specialist is None
    assert first.address == "厦门市集美区另一地址8号" and first.contact_email == "zhang@example.cn"
    assert second.categories == ["other"] and second.source == "onsite"
    page = client.get("/demands/").content.decode()
    assert first.number in page and second.number in page


def test_an_enterprise_created_on_the_spot_is_registered_with_its_demand(world, login):
    client = login(world.people.specialist)
    response = client.post(URL, new_enterprise_data(world, **{"new-credit_code": valid_code().lower()}))
    assert response.status_code == 302
    enterprise = Enterprise.objects.get(name="厦门当场登记光电有限公司")
    demand = Demand.objects.get()
    assert demand.enterprise == enterprise and demand.district == world.jimei
    assert enterprise.credit_code == valid_code(), "stored in upper case"
    assert enterprise.created_by == world.people.specialist
    assert (enterprise.contact_name, enterprise.contact_phone) == ("张经理", "0592-6001234"), (
        "the enterprise's contact defaults to the demand's"
    )
    assert demand.address == "厦门市集美区软件园三期A1"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"categories": []}, "categories", "请至少选择一个需求类别"),
        ({"source": ""}, "source", "请选择需求来源"),
        ({"contact_phone": "12345"}, "contact_phone", "有效的联系电话"),
        ({"contact_email": "not-an-email"}, "contact_email", "有效的 Email"),
        ({"description": ""}, "description", "这个字段是必填项"),
        ({"enterprise": ""}, "enterprise", "请选择服务对象"),
        ({"collected_on": "2999-01-01"}, "collected_on", "收集日期不能晚于今天"),
    ],
)
def test_bad_input_shows_a_chinese_message_and_registers_nothing(world, login, overrides, field, message):
    before = counts()
    response = login(world.people.officer_jimei).post(URL, demand_data(world, **overrides))
    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors[field])
    assert message in response.content.decode()
    assert "需求未登记" in response.content.decode()
    assert counts() == before


def test_an_enterprise_outside_the_users_scope_posted_by_id_is_refused(world, login):
    before = counts()
    response = login(world.people.officer_jimei).post(URL, demand_data(world, enterprise=world.ent_siming.pk))
    assert "该服务对象不存在，或您无权为其登记需求" in response.content.decode()
    assert world.ent_siming.name not in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"new-credit_code": "91350211MA00000091"}, "credit_code", "校验位不正确"),
        ({"new-credit_code": "12345"}, "credit_code", "应为18位"),
        ({"new-credit_code": "91350211M0000001XX"}, "credit_code", "该统一社会信用代码已登记"),
        ({"new-name": ""}, "name", "这个字段是必填项"),
        ({"new-contact_phone": "999"}, "contact_phone", "有效的联系电话"),
    ],
)
def test_a_bad_new_enterprise_creates_neither_enterprise_nor_demand(world, login, overrides, field, message):
    before = counts()
    response = login(world.people.specialist).post(URL, new_enterprise_data(world, **overrides))
    assert response.status_code == 200
    assert any(message in e for e in response.context["new_enterprise"].errors[field])
    assert message in response.content.decode()
    assert counts() == before


def test_a_bad_demand_with_a_good_new_enterprise_creates_no_enterprise(world, login):
    before = counts()
    response = login(world.people.specialist).post(URL, new_enterprise_data(world, categories=[]))
    assert "请至少选择一个需求类别" in response.content.decode()
    assert 'name="new-name"' in response.content.decode(), "the new enterprise stays on the form"
    assert counts() == before


def test_an_officer_cannot_create_an_enterprise_in_another_district(world, login):
    before = counts()
    response = login(world.people.officer_jimei).post(
        URL, new_enterprise_data(world, **{"new-district": world.siming.pk})
    )
    assert "district" in response.context["new_enterprise"].errors
    assert counts() == before


def test_a_refusal_of_the_rules_undoes_the_new_enterprise(world, login, monkeypatch):
    """The new enterprise and the demand are saved in one transaction."""

    def refuse(**kwargs):
        raise workflow.WorkflowError("规则拒绝了登记")

    monkeypatch.setattr(workflow, "register_demand", refuse)
    before = counts()
    response = login(world.people.specialist).post(URL, new_enterprise_data(world))
    assert response.status_code == 200
    assert "规则拒绝了登记" in response.content.decode()
    assert counts() == before


@pytest.fixture
def target(world):
    today = timezone.localdate()
    task = SpecialTask.objects.create(
        title="2026年计量服务进园区",
        starts_on=today,
        ends_on=today + datetime.timedelta(days=30),
        created_by=world.people.officer_jimei,
    )
    return TaskTarget.objects.create(task=task, enterprise=world.ent_huli, specialist=world.sp_jimei)


def test_a_special_task_target_is_preselected_and_linked_to_the_demand(world, login, target):
    client = login(world.people.specialist)
    page = client.get(f"{URL}?target={target.pk}").content.decode()
    assert "2026年计量服务进园区" in page and world.ent_huli.name in page
    assert 'name="q"' not in page, "the target's enterprise is fixed"
    response = client.post(f"{URL}?target={target.pk}", demand_data(world, enterprise=world.ent_jimei.pk))
    assert response.status_code == 302
    demand = Demand.objects.get()
    assert demand.enterprise == world.ent_huli, "the target's enterprise, whatever was posted"
    assert demand.special_task == target.task
    target.refresh_from_db()
    assert (target.status, target.demand) == (TargetStatus.DEMAND_REGISTERED, demand)


@pytest.mark.parametrize("person", ["specialist_siming", "officer_jimei", "admin"])
def test_someone_elses_target_is_not_found(world, login, target, person):
    client = login(getattr(world.people, person))
    assert client.get(f"{URL}?target={target.pk}").status_code == 404
    assert client.post(f"{URL}?target={target.pk}", demand_data(world)).status_code == 404
    assert client.get(f"{URL}?target=abc").status_code == 404
    assert not Demand.objects.exists()


@pytest.mark.parametrize("person", ["institution_staff", "enterprise_user", "auditor", "outsider"])
def test_roles_that_do_not_register_are_refused(world, login, person):
    client = login(getattr(world.people, person))
    assert client.get(URL).status_code == 403
    assert client.post(URL, demand_data(world)).status_code == 403
    assert client.get("/demands/enterprise-options/?q=厦门").status_code == 403
    assert not Demand.objects.exists()


def test_the_picker_finds_enterprises_in_scope_by_name_or_credit_code(world, login):
    client = login(world.people.officer_jimei)
    by_name = client.get("/demands/enterprise-options/", {"q": "精密"}).content.decode()
    assert f'<option value="{world.ent_jimei.pk}" selected>' in by_name
    assert world.ent_jimei.credit_code in by_name
    by_code = client.get("/demands/enterprise-options/", {"q": world.ent_jimei.credit_code[-6:].lower()})
    assert world.ent_jimei.name in by_code.content.decode()
    outside = client.get("/demands/enterprise-options/", {"q": "思明电子"}).content.decode()
    assert world.ent_siming.name not in outside
    assert "没有找到“思明电子”" in outside


def test_the_picker_offers_at_most_a_page_and_says_there_are_more(world, login):
    from tests.conftest import make_enterprise

    for i in range(25):
        body = f"91350211MA{i:07d}"
        make_enterprise(f"厦门批量企业{i:02d}有限公司", world.jimei, body + credit_code_check_character(body))
    page = login(world.people.officer_jimei).get("/demands/enterprise-options/", {"q": "批量"}).content.decode()
    assert page.count('<option value="') == 21  # the prompt and 20 enterprises
    assert "请输入更多字缩小范围" in page


def test_switching_to_a_new_enterprise_swaps_only_the_enterprise_section(world, login):
    client = login(world.people.specialist)
    response = client.get(
        URL, {"enterprise_mode": "new"}, headers={"HX-Request": "true", "HX-Target": "enterprise-section"}
    )
    page = response.content.decode()
    assert page.startswith('<div id="enterprise-section">')
    assert 'name="new-credit_code"' in page and 'name="enterprise"' not in page
    back = client.get(
        URL, {"enterprise_mode": "existing"}, headers={"HX-Request": "true", "HX-Target": "enterprise-section"}
    )
    assert 'name="enterprise"' in back.content.decode()


def test_the_picker_keeps_the_chosen_enterprise_after_an_error(world, login):
    response = login(world.people.officer_jimei).post(URL, demand_data(world, categories=[]))
    assert f'<option value="{world.ent_jimei.pk}" selected>' in response.content.decode()
