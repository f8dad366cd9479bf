"""Opening, computing, scoring, publishing and acknowledging an assessment period."""

import datetime
from decimal import Decimal

import pytest

from qiservice.assessments import workflow
from qiservice.assessments.models import Assessment, AssessmentPeriod, AssessmentWeights
from qiservice.core.models import AuditLog
from qiservice.evaluations.models import Evaluation
from qiservice.specialists.choices import SpecialistStatus

from .conftest import score_all
from .helpers import EXPECTED_JIMEI_2025, at, demand, evaluate


def mine(period, world):
    return period.assessments.get(specialist=world.sp_jimei)


def test_opening_a_year_assesses_every_active_specialist_from_the_records(world, period_2025):
    assert period_2025.name == "2025年度"
    assert (period_2025.starts_on, period_2025.ends_on) == (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    assert set(period_2025.assessments.values_list("specialist__name", flat=True)) == {"王建华", "陈丽"}
    result = mine(period_2025, world)
    assert result.indicators == EXPECTED_JIMEI_2025
    assert result.total is not None and result.rank in (1, 2)
    assert AuditLog.objects.filter(target_id=str(period_2025.pk), event_type="created").exists()


def test_only_the_admin_opens_a_period_once_and_not_before_it_starts(world):
    for person, message in (
        (world.people.officer_jimei, "只有管理机构管理员"),
        (world.people.auditor, "只有管理机构管理员"),
    ):
        with pytest.raises(workflow.AssessmentError, match=message):
            workflow.open_period(kind="year", year=2025, by=person)
    workflow.open_period(kind="quarter", year=2025, quarter=4, by=world.people.admin)
    with pytest.raises(workflow.AssessmentError, match="不能重复发起"):
        workflow.open_period(kind="quarter", year=2025, quarter=4, by=world.people.admin)
    with pytest.raises(workflow.AssessmentError, match="尚未开始"):
        workflow.open_period(kind="year", year=2099, by=world.people.admin)
    with pytest.raises(workflow.AssessmentError, match="季度"):
        workflow.open_period(kind="quarter", year=2025, quarter=5, by=world.people.admin)
    assert AssessmentPeriod.objects.count() == 1


def test_a_suspended_specialist_is_not_assessed(world):
    world.sp_siming.status = SpecialistStatus.SUSPENDED
    world.sp_siming.save()
    period = workflow.open_period(kind="year", year=2025, by=world.people.admin)
    assert list(period.assessments.values_list("specialist__name", flat=True)) == ["王建华"]


def test_open_results_follow_the_records_scored_results_do_not(world, period_2025):
    d = demand(world, by=world.people.specialist, registered_on=datetime.date(2025, 6, 1))
    evaluate(d, world.sp_jimei, 10, at(2025, 6, 20))  # a 50: mean (40 + 30 + 50) / 3 = 40
    assert mine(period_2025, world).indicators["satisfaction_mean"] == 35.0, "stored, not live"
    workflow.recompute(period_2025, by=world.people.admin)
    assert mine(period_2025, world).indicators["satisfaction_mean"] == 40.0
    assert mine(period_2025, world).indicators["collected"] == 3

    workflow.advance(period_2025, by=world.people.admin)  # scored: frozen
    frozen = mine(period_2025, world).indicators
    Evaluation.objects.filter(demand=d).delete()
    with pytest.raises(workflow.AssessmentError, match="不再重新计算"):
        workflow.recompute(period_2025, by=world.people.admin)
    assert mine(period_2025, world).indicators == frozen


def test_the_district_staff_score_their_specialists_only(world, period_2025):
    jimei, siming = mine(period_2025, world), period_2025.assessments.get(specialist=world.sp_siming)
    workflow.score(jimei, by=world.people.officer_jimei, supervisor_score="85.5", comments="积极主动")
    jimei.refresh_from_db()
    assert jimei.supervisor_score == Decimal("85.5") and jimei.scored_by == world.people.officer_jimei
    assert jimei.scores["supervisor"] == 85.5
    for person in (world.people.officer_jimei, world.people.auditor, world.people.specialist_siming):
        with pytest.raises(workflow.AssessmentError, match="无权评议"):
            workflow.score(siming, by=person, supervisor_score=90)
    for bad in ("101", "-1", "abc", "nan"):
        with pytest.raises(workflow.AssessmentError, match="0 到 100"):
            workflow.score(jimei, by=world.people.admin, supervisor_score=bad)
    with pytest.raises(workflow.AssessmentError, match="需改进的事项"):
        workflow.score(jimei, by=world.people.admin, supervisor_score=70, is_flagged=True)
    jimei.refresh_from_db()
    assert jimei.supervisor_score == Decimal("85.5"), "a refused score changes nothing"
    assert AuditLog.objects.filter(target_id=str(jimei.pk), event_type="updated").count() == 1


def test_publishing_needs_every_score_then_results_are_fixed(world, period_2025):
    workflow.advance(period_2025, by=world.people.admin)
    with pytest.raises(workflow.AssessmentError, match="2 名服务专员未评议"):
        workflow.advance(period_2025, by=world.people.admin)
    score_all(period_2025, world.people.admin, 90)
    period = workflow.advance(period_2025, by=world.people.admin)
    assert period.status == "published" and period.published_at is not None
    with pytest.raises(workflow.AssessmentError, match="已公布"):
        workflow.score(mine(period, world), by=world.people.admin, supervisor_score=10)
    # New weights re-total open and scored periods, never a published one.
    before = mine(period, world).total
    weights = AssessmentWeights.current()
    weights.supervisor = 100
    workflow.save_weights(weights, by=world.people.admin)
    assert mine(period, world).total == before


def test_weights_re_total_an_open_period_and_all_zeros_are_refused(world, period_2025):
    score_all(period_2025, world.people.admin, 100)
    weights = AssessmentWeights.current()
    for name in AssessmentWeights.WEIGHT_FIELDS:
        setattr(weights, name, 0)
    weights.supervisor = 1
    workflow.save_weights(weights, by=world.people.admin)
    assert {a.total for a in period_2025.assessments.all()} == {Decimal("100.0")}
    weights.supervisor = 0
    with pytest.raises(Exception, match="权重不能全部为零"):
        workflow.save_weights(weights, by=world.people.admin)
    assert AssessmentWeights.objects.get().supervisor == 1


def test_ranks_are_one_to_n_by_total(world, period_2025):
    workflow.score(mine(period_2025, world), by=world.people.admin, supervisor_score=100)
    workflow.score(period_2025.assessments.get(specialist=world.sp_siming), by=world.people.admin, supervisor_score=0)
    rows = list(Assessment.objects.filter(period=period_2025).order_by("rank"))
    assert [r.rank for r in rows] == [1, 2]
    assert rows[0].total >= rows[1].total


def test_the_specialist_acknowledges_their_published_result_with_a_comment(world, published_2025):
    result = mine(published_2025, world)
    with pytest.raises(workflow.AssessmentError, match="本人"):
        workflow.acknowledge(result, by=world.people.specialist_siming)
    workflow.acknowledge(result, by=world.people.specialist, comment="同意，将加强时限管理")
    result.refresh_from_db()
    assert result.acknowledged_at is not None and result.specialist_comment == "同意，将加强时限管理"
    workflow.advance(published_2025, by=world.people.admin)  # closed
    with pytest.raises(workflow.AssessmentError, match="不能确认"):
        workflow.acknowledge(result, by=world.people.specialist, comment="改")
