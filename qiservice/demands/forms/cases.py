"""Forms of typical cases (8.5.2): the nomination, the agency's review, the library's filter."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from qiservice.core.choices import QIField
from qiservice.core.forms import StyledFormMixin

from ..models import TypicalCase


class NominationForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("案例标题"), max_length=100)
    highlights = forms.CharField(
        label=_("典型意义"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("说明该服务的代表性和取得的显著成效。"),
    )
    masked_enterprise = forms.CharField(
        label=_("公开时企业名称"),
        max_length=100,
        help_text=_("案例库中向无权查看该需求的人显示的名称，如“某精密机械企业”，不能包含企业真实名称。"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


DECISIONS = [("approve", _("通过，入库")), ("return", _("退回修改"))]


class ReviewForm(StyledFormMixin, forms.Form):
    decision = forms.ChoiceField(label=_("审核结论"), choices=DECISIONS, widget=forms.RadioSelect)
    publish = forms.BooleanField(label=_("在案例库中公开（以公开名称显示企业）"), required=False, initial=True)
    comments = forms.CharField(
        label=_("审核意见"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("退回时必填，推荐人据此修改后可重新推荐。"),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "return" and not (data.get("comments") or "").strip():
            self.add_error("comments", _("退回时请填写审核意见。"))
        return data


class CaseFilterSet(django_filters.FilterSet):
    """The case library's filter by QI field (the demand's categories)."""

    field = django_filters.ChoiceFilter(label=_("质量基础设施领域"), choices=QIField.choices, method="filter_field")

    class Meta:
        model = TypicalCase
        fields = ["field"]

    def filter_field(self, queryset, name, value):
        return queryset.filter(demand__category_rows__category=value)
