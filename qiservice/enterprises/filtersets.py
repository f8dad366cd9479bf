import django_filters
from django.utils.translation import gettext_lazy as _

from qiservice.accounts.models import District
from qiservice.core.filters import YesNoFilter

from .choices import EnterpriseSize, Industry
from .models import Enterprise


def _districts(request):
    return District.objects.restrict(request.user) if request else District.objects.none()


class EnterpriseFilterSet(django_filters.FilterSet):
    district = django_filters.ModelChoiceFilter(queryset=_districts, label=_("所在区"))
    industry = django_filters.ChoiceFilter(choices=Industry.choices, label=_("所属行业"))
    size = django_filters.ChoiceFilter(choices=EnterpriseSize.choices, label=_("企业规模"))
    verified = YesNoFilter(field_name="profile_verified_at", lookup_expr="isnull", exclude=True, label=_("信息已核实"))

    class Meta:
        model = Enterprise
        fields = ["district", "industry", "size", "verified"]
