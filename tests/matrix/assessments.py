"""Access matrix rows of performance assessment (8.6.2), improvement actions (8.6.3) and
return visits.

{period} is the open 2025 yearly assessment (王建华 of 集美 and 陈丽 of 思明); {jimei} is
王建华's result in it, scored low and flagged, with {action} an improvement action that he
owns; {published} is his result in the published fourth quarter of 2025; {closed_demand}
a closed demand of 集美 that he served."""

from django.utils import timezone

from .common import api_table, table

PEOPLE = {"admin": 200, "officer_jimei": 200, "officer_siming": 200, "specialist": 200, "specialist_siming": 200}
AGENCY = {"admin": 200, "officer_jimei": 200, "officer_siming": 200, "auditor": 200}
# Those who see 王建华's result, and the auditor who sees but may not change it.
JIMEI_VIEW = {"admin": 200, "officer_jimei": 200, "auditor": 200}
JIMEI_CHANGE = {"admin": 302, "officer_jimei": 302, "auditor": 403}
# The closed demand: the agency of 集美 and the specialist who served it may visit;
# the enterprise and the auditor see the demand but may not.
VISIT_VIEW = {"admin": 200, "officer_jimei": 200, "specialist": 200, "enterprise_user": 403, "auditor": 403}
VISIT_POST = {"admin": 302, "officer_jimei": 302, "specialist": 302, "enterprise_user": 403, "auditor": 403}
# A visit today: after the demand closed (two days ago) and not in the future.
VISIT = {"visited_on": timezone.localdate().isoformat(), "method": "phone", "enterprise_feedback": "运行良好"}
WEIGHTS = {
    "collected": 10, "closed": 10, "on_time": 10, "overdue_days": 10, "satisfaction": 10, "cases": 10,
    "training": 10, "declined": 10, "complaints": 10, "supervisor": 10,
    "excellent_from": 90, "good_from": 80, "pass_from": 60,
}  # fmt: skip

UI = [
    ("GET", "/assessments/", table(403, auditor=200, **PEOPLE)),
    ("POST", "/assessments/", table(403, admin=302), {"kind": "quarter", "year": 2025, "quarter": 1}),
    ("GET", "/assessments/mine/", table(403, specialist=200, specialist_siming=200)),
    ("GET", "/assessments/weights/", table(403, admin=200)),
    ("POST", "/assessments/weights/", table(403, admin=302), WEIGHTS),
    ("GET", "/assessments/actions/", table(403, auditor=200, **PEOPLE)),
    ("GET", "/assessments/actions/{action}/", table(404, specialist=200, **JIMEI_VIEW)),
    (
        "POST",
        "/assessments/actions/{action}/",
        table(404, specialist=302, **JIMEI_CHANGE),
        {"status": "open", "follow_up": "已约谈"},
    ),
    ("GET", "/assessments/periods/{period}/", table(404, **AGENCY)),
    (
        "POST",
        "/assessments/periods/{period}/recompute/",
        table(404, admin=302, officer_jimei=403, officer_siming=403, auditor=403),
    ),
    (
        "POST",
        "/assessments/periods/{period}/advance/",
        table(404, admin=302, officer_jimei=403, officer_siming=403, auditor=403),
    ),
    ("GET", "/assessments/{jimei}/", table(404, **JIMEI_VIEW)),
    ("GET", "/assessments/{published}/", table(404, specialist=200, **JIMEI_VIEW)),
    ("POST", "/assessments/{jimei}/score/", table(404, **JIMEI_CHANGE), {"supervisor_score": "75", "comments": "评议"}),
    (
        "POST",
        "/assessments/{published}/acknowledge/",
        table(404, specialist=302, admin=403, officer_jimei=403, auditor=403),
        {"comment": "已阅"},
    ),
    (
        "POST",
        "/assessments/{jimei}/actions/",
        table(404, **JIMEI_CHANGE),
        {"description": "加强时限管理", "due_on": "2026-12-31"},
    ),
    ("GET", "/assessments/demand/{closed_demand}/return-visit/", table(404, **VISIT_VIEW)),
    ("POST", "/assessments/demand/{closed_demand}/return-visit/", table(404, **VISIT_POST), VISIT),
]

API = [
    ("GET", "/api/assessments/periods", api_table(403, auditor=200, **PEOPLE)),
    ("GET", "/api/assessments/periods/{period}", api_table(404, **AGENCY)),
    ("GET", "/api/assessments/periods/{period}/assessments", api_table(404, **AGENCY)),
    ("GET", "/api/assessments/{jimei}", api_table(404, **JIMEI_VIEW)),
    ("GET", "/api/assessments/{published}", api_table(404, specialist=200, **JIMEI_VIEW)),
    (
        "POST",
        "/api/assessments/{jimei}/score",
        api_table(404, admin=200, officer_jimei=200, auditor=403),
        {"supervisor_score": 75},
    ),
    (
        "POST",
        "/api/assessments/{published}/acknowledge",
        api_table(404, specialist=200, admin=403, officer_jimei=403, auditor=403),
        {"comment": "已阅"},
    ),
    (
        "GET",
        "/api/assessments/demand/{closed_demand}/return-visits",
        api_table(404, admin=200, officer_jimei=200, specialist=200, enterprise_user=200, auditor=200),
    ),
    (
        "POST",
        "/api/assessments/demand/{closed_demand}/return-visits",
        api_table(404, admin=201, officer_jimei=201, specialist=201, enterprise_user=403, auditor=403),
        {"method": "onsite", "enterprise_feedback": "运行良好"},
    ),
]


def objects(world):
    import datetime

    from django.utils import timezone

    from qiservice.assessments import workflow
    from qiservice.demands.choices import DemandStatus
    from tests.assessments.helpers import demand

    admin = world.people.admin
    period = workflow.open_period(kind="year", year=2025, by=admin)
    jimei = period.assessments.get(specialist=world.sp_jimei)
    workflow.score(jimei, by=admin, supervisor_score=10, is_flagged=True, flag_reason="时限意识不足")
    action = workflow.add_action(
        jimei, by=admin, owner=world.people.specialist, description="参加时限培训", due_on=datetime.date(2026, 6, 30)
    )
    quarter = workflow.open_period(kind="quarter", year=2025, quarter=4, by=admin)
    for result in quarter.assessments.all():
        workflow.score(result, by=admin, supervisor_score=80)
    workflow.advance(quarter, by=admin)
    workflow.advance(quarter, by=admin)
    closed = demand(
        world,
        by=world.people.specialist,
        registered_on=timezone.localdate() - datetime.timedelta(days=30),
        status=DemandStatus.CLOSED,
        closed_at=timezone.now() - datetime.timedelta(days=2),
    )
    return {
        "period": period.pk,
        "jimei": jimei.pk,
        "action": action.pk,
        "published": quarter.assessments.get(specialist=world.sp_jimei).pk,
        "closed_demand": closed.pk,
    }
