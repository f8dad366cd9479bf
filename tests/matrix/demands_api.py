"""Access matrix rows of the demand API (/api/demands).

`api_demand` is a direct demand of 厦门集美精密机械有限公司 (集美) in service, registered and
served by the 集美 specialist 王建华: the admin, the 集美 officer, the specialist, the
enterprise's user and the auditor see it; everyone else gets 404. The auditor may look but not
write (403). The enterprise's user gets 404 on every endpoint of one demand: the staff record
holds internal records, and enterprises read and act on their demands through /api/portal/.
Bodies are static, so transitions carry version 0: whoever may reach the demand
gets 409 (stale), which proves the scope check came first; the rules' own answers per role
are tested in tests/api/test_demands_api*.py.
"""

from qiservice.demands.transitions import TRANSITIONS

from .common import api_table

SEES = {"admin": 200, "officer_jimei": 200, "specialist": 200, "auditor": 200}


def scoped(admin, officer_jimei, specialist):
    """Out of scope (and the enterprise's user) 404, the read-only auditor 403, the three who
    work on it as given."""
    return api_table(404, admin=admin, officer_jimei=officer_jimei, specialist=specialist, auditor=403)


STALE = scoped(409, 409, 409)
WORKER_ONLY = scoped(422, 422, 200)

ACTION_BODIES = {
    "confirm": {"mode": "direct", "reason": "测试"},
    "sign_agreement": {
        "period_start": "2026-01-05",
        "period_end": "2026-03-05",
        "content": "测试",
        "method": "onsite",
        "signed_on": "2026-01-05",
    },
    "make_plan": {"objectives": "测试", "milestones": [{"title": "测试", "due_on": "2026-02-01"}]},
    "escalate": {"reason": "测试", "needs": "测试"},
    "switch_to_assisted": {"reason": "测试", "needs": "测试"},
    "dispatch": {"institutions": []},
    "decline_dispatch": {"reason": "测试"},
    "submit_summary": {"problems_solved": "测试", "methods": "测试", "results": "测试"},
    "close": {"reason": "测试"},
    "withdraw": {"reason": "测试"},
    "cancel": {"reason": "测试"},
}
# A direct demand is switched to assistance, never escalated: refused before the version is read.
ACTION_EXPECTED = {"escalate": scoped(422, 422, 422)}

LEDGER = {"entry_on": "2026-01-05", "enterprise_contact": "张经理", "problem": "测试", "handling": "测试"}
PREPARATION = {"plan_notes": "测试", "content": {"metrology": "测试"}, "risks": {}}

API = [
    ("GET", "/api/demands", api_table(200)),
    ("POST", "/api/demands", api_table(422), {}),
    ("GET", "/api/demands/{api_demand}", api_table(404, **SEES)),
    ("GET", "/api/demands/{api_demand}/timeline", api_table(404, **SEES)),
    *[
        (
            "POST",
            f"/api/demands/{{api_demand}}/actions/{action}",
            ACTION_EXPECTED.get(action, STALE),
            ACTION_BODIES.get(action, {}) | {"version": 0},
        )
        for action in TRANSITIONS
    ],
    # No such specialist: refused on the body once the demand is reached.
    ("POST", "/api/demands/{api_demand}/assign", scoped(422, 422, 422), {"specialist": 0, "version": 0}),
    ("POST", "/api/demands/{api_demand}/assignment", STALE, {"accept": True, "version": 0}),
    ("POST", "/api/demands/{api_demand}/notes", scoped(422, 422, 201), {"kind": "progress", "text": "进展"}),
    ("PUT", "/api/demands/{api_demand}/preparation", STALE, PREPARATION | {"version": 0}),
    ("POST", "/api/demands/{api_demand}/verify-enterprise", scoped(200, 200, 200), {"size": "small"}),
    ("POST", "/api/demands/{api_demand}/ledger", scoped(422, 422, 201), LEDGER),
    ("PATCH", "/api/demands/{api_demand}/ledger/{api_ledger_entry}", WORKER_ONLY, {"remarks": "补充"}),
    ("PATCH", "/api/demands/{api_demand}/milestones/{api_milestone}", WORKER_ONLY, {"progress": 50}),
    ("POST", "/api/demands/{api_demand}/informed", scoped(200, 200, 200), {}),
    # The matrix sends JSON; an upload is multipart, so the missing file is named first (422).
    ("POST", "/api/demands/{api_demand}/attachments", api_table(422), {}),
    ("GET", "/api/demands/{api_demand}/attachments/{api_attachment}", api_table(404, **SEES)),
    # A trade secret: the admin and the people serving the demand only.
    ("GET", "/api/demands/{api_demand}/attachments/{api_secret}", api_table(404, admin=200, specialist=200)),
]


class Lazy:
    """A placeholder made only when a path uses it (str.format formats only the fields it
    uses), so other modules' rows neither pay for this demand nor see it widen a scope."""

    def __init__(self, make):
        self.make = make

    def __format__(self, spec):
        return format(self.make(), spec)


def objects(world):
    made = {}

    def once(name, make):
        if name not in made:
            made[name] = make()
        return made[name]

    def served():
        return once("served", lambda: _in_service(world))

    def attachment(secret):
        return once(f"attachment-{secret}", lambda: _attach(world, served()["demand"], secret))

    return {
        "api_demand": Lazy(lambda: served()["demand"].pk),
        "api_ledger_entry": Lazy(lambda: served()["entry"].pk),
        "api_milestone": Lazy(lambda: served()["milestone"].pk),
        "api_attachment": Lazy(lambda: attachment(False).pk),
        "api_secret": Lazy(lambda: attachment(True).pk),
    }


def _in_service(world):
    import datetime

    from qiservice.demands import workflow

    sp = world.people.specialist
    today = datetime.date(2026, 1, 5)
    demand = workflow.register_demand(
        by=sp,
        enterprise=world.ent_jimei,
        categories=["metrology"],
        source="onsite",
        contact_name="张经理",
        contact_phone="13800001111",
        description="计量器具校准",
    )
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **PREPARATION)
    workflow.confirm(demand, by=sp, mode="direct", reason="直接服务")
    workflow.sign_agreement(
        demand, by=sp, period_start=today, period_end=today, content="测试", method="onsite", signed_on=today
    )
    plan = workflow.make_plan(demand, by=sp, objectives="测试", milestones=[{"title": "测试", "due_on": today}])
    workflow.start_service(demand, by=sp)
    entry = workflow.add_ledger_entry(demand, by=sp, **LEDGER | {"entry_on": today})
    return {"demand": demand, "entry": entry, "milestone": plan.milestones.get()}


def _attach(world, demand, secret):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from qiservice.demands import workflow

    upload = SimpleUploadedFile("报告.txt", "检定报告".encode())
    return workflow.add_attachment(demand, upload, by=world.people.specialist, stage="service", is_trade_secret=secret)
