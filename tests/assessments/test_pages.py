"""The pages and the API: who sees which result, scoring and acknowledging through the UI,
the weights page, and the specialist's own page."""

import json

from qiservice.assessments import workflow
from qiservice.assessments.models import AssessmentWeights

from .conftest import score_all


def mine(period, world):
    return period.assessments.get(specialist=world.sp_jimei)


def other(period, world):
    return period.assessments.get(specialist=world.sp_siming)


def test_the_agency_sees_the_ranking_the_district_staff_their_district(world, login, period_2025):
    page = login(world.people.admin).get(f"/assessments/periods/{period_2025.pk}/").content.decode()
    assert "王建华" in page and "陈丽" in page and 'data-testid="ranking"' in page
    page = login(world.people.officer_jimei).get(f"/assessments/periods/{period_2025.pk}/").content.decode()
    assert "王建华" in page and "陈丽" not in page
    assert login(world.people.officer_jimei).get(f"/assessments/{other(period_2025, world).pk}/").status_code == 404


def test_a_specialist_never_sees_another_result_nor_their_own_before_publication(world, login, period_2025):
    client = login(world.people.specialist)
    assert client.get(f"/assessments/{mine(period_2025, world).pk}/").status_code == 404
    assert client.get(f"/api/assessments/{mine(period_2025, world).pk}").status_code == 404
    score_all(period_2025, world.people.admin)
    workflow.advance(period_2025, by=world.people.admin)
    workflow.advance(period_2025, by=world.people.admin)
    own = client.get(f"/assessments/{mine(period_2025, world).pk}/").content.decode()
    assert "王建华" in own and 'data-testid="total"' in own and "确认评估结果" in own
    assert client.get(f"/assessments/{other(period_2025, world).pk}/").status_code == 404
    assert client.get(f"/api/assessments/{other(period_2025, world).pk}").status_code == 404
    listed = client.get(f"/api/assessments/periods/{period_2025.pk}/assessments").json()
    assert [row["specialist_name"] for row in listed] == ["王建华"]
    # The period page sends the specialist to their own result.
    response = client.get(f"/assessments/periods/{period_2025.pk}/")
    assert response.status_code == 302 and response.url == f"/assessments/{mine(period_2025, world).pk}/"


def test_scoring_and_acknowledging_through_the_ui_and_the_api(world, login, period_2025):
    admin = login(world.people.admin)
    response = admin.post(
        f"/assessments/{mine(period_2025, world).pk}/score/", {"supervisor_score": "88", "comments": "服务细致"}
    )
    assert response.status_code == 302
    assert mine(period_2025, world).supervisor_comments == "服务细致"
    bad = admin.post(f"/assessments/{mine(period_2025, world).pk}/score/", {"supervisor_score": "120"})
    assert "120" not in str(mine(period_2025, world).supervisor_score) and "提交未保存" in bad.content.decode()
    response = login(world.people.officer_jimei).post(
        f"/api/assessments/{mine(period_2025, world).pk}/score",
        json.dumps({"supervisor_score": 77, "comments": "区里评议"}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["supervisor_score"] == "77.0"
    assert {row["key"] for row in response.json()["rows"]} >= {"collected", "on_time", "satisfaction", "training"}
    score_all(period_2025, world.people.admin)
    workflow.advance(period_2025, by=world.people.admin)
    workflow.advance(period_2025, by=world.people.admin)
    client = login(world.people.specialist)
    response = client.post(
        f"/api/assessments/{mine(period_2025, world).pk}/acknowledge",
        json.dumps({"comment": "已阅"}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["acknowledged_at"]
    assert mine(period_2025, world).specialist_comment == "已阅"
    page = client.get("/assessments/mine/").content.decode()
    assert "2025年度" in page and "已确认" in page


def test_the_weights_page_refuses_all_zeros_and_changes_nothing(world, login, period_2025):
    client = login(world.people.admin)
    data = dict.fromkeys(AssessmentWeights.WEIGHT_FIELDS, 0) | {"excellent_from": 90, "good_from": 80, "pass_from": 60}
    page = client.post("/assessments/weights/", data).content.decode()
    assert "权重不能全部为零" in page
    assert not AssessmentWeights.objects.exists()
    response = client.post("/assessments/weights/", data | {"satisfaction": 1})
    assert response.status_code == 302 and AssessmentWeights.objects.get().satisfaction == 1
    total = mine(period_2025, world).total
    assert float(total) == mine(period_2025, world).scores["satisfaction"]
    assert login(world.people.officer_jimei).get("/assessments/weights/").status_code == 403


def test_the_admin_opens_a_period_from_the_list(world, login):
    client = login(world.people.admin)
    response = client.post("/assessments/", {"kind": "quarter", "year": 2025, "quarter": 3})
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "2025年第3季度" in page and "王建华" in page
    again = client.post("/assessments/", {"kind": "quarter", "year": 2025, "quarter": 3}).content.decode()
    assert "不能重复发起" in again


def test_the_specialist_page_shows_work_deadlines_satisfaction_training_and_results(world, login, published_2025):
    page = login(world.people.specialist).get("/assessments/mine/").content.decode()
    assert 'data-testid="open-count">1<' in page  # d4 is in service
    assert 'data-testid="training-hours">0 / 16<' in page  # this year (2026): none yet
    satisfaction = page[page.find('data-testid="my-satisfaction"') :]
    assert satisfaction.index("50 / 50") < satisfaction.index("30 / 50"), "newest first"
    deadlines = page[page.find('data-testid="my-deadlines"') : page.find('data-testid="my-satisfaction"')]
    assert "2025-12-29" in deadlines and "已逾期" in deadlines
    assert "2025年度" in page[page.find('data-testid="my-results"') :]
    detail = login(world.people.specialist).get(f"/specialists/{world.sp_jimei.pk}/").content.decode()
    assert 'data-testid="specialist-assessments"' in detail and "2025年度" in detail
    assert login(world.people.officer_jimei).get("/assessments/mine/").status_code == 403


def test_the_enterprise_sees_no_assessment_on_the_specialist_page(world, login, published_2025):
    page = login(world.people.enterprise_user).get(f"/specialists/{world.sp_jimei.pk}/").content.decode()
    assert "specialist-assessments" not in page
