"""The specialist's page: number of evaluations, mean total and mean per item, the latest."""

from qiservice.demands import workflow

from .helpers import ended_demand

LOW = {"conduct": 8, "attitude": 6, "competence": 6, "timeliness": 0, "result": 10}  # 30
HIGH = {"conduct": 10, "attitude": 10, "competence": 8, "timeliness": 8, "result": 10}  # 46


def evaluate(world, ratings, **kwargs):
    demand, invitation = ended_demand(world, **kwargs)
    workflow.record_evaluation(demand, ratings=ratings, channel="link", invitation=invitation)
    return demand


def section(client, world):
    page = client.get(f"/specialists/{world.sp_jimei.pk}/").content.decode()
    start = page.find('data-testid="satisfaction"')
    return page[start : page.find("</section>", start)] if start >= 0 else ""


def test_the_page_shows_count_mean_total_mean_per_item_and_the_latest(world, login, django_assert_max_num_queries):
    first = evaluate(world, LOW)
    second = evaluate(world, HIGH, mode="assisted")
    shown = section(login(world.people.admin), world)
    assert 'data-testid="satisfaction-count">2<' in shown
    assert 'data-testid="satisfaction-mean">38.0<' in shown
    for label, mean in [
        ("遵纪守法", "9.0"),
        ("服务态度", "8.0"),
        ("服务能力", "7.0"),
        ("服务时效", "4.0"),
        ("服务结果", "10.0"),
    ]:
        assert f'<td>{label}</td><td class="text-end">{mean}</td>' in shown
    assert shown.index(second.number) < shown.index(first.number), "newest first"
    assert "46 / 50" in shown and "30 / 50" in shown

    from qiservice.evaluations.stats import specialist_satisfaction

    with django_assert_max_num_queries(4):
        figures = specialist_satisfaction(world.sp_jimei, world.people.admin)
        list(figures["recent"])


def test_the_specialist_and_the_district_agency_see_it_the_enterprise_does_not(world, login):
    evaluate(world, HIGH)
    for person in ("specialist", "officer_jimei", "auditor"):
        assert "satisfaction-count" in section(login(getattr(world.people, person)), world), person
    client = login(world.people.enterprise_user)
    assert client.get(f"/specialists/{world.sp_jimei.pk}/").status_code == 200, "they see who served them"
    assert section(client, world) == ""


def test_a_specialist_without_evaluations_says_so(world, login):
    assert "暂无满意度评价" in section(login(world.people.specialist), world)
