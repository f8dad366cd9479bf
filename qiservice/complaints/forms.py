from django import forms
from django.utils.translation import gettext_lazy as _

from qiservice.core.forms import StyledFormMixin, style_form
from qiservice.core.visibility import get_scope
from qiservice.demands.models import Demand
from qiservice.enterprises.models import Enterprise
from qiservice.specialists.models import Specialist

from .choices import ComplaintStatus


class ComplaintForm(StyledFormMixin, forms.Form):
    """An enterprise user's complaint; the choices hold only their own enterprises'
    demands and the specialists who served them."""

    enterprise = forms.ModelChoiceField(label=_("服务对象"), queryset=Enterprise.objects.none())
    demand = forms.ModelChoiceField(label=_("涉及的服务需求"), queryset=Demand.objects.none(), required=False)
    specialist = forms.ModelChoiceField(label=_("涉及的服务专员"), queryset=Specialist.objects.none(), required=False)
    subject = forms.CharField(label=_("投诉事由"), max_length=100)
    text = forms.CharField(
        label=_("投诉内容"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=_("请写明经过、时间和您的诉求。被投诉的服务专员在答复前看不到投诉内容。"),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        ids = get_scope(user).enterprise_ids
        self.fields["enterprise"].queryset = Enterprise.objects.filter(pk__in=ids)
        if len(ids) == 1:
            self.fields["enterprise"].initial = next(iter(ids))
            self.fields["enterprise"].widget = forms.HiddenInput()
        demands = Demand.objects.filter(enterprise_id__in=ids).order_by("-registered_at")
        self.fields["demand"].queryset = demands
        self.fields["demand"].label_from_instance = lambda d: f"{d.number} {d.description[:20]}"
        self.fields["specialist"].queryset = Specialist.objects.filter(
            pk__in=demands.exclude(specialist=None).values("specialist_id")
        )


class FilterForm(forms.Form):
    """A filter bar: the blank choice reads 全部 (not 请选择)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)

    status = forms.ChoiceField(label=_("状态"), choices=[("", _("全部")), *ComplaintStatus.choices], required=False)
    overdue = forms.BooleanField(label=_("仅看超期"), required=False)
    upheld = forms.ChoiceField(
        label=_("投诉成立"), choices=[("", _("全部")), ("yes", _("成立")), ("no", _("不成立"))], required=False
    )
    q = forms.CharField(label=_("关键字"), required=False, max_length=100)
