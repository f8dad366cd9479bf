"""The reporting period: a preset (this month, last month, this quarter, this year) or
custom dates, parsed from the query string the same way by the page, the API and the
exports."""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PRESETS = [
    ("month", gettext_lazy("本月")),
    ("last_month", gettext_lazy("上月")),
    ("quarter", gettext_lazy("本季度")),
    ("year", gettext_lazy("本年")),
    ("custom", gettext_lazy("自定义")),
]
DEFAULT_PRESET = "month"
# A custom period longer than this is refused: the month chart would be unreadable and
# the queries would scan the whole table.
MAX_DAYS = 366 * 5


class PeriodError(ValueError):
    """A period the user asked for that cannot be reported (message in Chinese)."""


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive
    preset: str

    @property
    def label(self):
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"

    @property
    def kind(self):
        """月报 or 季报 (or 年报 / 统计报告) for the Word report's title."""
        if self.preset in ("month", "last_month"):
            return _("月报")
        if self.preset == "quarter":
            return _("季报")
        if self.preset == "year":
            return _("年报")
        return _("统计报告")

    def months(self):
        """(year, month) of every month the period touches, in order."""
        year, month = self.start.year, self.start.month
        out = []
        while (year, month) <= (self.end.year, self.end.month):
            out.append((year, month))
            month += 1
            if month > 12:
                year, month = year + 1, 1
        return out

    def query(self):
        """The query string naming this period."""
        if self.preset == "custom":
            return f"period=custom&from={self.start.isoformat()}&to={self.end.isoformat()}"
        return f"period={self.preset}"


def month_end(day):
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def preset_period(preset, today):
    if preset == "month":
        start = today.replace(day=1)
        return Period(start, month_end(start), preset)
    if preset == "last_month":
        end = today.replace(day=1) - datetime.timedelta(days=1)
        return Period(end.replace(day=1), end, preset)
    if preset == "quarter":
        first_month = (today.month - 1) // 3 * 3 + 1
        start = today.replace(month=first_month, day=1)
        return Period(start, month_end(start.replace(month=first_month + 2)), preset)
    if preset == "year":
        return Period(today.replace(month=1, day=1), today.replace(month=12, day=31), preset)
    raise PeriodError(_("未知的统计期间：%(value)s。") % {"value": preset})


def _date(value, name):
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise PeriodError(_("%(name)s应为 YYYY-MM-DD 格式的日期。") % {"name": name}) from None


def parse_period(params, today=None):
    """The period named by `params` (a QueryDict or dict): `period` is one of the presets;
    `custom` needs `from` and `to`. Raises PeriodError with a Chinese message."""
    today = today or timezone.localdate()
    preset = params.get("period") or DEFAULT_PRESET
    if preset != "custom":
        return preset_period(preset, today)
    start = _date(params.get("from"), _("开始日期"))
    end = _date(params.get("to"), _("结束日期"))
    if end < start:
        raise PeriodError(_("结束日期不能早于开始日期。"))
    if (end - start).days >= MAX_DAYS:
        raise PeriodError(_("自定义期间最长五年。"))
    return Period(start, end, "custom")
