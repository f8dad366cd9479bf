import django_filters
from django.utils.translation import gettext_lazy as _

from qiservice.accounts.models import District
from qiservice.core.choices import QIField
from qiservice.core.filters import YesNoFilter

from .choices import InstitutionKind
from .models import Institution


class InstitutionFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=InstitutionKind.choices, label=_("机构类型"))
    qi_field = django_filters.ChoiceFilter(choices=QIField.choices, label=_("服务领域"), method="filter_qi_field")
    district = django_filters.ModelChoiceFilter(queryset=District.objects.all(), label=_("所在区"))
    is_active = YesNoFilter(label=_("在库"))

    class Meta:
        model = Institution
        fields = ["kind", "qi_field", "district", "is_active"]

    def filter_qi_field(self, queryset, name, value):
        return queryset.with_field(value)
