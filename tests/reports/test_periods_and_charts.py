"""Periods (presets and custom dates) and the SVG charts."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qiservice.reports import charts
from qiservice.reports.periods import PeriodError, parse_period

DAYS = st.dates(min_value=datetime.date(2004, 1, 1), max_value=datetime.date(2099, 12, 31))


@given(today=DAYS, preset=st.sampled_from(["month", "last_month", "quarter", "year"]))
def test_every_preset_is_a_whole_calendar_unit(today, preset):
    p = parse_period({"period": preset}, today)
    assert p.start <= p.end and p.start.day == 1
    assert (p.end + datetime.timedelta(days=1)).day == 1  # ends on a month's last day
    if preset == "last_month":
        assert p.end < today.replace(day=1) and p.end + datetime.timedelta(days=1) == today.replace(day=1)
    else:
        assert p.start <= today <= p.end
    assert len(p.months()) == {"month": 1, "last_month": 1, "quarter": 3, "year": 12}[preset]


@given(a=DAYS, b=DAYS)
def test_custom_period_is_accepted_exactly_when_it_runs_forwards_within_five_years(a, b):
    params = {"period": "custom", "from": a.isoformat(), "to": b.isoformat()}
    if b < a or (b - a).days >= 366 * 5:
        with pytest.raises(PeriodError):
            parse_period(params, a)
    else:
        p = parse_period(params, a)
        assert (p.start, p.end) == (a, b)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "custom", "from": "2025-02-30", "to": "2025-03-01"}, "开始日期应为 YYYY-MM-DD 格式的日期。"),
        ({"period": "custom", "from": "2025-02-01"}, "结束日期应为 YYYY-MM-DD 格式的日期。"),
        ({"period": "decade"}, "未知的统计期间：decade。"),
    ],
)
def test_bad_periods_say_why(params, message):
    with pytest.raises(PeriodError, match=message):
        parse_period(params, datetime.date(2025, 6, 1))


def test_bar_chart_is_responsive_labelled_linked_and_escaped():
    svg = str(
        charts.bar_chart(
            [{"label": "<计量>", "value": 3, "link": "/demands/?a=1&b=2"}, {"label": "标准化", "value": 0}],
            title="类别",
        )
    )
    assert svg.startswith('<svg class="qi-chart" viewBox="0 0 330 92" width="100%" role="img"')
    assert 'aria-label="类别：&lt;计量&gt; 3；标准化 0"' in svg
    assert "<title>&lt;计量&gt;：3</title>" in svg and "<計量>" not in svg and "<计量>" not in svg
    assert '<a href="/demands/?a=1&amp;b=2">' in svg
    assert 'width="326.0"' in svg  # the largest value fills the width


def test_stacked_months_and_donut_state_their_figures():
    months = [
        {"label": "2025-09", "open": 1, "completed": 1, "dropped": 0},
        {"label": "2025-10", "open": 1, "completed": 2, "dropped": 1},
    ]
    svg = str(
        charts.stacked_months(
            months, title="按月", series=[("open", "办理中"), ("completed", "已完成"), ("dropped", "撤回")]
        )
    )
    assert "2025-10 办理中 1，已完成 2，撤回 1" in svg and ">9月<" in svg and ">10月<" in svg
    assert "<title>2025-10：办理中 1，已完成 2，撤回 1，合计 4</title>" in svg
    assert 'aria-label="完成率：60%，3 / 5"' in str(charts.donut(60.0, title="完成率", caption="3 / 5"))
    assert "暂无数据" in str(charts.bar_chart([], title="空"))


def test_the_total_above_the_tallest_month_stays_clear_of_the_legend():
    """The legend takes the top 30 units; a 13-unit total label sits above its bar."""
    import re

    months = [{"label": "2025-10", "open": 54, "completed": 0, "dropped": 0}]
    svg = str(charts.stacked_months(months, title="按月", series=[("open", "办理中")]))
    total = re.search(r'<text x="[\d.]+" y="([\d.]+)" font-size="13"[^>]*>54</text>', svg)
    assert total and float(total.group(1)) - 13 >= 30


def test_month_totals_too_wide_for_their_slot_stand_upright_clear_of_the_legend():
    """Twelve five-digit months: a total across would overlap its neighbours' (the year
    view of a province), so each stands upright above its bar, below the legend."""
    import re

    months = [{"label": f"2026-{m:02d}", "open": 20000 + m * 101, "completed": 0} for m in range(1, 13)]
    svg = str(charts.stacked_months(months, title="按月", series=[("open", "办理中"), ("completed", "已完成")]))
    pattern = r'<text x="([\d.]+)" y="([\d.]+)" font-size="13" transform="rotate\(-90 [^"]+\)"[^>]*>(\d+)<'
    upright = re.findall(pattern, svg)
    assert [int(n) for _x, _y, n in upright] == [20000 + m * 101 for m in range(1, 13)]
    for _x, y, n in upright:
        assert float(y) - len(n) * 0.6 * 13 >= 30  # the text runs up from its baseline, not into the legend
    # Short totals stay across, centred on their bars.
    few = [{"label": "2026-01", "open": 54}, {"label": "2026-02", "open": 7}]
    assert "rotate(" not in str(charts.stacked_months(few, title="按月", series=[("open", "办理中")]))


def test_a_province_charts_its_busiest_districts_and_lists_them_all():
    from qiservice.reports.views import DISTRICTS_CHARTED, charted_districts

    rows = [{"key": k, "label": f"区{k:02d}", "count": (k * 37) % 61, "link": f"/d/{k}"} for k in range(60)]
    shown, note = charted_districts(rows)
    assert len(shown) == DISTRICTS_CHARTED == 12
    assert [r["count"] for r in shown] == sorted((r["count"] for r in rows), reverse=True)[:12]
    assert note == "共 60 个区，图中为登记需求最多的 12 个，全部见数据表。"
    # A city's few districts are charted as they are, in their own order, without a note.
    assert charted_districts(rows[:6]) == (rows[:6], "")
