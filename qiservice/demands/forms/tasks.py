"""Forms of special service tasks (8.1.2): the task with its targets, and a contact attempt."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qiservice.core.forms import StyledFormMixin, VersionedFormMixin
from qiservice.core.validators import normalize_credit_code
from qiservice.enterprises.models import Enterprise
from qiservice.specialists.choices import SpecialistStatus
from qiservice.specialists.models import Specialist

from ..choices import ContactMethod, TargetStatus
from ..models import SpecialTask, TaskTarget
from ..tasks_workflow import ATTEMPT_OUTCOMES

MAX_LINES = 500


def active_specialists(user):
    return Specialist.objects.restrict(user).filter(status=SpecialistStatus.ACTIVE).order_by("district__code", "name")


def specialist_label(specialist):
    return f"{specialist.name}（{specialist.district.name}）"


class SpecialistChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return specialist_label(obj)


class TaskForm(StyledFormMixin, VersionedFormMixin, forms.ModelForm):
    """The task, and the enterprises to add to it (ticked from a search, or typed one per
    line) with the specialist who is to contact them."""

    enterprises = forms.ModelMultipleChoiceField(
        label=_("勾选要添加的服务对象"), queryset=Enterprise.objects.none(), required=False
    )
    enterprise_lines = forms.CharField(
        label=_("按代码或名称添加"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("每行一个：统一社会信用代码或企业全称")}),
        help_text=_("每行一个统一社会信用代码或企业全称，可从表格中粘贴。"),
    )
    specialist = SpecialistChoiceField(
        label=_("负责联系的服务专员"),
        queryset=Specialist.objects.none(),
        required=False,
        help_text=_("新增的服务对象都由该专员联系；保存后可在上方逐个调整。"),
    )

    class Meta:
        model = SpecialTask
        fields = ["title", "programme", "starts_on", "ends_on", "description"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.in_scope = Enterprise.objects.restrict(user)
        self.fields["enterprises"].queryset = self.in_scope
        self.fields["specialist"].queryset = active_specialists(user).select_related("district")
        self.fields["enterprises"].widget = forms.MultipleHiddenInput()

    def clean_enterprise_lines(self):
        """Each line names an enterprise in the user's scope by credit code or full name."""
        lines = [line.strip() for line in self.cleaned_data.get("enterprise_lines", "").splitlines()]
        lines = [line for line in lines if line]
        if len(lines) > MAX_LINES:
            raise forms.ValidationError(_("一次最多添加%(n)d家服务对象。") % {"n": MAX_LINES})
        codes = {normalize_credit_code(line) for line in lines}
        found = self.in_scope.filter(Q(credit_code__in=codes) | Q(name__in=lines)).only("pk", "name", "credit_code")
        by_code, by_name = {}, {}
        for enterprise in found:
            by_code[enterprise.credit_code] = enterprise
            by_name.setdefault(enterprise.name, []).append(enterprise)
        result, errors = [], []
        for number, line in enumerate(lines, start=1):
            enterprise = by_code.get(normalize_credit_code(line))
            if enterprise is None:
                named = by_name.get(line, [])
                if len(named) > 1:
                    errors.append(
                        _("第%(n)d行“%(text)s”：有多家同名企业，请改填统一社会信用代码。") % {"n": number, "text": line}
                    )
                    continue
                enterprise = named[0] if named else None
            if enterprise is None:
                errors.append(
                    _("第%(n)d行“%(text)s”：未找到该服务对象，或不在您的管理范围内。") % {"n": number, "text": line}
                )
                continue
            result.append(enterprise)
        if errors:
            raise forms.ValidationError(errors)
        return result

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("结束日期不能早于开始日期。"))
        new = []
        for enterprise in list(data.get("enterprises") or []) + list(data.get("enterprise_lines") or []):
            if enterprise.pk not in {e.pk for e in new}:
                new.append(enterprise)
        self.new_enterprises = new
        if new and not data.get("specialist") and "specialist" not in self.errors:
            self.add_error("specialist", _("请为新增的服务对象选择负责联系的服务专员。"))
        if not self.instance.pk and not new and not self.errors:
            self.add_error("enterprise_lines", _("请至少添加一个目标服务对象。"))
        return data

    @property
    def selected_enterprises(self):
        """The ticked enterprises to show again when the form comes back with errors."""
        if not self.is_bound:
            return []
        ids = [v for v in self.data.getlist(self.add_prefix("enterprises")) if str(v).isdigit()]
        return list(self.in_scope.filter(pk__in=ids).select_related("district").order_by("name")) if ids else []

    def new_pairs(self):
        specialist = self.cleaned_data.get("specialist")
        return [(e, specialist) for e in self.new_enterprises]


class TargetRowForm(StyledFormMixin, forms.ModelForm):
    """One target already on the task: its specialist can be changed, or it can be removed."""

    specialist = SpecialistChoiceField(label=_("服务专员"), queryset=Specialist.objects.none())

    class Meta:
        model = TaskTarget
        fields = ["specialist"]


class BaseTargetFormSet(forms.BaseModelFormSet):
    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        current = {f.instance.specialist_id for f in self.forms}
        queryset = (
            Specialist.objects.restrict(user)
            .filter(Q(status=SpecialistStatus.ACTIVE) | Q(pk__in=current))
            .select_related("district")
            .order_by("district__code", "name")
        )
        choices = [(s.pk, specialist_label(s)) for s in queryset]
        for form in self.forms:
            field = form.fields["specialist"]
            field.queryset = queryset
            field.choices = choices  # evaluated once for every row

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("移出")
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"

    def wanted_pairs(self):
        """(enterprise, specialist) of the rows kept."""
        return [
            (form.instance.enterprise, form.cleaned_data.get("specialist") or form.instance.specialist)
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


TargetFormSet = forms.modelformset_factory(
    TaskTarget, form=TargetRowForm, formset=BaseTargetFormSet, extra=0, can_delete=True
)


class ContactAttemptForm(StyledFormMixin, forms.Form):
    contacted_on = forms.DateField(
        label=_("联系日期"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    method = forms.ChoiceField(label=_("联系方式"), choices=ContactMethod.choices, widget=forms.RadioSelect)
    outcome = forms.ChoiceField(
        label=_("联系结果"),
        choices=[(s.value, s.label) for s in ATTEMPT_OUTCOMES],
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label=_("情况记录"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("企业的情况、意向，下一步安排")}),
    )


class TaskFilterSet(django_filters.FilterSet):
    """The task list's filter: where the task stands against today."""

    period = django_filters.ChoiceFilter(
        label=_("任务期"),
        choices=[("current", _("进行中")), ("upcoming", _("未开始")), ("ended", _("已结束"))],
        method="filter_period",
    )

    class Meta:
        model = SpecialTask
        fields = ["period"]

    def filter_period(self, queryset, name, value):
        today = timezone.localdate()
        if value == "current":
            return queryset.filter(starts_on__lte=today, ends_on__gte=today)
        if value == "upcoming":
            return queryset.filter(starts_on__gt=today)
        return queryset.filter(ends_on__lt=today)


class TargetFilterForm(forms.Form):
    """The filter of the targets on a task's page."""

    status = forms.ChoiceField(
        label=_("对接状态"), choices=[("", _("全部")), *list(TargetStatus.choices)], required=False
    )
    q = forms.CharField(label=_("企业名称"), required=False)
