import django_filters
from django.utils.translation import gettext_lazy as _

from qiservice.accounts.models import District
from qiservice.core.choices import QIField
from qiservice.core.picker import PickerFilter
from qiservice.deadlines.choices import Stage
from qiservice.deadlines.outcomes import OUTCOMES
from qiservice.institutions.models import Institution
from qiservice.specialists.models import Specialist

from .choices import DemandSource, DemandStatus
from .models import Demand, SpecialTask
from .search import search_demands  # noqa: F401 (the list, the API and exports import it from here)


# The scoped option lists read only what an option shows (its id and its name).
def _districts(request):
    return District.objects.restrict(request.user).only("id", "name") if request else District.objects.none()


def _specialists(request):
    # Looked up by id (a chosen one) or searched by name; never listed whole.
    return Specialist.objects.restrict(request.user).only("id", "name") if request else Specialist.objects.none()


def _tasks(request):
    return SpecialTask.objects.restrict(request.user).only("id", "title") if request else SpecialTask.objects.none()


def _institutions(request):
    return Institution.objects.restrict(request.user).only("id", "name") if request else Institution.objects.none()


class DemandFilterSet(django_filters.FilterSet):
    """The demand list's filters, shared by the UI and the API. Choice lists are scoped."""

    # A column of the demand itself: no join, so no DISTINCT (django-filter's default), which
    # made the database sort whole rows and the pages skip the list's own index (issue 9).
    status = django_filters.MultipleChoiceFilter(choices=DemandStatus.choices, label=_("状态"), distinct=False)
    category = django_filters.ChoiceFilter(choices=QIField.choices, label=_("需求类别"), method="filter_category")
    source = django_filters.ChoiceFilter(choices=DemandSource.choices, label=_("来源"))
    district = django_filters.ModelChoiceFilter(queryset=_districts, label=_("所在区"))
    # The pool is a thousand people in a city: a picker, not a <select> of them all.
    specialist = PickerFilter(queryset=_specialists, label=_("服务专员"), picker_url="specialists:picker")
    institution = django_filters.ModelChoiceFilter(
        queryset=_institutions, label=_("技术机构"), method="filter_institution"
    )
    special_task = django_filters.ModelChoiceFilter(queryset=_tasks, label=_("专项服务任务"))
    registered_from = django_filters.DateFilter(
        field_name="registered_on",
        lookup_expr="gte",
        label=_("登记日期从"),
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )
    registered_to = django_filters.DateFilter(
        field_name="registered_on",
        lookup_expr="lte",
        label=_("登记日期至"),
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )
    # Drill-down filters of the statistics (reports): demands evaluated in a period, and
    # demands with a deadline of a stage that turned out a given way (due in a period).
    evaluated_from = django_filters.DateFilter(
        field_name="evaluation__submitted_at", lookup_expr="date__gte", label=_("评价日期从")
    )
    evaluated_to = django_filters.DateFilter(
        field_name="evaluation__submitted_at", lookup_expr="date__lte", label=_("评价日期至")
    )
    deadline_outcome = django_filters.ChoiceFilter(choices=OUTCOMES, label=_("时限情况"), method="filter_deadline")
    deadline_stage = django_filters.ChoiceFilter(choices=Stage.choices, label=_("时限环节"), method="filter_deadline")
    deadline_due_from = django_filters.DateFilter(label=_("截止日期从"), method="filter_deadline")
    deadline_due_to = django_filters.DateFilter(label=_("截止日期至"), method="filter_deadline")

    class Meta:
        model = Demand
        fields = [
            "status",
            "category",
            "source",
            "district",
            "specialist",
            "institution",
            "special_task",
            "registered_from",
            "registered_to",
            "evaluated_from",
            "evaluated_to",
            "deadline_outcome",
            "deadline_stage",
            "deadline_due_from",
            "deadline_due_to",
        ]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if data.get("deadline_outcome") or data.get("deadline_stage"):
            queryset = queryset.filter(pk__in=self.matching_deadlines(data).values("demand_id"))
        return queryset

    def filter_deadline(self, queryset, name, value):
        return queryset  # the four deadline filters act together in filter_queryset

    @staticmethod
    def matching_deadlines(data):
        from django.utils import timezone

        from qiservice.deadlines.models import Deadline
        from qiservice.deadlines.outcomes import outcome_q

        deadlines = Deadline.objects.all()
        if data.get("deadline_outcome"):
            deadlines = deadlines.filter(outcome_q(data["deadline_outcome"], timezone.localdate()))
        if data.get("deadline_stage"):
            deadlines = deadlines.filter(stage=data["deadline_stage"])
        if data.get("deadline_due_from"):
            deadlines = deadlines.filter(due_on__gte=data["deadline_due_from"])
        if data.get("deadline_due_to"):
            deadlines = deadlines.filter(due_on__lte=data["deadline_due_to"])
        return deadlines

    def filter_category(self, queryset, name, value):
        return queryset.filter(category_rows__category=value)

    def filter_institution(self, queryset, name, value):
        from .models import Dispatch

        return queryset.filter(pk__in=Dispatch.objects.filter(institution=value).values("demand_id"))
