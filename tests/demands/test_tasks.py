"""8.1.2 — special service tasks: the agency creates them, specialists work their targets,
demands registered from a target link back and show on the task's progress."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qiservice.core.models import AuditLog
from qiservice.demands import tasks_workflow
from qiservice.demands.choices import TargetStatus
from qiservice.demands.models import ContactAttempt, SpecialTask, TaskTarget
from qiservice.demands.workflow import WorkflowError
from qiservice.specialists.choices import SpecialistStatus

TODAY = timezone.localdate()


def make_task(world, by=None, targets=None, **overrides):
    data = {
        "title": "2026年计量惠企专项行动",
        "programme": "质量基础设施一站式服务",
        "starts_on": TODAY - datetime.timedelta(days=10),
        "ends_on": TODAY + datetime.timedelta(days=50),
    }
    data.update(overrides)
    if targets is None:
        targets = [(world.ent_jimei, world.sp_jimei), (world.ent_siming, world.sp_siming)]
    return tasks_workflow.create_task(by=by or world.people.admin, targets=targets, **data)


def credit_code(body):
    from qiservice.core.validators import credit_code_check_character

    return body + credit_code_check_character(body)


def target_of(task, enterprise):
    return TaskTarget.objects.get(task=task, enterprise=enterprise)


def form_data(world, **overrides):
    data = {
        "title": "集美区小微企业计量帮扶",
        "programme": "",
        "starts_on": (TODAY - datetime.timedelta(days=1)).isoformat(),
        "ends_on": (TODAY + datetime.timedelta(days=30)).isoformat(),
        "description": "走访辖区小微企业，了解计量需求。",
        "enterprise_lines": world.ent_jimei.credit_code,
        "specialist": world.sp_jimei.pk,
    }
    data.update(overrides)
    return data


# --- creating and editing ---------------------------------------------------------------------


def test_district_officer_creates_a_task_with_targets_from_the_form(world, login):
    client = login(world.people.officer_jimei)
    response = client.post("/demands/tasks/new/", form_data(world))
    task = SpecialTask.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/demands/tasks/{task.pk}/"
    target = task.targets.get()
    assert (target.enterprise, target.specialist, target.status) == (world.ent_jimei, world.sp_jimei, "pending")
    assert task.created_by == world.people.officer_jimei
    assert AuditLog.objects.filter(target_id=str(task.pk), event_type="created").exists()
    page = client.get(response["Location"]).content.decode()
    assert "集美区小微企业计量帮扶" in page and world.ent_jimei.name in page and "王建华" in page


def test_ticked_search_results_are_added_as_targets(world, login):
    client = login(world.people.admin)
    found = client.get("/demands/tasks/enterprise-search/", {"q": "湖里"}).content.decode()
    assert world.ent_huli.name in found and world.ent_jimei.name not in found
    data = form_data(world, enterprise_lines="", enterprises=[world.ent_huli.pk, world.ent_jimei.pk])
    assert client.post("/demands/tasks/new/", data).status_code == 302
    assert set(SpecialTask.objects.get().targets.values_list("enterprise_id", flat=True)) == {
        world.ent_huli.pk,
        world.ent_jimei.pk,
    }


def test_enterprise_search_keeps_ticked_ones_and_leaves_out_the_tasks_targets(world, login):
    task = make_task(world, targets=[(world.ent_jimei, world.sp_jimei)])
    client = login(world.people.admin)
    page = client.get(
        "/demands/tasks/enterprise-search/", {"q": "厦门", "task": task.pk, "enterprises": [world.ent_huli.pk]}
    ).content.decode()
    assert world.ent_jimei.name not in page, "already a target of the task"
    assert f'value="{world.ent_huli.pk}" checked' in page
    assert world.ent_siming.name in page


def test_out_of_scope_enterprise_is_refused_in_the_form_and_nothing_is_saved(world, login):
    client = login(world.people.officer_jimei)
    response = client.post("/demands/tasks/new/", form_data(world, enterprise_lines=world.ent_siming.credit_code))
    page = response.content.decode()
    assert response.status_code == 200
    assert "未找到该服务对象，或不在您的管理范围内" in page
    assert SpecialTask.objects.count() == 0 and TaskTarget.objects.count() == 0


def test_out_of_scope_enterprise_is_refused_by_the_rules_and_nothing_is_saved(world):
    with pytest.raises(WorkflowError, match="不在您的管理范围内"):
        make_task(world, by=world.people.officer_jimei, targets=[(world.ent_siming, world.sp_jimei)])
    assert SpecialTask.objects.count() == 0 and TaskTarget.objects.count() == 0
    assert not AuditLog.objects.filter(target_type__model="specialtask").exists()


def test_a_task_needs_targets_dates_in_order_and_active_specialists(world):
    with pytest.raises(WorkflowError, match="至少添加一个"):
        make_task(world, targets=[])
    with pytest.raises(WorkflowError, match="结束日期不能早于开始日期"):
        make_task(world, starts_on=TODAY, ends_on=TODAY - datetime.timedelta(days=1))
    with pytest.raises(WorkflowError, match="重复列出"):
        make_task(world, targets=[(world.ent_jimei, world.sp_jimei), (world.ent_jimei, world.sp_siming)])
    world.sp_siming.status = SpecialistStatus.SUSPENDED
    world.sp_siming.save()
    with pytest.raises(WorkflowError, match="暂停"):
        make_task(world)
    assert SpecialTask.objects.count() == 0


def test_only_the_agency_creates_tasks(world, login):
    with pytest.raises(WorkflowError, match="只有管理机构"):
        make_task(world, by=world.people.specialist, targets=[(world.ent_jimei, world.sp_jimei)])
    assert login(world.people.specialist).get("/demands/tasks/new/").status_code == 403
    assert login(world.people.auditor).get("/demands/tasks/new/").status_code == 403


def test_editing_adds_reassigns_and_removes_targets_but_keeps_contacted_ones(world, login):
    from tests.conftest import make_specialist

    sp_jimei2 = make_specialist("sp_jimei2", world.jimei, name="林晓")
    task = make_task(world, targets=[(world.ent_jimei, world.sp_jimei), (world.ent_huli, world.sp_jimei)])
    tasks_workflow.update_task(
        task,
        by=world.people.admin,
        title=task.title,
        starts_on=task.starts_on,
        ends_on=task.ends_on,
        targets=[(world.ent_jimei, sp_jimei2), (world.ent_siming, world.sp_siming)],
    )
    assert dict(task.targets.values_list("enterprise_id", "specialist_id")) == {
        world.ent_jimei.pk: sp_jimei2.pk,
        world.ent_siming.pk: world.sp_siming.pk,
    }
    target = target_of(task, world.ent_siming)
    tasks_workflow.record_contact_attempt(
        target, by=world.people.specialist_siming, contacted_on=TODAY, method="phone", outcome="contacted"
    )
    with pytest.raises(WorkflowError, match="已有联系记录"):
        tasks_workflow.update_task(
            task,
            by=world.people.admin,
            title=task.title,
            starts_on=task.starts_on,
            ends_on=task.ends_on,
            targets=[(world.ent_jimei, sp_jimei2)],
        )
    assert task.targets.count() == 2


def test_a_district_officers_edit_leaves_other_districts_targets_alone(world, login):
    task = make_task(world)
    client = login(world.people.officer_jimei)
    page = client.get(f"/demands/tasks/{task.pk}/edit/").content.decode()
    assert world.ent_jimei.name in page and world.ent_siming.name not in page
    target = target_of(task, world.ent_jimei)
    data = form_data(world, enterprise_lines="", specialist="", title="改名后的任务")
    data.update(
        {
            "loaded_at": SpecialTask.objects.get().updated_at.isoformat(),
            "targets-TOTAL_FORMS": "1",
            "targets-INITIAL_FORMS": "1",
            "targets-0-id": target.pk,
            "targets-0-specialist": world.sp_jimei.pk,
            "targets-0-DELETE": "on",
        }
    )
    response = client.post(f"/demands/tasks/{task.pk}/edit/", data)
    assert response.status_code == 302
    # The 思明 target was outside the officer's scope: it stays, untouched.
    task.refresh_from_db()
    assert list(task.targets.values_list("enterprise_id", flat=True)) == [world.ent_siming.pk]
    assert task.title == "改名后的任务"


def test_a_stale_edit_is_refused(world, login):
    task = make_task(world)
    client = login(world.people.admin)
    data = form_data(world, enterprise_lines="", specialist="", loaded_at="2020-01-01T00:00:00+00:00")
    data.update({"targets-TOTAL_FORMS": "0", "targets-INITIAL_FORMS": "0"})
    # Both targets are missing from the formset: the rules would remove them, but the
    # stale version stops everything first.
    response = client.post(f"/demands/tasks/{task.pk}/edit/", data)
    assert "已被他人修改" in response.content.decode()
    assert task.targets.count() == 2


# --- what each role sees ----------------------------------------------------------------------


def test_specialist_sees_only_their_own_targets_and_tasks(world, login):
    task = make_task(world)
    other = make_task(world, title="思明区专项", targets=[(world.ent_siming, world.sp_siming)])
    client = login(world.people.specialist)
    listing = client.get("/demands/tasks/").content.decode()
    assert task.title in listing and "思明区专项" not in listing
    page = client.get(f"/demands/tasks/{task.pk}/").content.decode()
    assert world.ent_jimei.name in page and world.ent_siming.name not in page
    assert "我负责联系的服务对象" in page and "记录联系" in page
    assert client.get(f"/demands/tasks/{other.pk}/").status_code == 404


def test_agency_staff_see_the_targets_of_their_district(world, login):
    task = make_task(world)
    page = login(world.people.officer_jimei).get(f"/demands/tasks/{task.pk}/").content.decode()
    assert world.ent_jimei.name in page and world.ent_siming.name not in page
    assert "记录联系" not in page
    admin_page = login(world.people.admin).get(f"/demands/tasks/{task.pk}/").content.decode()
    assert world.ent_jimei.name in admin_page and world.ent_siming.name in admin_page
    assert login(world.people.officer_siming).get(f"/demands/tasks/{task.pk}/").status_code == 200
    assert login(world.people.enterprise_user).get(f"/demands/tasks/{task.pk}/").status_code == 404
    assert login(world.people.enterprise_user).get("/demands/tasks/").status_code == 403


# --- contact attempts ------------------------------------------------------------------------


def test_specialist_records_an_attempt_and_the_target_status_follows(world, login):
    task = make_task(world)
    target = target_of(task, world.ent_jimei)
    client = login(world.people.specialist)
    form = client.get(f"/demands/tasks/targets/{target.pk}/attempt/").content.decode()
    assert world.ent_jimei.contact_phone in form
    response = client.post(
        f"/demands/tasks/targets/{target.pk}/attempt/",
        {"contacted_on": TODAY.isoformat(), "method": "visit", "outcome": "contacted", "notes": "企业有校准需求"},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#target-{target.pk}")
    attempt = ContactAttempt.objects.get()
    assert (attempt.method, attempt.outcome, attempt.recorded_by) == ("visit", "contacted", world.people.specialist)
    target.refresh_from_db()
    assert target.status == TargetStatus.CONTACTED
    page = client.get(f"/demands/tasks/{task.pk}/").content.decode()
    assert "企业有校准需求" in page and "上门走访" in page


def test_only_the_targets_specialist_records_attempts(world, login):
    task = make_task(world)
    target = target_of(task, world.ent_jimei)
    url = f"/demands/tasks/targets/{target.pk}/attempt/"
    assert login(world.people.admin).get(url).status_code == 403
    assert login(world.people.officer_jimei).get(url).status_code == 403
    assert login(world.people.specialist_siming).get(url).status_code == 404
    with pytest.raises(WorkflowError, match="只有负责该服务对象的服务专员"):
        tasks_workflow.record_contact_attempt(
            target, by=world.people.admin, contacted_on=TODAY, method="phone", outcome="contacted"
        )
    assert ContactAttempt.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"contacted_on": TODAY + datetime.timedelta(days=1)}, "不能晚于今天"),
        ({"contacted_on": TODAY - datetime.timedelta(days=30)}, "不能早于任务开始日期"),
        ({"outcome": "demand_registered"}, "请选择联系结果"),
        ({"method": "letter"}, "请选择联系方式"),
        ({"outcome": "no_demand", "notes": " "}, "请在情况记录中简要说明"),
    ],
)
def test_an_invalid_attempt_is_refused_with_a_reason(world, change, message):
    target = target_of(make_task(world), world.ent_jimei)
    data = {"contacted_on": TODAY, "method": "phone", "outcome": "contacted", "notes": ""} | change
    with pytest.raises(WorkflowError, match=message):
        tasks_workflow.record_contact_attempt(target, by=world.people.specialist, **data)
    assert ContactAttempt.objects.count() == 0
    target.refresh_from_db()
    assert target.status == TargetStatus.PENDING


def test_the_attempt_form_shows_a_refusal_in_chinese(world, login):
    target = target_of(make_task(world), world.ent_jimei)
    response = login(world.people.specialist).post(
        f"/demands/tasks/targets/{target.pk}/attempt/",
        {"contacted_on": (TODAY + datetime.timedelta(days=3)).isoformat(), "method": "phone", "outcome": "contacted"},
    )
    assert response.status_code == 200 and "联系日期不能晚于今天" in response.content.decode()
    assert ContactAttempt.objects.count() == 0


OUTCOMES = st.sampled_from([s.value for s in tasks_workflow.ATTEMPT_OUTCOMES])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.lists(OUTCOMES, max_size=3), after=st.lists(OUTCOMES, max_size=3), registers=st.booleans())
def test_the_target_status_is_the_last_outcome_until_a_demand_is_registered(world, register, before, after, registers):
    task = make_task(world, targets=[(world.ent_jimei, world.sp_jimei)])
    target = task.targets.get()
    sp = world.people.specialist

    def attempt(outcome):
        tasks_workflow.record_contact_attempt(
            target, by=sp, contacted_on=TODAY, method="phone", outcome=outcome, notes="说明"
        )

    for outcome in before:
        attempt(outcome)
    if registers:
        register(task_target=target)
    for outcome in after:
        attempt(outcome)
    target.refresh_from_db()
    outcomes = before + after
    if registers:
        assert target.status == TargetStatus.DEMAND_REGISTERED and target.demand is not None
    else:
        assert target.status == (outcomes[-1] if outcomes else TargetStatus.PENDING)
    assert target.attempts.count() == len(outcomes)


# --- demands registered from a target ---------------------------------------------------------


def test_a_demand_registered_from_a_target_shows_on_the_task_progress(world, login, register):
    task = make_task(world)
    target = target_of(task, world.ent_jimei)
    client = login(world.people.specialist)
    page = client.get(f"/demands/tasks/{task.pk}/").content.decode()
    assert f"/demands/new/?target={target.pk}" in page
    tasks_workflow.record_contact_attempt(
        target, by=world.people.specialist, contacted_on=TODAY, method="visit", outcome="contacted"
    )
    demand = register(task_target=target)
    demand.refresh_from_db()
    target.refresh_from_db()
    assert demand.special_task == task and target.demand == demand
    assert target.status == TargetStatus.DEMAND_REGISTERED

    page = client.get(f"/demands/tasks/{task.pk}/").content.decode()
    assert demand.number in page and f"/demands/{demand.pk}/" in page
    assert f"/demands/new/?target={target.pk}" not in page, "registered already"
    assert 'data-testid="progress-registered">1<' in page

    listing = login(world.people.admin).get("/demands/tasks/").content.decode()
    assert "已联系 <strong>1</strong> · 已登记需求 <strong>1</strong> / 共 2" in listing

    # The demand's page names its task (and its district) without reading either row again.
    detail = client.get(f"/demands/{demand.pk}/").content.decode()
    assert "<dt>专项服务任务</dt><dd>2026年计量惠企专项行动</dd>" in detail
    assert "所在区：集美区</li>" in detail


def test_the_task_list_costs_the_same_queries_for_one_task_or_many(world, login):
    client = login(world.people.officer_jimei)
    make_task(world)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/demands/tasks/").status_code == 200
        return len(ctx.captured_queries)

    one = queries()
    for n in range(5):
        make_task(world, title=f"任务{n}", targets=[(world.ent_jimei, world.sp_jimei)])
    assert queries() == one


def test_the_task_page_costs_the_same_queries_for_few_or_many_targets(world, login, register):
    from tests.conftest import make_enterprise

    task = make_task(world, targets=[(world.ent_jimei, world.sp_jimei)])
    client = login(world.people.admin)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/demands/tasks/{task.pk}/").status_code == 200
        return len(ctx.captured_queries)

    first = target_of(task, world.ent_jimei)
    tasks_workflow.record_contact_attempt(
        first, by=world.people.specialist, contacted_on=TODAY, method="phone", outcome="contacted"
    )
    register(task_target=first)
    one = queries()
    enterprises = [
        make_enterprise(f"集美企业{i}", world.jimei, credit_code(f"91350211MA0000{i:03d}")) for i in range(3)
    ]
    tasks_workflow.update_task(
        task,
        by=world.people.admin,
        title=task.title,
        starts_on=task.starts_on,
        ends_on=task.ends_on,
        targets=[(world.ent_jimei, world.sp_jimei)] + [(e, world.sp_jimei) for e in enterprises],
    )
    for t in task.targets.exclude(enterprise=world.ent_jimei):
        for outcome in ("unreachable", "contacted"):
            tasks_workflow.record_contact_attempt(
                t, by=world.people.specialist, contacted_on=TODAY, method="phone", outcome=outcome
            )
        register(task_target=t, enterprise=t.enterprise)
    assert queries() == one


# --- API --------------------------------------------------------------------------------------


def api(client, method, url, body=None):
    response = client.generic(method, url, json.dumps(body or {}), content_type="application/json")
    return response.status_code, response.json()


def test_api_creates_lists_and_reads_tasks_with_progress(world, login):
    client = login(world.people.officer_jimei)
    body = {
        "title": "API 创建的任务",
        "starts_on": TODAY.isoformat(),
        "ends_on": (TODAY + datetime.timedelta(days=10)).isoformat(),
        "targets": [{"enterprise": world.ent_jimei.pk, "specialist": world.sp_jimei.pk}],
    }
    status, created = api(client, "POST", "/api/tasks", body)
    assert status == 201 and created["progress"] == {"total": 1, "contacted": 0, "demands_registered": 0}
    status, page = api(client, "GET", "/api/tasks")
    assert status == 200 and [t["title"] for t in page["items"]] == ["API 创建的任务"]

    body["targets"] = [{"enterprise": world.ent_siming.pk, "specialist": world.sp_jimei.pk}]
    status, refused = api(client, "POST", "/api/tasks", body)
    assert status == 422 and "不在您的管理范围内" in refused["detail"][0]["msg"]
    assert SpecialTask.objects.count() == 1


def test_api_specialist_records_an_attempt_and_reads_only_own_targets(world, login):
    task = make_task(world)
    target = target_of(task, world.ent_jimei)
    client = login(world.people.specialist)
    status, page = api(client, "GET", f"/api/tasks/{task.pk}/targets")
    assert status == 200 and [t["enterprise"]["name"] for t in page["items"]] == [world.ent_jimei.name]
    body = {"contacted_on": TODAY.isoformat(), "method": "online", "outcome": "unreachable", "notes": "电话无人接听"}
    status, answer = api(client, "POST", f"/api/tasks/targets/{target.pk}/attempts", body)
    assert status == 201 and answer["status"] == "unreachable" and answer["attempts"][0]["notes"] == "电话无人接听"
    status, _ = api(login(world.people.admin), "POST", f"/api/tasks/targets/{target.pk}/attempts", body)
    assert status == 403
    status, detail = api(client, "GET", f"/api/tasks/{task.pk}")
    assert detail["progress"] == {"total": 1, "contacted": 0, "demands_registered": 0}


def test_api_patch_replaces_the_callers_targets(world, login):
    task = make_task(world)
    client = login(world.people.officer_jimei)
    body = {"title": "新名称", "targets": [{"enterprise": world.ent_huli.pk, "specialist": world.sp_jimei.pk}]}
    status, answer = api(client, "PATCH", f"/api/tasks/{task.pk}", body)
    # 湖里 is not the 集美 officer's district.
    assert status == 422 and SpecialTask.objects.get().title != "新名称"
    body["targets"] = [{"enterprise": world.ent_jimei.pk, "specialist": world.sp_jimei.pk}]
    status, answer = api(client, "PATCH", f"/api/tasks/{task.pk}", body)
    assert status == 200 and answer["title"] == "新名称"
    status, _ = api(login(world.people.specialist), "PATCH", f"/api/tasks/{task.pk}", {"title": "x"})
    assert status == 403
