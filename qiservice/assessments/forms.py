from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qiservice.core.choices import QIField
from qiservice.core.forms import StyledFormMixin, VersionedFormMixin

from .choices import ActionStatus, PeriodKind, VisitMethod
from .models import AssessmentWeights

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("周期"), choices=PeriodKind.choices)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=_("季度"),
        choices=[("", "—"), (1, "1"), (2, "2"), (3, "3"), (4, "4")],
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("年度评估不用选择季度"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class ScoreForm(StyledFormMixin, forms.Form):
    supervisor_score = forms.DecimalField(
        label=_("评议打分（0–100）"), min_value=0, max_value=100, decimal_places=1, max_digits=4
    )
    comments = forms.CharField(label=_("评议意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    is_flagged = forms.BooleanField(label=_("标记需改进"), required=False)
    flag_reason = forms.CharField(label=_("需改进事项"), max_length=200, required=False)


class AcknowledgeForm(StyledFormMixin, forms.Form):
    comment = forms.CharField(label=_("我的意见（选填）"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class WeightsForm(StyledFormMixin, VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = AssessmentWeights
        fields = [*AssessmentWeights.WEIGHT_FIELDS, "excellent_from", "good_from", "pass_from"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class ActionForm(StyledFormMixin, forms.Form):
    owner = forms.ModelChoiceField(
        label=_("责任人"), queryset=None, required=False, help_text=_("不选则为该服务专员本人")
    )
    description = forms.CharField(label=_("改进措施"), widget=forms.Textarea(attrs={"rows": 3}))
    due_on = forms.DateField(label=_("完成期限"), widget=DATE)

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners


class FollowUpForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=ActionStatus.choices)
    follow_up = forms.CharField(label=_("跟踪记录"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    completed_on = forms.DateField(label=_("完成日期"), widget=DATE, required=False, help_text=_("完成时填写"))


class ReturnVisitForm(StyledFormMixin, forms.Form):
    visited_on = forms.DateField(label=_("回访日期"), widget=DATE)
    method = forms.ChoiceField(label=_("回访方式"), choices=VisitMethod.choices)
    enterprise_feedback = forms.CharField(label=_("企业反馈"), widget=forms.Textarea(attrs={"rows": 3}))
    satisfaction_remark = forms.CharField(label=_("满意度说明"), max_length=200, required=False)
    further_needs = forms.CharField(label=_("后续需求"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    start_demand = forms.BooleanField(label=_("将后续需求登记为新需求（源自本次回访）"), required=False)
    categories = forms.MultipleChoiceField(
        label=_("新需求类别"),
        choices=QIField.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("不选则沿用原需求的类别"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].initial = timezone.localdate()
