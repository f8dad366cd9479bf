"""The figures of the agency's dashboard (4.2 supervision, 8.6 evaluation), from aggregate
queries: one query per figure group, nothing loaded row by row to be counted.

`dashboard(view, period)` returns plain data (numbers, strings, links) that the page, the
JSON API and both export files render. `view` says which districts are reported: the
district staff's own, forced; the agency admin's and the auditor's choice.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Case, Count, F, FloatField, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from qiservice.accounts.models import District
from qiservice.core.choices import QIField
from qiservice.deadlines.choices import Stage
from qiservice.deadlines.models import Deadline
from qiservice.deadlines.outcomes import open_overdue
from qiservice.demands.choices import OPEN_STATUSES, DemandSource, DemandStatus, DispatchStatus
from qiservice.evaluations.choices import ITEMS
from qiservice.institutions.models import Institution
from qiservice.specialists.choices import SpecialistStatus
from qiservice.specialists.models import Specialist

from .counters import CITY
from .models import (
    CategoryCount,
    CategoryMonthCount,
    DeadlineCount,
    DeadlineMonthCount,
    DemandDayCount,
    DemandMonthCount,
    DispatchDayCount,
    DispatchMonthCount,
    EvaluationDayCount,
    EvaluationMonthCount,
    InstitutionLoad,
    OpenDueCount,
)
from .periods import month_end

# A demand whose service has ended (and what follows) is complete; withdrawn and cancelled
# demands leave the denominator of the completion rate.
COMPLETED_STATUSES = [
    DemandStatus.SERVICE_ENDED,
    DemandStatus.SUMMARY_SUBMITTED,
    DemandStatus.EVALUATED,
    DemandStatus.CLOSED,
]
DROPPED_STATUSES = [DemandStatus.WITHDRAWN, DemandStatus.CANCELLED]
RANKED = 5  # busiest and idlest specialists shown
OVERDUE_LISTED = 10


@dataclass(frozen=True)
class View:
    """The districts a dashboard covers: None for the whole city."""

    district_ids: tuple | None
    district: District | None = None  # the one district chosen, if any


def _pct(part, whole):
    return round(part * 100 / whole, 1) if whole else None


def split(start, end, before=None):
    """[start, end] as the first days of the whole months inside it (with `before`, only
    months that end before that day) and the day ranges left over at its edges: the counters
    of a whole month are one row per key in the month tables instead of one per day."""
    first = start if start.day == 1 else month_end(start) + datetime.timedelta(days=1)
    months = []
    while month_end(first) <= end and (before is None or month_end(first) < before):
        months.append(first)
        first = month_end(first) + datetime.timedelta(days=1)
    if not months:
        return [], [(start, end)]
    edges = []
    if start < months[0]:
        edges.append((start, months[0] - datetime.timedelta(days=1)))
    if month_end(months[-1]) < end:
        edges.append((month_end(months[-1]) + datetime.timedelta(days=1), end))
    return months, edges


def _list_url(*pairs, path=None, **params):
    """The demand list with these filters (status may repeat)."""
    query = [(k, v) for k, v in pairs] + [(k, v) for k, v in params.items() if v not in (None, "")]
    return (path or reverse("demands:list")) + "?" + urlencode(query)


class Figures:
    def __init__(self, view, period, today=None, months=True):
        self.view, self.period = view, period
        self.today = today or timezone.localdate()
        self.months = months  # read whole months from the month tables (off: every day)
        self.list_path = reverse("demands:list")  # a few hundred links below start with it
        self.base_params = {"district": view.district.pk if view.district else None}
        self.period_params = {
            "registered_from": period.start.isoformat(),
            "registered_to": period.end.isoformat(),
            **self.base_params,
        }

    # --- the querysets every group starts from ----------------------------------------------

    def _by_district(self, queryset, path="district_id"):
        if self.view.district_ids is None:
            return queryset
        return queryset.filter(**{f"{path}__in": self.view.district_ids})

    def _months(self, queryset, districts=False):
        """Month-table rows of the view: the whole city's own rows (counters.CITY), one per
        key instead of one per district and key; with `districts`, the districts' rows."""
        if self.view.district_ids is None and not districts:
            return queryset.filter(district_id=CITY)
        if self.view.district_ids is None:
            return queryset.exclude(district_id=CITY)
        return self._by_district(queryset)

    def counted(self, day_model, month_model, field, before=None):
        """The counter rows (counters.py) of the period: one queryset over the month table
        for the whole months, one over the day table for the days at the edges. Every group
        sums over both. In the whole-city view the month rows are the city's (district id
        counters.CITY), not the districts'."""
        months, edges = self._split(before)
        querysets = []
        if months:
            querysets.append(self._months(self._in_months(month_model, field, months)))
        if edges:
            days = Q()
            for first, last in edges:
                days |= Q(**{f"{field}__gte": first, f"{field}__lte": last})
            querysets.append(self._by_district(day_model.objects.filter(days)))
        return [queryset.order_by() for queryset in querysets]

    def _split(self, before=None):
        start, end = self.period.start, self.period.end
        return split(start, end, before) if self.months else ([], [(start, end)])

    @staticmethod
    def _in_months(month_model, field, months):
        return month_model.objects.filter(**{f"{field}__gte": months[0], f"{field}__lte": months[-1]})

    def demand_counts(self):
        return self.counted(DemandDayCount, DemandMonthCount, "registered_on")

    def link(self, *pairs, **params):
        return self.list_url(*pairs, **(self.period_params | params))

    def list_url(self, *pairs, **params):
        return _list_url(*pairs, path=self.list_path, **params)

    # --- the groups --------------------------------------------------------------------------

    def overview(self):
        """Demands registered in the period by status, source and district (one query), and
        the completion rate."""
        cube = [
            row
            for counts in self.demand_counts()
            for row in counts.values_list("status", "source", "district_id").annotate(n=Sum("n"))
        ]
        by_status, by_source, by_district = defaultdict(int), defaultdict(int), defaultdict(int)
        total = 0
        for status, source, district_id, n in cube:
            by_status[status] += n
            by_source[source] += n
            by_district[district_id] += n
            total += n
        months, _edges = self._split()
        if months and self.view.district_ids is None:
            # The whole city's month rows have no districts: the whole months by district
            # from the districts' rows (one figure per district, not per status and source).
            by_district.pop(CITY, None)
            districts_rows = self._months(self._in_months(DemandMonthCount, "registered_on", months), districts=True)
            for district_id, n in districts_rows.order_by().values_list("district_id").annotate(n=Sum("n")):
                by_district[district_id] += n
        completed = sum(by_status[s] for s in COMPLETED_STATUSES)
        dropped = sum(by_status[s] for s in DROPPED_STATUSES)
        districts = self._by_district(District.objects.all(), "pk").order_by("code")
        return {
            "total": {"count": total, "link": self.link()},
            "completion": {
                "completed": completed,
                "base": total - dropped,
                "rate": _pct(completed, total - dropped),
                "link": self.link(*[("status", s) for s in COMPLETED_STATUSES]),
            },
            "by_status": [
                {"key": value, "label": str(label), "count": by_status[value], "link": self.link(status=value)}
                for value, label in DemandStatus.choices
            ],
            "by_source": [
                {"key": value, "label": str(label), "count": by_source[value], "link": self.link(source=value)}
                for value, label in DemandSource.choices
            ],
            "by_district": [
                {"key": d.pk, "label": d.name, "count": by_district[d.pk], "link": self.link(district=d.pk)}
                for d in districts
            ],
        }

    def by_category(self):
        """A demand with several categories counts in each (Appendix A allows several). From
        the per-day counts the database keeps (counters.py)."""
        rows = defaultdict(int)
        for counts in self.counted(CategoryCount, CategoryMonthCount, "registered_on"):
            for category, n in counts.values_list("category").annotate(n=Sum("n")):
                rows[category] += n
        return [
            {"key": value, "label": str(label), "count": rows.get(value) or 0, "link": self.link(category=value)}
            for value, label in QIField.choices
        ]

    def by_month(self):
        """Registered per month, split into in progress / completed / withdrawn or cancelled.
        Grouped by day (or month) in SQL (portable and index-only), folded into months here."""
        rows = [
            row
            for counts in self.demand_counts()
            for row in counts.values_list("registered_on", "status").annotate(n=Sum("n"))
        ]
        months = {m: {"open": 0, "completed": 0, "dropped": 0} for m in self.period.months()}
        for day, status, n in rows:
            bucket = (
                "completed" if status in COMPLETED_STATUSES else "dropped" if status in DROPPED_STATUSES else "open"
            )
            months[(day.year, day.month)][bucket] += n
        out = []
        for (year, month), counts in months.items():
            first = max(datetime.date(year, month, 1), self.period.start)
            last = min(month_end(datetime.date(year, month, 1)), self.period.end)
            month_params = {"registered_from": first.isoformat(), "registered_to": last.isoformat()}
            out.append(
                {
                    "key": f"{year}-{month:02d}",
                    "label": f"{year}-{month:02d}",
                    "count": sum(counts.values()),
                    **counts,
                    "link": self.link(**month_params),
                }
            )
        return out

    def on_time(self):
        """Per stage, of the deadlines due in the period: met on time, met late, still open
        after the due date. From the per-day counts the database keeps (counters.py); a
        deadline counts once (a stage met twice, e.g. after a declined dispatch, counts twice).
        Met deadlines come from the month rows of whole months; open ones past their due date
        from those of months that ended before today ("overdue" depends on the day)."""
        p = self.period
        rows = defaultdict(lambda: defaultdict(int))
        for counts in self.counted(DeadlineCount, DeadlineMonthCount, "due_on"):
            met = counts.filter(outcome__in=["on_time", "late"]).values_list("stage", "outcome").annotate(n=Sum("n"))
            for stage, outcome, n in met:
                rows[stage][outcome] += n
        for counts in self.counted(DeadlineCount, DeadlineMonthCount, "due_on", before=self.today):
            overdue = counts.filter(outcome="open", due_on__lt=self.today).values_list("stage").annotate(n=Sum("n"))
            for stage, n in overdue:
                rows[stage]["overdue"] += n
        out = []
        due = {"deadline_due_from": p.start.isoformat(), "deadline_due_to": p.end.isoformat(), **self.base_params}
        for value, label in Stage.choices:
            row = rows.get(value, {})
            counts = {k: row.get(k) or 0 for k in ("on_time", "late", "overdue")}
            decided = sum(counts.values())
            out.append(
                {
                    "key": value,
                    "label": str(label),
                    **counts,
                    "decided": decided,
                    "rate": _pct(counts["on_time"], decided),
                    "links": {
                        k: self.list_url(**due, deadline_stage=value, deadline_outcome=k)
                        for k in ("on_time", "late", "overdue")
                    },
                }
            )
        return out

    def satisfaction(self):
        """Appendix C: mean per item and of the total over the evaluations submitted in the
        period. A demand without an evaluation is not in the mean (not a zero)."""
        p = self.period
        sums = defaultdict(int)
        for counts in self.counted(EvaluationDayCount, EvaluationMonthCount, "submitted_on"):
            summed = counts.aggregate(
                count=Sum("n"), **{f"sum_{name}": Sum(name) for name in ("total", *(n for n, _l in ITEMS))}
            )
            for key, value in summed.items():
                sums[key] += value or 0
        count = sums["count"]
        figures = {"count": count, "mean_total": sums["sum_total"] / count if count else None}
        figures |= {f"mean_{name}": sums[f"sum_{name}"] / count if count else None for name, _label in ITEMS}

        def rounded(value):
            return round(float(value), 2) if value is not None else None

        return {
            "count": figures["count"],
            "mean_total": rounded(figures["mean_total"]),
            "items": [
                {"key": name, "label": str(label), "mean": rounded(figures[f"mean_{name}"])} for name, label in ITEMS
            ],
            "link": self.list_url(
                evaluated_from=p.start.isoformat(), evaluated_to=p.end.isoformat(), **self.base_params
            ),
        }

    def overdue_now(self):
        """Deadlines open past their due date today, whatever the period. The counts come
        from the counters the database keeps (counters.py), not from the open rows: whole
        months before this one from the month table, this month's days from the day table."""
        this_month = self.today.replace(day=1)
        if self.months:
            counts = [
                self._months(DeadlineMonthCount.objects.filter(outcome="open", due_on__lt=this_month)),
                self._by_district(
                    DeadlineCount.objects.filter(outcome="open", due_on__gte=this_month, due_on__lt=self.today)
                ),
            ]
        else:
            counts = [self._by_district(DeadlineCount.objects.filter(outcome="open", due_on__lt=self.today))]
        per_stage = defaultdict(int)
        for queryset in counts:
            for stage, n in queryset.order_by().values_list("stage").annotate(n=Sum("n")):
                per_stage[stage] += n
        total = self._by_district(OpenDueCount.objects.filter(due_on__lt=self.today)).aggregate(n=Sum("n"))["n"] or 0
        deadlines = self._by_district(Deadline.objects.filter(open_overdue(self.today)), "demand__district_id")
        items = (
            deadlines.select_related("demand__enterprise", "demand__specialist")
            .only(
                "stage",
                "due_on",
                "demand__number",
                "demand__enterprise__name",
                "demand__specialist__name",
            )
            .order_by("due_on", "pk")[:OVERDUE_LISTED]
        )
        stage_labels = dict(Stage.choices)
        return {
            "count": total,
            "link": self.list_url(deadline_outcome="overdue", **self.base_params),
            "by_stage": [
                {
                    "key": value,
                    "label": str(label),
                    "count": per_stage.get(value) or 0,
                    "link": self.list_url(deadline_outcome="overdue", deadline_stage=value, **self.base_params),
                }
                for value, label in Stage.choices
            ],
            "items": [
                {
                    "number": d.demand.number,
                    "enterprise": d.demand.enterprise.name,
                    "specialist": d.demand.specialist.name if d.demand.specialist_id else "",
                    "stage": str(stage_labels[d.stage]),
                    "due_on": d.due_on.isoformat(),
                    "days_late": (self.today - d.due_on).days,
                    "link": reverse("demands:detail", args=[d.demand_id]),
                }
                for d in items
            ],
        }

    def specialists(self):
        """Active specialists' open demands against their capacity: the busiest and the idlest.
        The open counts are the counters the database keeps; the ranking is done in SQL."""
        open_demands = Coalesce(F("open_load__open_demands"), 0)
        specialists = self._by_district(Specialist.objects.filter(status=SpecialistStatus.ACTIVE)).annotate(
            open=open_demands,
            # No capacity: ranked as the busiest (as a load without a limit).
            load=Case(
                When(capacity__gt=0, then=F("open") * 100.0 / F("capacity")),
                default=Value(1e9),
                output_field=FloatField(),
            ),
        )
        totals = specialists.aggregate(count=Count("pk"), open_total=Sum("open"), capacity_total=Sum("capacity"))
        fields = ("pk", "name", "capacity", "open")

        def shown(pk, name, capacity, n):
            return {
                "id": pk,
                "name": name,
                "open": n,
                "capacity": capacity,
                "load": _pct(n, capacity),
                "link": reverse("specialists:detail", args=[pk]),
                "list_link": self.list_url(*[("status", s) for s in OPEN_STATUSES], specialist=pk),
            }

        idlest = specialists.order_by("load", "open", "name").values_list(*fields)[:RANKED]
        busiest = specialists.order_by("-load", "-open", "-name").values_list(*fields)[:RANKED]
        return {
            "count": totals["count"],
            "open_total": totals["open_total"] or 0,
            "capacity_total": totals["capacity_total"] or 0,
            "busiest": [shown(*row) for row in busiest],
            "idlest": [shown(*row) for row in idlest],
        }

    def institutions(self):
        """Each institution's open dispatches (now) and acceptance rate of the dispatches it
        answered among those sent in the period, from the counters the database keeps."""
        # Live dispatches on open demands: the counters the database keeps (counters.py).
        load = {
            row["institution_id"]: row
            for row in self._by_district(InstitutionLoad.objects.all())
            .order_by()
            .values("institution_id")
            .annotate(pending=Sum("pending"), active=Sum("active"))
        }
        answered = defaultdict(lambda: defaultdict(int))
        for counts in self.counted(DispatchDayCount, DispatchMonthCount, "dispatched_on"):
            for row in counts.values("institution_id").annotate(
                sent=Sum("n"),
                accepted=Sum("n", filter=Q(status=DispatchStatus.ACCEPTED)),
                declined=Sum("n", filter=Q(status=DispatchStatus.DECLINED)),
            ):
                for key in ("sent", "accepted", "declined"):
                    answered[row["institution_id"]][key] += row[key] or 0
        ids = {pk for pk, row in load.items() if row["pending"] or row["active"]} | set(answered)
        rows = []
        for pk, name in Institution.objects.filter(pk__in=ids).values_list("pk", "name"):
            lo, an = load.get(pk, {}), answered.get(pk, {})
            accepted, declined = an.get("accepted") or 0, an.get("declined") or 0
            rows.append(
                {
                    "id": pk,
                    "name": name,
                    "pending": lo.get("pending") or 0,
                    "open_demands": (lo.get("pending") or 0) + (lo.get("active") or 0),
                    "sent": an.get("sent") or 0,
                    "accepted": accepted,
                    "declined": declined,
                    "acceptance_rate": _pct(accepted, accepted + declined),
                    "link": reverse("institutions:detail", args=[pk]),
                }
            )
        rows.sort(key=lambda r: (-r["open_demands"], -r["sent"], r["name"]))
        return rows

    def all(self):
        return {
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "preset": self.period.preset,
            "district": self.view.district.name if self.view.district else None,
            "today": self.today.isoformat(),
            **self.overview(),
            "by_category": self.by_category(),
            "by_month": self.by_month(),
            "on_time": self.on_time(),
            "satisfaction": self.satisfaction(),
            "overdue": self.overdue_now(),
            "specialists": self.specialists(),
            "institutions": self.institutions(),
        }


def dashboard(view, period, today=None, months=True):
    return Figures(view, period, today, months).all()
