"""The demand API's refusals, conflicts, data scope, list, attachments and documentation."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from qiservice.api.api import api
from qiservice.core.models import AuditEvent, AuditLog
from qiservice.demands import workflow
from qiservice.demands.models import Demand, StatusChange
from qiservice.demands.transitions import TRANSITIONS
from tests.demands.conftest import RATINGS, agreement_data, ledger_data, plan_data, preparation_data

from .test_demands_api_paths import As, register, registration

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def snapshot(pk):
    """What a refused request must leave as it was."""
    demand = Demand.objects.get(pk=pk)
    return (demand.status, demand.version, StatusChange.objects.filter(demand=demand).count(), AuditLog.objects.count())


def in_service(world):
    """A direct demand of ent_jimei (集美), served by 王建华, in service, built through the rules."""
    sp = world.people.specialist
    demand = workflow.register_demand(by=sp, **registration(world) | {"enterprise": world.ent_jimei})
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    workflow.confirm(demand, by=sp, mode="direct", reason="直接服务")
    workflow.sign_agreement(demand, by=sp, **agreement_data())
    workflow.make_plan(demand, by=sp, **plan_data())
    workflow.start_service(demand, by=sp)
    workflow.add_ledger_entry(demand, by=sp, **ledger_data())
    return Demand.objects.get(pk=demand.pk)


# --- refusals: 422 with a Chinese reason, nothing changed ----------------------------------------


def test_an_action_not_allowed_now_is_refused_and_changes_nothing(world):
    sp = As(world.people.specialist)
    created = register(world)
    before = snapshot(created["id"])
    response = sp.post(f"/{created['id']}/actions/sign_agreement", agreement_data() | {"version": created["version"]})
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["type"] == "not_allowed_now"
    assert error["msg"] == "需求当前状态为“已登记”，不能执行“录入服务协议”。"
    assert snapshot(created["id"]) == before


def test_a_plan_before_an_agreement_is_refused(world):
    sp = As(world.people.specialist)
    pk = register(world)["id"]
    demand = Demand.objects.get(pk=pk)
    workflow.start_preparation(demand, by=world.people.specialist)
    workflow.save_preparation(demand, by=world.people.specialist, **preparation_data())
    workflow.confirm(demand, by=world.people.specialist, mode="direct", reason="直接服务")
    before = snapshot(pk)
    response = sp.post(f"/{pk}/actions/make_plan", plan_data() | {"version": before[1]})
    assert response.status_code == 422
    assert "不能执行“制定服务方案”" in response.json()["detail"][0]["msg"]
    assert snapshot(pk) == before
    assert not Demand.objects.get(pk=pk).plans.exists()


def test_a_missing_record_is_named_and_nothing_changes(world):
    sp = As(world.people.specialist)
    created = register(world)
    pk = created["id"]
    sp.act(pk, "start_preparation")
    before = snapshot(pk)
    response = sp.post(f"/{pk}/actions/confirm", {"mode": "direct", "reason": "明确", "version": before[1]})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body"], "msg": "请先填写服务准备记录（计划安排、初步服务内容、风险信息）。", "type": "missing_record"}
    ]
    assert snapshot(pk) == before


@pytest.mark.parametrize(
    ("role", "action", "body"),
    [
        ("officer_jimei", "start_preparation", {}),
        ("specialist", "cancel", {"reason": "不需要了"}),
    ],
)
def test_the_wrong_role_is_refused_and_nothing_changes(world, role, action, body):
    created = register(world)
    before = snapshot(created["id"])
    response = As(getattr(world.people, role)).post(
        f"/{created['id']}/actions/{action}", body | {"version": created["version"]}
    )
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["type"] == "not_permitted" and error["msg"].startswith("您无权对该需求执行")
    assert snapshot(created["id"]) == before


def test_a_read_only_user_may_look_but_not_act(world):
    created = register(world)
    auditor = As(world.people.auditor)
    assert auditor.detail(created["id"])["allowed_actions"] == []
    response = auditor.post(f"/{created['id']}/actions/cancel", {"reason": "x", "version": created["version"]})
    assert response.status_code == 403
    assert snapshot(created["id"])[:3] == ("registered", created["version"], 1)


def test_a_stale_version_is_a_conflict_and_changes_nothing(world):
    sp = As(world.people.specialist)
    created = register(world)
    pk = created["id"]
    sp.act(pk, "start_preparation")  # someone moved on since `created` was read
    before = snapshot(pk)
    response = sp.put(f"/{pk}/preparation", preparation_data() | {"version": created["version"]})
    assert response.status_code == 409
    assert "已被他人更新" in response.json()["detail"]
    assert snapshot(pk) == before
    stale_action = sp.post(f"/{pk}/actions/withdraw", {"reason": "不需要了", "version": created["version"]})
    assert stale_action.status_code == 409
    assert snapshot(pk) == before


def test_missing_body_fields_are_named_in_chinese(world):
    created = register(world)
    response = As(world.people.specialist).post(f"/{created['id']}/actions/confirm", {"mode": "direct"})
    assert response.status_code == 422
    errors = {tuple(e["loc"]): e["msg"] for e in response.json()["detail"]}
    assert errors[("body", "payload", "reason")] == "必填项，不能为空。"
    assert errors[("body", "payload", "version")] == "必填项，不能为空。"


def test_an_unknown_action_is_not_found(world):
    created = register(world)
    response = As(world.people.specialist).post(f"/{created['id']}/actions/approve", {"version": 1})
    assert response.status_code == 404


def test_a_workflow_error_reaching_the_global_handler_is_a_chinese_422():
    request = RequestFactory().post("/api/demands")
    response = api.on_exception(request, workflow.WorkflowError("请先制定服务方案，再开始服务实施。"))
    assert response.status_code == 422
    assert json.loads(response.content) == {"detail": [{"loc": ["body"], "msg": "请先制定服务方案，再开始服务实施。"}]}


def test_registering_for_an_enterprise_outside_ones_scope_is_refused(world):
    response = As(world.people.specialist).post("", registration(world, enterprise=world.ent_siming.pk))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "enterprise"]
    assert "无权为其登记需求" in response.json()["detail"][0]["msg"]
    assert not Demand.objects.exists()
    institution = As(world.people.institution_staff).post("", registration(world))
    assert institution.status_code == 422, "institutions do not register demands"


def test_registration_is_checked_by_the_rules(world):
    response = As(world.people.specialist).post("", registration(world, categories=[], contact_phone="123"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "请至少选择一个需求类别。"
    assert not Demand.objects.exists()


def test_dispatch_refuses_unknown_and_withdrawn_institutions(world):
    sp, officer = world.people.specialist, As(world.people.officer_jimei)
    created = register(world)
    demand = Demand.objects.get(pk=created["id"])
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    workflow.confirm(demand, by=sp, mode="assisted", reason="需要协助")
    workflow.escalate(demand, by=sp, reason="需要协助", needs="检测")
    before = snapshot(demand.pk)
    unknown = officer.post(f"/{demand.pk}/actions/dispatch", {"institutions": [999999], "version": before[1]})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "institutions", 0]
    world.testing.is_active = False
    world.testing.save()
    inactive = officer.post(
        f"/{demand.pk}/actions/dispatch", {"institutions": [world.testing.pk], "version": before[1]}
    )
    assert inactive.status_code == 422 and "已出库" in inactive.json()["detail"][0]["msg"]
    assert snapshot(demand.pk) == before


def test_a_ledger_entry_is_edited_by_its_author_only(world):
    demand = in_service(world)
    entry = demand.ledger_entries.get()
    officer = As(world.people.officer_jimei).patch(f"/{demand.pk}/ledger/{entry.pk}", {"remarks": "改"})
    assert officer.status_code == 422 and "只有记录人" in officer.json()["detail"][0]["msg"]
    response = As(world.people.specialist).patch(f"/{demand.pk}/ledger/{entry.pk}", {"remarks": "已补充校准证书编号"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["remarks"] == "已补充校准证书编号" and body["problem"] == ledger_data()["problem"]
    assert body["demand_version"] == demand.version + 1


def test_a_correction_must_name_an_entry_of_the_same_demand(world):
    demand = in_service(world)
    other = in_service(world)
    response = As(world.people.specialist).post(
        f"/{demand.pk}/ledger", ledger_data() | {"corrects": other.ledger_entries.get().pk}
    )
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "corrects"]
    assert demand.ledger_entries.count() == 1


def test_internal_instructions_stay_out_of_the_enterprises_timeline(world, client):
    demand = in_service(world)
    officer = As(world.people.officer_jimei)
    note = officer.post(f"/{demand.pk}/notes", {"kind": "instruction", "text": "内部：优先安排现场核查"})
    assert note.status_code == 201, note.content
    sp_texts = [e["text"] for e in As(world.people.specialist).get(f"/{demand.pk}/timeline").json()]
    assert "内部：优先安排现场核查" in sp_texts
    # The enterprise follows its demand through the portal's API, whose timeline is an
    # allow-list; the staff timeline is not theirs (404).
    ent = As(world.people.enterprise_user)
    assert ent.get(f"/{demand.pk}/timeline").status_code == 404
    client.force_login(world.people.enterprise_user)
    portal = client.get(f"/api/portal/demands/{demand.pk}").json()
    assert portal["timeline"], "the enterprise still follows its demand"
    assert "内部：优先安排现场核查" not in json.dumps(portal, ensure_ascii=False)
    refused = ent.post(f"/{demand.pk}/notes", {"kind": "progress", "text": "x"})
    assert refused.status_code == 404 and not demand.notes.filter(text="x").exists()


# --- scope: an out-of-scope id is 404 for every endpoint ---------------------------------------


def every_operation(demand):
    pk = demand.pk
    entry = demand.ledger_entries.get().pk
    milestone = demand.plans.get().milestones.first().pk
    version = {"version": demand.version}
    rows = [
        ("GET", f"/{pk}", None),
        ("GET", f"/{pk}/timeline", None),
        ("POST", f"/{pk}/assign", {"specialist": 1, **version}),
        ("POST", f"/{pk}/assignment", {"accept": True, **version}),
        ("POST", f"/{pk}/notes", {"kind": "progress", "text": "x"}),
        ("PUT", f"/{pk}/preparation", preparation_data() | version),
        ("POST", f"/{pk}/verify-enterprise", {"size": "small"}),
        ("POST", f"/{pk}/ledger", ledger_data()),
        ("PATCH", f"/{pk}/ledger/{entry}", {"remarks": "x"}),
        ("PATCH", f"/{pk}/milestones/{milestone}", {"progress": 10}),
        ("POST", f"/{pk}/informed", {}),
        ("GET", f"/{pk}/attachments/{demand.attachments.get().pk}", None),
    ]
    bodies = {
        "confirm": {"mode": "direct", "reason": "x"},
        "sign_agreement": agreement_data(),
        "make_plan": plan_data(),
        "escalate": {"reason": "x", "needs": "y"},
        "switch_to_assisted": {"reason": "x", "needs": "y"},
        "dispatch": {"institutions": []},
        "decline_dispatch": {"reason": "x"},
        "submit_summary": {"problems_solved": "a", "methods": "b", "results": "c"},
        "withdraw": {"reason": "x"},
        "cancel": {"reason": "x"},
    }
    rows += [("POST", f"/{pk}/actions/{action}", bodies.get(action, {}) | version) for action in TRANSITIONS]
    return rows


# The enterprise's user sees the demand, but reads and acts on it through /api/portal/: the
# staff record (internal notes, the ledger, the preparation) is a 404 for them too.
@pytest.mark.parametrize(
    "role", ["officer_siming", "specialist_siming", "institution_staff", "outsider", "enterprise_user"]
)
def test_every_endpoint_answers_404_for_a_demand_outside_ones_scope(world, role):
    demand = in_service(world)
    workflow.add_attachment(
        demand, SimpleUploadedFile("a.pdf", PDF), by=world.people.specialist, stage="service", description="报告"
    )
    demand.refresh_from_db()
    client = As(getattr(world.people, role))
    before = snapshot(demand.pk)
    for method, path, body in every_operation(demand):
        response = client.get(path) if method == "GET" else client._send(method, path, body)
        assert response.status_code == 404, (method, path, response.content[:200])
        assert response.json()["detail"] == "未找到该记录，或您无权访问。"
    upload = client.client.post(f"/api/demands/{demand.pk}/attachments", {"file": SimpleUploadedFile("b.pdf", PDF)})
    assert upload.status_code == 404
    assert snapshot(demand.pk)[:3] == before[:3]
    assert not AuditLog.objects.filter(event_type=AuditEvent.DOWNLOADED).exists()


def test_records_of_another_demand_are_not_found_through_this_one(world):
    mine, other = in_service(world), in_service(world)
    sp = As(world.people.specialist)
    entry = other.ledger_entries.get().pk
    milestone = other.plans.get().milestones.first().pk
    assert sp.patch(f"/{mine.pk}/ledger/{entry}", {"remarks": "x"}).status_code == 404
    assert sp.patch(f"/{mine.pk}/milestones/{milestone}", {"progress": 10}).status_code == 404


# --- the list ---------------------------------------------------------------------------------------


def numbers(response):
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["items"]]


def test_the_list_is_scoped_newest_first_and_filtered(world):
    from tests.conftest import make_user

    first = register(world)
    second = register(world, categories=["quality_management"], source="phone", description="质量管理体系认证咨询")
    huli = register(world, world.people.admin, enterprise=world.ent_huli.pk, categories=["inspection_testing"])
    Demand.objects.filter(pk=first["id"]).update(registered_on=datetime.date(2026, 1, 5))
    demand = Demand.objects.get(pk=second["id"])
    workflow.start_preparation(demand, by=world.people.specialist)

    admin, officer = As(world.people.admin), As(world.people.officer_jimei)
    assert numbers(admin.get()) == [huli["number"], second["number"], first["number"]]
    assert numbers(officer.get()) == [second["number"], first["number"]]
    assert numbers(As(world.people.officer_siming).get()) == []
    assert numbers(As(make_user("nobody")).get()) == []

    item = admin.get().json()["items"][0]
    assert item["enterprise"] == {"id": world.ent_huli.pk, "name": "厦门湖里食品有限公司"}
    assert item["district"]["name"] == "湖里区" and item["specialist"] is None
    assert item["categories"] == ["inspection_testing"] and item["status_label"] == "已登记"

    assert numbers(admin.get("", {"status": ["preparing"]})) == [second["number"]]
    assert numbers(admin.get("", {"status": ["preparing", "registered"]})) == [
        huli["number"],
        second["number"],
        first["number"],
    ]
    assert numbers(admin.get("", {"category": "metrology"})) == [first["number"]]
    assert numbers(admin.get("", {"source": "phone"})) == [second["number"]]
    assert numbers(admin.get("", {"district": world.huli.pk})) == [huli["number"]]
    assert numbers(admin.get("", {"specialist": world.sp_jimei.pk})) == [second["number"], first["number"]]
    assert numbers(admin.get("", {"registered_to": "2026-01-31"})) == [first["number"]]
    assert numbers(admin.get("", {"registered_from": "2026-02-01"})) == [huli["number"], second["number"]]
    assert numbers(admin.get("", {"q": "认证咨询"})) == [second["number"]]
    assert numbers(admin.get("", {"q": "湖里食品"})) == [huli["number"]]
    assert numbers(admin.get("", {"q": first["number"]})) == [first["number"]]
    assert numbers(officer.get("", {"q": "湖里食品"})) == [], "search stays inside the scope"


def test_the_list_filters_by_institution_and_refuses_bad_values(world):
    sp = world.people.specialist
    created = register(world)
    register(world)
    demand = Demand.objects.get(pk=created["id"])
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    workflow.confirm(demand, by=sp, mode="assisted", reason="需要协助")
    workflow.escalate(demand, by=sp, reason="需要协助", needs="检定")
    workflow.dispatch(demand, by=world.people.admin, institutions=[world.metrology])
    admin = As(world.people.admin)
    assert numbers(admin.get("", {"institution": world.metrology.pk})) == [created["number"]]
    assert numbers(As(world.people.institution_staff).get()) == [created["number"]]
    bad = admin.get("", {"status": ["finished"]})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "status"]
    other = As(world.people.officer_siming).get("", {"specialist": world.sp_jimei.pk})
    assert other.status_code == 422, "a specialist outside one's scope is not a valid filter"


def test_the_lists_query_count_does_not_grow_with_its_rows(world, django_assert_max_num_queries):
    admin = As(world.people.admin)

    def count():
        with CaptureQueriesContext(connection) as context:
            assert admin.get().status_code == 200
        return len(context)

    register(world)
    count()  # the token's use is recorded once a minute: on the first call, not the ones measured
    few = count()
    for n in range(12):
        register(world, world.people.admin if n % 2 else None, enterprise=world.ent_jimei.pk)
    assert count() == few
    with django_assert_max_num_queries(few):
        assert len(admin.get().json()["items"]) == 13


def test_the_detail_query_count_is_bounded(world):
    demand = in_service(world)
    sp = As(world.people.specialist)
    sp.detail(demand.pk)  # the token's use is recorded once a minute: on the first call
    with CaptureQueriesContext(connection) as one:
        sp.detail(demand.pk)
    for _ in range(5):
        workflow.add_ledger_entry(demand, by=world.people.specialist, **ledger_data())
        workflow.add_note(demand, by=world.people.specialist, kind="progress", text="进展")
    with CaptureQueriesContext(connection) as more:
        assert len(sp.detail(demand.pk)["ledger"]) == 6
    assert len(more) == len(one)


def test_viewing_a_demand_is_audited(world):
    created = register(world)
    As(world.people.officer_jimei).detail(created["id"])
    viewed = AuditLog.objects.filter(event_type=AuditEvent.VIEWED, target_id=str(created["id"]))
    assert viewed.count() == 1 and viewed.get().actor == world.people.officer_jimei


# --- attachments ----------------------------------------------------------------------------------


def upload(client, pk, name, content, **fields):
    data = {"file": SimpleUploadedFile(name, content)} | fields
    return client.client.post(f"/api/demands/{pk}/attachments", data)


def test_a_trade_secret_attachment_is_kept_from_those_who_may_not_see_it(world, client):
    portal = client
    demand = in_service(world)
    sp, ent = As(world.people.specialist), As(world.people.enterprise_user)
    response = upload(sp, demand.pk, "工艺参数.pdf", PDF, stage="service", is_trade_secret="true", description="工艺")
    assert response.status_code == 201, response.content
    secret = response.json()
    assert secret["is_trade_secret"] is True and secret["content_type"] == "application/pdf"
    assert secret["demand_version"] == demand.version + 1
    public = upload(sp, demand.pk, "报告.pdf", PDF, stage="service").json()

    assert [a["id"] for a in sp.detail(demand.pk)["attachments"]] == [secret["id"], public["id"]]
    assert ent.get(f"/{demand.pk}/attachments/{secret['id']}").status_code == 404
    portal.force_login(world.people.enterprise_user)
    listed = portal.get(f"/api/portal/demands/{demand.pk}").json()["attachments"]
    assert [a["id"] for a in listed] == [public["id"]], "the enterprise's own view leaves the secret out"
    assert As(world.people.officer_jimei).get(f"/{demand.pk}/attachments/{secret['id']}").status_code == 404
    assert not AuditLog.objects.filter(event_type=AuditEvent.DOWNLOADED).exists()

    download = sp.get(f"/{demand.pk}/attachments/{secret['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    # Not download.close(): that sends request_finished, which closes the test's database
    # connection (harmless on SQLite's in-memory database, fatal on PostgreSQL).
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    logged = AuditLog.objects.get(event_type=AuditEvent.DOWNLOADED)
    assert logged.actor == world.people.specialist and logged.target_id == str(secret["id"])
    response = As(world.people.admin).get(f"/{demand.pk}/attachments/{secret['id']}")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    response = portal.get(listed[0]["url"])  # the enterprise downloads through the portal
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert AuditLog.objects.filter(event_type=AuditEvent.DOWNLOADED).count() == 3


def test_a_file_whose_content_does_not_match_is_refused(world):
    demand = in_service(world)
    sp = As(world.people.specialist)
    fake = upload(sp, demand.pk, "report.pdf", b"MZ\x90\x00 not a pdf at all")
    assert fake.status_code == 422 and "不符" in fake.json()["detail"][0]["msg"]
    wrong_stage = upload(sp, demand.pk, "report.pdf", PDF, stage="nowhere")
    assert wrong_stage.status_code == 422 and wrong_stage.json()["detail"][0]["loc"] == ["form", "stage"]
    without_file = sp.client.post(f"/api/demands/{demand.pk}/attachments", {"stage": "service"})
    assert without_file.status_code == 422
    assert not demand.attachments.exists()


def test_an_agreement_scan_must_be_an_attachment_of_the_demand(world):
    sp = world.people.specialist
    created = register(world)
    demand = Demand.objects.get(pk=created["id"])
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    workflow.confirm(demand, by=sp, mode="direct", reason="直接服务")
    other = in_service(world)
    foreign = workflow.add_attachment(other, SimpleUploadedFile("x.pdf", PDF), by=sp, stage="agreement")
    scan = workflow.add_attachment(demand, SimpleUploadedFile("协议.pdf", PDF), by=sp, stage="agreement")
    client = As(sp)
    version = client.detail(demand.pk)["version"]
    refused = client.post(
        f"/{demand.pk}/actions/sign_agreement", agreement_data() | {"scan": foreign.pk, "version": version}
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "scan"]
    signed = client.act(demand.pk, "sign_agreement", **agreement_data(), scan=scan.pk)
    assert signed["agreements"][0]["scan"] == scan.pk


# --- documentation ------------------------------------------------------------------------------------


def test_the_openapi_schema_documents_every_action_body():
    schema = api.get_openapi_schema()
    paths = schema["paths"]
    for action in TRANSITIONS:
        operation = paths[f"/api/demands/{{demand_id}}/actions/{action}"]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert "version" in schema["components"]["schemas"][body]["required"]
        assert {403, 404, 409, 422} <= set(operation["responses"])
        assert "not_permitted" in operation["description"]
    confirm = paths["/api/demands/{demand_id}/actions/confirm"]["post"]["requestBody"]["content"]
    confirm_schema = schema["components"]["schemas"][confirm["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert confirm_schema["properties"]["mode"]["enum"] == ["direct", "assisted"]
    upload_body = paths["/api/demands/{demand_id}/attachments"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload_body


def test_the_api_docs_page_lists_the_demand_endpoints(world, login):
    client = login(world.people.specialist)
    assert client.get("/api/docs").status_code == 200
    schema = Client().get("/api/openapi.json")
    assert schema.status_code == 200
    assert "/api/demands/{demand_id}/actions/switch_to_assisted" in schema.json()["paths"]


# --- what allowed_actions offers is what the endpoints accept (Hypothesis) --------------------------


def _steps(world, mode):
    """The rules calls of a whole path, each by its real role; a prefix of them sets up a state."""
    sp, inst, officer = world.people.specialist, world.people.institution_staff, world.people.officer_jimei

    def evaluate(demand, by):
        workflow.record_evaluation(demand, ratings=RATINGS, channel="portal", by=world.people.enterprise_user)

    start = [
        (workflow.start_preparation, sp, {}),
        (workflow.save_preparation, sp, preparation_data()),
        (workflow.confirm, sp, {"mode": mode, "reason": "明确"}),
    ]
    if mode == "direct":
        worker, middle = sp, [(workflow.sign_agreement, sp, agreement_data()), (workflow.make_plan, sp, plan_data())]
    else:
        worker, middle = (
            inst,
            [
                (workflow.escalate, sp, {"reason": "需要协助", "needs": "检定"}),
                (workflow.dispatch, officer, {"institutions": [world.metrology]}),
                (workflow.accept_dispatch, inst, {}),
                (workflow.sign_agreement, inst, agreement_data()),
                (workflow.make_plan, inst, plan_data()),
                (workflow.mark_informed, sp, {}),
            ],
        )
    end = [
        (workflow.start_service, worker, {}),
        (workflow.add_ledger_entry, worker, ledger_data()),
        (workflow.end_service, worker, {}),
        (workflow.submit_summary, sp, {"problems_solved": "a", "methods": "b", "results": "c"}),
        (evaluate, None, {}),
        (workflow.close, sp, {}),
    ]
    return start + middle + end


VALID_BODIES = {
    "confirm": {"mode": "direct", "reason": "明确"},
    "sign_agreement": agreement_data(),
    "make_plan": plan_data(),
    "escalate": {"reason": "需要协助", "needs": "检定"},
    "switch_to_assisted": {"reason": "需要协助", "needs": "检定"},
    "decline_dispatch": {"reason": "不覆盖"},
    "submit_summary": {"problems_solved": "a", "methods": "b", "results": "c"},
    "close": {"reason": "企业未评价"},
    "withdraw": {"reason": "不再需要"},
    "cancel": {"reason": "重复登记"},
}
PEOPLE = ["admin", "officer_jimei", "officer_siming", "specialist", "institution_staff", "enterprise_user", "auditor"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mode=st.sampled_from(["direct", "assisted"]),
    progress=st.integers(min_value=0, max_value=16),
    role=st.sampled_from(PEOPLE),
    data=st.data(),
)
def test_an_action_succeeds_exactly_when_it_is_offered_without_a_missing_record(world, mode, progress, role, data):
    from qiservice.demands.models import Dispatch

    demand = workflow.register_demand(by=world.people.specialist, **registration(world, enterprise=world.ent_jimei))
    steps = _steps(world, mode)
    for function, by, fields in steps[: min(progress, len(steps))]:
        function(demand, by=by, **fields)
    client = As(getattr(world.people, role))
    seen = client.get(f"/{demand.pk}")
    offered = {a["action"]: a["missing"] for a in seen.json()["allowed_actions"]} if seen.status_code == 200 else {}
    # Half the time one of the actions offered (so acceptance is exercised), else any action.
    choices = sorted(offered) if offered and data.draw(st.booleans()) else sorted(TRANSITIONS)
    action = data.draw(st.sampled_from(choices))
    before = snapshot(demand.pk)
    body = VALID_BODIES.get(action, {}) | {"version": before[1]}
    if action == "dispatch":
        tried = set(Dispatch.objects.filter(escalation__demand=demand).values_list("institution_id", flat=True))
        body["institutions"] = [i.pk for i in (world.metrology, world.testing) if i.pk not in tried][:1]
    response = client.post(f"/{demand.pk}/actions/{action}", body)
    event(f"answered {response.status_code}")
    if seen.status_code == 404:
        assert response.status_code == 404
    elif action in offered and offered[action] is None:
        assert response.status_code == 200, response.content.decode()
        assert response.json()["version"] > before[1]
        return
    else:
        assert response.status_code == (403 if role == "auditor" else 422), response.content.decode()
        if action in offered:
            assert response.json()["detail"][0]["type"] == "missing_record"
    assert snapshot(demand.pk) == before
