import django_filters
from django.utils.translation import gettext_lazy as _

from qiservice.accounts.models import District
from qiservice.core.choices import QIField

from .choices import SpecialistStatus
from .models import Specialist


def _districts(request):
    return District.objects.restrict(request.user) if request else District.objects.none()


class SpecialistFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=SpecialistStatus.choices, label=_("状态"))
    district = django_filters.ModelChoiceFilter(queryset=_districts, label=_("所属区"))
    qi_field = django_filters.ChoiceFilter(choices=QIField.choices, label=_("专业领域"), field_name="fields__field")

    class Meta:
        model = Specialist
        fields = ["status", "district", "qi_field"]
