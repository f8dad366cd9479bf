"""The forms of the demand page: one per workflow action and per record a user may add.

Every form carries the demand's `version` as a hidden field; the view passes it to the
rules function as `expected_version`, so a change made by someone else in between is
refused (and the form is shown again with what was typed). The forms only parse input;
the rules in `workflow.py` decide whether it may be written.
"""

from django import forms
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qiservice.core.choices import QIField, qi_field_labels
from qiservice.core.forms import StyledFormMixin
from qiservice.enterprises.choices import EnterpriseSize

from ..choices import OPEN_STATUSES, AttachmentStage, NoteKind, RiskKind, ServiceMethod, ServiceMode


def date_input():
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def text_area(rows=3, placeholder=""):
    attrs = {"rows": rows}
    if placeholder:
        attrs["placeholder"] = placeholder
    return forms.Textarea(attrs=attrs)


class VersionedActionForm(StyledFormMixin, forms.Form):
    """The base of every form on the demand page: the demand's version travels with it."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # A form that carries a file names the field and the attachment stage; the view stores
    # the file through workflow.add_attachment before it calls the rules function.
    upload_field = None
    upload_stage = AttachmentStage.OTHER
    upload_flag_field = None

    def __init__(self, *args, demand=None, user=None, **kwargs):
        self.demand = demand
        self.user = user
        super().__init__(*args, **kwargs)
        if demand is not None and "version" not in self.initial:
            self.initial["version"] = demand.version
        for field in self.fields.values():
            if isinstance(field.widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
                field.widget.attrs["class"] = "form-check-input flex-shrink-0 mt-1"

    def rules_kwargs(self, attachment=None):
        """The keyword arguments of the rules function (besides by= and expected_version=)."""
        return {}

    def sections(self):
        """(legend, fields) groups for the page; most forms are one group."""
        return [("", [f for f in self if not f.is_hidden])]


# --- transitions -------------------------------------------------------------------------


class ConfirmActionForm(VersionedActionForm):
    """A transition without input (开始服务准备, 接单, 开始服务实施, 服务结束)."""


class ServiceModeForm(VersionedActionForm):
    """8.3 — direct service or assistance, with the reason."""

    mode = forms.ChoiceField(label=_("服务方式"), choices=ServiceMode.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("判断理由"),
        widget=text_area(3, _("例如：需求在本人专业范围内，可直接服务；或需检定资质，需上报协助")),
    )

    def rules_kwargs(self, attachment=None):
        return {"mode": self.cleaned_data["mode"], "reason": self.cleaned_data["reason"]}


class AgreementForm(VersionedActionForm):
    """8.4.1 a / 8.4.2 b — the signed service agreement, with an optional scanned copy."""

    period_start = forms.DateField(label=_("服务周期开始"), widget=date_input())
    period_end = forms.DateField(label=_("服务周期结束"), widget=date_input())
    method = forms.ChoiceField(label=_("服务方式"), choices=ServiceMethod.choices, widget=forms.RadioSelect)
    signed_on = forms.DateField(label=_("签订日期"), widget=date_input())
    content = forms.CharField(label=_("服务内容"), widget=text_area(4))
    scan = forms.FileField(label=_("协议扫描件"), required=False, help_text=_("可选：PDF 或图片，上传后随协议保存"))
    scan_is_trade_secret = forms.BooleanField(
        label=_("扫描件含商业秘密（仅承办人员和管理机构管理员可见）"), required=False
    )

    upload_field = "scan"
    upload_stage = AttachmentStage.AGREEMENT
    upload_flag_field = "scan_is_trade_secret"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("signed_on", timezone.localdate())
        self.initial.setdefault("period_start", timezone.localdate())

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("服务周期的结束日期不能早于开始日期。"))
        return data

    def rules_kwargs(self, attachment=None):
        data = self.cleaned_data
        return {
            "period_start": data["period_start"],
            "period_end": data["period_end"],
            "content": data["content"],
            "method": data["method"],
            "signed_on": data["signed_on"],
            "scan": attachment,
        }


class PlanForm(VersionedActionForm):
    """8.4.1 b / 8.4.2 c — objectives and resources; the milestones come in a formset."""

    objectives = forms.CharField(label=_("服务目标"), widget=text_area(3))
    resources = forms.CharField(label=_("资源安排"), required=False, widget=text_area(2, _("人员、设备、经费等")))

    def rules_kwargs(self, attachment=None, milestones=()):
        return {
            "objectives": self.cleaned_data["objectives"],
            "resources": self.cleaned_data["resources"],
            "milestones": list(milestones),
        }


class MilestoneRowForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("步骤"), required=False, max_length=200)
    due_on = forms.DateField(label=_("计划完成日期"), required=False, widget=date_input())

    def clean(self):
        data = super().clean()
        if (data.get("title") or "").strip() and not data.get("due_on"):
            self.add_error("due_on", _("请填写计划完成日期。"))
        if data.get("due_on") and not (data.get("title") or "").strip():
            self.add_error("title", _("请填写步骤名称。"))
        return data


class BaseMilestoneFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not self.rows():
            raise forms.ValidationError(_("请至少填写一个方案步骤（步骤名称和计划完成日期）。"))

    def rows(self):
        return [
            {"title": f.cleaned_data["title"].strip(), "due_on": f.cleaned_data["due_on"]}
            for f in self.forms
            if f.cleaned_data and (f.cleaned_data.get("title") or "").strip()
        ]


MilestoneFormSet = forms.formset_factory(MilestoneRowForm, formset=BaseMilestoneFormSet, extra=4, max_num=30)


class EscalationForm(VersionedActionForm):
    """8.4.2 a — report for assistance (also the switch of a direct service, 8.4.1 e)."""

    reason = forms.CharField(label=_("上报理由"), widget=text_area(3))
    needs = forms.CharField(
        label=_("所需协助"), widget=text_area(3, _("需要技术机构提供的服务内容，如：三坐标测量机校准并出具证书"))
    )

    def rules_kwargs(self, attachment=None):
        return {"reason": self.cleaned_data["reason"], "needs": self.cleaned_data["needs"]}


class InstitutionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        fields = "、".join(str(label) for label in qi_field_labels(obj.qi_fields)) or "—"
        return f"{obj.name}（{obj.get_kind_display()}；{fields}）"


class DispatchForm(VersionedActionForm):
    """8.4.2 b — the agency dispatches the escalation to one or more active institutions."""

    institutions = InstitutionChoiceField(
        label=_("技术机构"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("可选择多个机构；任一机构接单后，其他机构的派单自动失效。已派过（含已拒绝）的机构不再列出。"),
    )
    note = forms.CharField(label=_("派单说明"), required=False, widget=text_area(2))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from qiservice.institutions.models import Institution

        queryset = Institution.objects.restrict(self.user).filter(is_active=True)
        matches = Q(pk__in=[])
        if self.demand is not None:
            queryset = queryset.exclude(dispatches__demand=self.demand)
            for category in self.demand.categories:
                matches |= Q(qi_fields__icontains=f'"{category}"')
        # Institutions working in the demand's fields first.
        queryset = queryset.annotate(
            fits=Case(When(matches, then=Value(0)), default=Value(1), output_field=IntegerField())
        ).order_by("fits", "name")
        self.fields["institutions"].queryset = queryset

    def rules_kwargs(self, attachment=None):
        return {"institutions": list(self.cleaned_data["institutions"]), "note": self.cleaned_data["note"]}


class ReasonForm(VersionedActionForm):
    """拒绝接单 / 撤回 / 取消: the reason is required."""

    reason = forms.CharField(label=_("理由"), widget=text_area(3))

    def rules_kwargs(self, attachment=None):
        return {"reason": self.cleaned_data["reason"]}


class CloseForm(VersionedActionForm):
    reason = forms.CharField(
        label=_("办结说明"),
        required=False,
        widget=text_area(2),
        help_text=_("未收到服务对象评价而办结时必须填写理由。"),
    )

    def rules_kwargs(self, attachment=None):
        return {"reason": self.cleaned_data["reason"]}


class SummaryForm(VersionedActionForm):
    """8.5.1 — the work summary: problems solved, methods, results (and a file)."""

    problems_solved = forms.CharField(label=_("解决的问题"), widget=text_area(3))
    methods = forms.CharField(label=_("解决问题的方法"), widget=text_area(3))
    results = forms.CharField(label=_("取得的成效"), widget=text_area(3))
    attachment = forms.FileField(label=_("附件"), required=False, help_text=_("可选：总结报告、照片等"))

    upload_field = "attachment"
    upload_stage = AttachmentStage.SUMMARY

    def rules_kwargs(self, attachment=None):
        data = self.cleaned_data
        return {"problems_solved": data["problems_solved"], "methods": data["methods"], "results": data["results"]}


# The form of each transition of transitions.TRANSITIONS.
ACTION_FORMS = {
    "start_preparation": ConfirmActionForm,
    "confirm": ServiceModeForm,
    "sign_agreement": AgreementForm,
    "make_plan": PlanForm,
    "start_service": ConfirmActionForm,
    "escalate": EscalationForm,
    "switch_to_assisted": EscalationForm,
    "dispatch": DispatchForm,
    "accept_dispatch": ConfirmActionForm,
    "decline_dispatch": ReasonForm,
    "end_service": ConfirmActionForm,
    "submit_summary": SummaryForm,
    "close": CloseForm,
    "withdraw": ReasonForm,
    "cancel": ReasonForm,
}

# Taken with one tap on the demand page (their own page is only a confirmation).
ONE_TAP_ACTIONS = {"start_preparation", "accept_dispatch", "start_service"}


# --- the other records of the demand page -----------------------------------------------------


class SpecialistChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _("%(name)s（%(district)s）· 在办 %(open)d / 上限 %(cap)d") % {
            "name": obj.name,
            "district": obj.district.name,
            "open": obj.open_count,
            "cap": obj.capacity,
        }


# A select is no place for a whole pool; the matching page ranks the rest.
ASSIGN_CHOICES_LIMIT = 300


class AssignForm(VersionedActionForm):
    """4.2 — the agency assigns or reassigns the demand, with an instruction."""

    specialist = SpecialistChoiceField(label=_("服务专员"), queryset=None)
    note = forms.CharField(
        label=_("指派说明 / 工作指示"),
        required=False,
        widget=text_area(3),
        help_text=_("仅管理机构和承办人员可见，服务对象看不到。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from qiservice.specialists.choices import SpecialistStatus
        from qiservice.specialists.models import Specialist

        queryset = (
            Specialist.objects.restrict(self.user, "view")
            .filter(status=SpecialistStatus.ACTIVE)
            .select_related("district")
            .annotate(open_count=Count("demands", filter=Q(demands__status__in=OPEN_STATUSES), distinct=True))
        )
        if self.demand is not None:
            # The demand's own district first, then the least loaded.
            queryset = queryset.annotate(
                same_district=Case(
                    When(district_id=self.demand.district_id, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            ).order_by("same_district", "open_count", "name", "pk")
        pks = list(queryset.values_list("pk", flat=True)[:ASSIGN_CHOICES_LIMIT])
        self.fields["specialist"].queryset = queryset.filter(pk__in=pks)
        self.truncated = len(pks) >= ASSIGN_CHOICES_LIMIT

    def rules_kwargs(self, attachment=None):
        return {"note": self.cleaned_data["note"]}


class RespondAssignmentForm(VersionedActionForm):
    """6.1 — the specialist accepts the assignment, or declines it with a reason."""

    decision = forms.ChoiceField(
        label=_("答复"),
        choices=[("accept", _("接受指派")), ("decline", _("拒绝指派"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("拒绝理由"), required=False, widget=text_area(3), help_text=_("拒绝时必须填写，管理机构可见。")
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "decline" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("拒绝指派请填写理由。"))
        return data

    def rules_kwargs(self, attachment=None):
        return {"accept": self.cleaned_data["decision"] == "accept", "reason": self.cleaned_data["reason"]}


class NoteForm(VersionedActionForm):
    """8.4.2 d progress updates; 4.2 the agency's internal instructions."""

    kind = forms.ChoiceField(label=_("类型"), choices=NoteKind.choices, widget=forms.RadioSelect)
    text = forms.CharField(label=_("内容"), widget=text_area(3))

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        kinds = list(kinds) or list(NoteKind.values)
        self.fields["kind"].choices = [(v, label) for v, label in NoteKind.choices if v in kinds]
        self.initial.setdefault("kind", kinds[0])
        if len(kinds) == 1:
            self.fields["kind"].widget = forms.HiddenInput()
            self.fields["text"].label = NoteKind(kinds[0]).label
        if NoteKind.INSTRUCTION in kinds:
            self.fields["kind"].help_text = _("工作指示仅管理机构和承办人员可见，服务对象看不到。")

    def rules_kwargs(self, attachment=None):
        return {"kind": self.cleaned_data["kind"], "text": self.cleaned_data["text"]}


class PreparationForm(VersionedActionForm):
    """8.2.1–8.2.4 — plan, preliminary content by QI field, suggestions, risks."""

    plan_notes = forms.CharField(
        label=_("计划与安排"), widget=text_area(3), help_text=_("服务过程的计划和安排（8.2.1）")
    )
    process_notes = forms.CharField(label=_("服务流程与要求"), required=False, widget=text_area(2))
    special_handling = forms.CharField(label=_("特殊情况处置"), required=False, widget=text_area(2))
    enterprise_suggestions = forms.CharField(label=_("服务对象建议"), required=False, widget=text_area(2))

    def __init__(self, *args, preparation=None, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in QIField.choices:
            self.fields[f"content_{value}"] = forms.CharField(
                label=label, required=False, widget=text_area(2, _("该领域的初步服务内容"))
            )
        for value, label in RiskKind.choices:
            self.fields[f"risk_{value}"] = forms.BooleanField(label=label, required=False)
            self.fields[f"risk_{value}_notes"] = forms.CharField(
                label=_("%(kind)s风险说明") % {"kind": label}, required=False, widget=text_area(1)
            )
        from qiservice.core.forms import style_form

        style_form(self)
        if preparation is not None:
            for name in ("plan_notes", "process_notes", "special_handling", "enterprise_suggestions"):
                self.initial.setdefault(name, getattr(preparation, name))
            for key, text in (preparation.content or {}).items():
                self.initial.setdefault(f"content_{key}", text)
            for key, text in (preparation.risks or {}).items():
                self.initial.setdefault(f"risk_{key}", True)
                self.initial.setdefault(f"risk_{key}_notes", text)
        elif self.demand is not None:
            for category in self.demand.categories:
                self.initial.setdefault(f"content_{category}", "")

    def sections(self):
        main = ["plan_notes", "process_notes", "special_handling", "enterprise_suggestions"]
        risks = []
        for value in RiskKind.values:
            risks += [self[f"risk_{value}"], self[f"risk_{value}_notes"]]
        return [
            ("", [self[name] for name in main]),
            (_("初步服务内容（按领域填写，至少一项）"), [self[f"content_{v}"] for v in QIField.values]),
            (_("风险信息（勾选已识别的风险并说明）"), risks),
        ]

    def clean(self):
        data = super().clean()
        if not any((data.get(f"content_{v}") or "").strip() for v in QIField.values):
            raise forms.ValidationError(_("请至少按一个领域填写初步服务内容。"))
        return data

    def rules_kwargs(self, attachment=None):
        data = self.cleaned_data
        risks = {}
        for value in RiskKind.values:
            notes = (data.get(f"risk_{value}_notes") or "").strip()
            if data.get(f"risk_{value}") or notes:
                risks[value] = notes
        return {
            "plan_notes": data["plan_notes"],
            "process_notes": data["process_notes"],
            "special_handling": data["special_handling"],
            "enterprise_suggestions": data["enterprise_suggestions"],
            "content": {v: data.get(f"content_{v}") or "" for v in QIField.values},
            "risks": risks,
        }


class VerifyEnterpriseForm(VersionedActionForm):
    """8.2.2 — verify the enterprise's size, products, R&D, capacity and quality management."""

    size = forms.ChoiceField(label=_("企业规模"), choices=EnterpriseSize.choices)
    main_products = forms.CharField(label=_("主要产品"), widget=text_area(2))
    rd_capability = forms.CharField(label=_("研发能力"), required=False, widget=text_area(2))
    production_capacity = forms.CharField(label=_("生产能力"), required=False, widget=text_area(2))
    quality_management = forms.CharField(label=_("质量管理状况"), required=False, widget=text_area(2))

    FIELDS = ("size", "main_products", "rd_capability", "production_capacity", "quality_management")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.demand is not None:
            for name in self.FIELDS:
                self.initial.setdefault(name, getattr(self.demand.enterprise, name))

    def rules_kwargs(self, attachment=None):
        return {name: self.cleaned_data[name].strip() for name in self.FIELDS}


class LedgerForm(VersionedActionForm):
    """Appendix B — one row of the work ledger (or a correction of an earlier row)."""

    entry_on = forms.DateField(label=_("日期"), widget=date_input())
    enterprise_contact = forms.CharField(label=_("服务对象对接人员"), max_length=50)
    problem = forms.CharField(label=_("处理的问题"), widget=text_area(2))
    handling = forms.CharField(
        label=_("处理过程"), widget=text_area(3), help_text=_("简要描述运用哪些技术服务手段处理问题")
    )
    remarks = forms.CharField(label=_("备注"), required=False, widget=text_area(2))

    def __init__(self, *args, entry=None, **kwargs):
        super().__init__(*args, **kwargs)
        if entry is not None:
            for name in ("entry_on", "enterprise_contact", "problem", "handling", "remarks"):
                self.initial.setdefault(name, getattr(entry, name))
        else:
            self.initial.setdefault("entry_on", timezone.localdate())
            if self.demand is not None:
                self.initial.setdefault("enterprise_contact", self.demand.contact_name)

    def clean_entry_on(self):
        value = self.cleaned_data["entry_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("台账日期不能晚于今天。"))
        return value

    def rules_kwargs(self, attachment=None):
        data = self.cleaned_data
        return {name: data[name] for name in ("entry_on", "enterprise_contact", "problem", "handling", "remarks")}


PROGRESS_CHOICES = [(p, f"{p}%") for p in range(0, 101, 10)]


class MilestoneForm(VersionedActionForm):
    """8.4.1 c — a milestone's progress."""

    progress = forms.TypedChoiceField(label=_("完成进度"), coerce=int, choices=PROGRESS_CHOICES)
    done_on = forms.DateField(
        label=_("实际完成日期"), required=False, widget=date_input(), help_text=_("进度为100%时默认记为今天")
    )
    notes = forms.CharField(label=_("说明"), required=False, widget=text_area(2))

    def __init__(self, *args, milestone=None, **kwargs):
        super().__init__(*args, **kwargs)
        if milestone is not None:
            choices = dict(PROGRESS_CHOICES)
            choices.setdefault(milestone.progress, f"{milestone.progress}%")
            self.fields["progress"].choices = sorted(choices.items())
            self.initial.setdefault("progress", milestone.progress)
            self.initial.setdefault("notes", milestone.notes)
            self.initial.setdefault("done_on", milestone.done_on)

    def rules_kwargs(self, attachment=None):
        data = self.cleaned_data
        return {"progress": data["progress"], "notes": data["notes"], "done_on": data["done_on"]}


class InformedForm(VersionedActionForm):
    """8.4.2 c — the enterprise was told the plan (or acknowledges it itself)."""

    informed_on = forms.DateField(label=_("告知日期"), widget=date_input())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("informed_on", timezone.localdate())

    def clean_informed_on(self):
        value = self.cleaned_data["informed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("告知日期不能晚于今天。"))
        return value

    def rules_kwargs(self, attachment=None):
        return {"informed_on": self.cleaned_data["informed_on"]}


class AttachmentForm(VersionedActionForm):
    file = forms.FileField(label=_("文件"), help_text=_("PDF、图片（JPG/PNG）、Word、Excel 或文本文件"))
    stage = forms.ChoiceField(label=_("阶段"), choices=AttachmentStage.choices)
    description = forms.CharField(label=_("说明"), required=False, max_length=200)
    is_trade_secret = forms.BooleanField(label=_("含商业秘密（仅承办人员和管理机构管理员可见）"), required=False)

    def rules_kwargs(self, attachment=None):
        data = self.cleaned_data
        return {
            "stage": data["stage"],
            "description": data["description"],
            "is_trade_secret": data["is_trade_secret"],
        }
