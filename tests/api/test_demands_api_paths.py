"""The demand workflow's four paths through the API, each step taken by the real role with its
own personal token, checking the status and the actions offered to each person on the way."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client

from qiservice.accounts.models import ApiToken
from qiservice.demands import workflow
from qiservice.demands.models import Demand
from tests.demands.conftest import RATINGS, agreement_data, ledger_data, plan_data, preparation_data


class As:
    """An API client acting as one user, with that user's personal token."""

    def __init__(self, user):
        _token, key = ApiToken.issue(user, "测试")
        self.user = user
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    def _send(self, method, path, body):
        return self.client.generic(
            method, f"/api/demands{path}", json.dumps(body, cls=DjangoJSONEncoder), content_type="application/json"
        )

    def get(self, path="", data=None):
        return self.client.get(f"/api/demands{path}", data or {})

    def post(self, path, body=None):
        return self._send("POST", path, body or {})

    def put(self, path, body):
        return self._send("PUT", path, body)

    def patch(self, path, body):
        return self._send("PATCH", path, body)

    def detail(self, demand_id):
        response = self.get(f"/{demand_id}")
        assert response.status_code == 200, response.content
        return response.json()

    def actions(self, demand_id):
        return [a["action"] for a in self.detail(demand_id)["allowed_actions"]]

    def act(self, demand_id, action, **body):
        """Take an action offered to this user, with the version they just read."""
        current = self.detail(demand_id)
        offered = {a["action"]: a for a in current["allowed_actions"]}
        assert action in offered, f"{action} not offered to {self.user}: {list(offered)}"
        assert offered[action]["path"] == f"/api/demands/{demand_id}/actions/{action}"
        response = self.post(f"/{demand_id}/actions/{action}", body | {"version": current["version"]})
        assert response.status_code == 200, response.content.decode()
        data = response.json()
        assert data["version"] > current["version"]
        return data

    def write(self, method, path, body, demand_id, expected=200):
        """A non-transition write, with the version just read."""
        version = self.detail(demand_id)["version"]
        response = self._send(method, path, body | {"version": version})
        assert response.status_code == expected, response.content.decode()
        return response.json()


class Portal:
    """The enterprise's user on the portal's API (/api/portal/), with a personal token: the
    staff record of /api/demands is not theirs (404)."""

    def __init__(self, user):
        _token, key = ApiToken.issue(user, "测试")
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    def get(self, demand_id):
        response = self.client.get(f"/api/portal/demands/{demand_id}")
        assert response.status_code == 200, response.content
        return response.json()

    def post(self, path, body):
        return self.client.post(f"/api/portal/demands{path}", body, content_type="application/json")


def registration(world, **overrides):
    return {
        "enterprise": world.ent_jimei.pk,
        "categories": ["metrology", "standardization"],
        "source": "onsite",
        "contact_name": "张经理",
        "contact_phone": "13800001111",
        "description": "企业新购三坐标测量机，需要建立测量管理体系并开展计量器具校准。",
    } | overrides


def register(world, user=None, **overrides):
    response = As(user or world.people.specialist).post("", registration(world, **overrides))
    assert response.status_code == 201, response.content.decode()
    return response.json()


def prepare_and_confirm(world, demand_id, mode):
    sp = As(world.people.specialist)
    assert sp.act(demand_id, "start_preparation")["status"] == "preparing"
    hint = {a["action"]: a["missing"] for a in sp.detail(demand_id)["allowed_actions"]}
    assert "服务准备记录" in hint["confirm"], "confirming is offered with what is still missing"
    preparation = sp.write("PUT", f"/{demand_id}/preparation", preparation_data(), demand_id)
    assert preparation["preparation"]["content"]["metrology"] == "计量器具校准"
    assert {a["action"]: a["missing"] for a in preparation["allowed_actions"]}["confirm"] is None
    verified = sp.write(
        "POST", f"/{demand_id}/verify-enterprise", {"size": "medium", "main_products": "精密零部件"}, demand_id
    )
    assert verified["status"] == "preparing"
    world.ent_jimei.refresh_from_db()
    assert world.ent_jimei.main_products == "精密零部件" and world.ent_jimei.profile_verified_by == sp.user
    confirmed = sp.act(demand_id, "confirm", mode=mode, reason="企业需求明确")
    assert (confirmed["status"], confirmed["service_mode"]) == ("confirmed", mode)
    return confirmed


def evaluate(world, demand_id):
    # The evaluation has its own API (the evaluations part); here the enterprise rates in its portal.
    demand = Demand.objects.get(pk=demand_id)
    return workflow.record_evaluation(demand, ratings=RATINGS, channel="portal", by=world.people.enterprise_user)


def test_the_full_direct_path(world):
    sp, ent, officer = As(world.people.specialist), As(world.people.enterprise_user), As(world.people.officer_jimei)
    created = register(world)
    pk = created["id"]
    assert created["number"].startswith("QI-") and created["status"] == "registered"
    assert created["specialist"] == {"id": world.sp_jimei.pk, "name": "王建华"}
    assert created["categories"] == ["metrology", "standardization"]
    assert [a["action"] for a in created["allowed_actions"]] == ["start_preparation", "withdraw"]
    assert ent.get(f"/{pk}").status_code == 404, "the enterprise reads its demand through the portal"
    assert Portal(world.people.enterprise_user).get(pk)["status"] == "registered"
    assert officer.actions(pk) == ["cancel"]

    assert [a["action"] for a in prepare_and_confirm(world, pk, "direct")["allowed_actions"]] == [
        "sign_agreement",
        "switch_to_assisted",
        "withdraw",
    ]
    signed = sp.act(pk, "sign_agreement", **agreement_data())
    assert signed["status"] == "agreement_signed"
    assert signed["agreements"][0]["parties"] == "厦门集美精密机械有限公司、服务专员 王建华"
    planned = sp.act(pk, "make_plan", **plan_data())
    assert planned["status"] == "plan_made"
    assert [m["title"] for m in planned["plans"][0]["milestones"]] == ["计量器具摸底", "体系文件编写"]
    started = sp.act(pk, "start_service")
    assert [a["action"] for a in started["allowed_actions"]] == ["switch_to_assisted", "end_service", "withdraw"]
    assert "工作台账" in started["allowed_actions"][1]["missing"]

    entry = sp.write("POST", f"/{pk}/ledger", ledger_data(), pk, expected=201)
    assert entry["problem"] == "三坐标测量机未建立校准周期" and entry["demand_version"] == started["version"] + 1
    milestone = started["plans"][0]["milestones"][0]["id"]
    done = sp.write("PATCH", f"/{pk}/milestones/{milestone}", {"progress": 100, "notes": "已完成摸底"}, pk)
    assert done["progress"] == 100 and done["done_on"] is not None

    ended = sp.act(pk, "end_service")
    assert ended["status"] == "service_ended"
    assert [a["action"] for a in ended["allowed_actions"]] == ["submit_summary", "withdraw"]
    summarised = sp.act(pk, "submit_summary", problems_solved="校准周期", methods="现场核查", results="通过内审")
    assert summarised["status"] == "summary_submitted"
    assert sp.actions(pk) == ["withdraw"], "closing without the evaluation is the agency's call"
    assert "close" in officer.actions(pk)
    evaluate(world, pk)
    assert sp.actions(pk) == ["close", "withdraw"]
    closed = sp.act(pk, "close")
    assert closed["status"] == "closed" and closed["allowed_actions"] == []
    assert closed["evaluation"]["total"] == 46
    assert closed["summary"]["results"] == "通过内审"
    assert len(closed["ledger"]) == 1 and closed["plans"][0]["progress"] == 50

    events = [e["title"] for e in sp.get(f"/{pk}/timeline").json() if e["kind"] == "transition"]
    assert events == [
        "登记需求", "开始服务准备", "确认需求", "录入服务协议", "制定服务方案",
        "开始服务实施", "服务结束", "提交工作总结", "满意度评价", "办结",
    ]  # fmt: skip


def test_the_full_assisted_path(world):
    sp, inst = As(world.people.specialist), As(world.people.institution_staff)
    officer, ent = As(world.people.officer_jimei), As(world.people.enterprise_user)
    pk = register(world)["id"]
    assert [a["action"] for a in prepare_and_confirm(world, pk, "assisted")["allowed_actions"]] == [
        "escalate",
        "withdraw",
    ]
    assert inst.get(f"/{pk}").status_code == 404, "not dispatched yet"
    escalated = sp.act(pk, "escalate", reason="需要检定资质", needs="三坐标测量机校准")
    assert escalated["status"] == "escalated" and escalated["escalations"][0]["needs"] == "三坐标测量机校准"
    assert sp.actions(pk) == ["withdraw"]
    assert officer.actions(pk) == ["dispatch", "cancel"]

    dispatched = officer.act(pk, "dispatch", institutions=[world.metrology.pk], note="请尽快对接")
    assert dispatched["status"] == "dispatched"
    assert dispatched["escalations"][0]["dispatches"][0]["institution"]["name"] == "厦门市计量检定测试院"
    assert inst.actions(pk) == ["accept_dispatch", "decline_dispatch"]
    assert inst.act(pk, "accept_dispatch")["status"] == "accepted"
    assert inst.actions(pk) == ["sign_agreement"]
    assert officer.actions(pk) == ["sign_agreement", "cancel"]

    signed = inst.act(pk, "sign_agreement", **agreement_data())
    assert signed["agreements"][0]["institution"]["id"] == world.metrology.pk
    assert "厦门市计量检定测试院" in signed["agreements"][0]["parties"]
    planned = inst.act(pk, "make_plan", **plan_data())
    hint = {a["action"]: a["missing"] for a in planned["allowed_actions"]}
    assert "告知服务对象" in hint["start_service"]
    refused = inst.post(f"/{pk}/actions/start_service", {"version": planned["version"]})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["type"] == "missing_record"
    # The enterprise reads the plan in the portal and acknowledges it (8.4.2 c).
    assert ent.post(f"/{pk}/informed", {}).status_code == 404
    portal = Portal(world.people.enterprise_user)
    acknowledged = portal.post(f"/{pk}/acknowledge", {"version": portal.get(pk)["version"]})
    assert acknowledged.status_code == 200 and acknowledged.json()["enterprise_informed_on"] is not None
    assert inst.detail(pk)["plans"][0]["enterprise_informed_on"] is not None

    assert inst.act(pk, "start_service")["status"] == "in_service"
    note = inst.write("POST", f"/{pk}/notes", {"kind": "progress", "text": "已完成首轮校准"}, pk, expected=201)
    assert note["kind"] == "progress" and note["author"] == "inst_staff"
    inst.write("POST", f"/{pk}/ledger", ledger_data(), pk, expected=201)
    assert inst.act(pk, "end_service")["status"] == "service_ended"
    assert inst.actions(pk) == [], "the summary is the specialist's"
    sp.act(pk, "submit_summary", problems_solved="校准周期", methods="现场核查", results="通过内审")
    evaluate(world, pk)
    closed = officer.act(pk, "close")
    assert closed["status"] == "closed"
    timeline = sp.get(f"/{pk}/timeline").json()
    assert any(e["kind"] == "progress" and e["text"] == "已完成首轮校准" for e in timeline)


def test_a_direct_service_switches_to_assisted_and_keeps_its_records(world):
    sp, admin, inst = As(world.people.specialist), As(world.people.admin), As(world.people.institution_staff)
    pk = register(world)["id"]
    prepare_and_confirm(world, pk, "direct")
    sp.act(pk, "sign_agreement", **agreement_data())
    sp.act(pk, "make_plan", **plan_data())
    started = sp.act(pk, "start_service")
    sp.write("POST", f"/{pk}/ledger", ledger_data(), pk, expected=201)

    wrong_name = sp.post(
        f"/{pk}/actions/escalate", {"reason": "x", "needs": "y", "version": started["version"] + 1}
    ).json()
    assert wrong_name["detail"][0]["type"] == "not_allowed_now", "a direct service is switched, not escalated"
    switched = sp.act(pk, "switch_to_assisted", reason="需要检测资质", needs="出具检测报告")
    assert (switched["status"], switched["service_mode"]) == ("escalated", "assisted")
    assert switched["escalations"][0]["switched_from_direct"] is True
    assert len(switched["agreements"]) == 1 and len(switched["plans"]) == 1 and len(switched["ledger"]) == 1
    assert switched["preparation"] is not None

    admin.act(pk, "dispatch", institutions=[world.metrology.pk])
    inst.act(pk, "accept_dispatch")
    signed = inst.act(pk, "sign_agreement", **agreement_data())
    assert len(signed["agreements"]) == 2, "the tripartite agreement is added, the first kept"
    assert signed["status"] == "agreement_signed"


def test_an_institution_declines_and_the_agency_dispatches_again(world):
    from qiservice.accounts.choices import Role
    from tests.conftest import make_user

    testing = As(make_user("testing_staff", Role.INSTITUTION_STAFF, institution=world.testing))
    sp, officer, inst = As(world.people.specialist), As(world.people.officer_jimei), As(world.people.institution_staff)
    pk = register(world)["id"]
    prepare_and_confirm(world, pk, "assisted")
    sp.act(pk, "escalate", reason="需要协助", needs="检测")
    officer.act(pk, "dispatch", institutions=[world.testing.pk])
    version = testing.detail(pk)["version"]

    blank = testing.post(f"/{pk}/actions/decline_dispatch", {"reason": " ", "version": version})
    assert blank.status_code == 422 and "理由" in blank.json()["detail"][0]["msg"]
    declined = testing.act(pk, "decline_dispatch", reason="检测能力不覆盖该项目")
    assert declined["status"] == "escalated"
    assert testing.get(f"/{pk}").status_code == 404, "a declined dispatch no longer opens the demand"
    assert officer.actions(pk) == ["dispatch", "cancel"]

    again = officer.post(f"/{pk}/actions/dispatch", {"institutions": [world.testing.pk], "version": version + 1})
    assert again.status_code == 422 and "已派给过" in again.json()["detail"][0]["msg"]
    officer.act(pk, "dispatch", institutions=[world.metrology.pk])
    accepted = inst.act(pk, "accept_dispatch")
    assert accepted["status"] == "accepted"
    dispatches = {d["institution"]["id"]: d for d in accepted["escalations"][0]["dispatches"]}
    assert dispatches[world.testing.pk]["status"] == "declined"
    assert dispatches[world.testing.pk]["reason"] == "检测能力不覆盖该项目"
    assert dispatches[world.metrology.pk]["status"] == "accepted"


def test_the_agency_assigns_a_web_demand_and_the_specialist_answers(world):
    ent, officer, sp = Portal(world.people.enterprise_user), As(world.people.officer_jimei), As(world.people.specialist)
    # The enterprise submits online through the portal (the staff API is not theirs: 403).
    staff = As(world.people.enterprise_user).post("", registration(world, source="web"))
    assert staff.status_code == 403 and "企业门户" in staff.json()["detail"]
    body = {k: v for k, v in registration(world).items() if k not in ("enterprise", "source")}
    submitted = ent.post("", body)
    assert submitted.status_code == 201, submitted.content
    pk = submitted.json()["id"]
    created = officer.detail(pk)
    assert created["source"] == "web" and created["specialist"] is None
    assert sp.get(f"/{pk}").status_code == 404, "not the specialist's until assigned"

    assigned = officer.write("POST", f"/{pk}/assign", {"specialist": world.sp_jimei.pk, "note": "请跟进"}, pk)
    assert assigned["specialist"]["name"] == "王建华"
    assert assigned["assignments"][0]["status"] == "pending"
    assert sp.actions(pk) == [], "nothing to do before accepting"

    blank = sp.post(f"/{pk}/assignment", {"accept": False, "reason": "", "version": assigned["version"]})
    assert blank.status_code == 422 and "理由" in blank.json()["detail"][0]["msg"]
    declined = sp.write("POST", f"/{pk}/assignment", {"accept": False, "reason": "在办需求较多"}, pk)
    assert declined["specialist"] is None and declined["assignments"][0]["reason"] == "在办需求较多"

    officer.write("POST", f"/{pk}/assign", {"specialist": world.sp_jimei.pk}, pk)
    accepted = sp.write("POST", f"/{pk}/assignment", {"accept": True}, pk)
    assert accepted["assignments"][0]["status"] == "accepted"
    assert sp.actions(pk) == ["start_preparation", "withdraw"]
    withdrawn = ent.post(f"/{pk}/withdraw", {"reason": "已自行解决", "version": ent.get(pk)["version"]})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
