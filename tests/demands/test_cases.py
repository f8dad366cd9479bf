"""8.5.2 — typical cases: a summary is nominated, the agency approves or returns it, approved
cases form a searchable library that shows the enterprise masked to those outside its scope."""

import json

import pytest

from qiservice.core.choices import QIField
from qiservice.demands import workflow
from qiservice.demands.choices import CaseStatus
from qiservice.demands.models import TypicalCase
from qiservice.notifications.models import Notification

from .conftest import RATINGS, agreement_data, ledger_data, plan_data, preparation_data

SUMMARY = {
    "problems_solved": "三坐标测量机长期未校准，厦门集美精密机械有限公司的关键尺寸检测数据不可信。",
    "methods": "现场核查设备清单，按JJF 1064制定校准方案并协调计量院上门校准。",
    "results": "建立测量管理体系，产品一次交检合格率由92%提升到98.5%。",
}
CASE = {
    "title": "精密零部件企业测量能力提升",
    "highlights": "集美精密通过建立测量管理体系，合格率显著提升，可为同类企业借鉴。",
    "masked_enterprise": "某精密机械企业",
}


def summarised_demand(
    world, *, enterprise=None, categories=("metrology", "standardization"), evaluate=False, summary=None
):
    """A direct demand served by 王建华 to its summary (and, if asked, the evaluation)."""
    sp = world.people.specialist
    demand = workflow.register_demand(
        by=sp,
        enterprise=enterprise or world.ent_jimei,
        categories=list(categories),
        source="onsite",
        contact_name="张经理",
        contact_phone="13800001111",
        description="企业新购三坐标测量机，需要建立测量管理体系并开展计量器具校准。",
    )
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    workflow.confirm(demand, by=sp, mode="direct", reason="企业需求明确")
    workflow.sign_agreement(demand, by=sp, **agreement_data())
    workflow.make_plan(demand, by=sp, **plan_data())
    workflow.add_ledger_entry(demand, by=sp, **ledger_data())
    workflow.start_service(demand, by=sp)
    invitation = workflow.end_service(demand, by=sp)
    workflow.submit_summary(demand, by=sp, **(summary or SUMMARY))
    if evaluate:
        workflow.record_evaluation(demand, ratings=RATINGS, channel="link", invitation=invitation)
    demand.refresh_from_db()
    return demand


def nominated_case(world, demand=None, **overrides):
    demand = demand or summarised_demand(world)
    return workflow.nominate_case(demand, by=world.people.specialist, **(CASE | overrides))


def approved_case(world, *, publish=True, **overrides):
    case = nominated_case(world, **overrides)
    return workflow.review_case(case, by=world.people.admin, approve=True, publish=publish)


# --- nominating -------------------------------------------------------------------------------


def test_the_specialist_nominates_a_summary_from_the_demand(world, login):
    demand = summarised_demand(world)
    client = login(world.people.specialist)
    form = client.get(f"/demands/{demand.pk}/nominate-case/").content.decode()
    assert "某小型制造业企业" in form or "某制造业企业" in form, "a masked name is suggested"
    response = client.post(f"/demands/{demand.pk}/nominate-case/", CASE | {"version": demand.version})
    case = TypicalCase.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/demands/cases/{case.pk}/"
    assert (case.status, case.nominated_by, case.masked_enterprise) == (
        CaseStatus.NOMINATED,
        world.people.specialist,
        "某精密机械企业",
    )
    queue = login(world.people.admin).get("/demands/cases/review/").content.decode()
    assert CASE["title"] in queue


def test_nominating_needs_a_summary(world, login, register):
    demand = register()
    page = login(world.people.specialist).get(f"/demands/{demand.pk}/nominate-case/").content.decode()
    assert "请先提交工作总结" in page and "提交推荐" not in page
    with pytest.raises(workflow.WorkflowError, match="请先提交工作总结"):
        nominated_case(world, demand=demand)


def test_only_the_demands_specialist_may_nominate(world, login):
    demand = summarised_demand(world)
    url = f"/demands/{demand.pk}/nominate-case/"
    assert login(world.people.officer_jimei).get(url).status_code == 403
    assert login(world.people.admin).post(url, CASE).status_code == 403
    assert login(world.people.specialist_siming).get(url).status_code == 404
    assert TypicalCase.objects.count() == 0


def test_a_masked_name_containing_the_real_name_is_refused(world, login):
    demand = summarised_demand(world)
    response = login(world.people.specialist).post(
        f"/demands/{demand.pk}/nominate-case/", CASE | {"masked_enterprise": f"{world.ent_jimei.name}（化名）"}
    )
    assert response.status_code == 200 and "公开时企业名称不能包含企业真实名称" in response.content.decode()
    assert TypicalCase.objects.count() == 0


# --- reviewing --------------------------------------------------------------------------------


def test_the_admin_approves_and_publishes_a_case_into_the_library(world, login):
    case = nominated_case(world)
    client = login(world.people.admin)
    response = client.post(f"/demands/cases/{case.pk}/review/", {"decision": "approve", "publish": "on"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.is_published, case.reviewed_by) == (CaseStatus.APPROVED, True, world.people.admin)
    assert Notification.objects.filter(user=world.people.specialist, kind="case_reviewed").exists()
    library = login(world.people.outsider).get("/demands/cases/").content.decode()
    assert CASE["title"] in library


def test_a_returned_case_is_edited_and_nominated_again(world, login):
    case = nominated_case(world)
    admin = login(world.people.admin)
    response = admin.post(f"/demands/cases/{case.pk}/review/", {"decision": "return", "comments": " "})
    assert response.status_code == 200 and "退回时请填写审核意见" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.NOMINATED
    admin.post(f"/demands/cases/{case.pk}/review/", {"decision": "return", "comments": "请补充量化成效。"})
    case.refresh_from_db()
    assert (case.status, case.review_comments) == (CaseStatus.RETURNED, "请补充量化成效。")

    client = login(world.people.specialist)
    detail = client.get(f"/demands/cases/{case.pk}/").content.decode()
    assert "请补充量化成效。" in detail and "修改并重新推荐" in detail
    mine = client.get("/demands/cases/mine/").content.decode()
    assert CASE["title"] in mine and "已退回" in mine
    url = f"/demands/{case.demand_id}/nominate-case/"
    form = client.get(url).content.decode()
    assert "请补充量化成效。" in form and CASE["highlights"] in form
    client.post(url, CASE | {"highlights": "合格率由92%提升到98.5%，年节约返工成本约40万元。"})
    case.refresh_from_db()
    assert case.status == CaseStatus.NOMINATED and "40万元" in case.highlights
    assert TypicalCase.objects.count() == 1


def test_only_the_agency_admin_reviews(world, login):
    case = nominated_case(world)
    assert login(world.people.officer_jimei).post(f"/demands/cases/{case.pk}/review/", {}).status_code == 403
    assert login(world.people.specialist).post(f"/demands/cases/{case.pk}/review/", {}).status_code == 403
    assert login(world.people.outsider).post(f"/demands/cases/{case.pk}/review/", {}).status_code == 404
    with pytest.raises(workflow.WorkflowError, match="只有管理机构管理员"):
        workflow.review_case(case, by=world.people.officer_jimei, approve=True)
    case.refresh_from_db()
    assert case.status == CaseStatus.NOMINATED


def test_a_case_in_review_is_hidden_from_the_library_and_from_outsiders(world, login):
    case = nominated_case(world)
    outsider = login(world.people.outsider)
    assert CASE["title"] not in outsider.get("/demands/cases/").content.decode()
    assert outsider.get(f"/demands/cases/{case.pk}/").status_code == 404
    assert login(world.people.enterprise_user).get(f"/demands/cases/{case.pk}/").status_code == 404
    assert login(world.people.officer_jimei).get(f"/demands/cases/{case.pk}/").status_code == 200
    assert login(world.people.officer_siming).get(f"/demands/cases/{case.pk}/").status_code == 404


# --- the library: masking and search -----------------------------------------------------------


def test_the_library_never_shows_the_real_name_to_a_viewer_outside_the_scope(world, login):
    case = approved_case(world)
    name = world.ent_jimei.name
    for person in (world.people.outsider, world.people.specialist_siming, world.people.officer_siming):
        client = login(person)
        library = client.get("/demands/cases/").content.decode()
        detail = client.get(f"/demands/cases/{case.pk}/").content.decode()
        for page in (library, detail):
            assert "某精密机械企业" in page
            assert name not in page and "集美精密" not in page, "the name in the texts is masked too"
        assert f"/demands/{case.demand_id}/" not in detail
    inside = login(world.people.officer_jimei).get(f"/demands/cases/{case.pk}/").content.decode()
    assert name in inside and f"/demands/{case.demand_id}/" in inside


def test_an_unpublished_case_is_seen_only_by_those_in_its_scope(world, login):
    case = approved_case(world, publish=False)
    assert CASE["title"] not in login(world.people.outsider).get("/demands/cases/").content.decode()
    assert login(world.people.outsider).get(f"/demands/cases/{case.pk}/").status_code == 404
    inside = login(world.people.officer_jimei).get("/demands/cases/").content.decode()
    assert CASE["title"] in inside and "未公开" in inside


def test_the_library_is_searched_by_keyword_and_filtered_by_field(world, login):
    from tests.conftest import make_enterprise

    approved_case(world)
    food = make_enterprise("厦门海味食品有限公司", world.jimei, "91350211MA0000001T")
    food_summary = {
        "problems_solved": "出厂检验项目不全。",
        "methods": "对照标准补齐检验项目。",
        "results": "抽检合格率98.5%。",
    }
    other = summarised_demand(world, enterprise=food, categories=["inspection_testing"], summary=food_summary)
    approved_case(world, demand=other, title="食品企业检测能力建设", masked_enterprise="某食品企业")
    client = login(world.people.outsider)

    def titles(**params):
        page = client.get("/demands/cases/", params).content.decode()
        return {t for t in ("精密零部件企业测量能力提升", "食品企业检测能力建设") if t in page}

    assert titles() == {"精密零部件企业测量能力提升", "食品企业检测能力建设"}
    assert titles(q="98.5%") == {"精密零部件企业测量能力提升", "食品企业检测能力建设"}, "summary text"
    assert titles(q="食品企业") == {"食品企业检测能力建设"}
    assert titles(field=QIField.INSPECTION_TESTING) == {"食品企业检测能力建设"}
    assert titles(field=QIField.METROLOGY, q="检测能力") == set()
    # The real name does not find its case for someone who may not know it.
    assert titles(q="集美精密机械") == set()
    inside = login(world.people.admin).get("/demands/cases/", {"q": "集美精密机械"}).content.decode()
    assert "精密零部件企业测量能力提升" in inside


def test_the_library_is_for_everyone_logged_in(world, login):
    approved_case(world)
    assert login(None).get("/demands/cases/").status_code == 302
    page = login(world.people.institution_staff).get("/demands/cases/").content.decode()
    assert CASE["title"] in page and "待审核" not in page


# --- API --------------------------------------------------------------------------------------


def api(client, method, url, body=None):
    response = client.generic(method, url, json.dumps(body or {}), content_type="application/json")
    return response.status_code, response.json()


def test_api_nominate_review_and_masked_library(world, login):
    demand = summarised_demand(world)
    status, case = api(login(world.people.specialist), "POST", "/api/cases", CASE | {"demand": demand.pk})
    assert status == 201 and case["status"] == "nominated" and case["enterprise"] == world.ent_jimei.name
    status, _ = api(login(world.people.officer_jimei), "POST", f"/api/cases/{case['id']}/review", {"approve": True})
    assert status == 403
    status, refused = api(login(world.people.admin), "POST", f"/api/cases/{case['id']}/review", {"approve": False})
    assert status == 422 and "理由" in refused["detail"][0]["msg"]
    body = {"approve": True, "publish": True}
    status, reviewed = api(login(world.people.admin), "POST", f"/api/cases/{case['id']}/review", body)
    assert status == 200 and reviewed["status"] == "approved" and reviewed["is_published"]

    status, page = api(login(world.people.outsider), "GET", "/api/cases")
    item = page["items"][0]
    assert (item["enterprise"], item["is_masked"], item["demand"]) == ("某精密机械企业", True, None)
    status, detail = api(login(world.people.outsider), "GET", f"/api/cases/{case['id']}")
    assert world.ent_jimei.name not in json.dumps(detail, ensure_ascii=False)
    assert detail["review_comments"] is None
    status, page = api(login(world.people.outsider), "GET", "/api/cases?q=集美精密机械")
    assert page["count"] == 0


def test_api_refuses_a_nomination_outside_the_scope(world, login):
    demand = summarised_demand(world)
    body = CASE | {"demand": demand.pk}
    status, answer = api(login(world.people.specialist_siming), "POST", "/api/cases", body)
    assert status == 422 and answer["detail"][0]["loc"] == ["body", "demand"]
    status, _ = api(login(world.people.auditor), "POST", "/api/cases", body)
    assert status == 403
    status, answer = api(login(world.people.officer_jimei), "POST", "/api/cases", body)
    assert status == 422 and "只有承办的服务专员" in answer["detail"][0]["msg"]
    assert TypicalCase.objects.count() == 0
