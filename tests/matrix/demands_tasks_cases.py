"""Access matrix rows of special service tasks (8.1.2) and typical cases (8.5.2).

{special_task} is a task of the agency admin with two targets: 厦门集美精密机械 (王建华, {task_target})
and 厦门思明电子 (陈丽). {case_demand} is a 集美 demand served by 王建华 up to its summary;
{case_nominated} a case nominated from another such demand, waiting for review;
{case_published} one approved and published in the library. The demands are driven
through the rules only when a path names them.
"""

from .common import api_table, table

# Who sees the task: the agency (admin and both districts it touches), auditors, and the
# two specialists who have targets on it.
TASK_VIEWERS = {
    "admin": 200,
    "officer_jimei": 200,
    "officer_siming": 200,
    "specialist": 200,
    "specialist_siming": 200,
    "auditor": 200,
}
AGENCY = {"admin": 200, "officer_jimei": 200, "officer_siming": 200}
# 王建华's target: seen by the agency for 集美 and auditors, worked only by him.
TARGET = {"specialist": 200, "admin": 403, "officer_jimei": 403, "auditor": 403}
# A nominated case: the admin, auditors, the 集美 officer and the demand's specialist.
IN_REVIEW = {"admin": 200, "auditor": 200, "officer_jimei": 200, "specialist": 200}
# The demand to nominate from: those who see it, of whom only its specialist nominates.
NOMINATE = {"specialist": 200, "admin": 403, "officer_jimei": 403, "auditor": 403, "enterprise_user": 403}

NEW_TASK = {"title": "矩阵任务", "starts_on": "2026-01-01", "ends_on": "2026-02-01", "targets": []}
ATTEMPT = {"contacted_on": "2025-01-15", "method": "phone", "outcome": "contacted", "notes": ""}

UI = [
    ("GET", "/demands/tasks/", table(403, **TASK_VIEWERS)),
    ("GET", "/demands/tasks/new/", table(403, **AGENCY)),
    ("GET", "/demands/tasks/enterprise-search/", table(403, **AGENCY)),
    ("GET", "/demands/tasks/{special_task}/", table(404, **TASK_VIEWERS)),
    (
        "GET",
        "/demands/tasks/{special_task}/edit/",
        table(404, **AGENCY, specialist=403, specialist_siming=403, auditor=403),
    ),
    ("GET", "/demands/tasks/targets/{task_target}/attempt/", table(404, **TARGET)),
    # Posted empty: the specialist gets the form back with its errors.
    ("POST", "/demands/tasks/targets/{task_target}/attempt/", table(404, **TARGET)),
    ("GET", "/demands/cases/", table(200)),
    ("GET", "/demands/cases/review/", table(403, admin=200, auditor=200)),
    ("GET", "/demands/cases/mine/", table(403, specialist=200, specialist_siming=200)),
    ("GET", "/demands/cases/{case_nominated}/", table(404, **IN_REVIEW)),
    ("GET", "/demands/cases/{case_published}/", table(200)),
    # Posted empty: the admin gets the review form back with its errors.
    (
        "POST",
        "/demands/cases/{case_nominated}/review/",
        table(404, admin=200, officer_jimei=403, specialist=403, auditor=403),
    ),
    ("GET", "/demands/{case_demand}/nominate-case/", table(404, **NOMINATE)),
    ("POST", "/demands/{case_demand}/nominate-case/", table(404, **NOMINATE)),
]

API = [
    ("GET", "/api/tasks", api_table(200)),
    # No targets: the agency is told a task needs one (422); other roles may not create.
    ("POST", "/api/tasks", api_table(403, admin=422, officer_jimei=422, officer_siming=422), NEW_TASK),
    ("GET", "/api/tasks/{special_task}", api_table(404, **TASK_VIEWERS)),
    (
        "PATCH",
        "/api/tasks/{special_task}",
        api_table(404, **AGENCY, specialist=403, specialist_siming=403, auditor=403),
        {},
    ),
    ("GET", "/api/tasks/{special_task}/targets", api_table(404, **TASK_VIEWERS)),
    (
        "POST",
        "/api/tasks/targets/{task_target}/attempts",
        api_table(404, specialist=201, admin=403, officer_jimei=403, auditor=403),
        ATTEMPT,
    ),
    ("GET", "/api/cases", api_table(200)),
    ("GET", "/api/cases/{case_nominated}", api_table(404, **IN_REVIEW)),
    ("GET", "/api/cases/{case_published}", api_table(200)),
    # An unknown demand in the body: 422 for everyone (the rules are tested in tests/demands).
    (
        "POST",
        "/api/cases",
        api_table(422),
        {"demand": 0, "title": "x", "highlights": "y", "masked_enterprise": "某企业"},
    ),
    # Returning without comments: the admin is told why (422), nothing changes.
    (
        "POST",
        "/api/cases/{case_nominated}/review",
        api_table(404, admin=422, officer_jimei=403, specialist=403, auditor=403),
        {"approve": False},
    ),
]


class _Lazy:
    """A placeholder made only when a path uses it (driving a demand to its summary costs a
    dozen rules calls)."""

    def __init__(self, make):
        self.make, self.value = make, None

    def __format__(self, spec):
        if self.value is None:
            self.value = self.make()
        return format(self.value, spec)


def objects(world):
    import datetime

    from qiservice.demands import tasks_workflow, workflow
    from tests.demands.test_cases import nominated_case, summarised_demand

    task = tasks_workflow.create_task(
        by=world.people.admin,
        title="计量惠企专项行动",
        starts_on=datetime.date(2024, 1, 1),
        ends_on=datetime.date(2030, 12, 31),
        targets=[(world.ent_jimei, world.sp_jimei), (world.ent_siming, world.sp_siming)],
    )
    target = task.targets.get(enterprise=world.ent_jimei)

    def published():
        case = nominated_case(world)
        workflow.review_case(case, by=world.people.admin, approve=True, publish=True)
        return case.pk

    return {
        "special_task": task.pk,
        "task_target": target.pk,
        "case_demand": _Lazy(lambda: summarised_demand(world).pk),
        "case_nominated": _Lazy(lambda: nominated_case(world).pk),
        "case_published": _Lazy(published),
    }
