"""List pages that had none and are exported: the work ledger (Appendix B) across demands
and the satisfaction evaluations (Appendix C). Both show the rows of the demands the user
may see (`Demand.objects.restrict`)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from qiservice.accounts.models import District
from qiservice.core.picker import PickerFilter
from qiservice.core.tables import Column
from qiservice.core.views import ObjectListView
from qiservice.demands.models import Demand, LedgerEntry
from qiservice.demands.timeline import internal_demands
from qiservice.evaluations.choices import EvaluationChannel
from qiservice.evaluations.models import Evaluation
from qiservice.specialists.models import Specialist

DATE_INPUT = django_filters.widgets.forms.DateInput(attrs={"type": "date"})


def _districts(request):
    return District.objects.restrict(request.user) if request else District.objects.none()


def _specialists(request):
    return Specialist.objects.restrict(request.user).only("id", "name") if request else Specialist.objects.none()


def visible_demand_ids(user):
    return Demand.objects.restrict(user).values("pk")


class LedgerFilterSet(django_filters.FilterSet):
    number = django_filters.CharFilter(field_name="demand__number", lookup_expr="iexact", label=_("需求编号"))
    district = django_filters.ModelChoiceFilter(field_name="demand__district", queryset=_districts, label=_("所在区"))
    entry_from = django_filters.DateFilter(
        field_name="entry_on", lookup_expr="gte", label=_("日期从"), widget=DATE_INPUT
    )
    entry_to = django_filters.DateFilter(field_name="entry_on", lookup_expr="lte", label=_("日期至"), widget=DATE_INPUT)

    class Meta:
        model = LedgerEntry
        fields = ["number", "district", "entry_from", "entry_to"]


class LinkColumn(Column):
    """A cell linking to the entry's demand (a ledger entry has no page of its own)."""

    def render(self, obj):
        from django.utils.html import format_html

        return format_html('<a href="{}">{}</a>', obj.demand.get_absolute_url(), self.value(obj))


class LedgerListView(ObjectListView):
    """Appendix B rows of every demand the user may see, for a period and a district."""

    model = LedgerEntry
    title = _("工作台账")
    filterset_class = LedgerFilterSet
    search_fields = ("problem", "handling", "enterprise_contact", "demand__enterprise__name")
    default_sort = ("-entry_on", "-created_at", "-pk")
    export_name = "ledger"
    columns = (
        LinkColumn("demand.number", _("需求编号"), sort="demand__number", primary=True),
        Column("demand.enterprise", _("服务对象")),
        Column("entry_on", _("日期"), sort="entry_on"),
        Column("enterprise_contact", _("服务对象对接人员")),
        Column("problem", _("处理的问题")),
        Column("demand.specialist", _("服务专员")),
        Column("author", _("记录人")),
    )

    def get_queryset(self):
        # The ledger is an internal working record: only of the demands whose internal
        # records the user reads (never the enterprise's users, nor an institution still
        # deciding on a dispatch).
        return LedgerEntry.objects.filter(demand_id__in=internal_demands(self.request.user)).select_related(
            "demand__enterprise", "demand__specialist", "author"
        )


class EvaluationFilterSet(django_filters.FilterSet):
    district = django_filters.ModelChoiceFilter(field_name="demand__district", queryset=_districts, label=_("所在区"))
    specialist = PickerFilter(queryset=_specialists, label=_("服务专员"), picker_url="specialists:picker")
    channel = django_filters.ChoiceFilter(choices=EvaluationChannel.choices, label=_("评价方式"))
    submitted_from = django_filters.DateFilter(
        field_name="submitted_at", lookup_expr="date__gte", label=_("评价日期从"), widget=DATE_INPUT
    )
    submitted_to = django_filters.DateFilter(
        field_name="submitted_at", lookup_expr="date__lte", label=_("评价日期至"), widget=DATE_INPUT
    )

    class Meta:
        model = Evaluation
        fields = ["district", "specialist", "channel", "submitted_from", "submitted_to"]


class EvaluationListView(ObjectListView):
    """Appendix C evaluations of the demands the user may see."""

    model = Evaluation
    title = _("满意度评价")
    filterset_class = EvaluationFilterSet
    search_fields = ("demand__number", "demand__enterprise__name", "suggestions")
    default_sort = ("-submitted_at", "-pk")
    export_name = "evaluations"
    columns = (
        LinkColumn("demand.number", _("需求编号"), sort="demand__number", primary=True),
        Column("demand.enterprise", _("服务对象")),
        Column("specialist", _("服务专员"), sort="specialist__name"),
        Column("total", _("总分"), sort="total"),
        Column("channel", _("评价方式"), sort="channel"),
        Column("submitted_at", _("评价时间"), sort="submitted_at"),
    )

    def get_queryset(self):
        return Evaluation.objects.filter(demand_id__in=visible_demand_ids(self.request.user)).select_related(
            "demand__enterprise", "specialist"
        )
