"""8.6.3 — improvement actions against low results, followed up in the next period."""

import datetime

import pytest
from django.utils import timezone

from qiservice.assessments import workflow
from qiservice.assessments.models import AssessmentWeights, ImprovementAction

from .conftest import score_all


def low_result(world, period):
    """王建华 scored 0 by the supervisor and flagged."""
    result = period.assessments.get(specialist=world.sp_jimei)
    workflow.score(result, by=world.people.admin, supervisor_score=0, is_flagged=True, flag_reason="时限意识不足")
    result.refresh_from_db()
    return result


def test_an_action_only_for_a_low_or_flagged_result(world, period_2025):
    weights = AssessmentWeights(**dict.fromkeys(AssessmentWeights.WEIGHT_FIELDS, 0) | {"supervisor": 1})
    workflow.save_weights(weights, by=world.people.admin)  # the total is the supervisor's score
    good = period_2025.assessments.get(specialist=world.sp_siming)
    workflow.score(good, by=world.people.admin, supervisor_score=100)
    good.refresh_from_db()
    assert good.grade == "excellent" and not good.is_low
    with pytest.raises(workflow.AssessmentError, match="合格及以下"):
        workflow.add_action(
            good,
            by=world.people.admin,
            owner=world.people.specialist_siming,
            description="x",
            due_on=datetime.date(2026, 1, 1),
        )
    workflow.score(good, by=world.people.admin, supervisor_score=65)
    good.refresh_from_db()
    assert good.grade == "pass" and good.is_low, "合格 is low enough"
    result = low_result(world, period_2025)
    assert result.is_low
    with pytest.raises(workflow.AssessmentError, match="无权"):
        workflow.add_action(
            result,
            by=world.people.officer_siming,
            owner=world.people.specialist,
            description="x",
            due_on=datetime.date(2026, 1, 1),
        )
    action = workflow.add_action(
        result,
        by=world.people.officer_jimei,
        owner=world.people.specialist,
        description="每周自查时限",
        due_on=datetime.date(2026, 3, 31),
    )
    assert action.status == "open" and action.created_by == world.people.officer_jimei
    assert ImprovementAction.objects.count() == 1


def test_overdue_actions_are_listed_for_the_agency(world, login, period_2025):
    result = low_result(world, period_2025)
    workflow.add_action(
        result,
        by=world.people.admin,
        owner=world.people.specialist,
        description="逾期的措施",
        due_on=datetime.date(2026, 1, 31),
    )
    workflow.add_action(
        result,
        by=world.people.admin,
        owner=world.people.specialist,
        description="未到期的措施",
        due_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    page = login(world.people.officer_jimei).get("/assessments/actions/?overdue=1").content.decode()
    assert "逾期的措施" in page and "未到期的措施" not in page
    assert "1 项改进措施已逾期" in login(world.people.admin).get("/assessments/").content.decode()
    assert "逾期的措施" not in login(world.people.officer_siming).get("/assessments/actions/").content.decode()


def test_the_owner_follows_up_and_the_next_period_shows_whether_it_was_done(world, login, period_2025):
    result = low_result(world, period_2025)
    done = workflow.add_action(
        result,
        by=world.people.admin,
        owner=world.people.specialist,
        description="参加时限管理培训",
        due_on=datetime.date(2026, 2, 28),
    )
    workflow.add_action(
        result,
        by=world.people.admin,
        owner=world.people.officer_jimei,
        description="每月督导一次",
        due_on=datetime.date(2026, 3, 31),
    )
    response = login(world.people.specialist).post(
        f"/assessments/actions/{done.pk}/",
        {"status": "done", "follow_up": "已参加2月培训", "completed_on": "2026-02-20"},
    )
    assert response.status_code == 302
    done.refresh_from_db()
    assert (done.status, done.completed_on, done.follow_up) == ("done", datetime.date(2026, 2, 20), "已参加2月培训")
    assert (
        login(world.people.specialist_siming).post(f"/assessments/actions/{done.pk}/", {"status": "open"}).status_code
        == 404
    )

    q1 = workflow.open_period(kind="quarter", year=2026, quarter=1, by=world.people.admin)
    next_result = q1.assessments.get(specialist=world.sp_jimei)
    page = login(world.people.admin).get(f"/assessments/{next_result.pk}/").content.decode()
    section = page[page.find('data-testid="previous-actions"') :]
    assert "参加时限管理培训" in section and "已完成" in section and "2026-02-20" in section
    assert "每月督导一次" in section and "进行中" in section
    other = q1.assessments.get(specialist=world.sp_siming)
    assert "previous-actions" not in login(world.people.admin).get(f"/assessments/{other.pk}/").content.decode()


def test_the_ui_adds_an_action_to_a_low_result(world, login, period_2025):
    result = low_result(world, period_2025)
    client = login(world.people.admin)
    page = client.get(f"/assessments/{result.pk}/").content.decode()
    assert "提出改进措施" in page
    response = client.post(
        f"/assessments/{result.pk}/actions/",
        {"owner": world.people.specialist.pk, "description": "加强回访", "due_on": "2026-06-30"},
    )
    assert response.status_code == 302 and result.actions.get().description == "加强回访"
    bad = client.post(f"/assessments/{result.pk}/actions/", {"owner": world.people.specialist.pk, "description": ""})
    assert "提交未保存" in bad.content.decode() and result.actions.count() == 1


def test_published_low_result_shows_its_actions_to_the_specialist(world, login, period_2025):
    result = low_result(world, period_2025)
    workflow.add_action(
        result,
        by=world.people.admin,
        owner=world.people.officer_jimei,
        description="督导",
        due_on=datetime.date(2026, 3, 31),
    )
    score_all(period_2025, world.people.admin, 0)
    workflow.advance(period_2025, by=world.people.admin)
    workflow.advance(period_2025, by=world.people.admin)
    page = login(world.people.specialist).get("/assessments/mine/").content.decode()
    assert "督导" in page
