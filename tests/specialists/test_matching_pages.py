from qiservice.demands import workflow
from qiservice.demands.models import Assignment
from qiservice.specialists import matching
from qiservice.specialists.models import MatchingWeights


def officer_demand(world, **kwargs):
    data = {
        "enterprise": world.ent_jimei,
        "categories": ["metrology"],
        "source": "phone",
        "contact_name": "张经理",
        "contact_phone": "13800001111",
        "description": "压力表和电子秤需要计量器具检定",
    }
    data.update(kwargs)
    return workflow.register_demand(by=world.people.officer_jimei, **data)


def test_the_agency_sees_explained_suggestions_and_assigns_with_one_click(world, login):
    world.sp_jimei.expertise = "计量器具检定校准"
    world.sp_jimei.save()
    matching.refresh_tokens(world.sp_jimei)
    demand = officer_demand(world)
    client = login(world.people.officer_jimei)
    page = client.get(f"/specialists/match/{demand.pk}/").content.decode()
    assert page.count('data-testid="candidate"') == 1, "the 集美 officer ranks the specialists of 集美"
    assert "王建华" in page and "领域匹配" in page and "同区" in page
    response = client.post(f"/specialists/match/{demand.pk}/assign/{world.sp_jimei.pk}/", {"version": demand.version})
    assert response.status_code == 302
    assignment = Assignment.objects.get(demand=demand)
    assert (assignment.specialist, assignment.status) == (world.sp_jimei, "pending")


def test_a_stale_one_click_assignment_is_refused(world, login):
    demand = officer_demand(world)
    client = login(world.people.officer_jimei)
    response = client.post(
        f"/specialists/match/{demand.pk}/assign/{world.sp_jimei.pk}/", {"version": demand.version - 1}, follow=True
    )
    assert "已被他人更新" in response.content.decode()
    assert not Assignment.objects.filter(demand=demand).exists()


def test_automatic_assignment_of_the_top_suggestion(world):
    MatchingWeights.objects.create(auto_assign=True)
    demand = officer_demand(world)
    demand.refresh_from_db()
    assert demand.specialist == world.sp_jimei
    assert Assignment.objects.get(demand=demand).status == "pending"


def test_weights_are_set_by_the_admin_and_all_zero_is_refused(world, login):
    client = login(world.people.admin)
    zero = {f"{f}_weight": 0 for f in matching.FACTORS}
    response = client.post("/specialists/matching/weights/", zero)
    assert "不能全部为零" in response.content.decode()
    assert not MatchingWeights.objects.exists()
    client.post("/specialists/matching/weights/", {**zero, "field_weight": 10})
    assert MatchingWeights.current().field_weight == 10
    assert login(world.people.officer_jimei).get("/specialists/matching/weights/").status_code == 403


def test_institution_suggestions_and_dispatch(world, login):
    sp = world.people.specialist
    demand = workflow.register_demand(
        by=sp,
        enterprise=world.ent_jimei,
        categories=["metrology"],
        source="onsite",
        contact_name="张",
        contact_phone="13800001111",
        description="三坐标测量机校准",
    )
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, plan_notes="计划", content={"metrology": "校准"}, risks={})
    workflow.confirm(demand, by=sp, mode="assisted", reason="需要检定资质")
    workflow.escalate(demand, by=sp, reason="需要协助", needs="计量器具检定校准")
    demand.refresh_from_db()
    client = login(world.people.officer_jimei)
    page = client.get(f"/specialists/match/{demand.pk}/institutions/").content.decode()
    assert page.index("厦门市计量检定测试院") < page.index("厦门市产品质量监督检验院")
    response = client.post(
        f"/specialists/match/{demand.pk}/institutions/",
        {"institutions": [world.metrology.pk], "version": demand.version},
    )
    assert response.status_code == 302
    demand.refresh_from_db()
    assert demand.status == "dispatched"
    refused = login(world.people.officer_siming).get(f"/specialists/match/{demand.pk}/institutions/")
    assert refused.status_code == 404
