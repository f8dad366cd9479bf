"""Every figure of the dashboard against the hand-computed data set of conftest.py."""

import datetime
import re

import pytest
from django.utils import timezone

from .conftest import QUERY


def figures(login, user, query=QUERY):
    response = login(user).get(f"/api/reports/dashboard?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def counts(rows):
    return {r["key"]: r["count"] for r in rows}


def test_the_holiday_moves_the_due_date(data):
    # 09-30 + 3 working days: 10-01 … 10-08 are holidays, 10-09 Thu, 10-10 Fri, 10-11 Sat (worked).
    assert data.holiday_due == datetime.date(2025, 10, 11)


def test_demand_figures_of_the_whole_city(world, data, login):
    f = figures(login, world.people.admin)
    assert f["total"]["count"] == 6  # d1 … d6; d7 and d8 fall outside the period
    assert {k: v for k, v in counts(f["by_status"]).items() if v} == {
        "closed": 1,
        "in_service": 1,
        "withdrawn": 1,
        "evaluated": 1,
        "service_ended": 1,
        "registered": 1,
    }
    assert counts(f["by_source"]) == {"onsite": 2, "phone": 2, "web": 1, "other": 1}
    assert counts(f["by_district"]) == {world.jimei.pk: 3, world.siming.pk: 2, world.huli.pk: 1}
    assert counts(f["by_category"]) == {
        "metrology": 3,
        "standardization": 1,
        "inspection_testing": 2,
        "certification_accreditation": 0,
        "quality_management": 1,
        "other": 1,
    }
    # Completed: d1 closed, d4 evaluated, d5 service ended; d3 withdrawn leaves the base.
    assert f["completion"] | {"link": None} == {"completed": 3, "base": 5, "rate": 60.0, "link": None}
    months = {m["key"]: (m["count"], m["open"], m["completed"], m["dropped"]) for m in f["by_month"]}
    assert months == {"2025-09": (2, 1, 1, 0), "2025-10": (4, 1, 2, 1)}


def test_on_time_per_stage_honours_the_holiday_and_the_local_date(world, data, login):
    stages = {
        r["key"]: (r["on_time"], r["late"], r["overdue"], r["rate"])
        for r in figures(login, world.people.admin)["on_time"]
    }
    # preparation: d1 met 10-10 and d2 met 10-11 23:30 (Shanghai) on time against the
    # holiday-shifted 10-11; d4 met 10-12 00:30 Shanghai (still 10-11 in UTC) is late.
    assert stages["preparation"] == (2, 1, 0, 66.7)
    assert stages["agreement"] == (0, 1, 0, 0.0)  # d1 met a day late; d2's is due after the period
    assert stages["summary"] == (0, 0, 1, 0.0)  # d5 still open after 10-24
    assert stages["registration"] == (0, 0, 0, None)  # d6's was cancelled: not counted at all
    assert stages["escalation"] == (0, 0, 0, None)


def test_satisfaction_means_leave_out_demands_without_an_evaluation(world, data, login):
    s = figures(login, world.people.admin)["satisfaction"]
    # d1 42, d4 46, d7 24 (evaluated in the period); d5 has no evaluation and is not a 0.
    assert s["count"] == 3
    assert s["mean_total"] == pytest.approx(37.33)
    assert {i["key"]: i["mean"] for i in s["items"]} == {
        "conduct": pytest.approx(8.67),
        "attitude": 8.0,
        "competence": 8.0,
        "timeliness": pytest.approx(4.67),
        "result": 8.0,
    }


def test_overdue_now_counts_open_deadlines_past_due_whatever_the_period(world, data, login):
    o = figures(login, world.people.admin)["overdue"]
    assert o["count"] == 2  # d5 summary, d2 agreement (due after the period, overdue today)
    assert {s["key"]: s["count"] for s in o["by_stage"] if s["count"]} == {"summary": 1, "agreement": 1}
    assert [i["number"] for i in o["items"]] == ["QI-TEST-0005", "QI-TEST-0002"]  # oldest due first
    assert o["items"][0]["days_late"] == (timezone.localdate() - datetime.date(2025, 10, 24)).days


def test_busiest_and_idlest_specialists(world, data, login):
    s = figures(login, world.people.admin)["specialists"]
    # 陈丽: d4, d5, d8 open of 5; 王建华: d2 open of 5 (d1, d7 closed).
    assert [(r["name"], r["open"], r["capacity"], r["load"]) for r in s["busiest"]] == [
        ("陈丽", 3, 5, 60.0),
        ("王建华", 1, 5, 20.0),
    ]
    assert [r["name"] for r in s["idlest"]] == ["王建华", "陈丽"]
    assert (s["open_total"], s["capacity_total"]) == (4, 10)


def test_institution_load_and_acceptance_rate(world, data, login):
    rows = {r["name"]: r for r in figures(login, world.people.admin)["institutions"]}
    metrology, testing = rows["厦门市计量检定测试院"], rows["厦门市产品质量监督检验院"]
    assert (metrology["open_demands"], metrology["pending"]) == (2, 1)
    assert (metrology["sent"], metrology["accepted"], metrology["declined"], metrology["acceptance_rate"]) == (
        2,
        1,
        0,
        100.0,
    )
    assert (testing["open_demands"], testing["sent"], testing["declined"], testing["acceptance_rate"]) == (0, 1, 1, 0.0)


def test_district_staff_see_their_district_only(world, data, login):
    f = figures(login, world.people.officer_jimei)
    assert f["district"] == "集美区"
    assert f["total"]["count"] == 3
    assert counts(f["by_district"]) == {world.jimei.pk: 3}
    assert f["completion"]["rate"] == 50.0  # d1 closed of d1, d2 (d3 withdrawn)
    assert f["satisfaction"]["count"] == 2  # d1 and d7
    assert f["satisfaction"]["mean_total"] == 33.0
    assert f["overdue"]["count"] == 1  # d2
    assert [r["name"] for r in f["specialists"]["busiest"]] == ["王建华"]
    assert [(r["name"], r["pending"], r["sent"], r["acceptance_rate"]) for r in f["institutions"]] == [
        ("厦门市计量检定测试院", 1, 1, None)
    ]
    # Their own district named explicitly gives the same; another district is not found.
    assert figures(login, world.people.officer_jimei, f"{QUERY}&district={world.jimei.pk}")["total"]["count"] == 3
    client = login(world.people.officer_jimei)
    assert client.get(f"/api/reports/dashboard?{QUERY}&district={world.siming.pk}").status_code == 404
    assert client.get(f"/reports/?{QUERY}&district={world.siming.pk}").status_code == 404


def test_admin_and_auditor_filter_by_district(world, data, login):
    assert figures(login, world.people.auditor)["total"]["count"] == 6
    siming = figures(login, world.people.admin, f"{QUERY}&district={world.siming.pk}")
    assert siming["total"]["count"] == 2
    assert siming["satisfaction"]["count"] == 1


@pytest.mark.parametrize("role", ["specialist", "institution_staff", "enterprise_user", "outsider"])
def test_others_may_not_read_statistics(world, data, login, role):
    client = login(getattr(world.people, role))
    assert client.get("/reports/").status_code == 403
    response = client.get("/api/reports/dashboard")
    assert response.status_code == 403
    assert "total" not in response.json()


def test_a_bad_period_is_refused_with_a_chinese_message(world, data, login):
    client = login(world.people.admin)
    response = client.get("/api/reports/dashboard?period=custom&from=2025-10-31&to=2025-09-01")
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "结束日期不能早于开始日期。"
    page = client.get("/reports/?period=custom&from=2025-13-01&to=2025-10-01")
    assert "开始日期应为 YYYY-MM-DD 格式的日期。" in page.content.decode()
    assert client.get("/reports/export.xlsx?period=nonsense").status_code == 400


LIST_COUNT = re.compile(r"共 (\d+) 条")


def _list_count(client, link):
    response = client.get(link)
    assert response.status_code == 200
    found = LIST_COUNT.search(response.content.decode())
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("role", ["admin", "officer_jimei"])
def test_every_drill_down_lists_as_many_demands_as_its_figure(world, data, login, role):
    user = getattr(world.people, role)
    f, client = figures(login, user), login(user)
    checks = [(f["total"]["count"], f["total"]["link"]), (f["completion"]["completed"], f["completion"]["link"])]
    for group in ("by_status", "by_source", "by_district", "by_category", "by_month"):
        checks += [(r["count"], r["link"]) for r in f[group]]
    for r in f["on_time"]:
        checks += [(r[k], r["links"][k]) for k in ("on_time", "late", "overdue")]
    checks += [(f["satisfaction"]["count"], f["satisfaction"]["link"]), (f["overdue"]["count"], f["overdue"]["link"])]
    checks += [(s["count"], s["link"]) for s in f["overdue"]["by_stage"]]
    checks += [(s["open"], s["list_link"]) for s in f["specialists"]["busiest"]]
    assert sum(n for n, _link in checks) > 20  # the data set gives the links something to show
    wrong = [(n, link, _list_count(client, link)) for n, link in checks if _list_count(client, link) != n]
    assert wrong == []


def test_the_drill_down_list_names_its_hidden_condition(world, data, login):
    f = figures(login, world.people.admin)
    late = next(r for r in f["on_time"] if r["key"] == "preparation")["links"]["late"]
    page = login(world.people.admin).get(late).content.decode()
    assert "时限情况：超时完成" in page and "QI-TEST-0004" in page and "QI-TEST-0001" not in page


def test_the_page_shows_the_figures_charts_and_tables(world, data, login):
    page = login(world.people.admin).get(f"/reports/?{QUERY}").content.decode()
    assert "2025-09-01 至 2025-10-31" in page
    assert page.count("<svg") >= 8 and 'viewBox="0 0 330' in page
    assert 'aria-label="按需求类别：计量 3；标准化 1；检验检测 2' in page  # figures in the chart's label
    assert "<title>计量：3</title>" in page  # the tooltip
    assert re.search(r'data-testid="kpi-completion".*?60\.0%', page, re.S)
    assert re.search(r'data-testid="satisfaction-total">37\.33<', page)
    assert re.search(r'data-testid="on-time-preparation">.*?66\.7%', page, re.S)
    assert 'name="district"' in page  # the admin chooses a district


def test_district_staff_cannot_choose_another_district_on_the_page(world, data, login):
    page = login(world.people.officer_jimei).get(f"/reports/?{QUERY}").content.decode()
    assert '<select class="form-select" name="district"' not in page
    assert 'value="集美区" readonly' in page
    assert "思明区" not in page.split('data-testid="card-district"')[1].split("</section>")[0]


def test_menu_entry_for_the_agency_and_the_auditor_only(world, login):
    for role, shown in [("admin", True), ("officer_jimei", True), ("auditor", True), ("specialist", False)]:
        page = login(getattr(world.people, role)).get("/").content.decode()
        assert ('href="/reports/"' in page) is shown, role
