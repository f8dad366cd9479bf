"""回访 after a demand closed; further needs start a new demand that follows the old one."""

import datetime
import json

import pytest
from django.utils import timezone

from qiservice.assessments import workflow
from qiservice.assessments.models import ReturnVisit
from qiservice.core.models import AuditLog
from qiservice.demands.choices import DemandStatus
from qiservice.demands.models import Demand

from .helpers import demand

VISIT = {"method": "phone", "enterprise_feedback": "校准后测量稳定", "satisfaction_remark": "很满意"}


@pytest.fixture
def closed_demand(world):
    return demand(
        world,
        by=world.people.specialist,
        registered_on=timezone.localdate() - datetime.timedelta(days=30),
        status=DemandStatus.CLOSED,
        closed_at=timezone.now() - datetime.timedelta(days=2),
    )


def test_only_a_closed_demand_can_be_visited(world, login):
    open_demand = demand(
        world, by=world.people.specialist, registered_on=timezone.localdate(), status=DemandStatus.IN_SERVICE
    )
    with pytest.raises(workflow.AssessmentError, match="只有已办结的需求才能回访"):
        workflow.record_return_visit(open_demand, by=world.people.specialist, **VISIT)
    page = login(world.people.specialist).post(
        f"/assessments/demand/{open_demand.pk}/return-visit/", VISIT | {"visited_on": timezone.localdate()}
    )
    assert "只有已办结的需求才能回访" in page.content.decode()
    response = login(world.people.admin).post(
        f"/api/assessments/demand/{open_demand.pk}/return-visits", json.dumps(VISIT), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "只有已办结的需求才能回访。"
    assert ReturnVisit.objects.count() == 0


def test_the_specialist_records_a_visit_and_the_demand_page_shows_it(world, login, closed_demand):
    client = login(world.people.specialist)
    form = client.get(f"/assessments/demand/{closed_demand.pk}/return-visit/").content.decode()
    assert "记录回访" in form and "将后续需求登记为新需求" in form
    response = client.post(
        f"/assessments/demand/{closed_demand.pk}/return-visit/", VISIT | {"visited_on": timezone.localdate()}
    )
    assert response.status_code == 302
    visit = ReturnVisit.objects.get()
    assert (visit.visited_by, visit.method, visit.new_demand) == (world.people.specialist, "phone", None)
    assert AuditLog.objects.filter(event_type="created", target_id=str(visit.pk), target_repr__contains="回访").exists()
    page = client.get(f"/demands/{closed_demand.pk}/").content.decode()
    assert 'data-testid="return-visits"' in page and "校准后测量稳定" in page


def test_further_needs_start_a_new_demand_that_links_back(world, login, closed_demand):
    visit = workflow.record_return_visit(
        closed_demand,
        by=world.people.specialist,
        further_needs="希望开展标准化体系建设",
        start_demand=True,
        **VISIT,
    )
    new = visit.new_demand
    assert new.follows == closed_demand and new.pk != closed_demand.pk
    assert new.description == "希望开展标准化体系建设"
    assert new.categories == closed_demand.categories and new.source == "phone"
    assert new.enterprise == closed_demand.enterprise and new.specialist == world.sp_jimei
    assert new.status == DemandStatus.REGISTERED
    client = login(world.people.specialist)
    old_page = client.get(f"/demands/{closed_demand.pk}/").content.decode()
    followed = old_page[old_page.find('data-testid="followed-by"') :]
    assert new.number in followed[:400]
    new_page = client.get(f"/demands/{new.pk}/").content.decode()
    assert "源自回访" in new_page and closed_demand.number in new_page[new_page.find('data-testid="follows"') :][:400]


def test_a_new_demand_needs_the_further_needs_and_nothing_is_written_otherwise(world, closed_demand):
    before = Demand.objects.count()
    with pytest.raises(workflow.AssessmentError, match="后续需求"):
        workflow.record_return_visit(closed_demand, by=world.people.specialist, start_demand=True, **VISIT)
    with pytest.raises(workflow.AssessmentError, match="回访日期不能晚于今天"):
        workflow.record_return_visit(
            closed_demand,
            by=world.people.specialist,
            visited_on=timezone.localdate() + datetime.timedelta(days=1),
            **VISIT,
        )
    assert Demand.objects.count() == before and ReturnVisit.objects.count() == 0


def test_who_may_visit(world, login, closed_demand):
    url = f"/assessments/demand/{closed_demand.pk}/return-visit/"
    assert login(world.people.officer_jimei).get(url).status_code == 200
    assert login(world.people.officer_siming).get(url).status_code == 404
    assert login(world.people.specialist_siming).get(url).status_code == 404
    assert login(world.people.enterprise_user).get(url).status_code == 403
    assert login(world.people.auditor).get(url).status_code == 403
    with pytest.raises(workflow.AssessmentError, match="只有管理机构或承办的服务专员"):
        workflow.record_return_visit(closed_demand, by=world.people.enterprise_user, **VISIT)


def test_the_api_lists_and_creates_visits(world, login, closed_demand):
    client = login(world.people.officer_jimei)
    response = client.post(
        f"/api/assessments/demand/{closed_demand.pk}/return-visits",
        json.dumps(VISIT | {"further_needs": "计量器具年度检定", "start_demand": True, "categories": ["metrology"]}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert Demand.objects.get(pk=body["new_demand"]).follows_id == closed_demand.pk
    listed = login(world.people.enterprise_user).get(f"/api/assessments/demand/{closed_demand.pk}/return-visits").json()
    assert [row["enterprise_feedback"] for row in listed] == ["校准后测量稳定"]
    assert (
        login(world.people.specialist_siming)
        .get(f"/api/assessments/demand/{closed_demand.pk}/return-visits")
        .status_code
        == 404
    )
