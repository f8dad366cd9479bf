from django import forms
from django.utils.translation import gettext_lazy as _

from qiservice.core.forms import StyledFormMixin

from .models import DeadlinePolicy, Holiday


class HolidayForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["date", "kind", "name"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}
        error_messages = {"date": {"unique": _("该日期已登记，请修改原记录。")}}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class PolicyForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = DeadlinePolicy
        fields = ["working_days", "remind_days_before", "is_active"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
